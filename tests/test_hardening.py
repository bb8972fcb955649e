"""Untrusted RDF and SPARQL never reach the network, never crash the service (issue 9).

A canary HTTP server on loopback records every request it gets; each hostile query, upload or
shape that names it must leave it untouched. The crafted documents that crash or exhaust the
parsers under us are refused before any parser sees them, with a clear message, and a real
service process is still answering afterwards.
"""

from __future__ import annotations

import gc
import http.server
import json
import multiprocessing
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pytest
import rdflib
from fastapi.testclient import TestClient
from rdflib import Graph
from rdflib.namespace import RDFS
from rdflib.plugins import sparql as rdflib_sparql
from typer.testing import CliRunner

from aimsgraph import analysis_worker, integrity, limits, load
from aimsgraph.api import create_app
from aimsgraph.cli import app
from aimsgraph.errors import ShapesError
from aimsgraph.model import Inference
from aimsgraph.settings import Scope, Settings
from aimsgraph.store import EmbeddedStore
from aimsgraph.validate import bundled_knowledge, bundled_knowledge_quads, validate
from tests.conftest import EXAMPLE_AS_OF, FIXTURES
from tests.servers import running

HOSTILE = FIXTURES / "hostile"
WRITE_KEY = "hardening-write-key-0123456789"


def deep_jsonld(depth: int) -> bytes:
    """JSON-LD nested ``depth`` objects deep (pyoxigraph crashed the process at about 5,000)."""
    return ('{"@id": "https://hostile.example/a", "https://hostile.example/p": ' * depth + '"v"' + "}" * depth).encode()


def deep_rdfxml(depth: int) -> bytes:
    """RDF/XML with property elements nested ``depth`` deep (pyoxigraph crashed at 100,000)."""
    rdf = 'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:x="https://hostile.example/"'
    return (
        f'<rdf:RDF {rdf}><rdf:Description rdf:about="https://hostile.example/a">'
        + "<x:p><rdf:Description>" * depth
        + "</rdf:Description></x:p>" * depth
        + "</rdf:Description></rdf:RDF>"
    ).encode()


def deep_query(depth: int) -> str:
    """A query of ``depth`` nested groups (pyoxigraph crashed at 5,000)."""
    return "SELECT * WHERE " + "{ " * depth + "?s ?p ?o" + " }" * depth


class _Canary(http.server.BaseHTTPRequestHandler):
    hits: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        self.hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "text/turtle")
        self.end_headers()
        self.wfile.write(b"<https://canary.example/s> <https://canary.example/p> <https://canary.example/o> .\n")

    do_POST = do_GET  # noqa: N815

    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture
def canary() -> Iterator[str]:
    """The base URL of a loopback server that records whoever calls it; the test ends with it untouched."""
    _Canary.hits = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Canary)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
        assert _Canary.hits == [], "something reached the network"
    finally:
        server.shutdown()


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    settings = Settings(api_keys={WRITE_KEY: Scope.WRITE}, query_workers=1)
    with TestClient(create_app(settings, EmbeddedStore(tmp_path / "store", bundled_knowledge_quads()))) as test:
        yield test


def test_the_canary_would_notice(canary: str) -> None:
    # Proof that the fixture works: rdflib fetches a FROM graph (of a dataset) when loading is on.
    rdflib_sparql.SPARQL_LOAD_GRAPHS = True
    try:
        rdflib.Dataset().query(f"SELECT * FROM <{canary}/probe> WHERE {{ ?s ?p ?o }}")
        assert _Canary.hits == ["/probe"]
    finally:
        rdflib_sparql.SPARQL_LOAD_GRAPHS = False
        _Canary.hits.clear()


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * WHERE {{ SERVICE <{canary}/sparql> {{ ?s ?p ?o }} }}",
        "SELECT * WHERE {{ \\u0053ERVICE <{canary}/sparql> {{ ?s ?p ?o }} }}",
        "SELECT * WHERE {{ # \r SERVICE <{canary}/sparql> {{ ?s ?p ?o }}\n}}",
    ],
)
def test_a_query_never_calls_a_service(client: TestClient, canary: str, query: str) -> None:
    response = client.post("/sparql", data={"query": query.format(canary=canary)})
    assert response.status_code == 400 and "SERVICE" in response.json()["detail"]


@pytest.mark.parametrize("clause", ["FROM", "FROM NAMED"])
def test_a_dataset_clause_selects_stored_graphs_and_fetches_nothing(
    client: TestClient, canary: str, clause: str
) -> None:
    # FROM and FROM NAMED pick graphs of the store (SPARQL 1.1 Protocol); Oxigraph never fetches them.
    query = f"SELECT * {clause} <{canary}/graph> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}"
    response = client.post("/sparql", data={"query": query}, headers={"Accept": "application/sparql-results+json"})
    assert response.status_code == 200 and response.json()["results"]["bindings"] == []


def test_an_update_never_loads(client: TestClient, canary: str) -> None:
    response = client.post(
        "/update", data={"update": f"LOAD <{canary}/data.ttl>"}, headers={"Authorization": f"Bearer {WRITE_KEY}"}
    )
    assert response.status_code == 400 and "LOAD" in response.json()["detail"]


def test_rdflib_never_loads_from_graphs(canary: str) -> None:
    # Whatever reaches rdflib's engine (pySHACL's constraints, the parity runner) fetches nothing.
    rdflib.Dataset().query(f"SELECT * FROM <{canary}/a> FROM NAMED <{canary}/b> WHERE {{ ?s ?p ?o }}")


def test_user_shapes_never_reach_out(tmp_path: Path, canary: str) -> None:
    for clause in (f"FROM <{canary}/g>", ""):
        service = "" if clause else f"SERVICE <{canary}/sparql> {{ ?x ?y ?z }}"
        shapes = tmp_path / "shapes.ttl"
        shapes.write_text(
            "@prefix sh: <http://www.w3.org/ns/shacl#> .\n"
            "<https://user.example/S> a sh:NodeShape ; sh:targetNode <https://user.example/n> ;\n"
            f'  sh:sparql [ sh:select """SELECT $this {clause} WHERE {{ $this ?p ?o . {service} }}""" ] .\n'
        )
        data = tmp_path / "data.ttl"
        data.write_text("<https://user.example/n> <https://user.example/p> 1 .\n")
        with pytest.raises(ShapesError, match="refused"):
            validate([str(data)], as_of=EXAMPLE_AS_OF, shapes=[str(shapes)])


def test_jsonld_contexts_are_never_fetched(client: TestClient, canary: str) -> None:
    for context in (f"{canary}/context.jsonld", "file:///etc/passwd"):
        document = f'{{"@context": "{context}", "@id": "https://e.example/a", "name": "x"}}'
        response = client.post(
            "/v1/validate", content=document.encode(), headers={"Content-Type": "application/ld+json"}
        )
        assert response.status_code == 400
        assert "root:" not in response.text  # an error never echoes another file's content


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("billion-laughs.rdf", (HOSTILE / "billion-laughs.rdf").read_bytes(), "ENTITY"),
        ("entities-utf16.rdf", (HOSTILE / "entities-utf16.rdf").read_bytes(), "ENTITY"),
        ("deep.jsonld", deep_jsonld(5_000), "nests elements 5000 deep"),
        ("deep.rdf", deep_rdfxml(100_000), "nests elements 200002 deep"),  # two elements a level
    ],
)
def test_the_cli_refuses_what_would_blow_up_a_parser(tmp_path: Path, name: str, content: bytes, message: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    result = CliRunner().invoke(app, ["validate", str(path)])
    assert result.exit_code == 2 and message in result.stderr and name in result.stderr


def test_the_service_refuses_them_and_stays_up(tmp_path: Path) -> None:
    hostile = [
        ("application/rdf+xml", (HOSTILE / "billion-laughs.rdf").read_bytes()),
        ("application/rdf+xml", (HOSTILE / "entities-utf16.rdf").read_bytes()),
        ("application/ld+json", deep_jsonld(5_000)),
        ("application/rdf+xml", deep_rdfxml(100_000)),
    ]
    aimsgraph = str(Path(sys.executable).parent / "aimsgraph")

    def command(port: int) -> list[str]:
        return [aimsgraph, "serve", "--data-dir", str(tmp_path / "store"), "--port", str(port)]

    import httpx  # noqa: PLC0415

    with running(command, "/healthz", env={"AIMSGRAPH_API_KEYS": f"{WRITE_KEY}=write"}) as base:
        for media, body in hostile:
            for method, path in (("POST", "/v1/validate"), ("PUT", "/store?graph=urn:x:hostile")):
                headers = {"Content-Type": media, "Authorization": f"Bearer {WRITE_KEY}"}
                response = httpx.request(method, base + path, content=body, headers=headers, timeout=30)
                assert response.status_code == 400, (path, response.text[:200])
        for query in (deep_query(5_000), "SELECT * WHERE { ?s ?p ?o } #" + "x" * (limits.MAX_QUERY_LENGTH + 1)):
            response = httpx.post(base + "/sparql", data={"query": query}, timeout=30)
            assert response.status_code == 400 and "limit" in response.json()["detail"]
        assert httpx.get(base + "/healthz", timeout=5).json()["status"] == "ok"


def test_an_rdflib_plugin_stops_the_service_and_validation(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setitem(rdflib_sparql.CUSTOM_EVALS, "snooper", lambda *_: NotImplemented)
    with pytest.raises(ShapesError, match="snooper"):
        create_app(Settings(), EmbeddedStore(tmp_path / "store", bundled_knowledge_quads()))
    data = tmp_path / "data.ttl"
    data.write_text("<https://user.example/n> <https://user.example/p> 1 .\n")
    with pytest.raises(ShapesError, match="snooper"):
        validate([str(data)], as_of=EXAMPLE_AS_OF)


def test_documents_within_the_limits_still_parse(tmp_path: Path) -> None:
    for name, content in (
        ("ok.jsonld", deep_jsonld(limits.MAX_DOCUMENT_DEPTH)),
        ("ok.rdf", deep_rdfxml(limits.MAX_DOCUMENT_DEPTH // 2 - 1)),
    ):
        path = tmp_path / name
        path.write_bytes(content)
        result = CliRunner().invoke(app, ["validate", str(path), "--fail-on", "never"])
        assert result.exit_code == 0, result.stderr
    for depth, answer in ((limits.MAX_QUERY_DEPTH, 0), (limits.MAX_QUERY_DEPTH + 1, 2)):
        query = tmp_path / "nested.rq"
        query.write_text(deep_query(depth))
        result = CliRunner().invoke(app, ["query", str(query), str(tmp_path / "ok.jsonld"), "--format", "csv"])
        assert result.exit_code == answer, result.stderr
    assert f"nests groups or brackets {limits.MAX_QUERY_DEPTH + 1} deep" in result.stderr


FORGE_DATA = """@prefix aims: <https://w3id.org/aimsgraph/ns#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix ex: <https://forge.example/> .
ex:sys a aims:AISystem ; aims:accountableOwner ex:bot .
ex:bot a ex:Bot .
"""
FORGE_AXIOM = """@prefix aims: <https://w3id.org/aimsgraph/ns#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix ex: <https://forge.example/> .
ex:Bot rdfs:subClassOf aims:Person .
"""


def _owner_findings(paths: list[str], **options: object) -> tuple[set[str], set[str]]:
    report = validate(paths, as_of=EXAMPLE_AS_OF, **options)  # type: ignore[arg-type]
    active = [f for f in report.findings if f.suppressed is None]
    return (
        {f.focus_node for f in active if f.rule == "AISystemAccountableOwner"},
        {f.focus_node for f in active if f.rule == "DataRedefinesTerms"},
    )


def test_an_axiom_in_the_data_cannot_forge_a_pass(tmp_path: Path) -> None:
    data, axiom = tmp_path / "data.ttl", tmp_path / "axiom.ttl"
    data.write_text(FORGE_DATA)
    axiom.write_text(FORGE_AXIOM)
    assert _owner_findings([str(data)]) == ({"https://forge.example/sys"}, set())
    # the same axiom slipped into the data changes nothing and is itself reported
    assert _owner_findings([str(data), str(axiom)]) == ({"https://forge.example/sys"}, {"https://forge.example/Bot"})
    # passed on purpose as an extension, it is honoured
    assert _owner_findings([str(data)], extensions=[str(axiom)]) == (set(), set())


def test_no_waiver_or_baseline_hides_a_redefinition(tmp_path: Path) -> None:
    data, axiom, waiver = tmp_path / "data.ttl", tmp_path / "axiom.ttl", tmp_path / "waiver.ttl"
    data.write_text(FORGE_DATA)
    axiom.write_text(FORGE_AXIOM)
    waiver.write_text(
        "@prefix aims: <https://w3id.org/aimsgraph/ns#> .\n@prefix aimsh: <https://w3id.org/aimsgraph/shapes#> .\n"
        "@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n@prefix ex: <https://forge.example/> .\n"
        "ex:w a aims:Waiver ; aims:waivesRule aimsh:DataRedefinesTerms ; aims:waivedFocus ex:Bot ;\n"
        '  aims:justification "Trust us, this is fine." ; aims:approvedBy ex:bot ;\n'
        '  aims:validUntil "2099-01-01"^^xsd:date .\n'
    )
    paths = [str(data), str(axiom), str(waiver)]
    assert _owner_findings(paths)[1] == {"https://forge.example/Bot"}
    baseline = tmp_path / "baseline.json"
    runner = CliRunner()
    runner.invoke(app, ["validate", *paths, "--as-of", EXAMPLE_AS_OF.isoformat(), "--create-baseline", str(baseline)])
    result = runner.invoke(app, ["validate", *paths, "--as-of", EXAMPLE_AS_OF.isoformat(), "--baseline", str(baseline)])
    assert result.exit_code == 1 and "DataRedefinesTerms" in result.stdout


def test_every_analysis_has_a_deadline_and_the_service_carries_on(tmp_path: Path) -> None:
    # owlrl spent 204 s on a 401-triple transitive chain; neither it nor pySHACL can be interrupted,
    # so the service runs them in a worker it kills at AIMSGRAPH_ANALYSIS_TIMEOUT.
    chain = "".join(
        f"<https://hostile.example/n{i}> <https://hostile.example/p> <https://hostile.example/n{i + 1}> .\n"
        for i in range(400)
    )
    chain += "<https://hostile.example/p> a <http://www.w3.org/2002/07/owl#TransitiveProperty> .\n"
    aimsgraph = str(Path(sys.executable).parent / "aimsgraph")

    def command(port: int) -> list[str]:
        return [aimsgraph, "serve", "--data-dir", str(tmp_path / "store"), "--port", str(port)]

    import httpx  # noqa: PLC0415

    settings = {"AIMSGRAPH_INFERENCE": "owlrl", "AIMSGRAPH_ANALYSIS_TIMEOUT": "4"}
    with running(command, "/healthz", env=settings) as base:
        upload = {"Content-Type": "text/turtle"}
        slow = httpx.post(base + "/v1/validate", content=chain.encode(), headers=upload, timeout=60)
        assert slow.status_code == 503 and "longer than 4 s" in slow.json()["detail"], slow.text[:300]
        assert httpx.get(base + "/healthz", timeout=5).json()["status"] == "ok"
        small = "<https://ok.example/s> <https://ok.example/p> 1 .\n"
        quick = httpx.post(base + "/v1/validate", content=small.encode(), headers=upload, timeout=60)
        assert quick.status_code == 200 and quick.json()["triples"] == 1


def test_a_hung_store_cannot_hang_the_client() -> None:
    # A server that accepts the connection and never answers: rdflib's SPARQLStore ignored its
    # timeout on one such; ours stops at the limit with a clear error.
    import socket  # noqa: PLC0415
    import time  # noqa: PLC0415

    from aimsgraph.errors import QueryTimeoutError  # noqa: PLC0415
    from aimsgraph.remote_store import Endpoints, RemoteStore  # noqa: PLC0415

    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        base = f"http://127.0.0.1:{listener.getsockname()[1]}"
        started = time.monotonic()
        with pytest.raises(QueryTimeoutError, match="did not answer"):
            RemoteStore(Endpoints.from_base(base), [], timeout=1).graphs()
        assert time.monotonic() - started < 10


def test_the_report_escapes_what_the_data_says_and_links_nothing_from_it(tmp_path: Path) -> None:
    from aimsgraph import load, report  # noqa: PLC0415

    data = tmp_path / "data.ttl"
    data.write_text(
        "@prefix aims: <https://w3id.org/aimsgraph/ns#> .\n@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
        '<https://x.example/s> a aims:AISystem ; rdfs:label "<script>alert(1)</script>" .\n'
        "<https://x.example/e> a aims:Evidence ; aims:supports <https://x.example/s> ;\n"
        '    aims:location "javascript:alert(1)" ;\n'
        '    rdfs:label "<img src=x onerror=alert(1)>" .\n'
    )
    for file in report.build(load.load(load.collect([str(data)])), as_of=EXAMPLE_AS_OF):
        if file.name.endswith(".html"):
            assert "<script>" not in str(file.body) and "<img" not in str(file.body), file.name
            assert "javascript:" not in str(file.body), file.name
        if file.name == report.OSCAL_NAME:
            assert '"href": "javascript:' not in str(file.body)


@pytest.mark.parametrize(
    "update",
    [
        "DROP ALL",
        "CLEAR NAMED",
        "DELETE WHERE { GRAPH ?g { ?s ?p ?o } }",
        "DROP GRAPH <urn:aimsgraph:graph:knowledge>",
        # a prefixed name hides the reserved graph from a look at the text
        "PREFIX a: <urn:aimsgraph:> DELETE WHERE { GRAPH a:graph:knowledge { ?s ?p ?o } }",
        "PREFIX a: <urn:aimsgraph:> INSERT DATA { GRAPH a:graph:history { <https://x.example/s> a a:x } }",
    ],
)
def test_an_update_cannot_reach_the_catalogue_or_the_log(client: TestClient, update: str) -> None:
    # DROP ALL would have wiped the bundled catalogue: every requirement would then be unknown.
    response = client.post("/update", data={"update": update}, headers={"Authorization": f"Bearer {WRITE_KEY}"})
    assert response.status_code == 400 and "not allowed" in response.json()["detail"]
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?c a <https://w3id.org/aimsgraph/ns#ReferenceControl> }"
    answer = client.get("/sparql", params={"query": count}, headers={"Accept": "application/sparql-results+json"})
    assert answer.json()["results"]["bindings"][0]["n"]["value"] == "38"


def test_only_allow_listed_json_ld_contexts_resolve_and_locally(client: TestClient, canary: str) -> None:
    from aimsgraph.jsonld import CONTEXT_URL  # noqa: PLC0415

    document = {
        "@context": [CONTEXT_URL, {"ex": "https://json.example/"}],
        "@id": "ex:evidence",
        "@type": "Evidence",
        "collectedOn": "2026-05-01",
        "supports": "ex:control",
    }
    upload = {"Content-Type": "application/ld+json"}
    response = client.post("/v1/validate", content=json.dumps(document).encode(), headers=upload)
    assert response.status_code == 200, response.text
    # the context typed the date: no finding about aims:collectedOn being the wrong kind of value
    assert not any(f["rule"] == "EvidenceCollectedOn" for f in response.json()["findings"])
    document["@context"] = [CONTEXT_URL, f"{canary}/context.jsonld"]
    refused = client.post("/v1/validate", content=json.dumps(document).encode(), headers=upload)
    assert refused.status_code == 400


def test_the_depth_scanners_are_not_fooled() -> None:
    # '>' inside a quoted attribute value once made every element look self-closing
    tricky = b"<rdf:RDF>" + b'<x:p xmlns:z="/>">' * 300 + b"</x:p>" * 300 + b"</rdf:RDF>"
    assert limits.xml_depth(tricky) == 301
    # unterminated strings, comments and tags end at the end of the input, in one pass
    assert limits.json_depth(b'"' + b'\\"' * 100_000) == 0
    assert limits.xml_depth(b"<" * 100_000) == 1
    assert limits.query_depth('"' + '\\"' * 100_000) == 0


AIMS = "https://w3id.org/aimsgraph/ns#"
INDIRECT_FORGERIES = {
    # a subproperty of rdfs:subClassOf: under RDFS, ex:Bot becomes a subclass of aims:Person
    "subproperty": (Inference.RDFS, "ex:sc rdfs:subPropertyOf rdfs:subClassOf .\nex:Bot ex:sc aims:Person .\n"),
    # an intersection naming one of our classes: under OWL RL, ex:Bot becomes a subclass of it
    "intersection": (Inference.OWLRL, "ex:Bot owl:intersectionOf ( aims:Person ) .\n"),
}


@pytest.mark.parametrize("forgery", INDIRECT_FORGERIES, ids=str)
def test_an_axiom_cannot_forge_a_pass_through_inference(tmp_path: Path, forgery: str) -> None:
    inference, axiom = INDIRECT_FORGERIES[forgery]
    data = tmp_path / "data.ttl"
    data.write_text(FORGE_DATA + "@prefix owl: <http://www.w3.org/2002/07/owl#> .\n" + axiom)
    report = validate([str(data)], as_of=EXAMPLE_AS_OF, inference=inference)
    active = [f for f in report.findings if f.suppressed is None]
    assert "https://forge.example/sys" in {f.focus_node for f in active if f.rule == "AISystemAccountableOwner"}
    forged = [f for f in active if f.rule == "DataRedefinesTerms"]
    assert {(f.focus_node, f.path) for f in forged} == {("https://forge.example/Bot", f"<{RDFS.subClassOf}>")}
    assert {f.value.value for f in forged if f.value} == {AIMS + "Person", AIMS + "Actor"}
    assert "entail" in forged[0].message
    # the gap report's queries see the same data as the shapes: ex:bot is no aims:Person there either
    store = load.oxigraph_store(list(load.to_quads(_closed_for_queries(data, inference))))
    assert not store.query("ASK { <https://forge.example/bot> a <https://w3id.org/aimsgraph/ns#Person> }"), (
        "the closure the queries run on still holds the forged type"
    )


def _closed_for_queries(data: Path, inference: Inference) -> Graph:
    loaded = load.load(load.collect([str(data)]))
    untrusted = load.from_quads(integrity.without(loaded.quads, integrity.redefinitions(loaded.quads)), sources=())
    closed, forged = integrity.entail(untrusted.graph, bundled_knowledge(), inference)
    assert forged
    return closed


def test_vocabulary_that_never_reaches_our_terms_is_not_reported(tmp_path: Path) -> None:
    data = tmp_path / "data.ttl"
    data.write_text(
        FORGE_DATA + "ex:Bot rdfs:subClassOf ex:Machine .\nex:sys2 a aims:AISystem ; aims:accountableOwner ex:bot .\n"
    )
    report = validate([str(data)], as_of=EXAMPLE_AS_OF, inference=Inference.RDFS)
    assert not [f for f in report.findings if f.rule == "DataRedefinesTerms"]


def test_a_property_chain_cannot_make_a_made_up_control_exist_under_owl_rl(tmp_path: Path) -> None:
    """A chain through an inverse entails that iso42001:A.6.6 (no such control) is an
    aims:Requirement; the entailment about a catalogue term is caught and set aside."""
    data = tmp_path / "data.ttl"
    data.write_text(
        "@prefix ex: <http://ex.org/> .\n@prefix aims: <https://w3id.org/aimsgraph/ns#> .\n"
        "@prefix iso42001: <https://w3id.org/aimsgraph/iso-iec-42001-2023/> .\n"
        "@prefix owl: <http://www.w3.org/2002/07/owl#> .\n"
        "@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .\n"
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
        "ex:ic a aims:ImplementedControl ; aims:implementsRequirement iso42001:A.6.6 .\n"
        "ex:a owl:inverseOf ex:c .\nex:isa owl:propertyChainAxiom ( ex:a ex:b ) ; rdfs:subPropertyOf rdf:type .\n"
        "ex:y ex:c iso42001:A.6.6 ; ex:b aims:Requirement .\n"
    )
    report = validate([str(data)], as_of=EXAMPLE_AS_OF, inference=Inference.OWLRL)
    rules = {(f.rule, f.focus_node) for f in report.findings}
    assert ("KnownRequirement", "http://ex.org/ic") in rules
    assert ("DataRedefinesTerms", "https://w3id.org/aimsgraph/iso-iec-42001-2023/A.6.6") in rules


def test_a_worker_whose_warm_up_fails_still_answers_its_jobs(monkeypatch: pytest.MonkeyPatch) -> None:
    # the warm-up is a courtesy: failing, it leaves the failure to the first job and the worker alive
    calls: list[object] = []

    def failing_once(data: object, **_: object) -> object:
        calls.append(data)
        if len(calls) == 1:
            raise RuntimeError("broken on the first call")
        return "answered"

    monkeypatch.setattr(analysis_worker, "gaps_loaded", failing_once)
    parent, child = multiprocessing.Pipe()
    worker = threading.Thread(target=analysis_worker.serve_analysis, args=(child,), daemon=True)
    worker.start()
    parent.send(("", "validate-upload", {"as_of": "2026-11-26", "content": b"", "format": "turtle"}))
    assert parent.poll(60), "the worker answered nothing"
    assert parent.recv()[0] in ("ok", "error")
    parent.close()
    worker.join(10)
    assert len(calls) == 1 and not worker.is_alive()


def test_the_collector_runs_again_after_pauses_that_overlap_on_threads() -> None:
    # a pause read "was it running?" while another thread's pause held it stopped, and then left
    # it stopped for good when it ended last
    switching = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:

        def pause_often() -> None:
            for _ in range(5000):
                with load.collection_paused():
                    pass

        for _ in range(5):
            threads = [threading.Thread(target=pause_often) for _ in range(4)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            assert gc.isenabled()
    finally:
        sys.setswitchinterval(switching)
        gc.enable()
