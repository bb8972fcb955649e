"""The organisation's data cannot change what aimsgraph's terms mean.

SHACL's ``sh:class`` and class targets follow ``rdfs:subClassOf`` triples wherever they are, the
data graph included, so a single uploaded axiom (``ex:Anyone rdfs:subClassOf aims:Person``) could
make a failing AIMS conform with no inference at all. Before validation, every statement in the
data that would redefine one of our terms (queries/internal/redefinitions.rq) is set aside: it
takes no part in validation and is reported as a finding of the rule ``DataRedefinesTerms``,
which no waiver or baseline suppresses. Vocabulary that extends ours is passed explicitly as an
extension instead, and is trusted like the ontology.
"""

from __future__ import annotations

from collections.abc import Sequence

import pyoxigraph
from rdflib import BNode, Graph, Literal
from rdflib.namespace import RDF, SH
from rdflib.term import Node, URIRef

from aimsgraph import assets, load

RULE = "DataRedefinesTerms"
SHAPE = URIRef(f"https://w3id.org/aimsgraph/shapes#{RULE}")
_QUERY = "internal/redefinitions.rq"

Triple = tuple[Node, Node, Node]


def redefinitions(quads: Sequence[pyoxigraph.Quad]) -> list[Triple]:
    """Give the statements among ``quads`` (the organisation's data alone) that redefine our terms."""
    store = load.oxigraph_store(list(quads))
    solutions = store.query(assets.query_text(_QUERY))
    assert isinstance(solutions, pyoxigraph.QuerySolutions)
    return [(load.to_rdflib(row["s"]), load.to_rdflib(row["p"]), load.to_rdflib(row["o"])) for row in solutions]


def without(quads: Sequence[pyoxigraph.Quad], set_aside: Sequence[Triple]) -> list[pyoxigraph.Quad]:
    """Give ``quads`` less the set-aside statements (for the queries, which must see what the shapes saw)."""
    if not set_aside:
        return list(quads)
    gone = {(str(s), str(p), str(o)) for s, p, o in set_aside}
    return [q for q in quads if (_text(q.subject), q.predicate.value, _text(q.object)) not in gone]


def trusted_quads(data: load.LoadedData, extensions: Sequence[str]) -> list[pyoxigraph.Quad]:
    """Give what the queries may see: the data less the statements that redefine our terms, and
    the extension files. (The bundled ontology and catalogues are added by the caller.)

    :raises UsageError: an extension path is missing or of unknown format.
    :raises InputError: an extension file is not well-formed.
    """
    kept = without(data.quads, redefinitions(data.quads))
    for source in load.collect(extensions) if extensions else []:
        kept += load.parse_quads(source)
    return kept


def _text(term: object) -> str:
    return str(load.to_rdflib(term))


def record(report: Graph, triples: Sequence[Triple], shapes: Graph) -> None:
    """Add to pySHACL's ``report`` one validation result per set-aside statement, as pySHACL writes them."""
    if not triples:
        return
    message = shapes.value(SHAPE, SH.message)
    for subject, predicate, value in triples:
        result = BNode()
        report.add((result, RDF.type, SH.ValidationResult))
        report.add((result, SH.focusNode, subject))
        report.add((result, SH.resultPath, predicate))
        report.add((result, SH.value, value))
        report.add((result, SH.sourceShape, SHAPE))
        report.add((result, SH.resultSeverity, SH.Violation))
        if message is not None:
            report.add((result, SH.resultMessage, message))
        for validation in report.subjects(RDF.type, SH.ValidationReport):
            report.add((validation, SH.result, result))
    for validation in list(report.subjects(RDF.type, SH.ValidationReport)):
        report.set((validation, SH.conforms, Literal(False)))
