"""``channelkg view`` (HTML graph pages) and ``channelkg export-graphml``."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from channelkg.cli import complete
from channelkg.cli.main import CONTEXT, cli, graph_options, open_graph, timeout_option
from channelkg.cli.options import (
    emit,
    emit_bytes,
    is_stdio,
    output_option,
    param_option,
    parse_params,
)
from channelkg.cli.progress import Progress
from channelkg.collect import paused_gc, skip_collection_at_exit

if TYPE_CHECKING:
    from channelkg.render.selection import Selection

def selection_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """Options that choose what part of the graph to draw or export."""

    @click.option(
        "--market",
        metavar="ISO",
        shell_complete=complete.markets,
        help="A market by ISO code (CN) or node: the "
        "market, routes into it, their models, services, sellers, operators, "
        "partnerships and restrictions.",
    )
    @click.option(
        "--provider",
        metavar="ORG",
        shell_complete=complete.organizations,
        help="An organization (microsoft or "
        "kgid:microsoft): its services, models, partnerships and routes.",
    )
    @click.option("--around", metavar="NODE", shell_complete=complete.entities,
                  help="Everything within --depth hops of NODE.")
    @click.option(
        "--depth",
        type=click.IntRange(0, 20),
        default=1,
        show_default=True,
        help="Hops for --around.",
    )
    @click.option(
        "--class",
        "classes",
        multiple=True,
        metavar="CLASS",
        help="Keep nodes of CLASS (e.g. ckg:AccessRoute; subclasses included) and "
        "their neighbours (repeatable).",
    )
    @click.option(
        "--query",
        "query_file",
        metavar="QUERY",
        shell_complete=complete.query_names,
        help="Draw the result of a CONSTRUCT, or the nodes in the IRI cells of a SELECT "
        "(a named query, a .rq file or SPARQL text).",
    )
    @param_option("Bind a parameter of --query (repeatable).")
    @click.option(
        "--collapse",
        is_flag=True,
        help="Draw claims (routes, partnerships, "
        "restrictions, assessments) as labelled edges instead of nodes.",
    )
    @click.option(
        "--sources",
        "with_sources",
        is_flag=True,
        help="Also draw sources as nodes (they are always in the tooltips).",
    )
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return func(*args, **kwargs)

    return wrapper


def _selection(
    market: str | None,
    provider: str | None,
    around: str | None,
    depth: int,
    classes: tuple[str, ...],
    query_file: str | None,
    params: tuple[str, ...],
) -> Selection:
    """The :class:`~channelkg.render.selection.Selection` the options describe."""
    from channelkg.render.selection import Selection

    return Selection(
        market=market,
        provider=provider,
        around=around,
        depth=depth,
        classes=tuple(classes),
        query=query_file,
        params=tuple(sorted(parse_params(params).items())),
    )


@cli.command(context_settings=CONTEXT)
@selection_options
@output_option(
    "HTML file to write ('-': standard output; with --all-shipped: a folder). "
    "Default: graphs/views/<selection>.html."
)
@click.option(
    "--channels",
    is_flag=True,
    help="Draw a channel map of --market: every access route (as `channelkg routes` "
    "lists them) as a path through columns developer, model, partnership, seller, "
    "service, operator/host, market; closed routes end at the restriction that blocks "
    "them. Default file: graphs/views/channels-[MODEL-]MARKET.html.",
)
@click.option(
    "--model",
    metavar="MODEL",
    help="With --channels: only the routes of this model, family or developer "
    "(default: every model family reaching the market, one band each).",
)
@click.option("--title", help="Page title (default: from the selection).")
@click.option(
    "--graphml",
    type=click.Path(path_type=Path, allow_dash=True),
    metavar="FILE",
    help="Also write the drawn graph as GraphML ('-': standard output).",
)
@click.option(
    "--physics-threshold",
    type=click.IntRange(0),
    default=300,
    show_default=True,
    help="Above this many nodes: fast precomputed layout, physics off.",
)
@click.option("--seed", type=int, default=1, show_default=True, help="Layout seed.")
@click.option(
    "--max-nodes",
    type=click.IntRange(1),
    default=3000,
    show_default=True,
    help="Draw at most this many nodes: a larger selection keeps the node it is about "
    "(market, provider, --around node) and its most connected nodes (a channel map: "
    "whole routes, open first, in the order of `channelkg routes`), and the page "
    "title and standard error say how many of how many are drawn.",
)
@click.option(
    "--ontology",
    "ontology_file",
    type=click.Path(path_type=Path),
    help="Extra ontology file for class colours, shapes and labels.",
)
@click.option(
    "--all-shipped",
    is_flag=True,
    help="Write the standard views (China market, "
    "Microsoft, whole graph) and the channel maps of GPT, Claude, Gemini and Qwen "
    "into CN and HK into graphs/views/ (or the -o folder).",
)
@timeout_option
@graph_options
def view(
    market: str | None,
    provider: str | None,
    around: str | None,
    depth: int,
    classes: tuple[str, ...],
    query_file: str | None,
    params: tuple[str, ...],
    collapse: bool,
    with_sources: bool,
    output: Path | None,
    channels: bool,
    model: str | None,
    title: str | None,
    graphml: Path | None,
    physics_threshold: int,
    seed: int,
    max_nodes: int,
    ontology_file: Path | None,
    all_shipped: bool,
    **graph: Any,
) -> None:
    """Write a self-contained HTML page that draws (part of) the graph.

    Nodes are coloured and shaped by class (ckg:viewColor / ckg:viewShape in the
    ontology), edges labelled, tooltips show dates, status and source links; the page
    has a legend, search, class and status filters, a time slider (the graph as
    --as-of a day would draw it), a details panel (sources, dates, relations),
    neighbourhood focus, links that reopen the same view and PNG/SVG export, and
    loads nothing from the network.

    \b
    Examples:
      channelkg view --market CN
      channelkg view --provider microsoft --collapse
      channelkg view --around kgid:gpt --depth 2 -o gpt.html
      channelkg view --class ckg:AccessRoute --class ckg:Restriction
      channelkg view --query routes-into -p market=HK -o -
      channelkg view --channels --market CN --model gpt
      channelkg view --channels --market HK
      channelkg view --all-shipped
    """
    from channelkg.render.views import PageOptions, build_views, check_selection

    sel = _selection(market, provider, around, depth, classes, query_file, params)
    if channels or model:
        _check_channels(sel, channels, collapse, with_sources, all_shipped)
        _channel_page(sel.market or "", model, output, title, graphml, max_nodes, graph)
        return
    if all_shipped and (graphml or is_stdio(output)):
        raise click.UsageError("--all-shipped writes files into a folder; drop --graphml or -o -")
    if is_stdio(output) and is_stdio(graphml):
        raise click.UsageError("only one of -o and --graphml can be standard output")
    if ontology_file is not None and not ontology_file.is_file():
        raise click.BadParameter(f"no such file: {ontology_file}", param_hint="--ontology")
    check_selection(sel)  # an unknown query fails before loading
    options = PageOptions(collapse=collapse, with_sources=with_sources, title=title,
                          as_of=graph.get("as_of"), physics_threshold=physics_threshold,
                          seed=seed, ontology=ontology_file, max_nodes=max_nodes)
    bar = Progress()  # on a terminal only
    with paused_gc():  # through the writing: the pages are most of what is alive
        with bar.step("building the view"):
            pages = build_views(open_graph(**graph), sel, output=output,
                                all_shipped=all_shipped, options=options, progress=bar)
        _write(pages, graphml)
    skip_collection_at_exit()


def _channel_page(market: str, model: str | None, output: Path | None, title: str | None,
                  graphml: Path | None, max_nodes: int, graph: dict[str, Any]) -> None:
    """Write the channel map of ``model`` (every family if None) into ``market``."""
    from channelkg.render.channel_page import channel_view

    with paused_gc():  # through the writing, as for a view
        page = channel_view(open_graph(**graph), market, model, path=output, title=title,
                            as_of=graph.get("as_of"), max_nodes=max_nodes)
        _write([page], graphml)
    skip_collection_at_exit()


def _write(pages: list[Any], graphml: Path | None) -> None:
    """Write each page (and its GraphML, if asked), saying when it draws part of its
    selection."""
    for page in pages:
        _say_if_capped(page)
        emit(page.html, page.path)
        if graphml:
            from channelkg.render.views import graphml_bytes

            emit_bytes(graphml_bytes(page.graph), graphml)


def _say_if_capped(page: Any) -> None:
    """One line on standard error when the page draws part of its selection."""
    from channelkg.render.views import drawn_note

    note = drawn_note(page.graph)
    if note:
        where = "view" if is_stdio(page.path) else page.path
        click.echo(f"{where}: {note}", err=True)


def _check_channels(sel: Selection, channels: bool, collapse: bool, with_sources: bool,
                    all_shipped: bool) -> None:
    """--channels draws one market: refuse options that choose or draw something else."""
    if not channels:
        raise click.UsageError("--model chooses the routes of a channel map: add --channels")
    if not sel.market:
        raise click.UsageError("--channels needs --market (e.g. --channels --market CN)")
    others = sel.provider or sel.around or sel.classes or sel.query
    if others or collapse or with_sources or all_shipped:
        raise click.UsageError(
            "--channels takes --market and --model only (not --provider, --around, "
            "--class, --query, --collapse, --sources or --all-shipped)")


@cli.command("export-graphml", context_settings=CONTEXT)
@selection_options
@output_option("GraphML file to write ('-' or none: standard output).")
@timeout_option
@graph_options
def export_graphml(
    market: str | None,
    provider: str | None,
    around: str | None,
    depth: int,
    classes: tuple[str, ...],
    query_file: str | None,
    params: tuple[str, ...],
    collapse: bool,
    with_sources: bool,
    output: Path | None,
    **graph: Any,
) -> None:
    """Export (part of) the graph as GraphML, with the same selection options as `view`.

    List attributes (sources, classes) are joined with " | " because GraphML holds
    only scalar values.

    \b
    Examples:
      channelkg export-graphml -o channels.graphml
      channelkg export-graphml --market CN --collapse -o cn.graphml
    """
    from channelkg.render.views import check_selection, graphml_bytes, project

    sel = _selection(market, provider, around, depth, classes, query_file, params)
    check_selection(sel)  # an unknown query fails before loading
    bar = Progress()  # on a terminal only
    with bar.step("projecting the graph"):
        g = project(open_graph(**graph), sel, collapse=collapse, with_sources=with_sources,
                    progress=bar)
    emit_bytes(graphml_bytes(g), output)
