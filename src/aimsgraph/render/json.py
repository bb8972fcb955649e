"""The validation report as JSON, in the stable schema of ``schemas/validation-report.schema.json``."""

from __future__ import annotations

import json
from typing import Any

from aimsgraph import __version__
from aimsgraph.model import FailOn, Finding, Severity, Term, ValidationReport

SCHEMA_ID = "https://w3id.org/aimsgraph/schemas/validation-report/v1"


def to_dict(report: ValidationReport, *, fail_on: FailOn) -> dict[str, Any]:
    """Give the report as plain JSON-ready data."""
    return {
        "$schema": SCHEMA_ID,
        "generator": {"name": "aimsgraph", "version": __version__},
        "as_of": report.as_of.isoformat(),
        "inference": report.inference.value,
        "sources": list(report.sources),
        "triples": report.triples,
        "shapes": report.shapes,
        "conforms": report.conforms,
        "fail_on": fail_on.value,
        "failed": report.fails(fail_on),
        "counts": {severity.label: report.counts.get(severity, 0) for severity in Severity},
        "suppressed": report.suppressed,
        "unused_waivers": list(report.unused_waivers),
        "findings": [_finding(f) for f in report.findings],
    }


def render(report: ValidationReport, *, fail_on: FailOn) -> str:
    """Give the report as an indented JSON document."""
    return json.dumps(to_dict(report, fail_on=fail_on), indent=2, ensure_ascii=False) + "\n"


def _term(term: Term) -> dict[str, str]:
    """Give a term in the SPARQL 1.1 Query Results JSON encoding."""
    encoded = {"type": term.kind.value, "value": term.value}
    if term.language:
        encoded["xml:lang"] = term.language
    elif term.datatype:
        encoded["datatype"] = term.datatype
    return encoded


def _finding(finding: Finding) -> dict[str, Any]:
    return {
        "rule": finding.rule,
        "rule_title": finding.rule_title,
        "severity": finding.severity.label,
        "message": finding.message,
        "focus_node": finding.focus_node,
        "focus_label": finding.focus_label,
        "path": finding.path,
        "value": _term(finding.value) if finding.value is not None else None,
        "requirements": [
            {"iri": r.iri, "id": r.notation, "title": r.title, "framework": r.framework} for r in finding.requirements
        ],
        "remediation": finding.remediation,
        "fingerprint": finding.fingerprint,
        "suppressed": finding.suppressed,
        "location": (
            {
                "file": finding.location.file,
                "line": finding.location.line,
                "property_line": finding.location.property_line,
            }
            if finding.location is not None
            else None
        ),
        "ai_system": (
            {"iri": finding.ai_system, "label": finding.ai_system_label} if finding.ai_system is not None else None
        ),
    }
