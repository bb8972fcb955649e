"""From validation results to the report: each result becomes a finding with its rule's metadata,
the catalogued requirements it concerns, the AI system it belongs to and where it is written;
then waivers are applied and the findings counted.

A re-validation keeps the findings it made before and makes again only those whose focus node a
change may have touched (its label, its AI system, its lines).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import pyoxigraph
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS, SH
from rdflib.term import Node

from aimsgraph import enrich, load
from aimsgraph.catalog import Catalog
from aimsgraph.model import Finding, Inference, Severity, ValidationReport
from aimsgraph.shacl_run import Result

AIMS = "https://w3id.org/aimsgraph/ns#"
_SEVERITIES: dict[Node, Severity] = {
    SH.Violation: Severity.VIOLATION,
    SH.Warning: Severity.WARNING,
    SH.Info: Severity.INFO,
}


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


@dataclass
class Made:
    """The findings made so far, by result, to be kept across re-validations of the same data."""

    findings: dict[Result, Finding] = field(default_factory=dict)

    def forget(self, focus: Collection[Node]) -> None:
        """Drop the findings about ``focus`` nodes: a change may have touched their label, AI system or lines."""
        if focus:
            self.findings = {r: f for r, f in self.findings.items() if r.focus not in focus}


@dataclass(frozen=True)
class Context:
    """What a report is made in: the data and store validated, the shapes, their rules, the catalogue."""

    data: load.LoadedData
    store: pyoxigraph.Store
    shapes: Graph
    rules: dict[Node, Rule]
    catalog: Catalog
    as_of: dt.date
    inference: Inference
    prefixes: dict[str, str]


def report(
    context: Context,
    results: list[Result],
    *,
    triples: int,
    notes: tuple[str, ...],
    made: Made | None = None,
) -> ValidationReport:
    """Give the validation report of ``results``, making findings only for results ``made`` lacks."""
    made = made if made is not None else Made()
    kept = {result: made.findings[result] for result in results if result in made.findings}
    new = [result for result in results if result not in kept]
    if new:
        kept.update(_make(context, new))
    made.findings = kept
    findings = sorted((kept[result] for result in results), key=lambda f: f.sort_key)
    findings, unused_waivers = enrich.apply_waivers(context.store, findings, context.as_of)
    active = [f for f in findings if f.suppressed is None]
    return ValidationReport(
        as_of=context.as_of,
        sources=tuple(context.data.sources),
        findings=tuple(findings),
        triples=triples,
        shapes=len({rule.id for rule in context.rules.values()}),
        inference=context.inference,
        counts={severity: sum(1 for f in active if f.severity is severity) for severity in Severity},
        prefixes=tuple(sorted({**context.prefixes, **context.data.prefixes}.items())),
        checked_requirements=enrich.examined(context.store, context.shapes, context.rules),
        suppressed=len(findings) - len(active),
        unused_waivers=unused_waivers,
        engine_notes=notes,
    )


def _make(context: Context, results: list[Result]) -> dict[Result, Finding]:
    data, store, shapes = context.data, context.store, context.shapes
    with ThreadPoolExecutor(1, thread_name_prefix="aimsgraph-systems") as pool:
        # Oxigraph, which lets go of Python's lock, finds the findings' AI systems meanwhile
        systems_of = pool.submit(enrich.ai_systems, store, [result.focus for result in results])
        data.locate(str(result.focus) for result in results if isinstance(result.focus, URIRef))
        systems = systems_of.result()
    made = {}
    for result in results:
        focus, value = result.focus, result.value
        rule = context.rules.get(result.shape) or Rule(enrich.local_id(result.shape), "", (), "")
        if value == focus:  # pySHACL reports $this as the value of a SPARQL constraint that binds none
            value = None
        named = [str(value)] if isinstance(value, URIRef) else []
        system = systems.get(focus)
        message = result.message
        made[result] = Finding(
            rule=rule.id,
            rule_title=rule.title,
            severity=_SEVERITIES.get(result.severity, Severity.VIOLATION),
            message=rule.inherited_message
            or (str(message) if message is not None else rule.title or f"Does not meet {rule.id}."),
            focus_node=enrich.term_text(focus),
            path=enrich.path_text(shapes, result.path) if result.path is not None else None,
            value=enrich.term(value) if value is not None else None,
            requirements=context.catalog.resolve(specific=named, general=list(rule.enforces)),
            remediation=rule.remediation,
            systemic=rule.systemic,
            location=data.location(str(focus), enrich.written_predicate(shapes, store, focus, result.path, value))
            if isinstance(focus, URIRef)
            else None,
            ai_system=str(system[0]) if system else None,
            ai_system_label=system[1] if system else None,
            focus_label=enrich.label(store, focus),
        )
    return made


def rules_of(shapes: Graph) -> dict[Node, Rule]:
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
