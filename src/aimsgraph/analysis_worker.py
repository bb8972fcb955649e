"""The body of an analysis worker process: validation, gap analysis and reports for the service.

pySHACL, owlrl and rdflib's SPARQL engine cannot be interrupted, and a crafted upload can keep
them busy for minutes (owlrl took 106 s here on a 401-triple transitive chain). So the service
runs this work in processes it can kill at the deadline, as it does queries, on snapshots of the
store (see :mod:`aimsgraph.query_pool`). Results and aimsgraph's own errors travel back
pickled; any other failure is sent as text.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

import pyoxigraph

from aimsgraph import history, load
from aimsgraph import report as html_report
from aimsgraph.errors import AimsgraphError, UsageError
from aimsgraph.formats import RdfFormat
from aimsgraph.gaps import gaps_loaded
from aimsgraph.model import Engine, Inference
from aimsgraph.store import stored_data
from aimsgraph.validate import validation_of


def serve_analysis(connection: Connection) -> None:
    """Do the jobs that arrive on ``connection``, each on the store snapshot it names, until it closes."""
    warm_up()
    store: pyoxigraph.Store | None = None
    seen = ""
    while True:
        try:
            snapshot, job, payload = connection.recv()
        except (EOFError, OSError):
            return
        try:
            if snapshot and (store is None or snapshot != seen):
                store = pyoxigraph.Store.read_only(snapshot)
                seen = snapshot
            stored = functools.partial(stored_data, store) if store is not None else None
            connection.send(("ok", do(job, payload, stored, store)))
        except AimsgraphError as error:
            connection.send(("error", error))
        except Exception as error:  # a bug: reported as text, the worker lives on
            connection.send(("crash", f"{type(error).__name__}: {error}"))


def warm_up() -> None:
    """Make ready what every job finds ready after the first (the shapes compiled into queries,
    the ontology and catalogues parsed, the library and crosswalks read) by a gap analysis of an
    empty AIMS: done as the service starts, it is not the first request's wait (on the example,
    the first gap report came 0.6 s slower than the next)."""
    try:
        gaps_loaded(load.LoadedData(), as_of=dt.date(2000, 1, 1))  # any date: the answer is dropped
    except Exception:  # a failure here is the first job's to report, with the worker alive
        return


def do(
    job: str,
    payload: dict[str, Any],
    stored: Callable[[], load.LoadedData] | None,
    raw: pyoxigraph.Store | None = None,
) -> Any:
    """Do one job here, in this process (the service calls it directly for a store that is not on
    its disk); ``stored`` gives the stored data, for the jobs about it, and ``raw`` the embedded
    store itself, for its change log.

    :raises UsageError: the change log is asked of a store that keeps none (a SPARQL server).
    """
    if job == "history":
        if raw is None:
            raise UsageError("the change log is kept by the embedded store; this service uses a SPARQL server")
        return history.summary(raw, check=bool(payload.get("verify")), anchors=payload.get("anchors", ()))
    as_of = dt.date.fromisoformat(payload["as_of"])
    inference = Inference(payload.get("inference", "none"))
    engine = Engine(payload.get("engine", "sparql"))
    if job == "validate-upload":
        source = load.SourceFile(
            "upload", payload["content"], RdfFormat.from_name(payload["format"]), "urn:aimsgraph:upload#"
        )
        return validation_of(load.load([source]), as_of=as_of, inference=inference, engine=engine).report()
    assert stored is not None
    if job == "gaps":
        frameworks = payload.get("frameworks", ())
        return gaps_loaded(stored(), as_of=as_of, inference=inference, engine=engine, frameworks=frameworks)
    if job == "report":
        return html_report.build(
            stored(), as_of=as_of, pdf=payload.get("pdf", False), inference=inference, engine=engine
        )
    raise ValueError(f"no such job: {job}")
