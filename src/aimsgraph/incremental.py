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
from aimsgraph.shacl_sparql import Plan
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
    last: Update = field(default_factory=Update)
    report: ValidationReport | None = None  # as of the last open or update

    def open(self, sources: Sequence[load.SourceFile], progress: Progress | None = None) -> ValidationReport:
        """Validate ``sources`` in full and keep what a re-validation needs.

        :raises InputError: a source is not well-formed.
        """
        self._data = load.load(sources, progress)
        self._data.index_subjects()
        report = self._full(progress)
        assert self._validation is not None
        if self._validation.plan is not None:  # read now, so that the first change is as quick as the rest
            _analyses(self._validation.plan)
            _system_analysis()
        return report

    def update(
        self, changed: Sequence[load.SourceFile], removed: Sequence[str] = (), progress: Progress | None = None
    ) -> ValidationReport:
        """Give the report after the ``changed`` sources (new, or with new content) and without the
        ``removed`` ones (by name), checking again only what the change can affect.

        :raises InputError: a changed source is not well-formed; then the session is as it was.
        """
        validation = self._validation
        assert validation is not None, "open the session first"
        parsed = [load.load([source]) for source in changed]  # an error here changes nothing
        why = validation.not_incremental or _not_incremental([quad for data in parsed for quad in data.quads], parsed)
        before = {name: self._data.quads_of(name) for name in [*(s.name for s in changed), *removed]}
        for source in changed:
            self._data.replace_source(source.name, source)
        for name in removed:
            self._data.replace_source(name, None)
        if why is not None:
            report = self._full(progress)
            self.last = Update(full=why)
            return report
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

    def gaps(self) -> gaps_module.GapReport:
        """Give the gap report of the data as it stands, from the session's store (the coverage
        queries run in full; the findings are the session's)."""
        assert self._validation is not None, "open the session first"
        assert self.report is not None
        return gaps_module.gaps_of(self.report, self._validation.context.store)

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
            counts = Counter((q.subject, q.predicate, q.object) for q in self._data.quads)
            self._repeated = Counter({triple: n - 1 for triple, n in counts.items() if n > 1})
        self._trusted = frozenset(
            (q.subject, q.predicate, q.object)
            for q in (*bundled_knowledge_quads(), *_context(self.as_of), *integrity.extension_quads(self.extensions))
        )
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
                # (a statement the ontology also makes counts as the data's first)
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
        for i, analysis in enumerate(_analyses(plan)):
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
                partial.append((i, set(affected), analysis.focus_everywhere))
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


def _not_incremental(quads: list[pyoxigraph.Quad], parsed: Sequence[load.LoadedData]) -> str | None:
    """Give why the new content of changed sources needs a full validation, or None."""
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
_ANALYSES: dict[int, tuple[Plan, tuple[dependencies.Dependencies | None, ...]]] = {}


def _analyses(plan: Plan) -> tuple[dependencies.Dependencies | None, ...]:
    """Give how each check's results depend on the data, read once per plan (about 10 ms a check)."""
    if id(plan) not in _ANALYSES:
        if len(_ANALYSES) > 4:
            _ANALYSES.clear()
        _ANALYSES[id(plan)] = (plan, tuple(dependencies.analyse(check.query) for check in plan.checks))
    return _ANALYSES[id(plan)][1]


@lru_cache(maxsize=1)
def _system_analysis() -> dependencies.Dependencies | None:
    return dependencies.analyse(assets.query_text("internal/ai-system-of.rq"), "node")


@dataclass
class Watched:
    """The RDF files under some paths, to tell which changed since last asked: by modification
    time and size, as make does (a file rewritten within the clock's resolution to the same
    size goes unseen until its next change)."""

    paths: Sequence[str]
    input_format: RdfFormat | None = None
    _known: dict[str, tuple[int, int]] = field(default_factory=dict)

    def sources(self) -> list[load.SourceFile]:
        """Give every file, read, and remember how each stands.

        :raises UsageError: a path is missing or holds no RDF file, or a file cannot be read.
        """
        sources = []
        for path, rdf_format in load.rdf_files(self.paths, input_format=self.input_format):
            self._known[str(path)] = _stamp(path)
            sources.append(load.read(path, rdf_format))
        return sources

    def changes(self) -> tuple[list[load.SourceFile], list[str]]:
        """Give the files new or changed since last asked, read, and the names of those gone.

        :raises UsageError: a path is missing or holds no RDF file any more.
        """
        changed, now = [], {}
        for path, rdf_format in load.rdf_files(self.paths, input_format=self.input_format):
            name = str(path)
            try:
                now[name] = _stamp(path)
                if self._known.get(name) != now[name]:
                    changed.append(load.read(path, rdf_format))
            except (OSError, UsageError):  # removed or being replaced meanwhile: seen next time
                now.pop(name, None)
        gone = [name for name in self._known if name not in now]
        self._known = now
        return changed, gone


def _stamp(path: Path) -> tuple[int, int]:
    status = path.stat()
    return status.st_mtime_ns, status.st_size
