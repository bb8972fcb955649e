"""Baselines: adopt aimsgraph on an AIMS with known gaps and fail only on new findings.

A baseline file lists the fingerprints of the findings a team has accepted for now (rule, focus
node, path and value, hashed); a later run marks those findings as suppressed, reports them apart,
and fails only on the others.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from aimsgraph.errors import UsageError
from aimsgraph.model import Severity, ValidationReport

FORMAT = "aimsgraph-baseline/v1"


def write(report: ValidationReport, path: Path) -> int:
    """Write a baseline of every finding in ``report`` to ``path``; give how many it holds.

    :raises UsageError: the file cannot be written.
    """
    entries = [
        {"fingerprint": f.fingerprint, "rule": f.rule, "focus_node": f.focus_node, "severity": f.severity.label}
        for f in report.findings
    ]
    document = {"format": FORMAT, "as_of": report.as_of.isoformat(), "findings": entries}
    try:
        path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    except OSError as error:
        raise UsageError(f"{path}: cannot write the baseline: {error.strerror}") from None
    return len(entries)


def apply(report: ValidationReport, path: Path) -> ValidationReport:
    """Give ``report`` with the findings listed in the baseline at ``path`` marked suppressed.

    :raises UsageError: the file cannot be read or is not an aimsgraph baseline.
    """
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise UsageError(f"{path}: cannot read the baseline: {error.strerror}") from None
    except json.JSONDecodeError as error:
        raise UsageError(f"{path}:{error.lineno}:{error.colno}: not JSON: {error.msg}") from None
    if (
        not isinstance(document, dict)
        or document.get("format") != FORMAT
        or not isinstance(document.get("findings"), list)
    ):
        raise UsageError(f'{path}: not an aimsgraph baseline (expected "format": "{FORMAT}")')
    known = {entry.get("fingerprint") for entry in document["findings"] if isinstance(entry, dict)}
    findings = tuple(
        replace(f, suppressed="baseline") if f.suppressed is None and f.suppressible and f.fingerprint in known else f
        for f in report.findings
    )
    active = [f for f in findings if f.suppressed is None]
    counts = {severity: sum(1 for f in active if f.severity is severity) for severity in Severity}
    return replace(report, findings=findings, counts=counts, suppressed=len(findings) - len(active))
