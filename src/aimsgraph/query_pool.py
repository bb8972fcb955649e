"""Queries from the network run in worker processes, so that a runaway query can be stopped.

Oxigraph cannot interrupt a query from another thread, and a Python thread cannot be killed, so a
time limit needs a process. Each worker opens the store on disk read-only (Oxigraph allows any
number of readers beside the one writer), runs one query at a time and sends back the serialised
result. A read-only store is a snapshot, so a worker reopens it when the store's generation has
moved on since its last query (reopening takes a few milliseconds). A worker that overruns the
limit is killed and replaced, and the caller gets :class:`QueryTimeoutError`.
"""

from __future__ import annotations

import multiprocessing
import queue
import threading
from dataclasses import asdict, dataclass
from pathlib import Path

import pyoxigraph

from aimsgraph.errors import AimsgraphError, InputError, UsageError
from aimsgraph.query_worker import answer, serve_queries


class QueryTimeoutError(AimsgraphError):
    """A query ran past the time limit and was stopped."""


@dataclass(frozen=True)
class QueryRequest:
    """One query for a worker: the text (already checked), its dataset and the output format."""

    text: str
    default_graphs: tuple[str, ...]
    named_graphs: tuple[str, ...]
    graph_result: bool
    format_name: str  # an attribute of pyoxigraph.RdfFormat or pyoxigraph.QueryResultsFormat
    max_rows: int  # 0: no limit


class _Worker:
    def __init__(self, context: multiprocessing.context.SpawnContext, directory: Path):
        self.connection, child = context.Pipe()
        self.process = context.Process(target=serve_queries, args=(str(directory), child), daemon=True)
        self.process.start()
        child.close()

    def stop(self) -> None:
        self.process.kill()
        self.process.join(timeout=5)
        self.connection.close()


class QueryPool:
    """A fixed number of query workers over one store directory."""

    def __init__(self, directory: Path, *, workers: int, timeout: float):
        self._directory = directory
        self._timeout = timeout
        self._context = multiprocessing.get_context("spawn")  # never fork a threaded server
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._lock = threading.Lock()
        self._all: list[_Worker] = []
        for _ in range(max(1, workers)):
            self._add()

    def _add(self) -> None:
        worker = _Worker(self._context, self._directory)
        with self._lock:
            self._all.append(worker)
        self._idle.put(worker)

    def run(self, request: QueryRequest, *, generation: int) -> bytes:
        """Give the serialised result of ``request``, run against the store as of ``generation``.

        :raises QueryTimeoutError: the query ran past the limit; its worker was replaced.
        :raises InputError: the query failed in Oxigraph.
        """
        worker = self._idle.get()
        returned: _Worker | None = worker  # None once the worker has been replaced
        try:
            # a plain dict crosses the pipe, so that a worker needs no aimsgraph classes
            worker.connection.send((generation, asdict(request)))
            if not worker.connection.poll(self._timeout):
                self._replace(worker)
                returned = None
                raise QueryTimeoutError(f"the query ran longer than {self._timeout:g} s and was stopped")
            outcome = worker.connection.recv()
        except (EOFError, OSError):
            self._replace(worker)
            returned = None
            raise InputError("the query stopped its worker", source="query") from None
        finally:
            if returned is not None:
                self._idle.put(returned)
        return _unwrap(outcome)

    def _replace(self, worker: _Worker) -> None:
        worker.stop()
        with self._lock:
            self._all.remove(worker)
        self._add()

    def close(self) -> None:
        """Stop every worker."""
        with self._lock:
            workers, self._all = self._all, []
        for worker in workers:
            worker.stop()


def run_in_process(store: pyoxigraph.Store, request: QueryRequest) -> bytes:
    """Give the result of ``request`` run in this process, without a time limit (a store in memory).

    :raises InputError, UsageError: as :meth:`QueryPool.run` does.
    """
    try:
        return answer(store, asdict(request))
    except Exception as error:  # the same mapping as for a worker's errors
        return _unwrap(("error", type(error).__name__, str(error)))


def _unwrap(outcome: tuple[str, object, object]) -> bytes:
    status, first, second = outcome
    if status == "ok":
        assert isinstance(first, bytes)
        return first
    if first == "SyntaxError":
        raise InputError(f"SPARQL syntax error: {second}", source="query")
    if first in ("ValueError", "RowLimitError"):
        raise UsageError(f"query: {second}")
    raise InputError(f"SPARQL evaluation failed: {second}", source="query")
