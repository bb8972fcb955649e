"""The FastAPI application: routers, the error tree mapped to HTTP statuses, the body-size limit."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from aimsgraph import __version__, shacl
from aimsgraph.api import graph_store, sparql_protocol, v1
from aimsgraph.errors import AimsgraphError, InputError, QueryTimeoutError
from aimsgraph.query_pool import AnalysisPool, QueryPool
from aimsgraph.settings import Settings
from aimsgraph.store import EmbeddedStore, GraphStore


def create_app(settings: Settings, store: GraphStore) -> FastAPI:
    """Give the aimsgraph HTTP API serving ``store`` under ``settings``.

    :raises ShapesError: an rdflib SPARQL plugin is active (see ``shacl.check_rdflib_plugins``).
    """
    shacl.check_rdflib_plugins()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Queries, validation, gap analysis and reports from the network run in worker processes
        # under a time limit; that needs the store on disk (an in-memory store, used only in
        # tests, runs them in-process).
        if isinstance(store, EmbeddedStore) and store.directory is not None:
            app.state.query_pool = QueryPool(
                store.snapshot, workers=settings.query_workers, timeout=settings.query_timeout
            )
            app.state.analysis_pool = AnalysisPool(
                store.snapshot, workers=settings.analysis_workers, timeout=settings.analysis_timeout
            )
        try:
            yield
        finally:
            for pool in (app.state.query_pool, app.state.analysis_pool):
                if pool is not None:
                    pool.close()

    app = FastAPI(
        title="aimsgraph",
        version=__version__,
        description="Validation, gap analysis and SPARQL over an AI management system kept as RDF.",
        lifespan=lifespan,
    )
    app.state.query_pool = None
    app.state.analysis_pool = None
    app.state.settings = settings
    app.state.store = store
    app.state.generation = 0  # bumped by every write, so cached reports know when they are stale
    app.state.gap_cache = {}
    app.state.report_cache = {}
    app.include_router(sparql_protocol.router)
    app.include_router(graph_store.router)
    app.include_router(v1.router)
    app.add_exception_handler(AimsgraphError, _error_response)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, _http_error)  # type: ignore[arg-type]
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes)
    app.add_middleware(HeadAsGet)

    @app.get(
        "/",
        tags=["service"],
        summary="Links to the report, the docs and the SPARQL endpoint",
        response_class=HTMLResponse,
    )
    def home() -> HTMLResponse:
        return HTMLResponse(
            "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><link rel='icon' href='data:,'>"
            "<title>aimsgraph</title></head><body>"
            "<h1>aimsgraph</h1><ul><li><a href='v1/reports/index.html'>Gap report</a></li>"
            "<li><a href='v1/reports/soa.html'>Statement of Applicability</a></li>"
            "<li><a href='v1/reports/findings.html'>Findings</a></li>"
            "<li><a href='v1/reports/systems.html'>AI systems</a></li>"
            "<li><a href='v1/reports/appendix.html'>Appendix: waivers and raw findings</a></li>"
            "<li><a href='v1/gaps'>Gap report (JSON)</a></li><li><a href='sparql'>SPARQL endpoint</a></li>"
            "<li><a href='docs'>API documentation</a></li></ul></body></html>"
        )

    @app.get("/healthz", tags=["service"], summary="Liveness and what is stored")
    def health() -> dict[str, Any]:
        return {"status": "ok", "version": __version__, "graphs": len(store.graphs())}

    return app


async def _http_error(request: Request, error: StarletteHTTPException) -> Response:
    """FastAPI's own answer, except that a 405 lists every method the path allows: Starlette's
    names only those of the first route it matched (GET for /sparql, which also takes POST)."""
    response = await http_exception_handler(request, error)
    if error.status_code == 405:
        methods: set[str] = set()
        routes = [*request.app.routes, *sparql_protocol.router.routes, *graph_store.router.routes, *v1.router.routes]
        for route in routes:
            if isinstance(route, APIRoute) and route.path_regex.match(request.url.path):
                methods |= route.methods or set()
        if "GET" in methods:
            methods.add("HEAD")  # see HeadAsGet
        response.headers["Allow"] = ", ".join(sorted(methods))
    return response


def _error_response(_: Request, error: AimsgraphError) -> JSONResponse:
    """Map the error tree to HTTP statuses, in this one place."""
    # A query stopped at the time limit is the service refusing work (503); every other error in
    # the tree is the client's: bad input, a bad request, bad shapes.
    status = 503 if isinstance(error, QueryTimeoutError) else 400
    body: dict[str, Any] = {"detail": str(error)}
    if isinstance(error, InputError):
        body["location"] = {"source": error.source, "line": error.line, "column": error.column}
    return JSONResponse(body, status_code=status)


class BodyLimit:
    """Refuse a request body larger than ``limit`` bytes with 413, whether or not it says its length."""

    def __init__(self, app: ASGIApp, *, limit: int):
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await _too_large(send, self.limit)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise _BodyTooLargeError
            return message

        try:
            await self.app(scope, counted, send)
        except _BodyTooLargeError:
            await _too_large(send, self.limit)


class _BodyTooLargeError(Exception):
    pass


async def _too_large(send: Send, limit: int) -> None:
    response = JSONResponse({"detail": f"the request body is larger than {limit} bytes"}, status_code=413)
    await response({"type": "http"}, _no_body, send)


async def _no_body() -> Message:
    return {"type": "http.request", "body": b"", "more_body": False}


class HeadAsGet:
    """Answer HEAD as the same request by GET, without its body (RFC 9110, 9.3.2; the Graph Store
    Protocol, 5.5): FastAPI gives a route declared for GET no HEAD of its own."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def headers_only(message: Message) -> None:
            if message["type"] == "http.response.body":
                if message.get("more_body", False):
                    return  # a part of the body: not sent
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)  # the headers as GET's, Content-Length included

        await self.app({**scope, "method": "GET"}, receive, headers_only)
