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

from aimsgraph import assets, enrich, integrity, load, shacl, shacl_run, shacl_sparql, sparql
from aimsgraph.catalog import Catalog
from aimsgraph.errors import InputError, ShapesError, UsageError
from aimsgraph.formats import RdfFormat
from aimsgraph.model import Engine, Finding, Inference, Progress, Severity, ValidationReport

AIMS = "https://w3id.org/aimsgraph/ns#"
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


@dataclass(frozen=True)
class Rule:
    """The metadata a shape carries: its id, title, the requirements it enforces and how to fix it."""

    id: str
    title: str
    enforces: tuple[str, ...]
    remediation: str
    systemic: bool = False  # a violation means a required element is missing altogether
    # A nested shape without a message of its own speaks with its owner's (pySHACL would make up
    # a technical one, "Less than 1 values on ...", and the SPARQL engine none).
    inherited_message: str | None = None


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
    data = load.load(load.collect(paths, input_format=input_format), progress)
    return validate_loaded(
        data,
        as_of=as_of,
        inference=inference,
        shapes=shapes,
        bundled_shapes=bundled_shapes,
        extensions=extensions,
        engine=engine,
        progress=progress,
    )


def validate_loaded(
    data: load.LoadedData,
    *,
    as_of: dt.date,
    inference: Inference = Inference.NONE,
    shapes: Sequence[str] = (),
    bundled_shapes: bool = True,
    extensions: Sequence[str] = (),
    engine: Engine = Engine.SPARQL,
    progress: Progress | None = None,
) -> ValidationReport:
    """Give the validation report of already loaded AIMS data as of ``as_of`` (see :func:`validate`)."""
    report, _ = validate_in_store(
        data,
        as_of=as_of,
        inference=inference,
        shapes=shapes,
        bundled_shapes=bundled_shapes,
        extensions=extensions,
        engine=engine,
        progress=progress,
    )
    return report


# Python's cyclic collector would walk the half a million parsed quads again and again while
# results and findings are made (at 10,000 AI systems, 484 collections, 0.64 s); what is dropped
# is still freed by reference counting, and the collector resumes after.
@load.collection_paused()
def validate_in_store(
    data: load.LoadedData,
    *,
    as_of: dt.date,
    inference: Inference = Inference.NONE,
    shapes: Sequence[str] = (),
    bundled_shapes: bool = True,
    extensions: Sequence[str] = (),
    engine: Engine = Engine.SPARQL,
    progress: Progress | None = None,
) -> tuple[ValidationReport, pyoxigraph.Store]:
    """Give the validation report of already loaded AIMS data, and the store the shapes ran on:
    the data less what redefines our terms, with the ontology, catalogues, extensions and the
    validation context, closed under ``inference``. What the gap queries must see is in it."""
    shacl.check_rdflib_plugins()
    shapes_graph = _shapes_graph(shapes, bundled=bundled_shapes)
    # One store: the data alone first (what redefines our terms, how many triples, whether Oxigraph
    # rewrote literals are questions about the data alone), then what the shapes also see.
    store = load.oxigraph_store(data.quads)
    triples = len(store)
    set_aside = integrity.redefinitions_in(store)
    rewritten = _rewritten_literals(data.literals) if engine is Engine.SPARQL else _NOTHING_REWRITTEN
    if rewritten.merged and len(set(data.quads)) > triples:
        rewritten = replace(rewritten, statements_merged=True)
    untrusted = integrity.without(data.quads, set_aside) + _context(as_of)
    extension = integrity.extension_quads(extensions)  # passed on purpose: trusted like the ontology
    entailed: list[integrity.Triple] = []
    if inference is Inference.NONE:
        for quad in integrity.quads(set_aside):  # before the knowledge, which may hold the same statement
            store.remove(quad)
        store.bulk_extend([*_context(as_of), *bundled_knowledge_quads(), *extension])
        working = _Working(store, quads=[*untrusted, *bundled_knowledge_quads(), *extension])
    else:
        trusted = bundled_knowledge() + load.to_graph(extension)
        closed, entailed = integrity.entail(load.to_graph(untrusted), trusted, inference)
        working = _Working(load.oxigraph_store(load.to_quads(closed)), closed)
    results, notes = _results(working, shapes_graph, engine, progress, rewritten=rewritten)
    results += integrity.results(set_aside, shapes_graph, entailed=entailed)
    rules = _rules(shapes_graph)
    catalog = bundled_catalog()
    with ThreadPoolExecutor(1, thread_name_prefix="aimsgraph-systems") as pool:
        # Oxigraph, which lets go of Python's lock, finds the findings' AI systems meanwhile
        systems_of = pool.submit(enrich.ai_systems, working.store, [result.focus for result in results])
        data.locate(str(result.focus) for result in results if isinstance(result.focus, URIRef))
        systems = systems_of.result()
    findings = []
    for result in results:
        focus, path, value, shape, severity, message = (
            result.focus,
            result.path,
            result.value,
            result.shape,
            result.severity,
            result.message,
        )
        rule = rules.get(shape) or Rule(enrich.local_id(shape), "", (), "")
        if value == focus:  # pySHACL reports $this as the value of a SPARQL constraint that binds none
            value = None
        named = [str(value)] if isinstance(value, URIRef) else []
        system = systems.get(focus)
        findings.append(
            Finding(
                rule=rule.id,
                rule_title=rule.title,
                severity=_SEVERITIES.get(severity, Severity.VIOLATION),
                message=rule.inherited_message
                or (str(message) if message is not None else rule.title or f"Does not meet {rule.id}."),
                focus_node=enrich.term_text(focus),
                path=enrich.path_text(shapes_graph, path) if path is not None else None,
                value=enrich.term(value) if value is not None else None,
                requirements=catalog.resolve(specific=named, general=list(rule.enforces)),
                remediation=rule.remediation,
                systemic=rule.systemic,
                location=data.location(
                    str(focus), enrich.written_predicate(shapes_graph, working.store, focus, path, value)
                )
                if isinstance(focus, URIRef)
                else None,
                ai_system=str(system[0]) if system else None,
                ai_system_label=system[1] if system else None,
                focus_label=enrich.label(working.store, focus),
            )
        )
    findings.sort(key=lambda f: f.sort_key)
    findings, unused_waivers = enrich.apply_waivers(working.store, findings, as_of)
    active = [f for f in findings if f.suppressed is None]
    counts = {severity: sum(1 for f in active if f.severity is severity) for severity in Severity}
    report = ValidationReport(
        as_of=as_of,
        sources=tuple(data.sources),
        findings=tuple(findings),
        triples=triples,
        shapes=len({rule.id for rule in rules.values()}),
        inference=inference,
        counts=counts,
        prefixes=tuple(sorted({**BUILTIN_PREFIXES, **data.prefixes}.items())),
        checked_requirements=enrich.examined(working.store, shapes_graph, rules),
        suppressed=len(findings) - len(active),
        unused_waivers=unused_waivers,
        engine_notes=notes,
    )
    return report, working.store


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


def _results(
    working: _Working,
    shapes: Graph,
    engine: Engine,
    progress: Progress | None = None,
    *,
    rewritten: _Rewritten = _NOTHING_REWRITTEN,
) -> tuple[list[shacl_run.Result], tuple[str, ...]]:
    """Give the validation results of ``working``: from the shapes translated into SPARQL and run
    on Oxigraph, with pySHACL running only those it cannot translate; or all from pySHACL."""
    if rewritten.statements_merged:  # two statements as written, one in the store: only pySHACL sees both
        note = (
            f"all shapes run on pySHACL: the data writes one value in two forms ({rewritten.merged[0]}) "
            "in statements that differ in nothing else, and the store keeps them as one"
        )
        return _pyshacl_results(shacl.report_graph(working.graph, shapes + Graph())), (note,)
    if engine is Engine.PYSHACL:
        return _pyshacl_results(shacl.report_graph(working.graph, shapes + Graph())), ()
    plan = _plan(shapes, rewritten.any)
    # a result names a value as the data writes it, not as the store keeps it
    results = shacl_run.run(working.store, plan, progress, as_written=rewritten.as_written)
    if plan.fallback:
        # pySHACL writes into its shapes graph, so it gets a copy, in which the translated shapes
        # lose their targets (not their constraints, which an untranslated shape may use by sh:node)
        rest = shapes + Graph()
        for shape in plan.translated:
            for target in (SH.targetClass, SH.targetSubjectsOf, SH.targetObjectsOf, SH.targetNode, SH.target):
                rest.remove((shape, target, None))
        results += _pyshacl_results(shacl.report_graph(working.graph, rest))
    notes = tuple(f"{enrich.local_id(shape)} runs on pySHACL: it uses {why}" for shape, why in plan.fallback)
    return results, notes


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


@lru_cache(maxsize=1)
def bundled_knowledge() -> Graph:
    """Give the ontology and catalogues, parsed once per process and only ever read (copied from)."""
    graph = Graph()
    for source in _knowledge_sources():
        graph += load.parse_graph(source)
    return graph


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
    return Catalog.from_graph(bundled_knowledge())


def bundled_shapes_graph() -> Graph:
    """Give a fresh graph of the bundled shapes, which the caller may change."""
    return _bundled_shapes() + Graph()


@lru_cache(maxsize=1)
def _bundled_shapes() -> Graph:
    """Give the bundled shapes, parsed once per process and only ever read (pySHACL, which writes
    into the shapes graph it runs, gets a copy)."""
    graph = Graph()
    for resource in assets.shapes_files():
        source = load.SourceFile(
            f"aimsgraph:shapes/{resource.name}",
            resource.read_bytes(),
            RdfFormat.TURTLE,
            f"https://w3id.org/aimsgraph/assets/{resource.name}",
        )
        graph += load.parse_graph(source)
    return graph


def _shapes_graph(paths: Sequence[str], *, bundled: bool) -> Graph:
    if bundled and not paths:
        return _bundled_shapes()
    graph = bundled_shapes_graph() if bundled else Graph()
    for source in load.collect(paths) if paths else []:
        user = load.parse_graph(source)
        if not _declares_shapes(user):
            raise ShapesError(
                f"{source.name}: declares no SHACL shape (nothing typed sh:NodeShape or sh:PropertyShape)"
            )
        problems = shacl.shapes_violations(user)
        if problems:
            raise ShapesError(f"{source.name}: not valid SHACL: {problems[0]}")
        _refuse_unsafe_sparql(user, graph, source.name)
        graph += user
    if not _declares_shapes(graph):
        raise ShapesError("no shapes to validate with: give --shapes or keep the bundled shapes")
    return graph


def _refuse_unsafe_sparql(user: Graph, bundled: Graph, name: str) -> None:
    """Refuse a user's shapes whose SPARQL could reach the network or the disk (SERVICE, LOAD,
    FROM) or that carry SHACL rules: pySHACL runs SPARQL targets and rules with rdflib, which
    would call SERVICE.

    :raises ShapesError: a query in the shapes is unsafe or cannot be read.
    """
    if any(user.triples((None, SH.rule, None))):
        raise ShapesError(f"{name}: SHACL rules (sh:rule) are not run from user shapes")
    declarations = list(user.objects(None, SH.declare)) + list(bundled.objects(None, SH.declare))
    prologue = "".join(
        f"PREFIX {user.value(d, SH.prefix) or bundled.value(d, SH.prefix)}: "
        f"<{user.value(d, SH.namespace) or bundled.value(d, SH.namespace)}>\n"
        for d in declarations
    )
    for predicate in (SH.select, SH.ask, SH.construct, SH.update):
        for text in user.objects(None, predicate):
            try:
                if predicate == SH.update:
                    sparql.check_update(prologue + str(text), source=name)
                else:
                    query = prologue + str(text)
                    sparql.check(query, source=name)
                    if sparql.has_dataset_clause(query, source=name):
                        # rdflib would read the named graphs from their IRIs; loading is off, and
                        # a shape has no business choosing its graphs anyway.
                        raise UsageError(f"{name}: FROM and FROM NAMED are refused in shapes")
            except (InputError, UsageError) as error:
                problem = str(error).removeprefix(f"{name}: ")
                raise ShapesError(f"{name}: a SPARQL query in the shapes is refused: {problem}") from None


def _declares_shapes(graph: Graph) -> bool:
    return any(graph.triples((None, RDF.type, SH.NodeShape))) or any(graph.triples((None, RDF.type, SH.PropertyShape)))


def _rules(shapes: Graph) -> dict[Node, Rule]:
    """Give each shape's rule metadata; a nested property shape inherits what it lacks from its parent."""
    enforces, remediation = URIRef(AIMS + "enforces"), URIRef(AIMS + "remediation")
    systemic = URIRef(AIMS + "systemic")
    parents = {child: parent for parent, child in shapes.subject_objects(SH.property)}
    rules: dict[Node, Rule] = {}
    shape_nodes = set(shapes.subjects(RDF.type, SH.NodeShape)) | set(shapes.subjects(RDF.type, SH.PropertyShape))
    shape_nodes |= set(parents)
    for shape in shape_nodes:
        owner = shape
        while not isinstance(owner, URIRef) or not any(shapes.triples((owner, enforces, None))):
            if owner not in parents:
                break
            owner = parents[owner]
        label = shapes.value(shape, RDFS.label) or shapes.value(owner, RDFS.label)
        own_message = shapes.value(shape, SH.message) is not None or shapes.value(shape, SH.sparql) is not None
        owner_message = shapes.value(owner, SH.message)
        rules[shape] = Rule(
            id=enrich.local_id(owner),
            title=str(label) if label is not None else "",
            enforces=tuple(sorted(str(o) for o in shapes.objects(owner, enforces))),
            remediation=str(shapes.value(owner, remediation) or ""),
            systemic=(owner, systemic, Literal(True)) in shapes,
            inherited_message=str(owner_message) if owner_message is not None and not own_message else None,
        )
    return rules
