"""Every shape is checked by data: a conforming and a violating fixture each (manifest-driven).

A fixture directory tests/fixtures/shapes/<RuleId>/ holds conforms.ttl (data the rule accepts) and
violates.ttl (data it rejects), whose header line ``# expect-focus:`` lists the focus nodes the rule
must report there, no more and no fewer.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS, SH

from aimsgraph.shacl import shapes_violations
from aimsgraph.validate import bundled_shapes_graph, validate
from tests.conftest import FIXTURE_AS_OF, SHAPE_FIXTURES

AIMS = "https://w3id.org/aimsgraph/ns#"
SHAPES_NS = "https://w3id.org/aimsgraph/shapes#"
PREFIXES = {"ex": "https://fixture.example/", "aims": AIMS}


def _rule_ids() -> list[str]:
    shapes = bundled_shapes_graph()
    named = {s for s in shapes.subjects(URIRef(AIMS + "enforces"), None) if isinstance(s, URIRef)}
    return sorted(str(s).removeprefix(SHAPES_NS) for s in named)


RULES = _rule_ids()


def _expected_focus(path: Path) -> set[str]:
    match = re.search(r"^# expect-focus: (.+)$", path.read_text(encoding="utf-8"), re.MULTILINE)
    assert match, f"{path} has no '# expect-focus:' line"
    expanded = set()
    for token in match.group(1).split():
        prefix, _, local = token.partition(":")
        expanded.add(PREFIXES[prefix] + local if prefix in PREFIXES else token)
    return expanded


def _focus_of(rule: str, path: Path) -> set[str]:
    report = validate([str(path)], as_of=FIXTURE_AS_OF)
    return {f.focus_node for f in report.findings if f.rule == rule}


@pytest.mark.parametrize("rule", RULES)
def test_conforming_fixture_passes_the_rule(rule: str) -> None:
    assert _focus_of(rule, SHAPE_FIXTURES / rule / "conforms.ttl") == set()


@pytest.mark.parametrize("rule", RULES)
def test_violating_fixture_is_reported_at_the_expected_focus_nodes(rule: str) -> None:
    fixture = SHAPE_FIXTURES / rule / "violates.ttl"
    assert _focus_of(rule, fixture) == _expected_focus(fixture)


def test_every_rule_has_both_fixtures_and_every_fixture_a_rule() -> None:
    fixture_dirs = {p.name for p in SHAPE_FIXTURES.iterdir() if p.is_dir()}
    missing = [
        r
        for r in RULES
        if not (SHAPE_FIXTURES / r / "conforms.ttl").is_file() or not (SHAPE_FIXTURES / r / "violates.ttl").is_file()
    ]
    assert missing == [], f"rules without a conforming and a violating fixture: {missing}"
    assert fixture_dirs - set(RULES) == set(), "fixtures for rules that do not exist"


def test_every_shape_carries_its_metadata() -> None:
    shapes = bundled_shapes_graph()
    enforces, remediation = URIRef(AIMS + "enforces"), URIRef(AIMS + "remediation")
    named = [
        s
        for s in set(shapes.subjects(RDF.type, SH.NodeShape)) | set(shapes.subjects(RDF.type, SH.PropertyShape))
        if isinstance(s, URIRef)
    ]
    assert len(named) == len(RULES) > 0
    for shape in named:
        assert shapes.value(shape, SH.severity) in (SH.Violation, SH.Warning, SH.Info), shape
        assert shapes.value(shape, RDFS.label), shape
        assert shapes.value(shape, remediation), shape
        assert list(shapes.objects(shape, enforces)), shape
        has_message = shapes.value(shape, SH.message) is not None or any(
            shapes.value(constraint, SH.message) is not None for constraint in shapes.objects(shape, SH.sparql)
        )
        assert has_message, f"{shape} has no sh:message"


def test_every_enforced_requirement_is_in_the_catalogue(knowledge: Graph) -> None:
    shapes = bundled_shapes_graph()
    leaves = ("ClauseRequirement", "ReferenceControl", "RMFSubcategory", "LegalProvision")
    for requirement in set(shapes.objects(None, URIRef(AIMS + "enforces"))):
        assert any((requirement, RDF.type, URIRef(AIMS + kind)) in knowledge for kind in leaves), (
            f"{requirement} is not a leaf requirement of a catalogue (clause, control, subcategory or provision)"
        )
        # a provision the coverage report leaves out cannot be what a rule enforces
        assert (requirement, URIRef(AIMS + "assessable"), Literal(False)) not in knowledge, requirement


def test_bundled_shapes_are_valid_shacl() -> None:
    assert shapes_violations(bundled_shapes_graph()) == []
