"""Time validation, the gap report and every library query on the example and a synthetic AIMS.

    make bench                       # example and 1,000 AI systems
    python bench/queries.py --systems 1000 5000

Each query runs on Oxigraph with its default parameters as of 2026-11-26; a figure is the best of
three runs, after one warm-up, so that it measures the query and not the first parse.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from aimsgraph import library, load, sparql
from aimsgraph.gaps import gaps
from aimsgraph.validate import bundled_knowledge_quads, validate
from generate import generate

AS_OF = dt.date(2026, 11, 26)
EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "kestrel"


def best_of(action: Callable[[], object], runs: int = 3) -> float:
    """Give the shortest of ``runs`` timed calls, in seconds, after one untimed warm-up."""
    action()
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        timings.append(time.perf_counter() - start)
    return min(timings)


def measure(name: str, path: Path) -> None:
    """Print the timings for one data set."""
    data = load.load(load.collect([str(path)]))
    store = load.oxigraph_store(data.quads, list(bundled_knowledge_quads()))
    print(f"\n{name}: {data.triples} triples")
    start = time.perf_counter()
    validate([str(path)], as_of=AS_OF)
    print(f"  {'validate (load + SHACL)':44} {time.perf_counter() - start:8.3f} s")
    start = time.perf_counter()
    gaps([str(path)], as_of=AS_OF)
    print(f"  {'gaps (load + SHACL + queries)':44} {time.perf_counter() - start:8.3f} s")
    for definition in library.library():
        text = sparql.bind(definition.text, library.bind_values(definition, {}, today=AS_OF))
        seconds = best_of(lambda text=text, d=definition: sparql.run(store, text, source=d.source, lists=d.lists))
        print(f"  query {definition.id:38} {seconds * 1000:8.1f} ms")


def main() -> None:
    """Measure the example and each requested synthetic size."""
    parser = argparse.ArgumentParser(description="Time validation, gaps and library queries.")
    parser.add_argument("--systems", type=int, nargs="*", default=[1000])
    args = parser.parse_args()
    measure("example organisation (examples/kestrel)", EXAMPLE)
    with tempfile.TemporaryDirectory() as folder:
        for size in args.systems:
            path = Path(folder) / f"aims-{size}.nt"
            path.write_text("\n".join(generate(size, seed=7)) + "\n", encoding="utf-8")
            measure(f"synthetic AIMS, {size} AI systems", path)


if __name__ == "__main__":
    main()
