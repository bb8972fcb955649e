"""The report's tables for spreadsheets (CSV, XLSX) and the whole report as one PDF.

Many compliance teams work in spreadsheets, so the Statement of Applicability, the findings
register and the risk register are also written as CSV files and as one workbook. The cells hold
what the HTML shows: compact IRIs, plain literals, lists one item per line.

Values come from RDF that anyone may have written, so a CSV cell that a spreadsheet would run as
a formula (it starts with =, +, -, @, a tab or a carriage return) is written with a leading
apostrophe, the neutralisation OWASP recommends against CSV injection; in the workbook every
cell is typed as text, which no spreadsheet runs.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from aimsgraph.errors import UsageError
from aimsgraph.model import Finding, Term
from aimsgraph.remediation import PlanItem
from aimsgraph.render.terms import Compact, term_text

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Table:
    """One exported table: a sheet of the workbook and a CSV file."""

    name: str  # the CSV file's stem
    title: str  # the sheet's name (Excel allows at most 31 characters)
    header: tuple[str, ...]
    rows: Sequence[tuple[str, ...]]


def safe_cell(value: str) -> str:
    """Give ``value`` so that no spreadsheet runs it as a formula."""
    return "'" + value if value.startswith(_FORMULA_STARTS) else value


def tables(
    *,
    soa: list[dict[str, Term | None]],
    control_status: dict[str, str],
    findings: Sequence[Finding],
    plan: dict[str, PlanItem],
    risks: list[dict[str, Term | None]],
    compact: Compact,
) -> list[Table]:
    """Give the Statement of Applicability, the findings register and the risk register as tables."""

    def cell(term: Term | None, *, listed: bool = False) -> str:
        if term is None:
            return ""
        if listed:
            return "\n".join(compact(item) for item in term.value.split("|"))
        return term_text(term, compact, quote=False)

    soa_rows = [
        (
            cell(row["id"]),
            cell(row["title"]),
            cell(row["applicable"]) or "not decided",
            cell(row["justification"]),
            cell(row["status"]),
            cell(row["implementations"], listed=True),
            cell(row["evidence"], listed=True),
            cell(row["owners"], listed=True),
            cell(row["lastReviewed"]),
            control_status[row["id"].value] if row["id"] is not None else "",
        )
        for row in soa
    ]
    finding_rows = [
        (
            plan[f.fingerprint].grade,
            f.severity.label,
            " ".join(r.notation for r in f.requirements),
            f.rule,
            f.message,
            compact(f.focus_node),
            f.ai_system_label or "",
            f.location.file if f.location else "",
            str(f.location.best_line) if f.location else "",
            f.remediation,
            "\n".join(compact(owner) for owner in plan[f.fingerprint].owners),
            plan[f.fingerprint].due or "",
            f.suppressed or "",
            f.fingerprint,
        )
        for f in findings
    ]
    risk_rows = [
        (
            cell(row["risk"]),
            cell(row["label"]),
            cell(row["system"]),
            cell(row["level"]),
            cell(row["owner"], listed=True),
            cell(row["treatment"]),
            cell(row["option"]),
            cell(row["residualLevel"]),
            cell(row["controls"], listed=True),
            cell(row["acceptedUntil"]),
        )
        for row in risks
    ]
    return [
        Table(
            "soa",
            "Statement of Applicability",
            (
                "Control",
                "Title",
                "Applicable",
                "Justification",
                "Implementation",
                "Implemented by",
                "Evidence",
                "Owner",
                "Last reviewed",
                "Status",
            ),
            soa_rows,
        ),
        Table(
            "findings",
            "Findings",
            (
                "Grade",
                "Severity",
                "Requirements",
                "Rule",
                "Finding",
                "Resource",
                "AI system",
                "File",
                "Line",
                "Remediation",
                "Owner",
                "Due",
                "Suppressed",
                "Fingerprint",
            ),
            finding_rows,
        ),
        Table(
            "risks",
            "Risk register",
            (
                "Risk",
                "Title",
                "AI system",
                "Level",
                "Owner",
                "Treatment",
                "Option",
                "Residual level",
                "Relies on controls",
                "Acceptance holds until",
            ),
            risk_rows,
        ),
    ]


def csv_text(table: Table) -> str:
    """Give ``table`` as RFC 4180 CSV with a header row (CRLF line ends, as the RFC has them)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(table.header)
    writer.writerows(tuple(safe_cell(value) for value in row) for row in table.rows)
    return buffer.getvalue()


def workbook(tables: Sequence[Table]) -> bytes:
    """Give the tables as one XLSX workbook: a sheet each, bold frozen header, filters, wrapped text."""
    from openpyxl import Workbook  # noqa: PLC0415 - only the report needs it
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE  # noqa: PLC0415
    from openpyxl.styles import Alignment, Font  # noqa: PLC0415

    book = Workbook()
    book.remove(book.active)
    for table in tables:
        sheet = book.create_sheet(table.title[:31])
        sheet.append(list(table.header))
        for row in table.rows:
            # Text cells (below) never run as formulas, so no apostrophe here; control characters
            # that XLSX cannot hold (a vertical tab in a label, say) are dropped, not fatal.
            sheet.append([ILLEGAL_CHARACTERS_RE.sub("", value) for value in row])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for column in sheet.iter_cols(min_row=2):
            for cell in column:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
                cell.data_type = "s"  # text, never a formula, whatever the value looks like
        sheet.freeze_panes = "A2"
        sheet.auto_filter.ref = sheet.dimensions
        for index, title in enumerate(table.header, start=1):
            longest = max([len(title), *(min(len(row[index - 1]), 60) for row in table.rows)])
            sheet.column_dimensions[sheet.cell(row=1, column=index).column_letter].width = longest + 2
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def pdf(html: str) -> bytes:
    """Give the report, as one HTML document, as a PDF laid out by the print stylesheet.

    :raises UsageError: WeasyPrint is not installed (it comes with the ``pdf`` extra).
    """
    try:
        import weasyprint  # noqa: PLC0415 - optional, and slow to import
    except ImportError:
        raise UsageError("PDF export needs WeasyPrint: pip install 'aimsgraph[pdf]'") from None

    # The report embeds everything it shows, so nothing may be fetched: a fetcher that refuses
    # every URL makes sure that a link taken from the data cannot make the renderer read a file.
    def refuse(url: str, *_: Any, **__: Any) -> dict[str, Any]:
        raise ValueError(f"the report fetches nothing ({url})")

    result = weasyprint.HTML(string=html, url_fetcher=refuse).write_pdf()
    assert isinstance(result, bytes)
    return result
