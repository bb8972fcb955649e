"""Content negotiation: the media types each kind of result can be sent as, chosen by Accept."""

from __future__ import annotations

from dataclasses import dataclass

import pyoxigraph

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
    for order, part in enumerate(accept.split(",")):
        pieces = [p.strip() for p in part.split(";")]
        quality = 1.0
        for parameter in pieces[1:]:
            if parameter.startswith("q="):
                try:
                    quality = float(parameter[2:])
                except ValueError:
                    quality = 0.0
        if pieces[0]:
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
