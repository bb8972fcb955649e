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
from dataclasses import asdict
from pathlib import Path

from aimsgraph.errors import InputError, QueryTimeoutError
from aimsgraph.query_worker import serve_queries, unwrap
from aimsgraph.store import QueryRequest


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
        return unwrap(outcome)

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
