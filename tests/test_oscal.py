"""The assessment as OSCAL assessment-results: valid for compliance-trestle's OSCAL models, every
cross-reference resolves, ids are the standard's, statuses are the gap report's."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError
from trestle.oscal.assessment_results import AssessmentResults

from aimsgraph import load, report
from aimsgraph.coverage import CoverageStatus
from aimsgraph.gaps import gaps_loaded
from tests.conftest import EXAMPLE_AS_OF, EXAMPLES


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    data = load.load(load.collect([str(EXAMPLES / "kestrel")]))
    built = {file.name: file.body for file in report.build(data, as_of=EXAMPLE_AS_OF)}
    text = built[report.OSCAL_NAME]
    assert isinstance(text, str)
    parsed: dict[str, Any] = json.loads(text)
    return parsed


def test_trestle_reads_the_assessment_results(document: dict[str, Any], tmp_path: Path) -> None:
    path = tmp_path / "assessment-results.json"
    path.write_text(json.dumps(document))
    results = AssessmentResults.oscal_read(path)
    assert results is not None and len(results.results) == 1


def test_trestle_rejects_a_malformed_document(document: dict[str, Any]) -> None:
    broken = json.loads(json.dumps(document["assessment-results"]))
    broken["results"][0]["findings"][0]["target"]["status"]["state"] = "mostly-fine"
    with pytest.raises(ValidationError):
        AssessmentResults.model_validate(broken)


def test_every_reference_resolves(document: dict[str, Any]) -> None:
    assessment = document["assessment-results"]
    result = assessment["results"][0]
    resources = {r["uuid"] for r in assessment["back-matter"]["resources"]}
    assert assessment["import-ap"]["href"].removeprefix("#") in resources
    observations = {o["uuid"] for o in result["observations"]}
    risks = {r["uuid"] for r in result["risks"]}
    items = {i["uuid"] for i in result["local-definitions"]["inventory-items"]}
    for finding in result["findings"]:
        assert {r["observation-uuid"] for r in finding.get("related-observations", [])} <= observations
        assert {r["risk-uuid"] for r in finding.get("related-risks", [])} <= risks
    for observation in result["observations"]:
        assert {s["subject-uuid"] for s in observation.get("subjects", [])} <= items
    every = [x["uuid"] for x in (*result["observations"], *result["findings"], *result["risks"])]
    assert len(every) == len(set(every))


def test_ids_and_statuses_are_the_gap_reports(document: dict[str, Any]) -> None:
    result = document["assessment-results"]["results"][0]
    targets = {
        f["target"]["target-id"].removeprefix("clause-"): f["target"]["status"]["state"] for f in result["findings"]
    }
    gap_report = gaps_loaded(load.load(load.collect([str(EXAMPLES / "kestrel")])), as_of=EXAMPLE_AS_OF)
    assert set(targets) <= {c.requirement.notation for c in gap_report.coverage}  # catalogue ids only
    for coverage in gap_report.coverage:
        notation = coverage.requirement.notation
        if coverage.status is CoverageStatus.MET:
            assert targets[notation] == "satisfied"
        elif coverage.status in (CoverageStatus.NOT_MET, CoverageStatus.PARTLY_MET):
            assert targets[notation] == "not-satisfied"
        else:
            assert notation not in targets  # not applicable or not assessed: never claimed
    selection = result["reviewed-controls"]["control-selections"][0]
    assert {c["control-id"] for c in selection["include-controls"]} == {
        f["target"]["target-id"] for f in result["findings"]
    }
    assert "A.7.5" not in targets  # the SoA leaves it undecided


def test_findings_link_their_observations_and_risks(document: dict[str, Any]) -> None:
    result = document["assessment-results"]["results"][0]
    observations = {o["uuid"]: o for o in result["observations"]}
    risks = {r["uuid"]: r for r in result["risks"]}
    assessment = next(f for f in result["findings"] if f["target"]["target-id"] == "clause-6.1.2")
    linked = [observations[r["observation-uuid"]] for r in assessment["related-observations"]]
    owner = next(o for o in linked if o["title"].startswith("RiskOwner:"))
    assert owner["relevant-evidence"][0]["href"].endswith("examples/kestrel/risks.ttl")
    assert "line 165" in owner["relevant-evidence"][0]["description"]
    [risk] = [risks[r["risk-uuid"]] for r in assessment["related-risks"]]
    assert risk["title"] == "Fraudsters adapt faster than the fraud model is retrained"
    by_title = {r["title"]: r["status"] for r in result["risks"]}
    assert by_title["Forecast error leaves ATMs empty over bank-holiday peaks"] == "deviation-approved"
    evidence = [o for o in result["observations"] if o["methods"] == ["EXAMINE"]]
    assert evidence and all("collected" in e["relevant-evidence"][0]["description"] for e in evidence[:3])


def test_the_same_data_gives_the_same_document(document: dict[str, Any]) -> None:
    again = report.build(load.load(load.collect([str(EXAMPLES / "kestrel")])), as_of=EXAMPLE_AS_OF)
    body = next(file.body for file in again if file.name == report.OSCAL_NAME)
    assert json.loads(body) == document
