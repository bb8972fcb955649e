"""A SPARQL query's triple patterns, read from its algebra: what ``dependencies`` walks.

Each variable is told apart from a same-named one local to another sub-SELECT; each pattern
knows the parts that may or may not match which it is inside (OPTIONAL, UNION branches, MINUS,
EXISTS), and whether it stands alone in a sub-SELECT that only asks whether it matches.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import pyoxigraph
from rdflib import BNode, Literal, URIRef, Variable
from rdflib.paths import AlternativePath, InvPath, MulPath, NegatedPath, Path, SequencePath
from rdflib.plugins.sparql.algebra import translateQuery
from rdflib.plugins.sparql.parser import parseQuery
from rdflib.plugins.sparql.parserutils import CompValue

from aimsgraph import load

Term = pyoxigraph.NamedNode | pyoxigraph.BlankNode | pyoxigraph.Literal | pyoxigraph.Triple
_PROBE = pyoxigraph.NamedNode("urn:aimsgraph:probe")

_EXPRESSIONS = (
    "Aggregate_",
    "Conditional",
    "Relational",
    "Additive",
    "Multiplicative",
    "Unary",
    "Function",
    "OrderCondition",
)
# the algebra a check's body may be made of; anything else (GRAPH, SERVICE) is not followed
_KNOWN = {
    "SelectQuery", "Project", "Distinct", "Reduced", "Filter", "Join", "LeftJoin", "Union", "Minus",
    "Extend", "ToMultiSet", "Group", "AggregateJoin", "BGP", "OrderBy", "Slice", "values",
    "Builtin_EXISTS", "Builtin_NOTEXISTS", "GroupGraphPatternSub", "TriplesBlock", "TrueFilter",
}  # fmt: skip


class UnfollowableError(Exception):
    """The query has a construct the analysis does not follow."""


@dataclass(frozen=True)
class Var:
    """A variable of the query, told apart from a same-named one local to another sub-SELECT."""

    name: str
    scope: int = 0


Position = Var | Term


@dataclass(frozen=True)
class Pattern:
    """One triple pattern: its path is a predicate, a variable or an rdflib property path."""

    subject: Position
    path: URIRef | Var | Path
    object: Position
    # for a pattern alone in a sub-SELECT that only asks whether it matches (GROUP BY or DISTINCT
    # on its variables): those it gives out. Its answer changes only if a value starts or stops
    # matching at all, which is tested on the store before any walk.
    existential: frozenset[Var] | None = None
    # the parts that may or may not match, which it is inside (an OPTIONAL's, a UNION branch, a
    # MINUS's, an EXISTS's), outermost first: see _joined
    context: tuple[int, ...] = ()

    @property
    def variables(self) -> list[Var]:
        return [p for p in (self.subject, self.path, self.object) if isinstance(p, Var)]


@dataclass(frozen=True)
class Link:
    """A BIND that copies one variable into another."""

    source: Var
    target: Var
    context: tuple[int, ...] = ()


@dataclass(frozen=True)
class Patterns:
    """A query's triple patterns, its BINDs that copy a variable, and its UNIONs (the optional
    parts each is in, and its branches)."""

    patterns: list[Pattern]
    links: list[Link]
    unions: list[tuple[tuple[int, ...], tuple[int, ...]]]


def read(query: str) -> Patterns:
    """Give the patterns of ``query``.

    :raises UnfollowableError: the query has a construct the reading does not follow.
    """
    reader = _Reader()
    reader.read(translateQuery(parseQuery(query)).algebra, 0, {})
    return Patterns(reader.patterns, reader.links, reader.unions)


class _Reader:
    """Collects a query's triple patterns from its algebra, naming each sub-SELECT's own variables apart."""

    def __init__(self) -> None:
        self.patterns: list[Pattern] = []
        self.links: list[Link] = []
        self.unions: list[tuple[tuple[int, ...], tuple[int, ...]]] = []
        self._scopes = itertools.count(1)
        self._parts = itertools.count(1)
        self._context: tuple[int, ...] = ()

    def _read_apart(self, node: object, scope: int, outer: dict[str, int]) -> int:
        """Read a part that may or may not match (an OPTIONAL's, a UNION branch, ...); give its number."""
        enclosing = self._context
        part = next(self._parts)
        self._context = (*enclosing, part)
        try:
            self.read(node, scope, outer)
        finally:
            self._context = enclosing
        return part

    def read(self, node: object, scope: int, outer: dict[str, int]) -> None:
        """Read ``node``; ``outer`` maps the names visible from enclosing scopes to their scope."""
        if isinstance(node, list | tuple):
            for item in node:
                self.read(item, scope, outer)
            return
        if not isinstance(node, CompValue):
            return
        name = node.name
        if self._read_optional(node, scope, outer):
            return
        if name not in _KNOWN and not name.startswith(_EXPRESSIONS):
            raise UnfollowableError(name)
        sub_select = _sub_select(node) if "__top__" in outer else None  # the first Project is the query's own
        if sub_select is not None:
            self._sub_select(*sub_select, scope, outer)
            return
        if name == "Project":
            outer = {**outer, "__top__": 0}
        if name in ("BGP", "TriplesBlock"):
            for triple in _triples(node["triples"]):
                self.patterns.append(self._pattern(triple, scope, outer))
            return
        if name == "Extend" and isinstance(node["expr"], Variable):
            source, target = self._var(node["expr"], scope, outer), self._var(node["var"], scope, outer)
            self.links.append(Link(source, target, self._context))
        for key, value in node.items():
            if key != "_vars":
                self.read(value, scope, outer)

    def _read_optional(self, node: CompValue, scope: int, outer: dict[str, int]) -> bool:
        """Read ``node`` if it has parts that may or may not match; give whether it had."""
        name = node.name
        if name in ("Builtin_EXISTS", "Builtin_NOTEXISTS"):
            # rdflib keeps the translated group as an attribute; the item is what it started
            # from, less the filters it took out
            self._read_apart(node.__dict__.get("graph", node.get("graph")), scope, outer)
        elif name.startswith("Builtin_"):  # a function: its arguments may hold an EXISTS
            self.read(list(node.values()), scope, outer)
        elif name == "Union":  # each branch a part of its own; a row matches one
            branches = tuple(self._read_apart(branch, scope, outer) for branch in _branches(node))
            self.unions.append((self._context, branches))
        elif name in ("LeftJoin", "Minus"):
            self.read(node["p1"], scope, outer)
            self._read_apart([node["p2"], node.get("expr")], scope, outer)
        else:
            return False
        return True

    def _sub_select(self, node: CompValue, distinct: bool, scope: int, outer: dict[str, int]) -> None:
        """A sub-SELECT shares only the variables it projects; the others are its own."""
        inner = next(self._scopes)
        projected = {str(v) for v in node["PV"]}
        names = {**{n: s for n, s in outer.items() if n in projected}, "__top__": 0}
        for n in projected:
            names.setdefault(n, scope)
        before = len(self.patterns)
        self.read(node["p"], inner, names)
        if len(self.patterns) == before + 1 and _only_asks(
            node["p"], projected, distinct=distinct, samples=_samples(node["p"])
        ):
            pattern = self.patterns[-1]
            local = [v for v in pattern.variables if v.scope == inner]
            if len(local) == len(set(local)) and not isinstance(pattern.path, Path):
                given = frozenset(v for v in pattern.variables if v.scope != inner)
                self.patterns[-1] = Pattern(pattern.subject, pattern.path, pattern.object, given, pattern.context)

    def _var(self, variable: Variable | BNode, scope: int, outer: dict[str, int]) -> Var:
        name = str(variable) if isinstance(variable, Variable) else "_:" + str(variable)
        return Var(name, outer.get(name, scope))

    def _pattern(self, triple: Sequence[object], scope: int, outer: dict[str, int]) -> Pattern:
        subject, path, object_ = triple
        return Pattern(
            self._position(subject, scope, outer),
            self._path(path, scope, outer),
            self._position(object_, scope, outer),
            context=self._context,
        )

    def _position(self, term: object, scope: int, outer: dict[str, int]) -> Position:
        if isinstance(term, Variable | BNode):
            return self._var(term, scope, outer)
        if isinstance(term, URIRef):
            return load.to_oxigraph(term)
        if isinstance(term, Literal):  # as the store keeps it ("1.0"^^xsd:decimal matches "1")
            probe = pyoxigraph.Store()
            probe.add(pyoxigraph.Quad(_PROBE, _PROBE, load.to_oxigraph(term)))
            stored: Term = next(iter(probe)).object
            return stored
        raise UnfollowableError(repr(term))

    def _path(self, path: object, scope: int, outer: dict[str, int]) -> URIRef | Var | Path:
        if isinstance(path, Variable):
            return self._var(path, scope, outer)
        if isinstance(path, URIRef | Path):
            predicates(path)  # raises on a kind of path the walks do not know
            return path
        raise UnfollowableError(repr(path))


def _branches(node: object) -> list[object]:
    """Give the branches of a UNION, which rdflib nests two by two."""
    if isinstance(node, CompValue) and node.name == "Union":
        return [*_branches(node["p1"]), *_branches(node["p2"])]
    return [node]


def _sub_select(node: CompValue) -> tuple[CompValue, bool] | None:
    """Give the Project of a sub-SELECT that ``node`` is, and whether it is DISTINCT; None if it is none."""
    if node.name == "Project":
        return node, False
    inner = node.get("p")
    if node.name == "Distinct" and isinstance(inner, CompValue) and inner.name == "Project":
        return inner, True
    return None


def _triples(blocks: Sequence[Sequence[object]]) -> Iterator[Sequence[object]]:
    """Give the triples of a BGP (triples) or of an EXISTS group not yet translated (flat lists)."""
    for block in blocks:
        if len(block) % 3:
            raise UnfollowableError("a triples block of unexpected shape")
        for i in range(0, len(block), 3):
            yield block[i : i + 3]


def _only_asks(node: object, projected: set[str], *, distinct: bool, samples: frozenset[str] = frozenset()) -> bool:
    """Whether a sub-SELECT's body only asks which values of ``projected`` match its one pattern:
    made distinct or grouped by them, with filters on those values alone and no aggregate but
    SAMPLE of them (``samples``: their results). (Without DISTINCT or GROUP BY, each match is a
    row of its own, and a count outside would see it.)"""
    if not isinstance(node, CompValue):
        return False
    name = node.name
    if name == "Group":
        grouped = {str(v) for v in node.get("expr") or []}
        return grouped == projected and _only_asks(node["p"], projected, distinct=True, samples=samples)
    if name == "Filter":
        fair = _variables(node["expr"]) <= projected
        return fair and _only_asks(node["p"], projected, distinct=distinct, samples=samples)
    if name == "Extend":
        fair = str(node["var"]) in projected and _variables(node["expr"]) <= projected | samples
        return fair and _only_asks(node["p"], projected, distinct=distinct, samples=samples)
    if name == "AggregateJoin":
        fair = all(a.name == "Aggregate_Sample" and str(a["vars"]) in projected for a in node["A"])
        return fair and _only_asks(node["p"], projected, distinct=distinct, samples=samples)
    return distinct and name == "BGP" and len(node["triples"]) == 1


def _samples(node: object) -> frozenset[str]:
    """Give the results of the aggregates in a sub-SELECT's body (which _only_asks then requires
    to be SAMPLEs of what it gives), read by the BINDs above them."""
    if not isinstance(node, CompValue):
        return frozenset()
    found = {str(a["res"]) for a in node["A"]} if node.name == "AggregateJoin" else set()
    return frozenset(found).union(_samples(node.get("p")))


def _variables(expression: object) -> set[str]:
    """Give the names of the variables an expression reads (rdflib's own list misses some)."""
    if isinstance(expression, Variable):
        return {str(expression)}
    if isinstance(expression, CompValue):
        values: list[object] = [v for k, v in expression.items() if k != "_vars"]
        values.append(expression.__dict__.get("graph"))  # an EXISTS's group, kept as an attribute
        return set().union(*map(_variables, values)) if values else set()
    if isinstance(expression, list | tuple):
        return set().union(*map(_variables, expression)) if expression else set()
    return set()


def nullable(path: object) -> bool:
    """Whether ``path`` has a zero-length match (p*, p?), from any node of the graph to itself."""
    if isinstance(path, MulPath):
        return path.mod in ("*", "?") or nullable(path.path)
    if isinstance(path, InvPath):
        return nullable(path.arg)
    if isinstance(path, SequencePath):
        return all(nullable(arg) for arg in path.args)
    if isinstance(path, AlternativePath):
        return any(nullable(arg) for arg in path.args)
    return False


def predicates(path: URIRef | Var | Path) -> set[str] | None:
    if isinstance(path, URIRef):
        return {str(path)}
    if isinstance(path, Var | NegatedPath):
        return None
    if isinstance(path, InvPath):
        return predicates(path.arg)
    if isinstance(path, MulPath):
        return predicates(path.path)
    if isinstance(path, SequencePath | AlternativePath):
        found: set[str] = set()
        for arg in path.args:
            inner = predicates(arg)
            if inner is None:
                return None
            found |= inner
        return found
    raise UnfollowableError(repr(path))
