"""The command-line face: each command parses its options, calls the core and renders the result.

Errors from the core (:mod:`aimsgraph.errors`) become a one-line message on stderr and exit code 2
here, in one place; a validation that finds something at or above ``--fail-on`` exits 1.
"""

from __future__ import annotations

import datetime as dt
import enum
import sys
from collections.abc import Callable
from typing import Annotated

import typer

from aimsgraph import __version__
from aimsgraph.errors import AimsgraphError, UsageError
from aimsgraph.formats import RdfFormat
from aimsgraph.model import FailOn, Inference
from aimsgraph.render import json as json_render
from aimsgraph.render import text as text_render
from aimsgraph.settings import Settings
from aimsgraph.validate import validate as validate_aims

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2

app = typer.Typer(
    name="aimsgraph",
    help="Check an AI management system, kept as RDF, against ISO/IEC 42001 with SHACL and SPARQL.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


class OutputFormat(enum.Enum):
    """How ``validate`` prints its report."""

    TEXT = "text"
    JSON = "json"


def _version(value: bool) -> None:
    if value:
        typer.echo(f"aimsgraph {__version__}")
        raise typer.Exit(EXIT_OK)


@app.callback()
def main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """Check an AI management system, kept as RDF, against ISO/IEC 42001 with SHACL and SPARQL."""


@app.command()
def validate(
    paths: Annotated[
        list[str], typer.Argument(metavar="PATH...", help="Files, directories (searched recursively) or - for stdin.")
    ],
    shapes: Annotated[
        list[str], typer.Option("--shapes", help="A SHACL file or directory of your own; repeatable.")
    ] = [],  # noqa: B006
    no_bundled_shapes: Annotated[
        bool, typer.Option("--no-bundled-shapes", help="Validate with --shapes only, not with aimsgraph's own shapes.")
    ] = False,
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", metavar="YYYY-MM-DD", help="Judge the AIMS as of this date [default: today]."),
    ] = None,
    output_format: Annotated[OutputFormat, typer.Option("--format", help="Report format.")] = OutputFormat.TEXT,
    fail_on: Annotated[
        FailOn | None,
        typer.Option("--fail-on", help="Exit 1 when a finding is at or above this severity [default: violation]."),
    ] = None,
    inference: Annotated[
        Inference | None,
        typer.Option("--inference", help="Entailment computed on a copy of the data first [default: none]."),
    ] = None,
    input_format: Annotated[
        str | None,
        typer.Option(
            "--input-format",
            metavar="FORMAT",
            help="turtle, trig, ntriples, nquads, jsonld or rdfxml, for files without a known extension and for stdin.",
        ),
    ] = None,
) -> None:
    """Validate AIMS data with SHACL; exit 0 if nothing is at or above --fail-on, 1 if something is, 2 on error."""

    def run() -> int:
        settings = Settings.from_environment()
        threshold = fail_on or settings.fail_on
        report = validate_aims(
            paths,
            as_of=_date(as_of),
            inference=inference or settings.inference,
            input_format=RdfFormat.from_name(input_format) if input_format else None,
            shapes=shapes,
            bundled_shapes=not no_bundled_shapes,
        )
        renderer = json_render.render if output_format is OutputFormat.JSON else text_render.render
        sys.stdout.write(renderer(report, fail_on=threshold))
        return EXIT_FINDINGS if report.fails(threshold) else EXIT_OK

    _exit_with(run)


def _date(text: str | None) -> dt.date:
    if text is None:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"--as-of {text!r} is not a date in the form YYYY-MM-DD") from None


def _exit_with(action: Callable[[], int]) -> None:
    """Run a command body; turn an aimsgraph error into a one-line message and exit code 2."""
    try:
        code = action()
    except AimsgraphError as error:
        typer.echo(f"aimsgraph: error: {error}", err=True)
        raise typer.Exit(EXIT_ERROR) from None
    raise typer.Exit(code)
