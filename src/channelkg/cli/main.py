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
from channelkg.cli.entry import COMMANDS, HELP, HELP_NAMES, MAX_WIDTH, VERSION_HELP
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
from channelkg.cli.runner import (
    DEFAULT_TIMEOUT,
    INTERRUPTED,
    failure,
    graph_spec,
    open_graph,
    query_command,
)
from channelkg.errors import ChannelKGError, CheckFailedError

if TYPE_CHECKING:
    from pathlib import Path

CONTEXT = {"help_option_names": list(HELP_NAMES), "max_content_width": MAX_WIDTH}


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
            message, code = failure(err)
            if message is None:  # the command's output already says what failed
                raise click.exceptions.Exit(code) from None
            raise click_error(message, code) from None
        except KeyboardInterrupt:
            raise click_error(*INTERRUPTED) from None
        finally:
            if queries is not None and token is not None:
                queries.QUERY_TIMEOUT.reset(token)


@click.group(cls=_Group, context_settings=CONTEXT, help=HELP)
@click.version_option(package_name="channelkg", help=VERSION_HELP)
def cli() -> None:
    """The ``channelkg`` group (its help: :data:`channelkg.cli.entry.HELP`)."""


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
    default=DEFAULT_TIMEOUT,
    show_default=True,
    metavar="SECONDS",
    expose_value=False,
    callback=_set_timeout,
    help="Stop a SPARQL query that runs longer than this (exit 2); 0: no limit.",
)


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

    A shipped query with only --param and --format prints from the result cache while
    nothing it reads has changed (CHANNELKG_CACHE_DIR=off: no cache; docs/formats.md).
    """
    query_command(query_spec, parse_params(params), fmt, allow_service=allow_service,
                  output=output, graph=graph)


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
    help="Validate N focus nodes drawn at random from the IRIs the shapes target (as "
    "--focus; all of them if there are fewer). Blank-node focus nodes are not sampled. "
    "The summary says how many of how many.",
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


#: ``ctx.meta`` key set while ``--help`` lists the commands (summaries, no imports).
_LISTING = "channelkg.listing"


def load_commands() -> dict[str, click.Command]:
    """Import every command's module; return all commands by name, in :data:`COMMANDS` order."""
    for module, _ in COMMANDS.values():
        importlib.import_module(module)
    return {name: cli.commands[name] for name in cli.list_commands(click.Context(cli))}


__all__ = ["COMMANDS", "CONTEXT", "cli", "emit", "graph_options", "graph_spec", "load_commands",
           "main", "open_graph", "parse_params"]


def main() -> None:
    """Run the click group on the command line (:func:`channelkg.cli.entry.main` does, for
    every command line it does not answer itself)."""
    try:
        cli(prog_name="channelkg")
    except BrokenPipeError:
        sys.exit(0)
