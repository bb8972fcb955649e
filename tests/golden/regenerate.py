"""Rewrite the golden result files from the Oxigraph runner: `.venv/bin/python tests/golden/regenerate.py`.

Run it only after checking by hand that a changed result is right; the tests compare every case on
both engines against these files.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.golden.harness import CASES, GOLDEN, rows_as_text, run_case


def main() -> None:
    """Write one JSON file of rows per case."""
    for case in CASES:
        result = run_case(case, engine="oxigraph")
        path = GOLDEN / case["golden"]
        path.write_text(json.dumps(rows_as_text(result), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"{path.name}: {len(result.rows)} rows")


if __name__ == "__main__":
    main()
