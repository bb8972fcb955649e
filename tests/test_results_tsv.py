"""Rows read from Oxigraph's TSV are the rows its term objects give, whatever the terms hold; rows
written in a SPARQL result format are read back as they were by a SPARQL client."""

from __future__ import annotations

from xml.etree import ElementTree

import pyoxigraph
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aimsgraph import results_tsv, sparql
from aimsgraph.errors import InputError, UsageError
from aimsgraph.model import Term, TermKind
from aimsgraph.render import results as results_render

XSD = "http://www.w3.org/2001/XMLSchema#"
_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)
_DATATYPES = ["integer", "decimal", "double", "float", "boolean", "date", "dateTime", "int", "string", "duration"]
_LEXICAL = st.one_of(
    _TEXT,
    st.from_regex(r"[+-]?[0-9]{0,3}(\.[0-9]{0,3})?([eE][+-]?[0-9]{1,2})?", fullmatch=True),
    st.sampled_from(["true", "false", "1", "0", "TRUE", "2026-11-26", "2026-11-26T10:00:00Z", "P1Y", "NaN", "INF"]),
)


@st.composite
def terms(draw: st.DrawFn) -> pyoxigraph.NamedNode | pyoxigraph.BlankNode | pyoxigraph.Literal:
    kind = draw(st.sampled_from(["iri", "blank", "plain", "language", "typed", "typed", "typed"]))
    if kind == "iri":
        return pyoxigraph.NamedNode(
            "https://x.example/" + draw(st.from_regex(r"[a-zA-Z0-9é/._~-]{0,10}(#[a-z0-9]{0,3})?", fullmatch=True))
        )
    if kind == "blank":
        return pyoxigraph.BlankNode(draw(st.from_regex(r"[a-z][a-z0-9]{0,6}", fullmatch=True)))
    if kind == "plain":
        return pyoxigraph.Literal(draw(_TEXT))
    if kind == "language":
        return pyoxigraph.Literal(draw(_TEXT), language=draw(st.sampled_from(["en", "en-GB", "de-CH-1996"])))
    datatype = pyoxigraph.NamedNode(XSD + draw(st.sampled_from(_DATATYPES)))
    return pyoxigraph.Literal(draw(_LEXICAL), datatype=datatype)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(st.one_of(st.none(), terms()), min_size=3, max_size=3), min_size=1, max_size=8))
def test_tsv_rows_are_the_rows_of_term_objects(table: list[list[object]]) -> None:
    store = pyoxigraph.Store()
    values = " ".join(
        "(" + " ".join("UNDEF" if t is None or isinstance(t, pyoxigraph.BlankNode) else str(t) for t in row) + ")"
        for row in table
    )
    # blank nodes cannot be written in VALUES: they are stored, and read back in a row of their own
    blanks = [t for row in table for t in row if isinstance(t, pyoxigraph.BlankNode)]
    subject = pyoxigraph.NamedNode("https://x.example/s")
    store.extend(pyoxigraph.Quad(subject, pyoxigraph.NamedNode("https://x.example/p"), b) for b in blanks)
    query = f"SELECT ?a ?b ?c WHERE {{ {{ VALUES (?a ?b ?c) {{ {values} }} }} UNION {{ <{subject.value}> ?b ?a }} }}"
    expected = tuple(
        tuple(None if term is None else sparql._ox(term) for term in solution) for solution in store.query(query)
    )
    assert results_tsv.rows(store.query(query).serialize(format=pyoxigraph.QueryResultsFormat.TSV), 3) == expected


def test_a_triple_term_is_refused_as_before() -> None:
    store = pyoxigraph.Store()
    with pytest.raises(InputError, match="unsupported term"):
        sparql.run(
            store, "SELECT ?t WHERE { BIND(<<( <https://x.example/a> <https://x.example/b> 1 )>> AS ?t) }", source="q"
        )


def test_a_query_without_columns_gives_its_empty_rows() -> None:
    store = pyoxigraph.Store()
    result = sparql.run(store, "SELECT * WHERE { VALUES ?x { 1 2 } FILTER (false) }", source="q")
    assert isinstance(result, sparql.SelectResult) and result.rows == ()
    result = sparql.run(store, "SELECT * WHERE { }", source="q")
    assert isinstance(result, sparql.SelectResult) and result.columns == () and result.rows == ((),)


def test_edges_of_the_tsv_text() -> None:
    x = Term(TermKind.IRI, "https://x.example/x")
    assert results_tsv.rows(b"?a", 1) == () and results_tsv.rows(b"?a\n", 1) == ()
    assert results_tsv.rows(b"?a\n\n", 1) == ((None,),)  # one row, its one cell unbound
    assert results_tsv.rows(b"?a\n<https://x.example/x>", 1) == ((x,),)  # a last line without its \n
    with pytest.raises(ValueError, match="other than 2 cells"):
        results_tsv.rows(b"?a\t?b\n<https://x.example/x>\n", 2)
    assert results_tsv.columns(b"?a\t?b\n<https://x.example/x>\t\n") == ("a", "b")
    assert results_tsv.columns(b"\n\n") == () and results_tsv.rows(b"\n\n\n", 0) == ((), ())
    # another server may end its lines with CRLF: the CR is not part of the last cell
    assert results_tsv.columns(b"?a\r\n<https://x.example/x>\r\n") == ("a",)
    assert results_tsv.rows(b"?a\r\n<https://x.example/x>\r\n", 1) == ((x,),)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.one_of(st.none(), terms()), min_size=3, max_size=3), max_size=6))
def test_each_result_format_written_is_read_back_by_a_sparql_client(table: list[list[object]]) -> None:
    result = sparql.SelectResult(
        ("a", "b", "c"), tuple(tuple(None if t is None else sparql._ox(t) for t in row) for row in table)
    )
    unwritable_in_xml = any(t is not None and results_render.NOT_IN_XML.search(t.value) for r in result.rows for t in r)
    for name in ("JSON", "XML", "TSV"):
        if name == "XML" and unwritable_in_xml:  # refused, never written as a document no parser reads
            with pytest.raises(UsageError, match=r"XML 1\.0 cannot carry"):
                results_render.standard(result, results_render.ResultFormat.XML)
            continue
        written = results_render.standard(result, results_render.ResultFormat[name]).encode()
        if name == "XML":  # a second reader, the strictest at hand
            ElementTree.fromstring(written)
        solutions = pyoxigraph.parse_query_results(written, format=getattr(pyoxigraph.QueryResultsFormat, name))
        assert isinstance(solutions, pyoxigraph.QuerySolutions)
        assert [variable.value for variable in solutions.variables] == ["a", "b", "c"]
        read = [[None if s[v] is None else sparql._ox(s[v]) for v in "abc"] for s in solutions]
        assert read == [list(row) for row in result.rows], name
