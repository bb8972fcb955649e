"""Which focus nodes a change to the data can affect, read from a check's own query.

A query's answer for one focus node depends only on the triples its patterns can reach from that
node, through variables they share. So, for a changed triple, every pattern it matches binds some
variables; walking back from those values to the focus variable, along every other chain of
patterns that links them, gives the focus nodes whose answer may differ. The walks run on the
store as it is now plus the triples just removed: a chain that held before or holds now is in it.

The analysis errs one way only. Where it cannot follow (a pattern no chain links to the focus
variable, an unusual construct), it answers "every focus node", and the check runs in full.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field

import pyoxigraph
from rdflib import BNode, Literal, URIRef, Variable
from rdflib.paths import AlternativePath, InvPath, MulPath, NegatedPath, Path, SequencePath
from rdflib.plugins.sparql.algebra import translateQuery
from rdflib.plugins.sparql.parser import parseQuery
from rdflib.plugins.sparql.parserutils import CompValue

from aimsgraph import load

Term = pyoxigraph.NamedNode | pyoxigraph.BlankNode | pyoxigraph.Literal | pyoxigraph.Triple
Nodes = set[Term]
_DEFAULT = pyoxigraph.DefaultGraph()
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
class _Var:
    """A variable of the query, told apart from a same-named one local to another sub-SELECT."""

    name: str
    scope: int = 0


_Position = _Var | Term


@dataclass(frozen=True)
class _Pattern:
    """One triple pattern: its path is a predicate, a variable or an rdflib property path."""

    subject: _Position
    path: URIRef | _Var | Path
    object: _Position
    # for a pattern alone in a sub-SELECT that only asks whether it matches (GROUP BY or DISTINCT
    # on its variables): those it gives out. Its answer changes only if a value starts or stops
    # matching at all, which is tested on the store before any walk.
    existential: frozenset[_Var] | None = None

    @property
    def variables(self) -> list[_Var]:
        return [p for p in (self.subject, self.path, self.object) if isinstance(p, _Var)]


@dataclass(frozen=True)
class _Step:
    pattern: _Pattern | None  # None: a BIND that copies one variable into another
    source: _Var
    target: _Var


@dataclass
class Dependencies:
    """How a query's answers for its focus variable depend on the data."""

    focus: _Var
    patterns: list[_Pattern]
    links: list[tuple[_Var, _Var]] = field(default_factory=list)  # BIND (?x AS ?y)
    _chains: dict[tuple[int, _Var], list[list[_Step]]] = field(default_factory=dict)

    @property
    def predicates(self) -> frozenset[str] | None:
        """The predicates a changed triple must have to matter; None: any."""
        found: set[str] = set()
        for pattern in self.patterns:
            predicates = _predicates(pattern.path)
            if predicates is None:
                return None
            found |= predicates
        return frozenset(found)

    @property
    def focus_everywhere(self) -> bool:
        """Whether the focus variable means the focus node wherever it is written (no sub-SELECT
        has a ?this of its own)."""
        names = [v for p in self.patterns for v in p.variables] + [v for link in self.links for v in link]
        return all(v.scope == 0 for v in names if v.name == self.focus.name)

    def affected(self, view: View, changed: Iterable[pyoxigraph.Quad]) -> Nodes | None:
        """Give the focus nodes whose answers the ``changed`` triples (added or removed: ``view``
        holds both) may change; None: possibly all of them."""
        found: Nodes = set()
        for triple in changed:
            for index, pattern in enumerate(self.patterns):
                seeds = _seeds(view, pattern, triple)
                if seeds is None:
                    return None
                if not seeds:
                    continue
                if pattern.existential is not None and not view.starts_or_stops(pattern, triple):
                    continue
                for variable, nodes in seeds.items():
                    if variable == self.focus:
                        found |= nodes
                        continue
                    chains = self._chains_from(index, variable)
                    if chains is None:
                        return None
                    for chain in chains:
                        found |= _walk(view, chain, nodes)
        return found

    def _chains_from(self, index: int, start: _Var) -> list[list[_Step]] | None:
        """Give every chain of patterns from ``start`` to the focus variable that does not use
        pattern ``index`` (its own match already binds the focus, if it has it); None if no chain
        at all links ``start`` to the focus."""
        key = (index, start)
        if key not in self._chains:
            steps = self._steps()
            if not _linked(steps, start, self.focus):
                return None
            chains: list[list[_Step]] = []
            own = self.patterns[index]

            def extend(at: _Var, chain: list[_Step], seen: set[_Var]) -> None:
                if at == self.focus:
                    chains.append(list(chain))
                    return
                for step in steps.get(at, []):
                    # a pattern used twice can be cut short: the triple that matches it binds
                    # both variables, where the chain enters it and where it leaves
                    used = step.pattern is not None and any(s.pattern is step.pattern for s in chain)
                    if step.pattern is own or step.target in seen or used:
                        continue
                    chain.append(step)
                    extend(step.target, chain, seen | {step.target})
                    chain.pop()

            extend(start, [], {start})
            self._chains[key] = chains
        return self._chains[key]

    def _steps(self) -> dict[_Var, list[_Step]]:
        steps: dict[_Var, list[_Step]] = defaultdict(list)
        for pattern in self.patterns:
            for source, target in itertools.permutations(pattern.variables, 2):
                steps[source].append(_Step(pattern, source, target))
        for a, b in self.links:
            steps[a].append(_Step(None, a, b))
            steps[b].append(_Step(None, b, a))
        return steps


def analyse(query: str, focus: str = "this") -> Dependencies | None:
    """Give how ``query``'s answers for the variable ``focus`` depend on the data; None if the
    query has a construct the analysis does not follow (then every change may affect every answer)."""
    try:
        algebra = translateQuery(parseQuery(query)).algebra
        reader = _Reader()
        reader.read(algebra, 0, {})
    except UnfollowableError:
        return None
    return Dependencies(_Var(focus), reader.patterns, reader.links)


class _Reader:
    """Collects a query's triple patterns from its algebra, naming each sub-SELECT's own variables apart."""

    def __init__(self) -> None:
        self.patterns: list[_Pattern] = []
        self.links: list[tuple[_Var, _Var]] = []
        self._scopes = itertools.count(1)

    def read(self, node: object, scope: int, outer: dict[str, int]) -> None:
        """Read ``node``; ``outer`` maps the names visible from enclosing scopes to their scope."""
        if isinstance(node, list | tuple):
            for item in node:
                self.read(item, scope, outer)
            return
        if not isinstance(node, CompValue):
            return
        name = node.name
        if name.startswith("Builtin_"):
            # in EXISTS, rdflib keeps the translated group as an attribute (the item is what it
            # started from, less the filters it took out); in other functions, their arguments
            graph = node.__dict__.get("graph", node.get("graph"))
            self.read(graph if name in ("Builtin_EXISTS", "Builtin_NOTEXISTS") else list(node.values()), scope, outer)
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
            self.links.append((self._var(node["var"], scope, outer), self._var(node["expr"], scope, outer)))
        for key, value in node.items():
            if key != "_vars":
                self.read(value, scope, outer)

    def _sub_select(self, node: CompValue, distinct: bool, scope: int, outer: dict[str, int]) -> None:
        """A sub-SELECT shares only the variables it projects; the others are its own."""
        inner = next(self._scopes)
        projected = {str(v) for v in node["PV"]}
        names = {**{n: s for n, s in outer.items() if n in projected}, "__top__": 0}
        for n in projected:
            names.setdefault(n, scope)
        before = len(self.patterns)
        self.read(node["p"], inner, names)
        if len(self.patterns) == before + 1 and _only_asks(node["p"], projected, distinct=distinct):
            pattern = self.patterns[-1]
            local = [v for v in pattern.variables if v.scope == inner]
            if len(local) == len(set(local)) and not isinstance(pattern.path, Path):
                given = frozenset(v for v in pattern.variables if v.scope != inner)
                self.patterns[-1] = _Pattern(pattern.subject, pattern.path, pattern.object, given)

    def _var(self, variable: Variable | BNode, scope: int, outer: dict[str, int]) -> _Var:
        name = str(variable) if isinstance(variable, Variable) else "_:" + str(variable)
        return _Var(name, outer.get(name, scope))

    def _pattern(self, triple: Sequence[object], scope: int, outer: dict[str, int]) -> _Pattern:
        subject, path, object_ = triple
        return _Pattern(
            self._position(subject, scope, outer), self._path(path, scope, outer), self._position(object_, scope, outer)
        )

    def _position(self, term: object, scope: int, outer: dict[str, int]) -> _Position:
        if isinstance(term, Variable | BNode):
            return self._var(term, scope, outer)
        if isinstance(term, URIRef | Literal):
            return load.to_oxigraph(term)
        raise UnfollowableError(repr(term))

    def _path(self, path: object, scope: int, outer: dict[str, int]) -> URIRef | _Var | Path:
        if isinstance(path, Variable):
            return self._var(path, scope, outer)
        if isinstance(path, URIRef | Path):
            _predicates(path)  # raises on a kind of path the walks do not know
            return path
        raise UnfollowableError(repr(path))


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


def _only_asks(node: object, projected: set[str], *, distinct: bool) -> bool:
    """Whether a sub-SELECT's body only asks which values of ``projected`` match its one pattern:
    made distinct or grouped by them, with filters on those values alone and no aggregate but
    SAMPLE. (Without either, each match is a row of its own, and a count outside would see it.)"""
    if not isinstance(node, CompValue):
        return False
    name = node.name
    if name == "Group":
        grouped = {str(v) for v in node.get("expr") or []}
        return grouped == projected and _only_asks(node["p"], projected, distinct=True)
    if name == "Filter":
        expression = node["expr"]
        used = {str(v) for v in expression.get("_vars") or ()} if isinstance(expression, CompValue) else {"?"}
        return used <= projected and _only_asks(node["p"], projected, distinct=distinct)
    if name == "Extend":
        return str(node["var"]) in projected and _only_asks(node["p"], projected, distinct=distinct)
    if name == "AggregateJoin":
        samples = all(a.name == "Aggregate_Sample" and str(a["vars"]) in projected for a in node["A"])
        return samples and _only_asks(node["p"], projected, distinct=distinct)
    return distinct and name == "BGP" and len(node["triples"]) == 1


def _predicates(path: URIRef | _Var | Path) -> set[str] | None:
    if isinstance(path, URIRef):
        return {str(path)}
    if isinstance(path, _Var | NegatedPath):
        return None
    if isinstance(path, InvPath):
        return _predicates(path.arg)
    if isinstance(path, MulPath):
        return _predicates(path.path)
    if isinstance(path, SequencePath | AlternativePath):
        found: set[str] = set()
        for arg in path.args:
            inner = _predicates(arg)
            if inner is None:
                return None
            found |= inner
        return found
    raise UnfollowableError(repr(path))


class View:
    """The store as it is now, plus the triples just removed from it."""

    def __init__(self, store: pyoxigraph.Store, added: Iterable[pyoxigraph.Quad], removed: Iterable[pyoxigraph.Quad]):
        self.store = store
        self.added = {(q.subject, q.predicate, q.object) for q in added}
        self.removed = [(q.subject, q.predicate, q.object) for q in removed]

    def triples(
        self, subject: Term | None, predicate: pyoxigraph.NamedNode | None, object_: Term | None
    ) -> Iterator[tuple[Term, pyoxigraph.NamedNode, Term]]:
        if isinstance(subject, pyoxigraph.Literal):
            return
        for quad in self.store.quads_for_pattern(subject, predicate, object_, _DEFAULT):
            yield quad.subject, quad.predicate, quad.object
        for s, p, o in self.removed:
            if (
                (subject is None or s == subject)
                and (predicate is None or p == predicate)
                and (object_ is None or o == object_)
            ):
                yield s, p, o

    def starts_or_stops(self, pattern: _Pattern, triple: pyoxigraph.Quad) -> bool:
        """Whether a pattern asked only whether it matches, with its given variables bound as in
        ``triple``, matches now and did not before, or the reverse."""
        given = pattern.existential or frozenset()
        bound: list[Term | None] = []
        for position, value in zip((pattern.subject, pattern.path, pattern.object), triple, strict=False):
            if isinstance(position, URIRef):
                bound.append(pyoxigraph.NamedNode(str(position)))
            elif isinstance(position, _Var):
                bound.append(value if position in given else None)
            else:
                bound.append(position)  # type: ignore[arg-type]
        subject, predicate, object_ = bound
        now = before = False
        for quad in self.store.quads_for_pattern(subject, predicate, object_, _DEFAULT):  # type: ignore[arg-type]
            now = True
            if (quad.subject, quad.predicate, quad.object) not in self.added:
                before = True
                break
        if not before:
            before = any(
                (subject is None or s == subject)
                and (predicate is None or p == predicate)
                and (object_ is None or o == object_)
                for s, p, o in self.removed
            )
        return now != before


def _seeds(view: View, pattern: _Pattern, triple: pyoxigraph.Quad) -> dict[_Var, Nodes] | None:
    """Give the values that ``triple``, as a match of ``pattern``, binds to its variables (for a
    path, the path's ends whose path may run through it); {} if it cannot match; None if it binds
    no variable and so may change every answer."""
    path = pattern.path
    if isinstance(path, URIRef | _Var) and not isinstance(path, Path):
        if isinstance(path, URIRef) and str(path) != triple.predicate.value:
            return {}
        if any(
            not isinstance(position, _Var) and position != value
            for position, value in ((pattern.subject, triple.subject), (pattern.object, triple.object))
        ):
            return {}
        seeds: dict[_Var, Nodes] = {}
        for position, value in (
            (pattern.subject, triple.subject),
            (path, triple.predicate),
            (pattern.object, triple.object),
        ):
            if isinstance(position, _Var):
                seeds.setdefault(position, set()).add(value)
        return seeds or None
    predicates = _predicates(path)
    if predicates is not None and triple.predicate.value not in predicates:
        return {}
    starts, ends = _through(view, path, triple)
    # with a constant end, the path must reach it: asked from each candidate (from the constant,
    # a class, say, the walk would visit every instance)
    if not isinstance(pattern.subject, _Var):
        starts &= {pattern.subject}
        ends = {end for end in ends if starts & _backward(view, path, {end})} if starts else set()
    if not isinstance(pattern.object, _Var):
        ends &= {pattern.object}
        starts = {start for start in starts if ends & _forward(view, path, {start})} if ends else set()
    if not starts and not ends:
        return {}
    seeds = {}
    if isinstance(pattern.subject, _Var):
        seeds[pattern.subject] = set(starts)
    if isinstance(pattern.object, _Var):
        seeds.setdefault(pattern.object, set()).update(ends)
    return seeds or None


def _through(view: View, path: object, triple: pyoxigraph.Quad) -> tuple[Nodes, Nodes]:
    """Give the start and end nodes of the paths along ``path`` that may run through ``triple``."""
    s, p, o = triple.subject, triple.predicate, triple.object
    if isinstance(path, URIRef):
        return ({s}, {o}) if str(path) == p.value else (set(), set())
    if isinstance(path, InvPath):
        starts, ends = _through(view, path.arg, triple)
        return ends, starts
    if isinstance(path, AlternativePath):
        starts, ends = set(), set()
        for arg in path.args:
            more_starts, more_ends = _through(view, arg, triple)
            starts |= more_starts
            ends |= more_ends
        return starts, ends
    if isinstance(path, SequencePath):
        starts, ends = set(), set()
        for i, arg in enumerate(path.args):
            inner_starts, inner_ends = _through(view, arg, triple)
            if inner_starts or inner_ends:
                starts |= _backward(view, SequencePath(*path.args[:i]), inner_starts) if i else inner_starts
                rest = path.args[i + 1 :]
                ends |= _forward(view, SequencePath(*rest), inner_ends) if rest else inner_ends
        return starts, ends
    if isinstance(path, MulPath):
        inner_starts, inner_ends = _through(view, path.path, triple)
        star = MulPath(path.path, "*")
        return _backward(view, star, inner_starts), _forward(view, star, inner_ends)
    return {s, o}, {s, o}  # a negated set: any predicate, either way


def _forward(view: View, path: object, nodes: Nodes) -> Nodes:
    """Give the nodes ``path`` leads to from ``nodes``."""
    return _follow(view, path, nodes, forward=True)


def _backward(view: View, path: object, nodes: Nodes) -> Nodes:
    """Give the nodes from which ``path`` leads to one of ``nodes``."""
    return _follow(view, path, nodes, forward=False)


def _follow(view: View, path: object, nodes: Nodes, *, forward: bool) -> Nodes:
    if isinstance(path, URIRef):
        return _neighbours(view, pyoxigraph.NamedNode(str(path)), nodes, forward=forward)
    if isinstance(path, InvPath):
        return _follow(view, path.arg, nodes, forward=not forward)
    if isinstance(path, AlternativePath):
        return set().union(*(_follow(view, arg, nodes, forward=forward) for arg in path.args))
    if isinstance(path, SequencePath):
        for arg in path.args if forward else reversed(path.args):
            nodes = _follow(view, arg, nodes, forward=forward)
        return nodes
    if isinstance(path, MulPath):
        inner = path.path
        return _closure(nodes, path.mod, lambda step: _follow(view, inner, step, forward=forward))
    # a negated set: any predicate, either way
    return _neighbours(view, None, nodes, forward=True) | _neighbours(view, None, nodes, forward=False)


def _neighbours(view: View, predicate: pyoxigraph.NamedNode | None, nodes: Nodes, *, forward: bool) -> Nodes:
    if forward:
        return {o for n in nodes for _, _, o in view.triples(n, predicate, None)}
    return {s for n in nodes for s, _, _ in view.triples(None, predicate, n)}


def _closure(nodes: Nodes, mod: str, step: Callable[[Nodes], Nodes]) -> Nodes:
    if mod == "?":
        return nodes | step(nodes)
    reached: Nodes = set(nodes) if mod == "*" else set()
    frontier = step(nodes)
    while frontier - reached:
        frontier -= reached
        reached |= frontier
        frontier = step(frontier)
    return reached


def _walk(view: View, chain: list[_Step], nodes: Nodes) -> Nodes:
    """Follow ``chain`` from the values ``nodes`` of its first variable to those of its last."""
    for step in chain:
        pattern = step.pattern
        if pattern is None or not nodes:
            continue
        nodes = _step(view, pattern, step.source, step.target, nodes)
    return nodes


def _step(view: View, pattern: _Pattern, source: _Var, target: _Var, nodes: Nodes) -> Nodes:
    path = pattern.path
    if source == pattern.subject and target == pattern.object and not isinstance(path, _Var):
        return _forward(view, path, nodes)
    if source == pattern.object and target == pattern.subject and not isinstance(path, _Var):
        return _backward(view, path, nodes)
    # through a variable predicate: match the one triple pattern with the source bound
    found: Nodes = set()
    positions = (pattern.subject, path, pattern.object)
    for node in nodes:
        pattern_terms = [node if p == source else (p if not isinstance(p, _Var | Path) else None) for p in positions]
        subject, predicate, object_ = pattern_terms
        if isinstance(predicate, URIRef):
            predicate = pyoxigraph.NamedNode(str(predicate))
        if predicate is not None and not isinstance(predicate, pyoxigraph.NamedNode):
            continue
        for triple in view.triples(subject, predicate, object_):  # type: ignore[arg-type]
            found.update(value for p, value in zip(positions, triple, strict=True) if p == target)
    return found


def _linked(steps: dict[_Var, list[_Step]], start: _Var, goal: _Var) -> bool:
    seen, todo = {start}, [start]
    while todo:
        at = todo.pop()
        if at == goal:
            return True
        for step in steps.get(at, []):
            if step.target not in seen:
                seen.add(step.target)
                todo.append(step.target)
    return False
