"""aimsgraph's own routes: validation, the gap report, the query library, the stored graphs."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from aimsgraph import analysis_worker, library, sparql
from aimsgraph import report as html_report
from aimsgraph.api.auth import require_read
from aimsgraph.api.documented import ERRORS, AsOf, content
from aimsgraph.api.negotiation import SOLUTIONS, choose, not_xml, upload_format
from aimsgraph.errors import UsageError
from aimsgraph.frameworks import ISO_42001
from aimsgraph.gaps import GapReport
from aimsgraph.model import FailOn, ValidationReport
from aimsgraph.query_pool import AnalysisPool
from aimsgraph.render import gaps as gaps_render
from aimsgraph.render import json as json_render
from aimsgraph.render import results as results_render
from aimsgraph.store import EmbeddedStore, GraphStore, QueryRequest
from aimsgraph.validate import bundled_catalog

router = APIRouter(prefix="/v1", tags=["aimsgraph"], dependencies=[Depends(require_read)], responses=ERRORS)

FailOnParam = Annotated[FailOn, Query(alias="fail_on", description="Severity at or above which 'failed' is true.")]


FrameworkParam = Annotated[
    list[str],
    Query(
        alias="framework",
        description="Another framework to report coverage of (eu-ai-act, nist-ai-rmf, gdpr); repeatable. "
        "Its coverage is in the report's 'frameworks' part.",
    ),
]


@router.get("/gaps", summary="The gap report of the stored AIMS")
def gap_report(request: Request, as_of: AsOf, framework: FrameworkParam = []) -> JSONResponse:  # noqa: B006
    """Give every clause and Annex A control with its status, and the audit-readiness summary; with
    `framework`, the coverage of each framework named, each status with what it rests on."""
    keys = tuple(dict.fromkeys(k for k in framework if k != ISO_42001))
    catalog = bundled_catalog()
    for key in keys:
        catalog.framework(key)  # an unknown key is a 400 before any analysis runs
    return JSONResponse(gaps_render.to_dict(_gaps(request, as_of, keys)))


@router.get("/validate", summary="Validate the stored AIMS")
def validate_stored(request: Request, as_of: AsOf, fail_on: FailOnParam = FailOn.VIOLATION) -> JSONResponse:
    """Give the validation report of everything stored, as `aimsgraph validate --format json` does."""
    report = _gaps(request, as_of).validation
    return JSONResponse(json_render.to_dict(report, fail_on=fail_on))


@router.post("/validate", summary="Validate an uploaded AIMS without storing it")
async def validate_upload(request: Request, as_of: AsOf, fail_on: FailOnParam = FailOn.VIOLATION) -> JSONResponse:
    """Validate the RDF in the request body (format by Content-Type); nothing is stored."""
    rdf_format = upload_format(request.headers.get("content-type"))
    if rdf_format is None:
        raise HTTPException(status_code=415, detail="send Turtle, TriG, N-Triples, N-Quads, JSON-LD or RDF/XML")
    payload = {
        "content": await request.body(),
        "format": rdf_format.value,
        "as_of": as_of.isoformat(),
        **_inference(request),
    }
    report: ValidationReport = await run_in_threadpool(_analyse, request, "validate-upload", payload)
    return JSONResponse(json_render.to_dict(report, fail_on=fail_on))


@router.get("/queries", summary="The query library")
def list_queries() -> list[dict[str, Any]]:
    """Give every library query with its title, description, clauses, parameters and columns."""
    return [
        {
            "id": d.id,
            "title": d.title,
            "description": d.description,
            "clauses": list(d.clauses),
            "parameters": [
                {"name": p.name, "type": p.type.value, "default": p.default, "description": p.description}
                for p in d.params
            ],
            "columns": list(d.columns),
        }
        for d in library.library()
    ]


@router.get("/queries/{query_id}", summary="Run a library query", responses=content(*SOLUTIONS))
def run_query(request: Request, query_id: str) -> Response:
    """Run a library query on the stored AIMS; its parameters come from the URL (?asOf=2026-11-26)."""
    if query_id not in {d.id for d in library.library()}:
        raise HTTPException(status_code=404, detail=f"no library query {query_id!r} (GET /v1/queries lists them)")
    definition = library.find(query_id)
    values = library.bind_values(definition, dict(request.query_params), today=dt.date.today())
    media = choose(request.headers.get("accept"), list(SOLUTIONS))
    if media is None:
        raise HTTPException(status_code=406, detail=f"query results are available as {', '.join(SOLUTIONS)}")
    store: GraphStore = request.app.state.store
    text = sparql.bind(definition.text, values)
    # Read into rows and written again, so that the answer is the one `aimsgraph query` gives:
    # the members of a list column sorted, an empty list unbound (the store writes them as they came).
    tsv = store.answer(QueryRequest(text, (), (), False, "TSV", 0))
    try:
        result = sparql.select_from_tsv(tsv, lists=definition.lists)
    except ValueError as error:
        raise HTTPException(status_code=502, detail=f"the store's answer cannot be read: {error}") from None
    try:
        body = results_render.standard(result, results_render.ResultFormat[SOLUTIONS[media]])
    except UsageError:  # a character XML cannot carry: the next format the client takes
        media = not_xml(request.headers.get("accept"), list(SOLUTIONS))
        body = results_render.standard(result, results_render.ResultFormat[SOLUTIONS[media]])
    return Response(body, media_type=media)


@router.get(
    "/reports/{page}",
    summary="A page or export of the gap report",
    response_class=Response,
    responses={200: {"content": {media: {} for media in html_report.MEDIA_TYPES.values()}}},
)
def report_page(request: Request, page: str, as_of: AsOf) -> Response:
    """Give one file of the report of the stored AIMS: a page (index.html, soa.html, findings.html, systems.html,
    appendix.html, system-*.html), an export (soa.csv, findings.csv, risks.csv, aims-report.xlsx,
    assessment-results.json for OSCAL) or the whole report as aims-report.pdf."""
    date = as_of
    state = request.app.state
    key = (state.generation, date)
    cached: dict[tuple[int, dt.date], dict[str, html_report.Page]] = state.report_cache
    # The PDF takes seconds to lay out, so it is made only when someone asks for it.
    want_pdf = page == html_report.PDF_NAME
    if key not in cached or (want_pdf and page not in cached[key]):
        files = _analyse(request, "report", {"as_of": date.isoformat(), "pdf": want_pdf, **_inference(request)})
        cached.clear()
        cached[key] = {file.name: file for file in files}
    files_now = cached[key]
    if page not in files_now:
        names = ", ".join(sorted([*files_now, html_report.PDF_NAME]))
        raise HTTPException(status_code=404, detail=f"no report file {page!r} (files: {names})")
    file = files_now[page]
    return Response(file.body, media_type=file.media_type)


@router.get("/history", summary="The store's change log")
def change_log(
    request: Request,
    verify: Annotated[
        bool, Query(description="Also check the hash chain and that the log accounts for every stored graph.")
    ] = False,
    anchor: Annotated[
        list[str] | None,
        Query(
            description="A record hash published earlier (the head of an earlier log); with verify, it must "
            "still be in the log. Repeatable."
        ),
    ] = None,
) -> JSONResponse:
    """Give every write to the store: sequence, UTC time, who (an API key's fingerprint or
    cli:<user>), operation, graph, triples and content hash, each record chained to the one
    before, and the head (the last record's hash, to publish as an anchor); with ``verify``, the
    problems found (none when the log is intact and holds every anchor), as
    `aimsgraph history --verify` does."""
    return JSONResponse(_analyse(request, "history", {"verify": verify, "anchors": anchor or []}))


@router.get("/graphs", summary="The stored graphs")
def list_graphs(request: Request) -> list[dict[str, Any]]:
    """Give the organisation's named graphs and their sizes."""
    store: GraphStore = request.app.state.store
    return [{"graph": info.iri, "triples": info.triples} for info in store.graphs()]


def _gaps(request: Request, as_of: dt.date, frameworks: tuple[str, ...] = ()) -> GapReport:
    """Give the gap report of the stored data, computed once per store generation, date and set of
    frameworks (the newest generation's few are kept)."""
    state = request.app.state
    key = (state.generation, as_of, frameworks)
    cached: dict[tuple[int, dt.date, tuple[str, ...]], GapReport] = state.gap_cache
    if key not in cached:
        payload = {"as_of": as_of.isoformat(), "frameworks": list(frameworks), **_inference(request)}
        report = _analyse(request, "gaps", payload)
        for stale in [k for k in cached if k[0] != state.generation]:
            del cached[stale]  # an older generation's reports are never asked for again
        if len(cached) >= 8:
            cached.clear()
        cached[key] = report
    return cached[key]


def _analyse(request: Request, job: str, payload: dict[str, Any]) -> Any:
    """Do an analysis job (see :mod:`aimsgraph.analysis_worker`): in a worker process under the
    service's time limit, or in this process for an in-memory store (tests).

    :raises QueryTimeoutError: it ran past AIMSGRAPH_ANALYSIS_TIMEOUT and was stopped.
    :raises AimsgraphError: the input was bad.
    """
    state = request.app.state
    pool: AnalysisPool | None = state.analysis_pool
    if pool is not None:
        return pool.run(job, payload, generation=state.generation)
    store: GraphStore = state.store
    raw = store.oxigraph if isinstance(store, EmbeddedStore) else None
    return analysis_worker.do(job, payload, store.data, raw)


def _inference(request: Request) -> dict[str, str]:
    """The service's inference and engine settings (AIMSGRAPH_INFERENCE, AIMSGRAPH_SHACL_ENGINE),
    as a job's payload carries them."""
    settings = request.app.state.settings
    return {"inference": settings.inference.value, "engine": settings.engine.value}
