"""The bundled ontology, catalogues, shapes and queries, located with importlib.resources.

In a wheel they are real files under ``aimsgraph/assets``; in a checkout that directory holds
symlinks to the top-level ``ontology/``, ``shapes/`` and ``queries/`` so that edits show at once.
"""

from __future__ import annotations

from importlib.resources import files
from importlib.resources.abc import Traversable


def _assets() -> Traversable:
    return files("aimsgraph").joinpath("assets")


def _rdf_files(folder: Traversable) -> list[Traversable]:
    found: list[Traversable] = []
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.is_dir():
            found.extend(_rdf_files(entry))
        elif entry.name.endswith(".ttl"):
            found.append(entry)
    return found


def ontology_files() -> list[Traversable]:
    """Give the ontology, every requirement catalogue and every crosswalk, in a stable order."""
    return _rdf_files(_assets().joinpath("ontology"))


def catalogue_files() -> list[Traversable]:
    """Give the requirement catalogues and the crosswalks between them (all of :func:`ontology_files`
    but the ontology itself), in a stable order."""
    return _rdf_files(_assets().joinpath("ontology").joinpath("catalogs"))


def shapes_files() -> list[Traversable]:
    """Give the bundled SHACL shapes files, in a stable order."""
    return _rdf_files(_assets().joinpath("shapes"))


def query_text(name: str) -> str:
    """Give the text of a bundled SPARQL query by its path under ``queries/``."""
    return _assets().joinpath("queries").joinpath(name).read_text(encoding="utf-8")


def query_files() -> list[Traversable]:
    """Give the library's SPARQL queries (top level of ``queries/``; ``internal/`` is the engine's)."""
    folder = _assets().joinpath("queries")
    return sorted((e for e in folder.iterdir() if e.name.endswith(".rq")), key=lambda e: e.name)
