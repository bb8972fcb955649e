"""Validation kept open across changes: after some files change, only what the change can affect
is checked again.

A session validates once, keeping its store, each check's results and the findings made. When
files change, it works out the triples added and removed, applies them to the store and asks
each check's query (see ``dependencies``) which focus nodes they may affect; those checks run
again on those nodes alone, and only the findings about touched nodes are made again. The
report is the one a full validation of the new data would give.

Where that cannot be shown cheaply (inference on, shapes left to pySHACL, data that redefines our
terms or writes typed literals in other than canonical form), the session validates in full.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import pyoxigraph

from aimsgraph import assets, dependencies, integrity, load, shacl_run
from aimsgraph import gaps as gaps_module
from aimsgraph.errors import UsageError
from aimsgraph.formats import RdfFormat
from aimsgraph.model import Engine, Inference, Progress, ValidationReport
from aimsgraph.shacl_sparql import Check, Plan
from aimsgraph.validate import Validation, _context, _rewritten_literals, bundled_knowledge_quads, validation_of

Triple = tuple[object, object, object]


@dataclass
class Update:
    """What one re-validation did: for a benchmark or a curious user."""

    added: int = 0  # triples the store gained
    removed: int = 0  # and lost
    checks: int = 0  # checks run again
    focus_nodes: int = 0  # focus nodes they ran on (a check run in full counts none)
    full_checks: int = 0  # checks run again on every focus node
    full: str | None = None  # why everything was validated again, if it was


@dataclass
class Session:
    """A validation of AIMS data kept open, to be brought up to date when its files change."""

    as_of: dt.date
    inference: Inference = Inference.NONE
    shapes: Sequence[str] = ()
    bundled_shapes: bool = True
    extensions: Sequence[str] = ()
    engine: Engine = Engine.SPARQL
    _data: load.LoadedData = field(default_factory=load.LoadedData)
    _validation: Validation | None = None
    # how many more sources than one state a triple, for the few that more than one states
    _repeated: Counter[Triple] = field(default_factory=Counter)
    _trusted: frozenset[Triple] = frozenset()  # the ontology, catalogues, extensions and context
    _broken: str | None = None  # why the next update must validate in full (the last one failed)
    last: Update = field(default_factory=Update)
    report: ValidationReport | None = None  # as of the last open or update

    def open(self, sources: Sequence[load.SourceFile], progress: Progress | None = None) -> ValidationReport:
        """Validate ``sources`` in full and keep what a re-validation needs.

        :raises InputError: a source is not well-formed.
        """
        self._data = load.load(sources, progress)
        self._data.prepare_for_changes()
        report = self._full(progress)
        assert self._validation is not None
        if self._validation.plan is not None:  # read now, so that the first change is as quick as the rest
            _analyses(self._validation.plan)
            _system_analysis()
        return report

    def update(
        self,
        changed: Sequence[load.SourceFile],
        removed: Sequence[str] = (),
        progress: Progress | None = None,
        *,
        order: Sequence[str] = (),
    ) -> ValidationReport:
        """Give the report after the ``changed`` sources (new, or with new content) and without the
        ``removed`` ones (by name), checking again only what the change can affect. ``order``: the
        names of all sources in the order a full run would read them (a new source goes in its
        place: where a resource is defined is the first source that types it).

        :raises InputError: a changed source is not well-formed; then the session is as it was.
        """
        validation = self._validation
        assert validation is not None, "open the session first"
        parsed = [load.load([source]) for source in changed]  # an error here changes nothing
        new = [quad for data in parsed for quad in data.quads]
        why = self._broken or validation.not_incremental or _not_incremental(new, parsed, self._trusted)
        before = {name: self._data.quads_of(name) for name in [*(s.name for s in changed), *removed]}
        # from here on, a failure leaves the data ahead of the store: the next update starts over
        self._broken = "the last update failed"
        for source in changed:
            self._data.replace_source(source.name, source, before=_next_known(source.name, order, self._data.sources))
        for name in removed:
            self._data.replace_source(name, None)
        if why is not None:
            report = self._full(progress)
            self.last = Update(full=why)
            return report
        report = self._incremental(validation, before)
        self._broken = None
        return report

    def _incremental(self, validation: Validation, before: dict[str, list[pyoxigraph.Quad]]) -> ValidationReport:
        added, gone = self._apply(before)
        self.last = Update(added=len(added), removed=len(gone))
        store = validation.context.store
        changed_triples = [*added, *gone]
        view = dependencies.View(store, added, gone)
        assert validation.plan is not None
        stale = self._rerun(validation, view, changed_triples)
        touched = _touched(view, changed_triples, before, self._data)
        validation.made.forget({load.to_rdflib(node) for node in touched | stale})
        validation.triples += len(added) - len(gone)
        self.report = validation.report()
        return self.report

    def gaps(self, frameworks: Sequence[str] = ()) -> gaps_module.GapReport:
        """Give the gap report of the data as it stands, from the session's store (the coverage
        queries run in full; the findings are the session's), with the coverage of ``frameworks``."""
        assert self._validation is not None, "open the session first"
        assert self.report is not None
        return gaps_module.gaps_of(self.report, self._validation.context.store, frameworks=frameworks)

    def _full(self, progress: Progress | None = None) -> ValidationReport:
        self._validation = validation_of(
            self._data,
            as_of=self.as_of,
            inference=self.inference,
            shapes=self.shapes,
            bundled_shapes=self.bundled_shapes,
            extensions=self.extensions,
            engine=self.engine,
            progress=progress,
        )
        self._repeated = Counter()
        if len(self._data.quads) > self._validation.triples:  # some triple is stated more than once
            counts = Counter(
                triple
                for name in self._data.sources
                for triple in {(q.subject, q.predicate, q.object) for q in self._data.quads_of(name)}
            )
            self._repeated = Counter({triple: n - 1 for triple, n in counts.items() if n > 1})
        self._trusted = frozenset(
            (q.subject, q.predicate, q.object)
            for q in (*bundled_knowledge_quads(), *_context(self.as_of), *integrity.extension_quads(self.extensions))
        )
        store = self._validation.context.store
        if self._validation.not_incremental is None and self._validation.triples + len(self._trusted) > len(store):
            # the data states what the ontology, an extension or the context states: whether a
            # source still does could not be told from the store
            self._validation.not_incremental = "the data states what the ontology or an extension states"
        self._broken = None
        self.report = self._validation.report()
        return self.report

    def _apply(self, before: dict[str, list[pyoxigraph.Quad]]) -> tuple[list[pyoxigraph.Quad], list[pyoxigraph.Quad]]:
        """Bring the store up to date with the sources now read, one after another; give the
        triples the data gained and lost (a triple another source still states stays)."""
        assert self._validation is not None
        store, repeated = self._validation.context.store, self._repeated
        added: dict[Triple, pyoxigraph.Quad] = {}
        gone: dict[Triple, pyoxigraph.Quad] = {}
        for name, old in before.items():
            was = {(q.subject, q.predicate, q.object) for q in old}
            now = {(q.subject, q.predicate, q.object) for q in self._data.quads_of(name)}
            for triple in was - now:
                if repeated[triple] > 0:
                    repeated[triple] -= 1
                    continue
                quad = pyoxigraph.Quad(*triple)
                if triple not in self._trusted:  # the ontology's own stay
                    store.remove(quad)
                if added.pop(triple, None) is None:  # moved from one source to another: neither
                    gone[triple] = quad
            for triple in now - was:
                quad = pyoxigraph.Quad(*triple)
                # (a change that states what the ontology or an extension states does not come
                # here: see _not_incremental; nor data that did, when the session opened)
                if quad in store and triple not in self._trusted and triple not in gone:
                    repeated[triple] += 1
                    continue
                store.add(quad)
                if gone.pop(triple, None) is None:
                    added[triple] = quad
        return list(added.values()), list(gone.values())

    def _rerun(self, validation: Validation, view: dependencies.View, changed: list[pyoxigraph.Quad]) -> set[object]:
        """Run again each check the change may affect, on the focus nodes it may affect; give the
        focus nodes whose results may have changed."""
        plan = validation.plan
        assert plan is not None
        predicates = {quad.predicate.value for quad in changed}
        partial: list[tuple[int, set[object], bool]] = []
        whole: list[int] = []
        for i, (analysis, deep) in enumerate(_analyses(plan)):
            if analysis is None:
                whole.append(i)
                continue
            wanted = analysis.predicates
            if wanted is not None and not wanted & predicates:
                continue
            affected = analysis.affected(view, changed)
            if affected is None:
                whole.append(i)
            elif affected:
                partial.append((i, set(affected), deep))
        store = validation.context.store
        again = shacl_run.rerun(
            store, [(plan.checks[i], shacl_run.Narrowing(nodes, deep)) for i, nodes, deep in partial]
        )
        stale: set[object] = set()
        for (i, nodes, _), results in zip(partial, again, strict=True):
            stale |= nodes
            wanted_out = {load.to_rdflib(node) for node in nodes}
            validation.each[i] = [r for r in validation.each[i] if r.focus not in wanted_out] + results
        if whole:
            rerun = shacl_run.run_each(store, Plan(tuple(plan.checks[i] for i in whole), (), ()))
            for i, results in zip(whole, rerun, strict=True):
                stale |= {load.to_oxigraph(r.focus) for r in validation.each[i] + results}
                validation.each[i] = results
        self.last.checks = len(partial) + len(whole)
        self.last.full_checks = len(whole)
        self.last.focus_nodes = sum(len(nodes) for _, nodes, _ in partial)
        return stale


def _next_known(name: str, order: Sequence[str], known: Sequence[str]) -> str | None:
    """Give the source a new source ``name`` goes before: the next in ``order`` already known."""
    if name in known or name not in order:
        return None
    return next((other for other in order[order.index(name) + 1 :] if other in known), None)


def _not_incremental(
    quads: list[pyoxigraph.Quad], parsed: Sequence[load.LoadedData], trusted: frozenset[Triple]
) -> str | None:
    """Give why the new content of changed sources needs a full validation, or None."""
    if any((q.subject, q.predicate, q.object) in trusted for q in quads):
        return "the change states what the ontology or an extension states"
    if integrity.redefinitions_in(load.oxigraph_store(quads)):
        return "the change redefines aimsgraph's terms"
    literals = set().union(*(data.literals for data in parsed)) if parsed else set()
    if _rewritten_literals(literals).any:
        return "the change writes typed literals in other than canonical form"
    return None


def _touched(
    view: dependencies.View,
    changed: list[pyoxigraph.Quad],
    before: dict[str, list[pyoxigraph.Quad]],
    data: load.LoadedData,
) -> set[object]:
    """Give the nodes whose findings must be made again: those the changed sources mention (their
    lines may have moved, their labels changed) and those whose AI system may have changed."""
    touched: set[object] = set()
    for name, old in before.items():
        for quad in [*old, *data.quads_of(name)]:
            touched.add(quad.subject)
            touched.add(quad.object)
    systems = _system_analysis()
    if systems is None:
        return touched | {quad.subject for quad in data.quads}
    affected = systems.affected(view, changed)
    if affected is None:
        return touched | {quad.subject for quad in data.quads} | {quad.object for quad in data.quads}
    return touched | affected


# by plan (kept, so that its id is not reused): the bundled shapes' plan is made once per process
_ANALYSES: dict[int, tuple[Plan, tuple[tuple[dependencies.Dependencies | None, bool], ...]]] = {}


def _analyses(plan: Plan) -> tuple[tuple[dependencies.Dependencies | None, bool], ...]:
    """Give how each check's results depend on the data, read once per plan (about 10 ms a
    check), and whether its sub-SELECTs may be narrowed to the focus nodes (see shacl_run.Narrowing)."""
    if id(plan) not in _ANALYSES:
        if len(_ANALYSES) > 4:
            _ANALYSES.clear()
        _ANALYSES[id(plan)] = (plan, tuple(_analysis(check) for check in plan.checks))
    return _ANALYSES[id(plan)][1]


def _analysis(check: Check) -> tuple[dependencies.Dependencies | None, bool]:
    analysis = dependencies.analyse(check.query)
    if analysis is None:
        return None, False
    deep = analysis.focus_everywhere
    if deep and check.target is not None and check.target_for_few is not None:  # the query that runs again
        for_few = dependencies.analyse(check.query.replace(check.target, check.target_for_few, 1))
        deep = for_few is not None and for_few.focus_everywhere
    return analysis, deep


@lru_cache(maxsize=1)
def _system_analysis() -> dependencies.Dependencies | None:
    return dependencies.analyse(assets.query_text("internal/ai-system-of.rq"), "node")


@dataclass
class Watched:
    """The RDF files under some paths, to tell which changed since the session last took them:
    by modification time and size, as make does (a file rewritten within the clock's resolution
    to the same size goes unseen until its next change)."""

    paths: Sequence[str]
    input_format: RdfFormat | None = None
    _taken: dict[str, tuple[int, int]] = field(default_factory=dict)  # as the session has them
    _seen: dict[str, tuple[int, int]] = field(default_factory=dict)  # as last looked at
    _refused: dict[str, tuple[int, int]] = field(default_factory=dict)  # as they were when refused

    @property
    def order(self) -> list[str]:
        """The files' names, in the order a full run reads them."""
        return list(self._seen)

    def sources(self) -> list[load.SourceFile]:
        """Give every file, read, taken as they stand.

        :raises UsageError: a path is missing or holds no RDF file, or a file cannot be read.
        """
        files = load.rdf_files(self.paths, input_format=self.input_format)
        self._seen = {str(path): _stamp(path) for path, _ in files}
        self._taken = dict(self._seen)
        return [load.read(path, rdf_format) for path, rdf_format in files]

    def changes(self) -> tuple[list[load.SourceFile], list[str]]:
        """Give the files new or changed since taken, read, and the names of those gone; not a
        file the session refused (it did not parse) until it changes again. Say after which
        were :meth:`taken` and which :meth:`refused`.

        :raises UsageError: a path is missing or holds no RDF file any more.
        """
        self._seen = {}
        changed = []
        for path, rdf_format in load.rdf_files(self.paths, input_format=self.input_format):
            name = str(path)
            try:
                stamp = self._seen[name] = _stamp(path)
                if self._taken.get(name) != stamp and self._refused.get(name) != stamp:
                    changed.append(load.read(path, rdf_format))
            except (OSError, UsageError):  # removed or unreadable meanwhile: seen next time
                self._seen.pop(name, None)
        return changed, [name for name in self._taken if name not in self._seen]

    def taken(self, changed: Sequence[load.SourceFile], gone: Sequence[str]) -> None:
        """The session took these changes."""
        for source in changed:
            if source.name in self._seen:
                self._taken[source.name] = self._seen[source.name]
            self._refused.pop(source.name, None)
        for name in gone:
            self._taken.pop(name, None)
            self._refused.pop(name, None)

    def refused(self, name: str) -> None:
        """The session refused this file as it stands: leave it out until it changes again."""
        if name in self._seen:
            self._refused[name] = self._seen[name]


def _stamp(path: Path) -> tuple[int, int]:
    status = path.stat()
    return status.st_mtime_ns, status.st_size
