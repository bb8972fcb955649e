"""Time `aimsgraph validate` on the example organisation, cold (first run in the process) and warm.

Run with `make bench`. Figures depend on the machine; the issue tracker's notes record them.
"""

from __future__ import annotations

import datetime as dt
import statistics
import time
from pathlib import Path

from aimsgraph.validate import validate

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "kestrel"
AS_OF = dt.date(2026, 11, 26)
RUNS = 5


def main() -> None:
    """Print cold and warm validation times of the example organisation."""
    start = time.perf_counter()
    report = validate([str(EXAMPLE)], as_of=AS_OF)
    cold = time.perf_counter() - start
    warm = []
    for _ in range(RUNS):
        start = time.perf_counter()
        validate([str(EXAMPLE)], as_of=AS_OF)
        warm.append(time.perf_counter() - start)
    size = f"{len(report.sources)} files, {report.triples} triples, {report.shapes} shapes"
    print(f"example: {size}, {len(report.findings)} findings")
    print(f"validate cold: {cold:.3f} s")
    print(f"validate warm: median {statistics.median(warm):.3f} s, min {min(warm):.3f} s over {RUNS} runs")


if __name__ == "__main__":
    main()
