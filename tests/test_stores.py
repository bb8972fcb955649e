"""Both stores behind one interface: the embedded Oxigraph store and a remote SPARQL server (a
real `oxigraph serve` on loopback, started and stopped by these tests)."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph
import pytest
from fastapi.testclient import TestClient

from aimsgraph import load
from aimsgraph.api import create_app
from aimsgraph.errors import UsageError
from aimsgraph.gaps import gaps, gaps_loaded
from aimsgraph.remote_store import Endpoints, RemoteStore
from aimsgraph.settings import Settings
from aimsgraph.store import EmbeddedStore, GraphStore, QueryRequest
from aimsgraph.validate import bundled_knowledge_quads
from tests.conftest import EXAMPLE_AS_OF, EXAMPLES
from tests.servers import running

OXIGRAPH = str(Path(sys.executable).parent / "oxigraph")
GRAPH = "https://e.example/graph"


@pytest.fixture(scope="module")
def oxigraph_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    location = tmp_path_factory.mktemp("oxigraph-server")

    def command(port: int) -> list[str]:
        return [OXIGRAPH, "serve", "--location", str(location), "--bind", f"127.0.0.1:{port}"]

    with running(command, "/query?query=ASK%7B%7D") as base:
        yield base


@pytest.fixture(params=["embedded", "remote"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[GraphStore]:
    if request.param == "embedded":
        yield EmbeddedStore(tmp_path / "store", bundled_knowledge_quads())
        return
    base = request.getfixturevalue("oxigraph_server")
    remote = RemoteStore(Endpoints.from_base(base), bundled_knowledge_quads())
    yield remote
    for info in remote.graphs():
        remote.drop_graph(info.iri)


def _triple(value: str) -> pyoxigraph.Quad:
    return pyoxigraph.Quad(
        pyoxigraph.NamedNode("https://e.example/s"),
        pyoxigraph.NamedNode("https://e.example/p"),
        pyoxigraph.Literal(value),
    )


def _count(store: GraphStore, text: str) -> int:
    body = store.answer(QueryRequest(text, (), (), False, "JSON", 0))
    return int(json.loads(body)["results"]["bindings"][0]["n"]["value"])


def test_graphs_are_replaced_added_to_and_dropped(store: GraphStore) -> None:
    assert store.replace_graph(GRAPH, [_triple("1"), _triple("2")]) == 2
    assert store.replace_graph(GRAPH, [_triple("3")]) == 1
    assert store.add_to_graph(GRAPH, [_triple("4")]) == 1
    assert sorted(q.object.value for q in store.graph_quads(GRAPH)) == ["3", "4"]  # type: ignore[union-attr]
    assert [(info.iri, info.triples) for info in store.graphs()] == [(GRAPH, 2)]
    assert store.has_graph(GRAPH)
    assert store.drop_graph(GRAPH) is True
    assert store.drop_graph(GRAPH) is False
    assert not store.has_graph(GRAPH)


def test_a_graph_replaced_by_nothing_exists_empty(store: GraphStore) -> None:
    assert store.replace_graph(GRAPH, []) == 0
    assert store.has_graph(GRAPH) and store.graph_quads(GRAPH) == []
    assert [(info.iri, info.triples) for info in store.graphs()] == [(GRAPH, 0)]
    assert store.drop_graph(GRAPH) is True and not store.has_graph(GRAPH)


def test_the_default_graph_read_is_the_union_queries_see(store: GraphStore) -> None:
    store.replace_graph(GRAPH, [_triple("1")])
    union = store.graph_quads(None)
    assert _triple("1").triple in {q.triple for q in union}
    assert len(union) == _count(store, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")


def test_queries_see_data_and_catalogue_as_one_default_graph(store: GraphStore) -> None:
    for source in load.collect([str(EXAMPLES / "kestrel")]):
        store.replace_graph(source.base_iri, load.parse_quads(source))
    systems = "SELECT (COUNT(*) AS ?n) WHERE { ?s a <https://w3id.org/aimsgraph/ns#AISystem> }"
    controls = "SELECT (COUNT(*) AS ?n) WHERE { ?c a <https://w3id.org/aimsgraph/ns#ReferenceControl> }"
    assert _count(store, systems) == 8
    assert _count(store, controls) == 38
    system = "<https://e.example/x> a <https://w3id.org/aimsgraph/ns#AISystem>"
    store.update(f"INSERT DATA {{ GRAPH <https://e.example/more> {{ {system} }} }}")
    assert _count(store, systems) == 9
    store.drop_graph("https://e.example/more")
    assert len(store.data().graph) == len(load.load(load.collect([str(EXAMPLES / "kestrel")])).graph)


def test_the_gap_report_is_the_same_from_either_store(store: GraphStore) -> None:
    for source in load.collect([str(EXAMPLES / "kestrel")]):
        store.replace_graph(source.base_iri, load.parse_quads(source))
    stored = gaps_loaded(store.data(), as_of=EXAMPLE_AS_OF)
    from_files = gaps([str(EXAMPLES / "kestrel")], as_of=EXAMPLE_AS_OF)
    assert [(c.requirement.notation, c.status) for c in stored.coverage] == [
        (c.requirement.notation, c.status) for c in from_files.coverage
    ]


def test_reserved_graphs_cannot_be_written(store: GraphStore) -> None:
    with pytest.raises(UsageError, match="reserved"):
        store.replace_graph("urn:aimsgraph:graph:knowledge", [_triple("x")])


def test_the_api_serves_a_remote_store(oxigraph_server: str) -> None:
    remote = RemoteStore(Endpoints.from_base(oxigraph_server), bundled_knowledge_quads())
    for source in load.collect([str(EXAMPLES / "kestrel")]):
        remote.replace_graph(source.base_iri, load.parse_quads(source))
    try:
        with TestClient(create_app(Settings(), remote)) as client:
            query = "SELECT (COUNT(*) AS ?n) WHERE { ?s a <https://w3id.org/aimsgraph/ns#AISystem> }"
            response = client.get("/sparql", params={"query": query}, headers={"Accept": "text/csv"})
            assert response.status_code == 200
            assert response.text.splitlines()[1] == "8"
            gap_report = client.get("/v1/gaps", params={"as_of": "2026-11-26"}).json()
            assert gap_report["readiness"]["controls_with_current_evidence"] == 33
    finally:
        for info in remote.graphs():
            remote.drop_graph(info.iri)


def test_a_snapshot_being_read_is_not_pruned_however_many_writes_come(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path / "store", [])

    def write(round_number: int) -> None:
        triple = pyoxigraph.Quad(
            pyoxigraph.NamedNode("https://e.example/s"),
            pyoxigraph.NamedNode("https://e.example/round"),
            pyoxigraph.Literal(str(round_number)),
        )
        store.replace_graph(GRAPH, [triple], actor="test")

    write(1)
    with store.snapshot(1) as first:  # a worker is reading generation 1 ...
        for generation in range(2, 10):  # ... while more writes than snapshots kept come and go
            write(generation)
            with store.snapshot(generation):
                pass
        graph = pyoxigraph.NamedNode(GRAPH)
        rounds = {
            q.object.value for q in pyoxigraph.Store.read_only(str(first)).quads_for_pattern(None, None, None, graph)
        }
        assert rounds == {"1"}
        assert len(list(first.parent.iterdir())) == 5  # the newest four, and the one being read
    with store.snapshot(10):
        pass
    assert not first.exists() and len(list(first.parent.iterdir())) == 4
