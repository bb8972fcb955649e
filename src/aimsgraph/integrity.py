"""The organisation's data cannot change what aimsgraph's terms mean.

SHACL's ``sh:class`` and class targets follow ``rdfs:subClassOf`` triples wherever they are, the
data graph included, so a single uploaded axiom (``ex:Anyone rdfs:subClassOf aims:Person``) could
make a failing AIMS conform with no inference at all. Before validation, every statement in the
data that would redefine one of our terms (queries/internal/redefinitions.rq) is set aside: it
takes no part in validation and is reported as a finding of the rule ``DataRedefinesTerms``,
which no waiver or baseline suppresses. Vocabulary that extends ours is passed explicitly as an
extension instead, and is trusted like the ontology.

Under inference the data's own vocabulary can reach our terms indirectly (``ex:sc
rdfs:subPropertyOf rdfs:subClassOf``, then ``ex:Anyone ex:sc aims:Person``), so :func:`entail`
also checks what the data entails beyond what the trusted vocabulary entails alone.
"""

from __future__ import annotations

from collections.abc import Sequence

import pyoxigraph
from rdflib import Graph, Literal
from rdflib.namespace import SH
from rdflib.term import Node, URIRef

from aimsgraph import assets, load, reason
from aimsgraph.model import Inference
from aimsgraph.shacl_run import Result

RULE = "DataRedefinesTerms"
SHAPE = URIRef(f"https://w3id.org/aimsgraph/shapes#{RULE}")
_QUERY = "internal/redefinitions.rq"
_ENTAILED_QUERY = "internal/entailed-redefinitions.rq"
_VOCABULARY_QUERY = "internal/vocabulary-statements.rq"
ENTAILED_MESSAGE = (
    "Under inference, the data's own vocabulary statements entail this statement, which would change the "
    "meaning of aimsgraph's ontology or catalogue; all of the data's vocabulary statements were set aside "
    "and had no effect on validation."
)

Triple = tuple[Node, Node, Node]


def redefinitions(quads: Sequence[pyoxigraph.Quad]) -> list[Triple]:
    """Give the statements among ``quads`` (the organisation's data alone) that redefine our terms."""
    return redefinitions_in(load.oxigraph_store(list(quads)))


def redefinitions_in(store: pyoxigraph.Store) -> list[Triple]:
    """Give the statements in ``store`` (the organisation's data alone) that redefine our terms."""
    solutions = store.query(assets.query_text(_QUERY))
    # read through before any conversion: this may run on a thread of its own, and Oxigraph's
    # answer must be dropped on the thread that asked (a traceback, which keeps this frame, or a
    # logged warning's, could carry it to another)
    try:
        assert isinstance(solutions, pyoxigraph.QuerySolutions)
        rows = [(row["s"], row["p"], row["o"]) for row in solutions]
    finally:
        del solutions
    return [(load.to_rdflib(s), load.to_rdflib(p), load.to_rdflib(o)) for s, p, o in rows]


def without(quads: Sequence[pyoxigraph.Quad], set_aside: Sequence[Triple]) -> list[pyoxigraph.Quad]:
    """Give ``quads`` less the set-aside statements (for the queries, which must see what the shapes saw)."""
    if not set_aside:
        return list(quads)
    gone = {(str(s), str(p), str(o)) for s, p, o in set_aside}
    return [q for q in quads if (_text(q.subject), q.predicate.value, _text(q.object)) not in gone]


def quads(statements: Sequence[Triple]) -> list[pyoxigraph.Quad]:
    """Give set-aside statements as Oxigraph quads in the default graph."""
    return [
        pyoxigraph.Quad(load.to_subject(s), pyoxigraph.NamedNode(str(p)), load.to_oxigraph(o))  # type: ignore[arg-type]
        for s, p, o in statements
    ]


def trusted_quads(data: load.LoadedData, extensions: Sequence[str]) -> list[pyoxigraph.Quad]:
    """Give what the queries may see: the data less the statements that redefine our terms, and
    the extension files. (The bundled ontology and catalogues are added by the caller.)

    :raises UsageError: an extension path is missing or of unknown format.
    :raises InputError: an extension file is not well-formed.
    """
    return without(data.quads, redefinitions(data.quads)) + extension_quads(extensions)


def extension_quads(extensions: Sequence[str]) -> list[pyoxigraph.Quad]:
    """Give the triples of the extension files.

    :raises UsageError: an extension path is missing or of unknown format.
    :raises InputError: an extension file is not well-formed.
    """
    quads: list[pyoxigraph.Quad] = []
    for source in load.collect(extensions) if extensions else []:
        quads += load.parse_quads(source)
    return quads


def entail(data: Graph, trusted: Graph, inference: Inference) -> tuple[Graph, list[Triple]]:
    """Give ``data`` and ``trusted`` closed under ``inference``, and the redefinitions of our terms
    that the data entailed (none if the data's vocabulary entails none).

    ``data`` is the organisation's, already without the statements that redefine our terms
    directly; ``trusted`` is the ontology, catalogues and extensions. If the closure holds a
    redefinition that the trusted vocabulary does not entail alone, every vocabulary statement of
    the data is set aside and the closure computed again without them.
    """
    closed = reason.entail(data + trusted, inference)
    forged = _entailed_redefinitions(closed, trusted, inference)
    if not forged:
        return closed, []
    kept = data + Graph()
    for statement in _select(data, _VOCABULARY_QUERY):
        kept.remove(statement)
    closed = reason.entail(kept + trusted, inference)
    # Nothing but vocabulary can entail a schema statement; should anything still get through, it
    # is taken out of the closure rather than trusted.
    for statement in _entailed_redefinitions(closed, trusted, inference):
        closed.remove(statement)
        if statement not in forged:
            forged.append(statement)
    return closed, forged


def _entailed_redefinitions(closed: Graph, trusted: Graph, inference: Inference) -> list[Triple]:
    return _select(closed - _trusted_closure(trusted, inference), _ENTAILED_QUERY)


_closures: dict[tuple[Inference, frozenset[Triple]], Graph] = {}


def _trusted_closure(trusted: Graph, inference: Inference) -> Graph:
    """What the trusted vocabulary entails alone (kept for the last few vocabularies: it is the same
    bundled knowledge on nearly every run)."""
    key = (inference, frozenset(trusted))
    if key not in _closures:
        if len(_closures) >= 4:
            _closures.pop(next(iter(_closures)))
        _closures[key] = reason.entail(trusted, inference)
    return _closures[key]


def _select(graph: Graph, query: str) -> list[Triple]:
    return [(row[0], row[1], row[2]) for row in graph.query(assets.query_text(query))]  # type: ignore[index]


def _text(term: object) -> str:
    return str(load.to_rdflib(term))


def results(triples: Sequence[Triple], shapes: Graph, *, entailed: Sequence[Triple] = ()) -> list[Result]:
    """Give one validation result per set-aside statement, and one per redefinition the data
    entailed, in the form the shapes' results take."""
    written = shapes.value(SHAPE, SH.message)
    found = []
    for (subject, predicate, value), message in [(t, written) for t in triples] + [
        (t, Literal(ENTAILED_MESSAGE, lang="en")) for t in entailed
    ]:
        found.append(
            Result(subject, predicate, value, SHAPE, SH.Violation, message if isinstance(message, Literal) else None)
        )
    return found
