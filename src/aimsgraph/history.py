"""The embedded store's change log: who changed what, when, to which content, and proof that the
log itself was not changed afterwards.

Every write to the embedded store is recorded in the same transaction as the write, in the
reserved graph ``urn:aimsgraph:graph:history``, as a PROV-O activity: its sequence number, time
(UTC), actor (an API key's fingerprint, never the key, or ``cli:<user>``), operation, graph, the
content hash of the graph as written and the number of triples. The content itself is kept as an
immutable version graph named by that hash (``urn:aimsgraph:graph:version:sha256-<hex>``), so no
write changes an earlier version. A SPARQL update is recorded with its text, and then each graph
it wrote gets a record ``updated`` of its own with the content it holds afterwards (the default
graph under the name ``urn:aimsgraph:graph:default``), so that the log accounts for every graph's
content after updates too. Each record carries the hash of its own fields and of the record
before it: removing, inserting or editing a record breaks the chain, and :func:`verify` says
where. Version and history graphs are outside the union that queries and validation see.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

import pyoxigraph

HISTORY_GRAPH = "urn:aimsgraph:graph:history"
DEFAULT_GRAPH = "urn:aimsgraph:graph:default"  # how records name the default graph
VERSION_PREFIX = "urn:aimsgraph:graph:version:sha256-"
_RECORD = "urn:aimsgraph:change:"
_AIMS = "https://w3id.org/aimsgraph/ns#"
_PROV = "http://www.w3.org/ns/prov#"
_XSD = "http://www.w3.org/2001/XMLSchema#"
_FIELDS = (
    "sequence",
    "at",
    "actor",
    "operation",
    "graph",
    "version",
    "contentHash",
    "triples",
    "updateHash",
    "previous",
)


@dataclass(frozen=True)
class Record:
    """One change: what :func:`record` writes and :func:`read` gives back."""

    sequence: int
    at: str  # xsd:dateTime, UTC
    actor: str
    operation: str  # replace, add, drop, update, or updated (a graph as a SPARQL update left it)
    graph: str  # the graph written ("" for a SPARQL update: its "updated" records name each graph)
    version: str  # the version graph holding the content written ("" for drop and update)
    content_hash: str  # sha256:<hex> of the content written ("" for drop and update)
    triples: int  # triples written (0 for drop and update)
    update_hash: str  # sha256:<hex> of a SPARQL update's text ("" otherwise)
    previous: str  # the record hash of the record before ("" for the first)
    record_hash: str

    def values(self) -> tuple[str, ...]:
        return (
            str(self.sequence),
            self.at,
            self.actor,
            self.operation,
            self.graph,
            self.version,
            self.content_hash,
            str(self.triples),
            self.update_hash,
            self.previous,
        )


def content_hash(quads: Iterable[pyoxigraph.Quad]) -> str:
    """Give the SHA-256 of a graph's triples (graph names ignored), independent of their order."""
    lines = sorted({f"{q.subject} {q.predicate} {q.object} ." for q in quads})
    return "sha256:" + hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()


def version_graph(digest: str) -> str:
    """Give the name of the version graph of content with hash ``digest``."""
    return VERSION_PREFIX + digest.removeprefix("sha256:")


def _hash_of(values: tuple[str, ...]) -> str:
    # Length-prefixed, so that no shifting of characters between fields gives the same text.
    text = "".join(f"{len(value)}:{value}" for value in values)
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def new_record(
    last: Record | None,
    *,
    actor: str,
    operation: str,
    graph: str = "",
    digest: str = "",
    triples: int = 0,
    update_text: str = "",
    now: dt.datetime | None = None,
) -> Record:
    """Give the record that follows ``last`` for one write."""
    moment = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).isoformat(timespec="microseconds")
    update_hash = "sha256:" + hashlib.sha256(update_text.encode("utf-8")).hexdigest() if update_text else ""
    partial = Record(
        sequence=(last.sequence + 1) if last else 1,
        at=moment,
        actor=actor,
        operation=operation,
        graph=graph,
        version=version_graph(digest) if digest else "",
        content_hash=digest,
        triples=triples,
        update_hash=update_hash,
        previous=last.record_hash if last else "",
        record_hash="",
    )
    return Record(**{**partial.__dict__, "record_hash": _hash_of(partial.values())})


def insert(record: Record, update_text: str = "") -> str:
    """Give the SPARQL update that adds ``record`` to the history graph (PROV-O, with aimsgraph's fields)."""
    node = pyoxigraph.NamedNode(f"{_RECORD}{record.sequence}")
    aims = {name: pyoxigraph.NamedNode(_AIMS + name) for name in (*_FIELDS, "recordHash", "updateText")}
    triples = [
        (
            node,
            pyoxigraph.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
            pyoxigraph.NamedNode(_PROV + "Activity"),
        ),
        (
            node,
            pyoxigraph.NamedNode(_PROV + "startedAtTime"),
            pyoxigraph.Literal(record.at, datatype=pyoxigraph.NamedNode(_XSD + "dateTime")),
        ),
        (node, pyoxigraph.NamedNode(_PROV + "wasAssociatedWith"), pyoxigraph.Literal(record.actor)),
        (node, aims["recordHash"], pyoxigraph.Literal(record.record_hash)),
    ]
    triples += [
        (node, aims[name], pyoxigraph.Literal(value)) for name, value in zip(_FIELDS, record.values(), strict=True)
    ]
    if record.version:
        triples.append((node, pyoxigraph.NamedNode(_PROV + "generated"), pyoxigraph.NamedNode(record.version)))
    if update_text:
        triples.append((node, aims["updateText"], pyoxigraph.Literal(update_text)))
    body = " ".join(f"{s} {p} {o} ." for s, p, o in triples)
    return f"INSERT DATA {{ GRAPH <{HISTORY_GRAPH}> {{ {body} }} }}"


def read(store: pyoxigraph.Store) -> list[Record]:
    """Give the records in the history graph of ``store``, in sequence order."""
    graph = pyoxigraph.NamedNode(HISTORY_GRAPH)
    fields: dict[str, dict[str, str]] = {}
    for quad in store.quads_for_pattern(None, None, None, graph):
        name = quad.predicate.value.removeprefix(_AIMS)
        subject, value = quad.subject, quad.object
        if (
            quad.predicate.value.startswith(_AIMS)
            and name in (*_FIELDS, "recordHash")
            and isinstance(subject, pyoxigraph.NamedNode)
            and isinstance(value, pyoxigraph.Literal)
        ):
            fields.setdefault(subject.value, {})[name] = value.value
    records = []
    for values in fields.values():
        try:
            records.append(
                Record(
                    sequence=int(values.get("sequence", "0")),
                    at=values.get("at", ""),
                    actor=values.get("actor", ""),
                    operation=values.get("operation", ""),
                    graph=values.get("graph", ""),
                    version=values.get("version", ""),
                    content_hash=values.get("contentHash", ""),
                    triples=int(values.get("triples", "0")),
                    update_hash=values.get("updateHash", ""),
                    previous=values.get("previous", ""),
                    record_hash=values.get("recordHash", ""),
                )
            )
        except ValueError:
            records.append(Record(0, "", "", "malformed", "", "", "", 0, "", "", ""))
    return sorted(records, key=lambda r: r.sequence)


def verify(store: pyoxigraph.Store, anchors: Iterable[str] = ()) -> list[str]:
    """Give every way the store's data and log disagree (empty when the log is intact and accounts
    for the data): a record whose hash or link is wrong, a gap in the sequence, a version graph
    whose content is not what its name says, a graph whose content no record accounts for, and an
    anchor that is not in the log.

    The chain alone shows that records were not changed one by one; someone who can write the
    store could still write a whole new chain. An anchor is a record hash published earlier
    somewhere the store's writers cannot change (a signed commit, a ticket, an auditor's file):
    it must still be in the log, so nothing up to it was rewritten.
    """
    records = read(store)
    chained = {record.record_hash for record in records}
    missing = [
        f"anchor {anchor}: not in the log (the log up to it was rewritten, or the anchor is another store's)"
        for anchor in anchors
        if anchor not in chained
    ]
    return (
        _chain_problems(store, records) + _record_problems(store, records) + _content_problems(store, records) + missing
    )


def _chain_problems(store: pyoxigraph.Store, records: list[Record]) -> list[str]:
    problems: list[str] = []
    previous = ""
    for expected, record in enumerate(records, start=1):
        if record.sequence != expected:
            return [*problems, f"record {expected}: missing (the next one is {record.sequence})"]
        if record.previous != previous:
            problems.append(f"record {record.sequence}: does not follow record {expected - 1}")
        if _hash_of(record.values()) != record.record_hash:
            problems.append(f"record {record.sequence}: changed after it was written")
        previous = record.record_hash
        if record.version:
            found = content_hash(store.quads_for_pattern(None, None, None, pyoxigraph.NamedNode(record.version)))
            if found != record.content_hash:
                problems.append(f"record {record.sequence}: the version it wrote was changed")
    return problems


def pending_update(records: list[Record]) -> Record | None:
    """Give the last record if it is an update whose "updated" records were never written (the
    process stopped between the two transactions); the store writes them when it is next opened."""
    return records[-1] if records and records[-1].operation == "update" else None


def update_text(store: pyoxigraph.Store, record: Record) -> str:
    """Give the text of the SPARQL update that ``record`` logged ("" if it is not there)."""
    node = pyoxigraph.NamedNode(f"{_RECORD}{record.sequence}")
    texts = store.quads_for_pattern(
        node, pyoxigraph.NamedNode(_AIMS + "updateText"), None, pyoxigraph.NamedNode(HISTORY_GRAPH)
    )
    return next((q.object.value for q in texts if isinstance(q.object, pyoxigraph.Literal)), "")


def _content_problems(store: pyoxigraph.Store, records: list[Record]) -> list[str]:
    problems = []
    latest = {record.graph: record for record in records if record.graph}
    graphs: list[pyoxigraph.NamedNode | pyoxigraph.DefaultGraph] = [pyoxigraph.DefaultGraph()]
    graphs += [g for g in store.named_graphs() if isinstance(g, pyoxigraph.NamedNode)]
    for graph in graphs:
        name = graph.value if isinstance(graph, pyoxigraph.NamedNode) else DEFAULT_GRAPH
        reserved = name.startswith("urn:aimsgraph:graph:") and name != DEFAULT_GRAPH
        empty = next(iter(store.quads_for_pattern(None, None, None, graph)), None) is None
        if not reserved and name not in latest and not empty:
            problems.append(f"{_named(name)}: holds data that no record accounts for")
    for name, record in latest.items():
        node = pyoxigraph.DefaultGraph() if name == DEFAULT_GRAPH else pyoxigraph.NamedNode(name)
        current = content_hash(store.quads_for_pattern(None, None, None, node))
        expected = record.content_hash if record.operation != "drop" else content_hash([])
        if current != expected:
            problems.append(f"{_named(name)}: changed since record {record.sequence} without a record")
    return problems


def _named(graph: str) -> str:
    return "the default graph" if graph == DEFAULT_GRAPH else f"graph <{graph}>"


def summary(store: pyoxigraph.Store, *, check: bool, anchors: Iterable[str] = ()) -> dict[str, Any]:
    """Give the log as the CLI and the API show it: the records, the head (the last record's hash,
    to publish as an anchor), and with ``check`` the problems :func:`verify` finds (an empty list
    when the log is intact and every anchor is in it)."""
    records = read(store)
    return {
        "records": [asdict(record) for record in records],
        "head": {"sequence": records[-1].sequence, "record_hash": records[-1].record_hash} if records else None,
        "verified": check,
        "problems": verify(store, anchors) if check else [],
    }


def _record_problems(store: pyoxigraph.Store, records: list[Record]) -> list[str]:
    """Check what the record hash does not cover: the PROV-O statements must say what the hashed
    fields say, each field must have one value, an update's text must match its hash, and the log
    may hold nothing but records."""
    statements: dict[str, dict[str, list[str]]] = {}
    for quad in store.quads_for_pattern(None, None, None, pyoxigraph.NamedNode(HISTORY_GRAPH)):
        subject = quad.subject.value if isinstance(quad.subject, pyoxigraph.NamedNode) else str(quad.subject)
        value = quad.object.value if isinstance(quad.object, pyoxigraph.NamedNode | pyoxigraph.Literal) else ""
        statements.setdefault(subject, {}).setdefault(quad.predicate.value, []).append(value)
    problems = []
    known = {f"{_RECORD}{record.sequence}": record for record in records}
    for subject in statements.keys() - known.keys():
        problems.append(f"the log holds <{subject}>, which is not a record")
    for subject, record in known.items():
        said = statements.get(subject, {})
        expected = {
            "http://www.w3.org/1999/02/22-rdf-syntax-ns#type": [_PROV + "Activity"],
            _PROV + "wasAssociatedWith": [record.actor],
            **({_PROV + "generated": [record.version]} if record.version else {}),
        }
        text = said.get(_AIMS + "updateText", [])
        moments = said.get(_PROV + "startedAtTime", [])
        fields_once = all(len(said.get(_AIMS + name, [])) == 1 for name in (*_FIELDS, "recordHash"))
        allowed = {
            *expected,
            _PROV + "startedAtTime",
            _AIMS + "updateText",
            *(_AIMS + n for n in (*_FIELDS, "recordHash")),
        }
        if (
            any(sorted(said.get(p, [])) != v for p, v in expected.items())
            or not fields_once
            or len(moments) != 1
            or _instant(moments[0]) != _instant(record.at)
            or set(said) - allowed
        ):
            problems.append(f"record {record.sequence}: its statements were changed after it was written")
        update_hash = "sha256:" + hashlib.sha256(text[0].encode("utf-8")).hexdigest() if len(text) == 1 else ""
        if update_hash != record.update_hash:
            problems.append(f"record {record.sequence}: the update text does not match its hash")
    return problems


def _instant(text: str) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
