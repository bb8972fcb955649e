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
    assert "a remote JSON-LD @context is never fetched" in response.json()["detail"]  # not Oxigraph's inner words


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


# Cases found by an independent review of the service as a client sees it (2026-11-27).
@pytest.mark.parametrize(
    ("accept", "chosen"),
    [
        ("application/sparql-results+json;q=0, */*", "application/sparql-results+xml"),  # q=0 refuses it
        ("text/csv;q=0, text/*", "text/tab-separated-values"),
        ("text/csv;q=0.5, text/*;q=1", "text/tab-separated-values"),  # the most specific range sets q
        ("text/csv, */*", "text/csv"),  # named outright beats a wildcard of the same quality
        ("*/*", "application/sparql-results+json"),
        ("text/*;q=0, application/sparql-results+xml;q=0.1", "application/sparql-results+xml"),
        ("text/csv;q=0", None),
    ],
)
def test_accept_follows_rfc_9110(client: TestClient, accept: str, chosen: str | None) -> None:
    response = client.get(
        "/sparql", params={"query": ASK if chosen != "text/csv" else "SELECT * {}"}, headers={"Accept": accept}
    )
    if chosen is None:
        assert response.status_code == 406
    else:
        assert response.status_code == 200 and response.headers["content-type"].startswith(chosen)


def test_an_update_of_no_operation_changes_nothing(client: TestClient) -> None:
    update = {"Content-Type": "application/sparql-update", **WRITE}
    before = client.get("/v1/history").json()
    for text in ("", " ", "# nothing", "PREFIX ex: <https://e.example/>"):
        assert client.post("/update", content=text, headers=update).status_code == 204, text
    assert client.post("/update", content="update=%20", headers={**FORM, **WRITE}).status_code == 204
    assert client.get("/v1/history").json() == before  # nothing logged: nothing changed


def test_parameters_that_are_not_utf8_are_refused_not_replaced(client: TestClient) -> None:
    insert = 'INSERT DATA { GRAPH <https://e.example/g> { <https://e.example/a> <https://e.example/p> "caf%E9" } }'
    response = client.post("/update", content="update=" + insert.replace(" ", "%20"), headers={**FORM, **WRITE})
    assert response.status_code == 400 and "UTF-8" in response.json()["detail"]
    assert client.get("/store", params={"graph": "https://e.example/g"}).status_code == 404  # nothing stored
    assert client.get("/sparql?query=ASK%20%7B%20%3Fs%20%3Fp%20%22%FF%22%20%7D").status_code == 400
    assert client.post("/sparql", content="query=ASK%20%7B%22%FF%22%7D", headers=FORM).status_code == 400


def test_one_query_or_update_per_request(client: TestClient) -> None:
    direct = {"Content-Type": "application/sparql-query"}
    assert client.post("/sparql", params={"query": ASK}, content=ASK, headers=direct).status_code == 400
    assert client.post("/sparql", params={"query": ASK}, content=f"query={ASK}", headers=FORM).status_code == 400
    # with a form, a dataset in the URL would be ignored: refused instead
    in_url = client.post(
        "/sparql", params={"default-graph-uri": "https://e.example/g"}, content=f"query={ASK}", headers=FORM
    )
    assert in_url.status_code == 400 and "default-graph-uri" in in_url.json()["detail"]
    update = {"Content-Type": "application/sparql-update", **WRITE}
    both = client.post("/update", params={"update": "CLEAR ALL"}, content="CLEAR DEFAULT", headers=update)
    assert both.status_code == 400
    # an update is never run by GET, and not mistaken for a request of the service description
    by_get = client.get("/sparql", params={"update": "CLEAR DEFAULT"})
    assert by_get.status_code == 400 and "POST" in by_get.json()["detail"]


def test_empty_queries_are_called_empty(client: TestClient) -> None:
    for response in (
        client.get("/sparql", params={"query": ""}),
        client.post("/sparql", content="", headers={"Content-Type": "application/sparql-query"}),
        client.post("/sparql", content="query=", headers=FORM),
        client.post("/sparql", content="query=%23%20a%20comment", headers=FORM),
    ):
        assert response.status_code == 400 and "the query is empty" in response.json()["detail"]


def test_a_syntax_error_found_by_oxigraph_has_its_line_and_column(client: TestClient) -> None:
    # rdflib reads a relative IRI; Oxigraph, without a base, does not
    response = client.get("/sparql", params={"query": "SELECT * WHERE {\n  <a> ?p ?o }"})
    assert response.status_code == 400
    assert response.json()["location"]["line"] == 2 and response.json()["location"]["column"] is not None
    update = client.post(
        "/update",
        content="INSERT DATA {\n <a> <b> <c> }",
        headers={"Content-Type": "application/sparql-update", **WRITE},
    )
    assert update.status_code == 400 and update.json()["location"]["line"] == 2


def test_a_graph_put_empty_exists_empty(client: TestClient) -> None:
    graph = {"graph": "https://e.example/empty"}
    assert client.put("/store", params=graph, content="", headers=TURTLE).status_code == 201
    got = client.get("/store", params=graph, headers=NTRIPLES)
    assert got.status_code == 200 and got.text.strip() == ""
    assert client.put("/store", params=graph, content=_triple("n", "A"), headers=TURTLE).status_code == 204
    assert client.put("/store", params=graph, content="# none", headers=TURTLE).status_code == 204
    assert client.get("/store", params=graph, headers=NTRIPLES).status_code == 200  # emptied, not removed
    assert client.delete("/store", params=graph, headers=WRITE).status_code == 204


def test_the_default_graph_read_is_the_one_queries_see(client: TestClient) -> None:
    client.put("/store", params={"graph": "https://e.example/g1"}, content=_triple("n", "A"), headers=TURTLE)
    count = client.get(
        "/sparql", params={"query": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"}, headers={"Accept": "text/csv"}
    )
    read = client.get("/store", params={"default": ""}, headers=NTRIPLES)
    assert read.status_code == 200
    triples = read.text.strip().splitlines()
    assert len(triples) == int(count.text.split()[1]) and _triple("n", "A") in triples


def test_head_is_get_without_a_body(client: TestClient) -> None:
    client.put("/store", params={"graph": "https://e.example/g1"}, content=_triple("n", "A"), headers=TURTLE)
    for path, params in (("/store", {"graph": "https://e.example/g1"}), ("/healthz", {}), ("/sparql", {"query": ASK})):
        get, head = client.get(path, params=params), client.head(path, params=params)
        assert head.status_code == 200 and head.content == b"", path
        assert head.headers["content-type"] == get.headers["content-type"]
        assert head.headers["content-length"] == str(len(get.content))
    assert client.head("/store", params={"graph": "https://e.example/none"}).status_code == 404


def test_the_openapi_offers_for_a_graph_only_what_is_sent(client: TestClient) -> None:
    offered = client.get("/openapi.json").json()["paths"]["/store"]["get"]["responses"]["200"]["content"]
    for media in offered:
        assert client.get("/store", params={"default": ""}, headers={"Accept": media}).status_code == 200, media


def test_a_result_xml_cannot_carry_comes_in_the_next_format_the_client_takes(client: TestClient) -> None:
    label = "<http://www.w3.org/2000/01/rdf-schema#label>"
    bell = f'<https://e.example/sys> a <https://w3id.org/aimsgraph/ns#AISystem> ; {label} "Bell\\u0007 system" .'
    graph = {"graph": "https://e.example/bell"}
    assert client.put("/store", params=graph, content=bell, headers=TURTLE).status_code == 201
    select = {"query": "SELECT ?o WHERE { ?s ?p ?o }"}
    xml_only = {"Accept": "application/sparql-results+xml"}
    xml_then_json = {"Accept": "application/sparql-results+xml, application/sparql-results+json;q=0.9"}
    assert client.get("/sparql", params=select, headers=xml_only).status_code == 406  # never a malformed document
    fallback = client.get("/sparql", params=select, headers=xml_then_json)
    assert fallback.status_code == 200 and fallback.headers["content-type"].startswith(
        "application/sparql-results+json"
    )
    assert any("\u0007" in b["o"]["value"] for b in fallback.json()["results"]["bindings"])
    rdf_xml = client.get("/store", params=graph, headers={"Accept": "application/rdf+xml, text/turtle;q=0.5"})
    assert rdf_xml.status_code == 200 and rdf_xml.headers["content-type"].startswith("text/turtle")
    assert client.get("/store", params=graph, headers={"Accept": "application/rdf+xml"}).status_code == 406
    scorecard = client.get("/v1/queries/ai-system-scorecard", headers=xml_then_json)
    assert scorecard.status_code == 200 and scorecard.headers["content-type"].startswith(
        "application/sparql-results+json"
    )
    assert client.get("/v1/queries/ai-system-scorecard", headers=xml_only).status_code == 406


@pytest.mark.parametrize(
    ("accept", "chosen"),
    [
        ("text/csv;Q=0, */*", "application/sparql-results+json"),  # a parameter name in any case
        ("text/csv;q=2, application/json", "application/json"),  # not a weight: refuses its range
        ('text/csv;charset="a,b";q=0, */*;q=0.5', "application/sparql-results+json"),  # a quoted comma
    ],
)
def test_accept_weights_are_read_as_rfc_9110_writes_them(client: TestClient, accept: str, chosen: str) -> None:
    response = client.get("/sparql", params={"query": "SELECT * {}"}, headers={"Accept": accept})
    assert response.status_code == 200 and response.headers["content-type"].startswith(chosen)
