"""The gap report as a terminal table, JSON (schemas/gap-report.schema.json), CSV or Markdown."""

from __future__ import annotations

import csv
import enum
import io
import json
from typing import Any

from rich.console import Console
from rich.table import Table

from aimsgraph import __version__
from aimsgraph.coverage import CoverageStatus, RequirementCoverage
from aimsgraph.gaps import GapReport
from aimsgraph.model import Severity
from aimsgraph.render import framework_gaps

SCHEMA_ID = "https://w3id.org/aimsgraph/schemas/gap-report/v1"


class GapFormat(enum.Enum):
    """How ``aimsgraph gaps`` prints its report."""

    TABLE = "table"
    JSON = "json"
    CSV = "csv"
    MARKDOWN = "markdown"


def render(report: GapReport, gap_format: GapFormat, *, width: int = 160, framework: str | None = None) -> str:
    """Give the report in ``gap_format``; for ``framework`` (one the report covers, other than
    ISO/IEC 42001), that framework's coverage, except in JSON, which always gives the whole report."""
    if gap_format is GapFormat.JSON:
        return json.dumps(to_dict(report), indent=2, ensure_ascii=False) + "\n"
    if framework is not None:
        return _framework(report, gap_format, width, framework)
    if gap_format is GapFormat.CSV:
        return _csv(report)
    if gap_format is GapFormat.MARKDOWN:
        return _markdown(report)
    return _table(report, width)


def _framework(report: GapReport, gap_format: GapFormat, width: int, key: str) -> str:
    coverage = report.framework(key)
    if gap_format is GapFormat.CSV:
        return framework_gaps.csv_text(coverage)
    if gap_format is GapFormat.MARKDOWN:
        return framework_gaps.markdown(report, coverage)
    return framework_gaps.table(report, coverage, width)


def to_dict(report: GapReport) -> dict[str, Any]:
    """Give the report as plain JSON-ready data."""
    readiness = report.readiness
    return {
        "$schema": SCHEMA_ID,
        "generator": {"name": "aimsgraph", "version": __version__},
        "as_of": report.as_of.isoformat(),
        "sources": list(report.validation.sources),
        "readiness": {
            "applicable_controls": readiness.applicable_controls,
            "controls_met": readiness.controls_met,
            "implemented_controls": readiness.implemented_controls,
            "controls_with_current_evidence": readiness.controls_with_current_evidence,
            "share_ready": round(readiness.share_ready, 4),
            "open_nonconformities": readiness.open_nonconformities,
            "overdue_corrective_actions": readiness.overdue_corrective_actions,
            "clauses": {status.value: n for status, n in readiness.clauses.items()},
            "controls": {status.value: n for status, n in readiness.controls.items()},
            "findings": {s.label: report.validation.counts.get(s, 0) for s in Severity},
        },
        "requirements": [_requirement(entry) for entry in report.coverage],
    } | ({"frameworks": [framework_gaps.to_dict(c) for c in report.frameworks]} if report.frameworks else {})


def _requirement(entry: RequirementCoverage) -> dict[str, Any]:
    return framework_gaps.requirement_key(entry.requirement) | {
        "kind": entry.kind.value,
        "status": entry.status.value,
        "applicable": entry.applicable,
        "implementation_status": entry.implementation_status,
        "implementations": list(entry.implementations),
        "evidence": list(entry.evidence),
        "documents": list(entry.documents),
        "findings": [framework_gaps.finding_summary(f) for f in entry.findings],
    }


def summary_lines(report: GapReport) -> list[str]:
    """Give the readiness summary as short lines of text."""
    r = report.readiness
    counts = report.validation.counts
    nonconformities = ", ".join(f"{n} {grade}" for grade, n in r.open_nonconformities.items()) or "none"
    return [
        f"Readiness as of {report.as_of.isoformat()}: {r.share_ready:.0%} of applicable Annex A controls "
        f"({r.controls_with_current_evidence} of {r.applicable_controls}) are implemented with current evidence.",
        "Clauses 4-10: " + _tally(r.clauses) + ".",
        "Annex A controls: " + _tally(r.controls) + ".",
        f"Open nonconformities: {nonconformities}. Overdue corrective actions: {r.overdue_corrective_actions}.",
        f"Findings: {counts.get(Severity.VIOLATION, 0)} violation, {counts.get(Severity.WARNING, 0)} warning, "
        f"{counts.get(Severity.INFO, 0)} info.",
    ]


def _tally(counts: dict[CoverageStatus, int]) -> str:
    return ", ".join(f"{n} {status.value}" for status, n in counts.items() if n)


def _rules(entry: RequirementCoverage) -> str:
    return "; ".join(sorted({f.rule for f in entry.findings}))


def _table(report: GapReport, width: int) -> str:
    grid = Table(header_style="bold")
    for column in ("id", "requirement", "status", "findings"):
        grid.add_column(column, overflow="fold")
    for entry in report.coverage:
        grid.add_row(entry.requirement.notation, entry.requirement.title, entry.status.value, _rules(entry))
    console = Console(file=io.StringIO(), width=width, color_system=None, legacy_windows=False)
    for line in summary_lines(report):
        console.print(line, highlight=False)
    console.print(grid)
    output = console.file
    assert isinstance(output, io.StringIO)
    return output.getvalue()


_CSV_COLUMNS = [
    "id",
    "title",
    "kind",
    "status",
    "applicable",
    "implementation_status",
    "implementations",
    "evidence",
    "documents",
    "findings",
    "rules",
]


def _csv(report: GapReport) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(_CSV_COLUMNS)
    for e in report.coverage:
        applicable = "" if e.applicable is None else str(e.applicable).lower()
        writer.writerow([
            e.requirement.notation, e.requirement.title, e.kind.value, e.status.value, applicable,
            e.implementation_status or "", " ".join(e.implementations), " ".join(e.evidence), " ".join(e.documents),
            len(e.findings), _rules(e),
        ])  # fmt: skip
    return buffer.getvalue()


def _markdown(report: GapReport) -> str:
    lines = [f"# AIMS gap report, as of {report.as_of.isoformat()}", ""]
    lines += [f"- {line}" for line in summary_lines(report)]
    lines += ["", "| id | requirement | status | findings |", "| --- | --- | --- | --- |"]
    for entry in report.coverage:
        title = entry.requirement.title.replace("|", "\\|")
        lines.append(f"| {entry.requirement.notation} | {title} | {entry.status.value} | {_rules(entry)} |")
    return "\n".join(lines) + "\n"
