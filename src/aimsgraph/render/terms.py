"""Showing RDF terms to people: IRIs shortened with known prefixes, literals quoted."""

from __future__ import annotations

from collections.abc import Callable

from aimsgraph.model import Term, TermKind

Compact = Callable[[str | None], str]


def compactor(prefixes: tuple[tuple[str, str], ...]) -> Compact:
    """Give a function that writes an IRI as prefix:local when a prefix covers it, else as <iri>."""
    ordered = sorted(prefixes, key=lambda pair: -len(pair[1]))

    def compact(iri: str | None) -> str:
        if iri is None:
            return ""
        for prefix, namespace in ordered:
            if namespace and iri.startswith(namespace) and len(iri) > len(namespace):
                return f"{prefix}:{iri[len(namespace) :]}"
        return iri if iri.startswith("_:") else f"<{iri}>"

    return compact


def term_text(term: Term | None, compact: Compact, *, quote: bool = True) -> str:
    """Give a term as a person reads it: a compact IRI, _:id, or the literal (quoted if ``quote``)."""
    if term is None:
        return ""
    if term.kind is TermKind.IRI:
        return compact(term.value)
    if term.kind is TermKind.BLANK:
        return f"_:{term.value}"
    if not quote:
        return term.value
    return f'"{term.value}"' + (f"@{term.language}" if term.language else "")
