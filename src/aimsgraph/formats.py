"""The RDF serialisations aimsgraph reads, by name, file extension and Oxigraph parser."""

from __future__ import annotations

import enum
from pathlib import PurePath

import pyoxigraph

from aimsgraph.errors import UsageError


class RdfFormat(enum.Enum):
    """An RDF serialisation that aimsgraph can read."""

    TURTLE = "turtle"
    TRIG = "trig"
    NTRIPLES = "ntriples"
    NQUADS = "nquads"
    JSONLD = "jsonld"
    RDFXML = "rdfxml"

    @property
    def oxigraph(self) -> pyoxigraph.RdfFormat:
        """Give the matching Oxigraph parser format."""
        return _OXIGRAPH[self]

    @classmethod
    def from_name(cls, name: str) -> RdfFormat:
        """Give the format called ``name`` (as on the command line).

        :raises UsageError: when no format has that name.
        """
        try:
            return cls(name.lower())
        except ValueError:
            known = ", ".join(f.value for f in cls)
            raise UsageError(f"unknown input format {name!r} (known: {known})") from None

    @classmethod
    def from_path(cls, path: PurePath) -> RdfFormat | None:
        """Give the format a file's extension implies, or ``None`` when it implies none."""
        return _EXTENSIONS.get(path.suffix.lower())


_OXIGRAPH = {
    RdfFormat.TURTLE: pyoxigraph.RdfFormat.TURTLE,
    RdfFormat.TRIG: pyoxigraph.RdfFormat.TRIG,
    RdfFormat.NTRIPLES: pyoxigraph.RdfFormat.N_TRIPLES,
    RdfFormat.NQUADS: pyoxigraph.RdfFormat.N_QUADS,
    RdfFormat.JSONLD: pyoxigraph.RdfFormat.JSON_LD,
    RdfFormat.RDFXML: pyoxigraph.RdfFormat.RDF_XML,
}

_EXTENSIONS = {
    ".ttl": RdfFormat.TURTLE,
    ".turtle": RdfFormat.TURTLE,
    ".trig": RdfFormat.TRIG,
    ".nt": RdfFormat.NTRIPLES,
    ".nq": RdfFormat.NQUADS,
    ".jsonld": RdfFormat.JSONLD,
    ".json-ld": RdfFormat.JSONLD,
    ".rdf": RdfFormat.RDFXML,
    ".owl": RdfFormat.RDFXML,
}
