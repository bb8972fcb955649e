"""The validate command: exit codes, error messages, formats and the JSON schema."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from typer.testing import CliRunner

from aimsgraph.cli import app
from tests.conftest import FIXTURES, ROOT

INPUTS = FIXTURES / "inputs"
SMALL = str(INPUTS / "small.ttl")
AS_OF = ["--as-of", "2026-06-30"]
SCHEMA = json.loads((ROOT / "src" / "aimsgraph" / "schemas" / "validation-report.schema.json").read_text())


def run(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args), input=stdin)
    # A traceback is never an answer to bad input: only SystemExit may end a command.
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def test_findings_at_the_threshold_exit_1_and_are_grouped_with_locations() -> None:
    code, out, _ = run("validate", SMALL, *AS_OF)
    assert code == 1
    assert "AI system ex:scoring" in out
    assert "The management system as a whole" in out
    assert f"at {SMALL}:6" in out  # ex:scoring is written on line 6
    assert f"at {SMALL}:9" in out  # ex:decision on line 9
    assert "5.3  Roles, responsibilities and authorities" in out
    assert "rule KnownRequirement" in out


@pytest.mark.parametrize(("fail_on", "expected"), [("violation", 1), ("warning", 1), ("info", 1), ("never", 0)])
def test_fail_on_levels(fail_on: str, expected: int) -> None:
    assert run("validate", SMALL, *AS_OF, "--fail-on", fail_on)[0] == expected


def test_fail_on_counts_only_findings_at_or_above_the_level(tmp_path: Path) -> None:
    # Only the user's Info rule can fire when the bundled shapes are off.
    data = tmp_path / "system.ttl"
    data.write_text("@prefix aims: <https://w3id.org/aimsgraph/ns#> .\n<https://fixture.example/s> a aims:AISystem .\n")
    shapes = ["--no-bundled-shapes", "--shapes", str(INPUTS / "user-shapes.ttl")]
    assert run("validate", str(data), *shapes, "--fail-on", "warning")[0] == 0
    code, out, _ = run("validate", str(data), *shapes, "--fail-on", "info")
    assert code == 1
    assert "The AI system has no cost centre." in out


def test_user_shapes_are_added_to_the_bundled_ones() -> None:
    code, out, _ = run("validate", SMALL, *AS_OF, "--shapes", str(INPUTS / "user-shapes.ttl"), "--format", "json")
    rules = {f["rule"] for f in json.loads(out)["findings"]}
    assert {"https://acme.example/ns#CostCentre", "AISystemAccountableOwner"} <= rules
    assert code == 1


def test_json_output_follows_its_schema() -> None:
    code, out, _ = run("validate", SMALL, *AS_OF, "--format", "json")
    document = json.loads(out)
    jsonschema.validate(document, SCHEMA, format_checker=jsonschema.FormatChecker())
    assert code == 1 and document["failed"] is True and document["as_of"] == "2026-06-30"
    unknown = next(f for f in document["findings"] if f["rule"] == "KnownRequirement")
    assert unknown["value"] == {"type": "uri", "value": "https://w3id.org/aimsgraph/iso-iec-42001-2023/A.6.6"}
    # an alternative path: the line of the alternative that holds the unknown id
    assert unknown["location"] == {"file": SMALL, "line": 9, "property_line": 10}


def test_schema_rejects_a_malformed_report() -> None:
    _, out, _ = run("validate", SMALL, *AS_OF, "--format", "json")
    document = json.loads(out)
    document["findings"][0]["severity"] = "fatal"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(document, SCHEMA)


def test_stdin_is_read_as_turtle() -> None:
    code, out, _ = run("validate", "-", *AS_OF, stdin=(INPUTS / "small.ttl").read_text())
    assert code == 1
    assert "at <stdin>:6" in out


def test_syntax_error_gives_file_line_column_and_exit_2() -> None:
    path = str(INPUTS / "broken.ttl")
    code, out, err = run("validate", path)
    assert code == 2
    assert out == ""
    assert err.startswith(f"aimsgraph: error: {path}:3:")
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["validate", "no/such/file.ttl"], "no/such/file.ttl: no such file or directory"),
        (["validate", SMALL, "--input-format", "yaml"], "unknown input format 'yaml'"),
        (["validate", SMALL, "--as-of", "26/11/2026"], "is not a date in the form YYYY-MM-DD"),
        (["validate", SMALL, "--shapes", str(INPUTS / "not-shacl.ttl")], "not-shacl.ttl: not valid SHACL"),
        (["validate", SMALL, "--shapes", SMALL], "small.ttl: declares no SHACL shape"),
    ],
)
def test_usage_and_input_errors_exit_2_with_one_line(args: list[str], message: str) -> None:
    code, _, err = run(*args)
    assert code == 2
    assert message in err
    assert len(err.strip().splitlines()) == 1


def test_empty_directory_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("not RDF")
    code, _, err = run("validate", str(tmp_path))
    assert code == 2
    assert "directory holds no RDF file" in err


def test_unknown_extension_needs_input_format(tmp_path: Path) -> None:
    data = tmp_path / "aims.data"
    data.write_text((INPUTS / "small.ttl").read_text())
    assert "cannot tell the RDF format" in run("validate", str(data))[2]
    assert run("validate", str(data), *AS_OF, "--input-format", "turtle")[0] == 1
    # the format is for files whose extension names none: a .ttl beside it is still read as Turtle
    both = run("validate", str(data), SMALL, *AS_OF, "--input-format", "ntriples", "--format", "json")
    assert both[0] == 2 and "aims.data" in both[2]  # the .data file, read as N-Triples, fails
    assert run("validate", SMALL, *AS_OF, "--input-format", "ntriples")[0] == 1  # the .ttl stays Turtle


def test_environment_sets_defaults_and_flags_override(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIMSGRAPH_FAIL_ON", "never")
    assert run("validate", SMALL, *AS_OF)[0] == 0
    assert run("validate", SMALL, *AS_OF, "--fail-on", "violation")[0] == 1
    monkeypatch.setenv("AIMSGRAPH_FAIL_ON", "sometimes")
    code, _, err = run("validate", SMALL, *AS_OF)
    assert code == 2 and "AIMSGRAPH_FAIL_ON='sometimes'" in err
    # A flag that overrides the bad variable means the variable is never read.
    assert run("validate", SMALL, *AS_OF, "--fail-on", "never")[0] == 0
    monkeypatch.setenv("AIMSGRAPH_INFERENCE", "maybe")
    assert run("validate", SMALL, *AS_OF, "--fail-on", "never", "--inference", "rdfs")[0] == 0
    assert "AIMSGRAPH_INFERENCE='maybe'" in run("gaps", SMALL, *AS_OF)[2]


def test_rdfxml_with_entities_is_refused(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.rdf"
    bomb.write_text(
        '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaa">]>'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/>'
    )
    code, _, err = run("validate", str(bomb))
    assert code == 2 and "DOCTYPE or ENTITY" in err


def test_version() -> None:
    code, out, _ = run("--version")
    assert code == 0 and out.startswith("aimsgraph ")


def test_literal_values_keep_their_datatype_in_json() -> None:
    fixture = str(FIXTURES / "shapes" / "CorrectiveActionNotOverdue" / "violates.ttl")
    _, out, _ = run("validate", fixture, *AS_OF, "--format", "json")
    overdue = [f for f in json.loads(out)["findings"] if f["rule"] == "CorrectiveActionNotOverdue"]
    assert {"type": "literal", "value": "2026-06-29", "datatype": "http://www.w3.org/2001/XMLSchema#date"} in [
        f["value"] for f in overdue
    ]


def test_user_shapes_that_would_reach_the_network_are_refused() -> None:
    code, _, err = run("validate", SMALL, "--shapes", str(INPUTS / "service-target-shapes.ttl"))
    assert code == 2
    assert "SERVICE" in err and "refused" in err


def test_a_byte_order_mark_is_skipped_and_lines_stay_true(tmp_path: Path) -> None:
    plain = (INPUTS / "small.ttl").read_bytes()
    marked = tmp_path / "small.ttl"
    marked.write_bytes(b"\xef\xbb\xbf" + plain)
    _, without, _ = run("validate", SMALL, *AS_OF, "--format", "json")
    code, with_mark, err = run("validate", str(marked), *AS_OF, "--format", "json")
    assert code == 1, err

    def lines(document: str) -> list[tuple[str, object]]:
        found = json.loads(document)["findings"]
        return [(f["rule"], f["location"] and (f["location"]["line"], f["location"]["property_line"])) for f in found]

    assert lines(with_mark) == lines(without) and any(line for _, line in lines(without))
    query = tmp_path / "q.rq"
    query.write_bytes(b"\xef\xbb\xbfSELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }\n")
    assert run("query", str(query), str(marked), "--format", "csv")[0] == 0
