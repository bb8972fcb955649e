"""Limits checked before any parser sees untrusted input.

The parsers under us recurse on nesting, and a deep enough input overflows the native stack:
pyoxigraph kills the whole process (a segmentation fault, which Python cannot catch) on JSON-LD
nested about 5,000 deep (a 120 KB upload) and on RDF/XML nested 100,000 deep, and on a SPARQL
query of 5,000 nested groups. One such upload would take the service down for everyone. So the
nesting depth is measured here with plain loops, which need no stack, and anything deeper than
real data ever is (Turtle, TriG, N-Triples and N-Quads parse iteratively and need no limit) is
refused with a clear message.
"""

from __future__ import annotations

import re

# Real JSON-LD and RDF/XML nest a few levels per resource; hundreds is already absurd, and the
# parsers crash in the thousands, so these leave a wide margin on both sides.
MAX_DOCUMENT_DEPTH = 256
# Hand-written and library queries nest groups and brackets to depth 10 or so. rdflib's parser,
# which checks every query first, runs out of Python recursion at about 28 nested brackets (and
# Oxigraph crashes in the thousands), so the limit sits just below rdflib's: a deeper query gets
# this clear message instead of "maximum recursion depth exceeded".
MAX_QUERY_DEPTH = 24
MAX_QUERY_LENGTH = 200_000  # characters: far beyond any real query, far below harm


# Possessive quantifiers, and every token allowed to run to the end of the input when it is never
# closed: a crafted input then costs one pass, not a rescan from every quote or bracket.
_JSON_STRING = re.compile(rb'"(?:[^"\\]++|\\.)*+(?:"|\\?\Z)', re.DOTALL)
_JSON_BRACKET = re.compile(rb"[{}\[\]]")


def json_depth(content: bytes) -> int:
    """Give the deepest nesting of objects and arrays in a JSON document (brackets inside strings
    do not count). Regular expressions do the scanning, so a large document is quick to measure."""
    depth = deepest = 0
    for match in _JSON_BRACKET.finditer(_JSON_STRING.sub(b'""', content)):
        if match.group() in (b"{", b"["):
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


_XML_TOKEN = re.compile(
    rb"<!--.*?(?:-->|\Z)"
    rb"|<!\[CDATA\[.*?(?:\]\]>|\Z)"
    rb"|<\?.*?(?:\?>|\Z)"
    rb"""|<(?:[^>"']++|"[^"]*+"?|'[^']*+'?)*+>?""",  # a tag; quoted attribute values may hold '>'
    re.DOTALL,
)


def xml_depth(content: bytes) -> int:
    """Give the deepest element nesting of an XML document (comments, CDATA, processing
    instructions and declarations skipped; UTF-16 read through its zero bytes)."""
    depth = deepest = 0
    for match in _XML_TOKEN.finditer(content.replace(b"\x00", b"")):
        token = match.group()
        if token.startswith((b"<!", b"<?")):
            continue
        if token.startswith(b"</"):
            depth -= 1
        elif not token.endswith(b"/>"):
            depth += 1
            deepest = max(deepest, depth)
    return deepest


_QUERY_TOKEN = re.compile(
    r'"""(?:[^"\\]++|\\.|"(?!""))*+(?:"""|\Z)'  # long strings
    r"|'''(?:[^'\\]++|\\.|'(?!''))*+(?:'''|\Z)"
    r'|"(?:[^"\\\n]++|\\.)*+(?:"|(?=\n)|\Z)'  # short strings
    r"|'(?:[^'\\\n]++|\\.)*+(?:'|(?=\n)|\Z)"
    r'|<[^<>"{}|^`\\\s]*+>'  # IRIs
    r"|#[^\n]*"  # comments
    r"|[{}()\[\]]"  # what nests
)


def query_depth(text: str) -> int:
    """Give the deepest nesting of groups and brackets in SPARQL text (strings, IRIs and comments skipped)."""
    depth = deepest = 0
    for match in _QUERY_TOKEN.finditer(text):
        token = match.group()
        if token in ("{", "(", "["):
            depth += 1
            deepest = max(deepest, depth)
        elif token in ("}", ")", "]"):
            depth -= 1
    return deepest


def query_problem(text: str) -> str | None:
    """Give why ``text`` is too large or too deeply nested to hand to a SPARQL parser, or None."""
    if len(text) > MAX_QUERY_LENGTH:
        return f"the query is {len(text):,} characters long; the limit is {MAX_QUERY_LENGTH:,}"
    depth = query_depth(text)
    if depth > MAX_QUERY_DEPTH:
        return f"the query nests groups or brackets {depth} deep; the limit is {MAX_QUERY_DEPTH}"
    return None
