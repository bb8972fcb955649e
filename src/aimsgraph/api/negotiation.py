"""Content negotiation: the media types each kind of result can be sent as, chosen by Accept."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pyoxigraph
from fastapi import HTTPException

from aimsgraph.formats import RdfFormat

# Media types by the name of their Oxigraph format (names, not objects, so that a query worker
# process can be told which one to use).
SOLUTIONS = {
    "application/sparql-results+json": "JSON",
    "application/sparql-results+xml": "XML",
    "text/csv": "CSV",
    "text/tab-separated-values": "TSV",
    "application/json": "JSON",
    "application/xml": "XML",
}
GRAPHS = {
    "text/turtle": "TURTLE",
    "application/n-triples": "N_TRIPLES",
    "application/ld+json": "JSON_LD",
    "application/rdf+xml": "RDF_XML",
    "application/trig": "TRIG",
    "application/n-quads": "N_QUADS",
}


def solutions_format(media: str) -> pyoxigraph.QueryResultsFormat:
    """Give the Oxigraph format for query solutions of ``media`` (one of SOLUTIONS)."""
    return getattr(pyoxigraph.QueryResultsFormat, SOLUTIONS[media])  # type: ignore[no-any-return]


def graph_format(media: str) -> pyoxigraph.RdfFormat:
    """Give the Oxigraph format for triples of ``media`` (one of GRAPHS)."""
    return getattr(pyoxigraph.RdfFormat, GRAPHS[media])  # type: ignore[no-any-return]


# What an upload's Content-Type means.
UPLOADS = {
    "text/turtle": RdfFormat.TURTLE,
    "application/x-turtle": RdfFormat.TURTLE,
    "application/trig": RdfFormat.TRIG,
    "application/n-triples": RdfFormat.NTRIPLES,
    "text/plain": RdfFormat.NTRIPLES,
    "application/n-quads": RdfFormat.NQUADS,
    "application/ld+json": RdfFormat.JSONLD,
    "application/rdf+xml": RdfFormat.RDFXML,
}


@dataclass(frozen=True)
class MediaRange:
    """One entry of an Accept header."""

    type: str
    quality: float
    order: int


def choose(accept: str | None, offered: list[str]) -> str | None:
    """Give the offered media type the client prefers (the first offered when Accept is absent), or None."""
    if not accept:
        return offered[0]
    ranges = []
    for order, part in enumerate(_ELEMENT.findall(accept)):
        pieces = [p.strip() for p in _PARAMETER.findall(part)]
        quality = 1.0
        for parameter in pieces[1:]:
            name, _, value = parameter.partition("=")
            if name.strip().lower() == "q":  # parameter names are case-insensitive
                # a weight is 0 to 1 with at most three decimals; one that is not refuses its range
                quality = float(value) if _QVALUE.fullmatch(value.strip()) else 0.0
        if pieces and pieces[0]:
            ranges.append(MediaRange(pieces[0].lower(), quality, order))
    best: tuple[float, int, int] | None = None
    chosen = None
    for position, media in enumerate(offered):
        # A type's quality is that of the most specific range that matches it (RFC 9110, 12.5.1):
        # "text/csv;q=0, */*" refuses CSV and takes anything else. Of equal qualities, a type
        # named outright beats one a wildcard lets in, then the order offered decides.
        matching = [r for r in ranges if _matches(r.type, media)]
        if not matching:
            continue
        specific = max(matching, key=lambda r: (_specificity(r.type), -r.order))
        key = (specific.quality, _specificity(specific.type), -position)
        if specific.quality > 0 and (best is None or key > best):
            best, chosen = key, media
    return chosen


# The parts of an Accept header, and of each part, split where no quoted string is (a parameter
# value may hold a quoted comma or semicolon); a weight as RFC 9110 12.4.2 writes it.
_ELEMENT = re.compile(r'(?:[^,"]|"(?:\\.|[^"\\])*")+')
_PARAMETER = re.compile(r'(?:[^;"]|"(?:\\.|[^"\\])*")+')
_QVALUE = re.compile(r"0(?:\.[0-9]{0,3})?|1(?:\.0{0,3})?")
# What XML 1.0 cannot hold, in UTF-8: C0 controls but tab, LF and CR, and U+FFFE and U+FFFF.
_NOT_IN_XML = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]|\xef\xbf[\xbe\xbf]")
XML_TYPES = frozenset({"application/sparql-results+xml", "application/xml", "application/rdf+xml"})


def writable(body: bytes, media: str) -> bool:
    """Give whether ``body`` may be sent as ``media``: not an XML document holding a character XML
    1.0 cannot carry (Oxigraph writes one raw, and no XML parser would read the document)."""
    return media not in XML_TYPES or _NOT_IN_XML.search(body) is None


def not_xml(accept: str | None, offered: list[str]) -> str:
    """Give the type the client prefers of those ``offered`` that are not XML, for a result XML
    cannot carry (see :func:`writable`).

    :raises HTTPException: 406, the client takes none of them.
    """
    media = choose(accept, [m for m in offered if m not in XML_TYPES])
    if media is None:
        raise HTTPException(
            status_code=406, detail="the result holds a character XML 1.0 cannot carry: ask for another format"
        )
    return media


def _specificity(pattern: str) -> int:
    return 0 if pattern == "*/*" else 1 if pattern.endswith("/*") else 2


def _matches(pattern: str, media: str) -> bool:
    if pattern in ("*/*", media):
        return True
    return pattern.endswith("/*") and media.startswith(pattern[:-1])


def upload_format(content_type: str | None) -> RdfFormat | None:
    """Give the RDF format a request's Content-Type names, or None when it names none we read."""
    if not content_type:
        return None
    return UPLOADS.get(content_type.split(";")[0].strip().lower())
