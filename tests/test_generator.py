"""The synthetic AIMS generator (bench/) is deterministic and speaks the ontology, gaps included."""

from __future__ import annotations

import sys
from pathlib import Path

import pyoxigraph
from rdflib import BNode, URIRef
from rdflib.namespace import RDF, RDFS
from rdflib.term import Node

from aimsgraph import enrich, load
from aimsgraph.validate import validate
from tests.conftest import EXAMPLE_AS_OF, ROOT

sys.path.insert(0, str(ROOT / "bench"))

from generate import generate


def test_same_seed_same_graph_and_the_deliberate_gaps_are_found(tmp_path: Path) -> None:
    lines = list(generate(60, seed=3))
    assert lines == list(generate(60, seed=3))
    assert lines != list(generate(60, seed=4))
    path = tmp_path / "synthetic.nt"
    path.write_text("\n".join(lines) + "\n")
    rules = {f.rule for f in validate([str(path)], as_of=EXAMPLE_AS_OF).findings}
    assert "DeclaredTerms" not in rules and "KnownRequirement" not in rules
    assert {"RiskOwner", "RiskTreated", "AISystemAccountableOwner", "EvidenceCurrent"} <= rules
    # the EU AI Act records are there, each missing now and then; the quality manual is always there
    assert rules & {"TransparencyNoticeGiven", "HighRiskTechnicalDocumentation", "EventLogRetention"}
    assert "HighRiskQualityManagementSystem" not in rules


def test_the_ai_system_of_many_nodes_is_the_one_found_for_few_and_for_all(tmp_path: Path) -> None:
    # enrich.ai_systems asks three ways: few nodes in each branch, many after the branches, and
    # (a blank node among them) every node; all three must give each node the same AI system.
    path = tmp_path / "synthetic.nt"
    path.write_text("\n".join(generate(60, seed=3)) + "\n")
    data = load.load(load.collect([str(path)]))
    store = load.oxigraph_store(data.quads)
    nodes = sorted({load.to_rdflib(q.subject) for q in data.quads if isinstance(q.subject, pyoxigraph.NamedNode)})
    assert len(nodes) > enrich._FEW
    many = enrich.ai_systems(store, nodes)
    few: dict[Node, tuple[str, str | None]] = {}
    for start in range(0, len(nodes), enrich._FEW):
        few.update(enrich.ai_systems(store, nodes[start : start + enrich._FEW]))
    every = enrich.ai_systems(store, [*nodes, BNode()])
    assert many == few == {node: system for node, system in every.items() if node in set(nodes)}
    kinds = {str(node).rsplit("/", 1)[1].rstrip("-0123456789") for node in many}
    assert {"system", "risk", "treatment", "system-evidence", "system-control", "nc", "ca"} <= kinds


def test_the_ai_system_of_many_is_that_of_few_on_the_example_too() -> None:
    # the example has what the generator lacks: risk acceptances, corrective actions, evidence
    # of a control, labels; asked the way many nodes are, its resources get the same AI systems
    data = load.load(load.collect([str(ROOT / "examples" / "kestrel")]))
    store = load.oxigraph_store(data.quads)
    nodes = sorted({load.to_rdflib(q.subject) for q in data.quads if isinstance(q.subject, pyoxigraph.NamedNode)})
    values = "VALUES ?node { " + " ".join(f"<{node}>" for node in nodes) + " }"
    many = enrich._ai_systems_of_many(store, values)
    assert many == enrich.ai_systems(store, nodes[: enrich._FEW]) | enrich.ai_systems(store, nodes[enrich._FEW :])
    kinds = {str(node).rsplit("/", 1)[1].split("-")[0] for node in many}
    assert {"acc", "ca", "ev", "trt", "risk", "sys", "ctrl"} <= kinds, kinds


def test_an_ai_system_that_is_a_blank_node_is_found_for_many_nodes_too() -> None:
    # its label cannot be asked for by name: the many-nodes way gives up, the UNION answers
    store = pyoxigraph.Store()
    system = pyoxigraph.BlankNode()
    aims = "https://w3id.org/aimsgraph/ns#"
    store.add(pyoxigraph.Quad(system, pyoxigraph.NamedNode(str(RDF.type)), pyoxigraph.NamedNode(aims + "AISystem")))
    store.add(pyoxigraph.Quad(system, pyoxigraph.NamedNode(str(RDFS.label)), pyoxigraph.Literal("Kept blank")))
    risk = pyoxigraph.NamedNode("https://x.example/risk")
    store.add(pyoxigraph.Quad(risk, pyoxigraph.NamedNode(aims + "concernsSystem"), system))
    nodes = [URIRef(risk.value), *(URIRef(f"https://x.example/other-{i}") for i in range(enrich._FEW))]
    found = {node: system for node, system in enrich.ai_systems(store, nodes).items() if node in set(nodes)}
    assert found == {URIRef(risk.value): (str(load.to_rdflib(system)), "Kept blank")}
