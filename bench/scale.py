"""How validation, the gap report and the library queries grow with the AIMS (issue 8).

    make bench                                    # 1,000, 10,000 and 100,000 AI systems
    python bench/scale.py --systems 1000 10000    # chosen sizes
    python bench/scale.py --systems 1000 --pyshacl-up-to 10000

Each size runs in a process of its own, so that its peak memory (resident set) is its own. The
synthetic AIMS comes from bench/generate.py (deterministic for the seed, with about 10% gaps of
each kind). Timed: parsing, validation with the SPARQL engine (parsing included, as a user waits
for it), the whole gap report (validation included), the slowest library query, and, up to
--pyshacl-up-to systems, validation with pySHACL on the same data and shapes, whose findings must
be the same; the ratio is pySHACL's time over the SPARQL engine's.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from aimsgraph import library, load, sparql
from aimsgraph.gaps import gaps
from aimsgraph.model import Engine
from aimsgraph.validate import bundled_knowledge_quads, validate
from generate import generate

AS_OF = dt.date(2026, 11, 26)


def measure(systems: int, seed: int, with_pyshacl: bool) -> dict[str, Any]:
    """Give the figures for one size (run in a process of its own)."""
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / f"aims-{systems}.nt"
        path.write_text("\n".join(generate(systems, seed=seed)) + "\n")
        figures: dict[str, Any] = {"systems": systems}
        start = time.perf_counter()
        data = load.load(load.collect([str(path)]))
        figures["parse"] = time.perf_counter() - start
        figures["triples"] = len(data.quads)
        start = time.perf_counter()
        report = validate([str(path)], as_of=AS_OF)
        figures["validate"] = time.perf_counter() - start
        figures["findings"] = len(report.findings)
        figures["notes"] = list(report.engine_notes)
        start = time.perf_counter()
        gaps([str(path)], as_of=AS_OF)
        figures["gaps"] = time.perf_counter() - start
        store = load.oxigraph_store(data.quads, list(bundled_knowledge_quads()))
        slowest = (0.0, "")
        for definition in library.library():
            text = sparql.bind(definition.text, library.bind_values(definition, {}, today=AS_OF))
            start = time.perf_counter()
            sparql.run(store, text, source=definition.source, lists=definition.lists)
            slowest = max(slowest, (time.perf_counter() - start, definition.id))
        figures["slowest_query"], figures["slowest_query_id"] = slowest
        if with_pyshacl:
            start = time.perf_counter()
            reference = validate([str(path)], as_of=AS_OF, engine=Engine.PYSHACL)
            figures["pyshacl"] = time.perf_counter() - start
            key = lambda f: (f.rule, f.focus_node, f.path, f.value, f.severity)  # noqa: E731
            figures["same_findings"] = sorted(map(key, reference.findings), key=str) == sorted(
                map(key, report.findings), key=str
            )
        figures["peak_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        return figures


def table(rows: list[dict[str, Any]]) -> str:
    """Give the figures as a Markdown table, with the growth from the first size to each."""
    lines = [
        "| AI systems | triples | parse | validate | gap report | slowest query | pySHACL | ratio | same findings "
        "| peak memory |",
        "|---:|---:|---:|---:|---:|---|---:|---:|:-:|---:|",
    ]
    for row in rows:
        pyshacl = f"{row['pyshacl']:.1f} s" if "pyshacl" in row else "-"
        ratio = f"{row['pyshacl'] / row['validate']:.0f}x" if "pyshacl" in row else "-"
        same = ("yes" if row["same_findings"] else "NO") if "same_findings" in row else "-"
        lines.append(
            f"| {row['systems']:,} | {row['triples']:,} | {row['parse']:.2f} s | {row['validate']:.2f} s "
            f"| {row['gaps']:.2f} s | {row['slowest_query'] * 1000:.0f} ms ({row['slowest_query_id']}) "
            f"| {pyshacl} | {ratio} | {same} | {row['peak_mib']:,.0f} MiB |"
        )
    first = rows[0]
    for row in rows[1:]:
        lines.append(
            f"\n{first['systems']:,} -> {row['systems']:,} systems ({row['systems'] / first['systems']:.0f}x): "
            f"validation {row['validate'] / first['validate']:.1f}x, gap report {row['gaps'] / first['gaps']:.1f}x"
        )
    return "\n".join(lines)


def main() -> None:
    """Measure each size in its own process and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--systems", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--pyshacl-up-to", type=int, default=1000, help="run pySHACL too up to this many systems")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # the child process: one size, JSON out
    arguments = parser.parse_args()
    if arguments.one is not None:
        print(json.dumps(measure(arguments.one, arguments.seed, arguments.one <= arguments.pyshacl_up_to)))
        return
    rows = []
    for systems in arguments.systems:
        child = subprocess.run(
            [sys.executable, __file__, "--one", str(systems), "--seed", str(arguments.seed),
             "--pyshacl-up-to", str(arguments.pyshacl_up_to)],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        if child.returncode != 0:
            print(f"{systems:,} systems: failed\n{child.stderr}", file=sys.stderr)
            continue
        rows.append(json.loads(child.stdout.splitlines()[-1]))
        print(f"{systems:,} systems measured", file=sys.stderr)
    if rows:
        print(table(rows))


if __name__ == "__main__":
    main()
