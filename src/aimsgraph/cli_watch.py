"""`aimsgraph watch`: validate, then again on every change to the files, checking only what the change can affect."""

from __future__ import annotations

import sys
import time
from typing import TYPE_CHECKING, Annotated

import typer

from aimsgraph import cli_support as support
from aimsgraph.errors import InputError, UsageError
from aimsgraph.formats import RdfFormat
from aimsgraph.model import FailOn, ValidationReport
from aimsgraph.render import text as text_render
from aimsgraph.settings import Settings

if TYPE_CHECKING:  # imported when run: see watch()
    from aimsgraph.incremental import Session, Watched


def watch(
    paths: Annotated[list[str], typer.Argument(metavar="PATH...", help="Files or directories (searched recursively).")],
    shapes: support.Shapes = [],  # noqa: B006
    extensions: support.Extensions = [],  # noqa: B006
    as_of: support.AsOf = None,
    inference: support.InferenceChoice = None,
    input_format: support.InputFormat = None,
    interval: Annotated[float, typer.Option("--interval", min=0.05, help="Seconds between looks at the files.")] = 0.5,
) -> None:
    """Validate, then validate again whenever a file changes, is added or removed, printing the
    findings that appeared and those resolved. Only what a change can affect is checked again
    (at 10,000 AI systems, tens of milliseconds). Ctrl-C stops."""

    def run() -> int:
        # imported here: the dependency analysis it brings (rdflib's SPARQL parser) would add 0.1 s to every command
        from aimsgraph.incremental import Session, Watched  # noqa: PLC0415

        if "-" in paths:
            raise UsageError("watch reads files, not standard input")
        settings = Settings.from_environment(given={"inference": inference})
        files = Watched(paths, RdfFormat.from_name(input_format) if input_format else None)
        session = Session(support.as_of_date(as_of), inference=settings.inference, shapes=shapes, extensions=extensions)
        started = time.perf_counter()
        report = _opened(session, files)
        took = (time.perf_counter() - started) * 1000
        typer.echo(
            f"{len(report.sources)} file(s) validated in {took:.0f} ms. {text_render.summary(report, FailOn.VIOLATION)}"
        )
        typer.echo(f"Watching {', '.join(paths)} (Ctrl-C stops).")
        try:
            while True:
                time.sleep(interval)
                changed, gone = files.changes()
                started = time.perf_counter()
                after = None
                while changed or gone:
                    try:
                        after = session.update(changed, gone, order=files.order)
                    except InputError as error:  # left out, as it was, until it is saved again
                        typer.echo(f"aimsgraph: error: {error}", err=True)
                        files.refused(error.source)
                        remaining = [source for source in changed if source.name != error.source]
                        if len(remaining) == len(changed):  # not one of the files: nothing to leave out
                            break
                        changed = remaining
                        continue
                    files.taken(changed, gone)
                    break
                if after is None:
                    continue
                took = (time.perf_counter() - started) * 1000
                names = ", ".join([*(source.name for source in changed), *(f"{name} (removed)" for name in gone)])
                how = f"in full: {session.last.full}" if session.last.full else f"{session.last.checks} check(s) again"
                heading = f"{time.strftime('%H:%M:%S')} {names}: {took:.0f} ms, {how}"
                sys.stdout.write(text_render.changes(report, after, fail_on=FailOn.VIOLATION, heading=heading))
                sys.stdout.flush()
                report = after
        except KeyboardInterrupt:
            return 0

    support.exit_with(run)


def _opened(session: Session, files: Watched) -> ValidationReport:
    """Validate every watched file in full; one that does not parse is reported and left out, as
    one that breaks later is, until it is saved again (so that a fix is then picked up).

    :raises InputError: something other than one of the files is not well-formed (shapes).
    """
    sources = files.sources()
    while True:
        try:
            with support.progress_shown() as progress:
                return session.open(sources, progress)
        except InputError as error:
            remaining = [source for source in sources if source.name != error.source]
            if len(remaining) == len(sources):  # not one of the files: nothing to leave out
                raise
            typer.echo(f"aimsgraph: error: {error}", err=True)
            files.refused(error.source)
            sources = remaining
