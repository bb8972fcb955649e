"""The query library: metadata, golden results on both engines, safe parameters, clear errors."""

from __future__ import annotations

import datetime as dt
import json
import sys
from typing import Any

import pytest
from typer.testing import CliRunner

from aimsgraph import library, load, sparql
from aimsgraph.cli import app
from aimsgraph.errors import InputError, UsageError
from aimsgraph.render import results as results_render
from aimsgraph.validate import bundled_catalog, bundled_knowledge_quads
from tests.conftest import EXAMPLES, FIXTURES, ROOT
from tests.golden.harness import CASES, GOLDEN, rows_as_text, run_case

sys.path.insert(0, str(ROOT / "docs"))
from make_docs import page

QUERIES = FIXTURES / "queries"
KESTREL = str(EXAMPLES / "kestrel")


def _rows(rows: list[dict[str, Any]]) -> set[tuple[tuple[str, Any], ...]]:
    return {tuple(sorted(row.items())) for row in rows}


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["golden"].removesuffix(".json"))
@pytest.mark.parametrize("engine", ["oxigraph", "rdflib"])
def test_library_query_matches_its_golden_rows(case: dict[str, Any], engine: str) -> None:
    expected = json.loads((GOLDEN / case["golden"]).read_text(encoding="utf-8"))
    result = run_case(case, engine=engine)
    assert result.columns == library.find(case["query"]).columns
    assert _rows(rows_as_text(result)) == _rows(expected)


def test_every_library_query_has_a_golden_case_with_rows() -> None:
    covered = {case["query"] for case in CASES if json.loads((GOLDEN / case["golden"]).read_text(encoding="utf-8"))}
    assert {d.id for d in library.library()} - covered == set()


@pytest.mark.parametrize("definition", library.library(), ids=lambda d: d.id)
def test_library_metadata_is_complete_and_true(definition: library.QueryDefinition) -> None:
    assert definition.title and definition.description and definition.columns
    assert definition.source == f"queries/{definition.id}.rq"
    notations = {r.notation for r in bundled_catalog().requirements.values()}
    assert definition.clauses and set(definition.clauses) <= notations
    assert set(definition.lists) <= set(definition.columns)
    for parameter in definition.params:
        assert parameter.description, parameter.name
        assert f"?{parameter.name}" in definition.text
    sparql.check(definition.text, source=definition.source)


def test_every_library_query_is_documented_with_an_example() -> None:
    docs = (ROOT / "docs" / "queries.md").read_text(encoding="utf-8")
    assert docs == page(), "docs/queries.md is out of date: run `make docs`"
    for definition in library.library():
        assert f"## {definition.id}" in docs
        assert f"aimsgraph query --name {definition.id} " in docs


def _store() -> object:
    data = load.load(load.collect([KESTREL]))
    return load.oxigraph_store(data.quads, list(bundled_knowledge_quads()))


@pytest.mark.parametrize(
    "needle",
    [
        'x" ) } UNION { ?resource ?p ?label } #',
        "}",
        "' } ; DROP ALL ; {",
        '"""',
        '\\" . ?resource ?p ?label . FILTER("',
        "credit\n} UNION { ?resource ?p ?label }",
    ],
)
def test_a_value_cannot_change_the_query(needle: str) -> None:
    definition = library.parse_definition((QUERIES / "label-contains.rq").read_text(), source="label-contains.rq")
    bound = sparql.bind(definition.text, library.bind_values(definition, {"needle": needle}, today=dt.date.today()))
    result = sparql.run(_store(), bound, source="label-contains.rq")  # type: ignore[arg-type]
    assert isinstance(result, sparql.SelectResult)
    assert result.rows == ()  # no label contains these texts; an injection would return rows
    safe = sparql.bind(definition.text, library.bind_values(definition, {"needle": "credit"}, today=dt.date.today()))
    found = sparql.run(_store(), safe, source="label-contains.rq")  # type: ignore[arg-type]
    assert isinstance(found, sparql.SelectResult)
    assert [row[0].value for row in found.rows if row[0]] == ["https://kestrel.example/aims/sys-credit-scoring"]


@pytest.mark.parametrize(
    "iri", ["https://e.example/a b", "https://e.example/a> } UNION { ?s ?p ?o", "not an iri", "<https://e.example/>"]
)
def test_an_iri_parameter_must_be_an_iri(iri: str) -> None:
    definition = library.parse_definition((QUERIES / "label-contains.rq").read_text(), source="label-contains.rq")
    with pytest.raises(UsageError, match="must be an absolute IRI"):
        library.bind_values(definition, {"needle": "x", "kind": iri}, today=dt.date.today())


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ({"asOf": "26/11/2026"}, "must be a date"),
        ({"asOf": "2026-11-26", "when": "x"}, "has no parameter 'when'"),
    ],
)
def test_wrong_parameters_are_refused(given: dict[str, str], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        library.bind_values(library.find("overdue-corrective-actions"), given, today=dt.date.today())


def test_relative_date_defaults_follow_the_date_they_name() -> None:
    values = library.bind_values(library.find("evidence-expiry"), {"asOf": "2026-12-20"}, today=dt.date(2000, 1, 1))
    assert values["horizon"].value == "2027-01-19"


def test_where_group_is_found_past_strings_iris_and_comments() -> None:
    text = 'PREFIX ex: <https://e.example/{x}>\n# WHERE { not here\nSELECT ("{" AS ?b) WHERE { ?s ?p ?o }'
    bound = sparql.bind(text, {"v": load.pyoxigraph.Literal("1")})
    assert bound.endswith('WHERE { VALUES (?v) { ("1") }\n ?s ?p ?o }')


def test_service_is_refused_even_when_escaped() -> None:
    text = (QUERIES / "escaped-service.rq").read_text()
    with pytest.raises(UsageError, match="SERVICE"):
        sparql.check(text, source="escaped-service.rq")
    sparql.check(text, source="escaped-service.rq", allow_service=True)  # allowed only on request


def test_syntax_error_names_file_line_and_column() -> None:
    with pytest.raises(InputError) as caught:
        sparql.check((QUERIES / "broken.rq").read_text(), source="broken.rq")
    assert caught.value.line is not None and caught.value.column is not None
    assert str(caught.value).startswith(f"broken.rq:{caught.value.line}:{caught.value.column}: SPARQL syntax error")


def _cli(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def test_cli_runs_a_library_query_in_each_format() -> None:
    base = ["query", "--name", "overdue-corrective-actions", KESTREL, "--param", "asOf=2026-11-26"]
    code, out, _ = _cli(*base, "--format", "json")
    assert code == 0
    document = json.loads(out)
    assert document["head"]["vars"] == ["action", "label", "nonconformity", "owner", "dueDate"]
    assert document["results"]["bindings"][0]["action"] == {
        "type": "uri",
        "value": "https://kestrel.example/aims/ca-2026-02",
    }
    assert _cli(*base, "--format", "csv")[1].splitlines()[0] == "action,label,nonconformity,owner,dueDate"
    assert "\t<https://kestrel.example/aims/nc-2026-02>\t" in _cli(*base, "--format", "tsv")[1]
    assert "kst:ca-2026-02" in _cli(*base, "--format", "table")[1]


def test_a_table_of_many_rows_shows_the_first_and_says_how_to_get_all(tmp_path: Any) -> None:
    numbers = tmp_path / "numbers.rq"
    numbers.write_text(
        "SELECT ?n WHERE { VALUES ?a { 0 1 2 3 4 5 6 7 8 9 } VALUES ?b { 0 1 2 3 4 5 6 7 8 9 } "
        "VALUES ?c { 0 1 2 3 4 5 6 7 8 9 } VALUES ?d { 0 1 } BIND (?a * 1000 + ?b * 100 + ?c * 10 + ?d AS ?n) }\n"
    )
    code, out, _ = _cli("query", str(numbers), KESTREL)
    assert code == 0 and out.count("\n│") == results_render.TABLE_ROWS
    assert "2,000 rows, the first 1,000 shown: --format csv, tsv or json gives every row" in out
    assert len(_cli("query", str(numbers), KESTREL, "--format", "csv")[1].splitlines()) == 2001


def test_cli_runs_a_users_query_file_and_construct_as_turtle(tmp_path: Any) -> None:
    code, out, _ = _cli("query", str(QUERIES / "label-contains.rq"), KESTREL, "--param", "needle=fraud")
    assert code == 0 and "kst:sys-card-fraud" in out
    construct = tmp_path / "owners.rq"
    construct.write_text(
        "PREFIX aims: <https://w3id.org/aimsgraph/ns#>\n"
        "CONSTRUCT { ?s aims:accountableOwner ?o } WHERE { ?s a aims:AISystem ; aims:accountableOwner ?o }\n"
    )
    code, out, _ = _cli("query", str(construct), KESTREL, "--format", "turtle")
    assert code == 0 and "kestrel.example/aims/person-" in out
    assert _cli("query", str(construct), KESTREL, "--format", "csv")[0] == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["query", "--name", "no-such-query", KESTREL], "no library query 'no-such-query'"),
        (["query", str(QUERIES / "broken.rq"), KESTREL], "broken.rq:"),
        (["query", str(QUERIES / "escaped-service.rq"), KESTREL], "refused (--allow-service allows it)"),
        (["query", "--name", "evidence-expiry", KESTREL, "--param", "horizon"], "expected name=value"),
        (["query", KESTREL], "give a query file ending in .rq first"),
        (["query", "--name", "evidence-expiry"], "Missing argument"),
    ],
)
def test_cli_query_errors_exit_2(args: list[str], message: str) -> None:
    code, _, err = _cli(*args)
    assert code == 2
    assert message in err


def test_cli_lists_the_library() -> None:
    code, out, _ = _cli("queries")
    assert code == 0
    for definition in library.library():
        assert definition.id in out


def test_a_carriage_return_cannot_hide_service_from_the_check() -> None:
    # rdflib ends a comment only at LF, Oxigraph at CR too: the text is normalised before both.
    text = "ASK { # hidden?\r SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o }\n}"
    with pytest.raises(UsageError, match="SERVICE"):
        sparql.check(text, source="cr.rq")
    update = "INSERT DATA { <https://e.example/a> <https://e.example/b> 1 } # \r ; LOAD <http://127.0.0.1:9/x>"
    with pytest.raises(UsageError, match="LOAD"):
        sparql.check_update(update, source="cr.ru")


def test_an_update_file_is_named_as_such() -> None:
    with pytest.raises(UsageError, match="this is a SPARQL update"):
        sparql.check("INSERT DATA { <https://e.example/a> <https://e.example/b> 1 }", source="u.rq")


@pytest.mark.parametrize(("kind", "value"), [("asOf", "20261126"), ("asOf", "2026-W48-4"), ("asOf", "9999-12-31")])
def test_dates_are_yyyy_mm_dd_and_defaults_cannot_overflow(kind: str, value: str) -> None:
    with pytest.raises(UsageError):
        library.bind_values(library.find("evidence-expiry"), {kind: value}, today=dt.date.today())
