"""Validation of an AIMS graph with SHACL: the core that every face calls.

The data is copied, joined with the ontology and catalogues and a validation-context node that
carries the as-of date (so no shape reads a clock), optionally closed under inference, and checked
against the bundled shapes plus the user's. Each SHACL result becomes a :class:`Finding` with its
rule's metadata, the catalogued requirements it concerns, the AI system it belongs to and the
file:line where its focus node is written.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from functools import lru_cache

import pyoxigraph
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS, SH, SKOS, XSD
from rdflib.term import Node

from aimsgraph import assets, enrich, findings, integrity, load, shacl, shacl_run, shacl_sparql, shapes_input
from aimsgraph.catalog import Catalog
from aimsgraph.findings import rules_of
from aimsgraph.formats import RdfFormat
from aimsgraph.model import Engine, Inference, Progress, Severity, ValidationReport
from aimsgraph.shapes_input import bundled_shapes as _bundled_shapes
from aimsgraph.shapes_input import shapes_graph as _shapes_graph

AIMS = "https://w3id.org/aimsgraph/ns#"
bundled_shapes_graph = shapes_input.bundled_shapes_graph  # the faces and tests know it from here
SHAPES = "https://w3id.org/aimsgraph/shapes#"
_CONTEXT = URIRef("urn:aimsgraph:validation-context")
_XSD_STRING = pyoxigraph.NamedNode(str(XSD.string))
_RDF_LANG_STRING = pyoxigraph.NamedNode(str(RDF.langString))
BUILTIN_PREFIXES = {
    "aims": AIMS,
    "iso42001": "https://w3id.org/aimsgraph/iso-iec-42001-2023/",
    "rdf": str(RDF),
    "rdfs": str(RDFS),
    "skos": str(SKOS),
    "xsd": str(XSD),
}
_SEVERITIES: dict[Node, Severity] = {
    SH.Violation: Severity.VIOLATION,
    SH.Warning: Severity.WARNING,
    SH.Info: Severity.INFO,
}
_RESULTS_QUERY = """
PREFIX sh: <http://www.w3.org/ns/shacl#>
SELECT ?focus ?path ?value ?shape ?severity ?message WHERE {
    # only the report's own results: pySHACL also writes why a value failed a shape it had to
    # conform to (sh:node, sh:or) as results of their own under sh:detail
    ?report sh:result ?result .
    ?result a sh:ValidationResult ; sh:focusNode ?focus ; sh:sourceShape ?shape ; sh:resultSeverity ?severity .
    OPTIONAL { ?result sh:resultPath ?path . }
    OPTIONAL { ?result sh:value ?value . }
    OPTIONAL { ?result sh:resultMessage ?message . }
}"""


def validate(
    paths: Sequence[str],
    *,
    as_of: dt.date,
    inference: Inference = Inference.NONE,
    input_format: RdfFormat | None = None,
    shapes: Sequence[str] = (),
    bundled_shapes: bool = True,
    extensions: Sequence[str] = (),
    engine: Engine = Engine.SPARQL,
    progress: Progress | None = None,
) -> ValidationReport:
    """Give the validation report of the AIMS data at ``paths`` as of the date ``as_of``.

    ``extensions`` are files of vocabulary that extends aimsgraph's (subclasses of its classes,
    say): trusted like the ontology, whereas the same statements in the data are set aside and
    reported (see ``integrity``).

    :raises UsageError: a path is missing, empty or of unknown format; no shapes are left to run.
    :raises InputError: a data, shapes or extension file is not well-formed.
    :raises ShapesError: a shapes file is not valid SHACL.
    """
    data, store = read(
        load.collect(paths, input_format=input_format),
        engine=engine,
        inference=inference,
        progress=progress,
    )
    return validation_of(
        data,
        store=store,
        as_of=as_of,
        inference=inference,
        shapes=shapes,
        bundled_shapes=bundled_shapes,
        extensions=extensions,
        engine=engine,
        progress=progress,
    ).report()


def read(
    sources: Sequence[load.SourceFile],
    *,
    engine: Engine = Engine.SPARQL,
    inference: Inference = Inference.NONE,
    progress: Progress | None = None,
) -> tuple[load.LoadedData, pyoxigraph.Store | None]:
    """Parse ``sources`` for validation: straight into a store, which keeps no quads in Python (at
    100,000 AI systems, about 2 GB less), when the store holds the data as written: no inference
    (which reads the quads), the SPARQL engine (pySHACL must see typed literals as written) and no
    literal the store keeps in another form; else as quads, read again.

    :raises InputError: a source is not well-formed.
    """
    if engine is Engine.SPARQL and inference is Inference.NONE:
        store = pyoxigraph.Store()
        data = load.load_into(store, sources, progress)
        if not _rewritten_literals(data.literals).any:
            return data, store
    return load.load(sources, progress), None


@dataclass
class Validation:
    """What a validation leaves behind, so that a change to the data can be checked again
    without starting over (see ``incremental``)."""

    context: findings.Context
    plan: shacl_sparql.Plan | None  # None: the shapes ran on pySHACL alone
    each: list[list[shacl_run.Result]]  # the results of each of the plan's checks
    other: list[shacl_run.Result]  # those of shapes left to pySHACL, and of the statements set aside
    notes: tuple[str, ...]
    triples: int
    made: findings.Made
    # why a change cannot be validated on its own (None: it can)
    not_incremental: str | None

    @property
    def results(self) -> list[shacl_run.Result]:
        return [result for results in self.each for result in results] + self.other

    def report(self) -> ValidationReport:
        """Give the report of the results as they stand, making findings only for new results."""
        return findings.report(self.context, self.results, triples=self.triples, notes=self.notes, made=self.made)


# Python's cyclic collector would walk the half a million parsed quads again and again while
# results and findings are made (at 10,000 AI systems, 484 collections, 0.64 s); what is dropped
# is still freed by reference counting, and the collector resumes after.
@load.collection_paused()
def validation_of(
    data: load.LoadedData,
    *,
    store: pyoxigraph.Store | None = None,
    as_of: dt.date,
    inference: Inference = Inference.NONE,
    shapes: Sequence[str] = (),
    bundled_shapes: bool = True,
    extensions: Sequence[str] = (),
    engine: Engine = Engine.SPARQL,
    progress: Progress | None = None,
) -> Validation:
    """Validate already loaded AIMS data: the report (``.report()``), the store the shapes ran on
    (``.context.store``: the data less what redefines our terms, with the ontology, catalogues,
    extensions and the validation context, closed under ``inference``; what the gap queries must
    see is in it) and what a re-validation needs. ``store``: the one the data was parsed into, if
    it was (see :func:`read`)."""
    shacl.check_rdflib_plugins()
    shapes_graph = _shapes_graph(shapes, bundled=bundled_shapes)
    # One store: the data alone first (what redefines our terms, how many triples, whether Oxigraph
    # rewrote literals are questions about the data alone), then what the shapes also see.
    if store is None:
        store = load.oxigraph_store(data.quads)
    elif not data.streamed:
        raise ValueError("a store is given only with data parsed into it")
    # (the caller parsed the data into a store only if the store holds it as written: see read)
    with ThreadPoolExecutor(1, thread_name_prefix="aimsgraph-redefinitions") as pool:
        # the redefinitions query reads every statement (at 100,000 AI systems, 4 s) in Oxigraph,
        # which lets go of Python's lock, while the literals are probed and the statements counted
        redefinitions = pool.submit(integrity.redefinitions_in, store)
        rewritten = _rewritten_literals(data.literals) if engine is Engine.SPARQL else _NOTHING_REWRITTEN
        triples = len(store)
        set_aside = redefinitions.result()
    if rewritten.merged and len(set(data.quads)) > triples:
        rewritten = replace(rewritten, statements_merged=True)
    untrusted = integrity.without(data.quads, set_aside) + _context(as_of)
    extension = integrity.extension_quads(extensions)  # passed on purpose: trusted like the ontology
    entailed: list[integrity.Triple] = []
    if inference is Inference.NONE:
        for quad in integrity.quads(set_aside):  # before the knowledge, which may hold the same statement
            store.remove(quad)
        store.bulk_extend([*_context(as_of), *bundled_knowledge_quads(), *extension])
        # pySHACL, if a shape needs it, reads the statements as parsed, or the store if only it has them
        quads = None if data.streamed else [*untrusted, *bundled_knowledge_quads(), *extension]
        working = _Working(store, quads=quads)
    else:
        # The catalogues and crosswalks join the closure afterwards: they describe catalogue
        # entries, from which no rule entails anything a shape or query reads (without inference
        # they are used as written, too), and reasoning over them as well took owlrl from 2.1 s to
        # 4.6 s on an empty AIMS once NIST AI RMF, GDPR, the EU AI Act and the crosswalks came in.
        trusted = bundled_knowledge(catalogues=False) + load.to_graph(extension)
        closed, entailed = integrity.entail(load.to_graph(untrusted), trusted, inference)
        closed += bundled_catalogues()
        working = _Working(load.oxigraph_store(load.to_quads(closed)), closed)
    plan, each, other, notes = _results_each(working, shapes_graph, engine, progress, rewritten=rewritten)
    other += integrity.results(set_aside, shapes_graph, entailed=entailed)
    context = findings.Context(
        data, working.store, shapes_graph, rules_of(shapes_graph), bundled_catalog(), as_of, inference, BUILTIN_PREFIXES
    )
    why = (
        "inference is on" if inference is not Inference.NONE
        else "the data redefines aimsgraph's terms" if set_aside
        else "the data writes typed literals in other than canonical form" if rewritten.any
        else "some shapes run on pySHACL" if plan is None or plan.fallback
        else None
    )  # fmt: skip
    return Validation(context, plan, each, other, notes, triples, findings.Made(), why)


@dataclass
class _Working:
    """What the shapes see (data, knowledge, extensions, the validation context), in Oxigraph; as
    an rdflib graph only when pySHACL needs one."""

    store: pyoxigraph.Store
    _graph: Graph | None = None
    # the statements as parsed: the store writes typed literals in canonical form ("1.50" as
    # "1.5"), and pySHACL, the reference, must see the data as written
    quads: list[pyoxigraph.Quad] | None = None

    @property
    def graph(self) -> Graph:
        if self._graph is None:
            source = self.quads if self.quads is not None else self.store.quads_for_pattern(None, None, None)
            self._graph = load.to_graph(source)
        return self._graph


def _context(as_of: dt.date) -> list[pyoxigraph.Quad]:
    """The statements that give the shapes the date of the validation (so that none reads a clock)."""
    context = pyoxigraph.NamedNode(str(_CONTEXT))
    return [
        pyoxigraph.Quad(context, pyoxigraph.NamedNode(str(RDF.type)), pyoxigraph.NamedNode(AIMS + "ValidationContext")),
        pyoxigraph.Quad(
            context,
            pyoxigraph.NamedNode(AIMS + "asOf"),
            pyoxigraph.Literal(as_of.isoformat(), datatype=pyoxigraph.NamedNode(str(XSD.date))),
        ),
    ]


@dataclass(frozen=True)
class _Rewritten:
    """The data's typed literals that Oxigraph stores in another form than written (it writes them
    canonically: "4.0"^^xsd:decimal as "4", "01"^^xsd:integer as "1", xsd:int as xsd:integer)."""

    as_written: dict[Node, Node]  # stored form -> the one form the data writes it in
    merged: tuple[str, ...] = ()  # values written in two forms that the store keeps as one
    # and two statements, which differ only in such a value, became one in the store
    statements_merged: bool = False

    @property
    def any(self) -> bool:
        return bool(self.as_written or self.merged)


_NOTHING_REWRITTEN = _Rewritten({})


def _rewritten_literals(literals: Iterable[pyoxigraph.Literal]) -> _Rewritten:
    """Give how the store rewrote the data's literals. Only the distinct typed literals are put to
    stores of their own to see: first all as one subject's values (nearly always, nothing changed),
    then, if something did, each as a subject's own, to pair every written form with its stored one."""
    plain = (_XSD_STRING, _RDF_LANG_STRING)
    written = [value for value in set(literals) if value.datatype not in plain]
    probe = pyoxigraph.Store()
    subject, predicate = pyoxigraph.NamedNode("urn:aimsgraph:probe"), pyoxigraph.NamedNode("urn:aimsgraph:value")
    probe.bulk_extend([pyoxigraph.Quad(subject, predicate, value) for value in written])
    if set(written) == {quad.object for quad in probe}:
        return _NOTHING_REWRITTEN
    probe = pyoxigraph.Store()
    probe.bulk_extend(
        [pyoxigraph.Quad(pyoxigraph.NamedNode(f"urn:aimsgraph:probe:{i}"), predicate, v) for i, v in enumerate(written)]
    )
    forms: dict[pyoxigraph.Literal, list[pyoxigraph.Literal]] = {}
    for quad in probe:
        forms.setdefault(quad.object, []).append(written[int(quad.subject.value.rsplit(":", 1)[1])])
    as_written = {
        load.to_rdflib(stored): load.to_rdflib(kept[0])
        for stored, kept in forms.items()
        if len(kept) == 1 and kept[0] != stored
    }
    merged = tuple(sorted(" and ".join(map(_written, kept)) for kept in forms.values() if len(kept) > 1))
    return _Rewritten(as_written, merged)


def _written(literal: pyoxigraph.Literal) -> str:
    datatype = literal.datatype.value
    kind = datatype.removeprefix(str(XSD))
    return f'"{literal.value}"' + (f"^^xsd:{kind}" if kind != datatype else f"^^<{datatype}>")


def _results_each(
    working: _Working,
    shapes: Graph,
    engine: Engine,
    progress: Progress | None = None,
    *,
    rewritten: _Rewritten = _NOTHING_REWRITTEN,
) -> tuple[shacl_sparql.Plan | None, list[list[shacl_run.Result]], list[shacl_run.Result], tuple[str, ...]]:
    """Give the validation results of ``working``: from the shapes translated into SPARQL and run
    on Oxigraph (the plan, and each check's results), with pySHACL running only those it cannot
    translate (the other results); or all from pySHACL."""
    if rewritten.statements_merged:  # two statements as written, one in the store: only pySHACL sees both
        note = (
            f"all shapes run on pySHACL: the data writes one value in two forms ({rewritten.merged[0]}) "
            "in statements that differ in nothing else, and the store keeps them as one"
        )
        return None, [], _pyshacl_results(shacl.report_graph(working.graph, shapes + Graph())), (note,)
    if engine is Engine.PYSHACL:
        return None, [], _pyshacl_results(shacl.report_graph(working.graph, shapes + Graph())), ()
    plan = _plan(shapes, rewritten.any)
    # a result names a value as the data writes it, not as the store keeps it
    each = shacl_run.run_each(working.store, plan, progress, as_written=rewritten.as_written)
    other: list[shacl_run.Result] = []
    if plan.fallback:
        # pySHACL writes into its shapes graph, so it gets a copy, in which the translated shapes
        # lose their targets (not their constraints, which an untranslated shape may use by sh:node)
        rest = shapes + Graph()
        for shape in plan.translated:
            for target in (SH.targetClass, SH.targetSubjectsOf, SH.targetObjectsOf, SH.targetNode, SH.target):
                rest.remove((shape, target, None))
        other = _pyshacl_results(shacl.report_graph(working.graph, rest))
    notes = tuple(f"{enrich.local_id(shape)} runs on pySHACL: it uses {why}" for shape, why in plan.fallback)
    return plan, each, other, notes


def _pyshacl_results(report: Graph) -> list[shacl_run.Result]:
    # Paths are read from the shapes graph later: pySHACL reports the shapes' own path nodes.
    results = []
    for row in report.query(_RESULTS_QUERY):
        focus, path, value, shape, severity, message = row  # type: ignore[misc]
        text = message if isinstance(message, Literal) else None
        results.append(shacl_run.Result(focus, path, value, shape, severity, text))
    return results


def _plan(shapes: Graph, literals_rewritten: bool) -> shacl_sparql.Plan:
    """Give the translation of ``shapes``; the bundled shapes' is made once per process."""
    if shapes is _bundled_shapes():
        return _bundled_plan(literals_rewritten)
    return shacl_sparql.compile_shapes(shapes, literals_rewritten=literals_rewritten)


@lru_cache(maxsize=2)
def _bundled_plan(literals_rewritten: bool) -> shacl_sparql.Plan:
    return shacl_sparql.compile_shapes(_bundled_shapes(), literals_rewritten=literals_rewritten)


@lru_cache(maxsize=2)
def bundled_knowledge(*, catalogues: bool = True) -> Graph:
    """Give the ontology with (unless ``catalogues`` is false) the catalogues and the crosswalks
    between them, parsed once per process and only ever read (copied from)."""
    graph = Graph()
    for source in _knowledge_sources():
        if catalogues or source.name not in _catalogue_names():
            graph += load.parse_graph(source)
    return graph


@lru_cache(maxsize=1)
def bundled_catalogues() -> Graph:
    """Give the catalogues and the crosswalks between them, parsed once per process and only ever read."""
    graph = Graph()
    for source in _knowledge_sources():
        if source.name in _catalogue_names():
            graph += load.parse_graph(source)
    return graph


def _catalogue_names() -> set[str]:
    return {f"aimsgraph:ontology/{resource.name}" for resource in assets.catalogue_files()}


@lru_cache(maxsize=1)
def bundled_knowledge_quads() -> tuple[pyoxigraph.Quad, ...]:
    """Give the ontology and catalogues as Oxigraph quads, parsed once per process."""
    return tuple(quad for source in _knowledge_sources() for quad in load.parse_quads(source))


def _knowledge_sources() -> list[load.SourceFile]:
    return [
        load.SourceFile(
            f"aimsgraph:ontology/{resource.name}",
            resource.read_bytes(),
            RdfFormat.TURTLE,
            f"https://w3id.org/aimsgraph/assets/{resource.name}",
        )
        for resource in assets.ontology_files()
    ]


@lru_cache(maxsize=1)
def bundled_catalog() -> Catalog:
    """Give the requirement catalogues, read once per process."""
    store = pyoxigraph.Store()
    store.bulk_extend(bundled_knowledge_quads())
    return Catalog.from_store(store)
