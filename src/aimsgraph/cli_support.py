"""What the command-line commands share: their common options, reading a query and its data,
the as-of date, the table width and the progress bar.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import socket
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, TaskID, TextColumn
from rich.progress import Progress as RichProgress

from aimsgraph import library
from aimsgraph.errors import AimsgraphError, UsageError
from aimsgraph.model import Inference, Progress

# Options that several commands share, declared once so that they read and behave alike.
AsOf = Annotated[
    str | None, typer.Option("--as-of", metavar="YYYY-MM-DD", help="Judge the AIMS as of this date [default: today].")
]
InferenceChoice = Annotated[
    Inference | None,
    typer.Option("--inference", help="Entailment computed on a copy of the data first [default: none]."),
]
Shapes = Annotated[list[str], typer.Option("--shapes", help="A SHACL file or directory of your own; repeatable.")]
Extensions = Annotated[
    list[str],
    typer.Option(
        "--extension",
        metavar="FILE",
        help="Vocabulary extending aimsgraph's (subclasses of its classes, say), trusted like the ontology; "
        "the same statements in the data are set aside and reported. Repeatable.",
    ),
]
InputFormat = Annotated[
    str | None, typer.Option("--input-format", metavar="FORMAT", help="RDF format for stdin and unknown extensions.")
]
DataDir = Annotated[
    Path | None, typer.Option("--data-dir", metavar="DIR", help="The store's directory [default: .aimsgraph/store].")
]
StoreUrl = Annotated[
    str | None,
    typer.Option("--store-url", metavar="URL", help="A SPARQL server's base URL, instead of the embedded store."),
]


def json_file(path: Path) -> dict[str, object]:
    """Give the JSON object in ``path``.

    :raises UsageError: it cannot be read or is not a JSON object.
    """
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise UsageError(f"{path}: cannot read: {error.strerror}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise UsageError(f"{path}: not JSON: {error}") from None
    if not isinstance(document, dict):
        raise UsageError(f"{path}: not a JSON object")
    return document


def query_and_paths(name: str | None, arguments: list[str]) -> tuple[library.QueryDefinition, list[str]]:
    if name is not None:
        definition = library.find(name)
        paths = arguments
    else:
        file = Path(arguments[0])
        if file.suffix != ".rq":
            raise UsageError(f"{arguments[0]}: give a query file ending in .rq first, or --name ID")
        try:
            text = file.read_bytes().decode("utf-8-sig")  # a byte-order mark first is skipped
        except OSError as error:
            raise UsageError(f"{arguments[0]}: cannot read: {error.strerror}") from None
        except UnicodeDecodeError:
            raise UsageError(f"{arguments[0]}: is not UTF-8 text") from None
        definition = library.parse_definition(text, source=arguments[0])
        paths = arguments[1:]
    if not paths:
        raise UsageError("no data: give at least one file, directory or '-' after the query")
    return definition, paths


def width() -> int:
    """Give the table width: the terminal's, or a wide page when the output goes to a file or pipe."""
    return shutil.get_terminal_size((200, 24)).columns if sys.stdout.isatty() else 200


@contextmanager
def progress_shown() -> Iterator[Progress | None]:
    """Show how a long validation is going (files parsed, shapes checked) on a terminal; stay
    quiet when standard error is not one, or under CI, whose logs a progress bar only litters."""
    if not sys.stderr.isatty() or os.environ.get("CI"):
        yield None
        return
    labels = {"parse": "parsing files", "check": "checking shapes"}
    with RichProgress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), transient=True) as bar:
        tasks: dict[str, TaskID] = {}

        def update(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(labels.get(stage, stage), total=total)
            bar.update(tasks[stage], completed=done + 1, total=total)

        yield update


def as_of_date(text: str | None) -> dt.date:
    if text is None:
        return dt.date.today()
    try:
        return library.parse_date(text)
    except ValueError:
        raise UsageError(f"--as-of {text!r} is not a date in the form YYYY-MM-DD") from None


EXIT_OK, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


def exit_with(action: Callable[[], int]) -> None:
    """Run a command body; turn an aimsgraph error into a one-line message and exit code 2."""
    try:
        code = action()
    except AimsgraphError as error:
        typer.echo(f"aimsgraph: error: {error}", err=True)
        raise typer.Exit(EXIT_ERROR) from None
    raise typer.Exit(code)


def can_write(path: str) -> None:
    """Check that the file ``path`` can be written, before anything else is.

    :raises UsageError: its folder is missing or not writable, or it is a folder or read-only.
    """
    target = Path(path)
    folder = target.parent
    if not folder.is_dir() or not os.access(folder, os.W_OK):
        raise UsageError(f"--output {path}: cannot write there: no folder {folder} that may be written")
    if target.is_dir() or (target.exists() and not os.access(target, os.W_OK)):
        raise UsageError(f"--output {path}: cannot write there: a folder, or read-only")


def listening_socket(address: str, port: int) -> socket.socket:
    """Give a socket bound to ``address``:``port`` for the service to listen on.

    :raises UsageError: the port is out of range, or the address cannot be listened on (in use).
    """
    if not 0 <= port <= 65535:
        raise UsageError(f"port {port}: a port is a number from 0 to 65535")
    # As uvicorn binds: IPv6 for an address with a colon, else IPv4 ("localhost" is 127.0.0.1).
    listening = socket.socket(socket.AF_INET6 if ":" in address else socket.AF_INET, socket.SOCK_STREAM)
    listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listening.bind((address, port))
    except OSError as error:  # in use, not an address of this machine, a name that does not resolve
        listening.close()
        raise UsageError(f"{address}:{port}: cannot listen there: {error.strerror}") from None
    return listening
