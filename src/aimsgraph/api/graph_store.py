"""The SPARQL 1.1 Graph Store HTTP Protocol at /store: read, replace, add to and delete graphs.

An upload is parsed completely from its bytes, with the format its Content-Type names and the
graph's IRI as base, before the store is touched; the write is then one transaction, so a
malformed upload leaves the store exactly as it was.
"""

from __future__ import annotations

from typing import Annotated

import pyoxigraph
from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from aimsgraph import load
from aimsgraph.api.auth import actor, require_read, require_write
from aimsgraph.api.documented import ERRORS, content
from aimsgraph.api.negotiation import GRAPHS, choose, graph_format, not_xml, upload_format, writable
from aimsgraph.store import GraphStore

router = APIRouter(tags=["Graph Store Protocol"], responses=ERRORS)

GraphParam = Annotated[str | None, Query(description="The IRI of the named graph.")]
DefaultParam = Annotated[str | None, Query(description="Present (empty) to address the default graph.")]


def _target(graph: str | None, default: str | None) -> str | None:
    """Give the named graph addressed, or None for the default graph."""
    if (graph is None) == (default is None):
        raise HTTPException(status_code=400, detail="give exactly one of ?graph=IRI and ?default")
    return graph


# A graph is sent as triples: TriG and N-Quads, which name graphs, are not offered for one.
TRIPLES = [media for media in GRAPHS if media not in ("application/trig", "application/n-quads")]


@router.get(
    "/store",
    dependencies=[Depends(require_read)],
    summary="Read a graph",
    response_class=Response,
    responses=content(*TRIPLES),
)
def read_graph(request: Request, graph: GraphParam = None, default: DefaultParam = None) -> Response:
    """Give the triples of a named graph, or of the default graph (the union that queries see), in
    the format Accept asks for."""
    store: GraphStore = request.app.state.store
    target = _target(graph, default)
    if target is not None and not store.has_graph(target):
        raise HTTPException(status_code=404, detail=f"no graph <{target}>")
    accept = request.headers.get("accept")
    media = choose(accept, TRIPLES)
    if media is None:
        raise HTTPException(status_code=406, detail="a graph is available as Turtle, N-Triples, JSON-LD or RDF/XML")
    triples = [pyoxigraph.Triple(q.subject, q.predicate, q.object) for q in store.graph_quads(target)]
    body = pyoxigraph.serialize(triples, format=graph_format(media)) or b""
    if not writable(body, media):  # in the next format the client takes
        media = not_xml(accept, TRIPLES)
        body = pyoxigraph.serialize(triples, format=graph_format(media)) or b""
    return Response(body, media_type=media)


@router.put(
    "/store",
    dependencies=[Depends(require_write)],
    summary="Replace a graph (write scope)",
    status_code=201,
    responses={201: {"description": "The graph was created."}, 204: {"description": "The graph was replaced."}},
)
async def replace_graph(request: Request, graph: GraphParam = None, default: DefaultParam = None) -> Response:
    """Replace a named graph with the request body; 201 when the graph is new, 204 when it was replaced."""
    return await _write(request, _named(graph, default), replace=True)


@router.post(
    "/store",
    dependencies=[Depends(require_write)],
    summary="Add to a graph (write scope)",
    status_code=201,
    responses={201: {"description": "The graph was created."}, 204: {"description": "The triples were added."}},
)
async def add_to_graph(request: Request, graph: GraphParam = None, default: DefaultParam = None) -> Response:
    """Add the request body's triples to a named graph; 201 when the graph is new, 204 otherwise."""
    return await _write(request, _named(graph, default), replace=False)


async def _write(request: Request, target: str, *, replace: bool) -> Response:
    """Parse the body in full, then replace or add to the graph in one write; 201 if new, else 204."""
    quads = await _parsed_body(request, target)
    store: GraphStore = request.app.state.store
    existed = store.has_graph(target)
    write = store.replace_graph if replace else store.add_to_graph
    await run_in_threadpool(lambda: write(target, quads, actor=actor(request)))
    request.app.state.generation += 1
    return Response(status_code=204 if existed else 201)


@router.delete(
    "/store",
    dependencies=[Depends(require_write)],
    summary="Delete a graph (write scope)",
    status_code=204,
    responses={204: {"description": "The graph was deleted."}},
)
def delete_graph(request: Request, graph: GraphParam = None, default: DefaultParam = None) -> Response:
    """Delete a named graph; 404 when there is none."""
    target = _named(graph, default)
    store: GraphStore = request.app.state.store
    if not store.drop_graph(target, actor=actor(request)):
        raise HTTPException(status_code=404, detail=f"no graph <{target}>")
    request.app.state.generation += 1
    return Response(status_code=204)


def _named(graph: str | None, default: str | None) -> str:
    target = _target(graph, default)
    if target is None:
        # The organisation's data lives in named graphs (one per source); the default graph is
        # the union of them all and is not written directly.
        raise HTTPException(status_code=405, detail="the default graph is the union of all graphs; write a named graph")
    return target


async def _parsed_body(request: Request, graph: str) -> list[pyoxigraph.Quad]:
    rdf_format = upload_format(request.headers.get("content-type"))
    if rdf_format is None:
        raise HTTPException(status_code=415, detail="send Turtle, TriG, N-Triples, N-Quads, JSON-LD or RDF/XML")
    content = await request.body()
    source = load.SourceFile(f"<{graph}>", content, rdf_format, graph)
    return await run_in_threadpool(load.parse_quads, source)
