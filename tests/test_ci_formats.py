"""Validation outputs for CI, read back by real consumers: sarif-tools for SARIF, junitparser for
JUnit; GitHub workflow commands, a Markdown summary and a SHACL report in Turtle."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from junitparser import JUnitXml
from rdflib import Graph
from rdflib.namespace import RDF, SH
from sarif import loader
from typer.testing import CliRunner

from aimsgraph.cli import app
from aimsgraph.model import FailOn
from aimsgraph.validate import validate
from tests.conftest import EXAMPLE_AS_OF, EXAMPLE_FINDINGS, EXAMPLE_VIOLATIONS, EXAMPLES

KESTREL = str(EXAMPLES / "kestrel")
AS_OF = ["--as-of", EXAMPLE_AS_OF.isoformat()]
SARIF_SCHEMA = json.loads((Path(__file__).parent / "schemas" / "sarif-2.1.0.json").read_text())

# One current waiver that accepts the fraud risk's missing owner, and one that accepts nothing.
WAIVERS = (
    "@prefix aims: <https://w3id.org/aimsgraph/ns#> .\n"
    "@prefix aimsh: <https://w3id.org/aimsgraph/shapes#> .\n"
    "@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n"
    "@prefix kst: <https://kestrel.example/aims/> .\n"
    "kst:waiver-fraud-owner a aims:Waiver ;\n"
    "    aims:waivesRule aimsh:RiskOwner ;\n"
    "    aims:waivedFocus kst:risk-fraud-adversarial ;\n"
    '    aims:justification "The fraud risk register moves to the GRC tool in December." ;\n'
    "    aims:approvedBy kst:person-marcus-lindqvist ;\n"
    '    aims:validUntil "2026-12-31"^^xsd:date .\n'
    "kst:waiver-unused a aims:Waiver ;\n"
    "    aims:waivesRule aimsh:RiskOwner ;\n"
    "    aims:waivedFocus kst:risk-credit-bias ;\n"
    '    aims:justification "Kept for the audit trail of an older exception." ;\n'
    "    aims:approvedBy kst:person-marcus-lindqvist ;\n"
    '    aims:validUntil "2026-12-31"^^xsd:date .\n'
)


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("ci")
    files = {name: folder / f"report.{name}" for name in ("sarif", "junit", "markdown", "turtle", "github")}
    arguments = ["validate", KESTREL, *AS_OF, "--format", "json"]
    for name, path in files.items():
        arguments += ["--output", f"{name}={path}"]
    result = CliRunner().invoke(app, arguments)
    assert result.exit_code == 1, result.stderr
    return files


def test_sarif_is_read_by_sarif_tools_with_the_right_lines(outputs: dict[str, Path]) -> None:
    log = loader.load_sarif_file(str(outputs["sarif"]))
    assert log.get_result_count() == EXAMPLE_FINDINGS
    records = [(r["Code"], str(r["Location"]), r["Line"], r["Severity"]) for r in log.get_records()]
    assert any(
        code == "SoADecidesEveryControl"
        and where.endswith("examples/kestrel/soa.ttl")
        and line == 18
        and level == "error"
        for code, where, line, level in records
    )
    assert any(code == "EvidenceCurrent" and level == "warning" for code, _, _, level in records)
    assert log.get_rules_by_id("SoADecidesEveryControl")


def test_sarif_validates_against_the_sarif_2_1_0_schema(outputs: dict[str, Path], tmp_path: Path) -> None:
    # The plain run, a run with a suppressed (waived) finding, and a log cut at GitHub's limit:
    # each shape of log we write must satisfy the official schema, not only sarif-tools' reader.
    from aimsgraph.render import ci  # noqa: PLC0415

    waivers = tmp_path / "waivers.ttl"
    waivers.write_text(WAIVERS)
    waived = ci.sarif(validate([KESTREL, str(waivers)], as_of=EXAMPLE_AS_OF), fail_on=FailOn.VIOLATION)
    logs = [json.loads(outputs["sarif"].read_text()), json.loads(waived)]
    assert any("suppressions" in result for result in logs[1]["runs"][0]["results"])
    validator = jsonschema.Draft4Validator(SARIF_SCHEMA, format_checker=jsonschema.FormatChecker())
    for log in logs:
        errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(log)]
        assert errors == []


def test_the_schema_check_catches_a_malformed_log(outputs: dict[str, Path]) -> None:
    log = json.loads(outputs["sarif"].read_text())
    log["runs"][0]["results"][0]["level"] = "fatal"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft4Validator(SARIF_SCHEMA).validate(log)


def test_sarif_rules_name_their_clauses_and_results_have_fingerprints(outputs: dict[str, Path]) -> None:
    run = json.loads(outputs["sarif"].read_text())["runs"][0]
    rules = {rule["id"]: rule for rule in run["tool"]["driver"]["rules"]}
    assert rules["SoADecidesEveryControl"]["properties"]["requirements"] == ["A.7.5", "6.1.3"]
    assert "6.1.3 AI risk treatment" in rules["SoADecidesEveryControl"]["help"]["text"]
    fingerprints = [result["partialFingerprints"]["aimsgraph/v1"] for result in run["results"]]
    assert len(set(fingerprints)) == len(fingerprints) == EXAMPLE_FINDINGS


def test_sarif_names_each_requirement_under_its_own_framework(outputs: dict[str, Path]) -> None:
    rules = json.loads(outputs["sarif"].read_text())["runs"][0]["tool"]["driver"]["rules"]
    gdpr = [rule for rule in rules if any(n.startswith("GDPR ") for n in rule["properties"]["requirements"])]
    assert gdpr, "the example has findings of GDPR rules"
    for rule in gdpr:
        assert "GDPR (EU) 2016/679: GDPR Art." in rule["help"]["text"], rule["help"]["text"]
        assert "ISO/IEC 42001: GDPR" not in rule["help"]["text"] and "gdpr" in rule["properties"]["tags"]


def test_sarif_locations_are_uri_references(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "sp ace#1"
    folder.mkdir()
    (folder / "soa.ttl").write_bytes((EXAMPLES / "kestrel" / "soa.ttl").read_bytes())
    monkeypatch.chdir(tmp_path)
    relative = CliRunner().invoke(app, ["validate", "sp ace#1", *AS_OF, "--format", "sarif"])
    uris = {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        for r in json.loads(relative.stdout)["runs"][0]["results"]
        if "locations" in r
    }
    assert uris == {"sp%20ace%231/soa.ttl"}
    absolute = CliRunner().invoke(app, ["validate", str(folder), *AS_OF, "--format", "sarif"])
    uris = {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        for r in json.loads(absolute.stdout)["runs"][0]["results"]
        if "locations" in r
    }
    assert uris == {(folder / "soa.ttl").as_uri()}
    stdin = CliRunner().invoke(
        app, ["validate", "-", *AS_OF, "--format", "sarif"], input=(folder / "soa.ttl").read_text()
    )
    assert all("locations" not in r for r in json.loads(stdin.stdout)["runs"][0]["results"])


def test_fingerprints_are_stable_across_runs() -> None:
    first = [f.fingerprint for f in validate([KESTREL], as_of=EXAMPLE_AS_OF).findings]
    second = [f.fingerprint for f in validate([KESTREL], as_of=EXAMPLE_AS_OF).findings]
    assert first == second


def test_junit_is_read_by_junitparser(outputs: dict[str, Path]) -> None:
    suites = list(JUnitXml.fromfile(str(outputs["junit"])))
    assert [(s.name, s.tests, s.failures, s.skipped) for s in suites] == [
        ("aimsgraph validate", EXAMPLE_FINDINGS, EXAMPLE_VIOLATIONS, 1)
    ]
    files = {case.classname: case._elem.get("file") for case in suites[0]}
    assert files["RiskOwner"] == "examples/kestrel/risks.ttl:165" or files["RiskOwner"].endswith("risks.ttl:165")


@pytest.mark.parametrize(
    ("fail_on", "failures"), [("violation", EXAMPLE_VIOLATIONS), ("warning", EXAMPLE_FINDINGS), ("never", 0)]
)
def test_junit_failures_follow_fail_on(tmp_path: Path, fail_on: str, failures: int) -> None:
    path = tmp_path / "junit.xml"
    CliRunner().invoke(app, ["validate", KESTREL, *AS_OF, "--fail-on", fail_on, "--output", f"junit={path}"])
    suite = next(iter(JUnitXml.fromfile(str(path))))
    assert (suite.failures, suite.skipped) == (failures, EXAMPLE_FINDINGS - failures)


def test_github_commands_annotate_the_lines(outputs: dict[str, Path]) -> None:
    lines = outputs["github"].read_text().splitlines()
    assert len(lines) == EXAMPLE_FINDINGS
    risk_owner = next(line for line in lines if "title=RiskOwner" in line)
    assert risk_owner.startswith("::error file=")
    assert "risks.ttl,line=165,title=RiskOwner::" in risk_owner
    assert any(line.startswith("::warning ") and "title=EvidenceCurrent" in line for line in lines)


def test_markdown_summary_and_turtle_report(outputs: dict[str, Path]) -> None:
    summary = outputs["markdown"].read_text()
    assert "fails (--fail-on violation)" in summary
    assert "| violation | 6.1.2 | RiskOwner |" in summary
    report = Graph().parse(outputs["turtle"], format="turtle")
    assert len(list(report.subjects(RDF.type, SH.ValidationResult))) == EXAMPLE_FINDINGS
    assert next(report.objects(None, SH.conforms)).toPython() is False


def test_a_bad_output_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["validate", KESTREL, "--output", f"yaml={tmp_path / 'x'}"])
    assert result.exit_code == 2
    assert "unknown format 'yaml'" in result.stderr


def test_baseline_round_trip_fails_only_on_new_findings(tmp_path: Path) -> None:
    baseline = tmp_path / "baseline.json"
    runner = CliRunner()
    created = runner.invoke(app, ["validate", KESTREL, *AS_OF, "--create-baseline", str(baseline)])
    assert created.exit_code == 0, created.stderr
    assert f"{EXAMPLE_FINDINGS} suppressed" in created.stdout
    assert json.loads(baseline.read_text())["format"] == "aimsgraph-baseline/v1"
    sarif_path, junit_path = tmp_path / "r.sarif", tmp_path / "r.xml"
    outputs = ["--output", f"sarif={sarif_path}", "--output", f"junit={junit_path}"]
    adopted = runner.invoke(
        app, ["validate", KESTREL, *AS_OF, "--baseline", str(baseline), "--format", "json", *outputs]
    )
    assert adopted.exit_code == 0
    document = json.loads(adopted.stdout)
    assert document["suppressed"] == EXAMPLE_FINDINGS and document["counts"]["violation"] == 0
    assert all(f["suppressed"] == "baseline" for f in document["findings"])
    results = json.loads(sarif_path.read_text())["runs"][0]["results"]
    assert all(r["suppressions"][0]["kind"] == "external" for r in results)
    suite = next(iter(JUnitXml.fromfile(str(junit_path))))
    assert (suite.failures, suite.skipped) == (0, EXAMPLE_FINDINGS)
    # months later, new gaps appear (evidence runs out): those fail, the accepted ones still do not
    later = runner.invoke(
        app, ["validate", KESTREL, "--as-of", "2027-03-01", "--baseline", str(baseline), "--format", "json"]
    )
    assert later.exit_code == 1
    fresh = [f for f in json.loads(later.stdout)["findings"] if f["suppressed"] is None]
    assert fresh and all(f["rule"] != "SoADecidesEveryControl" for f in fresh)


def test_a_bad_baseline_is_a_usage_error(tmp_path: Path) -> None:
    baseline = tmp_path / "baseline.json"
    baseline.write_text('{"findings": []}')
    result = CliRunner().invoke(app, ["validate", KESTREL, "--baseline", str(baseline)])
    assert result.exit_code == 2
    assert "not an aimsgraph baseline" in result.stderr


def test_a_usage_error_leaves_an_existing_baseline_as_it_was(tmp_path: Path) -> None:
    baseline = tmp_path / "baseline.json"
    baseline.write_text("kept", encoding="utf-8")
    runner = CliRunner()
    bad_output = runner.invoke(app, ["validate", KESTREL, "--create-baseline", str(baseline), "--output", "xml=x"])
    assert bad_output.exit_code == 2 and "unknown format 'xml'" in bad_output.stderr
    both = runner.invoke(
        app, ["validate", KESTREL, "--create-baseline", str(baseline), "--baseline", str(tmp_path / "none.json")]
    )
    assert both.exit_code == 2 and "not both" in both.stderr
    nowhere = f"sarif={tmp_path / 'no-such-folder' / 'x.sarif'}"
    unwritable = runner.invoke(app, ["validate", KESTREL, "--create-baseline", str(baseline), "--output", nowhere])
    assert unwritable.exit_code == 2 and "cannot write there" in unwritable.stderr
    assert baseline.read_text(encoding="utf-8") == "kept"


def test_a_waiver_suppresses_its_finding_until_it_expires(tmp_path: Path) -> None:
    waivers = tmp_path / "waivers.ttl"
    waivers.write_text(WAIVERS)
    now = validate([KESTREL, str(waivers)], as_of=EXAMPLE_AS_OF)
    waived = [f for f in now.findings if f.suppressed == "waiver"]
    assert [(f.rule, f.focus_node) for f in waived] == [
        ("RiskOwner", "https://kestrel.example/aims/risk-fraud-adversarial")
    ]
    assert now.suppressed == 1
    assert now.unused_waivers == ("https://kestrel.example/aims/waiver-unused",)
    later = validate([KESTREL, str(waivers)], as_of=EXAMPLE_AS_OF.replace(year=2027, month=1, day=5))
    assert not any(f.suppressed for f in later.findings)
    expired = {f.focus_node for f in later.findings if f.rule == "WaiverExpired"}
    assert expired == {"https://kestrel.example/aims/waiver-fraud-owner", "https://kestrel.example/aims/waiver-unused"}


def test_a_sarif_log_over_githubs_limits_is_cut_and_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    from aimsgraph.render import ci  # noqa: PLC0415

    report = validate([KESTREL], as_of=EXAMPLE_AS_OF)
    monkeypatch.setattr(ci, "MAX_SARIF_RESULTS", 4)
    run = json.loads(ci.sarif(report, fail_on=FailOn.VIOLATION))["runs"][0]
    assert len(run["results"]) == 4
    assert "only the first 4" in run["invocations"][0]["toolExecutionNotifications"][0]["message"]["text"]
    monkeypatch.setattr(ci, "MAX_SARIF_RESULTS", 25_000)
    monkeypatch.setattr(ci, "MAX_SARIF_BYTES", 6_000)
    text = ci.sarif(report, fail_on=FailOn.VIOLATION)
    assert len(text.encode()) <= 6_000
    assert f"{EXAMPLE_FINDINGS} findings; only the first" in text
    jsonschema.Draft4Validator(SARIF_SCHEMA).validate(json.loads(text))
