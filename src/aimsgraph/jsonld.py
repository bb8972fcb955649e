"""JSON-LD contexts come from a local allow-list, never from the network or the disk.

A JSON-LD document names its context by URL, and a parser that fetches it reaches out to
wherever the document says (rdflib's does, local files included). aimsgraph's parser
(pyoxigraph) refuses every remote context, which is safe but would make JSON-LD useless. So a
context URL on the allow-list is replaced by its content before parsing; any other URL is left
for the parser to refuse.

The allow-list holds aimsgraph's own context, ``https://w3id.org/aimsgraph/context.jsonld``,
made from the bundled ontology: the prefixes it uses, each class and property of ours as a plain
term, object properties typed ``@id`` and datatype properties typed with their range, so that
``{"@type": "Evidence", "collectedOn": "2026-05-01"}`` reads as an ``xsd:date``.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from rdflib import Graph
from rdflib.namespace import OWL, RDF
from rdflib.term import URIRef

from aimsgraph import assets
from aimsgraph.errors import InputError

CONTEXT_URL = "https://w3id.org/aimsgraph/context.jsonld"
AIMS = "https://w3id.org/aimsgraph/ns#"
_RANGE_INCLUDES = URIRef("http://purl.org/dc/dcam/rangeIncludes")
_XSD = "http://www.w3.org/2001/XMLSchema#"
_PREFIXES = {
    "aims": AIMS,
    "aimsh": "https://w3id.org/aimsgraph/shapes#",
    "iso42001": "https://w3id.org/aimsgraph/iso-iec-42001-2023/",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "xsd": _XSD,
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "dcterms": "http://purl.org/dc/terms/",
    "prov": "http://www.w3.org/ns/prov#",
    "dpv": "https://w3id.org/dpv#",
}


@lru_cache(maxsize=1)
def aimsgraph_context() -> dict[str, Any]:
    """Give aimsgraph's JSON-LD context (the document served at ``CONTEXT_URL``), made from the ontology."""
    ontology = Graph()
    for resource in assets.ontology_files():
        if resource.name == "aims.ttl":
            ontology.parse(data=resource.read_text(encoding="utf-8"), format="turtle")
    terms: dict[str, Any] = dict(_PREFIXES)
    terms["label"] = {"@id": "rdfs:label"}
    terms["comment"] = {"@id": "rdfs:comment"}
    for kind in (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.NamedIndividual):
        for term in sorted(ontology.subjects(RDF.type, kind), key=str):
            if not isinstance(term, URIRef) or not str(term).startswith(AIMS):
                continue
            name = str(term)[len(AIMS) :]
            if kind == OWL.ObjectProperty:
                terms[name] = {"@id": f"aims:{name}", "@type": "@id"}
            elif kind == OWL.DatatypeProperty:
                ranges = [str(r) for r in ontology.objects(term, _RANGE_INCLUDES) if str(r).startswith(_XSD)]
                typed = len(ranges) == 1 and ranges[0] != _XSD + "string"
                terms[name] = {"@id": f"aims:{name}", **({"@type": "xsd:" + ranges[0][len(_XSD) :]} if typed else {})}
            else:
                terms.setdefault(name, f"aims:{name}")
    return {"@context": terms}


ALLOWED = {CONTEXT_URL: aimsgraph_context}


def inline_contexts(content: bytes, *, source: str) -> bytes:
    """Give the JSON-LD ``content`` with every allowed context URL replaced by that context.

    Content that names no allowed context is given back unchanged, so that a parser's line
    numbers stay true.

    :raises InputError: it is not JSON (with line and column).
    """
    if not any(url.encode() in content for url in ALLOWED):
        return content
    try:
        document = json.loads(content)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        line = getattr(error, "lineno", None)
        column = getattr(error, "colno", None)
        raise InputError(f"not JSON: {getattr(error, 'msg', error)}", source=source, line=line, column=column) from None
    return json.dumps(_replace(document), ensure_ascii=False).encode("utf-8")


def _replace(node: Any) -> Any:
    if isinstance(node, list):
        return [_replace(item) for item in node]
    if not isinstance(node, dict):
        return node
    replaced = {}
    for key, value in node.items():
        if key == "@context":
            replaced[key] = _context(value)
        else:
            replaced[key] = _replace(value)
    return replaced


def _context(value: Any) -> Any:
    if isinstance(value, str) and value in ALLOWED:
        return ALLOWED[value]()["@context"]
    if isinstance(value, list):
        return [_context(item) for item in value]
    return value
