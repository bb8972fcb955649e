"""The body of a query worker process (see :mod:`aimsgraph.query_pool`).

Kept small and light to import: a spawned worker imports this module and pyoxigraph only.
"""

from __future__ import annotations

from multiprocessing.connection import Connection
from typing import Any

import pyoxigraph


def serve_queries(connection: Connection) -> None:
    """Answer queries from ``connection``, each on the store snapshot it names, until it closes."""
    store: pyoxigraph.Store | None = None
    seen = ""
    while True:
        try:
            snapshot, request = connection.recv()
        except (EOFError, OSError):
            return
        try:
            if store is None or snapshot != seen:
                store = pyoxigraph.Store.read_only(snapshot)  # never written again: safe to read
                seen = snapshot
            connection.send(("ok", answer(store, request), None))
        except Exception as error:  # every failure goes back to the server as data
            connection.send(("error", type(error).__name__, str(error)))


def run_query(store: pyoxigraph.Store, request: dict[str, Any]) -> bytes:
    """Give the result of ``request`` run in this process, errors mapped as a worker's are.

    :raises InputError, UsageError: the query fails or is over the row limit.
    """
    try:
        return answer(store, request)
    except Exception as error:  # the same mapping as for a worker's errors
        return unwrap(("error", type(error).__name__, str(error)))


def unwrap(outcome: tuple[str, object, object]) -> bytes:
    """Give the bytes of a worker's answer, or raise the error it reported.

    :raises InputError, UsageError: the worker reported a failure.
    """
    from aimsgraph import sparql  # noqa: PLC0415 (kept out of the worker's imports)
    from aimsgraph.errors import InputError, UsageError  # noqa: PLC0415

    status, first, second = outcome
    if status == "ok":
        assert isinstance(first, bytes)
        return first
    if first == "SyntaxError":
        raise sparql.syntax_error(str(second), source="query")  # with the line and column it names
    if first in ("ValueError", "RowLimitError"):
        raise UsageError(f"query: {second}")
    raise InputError(f"SPARQL evaluation failed: {second}", source="query")


# The store's own graphs that queries do not see by default: the versions kept by the change log
# (copies of earlier content, which would count every triple again), writes under way, and the
# log itself (named, so GRAPH <urn:aimsgraph:graph:history> reads it). See aimsgraph.history.
_RESERVED = "urn:aimsgraph:graph:"
_KNOWLEDGE = _RESERVED + "knowledge"
_HISTORY = _RESERVED + "history"


def visible_graphs(store: pyoxigraph.Store) -> tuple[list[Any], list[Any]]:
    """Give the default graph a query sees when it names none (the union of the organisation's
    graphs, the catalogue and the store's default graph) and the graphs GRAPH ?g ranges over."""
    graphs = [g for g in store.named_graphs() if isinstance(g, pyoxigraph.NamedNode)]
    data = [g for g in graphs if not g.value.startswith(_RESERVED) or g.value == _KNOWLEDGE]
    history = [g for g in graphs if g.value == _HISTORY]
    return [*data, pyoxigraph.DefaultGraph()], data + history


class RowLimitError(Exception):
    """The result has more rows (or triples) than the service sends."""


def answer(store: pyoxigraph.Store, request: dict[str, Any]) -> bytes:
    """Give the serialised result of one query request (see aimsgraph.query_pool.QueryRequest).

    :raises RowLimitError: the result is larger than ``request["max_rows"]``; it is signalled,
        never cut short in silence.
    """

    default: list[Any] = [pyoxigraph.NamedNode(g) for g in request["default_graphs"]]
    named: list[Any] = [pyoxigraph.NamedNode(g) for g in request["named_graphs"]]
    if not default and not named and not request.get("own_dataset"):
        default, named = visible_graphs(store)

    def run() -> Any:
        if request.get("own_dataset") and not request["default_graphs"] and not request["named_graphs"]:
            return store.query(request["text"])  # FROM and FROM NAMED in the query choose
        # The protocol's dataset, or the visible one: a part left out is empty, never "all graphs"
        # (which would take in the versions, staging graphs and the catalogue's graph by name).
        return store.query(request["text"], default_graph=default, named_graphs=named)

    result = run()
    limit = request["max_rows"]
    if limit and not isinstance(result, pyoxigraph.QueryBoolean):
        # Count first, stopping one past the limit; only a result within it is run again and sent.
        for count, _ in enumerate(result, start=1):
            if count > limit:
                raise RowLimitError(f"the result has more than {limit} rows; page through it with LIMIT and OFFSET")
        result = run()
    if request["graph_result"]:
        body = result.serialize(format=getattr(pyoxigraph.RdfFormat, request["format_name"]))
    else:
        body = result.serialize(format=getattr(pyoxigraph.QueryResultsFormat, request["format_name"]))
    return bytes(body or b"")
