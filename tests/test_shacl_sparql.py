"""The SPARQL engine (shapes translated into queries run on Oxigraph) gives exactly pySHACL's
findings: focus node, path, value, rule, severity and message, on every rule's fixtures, on the
example organisation and on a generated AIMS; a shape it cannot translate runs on pySHACL, with a
note, and still gives pySHACL's answer (issue 8)."""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import SH

from aimsgraph import shacl_sparql
from aimsgraph.model import Engine, Finding, ValidationReport
from aimsgraph.validate import bundled_shapes_graph, validate
from tests.conftest import EXAMPLES, FIXTURE_AS_OF, ROOT, SHAPE_FIXTURES

sys.path.insert(0, str(ROOT / "bench"))

from generate import generate

FIXTURE_FILES = sorted(SHAPE_FIXTURES.glob("*/*.ttl"))


def _key(finding: Finding) -> tuple[object, ...]:
    value = (finding.value.kind, finding.value.value, finding.value.datatype) if finding.value else None
    return (finding.rule, finding.focus_node, finding.path, value, finding.severity, finding.message)


def _both(paths: list[str], **options: object) -> tuple[ValidationReport, ValidationReport]:
    reference = validate(paths, as_of=FIXTURE_AS_OF, engine=Engine.PYSHACL, **options)  # type: ignore[arg-type]
    fast = validate(paths, as_of=FIXTURE_AS_OF, engine=Engine.SPARQL, **options)  # type: ignore[arg-type]
    return reference, fast


def _assert_same(reference: ValidationReport, fast: ValidationReport) -> None:
    assert Counter(map(_key, fast.findings)) == Counter(map(_key, reference.findings))
    assert fast.checked_requirements == reference.checked_requirements
    assert [f.suppressed for f in fast.findings] == [f.suppressed for f in reference.findings]


def test_every_bundled_shape_is_translated() -> None:
    shapes = bundled_shapes_graph()
    plan = shacl_sparql.compile_shapes(shapes)
    assert plan.fallback == ()
    rules = set(shapes.subjects(URIRef("https://w3id.org/aimsgraph/ns#enforces"), None))
    active = rules - set(shapes.subjects(SH.deactivated, None))  # DataRedefinesTerms runs before validation
    assert set(plan.translated) == active and len(active) == 69


@pytest.mark.parametrize("fixture", FIXTURE_FILES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_the_same_findings_as_pyshacl_on_every_fixture(fixture: Path) -> None:
    reference, fast = _both([str(fixture)])
    _assert_same(reference, fast)
    assert fast.engine_notes == ()


def test_the_same_findings_as_pyshacl_on_the_example_and_a_generated_aims(tmp_path: Path) -> None:
    reference, fast = _both([str(EXAMPLES / "kestrel")])
    _assert_same(reference, fast)
    generated = tmp_path / "generated.nt"
    generated.write_text("\n".join(generate(150, seed=11)) + "\n")
    reference, fast = _both([str(generated)])
    assert len(reference.findings) > 50  # the generator's deliberate gaps are there to be found
    _assert_same(reference, fast)


USER_SHAPES = """@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix aims: <https://w3id.org/aimsgraph/ns#> .
@prefix ex: <https://user.example/shapes#> .
ex:NamedOnce a sh:PropertyShape ;
    sh:targetClass aims:AISystem ;
    sh:path <http://www.w3.org/2000/01/rdf-schema#label> ;
    sh:uniqueLang true ;
    sh:message "Labels repeat a language."@en .
ex:Purposeful a sh:PropertyShape ;
    sh:targetClass aims:AISystem ;
    sh:path aims:intendedPurpose ;
    sh:pattern "^[A-Z]" ;
    sh:message "The purpose does not start with a capital."@en .
"""


def test_a_shape_it_cannot_translate_runs_on_pyshacl_with_a_note(tmp_path: Path) -> None:
    shapes = tmp_path / "user.ttl"
    shapes.write_text(USER_SHAPES)
    data = tmp_path / "data.ttl"
    data.write_text(
        "@prefix aims: <https://w3id.org/aimsgraph/ns#> .\n@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
        '<https://user.example/s> a aims:AISystem ; rdfs:label "A"@en, "B"@en ; aims:intendedPurpose "lower case" .\n'
    )
    reference, fast = _both([str(data)], shapes=[str(shapes)])
    _assert_same(reference, fast)
    rules = {f.rule for f in fast.findings}
    assert {"https://user.example/shapes#NamedOnce", "https://user.example/shapes#Purposeful"} <= rules
    assert fast.engine_notes == ("https://user.example/shapes#NamedOnce runs on pySHACL: it uses sh:uniqueLang",)


def test_a_sub_select_in_a_constraint_is_left_to_pyshacl(tmp_path: Path) -> None:
    """Joining the target into a query with a sub-SELECT would not bind $this inside it, as
    pySHACL's pre-binding does: such a constraint is not translated."""
    shapes = tmp_path / "user.ttl"
    shapes.write_text(
        "@prefix sh: <http://www.w3.org/ns/shacl#> .\n@prefix aims: <https://w3id.org/aimsgraph/ns#> .\n"
        "<https://user.example/shapes#FewRisks> a sh:NodeShape ; sh:targetClass aims:AISystem ;\n"
        '  sh:sparql [ sh:select """SELECT $this WHERE { { SELECT $this (COUNT(?r) AS ?n) WHERE {\n'
        '    ?r <https://w3id.org/aimsgraph/ns#concernsSystem> $this } GROUP BY $this } FILTER (?n < 2) }""" ] .\n'
    )
    plan = shacl_sparql.compile_shapes(bundled_shapes_graph() + _parsed(shapes))
    assert [(str(shape), why) for shape, why in plan.fallback] == [
        ("https://user.example/shapes#FewRisks", "a sub-SELECT inside a SPARQL constraint")
    ]


def _parsed(path: Path) -> Graph:
    return Graph().parse(path)
