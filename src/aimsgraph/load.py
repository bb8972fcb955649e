"""Reading AIMS data: finding the files, parsing them with Oxigraph, and remembering where each
subject was written.

Oxigraph parses (fast, and its errors carry line and column); the triples are turned into an
rdflib graph only when something asks for one (pySHACL, inference), which at scale costs more
than the parsing. Input is read as bytes and parsed with an explicit format and base
IRI, so a parser never opens a file or a URL of its own accord.
"""

from __future__ import annotations

import gc
import threading
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field

import pyoxigraph
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, XSD
from rdflib.term import Node

from aimsgraph import inputs, jsonld, limits, locate
from aimsgraph.errors import InputError
from aimsgraph.formats import RdfFormat
from aimsgraph.model import Progress, SourceLocation

# where the inputs are found and read, in inputs.py; the faces know them by these names
STDIN = inputs.STDIN
SourceFile = inputs.SourceFile
collect = inputs.collect
rdf_files = inputs.rdf_files
read = inputs.read
_XSD_STRING = str(XSD.string)
_RDF_LANG_STRING = str(RDF.langString)
_RDF_TYPE = str(RDF.type)
_RDF_TYPE_NODE = pyoxigraph.NamedNode(_RDF_TYPE)


# formats whose subjects have no line of their own: a mention of the IRI is searched for instead
_MENTIONED = (RdfFormat.JSONLD, RdfFormat.RDFXML)


@dataclass
class _LineIndex:
    """Where, in each source, subjects and their properties are written; and the texts of the
    sources (JSON-LD, RDF/XML) that are searched for a mention instead."""

    subjects: dict[str, list[SourceLocation]] = field(default_factory=dict)
    properties: dict[tuple[str, str], dict[str, int]] = field(default_factory=dict)
    texts: dict[str, str] = field(default_factory=dict)

    def add(self, sources: Sequence[SourceFile], wanted: set[str]) -> None:
        """Add where the ``wanted`` subjects are written in ``sources``."""
        for source in sources:
            if source.rdf_format in (RdfFormat.NTRIPLES, RdfFormat.NQUADS):  # read as bytes, not decoded whole
                lines = locate.ntriples_lines(source.content, wanted)
                text = ""
            else:
                text = source.content.decode("utf-8", errors="replace")
                lines = locate.source_lines(text, source.rdf_format, source.base_iri, wanted)
            for iri, line in lines.subjects.items():
                self.subjects.setdefault(iri, []).append(SourceLocation(source.name, line))
            for pair, line in lines.properties.items():
                self.properties.setdefault(pair, {})[source.name] = line
            if source.rdf_format in _MENTIONED:
                self.texts[source.name] = text


@dataclass
class LoadedData:
    """The triples of all inputs (named graphs merged), with the places subjects were written."""

    quads: list[pyoxigraph.Quad] = field(default_factory=list)
    # the distinct literals as written (the store rewrites typed ones canonically: "01" as "1")
    literals: set[pyoxigraph.Literal] = field(default_factory=set)
    sources: list[str] = field(default_factory=list)
    prefixes: dict[str, str] = field(default_factory=dict)
    _typed_in: dict[str, set[str]] = field(default_factory=dict)
    _sources: list[SourceFile] = field(default_factory=list)  # read again for the lines of subjects
    _ends: list[int] = field(default_factory=list)  # where each source's quads end in ``quads``
    _index: _LineIndex = field(default_factory=_LineIndex)
    _located: set[str] = field(default_factory=set)  # the IRIs whose lines are in the index
    _subjects_in: dict[str, list[int]] | None = None  # IRI -> the sources it is a subject in, if kept
    _literals_of: dict[str, set[pyoxigraph.Literal]] | None = None  # by source, if kept
    _prefixes_of: dict[str, dict[str, str]] = field(default_factory=dict)  # by source
    streamed: bool = False  # parsed into a store, no quads kept (see load_into)
    _graph: Graph | None = None

    @property
    def graph(self) -> Graph:
        """Give the triples as an rdflib graph (made on first use)."""
        if self._graph is None:
            self._graph = to_graph(self.quads)
        return self._graph

    @property
    def triples(self) -> int:
        """Give how many distinct triples the inputs hold."""
        return len({(q.subject, q.predicate, q.object) for q in self.quads})

    def locate(self, iris: Iterable[str]) -> None:
        """Read where the given IRIs are written as subjects, and their properties: one pass over
        the sources for all of them. Only those asked for are kept, since an index of every
        subject of a large AIMS would weigh as much as its triples (at 10,000 AI systems, 240 MB)."""
        wanted = set(iris) - self._located
        if wanted:
            sources = self._sources
            if self._subjects_in is not None:  # only the sources that have one of them as a subject
                held = {at for iri in wanted for at in self._subjects_in.get(iri, ())}
                sources = [source for at, source in enumerate(sources) if at in held]
            self._index.add(sources, wanted)
            self._located |= wanted

    def prepare_for_changes(self) -> None:
        """Keep each source's literals, so that those of a source that changes can go, and which
        sources have each IRI as a subject (at 10,000 AI systems, about 100,000 IRIs), so that
        locating a few new IRIs reads only the sources that write them, not all (0.4 s). For data
        kept open across changes; for sources that a mention is searched in instead (JSON-LD,
        RDF/XML), every source is read still."""
        self._literals_of = {
            name: {q.object for q in self.quads_of(name) if type(q.object) is pyoxigraph.Literal}
            for name in self.sources
        }
        if any(source.rdf_format in _MENTIONED for source in self._sources):
            return
        self._subjects_in = {}
        for at, name in enumerate(self.sources):
            for iri in {q.subject.value for q in self.quads_of(name) if type(q.subject) is pyoxigraph.NamedNode}:
                self._subjects_in.setdefault(iri, []).append(at)

    def quads_of(self, name: str) -> list[pyoxigraph.Quad]:
        """Give the quads parsed from the source named ``name`` (none if there is no such source)."""
        if name not in self.sources or self.streamed:
            return []
        at = self.sources.index(name)
        return self.quads[self._ends[at - 1] if at else 0 : self._ends[at]]

    def replace_source(
        self, name: str, source: SourceFile | None, *, before: str | None = None
    ) -> tuple[list[pyoxigraph.Quad], list[pyoxigraph.Quad]]:
        """Put ``source`` in the place of the source named ``name`` (if there is none, before the
        source named ``before``, else at the end; None: drop it), and give the quads it had and
        those it has now.

        :raises InputError: ``source`` is not well-formed; then nothing has changed.
        """
        new: list[pyoxigraph.Quad] = []
        prefixes: dict[str, str] = {}
        literals: set[pyoxigraph.Literal] = set()
        typed = _parse_into(source, prefixes, new, literals) if source is not None else set()
        old = self.quads_of(name)
        if name in self.sources:
            at = self.sources.index(name)
        else:
            at = self.sources.index(before) if before in self.sources else len(self.sources)
            self.sources.insert(at, name)
            self._sources.insert(at, SourceFile(name, b"", RdfFormat.NTRIPLES, ""))
            self._ends.insert(at, self._ends[at - 1] if at else 0)
            for held in (self._subjects_in or {}).values():  # the sources after it move one place on
                held[:] = [place + 1 if place >= at else place for place in held]
        start, end = (self._ends[at - 1] if at else 0), self._ends[at]
        self.quads[start:end] = new
        self._ends[at:] = [e + len(new) - len(old) for e in self._ends[at:]]
        self._graph = None
        self._typed_in[name] = typed
        # the lines of the IRIs already located, read again in this source alone, in its place
        index = self._index
        for places in index.subjects.values():
            places[:] = [place for place in places if place.file != name]
        for lines in index.properties.values():
            lines.pop(name, None)
        index.texts.pop(name, None)
        self._reindex_subjects(at, old, new, dropped=source is None)
        if source is not None and source.rdf_format in _MENTIONED:
            self._subjects_in = None
        if source is None:
            del self.sources[at], self._sources[at], self._ends[at], self._typed_in[name]
        else:
            self._sources[at] = source
            index.add([source], self._located)
            order = {source_name: i for i, source_name in enumerate(self.sources)}
            for places in index.subjects.values():
                places.sort(key=lambda place: order.get(place.file, len(order)))
        index.texts = {n: index.texts[n] for n in self.sources if n in index.texts}  # searched in order
        self._keep_literals_and_prefixes(name, literals if source is not None else None, prefixes)
        return old, new

    def _keep_literals_and_prefixes(
        self, name: str, literals: set[pyoxigraph.Literal] | None, prefixes: dict[str, str]
    ) -> None:
        """Make the literals and prefixes those of the sources as they now are (``literals`` None:
        the source named ``name`` is gone). Without each source's literals kept (see
        :meth:`prepare_for_changes`), those of a source that changed stay too."""
        if self._literals_of is None:
            self.literals |= literals or set()
        else:
            self._literals_of.pop(name, None)
            if literals is not None:
                self._literals_of[name] = literals
            self.literals = set().union(*self._literals_of.values())
        self._prefixes_of.pop(name, None)
        if literals is not None:
            self._prefixes_of[name] = prefixes
        self.prefixes = {}
        for source in self.sources:  # the first source to bind a prefix wins, as when loading
            for prefix, namespace in self._prefixes_of.get(source, {}).items():
                self.prefixes.setdefault(prefix, namespace)

    def _reindex_subjects(
        self, at: int, old: list[pyoxigraph.Quad], new: list[pyoxigraph.Quad], *, dropped: bool
    ) -> None:
        """Keep the sources of each subject true after source ``at`` went from ``old`` to ``new``
        quads (or was ``dropped``, which moves the sources after it one place up)."""
        index = self._subjects_in
        if index is None:
            return
        for iri in {q.subject.value for q in old if type(q.subject) is pyoxigraph.NamedNode}:
            places = index.get(iri, [])
            if at in places:
                places.remove(at)
        if dropped:
            for places in index.values():
                places[:] = [place - 1 if place > at else place for place in places]
            return
        for iri in {q.subject.value for q in new if type(q.subject) is pyoxigraph.NamedNode}:
            places = index.setdefault(iri, [])
            places.append(at)
            places.sort()

    def location(self, iri: str, predicate: str | None = None) -> SourceLocation | None:
        """Give where ``iri`` is defined: the first file that states its type, else its first
        mention; with ``predicate``, also the line where that property of ``iri`` is written.
        (Ask :meth:`locate` first for many IRIs at once: each IRI not yet located is a pass.)"""
        self.locate([iri])
        index = self._index
        candidates = index.subjects.get(iri, [])
        written = index.properties.get((iri, predicate), {}) if predicate else {}
        for candidate in candidates:
            if iri in self._typed_in.get(candidate.file, set()):
                return SourceLocation(candidate.file, candidate.line, written.get(candidate.file))
        if candidates:
            first = candidates[0]
            return SourceLocation(first.file, first.line, written.get(first.file))
        for name, text in index.texts.items():
            line = locate.first_mention(text, iri)
            if line is not None:
                return SourceLocation(name, line)
        return None


def load(sources: Sequence[SourceFile], progress: Progress | None = None) -> LoadedData:
    """Parse every source (named graphs are merged); where subjects are written is read on demand.

    :raises InputError: a source is not well-formed in its format; the error names file, line, column.
    """
    data = LoadedData()
    with collection_paused():
        for done, source in enumerate(sources):
            if progress is not None:
                progress("parse", done, len(sources))
            prefixes: dict[str, str] = {}
            typed = _parse_into(source, prefixes, data.quads, data.literals)
            data._prefixes_of[source.name] = prefixes
            for prefix, namespace in prefixes.items():
                data.prefixes.setdefault(prefix, namespace)
            data._ends.append(len(data.quads))
            data.sources.append(source.name)
            data._typed_in[source.name] = typed
            data._sources.append(source)
    return data


def load_into(store: pyoxigraph.Store, sources: Sequence[SourceFile], progress: Progress | None = None) -> LoadedData:
    """Parse every source straight into ``store`` (its default graph: named graphs are merged),
    keeping no quads in Python, which at 100,000 AI systems would weigh about 2 GB: the data
    given back has its sources, prefixes, literals and typed IRIs, and no quads.

    Sources in a format without named graphs are parsed into the store by Oxigraph itself, on a
    thread of its own (it lets go of Python's lock), while the same text is read here for what
    the store does not keep (the literals as written, the IRIs each source types, its prefixes)
    and for what aimsgraph refuses: at 10,000 AI systems, 1.0 s instead of 1.4 s. The others
    (their named graphs merged, JSON-LD's contexts inlined first) pass through Python.

    :raises InputError: a source is not well-formed; ``store`` then holds part of the data.
    """
    data = LoadedData(streamed=True)
    pool = ThreadPoolExecutor(1, thread_name_prefix="aimsgraph-load")
    loads: list[Future[None]] = []  # the store is written by one thread at a time, in the sources' order
    try:
        with collection_paused():
            for done, source in enumerate(sources):
                if progress is not None:
                    progress("parse", done, len(sources))
                typed: set[str] = set()
                if source.rdf_format in _LOADED_BY_STORE:
                    _refuse_dangerous(source)  # before Oxigraph sees it
                    loads.append(pool.submit(_store_load, store, source))
                    deque(_parsed(source, data.prefixes, data.literals, typed), maxlen=0)
                else:
                    for earlier in loads:
                        earlier.result()
                    store.bulk_extend(_parsed(source, data.prefixes, data.literals, typed))
                data.sources.append(source.name)
                data._typed_in[source.name] = typed
                data._sources.append(source)
            for earlier in loads:
                earlier.result()
    finally:  # on an error, what is queued is dropped; what runs is waited for (it writes the store)
        pool.shutdown(wait=True, cancel_futures=True)
    return data


# formats without named graphs, whose text the store can load as it is
_LOADED_BY_STORE = (RdfFormat.TURTLE, RdfFormat.NTRIPLES, RdfFormat.RDFXML)


def _store_load(store: pyoxigraph.Store, source: SourceFile) -> None:
    # In one transaction, not Store.bulk_load: an in-memory store loads so faster and in less
    # memory (at 10,000 AI systems 0.85 s against 0.97 s; at 100,000, 2.5 GiB against 2.7 GiB),
    # and a source that does not parse leaves nothing of itself behind.
    try:
        store.load(source.content, source.rdf_format.oxigraph, base_iri=source.base_iri)
    except SyntaxError as error:
        raise InputError(_problem(error), source=source.name, line=error.lineno, column=error.offset) from None
    except (ValueError, OSError) as error:
        raise InputError(str(error), source=source.name) from None


@contextmanager
def collection_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while millions of objects that form no cycle are
    made (parsed quads, query rows): it would otherwise walk them again and again, which at 10,000
    AI systems is a third of the parsing time. Reference counting still frees what is dropped.
    Nested or on several threads at once, the collector resumes when the last pause ends (and
    only if it ran when the first began)."""
    with _PAUSES.lock:
        if _PAUSES.count == 0:
            _PAUSES.resume = gc.isenabled()
        _PAUSES.count += 1
        gc.disable()
    try:
        yield
    finally:
        with _PAUSES.lock:
            _PAUSES.count -= 1
            if _PAUSES.count == 0 and _PAUSES.resume:
                gc.enable()


@dataclass
class _Pauses:
    """The collector's pauses under way, and whether it runs again when the last ends."""

    count: int = 0
    resume: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)


_PAUSES = _Pauses()


def from_quads(quads: Iterable[pyoxigraph.Quad], *, sources: Sequence[str]) -> LoadedData:
    """Give already parsed quads (for example read from a store) as loaded data, graph names merged.

    No source text is at hand, so findings about this data carry no line numbers.
    """
    data = LoadedData(sources=list(sources))
    data.quads = [pyoxigraph.Quad(quad.subject, quad.predicate, quad.object) for quad in quads]
    data._ends = [len(data.quads)] * len(data.sources)  # told apart by source no more
    data.literals = {quad.object for quad in data.quads if type(quad.object) is pyoxigraph.Literal}
    return data


def to_graph(quads: Iterable[pyoxigraph.Quad]) -> Graph:
    """Give the triples of ``quads`` as an rdflib graph (graph names ignored)."""
    graph = Graph()
    graph.addN((to_rdflib(q.subject), URIRef(q.predicate.value), to_rdflib(q.object), graph) for q in quads)
    return graph


def to_quads(graph: Graph) -> list[pyoxigraph.Quad]:
    """Give an rdflib graph's triples as Oxigraph quads in the default graph, leaving out the
    generalised triples (a literal as subject) that OWL RL and RDFS closures can produce."""
    quads = []
    for s, p, o in graph:
        if isinstance(s, URIRef | BNode) and isinstance(p, URIRef):
            quads.append(pyoxigraph.Quad(to_subject(s), pyoxigraph.NamedNode(str(p)), to_oxigraph(o)))
    return quads


def to_subject(term: URIRef | BNode) -> pyoxigraph.NamedNode | pyoxigraph.BlankNode:
    """Give the Oxigraph term for an rdflib IRI or blank node."""
    return pyoxigraph.NamedNode(str(term)) if isinstance(term, URIRef) else pyoxigraph.BlankNode(str(term))


def to_oxigraph(term: Node) -> pyoxigraph.NamedNode | pyoxigraph.BlankNode | pyoxigraph.Literal:
    if isinstance(term, URIRef):
        return pyoxigraph.NamedNode(str(term))
    if isinstance(term, BNode):
        return pyoxigraph.BlankNode(str(term))
    if isinstance(term, Literal):
        if term.language:
            return pyoxigraph.Literal(str(term), language=term.language)
        datatype = pyoxigraph.NamedNode(str(term.datatype)) if term.datatype else None
        return pyoxigraph.Literal(str(term), datatype=datatype)
    raise ValueError(f"unsupported term {term!r}")


def parse_graph(source: SourceFile) -> Graph:
    """Parse one source into a new rdflib graph.

    :raises InputError: the source is not well-formed.
    """
    quads: list[pyoxigraph.Quad] = []
    _parse_into(source, {}, quads)
    return to_graph(quads)


def parse_quads(source: SourceFile) -> list[pyoxigraph.Quad]:
    """Parse one source into Oxigraph quads, all in the default graph.

    :raises InputError: the source is not well-formed.
    """
    quads: list[pyoxigraph.Quad] = []
    _parse_into(source, {}, quads)
    return quads


def oxigraph_store(*quad_lists: list[pyoxigraph.Quad]) -> pyoxigraph.Store:
    """Give a new in-memory Oxigraph store holding the given quads."""
    store = pyoxigraph.Store()
    for quads in quad_lists:
        store.bulk_extend(quads)
    return store


def _parse_into(
    source: SourceFile,
    prefixes: dict[str, str],
    kept: list[pyoxigraph.Quad],
    literals: set[pyoxigraph.Literal] | None = None,
) -> set[str]:
    """Add the source's triples to ``kept`` (as Oxigraph quads in the default graph: named graphs
    are merged), its prefixes to ``prefixes`` and its literals to ``literals``; give the IRIs it types."""
    typed: set[str] = set()
    kept.extend(_parsed(source, prefixes, set() if literals is None else literals, typed))
    return typed


def _parsed(
    source: SourceFile, prefixes: dict[str, str], literals: set[pyoxigraph.Literal], typed: set[str]
) -> Iterator[pyoxigraph.Quad]:
    """Give the source's triples as they are parsed (as Oxigraph quads in the default graph: named
    graphs are merged); add its prefixes to ``prefixes``, its literals to ``literals`` and the
    IRIs it types to ``typed``.

    :raises InputError: the source is not well-formed (when the quad it fails at is asked for).
    """
    _refuse_dangerous(source)
    content = source.content
    if source.rdf_format is RdfFormat.JSONLD:
        content = jsonld.inline_contexts(content, source=source.name)  # allowed contexts only
    # Only these formats can name graphs; the others' quads are already in the default graph.
    # (This loop runs once per triple: at 10,000 AI systems, half a million times.)
    merge_graphs = source.rdf_format in (RdfFormat.TRIG, RdfFormat.NQUADS, RdfFormat.JSONLD)
    try:
        quads = pyoxigraph.parse(content, source.rdf_format.oxigraph, base_iri=source.base_iri, rename_blank_nodes=True)
        for quad in quads:
            value = quad.object
            kind = type(value)
            if kind is pyoxigraph.Literal:
                if value.direction:
                    raise ValueError("RDF 1.2 directional language tags (@en--rtl) are not supported")
                literals.add(value)
            elif kind is pyoxigraph.Triple or type(quad.subject) is pyoxigraph.Triple:
                raise ValueError("RDF 1.2 triple terms are not supported")
            if quad.predicate == _RDF_TYPE_NODE and type(quad.subject) is pyoxigraph.NamedNode:
                typed.add(quad.subject.value)
            yield pyoxigraph.Quad(quad.subject, quad.predicate, value) if merge_graphs else quad
        for prefix, namespace in quads.prefixes.items():
            prefixes.setdefault(prefix, namespace)
    except SyntaxError as error:
        raise InputError(_problem(error), source=source.name, line=error.lineno, column=error.offset) from None
    except (ValueError, OSError) as error:
        raise InputError(str(error), source=source.name) from None


def _refuse_dangerous(source: SourceFile) -> None:
    """Refuse what would make a parser blow up before it sees it (see ``limits``)."""
    if source.rdf_format is RdfFormat.RDFXML:
        # An internal entity can expand a few hundred bytes into gigabytes; RDF never needs one.
        head = source.content.replace(b"\x00", b"").upper()
        if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
            raise InputError("RDF/XML with a DOCTYPE or ENTITY declaration is refused", source=source.name)
        depth = limits.xml_depth(source.content)
    elif source.rdf_format is RdfFormat.JSONLD:
        depth = limits.json_depth(source.content)
    else:
        return
    if depth > limits.MAX_DOCUMENT_DEPTH:
        raise InputError(
            f"the document nests elements {depth} deep; the limit is {limits.MAX_DOCUMENT_DEPTH}", source=source.name
        )


def _problem(error: SyntaxError) -> str:
    message = error.msg or str(error)
    prefix = "Parser error at line "
    if message.startswith(prefix) and ": " in message:
        message = message.split(": ", 1)[1]
    if "LoadDocumentCallback" in message:  # Oxigraph's words for a context it was not let fetch
        known = ", ".join(jsonld.ALLOWED)
        message = f"a remote JSON-LD @context is never fetched: write the context in the file, or use {known}"
    return message


def to_rdflib(term: object) -> Node:
    """Give the rdflib term for a pyoxigraph term.

    :raises ValueError: it is an RDF 1.2 triple term, which aimsgraph does not take.
    """
    if isinstance(term, pyoxigraph.NamedNode):
        return URIRef(term.value)
    if isinstance(term, pyoxigraph.BlankNode):
        return BNode(term.value)
    if isinstance(term, pyoxigraph.Literal):
        datatype = term.datatype.value
        if term.language:
            return Literal(term.value, lang=term.language)
        if datatype in (_XSD_STRING, _RDF_LANG_STRING):
            return Literal(term.value)
        return Literal(term.value, datatype=URIRef(datatype))
    raise ValueError("RDF 1.2 triple terms are not supported")
