"""What the SPARQL engine (:mod:`aimsgraph.shacl_sparql`) needs to give pySHACL's answers: the
tests of values that SPARQL cannot make as pySHACL makes them (lexical forms as rdflib reads them,
Python's regexes), SHACL paths and datatypes written in SPARQL, and the reading of a SHACL-SPARQL
constraint that tells whether joining the focus nodes into it means the same as pre-binding $this
(SEP-0007), as pySHACL does.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from decimal import Decimal
from functools import lru_cache

import pyoxigraph
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDF, RDFS, SH, XSD
from rdflib.term import Node

from aimsgraph import load, sparql


class UnsupportedError(Exception):
    """A shape uses something this translation does not cover; pySHACL runs it instead."""


NUMERIC = {
    XSD.integer, XSD.decimal, XSD.double, XSD.float, XSD.int, XSD.long, XSD.short, XSD.byte,
    XSD.nonNegativeInteger, XSD.positiveInteger, XSD.nonPositiveInteger, XSD.negativeInteger,
    XSD.unsignedInt, XSD.unsignedLong, XSD.unsignedShort, XSD.unsignedByte,
}  # fmt: skip
_REGEX_FLAGS = {"i": re.IGNORECASE, "m": re.MULTILINE}


def datatype_test(rule: Node) -> Callable[[Node], bool]:
    """sh:datatype as pySHACL judges a value: a literal of the datatype whose lexical form rdflib
    reads (and as the Python type it expects), or rdfs:Literal, rdfs:Datatype, a plain string."""
    python_types: dict[Node, type | tuple[type, ...]] = {
        XSD.string: (str, bytes), RDF.langString: (str, bytes), XSD.integer: int, XSD.float: float,
        XSD.decimal: Decimal, XSD.boolean: bool, XSD.date: dt.date, XSD.time: dt.time, XSD.dateTime: dt.datetime,
    }  # fmt: skip

    def fails(value: Node) -> bool:
        if not isinstance(value, Literal):
            return True
        if value.datatype == rule:
            return value.ill_typed is True or not isinstance(value.value, python_types.get(rule, object))
        if rule == RDFS.Literal or (rule == RDFS.Datatype and value.datatype):
            return False
        if (rule == XSD.string and value.datatype is None and value.language is None) or (
            rule == RDF.langString and value.language
        ):
            return not isinstance(value.value, (str, bytes))
        return True

    return fails


def length_test(bound: int, *, longest: bool) -> Callable[[Node], bool]:
    """sh:minLength (or, ``longest``, sh:maxLength) as pySHACL applies it: on the value's text, as
    written; a blank node always fails."""

    def fails(value: Node) -> bool:
        if isinstance(value, BNode):
            return True
        length = len(str(value))
        return length > bound if longest else length < bound

    return fails


def pattern_test(pattern: str, flags: Node | None) -> Callable[[Node], bool]:
    """sh:pattern as pySHACL applies it: Python's re.search on the value's text, with the flags i
    and m (it ignores the others)."""
    compiled = 0
    for flag in str(flags or "").lower():
        compiled |= _REGEX_FLAGS.get(flag, 0)
    try:
        expression = re.compile(pattern, compiled)
    except re.error as error:
        raise UnsupportedError(f"a pattern Python cannot read: {error}") from None
    return lambda value: expression.search(str(value)) is None


@lru_cache(maxsize=256)
def canonical(term: Node) -> Node:
    """``term`` as Oxigraph stores it (typed literals in canonical form: "1.50" as "1.5"), so that
    a constant compares with the stored data term for term."""
    if not isinstance(term, Literal):
        return term
    store = pyoxigraph.Store()
    node = pyoxigraph.NamedNode("urn:aimsgraph:canonical")
    store.add(pyoxigraph.Quad(node, node, load.to_oxigraph(term)))
    return load.to_rdflib(next(iter(store)).object)


def sub_selects(code: str) -> list[str]:
    """The text of each sub-SELECT of a query (strings and IRIs already blanked), from its SELECT
    to the brace that closes the group around it."""
    found = []
    for match in list(re.finditer(r"(?i)\bSELECT\b", code))[1:]:
        depth, end = 0, len(code)
        for position in range(match.start(), len(code)):
            depth += {"{": 1, "}": -1}.get(code[position], 0)
            if depth < 0:
                end = position
                break
        found.append(code[match.start() : end])
    return found


# $this where a triple pattern binds it: before a predicate, or after one at the end of a pattern
_THIS_IN_A_PATTERN = re.compile(
    r"[?$]this\s+(?:a\b|x|[?$]\w|[A-Za-z_][\w-]*:|\^|:)"
    r"|(?:x|[A-Za-z_][\w-]*:[\w.-]*|\ba|[?$]\w+)\s+[?$]this\s*[.;,}]"
)


def _own_level(group: str) -> str:
    """``group`` (text from its opening brace) without the groups nested in it: what a pattern
    at its own level says."""
    depth, kept = 0, []
    for character in group:
        if character == "{":
            depth += 1
        if depth <= 1:
            kept.append(character)
        if character == "}":
            depth -= 1
    return "".join(kept)


def check_sub_select(sub_select: str) -> None:
    """Refuse a sub-SELECT whose answer joined with the focus nodes could differ from its answer
    with $this pre-bound (pySHACL, SEP-0007): it must select $this, bind it in a triple pattern
    (so that no solution leaves it unbound, which would join with every focus node), group by it
    if it aggregates, and not cut its answer short (LIMIT, OFFSET)."""
    head, _, body = sub_select.partition("{")
    if (
        not re.search(r"[?$]this\b", head)
        or not _THIS_IN_A_PATTERN.search(_own_level("{" + body))
        or ("(" in head and not re.search(r"(?i)GROUP\s+BY\s+(?:[?$]\w+\s+)*[?$]this\b", body))
        or re.search(r"(?i)\b(LIMIT|OFFSET)\b", body)
    ):
        raise UnsupportedError("a sub-SELECT inside a SPARQL constraint that does not select, bind and group by $this")


def check_groups(code: str) -> None:
    """Refuse a constraint with a group nested in its WHERE group (an OPTIONAL, a UNION branch, a
    GRAPH, a plain group) that mentions $this without binding it in a pattern of its own: that
    group is evaluated before the target is joined in, so $this would be unbound there, whereas
    pre-binding gives it everywhere. The bodies of EXISTS and NOT EXISTS see the joined $this."""
    start = code.upper().find("WHERE")
    start = code.find("{", start if start >= 0 else 0)
    depth, opened = 0, 0
    for position in range(start, len(code)):
        if code[position] == "{":
            depth += 1
            if depth == 2:
                opened = position
        elif code[position] == "}":
            if depth == 2:
                group = code[opened : position + 1]
                before = code[:opened].rstrip()
                if (
                    not before.upper().endswith("EXISTS")
                    and re.search(r"[?$]this\b", group)
                    and not _THIS_IN_A_PATTERN.search(_own_level(group))
                ):
                    raise UnsupportedError("$this in a nested group that does not bind it itself")
            depth -= 1


def code(query: str) -> str:
    """``query`` with its strings, IRIs and comments blanked out, for looking at its keywords."""
    return sparql._STRING_IRI_OR_COMMENT.sub(lambda m: "x" * len(m.group()), query)


# Casts that fail on an ill-formed lexical form, as rdflib's own check does (pySHACL's sh:datatype)
_CASTS = {
    XSD.date: XSD.date, XSD.dateTime: XSD.dateTime, XSD.boolean: XSD.boolean, XSD.decimal: XSD.decimal,
    XSD.integer: XSD.integer, XSD.double: XSD.double, XSD.float: XSD.float, XSD.time: XSD.time,
    XSD.positiveInteger: XSD.integer, XSD.nonNegativeInteger: XSD.integer, XSD.negativeInteger: XSD.integer,
    XSD.nonPositiveInteger: XSD.integer, XSD.long: XSD.integer, XSD.int: XSD.integer,
}  # fmt: skip


def datatype_expression(datatype: Node, v: str) -> str:
    """The test that ``v`` is a literal of ``datatype`` with a right lexical form, as far as a
    SPARQL cast can tell (in a shape used by another; elsewhere rdflib tells, as in pySHACL)."""
    if not isinstance(datatype, URIRef):
        raise UnsupportedError("sh:datatype that is not an IRI")
    checks = [f"isLiteral({v})", f"sameTerm(DATATYPE({v}), <{datatype}>)"]
    if datatype == RDF.langString:
        checks.append(f'LANG({v}) != ""')
    elif datatype in _CASTS:
        cast = f"<{_CASTS[datatype]}>"
        checks.append(f"COALESCE(sameTerm(DATATYPE({cast}(STR({v}))), {cast}), false)")
    elif datatype != XSD.string:
        raise UnsupportedError(f"sh:datatype {datatype} in a shape used by another")
    return "(" + " && ".join(checks) + ")"


_PATH_OPERATORS = ((SH.inversePath, "^"), (SH.zeroOrMorePath, "*"), (SH.oneOrMorePath, "+"), (SH.zeroOrOnePath, "?"))


def sparql_path(shapes: Graph, path: Node) -> str:
    """The SPARQL property path of a SHACL path in ``shapes``."""
    if isinstance(path, URIRef):
        return f"<{path}>"
    if not isinstance(path, BNode):
        raise UnsupportedError("a path that is neither an IRI nor a blank node")
    if (path, RDF.first, None) in shapes:
        return "(" + "/".join(sparql_path(shapes, step) for step in Collection(shapes, path)) + ")"
    for predicate, operator in _PATH_OPERATORS:
        inner = shapes.value(path, predicate)
        if inner is not None:
            step = sparql_path(shapes, inner)
            return f"^({step})" if operator == "^" else f"({step}){operator}"
    alternatives = shapes.value(path, SH.alternativePath)
    if alternatives is not None:
        return "(" + "|".join(sparql_path(shapes, step) for step in Collection(shapes, alternatives)) + ")"
    raise UnsupportedError("an unknown kind of path")


def zero_length(shapes: Graph, path: Node) -> bool:
    """Whether the SHACL ``path`` in ``shapes`` can match from a node to itself (p*, p?)."""
    if (path, RDF.first, None) in shapes:
        return all(zero_length(shapes, step) for step in Collection(shapes, path))
    if (path, SH.zeroOrMorePath, None) in shapes or (path, SH.zeroOrOnePath, None) in shapes:
        return True
    for wrapper in (SH.inversePath, SH.oneOrMorePath):
        inner = shapes.value(path, wrapper)
        if inner is not None:
            return zero_length(shapes, inner)
    alternatives = shapes.value(path, SH.alternativePath)
    return alternatives is not None and any(zero_length(shapes, step) for step in Collection(shapes, alternatives))


# a SPARQL text's tokens, its strings, IRIs and comments blanked (see code): a variable, a word
# (a prefixed name, a keyword, a number, a blanked IRI or string), or one other character
_SPARQL_TOKEN = re.compile(r"[?$][A-Za-z0-9_]+|[A-Za-z0-9_:.\-]+|\S")
_NUMBER = re.compile(r"[0-9.\-]+(?:[eE][0-9]+)?")


def zero_length_in_sparql(text: str) -> bool:
    """Whether the SPARQL ``text`` may hold a property path that can match from a node to itself
    (p*, p?): a '*' or a '?' after an IRI, a prefixed name or 'a', or after a parenthesised path.
    Where a '*' may as well be a product, the answer is yes: a wrong yes only sends a shape to
    pySHACL, which is slower, never wrong."""
    found = list(_SPARQL_TOKEN.finditer(code(text)))
    tokens = [match.group() for match in found]
    for at, token in enumerate(tokens):
        if token not in ("*", "?") or at == 0:
            continue
        before = tokens[at - 1]
        if before == ")":
            if _path_group(found, at - 1):
                return True
        elif _term(before):
            return True
    return False


def _term(word: str) -> bool:
    """Whether ``word`` can stand for a predicate: an IRI (blanked), a prefixed name or 'a'."""
    return word == "a" or ((":" in word or word.startswith("x")) and not _NUMBER.fullmatch(word))


def _path_group(found: list[re.Match[str]], closing: int) -> bool:
    """Whether the group that closes at token ``closing`` may be a path: not a function's
    arguments (a name, then the parenthesis at once), nor an expression's parentheses (after
    FILTER, BIND, an operator, a comma)."""
    depth = 0
    for at in range(closing, -1, -1):
        depth += {")": 1, "(": -1}.get(found[at].group(), 0)
        if depth == 0:
            if at == 0:
                return True
            before = found[at - 1]
            if before.group() == "(":  # ((...)): as the group around it
                return _path_group(found, _closing(found, at - 1))
            if before.group().startswith(("?", "$")) or before.group() in ("/", "|", "^", "]", ";"):
                return True  # after a subject, or within a path
            called = before.end() == found[at].start() or before.group().isupper()
            return _term(before.group()) and not called
    return True  # unbalanced: assume the worst


def _closing(found: list[re.Match[str]], opening: int) -> int:
    depth = 0
    for at in range(opening, len(found)):
        depth += {"(": 1, ")": -1}.get(found[at].group(), 0)
        if depth == 0:
            return at
    return len(found) - 1
