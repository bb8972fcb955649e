"""The SPARQL 1.1 Protocol and Graph Store Protocol cases of the W3C test suite that apply to a
service like this one, written out as tests (the suite's manifest names each case; its files are
not fetched at test time). Plus the guarantee that a reader never sees half a write."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph
import pytest
from fastapi.testclient import TestClient

from aimsgraph.api import create_app
from aimsgraph.settings import Scope, Settings
from aimsgraph.store import EmbeddedStore
from aimsgraph.validate import bundled_knowledge_quads

KEY = "protocol-key-0123456789"
WRITE = {"X-API-Key": KEY}
ASK = "ASK { ?s ?p ?o }"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
TURTLE = {"Content-Type": "text/turtle", **WRITE}
NTRIPLES = {"Accept": "application/n-triples"}


def _triple(predicate: str, value: str) -> str:
    return f'<https://e.example/a> <https://e.example/{predicate}> "{value}" .'


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    store = EmbeddedStore(tmp_path / "store", bundled_knowledge_quads())
    with TestClient(create_app(Settings(api_keys={KEY: Scope.WRITE}, query_workers=1), store)) as test_client:
        yield test_client


# query_post_form, query_get, query_post_direct: covered in test_api.py; the bad_* cases here.
@pytest.mark.parametrize(
    ("method", "kwargs"),
    [
        ("PUT", {"params": {"query": ASK}}),  # bad_query_method
        ("DELETE", {"params": {"query": ASK}}),
    ],
)
def test_bad_query_method(client: TestClient, method: str, kwargs: dict[str, object]) -> None:
    assert client.request(method, "/sparql", **kwargs).status_code == 405  # type: ignore[arg-type]


def test_bad_multiple_queries(client: TestClient) -> None:
    assert client.get("/sparql", params=[("query", ASK), ("query", ASK)]).status_code == 400
    form = client.post(
        "/sparql", content=f"query={ASK}&query={ASK}", headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert form.status_code == 400


def test_bad_query_wrong_media_type_and_missing_form_type(client: TestClient) -> None:
    assert client.post("/sparql", content=ASK, headers={"Content-Type": "text/plain"}).status_code == 415
    assert client.post("/sparql", content=f"query={ASK}").status_code == 415


def test_bad_query_non_utf8(client: TestClient) -> None:
    body = 'ASK { ?s ?p "é" }'.encode("latin-1")
    response = client.post("/sparql", content=body, headers={"Content-Type": "application/sparql-query"})
    assert response.status_code == 400


def test_bad_query_syntax_and_bad_update_get(client: TestClient) -> None:
    assert client.get("/sparql", params={"query": "ASK {"}).status_code == 400
    assert client.get("/update", params={"update": "CLEAR ALL"}).status_code == 405


def test_bad_multiple_updates_and_wrong_media_type(client: TestClient) -> None:
    form = "update=CLEAR%20DEFAULT&update=CLEAR%20DEFAULT"
    assert (
        client.post(
            "/update", content=form, headers={"Content-Type": "application/x-www-form-urlencoded", **WRITE}
        ).status_code
        == 400
    )
    assert (
        client.post("/update", content="CLEAR DEFAULT", headers={"Content-Type": "text/plain", **WRITE}).status_code
        == 415
    )


def test_update_dataset_parameters_are_refused_not_ignored(client: TestClient) -> None:
    response = client.post(
        "/update",
        params={"using-graph-uri": "https://e.example/g"},
        content="DELETE WHERE { ?s ?p ?o }",
        headers={"Content-Type": "application/sparql-update", **WRITE},
    )
    assert response.status_code == 400
    assert "using-graph-uri" in response.json()["detail"]


def test_query_multiple_dataset(client: TestClient) -> None:
    for graph, value in (("https://e.example/g1", "1"), ("https://e.example/g2", "2"), ("https://e.example/g3", "3")):
        body = f'<https://e.example/s> <https://e.example/p> "{value}" .'
        assert (
            client.put(
                "/store", params={"graph": graph}, content=body, headers={"Content-Type": "text/turtle", **WRITE}
            ).status_code
            == 201
        )
    params = [
        ("query", "SELECT ?o WHERE { ?s ?p ?o } ORDER BY ?o"),
        ("default-graph-uri", "https://e.example/g1"),
        ("default-graph-uri", "https://e.example/g2"),
    ]
    rows = client.get("/sparql", params=params, headers={"Accept": "text/csv"}).text.split()
    assert rows == ["o", "1", "2"]


def test_graph_store_cases(client: TestClient) -> None:
    graph = {"graph": "https://e.example/person"}
    # PUT - graph does not exist: 201; PUT - replace: 204; GET of the replaced graph
    assert client.put("/store", params=graph, content=_triple("n", "A"), headers=TURTLE).status_code == 201
    assert client.put("/store", params=graph, content=_triple("n", "B"), headers=TURTLE).status_code == 204
    assert '"B"' in client.get("/store", params=graph, headers=NTRIPLES).text
    # POST - merge into an existing graph
    assert client.post("/store", params=graph, content=_triple("m", "C"), headers=TURTLE).status_code == 204
    assert len(client.get("/store", params=graph, headers=NTRIPLES).text.strip().splitlines()) == 2
    # a write in a media type that is not RDF
    png = {"Content-Type": "image/png", **WRITE}
    assert client.put("/store", params=graph, content="x", headers=png).status_code == 415
    # DELETE - existing graph, then DELETE - non-existent graph, then GET of it
    assert client.delete("/store", params=graph, headers=WRITE).status_code == 204
    assert client.delete("/store", params=graph, headers=WRITE).status_code == 404
    assert client.get("/store", params=graph).status_code == 404


def test_a_remote_json_ld_context_is_not_fetched(client: TestClient) -> None:
    document = '{"@context": "http://127.0.0.1:9/context.jsonld", "@id": "https://e.example/a", "name": "x"}'
    response = client.post("/v1/validate", content=document, headers={"Content-Type": "application/ld+json"})
    assert response.status_code == 400


def test_readers_see_the_old_graph_or_the_new_one_never_a_mix(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path / "store", bundled_knowledge_quads())
    subject, predicate = pyoxigraph.NamedNode("https://e.example/s"), pyoxigraph.NamedNode("https://e.example/p")
    small = [pyoxigraph.Quad(subject, predicate, pyoxigraph.Literal(str(i))) for i in range(500)]
    large = [pyoxigraph.Quad(subject, predicate, pyoxigraph.Literal(f"x{i}")) for i in range(2000)]
    store.replace_graph("https://e.example/g", small)
    seen: set[int] = set()
    stop = threading.Event()

    def read() -> None:
        query = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH <https://e.example/g> { ?s ?p ?o } }"
        while not stop.is_set():
            for solution in store.oxigraph.query(query):
                seen.add(int(solution["n"].value))  # type: ignore[union-attr]

    readers = [threading.Thread(target=read) for _ in range(2)]
    for reader in readers:
        reader.start()
    for round_number in range(30):
        store.replace_graph("https://e.example/g", large if round_number % 2 == 0 else small)
    stop.set()
    for reader in readers:
        reader.join()
    assert seen <= {500, 2000}
    assert seen
