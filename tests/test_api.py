"""The HTTP API: the SPARQL 1.1 Protocol, the Graph Store Protocol, aimsgraph's /v1 routes,
auth scopes, limits and atomic writes, on an embedded store in a temporary directory."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import time
from collections.abc import Iterator
from pathlib import Path

import jsonschema
import pyoxigraph
import pytest
from fastapi.testclient import TestClient

from aimsgraph import library, load, sparql
from aimsgraph.api import create_app
from aimsgraph.render import results as results_render
from aimsgraph.settings import Scope, Settings
from aimsgraph.store import EmbeddedStore
from aimsgraph.validate import bundled_knowledge_quads
from tests.conftest import EXAMPLES, ROOT

WRITE_KEY = "write-key-0123456789"
READ_KEY = "read-key-0123456789"
COUNT_SYSTEMS = "SELECT (COUNT(*) AS ?n) WHERE { ?s a <https://w3id.org/aimsgraph/ns#AISystem> }"
GAP_SCHEMA = json.loads((ROOT / "src" / "aimsgraph" / "schemas" / "gap-report.schema.json").read_text())
REPORT_SCHEMA = json.loads((ROOT / "src" / "aimsgraph" / "schemas" / "validation-report.schema.json").read_text())


def _client(tmp_path: Path, **overrides: object) -> TestClient:
    store = EmbeddedStore(tmp_path / "store", bundled_knowledge_quads())
    for source in load.collect([str(EXAMPLES / "kestrel")]):
        store.replace_graph(source.base_iri, load.parse_quads(source))
    options: dict[str, object] = {"query_workers": 1, **overrides}
    settings = Settings(api_keys={WRITE_KEY: Scope.WRITE, READ_KEY: Scope.READ}, **options)  # type: ignore[arg-type]
    return TestClient(create_app(settings, store))


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with _client(tmp_path) as test_client:
        yield test_client


def _count(client: TestClient) -> int:
    response = client.get(
        "/sparql", params={"query": COUNT_SYSTEMS}, headers={"Accept": "application/sparql-results+json"}
    )
    assert response.status_code == 200, response.text
    return int(response.json()["results"]["bindings"][0]["n"]["value"])


@pytest.mark.parametrize(
    ("accept", "media", "marker"),
    [
        ("application/sparql-results+json", "application/sparql-results+json", '"n"'),
        ("application/sparql-results+xml", "application/sparql-results+xml", "<sparql"),
        ("text/csv", "text/csv", "n\r\n8"),
        ("text/tab-separated-values", "text/tab-separated-values", "?n\n8"),
        ("*/*", "application/sparql-results+json", '"n"'),
        ("text/html;q=0.9, text/csv;q=0.5", "text/csv", "n\r\n8"),
    ],
)
def test_select_by_get_in_each_format(client: TestClient, accept: str, media: str, marker: str) -> None:
    response = client.get("/sparql", params={"query": COUNT_SYSTEMS}, headers={"Accept": accept})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(media)
    assert marker in response.text


def test_select_by_post_form_and_direct(client: TestClient) -> None:
    form = client.post("/sparql", data={"query": COUNT_SYSTEMS}, headers={"Accept": "text/csv"})
    direct = client.post(
        "/sparql", content=COUNT_SYSTEMS, headers={"Content-Type": "application/sparql-query", "Accept": "text/csv"}
    )
    assert form.text == direct.text == "n\r\n8\r\n"
    assert client.post("/sparql", content=COUNT_SYSTEMS, headers={"Content-Type": "text/plain"}).status_code == 415


@pytest.mark.parametrize(
    ("accept", "marker"),
    [("text/turtle", "accountableOwner"), ("application/n-triples", "> <"), ("application/ld+json", '"@id"')],
)
def test_construct_is_negotiated(client: TestClient, accept: str, marker: str) -> None:
    query = "CONSTRUCT WHERE { ?s <https://w3id.org/aimsgraph/ns#accountableOwner> ?o }"
    response = client.get("/sparql", params={"query": query}, headers={"Accept": accept})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(accept)
    assert marker in response.text


def test_unacceptable_media_type_is_406(client: TestClient) -> None:
    assert client.get("/sparql", params={"query": COUNT_SYSTEMS}, headers={"Accept": "image/png"}).status_code == 406


def test_service_description_without_query(client: TestClient) -> None:
    response = client.get("/sparql")
    assert response.status_code == 200
    assert "sd:Service" in response.text and "sd:endpoint" in response.text


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("SELECT * WHERE { ?s ?p }", "SPARQL syntax error"),
        ("SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }", "SERVICE"),
    ],
)
def test_bad_or_unsafe_queries_are_400(client: TestClient, query: str, message: str) -> None:
    response = client.get("/sparql", params={"query": query})
    assert response.status_code == 400
    assert message in response.json()["detail"]


def test_dataset_from_the_request(client: TestClient) -> None:
    systems_graph = (EXAMPLES / "kestrel" / "systems.ttl").resolve().as_uri()
    audits_graph = (EXAMPLES / "kestrel" / "audits.ttl").resolve().as_uri()
    params = {"query": COUNT_SYSTEMS, "default-graph-uri": audits_graph}
    only_audits = client.get("/sparql", params=params, headers={"Accept": "text/csv"})
    assert only_audits.text.splitlines()[1] == "0"
    named = client.get(
        "/sparql",
        params={
            "query": "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g",
            "named-graph-uri": systems_graph,
        },
        headers={"Accept": "text/csv"},
    )
    assert named.text.splitlines()[1].startswith(systems_graph + ",")
    assert len(named.text.splitlines()) == 2


def test_writes_need_the_write_scope(client: TestClient) -> None:
    body = "<https://e.example/a> <https://e.example/b> <https://e.example/c> ."
    target = {"graph": "https://e.example/graph"}
    headers = {"Content-Type": "text/turtle"}
    assert client.put("/store", params=target, content=body, headers=headers).status_code == 401
    read_only = client.put("/store", params=target, content=body, headers={**headers, "X-API-Key": READ_KEY})
    assert read_only.status_code == 403
    assert (
        client.put(
            "/store", params=target, content=body, headers={**headers, "X-API-Key": "wrong-key-00000000"}
        ).status_code
        == 401
    )
    written = client.put(
        "/store", params=target, content=body, headers={**headers, "Authorization": f"Bearer {WRITE_KEY}"}
    )
    assert written.status_code == 201


def test_graph_store_protocol_round_trip(client: TestClient) -> None:
    key = {"X-API-Key": WRITE_KEY}
    target = {"graph": "https://e.example/graph"}
    turtle = {"Content-Type": "text/turtle", **key}
    assert (
        client.put(
            "/store", params=target, content="<https://e.example/a> <https://e.example/b> 1 .", headers=turtle
        ).status_code
        == 201
    )
    assert (
        client.put(
            "/store", params=target, content="<https://e.example/a> <https://e.example/b> 2 .", headers=turtle
        ).status_code
        == 204
    )
    assert (
        client.post(
            "/store", params=target, content="<https://e.example/a> <https://e.example/b> 3 .", headers=turtle
        ).status_code
        == 204
    )
    got = client.get("/store", params=target, headers={"Accept": "application/n-triples"})
    assert got.status_code == 200
    assert sorted(line.split(" ")[2].split("^^")[0] for line in got.text.splitlines() if line) == ['"2"', '"3"']
    assert client.delete("/store", params=target, headers=key).status_code == 204
    assert client.delete("/store", params=target, headers=key).status_code == 404
    assert client.get("/store", params=target).status_code == 404
    assert client.get("/store").status_code == 400  # neither ?graph nor ?default


def test_a_malformed_upload_changes_nothing(client: TestClient) -> None:
    graph = (EXAMPLES / "kestrel" / "systems.ttl").resolve().as_uri()
    before = client.get("/store", params={"graph": graph}, headers={"Accept": "application/n-triples"}).text
    response = client.put(
        "/store",
        params={"graph": graph},
        content="<https://e.example/a> <https://e.example/b> .\n",
        headers={"Content-Type": "text/turtle", "X-API-Key": WRITE_KEY},
    )
    assert response.status_code == 400
    assert response.json()["location"]["line"] == 1
    assert client.get("/store", params={"graph": graph}, headers={"Accept": "application/n-triples"}).text == before
    assert _count(client) == 8


def test_updates_are_atomic_and_guarded(client: TestClient) -> None:
    key = {"X-API-Key": WRITE_KEY, "Content-Type": "application/sparql-update"}
    system = "<https://e.example/s> a <https://w3id.org/aimsgraph/ns#AISystem>"
    insert = f"INSERT DATA {{ GRAPH <https://e.example/g> {{ {system} }} }}"
    assert client.post("/update", content=insert, headers=key).status_code == 204
    assert _count(client) == 9
    # the second operation fails to parse, so the first must not happen either
    broken = "DELETE WHERE { ?s a <https://w3id.org/aimsgraph/ns#AISystem> } ; INSERT DATA { <https://e.example/x> }"
    assert client.post("/update", content=broken, headers=key).status_code == 400
    assert _count(client) == 9
    for refused in ("LOAD <http://127.0.0.1:9/x.ttl>", "DROP GRAPH <urn:aimsgraph:graph:knowledge>"):
        response = client.post("/update", content=refused, headers=key)
        assert response.status_code == 400
        assert "not allowed" in response.json()["detail"]


def test_oversize_bodies_are_refused(tmp_path: Path) -> None:
    with _client(tmp_path, max_body_bytes=1000) as small:
        response = small.post("/v1/validate", content="#" * 5000, headers={"Content-Type": "text/turtle"})
        assert response.status_code == 413


def test_reads_can_require_a_key(tmp_path: Path) -> None:
    with _client(tmp_path, anonymous_read=False) as closed:
        assert closed.get("/sparql", params={"query": COUNT_SYSTEMS}).status_code == 401
        assert (
            closed.get("/sparql", params={"query": COUNT_SYSTEMS}, headers={"X-API-Key": READ_KEY}).status_code == 200
        )


def test_gap_report_covers_the_frameworks_asked_for(client: TestClient) -> None:
    plain = client.get("/v1/gaps", params={"as_of": "2026-11-26"}).json()
    assert "frameworks" not in plain
    both = client.get("/v1/gaps", params={"as_of": "2026-11-26", "framework": ["gdpr", "eu-ai-act", "gdpr"]})
    assert both.status_code == 200
    jsonschema.validate(both.json(), GAP_SCHEMA)
    assert [f["key"] for f in both.json()["frameworks"]] == ["gdpr", "eu-ai-act"]
    gdpr = {r["id"]: r for r in both.json()["frameworks"][0]["requirements"]}
    assert gdpr["GDPR Art. 35"]["status"] == "not met" and gdpr["GDPR Art. 35"]["basis"] == "rules"
    assert both.json()["requirements"] == plain["requirements"]  # ISO/IEC 42001's part is the same
    unknown = client.get("/v1/gaps", params={"as_of": "2026-11-26", "framework": "sox"})
    assert unknown.status_code == 400 and "no framework 'sox'" in unknown.json()["detail"]


def test_gap_report_and_validation(client: TestClient) -> None:
    gaps = client.get("/v1/gaps", params={"as_of": "2026-11-26"})
    assert gaps.status_code == 200
    jsonschema.validate(gaps.json(), GAP_SCHEMA)
    assert gaps.json()["readiness"]["controls_with_current_evidence"] == 33
    stored = client.get("/v1/validate", params={"as_of": "2026-11-26"}).json()
    jsonschema.validate(stored, REPORT_SCHEMA)
    assert stored["failed"] is True and stored["counts"]["violation"] == 15
    upload = client.post(
        "/v1/validate",
        params={"as_of": "2026-11-26", "fail_on": "never"},
        content=(EXAMPLES / "kestrel" / "systems.ttl").read_bytes(),
        headers={"Content-Type": "text/turtle"},
    ).json()
    assert upload["failed"] is False and upload["counts"]["violation"] > 0
    assert client.get("/v1/gaps", params={"as_of": "26/11/2026"}).status_code == 422


def test_query_library_over_http(client: TestClient) -> None:
    listed = client.get("/v1/queries").json()
    assert {q["id"] for q in listed} >= {"audit-readiness", "statement-of-applicability"}
    result = client.get("/v1/queries/overdue-corrective-actions", params={"asOf": "2026-11-26"})
    assert result.status_code == 200
    assert result.json()["results"]["bindings"][0]["action"]["value"] == "https://kestrel.example/aims/ca-2026-02"
    assert client.get("/v1/queries/overdue-corrective-actions", params={"asOf": "soon"}).status_code == 400
    assert client.get("/v1/queries/no-such-query").status_code == 404


def _solutions(body: bytes, results_format: pyoxigraph.QueryResultsFormat) -> list[list[str | None]]:
    """Read a result as a SPARQL client would (Oxigraph's reader); give each row's terms in N-Triples."""
    solutions = pyoxigraph.parse_query_results(body, format=results_format)
    assert isinstance(solutions, pyoxigraph.QuerySolutions)
    names = [variable.value for variable in solutions.variables]
    return [[None if row[name] is None else str(row[name]) for name in names] for row in solutions]


@pytest.mark.parametrize(
    "media",
    ["application/sparql-results+json", "application/sparql-results+xml", "text/csv", "text/tab-separated-values"],
)
def test_every_library_query_answers_over_http_as_on_the_command_line(client: TestClient, media: str) -> None:
    # The store writes a GROUP_CONCAT list in the order it met its members and an empty one as "";
    # the service must give what `aimsgraph query` gives: members sorted, an empty list unbound.
    store = load.oxigraph_store(
        load.load(load.collect([str(EXAMPLES / "kestrel")])).quads, list(bundled_knowledge_quads())
    )
    with_lists = 0
    for definition in library.library():
        params = {p.name: "2026-11-26" for p in definition.params if p.name == "asOf"}
        text = sparql.bind(definition.text, library.bind_values(definition, params, today=dt.date(2026, 11, 26)))
        expected = sparql.run(store, text, source=definition.source, lists=definition.lists)
        assert isinstance(expected, sparql.SelectResult)
        response = client.get(f"/v1/queries/{definition.id}", params=params, headers={"Accept": media})
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith(media)
        core = results_render.standard(expected, results_render.ResultFormat.TSV).encode()
        if media == "text/csv":  # values only: compared with the core's values
            got = list(csv.reader(io.StringIO(response.text)))
            assert got[0] == list(expected.columns), definition.id
            want = [
                ["" if t is None else f"_:{t.value}" if t.kind.value == "bnode" else t.value for t in row]
                for row in expected.rows
            ]
            assert got[1:] == want, definition.id
        else:
            formats = {
                "application/sparql-results+json": pyoxigraph.QueryResultsFormat.JSON,
                "application/sparql-results+xml": pyoxigraph.QueryResultsFormat.XML,
                "text/tab-separated-values": pyoxigraph.QueryResultsFormat.TSV,
            }
            got_rows = _solutions(response.content, formats[media])
            assert got_rows == _solutions(core, pyoxigraph.QueryResultsFormat.TSV), definition.id
        with_lists += bool(definition.lists) and any(
            row[expected.columns.index(column)] is not None and "|" in row[expected.columns.index(column)].value  # type: ignore[union-attr]
            for row in expected.rows
            for column in definition.lists
        )
    assert with_lists >= 3  # lists of several members were compared, not only empty ones


def test_health_and_openapi(client: TestClient) -> None:
    assert client.get("/healthz").json()["graphs"] == 8
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/sparql", "/update", "/store", "/v1/gaps", "/v1/validate", "/v1/queries"} <= set(paths)


def test_a_carriage_return_cannot_smuggle_service_over_http(client: TestClient) -> None:
    query = "ASK { # \r SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o }\n}"
    response = client.post("/sparql", content=query, headers={"Content-Type": "application/sparql-query"})
    assert response.status_code == 400
    assert "SERVICE" in response.json()["detail"]
    assert "allow-service" not in response.json()["detail"]  # a flag of the command line, not of the service


def test_a_runaway_query_is_stopped_and_the_service_goes_on(tmp_path: Path) -> None:
    with _client(tmp_path, query_timeout=1) as limited:
        endless = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
        started = time.monotonic()
        response = limited.get("/sparql", params={"query": endless})
        assert response.status_code == 503
        assert "ran longer than 1 s and was stopped" in response.json()["detail"]
        assert time.monotonic() - started < 10
        assert _count(limited) == 8  # a fresh worker answers the next query


def test_queries_see_writes_made_after_the_workers_started(client: TestClient) -> None:
    assert _count(client) == 8
    key = {"X-API-Key": WRITE_KEY, "Content-Type": "application/sparql-update"}
    system = "<https://e.example/s> a <https://w3id.org/aimsgraph/ns#AISystem>"
    assert client.post("/update", content=f"INSERT DATA {{ {system} }}", headers=key).status_code == 204
    assert _count(client) == 9


def test_a_result_over_the_row_limit_is_refused_not_cut(tmp_path: Path) -> None:
    with _client(tmp_path, max_rows=5) as limited:
        response = limited.get("/sparql", params={"query": "SELECT * WHERE { ?s ?p ?o }"})
        assert response.status_code == 400
        assert "more than 5 rows" in response.json()["detail"]
        construct = limited.get("/sparql", params={"query": "CONSTRUCT WHERE { ?s ?p ?o }"})
        assert construct.status_code == 400
        small = limited.get(
            "/sparql", params={"query": "SELECT * WHERE { ?s ?p ?o } LIMIT 5"}, headers={"Accept": "text/csv"}
        )
        assert small.status_code == 200
        assert len(small.text.strip().splitlines()) == 6


def test_report_pages_over_http(client: TestClient) -> None:
    page = client.get("/v1/reports/index.html", params={"as_of": "2026-11-26"})
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "(33 of 36)" in page.text
    assert client.get("/v1/reports/soa.html", params={"as_of": "2026-11-26"}).status_code == 200
    assert client.get("/v1/reports/nothing.html").status_code == 404
    assert "v1/reports/index.html" in client.get("/").text
    soa = client.get("/v1/reports/soa.csv", params={"as_of": "2026-11-26"})
    assert soa.headers["content-type"].startswith("text/csv") and soa.text.startswith("Control,Title,")
    workbook = client.get("/v1/reports/aims-report.xlsx", params={"as_of": "2026-11-26"})
    assert workbook.headers["content-type"].endswith("spreadsheetml.sheet") and workbook.content[:2] == b"PK"
    pdf = client.get("/v1/reports/aims-report.pdf", params={"as_of": "2026-11-26"})
    assert pdf.headers["content-type"] == "application/pdf" and pdf.content.startswith(b"%PDF-")


def test_as_of_is_a_calendar_date(client: TestClient) -> None:
    # FastAPI's own date parameter would read "0" as a Unix time, 1970-01-01.
    assert client.get("/v1/gaps", params={"as_of": "0"}).status_code == 422
    impossible = client.get("/v1/gaps", params={"as_of": "2026-02-30"})
    assert impossible.status_code == 400 and "not a calendar date" in impossible.json()["detail"]


def test_a_405_names_every_method_the_path_allows(client: TestClient) -> None:
    # Starlette named only the first matching route's methods: GET for /sparql, which takes POST too.
    response = client.options("/sparql")
    assert response.status_code == 405 and response.headers["allow"] == "GET, HEAD, POST"
