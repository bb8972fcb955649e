"""Work from the network runs in worker processes, so that a runaway job can be stopped.

Oxigraph cannot interrupt a query from another thread, pySHACL and owlrl cannot be interrupted at
all, and a Python thread cannot be killed, so a time limit needs a process. Each worker reads a
snapshot of the store: a checkpoint the server takes after a write (hard links, a millisecond or
two; see ``EmbeddedStore.snapshot``) that nothing ever writes again. Oxigraph calls a read-only
view of a store that another process is writing undefined behaviour, and it was: the writer's
compactions deleted files the readers still needed. A worker moves to the new snapshot when the
store's generation has moved on since its last job. A worker that overruns the limit is killed
and replaced, and the caller gets :class:`QueryTimeoutError`. :class:`QueryPool` runs SPARQL
queries (light workers that import only pyoxigraph); :class:`AnalysisPool` runs validation, gap
analysis and reports.
"""

from __future__ import annotations

import multiprocessing
import queue
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import asdict
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from aimsgraph.errors import AimsgraphError, InputError, QueryTimeoutError
from aimsgraph.query_worker import serve_queries, unwrap
from aimsgraph.store import QueryRequest

Target = Callable[[Connection], None]
Snapshot = Callable[[int], AbstractContextManager[Path]]  # a lease on the store as of a generation


class _Worker:
    def __init__(self, context: multiprocessing.context.SpawnContext, target: Target):
        self.connection, child = context.Pipe()
        self.process = context.Process(target=target, args=(child,), daemon=True)
        self.process.start()
        child.close()

    def stop(self) -> None:
        self.process.kill()
        self.process.join(timeout=5)
        self.connection.close()


class _Pool:
    """A fixed number of workers running ``target`` over snapshots of one store."""

    what = "job"

    def __init__(self, snapshot: Snapshot, *, workers: int, timeout: float, target: Target):
        self._snapshot = snapshot
        self._timeout = timeout
        self._target = target
        self._context = multiprocessing.get_context("spawn")  # never fork a threaded server
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._lock = threading.Lock()
        self._all: list[_Worker] = []
        for _ in range(max(1, workers)):
            self._add()

    def _add(self) -> None:
        worker = _Worker(self._context, self._target)
        with self._lock:
            self._all.append(worker)
        self._idle.put(worker)

    def _call(self, message: Callable[[str], object], generation: int | None) -> Any:
        """Send ``message(snapshot)`` to an idle worker and give its answer. The snapshot of
        ``generation`` (none when None) is leased once a worker is free, so that it is the newest,
        and held until the answer is in, so that it is not pruned while the worker reads it.

        :raises QueryTimeoutError: the job ran past the limit; its worker was replaced.
        :raises InputError: the job stopped its worker.
        """
        worker = self._idle.get()
        try:
            if generation is None:
                return self._answer(worker, message(""))
            with self._snapshot(generation) as path:
                return self._answer(worker, message(str(path)))
        finally:
            with self._lock:
                kept = worker in self._all  # not if it was replaced
            if kept:
                self._idle.put(worker)

    def _answer(self, worker: _Worker, sent: object) -> Any:
        try:
            worker.connection.send(sent)
            if not worker.connection.poll(self._timeout):
                self._replace(worker)
                raise QueryTimeoutError(f"the {self.what} ran longer than {self._timeout:g} s and was stopped")
            return worker.connection.recv()
        except (EOFError, OSError):
            self._replace(worker)
            raise InputError(f"the {self.what} stopped its worker", source=self.what) from None

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


class QueryPool(_Pool):
    """Workers that run SPARQL queries on a read-only view of the store."""

    what = "query"

    def __init__(self, snapshot: Snapshot, *, workers: int, timeout: float):
        super().__init__(snapshot, workers=workers, timeout=timeout, target=serve_queries)

    def run(self, request: QueryRequest, *, generation: int) -> bytes:
        """Give the serialised result of ``request``, run against the store as of ``generation``.

        :raises QueryTimeoutError: the query ran past the limit; its worker was replaced.
        :raises InputError: the query failed in Oxigraph.
        """
        # a plain dict crosses the pipe, so that a worker needs no aimsgraph classes
        return unwrap(self._call(lambda snapshot: (snapshot, asdict(request)), generation))


class AnalysisPool(_Pool):
    """Workers that validate uploads and make gap reports and reports of the stored data."""

    what = "analysis"

    def __init__(self, snapshot: Snapshot, *, workers: int, timeout: float):
        from aimsgraph.analysis_worker import serve_analysis  # noqa: PLC0415 - heavy; only the service needs it

        super().__init__(snapshot, workers=workers, timeout=timeout, target=serve_analysis)

    def run(self, job: str, payload: dict[str, Any], *, generation: int) -> Any:
        """Give the result of ``job`` (see :func:`aimsgraph.analysis_worker.do`) under the time limit.

        :raises QueryTimeoutError: it ran past the limit; its worker was replaced.
        :raises AimsgraphError: the job failed on bad input, as it would in the service itself.
        """

        outcome = self._call(
            lambda snapshot: (snapshot, job, payload), None if job == "validate-upload" else generation
        )
        if outcome[0] == "ok":
            return outcome[1]
        if outcome[0] == "error" and isinstance(outcome[1], AimsgraphError):
            raise outcome[1]
        raise RuntimeError(f"the {job} failed in its worker: {outcome[1]}")
