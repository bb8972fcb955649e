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
import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field

import pyoxigraph
from rdflib import URIRef
from rdflib.paths import AlternativePath, InvPath, MulPath, Path, SequencePath

from aimsgraph import query_patterns
from aimsgraph.query_patterns import Link, Pattern, Term, UnfollowableError, Var, read

_KINDS = 64  # kinds of row (choices of UNION branches) worth telling apart; past that, branches link nothing
Nodes = set[Term]
_DEFAULT = pyoxigraph.DefaultGraph()


@dataclass(frozen=True)
class _Step:
    pattern: Pattern | Link
    source: Var
    target: Var


@dataclass
class Dependencies:
    """How a query's answers for its focus variable depend on the data."""

    focus: Var
    patterns: list[Pattern]
    links: list[Link] = field(default_factory=list)  # BIND (?x AS ?y)
    # each UNION: the optional parts it is in, and its branches
    unions: list[tuple[tuple[int, ...], tuple[int, ...]]] = field(default_factory=list)
    _chains: dict[int, dict[Var, list[list[_Step]]] | None] = field(default_factory=dict)

    @property
    def predicates(self) -> frozenset[str] | None:
        """The predicates a changed triple must have to matter; None: any."""
        found: set[str] = set()
        for pattern in self.patterns:
            predicates = query_patterns.predicates(pattern.path)
            if predicates is None or query_patterns.nullable(pattern.path):  # a node's zero-length path to itself
                return None
            found |= predicates
        return frozenset(found)

    @property
    def focus_everywhere(self) -> bool:
        """Whether the focus variable means the focus node wherever it is written (no sub-SELECT
        has a ?this of its own)."""
        names = [v for p in self.patterns for v in p.variables] + [v for k in self.links for v in (k.source, k.target)]
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
                if self.focus in seeds:  # the match binds the focus node itself: only its answer changes
                    found |= seeds[self.focus]
                    continue
                chains = self._chains_from(index)
                if chains is None:  # in some row with this match, the focus node may be anything
                    return None
                for variable, nodes in seeds.items():
                    for chain in chains.get(variable, []):
                        found |= _walk(view, chain, nodes)
        return found

    def _chains_from(self, index: int) -> dict[Var, list[list[_Step]]] | None:
        """Give, from each variable of pattern ``index``, every chain to the focus variable through
        patterns that a row matching it also matches, not through it (its match binds both ends);
        None if in some kind of row no chain links it.

        A row matches the patterns joined to it (see :func:`_joined`) and, of each UNION outside
        it, one branch: each choice of branches is a kind of row, and each must link the pattern."""
        if index not in self._chains:
            own = self.patterns[index]
            choices = [
                [(*enclosing, branch) for branch in branches]
                for enclosing, branches in self.unions
                if _joined(enclosing, own.context)
                and own.context[len(enclosing) : len(enclosing) + 1] not in [(branch,) for branch in branches]
            ]
            kinds = list(itertools.product(*choices)) if math.prod(map(len, choices)) <= _KINDS else [()]
            found: dict[Var, list[list[_Step]]] = {}
            linked_in_every_kind = True
            for kind in kinds:
                steps = self._steps(own.context, kind)
                linked = False
                for start in dict.fromkeys(own.variables):
                    chains = _chains(steps, start, self.focus, own)
                    linked = linked or bool(chains)
                    found.setdefault(start, []).extend(chains)
                linked_in_every_kind = linked_in_every_kind and linked
            self._chains[index] = found if linked_in_every_kind else None
        return self._chains[index]

    def _steps(self, context: tuple[int, ...], branches: Sequence[tuple[int, ...]]) -> dict[Var, list[_Step]]:
        """Give the steps between variables through the patterns and links joined to ``context``
        or inside one of the UNION ``branches`` (not in an optional part within it)."""
        steps: dict[Var, list[_Step]] = defaultdict(list)
        for pattern in self.patterns:
            if _joined(pattern.context, context) or pattern.context in branches:
                for source, target in itertools.permutations(pattern.variables, 2):
                    steps[source].append(_Step(pattern, source, target))
        for link in self.links:
            if _joined(link.context, context) or link.context in branches:
                steps[link.source].append(_Step(link, link.source, link.target))
                steps[link.target].append(_Step(link, link.target, link.source))
        return steps


def _chains(steps: dict[Var, list[_Step]], start: Var, goal: Var, own: Pattern) -> list[list[_Step]]:
    """Give every chain of ``steps`` from ``start`` to ``goal``, through each variable and each
    pattern once (a pattern used twice can be cut short: the triple that matches it binds both
    variables, where the chain enters it and where it leaves), never through ``own``."""
    chains: list[list[_Step]] = []

    def extend(at: Var, chain: list[_Step], seen: set[Var]) -> None:
        if at == goal:
            chains.append(list(chain))
            return
        for step in steps.get(at, []):
            if step.pattern is own or step.target in seen or any(s.pattern is step.pattern for s in chain):
                continue
            chain.append(step)
            extend(step.target, chain, seen | {step.target})
            chain.pop()

    extend(start, [], {start})
    return chains


def _joined(outer: tuple[int, ...], inner: tuple[int, ...]) -> bool:
    """Whether a pattern inside the optional parts ``outer`` is matched in every row that matches
    one inside ``inner``: when ``outer`` is where ``inner`` is, or encloses it. A pattern in an
    OPTIONAL, another UNION branch or an EXISTS links nothing for a pattern outside it: there a
    variable it would bind may be unbound, or bound otherwise, and match anything."""
    return inner[: len(outer)] == outer


def analyse(query: str, focus: str = "this") -> Dependencies | None:
    """Give how ``query``'s answers for the variable ``focus`` depend on the data; None if the
    query has a construct the analysis does not follow (then every change may affect every answer)."""
    try:
        found = read(query)
    except UnfollowableError:
        return None
    return Dependencies(Var(focus), found.patterns, found.links, found.unions)


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

    def starts_or_stops(self, pattern: Pattern, triple: pyoxigraph.Quad) -> bool:
        """Whether a pattern asked only whether it matches, with its given variables bound as in
        ``triple``, matches now and did not before, or the reverse."""
        given = pattern.existential or frozenset()
        bound: list[Term | None] = []
        for position, value in zip((pattern.subject, pattern.path, pattern.object), triple, strict=False):
            if isinstance(position, URIRef):
                bound.append(pyoxigraph.NamedNode(str(position)))
            elif isinstance(position, Var):
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


def _seeds(view: View, pattern: Pattern, triple: pyoxigraph.Quad) -> dict[Var, Nodes] | None:
    """Give the values that ``triple``, as a match of ``pattern``, binds to its variables (for a
    path, the path's ends whose path may run through it); {} if it cannot match; None if it binds
    no variable and so may change every answer."""
    path = pattern.path
    if isinstance(path, URIRef | Var) and not isinstance(path, Path):
        if isinstance(path, URIRef) and str(path) != triple.predicate.value:
            return {}
        if any(
            not isinstance(position, Var) and position != value
            for position, value in ((pattern.subject, triple.subject), (pattern.object, triple.object))
        ):
            return {}
        seeds: dict[Var, Nodes] = {}
        for position, value in (
            (pattern.subject, triple.subject),
            (path, triple.predicate),
            (pattern.object, triple.object),
        ):
            if isinstance(position, Var):
                seeds.setdefault(position, set()).add(value)
        return seeds or None
    predicates = query_patterns.predicates(path)
    nullable = query_patterns.nullable(path)
    if predicates is not None and triple.predicate.value not in predicates and not nullable:
        return {}
    starts, ends = _through(view, path, triple)
    if nullable:  # any statement may make its subject or object a node, which the path links to itself
        starts |= {triple.subject, triple.object}
        ends |= {triple.subject, triple.object}
    # with a constant end, the path must reach it: asked from each candidate (from the constant,
    # a class, say, the walk would visit every instance)
    if not isinstance(pattern.subject, Var):
        starts &= {pattern.subject}
        ends = {end for end in ends if starts & _backward(view, path, {end})} if starts else set()
    if not isinstance(pattern.object, Var):
        ends &= {pattern.object}
        starts = {start for start in starts if ends & _forward(view, path, {start})} if ends else set()
    if not starts and not ends:
        return {}
    seeds = {}
    if isinstance(pattern.subject, Var):
        seeds[pattern.subject] = set(starts)
    if isinstance(pattern.object, Var):
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
        if isinstance(pattern, Link) or not nodes:
            continue
        nodes = _step(view, pattern, step.source, step.target, nodes)
    return nodes


def _step(view: View, pattern: Pattern, source: Var, target: Var, nodes: Nodes) -> Nodes:
    path = pattern.path
    if source == pattern.subject and target == pattern.object and not isinstance(path, Var):
        return _forward(view, path, nodes)
    if source == pattern.object and target == pattern.subject and not isinstance(path, Var):
        return _backward(view, path, nodes)
    # through a variable predicate: match the one triple pattern with the source bound
    found: Nodes = set()
    positions = (pattern.subject, path, pattern.object)
    for node in nodes:
        pattern_terms = [node if p == source else (p if not isinstance(p, Var | Path) else None) for p in positions]
        subject, predicate, object_ = pattern_terms
        if isinstance(predicate, URIRef):
            predicate = pyoxigraph.NamedNode(str(predicate))
        if predicate is not None and not isinstance(predicate, pyoxigraph.NamedNode):
            continue
        for triple in view.triples(subject, predicate, object_):  # type: ignore[arg-type]
            found.update(value for p, value in zip(positions, triple, strict=True) if p == target)
    return found
