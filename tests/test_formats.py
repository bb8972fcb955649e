"""Every supported serialisation gives the same findings, each with a file:line for its focus node."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Dataset, Graph, URIRef

from aimsgraph.formats import RdfFormat
from aimsgraph.locate import ntriples_lines, subject_lines
from aimsgraph.validate import validate
from tests.conftest import FIXTURE_AS_OF, FIXTURES

SMALL = FIXTURES / "inputs" / "small.ttl"
SCORING = "https://fixture.example/scoring"
# rdflib serializer name and file extension for each format
SERIALISATIONS = {
    RdfFormat.TRIG: ("trig", ".trig"),
    RdfFormat.NTRIPLES: ("nt", ".nt"),
    RdfFormat.NQUADS: ("nquads", ".nq"),
    RdfFormat.JSONLD: ("json-ld", ".jsonld"),
    RdfFormat.RDFXML: ("xml", ".rdf"),
}


def _signature(path: Path) -> set[tuple[str, str, object]]:
    report = validate([str(path)], as_of=FIXTURE_AS_OF)
    return {(f.rule, f.focus_node, f.value) for f in report.findings}


@pytest.mark.parametrize("rdf_format", list(SERIALISATIONS), ids=lambda f: f.value)
def test_each_format_gives_the_same_findings_with_locations(rdf_format: RdfFormat, tmp_path: Path) -> None:
    name, extension = SERIALISATIONS[rdf_format]
    target = tmp_path / f"small{extension}"
    if rdf_format in (RdfFormat.TRIG, RdfFormat.NQUADS):
        # put the data in a named graph: aimsgraph merges named graphs for validation
        dataset = Dataset()
        dataset.graph(URIRef("https://fixture.example/graph")).parse(SMALL)
        dataset.serialize(target, format=name)
    else:
        Graph().parse(SMALL).serialize(target, format=name, encoding="utf-8")
    assert _signature(target) == _signature(SMALL)
    report = validate([str(target)], as_of=FIXTURE_AS_OF)
    located = {f.location for f in report.findings if f.focus_node == SCORING}
    assert len(located) == 1
    location = located.pop()
    assert location is not None and location.file == str(target)
    line = target.read_text().splitlines()[location.line - 1]
    assert "scoring" in line


def test_turtle_subject_lines_skip_strings_comments_and_nested_objects() -> None:
    text = """@prefix ex: <https://e.example/> .
PREFIX iso: <https://i.example/>
# ex:commented is not a subject
ex:a a ex:T ;
   ex:note \"\"\"a long
ex:fake .
\"\"\" .
<#relative> ex:p [ ex:q ex:nested ] .
iso:A.6.2.4 ex:p "x" .
ex:g { ex:inGraph ex:p ex:o . }
ex:tight ex:p ex:o.
ex:next ex:p "y".
# ex:trailing is a comment at the end, and no subject"""
    lines = subject_lines(text, RdfFormat.TRIG, "file:///data/aims.trig")
    # found in review: a name may end in an escaped '.', and a namespace's empty fragment stays
    # when a base IRI of the same scheme is in force
    escapes = (
        "@base <https://e.example/base/> .\n@prefix ns: <https://e.example/ns#> .\n"
        "ns:s ns:p ns:o\\. , ns:a\\..\nns:a\\. ns:q ns:o .\n"
    )
    assert subject_lines(escapes, RdfFormat.TURTLE, "file:///data/aims.ttl") == {
        "https://e.example/ns#s": 3,
        "https://e.example/ns#a.": 4,
    }
    assert lines == {
        "https://e.example/a": 4,
        "file:///data/aims.trig#relative": 8,
        "https://i.example/A.6.2.4": 9,
        "https://e.example/g": 10,
        "https://e.example/inGraph": 10,
        "https://e.example/tight": 11,
        "https://e.example/next": 12,
    }


def test_a_subject_is_located_where_it_is_typed(tmp_path: Path) -> None:
    (tmp_path / "a-owners.ttl").write_text(
        "@prefix aims: <https://w3id.org/aimsgraph/ns#> .\n\n"
        "<https://fixture.example/s> aims:accountableOwner <https://fixture.example/p> .\n"
    )
    (tmp_path / "b-systems.ttl").write_text(
        "@prefix aims: <https://w3id.org/aimsgraph/ns#> .\n# systems\n\n<https://fixture.example/s> a aims:AISystem .\n"
    )
    report = validate([str(tmp_path)], as_of=FIXTURE_AS_OF)
    finding = next(f for f in report.findings if f.focus_node == "https://fixture.example/s")
    assert finding.location is not None
    assert (Path(finding.location.file).name, finding.location.line) == ("b-systems.ttl", 4)


def test_a_finding_points_at_the_offending_property_line(tmp_path: Path) -> None:
    data = tmp_path / "systems.ttl"
    data.write_text(
        "@prefix aims: <https://w3id.org/aimsgraph/ns#> .\n"
        "@prefix ex: <https://fixture.example/> .\n"
        "\n"
        "ex:scoring a aims:AISystem ;\n"
        '    aims:intendedPurpose "Scores loans." ;\n'
        "    aims:euAIActRiskClass ex:NotAClass .\n"
    )
    report = validate([str(data)], as_of=FIXTURE_AS_OF)
    finding = next(f for f in report.findings if f.rule == "AISystemRiskClass")
    assert finding.location is not None
    assert (finding.location.line, finding.location.property_line, finding.location.best_line) == (4, 6, 6)
    missing = next(f for f in report.findings if f.rule == "AISystemAccountableOwner")
    assert missing.location is not None
    assert (missing.location.line, missing.location.property_line) == (4, None)  # nothing written to point at


def test_ntriples_lines_are_read_from_the_bytes_statement_by_statement() -> None:
    content = (
        b"<https://x.example/a> <https://x.example/p> <https://x.example/b> .\n"
        b"\n"
        b'  <https://x.example/b> <https://x.example/p> "x" .\r\n'
        b'<https://x.example/b> <https://x.example/q> "y" .\n'
        b'<https://x.example/a> <https://x.example/q> "z" .\n'
    )
    lines = ntriples_lines(content, {"https://x.example/b", "https://x.example/a"})
    assert lines.subjects == {"https://x.example/a": 1, "https://x.example/b": 3}
    assert lines.properties[("https://x.example/b", "https://x.example/q")] == 4
    assert lines.properties[("https://x.example/a", "https://x.example/q")] == 5
    assert ntriples_lines(content, {"https://x.example/b"}).subjects == {"https://x.example/b": 3}
    # with LF alone (the usual case) a faster reading gives the same; a comment is no statement
    comment = b"\n# <https://x.example/b> <https://x.example/p> 1 .\n"
    line_feeds = content.replace(b"\r\n", b"\n").replace(b"\n\n", comment)
    assert ntriples_lines(line_feeds, {"https://x.example/b", "https://x.example/a"}) == lines
    # the first line is read apart from the others (each found after a line feed)
    assert ntriples_lines(b" \t" + line_feeds, {"https://x.example/b", "https://x.example/a"}) == lines
    assert ntriples_lines(b"\n" + line_feeds, {"https://x.example/a"}).subjects == {"https://x.example/a": 2}
    carriage_returns = content.replace(b"\r\n", b"\n").replace(b"\n", b"\r")  # N-Triples allows CR alone
    assert ntriples_lines(carriage_returns, {"https://x.example/b", "https://x.example/a"}).subjects == {
        "https://x.example/a": 1,
        "https://x.example/b": 3,
    }
