"""The requirement catalogues (one SKOS scheme per framework edition), read from the ontology graph."""

from __future__ import annotations

from dataclasses import dataclass, field

import pyoxigraph
from rdflib import Graph

from aimsgraph import load
from aimsgraph.errors import UsageError
from aimsgraph.model import Requirement

_CATALOGUE_QUERY = """
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX aims: <https://w3id.org/aimsgraph/ns#>
SELECT ?requirement ?notation ?title ?framework ?sort ?frameworkSort WHERE {
    ?requirement skos:notation ?notation ; skos:prefLabel ?title ; skos:inScheme ?scheme .
    ?scheme skos:prefLabel ?framework .
    OPTIONAL { ?requirement aims:sortKey ?sort . }
    OPTIONAL { ?scheme aims:sortKey ?frameworkSort . }
}"""

_FRAMEWORK_QUERY = """
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX aims: <https://w3id.org/aimsgraph/ns#>
SELECT ?scheme ?key ?label WHERE { ?scheme aims:frameworkKey ?key ; skos:prefLabel ?label . }
ORDER BY ?key"""

_REQUIRED_BY_QUERY = """
PREFIX aims: <https://w3id.org/aimsgraph/ns#>
SELECT ?item ?requirement WHERE { ?item aims:requiredBy ?requirement . }"""


@dataclass(frozen=True)
class Framework:
    """One catalogued framework edition: the key that selects it, its scheme IRI and its name."""

    key: str
    iri: str
    label: str


@dataclass(frozen=True)
class Catalog:
    """Every catalogued requirement by IRI, and which catalogued requirement calls for other items."""

    requirements: dict[str, Requirement]
    order: dict[str, int]
    required_by: dict[str, tuple[str, ...]]
    frameworks: dict[str, Framework] = field(default_factory=dict)

    @classmethod
    def from_graph(cls, graph: Graph) -> Catalog:
        """Give the catalogue held in ``graph`` (the ontology with its catalogs/)."""
        store = pyoxigraph.Store()
        store.bulk_extend(load.to_quads(graph))
        return cls.from_store(store)

    @classmethod
    def from_store(cls, store: pyoxigraph.Store) -> Catalog:
        """Give the catalogue held in ``store`` (the ontology with its catalogs/): read in Oxigraph,
        at the start of every command, where rdflib's parsing and engine took 0.2 s."""
        requirements: dict[str, Requirement] = {}
        order: dict[str, int] = {}
        for row in _rows(store, _CATALOGUE_QUERY):
            iri = row["requirement"]
            requirements[iri] = Requirement(iri, row["notation"], row["title"], row["framework"])
            # Frameworks in their own order (ISO/IEC 42001 first), then each one's reading order.
            within = int(row.get("sort", 999_999))
            order[iri] = int(row.get("frameworkSort", 99)) * 1_000_000 + within
        required_by: dict[str, list[str]] = {}
        for row in _rows(store, _REQUIRED_BY_QUERY):
            required_by.setdefault(row["item"], []).append(row["requirement"])
        frameworks: dict[str, Framework] = {}
        for row in _rows(store, _FRAMEWORK_QUERY):
            frameworks[row["key"]] = Framework(row["key"], row["scheme"], row["label"])
        return cls(requirements, order, {k: tuple(sorted(v)) for k, v in required_by.items()}, frameworks)

    def framework(self, key: str) -> Framework:
        """Give the framework selected by ``key``.

        :raises UsageError: no catalogued framework has that key.
        """
        if key not in self.frameworks:
            known = ", ".join(sorted(self.frameworks))
            raise UsageError(f"no framework {key!r} in the catalogues (known: {known})")
        return self.frameworks[key]

    def resolve(self, *, specific: list[str], general: list[str]) -> tuple[Requirement, ...]:
        """Give the catalogued requirements a finding concerns: first those its value names (or is
        required by), then those its rule enforces, each group in reading order, without repeats."""
        found: dict[str, Requirement] = {}
        for group in (specific, general):
            candidates = {c for iri in group for c in (iri, *self.required_by.get(iri, ())) if c in self.requirements}
            for iri in sorted(candidates - found.keys(), key=lambda c: self.order.get(c, 0)):
                found[iri] = self.requirements[iri]
        return tuple(found.values())


def _rows(store: pyoxigraph.Store, query: str) -> list[dict[str, str]]:
    """Give each row of ``query`` as the text of each bound term (an IRI's, a literal's lexical form)."""
    solutions = store.query(query)
    assert isinstance(solutions, pyoxigraph.QuerySolutions)
    names = [variable.value for variable in solutions.variables]
    return [{name: term.value for name, term in zip(names, row, strict=True) if term is not None} for row in solutions]
