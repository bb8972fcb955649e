"""Query results in standard formats: SPARQL 1.1 Query Results JSON, XML, CSV and TSV, Turtle for
graphs, and a table for a terminal."""

from __future__ import annotations

import csv
import enum
import io
import json
import re
from xml.sax.saxutils import escape, quoteattr

import pyoxigraph
from rich.console import Console
from rich.table import Table

from aimsgraph.errors import UsageError
from aimsgraph.model import Term, TermKind
from aimsgraph.render.terms import Compact, term_text
from aimsgraph.sparql import XSD_STRING, AskResult, GraphResult, QueryResult, SelectResult


class ResultFormat(enum.Enum):
    """How ``aimsgraph query`` prints a result."""

    TABLE = "table"
    JSON = "json"
    XML = "xml"
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
        raise UsageError("turtle is for CONSTRUCT and DESCRIBE results; use table, json, xml, csv or tsv")
    if isinstance(result, AskResult):
        return _ask(result, result_format)
    if result_format is ResultFormat.TABLE:
        return table(result, compact=compact, lists=lists, width=width)
    return standard(result, result_format)


def standard(result: SelectResult, result_format: ResultFormat) -> str:
    """Give a SELECT result in one of the SPARQL 1.1 result formats: JSON, XML, CSV or TSV."""
    renderers = {ResultFormat.JSON: _json_text, ResultFormat.XML: _xml, ResultFormat.CSV: _csv, ResultFormat.TSV: _tsv}
    return renderers[result_format](result)


def _ask(result: AskResult, result_format: ResultFormat) -> str:
    if result_format is ResultFormat.JSON:
        return json.dumps({"head": {}, "boolean": result.value}) + "\n"
    if result_format is ResultFormat.XML:
        return f"{_XML_START}<head/>\n<boolean>{'true' if result.value else 'false'}</boolean>\n</sparql>\n"
    if result_format is ResultFormat.TABLE:
        return ("true" if result.value else "false") + "\n"
    raise UsageError(f"an ASK result is printed as table, json or xml, not {result_format.value}")


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
    # A binding a line, each distinct term encoded once: the terms of a large result repeat row
    # after row (at 10,000 AI systems the risk register's 30,000 rows took 0.8 s with json.dumps
    # of the whole document, indented, and 28 MB; this way 0.25 s and 18 MB).
    encoded: dict[int, str] = {}  # by the term object's identity: the rows share their terms
    names = [json.dumps(column, ensure_ascii=False) + ":" for column in result.columns]
    lines = []
    for row in result.rows:
        cells = []
        for name, term in zip(names, row, strict=True):
            if term is not None:
                text = encoded.get(id(term))
                if text is None:
                    text = encoded[id(term)] = json.dumps(_json_term(term), ensure_ascii=False)
                cells.append(name + text)
        lines.append("{" + ",".join(cells) + "}")
    head = json.dumps({"vars": list(result.columns)}, ensure_ascii=False)
    return f'{{"head": {head},\n "results": {{"bindings": [\n' + ",\n".join(lines) + "\n]}}\n"


def _json_term(term: Term) -> dict[str, str]:
    encoded = {"type": term.kind.value, "value": term.value}
    if term.language:
        encoded["xml:lang"] = term.language
    elif term.kind is TermKind.LITERAL and term.datatype not in (None, XSD_STRING):
        encoded["datatype"] = term.datatype  # a plain string is written without one, as Oxigraph writes it
    return encoded


_XML_START = '<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">\n'


def _xml(result: SelectResult) -> str:
    # SPARQL Query Results XML Format (Second Edition): a binding element per bound variable.
    lines = [_XML_START + "<head>"]
    lines.extend(f"<variable name={quoteattr(column)}/>" for column in result.columns)
    lines.append("</head>\n<results>")
    names = [quoteattr(column) for column in result.columns]
    for row in result.rows:
        bindings = "".join(
            f"<binding name={name}>{_xml_term(term)}</binding>"
            for name, term in zip(names, row, strict=True)
            if term is not None
        )
        lines.append(f"<result>{bindings}</result>")
    lines.append("</results>\n</sparql>\n")
    return "\n".join(lines)


def _xml_term(term: Term) -> str:
    if term.kind is TermKind.IRI:
        return f"<uri>{escape(term.value)}</uri>"
    if term.kind is TermKind.BLANK:
        return f"<bnode>{escape(term.value)}</bnode>"
    if term.language:
        attribute = f" xml:lang={quoteattr(term.language)}"
    elif term.datatype not in (None, XSD_STRING):
        attribute = f" datatype={quoteattr(term.datatype)}"
    else:
        attribute = ""
    return f"<literal{attribute}>{_xml_text(term.value)}</literal>"


# Written as references: a parser reads a bare CR as a line feed, and a reader may trim white
# space from an element's text (Oxigraph's does), which a reference keeps.
_XML_WHITESPACE = {"\t": "&#9;", "\n": "&#10;", "\r": "&#13;"}


# What XML 1.0 cannot hold at all, even as a reference: most C0 controls, U+FFFE and U+FFFF (and
# a lone surrogate, which no UTF-8 document holds).
NOT_IN_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _xml_text(value: str) -> str:
    unwritable = NOT_IN_XML.search(value)
    if unwritable:
        # Written as is, it would make a document no XML parser reads: refused, with the way out.
        raise UsageError(
            f"a literal holds U+{ord(unwritable.group()):04X}, which XML 1.0 cannot carry: ask for JSON, CSV or TSV"
        )
    text = escape(value, _XML_WHITESPACE)
    lead = len(text) - len(text.lstrip(" "))
    rest = text[lead:]
    trail = len(rest) - len(rest.rstrip(" "))
    return "&#32;" * lead + rest[: len(rest) - trail] + "&#32;" * trail


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
