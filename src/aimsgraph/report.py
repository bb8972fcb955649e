"""The HTML gap report: what a compliance lead brings to management review and an auditor asks for.

The pages are rendered from the gap report object and three library queries (the Statement of
Applicability, the scorecard per AI system, evidence expiry) with Jinja2 under StrictUndefined and
autoescape, so a missing value is an error and never a blank. Charts are inline SVG drawn here,
so the pages need no network and print cleanly.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import Any

import jinja2
import pyoxigraph
from markupsafe import Markup, escape

from aimsgraph import __version__, assets, exports, integrity, library, load, oscal, remediation, sparql
from aimsgraph.coverage import CoverageStatus, RequirementKind
from aimsgraph.errors import UsageError
from aimsgraph.frameworks import ISO_42001
from aimsgraph.gaps import GapReport, gaps_loaded
from aimsgraph.model import Engine, Finding, Inference, Term
from aimsgraph.render import framework_gaps
from aimsgraph.render.terms import Compact, compactor, term_text
from aimsgraph.validate import BUILTIN_PREFIXES, bundled_catalog, bundled_knowledge_quads

STATUS_COLOURS = {
    CoverageStatus.MET: "#2e7d32",
    CoverageStatus.PARTLY_MET: "#f9a825",
    CoverageStatus.NOT_MET: "#c62828",
    CoverageStatus.NOT_APPLICABLE: "#9e9e9e",
    CoverageStatus.NOT_ASSESSED: "#cfd8dc",
}
TIMELINE_DAYS = 180
FAMILIES = ["4", "5", "6", "7", "8", "9", "10", "A.2", "A.3", "A.4", "A.5", "A.6", "A.7", "A.8", "A.9", "A.10"]


MEDIA_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".csv": "text/csv; charset=utf-8",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".json": "application/json",
    ".pdf": "application/pdf",
}
PDF_NAME = "aims-report.pdf"
OSCAL_NAME = "assessment-results.json"


@dataclass(frozen=True)
class Page:
    """One file of the report: an HTML page, an export table, the workbook or the PDF."""

    name: str
    body: str | bytes

    @property
    def media_type(self) -> str:
        return MEDIA_TYPES[self.name[self.name.rindex(".") :]]


def build(
    data: load.LoadedData,
    *,
    as_of: dt.date,
    previous: dict[str, Any] | None = None,
    pdf: bool = False,
    extensions: Sequence[str] = (),
    inference: Inference = Inference.NONE,
    engine: Engine = Engine.SPARQL,
) -> list[Page]:
    """Give the report's files for the AIMS data as of ``as_of``: the HTML pages, the SoA, findings
    and risk register as CSV and as one XLSX workbook, and with ``pdf`` the whole report as one PDF.
    With ``previous`` (an earlier gap report's JSON, schema gap-report/v1) the summary also says
    what changed since.

    :raises jinja2.UndefinedError: a template uses a value the report does not have (a bug).
    :raises UsageError: ``pdf`` is asked for and WeasyPrint is not installed.
    """
    others = [key for key in bundled_catalog().frameworks if key != ISO_42001]
    gap_report = gaps_loaded(
        data, as_of=as_of, extensions=extensions, inference=inference, engine=engine, frameworks=others
    )
    store = load.oxigraph_store(integrity.trusted_quads(data, extensions), list(bundled_knowledge_quads()))
    compact = compactor(tuple(sorted({**BUILTIN_PREFIXES, **data.prefixes}.items())))
    rows = {
        name: _rows(store, name, as_of)
        for name in (
            "statement-of-applicability",
            "ai-system-scorecard",
            "evidence-expiry",
            "risk-register",
            "control-evidence",
            "waivers",
        )
    }
    upcoming = _rows(store, "evidence-expiry", as_of, horizon=as_of + dt.timedelta(days=TIMELINE_DAYS))
    environment = templates(compact)
    plan = remediation.plan(store, gap_report.validation.findings)
    systems = _own_pages([_system(row, gap_report, rows, plan) for row in rows["ai-system-scorecard"]])
    context: dict[str, Any] = {
        "report": gap_report,
        "readiness": gap_report.readiness,
        "as_of": as_of.isoformat(),
        "version": __version__,
        "data_hash": _data_hash(data.quads),
        "sources": gap_report.validation.sources,
        "clauses": [c for c in gap_report.coverage if c.kind is RequirementKind.CLAUSE],
        "control_status": {
            c.requirement.notation: c.status.value for c in gap_report.coverage if c.kind is RequirementKind.CONTROL
        },
        "soa": rows["statement-of-applicability"],
        "expiry": rows["evidence-expiry"],
        "systems": systems,
        "findings": [_finding(f, plan) for f in gap_report.validation.findings],
        "pattern": remediation.PATTERN,
        "top_gaps": [c for c in gap_report.coverage if c.status is CoverageStatus.NOT_MET][:10],
        "colours": {s.value: colour for s, colour in STATUS_COLOURS.items()},
        "clause_chart": _chart(
            gap_report, RequirementKind.CLAUSE, lambda n: n.split(".")[0], "Coverage of clauses 4 to 10 by status"
        ),
        "control_chart": _chart(
            gap_report,
            RequirementKind.CONTROL,
            lambda n: ".".join(n.split(".")[:2]),
            "Coverage of the Annex A control areas by status",
        ),
        "heat_map": _heat_map(systems),
        "timeline": _timeline(upcoming, as_of),
        "timeline_days": TIMELINE_DAYS,
        "change": _change(gap_report, previous) if previous is not None else None,
        "waivers": rows["waivers"],
        "unused_waivers": gap_report.validation.unused_waivers,
        "framework_path": framework_gaps.path,
    }
    sections: list[tuple[str, dict[str, Any]]] = [
        (f"{name}.j2", {}) for name in ("index.html", "soa.html", "findings.html", "systems.html", "frameworks.html")
    ]
    sections += [("system.html.j2", {"system": system}) for system in systems]
    sections.append(("appendix.html.j2", {}))
    pages = [
        Page(_page_name(template, extra), environment.get_template(template).render(**context, **extra))
        for template, extra in sections
    ]
    export_tables = exports.tables(
        soa=rows["statement-of-applicability"],
        control_status=context["control_status"],
        findings=gap_report.validation.findings,
        plan=plan,
        risks=rows["risk-register"],
        compact=compact,
    )
    pages += [Page(f"{table.name}.csv", exports.csv_text(table)) for table in export_tables]
    pages.append(Page("aims-report.xlsx", exports.workbook(export_tables)))
    evidence = sparql.run(store, assets.query_text("internal/evidence-items.rq"), source="internal/evidence-items.rq")
    assert isinstance(evidence, sparql.SelectResult)
    results = oscal.assessment_results(
        gap_report,
        data_hash=context["data_hash"],
        systems=rows["ai-system-scorecard"],
        risks=rows["risk-register"],
        evidence=[dict(zip(evidence.columns, row, strict=True)) for row in evidence.rows],
    )
    pages.append(Page(OSCAL_NAME, results))
    if pdf:
        # One document, so page numbers run through the whole report.
        bodies = [_content(environment, template, {**context, **extra}) for template, extra in sections]
        book = environment.get_template("book.html.j2").render(**context, sections=bodies)
        pages.append(Page(PDF_NAME, exports.pdf(book)))
    return pages


# In a report's folder, the names of the files the report wrote there: the next report into the
# same folder removes those it does not write again, and nothing else.
MANIFEST = ".aimsgraph-report"


def write(files: Sequence[Page], out: Path) -> None:
    """Write the report's ``files`` into the folder ``out``, and remove the files an earlier report
    wrote there that this one does not (the page of a system gone, a PDF not asked for again);
    any other file in the folder is left alone.

    :raises OSError: the folder or a file cannot be written.
    """
    out.mkdir(parents=True, exist_ok=True)
    manifest = out / MANIFEST
    earlier = set(manifest.read_text(encoding="utf-8").splitlines()) if manifest.is_file() else set()
    for file in files:
        target = out / file.name
        if isinstance(file.body, bytes):
            target.write_bytes(file.body)
        else:
            target.write_text(file.body, encoding="utf-8", newline="")
    names = {file.name for file in files}
    for stale in sorted(earlier - names):
        if stale and PurePath(stale).name == stale and not stale.startswith("."):  # a name, not a path
            (out / stale).unlink(missing_ok=True)
    manifest.write_text("".join(f"{name}\n" for name in sorted(names)), encoding="utf-8")


def _page_name(template: str, extra: dict[str, Any]) -> str:
    return f"system-{extra['system']['slug']}.html" if "system" in extra else template.removesuffix(".j2")


def _content(environment: jinja2.Environment, name: str, values: dict[str, Any]) -> Markup:
    """Give only the content block of a page, for the one-document PDF."""
    template = environment.get_template(name)
    return Markup("".join(template.blocks["content"](template.new_context(values))))  # noqa: S704 - autoescaped


def templates(compact: Compact) -> jinja2.Environment:
    """Give the report's templates: a missing value raises (StrictUndefined), text is escaped."""
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("aimsgraph", "templates"),
        undefined=jinja2.StrictUndefined,
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["term"] = lambda t: term_text(t, compact, quote=False)
    environment.filters["compact"] = compact
    # A SHACL path in SPARQL syntax, with each <IRI> written compactly as elsewhere in the report.
    environment.filters["path"] = lambda text: re.sub(r"<([^>]*)>", lambda m: compact(m.group(1)), text)
    return environment


def _rows(
    store: pyoxigraph.Store, query_id: str, as_of: dt.date, *, horizon: dt.date | None = None
) -> list[dict[str, Term | None]]:
    definition = library.find(query_id)
    given = {"asOf": as_of.isoformat()} if definition.params else {}
    if horizon is not None:
        given["horizon"] = horizon.isoformat()
    text = sparql.bind(definition.text, library.bind_values(definition, given, today=as_of))
    return sparql.select(store, text, source=definition.source, lists=definition.lists)


def _system(
    row: dict[str, Term | None],
    gap_report: GapReport,
    rows: dict[str, list[dict[str, Term | None]]],
    plan: dict[str, remediation.PlanItem],
) -> dict[str, Any]:
    iri = row["system"].value if row["system"] else ""
    label = row["label"].value if row["label"] else iri
    return {
        "iri": iri,
        "label": label,
        "slug": re.sub(r"[^a-z0-9]+", "-", iri.rsplit("/", 1)[-1].rsplit("#", 1)[-1].lower()).strip("-") or "system",
        "row": row,
        "risks": [r for r in rows["risk-register"] if _names(r["system"], iri)],
        "controls": [c for c in rows["control-evidence"] if _names(c["systems"], iri)],
        "findings": [_finding(f, plan) for f in gap_report.validation.findings if f.ai_system == iri],
    }


def _own_pages(systems: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Give each AI system a page of its own: systems whose names make the same slug (sys_a and
    Sys-A, or one name in two namespaces) each have a short hash of their IRI added to it."""
    shared = Counter(system["slug"] for system in systems)
    iris_of = {slug: {s["iri"] for s in systems if s["slug"] == slug} for slug, n in shared.items() if n > 1}
    for system in systems:
        if len(iris_of.get(system["slug"], ())) > 1:  # (one system in two rows keeps its slug)
            system["slug"] += "-" + hashlib.sha256(system["iri"].encode("utf-8")).hexdigest()[:8]
    return systems


def _names(cell: Term | None, iri: str) -> bool:
    """Tell whether a query cell (one IRI, or a list joined by "|") names ``iri``."""
    return cell is not None and iri in cell.value.split("|")


def _finding(finding: Finding, plan: dict[str, remediation.PlanItem]) -> dict[str, Any]:
    item = plan[finding.fingerprint]
    return {
        "record": finding,
        "grade": item.grade,
        "owners": item.owners,
        "due": item.due,
        "ids": ", ".join(r.notation for r in finding.requirements),
        "where": f"{finding.location.file}:{finding.location.best_line}" if finding.location else "",
    }


def _data_hash(quads: list[pyoxigraph.Quad]) -> str:
    """Give a SHA-256 of the data, independent of file order and blank-node names (sorted lines)."""
    lines = sorted(
        f"{q.subject} {q.predicate} {q.object}" for q in quads if not isinstance(q.subject, pyoxigraph.BlankNode)
    )
    return hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()


def _chart(gap_report: GapReport, kind: RequirementKind, group_of: Any, description: str) -> str:
    """Give an inline SVG of stacked bars: for each clause or Annex A area, its requirements by
    status; a bar is a group (class "bar") whose segments say their count in a title."""
    groups: dict[str, list[CoverageStatus]] = {}
    for entry in gap_report.coverage:
        if entry.kind is kind:
            groups.setdefault(group_of(entry.requirement.notation), []).append(entry.status)
    bar, gap, unit = 22, 8, 26
    width = 90 + unit * max((len(v) for v in groups.values()), default=1)
    height = (bar + gap) * len(groups) + gap
    size = f'width="{width}" height="{height}"'
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" {size} role="img" aria-label="{description}">']
    for index, (group, statuses) in enumerate(groups.items()):
        y = gap + index * (bar + gap)
        parts.append(f'<g class="bar" data-group="{group}">')
        parts.append(f'<text x="0" y="{y + 15}" font-size="12">{group}</text>')
        x = 60
        for status in CoverageStatus:
            count = statuses.count(status)
            if count:
                parts.append(
                    f'<rect x="{x}" y="{y}" width="{unit * count}" height="{bar}" fill="{STATUS_COLOURS[status]}">'
                    f"<title>{group}: {count} {status.value}</title></rect>"
                )
                x += unit * count
        parts.append("</g>")
    parts.append("</svg>")
    return "\n".join(parts)


def _change(gap_report: GapReport, previous: dict[str, Any]) -> dict[str, Any]:
    """Give what changed since an earlier gap report: its date, readiness then, and the requirements
    whose status moved.

    :raises UsageError: ``previous`` is not a gap report (gap-report/v1).
    """
    try:
        before = {entry["id"]: entry["status"] for entry in previous["requirements"]}
        share = float(previous["readiness"]["share_ready"])
        when = str(previous["as_of"])
    except (KeyError, TypeError, ValueError):
        raise UsageError("the previous report is not an aimsgraph gap report (gaps --format json)") from None
    moved = [
        {
            "id": c.requirement.notation,
            "title": c.requirement.title,
            "before": before[c.requirement.notation],
            "now": c.status.value,
        }
        for c in gap_report.coverage
        if c.requirement.notation in before and before[c.requirement.notation] != c.status.value
    ]
    return {"as_of": when, "share_before": share, "moved": moved}


def _family(notation: str) -> str:
    """Give the requirement family of an id: its clause (6 for 6.1.3) or Annex A area (A.6 for A.6.2.4)."""
    return ".".join(notation.split(".")[:2]) if notation.startswith("A.") else notation.split(".", maxsplit=1)[0]


def _heat_map(systems: list[dict[str, Any]]) -> str:
    """Give an inline SVG grid: AI systems against requirement families, coloured by their worst finding."""
    cell, left, top = 26, 260, 40
    width, height = left + cell * len(FAMILIES), top + cell * len(systems) + 4
    label = 'role="img" aria-label="AI systems against requirement families"'
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" {label}>']
    for column, family in enumerate(FAMILIES):
        parts.append(f'<text x="{left + column * cell + 4}" y="{top - 8}" font-size="11">{family}</text>')
    for row, system in enumerate(systems):
        y = top + row * cell
        parts.append(f'<text x="0" y="{y + 17}" font-size="12">{escape(system["label"][:38])}</text>')
        for column, family in enumerate(FAMILIES):
            severities = {
                item["record"].severity.label
                for item in system["findings"]
                if item["record"].suppressed is None
                and any(_family(r.notation) == family for r in item["record"].requirements)
            }
            colour = "#c62828" if "violation" in severities else "#f9a825" if severities else "#e8f5e9"
            title = ", ".join(sorted(severities)) or "no finding"
            parts.append(
                f'<rect x="{left + column * cell}" y="{y}" width="{cell - 2}" height="{cell - 2}" fill="{colour}">'
                f"<title>{family}: {title}</title></rect>"
            )
    parts.append("</svg>")
    return "\n".join(parts)


def _timeline(rows: list[dict[str, Term | None]], as_of: dt.date) -> str:
    """Give an inline SVG timeline of evidence that expired or falls due within the coming months."""
    width, left, height = 900, 20, 70
    scale = (width - 2 * left) / TIMELINE_DAYS
    size = f'width="{width}" height="{height}"'
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" {size} role="img" aria-label="evidence expiry">']
    parts.append(f'<line x1="{left}" y1="35" x2="{width - left}" y2="35" stroke="#607d8b"/>')
    parts.append(f'<text x="{left}" y="60" font-size="11">{as_of.isoformat()}</text>')
    end = as_of + dt.timedelta(days=TIMELINE_DAYS)
    parts.append(f'<text x="{width - left - 70}" y="60" font-size="11">{end.isoformat()}</text>')
    for row in rows:
        due_term = row["due"]
        if due_term is None:
            continue
        due = dt.date.fromisoformat(due_term.value)
        offset = max(0, (due - as_of).days)
        label = row["label"].value if row["label"] else (row["evidence"].value if row["evidence"] else "")
        colour = "#c62828" if due < as_of else "#f9a825"
        parts.append(
            f'<circle cx="{left + offset * scale:.1f}" cy="35" r="6" fill="{colour}">'
            f"<title>{escape(label)}: due {due.isoformat()}</title></circle>"
        )
    parts.append("</svg>")
    return "\n".join(parts)
