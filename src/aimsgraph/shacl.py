"""pySHACL behind one small interface: the rest of aimsgraph never imports pyshacl.

pySHACL's ``validate`` returns a tuple whose members change type with its flags, and it writes
into the shapes graph it is handed; here each call returns one type and callers pass graphs they
built for that call alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any, cast

import pyshacl
from pyshacl.entrypoints import meta_validate
from pyshacl.errors import ReportableRuntimeError, ShapeLoadError, ValidationFailure
from rdflib import Graph
from rdflib.plugins import sparql as rdflib_sparql
from rdflib.plugins.sparql import processor as sparql_processor
from rdflib.plugins.sparql.algebra import translateQuery
from rdflib.plugins.sparql.evaluate import evalQuery
from rdflib.plugins.sparql.parser import parseQuery
from rdflib.plugins.sparql.sparql import Query

from aimsgraph.errors import ShapesError


# pySHACL hands rdflib the text of a SHACL-SPARQL constraint once per focus node, and rdflib parses
# it every time: in a profile of a small AIMS, 90% of validation was spent in the SPARQL parser.
# A prepared (parsed and translated) query is immutable during evaluation and rdflib documents it
# as reusable, so rdflib's processor is given a cache of prepared queries keyed by text, base and
# prefixes. Results are unchanged; only the repeated parsing goes.
@lru_cache(maxsize=1024)
def _prepared(text: str, base: str | None, namespaces: tuple[tuple[str, str], ...]) -> Query:
    return translateQuery(parseQuery(text), base, dict(namespaces) or None)


def _query_with_prepared_cache(
    self: sparql_processor.SPARQLProcessor,
    strOrQuery: str | Query,
    initBindings: Mapping[str, Any] | None = None,
    initNs: Mapping[str, Any] | None = None,
    base: str | None = None,
    DEBUG: bool = False,
) -> Mapping[str, Any]:
    if isinstance(strOrQuery, str):
        namespaces = tuple(sorted((prefix, str(iri)) for prefix, iri in (initNs or {}).items()))
        strOrQuery = _prepared(strOrQuery, base, namespaces)
    return cast(Mapping[str, Any], evalQuery(self.graph, strOrQuery, initBindings, base))


sparql_processor.SPARQLProcessor.query = _query_with_prepared_cache  # type: ignore[method-assign]

# rdflib's SPARQL engine reads the graphs a query names in FROM and FROM NAMED from wherever their
# IRIs point, http: and file: alike. Queries reach rdflib from shapes (pySHACL) and from the
# parity runner; neither may ever fetch, whatever a query says.
rdflib_sparql.SPARQL_LOAD_GRAPHS = False


def check_rdflib_plugins() -> None:
    """Refuse to run when an installed package has added an rdflib SPARQL evaluation plugin.

    rdflib hands every query it evaluates (including those of shapes) to each function in
    ``CUSTOM_EVALS``, which any package can fill through an entry point; aimsgraph uses none, so
    one being there means something we did not choose sees the data.

    :raises ShapesError: a plugin is active.
    """
    if rdflib_sparql.CUSTOM_EVALS:
        names = ", ".join(sorted(rdflib_sparql.CUSTOM_EVALS))
        raise ShapesError(f"an rdflib SPARQL plugin is active ({names}); remove the package that installs it")


def report_graph(data: Graph, shapes: Graph) -> Graph:
    """Give the sh:ValidationReport graph of validating ``data`` (changed in place) against ``shapes``.

    :raises ShapesError: pySHACL cannot load or run the shapes.
    """
    try:
        _, report, _ = pyshacl.validate(
            data,
            shacl_graph=shapes,
            inference="none",
            inplace=True,
            advanced=True,  # for SHACL-AF SPARQL targets (sh:SPARQLTarget)
            allow_warnings=True,
            allow_infos=True,
        )
    except (ReportableRuntimeError, ShapeLoadError) as error:
        raise ShapesError(f"the shapes cannot be used: {error}") from None
    except Exception as error:  # pySHACL lets its engines' errors through; none may end in a traceback
        raise ShapesError(f"validation with these shapes failed: {type(error).__name__}: {error}") from None
    if isinstance(report, ValidationFailure):  # pySHACL returns, rather than raises, some shape errors
        raise ShapesError(f"the shapes cannot be used: {report.message}")
    return cast(Graph, report)


def shapes_violations(shapes: Graph) -> list[str]:
    """Give the messages of every way ``shapes`` breaks SHACL's own rules (SHACL-SHACL); empty if none."""
    conforms, report, _ = meta_validate(shapes, inference="none", allow_warnings=True)
    if conforms:
        return []
    report = cast(Graph, report)
    sh = "http://www.w3.org/ns/shacl#"
    messages: list[str] = []
    query = f"""
        SELECT ?focus ?message WHERE {{
            ?result a <{sh}ValidationResult> ; <{sh}focusNode> ?focus .
            OPTIONAL {{ ?result <{sh}resultMessage> ?message . }}
        }} ORDER BY STR(?focus)"""
    for row in report.query(query):
        focus, message = row  # type: ignore[misc]
        messages.append(f"{focus}: {message or 'is not a well-formed shape'}")
    return messages
