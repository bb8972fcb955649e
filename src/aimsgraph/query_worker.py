"""The body of a query worker process (see :mod:`aimsgraph.query_pool`).

Kept small and light to import: a spawned worker imports this module and pyoxigraph only.
"""

from __future__ import annotations

from multiprocessing.connection import Connection
from typing import Any

import pyoxigraph


def serve_queries(directory: str, connection: Connection) -> None:
    """Answer queries from ``connection`` on a read-only view of the store at ``directory``, until it closes."""
    store: pyoxigraph.Store | None = None
    seen_generation = -1
    while True:
        try:
            generation, request = connection.recv()
        except (EOFError, OSError):
            return
        try:
            if store is None or generation != seen_generation:
                store = pyoxigraph.Store.read_only(directory)  # a snapshot: reopened when the data moved on
                seen_generation = generation
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
    from aimsgraph.errors import InputError, UsageError  # noqa: PLC0415 (kept out of the worker's imports)

    status, first, second = outcome
    if status == "ok":
        assert isinstance(first, bytes)
        return first
    if first == "SyntaxError":
        raise InputError(f"SPARQL syntax error: {second}", source="query")
    if first in ("ValueError", "RowLimitError"):
        raise UsageError(f"query: {second}")
    raise InputError(f"SPARQL evaluation failed: {second}", source="query")


class RowLimitError(Exception):
    """The result has more rows (or triples) than the service sends."""


def answer(store: pyoxigraph.Store, request: dict[str, Any]) -> bytes:
    """Give the serialised result of one query request (see aimsgraph.query_pool.QueryRequest).

    :raises RowLimitError: the result is larger than ``request["max_rows"]``; it is signalled,
        never cut short in silence.
    """

    def run() -> Any:
        return store.query(
            request["text"],
            use_default_graph_as_union=not request["default_graphs"],
            default_graph=[pyoxigraph.NamedNode(g) for g in request["default_graphs"]] or None,
            named_graphs=[pyoxigraph.NamedNode(g) for g in request["named_graphs"]] or None,
        )

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
