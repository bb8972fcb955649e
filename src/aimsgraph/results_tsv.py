"""Reading the rows of a SELECT result from Oxigraph's SPARQL TSV serialisation.

Asking pyoxigraph for the rows one term object at a time, then making each an aimsgraph
:class:`~aimsgraph.model.Term`, is most of what a large query costs in Python: at 10,000 AI
systems the risk register's 30,000 rows of ten columns took 0.55 s that way, against 0.47 s for
Oxigraph to work them out. Oxigraph writes the same rows as TSV in 0.07 s, and the
text of a cell repeats row after row (an AI system, a level, an option), so each distinct cell
is read once. TSV writes every RDF term in Turtle syntax (SPARQL 1.1 Query Results CSV and TSV
Formats, section 3), losslessly: an IRI ``<...>``, a blank node ``_:b``, a literal quoted with
its language tag or datatype, or, for xsd:integer, xsd:decimal and xsd:boolean values in their
canonical form, the bare number or ``true``/``false``; an unbound cell is empty.
"""

from __future__ import annotations

import re

from aimsgraph.model import Term, TermKind

_XSD = "http://www.w3.org/2001/XMLSchema#"
_ESCAPE = re.compile(r"\\(?:u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8})|(.))", re.DOTALL)
_ESCAPED = {"t": "\t", "b": "\b", "n": "\n", "r": "\r", "f": "\f", '"': '"', "'": "'", "\\": "\\"}
_BARE_INTEGER = re.compile(r"[+-]?[0-9]+")
_BARE_DECIMAL = re.compile(r"[+-]?[0-9]*\.[0-9]+")
_BARE_DOUBLE = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)[eE][+-]?[0-9]+")


def columns(tsv: bytes) -> tuple[str, ...]:
    """Give the column names of a SELECT result serialised as TSV: its header line, each variable
    written with its ``?`` (or ``$``); none for a result without variables."""
    end = tsv.find(b"\n")
    header = (tsv if end < 0 else tsv[:end]).decode("utf-8").rstrip("\r")
    return tuple(variable[1:] for variable in header.split("\t")) if header else ()


def rows(tsv: bytes, width: int) -> tuple[tuple[Term | None, ...], ...]:
    """Give the rows of a SELECT result of ``width`` columns serialised as TSV (its header line first).

    :raises ValueError: a cell is not an RDF term aimsgraph takes (an RDF 1.2 triple term) or
        not a whole row.
    """
    text = tsv.decode("utf-8")  # a line break or tab inside a literal is written \n or \t
    if "\r" in text:  # a CR in a literal is written \r, so this one ends a line (CRLF, not Oxigraph's LF)
        text = text.replace("\r\n", "\n")
    header_end = text.find("\n")
    body = text[header_end + 1 :] if header_end >= 0 else ""  # after the header, a line a row
    if body and not body.endswith("\n"):  # (Oxigraph ends the last too; a row is not lost if not)
        body += "\n"
    count = body.count("\n")
    if count == 0 or width == 0:  # without columns, each solution is an empty line
        return ((),) * count
    # Every cell of every row at once: split, looked up and cut into rows without a Python call
    # per cell (a dict whose misses read the cell), at 10,000 AI systems 300,000 cells. The cells
    # are counted in all, not row by row: Oxigraph writes whole rows, so this only guards against
    # being handed the wrong width.
    cells = body[:-1].replace("\n", "\t").split("\t")
    if len(cells) != count * width:
        raise ValueError(f"result rows of other than {width} cells")
    terms = list(map(_Cells().__getitem__, cells))
    return tuple(zip(*[iter(terms)] * width, strict=True))


class _Cells(dict[str, "Term | None"]):
    """Each distinct cell's term, read once: the text of a cell repeats row after row."""

    def __init__(self) -> None:
        super().__init__({"": None})

    def __missing__(self, cell: str) -> Term | None:
        found = self[cell] = _term(cell)
        return found


def _term(cell: str) -> Term:
    first = cell[0]
    if first == "<":
        if cell.startswith("<<"):
            raise ValueError(f"unsupported term {cell}")
        return Term(TermKind.IRI, cell[1:-1])
    if first == "_":
        return Term(TermKind.BLANK, cell[2:])
    if first == '"':
        return _quoted(cell)
    if cell in ("true", "false"):
        return Term(TermKind.LITERAL, cell, _XSD + "boolean")
    for pattern, datatype in ((_BARE_INTEGER, "integer"), (_BARE_DECIMAL, "decimal"), (_BARE_DOUBLE, "double")):
        if pattern.fullmatch(cell):
            return Term(TermKind.LITERAL, cell, _XSD + datatype)
    raise ValueError(f"unsupported term {cell}")


def _quoted(cell: str) -> Term:
    end = cell.rindex('"')  # neither a language tag nor a datatype IRI holds a quote
    value, suffix = _unescape(cell[1:end]), cell[end + 1 :]
    if not suffix:
        return Term(TermKind.LITERAL, value, _XSD + "string")
    if suffix[0] == "@":
        return Term(TermKind.LITERAL, value, None, suffix[1:])
    return Term(TermKind.LITERAL, value, suffix[3:-1])  # ^^<datatype>


def _unescape(text: str) -> str:
    if "\\" not in text:
        return text
    return _ESCAPE.sub(
        lambda m: chr(int(m.group(1) or m.group(2), 16)) if m.group(3) is None else _ESCAPED[m.group(3)], text
    )
