"""Running the golden query cases on either engine, and writing rows in a comparable text form."""

from __future__ import annotations

import datetime as dt
import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from rdflib import Graph

from aimsgraph import library, load, sparql
from aimsgraph.validate import bundled_knowledge, bundled_knowledge_quads

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).resolve().parent
CASES: list[dict[str, Any]] = json.loads((GOLDEN / "cases.json").read_text(encoding="utf-8"))
# Defaults that read "today" must not make a golden file depend on the day it is run.
TODAY = dt.date(2026, 11, 26)


@lru_cache(maxsize=8)
def _data(path: str) -> load.LoadedData:
    return load.load(load.collect([str(ROOT / path)]))


def run_case(case: dict[str, Any], *, engine: str) -> sparql.SelectResult:
    """Give the result of one case on ``oxigraph`` or ``rdflib``."""
    definition = library.find(case["query"])
    values = library.bind_values(definition, case["params"], today=TODAY)
    data = _data(case["data"])
    if engine == "oxigraph":
        store = load.oxigraph_store(data.quads, list(bundled_knowledge_quads()))
        result = sparql.run(
            store, sparql.bind(definition.text, values), source=definition.source, lists=definition.lists
        )
    else:
        graph = Graph()
        graph += data.graph
        graph += bundled_knowledge()
        result = sparql.run_on_rdflib(graph, definition.text, values, lists=definition.lists)
    assert isinstance(result, sparql.SelectResult)
    return result


def rows_as_text(result: sparql.SelectResult) -> list[dict[str, str | None]]:
    """Give rows as dictionaries of column to N-Triples-like term text (None where unbound)."""
    return [{column: _text(term) for column, term in zip(result.columns, row, strict=True)} for row in result.rows]


def _text(term: Any) -> str | None:
    if term is None:
        return None
    if term.kind.value == "uri":
        return f"<{term.value}>"
    if term.kind.value == "bnode":
        return f"_:{term.value}"
    if term.language:
        return f"{json.dumps(term.value)}@{term.language}"
    return f"{json.dumps(term.value)}^^<{term.datatype}>"
