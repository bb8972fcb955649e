"""Where each subject is written in its source file, so a finding can point at file:line.

Parsers give no positions for triples, so this module scans the source text itself. For Turtle and
TriG it runs a small tokenizer that knows where a statement starts (the only place a subject can
stand) and resolves prefixed names and relative IRIs as the parser did. N-Triples and N-Quads
have one statement per line. For JSON-LD and RDF/XML it finds the line that first names the IRI.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Container
from dataclasses import dataclass
from urllib.parse import urljoin

from aimsgraph.formats import RdfFormat

# One significant token a match, after the white space and comments before it, skipped in the
# same match (half the matches, at 10,000 AI systems, were white space alone) and never given
# back (*+: a comment at the end is no token), or none at the end. A word reads a backslash and
# the character after it as one (ex:a\. ends in a dot, ex:a\, goes on); otherwise it ends before
# a '.', which ends the statement: the data has parsed, so no word ends in '.' otherwise.
_TURTLE_TOKEN = re.compile(
    r"""
    (?:[ \t\r\n]+|\#[^\n]*)*+
    (?:
      (?P<longstring>\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"|'''(?:[^'\\]|\\.|'(?!''))*''')
    | (?P<string>"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')
    | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
    | (?P<directive>@prefix|@base)
    | (?P<langtag>@[A-Za-z]+(?:-[A-Za-z0-9]+)*)
    | (?P<datatype>\^\^)
    | (?P<punct>[.;,\[\](){}])
    | (?P<word>[^\s;,\[\](){}"'<>\#^\\]*(?:\\\S[^\s;,\[\](){}"'<>\#^\\]*)*(?:[^\s;,\[\](){}"'<>\#^.\\]|\\\S))
    | (?P<other>[^ \t\r\n])
    | \Z
    )
    """,
    re.VERBOSE | re.DOTALL,
)
_NTRIPLES_STATEMENT = re.compile(rb"(?:^|(?<=\r))[ \t]*<([^>\r\n]*)>[ \t]*<([^>\r\n]*)>", re.MULTILINE)
_LINE_SUBJECT = re.compile(rb"^[ \t]*<([^>\r\n]*)>", re.MULTILINE)
# the same after the first line: a pattern that starts with a literal byte is searched for as fast
# as that byte is found, where ^ is tried at every position (at 10,000 AI systems 0.15 s against 0.25 s)
_NEXT_LINE_SUBJECT = re.compile(rb"\n[ \t]*<([^>\r\n]*)>")
_NEXT_IRI = re.compile(rb"[ \t]*<([^>\r\n]*)>")
_RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
_LOCAL_ESCAPE = re.compile(r"\\([_~.\-!$&'()*+,;=/?#@%])")


@dataclass(frozen=True)
class SourceLines:
    """Where subjects, and each subject's properties, are first written in one source text."""

    subjects: dict[str, int]
    properties: dict[tuple[str, str], int]


def source_lines(text: str, rdf_format: RdfFormat, base_iri: str, wanted: Container[str] | None = None) -> SourceLines:
    """Give the lines (1-based) where each IRI subject, and each (subject, predicate), first is;
    with ``wanted``, of those subjects only (the whole index of a large AIMS weighs as much as its
    triples)."""
    everything = _Everything()
    if rdf_format in (RdfFormat.TURTLE, RdfFormat.TRIG):
        return _turtle_lines(text, base_iri, everything if wanted is None else wanted)
    if rdf_format in (RdfFormat.NTRIPLES, RdfFormat.NQUADS):
        return _line_subjects(text, everything if wanted is None else wanted)
    return SourceLines({}, {})


class _Everything:
    def __contains__(self, item: object) -> bool:
        return True


def subject_lines(text: str, rdf_format: RdfFormat, base_iri: str) -> dict[str, int]:
    """Give, for each IRI written as a subject in ``text``, the line (1-based) where it first is."""
    return source_lines(text, rdf_format, base_iri).subjects


def first_mention(text: str, iri: str) -> int | None:
    """Give the line where ``iri`` (or its local name, quoted) is first mentioned, for JSON-LD and RDF/XML."""
    for needle in (iri, _local_name(iri)):
        if not needle:
            continue
        for quote in ('"', "'"):
            position = text.find(f"{quote}{needle}{quote}")
            if position < 0 and needle != iri:
                position = text.find(f"{quote}#{needle}{quote}")
            if position >= 0:
                return text.count("\n", 0, position) + 1
    return None


def _local_name(iri: str) -> str:
    cut = max(iri.rfind("#"), iri.rfind("/"))
    return iri[cut + 1 :] if cut >= 0 else ""


def _line_subjects(text: str | bytes, wanted: Container[str]) -> SourceLines:
    """One statement a line: the subject and predicate each line starts with. Read in place,
    statement by statement, from the bytes if given them: at 100,000 AI systems, a list of the
    lines, or the text decoded whole, would weigh about a gigabyte."""
    found = SourceLines({}, {})
    content = text.encode() if isinstance(text, str) else text
    if b"\r" not in content and isinstance(wanted, set | frozenset):
        return _lf_line_subjects(content, wanted)
    line, counted = 1, 0
    for match in _NTRIPLES_STATEMENT.finditer(content):
        subject = match.group(1).decode("utf-8", errors="replace")
        if subject in wanted:
            # a line ends with LF, CR LF or CR alone, as N-Triples allows
            start = match.start()
            line += content.count(b"\n", counted, start) + content.count(b"\r", counted, start)
            line -= content.count(b"\r\n", counted, start)
            counted = start
            found.subjects.setdefault(subject, line)
            found.properties.setdefault((subject, match.group(2).decode("utf-8", errors="replace")), line)
    return found


def _lf_line_subjects(content: bytes, wanted: set[str] | frozenset[str]) -> SourceLines:
    """:func:`_line_subjects` for text whose lines all end with LF, twice as fast (at 10,000 AI
    systems, 0.4 s against 0.8 s): a simpler pattern finds each line's subject, compared as bytes
    with those wanted, and the predicate is read only after a wanted subject."""
    found = SourceLines({}, {})
    as_bytes = {iri.encode(): iri for iri in wanted}
    line, counted = 1, 0
    first = _LINE_SUBJECT.match(content)
    for match in itertools.chain([first] if first else [], _NEXT_LINE_SUBJECT.finditer(content)):
        subject = as_bytes.get(match.group(1))
        if subject is None:
            continue
        predicate = _NEXT_IRI.match(content, match.end())
        if predicate is None:
            continue
        start = match.start(1)
        line += content.count(b"\n", counted, start)
        counted = start
        found.subjects.setdefault(subject, line)
        found.properties.setdefault((subject, predicate.group(1).decode("utf-8", errors="replace")), line)
    return found


def ntriples_lines(content: bytes, wanted: Container[str]) -> SourceLines:
    """Give the lines where the ``wanted`` IRI subjects, and their predicates, first are in
    N-Triples or N-Quads ``content``."""
    return _line_subjects(content, wanted)


def _turtle_lines(text: str, base_iri: str, wanted: Container[str]) -> SourceLines:
    found = SourceLines({}, {})
    subject: str | None = None  # the IRI subject whose predicates are being read
    expect_predicate = False
    prefixes: dict[str, str] = {}
    base = base_iri
    line, counted = 1, 0  # lines are counted up to a token only when one is recorded
    at_statement_start = True
    depth = 0  # inside [ ] or ( ): a '.' cannot end a statement there
    pending: list[str] = []  # the tokens of a directive being read
    for match in _TURTLE_TOKEN.finditer(text):
        kind = match.lastgroup
        if kind is None:  # white space or comments at the end
            continue
        token = match.group(kind)
        if pending:
            pending.append(token)
            if len(pending) == _directive_length(pending[0]):
                base = _apply_directive(pending, prefixes, base)
                pending = []
                at_statement_start = True
            continue
        if kind == "punct":
            if token in "[(":
                depth += 1
                at_statement_start = expect_predicate = False
            elif token in "])":
                depth -= 1
            elif (token == "." and depth == 0) or token in "{}":
                at_statement_start, subject = True, None
            elif token == ";" and depth == 0:
                expect_predicate = subject is not None
            continue
        if kind == "directive" or (at_statement_start and kind == "word" and token.upper() in ("PREFIX", "BASE")):
            pending = [token]
            continue
        if expect_predicate and subject is not None:
            if subject in wanted:
                predicate = _RDF_TYPE if token == "a" else _resolve(kind, token, base, prefixes)
                if predicate is not None:
                    line, counted = line + text.count("\n", counted, match.start(kind)), match.start(kind)
                    found.properties.setdefault((subject, predicate), line)
            expect_predicate = False
            continue
        if not at_statement_start:
            continue
        if kind == "word" and token.upper() == "GRAPH":
            continue
        iri = _resolve(kind, token, base, prefixes)
        if iri is not None:
            if iri in wanted:
                line, counted = line + text.count("\n", counted, match.start(kind)), match.start(kind)
                found.subjects.setdefault(iri, line)
            subject, expect_predicate = iri, True
        at_statement_start = False
    return found


def _resolve(kind: str | None, token: str, base: str, prefixes: dict[str, str]) -> str | None:
    """Give the IRI a token writes (<iri> or prefix:local), or None for anything else."""
    if kind == "iri":
        return _joined(base, token[1:-1])
    if kind == "word" and ":" in token and not token.startswith("_:"):
        prefix, _, local = token.partition(":")
        if prefix in prefixes:
            return prefixes[prefix] + (_LOCAL_ESCAPE.sub(r"\1", local) if "\\" in local else local)
    return None


def _joined(base: str, reference: str) -> str:
    """Give ``reference`` resolved against ``base``, an empty fragment kept (a namespace such as
    <https://w3id.org/aimsgraph/ns#>), which urljoin drops."""
    if not base:
        return reference
    joined = urljoin(base, reference)
    return joined + "#" if reference.endswith("#") and not joined.endswith("#") else joined


def _directive_length(keyword: str) -> int:
    """Give how many tokens a directive has: PREFIX p: <iri>, with a closing '.' in the @ form."""
    length = 3 if keyword.lower().lstrip("@") == "prefix" else 2
    return length + 1 if keyword.startswith("@") else length


def _apply_directive(tokens: list[str], prefixes: dict[str, str], base: str) -> str:
    """Apply a prefix or base directive; give the base IRI in force after it."""
    target = tokens[-1] if not tokens[0].startswith("@") else tokens[-2]
    iri = _joined(base, target[1:-1])
    if tokens[0].lower().lstrip("@") == "prefix":
        prefixes[tokens[1].rstrip(":")] = iri
        return base
    return iri
