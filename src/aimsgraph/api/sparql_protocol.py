"""The SPARQL 1.1 Protocol: queries at /sparql (GET and POST), updates at /update (write scope).

Every query from the network is parsed by rdflib first and refused if it calls SERVICE (Oxigraph
would call the remote endpoint as soon as the query runs); every update is refused if it LOADs,
calls SERVICE or touches aimsgraph's reserved graphs. Results are serialised by Oxigraph in the
format the Accept header asks for. Without default-graph-uri, the default graph is the union of
all graphs, so a query sees the organisation's data and the catalogues together.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import parse_qs

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from aimsgraph import sparql
from aimsgraph.api.auth import actor, require_read, require_write
from aimsgraph.api.documented import ERRORS, content
from aimsgraph.api.negotiation import GRAPHS, SOLUTIONS, choose, not_xml, writable
from aimsgraph.errors import InputError
from aimsgraph.query_pool import QueryPool
from aimsgraph.store import GraphStore, QueryRequest

router = APIRouter(tags=["SPARQL 1.1 Protocol"], responses=ERRORS)

_SERVICE_DESCRIPTION = """@prefix sd: <http://www.w3.org/ns/sparql-service-description#> .
@prefix formats: <http://www.w3.org/ns/formats/> .

[] a sd:Service ;
    sd:endpoint <{endpoint}> ;
    sd:supportedLanguage sd:SPARQL11Query ;
    sd:feature sd:UnionDefaultGraph ;
    sd:resultFormat formats:SPARQL_Results_JSON, formats:SPARQL_Results_XML, formats:SPARQL_Results_CSV,
        formats:SPARQL_Results_TSV, formats:Turtle, formats:N-Triples, formats:JSON-LD, formats:RDF_XML .
"""


def _store(request: Request) -> GraphStore:
    store: GraphStore = request.app.state.store
    return store


@router.get(
    "/sparql",
    dependencies=[Depends(require_read)],
    summary="SPARQL query by GET, or the service description",
    responses=content(*SOLUTIONS, *GRAPHS, "text/turtle"),
)
def query_by_get(
    request: Request,
    query: Annotated[str | None, Query(description="The SPARQL query; without it, the service description.")] = None,
    default_graph_uri: Annotated[list[str] | None, Query(alias="default-graph-uri")] = None,
    named_graph_uri: Annotated[list[str] | None, Query(alias="named-graph-uri")] = None,
) -> Response:
    """Run a query given in the URL, or describe the service when no query is given."""
    params = _url_params(request)  # (FastAPI's reading of them would replace bytes that are not UTF-8)
    if "update" in params:
        raise HTTPException(status_code=400, detail="an update is sent by POST to /update, never by GET")
    if query is None:
        body = _SERVICE_DESCRIPTION.format(endpoint=str(request.url_for("query_by_get")))
        return Response(body, media_type="text/turtle")
    if len(request.query_params.getlist("query")) > 1:
        raise HTTPException(status_code=400, detail="give exactly one 'query' parameter")
    return _answer(request, query, default_graph_uri or [], named_graph_uri or [])


@router.post(
    "/sparql",
    dependencies=[Depends(require_read)],
    summary="SPARQL query by POST (form or sparql-query)",
    responses=content(*SOLUTIONS, *GRAPHS),
)
async def query_by_post(request: Request) -> Response:
    """Run a query sent as application/x-www-form-urlencoded or as application/sparql-query."""
    text, params = await _operation(request, "application/sparql-query", "query")
    # The query runs in a worker thread so that one long query does not hold up the event loop.
    return await run_in_threadpool(
        _answer, request, text, params.get("default-graph-uri", []), params.get("named-graph-uri", [])
    )


@router.post(
    "/update",
    dependencies=[Depends(require_write)],
    summary="SPARQL update (write scope)",
    status_code=204,
    responses={204: {"description": "Done, as one transaction."}},
)
async def update(request: Request) -> Response:
    """Run an update sent as application/sparql-update or as a form with an 'update' field."""
    text, fields = await _operation(request, "application/sparql-update", "update")
    if "using-graph-uri" in fields or "using-named-graph-uri" in fields:
        # Oxigraph's update API takes no dataset; say so rather than ignore the parameters.
        raise HTTPException(status_code=400, detail="using-graph-uri and using-named-graph-uri are not supported here")
    text = sparql.check_update(text, source="update")
    store = _store(request)
    try:
        await run_in_threadpool(lambda: store.update(text, actor=actor(request)))  # one transaction
    except SyntaxError as error:
        raise sparql.syntax_error(str(error), source="update") from None
    except (OSError, ValueError, RuntimeError) as error:
        raise InputError(f"the update failed and changed nothing: {error}", source="update") from None
    request.app.state.generation += 1
    return Response(status_code=204)


async def _operation(request: Request, direct_type: str, field: str) -> tuple[str, dict[str, list[str]]]:
    """Give the query or update a POST carries, sent directly (``direct_type``, parameters in the
    URL) or as a form (``field``, parameters in the form), and the request's protocol parameters."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    body = await _utf8_body(request)
    in_url = _url_params(request)
    if content_type == direct_type:
        if field in in_url:  # the protocol allows one query (or update) per request, not two
            raise HTTPException(status_code=400, detail=f"the {field} is the body: give no '{field}' in the URL too")
        return body, in_url
    if content_type == "application/x-www-form-urlencoded":
        # A form carries every protocol parameter (SPARQL 1.1 Protocol, 2.1.2 and 2.2.1): one in
        # the URL would be ignored, and a dataset or query other than the one asked for run.
        stray = sorted(in_url.keys() & {field, *_DATASET_PARAMETERS})
        if stray:
            names = ", ".join(stray)
            raise HTTPException(status_code=400, detail=f"with a form, send {names} in the form, not the URL")
        fields = _form(body)
        return _single(fields, field), fields
    raise HTTPException(status_code=415, detail=f"send {direct_type} or application/x-www-form-urlencoded")


_DATASET_PARAMETERS = ("default-graph-uri", "named-graph-uri", "using-graph-uri", "using-named-graph-uri")


def _url_params(request: Request) -> dict[str, list[str]]:
    """Give the parameters of the request's URL, refusing one that is not UTF-8."""
    try:
        return _form(request.scope.get("query_string", b"").decode("utf-8"))
    except UnicodeDecodeError:
        raise HTTPException(status_code=400, detail="the URL is not UTF-8") from None


def _form(text: str) -> dict[str, list[str]]:
    """Give URL-encoded parameters, blank ones kept; their percent-escapes must be UTF-8 (the
    protocol's encoding), which is refused rather than read with replacement characters."""
    try:
        return parse_qs(text, keep_blank_values=True, errors="strict")
    except UnicodeDecodeError:
        raise HTTPException(status_code=400, detail="a parameter is not UTF-8 once its %-escapes are read") from None


async def _utf8_body(request: Request) -> str:
    try:
        return (await request.body()).decode("utf-8")
    except UnicodeDecodeError:
        raise HTTPException(status_code=400, detail="the request body is not UTF-8") from None


def _single(fields: dict[str, list[str]], name: str) -> str:
    """Give the one value of a form field; the protocol allows exactly one query or update."""
    values = fields.get(name, [])
    if len(values) != 1:
        raise HTTPException(status_code=400, detail=f"give exactly one '{name}' field, not {len(values)}")
    return values[0]


def _answer(request: Request, text: str, default_graphs: list[str], named_graphs: list[str]) -> Response:
    text = sparql.check(text, source="query")
    # Negotiate before running: an Oxigraph result must be consumed in the thread that made it.
    offered = GRAPHS if sparql.is_graph_query(text, source="query") else SOLUTIONS
    accept = request.headers.get("accept")
    media = choose(accept, list(offered))
    if media is None:
        raise HTTPException(status_code=406, detail=f"this result is available as {', '.join(offered)}")

    def run(media: str) -> bytes:
        work = QueryRequest(
            text,
            tuple(default_graphs),
            tuple(named_graphs),
            offered is GRAPHS,
            offered[media],
            request.app.state.settings.max_rows,
            sparql.has_dataset_clause(text, source="query"),
        )
        pool: QueryPool | None = request.app.state.query_pool
        if pool is not None:  # in a worker process, under the time limit (see aimsgraph.query_pool)
            return pool.run(work, generation=request.app.state.generation)
        return _store(request).answer(work)

    body = run(media)
    if not writable(body, media):  # run again in the next format the client takes, if there is one
        media = not_xml(accept, list(offered))
        body = run(media)
    return Response(body, media_type=media)
