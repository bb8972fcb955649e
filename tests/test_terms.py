"""Every aimsgraph term used in the shapes, queries, examples and fixtures is declared in the
ontology, so that a misspelt term cannot hide as an undeclared IRI."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import RDF, SH
from rdflib.plugins.sparql import prepareQuery
from rdflib.plugins.sparql.algebra import traverse

from tests.conftest import EXAMPLES, ROOT, SHAPE_FIXTURES

AIMS = "https://w3id.org/aimsgraph/ns#"
# The one fixture whose purpose is to use misspelt terms.
DELIBERATELY_WRONG = SHAPE_FIXTURES / "DeclaredTerms" / "violates.ttl"


def _declared(knowledge: Graph) -> set[str]:
    return {str(s) for s in knowledge.subjects(RDF.type, None) if str(s).startswith(AIMS)}


def _rdf_files() -> list[Path]:
    roots = [ROOT / "shapes", ROOT / "ontology", EXAMPLES, SHAPE_FIXTURES]
    return sorted(p for root in roots for p in root.rglob("*.ttl") if p != DELIBERATELY_WRONG)


def _terms_in_graph(path: Path) -> set[str]:
    graph = Graph().parse(path, format="turtle")
    return {str(t) for triple in graph for t in triple if isinstance(t, URIRef) and str(t).startswith(AIMS)}


def _terms_in_sparql(text: str) -> set[str]:
    found: set[str] = set()

    def visit(node: object) -> None:
        if isinstance(node, URIRef) and str(node).startswith(AIMS):
            found.add(str(node))

    traverse(prepareQuery(text).algebra, visitPre=visit)
    return found


@pytest.mark.parametrize("path", _rdf_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_rdf_uses_only_declared_terms(path: Path, knowledge: Graph) -> None:
    assert _terms_in_graph(path) - _declared(knowledge) == set()


def _sparql_texts() -> list[tuple[str, str]]:
    texts = [
        (str(p.relative_to(ROOT)), p.read_text(encoding="utf-8")) for p in sorted((ROOT / "queries").rglob("*.rq"))
    ]
    shapes = Graph()
    for path in sorted((ROOT / "shapes").glob("*.ttl")):
        shapes.parse(path, format="turtle")
    declarations = shapes.objects(None, SH.declare)
    prefixes = "".join(
        f"PREFIX {shapes.value(d, SH.prefix)}: <{shapes.value(d, SH.namespace)}>\n" for d in declarations
    )
    texts += [(f"shape {s}", prefixes + str(q)) for s, q in shapes.subject_objects(SH.select)]
    return texts


@pytest.mark.parametrize(("name", "text"), _sparql_texts(), ids=lambda v: v if len(v) < 80 else "")
def test_sparql_uses_only_declared_terms(name: str, text: str, knowledge: Graph) -> None:
    assert _terms_in_sparql(text.replace("$this", "?this")) - _declared(knowledge) == set(), name


def test_the_term_check_catches_a_typo(knowledge: Graph) -> None:
    assert _terms_in_graph(DELIBERATELY_WRONG) - _declared(knowledge) == {
        AIMS + "AISytem",
        AIMS + "acountableOwner",
        AIMS + "OperationsStage",
    }
