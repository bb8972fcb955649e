"""Data parsed straight into the store (validate.read) gives the report that parsed quads give."""

from __future__ import annotations

from pathlib import Path

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
