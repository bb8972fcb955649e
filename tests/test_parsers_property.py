"""Property: whatever bytes arrive, every parser path answers with a result or one of our
documented errors (InputError, UsageError), never another exception and never a crash."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aimsgraph import load, sparql
from aimsgraph.errors import InputError, UsageError
from aimsgraph.formats import RdfFormat

# Fragments of each syntax, so that generated inputs get past the first byte often enough to
# exercise the parsers' deeper states, mixed with arbitrary text.
FRAGMENTS = {
    RdfFormat.TURTLE: [
        "@prefix ex: <http://e/> .",
        "ex:a",
        " ex:p ",
        '"x"',
        "[",
        "]",
        "(",
        ")",
        " ;",
        " ,",
        " .",
        "\n",
    ],
    RdfFormat.TRIG: ["<http://e/g>", "{", "}", "<http://e/a>", " <http://e/p> ", '"x"', " .", "["],
    RdfFormat.NTRIPLES: ["<http://e/a>", " <http://e/p> ", '"x"', "_:b", " .\n", "^^", "@en"],
    RdfFormat.NQUADS: ["<http://e/a>", " <http://e/p> ", '"x"', " <http://e/g>", " .\n"],
    RdfFormat.JSONLD: ['{"@id": "http://e/a", ', '"http://e/p": ', '"x"', "[", "]", "{", "}", ", ", '"@context": '],
    RdfFormat.RDFXML: [
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">',
        "</rdf:RDF>",
        '<rdf:Description rdf:about="http://e/a">',
        "</rdf:Description>",
        "<!DOCTYPE x>",
        "&amp;",
    ],
}
SPARQL = [
    "SELECT",
    " * ",
    "WHERE",
    " { ",
    " } ",
    "?s",
    " <http://e/p> ",
    '"x"',
    " FILTER(",
    ")",
    "SERVICE",
    "#",
    "\r",
    "\\u0053",
]

pytestmark = pytest.mark.filterwarnings("ignore")


def _text(fragments: list[str]) -> st.SearchStrategy[str]:
    return st.lists(st.one_of(st.sampled_from(fragments), st.text(max_size=8)), max_size=30).map("".join)


@pytest.mark.parametrize("rdf_format", list(RdfFormat), ids=lambda f: f.value)
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_every_parser_path_raises_only_documented_errors(rdf_format: RdfFormat, data: st.DataObject) -> None:
    content = data.draw(st.one_of(_text(FRAGMENTS[rdf_format]).map(str.encode), st.binary(max_size=200)))
    source = load.SourceFile("fuzz", content, rdf_format, "urn:aimsgraph:fuzz#")
    try:
        load.load([source])
    except (InputError, UsageError) as error:
        message = str(error)
    else:
        return
    assert message.startswith("fuzz")  # the error names the input it is about


@settings(max_examples=300, deadline=None)
@given(text=_text(SPARQL))
def test_every_query_check_raises_only_documented_errors(text: str) -> None:
    try:
        sparql.check(text, source="fuzz")
        sparql.is_graph_query(text, source="fuzz")
    except (InputError, UsageError):
        pass
