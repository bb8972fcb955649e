"""Running SPARQL queries: safely bound parameters, one result type per query form, Oxigraph first.

Parameters are bound by a ``VALUES`` block placed at the start of the query's WHERE group, built
from RDF terms that Oxigraph serialises (so quotes, braces and spaces in a value stay inside the
value). Every query is first parsed by rdflib, whose algebra is walked to refuse ``SERVICE``
unless the caller allows it; the text is checked once and the check cached. Queries run on
Oxigraph; :func:`run_on_rdflib` runs the same bound text on rdflib, which the tests use to show
both engines agree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import pyoxigraph
from pyparsing import ParseException
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.plugins.sparql import prepareQuery
from rdflib.plugins.sparql.algebra import translateUpdate, traverse
from rdflib.plugins.sparql.parser import expandUnicodeEscapes, parseUpdate
from rdflib.plugins.sparql.parserutils import CompValue
from rdflib.plugins.sparql.sparql import Update
from rdflib.term import Identifier, Node, Variable

from aimsgraph import limits, load, results_tsv
from aimsgraph.errors import InputError, UsageError
from aimsgraph.model import Term, TermKind

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
RESERVED_GRAPHS = "urn:aimsgraph:graph:"
_TOKEN = re.compile(
    r"""
      (?P<comment>\#[^\n]*)
    | (?P<longstring>\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"|'''(?:[^'\\]|\\.|'(?!''))*''')
    | (?P<string>"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')
    | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
    | (?P<where>\bWHERE\b)
    | (?P<brace>\{)
    | (?P<other>[^#"'<{W]+|.)
    """,
    re.VERBOSE | re.IGNORECASE | re.DOTALL,
)
_POSITION = re.compile(r"(?:at |line:)(\d+)[:,] ?(?:col:)?(\d+)")


@dataclass(frozen=True)
class SelectResult:
    """The solutions of a SELECT query: column names and rows of terms (None where unbound)."""

    columns: tuple[str, ...]
    rows: tuple[tuple[Term | None, ...], ...]


@dataclass(frozen=True)
class AskResult:
    """The answer of an ASK query."""

    value: bool


@dataclass(frozen=True)
class GraphResult:
    """The triples of a CONSTRUCT or DESCRIBE query."""

    triples: tuple[tuple[Term, Term, Term], ...]


QueryResult = SelectResult | AskResult | GraphResult


def normalise(text: str) -> str:
    """Give ``text`` with every line end written as LF.

    rdflib ends a ``#`` comment only at LF, Oxigraph at CR too, so ``# \r SERVICE <...>`` would
    be a comment to the check and a call to the engine. The check and the run are therefore
    always given the same text, with CR and CRLF turned into LF.
    """
    return text.replace("\r\n", "\n").replace("\r", "\n")


def check(text: str, *, source: str, allow_service: bool = False, how_to_allow: str = "") -> str:
    """Check that ``text`` is a SPARQL query that may run here; give the text to run (normalised).
    ``how_to_allow``: what the refusal of SERVICE tells the user, where they can allow it.

    :raises InputError: it is not a well-formed query (with line and column where known).
    :raises UsageError: it calls a remote service and ``allow_service`` is false, or it is an update.
    """
    text = normalise(text)
    uses_service = _uses_service(text, source)
    if uses_service and not allow_service:
        allow = f" ({how_to_allow})" if how_to_allow else ""
        raise UsageError(f"{source}: the query calls a remote SERVICE, which is refused{allow}")
    return text


def has_dataset_clause(text: str, *, source: str) -> bool:
    """Give whether the query ``text`` names graphs with FROM or FROM NAMED.

    :raises InputError: it is not a well-formed query.
    """
    return bool(_parsed(normalise(text), source).get("datasetClause"))


def is_graph_query(text: str, *, source: str) -> bool:
    """Give whether ``text`` is a CONSTRUCT or DESCRIBE query (a graph result) rather than SELECT or ASK.

    :raises InputError: it is not a well-formed query.
    """
    return _parsed(normalise(text), source).name in ("ConstructQuery", "DescribeQuery")


@lru_cache(maxsize=256)
def _parsed(text: str, source: str) -> CompValue:
    problem = limits.query_problem(text)
    if problem is not None:
        raise InputError(problem, source=source)
    if not _code(text).strip():
        raise InputError("the query is empty", source=source)
    try:
        return prepareQuery(text).algebra
    except ParseException as error:
        if _is_update(text):
            raise UsageError(f"{source}: this is a SPARQL update; only queries run here") from None
        raise InputError(
            f"SPARQL syntax error: {_reason(error.msg)}", source=source, line=error.lineno, column=error.col
        ) from None
    except Exception as error:  # rdflib raises bare exceptions for some malformed queries
        raise InputError(f"SPARQL error: {error}", source=source) from None


@lru_cache(maxsize=256)
def _uses_service(text: str, source: str) -> bool:
    algebra = _parsed(text, source)
    found: list[bool] = []

    def visit(node: object) -> None:
        if isinstance(node, CompValue) and node.name == "ServiceGraphPattern":
            found.append(True)

    traverse(algebra, visitPre=visit)
    return bool(found)


def _is_update(text: str) -> bool:
    try:
        return bool(_operations(text))  # (an update of no operation, a prologue alone, is no update)
    except Exception:  # any failure means: not an update either
        return False


@lru_cache(maxsize=4)
def _operations(text: str) -> tuple[CompValue, ...]:
    """Give the operations of the update ``text``, none for an update of none (which the grammar
    allows: a prologue alone, a comment, nothing).

    :raises ParseException: it is not a well-formed update (or other rdflib exceptions).
    """
    algebra = translateUpdate(parseUpdate(text))
    return tuple(algebra.algebra) if isinstance(algebra, Update) else ()  # rdflib gives [] for none


def has_operations(text: str) -> bool:
    """Give whether the checked update ``text`` has an operation to run."""
    return bool(_operations(text))


def syntax_error(message: str, *, source: str) -> InputError:
    """Give the error for one of Oxigraph's syntax errors, with the line and column it names."""
    position = _POSITION.search(message)
    line, column = (int(position.group(1)), int(position.group(2))) if position else (None, None)
    return InputError(f"SPARQL syntax error: {message}", source=source, line=line, column=column)


def check_update(text: str, *, source: str) -> str:
    """Check that ``text`` is a SPARQL update that may run on the store from the network; give the
    text to run (normalised, see :func:`normalise`).

    :raises InputError: it is not a well-formed update.
    :raises UsageError: it uses LOAD or SERVICE (both fetch from elsewhere) or writes a graph
        reserved for aimsgraph.
    """
    text = normalise(text)
    problem = limits.query_problem(text)
    if problem is not None:
        raise InputError(problem.replace("query", "update"), source=source)
    try:
        operations = _operations(text)
    except ParseException as error:
        raise InputError(
            f"SPARQL syntax error: {_reason(error.msg)}", source=source, line=error.lineno, column=error.col
        ) from None
    except Exception as error:  # rdflib raises bare exceptions for some malformed updates
        raise InputError(f"SPARQL error: {error}", source=source) from None
    refused: list[str] = []

    def visit(node: object) -> None:
        if isinstance(node, CompValue) and node.name in ("Load", "ServiceGraphPattern"):
            refused.append("LOAD" if node.name == "Load" else "SERVICE")
        elif (
            isinstance(node, CompValue) and node.name in ("Drop", "Clear") and node.get("graphiri") in ("ALL", "NAMED")
        ):
            # ALL and NAMED reach the catalogue and the change log too: name the graphs instead
            refused.append(f"{node.name.upper()} {node['graphiri']}")
        elif isinstance(node, CompValue) and any(isinstance(g, Variable) for g in (node.get("quads") or {})):
            # a graph chosen by a variable could be any graph, the reserved ones included
            refused.append("a GRAPH ?variable in what it deletes or inserts")
        elif isinstance(node, CompValue) and any(_reserved(g) for g in (node.get("quads") or {})):
            # the graphs of INSERT/DELETE DATA and of templates sit in a dictionary the walk does
            # not enter; a prefixed name (a:graph:history) hides them from a look at the text
            refused.append(f"the reserved graph <{next(g for g in node['quads'] if _reserved(g))}>")
        elif _reserved(node):
            refused.append(f"the reserved graph <{node}>")

    for operation in operations:
        traverse(operation, visitPre=visit)
    # INSERT DATA and DELETE DATA keep their quads in plain dictionaries that the walk does not
    # enter, so the reserved graph names are also looked for in the text, escapes expanded.
    if RESERVED_GRAPHS in expandUnicodeEscapes(text):
        refused.append("a reserved graph (urn:aimsgraph:graph:...)")
    if refused:
        raise UsageError(f"{source}: the update uses {refused[0]}, which is not allowed here")
    return text


_STRING_IRI_OR_COMMENT = re.compile(
    r'"""(?:[^"\\]++|\\.|"(?!""))*+(?:"""|\Z)'
    r"|'''(?:[^'\\]++|\\.|'(?!''))*+(?:'''|\Z)"
    r'|"(?:[^"\\\n]++|\\.)*+(?:"|(?=\n)|\Z)'
    r"|'(?:[^'\\\n]++|\\.)*+(?:'|(?=\n)|\Z)"
    r'|<[^<>"{}|^`\\\s]*+>'
    r"|#[^\n]*"
)


def ends_with_separator(text: str) -> bool:
    """Give whether an update's last operation is followed by ';' (comments ignored), so that
    another operation can be appended with or without one."""
    return _code(text).rstrip().endswith(";")


def _code(text: str) -> str:
    """Give ``text`` without its comments, each string and IRI written as ``x``."""
    return _STRING_IRI_OR_COMMENT.sub(lambda m: "" if m.group().startswith("#") else "x", text)


def written_graphs(text: str) -> frozenset[str | None]:
    """Give the graphs a checked update can change (None for the default graph), so that the change
    log can record what each holds afterwards.

    :func:`check_update` refuses GRAPH ?variable in what an update deletes or inserts, and ALL
    and NAMED, so every graph an update writes is named in its text.
    """
    written: set[str | None] = set()

    def graph(term: object) -> str | None:
        return None if term == "DEFAULT" else str(term)

    # CompValue.get gives the key itself for a missing key: parts are read as from a plain dict.
    for operation in _operations(text):
        if operation.name in ("Drop", "Clear", "Create"):
            written.add(graph(operation["graphiri"]))
        elif operation.name in ("Add", "Copy"):
            written.add(graph(operation["graph"][1]))
        elif operation.name == "Move":
            written.update(graph(g) for g in operation["graph"])
        else:  # InsertData, DeleteData, DeleteWhere, Modify (its templates are its delete and insert)
            parts = ("delete", "insert") if operation.name == "Modify" else ()
            templates = [t for t in (dict.get(operation, part) for part in parts) if t is not None]
            for template in templates or [operation]:
                written.update(str(g) for g in (dict.get(template, "quads") or {}))
                if dict.get(template, "triples"):
                    written.add(graph(dict.get(operation, "withClause") or "DEFAULT"))
    return frozenset(written)


def _reserved(term: object) -> bool:
    return isinstance(term, URIRef) and str(term).startswith(RESERVED_GRAPHS)


def _reason(message: str) -> str:
    return message.split(", found", 1)[0] if message else "malformed query"


def bind(text: str, values: dict[str, pyoxigraph.NamedNode | pyoxigraph.Literal]) -> str:
    """Give ``text`` with ``values`` bound by a VALUES block at the start of its WHERE group."""
    if not values:
        return text
    names = list(values)
    block = (
        "VALUES (" + " ".join(f"?{name}" for name in names) + ") { (" + " ".join(str(values[n]) for n in names) + ") }"
    )
    position = _where_group_start(text)
    return f"{text[:position]} {block}\n{text[position:]}"


def _where_group_start(text: str) -> int:
    """Give the index just after the '{' that opens the query pattern: the first after a top-level
    WHERE, or, in a query written without WHERE, the first '{' of all (strings, IRIs and comments
    are skipped)."""
    first_brace: int | None = None
    saw_where = False
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup
        if kind == "where":
            saw_where = True
        elif kind == "brace":
            if saw_where:
                return match.end()
            if first_brace is None:
                first_brace = match.end()
    if first_brace is None:
        raise UsageError("the query has no graph pattern to bind parameters in")
    return first_brace


def run(store: pyoxigraph.Store, text: str, *, source: str, lists: tuple[str, ...] = ()) -> QueryResult:
    """Give the result of running the (checked and bound) query ``text`` on ``store``.

    :raises InputError: Oxigraph cannot parse or evaluate the query.
    """
    try:
        # Oxigraph evaluates lazily: reading the rows belongs inside the try too.
        result = store.query(normalise(text))
        if isinstance(result, pyoxigraph.QueryBoolean):
            return AskResult(bool(result))
        if isinstance(result, pyoxigraph.QueryTriples):
            return GraphResult(tuple((_ox(t.subject), _ox(t.predicate), _ox(t.object)) for t in result))
        # read from Oxigraph's TSV, not term object by term object (see results_tsv)
        tsv = result.serialize(format=pyoxigraph.QueryResultsFormat.TSV)
        assert tsv is not None  # given no file to write to, it gives the bytes
        return select_from_tsv(tsv, lists=lists)
    except SyntaxError as error:
        raise syntax_error(str(error), source=source) from None
    except (OSError, RuntimeError, ValueError) as error:
        raise InputError(f"SPARQL evaluation failed: {error}", source=source) from None


def select_from_tsv(tsv: bytes, *, lists: tuple[str, ...] = ()) -> SelectResult:
    """Give the SELECT result a store wrote as SPARQL TSV, ``lists`` as for :func:`run`: so that a
    library query answers the same wherever it runs (a face that asks a store for bytes included).

    :raises ValueError: a cell is not an RDF term aimsgraph takes, or a row is not whole.
    """
    # The rows form no cycle, and the collector would walk, again and again, whatever else is
    # alive (the parsed statements of the AIMS queried): at 10,000 AI systems the risk register
    # took 0.94 s with it, 0.76 s without.
    with load.collection_paused():
        columns = results_tsv.columns(tsv)
        return _normalise(SelectResult(columns, results_tsv.rows(tsv, len(columns))), lists)


def run_on_rdflib(
    graph: Graph,
    text: str,
    values: dict[str, pyoxigraph.NamedNode | pyoxigraph.Literal],
    *,
    lists: tuple[str, ...] = (),
) -> QueryResult:
    """Give the result of the unbound query ``text`` on rdflib's engine, the reference the tests
    compare Oxigraph with. rdflib takes the parameters as initial bindings: a VALUES block before
    OPTIONAL groups makes rdflib 7.6 drop solutions, so it is not given one."""
    bindings: dict[str, Identifier] = {name: _to_rdflib(term) for name, term in values.items()}
    result = graph.query(text, initBindings=bindings)
    if result.type == "ASK":
        return AskResult(bool(result.askAnswer))
    if result.type in ("CONSTRUCT", "DESCRIBE"):
        return GraphResult(tuple((_rd(s), _rd(p), _rd(o)) for s, p, o in result))  # type: ignore[misc]
    columns = tuple(str(v) for v in result.vars or ())
    rows = tuple(tuple(_rd_or_none(row[i]) for i in range(len(columns))) for row in result)  # type: ignore[index]
    return _normalise(SelectResult(columns, rows), lists)


def select(
    store: pyoxigraph.Store, text: str, *, source: str, lists: tuple[str, ...] = ()
) -> list[dict[str, Term | None]]:
    """Give the solutions of the SELECT query ``text`` (checked and bound) on ``store``, each as a
    dict from column to term (None where unbound); ``lists`` as for :func:`run`.

    :raises InputError: Oxigraph cannot parse or evaluate the query.
    """
    result = run(store, text, source=source, lists=lists)
    assert isinstance(result, SelectResult), f"{source} is not a SELECT query"
    return [dict(zip(result.columns, row, strict=True)) for row in result.rows]


def value(term: Term | None) -> str:
    """Give the lexical value of a term a query always binds."""
    assert term is not None
    return term.value


def members(term: Term | None) -> tuple[str, ...]:
    """Give the members of a list column (see ``lists`` of :func:`run`): none when it is unbound."""
    return tuple(term.value.split("|")) if term is not None else ()


def _normalise(result: SelectResult, lists: tuple[str, ...]) -> SelectResult:
    """Sort the members of GROUP_CONCAT list columns, whose order no engine guarantees, and give an
    empty list as unbound (the spec's GROUP_CONCAT of nothing is "", which Oxigraph leaves unbound)."""
    indexes = [i for i, column in enumerate(result.columns) if column in lists]
    if not indexes:
        return result
    # the same lists come back row after row (a team as owner, a control): each is sorted once,
    # found by its text (a Term's hash, over all its fields, costs more than the sorting)
    sorted_lists: dict[str, Term | None] = {}

    def members(cell: Term) -> Term | None:
        found = sorted_lists.get(cell.value, cell)
        if found is cell:
            kept = sorted(set(filter(None, cell.value.split("|"))))
            found = sorted_lists[cell.value] = Term(TermKind.LITERAL, "|".join(kept), XSD_STRING) if kept else None
        return found

    rows = []
    for row in result.rows:
        cells = list(row)
        for i in indexes:
            cell = cells[i]
            if cell is not None and cell.kind is TermKind.LITERAL:
                cells[i] = members(cell)
        rows.append(tuple(cells))
    return SelectResult(result.columns, tuple(rows))


def _to_rdflib(term: pyoxigraph.NamedNode | pyoxigraph.Literal) -> Identifier:
    if isinstance(term, pyoxigraph.NamedNode):
        return URIRef(term.value)
    if term.language:
        return Literal(term.value, lang=term.language)
    datatype = term.datatype.value
    return Literal(term.value) if datatype == XSD_STRING else Literal(term.value, datatype=URIRef(datatype))


def _ox(term: object) -> Term:
    if isinstance(term, pyoxigraph.NamedNode):
        return Term(TermKind.IRI, term.value)
    if isinstance(term, pyoxigraph.BlankNode):
        return Term(TermKind.BLANK, term.value)
    if isinstance(term, pyoxigraph.Literal):
        language = term.language
        return Term(TermKind.LITERAL, term.value, None if language else term.datatype.value, language)
    raise ValueError(f"unsupported term {term!r}")


def _rd(term: Node) -> Term:
    if isinstance(term, URIRef):
        return Term(TermKind.IRI, str(term))
    if isinstance(term, BNode):
        return Term(TermKind.BLANK, str(term))
    if isinstance(term, Literal):
        language = term.language
        datatype = None if language else str(term.datatype or XSD_STRING)
        return Term(TermKind.LITERAL, str(term), datatype, language)
    raise ValueError(f"unsupported term {term!r}")


def _rd_or_none(term: Node | None) -> Term | None:
    return None if term is None else _rd(term)
