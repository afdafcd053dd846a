"""The ``channelkg`` command line: a thin layer over the library.

Each command parses its options, makes one library call and prints the result.
Exit codes: 0 success, 1 a check failed, 2 usage or input error.
"""

from __future__ import annotations

import functools
import importlib
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar, overload

import click

from channelkg.cli import complete
from channelkg.cli.options import (
    RDF_FORMATS,
    TABLE_FORMATS,
    PathType,
    emit,
    format_option,
    is_stdio,
    no_ontology_option,
    output_option,
    param_option,
    parse_params,
    read_stdin_text,
)
from channelkg.errors import ChannelKGError, CheckFailedError

if TYPE_CHECKING:
    from pathlib import Path

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


def click_error(message: str, code: int) -> click.ClickException:
    """A click error that prints ``message`` and exits with ``code`` (a class per code:
    click declares ``exit_code`` on the class)."""
    cls = type("ChannelKGFailure", (click.ClickException,), {"exit_code": code})
    exc: click.ClickException = cls(message)
    return exc


class _Group(click.Group):
    """Lists commands in the order of :data:`COMMANDS`, imports a command's module only
    when the command is used, and turns library errors (:class:`ChannelKGError`) into
    one-line click errors with the right exit code (a :class:`CheckFailedError` without
    a message only sets the exit code)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [*COMMANDS, *(name for name in self.commands if name not in COMMANDS)]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            if ctx.meta.get(_LISTING):  # the summary only: the module stays unimported
                return click.Command(cmd_name, help=COMMANDS[cmd_name][1])
            # The module registers its commands on ``cli`` when imported.
            importlib.import_module(COMMANDS[cmd_name][0])
        return self.commands.get(cmd_name)

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        try:
            return super().resolve_command(ctx, args)
        except click.exceptions.NoSuchCommand as err:
            # click suggests from the commands imported so far: suggest from all of them.
            raise type(err)(args[0], possibilities=self.list_commands(ctx), ctx=ctx) from None

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        ctx.meta[_LISTING] = True
        try:
            super().format_commands(ctx, formatter)
        finally:
            del ctx.meta[_LISTING]

    def invoke(self, ctx: click.Context) -> Any:
        from channelkg.rdf.quiet import quiet_rdflib

        # One command's --timeout never reaches the next (the library is reused
        # in-process); the query module is not imported for commands that run no query.
        queries = sys.modules.get("channelkg.sparql.query")
        token = queries.QUERY_TIMEOUT.set(None) if queries is not None else None
        try:
            with quiet_rdflib():
                return super().invoke(ctx)
        except ChannelKGError as err:
            if isinstance(err, CheckFailedError) and not str(err):
                # The command's output already says what failed: just the exit code.
                raise click.exceptions.Exit(err.exit_code) from None
            from channelkg.render.terminal import for_terminal

            # The message can quote the data: no control character reaches the terminal.
            raise click_error(for_terminal(str(err)), err.exit_code) from None
        except KeyboardInterrupt:
            raise click_error("interrupted (Ctrl-C); nothing was written", 130) from None
        finally:
            if queries is not None and token is not None:
                queries.QUERY_TIMEOUT.reset(token)


@click.group(cls=_Group, context_settings=CONTEXT)
@click.version_option(package_name="channelkg")
def cli() -> None:
    """channelkg: how frontier AI models reach markets, as a sourced knowledge graph.

    Every command reads the bundled graph (graphs/*.ttl plus the ontology) unless
    you pass --data FILE (repeatable). Exit codes: 0 ok, 1 check failed, 2 bad input.
    Options mean the same in every command: -p/--param NAME=VALUE binds a query
    parameter, -f/--format picks the output format, -o FILE writes a file ('-':
    standard output), and '-' as an input file reads standard input.

    Tables fit the terminal (its width, or COLUMNS): long cells are folded, and a table
    with many wide columns is shown as records; pipes and files get one row per line.
    Colour only on a terminal, never with NO_COLOR set. Progress of long work shows on
    standard error when it is a terminal. Tab completion of commands, named queries,
    markets and organizations (docs/formats.md):
    eval "$(_CHANNELKG_COMPLETE=bash_source channelkg)"

    \b
    Examples:
      channelkg queries
      channelkg routes --model gpt --market CN
      channelkg view --market CN
      channelkg COMMAND --help
    """


F = TypeVar("F", bound=Callable[..., Any])


@overload
def graph_options(func: F, /) -> F: ...


@overload
def graph_options(*, as_of: bool = True, reason: bool = True) -> Callable[[F], F]: ...


def graph_options(
    func: Callable[..., Any] | None = None, /, *, as_of: bool = True, reason: bool = True
) -> Any:
    """Options shared by every command that reads the graph.

    The decorated command receives ``data, no_ontology, engine, store, as_of, reason`` keyword
    arguments; pass them all to :func:`open_graph`. ``@graph_options(as_of=False)``
    (or ``reason=False``) leaves out an option the command has its own version of.
    """
    if func is None:
        return functools.partial(graph_options, as_of=as_of, reason=reason)
    options = [
        click.option(
            "--data",
            "-d",
            "data",
            multiple=True,
            type=PathType(),
            help="RDF file or folder to read (repeatable). Default: the bundled graphs/*.ttl.",
        ),
        no_ontology_option,
        click.option(
            "--engine",
            type=click.Choice(["oxigraph", "rdflib"]),
            default="oxigraph",
            show_default=True,
            help="Query engine for file data.",
        ),
        click.option(
            "--store",
            metavar="STORE",
            default=None,
            help="Read from a store instead of files: oxigraph:PATH or sparql:URL.",
        ),
    ]
    if as_of:
        options.append(click.option(
            "--as-of",
            "as_of",
            metavar="YYYY-MM-DD",
            default=None,
            help="See only facts valid on that date (validFrom <= date < validTo).",
        ))
    if reason:
        options.append(click.option(
            "--reason",
            type=click.Choice(["none", "rdfs", "owlrl", "rules", "owlrl+rules"]),
            default="none",
            show_default=True,
            help="Add RDFS or OWL-RL entailments, or what the rules in rules/*.rq derive "
            "(never written back).",
        ))

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return func(*args, **kwargs)

    for option in reversed(options):
        wrapper = option(wrapper)
    return wrapper


def _set_timeout(ctx: click.Context, param: click.Parameter, value: float) -> None:
    from channelkg.sparql.query import QUERY_TIMEOUT

    QUERY_TIMEOUT.set(value or None)


#: ``--timeout SECONDS`` of every command that runs a user query (sets QUERY_TIMEOUT).
timeout_option = click.option(
    "--timeout",
    type=click.FloatRange(min=0),
    default=60.0,
    show_default=True,
    metavar="SECONDS",
    expose_value=False,
    callback=_set_timeout,
    help="Stop a SPARQL query that runs longer than this (exit 2); 0: no limit.",
)


def graph_spec(
    data: tuple[Path, ...] = (),
    engine: str = "oxigraph",
    store: str | None = None,
    as_of: str | None = None,
    reason: str = "none",
    no_ontology: bool = False,
    **_: Any,
) -> Any:
    """The :class:`~channelkg.graph.open.GraphSpec` of the :func:`graph_options` values."""
    from channelkg.graph.open import GraphSpec
    from channelkg.model.dates import parse_optional_date

    day = parse_optional_date(as_of, "--as-of")
    return GraphSpec(data=tuple(data), store=store, engine=engine, as_of=day, reason=reason,
                     ontology=not no_ontology)


def open_graph(**options: Any) -> Any:
    """Open the graph selected by :func:`graph_options` with the library's ``open_graph``."""
    from channelkg.graph.open import open_graph as open_spec

    return open_spec(graph_spec(**options))


@cli.command(context_settings=CONTEXT)
@click.argument("query_spec", metavar="QUERY", shell_complete=complete.query_names)
@param_option()
@format_option(
    TABLE_FORMATS + RDF_FORMATS,
    help_text="Output format: table/csv/tsv/json/md for SELECT and ASK, "
    "turtle/nt/json-ld for CONSTRUCT and DESCRIBE.",
)
@click.option("--allow-service", is_flag=True, help="Permit SPARQL SERVICE (contacts other hosts).")
@output_option()
@timeout_option
@graph_options
def query(
    query_spec: str,
    params: tuple[str, ...],
    fmt: str,
    allow_service: bool,
    output: Path | None,
    **graph: Any,
) -> None:
    """Run QUERY: a shipped query name, a .rq file, SPARQL text, or '-' (standard input).

    SELECT prints rows, CONSTRUCT and DESCRIBE print triples; an ASK that answers
    false exits 1. A parameter value that matches nothing in the graph is an error
    that names it (with close matches).

    \b
    Examples:
      channelkg query seed-table
      channelkg query routes-into --param market=HK --format csv
      channelkg query seed-table --format csv --safe-csv -o seed.csv
      channelkg query entity -p entity=kgid:gpt -f turtle -o gpt.ttl
      channelkg query 'SELECT ?s WHERE { ?s a <https://w3id.org/channelkg/ontology#Market> }'
      echo 'ASK { ?s ?p ?o }' | channelkg query -
      channelkg query --data foreign.ttl --no-ontology 'SELECT * WHERE { ?s ?p ?o }'

    A relative IRI in the query is read against a .rq file's own place, else against
    https://w3id.org/channelkg/id/ (a BASE in the query wins).
    """
    from channelkg.render.results import render
    from channelkg.sparql.query import query as run_query

    if is_stdio(query_spec):
        query_spec = read_stdin_text()
    kg = open_graph(**graph)
    raw = parse_params(params)
    result = run_query(kg, query_spec, raw, allow_service=allow_service)
    empty = (not result.rows if result.kind == "SELECT"
             else result.kind == "GRAPH" and result.graph is not None and len(result.graph) == 0)
    if raw and empty:
        from channelkg.errors import QueryError
        from channelkg.sparql.query import unmatched_param

        # Check against the whole graph: under --as-of a value may exist but not yet.
        full = open_graph(**{**graph, "as_of": None}) if graph.get("as_of") else kg
        why = unmatched_param(full, query_spec, raw)
        if why:
            raise QueryError(f"empty result: {why}")
    if fmt == "table" and result.kind == "SELECT":
        from channelkg.cli.terminal import render_table
        from channelkg.rdf.terms import display
        from channelkg.render.tables import Table

        cells = [[display(t).replace("\n", " ") for t in row] for row in result.rows]
        emit(render_table(Table.of(result.vars, cells), fmt, output), output)
    else:
        emit(render(result, fmt), output)
    if result.kind == "ASK" and not result.boolean:
        raise CheckFailedError()  # "false" is the answer already printed


@cli.command(context_settings=CONTEXT)
@format_option()
@output_option()
def queries(fmt: str, output: Path | None) -> None:
    """List the shipped named queries with their description and parameters.

    Run one with `channelkg query NAME`; `--format json` lists every parameter
    with its type, default and description.

    \b
    Examples:
      channelkg queries
      channelkg queries --format md -o queries.md
      channelkg queries -f json
    """
    from channelkg.cli.terminal import render_table
    from channelkg.render.tables import queries_table
    from channelkg.sparql.query import list_queries

    emit(render_table(queries_table(list_queries()), fmt, output), output)


@cli.command(context_settings=CONTEXT)
@click.argument("files", nargs=-1, type=PathType(allow_dash=True))
@click.option(
    "--shapes", type=PathType(), help="SHACL shapes (default: ontology/shapes.ttl)."
)
@click.option(
    "--ontology", type=PathType(), help="Ontology (default: channelkg.ttl)."
)
@click.option(
    "--reason",
    type=click.Choice(["none", "rdfs", "owlrl", "rules", "owlrl+rules"]),
    default="none",
    show_default=True,
    help="Also validate what RDFS/OWL-RL/the rules entail from FILES (never written).",
)
@click.option(
    "--store",
    metavar="STORE",
    default=None,
    help="Validate the graph of a store instead of files: oxigraph:PATH or sparql:URL "
    "(no syntax check or line numbers then).",
)
@click.option(
    "--focus",
    "focus",
    metavar="NODE",
    multiple=True,
    help="Validate only this node (repeatable; a name, slug or IRI): its literals and "
    "terms and the shapes that target it.",
)
@click.option(
    "--sample",
    metavar="N",
    type=click.IntRange(min=1),
    default=None,
    help="Validate N focus nodes drawn at random from all that the shapes target (as "
    "--focus; all of them if there are fewer). The summary says how many of how many.",
)
@click.option(
    "--seed",
    metavar="S",
    type=int,
    default=None,
    help="Seed of the --sample draw (default 0: the same graph gives the same sample).",
)
@click.option(
    "--shacl-engine",
    "engine",
    type=click.Choice(["auto", "sparql", "pyshacl"]),
    default="auto",
    show_default=True,
    help="SHACL engine: the shapes compiled to SPARQL queries on an Oxigraph store "
    "(auto: but for a sparql:URL store), or pySHACL on a copy of the graph.",
)
@format_option(("text", *TABLE_FORMATS), "text",
               "Output format: one line per problem, or a table of problems.")
@output_option()
def validate(
    files: tuple[Path, ...], shapes: Path | None, ontology: Path | None, reason: str,
    store: str | None, focus: tuple[str, ...], sample: int | None, seed: int | None,
    engine: str, fmt: str, output: Path | None,
) -> None:
    """Check FILES (default: the bundled graph): syntax, literals, ckg: terms, SHACL.

    Prints one line per problem (file:line, focus node, property, message) and exits 1
    if there is any. FILES '-' reads Turtle from standard input (problems are then
    located as <stdin>:line:col).

    \b
    Examples:
      channelkg validate
      channelkg validate graphs/additions.ttl --reason rules
      channelkg validate - < new-facts.ttl
      channelkg validate --store oxigraph:kg.oxigraph --format json
      channelkg validate --store oxigraph:kg.oxigraph --focus syn-route-1
      channelkg validate --store oxigraph:kg.oxigraph --sample 100 --seed 7

    On a terminal, a progress line names each shape being checked.
    """
    from channelkg.check.inputs import validate_input
    from channelkg.cli.progress import Progress
    from channelkg.render.tables import validation_table

    stdin = any(is_stdio(f) for f in files)
    if stdin and len(files) > 1:
        raise click.UsageError("'-' (standard input) cannot be combined with other FILES")
    if sample is not None and focus:
        raise click.UsageError("--sample and --focus cannot be combined")
    if seed is not None and sample is None:
        raise click.UsageError("--seed needs --sample")
    bar = Progress()
    with bar.step("validating"):
        report = validate_input(() if stdin else files,
                                stdin_text=read_stdin_text() if stdin else None,
                                store=store, reason=reason, shapes=shapes, ontology=ontology,
                                focus=focus, engine=engine, progress=bar, sample=sample,
                                seed=seed)
    from channelkg.cli.terminal import render_table

    emit(report.text if fmt == "text" else render_table(validation_table(report), fmt, output),
         output)
    if not report.conforms:
        raise CheckFailedError()  # the report ends with the number of problems


#: Every command, in the order ``--help`` lists them: its module (which registers it on
#: ``cli`` when imported) and its summary (the first sentence of its help, which
#: ``channelkg --help`` shows without importing the module).
COMMANDS: dict[str, tuple[str, str]] = {
    "query": ("channelkg.cli.main", "Run QUERY: a shipped query name, a .rq file, SPARQL "
              "text, or '-' (standard input)."),
    "queries": ("channelkg.cli.main", "List the shipped named queries with their description "
                "and parameters."),
    "validate": ("channelkg.cli.main", "Check FILES (default: the bundled graph): syntax, "
                 "literals, ckg: terms, SHACL."),
    "view": ("channelkg.cli.view", "Write a self-contained HTML page that draws (part of) "
             "the graph."),
    "export-graphml": ("channelkg.cli.view", "Export (part of) the graph as GraphML, with the "
                       "same selection options as `view`."),
    "add": ("channelkg.cli.edit", "Add one fact (or entity) from the command line, after "
            "validating it."),
    "import": ("channelkg.cli.edit", "Add many facts from FILE (- for standard input): YAML, "
               "CSV, Turtle or JSON-LD."),
    "format": ("channelkg.cli.edit", "Rewrite Turtle FILES (default: graphs/*.ttl) in "
               "canonical, sorted order."),
    "diff": ("channelkg.cli.history", "List facts that started, ended or changed status "
             "between two dates."),
    "timeline": ("channelkg.cli.history", "List dated events in order: when claims were "
                 "stated, started and ended."),
    "explain": ("channelkg.cli.history", "Show the chain of sourced facts behind NODE, with "
                "status, dates and sources."),
    "routes": ("channelkg.cli.analysis", "List every route by which a model reaches a market."),
    "spof": ("channelkg.cli.analysis", "Single points of failure: what, if removed, cuts "
             "MARKET off a model family."),
    "whatif": ("channelkg.cli.analysis", "What if: which markets lose or gain which models "
               "under a scenario."),
    "report": ("channelkg.cli.analysis", "Write a research brief on a market or a provider "
               "(Markdown, HTML or JSON)."),
    "docs": ("channelkg.cli.analysis", "Write HTML documentation of the ontology: classes, "
             "properties, vocabularies, shapes."),
    "infer": ("channelkg.cli.analysis", "Print only the triples that reasoning derives "
              "(nothing is written to the graph)."),
    "rules": ("channelkg.cli.analysis", "List the shipped CONSTRUCT rules (used by --reason "
              "rules and `channelkg infer`)."),
    "load": ("channelkg.cli.serve", "Build or update a persistent Oxigraph store from FILES "
             "(default: the bundled graph)."),
    "push": ("channelkg.cli.serve", "Upload FILES (default: the bundled graph and ontology) "
             "to a SPARQL 1.1 server."),
    "serve": ("channelkg.cli.serve", "Serve the graph as a read-only SPARQL 1.1 endpoint with "
              "a query page."),
    "check": ("channelkg.cli.check", "Run the data-quality rules on the graph and list what "
              "they find."),
}

#: ``ctx.meta`` key set while ``--help`` lists the commands (summaries, no imports).
_LISTING = "channelkg.listing"


def load_commands() -> dict[str, click.Command]:
    """Import every command's module; return all commands by name, in :data:`COMMANDS` order."""
    for module, _ in COMMANDS.values():
        importlib.import_module(module)
    return {name: cli.commands[name] for name in cli.list_commands(click.Context(cli))}


__all__ = ["COMMANDS", "CONTEXT", "cli", "emit", "graph_options", "load_commands", "main",
           "open_graph", "parse_params"]


def main() -> None:
    """Entry point of the ``channelkg`` script and ``python -m channelkg``."""
    try:
        cli(prog_name="channelkg")
    except BrokenPipeError:
        sys.exit(0)
