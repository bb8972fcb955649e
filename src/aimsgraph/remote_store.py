"""A store on any standard SPARQL server, reached by the SPARQL 1.1 Protocol, Update and the Graph
Store HTTP Protocol.

Three URLs configure it. Given only a base URL, the defaults follow Oxigraph server
(``BASE/query``, ``BASE/update``, ``BASE/store``); for Fuseki give the dataset's ``/query``,
``/update`` and ``/data``, and for GraphDB ``/repositories/ID``, ``/repositories/ID/statements``
and ``/repositories/ID/rdf-graphs/service``. The organisation's data lives in named graphs, as in
the embedded store, and the catalogues in aimsgraph's reserved graph, written when the store is
opened.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pyoxigraph

from aimsgraph import load
from aimsgraph.errors import InputError, QueryTimeoutError, UsageError
from aimsgraph.store import KNOWLEDGE_GRAPH, GraphInfo, QueryRequest, checked_graph

_NT = "application/n-triples"
_QUERY = "application/sparql-query"
_MEDIA = {
    "JSON": "application/sparql-results+json",
    "XML": "application/sparql-results+xml",
    "CSV": "text/csv",
    "TSV": "text/tab-separated-values",
    "TURTLE": "text/turtle",
    "N_TRIPLES": "application/n-triples",
    "JSON_LD": "application/ld+json",
    "RDF_XML": "application/rdf+xml",
    "TRIG": "application/trig",
    "N_QUADS": "application/n-quads",
}


@dataclass(frozen=True)
class Endpoints:
    """Where a SPARQL server answers queries, updates and Graph Store requests."""

    query: str
    update: str
    graph_store: str

    @classmethod
    def from_base(
        cls, base: str, *, query: str | None = None, update: str | None = None, graph_store: str | None = None
    ) -> Endpoints:
        """Give the endpoints of a server at ``base``, Oxigraph server's paths unless given."""
        root = base.rstrip("/")
        return cls(query or f"{root}/query", update or f"{root}/update", graph_store or f"{root}/store")


class RemoteStore:
    """The organisation's AIMS in named graphs on a SPARQL server.

    The change log (``history``) is the embedded store's: a SPARQL server keeps, or does not
    keep, its own record of who changed what, so ``actor`` is accepted and not stored here.
    """

    def __init__(self, endpoints: Endpoints, knowledge: Sequence[pyoxigraph.Quad], *, timeout: float = 30):
        self.endpoints = endpoints
        self._client = httpx.Client(timeout=timeout)
        self._replace(KNOWLEDGE_GRAPH, knowledge)

    @property
    def directory(self) -> Path | None:
        """Give None: the data is not in a local directory."""
        return None

    def replace_graph(self, graph: str, quads: Iterable[pyoxigraph.Quad], *, actor: str = "unknown") -> int:  # noqa: ARG002
        """Replace a named graph with a Graph Store PUT (atomic on the server); give its size."""
        return self._replace(checked_graph(graph), quads)

    def _replace(self, graph: str, quads: Iterable[pyoxigraph.Quad]) -> int:
        body, count = _ntriples(quads)
        self._send(
            "PUT", self.endpoints.graph_store, params=[("graph", graph)], content=body, media="application/n-triples"
        )
        return count

    def add_to_graph(self, graph: str, quads: Iterable[pyoxigraph.Quad], *, actor: str = "unknown") -> int:  # noqa: ARG002
        """Add to a named graph with a Graph Store POST; give how many triples were sent."""
        body, count = _ntriples(quads)
        target = checked_graph(graph)
        self._send(
            "POST", self.endpoints.graph_store, params=[("graph", target)], content=body, media="application/n-triples"
        )
        return count

    def drop_graph(self, graph: str, *, actor: str = "unknown") -> bool:  # noqa: ARG002
        """Remove a named graph with a Graph Store DELETE; give whether it existed."""
        response = self._client.delete(self.endpoints.graph_store, params={"graph": checked_graph(graph)})
        if response.status_code == 404:
            return False
        _raise_for(response, "DELETE")
        return True

    def has_graph(self, graph: str) -> bool:
        """Give whether a named graph exists (an empty one too, on a server that keeps empty graphs)."""
        text = f"ASK {{ GRAPH <{checked_graph(graph)}> {{ }} }}"
        return bool(self._query_json(text).get("boolean"))

    def graphs(self) -> list[GraphInfo]:
        """Give the organisation's named graphs and their sizes."""
        text = "SELECT ?g (COUNT(?s) AS ?n) WHERE { GRAPH ?g { OPTIONAL { ?s ?p ?o } } } GROUP BY ?g"  # empty too
        found = [
            GraphInfo(row["g"]["value"], int(row["n"]["value"]))
            for row in self._query_json(text)["results"]["bindings"]
            if row["g"]["value"] != KNOWLEDGE_GRAPH and not row["g"]["value"].startswith("urn:aimsgraph:graph:")
        ]
        return sorted(found, key=lambda info: info.iri)

    def graph_quads(self, graph: str | None) -> list[pyoxigraph.Quad]:
        """Give one named graph's triples by a Graph Store GET; for None, those of the default graph
        queries see (the union of all graphs, as :meth:`answer` asks for it), each once."""
        if graph is None:
            text = "CONSTRUCT WHERE { ?s ?p ?o }"
            union = self.answer(QueryRequest(text, (), (), True, "N_TRIPLES", 0))
            return list(dict.fromkeys(pyoxigraph.parse(union, pyoxigraph.RdfFormat.N_TRIPLES)))
        params = {"graph": checked_graph(graph)}
        response = self._client.get(self.endpoints.graph_store, params=params, headers={"Accept": _NT})
        if response.status_code == 404:
            return []
        _raise_for(response, "GET")
        return list(pyoxigraph.parse(response.content, pyoxigraph.RdfFormat.N_TRIPLES))

    def data(self) -> load.LoadedData:
        """Give all the organisation's data (every named graph but the catalogues), merged."""
        text = (
            "CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } "
            'FILTER (!STRSTARTS(STR(?g), "urn:aimsgraph:graph:")) }'
        )
        body = self._post_query(text, _NT)
        quads = pyoxigraph.parse(body, pyoxigraph.RdfFormat.N_TRIPLES)
        return load.from_quads(quads, sources=[info.iri for info in self.graphs()])

    def update(self, text: str, *, actor: str = "unknown") -> None:  # noqa: ARG002
        """Run a checked SPARQL update on the server."""
        self._send("POST", self.endpoints.update, content=text.encode(), media="application/sparql-update")

    def answer(self, request: QueryRequest) -> bytes:
        """Give the serialised result of a checked query, as the server sends it.

        The row limit is the server's to enforce here (Oxigraph server, Fuseki and GraphDB each
        have their own); the time limit is this client's timeout.
        """
        default_graphs, named_graphs = request.default_graphs, request.named_graphs
        if not default_graphs and not named_graphs:
            # The union of all graphs as the default graph, as the embedded store gives it; the
            # protocol's way to ask for it, whatever the server's own default is.
            everything = (*(info.iri for info in self.graphs()), KNOWLEDGE_GRAPH)
            default_graphs = named_graphs = everything
        params = [("default-graph-uri", g) for g in default_graphs]
        params += [("named-graph-uri", g) for g in named_graphs]
        return self._post_query(request.text, _MEDIA[request.format_name], params=params)

    def _query_json(self, text: str) -> dict[str, Any]:
        document: dict[str, Any] = json.loads(self._post_query(text, "application/sparql-results+json"))
        return document

    def _post_query(self, text: str, accept: str, *, params: list[tuple[str, str]] | None = None) -> bytes:
        response = self._send(
            "POST",
            self.endpoints.query,
            params=params,
            content=text.encode(),
            media="application/sparql-query",
            accept=accept,
        )
        return response.content

    def _send(
        self,
        method: str,
        url: str,
        *,
        content: bytes,
        media: str,
        params: list[tuple[str, str]] | None = None,
        accept: str | None = None,
    ) -> httpx.Response:
        headers = {"Content-Type": media, **({"Accept": accept} if accept else {})}
        try:
            query = httpx.QueryParams(tuple(params or ()))
            response = self._client.request(method, url, params=query, content=content, headers=headers)
        except httpx.TimeoutException:
            raise QueryTimeoutError(f"the SPARQL server at {url} did not answer within the time limit") from None
        except httpx.HTTPError as error:
            raise UsageError(f"cannot reach the SPARQL server at {url}: {error}") from None
        _raise_for(response, method)
        return response


def _raise_for(response: httpx.Response, method: str) -> None:
    if response.status_code >= 400:
        detail = response.text.strip().splitlines()[0] if response.text.strip() else response.reason_phrase
        raise InputError(f"the SPARQL server refused {method} ({response.status_code}): {detail}", source="store")


def _ntriples(quads: Iterable[pyoxigraph.Quad]) -> tuple[bytes, int]:
    triples = [pyoxigraph.Triple(q.subject, q.predicate, q.object) for q in quads]
    return pyoxigraph.serialize(triples, format=pyoxigraph.RdfFormat.N_TRIPLES) or b"", len(triples)
