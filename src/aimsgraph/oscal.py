"""The assessment as OSCAL assessment-results JSON, the interchange format GRC tools read.

How the gap report maps onto OSCAL 1.1 (the document uses nothing newer, so 1.1 and 1.2 readers
both accept it):

- each clause and Annex A control that was assessed is a reviewed control and gets a finding whose
  target status is ``satisfied`` (met) or ``not-satisfied`` (partly met, not met); a control the
  Statement of Applicability excludes is listed under ``exclude-controls``; a requirement nothing
  in the data examined is not claimed as reviewed;
- each validation finding is an observation (method TEST: a machine check) with the file and line
  it points at as evidence, and each requirement's supporting evidence is an observation with
  every artefact's location and collection date;
- each AI system is an inventory item, the subject of the observations about it;
- each risk in the organisation's register is an OSCAL risk, ``open`` without a treatment,
  ``deviation-approved`` while an acceptance holds, else ``remediating``.

OSCAL control ids must start with a letter, so a clause is ``clause-6.1.2`` and a control keeps its
Annex A id (``A.6.2.2``). Every uuid is a version-5 uuid of what it stands for, so the same data
gives the same document, and an identity carries from one assessment to the next.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

from aimsgraph import __version__
from aimsgraph.coverage import CoverageStatus, RequirementCoverage, RequirementKind
from aimsgraph.gaps import GapReport
from aimsgraph.model import Finding, Term

OSCAL_VERSION = "1.1.3"
NS = "https://w3id.org/aimsgraph/ns"
_NAMESPACE = uuid.UUID("0f6f6c53-8f2e-5b8a-9a3c-6b1d2e4f7a90")
_SATISFIED = {
    CoverageStatus.MET: "satisfied",
    CoverageStatus.PARTLY_MET: "not-satisfied",
    CoverageStatus.NOT_MET: "not-satisfied",
}
_METHOD_NOTE = (
    "Automated assessment by aimsgraph: the AIMS, kept as RDF, was validated with SHACL shapes that "
    "each name the clause or control they enforce, and every requirement's coverage was derived with "
    "SPARQL from the Statement of Applicability, the implemented controls, their evidence and the findings."
)


def control_id(coverage: RequirementCoverage) -> str:
    """Give the OSCAL control id of a clause or control (it must start with a letter)."""
    notation = coverage.requirement.notation
    return notation if coverage.kind is RequirementKind.CONTROL else f"clause-{notation}"


def _uuid(*parts: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, "\x1f".join(parts)))


def _stamp(day: dt.date) -> str:
    return f"{day.isoformat()}T00:00:00Z"


def _one_line(text: str) -> str:
    """OSCAL titles are one line with no space at either end."""
    return " ".join(text.split()) or "-"


def assessment_results(
    gap_report: GapReport,
    *,
    data_hash: str,
    systems: Sequence[dict[str, Term | None]],
    risks: Sequence[dict[str, Term | None]],
    evidence: Sequence[dict[str, Term | None]],
) -> str:
    """Give the OSCAL assessment-results document for the gap report, as JSON text.

    ``systems`` are rows of the ai-system-scorecard query, ``risks`` of risk-register and
    ``evidence`` of internal/evidence-items.
    """
    as_of = gap_report.as_of
    run = _uuid("assessment", data_hash, as_of.isoformat())
    inventory = {
        row["system"].value: {
            "uuid": _uuid("system", row["system"].value),
            "description": _one_line(row["label"].value if row["label"] else row["system"].value),
            "props": [{"name": "iri", "ns": NS, "value": row["system"].value}],
        }
        for row in systems
        if row["system"] is not None
    }
    evidence_rows = {row["evidence"].value: row for row in evidence if row["evidence"] is not None}
    observations: list[dict[str, Any]] = []
    related: dict[str, list[str]] = {}
    for finding in gap_report.validation.findings:
        observation = _finding_observation(finding, inventory, as_of)
        observations.append(observation)
        for requirement in finding.requirements:
            related.setdefault(requirement.iri, []).append(observation["uuid"])
    assessed = [c for c in gap_report.coverage if c.status in _SATISFIED]
    for coverage in assessed:
        if coverage.evidence:
            observation = _evidence_observation(coverage, evidence_rows, as_of)
            observations.append(observation)
            related.setdefault(coverage.requirement.iri, []).append(observation["uuid"])
    # The register has a row per risk and treatment: one OSCAL risk each, a treated row winning.
    by_risk: dict[str, dict[str, Any]] = {}
    for row in risks:
        if row["risk"] is not None and (row["risk"].value not in by_risk or row["treatment"] is not None):
            by_risk[row["risk"].value] = _risk(row, as_of)
    oscal_risks = list(by_risk.values())
    risk_uuids = {iri: risk["uuid"] for iri, risk in by_risk.items()}
    findings = [_finding(coverage, related, risk_uuids) for coverage in assessed]
    excluded = [c for c in gap_report.coverage if c.status is CoverageStatus.NOT_APPLICABLE]
    selection: dict[str, Any] = {"include-controls": [{"control-id": control_id(c)} for c in assessed]}
    if excluded:
        selection["exclude-controls"] = [{"control-id": control_id(c)} for c in excluded]
    result: dict[str, Any] = {
        "uuid": _uuid("result", run),
        "title": f"ISO/IEC 42001:2023 gap analysis as of {as_of.isoformat()}",
        "description": _METHOD_NOTE,
        "start": _stamp(as_of),
        "props": [{"name": "data-sha256", "ns": NS, "value": data_hash}],
        "reviewed-controls": {"control-selections": [selection]},
    }
    if inventory:
        result["local-definitions"] = {"inventory-items": list(inventory.values())}
    if observations:
        result["observations"] = observations
    if oscal_risks:
        result["risks"] = oscal_risks
    if findings:
        result["findings"] = findings
    method = _uuid("method", __version__)
    document = {
        "assessment-results": {
            "uuid": run,
            "metadata": {
                "title": f"AI management system assessment results as of {as_of.isoformat()}",
                "last-modified": _stamp(as_of),
                "version": __version__,
                "oscal-version": OSCAL_VERSION,
                "props": [{"name": "framework", "ns": NS, "value": "ISO/IEC 42001:2023"}],
            },
            # No separate assessment plan exists: the method is described in back matter.
            "import-ap": {"href": f"#{method}"},
            "results": [result],
            "back-matter": {
                "resources": [
                    {
                        "uuid": method,
                        "title": f"aimsgraph {__version__} assessment method",
                        "description": _METHOD_NOTE,
                    }
                ]
            },
        }
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _finding_observation(finding: Finding, inventory: dict[str, dict[str, Any]], as_of: dt.date) -> dict[str, Any]:
    where = f"{finding.location.file} line {finding.location.best_line}" if finding.location else finding.focus_node
    observation: dict[str, Any] = {
        "uuid": _uuid("observation", finding.fingerprint),
        "title": _one_line(f"{finding.rule}: {finding.focus_label or finding.focus_node}"),
        "description": finding.message,
        "props": [
            {"name": "rule", "ns": NS, "value": finding.rule},
            {"name": "severity", "ns": NS, "value": finding.severity.label},
            {"name": "fingerprint", "ns": NS, "value": finding.fingerprint},
            {"name": "focus-node", "ns": NS, "value": finding.focus_node},
        ],
        "methods": ["TEST"],
        "types": ["finding"],
        "relevant-evidence": [{"description": f"Found at {where}."}],
        "collected": _stamp(as_of),
        "remarks": finding.remediation,
    }
    if finding.suppressed:
        observation["props"].append({"name": "suppressed", "ns": NS, "value": finding.suppressed})
    if finding.location is not None:
        observation["relevant-evidence"][0]["href"] = quote(finding.location.file)
    if finding.ai_system in inventory:
        subject = {"subject-uuid": inventory[finding.ai_system]["uuid"], "type": "inventory-item"}
        observation["subjects"] = [subject]
    return observation


def _evidence_observation(
    coverage: RequirementCoverage, rows: dict[str, dict[str, Term | None]], as_of: dt.date
) -> dict[str, Any]:
    items = []
    for iri in coverage.evidence:
        row = rows.get(iri, {})
        label, collected, location = row.get("label"), row.get("collected"), row.get("location")
        text = label.value if label is not None else iri
        if collected is not None:
            text += f" (collected {collected.value})"
        item: dict[str, Any] = {"description": _one_line(text), "props": [{"name": "iri", "ns": NS, "value": iri}]}
        if location is not None and location.value.startswith(("http://", "https://")):
            item["href"] = location.value
        items.append(item)
    return {
        "uuid": _uuid("evidence", coverage.requirement.iri, *coverage.evidence),
        "title": _one_line(f"Evidence for {coverage.requirement.notation} {coverage.requirement.title}"),
        "description": f"The evidence and documented information recorded for {coverage.requirement.notation}.",
        "methods": ["EXAMINE"],
        "types": ["control-objective"],
        "relevant-evidence": items,
        "collected": _stamp(as_of),
    }


def _finding(
    coverage: RequirementCoverage, related: dict[str, list[str]], risk_uuids: dict[str, str]
) -> dict[str, Any]:
    identifier = control_id(coverage)
    finding: dict[str, Any] = {
        "uuid": _uuid("finding", coverage.requirement.iri),
        "title": _one_line(f"{coverage.requirement.notation} {coverage.requirement.title}"),
        "description": f"{coverage.requirement.notation} is {coverage.status.value} "
        f"({len(coverage.findings)} finding(s) from validation).",
        "props": [{"name": "coverage-status", "ns": NS, "value": coverage.status.value.replace(" ", "-")}],
        "target": {
            "type": "objective-id",
            "target-id": identifier,
            "status": {"state": _SATISFIED[coverage.status]},
        },
    }
    observations = related.get(coverage.requirement.iri, [])
    if observations:
        finding["related-observations"] = [{"observation-uuid": u} for u in dict.fromkeys(observations)]
    risks = sorted({risk_uuids[f.focus_node] for f in coverage.findings if f.focus_node in risk_uuids})
    if risks:
        finding["related-risks"] = [{"risk-uuid": u} for u in risks]
    return finding


def _risk(row: dict[str, Term | None], as_of: dt.date) -> dict[str, Any]:
    iri = row["risk"].value if row["risk"] is not None else ""
    label = row["label"].value if row["label"] is not None else iri
    level = row["level"].value.rsplit("#", 1)[-1] if row["level"] is not None else "not evaluated"
    accepted = row["acceptedUntil"]
    if row["treatment"] is None:
        status, statement = "open", "No treatment is recorded."
    elif accepted is not None and accepted.value >= as_of.isoformat():
        status, statement = "deviation-approved", f"The residual risk is accepted until {accepted.value}."
    else:
        status, statement = "remediating", "A treatment is recorded."
    return {
        "uuid": _uuid("risk", iri),
        "title": _one_line(label),
        "description": _one_line(f"{label} (level before treatment: {level})."),
        "statement": statement,
        "props": [{"name": "iri", "ns": NS, "value": iri}, {"name": "risk-level", "ns": NS, "value": level}],
        "status": status,
    }
