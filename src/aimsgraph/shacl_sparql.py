"""SHACL shapes translated into SPARQL queries, so that Oxigraph runs validation at scale.

pySHACL walks every focus node in Python and hands each SHACL-SPARQL constraint to rdflib once per
focus node; at 10,000 AI systems that is minutes. Here each constraint of each shape becomes one
SPARQL SELECT over all its focus nodes at once (the target is joined into the query), which a
store's own engine answers in milliseconds. The shapes stay plain SHACL: this module only reads
them.

What is translated is the part of SHACL Core and SHACL-SPARQL that aimsgraph's shapes use, and
more (class, implicit class, subject-of, object-of and node targets and SPARQL targets; predicate,
inverse, alternative and sequence paths; min/max count, class, datatype, node kind, length, range,
pattern, in, has-value, node, and, or, not, nested property shapes, qualified min/max counts,
SPARQL constraints). A shape
that uses anything else, or a form whose meaning would change when the target is joined in (a
sub-SELECT inside a SPARQL constraint, where pySHACL's pre-binding of $this and a join differ), is
not translated: :func:`compile_shapes` lists it with the reason, and validation runs it with
pySHACL. pySHACL is the reference: tests/test_shacl_sparql.py requires the same results from both
on every rule's fixtures and on a generated AIMS, and tests/test_w3c_shacl.py runs the W3C SHACL
test suite. shacl_run.py runs the checks.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace

import pyoxigraph
from rdflib import Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import OWL, RDF, RDFS, SH
from rdflib.term import Node

from aimsgraph import shacl_support as support
from aimsgraph import sparql
from aimsgraph.shacl_support import UnsupportedError

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
_PLAIN_TARGETS = [SH.targetClass, SH.targetSubjectsOf, SH.targetObjectsOf, SH.targetNode]
_TARGETS = {*_PLAIN_TARGETS, SH.target}
_NODE_KINDS: dict[Node, str] = {
    SH.IRI: "isIRI({v})",
    SH.BlankNode: "isBlank({v})",
    SH.Literal: "isLiteral({v})",
    SH.BlankNodeOrIRI: "(isIRI({v}) || isBlank({v}))",
    SH.BlankNodeOrLiteral: "(isBlank({v}) || isLiteral({v}))",
    SH.IRIOrLiteral: "(isIRI({v}) || isLiteral({v}))",
}
# the constraints that read a literal as written
_AS_WRITTEN = (SH.datatype, SH["in"], SH.hasValue, SH.minLength, SH.maxLength, SH.pattern)
_COMPARISONS = {SH.minInclusive: ">=", SH.maxInclusive: "<=", SH.minExclusive: ">", SH.maxExclusive: "<"}


_SELECT_FOR_FEW = URIRef("https://w3id.org/aimsgraph/ns#selectForFew")
# how a target group opens: a re-validation puts the focus nodes it wants right after
TARGET_OPENING = "{ SELECT DISTINCT ?this WHERE {"


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
    # a test on each value that SPARQL cannot make as pySHACL does (lexical forms, Python regexes):
    # the query gives the candidates, and only those failing it are results
    fails: Callable[[Node], bool] | None = None
    # the same check written to be quicker on every focus node at once, where ``query`` is the
    # quicker on a few (sh:class as MINUS, which works out the class's members once, against
    # FILTER NOT EXISTS, which follows the class path from each value): run() takes it on a full
    # run; a re-validation on a few nodes, and the analysis of what a check depends on, ``query``
    query_for_all: str | None = None
    # the target group in ``query`` (it opens with TARGET_OPENING); for a shape with only SPARQL
    # targets, the query of its focus nodes, which ``run`` puts in the target's place
    focus_query: str | None = None
    target: str | None = None
    target_for_few: str | None = None  # the same target, quick on given focus nodes (aims:selectForFew)


@dataclass(frozen=True)
class Plan:
    """What a set of shapes becomes: checks to run as queries, and shapes left to pySHACL."""

    checks: tuple[Check, ...]
    translated: tuple[Node, ...]  # the shapes with targets that the checks cover
    fallback: tuple[tuple[Node, str], ...]  # (shape, why it is not translated)


def compile_shapes(shapes: Graph, *, literals_rewritten: bool = False) -> Plan:
    """Translate every shape of ``shapes`` that has targets and is active into checks.

    ``literals_rewritten``: the data holds literals that Oxigraph stores in another form (a
    derived integer type as xsd:integer, "01" as "1"), so the constraints that compare terms as
    written (sh:datatype, sh:in, sh:hasValue) are left to pySHACL.
    """
    checks: list[Check] = []
    translated: list[Node] = []
    fallback: list[tuple[Node, str]] = []
    for shape in _targeted_shapes(shapes):
        try:
            checks += _Compiler(shapes, literals_rewritten=literals_rewritten).shape_checks(shape)
            translated.append(shape)
        except UnsupportedError as reason:
            fallback.append((shape, str(reason)))
    return Plan(tuple(checks), tuple(translated), tuple(fallback))


def _targeted_shapes(shapes: Graph) -> list[Node]:
    found = {s for predicate in _TARGETS for s in shapes.subjects(predicate, None)}
    # a shape that is also a class targets its instances (SHACL's implicit class target)
    for kind in (SH.NodeShape, SH.PropertyShape):
        found |= {s for s in shapes.subjects(RDF.type, kind) if _is_class(shapes, s)}
    active = [s for s in found if (s, SH.deactivated, Literal(True)) not in shapes]
    return sorted(active, key=str)


def _is_class(shapes: Graph, node: Node) -> bool:
    """Whether ``node`` is a class as pySHACL tells: typed rdfs:Class, owl:Class, or a subclass of
    rdfs:Class in the shapes graph."""
    for kind in shapes.objects(node, RDF.type):
        if kind in (RDFS.Class, OWL.Class) or RDFS.Class in shapes.transitive_objects(kind, RDFS.subClassOf):
            return True
    return False


def _refuse_zero_length(select: str) -> None:
    # A zero-length path gives a node itself only where the data mentions it, in Oxigraph (from
    # a constant, or from $this joined in), where pySHACL, pre-binding $this, gives it always.
    if support.zero_length_in_sparql(select):
        raise UnsupportedError("a path that may be of zero length (p* or p?) in a SPARQL query")


class _Compiler:
    def __init__(self, shapes: Graph, *, literals_rewritten: bool = False):
        self.g = shapes
        self.literals_rewritten = literals_rewritten
        self._counter = itertools.count(1)
        self.namespaces: dict[str, str] = {}  # prefixes the SPARQL targets and constraints declare
        self._using: set[Node] = set()  # the shapes being translated into a conformance test
        self.zero_length = False  # a path translated so far can match from a node to itself
        # the parameters of SHACL-SPARQL constraint components the shapes graph declares: a shape
        # that gives one is constrained by that component, which is not translated
        # (whatever the component is typed: a subclass of sh:ConstraintComponent will do)
        self.parameters = {
            parameter_path
            for _component, parameter in shapes.subject_objects(SH.parameter)
            if (parameter_path := shapes.value(parameter, SH.path)) is not None
        }

    def fresh(self) -> str:
        return f"?_v{next(self._counter)}"

    # --- shapes ---------------------------------------------------------------------------------

    def shape_checks(self, shape: Node) -> list[Check]:
        if (shape, RDF.type, SH.NodeShape) in self.g and self.g.value(shape, SH.path) is not None:
            raise UnsupportedError("a node shape with a path")
        target = self.target(shape)
        checks = self.checks_on(shape, target)
        if self.zero_length and any((shape, kind, None) in self.g for kind in (SH.targetNode, SH.target)):
            # SHACL's value nodes of p* or p? include the focus node, but SPARQL's zero-length
            # path joins it only if the data mentions it, which a target node or a SPARQL
            # target's need not
            raise UnsupportedError("a zero-length path (p* or p?) from a sh:targetNode or a SPARQL target")
        # every query of the shape is written with the prefixes its SPARQL parts declare
        header = self.header()
        checks = [
            replace(
                check,
                query=header + check.query,
                query_for_all=None if check.query_for_all is None else header + check.query_for_all,
            )
            for check in checks
        ]
        # where the target is, for a re-validation to give the focus nodes it wants checked
        for_few = self.target(shape, for_few=True)
        checks = [
            replace(check, target=target, target_for_few=None if for_few == target else for_few)
            if check.query.count(target) == 1
            else check
            for check in checks
        ]
        if self.g.value(shape, SH.target) is not None and not any(
            (shape, target, None) in self.g for target in _PLAIN_TARGETS
        ):
            # A SPARQL target is evaluated once, and its (usually few) focus nodes handed to each
            # check, rather than joined into every check, which then scans for all of them.
            focus = header + f"SELECT DISTINCT ?this WHERE {{ {target} }}"
            checks = [replace(check, focus_query=focus) if check.target is not None else check for check in checks]
        for query in [q for check in checks for q in (check.query, check.query_for_all) if q is not None]:
            try:  # on an empty store: only whether Oxigraph reads it
                pyoxigraph.Store().query(query)
            except (SyntaxError, ValueError) as error:
                raise UnsupportedError(f"a query Oxigraph cannot run: {error}") from None
        return checks

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
            for value in self.g.objects(shape, SH.hasValue):  # the focus node must be that very term
                query = f"SELECT DISTINCT ?this WHERE {{ {target} FILTER (!sameTerm(?this, {self.term(value)})) }}"
                checks.append(Check(shape, None, severity, message, query))  # SHACL gives no value here
            for pattern in self.class_patterns(shape, "?this"):
                query = f"SELECT DISTINCT ?this WHERE {{ {target} FILTER (!(EXISTS {{ {pattern} }})) }}"
                for_all = f"SELECT DISTINCT ?this WHERE {{ {target} MINUS {{ {pattern} }} }}"
                checks.append(Check(shape, None, severity, message, query, value_is_focus=True, query_for_all=for_all))
            for expression, test in self.value_constraints(shape, "?this"):
                query = f"SELECT DISTINCT ?this WHERE {{ {target} FILTER (!({expression})) }}"
                checks.append(Check(shape, None, severity, message, query, value_is_focus=True))
                if test is not None:
                    candidates = f"SELECT DISTINCT ?this WHERE {{ {target} FILTER ({expression}) }}"
                    checks.append(Check(shape, None, severity, message, candidates, value_is_focus=True, fails=test))
        for nested in self.g.objects(shape, SH.property):
            if path is not None:
                raise UnsupportedError("sh:property inside a property shape (it applies to the values)")
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

        def check(query: str, for_all: str | None = None) -> None:
            checks.append(Check(shape, path, severity, message, query, query_for_all=for_all))

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
        for pattern in self.class_patterns(shape, "?value"):
            values = f"SELECT DISTINCT ?this ?value WHERE {{ {target} ?this {p} ?value ."
            check(f"{values} FILTER (!(EXISTS {{ {pattern} }})) }}", for_all=f"{values} MINUS {{ {pattern} }} }}")
        for expression, test in self.value_constraints(shape, "?value"):
            check(f"SELECT DISTINCT ?this ?value WHERE {{ {target} ?this {p} ?value . FILTER (!({expression})) }}")
            if test is not None:
                candidates = (
                    f"SELECT DISTINCT ?this ?value WHERE {{ {target} ?this {p} ?value . FILTER ({expression}) }}"
                )
                checks.append(Check(shape, path, severity, message, candidates, fails=test))
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
        _refuse_zero_length(text)
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
        code = support.code(query)
        for sub_select in support.sub_selects(code):
            support.check_sub_select(sub_select)
        outer = code
        for sub_select in support.sub_selects(code):
            outer = outer.replace(sub_select, " " * len(sub_select))
        refused = re.search(r"(?i)\b(PREFIX|BASE|SERVICE|VALUES|MINUS|LIMIT|OFFSET)\b", outer)
        if refused:
            raise UnsupportedError(f"{refused.group(1).upper()} in a SPARQL constraint")
        if re.search(r"[?$](currentShape|shapesGraph|failure)\b", code):
            raise UnsupportedError("$currentShape, $shapesGraph or ?failure in a SPARQL constraint")
        support.check_groups(outer)
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

    def target(self, shape: Node, *, for_few: bool = False) -> str:
        """A group pattern binding ?this to each focus node of ``shape``, each once; ``for_few``:
        with each SPARQL target's aims:selectForFew where it has one (quick on given nodes)."""
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
            if for_few and self.g.value(custom, _SELECT_FOR_FEW) is not None:
                select = str(self.g.value(custom, _SELECT_FOR_FEW))
            _refuse_zero_length(select)
            code = support.code(select)
            # It goes in as a sub-SELECT, where a prologue cannot stand. (Its own sub-SELECTs are
            # fine: nothing is pre-bound in a target, so joining changes nothing.)
            if re.search(r"(?i)\b(PREFIX|BASE)\b", code):
                raise UnsupportedError("a SPARQL target with its own PREFIX or BASE")
            self.declare(custom)
            parts.append(select)
        if _is_class(self.g, shape):  # a shape that is a class targets its instances
            parts.append(f"?this {_SUBCLASS_PATH} {self.term(shape)} .")
        union = " UNION ".join(f"{{ {part} }}" for part in parts)
        return f"{TARGET_OPENING} {union} }} }}"

    # --- constraints on value nodes ---------------------------------------------------------------

    def value_constraints(  # noqa: PLR0912 - one branch per component
        self, shape: Node, v: str, *, nested: bool = False
    ) -> Iterator[tuple[str, Callable[[Node], bool] | None]]:
        """Each constraint of ``shape`` that every value node must meet, as an expression on ``v``
        that a failing value does not meet, and where SPARQL cannot judge a value as pySHACL does,
        the test in Python that the values meeting the expression must also pass (``nested``: the
        shape is used by another, where only an expression will do)."""
        if nested:  # elsewhere the checks are made from class_patterns
            for member_of in self.class_patterns(shape, v):
                yield f"EXISTS {{ {member_of} }}", None
        # Where the store keeps literals in another form than written, constraints that read the
        # written form are judged in Python on the values as written (run() gives them so), and
        # cannot be in a shape used by another, where only a SPARQL expression will do.
        rewritten = self.literals_rewritten
        if nested and rewritten and any((shape, c, None) in self.g for c in _AS_WRITTEN):
            raise UnsupportedError("a literal test in a shape used by another, on literals the store rewrote")
        for datatype in self.g.objects(shape, SH.datatype):
            if nested:
                yield support.datatype_expression(datatype, v), None
            else:  # every value goes to the same test as pySHACL's
                yield "true", support.datatype_test(datatype)
        for kind in self.g.objects(shape, SH.nodeKind):
            if kind not in _NODE_KINDS:
                raise UnsupportedError(f"sh:nodeKind {kind}")
            yield _NODE_KINDS[kind].format(v=v), None
        for predicate, op in _COMPARISONS.items():
            for bound in self.g.objects(shape, predicate):
                if not (isinstance(bound, Literal) and bound.datatype in support.NUMERIC):
                    raise UnsupportedError("a range constraint on something other than a number")
                yield f"(isNumeric({v}) && COALESCE({v} {op} {self.term(bound)}, false))", None
        for length, op in ((SH.minLength, ">="), (SH.maxLength, "<=")):
            for bound in self.g.objects(shape, length):
                if rewritten:
                    yield "true", support.length_test(self.integer(bound), longest=length == SH.maxLength)
                else:
                    yield f"(!isBlank({v}) && STRLEN(STR({v})) {op} {self.integer(bound)})", None
        for pattern in self.g.objects(shape, SH.pattern):
            if nested:
                raise UnsupportedError("sh:pattern in a shape used by another (SPARQL's regexes are not Python's)")
            yield f"!isBlank({v})", support.pattern_test(str(pattern), self.g.value(shape, SH.flags))
        for members in self.g.objects(shape, SH["in"]):
            if rewritten:
                allowed = list(Collection(self.g, members))
                yield "true", lambda value, allowed=allowed: value not in allowed  # type: ignore[misc]
                continue
            terms = " || ".join(
                f"sameTerm({v}, {self.term(support.canonical(m))})" for m in Collection(self.g, members)
            )
            yield f"({terms or 'false'})", None
        for node in self.g.objects(shape, SH.node):
            yield self.conforms(node, v), None
        for alternatives in self.g.objects(shape, SH["or"]):
            yield "(" + " || ".join(self.conforms(m, v) for m in Collection(self.g, alternatives)) + ")", None
        for all_of in self.g.objects(shape, SH["and"]):
            yield "(" + " && ".join(self.conforms(m, v) for m in Collection(self.g, all_of)) + ")", None
        for negated in self.g.objects(shape, SH["not"]):
            yield f"!({self.conforms(negated, v)})", None

    def class_patterns(self, shape: Node, v: str) -> Iterator[str]:
        """For each sh:class of ``shape``, the pattern that ``v`` matches when it is of that class."""
        for cls in self.g.objects(shape, SH["class"]):
            yield f"{v} {_SUBCLASS_PATH} {self.term(cls)} ."

    def conforms(self, shape: Node, v: str) -> str:
        """An expression true when the node ``v`` conforms to ``shape`` (a shape used by another)."""
        if (shape, SH.deactivated, Literal(True)) in self.g:
            return "true"  # every node conforms to a deactivated shape
        if shape in self._using:
            raise UnsupportedError("a shape that refers to itself")
        self._using.add(shape)
        try:
            self.refuse_unknown(shape)
            if self.g.value(shape, SH.sparql) is not None:
                raise UnsupportedError("a SPARQL constraint in a shape used by another")
            path = self.g.value(shape, SH.path)
            parts = []
            if path is None:
                parts += [expression for expression, _test in self.value_constraints(shape, v, nested=True)]
            else:
                parts += self.property_conforms(shape, v, path)
            for nested in self.g.objects(shape, SH.property):
                if path is not None:
                    raise UnsupportedError("sh:property inside a property shape (it applies to the values)")
                parts.append(self.conforms(nested, v))
            return "(" + " && ".join(parts or ["true"]) + ")"
        finally:
            self._using.discard(shape)

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
        for expression, _test in self.value_constraints(shape, value, nested=True):
            parts.append(f"NOT EXISTS {{ {v} {p} {value} . FILTER (!({expression})) }}")
        return parts

    # --- terms ----------------------------------------------------------------------------------

    def refuse_unknown(self, shape: Node) -> None:
        if self.literals_rewritten and (shape, SH.hasValue, None) in self.g:
            raise UnsupportedError("sh:hasValue, on literals the store rewrote")
        known = _METADATA | _TARGETS | {
            SH.path, SH.property, SH.sparql, SH["class"], SH.datatype, SH.nodeKind, SH.minLength, SH.maxLength,
            SH.pattern, SH.flags, SH["in"], SH.node, SH["or"], SH["and"], SH["not"], SH.minCount, SH.maxCount,
            SH.qualifiedValueShape, SH.qualifiedMinCount, SH.qualifiedMaxCount, SH.hasValue, SH.prefixes,
            SH.qualifiedValueShapesDisjoint, *_COMPARISONS,
        }  # fmt: skip
        for predicate in set(self.g.predicates(shape, None)):
            if str(predicate).startswith(str(SH)) and predicate not in known:
                raise UnsupportedError(f"{predicate.n3(self.g.namespace_manager)}")
            if predicate in self.parameters:
                raise UnsupportedError(f"a constraint component of the shapes' own ({predicate.n3()})")

    def path(self, path: Node) -> str:
        """The SPARQL property path of the SHACL ``path`` (noting whether it can be of zero length)."""
        self.zero_length = self.zero_length or support.zero_length(self.g, path)
        return support.sparql_path(self.g, path)

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
