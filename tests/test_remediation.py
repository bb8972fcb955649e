"""The remediation plan: audit grades (major for a missing element or a pattern, else minor),
and owners and due dates taken from the data, never invented."""

from __future__ import annotations

from dataclasses import replace

from aimsgraph import load, remediation
from aimsgraph.gaps import gaps_loaded
from aimsgraph.model import Finding, Requirement, Severity
from aimsgraph.validate import bundled_knowledge_quads, validate
from tests.conftest import EXAMPLE_AS_OF, EXAMPLES, FIXTURE_AS_OF, SHAPE_FIXTURES

CLAUSE = Requirement("https://w3id.org/aimsgraph/iso-iec-42001-2023/6.1.3", "6.1.3", "AI risk treatment", "iso42001")
OTHER = Requirement("https://w3id.org/aimsgraph/iso-iec-42001-2023/5.3", "5.3", "Roles", "iso42001")


def _finding(focus: str, *, requirement: Requirement = CLAUSE, severity: Severity = Severity.VIOLATION) -> Finding:
    return Finding(
        rule="RiskTreated",
        rule_title="",
        severity=severity,
        message="",
        focus_node=focus,
        path=None,
        value=None,
        requirements=(requirement,),
        remediation="",
        location=None,
        ai_system=None,
        ai_system_label=None,
    )


def test_a_pattern_of_violations_against_one_requirement_is_major() -> None:
    two = [_finding("urn:a"), _finding("urn:b"), _finding("urn:c", requirement=OTHER)]
    assert set(remediation.grades(two).values()) == {remediation.MINOR}
    three = [*two, _finding("urn:d")]
    graded = remediation.grades(three)
    assert [graded[f.fingerprint] for f in three] == [remediation.MAJOR] * 2 + [remediation.MINOR, remediation.MAJOR]
    # a suppressed finding does not count towards the pattern
    waived = [*two, replace(_finding("urn:d"), suppressed="waiver")]
    assert remediation.grades(waived)[two[0].fingerprint] == remediation.MINOR


def test_a_missing_element_is_major_and_warnings_are_observations() -> None:
    systemic = replace(_finding("urn:a"), systemic=True)
    warning = _finding("urn:b", severity=Severity.WARNING)
    note = _finding("urn:c", severity=Severity.INFO)
    graded = remediation.grades([systemic, warning, note])
    assert graded[systemic.fingerprint] == remediation.MAJOR
    assert graded[warning.fingerprint] == "observation"
    assert graded[note.fingerprint] == "opportunity for improvement"


def test_shapes_mark_a_missing_scope_as_systemic() -> None:
    report = validate([str(SHAPE_FIXTURES / "ManagementSystemScope" / "violates.ttl")], as_of=FIXTURE_AS_OF)
    scope = [f for f in report.findings if f.rule == "ManagementSystemScope"]
    assert scope and all(f.systemic for f in scope)
    assert not any(f.systemic for f in report.findings if f.rule == "AISystemAccountableOwner")


def test_owners_and_due_dates_come_from_the_data() -> None:
    data = load.load(load.collect([str(EXAMPLES / "kestrel")]))
    findings = gaps_loaded(data, as_of=EXAMPLE_AS_OF).validation.findings
    plan = remediation.plan(load.oxigraph_store(data.quads, list(bundled_knowledge_quads())), findings)
    by_rule = {f.rule: plan[f.fingerprint] for f in findings}
    kst = "https://kestrel.example/aims/"
    overdue = by_rule["CorrectiveActionNotOverdue"]
    assert (overdue.owners, overdue.due) == ((kst + "person-anna-kowalska",), "2026-10-31")
    # the risk names no owner: its AI system's accountable owner answers for it
    assert by_rule["RiskOwner"].owners == (kst + "person-niamh-gallagher",)
    # the AI system names no owner: the management system's accountable owner answers for it
    assert by_rule["AISystemAccountableOwner"].owners == (kst + "person-aoife-brennan",)
    assert by_rule["RiskOwner"].due is None  # nothing in the data sets one
