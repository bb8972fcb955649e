"""Running the checks that shacl_sparql translates shapes into, on an Oxigraph store.

The checks run on as many threads as the process may use cores: Oxigraph lets go of Python's lock
while it evaluates a query. A SPARQL target is evaluated once and its focus nodes handed to the
checks of its shape. Each row becomes a result in the terms pySHACL's report uses, with literals
the store rewrote given back as the data writes them.
"""

from __future__ import annotations

import os
import re
from collections.abc import Collection, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace

import pyoxigraph
from rdflib import Literal
from rdflib.term import Node

from aimsgraph import load
from aimsgraph import shacl_support as support
from aimsgraph.model import Progress
from aimsgraph.shacl_sparql import Check, Plan

# more threads than cores only contend for them (measured: 2 cores, 4.4 s serial, 2.0 s on 2, 2.1 s on 4)
_MAX_THREADS = 8


@dataclass(frozen=True)
class Result:
    """One validation result, in the terms pySHACL's report uses."""

    focus: Node
    path: Node | None
    value: Node | None
    shape: Node
    severity: Node
    message: Literal | None


def run(
    store: pyoxigraph.Store,
    plan: Plan,
    progress: Progress | None = None,
    *,
    as_written: Mapping[Node, Node] | None = None,
) -> list[Result]:
    """Run every check of ``plan`` on ``store`` (its default graph holds the data to validate);
    ``as_written`` gives the literals the store keeps in another form as the data writes them.
    The results come in the plan's order."""
    return [result for results in run_each(store, plan, progress, as_written=as_written) for result in results]


def run_each(
    store: pyoxigraph.Store,
    plan: Plan,
    progress: Progress | None = None,
    *,
    as_written: Mapping[Node, Node] | None = None,
) -> list[list[Result]]:
    """Give the results of each check of ``plan`` (see :func:`run`).

    The checks run on as many threads as there are cores to use: Oxigraph lets go of Python's lock
    while it evaluates a query, so they really run side by side.
    """
    workers = max(1, min(len(os.sched_getaffinity(0)), _MAX_THREADS))
    written = as_written or {}
    found: dict[int, list[Result]] = {}
    pool = ThreadPoolExecutor(workers, thread_name_prefix="aimsgraph-check")
    try:
        # The SPARQL targets are queued first and the checks that need their focus nodes last, so
        # that the other checks keep the other threads busy while a target is evaluated.
        targets = sorted({check.focus_query for check in plan.checks if check.focus_query is not None})
        focus = {target: pool.submit(_focus_nodes, store, target) for target in targets}
        order = sorted(range(len(plan.checks)), key=lambda i: plan.checks[i].focus_query is not None)

        def results_of(i: int) -> list[Result]:
            query = plan.checks[i].focus_query
            nodes = None if query is None else focus[query].result()
            return _check_results(store, plan.checks[i], nodes, written)

        for done, (i, results) in enumerate(zip(order, pool.map(results_of, order), strict=True)):
            if progress is not None:
                progress("check", done, len(plan.checks))
            found[i] = results
    finally:  # on an error or Ctrl-C, the checks not yet started are dropped, not waited for
        pool.shutdown(wait=True, cancel_futures=True)
    return [found[i] for i in range(len(plan.checks))]


@dataclass(frozen=True)
class Narrowing:
    """The focus nodes (Oxigraph terms) to run a check on again, and how far the query may be narrowed.

    ``deep``: the check's sub-SELECTs that give ?this may be narrowed too (not if one is inside
    another that does not give it: that ?this is not the focus node). ``also``: for a variable
    other than ?this, the only values it can take in a row on those nodes, for the sub-SELECTs
    that give it (which Oxigraph evaluates in full before any join).
    """

    focus: Collection[object]
    deep: bool = True
    also: Mapping[str, Collection[object]] = field(default_factory=dict)


def rerun(store: pyoxigraph.Store, checks: Sequence[tuple[Check, Narrowing]]) -> list[list[Result]]:
    """Give the results of each check on the focus nodes given with it, on as many threads as
    :func:`run` uses: how a re-validation checks again what a change may affect."""
    workers = max(1, min(len(os.sched_getaffinity(0)), _MAX_THREADS, len(checks)))
    with ThreadPoolExecutor(workers, thread_name_prefix="aimsgraph-check") as pool:
        return list(pool.map(lambda pair: _results_on(store, *pair), checks))


def _results_on(store: pyoxigraph.Store, check: Check, narrowing: Narrowing) -> list[Result]:
    focus = narrowing.focus
    if not focus:
        return []
    if any(not isinstance(node, pyoxigraph.NamedNode) for node in focus):
        # a blank node would be a variable in a query: the check runs on every node, and the
        # results on the others are dropped
        wanted = {load.to_rdflib(node) for node in focus}
        return [result for result in _check_results(store, check, None, {}) if result.focus in wanted]
    values = {
        name: f"VALUES ?{name} {{ {' '.join(str(value) for value in values)} }}"
        for name, values in {**narrowing.also, "this": focus}.items()
        if all(isinstance(value, pyoxigraph.NamedNode | pyoxigraph.Literal) for value in values)
    }
    query = check.query
    if check.target is not None and check.target_for_few is not None:
        query = query.replace(check.target, check.target_for_few, 1)
    query = narrowed(query, values, deep=narrowing.deep)
    wanted = {load.to_rdflib(node) for node in focus}  # the query gives no other, but a result on one would be wrong
    on_few = replace(check, query=query, query_for_all=None, target=None, focus_query=None)
    results = _check_results(store, on_few, None, {})
    return [result for result in results if result.focus in wanted]


# the top-level SELECT (not in a prefix's IRI), and a sub-SELECT with the variable it gives first
_TOP_SELECT = re.compile(r"(?:^|\s)SELECT\b[^{]*\{", re.IGNORECASE)
_SUB_SELECT = re.compile(r"\{\s*SELECT\s+(?:DISTINCT\s+|REDUCED\s+)?[$?](\w+)\b[^{]*?WHERE\s*\{", re.IGNORECASE)
_SLICED = re.compile(r"\b(?:LIMIT|OFFSET)\b", re.IGNORECASE)


def narrowed(query: str, values: Mapping[str, str], *, deep: bool = True) -> str:
    """Give ``query`` with the VALUES clauses of ``values`` (by variable; ?this is the focus node):
    ?this's joined first in the query's own group, and each joined first in the sub-SELECTs that
    give its variable first, which Oxigraph would otherwise evaluate on every node before the
    join. A sub-SELECT gives the same rows for those values either way, unless it is cut by LIMIT
    or OFFSET (with either anywhere, only the top is narrowed) or binds the variable itself (AS)."""
    code = support.code(query)  # strings, IRIs and comments blanked out, in their places
    top = _TOP_SELECT.search(code)
    assert top is not None, "a check is a SELECT query"
    inserts = [(top.end(), values["this"])]
    if deep and not _SLICED.search(code):
        for found in _SUB_SELECT.finditer(code, top.end()):
            name = found.group(1)
            if name in values and not re.search(rf"\bAS\s+[$?]{name}\b", code, re.IGNORECASE):
                inserts.append((found.end(), values[name]))
    for at, clause in sorted(inserts, reverse=True):
        query = query[:at] + f" {clause} " + query[at:]
    return query


def _focus_nodes(store: pyoxigraph.Store, query: str) -> list[object]:
    return [row[0] for row in _rows(store, query)[1]]


def _solutions(
    store: pyoxigraph.Store, check: Check, focus: list[object] | None
) -> tuple[list[str], list[tuple[object, ...]]]:
    """Give the rows of ``check``: of its query as it is, or, given its SPARQL target's focus
    nodes, of its query on those nodes only."""
    if focus is None or check.target is None or any(not isinstance(node, pyoxigraph.NamedNode) for node in focus):
        return _rows(store, check.query_for_all or check.query)  # a blank node would be a variable in a query
    # In VALUES, which is the join the translation assumes; Oxigraph's substitutions are not
    # pre-binding ($this reads as unbound in BIND and BOUND, and SELECT * loses it).
    values = " ".join(str(node) for node in focus)
    return _rows(store, check.query.replace(check.target, f"VALUES ?this {{ {values} }}", 1))


def _check_results(
    store: pyoxigraph.Store, check: Check, nodes: list[object] | None, as_written: Mapping[Node, Node]
) -> list[Result]:
    """Give the results of ``check``, its values as the data writes them (``as_written``: stored
    form -> written form), which the value tests and messages see too."""
    names, rows = _solutions(store, check, nodes)
    # one result per focus node, path and value, as pySHACL reports a SPARQL constraint's repeated
    # rows; of several, the one whose message sorts first, so that the choice does not depend on
    # the order rows come in (which follows the store's history, not the data)
    kept: dict[tuple[Node, Node | None, Node | None], Result] = {}
    for row in rows:
        bound = {name: load.to_rdflib(term) for name, term in zip(names, row, strict=True) if term is not None}
        if as_written:
            bound = {name: as_written.get(term, term) for name, term in bound.items()}
        focus = bound.get("this")
        if focus is None:
            continue
        value = focus if check.value_is_focus else bound.get("value")
        if check.fails is not None and (value is None or not check.fails(value)):
            continue
        message = check.message
        if check.sparql_based:
            if message is not None:
                message = _fill(message, {"this": focus, **bound})
            value = focus if value is None else value  # pySHACL gives $this when a constraint binds no value
        path = bound.get("path", check.path)
        result = Result(focus, path, value, check.shape, check.severity, message)
        other = kept.get((focus, path, value))
        if other is None or str(message or "") < str(other.message or ""):
            kept[(focus, path, value)] = result
    return list(kept.values())


def _rows(store: pyoxigraph.Store, query: str) -> tuple[list[str], list[tuple[object, ...]]]:
    """Give a query's variables and rows, read through at once. Oxigraph's answer object must be
    dropped on the thread that asked: read here, where no Python code runs, no frame that a
    logged warning's traceback keeps alive (rdflib logs ill-typed literals) can carry it away."""
    solutions = store.query(query)
    try:
        assert isinstance(solutions, pyoxigraph.QuerySolutions)
        return [variable.value for variable in solutions.variables], [tuple(row) for row in solutions]
    finally:  # and on an error too: its traceback, which keeps this frame, goes to another thread
        del solutions


def _fill(message: Literal, bound: dict[str, Node]) -> Literal:
    """Put the bindings into a message's {?name} or {$name} placeholders, as pySHACL does."""
    text = str(message)
    for name, value in bound.items():
        text = text.replace("{?" + name + "}", str(value)).replace("{$" + name + "}", str(value))
    return Literal(text, lang=message.language, datatype=message.datatype)
