"""A writer for the crash test (tests/test_crash.py): replaces two graphs of the store at the
directory given, and rewrites a third with a SPARQL update (logged in two transactions), over and
over, each time with triples that all carry the round number, and prints an acknowledgement line
after each write returns. The test kills it with SIGKILL."""

from __future__ import annotations

import sys
from pathlib import Path

import pyoxigraph

from aimsgraph.store import EmbeddedStore

TRIPLES = 500
GRAPHS = ("https://crash.example/graph/a", "https://crash.example/graph/b", "https://crash.example/graph/updated")


def content(round_number: int) -> list[pyoxigraph.Quad]:
    """The triples of one round: ``TRIPLES`` of them, every one naming the round."""
    value = pyoxigraph.Literal(
        str(round_number), datatype=pyoxigraph.NamedNode("http://www.w3.org/2001/XMLSchema#integer")
    )
    predicate = pyoxigraph.NamedNode("https://crash.example/round")
    return [
        pyoxigraph.Quad(pyoxigraph.NamedNode(f"https://crash.example/s{i}"), predicate, value) for i in range(TRIPLES)
    ]


def main() -> None:
    store = EmbeddedStore(Path(sys.argv[1]), [])
    round_number = int(sys.argv[2])
    while True:
        round_number += 1
        for graph in GRAPHS[:2]:
            store.replace_graph(graph, content(round_number))
            print(f"{graph} {round_number}", flush=True)
        triples = " ".join(f"{q.subject} {q.predicate} {q.object} ." for q in content(round_number))
        store.update(f"DROP SILENT GRAPH <{GRAPHS[2]}> ; INSERT DATA {{ GRAPH <{GRAPHS[2]}> {{ {triples} }} }}")
        print(f"{GRAPHS[2]} {round_number}", flush=True)


if __name__ == "__main__":
    main()
