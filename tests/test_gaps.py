"""The gap report: statuses that agree with validate, the readiness figures, and every output format."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from typer.testing import CliRunner

from aimsgraph.cli import app
from aimsgraph.coverage import CoverageStatus, RequirementKind
from aimsgraph.gaps import GapReport, gaps
from aimsgraph.model import Inference, Severity
from tests.conftest import EXAMPLE_AS_OF, EXAMPLES, ROOT

SCHEMA = json.loads((ROOT / "src" / "aimsgraph" / "schemas" / "gap-report.schema.json").read_text())
KESTREL = str(EXAMPLES / "kestrel")


@pytest.fixture(scope="module")
def report() -> GapReport:
    return gaps([KESTREL], as_of=EXAMPLE_AS_OF)


def _status(report: GapReport, notation: str) -> CoverageStatus:
    return next(c.status for c in report.coverage if c.requirement.notation == notation)


def test_every_requirement_is_reported_once(report: GapReport) -> None:
    kinds = [c.kind for c in report.coverage]
    assert kinds.count(RequirementKind.CLAUSE) == 32
    assert kinds.count(RequirementKind.CONTROL) == 38
    assert len({c.requirement.iri for c in report.coverage}) == 70


def test_the_report_agrees_with_validate(report: GapReport) -> None:
    by_iri = {c.requirement.iri: c for c in report.coverage}
    for finding in report.validation.findings:
        for requirement in finding.requirements:
            if requirement.framework != "ISO/IEC 42001:2023":
                continue  # an EU AI Act or GDPR article: the --framework reports cover those
            entry = by_iri[requirement.iri]
            assert finding in entry.findings
            if finding.severity is Severity.VIOLATION:
                assert entry.status in (CoverageStatus.NOT_MET, CoverageStatus.PARTLY_MET, CoverageStatus.NOT_ASSESSED)
    for entry in report.coverage:
        if entry.status is CoverageStatus.MET:
            assert entry.findings == ()


@pytest.mark.parametrize(
    ("notation", "status"),
    [
        ("4.1", CoverageStatus.MET),
        ("5.3", CoverageStatus.NOT_MET),  # the cash forecaster has no accountable owner
        ("7.5.3", CoverageStatus.PARTLY_MET),  # only a warning: the expired fairness report
        ("7.3", CoverageStatus.NOT_ASSESSED),  # no rule checks awareness and no evidence claims it
        ("A.5.4", CoverageStatus.PARTLY_MET),  # implemented, but its only evidence expired
        ("A.6.2.8", CoverageStatus.PARTLY_MET),  # still in progress
        ("A.7.5", CoverageStatus.NOT_ASSESSED),  # the SoA does not decide it
        ("A.10.4", CoverageStatus.NOT_APPLICABLE),
        ("A.2.2", CoverageStatus.MET),
    ],
)
def test_statuses_of_the_example(report: GapReport, notation: str, status: CoverageStatus) -> None:
    assert _status(report, notation) is status


def test_readiness_of_the_example(report: GapReport) -> None:
    readiness = report.readiness
    assert (readiness.applicable_controls, readiness.controls_with_current_evidence) == (36, 33)
    assert readiness.open_nonconformities == {"minor nonconformity": 1}
    assert readiness.overdue_corrective_actions == 1
    assert sum(readiness.controls.values()) == 38
    assert sum(readiness.clauses.values()) == 32


def test_remediation_closes_the_gaps() -> None:
    remediated = gaps([str(EXAMPLES / "kestrel-remediated")], as_of=EXAMPLE_AS_OF)
    statuses = {c.status for c in remediated.coverage}
    assert CoverageStatus.NOT_MET not in statuses
    # the serious incident reported late (gap 11) stays an open nonconformity until its corrective
    # action, due in December, is done
    assert remediated.readiness.open_nonconformities == {"major nonconformity": 1}
    assert remediated.readiness.overdue_corrective_actions == 0
    assert _status(remediated, "A.7.5") is CoverageStatus.MET


def _cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["gaps", KESTREL, "--as-of", EXAMPLE_AS_OF.isoformat(), *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout


def test_json_follows_its_schema() -> None:
    code, out = _cli("--format", "json")
    document = json.loads(out)
    jsonschema.validate(document, SCHEMA, format_checker=jsonschema.FormatChecker())
    assert code == 0
    assert document["readiness"]["share_ready"] == round(33 / 36, 4)


def test_table_markdown_and_csv() -> None:
    code, table = _cli()
    assert code == 0
    assert "92% of applicable Annex A controls (33 of 36)" in table
    markdown = _cli("--format", "markdown")[1]
    assert "| 5.3 | Roles, responsibilities and authorities | not met | AISystemAccountableOwner |" in markdown
    rows = _cli("--format", "csv")[1].splitlines()
    assert rows[0].startswith("id,title,kind,status")
    assert len(rows) == 71


def test_an_empty_aims_is_not_assessed_rather_than_met(tmp_path: Path) -> None:
    empty = tmp_path / "empty.ttl"
    empty.write_text("")
    report = gaps([str(empty)], as_of=EXAMPLE_AS_OF)
    assert CoverageStatus.MET not in {c.status for c in report.coverage}
    assert _status(report, "4.4") is CoverageStatus.NOT_MET  # no AI management system described


def test_coverage_sees_the_same_entailments_as_the_shapes(tmp_path: Path) -> None:
    vocabulary, extra = tmp_path / "acme-vocabulary.ttl", tmp_path / "acme.ttl"
    vocabulary.write_text(
        "@prefix aims: <https://w3id.org/aimsgraph/ns#> .\n"
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
        "<https://acme.example/ns#realises> rdfs:subPropertyOf aims:implementsRequirement .\n"
    )
    extra.write_text(
        "@prefix aims: <https://w3id.org/aimsgraph/ns#> .\n"
        "<https://acme.example/ctrl> a aims:ImplementedControl ;\n"
        "    <https://acme.example/ns#realises> <https://w3id.org/aimsgraph/iso-iec-42001-2023/A.7.5> .\n"
    )
    paths, extensions = [str(EXAMPLES / "kestrel"), str(extra)], [str(vocabulary)]
    plain = gaps(paths, as_of=EXAMPLE_AS_OF, extensions=extensions)
    entailed = gaps(paths, as_of=EXAMPLE_AS_OF, inference=Inference.RDFS, extensions=extensions)

    def implementations(report: GapReport) -> tuple[str, ...]:
        return next(c.implementations for c in report.coverage if c.requirement.notation == "A.7.5")

    assert "https://acme.example/ctrl" not in implementations(plain)
    assert "https://acme.example/ctrl" in implementations(entailed)
