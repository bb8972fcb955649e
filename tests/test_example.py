"""The example organisation: the gappy variant shows exactly its deliberate gaps, each located in
its file; the remediated variant (the same files plus remediation.ttl) conforms."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from aimsgraph.cli import app
from aimsgraph.model import Severity, ValidationReport
from aimsgraph.validate import validate
from tests.conftest import EXAMPLE_AS_OF, EXAMPLES

GAPPY = EXAMPLES / "kestrel"
REMEDIATED = EXAMPLES / "kestrel-remediated"
# The deliberate gaps, as examples/kestrel/README.md lists them, by the rule that catches each.
DELIBERATE_GAPS = {
    "HighRiskHumanOversight",
    "RiskTreated",
    "RiskOwner",
    "AISystemAccountableOwner",
    "SoADecidesEveryControl",
    "EvidenceCurrent",
    "ApplicableControlEvidenced",
    "CorrectiveActionNotOverdue",
    "ManagementReviewInputs",
    "RiskAcceptanceExpiry",
    "TransparencyNoticeGiven",
    "SeriousIncidentReportedInTime",
    "EventLogRetention",
    "DPIACarriedOut",
    "BreachNotifiedInTime",
    "PersonalDataProcessingRecorded",
}


@pytest.fixture(scope="module")
def gappy_report() -> ValidationReport:
    return validate([str(GAPPY)], as_of=EXAMPLE_AS_OF)


def test_the_example_is_a_real_organisation(gappy_report: ValidationReport) -> None:
    assert len(gappy_report.sources) >= 6
    assert gappy_report.triples > 1000
    systems = {f.ai_system for f in gappy_report.findings if f.ai_system}
    assert len(systems) >= 3  # the gaps are spread over several AI systems


def test_exactly_the_deliberate_gaps_are_found(gappy_report: ValidationReport) -> None:
    assert {f.rule for f in gappy_report.findings} == DELIBERATE_GAPS


def test_every_gap_points_at_the_line_that_causes_it(gappy_report: ValidationReport) -> None:
    for finding in gappy_report.findings:
        assert finding.location is not None, finding
        path = Path(finding.location.file)
        assert path.parent == GAPPY
        assert finding.requirements, finding
        line = path.read_text(encoding="utf-8").splitlines()[finding.location.line - 1]
        local_name = finding.focus_node.rsplit("/", 1)[-1]
        assert local_name in line, (finding.rule, line)


def test_the_missing_soa_decision_is_a7_5(gappy_report: ValidationReport) -> None:
    missing = [f for f in gappy_report.findings if f.rule == "SoADecidesEveryControl"]
    assert [f.value.value for f in missing if f.value] == ["https://w3id.org/aimsgraph/iso-iec-42001-2023/A.7.5"]
    assert [r.notation for r in missing[0].requirements] == ["A.7.5", "6.1.3"]


def test_the_remediated_variant_conforms() -> None:
    report = validate([str(REMEDIATED)], as_of=EXAMPLE_AS_OF)
    assert report.findings == ()
    assert report.triples > validate([str(GAPPY)], as_of=EXAMPLE_AS_OF).triples


def test_cli_exit_codes_on_the_example() -> None:
    runner = CliRunner()
    as_of = ["--as-of", EXAMPLE_AS_OF.isoformat()]
    assert runner.invoke(app, ["validate", str(GAPPY), *as_of]).exit_code == 1
    assert runner.invoke(app, ["validate", str(REMEDIATED), *as_of]).exit_code == 0


def test_the_gaps_are_judged_as_of_a_date(gappy_report: ValidationReport) -> None:
    # Before the bias-test evidence expired and the corrective action fell due, those gaps did not exist.
    earlier = validate([str(GAPPY)], as_of=EXAMPLE_AS_OF.replace(month=9, day=1))
    rules = {f.rule for f in earlier.findings}
    assert "EvidenceCurrent" not in rules
    assert "CorrectiveActionNotOverdue" not in rules
    assert gappy_report.counts[Severity.WARNING] >= 1
