"""Finding the RDF inputs: files named, directories searched, standard input; read as bytes,
with an explicit format and base IRI, so that a parser never opens a file or URL itself."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from aimsgraph.errors import UsageError
from aimsgraph.formats import RdfFormat

STDIN = "-"


@dataclass(frozen=True)
class SourceFile:
    """One input to be parsed: its display name, bytes, format and base IRI."""

    name: str
    content: bytes
    rdf_format: RdfFormat
    base_iri: str

    def __post_init__(self) -> None:
        # A UTF-8 byte-order mark, which some editors write first, is no part of the text:
        # Oxigraph's Turtle and N-Triples parsers would read it as a character, and fail.
        if self.content.startswith(UTF8_BOM):
            object.__setattr__(self, "content", self.content[len(UTF8_BOM) :])


UTF8_BOM = b"\xef\xbb\xbf"


def collect(paths: Sequence[str], *, input_format: RdfFormat | None = None) -> list[SourceFile]:
    """Give the RDF inputs named by ``paths``: files, directories searched recursively, or ``-``.

    :raises UsageError: a path does not exist, a directory holds no RDF file, or a file's format
        cannot be told from its extension.
    """
    if not paths:
        raise UsageError("no input: give at least one file, directory or '-'")
    sources: list[SourceFile] = []
    for raw in paths:
        if raw == STDIN:
            rdf_format = input_format or RdfFormat.TURTLE
            sources.append(SourceFile("<stdin>", sys.stdin.buffer.read(), rdf_format, "urn:aimsgraph:stdin#"))
            continue
        sources.extend(read(path, file_format) for path, file_format in rdf_files([raw], input_format=input_format))
    return sources


def rdf_files(paths: Sequence[str], *, input_format: RdfFormat | None = None) -> list[tuple[Path, RdfFormat]]:
    """Give the RDF files named by ``paths`` (files, or directories searched recursively), with
    their formats, without reading them.

    :raises UsageError: a path does not exist, a directory holds no RDF file, or a file's format
        cannot be told from its extension.
    """
    found: list[tuple[Path, RdfFormat]] = []
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            raise UsageError(f"{raw}: no such file or directory")
        if path.is_dir():
            # a directory gives the files whose extension names a format: --input-format, for
            # files whose extension names none, does not make other files in it RDF
            files = [(file, RdfFormat.from_path(file)) for file in _walk(path)]
            if not files:
                raise UsageError(f"{raw}: directory holds no RDF file (.ttl, .trig, .nt, .nq, .jsonld, .rdf, .owl)")
            found.extend((file, file_format) for file, file_format in files if file_format is not None)
        else:
            file_format = RdfFormat.from_path(path) or input_format  # a known extension decides
            if file_format is None:
                raise UsageError(f"{raw}: cannot tell the RDF format from the extension; use --input-format")
            found.append((path, file_format))
    return found


def _walk(directory: Path) -> Iterable[Path]:
    """Yield RDF files under ``directory`` in a stable order, following symlinks but never looping."""
    seen: set[str] = set()
    for root, dirs, files in os.walk(directory, followlinks=True):
        real = os.path.realpath(root)
        if real in seen:
            dirs[:] = []
            continue
        seen.add(real)
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            candidate = Path(root, name)
            if not name.startswith(".") and RdfFormat.from_path(candidate) is not None:
                yield candidate


def read(path: Path, rdf_format: RdfFormat) -> SourceFile:
    """Read one RDF file (not yet parsed).

    :raises UsageError: it cannot be read.
    """
    try:
        content = path.read_bytes()
    except OSError as error:
        raise UsageError(f"{path}: cannot read: {error.strerror}") from None
    return SourceFile(str(path), content, rdf_format, path.resolve().as_uri())
