"""Time the report: its HTML pages, exports and OSCAL, and the one-document PDF, on the example
and a synthetic AIMS.

    make bench                         # example and 1,000 AI systems
    python bench/report.py --systems 1000 --pdf-at-scale   # the PDF of 1,000 systems too (minutes)

A figure is one cold run in this process (load, validation, queries, rendering); the report is
what `aimsgraph report` writes, so that is what a user waits for.
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from aimsgraph import load, report
from generate import generate

AS_OF = dt.date(2026, 11, 26)
EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "kestrel"


def measure(name: str, path: Path, *, pdf: bool) -> None:
    """Print the time to build the report of one data set, and its size."""
    start = time.perf_counter()
    data = load.load(load.collect([str(path)]))
    loaded = time.perf_counter() - start
    files = report.build(data, as_of=AS_OF, pdf=False)
    built = time.perf_counter() - start
    pages = sum(f.name.endswith(".html") for f in files)
    size = sum(len(f.body) for f in files) / 1e6
    print(f"\n{name}: {data.triples} triples")
    print(f"  {'load':40} {loaded:8.2f} s")
    print(f"  {f'report: {pages} pages, {len(files) - pages} exports, {size:.1f} MB':40} {built:8.2f} s")
    if pdf:
        start = time.perf_counter()
        files = report.build(data, as_of=AS_OF, pdf=True)
        document = next(f for f in files if f.name == report.PDF_NAME)
        print(f"  {f'report with PDF ({len(document.body) / 1e6:.1f} MB)':40} {time.perf_counter() - start:8.2f} s")


def main() -> None:
    """Measure the example and each requested synthetic size."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--systems", type=int, nargs="*", default=[1000], help="synthetic sizes (AI systems)")
    parser.add_argument(
        "--pdf-at-scale",
        action="store_true",
        help="also time the PDF of the synthetic sizes (about 6 minutes and 4 GiB at 1,000 systems)",
    )
    arguments = parser.parse_args()
    measure("example (Kestrel Financial)", EXAMPLE, pdf=True)
    with tempfile.TemporaryDirectory() as folder:
        for systems in arguments.systems:
            path = Path(folder) / f"aims-{systems}.nt"
            path.write_text("\n".join(generate(systems, seed=7)) + "\n", encoding="utf-8")
            measure(f"synthetic, {systems} AI systems", path, pdf=arguments.pdf_at_scale)
    print(f"\npeak resident memory {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
