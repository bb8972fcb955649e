"""The ISO/IEC 42001:2023 catalogue agrees with the reference facts, id for id."""

from __future__ import annotations

import csv
from pathlib import Path

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, SKOS

AIMS = "https://w3id.org/aimsgraph/ns#"
SCHEME = URIRef("https://w3id.org/aimsgraph/iso-iec-42001-2023")
BASE = "https://w3id.org/aimsgraph/iso-iec-42001-2023/"


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def _of_kind(knowledge: Graph, kind: str) -> set[str]:
    return {str(knowledge.value(s, SKOS.notation)) for s in knowledge.subjects(RDF.type, URIRef(AIMS + kind))}


def test_clauses_match_the_reference(knowledge: Graph, reference: Path) -> None:
    rows = _rows(reference / "iso42001_clauses.tsv")
    parents = {row["parent"] for row in rows if row["parent"]}
    leaves = {row["id"] for row in rows if row["id"] not in parents}
    assert len(leaves) == 32
    assert _of_kind(knowledge, "ClauseRequirement") == leaves
    assert _of_kind(knowledge, "Clause") == {row["id"] for row in rows} - leaves
    for row in rows:
        concept = URIRef(BASE + row["id"])
        assert (concept, SKOS.inScheme, SCHEME) in knowledge
        if row["parent"]:
            assert (concept, SKOS.broader, URIRef(BASE + row["parent"])) in knowledge


def test_annex_a_matches_the_reference(knowledge: Graph, reference: Path) -> None:
    rows = _rows(reference / "iso42001_annexA.tsv")
    controls = {row["id"] for row in rows if row["kind"] == "control"}
    assert len(controls) == 38
    assert _of_kind(knowledge, "ReferenceControl") == controls
    assert _of_kind(knowledge, "ControlObjective") == {row["id"] for row in rows if row["kind"] == "objective"}
    for row in rows:
        concept = URIRef(BASE + row["id"])
        assert knowledge.value(concept, SKOS.prefLabel) == Literal(row["short_title"], lang="en")
        if row["parent"]:
            assert (concept, SKOS.broader, URIRef(BASE + row["parent"])) in knowledge


def test_no_invented_ids(knowledge: Graph, reference: Path) -> None:
    known = {row["id"] for name in ("iso42001_clauses.tsv", "iso42001_annexA.tsv") for row in _rows(reference / name)}
    notations = {str(n) for s, n in knowledge.subject_objects(SKOS.notation) if (s, SKOS.inScheme, SCHEME) in knowledge}
    assert notations == known
    for trap in ("A.6.6", "A.6.10", "6.1.5", "A.2.1", "A.11"):
        assert trap not in notations
    # every concept of the scheme has a definition in our own words, and a sort key
    for concept in knowledge.subjects(SKOS.inScheme, SCHEME):
        assert knowledge.value(concept, SKOS.definition) is not None, concept
        assert knowledge.value(concept, URIRef(AIMS + "sortKey")) is not None, concept


def test_documented_information_matches_the_reference(knowledge: Graph, reference: Path) -> None:
    rows = _rows(reference / "iso42001_documented_information.tsv")
    items = list(knowledge.subjects(RDF.type, URIRef(AIMS + "DocumentedInformationRequirement")))
    assert len(items) == len(rows) == 19
    required_by = sorted(str(knowledge.value(i, URIRef(AIMS + "requiredBy"))).removeprefix(BASE) for i in items)
    assert required_by == sorted(row["clause"] for row in rows)
    always = [i for i in items if knowledge.value(i, URIRef(AIMS + "alwaysRequired")) == Literal(True)]
    assert len(always) == sum(1 for row in rows if row["strength"] == "mandatory")
