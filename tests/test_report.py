"""The HTML report: every page rendered from the graph, nothing blank, nothing fetched from elsewhere."""

from __future__ import annotations

import json
import os
import re
from html.parser import HTMLParser
from pathlib import Path

import jinja2
import pytest
from typer.testing import CliRunner

from aimsgraph import load, report
from aimsgraph.cli import app
from aimsgraph.gaps import gaps_loaded
from aimsgraph.render.terms import compactor
from tests.conftest import EXAMPLE_AS_OF, EXAMPLE_FINDINGS, EXAMPLES


@pytest.fixture(scope="module")
def pages() -> dict[str, str]:
    built = report.build(load.load(load.collect([str(EXAMPLES / "kestrel")])), as_of=EXAMPLE_AS_OF)
    return {page.name: page.body for page in built if isinstance(page.body, str) and page.name.endswith(".html")}


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.references: list[str] = []
        self.rows = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.rows += tag == "tr"
        self.references += [value or "" for name, value in attrs if name in ("src", "href")]


def _parse(html: str) -> _Tags:
    tags = _Tags()
    tags.feed(html)
    return tags


def test_a_page_for_the_summary_soa_findings_and_each_ai_system(pages: dict[str, str]) -> None:
    assert {"index.html", "soa.html", "findings.html", "systems.html", "appendix.html"} <= set(pages)
    listed = re.findall(r'href="(system-[^"]+\.html)"', pages["systems.html"])
    assert sorted(listed) == sorted(name for name in pages if name.startswith("system-"))
    assert len([name for name in pages if name.startswith("system-")]) == 8


def test_the_summary_states_readiness_and_scope(pages: dict[str, str]) -> None:
    index = pages["index.html"]
    assert "92%" in index and "(33 of 36)" in index
    assert "ISO/IEC 42001:2023" in index and "2026-11-26" in index
    assert re.search(r"SHA-256 of the data: <code>[0-9a-f]{64}</code>", index)
    assert index.count("<svg") == 4  # clauses, Annex A areas, the heat map, the expiry timeline
    assert "<title>5: violation</title>" in index  # the forecaster's missing owner, clause 5
    assert "KCS-4 fairness test report, September 2025: due 2026-09-30" in index  # expired, on the timeline


def test_the_soa_lists_all_38_controls(pages: dict[str, str]) -> None:
    soa = pages["soa.html"]
    assert _parse(soa).rows == 38 + 1  # the header row
    assert "A.7.5" in soa and "not decided" in soa


def test_every_finding_is_in_the_register_with_its_grade(pages: dict[str, str]) -> None:
    register = pages["findings.html"]
    for rule in ("RiskOwner", "RiskTreated", "CorrectiveActionNotOverdue", "EvidenceCurrent"):
        assert f"rule {rule}" in register
    assert register.count("nonconformity") >= 9 and "observation" in register
    assert "examples/kestrel/risks.ttl:165" in register


def test_an_ai_system_page_shows_its_own_findings(pages: dict[str, str]) -> None:
    forecaster = pages["system-sys-cash-forecaster.html"]
    assert "none named" in forecaster  # no accountable owner
    assert "accountable owner" in forecaster.lower()


def test_the_other_frameworks_page_shows_each_status_with_its_path(pages: dict[str, str]) -> None:
    page = pages["frameworks.html"]
    row = page[page.index("GDPR Art. 35") :]
    row = row[: row.index("</tr>")]
    assert "not met" in row and "rules: DPIACarriedOut" in row
    row = page[page.index("GOVERN 1.1") :]
    row = row[: row.index("</tr>")]
    assert "mappings" in row and "intersects" in row  # carried from ISO/IEC 42001, path shown
    assert 'href="frameworks.html"' in pages["index.html"]


def test_nothing_is_loaded_from_elsewhere(pages: dict[str, str]) -> None:
    for name, html in pages.items():
        external = [ref for ref in _parse(html).references if "://" in ref]
        assert external == [], name
        assert "<script" not in html


def test_a_missing_value_is_an_error_not_a_blank() -> None:
    environment = report.templates(compactor(()))
    with pytest.raises(jinja2.UndefinedError):
        environment.get_template("index.html.j2").render(as_of="2026-11-26")


def test_two_ai_systems_whose_names_read_the_same_each_have_a_page(tmp_path: Path) -> None:
    twin = tmp_path / "twin.ttl"
    twin.write_text(
        "@prefix aims: <https://w3id.org/aimsgraph/ns#> .\n@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
        '<https://other.example/aims/Sys_Cash_Forecaster> a aims:AISystem ; rdfs:label "Twin" .\n',
        encoding="utf-8",
    )
    data = load.load(load.collect([str(EXAMPLES / "kestrel"), str(twin)]))
    built = {page.name: page.body for page in report.build(data, as_of=EXAMPLE_AS_OF)}
    system_pages = [name for name in built if name.startswith("system-")]
    assert len(system_pages) == 9  # the example's eight and the twin, none written over another
    listed = re.findall(r'href="(system-[^"]+\.html)"', str(built["systems.html"]))
    assert sorted(listed) == sorted(system_pages)
    assert sum("<h1>Twin" in str(built[name]) or ">Twin<" in str(built[name]) for name in system_pages) == 1


def test_a_report_written_again_removes_what_it_wrote_before_and_nothing_else(tmp_path: Path) -> None:
    out = tmp_path / "report"
    report.write(
        [report.Page("index.html", "a"), report.Page("system-x.html", "x"), report.Page("aims-report.pdf", b"%PDF")],
        out,
    )
    (out / "notes.txt").write_text("the user's own", encoding="utf-8")
    outside = tmp_path / "keep.html"
    outside.write_text("outside", encoding="utf-8")
    with (out / report.MANIFEST).open("a", encoding="utf-8") as manifest:
        manifest.write("../keep.html\n")  # a manifest tampered with must not reach outside the folder
    report.write([report.Page("index.html", "b")], out)
    assert sorted(p.name for p in out.iterdir()) == sorted([report.MANIFEST, "index.html", "notes.txt"])
    assert (out / "index.html").read_text(encoding="utf-8") == "b" and outside.exists()


def test_cli_writes_the_pages(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["report", str(EXAMPLES / "kestrel"), "--as-of", "2026-11-26", "--out", str(tmp_path)]
    )
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "index.html").read_text().startswith("<!DOCTYPE html>")


def test_the_change_since_a_previous_report(tmp_path: Path) -> None:
    runner = CliRunner()
    earlier = runner.invoke(app, ["gaps", str(EXAMPLES / "kestrel"), "--as-of", "2026-09-01", "--format", "json"])
    assert earlier.exit_code == 0
    previous = tmp_path / "previous.json"
    previous.write_text(earlier.stdout)
    out = tmp_path / "report"
    result = runner.invoke(
        app,
        ["report", str(EXAMPLES / "kestrel"), "--as-of", "2026-11-26", "--out", str(out), "--previous", str(previous)],
    )
    assert result.exit_code == 0, result.stderr
    index = (out / "index.html").read_text()
    assert "Since the previous report (as of 2026-09-01)" in index
    assert "<td>A.5.4</td>" in index  # its fairness evidence expired between the two dates
    previous.write_text('{"not": "a gap report"}')
    bad = runner.invoke(app, ["report", str(EXAMPLES / "kestrel"), "--out", str(out), "--previous", str(previous)])
    assert bad.exit_code == 2
    assert "not an aimsgraph gap report" in bad.stderr


def test_an_ai_system_page_lists_its_risks_treatments_and_control_evidence(pages: dict[str, str]) -> None:
    fraud = pages["system-sys-card-fraud.html"]
    assert "Fraudsters adapt faster than the fraud model is retrained" in fraud
    assert "Legitimate card payments declined" in fraud
    assert "Credit score disadvantages" not in fraud  # another system's risk
    assert "kst:trt-fraud-false-positives" in fraud and "aims:LowRisk" in fraud  # treatment, residual level
    assert "Monthly retraining and champion-challenger test of Sentinel" in fraud
    credit = pages["system-sys-credit-scoring.html"]
    fairness = credit[credit.index("KCS-4 fairness (bias) testing") :]
    assert fairness[: fairness.index("</tr>")].count("no current evidence") == 1
    forecaster = pages["system-sys-cash-forecaster.html"]
    assert "2027-04-30" in forecaster  # the acceptance of the retained forecast-error risk


def test_the_appendix_lists_waivers_and_every_raw_finding(tmp_path: Path) -> None:
    waivers = tmp_path / "waivers.ttl"
    waivers.write_text(
        "@prefix aims: <https://w3id.org/aimsgraph/ns#> .\n"
        "@prefix aimsh: <https://w3id.org/aimsgraph/shapes#> .\n"
        "@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n"
        "@prefix kst: <https://kestrel.example/aims/> .\n"
        "kst:waiver-fraud-owner a aims:Waiver ; aims:waivesRule aimsh:RiskOwner ;\n"
        '    aims:waivedFocus kst:risk-fraud-adversarial ; aims:justification "Owner named in December." ;\n'
        '    aims:approvedBy kst:person-marcus-lindqvist ; aims:validUntil "2026-12-31"^^xsd:date .\n'
        "kst:waiver-spare a aims:Waiver ; aims:waivesRule aimsh:RiskOwner ;\n"
        '    aims:waivedFocus kst:risk-credit-bias ; aims:justification "Kept for the record." ;\n'
        '    aims:approvedBy kst:person-marcus-lindqvist ; aims:validUntil "2026-12-31"^^xsd:date .\n'
    )
    data = load.load(load.collect([str(EXAMPLES / "kestrel"), str(waivers)]))
    built = {page.name: str(page.body) for page in report.build(data, as_of=EXAMPLE_AS_OF)}
    appendix = built["appendix.html"]
    assert "Owner named in December." in appendix and "suppresses a finding" in appendix
    spare = appendix[appendix.index("kst:waiver-spare") :]
    assert "unused: accepts no finding" in spare[: spare.index("</tr>")]
    findings = gaps_loaded(data, as_of=EXAMPLE_AS_OF).validation.findings
    assert len(findings) == EXAMPLE_FINDINGS and sum(f.suppressed is not None for f in findings) == 1
    for finding in findings:
        assert finding.fingerprint in appendix
    assert ">waiver<" in appendix  # the suppressed one says why


def test_every_page_has_landmarks_and_column_headers(pages: dict[str, str]) -> None:
    for name, html in pages.items():
        assert "<main>" in html and "<nav>" in html and '<html lang="en">' in html, name
        assert html.count("<table") <= html.count("<th"), name


class _Outline(HTMLParser):
    """The structure of a page, the part a reader relies on: landmarks, headings, and each table's
    column headers and number of body rows. Text inside cells is left out, so wording changes in
    the data do not churn the snapshot; a lost column, heading or row does."""

    def __init__(self) -> None:
        super().__init__()
        self.items: list[str] = []
        self._heading: str | None = None
        self._text = ""
        self._headers: list[str] = []
        self._in_th = False
        self._in_tbody = False
        self._rows = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("main", "nav", "footer", "svg"):
            label = dict(attrs).get("aria-label")
            self.items.append(f"<{tag}{' ' + label if label else ''}>")
        elif tag in ("h1", "h2", "h3"):
            self._heading, self._text = tag, ""
        elif tag == "table":
            self._headers, self._rows = [], 0
        elif tag == "th":
            self._in_th, self._text = True, ""
        elif tag == "tbody":
            self._in_tbody = True
        elif tag == "tr" and self._in_tbody:
            self._rows += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == self._heading:
            self.items.append(f"{tag}: {' '.join(self._text.split())}")
            self._heading = None
        elif tag == "th":
            self._headers.append(" ".join(self._text.split()))
            self._in_th = False
        elif tag == "tbody":
            self._in_tbody = False
        elif tag == "table":
            self.items.append(f"table [{' | '.join(self._headers)}] {self._rows} rows")

    def handle_data(self, data: str) -> None:
        if self._heading or self._in_th:
            self._text += data


def _outline(html: str) -> list[str]:
    outline = _Outline()
    outline.feed(html)
    return outline.items


def test_the_pages_keep_their_structure(pages: dict[str, str]) -> None:
    # To accept a deliberate change: UPDATE_SNAPSHOTS=1 .venv/bin/pytest tests/test_report.py
    snapshot = Path(__file__).parent / "golden" / "report-structure.json"
    outlines = {name: _outline(html) for name, html in sorted(pages.items())}
    if os.environ.get("UPDATE_SNAPSHOTS"):
        snapshot.write_text(json.dumps(outlines, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    assert outlines == json.loads(snapshot.read_text(encoding="utf-8"))
