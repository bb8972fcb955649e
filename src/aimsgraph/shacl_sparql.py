"""SHACL shapes translated into SPARQL queries, so that Oxigraph runs validation at scale.

pySHACL walks every focus node in Python and hands each SHACL-SPARQL constraint to rdflib once per
focus node; at 10,000 AI systems that is minutes. Here each constraint of each shape becomes one
SPARQL SELECT over all its focus nodes at once (the target is joined into the query), which a
store's own engine answers in milliseconds. The shapes stay plain SHACL: this module only reads
them.

What is translated is the part of SHACL Core and SHACL-SPARQL that aimsgraph's shapes use (class,
subject-of, object-of and node targets and SPARQL targets; predicate, inverse, alternative and
sequence paths; min/max count, class, datatype, node kind, length, range, pattern, in, has-value,
node, and, or, not, nested property shapes, qualified min/max counts, SPARQL constraints). A shape
that uses anything else, or a form whose meaning would change when the target is joined in (a
sub-SELECT inside a SPARQL constraint, where pySHACL's pre-binding of $this and a join differ), is
not translated: :func:`compile_shapes` lists it with the reason, and validation runs it with
pySHACL. pySHACL is the reference: tests/test_shacl_sparql.py requires the same results from both
on every rule's fixtures and on a generated AIMS.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace

import pyoxigraph
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDF, SH, XSD
from rdflib.term import Node

from aimsgraph import load, sparql
from aimsgraph.model import Progress

_SUBCLASS_PATH = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>/<http://www.w3.org/2000/01/rdf-schema#subClassOf>*"
# SHACL terms a shape may carry that do not constrain anything
_METADATA = {
    SH.message,
    SH.severity,
    SH.name,
    SH.description,
    SH.order,
    SH.group,
    SH.deactivated,
    SH.defaultValue,
}
_TARGETS = {SH.targetClass, SH.targetSubjectsOf, SH.targetObjectsOf, SH.targetNode, SH.target}
# Casts that fail on an ill-formed lexical form, as rdflib's own check does (pySHACL's sh:datatype)
_CASTS = {
    XSD.date: XSD.date, XSD.dateTime: XSD.dateTime, XSD.boolean: XSD.boolean, XSD.decimal: XSD.decimal,
    XSD.integer: XSD.integer, XSD.double: XSD.double, XSD.float: XSD.float, XSD.time: XSD.time,
    XSD.positiveInteger: XSD.integer, XSD.nonNegativeInteger: XSD.integer, XSD.negativeInteger: XSD.integer,
    XSD.nonPositiveInteger: XSD.integer, XSD.long: XSD.integer, XSD.int: XSD.integer,
}  # fmt: skip
_NODE_KINDS: dict[Node, str] = {
    SH.IRI: "isIRI({v})",
    SH.BlankNode: "isBlank({v})",
    SH.Literal: "isLiteral({v})",
    SH.BlankNodeOrIRI: "(isIRI({v}) || isBlank({v}))",
    SH.BlankNodeOrLiteral: "(isBlank({v}) || isLiteral({v}))",
    SH.IRIOrLiteral: "(isIRI({v}) || isLiteral({v}))",
}
_COMPARISONS = {SH.minInclusive: ">=", SH.maxInclusive: "<=", SH.minExclusive: ">", SH.maxExclusive: "<"}


class UnsupportedError(Exception):
    """A shape uses something this translation does not cover; pySHACL runs it instead."""


@dataclass(frozen=True)
class Check:
    """One constraint of one shape as a query: each row is a validation result.

    The query gives ``?this`` (the focus node) and, for constraints on values, ``?value``; a SPARQL
    constraint may give more, for its message. ``value_is_focus``: the result's value is the focus
    node (a node shape's own constraints, as SHACL reports them).
    """

    shape: Node
    path: Node | None
    severity: Node
    message: Literal | None
    query: str
    value_is_focus: bool = False
    sparql_based: bool = False


@dataclass(frozen=True)
class Plan:
    """What a set of shapes becomes: checks to run as queries, and shapes left to pySHACL."""

    checks: tuple[Check, ...]
    translated: tuple[Node, ...]  # the shapes with targets that the checks cover
    fallback: tuple[tuple[Node, str], ...]  # (shape, why it is not translated)


def compile_shapes(shapes: Graph) -> Plan:
    """Translate every shape of ``shapes`` that has targets and is active into checks."""
    checks: list[Check] = []
    translated: list[Node] = []
    fallback: list[tuple[Node, str]] = []
    for shape in _targeted_shapes(shapes):
        try:
            checks += _Compiler(shapes).shape_checks(shape)
            translated.append(shape)
        except UnsupportedError as reason:
            fallback.append((shape, str(reason)))
    return Plan(tuple(checks), tuple(translated), tuple(fallback))


def _targeted_shapes(shapes: Graph) -> list[Node]:
    found = {s for predicate in _TARGETS for s in shapes.subjects(predicate, None)}
    active = [s for s in found if (s, SH.deactivated, Literal(True)) not in shapes]
    return sorted(active, key=str)


@dataclass
class Result:
    """One validation result, in the terms pySHACL's report uses."""

    focus: Node
    path: Node | None
    value: Node | None
    shape: Node
    severity: Node
    message: Literal | None


def run(store: pyoxigraph.Store, plan: Plan, progress: Progress | None = None) -> list[Result]:
    """Run every check of ``plan`` on ``store`` (its default graph holds the data to validate)."""
    results = []
    for done, check in enumerate(plan.checks):
        if progress is not None:
            progress("check", done, len(plan.checks))
        solutions = store.query(check.query)
        assert isinstance(solutions, pyoxigraph.QuerySolutions)
        names = [v.value for v in solutions.variables]
        for row in solutions:
            bound = {name: load.to_rdflib(row[name]) for name in names if row[name] is not None}
            focus = bound.get("this")
            if focus is None:
                continue
            value = focus if check.value_is_focus else bound.get("value")
            if check.sparql_based and value is None:
                value = focus  # pySHACL gives $this as the value when a SPARQL constraint binds none
            message = check.message
            if check.sparql_based and message is not None:
                message = _fill(message, {"this": focus, **({"value": value} if value is not None else {}), **bound})
            results.append(Result(focus, bound.get("path", check.path), value, check.shape, check.severity, message))
    return results


def _sub_selects(code: str) -> list[str]:
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
    r"[?$]this\s+(?:a\b|x|[A-Za-z_][\w-]*:|\^|:)|(?:x|[A-Za-z_][\w-]*:[\w.-]*|\ba)\s+[?$]this\s*[.;}]"
)


def _check_sub_select(sub_select: str) -> None:
    """Refuse a sub-SELECT whose answer joined with the focus nodes could differ from its answer
    with $this pre-bound (pySHACL, SEP-0007): it must select $this, bind it in a triple pattern
    (so that no solution leaves it unbound, which would join with every focus node), group by it
    if it aggregates, and not cut its answer short (LIMIT, OFFSET)."""
    head, _, body = sub_select.partition("{")
    if (
        not re.search(r"[?$]this\b", head)
        or not _THIS_IN_A_PATTERN.search(body)
        or ("(" in head and not re.search(r"(?i)GROUP\s+BY\s+(?:[?$]\w+\s+)*[?$]this\b", body))
        or re.search(r"(?i)\b(LIMIT|OFFSET)\b", body)
    ):
        raise UnsupportedError("a sub-SELECT inside a SPARQL constraint that does not select, bind and group by $this")


def _code(query: str) -> str:
    """``query`` with its strings, IRIs and comments blanked out, for looking at its keywords."""
    return sparql._STRING_IRI_OR_COMMENT.sub(lambda m: "x" * len(m.group()), query)


def _fill(message: Literal, bound: dict[str, Node]) -> Literal:
    """Put the bindings into a message's {?name} or {$name} placeholders, as pySHACL does."""
    text = str(message)
    for name, value in bound.items():
        text = text.replace("{?" + name + "}", str(value)).replace("{$" + name + "}", str(value))
    return Literal(text, lang=message.language, datatype=message.datatype)


class _Compiler:
    def __init__(self, shapes: Graph):
        self.g = shapes
        self._counter = itertools.count(1)
        self.namespaces: dict[str, str] = {}  # prefixes the SPARQL targets and constraints declare

    def fresh(self) -> str:
        return f"?_v{next(self._counter)}"

    # --- shapes ---------------------------------------------------------------------------------

    def shape_checks(self, shape: Node) -> list[Check]:
        target = self.target(shape)
        checks = self.checks_on(shape, target)
        # every query of the shape is written with the prefixes its SPARQL parts declare
        header = self.header()
        return [replace(check, query=header + check.query) for check in checks]

    def checks_on(self, shape: Node, target: str) -> list[Check]:
        """The checks of ``shape`` on the focus nodes that ``target`` (a group binding ?this) gives."""
        self.refuse_unknown(shape)
        severity = self.g.value(shape, SH.severity) or SH.Violation
        message = self._message(shape)
        path = self.g.value(shape, SH.path)
        checks: list[Check] = []
        if path is not None:
            checks += self.property_checks(shape, target, path, severity, message)
        else:
            for constraint, expression in self.value_constraints(shape, "?this"):
                del constraint
                query = f"SELECT DISTINCT ?this WHERE {{ {target} FILTER (!({expression})) }}"
                checks.append(Check(shape, None, severity, message, query, value_is_focus=True))
        for nested in self.g.objects(shape, SH.property):
            if (nested, SH.deactivated, Literal(True)) not in self.g:
                checks += self.checks_on(nested, target)
        for constraint in self.g.objects(shape, SH.sparql):
            checks.append(self.sparql_check(shape, constraint, target, severity, message, path))
        return checks

    def property_checks(
        self, shape: Node, target: str, path: Node, severity: Node, message: Literal | None
    ) -> list[Check]:
        p = self.path(path)
        checks = []

        def check(query: str) -> None:
            checks.append(Check(shape, path, severity, message, query))

        for count in self.g.objects(shape, SH.minCount):
            n = self.integer(count)
            if n == 1:
                check(f"SELECT DISTINCT ?this WHERE {{ {target} FILTER NOT EXISTS {{ ?this {p} ?_any . }} }}")
            elif n > 1:
                check(
                    f"SELECT ?this WHERE {{ {target} OPTIONAL {{ ?this {p} ?_any . }} }} "
                    f"GROUP BY ?this HAVING (COUNT(DISTINCT ?_any) < {n})"
                )
        for count in self.g.objects(shape, SH.maxCount):
            n = self.integer(count)
            check(
                f"SELECT ?this WHERE {{ {target} ?this {p} ?_any . }} "
                f"GROUP BY ?this HAVING (COUNT(DISTINCT ?_any) > {n})"
            )
        qualified = list(self.g.objects(shape, SH.qualifiedValueShape))
        if qualified:
            if len(qualified) > 1 or (shape, SH.qualifiedValueShapesDisjoint, Literal(True)) in self.g:
                raise UnsupportedError("disjoint or several qualified value shapes")
            conforms = self.conforms(qualified[0], "?_any")
            for predicate, op in ((SH.qualifiedMinCount, "<"), (SH.qualifiedMaxCount, ">")):
                for count in self.g.objects(shape, predicate):
                    check(
                        f"SELECT ?this WHERE {{ {target} OPTIONAL {{ ?this {p} ?_any . FILTER ({conforms}) }} }} "
                        f"GROUP BY ?this HAVING (COUNT(DISTINCT ?_any) {op} {self.integer(count)})"
                    )
        for value in self.g.objects(shape, SH.hasValue):
            check(f"SELECT DISTINCT ?this WHERE {{ {target} FILTER NOT EXISTS {{ ?this {p} {self.term(value)} . }} }}")
        for _constraint, expression in self.value_constraints(shape, "?value"):
            check(f"SELECT DISTINCT ?this ?value WHERE {{ {target} ?this {p} ?value . FILTER (!({expression})) }}")
        return checks

    def sparql_check(  # noqa: PLR0917 - the parts of one check, all needed
        self, shape: Node, constraint: Node, target: str, severity: Node, message: Literal | None, path: Node | None
    ) -> Check:
        if (constraint, SH.deactivated, Literal(True)) in self.g:
            raise UnsupportedError("a deactivated SPARQL constraint")
        select = self.g.value(constraint, SH.select)
        if select is None:
            raise UnsupportedError("a SPARQL constraint without sh:select (sh:ask?)")
        text = str(select)
        if path is not None:
            text = text.replace("$PATH", self.path(path))
        own = self._message(constraint)
        self.declare(constraint)
        return Check(
            shape, path, severity, own if own is not None else message, self.spliced(text, target), sparql_based=True
        )

    def spliced(self, query: str, target: str) -> str:
        """Give ``query`` with ``target`` joined at the start of its WHERE group, so that every
        FILTER of that group (NOT EXISTS included) sees ?this bound, as pre-binding would."""
        code = _code(query)
        for sub_select in _sub_selects(code):
            _check_sub_select(sub_select)
        if re.search(r"(?i)\b(PREFIX|BASE|SERVICE)\b", code):
            raise UnsupportedError("PREFIX, BASE or SERVICE written in a SPARQL constraint")
        head = code[: code.upper().find("WHERE")] if "WHERE" in code.upper() else code[: code.find("{")]
        if not re.search(r"[?$]this\b", head) and "*" not in head:
            raise UnsupportedError("a SPARQL constraint that does not select $this")
        at = sparql._where_group_start(query)
        return f"{query[:at]} {target}\n{query[at:]}"

    def declare(self, node: Node) -> None:
        """Take the prefixes that ``node`` (a SPARQL constraint or target) declares with sh:prefixes."""
        for declarer in self.g.objects(node, SH.prefixes):
            for declaration in self.g.objects(declarer, SH.declare):
                prefix, namespace = self.g.value(declaration, SH.prefix), self.g.value(declaration, SH.namespace)
                if prefix is None or namespace is None:
                    raise UnsupportedError("a prefix declaration without sh:prefix or sh:namespace")
                if self.namespaces.setdefault(str(prefix), str(namespace)) != str(namespace):
                    raise UnsupportedError(f"the prefix {prefix}: declared with two namespaces")

    def header(self) -> str:
        return "".join(f"PREFIX {prefix}: <{namespace}>\n" for prefix, namespace in sorted(self.namespaces.items()))

    def target(self, shape: Node) -> str:
        """A group pattern binding ?this to each focus node of ``shape``, each once."""
        parts = []
        for cls in self.g.objects(shape, SH.targetClass):
            parts.append(f"?this {_SUBCLASS_PATH} {self.term(cls)} .")
        for predicate in self.g.objects(shape, SH.targetSubjectsOf):
            parts.append(f"?this {self.term(predicate)} ?_object .")
        for predicate in self.g.objects(shape, SH.targetObjectsOf):
            parts.append(f"?_subject {self.term(predicate)} ?this .")
        for node in self.g.objects(shape, SH.targetNode):
            parts.append(f"VALUES ?this {{ {self.term(node)} }}")
        for custom in self.g.objects(shape, SH.target):
            if (custom, RDF.type, SH.SPARQLTarget) not in self.g or self.g.value(custom, SH.select) is None:
                raise UnsupportedError("a target other than a SPARQL target")
            select = str(self.g.value(custom, SH.select))
            code = _code(select)
            if len(re.findall(r"(?i)\bSELECT\b", code)) != 1 or re.search(r"(?i)\b(PREFIX|BASE)\b", code):
                raise UnsupportedError("a SPARQL target with a sub-SELECT or its own PREFIX")
            self.declare(custom)
            parts.append(select)
        if (shape, RDF.type, URIRef("http://www.w3.org/2000/01/rdf-schema#Class")) in self.g:
            raise UnsupportedError("an implicit class target")
        union = " UNION ".join(f"{{ {part} }}" for part in parts)
        return f"{{ SELECT DISTINCT ?this WHERE {{ {union} }} }}"

    # --- constraints on value nodes ---------------------------------------------------------------

    def value_constraints(self, shape: Node, v: str) -> Iterator[tuple[Node, str]]:  # noqa: PLR0912 - one per component
        """Each constraint of ``shape`` that every value node must meet, as an expression on ``v``."""
        for cls in self.g.objects(shape, SH["class"]):
            yield SH["class"], f"EXISTS {{ {v} {_SUBCLASS_PATH} {self.term(cls)} . }}"
        for datatype in self.g.objects(shape, SH.datatype):
            yield SH.datatype, self.datatype(datatype, v)
        for kind in self.g.objects(shape, SH.nodeKind):
            if kind not in _NODE_KINDS:
                raise UnsupportedError(f"sh:nodeKind {kind}")
            yield SH.nodeKind, _NODE_KINDS[kind].format(v=v)
        for predicate, op in _COMPARISONS.items():
            for bound in self.g.objects(shape, predicate):
                yield predicate, f"COALESCE({v} {op} {self.term(bound)}, false)"
        for length, op in ((SH.minLength, ">="), (SH.maxLength, "<=")):
            for bound in self.g.objects(shape, length):
                yield length, f"(!isBlank({v}) && STRLEN(STR({v})) {op} {self.integer(bound)})"
        for pattern in self.g.objects(shape, SH.pattern):
            flags = self.g.value(shape, SH.flags)
            extra = f", {self.term(Literal(str(flags)))}" if flags is not None else ""
            yield SH.pattern, f"(!isBlank({v}) && REGEX(STR({v}), {self.term(Literal(str(pattern)))}{extra}))"
        for members in self.g.objects(shape, SH["in"]):
            terms = ", ".join(self.term(m) for m in Collection(self.g, members))
            yield SH["in"], f"({v} IN ({terms}))" if terms else "false"
        for node in self.g.objects(shape, SH.node):
            yield SH.node, self.conforms(node, v)
        for alternatives in self.g.objects(shape, SH["or"]):
            yield SH["or"], "(" + " || ".join(self.conforms(m, v) for m in Collection(self.g, alternatives)) + ")"
        for all_of in self.g.objects(shape, SH["and"]):
            yield SH["and"], "(" + " && ".join(self.conforms(m, v) for m in Collection(self.g, all_of)) + ")"
        for negated in self.g.objects(shape, SH["not"]):
            yield SH["not"], f"!({self.conforms(negated, v)})"

    def datatype(self, datatype: Node, v: str) -> str:
        if not isinstance(datatype, URIRef):
            raise UnsupportedError("sh:datatype that is not an IRI")
        checks = [f"isLiteral({v})", f"sameTerm(DATATYPE({v}), {self.term(datatype)})"]
        if datatype == RDF.langString:
            checks.append(f'LANG({v}) != ""')
        elif datatype in _CASTS:
            cast = self.term(_CASTS[datatype])
            checks.append(f"COALESCE(sameTerm(DATATYPE({cast}(STR({v}))), {cast}), false)")
        elif datatype != XSD.string and str(datatype).startswith(str(XSD)):
            raise UnsupportedError(f"sh:datatype {datatype} (its lexical forms are not checked here)")
        return "(" + " && ".join(checks) + ")"

    def conforms(self, shape: Node, v: str) -> str:
        """An expression true when the node ``v`` conforms to ``shape`` (a shape used by another)."""
        self.refuse_unknown(shape)
        if self.g.value(shape, SH.sparql) is not None:
            raise UnsupportedError("a SPARQL constraint in a shape used by another")
        path = self.g.value(shape, SH.path)
        parts = []
        if path is None:
            parts += [expression for _c, expression in self.value_constraints(shape, v)]
        else:
            parts += self.property_conforms(shape, v, path)
        for nested in self.g.objects(shape, SH.property):
            parts.append(self.conforms(nested, v))
        return "(" + " && ".join(parts or ["true"]) + ")"

    def property_conforms(self, shape: Node, v: str, path: Node) -> list[str]:
        p, value = self.path(path), self.fresh()
        parts = []
        for count in self.g.objects(shape, SH.minCount):
            n = self.integer(count)
            if n > 1:
                raise UnsupportedError("sh:minCount above 1 in a shape used by another")
            if n == 1:
                parts.append(f"EXISTS {{ {v} {p} {value} . }}")
        for count in self.g.objects(shape, SH.maxCount):
            n, other = self.integer(count), self.fresh()
            if n > 1:
                raise UnsupportedError("sh:maxCount above 1 in a shape used by another")
            if n == 0:
                parts.append(f"NOT EXISTS {{ {v} {p} {value} . }}")
            else:
                parts.append(f"NOT EXISTS {{ {v} {p} {value}, {other} . FILTER (!sameTerm({value}, {other})) }}")
        if any(self.g.objects(shape, SH.qualifiedValueShape)) or any(self.g.objects(shape, SH.hasValue)):
            raise UnsupportedError("qualified value shapes or sh:hasValue in a shape used by another")
        for _c, expression in self.value_constraints(shape, value):
            parts.append(f"NOT EXISTS {{ {v} {p} {value} . FILTER (!({expression})) }}")
        return parts

    # --- terms ----------------------------------------------------------------------------------

    def refuse_unknown(self, shape: Node) -> None:
        known = _METADATA | _TARGETS | {
            SH.path, SH.property, SH.sparql, SH["class"], SH.datatype, SH.nodeKind, SH.minLength, SH.maxLength,
            SH.pattern, SH.flags, SH["in"], SH.node, SH["or"], SH["and"], SH["not"], SH.minCount, SH.maxCount,
            SH.qualifiedValueShape, SH.qualifiedMinCount, SH.qualifiedMaxCount, SH.hasValue, SH.prefixes,
            SH.qualifiedValueShapesDisjoint, *_COMPARISONS,
        }  # fmt: skip
        for predicate in set(self.g.predicates(shape, None)):
            if str(predicate).startswith(str(SH)) and predicate not in known:
                raise UnsupportedError(f"{predicate.n3(self.g.namespace_manager)}")

    def path(self, path: Node) -> str:
        if isinstance(path, URIRef):
            return self.term(path)
        if not isinstance(path, BNode):
            raise UnsupportedError("a path that is neither an IRI nor a blank node")
        if (path, RDF.first, None) in self.g:
            return "(" + "/".join(self.path(step) for step in Collection(self.g, path)) + ")"
        for predicate, operator in (
            (SH.inversePath, "^"),
            (SH.zeroOrMorePath, "*"),
            (SH.oneOrMorePath, "+"),
            (SH.zeroOrOnePath, "?"),
        ):
            inner = self.g.value(path, predicate)
            if inner is not None:
                return f"^({self.path(inner)})" if operator == "^" else f"({self.path(inner)}){operator}"
        alternatives = self.g.value(path, SH.alternativePath)
        if alternatives is not None:
            return "(" + "|".join(self.path(step) for step in Collection(self.g, alternatives)) + ")"
        raise UnsupportedError("an unknown kind of path")

    def term(self, term: Node) -> str:
        if isinstance(term, URIRef):
            return f"<{term}>"
        if isinstance(term, Literal):
            return term.n3()
        raise UnsupportedError("a blank node where a constant is needed")

    def integer(self, term: Node) -> int:
        try:
            return int(str(term))
        except ValueError:
            raise UnsupportedError(f"a count that is not a whole number: {term}") from None

    def _message(self, node: Node) -> Literal | None:
        messages = [m for m in self.g.objects(node, SH.message) if isinstance(m, Literal)]
        if len(messages) > 1:
            raise UnsupportedError("several messages on one shape")
        return messages[0] if messages else None
