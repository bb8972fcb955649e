"""The shapes a validation runs: aimsgraph's own, parsed once per process, and the user's, each
checked against SHACL-SHACL and refused if its SPARQL could reach the network or the disk."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from rdflib import Graph
from rdflib.namespace import RDF, SH

from aimsgraph import assets, load, shacl, sparql
from aimsgraph.errors import InputError, ShapesError, UsageError
from aimsgraph.formats import RdfFormat


def bundled_shapes_graph() -> Graph:
    """Give a fresh graph of the bundled shapes, which the caller may change."""
    return bundled_shapes() + Graph()


@lru_cache(maxsize=1)
def bundled_shapes() -> Graph:
    """Give the bundled shapes, parsed once per process and only ever read (pySHACL, which writes
    into the shapes graph it runs, gets a copy)."""
    graph = Graph()
    for resource in assets.shapes_files():
        source = load.SourceFile(
            f"aimsgraph:shapes/{resource.name}",
            resource.read_bytes(),
            RdfFormat.TURTLE,
            f"https://w3id.org/aimsgraph/assets/{resource.name}",
        )
        graph += load.parse_graph(source)
    return graph


def shapes_graph(paths: Sequence[str], *, bundled: bool) -> Graph:
    if bundled and not paths:
        return bundled_shapes()
    graph = bundled_shapes_graph() if bundled else Graph()
    for source in load.collect(paths) if paths else []:
        user = load.parse_graph(source)
        if not _declares_shapes(user):
            raise ShapesError(
                f"{source.name}: declares no SHACL shape (nothing typed sh:NodeShape or sh:PropertyShape)"
            )
        problems = shacl.shapes_violations(user)
        if problems:
            raise ShapesError(f"{source.name}: not valid SHACL: {problems[0]}")
        _refuse_unsafe_sparql(user, graph, source.name)
        graph += user
    if not _declares_shapes(graph):
        raise ShapesError("no shapes to validate with: give --shapes or keep the bundled shapes")
    return graph


def _refuse_unsafe_sparql(user: Graph, bundled: Graph, name: str) -> None:
    """Refuse a user's shapes whose SPARQL could reach the network or the disk (SERVICE, LOAD,
    FROM) or that carry SHACL rules: pySHACL runs SPARQL targets and rules with rdflib, which
    would call SERVICE.

    :raises ShapesError: a query in the shapes is unsafe or cannot be read.
    """
    if any(user.triples((None, SH.rule, None))):
        raise ShapesError(f"{name}: SHACL rules (sh:rule) are not run from user shapes")
    declarations = list(user.objects(None, SH.declare)) + list(bundled.objects(None, SH.declare))
    prologue = "".join(
        f"PREFIX {user.value(d, SH.prefix) or bundled.value(d, SH.prefix)}: "
        f"<{user.value(d, SH.namespace) or bundled.value(d, SH.namespace)}>\n"
        for d in declarations
    )
    for predicate in (SH.select, SH.ask, SH.construct, SH.update):
        for text in user.objects(None, predicate):
            try:
                if predicate == SH.update:
                    sparql.check_update(prologue + str(text), source=name)
                else:
                    query = prologue + str(text)
                    sparql.check(query, source=name)
                    if sparql.has_dataset_clause(query, source=name):
                        # rdflib would read the named graphs from their IRIs; loading is off, and
                        # a shape has no business choosing its graphs anyway.
                        raise UsageError(f"{name}: FROM and FROM NAMED are refused in shapes")
            except (InputError, UsageError) as error:
                problem = str(error).removeprefix(f"{name}: ")
                raise ShapesError(f"{name}: a SPARQL query in the shapes is refused: {problem}") from None


def _declares_shapes(graph: Graph) -> bool:
    return any(graph.triples((None, RDF.type, SH.NodeShape))) or any(graph.triples((None, RDF.type, SH.PropertyShape)))
