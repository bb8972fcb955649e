"""Validation results for CI: SARIF 2.1.0, JUnit XML, GitHub workflow commands, Markdown for a job
summary, and Turtle (a SHACL validation report). One short function per format."""

from __future__ import annotations

import json
import re
from pathlib import Path, PurePath
from typing import Any
from urllib.parse import quote
from xml.sax.saxutils import escape, quoteattr

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, SH, XSD

from aimsgraph import __version__
from aimsgraph.model import FailOn, Finding, Severity, TermKind, ValidationReport

HELP_URI = "https://w3id.org/aimsgraph/rules#"
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
MAX_SARIF_RESULTS = 25_000  # GitHub code scanning's limit per run
MAX_SARIF_BYTES = 10 * 1024 * 1024  # and per uploaded file
_SARIF_LEVEL = {Severity.VIOLATION: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
_GITHUB_COMMAND = {Severity.VIOLATION: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def sarif(report: ValidationReport, *, fail_on: FailOn) -> str:
    """Give the report as a SARIF 2.1.0 log: one rule per shape, one result per finding, within
    GitHub's limits (25,000 results per run, 10 MB per file); a cut log says so in a notification."""
    keep = min(len(report.findings), MAX_SARIF_RESULTS)
    while True:
        text = _sarif_log(report, fail_on, keep)
        if len(text.encode("utf-8")) <= MAX_SARIF_BYTES or keep == 0:
            return text
        keep = keep * 9 // 10  # drop a tenth and try again: sizes per result are alike


def _sarif_log(report: ValidationReport, fail_on: FailOn, keep: int) -> str:
    findings = report.findings[:keep]
    rules: dict[str, dict[str, Any]] = {}
    for finding in findings:
        rules.setdefault(finding.rule, _sarif_rule(finding))
    order = {rule: index for index, rule in enumerate(rules)}
    driver = {"name": "aimsgraph", "version": __version__, "informationUri": "https://w3id.org/aimsgraph"}
    run: dict[str, Any] = {
        "tool": {"driver": {**driver, "rules": list(rules.values())}},
        "results": [_sarif_result(f, order[f.rule]) for f in findings],
        "properties": {"asOf": report.as_of.isoformat(), "failOn": fail_on.value},
    }
    if keep < len(report.findings):
        note = (
            f"{len(report.findings)} findings; only the first {keep} are in this log "
            "(GitHub accepts 25,000 results per run and 10 MB per file)"
        )
        run["invocations"] = [
            {
                "executionSuccessful": True,
                "toolExecutionNotifications": [{"level": "warning", "message": {"text": note}}],
            }
        ]
    return json.dumps({"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}, indent=2, ensure_ascii=False) + "\n"


def _sarif_rule(finding: Finding) -> dict[str, Any]:
    # A rule may enforce requirements of several frameworks (an ISO clause and a GDPR article):
    # each is named under its own framework.
    by_framework: dict[str, list[str]] = {}
    for requirement in finding.requirements:
        by_framework.setdefault(requirement.framework, []).append(f"{requirement.notation} {requirement.title}")
    enforced = "; ".join(f"{framework}: {', '.join(items)}" for framework, items in by_framework.items())
    tags = ["aims", *(_tag(framework) for framework in by_framework)]
    return {
        "id": finding.rule,
        "name": finding.rule,
        "shortDescription": {"text": finding.rule_title or finding.rule},
        "help": {"text": f"{finding.remediation} ({enforced})" if enforced else finding.remediation},
        "helpUri": HELP_URI + finding.rule,
        "properties": {"requirements": [r.notation for r in finding.requirements], "tags": tags},
    }


def _tag(framework: str) -> str:
    """Give a framework's name as a tag: "GDPR (EU) 2016/679" as gdpr, "ISO/IEC 42001:2023" as iso-iec-42001."""
    return re.sub(r"[^a-z0-9]+", "-", re.split(r"[:(]", framework)[0].lower()).strip("-")


def _artifact_uri(file: str) -> str | None:
    """Give a source file as SARIF wants it, a URI reference: a relative path percent-encoded (to
    the working directory, as code scanning reads it), an absolute one as a file: URI; standard
    input has none."""
    if file.startswith("<"):  # <stdin>, or a graph uploaded to the service
        return None
    path = PurePath(file)
    return Path(file).as_uri() if path.is_absolute() else quote(path.as_posix())


def _sarif_result(finding: Finding, rule_index: int) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ruleId": finding.rule,
        "ruleIndex": rule_index,
        "level": _SARIF_LEVEL[finding.severity],
        "message": {"text": finding.message},
        "partialFingerprints": {"aimsgraph/v1": finding.fingerprint},
        "properties": {
            "focusNode": finding.focus_node,
            "path": finding.path,
            "requirements": [r.notation for r in finding.requirements],
            "aiSystem": finding.ai_system,
        },
    }
    if finding.suppressed:
        result["suppressions"] = [{"kind": "external", "justification": f"accepted in the {finding.suppressed}"}]
    uri = _artifact_uri(finding.location.file) if finding.location is not None else None
    if finding.location is not None and uri is not None:
        result["locations"] = [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": uri},
                    "region": {"startLine": finding.location.best_line},
                }
            }
        ]
    return result


def junit(report: ValidationReport, *, fail_on: FailOn) -> str:
    """Give the report as JUnit XML: a test case per rule and focus node; a finding at or above
    ``fail_on`` is a failure, one below it is reported as skipped."""
    threshold = fail_on.threshold
    failures = sum(1 for f in report.findings if _fails(f, threshold))
    cases = []
    for finding in report.findings:
        where = f"{finding.location.file}:{finding.location.best_line}" if finding.location else finding.focus_node
        name = quoteattr(f"{finding.rule} {finding.focus_node}")
        body = escape(f"{finding.message}\n{where}\nFix: {finding.remediation}")
        severity, message = quoteattr(finding.severity.label), quoteattr(finding.message)
        if _fails(finding, threshold):
            outcome = f"<failure type={severity} message={message}>{body}</failure>"
        else:
            why = f"suppressed ({finding.suppressed})" if finding.suppressed else f"below --fail-on {fail_on.value}"
            below = quoteattr(f"{finding.severity.label} {why}: {finding.message}")
            outcome = f"<skipped message={below}/>"
        rule, file = quoteattr(finding.rule), quoteattr(where)
        cases.append(f"    <testcase classname={rule} name={name} file={file}>{outcome}</testcase>")
    skipped = len(report.findings) - failures
    header = (
        f'  <testsuite name="aimsgraph validate" tests="{max(len(report.findings), 1)}" failures="{failures}" '
        f'errors="0" skipped="{skipped}" timestamp="{report.as_of.isoformat()}T00:00:00">'
    )
    if not report.findings:
        cases.append('    <testcase classname="aimsgraph" name="conforms"/>')
    return (
        "\n".join(
            [
                '<?xml version="1.0" encoding="UTF-8"?>',
                "<testsuites>",
                header,
                *cases,
                "  </testsuite>",
                "</testsuites>",
            ]
        )
        + "\n"
    )


def _fails(finding: Finding, threshold: Severity | None) -> bool:
    return finding.suppressed is None and threshold is not None and finding.severity >= threshold


def github(report: ValidationReport, *, fail_on: FailOn) -> str:
    """Give the findings that count as GitHub Actions workflow commands, which annotate their lines."""
    lines = []
    for finding in (f for f in report.findings if f.suppressed is None):
        properties = f"title={_command_escape(finding.rule, True)}"
        if finding.location is not None:
            properties = (
                f"file={_command_escape(finding.location.file, True)},line={finding.location.best_line}," + properties
            )
        ids = ", ".join(r.notation for r in finding.requirements)
        message = f"{finding.message} [{ids}] Fix: {finding.remediation}"
        lines.append(f"::{_GITHUB_COMMAND[finding.severity]} {properties}::{_command_escape(message, False)}")
    return "\n".join(lines) + ("\n" if lines else "")


def _command_escape(text: str, is_property: bool) -> str:
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return text.replace(":", "%3A").replace(",", "%2C") if is_property else text


def markdown(report: ValidationReport, *, fail_on: FailOn) -> str:
    """Give a Markdown summary (for a CI job summary): counts, then one table row per finding."""
    counts = ", ".join(f"{report.counts.get(s, 0)} {s.label}" for s in sorted(Severity, reverse=True))
    verdict = "fails" if report.fails(fail_on) else "passes"
    lines = [
        f"### aimsgraph validate: {verdict} (--fail-on {fail_on.value}), as of {report.as_of.isoformat()}",
        "",
        f"{len(report.findings)} finding(s): {counts}.",
    ]
    if report.findings:
        lines += ["", "| severity | requirement | rule | finding | where |", "| --- | --- | --- | --- | --- |"]
        for f in report.findings:
            where = f"`{f.location.file}:{f.location.best_line}`" if f.location else f"`{f.focus_node}`"
            ids = ", ".join(r.notation for r in f.requirements)
            severity = f"{f.severity.label} (suppressed)" if f.suppressed else f.severity.label
            cells = [severity, ids, f.rule, f.message, where]
            lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    return "\n".join(lines) + "\n"


def turtle(report: ValidationReport, *, fail_on: FailOn) -> str:
    """Give the findings as a SHACL validation report (sh:ValidationReport) in Turtle."""
    graph = Graph()
    graph.bind("sh", SH)
    root = BNode()
    graph.add((root, RDF.type, SH.ValidationReport))
    graph.add((root, SH.conforms, Literal(report.conforms)))
    severities = {Severity.VIOLATION: SH.Violation, Severity.WARNING: SH.Warning, Severity.INFO: SH.Info}
    for finding in report.findings:
        result = BNode()
        graph.add((root, SH.result, result))
        graph.add((result, RDF.type, SH.ValidationResult))
        focus = BNode(finding.focus_node[2:]) if finding.focus_node.startswith("_:") else URIRef(finding.focus_node)
        graph.add((result, SH.focusNode, focus))
        graph.add((result, SH.resultSeverity, severities[finding.severity]))
        graph.add((result, SH.resultMessage, Literal(finding.message)))
        shape = (
            finding.rule
            if "://" in finding.rule or finding.rule.startswith("urn:")
            else f"https://w3id.org/aimsgraph/shapes#{finding.rule}"
        )
        graph.add((result, SH.sourceShape, URIRef(shape)))
        if finding.path and finding.path.startswith("<") and finding.path.endswith(">") and " " not in finding.path:
            graph.add((result, SH.resultPath, URIRef(finding.path[1:-1])))
        value = finding.value
        if value is not None:
            if value.kind is TermKind.IRI:
                graph.add((result, SH.value, URIRef(value.value)))
            elif value.kind is TermKind.LITERAL:
                datatype = URIRef(value.datatype) if value.datatype and value.datatype != str(XSD.string) else None
                graph.add(
                    (
                        result,
                        SH.value,
                        Literal(value.value, lang=value.language, datatype=None if value.language else datatype),
                    )
                )
    return graph.serialize(format="turtle")
