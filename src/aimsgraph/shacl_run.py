"""Running the checks that shacl_sparql translates shapes into, on an Oxigraph store.

The checks run on as many threads as the process may use cores: Oxigraph lets go of Python's lock
while it evaluates a query. A SPARQL target is evaluated once and its focus nodes handed to the
checks of its shape. Each row becomes a result in the terms pySHACL's report uses, with literals
the store rewrote given back as the data writes them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pyoxigraph
from rdflib import Literal
from rdflib.term import Node

from aimsgraph import load
from aimsgraph.model import Progress
from aimsgraph.shacl_sparql import Check, Plan

# more threads than cores only contend for them (measured: 2 cores, 4.4 s serial, 2.0 s on 2, 2.1 s on 4)
_MAX_THREADS = 8


@dataclass
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

    The checks run on as many threads as there are cores to use: Oxigraph lets go of Python's lock
    while it evaluates a query, so they really run side by side. The results come in the plan's order.
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
    return [result for i in range(len(plan.checks)) for result in found[i]]


def _focus_nodes(store: pyoxigraph.Store, query: str) -> list[object]:
    return [row[0] for row in _rows(store, query)[1]]


def _solutions(
    store: pyoxigraph.Store, check: Check, focus: list[object] | None
) -> tuple[list[str], list[tuple[object, ...]]]:
    """Give the rows of ``check``: of its query as it is, or, given its SPARQL target's focus
    nodes, of its query on those nodes only."""
    if focus is None or check.target is None or any(not isinstance(node, pyoxigraph.NamedNode) for node in focus):
        return _rows(store, check.query)  # a blank node would be a variable in a query
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
    seen: set[tuple[Node, Node | None, Node | None]] = set()
    results = []
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
        if (focus, path, value) in seen:  # pySHACL reports a SPARQL constraint's repeated rows once
            continue
        seen.add((focus, path, value))
        results.append(Result(focus, path, value, check.shape, check.severity, message))
    return results


def _rows(store: pyoxigraph.Store, query: str) -> tuple[list[str], list[tuple[object, ...]]]:
    """Give a query's variables and rows, read through at once. Oxigraph's answer object must be
    dropped on the thread that asked: read here, where no Python code runs, no frame that a
    logged warning's traceback keeps alive (rdflib logs ill-typed literals) can carry it away."""
    solutions = store.query(query)
    assert isinstance(solutions, pyoxigraph.QuerySolutions)
    names = [variable.value for variable in solutions.variables]
    return names, [tuple(row) for row in solutions]


def _fill(message: Literal, bound: dict[str, Node]) -> Literal:
    """Put the bindings into a message's {?name} or {$name} placeholders, as pySHACL does."""
    text = str(message)
    for name, value in bound.items():
        text = text.replace("{?" + name + "}", str(value)).replace("{$" + name + "}", str(value))
    return Literal(text, lang=message.language, datatype=message.datatype)
