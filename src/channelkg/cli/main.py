"""The ``channelkg`` command line: a thin layer over the library.

Each command parses its options, makes one library call and prints the result.
Exit codes: 0 success, 1 a check failed, 2 usage or input error.
"""

from __future__ import annotations

import functools
import importlib
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from channelkg.errors import ChannelKGError

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


class _Group(click.Group):
    """Lists commands in the order they were added, and turns library errors
    (:class:`ChannelKGError`) into one-line click errors with the right exit code."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(self.commands)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ChannelKGError as err:
            exc = click.ClickException(str(err))
            exc.exit_code = err.exit_code
            raise exc from None
        except KeyboardInterrupt:
            exc = click.ClickException("interrupted (Ctrl-C); nothing was written")
            exc.exit_code = 130
            raise exc from None


@click.group(cls=_Group, context_settings=CONTEXT)
@click.version_option(package_name="channelkg")
def cli() -> None:
    """channelkg: how frontier AI models reach markets, as a sourced knowledge graph.

    Every command reads the bundled graph (graphs/*.ttl plus the ontology) unless
    you pass --data FILE (repeatable). Exit codes: 0 ok, 1 check failed, 2 bad input.
    """


def graph_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """Options shared by every command that reads the graph.

    The decorated command receives ``data, engine, store, as_of, reason`` keyword
    arguments; pass them all to :func:`open_graph`.
    """

    @click.option(
        "--data",
        "-d",
        "data",
        multiple=True,
        type=click.Path(path_type=Path),
        help="RDF file or folder to read (repeatable). Default: the bundled graphs/*.ttl.",
    )
    @click.option(
        "--engine",
        type=click.Choice(["oxigraph", "rdflib"]),
        default="oxigraph",
        show_default=True,
        help="Query engine for file data.",
    )
    @click.option(
        "--store",
        metavar="STORE",
        default=None,
        help="Read from a store instead of files: oxigraph:PATH or sparql:URL.",
    )
    @click.option(
        "--as-of",
        "as_of",
        metavar="YYYY-MM-DD",
        default=None,
        help="See only facts valid on that date (validFrom <= date < validTo).",
    )
    @click.option(
        "--reason",
        type=click.Choice(["none", "rdfs", "owlrl", "rules", "owlrl+rules"]),
        default="none",
        show_default=True,
        help="Add RDFS or OWL-RL entailments, or what the rules in rules/*.rq derive "
        "(never written back).",
    )
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return func(*args, **kwargs)

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


def open_graph(
    data: tuple[Path, ...] = (),
    engine: str = "oxigraph",
    store: str | None = None,
    as_of: str | None = None,
    reason: str = "none",
    **_: Any,
) -> Any:
    """Load the graph selected by :func:`graph_options`: files or a store, then
    the as-of filter, then reasoning."""
    if store:
        if data:
            raise click.UsageError("use either --data or --store, not both")
        from channelkg.graph.remote import open_store

        kg = open_store(store)
    else:
        from channelkg.graph.memory import load

        kg = load(list(data) or None, engine=engine)
    if as_of:
        from channelkg.analysis.history import as_of as filter_as_of

        kg = filter_as_of(kg, as_of)
    if reason != "none":
        from channelkg.sparql.reason import expand

        kg = expand(kg, reason)
    return kg


def parse_params(values: tuple[str, ...]) -> dict[str, str]:
    out: dict[str, str] = {}
    for v in values:
        if "=" not in v:
            raise click.BadParameter(f"{v!r} is not NAME=VALUE", param_hint="--param")
        k, val = v.split("=", 1)
        out[k.strip()] = val
    return out


@cli.command(context_settings=CONTEXT)
@click.argument("query_spec", metavar="QUERY")
@click.option(
    "--param",
    "-p",
    "params",
    multiple=True,
    metavar="NAME=VALUE",
    help="Bind a query parameter (repeatable).",
)
@click.option(
    "--format",
    "-f",
    "fmt",
    type=click.Choice(["table", "csv", "tsv", "json", "md", "turtle", "json-ld", "nt"]),
    default="table",
    show_default=True,
    help="Output format: table/csv/tsv/json/md for SELECT, turtle/json-ld/nt for CONSTRUCT.",
)
@click.option("--allow-service", is_flag=True, help="Permit SPARQL SERVICE (contacts other hosts).")
@click.option("--output", "-o", type=click.Path(path_type=Path), help="Write to a file instead.")
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
    """Run QUERY: a shipped query name, a .rq file, or inline SPARQL text.

    \b
    Examples:
      channelkg query seed-table
      channelkg query routes-into --param market=HK --format csv
      channelkg query my.rq
      channelkg query 'SELECT ?s WHERE { ?s a <https://w3id.org/channelkg/ontology#Market> }'
    """
    from channelkg.render.results import render
    from channelkg.sparql.query import query as run_query

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
    emit(render(result, fmt), output)
    if result.kind == "ASK" and not result.boolean:
        sys.exit(1)


def emit(text: str, output: Path | None) -> None:
    """Print, or write atomically to ``output``."""
    if output is None:
        click.echo(text, nl=False)
        return
    from channelkg.rdf.fileio import atomic_write_text

    atomic_write_text(output, text)
    click.echo(f"wrote {output}", err=True)


@cli.command(context_settings=CONTEXT)
@click.option(
    "--format",
    "-f",
    "fmt",
    type=click.Choice(["table", "md"]),
    default="table",
    show_default=True,
    help="Aligned table, or a Markdown table.",
)
def queries(fmt: str) -> None:
    """List the shipped named queries with their description and parameters."""
    from channelkg.render.results import markdown, table
    from channelkg.sparql.query import list_queries

    rows = []
    for nq in list_queries():
        params = "; ".join(
            f"{p.name} ({p.type}"
            + (f', default "{p.default}"' if p.default is not None else "")
            + (", optional" if p.optional else "")
            + (", required" if p.required else "")
            + f"): {p.description}"
            for p in nq.params
        )
        rows.append([nq.name, f"{nq.title}. {nq.description}", params or "none"])
    render = markdown if fmt == "md" else table
    click.echo(render(["name", "description", "parameters"], rows), nl=False)


@cli.command(context_settings=CONTEXT)
@click.argument("files", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--shapes", type=click.Path(path_type=Path), help="SHACL shapes (default: ontology/shapes.ttl)."
)
@click.option(
    "--ontology", type=click.Path(path_type=Path), help="Ontology (default: channelkg.ttl)."
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
def validate(
    files: tuple[Path, ...], shapes: Path | None, ontology: Path | None, reason: str = "none",
    store: str | None = None,
) -> None:
    """Check FILES (default: the bundled graph): syntax, literals, ckg: terms, SHACL.

    Prints one line per problem (file:line, focus node, property, message) and exits 1
    if there is any.
    """
    from channelkg.check.validate import validate as run_validate

    for p in (shapes, ontology):
        if p is not None and not p.exists():
            raise click.BadParameter(f"no such file: {p}")
    if store:
        if files:
            raise click.UsageError("give FILES or --store, not both")
        from channelkg.sparql.reason import entailments

        kg = open_graph(store=store)
        graph = kg.to_rdflib()
        extra = entailments(kg, reason) if reason != "none" else None
        report = run_validate(graph=graph, source=store, shapes=shapes, ontology=ontology,
                              extra=extra)
        click.echo(report.text, nl=False)
        if not report.conforms:
            sys.exit(1)
        return
    extra = None
    if reason != "none":
        from channelkg.errors import InputError
        from channelkg.graph.memory import load
        from channelkg.sparql.reason import entailments

        try:
            extra = entailments(load(list(files) or None), reason)
        except InputError:
            extra = None  # unreadable input: the syntax check below reports it
    report = run_validate(list(files) or None, shapes=shapes, ontology=ontology, extra=extra)
    click.echo(report.text, nl=False)
    if not report.conforms:
        sys.exit(1)


# Commands defined in other modules register themselves on ``cli`` when imported.
for _name in ("view", "edit", "analysis", "serve"):
    importlib.import_module(f"channelkg.cli.{_name}")


def main() -> None:
    """Entry point of the ``channelkg`` script and ``python -m channelkg``."""
    try:
        cli(prog_name="channelkg")
    except BrokenPipeError:
        sys.exit(0)
