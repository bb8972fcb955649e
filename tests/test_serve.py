"""The real server: `aimsgraph load` then `aimsgraph serve` in their own processes, on loopback;
data written over HTTP survives a restart."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from rdflib import Graph
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from SPARQLWrapper import JSON, POST, SPARQLWrapper
from typer.testing import CliRunner

from aimsgraph.cli import app
from tests.conftest import EXAMPLES
from tests.servers import running

AIMSGRAPH = str(Path(sys.executable).parent / "aimsgraph")
KEY = "restart-test-key-0123456789"


@contextmanager
def _server(data_dir: Path) -> Iterator[str]:
    def command(port: int) -> list[str]:
        return [AIMSGRAPH, "serve", "--data-dir", str(data_dir), "--port", str(port)]

    with running(command, "/healthz", env={"AIMSGRAPH_API_KEYS": f"{KEY}=write"}) as base:
        yield base


def _request(
    url: str, *, method: str = "GET", body: bytes | None = None, headers: dict[str, str] | None = None
) -> tuple[int, str]:
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_load_serve_write_restart_read(tmp_path: Path) -> None:
    data_dir = tmp_path / "store"
    loaded = subprocess.run(
        [AIMSGRAPH, "load", str(EXAMPLES / "kestrel"), "--data-dir", str(data_dir)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert loaded.returncode == 0, loaded.stderr
    assert "8 graph(s)" in loaded.stdout
    graph = "https://e.example/restart"
    with _server(data_dir) as base:
        status, _ = _request(
            f"{base}/store?graph={graph}",
            method="PUT",
            body=b"<https://e.example/a> <https://e.example/b> <https://e.example/c> .",
            headers={"Content-Type": "text/turtle", "Authorization": f"Bearer {KEY}"},
        )
        assert status == 201
        # while the server holds the store, a second writer is refused with a clear message
        second = subprocess.run(
            [AIMSGRAPH, "load", str(EXAMPLES / "kestrel"), "--data-dir", str(data_dir)],
            capture_output=True,
            text=True,
            check=False,
        )
        assert second.returncode == 2
        assert "is `aimsgraph serve` using it?" in second.stderr
    with _server(data_dir) as base:
        status, body = _request(f"{base}/store?graph={graph}", headers={"Accept": "application/n-triples"})
        assert status == 200
        assert "<https://e.example/c>" in body
        status, gaps = _request(f"{base}/v1/gaps?as_of=2026-11-26")
        assert status == 200
        assert json.loads(gaps)["readiness"]["controls_with_current_evidence"] == 33


def test_standard_sparql_clients_work_unchanged(tmp_path: Path) -> None:
    data_dir = tmp_path / "store"
    subprocess.run(
        [AIMSGRAPH, "load", str(EXAMPLES / "kestrel"), "--data-dir", str(data_dir)], check=True, capture_output=True
    )
    query = (
        "PREFIX aims: <https://w3id.org/aimsgraph/ns#> "
        "SELECT ?system WHERE { ?system a aims:AISystem ; aims:euAIActRiskClass aims:HighRisk } ORDER BY ?system"
    )
    expected = ["https://kestrel.example/aims/sys-credit-scoring", "https://kestrel.example/aims/sys-cv-screening"]
    with _server(data_dir) as base:
        wrapper = SPARQLWrapper(f"{base}/sparql")
        wrapper.setQuery(query)
        wrapper.setReturnFormat(JSON)
        bindings = wrapper.queryAndConvert()["results"]["bindings"]  # type: ignore[index,call-overload]
        assert [b["system"]["value"] for b in bindings] == expected
        wrapper.setMethod(POST)
        assert len(wrapper.queryAndConvert()["results"]["bindings"]) == 2  # type: ignore[index,call-overload]
        remote = Graph(store=SPARQLStore(f"{base}/sparql", returnFormat="json"))
        assert [str(row[0]) for row in remote.query(query)] == expected  # type: ignore[index]
        ask = remote.query("ASK { ?s a <https://w3id.org/aimsgraph/ns#ManagementSystem> }")
        assert ask.askAnswer is True


def test_serve_and_load_refuse_what_cannot_work_in_one_line(tmp_path: Path) -> None:
    runner = CliRunner()
    out_of_range = runner.invoke(app, ["serve", "--port", "70000", "--data-dir", str(tmp_path / "s")])
    assert out_of_range.exit_code == 2 and "from 0 to 65535" in out_of_range.stderr
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        in_use = runner.invoke(app, ["serve", "--port", str(port), "--data-dir", str(tmp_path / "s")])
    assert in_use.exit_code == 2 and f"127.0.0.1:{port}: cannot listen there" in in_use.stderr
    assert "serving" not in in_use.stdout  # nothing said to be served
    unknown = runner.invoke(app, ["serve", "--host", "192.0.2.1", "--data-dir", str(tmp_path / "s")])  # TEST-NET-1
    assert unknown.exit_code == 2 and "cannot listen there" in unknown.stderr
    a_file = tmp_path / "file"
    a_file.write_text("x")
    not_a_directory = runner.invoke(app, ["load", str(EXAMPLES / "kestrel"), "--data-dir", str(a_file)])
    assert not_a_directory.exit_code == 2 and "cannot keep the store there" in not_a_directory.stderr
    assert not_a_directory.exception is None or isinstance(not_a_directory.exception, SystemExit)
