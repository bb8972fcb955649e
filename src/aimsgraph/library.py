"""The query library: SPARQL files with a metadata header, and their typed parameters.

A library query starts with comment lines that describe it::

    # id: evidence-expiry
    # title: Evidence expiring soon or already expired
    # description: One line, or several, each continuation line
    #   indented after the '#'.
    # clauses: 7.5.3 9.1
    # param: asOf date = today ; The date the evidence is judged on.
    # param: horizon date = asOf+30d ; The last day counted as expiring soon.
    # columns: evidence label due status
    # lists: supports

A parameter is a SPARQL variable of the query; its value is bound by the runner
(:mod:`aimsgraph.sparql`), never pasted into the text. ``lists`` names columns that hold several
IRIs joined by ``|`` (GROUP_CONCAT), which the runner sorts so that every engine agrees.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

import pyoxigraph

from aimsgraph import assets
from aimsgraph.errors import UsageError

XSD = "http://www.w3.org/2001/XMLSchema#"
_HEADER_LINE = re.compile(r"^#\s?(?P<key>[a-z]+):\s*(?P<value>.*)$")
_CONTINUATION = re.compile(r"^#\s{2,}(?P<value>\S.*)$")
_RELATIVE_DATE = re.compile(r"^(?P<base>[A-Za-z_]\w*)\+(?P<days>\d+)d$")
_NAME = re.compile(r"^[A-Za-z_]\w*$")


class ParamType(enum.Enum):
    """The type of a query parameter, and so of the RDF term bound to it."""

    DATE = "date"
    INTEGER = "integer"
    DECIMAL = "decimal"
    BOOLEAN = "boolean"
    STRING = "string"
    IRI = "iri"


@dataclass(frozen=True)
class Parameter:
    """A typed parameter of a query, with its default as written in the header."""

    name: str
    type: ParamType
    default: str | None
    description: str


@dataclass(frozen=True)
class QueryDefinition:
    """A SPARQL query with its metadata."""

    id: str
    title: str
    description: str
    clauses: tuple[str, ...]
    params: tuple[Parameter, ...]
    columns: tuple[str, ...]
    lists: tuple[str, ...]
    text: str
    source: str


@lru_cache(maxsize=1)
def library() -> tuple[QueryDefinition, ...]:
    """Give the bundled library queries (not the engine's internal ones), ordered by id; read once."""
    found = [
        parse_definition(resource.read_text(encoding="utf-8"), source=f"queries/{resource.name}")
        for resource in assets.query_files()
    ]
    return tuple(sorted(found, key=lambda definition: definition.id))


def find(query_id: str) -> QueryDefinition:
    """Give the library query with id ``query_id``.

    :raises UsageError: no library query has that id.
    """
    for definition in library():
        if definition.id == query_id:
            return definition
    known = ", ".join(d.id for d in library())
    raise UsageError(f"no library query {query_id!r} (known: {known})")


def parse_definition(text: str, *, source: str) -> QueryDefinition:
    """Give the definition of the query ``text``; a query without a header gets an id from its source.

    :raises UsageError: the header is malformed (a parameter of unknown type, a bad default).
    """
    fields: dict[str, list[str]] = {}
    last: str | None = None
    for line in text.splitlines():
        if not line.startswith("#"):
            if line.strip():
                break
            continue
        header = _HEADER_LINE.match(line)
        continuation = _CONTINUATION.match(line)
        if continuation and last is not None:
            fields[last][-1] += " " + continuation.group("value").strip()
        elif header:
            last = header.group("key")
            fields.setdefault(last, []).append(header.group("value").strip())
    stem = source.rsplit("/", 1)[-1].removesuffix(".rq")
    params = tuple(_parameter(line, source) for line in fields.get("param", []))
    return QueryDefinition(
        id=_one(fields, "id") or stem,
        title=_one(fields, "title") or stem,
        description=_one(fields, "description") or "",
        clauses=tuple((_one(fields, "clauses") or "").replace(",", " ").split()),
        params=params,
        columns=tuple((_one(fields, "columns") or "").replace(",", " ").split()),
        lists=tuple((_one(fields, "lists") or "").replace(",", " ").split()),
        text=text,
        source=source,
    )


def _one(fields: dict[str, list[str]], key: str) -> str | None:
    values = fields.get(key)
    return values[0] if values else None


def _parameter(line: str, source: str) -> Parameter:
    declaration, _, description = line.partition(";")
    match = re.match(r"^(?P<name>\w+)\s+(?P<type>\w+)(?:\s*=\s*(?P<default>\S+))?\s*$", declaration.strip())
    if not match:
        raise UsageError(f"{source}: malformed parameter line {line!r} (expected 'name type [= default] ; text')")
    try:
        kind = ParamType(match.group("type"))
    except ValueError:
        known = ", ".join(t.value for t in ParamType)
        raise UsageError(
            f"{source}: parameter {match.group('name')} has unknown type {match.group('type')!r} (known: {known})"
        ) from None
    return Parameter(match.group("name"), kind, match.group("default"), description.strip())


def bind_values(
    definition: QueryDefinition, given: dict[str, str], *, today: dt.date
) -> dict[str, pyoxigraph.NamedNode | pyoxigraph.Literal]:
    """Give the typed RDF term for every parameter: the given text, else the default.

    :raises UsageError: a parameter is unknown, has a value of the wrong type, or has no value.
    """
    declared = {p.name: p for p in definition.params}
    unknown = sorted(set(given) - set(declared))
    if unknown:
        names = ", ".join(declared) or "none"
        raise UsageError(f"query {definition.id} has no parameter {unknown[0]!r} (its parameters: {names})")
    bound: dict[str, pyoxigraph.NamedNode | pyoxigraph.Literal] = {}
    dates: dict[str, dt.date] = {}
    # Defaults may refer to other date parameters (horizon = asOf+30d), so resolve in header order.
    for parameter in definition.params:
        raw = given.get(parameter.name, parameter.default)
        if raw is None:
            raise UsageError(f"query {definition.id} needs a value for parameter {parameter.name}")
        if parameter.type is ParamType.DATE and parameter.name not in given:
            value = _default_date(raw, dates, today, definition.id, parameter.name)
            dates[parameter.name] = value
            bound[parameter.name] = _literal(value.isoformat(), "date")
            continue
        term = _term(parameter, raw, definition.id)
        if parameter.type is ParamType.DATE:
            dates[parameter.name] = parse_date(raw)
        bound[parameter.name] = term
    return bound


def _default_date(raw: str, dates: dict[str, dt.date], today: dt.date, query_id: str, name: str) -> dt.date:
    if raw == "today":
        return today
    relative = _RELATIVE_DATE.match(raw)
    try:
        if relative and relative.group("base") in dates:
            return dates[relative.group("base")] + dt.timedelta(days=int(relative.group("days")))
        return parse_date(raw)
    except (ValueError, OverflowError):
        raise UsageError(f"query {query_id}: parameter {name} has an unusable default {raw!r}") from None


def _term(parameter: Parameter, raw: str, query_id: str) -> pyoxigraph.NamedNode | pyoxigraph.Literal:
    wrong = UsageError(f"query {query_id}: parameter {parameter.name} must be {_article(parameter.type)}, not {raw!r}")
    kind = parameter.type
    if kind is ParamType.IRI:
        try:
            return pyoxigraph.NamedNode(raw)  # rejects spaces, '>' and every other character an IRI may not hold
        except ValueError:
            raise wrong from None
    if kind is ParamType.DATE:
        try:
            return _literal(parse_date(raw).isoformat(), "date")
        except ValueError:
            raise wrong from None
    if kind is ParamType.INTEGER:
        if not re.fullmatch(r"[+-]?\d+", raw):
            raise wrong
        return _literal(str(int(raw)), "integer")
    if kind is ParamType.DECIMAL:
        if not re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)", raw):  # xsd:decimal: no exponent, NaN or infinity
            raise wrong
        return _literal(str(Decimal(raw)), "decimal")
    if kind is ParamType.BOOLEAN:
        if raw.lower() not in ("true", "false"):
            raise wrong
        return _literal(raw.lower(), "boolean")
    return pyoxigraph.Literal(raw)


def parse_date(text: str) -> dt.date:
    """Give the date written YYYY-MM-DD (Python also reads 20261126 and 2026-W48-4; we do not).

    :raises ValueError: ``text`` is not such a date.
    """
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        raise ValueError(text)
    return dt.date.fromisoformat(text)


def _literal(value: str, datatype: str) -> pyoxigraph.Literal:
    return pyoxigraph.Literal(value, datatype=pyoxigraph.NamedNode(XSD + datatype))


def _article(kind: ParamType) -> str:
    return {
        ParamType.DATE: "a date (YYYY-MM-DD)",
        ParamType.INTEGER: "an integer",
        ParamType.DECIMAL: "a decimal number",
        ParamType.BOOLEAN: "true or false",
        ParamType.IRI: "an absolute IRI",
        ParamType.STRING: "a string",
    }[kind]


def parse_assignments(assignments: list[str]) -> dict[str, str]:
    """Give ``name=value`` command-line assignments as a dictionary.

    :raises UsageError: an assignment has no '=' or an invalid name, or a name is given twice.
    """
    given: dict[str, str] = {}
    for assignment in assignments:
        name, sep, value = assignment.partition("=")
        if not sep or not _NAME.match(name):
            raise UsageError(f"--param {assignment!r}: expected name=value")
        if name in given:
            raise UsageError(f"--param {name} is given twice")
        given[name] = value
    return given
