"""Where an organisation's AIMS data lives between runs: Oxigraph on disk, one named graph per source.

The embedded store keeps each source file or upload in its own named graph, and aimsgraph's
ontology and catalogues in a reserved graph that is refreshed whenever a store is opened, so
that an upgrade of aimsgraph brings its catalogue along. Queries see the union of all graphs as
their default graph unless a request names its dataset.

Every write is one Oxigraph transaction: a new graph is first written under a staging name and
then moved over the old one by a single SPARQL Update (MOVE) that also keeps the content as a
version and logs the change (see :mod:`aimsgraph.history`), so a reader sees the old graph or
the new one, never a mix, a failed parse never touches the store, and no write goes unlogged.
Worker processes read checkpoints of the store (:meth:`EmbeddedStore.snapshot`), never the live
database.
"""

from __future__ import annotations

import shutil
import threading
import uuid
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Protocol

import pyoxigraph

from aimsgraph import history, load, sparql
from aimsgraph.errors import UsageError
from aimsgraph.query_worker import run_query, visible_graphs

RESERVED_PREFIX = "urn:aimsgraph:graph:"  # aimsgraph's own graphs: catalogue, staging, history, versions
KNOWLEDGE_GRAPH = RESERVED_PREFIX + "knowledge"
_STAGING = RESERVED_PREFIX + "staging:"
_SNAPSHOTS_KEPT = 4


@dataclass(frozen=True)
class GraphInfo:
    """A named graph of the store and how many triples it holds."""

    iri: str
    triples: int


@dataclass(frozen=True)
class QueryRequest:
    """One query to answer: the text (already checked), its dataset and the output format."""

    text: str
    default_graphs: tuple[str, ...]
    named_graphs: tuple[str, ...]
    graph_result: bool
    format_name: str  # an attribute of pyoxigraph.RdfFormat or pyoxigraph.QueryResultsFormat
    max_rows: int  # 0: no limit
    own_dataset: bool = False  # the query names its graphs with FROM or FROM NAMED


class GraphStore(Protocol):
    """What the faces need of a store: the embedded one and a remote SPARQL server both give it."""

    @property
    def directory(self) -> Path | None:
        """Give the store's directory when it is an embedded store on disk."""

    def replace_graph(self, graph: str, quads: Iterable[pyoxigraph.Quad], *, actor: str = "unknown") -> int:
        """Replace a named graph atomically; give its size. ``actor`` is who asked, for the change log."""

    def add_to_graph(self, graph: str, quads: Iterable[pyoxigraph.Quad], *, actor: str = "unknown") -> int:
        """Add to a named graph; give how many triples were given."""

    def drop_graph(self, graph: str, *, actor: str = "unknown") -> bool:
        """Remove a named graph; give whether it existed."""

    def has_graph(self, graph: str) -> bool:
        """Give whether a named graph exists."""

    def graphs(self) -> list[GraphInfo]:
        """Give the organisation's named graphs."""

    def graph_quads(self, graph: str | None) -> list[pyoxigraph.Quad]:
        """Give one graph's triples (for None, the default graph a query sees)."""

    def data(self) -> load.LoadedData:
        """Give all the organisation's data, merged."""

    def update(self, text: str, *, actor: str = "unknown") -> None:
        """Run a checked SPARQL update as one transaction."""

    def answer(self, request: QueryRequest) -> bytes:
        """Give the serialised result of a checked query."""


class EmbeddedStore:
    """An Oxigraph store, on disk under a data directory (or in memory when no directory is given)."""

    def __init__(self, directory: Path | None, knowledge: Sequence[pyoxigraph.Quad]):
        self._directory = directory
        try:
            self._store = pyoxigraph.Store(str(directory)) if directory is not None else pyoxigraph.Store()
        except OSError as error:
            # Oxigraph locks its directory: a second process (a running `serve`) makes this fail.
            raise UsageError(f"{directory}: cannot open the store (is `aimsgraph serve` using it?): {error}") from None
        for graph in self._store.named_graphs():
            if isinstance(graph, pyoxigraph.NamedNode) and graph.value.startswith(_STAGING):
                self._store.remove_graph(graph)  # left by a write that was interrupted
        # Writes are serialised, so that each change-log record follows the one before it.
        self._lock = threading.RLock()
        self._leases: Counter[Path] = Counter()  # snapshots being read, and by how many jobs
        if directory is not None:
            # Snapshots are per run of the server (its generations start again at 0).
            shutil.rmtree(self._snapshots, ignore_errors=True)
        records = history.read(self._store)
        self._last = records[-1] if records else None
        pending = history.pending_update(records)
        if pending is not None:  # the process stopped between an update and its "updated" records
            self._record_updated(history.update_text(self._store, pending), actor=pending.actor)
        self._replace(KNOWLEDGE_GRAPH, knowledge, actor=None)  # aimsgraph's own: not a change to log

    @property
    def directory(self) -> Path | None:
        """Give the directory of a store on disk (None in memory)."""
        return self._directory

    @property
    def _snapshots(self) -> Path:
        assert self._directory is not None
        directory = self._directory.resolve()  # "--data-dir ." has no name of its own
        return directory.with_name(directory.name + ".snapshots")

    @contextmanager
    def snapshot(self, generation: int) -> Iterator[Path]:
        """Lease a directory holding the store as of ``generation`` that nothing will write again,
        for the worker processes to read (see :mod:`aimsgraph.query_pool`); take it if needed.

        A snapshot is a checkpoint of the database (hard links to its immutable files: a
        millisecond or two). The newest few are kept, and any other only while a lease on it is
        held, so that a worker reading one is never cut off however many writes come meanwhile.
        """
        with self._lock:
            taken = (
                [int(p.name) for p in self._snapshots.iterdir() if p.name.isdigit()] if self._snapshots.exists() else []
            )
            # a late request for an older generation gets the newest snapshot, never a new old one
            path = self._snapshots / str(max([generation, *taken]))
            if not path.exists():
                self._snapshots.mkdir(parents=True, exist_ok=True)
                self._store.backup(str(path))
            self._leases[path] += 1
            self._prune_snapshots()
        try:
            yield path
        finally:
            with self._lock:
                self._leases[path] -= 1
                if not self._leases[path]:
                    del self._leases[path]

    def _prune_snapshots(self) -> None:
        existing = sorted(self._snapshots.iterdir(), key=lambda p: int(p.name) if p.name.isdigit() else -1)
        for old in existing[:-_SNAPSHOTS_KEPT]:
            if old not in self._leases:
                shutil.rmtree(old, ignore_errors=True)

    def answer(self, request: QueryRequest) -> bytes:
        """Give the serialised result of a checked query, run in this process.

        :raises InputError, UsageError: the query fails or its result is over the row limit.
        """
        return run_query(self._store, asdict(request))

    @property
    def oxigraph(self) -> pyoxigraph.Store:
        """Give the underlying Oxigraph store, for queries and updates."""
        return self._store

    def replace_graph(self, graph: str, quads: Iterable[pyoxigraph.Quad], *, actor: str = "unknown") -> int:
        """Replace the named graph ``graph`` with ``quads`` atomically (their graph names are ignored); give its size.

        :raises UsageError: ``graph`` is not an absolute IRI or is reserved.
        """
        return self._replace(checked_graph(graph), quads, actor=actor)

    def _replace(
        self, graph: str, quads: Iterable[pyoxigraph.Quad], *, actor: str | None, operation: str = "replace"
    ) -> int:
        staging = pyoxigraph.NamedNode(_STAGING + uuid.uuid4().hex)
        staged = [pyoxigraph.Quad(q.subject, q.predicate, q.object, staging) for q in quads]
        with self._lock:
            self._store.extend(staged)
            # One update, so one transaction: the old graph is replaced by the staged one, the
            # content is kept as a version, and the change is logged, all in one step or not at all.
            # MOVE from a graph that holds nothing drops the target: CREATE keeps it, empty (a PUT
            # of no triples makes an empty graph, as the Graph Store Protocol reads).
            text = f"MOVE SILENT GRAPH <{staging.value}> TO GRAPH <{graph}> ;\nCREATE SILENT GRAPH <{graph}>"
            record = None
            if actor is not None:
                # Hashed as stored: Oxigraph writes typed literals in canonical form ("01" as "1").
                digest = history.content_hash(self._store.quads_for_pattern(None, None, None, staging))
                record = history.new_record(
                    self._last, actor=actor, operation=operation, graph=graph, digest=digest, triples=len(staged)
                )
                text += f" ;\nCOPY SILENT GRAPH <{graph}> TO GRAPH <{record.version}> ;\n{history.insert(record)}"
            self._store.update(text)
            self._last = record or self._last
            self.flush()
        return len(staged)

    def add_to_graph(self, graph: str, quads: Iterable[pyoxigraph.Quad], *, actor: str = "unknown") -> int:
        """Add ``quads`` to the named graph ``graph`` atomically; give how many were given.

        The graph's new content is written as a whole, as a replacement is, so that it too is a
        version of its own in the change log.
        """
        target = checked_graph(graph)
        added = list(quads)
        with self._lock:  # no other write between reading the graph and replacing it
            current = list(self._store.quads_for_pattern(None, None, None, pyoxigraph.NamedNode(target)))
            self._replace(target, current + added, actor=actor, operation="add")
        return len(added)

    def drop_graph(self, graph: str, *, actor: str = "unknown") -> bool:
        """Remove the named graph ``graph``; give whether it existed."""
        node = pyoxigraph.NamedNode(checked_graph(graph))
        with self._lock:
            if not self._store.contains_named_graph(node):
                return False
            record = history.new_record(self._last, actor=actor, operation="drop", graph=node.value)
            self._store.update(f"DROP SILENT GRAPH <{node.value}> ;\n{history.insert(record)}")
            self._last = record
            self.flush()
        return True

    def update(self, text: str, *, actor: str = "unknown") -> None:
        """Run a (checked) SPARQL update as one transaction, logged with its text.

        :raises SyntaxError, OSError, ValueError, RuntimeError: as Oxigraph does; nothing is changed then.
        """
        if not sparql.has_operations(text):
            return  # nothing to run (a prologue, a comment): nothing changes, nothing is logged
        with self._lock:
            record = history.new_record(self._last, actor=actor, operation="update", update_text=text)
            # The log entry joins the user's operations, after a ';' unless the text ends with one
            # (an empty operation between two is a syntax error).
            separator = "" if sparql.ends_with_separator(text) else ";"
            self._store.update(f"{text}\n{separator}\n{history.insert(record, text)}")
            self._last = record
            self._record_updated(text, actor=actor)
            self.flush()

    def _record_updated(self, text: str, *, actor: str) -> None:
        """Log what each graph an update wrote holds now, with the content kept as a version.

        Content hashes cannot be taken inside a SPARQL update, so this is a second transaction;
        should the process stop before it, the store writes it when it is next opened (no other
        write can come between: Oxigraph locks the directory to one process).
        """
        parts, last = [], self._last
        for name in sorted(sparql.written_graphs(text), key=lambda graph: graph or ""):
            node = pyoxigraph.DefaultGraph() if name is None else pyoxigraph.NamedNode(name)
            quads = list(self._store.quads_for_pattern(None, None, None, node))
            record = history.new_record(
                last,
                actor=actor,
                operation="updated",
                graph=name or history.DEFAULT_GRAPH,
                digest=history.content_hash(quads),
                triples=len(quads),
            )
            source = "DEFAULT" if name is None else f"GRAPH <{name}>"
            parts.append(f"COPY SILENT {source} TO GRAPH <{record.version}> ;\n{history.insert(record)}")
            last = record
        if parts:
            self._store.update(" ;\n".join(parts))
            self._last = last

    def graphs(self) -> list[GraphInfo]:
        """Give the organisation's named graphs (not the knowledge graph), by IRI."""
        found = []
        for graph in self._store.named_graphs():
            if isinstance(graph, pyoxigraph.NamedNode) and not graph.value.startswith(RESERVED_PREFIX):
                size = sum(1 for _ in self._store.quads_for_pattern(None, None, None, graph))
                found.append(GraphInfo(graph.value, size))
        return sorted(found, key=lambda info: info.iri)

    def has_graph(self, graph: str) -> bool:
        """Give whether the named graph ``graph`` exists."""
        return bool(self._store.contains_named_graph(pyoxigraph.NamedNode(checked_graph(graph))))

    def graph_quads(self, graph: str | None) -> list[pyoxigraph.Quad]:
        """Give the triples of one named graph, or, when ``graph`` is None, of the default graph
        as a query sees it: the union of the organisation's graphs, the catalogues and the store's
        own default graph, each triple once."""
        if graph is not None:
            return list(self._store.quads_for_pattern(None, None, None, pyoxigraph.NamedNode(checked_graph(graph))))
        union: dict[pyoxigraph.Triple, None] = {}
        for name in visible_graphs(self._store)[0]:
            union.update(dict.fromkeys(q.triple for q in self._store.quads_for_pattern(None, None, None, name)))
        default = pyoxigraph.DefaultGraph()
        return [pyoxigraph.Quad(t.subject, t.predicate, t.object, default) for t in union]

    def data(self) -> load.LoadedData:
        """Give all the organisation's data (every graph but aimsgraph's own), merged, for validation."""
        return stored_data(self._store)

    def flush(self) -> None:
        """Write everything to disk now, so that the next snapshot (see :meth:`snapshot`) holds it."""
        if self._directory is not None:
            self._store.flush()


def stored_data(store: pyoxigraph.Store) -> load.LoadedData:
    """Give the organisation's data in an Oxigraph store laid out as the embedded store lays it out
    (every graph but aimsgraph's own), merged; also used on the workers' read-only views."""
    quads = [
        quad
        for quad in store.quads_for_pattern(None, None, None)
        if not (isinstance(quad.graph_name, pyoxigraph.NamedNode) and quad.graph_name.value.startswith(RESERVED_PREFIX))
    ]
    graphs = sorted({q.graph_name.value for q in quads if isinstance(q.graph_name, pyoxigraph.NamedNode)})
    return load.from_quads(quads, sources=graphs)


def checked_graph(iri: str) -> str:
    """Give ``iri`` if it is an absolute IRI that may name a graph.

    :raises UsageError: it is not an IRI, or it is one of aimsgraph's reserved graph names.
    """
    try:
        pyoxigraph.NamedNode(iri)
    except ValueError:
        raise UsageError(f"{iri!r} is not an absolute IRI") from None
    if ":" not in iri:
        raise UsageError(f"{iri!r} is not an absolute IRI")
    if iri.startswith("urn:aimsgraph:graph:"):
        raise UsageError(f"{iri} is reserved for aimsgraph's own use")
    return iri
