"""From a validation result to a finding: the rule's id, the AI system and label of the focus
node, where the property at fault is written, the path as text, which requirements a rule
examined, and which findings a current waiver accepts. All read from the Oxigraph store that the
shapes ran on.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import replace
from typing import TYPE_CHECKING

import pyoxigraph
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS, SH, SKOS, XSD
from rdflib.term import Node

from aimsgraph import assets, load, sparql
from aimsgraph.model import Finding, Term, TermKind

if TYPE_CHECKING:
    from aimsgraph.findings import Rule

SHAPES = "https://w3id.org/aimsgraph/shapes#"
_FEW = 500  # nodes to find the AI systems of that are better asked about in each branch of a UNION


_WAIVERS_QUERY = """
PREFIX aims: <https://w3id.org/aimsgraph/ns#>
SELECT ?waiver ?rule ?focus ?until WHERE {
    ?waiver a aims:Waiver ; aims:waivesRule ?rule ; aims:waivedFocus ?focus ; aims:validUntil ?until .
}"""


def apply_waivers(
    store: pyoxigraph.Store, findings: list[Finding], as_of: dt.date
) -> tuple[list[Finding], tuple[str, ...]]:
    """Give the findings with those a current waiver accepts marked suppressed, and the current
    waivers that accepted nothing. An expired waiver suppresses nothing (WaiverExpired reports it)."""
    current: dict[tuple[str, str], str] = {}
    for row in select(store, _WAIVERS_QUERY):
        waived, rule, focus, until = (load.to_rdflib(row[name]) for name in ("waiver", "rule", "focus", "until"))
        expiry = until.toPython() if isinstance(until, Literal) else None
        if isinstance(expiry, dt.date) and not isinstance(expiry, dt.datetime) and expiry >= as_of:
            current[(local_id(rule), term_text(focus))] = str(waived)
    used: set[str] = set()
    marked = []
    for finding in findings:
        waiver = current.get((finding.rule, finding.focus_node)) if finding.suppressible else None
        if waiver is not None:
            used.add(waiver)
        marked.append(finding if waiver is None else replace(finding, suppressed="waiver"))
    return marked, tuple(sorted(set(current.values()) - used))


def select(store: pyoxigraph.Store, query: str) -> pyoxigraph.QuerySolutions:
    solutions = store.query(query)
    assert isinstance(solutions, pyoxigraph.QuerySolutions)
    return solutions


def examined(store: pyoxigraph.Store, shapes: Graph, rules: dict[Node, Rule]) -> frozenset[str]:
    """Give the requirements that some rule actually examined: a rule counts only when the data
    holds at least one node its targets select (a rule about AI systems examines nothing in an
    AIMS that lists none)."""
    examined: set[str] = set()
    for shape, rule in rules.items():
        if rule.enforces and not examined.issuperset(rule.enforces) and has_targets(store, shapes, shape):
            examined.update(rule.enforces)
    return frozenset(examined)


def has_targets(store: pyoxigraph.Store, shapes: Graph, shape: Node) -> bool:
    for target_class in shapes.objects(shape, SH.targetClass):
        if store.query(f"ASK {{ ?node <{RDF.type}>/<{RDFS.subClassOf}>* <{target_class}> }}"):
            return True
    for predicate in (*shapes.objects(shape, SH.targetSubjectsOf), *shapes.objects(shape, SH.targetObjectsOf)):
        if next(iter(store.quads_for_pattern(None, pyoxigraph.NamedNode(str(predicate)), None)), None) is not None:
            return True
    # A SPARQL target (SHACL-AF) is not evaluated here; such a rule alone never makes a
    # requirement count as examined, which errs towards "not assessed" rather than "met".
    return any(shapes.triples((shape, SH.targetNode, None)))


def ai_systems(store: pyoxigraph.Store, nodes: Iterable[Node]) -> dict[Node, tuple[str, str | None]]:
    """Give, for each of ``nodes`` that is about exactly one AI system, that system and its label."""
    query = assets.query_text("internal/ai-system-of.rq")
    wanted = set(nodes)
    if not any(isinstance(node, BNode) for node in wanted):
        # Asked for the findings' focus nodes only: at 10,000 AI systems, a tenth of the rows. A
        # blank node cannot be written in VALUES, so with one among them all are asked for.
        values = "VALUES ?node { " + " ".join(f"<{node}>" for node in wanted if isinstance(node, URIRef)) + " }"
        if len(wanted) <= _FEW:
            query = query.replace("# nodes\n", values + "\n")  # in each branch of the UNION
        else:
            many = _ai_systems_of_many(store, values)
            if many is not None:
                return many
    # read through at once: this runs on a thread of its own, and Oxigraph's answer must be
    # dropped on the thread that asked, which an exception's traceback would not do
    solutions = select(store, query)
    try:
        rows = [(row["node"], row["system"], row["label"]) for row in solutions]
    finally:  # and on an error too: its traceback, which keeps this frame, goes to another thread
        del solutions
    found: dict[Node, set[tuple[str, str | None]]] = {}
    for node, system, label in rows:
        found.setdefault(load.to_rdflib(node), set()).add(
            (str(load.to_rdflib(system)), label.value if isinstance(label, pyoxigraph.Literal) else None)
        )
    return {node: next(iter(systems)) for node, systems in found.items() if len(systems) == 1}


_LABELS_QUERY = """
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?system ?label WHERE { # systems
    OPTIONAL { ?system rdfs:label ?label . }
}"""


def _ai_systems_of_many(store: pyoxigraph.Store, values: str) -> dict[Node, tuple[str, str | None]] | None:
    """:func:`ai_systems` for more than a few IRIs (``values`` binds ?node): the same answer
    (the tests hold it so), from internal/ai-system-of-many and the systems' labels; None if an
    AI system reached is a blank node, whose label cannot be asked for by name."""
    query = assets.query_text("internal/ai-system-of-many.rq").replace("# nodes\n", values + "\n")
    # read from Oxigraph's TSV, which it writes without Python's lock: term objects, made one by
    # one with the lock held, would keep findings.py from reading the source files meanwhile
    result = sparql.run(store, query, source="internal/ai-system-of-many.rq")
    assert isinstance(result, sparql.SelectResult)
    systems_of: dict[str, set[str]] = {}
    for subject, *systems in result.rows:
        assert subject is not None
        if any(system is not None and system.kind is TermKind.BLANK for system in systems):
            return None
        reached = systems_of.setdefault(subject.value, set())
        reached.update(system.value for system in systems if system is not None)
    reached_at_all = {system for systems in systems_of.values() for system in systems}
    labels: dict[str, list[str | None]] = {}
    if reached_at_all:
        named = "VALUES ?system { " + " ".join(f"<{system}>" for system in reached_at_all) + " }"
        named_labels = sparql.run(store, _LABELS_QUERY.replace("# systems", named), source="ai_systems labels")
        assert isinstance(named_labels, sparql.SelectResult)
        for system, label in named_labels.rows:
            labels.setdefault(sparql.value(system), []).append(
                label.value if label is not None and label.kind is TermKind.LITERAL else None
            )
    found: dict[Node, tuple[str, str | None]] = {}
    for node, reached in systems_of.items():
        # as the UNION's rows would: one pair of system and label per label the system has
        pairs = {(system, label) for system in reached for label in labels.get(system, [None])}
        if len(pairs) == 1:
            found[URIRef(node)] = next(iter(pairs))
    return found


def label(store: pyoxigraph.Store, node: Node) -> str | None:
    if not isinstance(node, URIRef | BNode):
        return None
    subject = load.to_subject(node)
    for predicate in (RDFS.label, SKOS.prefLabel):
        # of several, the least: the store's order is not the data's, nor the same in every store
        labels = [
            str(load.to_rdflib(q.object))
            for q in store.quads_for_pattern(subject, pyoxigraph.NamedNode(str(predicate)), None)
        ]
        if labels:
            return min(labels)
    return None


def local_id(shape: Node) -> str:
    """Give a rule's id: the local name of a bundled shape, the full IRI of anyone else's."""
    text = str(shape)
    return text.removeprefix(SHAPES) if text.startswith(SHAPES) else term_text(shape)


def term(node: Node) -> Term:
    if isinstance(node, Literal):
        language = node.language
        datatype = None if language else str(node.datatype or XSD.string)
        return Term(TermKind.LITERAL, str(node), datatype, language)
    if isinstance(node, BNode):
        return Term(TermKind.BLANK, str(node))
    return Term(TermKind.IRI, str(node))


def term_text(term: Node) -> str:
    if isinstance(term, BNode):
        return f"_:{term}"
    return str(term)


def written_predicate(
    report: Graph, store: pyoxigraph.Store, focus: Node, path: Node | None, value: Node | None
) -> str | None:
    """Give the predicate whose triple the finding is about, so it can point at that line: the
    path itself, or for an alternative path the alternative that links the focus to the value.
    Other complex paths have no single line of their own and point at the focus node."""
    if isinstance(path, URIRef):
        return str(path)
    alternatives = report.value(path, SH.alternativePath) if path is not None else None
    if alternatives is None or value is None:
        return None
    if not isinstance(focus, URIRef | BNode):
        return None
    for predicate in report.items(alternatives):
        if isinstance(predicate, URIRef):
            triple = pyoxigraph.Quad(
                load.to_subject(focus), pyoxigraph.NamedNode(str(predicate)), load.to_oxigraph(value)
            )
            if triple in store:
                return str(predicate)
    return None


def path_text(report: Graph, path: Node) -> str:
    """Give a SHACL property path in SPARQL path syntax, with full IRIs."""
    if isinstance(path, URIRef):
        return f"<{path}>"
    inverse = report.value(path, SH.inversePath)
    if inverse is not None:
        return "^" + path_text(report, inverse)
    alternatives = report.value(path, SH.alternativePath)
    if alternatives is not None:
        return "(" + "|".join(path_text(report, p) for p in report.items(alternatives)) + ")"
    for modifier, suffix in ((SH.zeroOrMorePath, "*"), (SH.oneOrMorePath, "+"), (SH.zeroOrOnePath, "?")):
        inner = report.value(path, modifier)
        if inner is not None:
            return path_text(report, inner) + suffix
    members = list(report.items(path))
    if members:
        return "/".join(path_text(report, p) for p in members)
    return term_text(path)
