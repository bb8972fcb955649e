"""The validation report as text for a terminal: findings grouped by AI system, then by clause."""

from __future__ import annotations

from itertools import groupby

from aimsgraph.model import FailOn, Finding, Severity, ValidationReport
from aimsgraph.render.terms import Compact, compactor, term_text

_MANAGEMENT_SYSTEM = "The management system as a whole"


def render(report: ValidationReport, *, fail_on: FailOn) -> str:
    """Give the report as plain text lines."""
    compact = compactor(report.prefixes)
    lines = [
        f"aimsgraph validate: {len(report.sources)} file(s), {report.triples} triples, "
        f"{report.shapes} shapes, as of {report.as_of.isoformat()}, inference {report.inference.value}",
        "",
    ]
    by_system = sorted(report.findings, key=lambda f: (f.ai_system is not None, f.ai_system_label or f.ai_system or ""))
    for system, system_findings in groupby(by_system, key=lambda f: f.ai_system):
        findings = list(system_findings)
        label = findings[0].ai_system_label
        heading = (
            f"AI system {label} ({compact(system)})"
            if system and label
            else f"AI system {compact(system)}"
            if system
            else _MANAGEMENT_SYSTEM
        )
        lines.append(heading)
        lines.append("=" * min(len(heading), 100))
        for (notation, title), clause_findings in groupby(sorted(findings, key=_clause_key), key=_clause):
            lines.append(f"  {notation}  {title}")
            for finding in clause_findings:
                lines.extend(_finding_lines(finding, compact))
        lines.append("")
    lines.append(summary(report, fail_on))
    return "\n".join(lines) + "\n"


def _clause(finding: Finding) -> tuple[str, str]:
    if not finding.requirements:
        return ("-", "not tied to a catalogued requirement")
    primary = finding.requirements[0]
    return (primary.notation, primary.title)


def _clause_key(finding: Finding) -> tuple[int, str, int, str]:
    notation, _ = _clause(finding)
    # Clause ids sort numerically part by part (9.2 before 10.1); Annex A after the clauses.
    parts = notation.removeprefix("A.").split(".")
    numeric = [int(p) for p in parts if p.isdigit()]
    return (
        1 if notation.startswith("A.") else 0,
        ".".join(f"{n:04d}" for n in numeric),
        -finding.severity,
        finding.sort_key[2],
    )


def _finding_lines(finding: Finding, compact: Compact) -> list[str]:
    ids = ", ".join(r.notation for r in finding.requirements)
    focus = compact(finding.focus_node)
    if finding.focus_label:
        focus += f" ({finding.focus_label})"
    suppressed = f" (suppressed: {finding.suppressed})" if finding.suppressed else ""
    lines = [
        f"    {finding.severity.label.upper():<9} {finding.message}{suppressed}",
        f"              rule {finding.rule}{f' [{ids}]' if ids else ''}",
        f"              focus {focus}",
    ]
    if finding.path:
        lines.append(
            f"              path {compact(finding.path.strip('<>')) if finding.path.startswith('<') else finding.path}"
        )
    if finding.value is not None:
        lines.append(f"              value {term_text(finding.value, compact)}")
    if finding.location:
        where = f"{finding.location.file}:{finding.location.line}"
        if finding.location.property_line and finding.location.property_line != finding.location.line:
            where += f" (the property at line {finding.location.property_line})"
        lines.append(f"              at {where}")
    if finding.remediation:
        lines.append(f"              fix {finding.remediation}")
    return lines


def summary(report: ValidationReport, fail_on: FailOn) -> str:
    counts = ", ".join(f"{report.counts.get(s, 0)} {s.label}" for s in sorted(Severity, reverse=True))
    if report.conforms:
        return f"Conforms: no findings ({counts})."
    verdict = "FAIL" if report.fails(fail_on) else "pass"
    apart = f", {report.suppressed} suppressed (waived or in the baseline)" if report.suppressed else ""
    if report.unused_waivers:
        apart += f"; {len(report.unused_waivers)} waiver(s) accepted nothing: {', '.join(report.unused_waivers)}"
    return f"{len(report.findings)} finding(s): {counts}{apart}. Result: {verdict} (--fail-on {fail_on.value})."


def changes(before: ValidationReport, after: ValidationReport, *, fail_on: FailOn, heading: str) -> str:
    """Give what a re-validation changed: the new findings in full, the resolved ones a line each
    (told apart by fingerprint: rule, focus node, path and value), then the new summary."""
    compact = compactor(after.prefixes)
    old = {finding.fingerprint for finding in before.findings}
    now = {finding.fingerprint for finding in after.findings}
    new = [finding for finding in after.findings if finding.fingerprint not in old]
    resolved = [finding for finding in before.findings if finding.fingerprint not in now]
    lines = [f"{heading}: {len(new)} new, {len(resolved)} resolved"]
    for finding in new:
        lines.extend(_finding_lines(finding, compact))
    for finding in resolved:
        lines.append(f"    resolved  {finding.message} (rule {finding.rule}, focus {compact(finding.focus_node)})")
    lines.append(summary(after, fail_on))
    return "\n".join(lines) + "\n"
