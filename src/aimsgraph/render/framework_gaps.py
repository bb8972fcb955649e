"""The coverage of one other framework (``aimsgraph gaps --framework``) as a terminal table, CSV or
Markdown, and as the ``frameworks`` part of the gap report's JSON."""

from __future__ import annotations

import csv
import io
from typing import Any

from rich.console import Console
from rich.table import Table

from aimsgraph.coverage import CoverageStatus
from aimsgraph.frameworks import Basis, Derivation, FrameworkCoverage, FrameworkRequirementCoverage, Strength
from aimsgraph.gaps import GapReport
from aimsgraph.model import Finding, Requirement


def to_dict(coverage: FrameworkCoverage) -> dict[str, Any]:
    """Give one framework's coverage as plain JSON-ready data."""
    return {
        "key": coverage.framework.key,
        "iri": coverage.framework.iri,
        "name": coverage.framework.label,
        "tally": {status.value: n for status, n in coverage.tally.items()},
        "requirements": [_requirement(entry) for entry in coverage.coverage],
    }


def requirement_key(requirement: Requirement) -> dict[str, Any]:
    """Give how a gap report's JSON names a requirement: its IRI, id (notation) and title."""
    return {"iri": requirement.iri, "id": requirement.notation, "title": requirement.title}


def _requirement(entry: FrameworkRequirementCoverage) -> dict[str, Any]:
    return requirement_key(entry.requirement) | {
        "status": entry.status.value,
        "basis": entry.basis.value,
        "applicable": entry.applicable,
        "applicability": entry.applicability,
        "implementations": list(entry.implementations),
        "evidence": list(entry.evidence),
        "findings": [finding_summary(f) for f in entry.findings],
        "derivations": [
            {
                "mapping": d.mapping,
                "crosswalk": d.crosswalk,
                "via": requirement_key(d.via),
                "via_status": d.via_status.value,
                "relation": d.relation,
                "confidence": d.confidence,
                "strength": d.strength.value,
                "carries": d.carries.value if d.carries else None,
                "rationale": d.rationale,
                "sources": list(d.sources),
            }
            for d in entry.derivations
        ],
    }


def finding_summary(finding: Finding) -> dict[str, Any]:
    """Give what a gap report's JSON says of a finding about a requirement (schema $defs/findings)."""
    location = finding.location
    return {
        "rule": finding.rule,
        "severity": finding.severity.label,
        "message": finding.message,
        "focus_node": finding.focus_node,
        "location": {"file": location.file, "line": location.line} if location else None,
    }


def summary_lines(report: GapReport, coverage: FrameworkCoverage) -> list[str]:
    """Give the framework's summary as short lines of text."""
    tally = ", ".join(f"{n} {status.value}" for status, n in coverage.tally.items() if n) or "nothing to assess"
    carried = sum(
        1 for e in coverage.coverage if e.basis is Basis.MAPPINGS and e.status is not CoverageStatus.NOT_ASSESSED
    )
    weak = sum(1 for e in coverage.coverage if e.basis is Basis.WEAK_MAPPINGS)
    return [
        f"{coverage.framework.label} as of {report.as_of.isoformat()}: {len(coverage.coverage)} requirements: {tally}.",
        f"{carried} take their status from ISO/IEC 42001 through crosswalk mappings (a subset or an intersection "
        "carries at most partly met); "
        f"{weak} have only weak mappings (related or low confidence), which carry no status.",
    ]


def path(entry: FrameworkRequirementCoverage) -> str:
    """Give, in a line, what the entry's status rests on."""
    rules = sorted({f.rule for f in entry.findings})
    weak = entry.basis is Basis.WEAK_MAPPINGS
    mapped = [d for d in entry.derivations if (d.strength is Strength.WEAK) == weak]
    unmet = [d for d in entry.derivations if d.carries is CoverageStatus.NOT_MET]
    but = ("; but via " + "; ".join(_step(d) for d in unmet)) if unmet else ""
    lines = {
        Basis.APPLICABILITY: entry.applicability,
        Basis.RULES: "rules: " + ("; ".join(rules) if rules else "checked, no findings"),
        Basis.CONTROLS: f"controls: {len(entry.implementations)} implementing it, {len(entry.evidence)} evidence" + but,
        Basis.EVIDENCE: f"evidence: {len(entry.evidence)} supporting it, current" + but,
        Basis.RULES_AND_MAPPINGS: "rules: checked, no findings; but via " + "; ".join(_step(d) for d in unmet),
        Basis.MAPPINGS: "via " + "; ".join(_step(d) for d in mapped),
        Basis.WEAK_MAPPINGS: "weak only: " + "; ".join(_step(d) for d in mapped),
    }
    return lines.get(entry.basis, "")


def _cells(entry: FrameworkRequirementCoverage) -> list[str]:
    return [entry.requirement.notation, entry.requirement.title, entry.status.value, entry.basis.value, path(entry)]


def _step(derivation: Derivation) -> str:
    carries = f" -> {derivation.carries.value}" if derivation.carries else ""
    return (
        f"{derivation.via.notation} ({derivation.via_status.value}) {derivation.relation}, "
        f"{derivation.confidence} confidence{carries}"
    )


def table(report: GapReport, coverage: FrameworkCoverage, width: int) -> str:
    """Give the framework's coverage as a terminal table under its summary."""
    grid = Table(header_style="bold")
    for column in ("id", "requirement", "status", "basis", "path"):
        grid.add_column(column, overflow="fold")
    for entry in coverage.coverage:
        grid.add_row(
            entry.requirement.notation, entry.requirement.title, entry.status.value, entry.basis.value, path(entry)
        )
    console = Console(file=io.StringIO(), width=width, color_system=None, legacy_windows=False)
    for line in summary_lines(report, coverage):
        console.print(line, highlight=False)
    console.print(grid)
    output = console.file
    assert isinstance(output, io.StringIO)
    return output.getvalue()


def csv_text(coverage: FrameworkCoverage) -> str:
    """Give the framework's coverage as CSV, one row per requirement."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["id", "title", "status", "basis", "applicable", "implementations", "evidence", "findings", "path"])
    for e in coverage.coverage:
        applicable = "" if e.applicable is None else str(e.applicable).lower()
        writer.writerow([
            e.requirement.notation, e.requirement.title, e.status.value, e.basis.value, applicable,
            " ".join(e.implementations), " ".join(e.evidence), len(e.findings), path(e),
        ])  # fmt: skip
    return buffer.getvalue()


def markdown(report: GapReport, coverage: FrameworkCoverage) -> str:
    """Give the framework's coverage as a Markdown document."""
    lines = [f"# {coverage.framework.label} coverage, as of {report.as_of.isoformat()}", ""]
    lines += [f"- {line}" for line in summary_lines(report, coverage)]
    lines += ["", "| id | requirement | status | basis | path |", "| --- | --- | --- | --- | --- |"]
    for entry in coverage.coverage:
        cells = [
            entry.requirement.notation,
            entry.requirement.title,
            entry.status.value,
            entry.basis.value,
            path(entry),
        ]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines) + "\n"
