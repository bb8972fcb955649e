"""The embedded store's change log (issue 9): every write is a new version, logged in the same
transaction with who, when and a content hash; the log is a hash chain that `aimsgraph history
--verify` checks, and it finds a record changed, removed, or data changed behind its back."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from aimsgraph import history, sparql
from aimsgraph.api import create_app
from aimsgraph.cli import app
from aimsgraph.settings import Scope, Settings
from aimsgraph.store import EmbeddedStore
from aimsgraph.validate import bundled_knowledge_quads
from tests.conftest import EXAMPLES

KEY = "history-write-key-0123456789"
GRAPH = "https://history.example/graph"
TURTLE = {"Content-Type": "text/turtle", "Authorization": f"Bearer {KEY}"}


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[TestClient, EmbeddedStore]]:
    store = EmbeddedStore(tmp_path / "store", bundled_knowledge_quads())
    with TestClient(create_app(Settings(api_keys={KEY: Scope.WRITE}, query_workers=1), store)) as client:
        yield client, store


def test_every_write_is_logged_with_who_when_and_what(served: tuple[TestClient, EmbeddedStore]) -> None:
    client, store = served
    body = "<https://history.example/s> <https://history.example/p> 1 .\n"
    assert client.put("/store", params={"graph": GRAPH}, content=body, headers=TURTLE).status_code == 201
    more = "<https://history.example/s> <https://history.example/p> 2 .\n"
    assert client.post("/store", params={"graph": GRAPH}, content=more, headers=TURTLE).status_code == 204
    update = f"INSERT DATA {{ GRAPH <{GRAPH}> {{ <https://history.example/s> <https://history.example/p> 3 }} }}"
    assert (
        client.post("/update", data={"update": update}, headers={"Authorization": f"Bearer {KEY}"}).status_code == 204
    )
    assert client.delete("/store", params={"graph": GRAPH}, headers=TURTLE).status_code == 204
    # the log is a graph of its own, readable by name, never part of the union
    activity = "<http://www.w3.org/ns/prov#Activity>"
    logged = f"SELECT (COUNT(?c) AS ?n) WHERE {{ GRAPH <urn:aimsgraph:graph:history> {{ ?c a {activity} }} }}"
    answer = client.get("/sparql", params={"query": logged}, headers={"Accept": "application/sparql-results+json"})
    assert answer.json()["results"]["bindings"][0]["n"]["value"] == "5"
    listed = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"
    graphs = client.get("/sparql", params={"query": listed}, headers={"Accept": "application/sparql-results+json"})
    assert not any("version" in b["g"]["value"] for b in graphs.json()["results"]["bindings"])
    records = history.read(store.oxigraph)
    assert [(r.operation, r.graph, r.triples) for r in records] == [
        ("replace", GRAPH, 1),
        ("add", GRAPH, 2),
        ("update", "", 0),
        ("updated", GRAPH, 3),  # what the update left in the graph it wrote
        ("drop", GRAPH, 0),
    ]
    assert {r.actor for r in records} == {"key:" + hashlib.sha256(KEY.encode()).hexdigest()[:16]}
    assert KEY not in json.dumps([r.__dict__ for r in records])  # never the key itself
    assert records[1].previous == records[0].record_hash
    # earlier versions are kept as they were written
    first = list(store.oxigraph.quads_for_pattern(None, None, None, pyoxigraph.NamedNode(records[0].version)))
    assert history.content_hash(first) == records[0].content_hash and len(first) == 1
    assert history.verify(store.oxigraph) == []


def _loaded_twice(directory: Path) -> CliRunner:
    """Load the example's risks into the store at ``directory`` twice (two logged writes)."""
    runner = CliRunner()
    for _ in range(2):
        result = runner.invoke(app, ["load", str(EXAMPLES / "kestrel" / "risks.ttl"), "--data-dir", str(directory)])
        assert result.exit_code == 0, result.stderr
    return runner


def test_verify_finds_a_changed_record_a_missing_one_and_data_changed_behind_the_log(tmp_path: Path) -> None:
    directory = tmp_path / "store"
    runner = _loaded_twice(directory)
    assert runner.invoke(app, ["history", "--data-dir", str(directory), "--verify"]).exit_code == 0
    listed = json.loads(runner.invoke(app, ["history", "--data-dir", str(directory), "--format", "json"]).stdout)
    assert [r["sequence"] for r in listed["records"]] == [1, 2] and listed["records"][0]["actor"].startswith("cli:")

    def tamper(edit: str) -> str:
        raw = pyoxigraph.Store(str(directory))
        raw.update(edit)
        raw.flush()
        del raw
        result = runner.invoke(app, ["history", "--data-dir", str(directory), "--verify"])
        assert result.exit_code == 1
        return result.stderr

    log = "urn:aimsgraph:graph:history"
    actor = "https://w3id.org/aimsgraph/ns#actor"
    err = tamper(
        f"DELETE {{ GRAPH <{log}> {{ <urn:aimsgraph:change:1> <{actor}> ?a }} }} "
        f'INSERT {{ GRAPH <{log}> {{ <urn:aimsgraph:change:1> <{actor}> "cli:someone-else" }} }} '
        f"WHERE {{ GRAPH <{log}> {{ <urn:aimsgraph:change:1> <{actor}> ?a }} }}"
    )
    assert "record 1: changed after it was written" in err
    risks = next(r["graph"] for r in listed["records"])
    err = tamper(f"INSERT DATA {{ GRAPH <{risks}> {{ <https://x.example/s> <https://x.example/p> 1 }} }}")
    assert f"graph <{risks}>: changed since record 2 without a record" in err
    err = tamper(f"DELETE WHERE {{ GRAPH <{log}> {{ <urn:aimsgraph:change:1> ?p ?o }} }}")
    assert "record 1: missing" in err


def test_the_service_gives_the_log_and_its_verification(served: tuple[TestClient, EmbeddedStore]) -> None:
    client, _ = served
    body = "<https://history.example/s> <https://history.example/p> 1 .\n"
    assert client.put("/store", params={"graph": GRAPH}, content=body, headers=TURTLE).status_code == 201
    answer = client.get("/v1/history", params={"verify": "true"}).json()
    assert answer["verified"] is True and answer["problems"] == []
    [record] = answer["records"]
    assert (record["operation"], record["graph"], record["triples"]) == ("replace", GRAPH, 1)
    assert record["actor"].startswith("key:") and KEY not in json.dumps(answer)
    assert answer["head"] == {"sequence": 1, "record_hash": record["record_hash"]}
    anchored = client.get("/v1/history", params={"verify": "true", "anchor": [record["record_hash"], "sha256:00"]})
    assert anchored.json()["problems"] == [
        "anchor sha256:00: not in the log (the log up to it was rewritten, or the anchor is another store's)"
    ]


def test_literals_the_store_writes_canonically_do_not_look_tampered(tmp_path: Path) -> None:
    data = tmp_path / "data.ttl"
    data.write_text(
        "@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n"
        '<https://x.example/s> <https://x.example/p> "1.50"^^xsd:decimal, "01"^^xsd:integer, "1"^^xsd:boolean .\n'
    )
    runner = CliRunner()
    assert runner.invoke(app, ["load", str(data), "--data-dir", str(tmp_path / "store")]).exit_code == 0
    result = runner.invoke(app, ["history", "--data-dir", str(tmp_path / "store"), "--verify"])
    assert result.exit_code == 0, result.stderr


def test_a_dataset_given_by_the_protocol_never_reaches_versions(served: tuple[TestClient, EmbeddedStore]) -> None:
    client, _ = served
    for value in (1, 2):
        body = f"<https://history.example/s> <https://history.example/p> {value} .\n"
        assert client.put("/store", params={"graph": GRAPH}, content=body, headers=TURTLE).status_code in (201, 204)
    query = "SELECT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"
    only_default = client.get(
        "/sparql",
        params={"query": query, "default-graph-uri": GRAPH},
        headers={"Accept": "application/sparql-results+json"},
    )
    assert only_default.json()["results"]["bindings"] == []  # no named graphs given: none
    named = client.get(
        "/sparql",
        params={"query": query, "named-graph-uri": GRAPH},
        headers={"Accept": "application/sparql-results+json"},
    )
    assert [b["g"]["value"] for b in named.json()["results"]["bindings"]] == [GRAPH]


@pytest.mark.parametrize(
    "update",
    [
        f"INSERT DATA {{ GRAPH <{GRAPH}> {{ <https://h.example/s> <https://h.example/p> 1 }} }} ; # done",
        f'INSERT DATA {{ GRAPH <{GRAPH}> {{ <https://h.example/s> <https://h.example/p> "a ; # b" }} }} # no ;',
    ],
)
def test_an_update_ending_in_a_comment_is_run_and_logged(served: tuple[TestClient, EmbeddedStore], update: str) -> None:
    client, store = served
    response = client.post("/update", data={"update": update}, headers={"Authorization": f"Bearer {KEY}"})
    assert response.status_code == 204, response.text
    records = history.read(store.oxigraph)
    assert [r.operation for r in records] == ["update", "updated"] and history.verify(store.oxigraph) == []


def test_verify_covers_the_prov_statements_and_the_update_text(served: tuple[TestClient, EmbeddedStore]) -> None:
    client, store = served
    update = f"INSERT DATA {{ GRAPH <{GRAPH}> {{ <https://h.example/s> <https://h.example/p> 1 }} }}"
    assert (
        client.post("/update", data={"update": update}, headers={"Authorization": f"Bearer {KEY}"}).status_code == 204
    )
    log, change = "urn:aimsgraph:graph:history", "urn:aimsgraph:change:1"
    for predicate, forged in (
        ("http://www.w3.org/ns/prov#wasAssociatedWith", '"cli:someone-else"'),
        ("https://w3id.org/aimsgraph/ns#updateText", '"INSERT DATA { }"'),
    ):
        store.oxigraph.update(
            f"DELETE {{ GRAPH <{log}> {{ <{change}> <{predicate}> ?v }} }} "
            f"INSERT {{ GRAPH <{log}> {{ <{change}> <{predicate}> {forged} }} }} "
            f"WHERE {{ GRAPH <{log}> {{ <{change}> <{predicate}> ?v }} }}"
        )
    problems = history.verify(store.oxigraph)
    assert "record 1: its statements were changed after it was written" in problems
    assert "record 1: the update text does not match its hash" in problems


def _write_update(client: TestClient, update: str) -> None:
    response = client.post("/update", data={"update": update}, headers={"Authorization": f"Bearer {KEY}"})
    assert response.status_code == 204, response.text


def test_verify_still_compares_every_graph_after_an_update(served: tuple[TestClient, EmbeddedStore]) -> None:
    client, store = served
    other = "https://history.example/other"
    for graph in (GRAPH, other):
        body = "<https://history.example/s> <https://history.example/p> 1 .\n"
        assert client.put("/store", params={"graph": graph}, content=body, headers=TURTLE).status_code == 201
    _write_update(
        client,
        f"DELETE DATA {{ GRAPH <{GRAPH}> {{ <https://history.example/s> <https://history.example/p> 1 }} }} ;"
        " INSERT DATA { <https://history.example/s> <https://history.example/p> 2 }",
    )
    written = {(r.graph, r.triples) for r in history.read(store.oxigraph) if r.operation == "updated"}
    assert written == {(GRAPH, 0), (history.DEFAULT_GRAPH, 1)}  # the graph it emptied, the default graph it wrote
    assert history.verify(store.oxigraph) == []
    # a graph the update did not write, the one it did, and the default graph: all still compared
    for graph, name in (
        (f"GRAPH <{other}>", f"graph <{other}>"),
        (f"GRAPH <{GRAPH}>", f"graph <{GRAPH}>"),
        ("", "the default graph"),
    ):
        triple = "<https://x.example/s> <https://x.example/p> 9"
        store.oxigraph.update(f"INSERT DATA {{ {graph} {{ {triple} }} }}" if graph else f"INSERT DATA {{ {triple} }}")
        assert any(p.startswith(f"{name}: changed since record") for p in history.verify(store.oxigraph)), name
        store.oxigraph.update(f"DELETE DATA {{ {graph} {{ {triple} }} }}" if graph else f"DELETE DATA {{ {triple} }}")
    assert history.verify(store.oxigraph) == []
    store.oxigraph.update(
        "INSERT DATA { GRAPH <https://x.example/new> { <https://x.example/s> <https://x.example/p> 1 } }"
    )
    assert "graph <https://x.example/new>: holds data that no record accounts for" in history.verify(store.oxigraph)


def test_an_update_cut_off_before_its_outcome_is_completed_on_reopening(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    directory = tmp_path / "store"
    store = EmbeddedStore(directory, bundled_knowledge_quads())
    with monkeypatch.context() as patched:  # the process stops between the two transactions
        patched.setattr(EmbeddedStore, "_record_updated", lambda *_args, **_kwargs: None)
        store.update(f"INSERT DATA {{ GRAPH <{GRAPH}> {{ <https://h.example/s> <https://h.example/p> 1 }} }}")
    assert [r.operation for r in history.read(store.oxigraph)] == ["update"]
    del store
    reopened = EmbeddedStore(directory, bundled_knowledge_quads())
    records = history.read(reopened.oxigraph)
    assert [(r.operation, r.graph, r.triples) for r in records] == [("update", "", 0), ("updated", GRAPH, 1)]
    assert history.verify(reopened.oxigraph) == []


@pytest.mark.parametrize(
    ("update", "written"),
    [
        (
            "WITH <http://e/w> DELETE { ?s ?p ?o } INSERT { GRAPH <http://e/g> { ?s ?p 1 } } WHERE { ?s ?p ?o }",
            {"http://e/w", "http://e/g"},
        ),
        ("INSERT { GRAPH <http://e/g> { ?s ?p 1 } } WHERE { ?s ?p ?o }", {"http://e/g"}),
        ("DELETE WHERE { ?s ?p ?o }", {None}),
        (
            "MOVE <http://e/a> TO DEFAULT ; COPY DEFAULT TO <http://e/b> ; ADD <http://e/c> TO <http://e/d>",
            {"http://e/a", None, "http://e/b", "http://e/d"},
        ),
        ("DROP GRAPH <http://e/a> ; CLEAR DEFAULT ; CREATE GRAPH <http://e/b>", {"http://e/a", None, "http://e/b"}),
    ],
)
def test_the_graphs_an_update_writes_are_read_from_its_operations(update: str, written: set[str | None]) -> None:
    assert sparql.written_graphs(update) == written


def test_an_anchor_shows_a_log_rewritten_from_scratch(tmp_path: Path) -> None:
    directory = tmp_path / "store"
    runner = _loaded_twice(directory)
    listed = runner.invoke(app, ["history", "--data-dir", str(directory)])
    head = json.loads(runner.invoke(app, ["history", "--data-dir", str(directory), "--format", "json"]).stdout)["head"]
    assert (
        head["sequence"] == 2
        and f"head (publish it, then check it later with --anchor): {head['record_hash']}" in listed.stdout
    )
    assert runner.invoke(app, ["history", "--data-dir", str(directory), "--anchor", head["record_hash"]]).exit_code == 0

    # someone who can write the store forges who made the changes and chains every record again
    raw = pyoxigraph.Store(str(directory))
    records, last = history.read(raw), None
    raw.update("DROP GRAPH <urn:aimsgraph:graph:history>")
    for record in records:
        forged = history.new_record(
            last,
            actor="cli:someone-else",
            operation=record.operation,
            graph=record.graph,
            digest=record.content_hash,
            triples=record.triples,
        )
        raw.update(history.insert(forged))
        last = forged
    raw.flush()
    assert history.verify(raw) == []  # the chain alone cannot tell
    del raw
    result = runner.invoke(app, ["history", "--data-dir", str(directory), "--anchor", head["record_hash"]])
    assert result.exit_code == 1
    assert f"anchor {head['record_hash']}: not in the log" in result.stderr


def test_an_update_that_writes_nothing_leaves_verify_checking_everything(
    served: tuple[TestClient, EmbeddedStore],
) -> None:
    client, store = served
    body = "<https://history.example/s> <https://history.example/p> 1 .\n"
    assert client.put("/store", params={"graph": GRAPH}, content=body, headers=TURTLE).status_code == 201
    _write_update(client, "INSERT DATA { }")
    assert history.verify(store.oxigraph) == []
    store.oxigraph.update(f"INSERT DATA {{ GRAPH <{GRAPH}> {{ <https://x.example/s> <https://x.example/p> 9 }} }}")
    assert any(p.startswith(f"graph <{GRAPH}>: changed since record") for p in history.verify(store.oxigraph))
