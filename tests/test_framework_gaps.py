"""Coverage of other frameworks: what crosswalk mappings carry from ISO/IEC 42001, what rules and
applicability decide, and `aimsgraph gaps --framework` for each bundled framework."""

from __future__ import annotations

import datetime as dt
import json

import jsonschema
import pyoxigraph
import pytest
from rdflib import Graph
from typer.testing import CliRunner

from aimsgraph import load
from aimsgraph.catalog import Catalog
from aimsgraph.cli import app
from aimsgraph.coverage import CoverageStatus, RequirementCoverage, RequirementKind
from aimsgraph.frameworks import (
    Basis,
    FrameworkCoverage,
    FrameworkRequirementCoverage,
    Strength,
    carried_status,
    coverage_of,
)
from aimsgraph.gaps import gaps
from aimsgraph.model import Inference, ValidationReport
from aimsgraph.validate import bundled_knowledge, bundled_knowledge_quads
from tests.conftest import EXAMPLES, FIXTURES, ROOT

ISO = "https://w3id.org/aimsgraph/iso-iec-42001-2023/"
TEST_FW = FIXTURES / "frameworks" / "test-framework.ttl"
SCHEMA = json.loads((ROOT / "src" / "aimsgraph" / "schemas" / "gap-report.schema.json").read_text())
AS_OF = dt.date(2026, 11, 26)


def _quads(name: str, text: bytes) -> list[pyoxigraph.Quad]:
    return load.parse_quads(load.SourceFile(name, text, load.RdfFormat.TURTLE, "file:///test/"))


def _coverage(statuses: dict[str, CoverageStatus], data: str = "") -> dict[str, FrameworkRequirementCoverage]:
    """The test framework's coverage with the ISO requirements 5.2 and 7.4 given ``statuses``."""
    quads = _quads("test-framework.ttl", TEST_FW.read_bytes()) + _quads("data.ttl", data.encode())
    store = load.oxigraph_store(quads, list(bundled_knowledge_quads()))
    catalog = Catalog.from_graph(bundled_knowledge() + Graph().parse(TEST_FW))
    iso = tuple(
        RequirementCoverage(
            catalog.requirements[ISO + n], RequirementKind.CLAUSE, s, None, None, (f"urn:c{n}",), (f"urn:e{n}",), (), ()
        )
        for n, s in statuses.items()
    )
    validation = ValidationReport(AS_OF, (), (), 0, 0, Inference.NONE)
    coverage = coverage_of("test-fw", iso=iso, validation=validation, store=store, catalog=catalog)
    return {entry.requirement.notation: entry for entry in coverage.coverage}


def test_each_relation_carries_what_it_should() -> None:
    entries = _coverage({"5.2": CoverageStatus.MET, "7.4": CoverageStatus.NOT_MET})
    status = {notation: (e.status, e.basis) for notation, e in entries.items()}
    assert status == {
        "T equivalent": (CoverageStatus.MET, Basis.MAPPINGS),
        "T subset": (CoverageStatus.PARTLY_MET, Basis.MAPPINGS),
        "T unmapped": (CoverageStatus.NOT_ASSESSED, Basis.NOTHING),
        "T related": (CoverageStatus.NOT_ASSESSED, Basis.WEAK_MAPPINGS),
        "T unsure": (CoverageStatus.NOT_ASSESSED, Basis.WEAK_MAPPINGS),
        # written "T reversed subset of 5.2": 5.2 is a superset, so meeting it meets the other
        "T reversed": (CoverageStatus.MET, Basis.MAPPINGS),
        "T equivalent unmet": (CoverageStatus.NOT_MET, Basis.MAPPINGS),
        "T mixed": (CoverageStatus.PARTLY_MET, Basis.MAPPINGS),
        "T superset unmet": (CoverageStatus.NOT_ASSESSED, Basis.MAPPINGS),
        "T equivalent and intersects": (CoverageStatus.NOT_MET, Basis.MAPPINGS),
    }  # "T definitions" is not assessable, so it is left out
    reversed_ = entries["T reversed"]
    assert [(d.via.notation, d.relation, d.strength) for d in reversed_.derivations] == [
        ("5.2", "superset", Strength.FULL)
    ]
    # what the carried status rests on: the ISO requirement's controls and evidence
    assert entries["T equivalent"].implementations == ("urn:c5.2",)
    assert entries["T equivalent"].evidence == ("urn:e5.2",)
    assert entries["T related"].implementations == ()


def test_a_partly_met_iso_requirement_carries_partly_met_and_nothing_carries_from_not_assessed() -> None:
    entries = _coverage({"5.2": CoverageStatus.PARTLY_MET, "7.4": CoverageStatus.NOT_ASSESSED})
    assert entries["T equivalent"].status is CoverageStatus.PARTLY_MET
    assert entries["T subset"].status is CoverageStatus.PARTLY_MET
    unmet = entries["T equivalent unmet"]
    assert (unmet.status, unmet.basis) == (CoverageStatus.NOT_ASSESSED, Basis.MAPPINGS)
    assert unmet.derivations[0].carries is None


@pytest.mark.parametrize("via", list(CoverageStatus))
@pytest.mark.parametrize("relation", ["equivalent", "superset", "subset", "intersects", "related"])
def test_what_each_relation_carries_of_each_status(via: CoverageStatus, relation: str) -> None:
    strength = {"equivalent": Strength.FULL, "superset": Strength.FULL, "related": Strength.WEAK}.get(
        relation, Strength.PARTIAL
    )
    carried = carried_status(via, strength, relation)
    if relation == "related" or via in (CoverageStatus.NOT_APPLICABLE, CoverageStatus.NOT_ASSESSED):
        assert carried is None
    elif relation == "equivalent":
        assert carried is via
    elif relation == "superset":  # meeting all of ISO meets the other; failing ISO may fail only its rest
        assert carried is (via if via is CoverageStatus.MET else None)
    else:  # a part of the other: never met through it alone
        assert carried is (CoverageStatus.NOT_MET if via is CoverageStatus.NOT_MET else CoverageStatus.PARTLY_MET)
    # low confidence makes any relation weak
    assert carried_status(via, Strength.WEAK, relation) is None


def test_a_superset_does_not_carry_failure_and_an_equivalent_mapping_decides() -> None:
    entries = _coverage({"5.2": CoverageStatus.MET, "7.4": CoverageStatus.NOT_MET})
    superset = entries["T superset unmet"]
    assert (superset.status, superset.basis) == (CoverageStatus.NOT_ASSESSED, Basis.MAPPINGS)
    both = entries["T equivalent and intersects"]
    assert (both.status, both.basis) == (CoverageStatus.NOT_MET, Basis.MAPPINGS)


def test_the_requirement_s_own_controls_and_evidence_come_before_the_mappings() -> None:
    data = """
        @prefix aims: <https://w3id.org/aimsgraph/ns#> .
        @prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
        @prefix t: <https://w3id.org/aimsgraph/test-fw/> .
        # T subset: implemented without evidence, and planned with evidence: nothing in place
        <urn:bare> a aims:ImplementedControl ; aims:implementsRequirement t:subset ;
            aims:implementationStatus aims:Implemented .
        <urn:planned> a aims:ImplementedControl ; aims:implementsRequirement t:subset ;
            aims:implementationStatus aims:Planned .
        <urn:e1> a aims:Evidence ; aims:supports <urn:planned> .
        # T related: one control in place beside a planned one
        <urn:done> a aims:ImplementedControl ; aims:implementsRequirement t:related ;
            aims:implementationStatus aims:Implemented .
        <urn:later> a aims:ImplementedControl ; aims:implementsRequirement t:related ;
            aims:implementationStatus aims:Planned .
        <urn:e2> a aims:Evidence ; aims:supports <urn:done> .
        # T unmapped: current evidence of its own; T reversed: only evidence expired long ago
        <urn:e3> a aims:Evidence ; aims:supports t:unmapped ; aims:validUntil "2027-01-01"^^xsd:date .
        <urn:e4> a aims:Evidence ; aims:supports t:reversed ; aims:validUntil "2020-01-01"^^xsd:date .
        # T equivalent unmet: current evidence, but the ISO requirement equivalent to it is not met
        <urn:e5> a aims:Evidence ; aims:supports t:equivalentUnmet ; aims:collectedOn "2026-10-01"^^xsd:date ;
            aims:reviewIntervalMonths 12 .
    """
    entries = _coverage({"5.2": CoverageStatus.MET, "7.4": CoverageStatus.NOT_MET}, data)

    def outcome(notation: str) -> tuple[CoverageStatus, Basis]:
        return entries[notation].status, entries[notation].basis

    assert outcome("T subset") == (CoverageStatus.PARTLY_MET, Basis.CONTROLS)
    assert outcome("T related") == (CoverageStatus.MET, Basis.CONTROLS)
    assert outcome("T unmapped") == (CoverageStatus.MET, Basis.EVIDENCE)
    assert entries["T unmapped"].evidence == ("urn:e3",)
    assert outcome("T reversed") == (CoverageStatus.MET, Basis.MAPPINGS)  # the expired evidence does not count
    assert outcome("T equivalent unmet") == (CoverageStatus.PARTLY_MET, Basis.EVIDENCE)


def test_an_applicability_decision_outranks_the_mappings() -> None:
    decision = """
        @prefix aims: <https://w3id.org/aimsgraph/ns#> .
        <urn:d> a aims:RequirementApplicability ;
            aims:concernsRequirement <https://w3id.org/aimsgraph/test-fw/equivalent> ;
            aims:applicable false ; aims:justification "We do not do that." .
    """
    entry = _coverage({"5.2": CoverageStatus.MET}, decision)["T equivalent"]
    assert entry.status is CoverageStatus.NOT_APPLICABLE
    assert entry.basis is Basis.APPLICABILITY
    assert "We do not do that." in entry.applicability


@pytest.fixture(scope="module")
def kestrel_frameworks() -> dict[str, FrameworkCoverage]:
    report = gaps([str(EXAMPLES / "kestrel")], as_of=AS_OF, frameworks=["eu-ai-act", "gdpr", "nist-ai-rmf"])
    return {c.framework.key: c for c in report.frameworks}


def test_eu_ai_act_duties_apply_only_where_an_ai_system_brings_them(
    kestrel_frameworks: dict[str, FrameworkCoverage],
) -> None:
    entries = {e.requirement.notation: e for e in kestrel_frameworks["eu-ai-act"].coverage}
    assert "AIA Art. 3" not in entries and "AIA Annex IV" not in entries  # not assessable
    # Kestrel provides high-risk systems: the provider's high-risk duties apply, named by system
    assert entries["AIA Art. 9"].applicable is True
    assert "kestrel" in entries["AIA Art. 9"].applicability.lower()
    # TalentSift lacks human oversight and keeps its logs three months: Kestrel only deploys it, so
    # that fails the deployer's duties (Art. 26), not the provider's (Art. 14, Art. 19)
    assert (entries["AIA Art. 26"].status, entries["AIA Art. 26"].basis) == (CoverageStatus.NOT_MET, Basis.RULES)
    assert {f.rule for f in entries["AIA Art. 26"].findings} == {"HighRiskHumanOversight", "EventLogRetention"}
    assert entries["AIA Art. 14"].status is CoverageStatus.MET and not entries["AIA Art. 14"].findings
    assert entries["AIA Art. 19"].status is CoverageStatus.MET
    # the rules find KCS-4's risks treated, but ISO 6.1.2 (risk assessment) is not met elsewhere
    assert (entries["AIA Art. 9"].status, entries["AIA Art. 9"].basis) == (
        CoverageStatus.PARTLY_MET,
        Basis.RULES_AND_MAPPINGS,
    )
    # a related mapping alone never meets a requirement
    for entry in entries.values():
        if entry.status is CoverageStatus.MET and entry.basis is Basis.MAPPINGS:
            assert any(d.carries is CoverageStatus.MET for d in entry.derivations)


def test_nist_ai_rmf_is_covered_through_the_published_crosswalk(
    kestrel_frameworks: dict[str, FrameworkCoverage],
) -> None:
    nist = kestrel_frameworks["nist-ai-rmf"]
    assert len(nist.coverage) == 72
    # every subcategory is mapped; none is met through an intersection alone
    assert all(e.derivations for e in nist.coverage)
    for entry in nist.coverage:
        if entry.basis is Basis.MAPPINGS:
            assert entry.status is not CoverageStatus.MET


@pytest.mark.parametrize("framework", ["iso42001", "eu-ai-act", "nist-ai-rmf", "gdpr"])
def test_gaps_framework_works_for_each_framework(framework: str) -> None:
    runner = CliRunner()
    args = ["gaps", str(EXAMPLES / "kestrel"), "--as-of", AS_OF.isoformat(), "--framework", framework]
    table = runner.invoke(app, args)
    assert table.exit_code == 0, table.output
    as_json = runner.invoke(app, [*args, "--format", "json"])
    assert as_json.exit_code == 0, as_json.output
    report = json.loads(as_json.output)
    jsonschema.validate(report, SCHEMA)
    if framework == "iso42001":
        assert "frameworks" not in report and "Annex A controls" in table.output
    else:
        (coverage,) = report["frameworks"]
        assert coverage["key"] == framework
        first = coverage["requirements"][0]
        assert first["id"] in table.output and first["status"] in table.output


def test_an_unknown_framework_is_a_usage_error() -> None:
    result = CliRunner().invoke(app, ["gaps", str(EXAMPLES / "kestrel"), "--framework", "sox"])
    assert result.exit_code == 2
    assert "no framework 'sox'" in result.output and "eu-ai-act" in result.output


def test_a_blank_node_brings_a_duty_and_controls_beside_a_blank_evidence_count() -> None:
    report = gaps([str(FIXTURES / "queries" / "partial-evidence.ttl")], as_of=AS_OF, frameworks=["gdpr"])
    art24 = next(e for e in report.framework("gdpr").coverage if e.requirement.notation == "GDPR Art. 24")
    # the only data resource with personal data is a blank node: the GDPR still applies
    assert art24.applicable is True and "a blank node" in art24.applicability
    # one of its two controls is in place, with evidence, beside one planned with blank evidence
    assert art24.basis is Basis.CONTROLS and "https://fixture.example/policy-evidence" in art24.evidence
