"""The report's exports: the SoA, findings and risk register as CSV and XLSX that spreadsheet
tools read back, cells that never run as formulas, and the whole report as one PDF."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from aimsgraph import load, report
from aimsgraph.exports import safe_cell
from tests.conftest import EXAMPLE_AS_OF, EXAMPLE_FINDINGS, EXAMPLES


@pytest.fixture(scope="module")
def files() -> dict[str, str | bytes]:
    built = report.build(load.load(load.collect([str(EXAMPLES / "kestrel")])), as_of=EXAMPLE_AS_OF, pdf=True)
    return {file.name: file.body for file in built}


def _csv(text: str | bytes) -> list[dict[str, str]]:
    assert isinstance(text, str)
    return list(csv.DictReader(io.StringIO(text, newline="")))


def test_the_soa_csv_has_every_annex_a_control_once(files: dict[str, str | bytes]) -> None:
    rows = _csv(files["soa.csv"])
    controls = [row["Control"] for row in rows]
    assert len(controls) == len(set(controls)) == 38
    assert all(control.startswith("A.") for control in controls)
    assert {row["Status"] for row in rows} <= {"met", "partly met", "not met", "not applicable", "not assessed"}
    undecided = next(row for row in rows if row["Control"] == "A.7.5")
    assert undecided["Applicable"] == "not decided"


def test_the_findings_csv_is_the_register(files: dict[str, str | bytes]) -> None:
    rows = _csv(files["findings.csv"])
    assert len(rows) == EXAMPLE_FINDINGS
    owner = next(row for row in rows if row["Rule"] == "RiskOwner")
    assert owner["Grade"] == "minor nonconformity" and owner["Requirements"] == "6.1.2"
    assert owner["Owner"] == "kst:person-niamh-gallagher" and owner["Due"] == ""
    assert (owner["File"].endswith("examples/kestrel/risks.ttl"), owner["Line"]) == (True, "165")
    assert len(owner["Fingerprint"]) == 32


def test_the_workbook_has_the_three_registers(files: dict[str, str | bytes]) -> None:
    body = files["aims-report.xlsx"]
    assert isinstance(body, bytes)
    book = load_workbook(io.BytesIO(body), read_only=True)
    assert book.sheetnames == ["Statement of Applicability", "Findings", "Risk register"]
    soa = list(book["Statement of Applicability"].iter_rows(values_only=True))
    assert soa[0][0] == "Control" and len(soa) == 38 + 1
    assert len(list(book["Findings"].iter_rows(values_only=True))) == EXAMPLE_FINDINGS + 1
    risks = list(book["Risk register"].iter_rows(values_only=True))
    assert len(risks) == len(_csv(files["risks.csv"])) + 1


def test_a_cell_from_the_data_never_runs_as_a_formula(tmp_path: Path) -> None:
    assert safe_cell("=1+1") == "'=1+1" and safe_cell("-x") == "'-x" and safe_cell("plain") == "plain"
    hostile = tmp_path / "hostile.ttl"
    hostile.write_text(
        "@prefix aims: <https://w3id.org/aimsgraph/ns#> .\n"
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
        '<https://hostile.example/s> a aims:AISystem ; rdfs:label "=HYPERLINK(\\"https://x.example\\")" .\n'
    )
    built = {f.name: f.body for f in report.build(load.load(load.collect([str(hostile)])), as_of=EXAMPLE_AS_OF)}
    systems = {row["AI system"] for row in _csv(built["findings.csv"]) if row["AI system"]}
    assert systems == {'\'=HYPERLINK("https://x.example")'}
    body = built["aims-report.xlsx"]
    assert isinstance(body, bytes)
    sheet = load_workbook(io.BytesIO(body))["Findings"]
    cells = [row[6] for row in sheet.iter_rows(min_row=2) if row[6].value]
    # typed as text: shown as written, never run
    assert cells and all(c.data_type == "s" and str(c.value).startswith("=HYPERLINK") for c in cells)


def test_a_control_character_in_the_data_does_not_break_the_workbook(tmp_path: Path) -> None:
    data = tmp_path / "data.ttl"
    data.write_text(
        "@prefix aims: <https://w3id.org/aimsgraph/ns#> .\n@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
        '<https://x.example/s> a aims:AISystem ; rdfs:label "tab\\u000Bbed" .\n'
    )
    built = {f.name: f.body for f in report.build(load.load(load.collect([str(data)])), as_of=EXAMPLE_AS_OF)}
    body = built["aims-report.xlsx"]
    assert isinstance(body, bytes)
    cells = [row[6].value for row in load_workbook(io.BytesIO(body))["Findings"].iter_rows(min_row=2)]
    assert "tabbed" in cells


def test_the_pdf_is_the_whole_report_with_running_page_numbers(files: dict[str, str | bytes]) -> None:
    body = files[report.PDF_NAME]
    assert isinstance(body, bytes) and body.startswith(b"%PDF-")
    pdf = PdfReader(io.BytesIO(body))
    pages = len(pdf.pages)
    text = "\n".join(page.extract_text() for page in pdf.pages)
    for heading in ("Executive summary", "Statement of Applicability", "Findings register", "Raw findings"):
        assert heading in text
    assert "Sentinel card-fraud detector" in text  # an AI system's page
    assert f"page {pages} of {pages}" in pdf.pages[-1].extract_text()
    assert pages > 10


def test_the_report_command_writes_the_exports(tmp_path: Path) -> None:
    from typer.testing import CliRunner  # noqa: PLC0415

    from aimsgraph.cli import app  # noqa: PLC0415

    result = CliRunner().invoke(
        app, ["report", str(EXAMPLES / "kestrel"), "--as-of", "2026-11-26", "--out", str(tmp_path)]
    )
    assert result.exit_code == 0, result.stderr
    assert "14 page(s), 5 export(s)" in result.stdout
    assert (tmp_path / "soa.csv").read_bytes().startswith(b"Control,Title,")
    assert not (tmp_path / report.PDF_NAME).exists()  # only with --pdf
