"""Query results in standard formats: SPARQL 1.1 Query Results JSON, CSV and TSV, Turtle for
graphs, and a table for a terminal."""

from __future__ import annotations

import csv
import enum
import io
import json
from typing import Any

import pyoxigraph
from rich.console import Console
from rich.table import Table

from aimsgraph.errors import UsageError
from aimsgraph.model import Term, TermKind
from aimsgraph.render.terms import Compact, term_text
from aimsgraph.sparql import AskResult, GraphResult, QueryResult, SelectResult


class ResultFormat(enum.Enum):
    """How ``aimsgraph query`` prints a result."""

    TABLE = "table"
    JSON = "json"
    CSV = "csv"
    TSV = "tsv"
    TURTLE = "turtle"


def render(
    result: QueryResult,
    result_format: ResultFormat,
    *,
    compact: Compact,
    lists: tuple[str, ...] = (),
    width: int = 160,
) -> str:
    """Give ``result`` in ``result_format``; ``lists`` names GROUP_CONCAT columns to show one per line.

    :raises UsageError: the format does not fit the query form (CSV of an ASK, Turtle of a SELECT).
    """
    if isinstance(result, GraphResult):
        if result_format not in (ResultFormat.TURTLE, ResultFormat.TABLE):
            raise UsageError(f"a CONSTRUCT or DESCRIBE result is printed as turtle, not {result_format.value}")
        return _turtle(result)
    if result_format is ResultFormat.TURTLE:
        raise UsageError("turtle is for CONSTRUCT and DESCRIBE results; use table, json, csv or tsv")
    if isinstance(result, AskResult):
        return _ask(result, result_format)
    renderers = {ResultFormat.JSON: _json_text, ResultFormat.CSV: _csv, ResultFormat.TSV: _tsv}
    if result_format in renderers:
        return renderers[result_format](result)
    return table(result, compact=compact, lists=lists, width=width)


def _ask(result: AskResult, result_format: ResultFormat) -> str:
    if result_format is ResultFormat.JSON:
        return json.dumps({"head": {}, "boolean": result.value}) + "\n"
    if result_format is ResultFormat.TABLE:
        return ("true" if result.value else "false") + "\n"
    raise UsageError(f"an ASK result is printed as table or json, not {result_format.value}")


# A table is for reading: beyond this many rows it shows the first, and says how to get them all
# (laying out a table costs about 0.8 ms a row: the 30,000 rows of a risk register took 30 s).
TABLE_ROWS = 1000


def table(result: SelectResult, *, compact: Compact, lists: tuple[str, ...] = (), width: int = 160) -> str:
    """Give a SELECT result as a text table, IRIs shortened and list columns one member per line;
    of a result of more than TABLE_ROWS rows, the first TABLE_ROWS."""
    grid = Table(header_style="bold")
    for column in result.columns:
        grid.add_column(column, overflow="fold")  # never cut an IRI short
    for row in result.rows[:TABLE_ROWS]:
        grid.add_row(*(_cell(term, compact, column in lists) for column, term in zip(result.columns, row, strict=True)))
    console = Console(file=io.StringIO(), width=width, color_system=None, legacy_windows=False)
    console.print(grid)
    if len(result.rows) > TABLE_ROWS:
        console.print(
            f"{len(result.rows):,} rows, the first {TABLE_ROWS:,} shown: --format csv, tsv or json gives every row"
        )
    else:
        console.print(f"{len(result.rows):,} row(s)")
    output = console.file
    assert isinstance(output, io.StringIO)
    return output.getvalue()


def _cell(term: Term | None, compact: Compact, is_list: bool) -> str:
    if term is not None and is_list:
        return "\n".join(compact(member) for member in term.value.split("|"))
    return term_text(term, compact, quote=False)


def _json_text(result: SelectResult) -> str:
    return json.dumps(_json(result), indent=2, ensure_ascii=False) + "\n"


def _json(result: SelectResult) -> dict[str, Any]:
    return {
        "head": {"vars": list(result.columns)},
        "results": {
            "bindings": [
                {column: _json_term(term) for column, term in zip(result.columns, row, strict=True) if term is not None}
                for row in result.rows
            ]
        },
    }


def _json_term(term: Term) -> dict[str, str]:
    encoded = {"type": term.kind.value, "value": term.value}
    if term.language:
        encoded["xml:lang"] = term.language
    elif term.datatype and term.kind is TermKind.LITERAL:
        encoded["datatype"] = term.datatype
    return encoded


def _csv(result: SelectResult) -> str:
    # SPARQL 1.1 CSV: plain values, blank nodes as _:id, CRLF line ends (RFC 4180).
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(result.columns)
    for row in result.rows:
        writer.writerow(["" if t is None else f"_:{t.value}" if t.kind is TermKind.BLANK else t.value for t in row])
    return buffer.getvalue()


def _tsv(result: SelectResult) -> str:
    # SPARQL 1.1 TSV: ?-prefixed header, terms in Turtle/N-Triples syntax.
    lines = ["\t".join(f"?{column}" for column in result.columns)]
    for row in result.rows:
        lines.append("\t".join("" if t is None else str(_oxigraph(t)) for t in row))
    return "\n".join(lines) + "\n"


def _turtle(result: GraphResult) -> str:
    triples = [pyoxigraph.Triple(_oxigraph(s), _oxigraph(p), _oxigraph(o)) for s, p, o in result.triples]  # type: ignore[arg-type]
    output = pyoxigraph.serialize(triples, format=pyoxigraph.RdfFormat.TURTLE)
    assert output is not None
    return output.decode("utf-8")


def _oxigraph(term: Term) -> pyoxigraph.NamedNode | pyoxigraph.BlankNode | pyoxigraph.Literal:
    if term.kind is TermKind.IRI:
        return pyoxigraph.NamedNode(term.value)
    if term.kind is TermKind.BLANK:
        return pyoxigraph.BlankNode(term.value)
    if term.language:
        return pyoxigraph.Literal(term.value, language=term.language)
    return pyoxigraph.Literal(term.value, datatype=pyoxigraph.NamedNode(term.datatype) if term.datatype else None)
