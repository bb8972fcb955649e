"""The command-line face: each command parses its options, calls the core and renders the result.

Errors from the core (:mod:`aimsgraph.errors`) become a one-line message on stderr and exit code 2
here, in one place; a validation that finds something at or above ``--fail-on`` exits 1.
"""

from __future__ import annotations

import datetime as dt
import enum
import getpass
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import pyoxigraph
import typer

from aimsgraph import __version__, cli_watch, library, load, sparql
from aimsgraph import baseline as baseline_file
from aimsgraph import cli_support as support
from aimsgraph import history as history_log
from aimsgraph import report as html_report
from aimsgraph.cli_support import (
    EXIT_FINDINGS,
    EXIT_OK,
    AsOf,
    DataDir,
    Extensions,
    InferenceChoice,
    InputFormat,
    Shapes,
    StoreUrl,
)
from aimsgraph.errors import UsageError
from aimsgraph.formats import RdfFormat
from aimsgraph.frameworks import ISO_42001
from aimsgraph.gaps import gaps as gap_report
from aimsgraph.model import Engine, FailOn
from aimsgraph.remote_store import Endpoints, RemoteStore
from aimsgraph.render import ci as ci_render
from aimsgraph.render import gaps as gaps_render
from aimsgraph.render import json as json_render
from aimsgraph.render import results as results_render
from aimsgraph.render import text as text_render
from aimsgraph.render.terms import compactor
from aimsgraph.settings import Settings
from aimsgraph.store import EmbeddedStore, GraphStore
from aimsgraph.validate import BUILTIN_PREFIXES, bundled_catalog, bundled_knowledge_quads
from aimsgraph.validate import validate as validate_aims

app = typer.Typer(
    name="aimsgraph",
    help="Check an AI management system, kept as RDF, against ISO/IEC 42001 with SHACL and SPARQL.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # Plain usage errors: one 'Error:' line a CI log can show, not a box drawn for a terminal.
    rich_markup_mode=None,
)


class OutputFormat(enum.Enum):
    """How ``validate`` writes its report."""

    TEXT = "text"
    JSON = "json"
    SARIF = "sarif"
    JUNIT = "junit"
    GITHUB = "github"
    MARKDOWN = "markdown"
    TURTLE = "turtle"


_RENDERERS: dict[OutputFormat, Callable[..., str]] = {
    OutputFormat.TEXT: text_render.render,
    OutputFormat.JSON: json_render.render,
    OutputFormat.SARIF: ci_render.sarif,
    OutputFormat.JUNIT: ci_render.junit,
    OutputFormat.GITHUB: ci_render.github,
    OutputFormat.MARKDOWN: ci_render.markdown,
    OutputFormat.TURTLE: ci_render.turtle,
}


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
    shapes: Shapes = [],  # noqa: B006
    extensions: Extensions = [],  # noqa: B006
    no_bundled_shapes: Annotated[
        bool, typer.Option("--no-bundled-shapes", help="Validate with --shapes only, not with aimsgraph's own shapes.")
    ] = False,
    as_of: AsOf = None,
    output_format: Annotated[
        OutputFormat, typer.Option("--format", help="Report format on standard output.")
    ] = OutputFormat.TEXT,
    output: Annotated[
        list[str],
        typer.Option("--output", metavar="FORMAT=FILE", help="Also write the report in FORMAT to FILE; repeatable."),
    ] = [],  # noqa: B006
    fail_on: Annotated[
        FailOn | None,
        typer.Option("--fail-on", help="Exit 1 when a finding is at or above this severity [default: violation]."),
    ] = None,
    inference: InferenceChoice = None,
    input_format: Annotated[
        str | None,
        typer.Option(
            "--input-format",
            metavar="FORMAT",
            help="turtle, trig, ntriples, nquads, jsonld or rdfxml, for files without a known extension and for stdin.",
        ),
    ] = None,
    baseline: Annotated[
        Path | None,
        typer.Option(
            "--baseline", metavar="FILE", help="Suppress the findings this baseline lists; fail only on new ones."
        ),
    ] = None,
    create_baseline: Annotated[
        Path | None,
        typer.Option("--create-baseline", metavar="FILE", help="Write every finding of this run to a baseline file."),
    ] = None,
    engine: Annotated[
        Engine | None,
        typer.Option(
            "--engine",
            help="What runs the shapes: sparql (translated into queries on Oxigraph; a shape it cannot "
            "translate runs on pySHACL) or pyshacl (the reference) [default: sparql].",
        ),
    ] = None,
) -> None:
    """Validate AIMS data with SHACL; exit 0 if nothing is at or above --fail-on, 1 if something is, 2 on error."""

    def run() -> int:
        settings = Settings.from_environment(given={"fail_on": fail_on, "inference": inference, "engine": engine})
        threshold = settings.fail_on
        # Every option is checked before anything is written: a usage error must not come after
        # a baseline has been replaced.
        outputs = _outputs(output)
        for _, path in outputs:
            support.can_write(path)
        if baseline is not None and create_baseline is not None:
            raise UsageError("give --baseline or --create-baseline, not both (a new baseline accepts every finding)")
        with support.progress_shown() as progress:
            report = validate_aims(
                paths,
                as_of=support.as_of_date(as_of),
                progress=progress,
                inference=settings.inference,
                input_format=RdfFormat.from_name(input_format) if input_format else None,
                shapes=shapes,
                extensions=extensions,
                bundled_shapes=not no_bundled_shapes,
                engine=settings.engine,
            )
        for note in report.engine_notes:
            typer.echo(f"note: {note}", err=True)
        if create_baseline is not None:
            written = baseline_file.write(report, create_baseline)
            typer.echo(f"{create_baseline}: baseline of {written} finding(s)", err=True)
        # A baseline being created is the team accepting today's findings: apply it at once, so
        # the adopting run passes and its outputs show those findings as suppressed.
        accepted = create_baseline if create_baseline is not None else baseline
        if accepted is not None:
            report = baseline_file.apply(report, accepted)
        for target_format, path in outputs:
            try:
                Path(path).write_text(_RENDERERS[target_format](report, fail_on=threshold), encoding="utf-8")
            except OSError as error:
                raise UsageError(f"--output {path}: cannot write: {error.strerror}") from None
        sys.stdout.write(_RENDERERS[output_format](report, fail_on=threshold))
        return EXIT_FINDINGS if report.fails(threshold) else EXIT_OK

    support.exit_with(run)


app.command()(cli_watch.watch)


@app.command()
def gaps(
    paths: Annotated[list[str], typer.Argument(metavar="PATH...", help="Files, directories or - for stdin.")],
    as_of: AsOf = None,
    output_format: Annotated[
        gaps_render.GapFormat, typer.Option("--format", help="Report format.")
    ] = gaps_render.GapFormat.TABLE,
    inference: InferenceChoice = None,
    shapes: Shapes = [],  # noqa: B006
    extensions: Extensions = [],  # noqa: B006
    input_format: InputFormat = None,
    framework: Annotated[
        str,
        typer.Option(
            "--framework",
            metavar="KEY",
            help="The framework to report on: iso42001, eu-ai-act, nist-ai-rmf or gdpr.",
        ),
    ] = ISO_42001,
) -> None:
    """Give every requirement of a framework a status: by default every ISO/IEC 42001 clause and
    Annex A control, with the audit-readiness summary; with --framework, the EU AI Act, the GDPR or
    NIST AI RMF, each status with the rules, controls or crosswalk mappings it rests on."""

    def run() -> int:
        settings = Settings.from_environment(given={"inference": inference})
        bundled_catalog().framework(framework)  # an unknown key fails before the data is read
        report = gap_report(
            paths,
            as_of=support.as_of_date(as_of),
            inference=settings.inference,
            input_format=RdfFormat.from_name(input_format) if input_format else None,
            shapes=shapes,
            extensions=extensions,
            engine=settings.engine,
            frameworks=[framework] if framework != ISO_42001 else [],
        )
        other = framework if framework != ISO_42001 else None
        sys.stdout.write(gaps_render.render(report, output_format, width=support.width(), framework=other))
        return EXIT_OK

    support.exit_with(run)


@app.command()
def query(
    arguments: Annotated[
        list[str],
        typer.Argument(metavar="[FILE.rq] PATH...", help="The query file (unless --name is given), then the data."),
    ],
    name: Annotated[
        str | None,
        typer.Option("--name", metavar="ID", help="Run the library query with this id (see `aimsgraph queries`)."),
    ] = None,
    param: Annotated[
        list[str], typer.Option("--param", metavar="NAME=VALUE", help="A query parameter; repeatable.")
    ] = [],  # noqa: B006
    output_format: Annotated[
        results_render.ResultFormat, typer.Option("--format", help="Result format.")
    ] = results_render.ResultFormat.TABLE,
    allow_service: Annotated[
        bool, typer.Option("--allow-service", help="Let the query call remote SPARQL endpoints (SERVICE).")
    ] = False,
    input_format: InputFormat = None,
) -> None:
    """Run a SPARQL query, from the library or your own file, on AIMS data (with the ontology and catalogues)."""

    def run() -> int:
        definition, paths = support.query_and_paths(name, arguments)
        allowing = "--allow-service allows it"
        checked = sparql.check(
            definition.text, source=definition.source, allow_service=allow_service, how_to_allow=allowing
        )
        values = library.bind_values(definition, library.parse_assignments(param), today=dt.date.today())
        sources = load.collect(paths, input_format=RdfFormat.from_name(input_format) if input_format else None)
        store = pyoxigraph.Store()
        data = load.load_into(store, sources)  # straight into the store: no copy of the data in Python
        store.bulk_extend(bundled_knowledge_quads())
        text = sparql.bind(checked, values)
        result = sparql.run(store, text, source=definition.source, lists=definition.lists)
        compact = compactor(tuple(sorted({**BUILTIN_PREFIXES, **data.prefixes}.items())))
        rendered = results_render.render(
            result, output_format, compact=compact, lists=definition.lists, width=support.width()
        )
        sys.stdout.write(rendered)
        return EXIT_OK

    support.exit_with(run)


@app.command()
def queries() -> None:
    """List the query library: id, title, parameters and the clauses each speaks to."""

    def run() -> int:
        for definition in library.library():
            params = ", ".join(f"{p.name} ({p.type.value}, default {p.default})" for p in definition.params) or "none"
            typer.echo(f"{definition.id}\n  {definition.title}\n  {definition.description}")
            typer.echo(f"  clauses: {' '.join(definition.clauses)}; parameters: {params}\n")
        return EXIT_OK

    support.exit_with(run)


@app.command(name="load")
def load_command(
    paths: Annotated[list[str], typer.Argument(metavar="PATH...", help="Files, directories or - for stdin.")],
    graph: Annotated[
        str | None,
        typer.Option(
            "--graph",
            metavar="IRI",
            help="Put everything in this one named graph [default: one graph per file, named by its file: IRI].",
        ),
    ] = None,
    data_dir: DataDir = None,
    store_url: StoreUrl = None,
    input_format: InputFormat = None,
) -> None:
    """Load RDF files into the store, replacing the graphs they were loaded into before."""

    def run() -> int:
        settings = Settings.from_environment(given={"data_dir": data_dir, "store_url": store_url})
        directory = settings.data_dir
        sources = load.collect(paths, input_format=RdfFormat.from_name(input_format) if input_format else None)
        # Parse everything before touching the store, so that one bad file changes nothing.
        parsed = [(source, load.parse_quads(source)) for source in sources]
        who = f"cli:{getpass.getuser()}"  # for the store's change log
        store = _open_store(directory, settings.store_url)
        if graph is not None:
            count = store.replace_graph(graph, [quad for _, quads in parsed for quad in quads], actor=who)
            typer.echo(f"{graph}: {count} triples from {len(parsed)} file(s)")
        else:
            for source, quads in parsed:
                count = store.replace_graph(source.base_iri, quads, actor=who)
                typer.echo(f"{source.base_iri}: {count} triples")
        typer.echo(f"store {settings.store_url or directory}: {len(store.graphs())} graph(s)")
        return EXIT_OK

    support.exit_with(run)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option("--host", help="Address to listen on [default: 127.0.0.1].")] = None,
    port: Annotated[int | None, typer.Option("--port", help="Port to listen on [default: 8642].")] = None,
    data_dir: DataDir = None,
    store_url: StoreUrl = None,
) -> None:
    """Serve the stored AIMS over HTTP: SPARQL at /sparql, graphs at /store, reports under /v1, docs at /docs."""

    def run() -> int:
        # imported here, not with the module: the service's libraries would add 0.3 s to every command
        import uvicorn  # noqa: PLC0415

        from aimsgraph.api import create_app  # noqa: PLC0415

        given = {"host": host, "port": port, "data_dir": data_dir, "store_url": store_url}
        settings = Settings.from_environment(given=given)
        address, listen_port = settings.host, settings.port
        # Bound here, so that a port in use or out of range is a usage error before anything starts.
        listening = support.listening_socket(address, listen_port)
        store = _open_store(settings.data_dir, settings.store_url)
        application = create_app(settings, store)
        where = settings.store_url or settings.data_dir
        shown = f"[{address}]" if ":" in address else address  # an IPv6 address, bracketed in a URL
        listen_port = listening.getsockname()[1]  # the one given, or the one chosen for port 0
        typer.echo(f"aimsgraph serving {where} at http://{shown}:{listen_port}/ (docs at /docs)")
        uvicorn.Server(uvicorn.Config(application, log_level="warning")).run(sockets=[listening])
        return EXIT_OK

    support.exit_with(run)


@app.command()
def history(
    data_dir: DataDir = None,
    verify: Annotated[
        bool,
        typer.Option("--verify", help="Check the log's hash chain and that it accounts for the data; exit 1 if not."),
    ] = False,
    anchors: Annotated[
        list[str] | None,
        typer.Option(
            "--anchor",
            help="A record hash published earlier (an earlier head); it must still be in the log. Implies --verify.",
        ),
    ] = None,
    output_format: Annotated[str, typer.Option("--format", help="table or json.")] = "table",
) -> None:
    """List the embedded store's change log: who wrote which graph when, with its content hash."""

    def run() -> int:
        directory = Settings.from_environment(given={"data_dir": data_dir}).data_dir
        if not directory.is_dir():
            raise UsageError(f"{directory}: no store here (aimsgraph load creates one)")
        if output_format not in ("table", "json"):
            raise UsageError(f"--format {output_format!r}: use table or json")
        store = EmbeddedStore(directory, bundled_knowledge_quads())
        document = history_log.summary(store.oxigraph, check=verify or bool(anchors), anchors=anchors or ())
        problems, records = document["problems"], document["records"]
        if output_format == "json":
            typer.echo(json.dumps(document, indent=2))
        else:
            for r in records:
                what = r["graph"] or f"SPARQL update {r['update_hash'][:19]}"
                when, who, operation = r["at"], r["actor"], r["operation"]
                typer.echo(f"{r['sequence']:>5}  {when}  {who:<22}  {operation:<7}  {what}  {r['content_hash'][:19]}")
            if document["head"]:
                typer.echo(f"head (publish it, then check it later with --anchor): {document['head']['record_hash']}")
            for problem in problems:
                typer.echo(f"tampered: {problem}", err=True)
            if document["verified"] and not problems:
                typer.echo(f"the log of {len(records)} change(s) is intact and accounts for the data", err=True)
        return EXIT_FINDINGS if problems else EXIT_OK

    support.exit_with(run)


def _open_store(directory: Path, store_url: str | None) -> GraphStore:
    if store_url:
        settings = Settings.from_environment()
        endpoints = Endpoints.from_base(
            store_url, query=settings.query_url, update=settings.update_url, graph_store=settings.graph_store_url
        )
        return RemoteStore(endpoints, bundled_knowledge_quads(), timeout=settings.query_timeout)
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as error:  # a file of that name, a directory that may not be written
        raise UsageError(f"{directory}: cannot keep the store there: {error.strerror}") from None
    return EmbeddedStore(directory, bundled_knowledge_quads())


@app.command()
def report(
    paths: Annotated[list[str], typer.Argument(metavar="PATH...", help="Files, directories or - for stdin.")],
    as_of: AsOf = None,
    out: Annotated[Path, typer.Option("--out", metavar="DIR", help="Where to write the HTML pages.")] = Path(
        "aimsgraph-report"
    ),
    previous: Annotated[
        Path | None,
        typer.Option(
            "--previous", metavar="FILE", help="An earlier `gaps --format json` report, to show what changed."
        ),
    ] = None,
    pdf: Annotated[
        bool, typer.Option("--pdf", help="Also write the whole report as one PDF (needs the pdf extra).")
    ] = False,
    extensions: Extensions = [],  # noqa: B006
) -> None:
    """Write the gap report: HTML pages (summary, conformity, SoA, findings, a page per AI system,
    appendix), the SoA, findings and risk register as CSV and XLSX, and with --pdf one PDF."""

    def run() -> int:
        earlier = support.json_file(previous) if previous is not None else None
        data = load.load(load.collect(paths))
        engine = Settings.from_environment().engine
        files = html_report.build(
            data, as_of=support.as_of_date(as_of), previous=earlier, pdf=pdf, extensions=extensions, engine=engine
        )
        try:
            html_report.write(files, out)
        except OSError as error:
            raise UsageError(f"{out}: cannot write the report: {error.strerror}") from None
        pages = sum(file.name.endswith(".html") for file in files)
        typer.echo(f"{out / 'index.html'}: {pages} page(s), {len(files) - pages} export(s)")
        return EXIT_OK

    support.exit_with(run)


def _outputs(assignments: list[str]) -> list[tuple[OutputFormat, str]]:
    """Give the ``FORMAT=FILE`` pairs of ``--output``.

    :raises UsageError: an assignment is malformed or names an unknown format.
    """
    pairs = []
    for assignment in assignments:
        name, sep, path = assignment.partition("=")
        if not sep or not path:
            raise UsageError(f"--output {assignment!r}: expected FORMAT=FILE")
        try:
            pairs.append((OutputFormat(name), path))
        except ValueError:
            known = ", ".join(f.value for f in OutputFormat)
            raise UsageError(f"--output {assignment!r}: unknown format {name!r} (known: {known})") from None
    return pairs
