"""Data parsed straight into the store (validate.read) gives the report that parsed quads give."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph
import pytest

from aimsgraph import load
from aimsgraph.errors import InputError
from aimsgraph.validate import read, validate, validation_of
from tests.conftest import EXAMPLE_AS_OF, ROOT

EXAMPLE = ROOT / "examples" / "kestrel"


def test_the_example_parsed_into_the_store_gives_the_same_report() -> None:
    sources = load.collect([str(EXAMPLE)])
    data, store = read(sources)
    assert store is not None and data.streamed and not data.quads
    streamed = validation_of(data, store=store, as_of=EXAMPLE_AS_OF).report()
    parsed = validation_of(load.load(sources), as_of=EXAMPLE_AS_OF).report()
    assert streamed == parsed


def test_literals_the_store_rewrites_are_read_again_as_written(tmp_path: Path) -> None:
    (tmp_path / "a.ttl").write_text(
        "@prefix aims: <https://w3id.org/aimsgraph/ns#> .\n@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n"
        '<https://x.example/e> a aims:Evidence ; aims:reviewIntervalMonths "012"^^xsd:integer .\n',
        encoding="utf-8",
    )
    data, store = read(load.collect([str(tmp_path)]))
    assert store is None and data.quads, "a literal the store rewrites must be read as written"
    report = validate([str(tmp_path)], as_of=EXAMPLE_AS_OF)
    # the shapes that test such literals inside others run on pySHACL, on the statements as written
    assert any("literals the store rewrote" in note for note in report.engine_notes)


def test_a_file_that_does_not_parse_is_named(tmp_path: Path) -> None:
    (tmp_path / "a.ttl").write_text("<https://x.example/a> a <https://x.example/C> .\n", encoding="utf-8")
    (tmp_path / "b.ttl").write_text("<https://x.example/b> a ;; .\n", encoding="utf-8")
    with pytest.raises(InputError) as raised:
        read(load.collect([str(tmp_path)]))
    assert "b.ttl" in str(raised.value) and ":1:" in str(raised.value)


@pytest.mark.parametrize("suffix", [".ttl", ".nt"])
def test_a_source_that_does_not_parse_leaves_nothing_of_itself_in_the_store(tmp_path: Path, suffix: str) -> None:
    # its statements before the error included: the store loads each source in one transaction
    (tmp_path / f"a{suffix}").write_text("<https://x.example/a> <https://x.example/p> <https://x.example/o> .\n")
    good = "".join(f"<https://x.example/b{i}> <https://x.example/p> <https://x.example/o> .\n" for i in range(500))
    (tmp_path / f"b{suffix}").write_text(good + "<https://x.example/c> <https://x.example/p> .\n")
    store = pyoxigraph.Store()
    with pytest.raises(InputError, match=rf"b\{suffix}:501:"):
        load.load_into(store, load.collect([str(tmp_path)]))
    assert [quad.subject.value for quad in store] == ["https://x.example/a"]


def test_every_format_parsed_into_the_store_gives_the_statements_parsed_quads_give(tmp_path: Path) -> None:
    # Turtle, N-Triples and RDF/XML are loaded by the store itself, TriG, N-Quads and JSON-LD pass
    # through Python (their named graphs merged): the same statements either way, the same
    # blank-node label in two files still two nodes, and the literals, prefixes and typed IRIs read.
    files = {
        "a.ttl": "@prefix ex: <https://x.example/> .\n"
        'ex:a a ex:C ; ex:p _:b .\n_:b ex:q "1.50"^^<http://www.w3.org/2001/XMLSchema#decimal> .\n',
        "b.nt": "<https://x.example/b> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <https://x.example/C> .\n"
        '_:b <https://x.example/q> "2" .\n',
        "c.trig": '@prefix ex: <https://x.example/> .\nex:g { ex:c a ex:C ; ex:p _:b . _:b ex:q "3"@en . }\n',
        "d.rdf": '<?xml version="1.0"?>\n<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
        'xmlns:ex="https://x.example/"><ex:C rdf:about="https://x.example/d"><ex:q>4</ex:q></ex:C></rdf:RDF>\n',
        "e.nq": '<https://x.example/e> <https://x.example/q> "5" <https://x.example/g> .\n',
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    sources = load.collect([str(tmp_path)])
    store = pyoxigraph.Store()
    data = load.load_into(store, sources)
    parsed = load.load(sources)
    assert len(store) == 11
    assert load.to_graph(store.quads_for_pattern(None, None, None)).isomorphic(load.to_graph(parsed.quads))
    assert len({q.subject for q in store if isinstance(q.subject, pyoxigraph.BlankNode)}) == 3
    assert all(q.graph_name == pyoxigraph.DefaultGraph() for q in store)
    assert data.literals == parsed.literals and data.prefixes == parsed.prefixes
    assert data.sources == parsed.sources == [s.name for s in sources]
    typed = {Path(name).name: iris for name, iris in data._typed_in.items()}
    assert typed == {
        "a.ttl": {"https://x.example/a"},
        "b.nt": {"https://x.example/b"},
        "c.trig": {"https://x.example/c"},
        "d.rdf": {"https://x.example/d"},
        "e.nq": set(),
    }
