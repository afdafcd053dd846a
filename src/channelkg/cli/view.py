"""``channelkg view`` (HTML graph pages) and ``channelkg export-graphml``."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from channelkg.cli.main import CONTEXT, cli, emit, graph_options, open_graph, timeout_option

#: The views ``--all-shipped`` writes: (file stem, selection keyword arguments).
SHIPPED_VIEWS: tuple[tuple[str, dict[str, Any]], ...] = (
    ("market-cn", {"market": "CN"}),
    ("provider-microsoft", {"provider": "microsoft"}),
    ("all", {}),
)


def selection_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """Options that choose what part of the graph to draw or export."""

    @click.option(
        "--market",
        metavar="ISO",
        help="A market by ISO code (CN) or node: the "
        "market, routes into it, their models, services, sellers, operators, "
        "partnerships and restrictions.",
    )
    @click.option(
        "--provider",
        metavar="ORG",
        help="An organization (microsoft or "
        "kgid:microsoft): its services, models, partnerships and routes.",
    )
    @click.option("--around", metavar="NODE", help="Everything within --depth hops of NODE.")
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
        help="Draw the result of a CONSTRUCT, or the nodes in the IRI cells of a SELECT "
        "(a named query, a .rq file or SPARQL text).",
    )
    @click.option(
        "--param",
        "-p",
        "params",
        multiple=True,
        metavar="NAME=VALUE",
        help="Bind a parameter of --query (repeatable).",
    )
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
) -> Any:
    from channelkg.cli.main import parse_params
    from channelkg.render.network import Selection

    return Selection(
        market=market,
        provider=provider,
        around=around,
        depth=depth,
        classes=tuple(classes),
        query=query_file,
        params=tuple(sorted(parse_params(params).items())),
    )


def _project(kg: Any, sel: Any, collapse: bool, with_sources: bool) -> Any:
    from channelkg.render.network import collapse_claims, select, to_networkx

    t0 = time.perf_counter()
    full = to_networkx(kg, sources=with_sources)
    graph = select(full, sel, kg)
    if collapse:
        graph = collapse_claims(graph)
    click.echo(
        f"projected {graph.number_of_nodes()} nodes, {graph.number_of_edges()} edges "
        f"({time.perf_counter() - t0:.2f} s)",
        err=True,
    )
    return graph


def _suffix(collapse: bool, as_of: str | None) -> str:
    return ("-collapsed" if collapse else "") + (f"-as-of-{as_of}" if as_of else "")


@cli.command(context_settings=CONTEXT)
@selection_options
@click.option(
    "--output",
    "-o",
    type=click.Path(path_type=Path),
    help="HTML file to write (with --all-shipped: a folder). "
    "Default: graphs/views/<selection>.html.",
)
@click.option("--title", help="Page title (default: from the selection).")
@click.option(
    "--graphml",
    type=click.Path(path_type=Path),
    metavar="FILE",
    help="Also write the drawn graph as GraphML.",
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
    "--ontology",
    "ontology_file",
    type=click.Path(path_type=Path),
    help="Extra ontology file for class colours, shapes and labels.",
)
@click.option(
    "--all-shipped",
    is_flag=True,
    help="Write the standard views (China market, "
    "Microsoft, whole graph) into graphs/views/ (or the -o folder).",
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
    title: str | None,
    graphml: Path | None,
    physics_threshold: int,
    seed: int,
    ontology_file: Path | None,
    all_shipped: bool,
    **graph: Any,
) -> None:
    """Write a self-contained HTML page that draws (part of) the graph.

    Nodes are coloured and shaped by class (ckg:viewColor / ckg:viewShape in the
    ontology), edges labelled, tooltips show dates, status and source links; the page
    has a legend, search, class and status filters and neighbourhood focus, and loads
    nothing from the network.

    \b
    Examples:
      channelkg view --market CN
      channelkg view --provider microsoft --collapse
      channelkg view --around kgid:gpt --depth 2 -o gpt.html
      channelkg view --class ckg:AccessRoute --class ckg:Restriction
      channelkg view --query my-construct.rq
      channelkg view --all-shipped
    """
    from channelkg import resources
    from channelkg.render.network import Selection, write_graphml
    from channelkg.render.page import write_html

    if ontology_file is not None and not ontology_file.is_file():
        raise click.BadParameter(f"no such file: {ontology_file}", param_hint="--ontology")
    sel = _selection(market, provider, around, depth, classes, query_file, params)
    if all_shipped and not sel.empty:
        raise click.UsageError("--all-shipped draws fixed selections; drop the other options")
    if all_shipped and graphml:
        raise click.UsageError("--all-shipped cannot be combined with --graphml")
    if query_file:
        from channelkg.sparql.query import resolve

        resolve(query_file)  # an unknown name or a missing file fails before loading

    kg = open_graph(**graph)
    suffix = _suffix(collapse, graph.get("as_of"))
    jobs: list[tuple[Any, Path]] = []
    if all_shipped:
        folder = output or resources.graphs_dir() / "views"
        for stem, kwargs in SHIPPED_VIEWS:
            jobs.append((Selection(**kwargs), folder / f"{stem}{suffix}.html"))
    else:
        path = output or resources.graphs_dir() / "views" / f"{sel.slug()}{suffix}.html"
        jobs.append((sel, path))

    from channelkg.render.network import find_node

    for s, path in jobs:
        g = _project(kg, s, collapse, with_sources)
        t0 = time.perf_counter()
        start = find_node(g, s.around) if s.around else None
        label = str(g.nodes[start].get("label") or start) if start in g else None
        page_title = title or (s.title(label) + (" (claims collapsed)" if collapse else ""))
        if graph.get("as_of"):
            page_title += f", as of {graph['as_of']}"
        write_html(
            g,
            path,
            title=page_title,
            physics_threshold=physics_threshold,
            seed=seed,
            ontology=ontology_file,
            start=start,
        )
        click.echo(f"wrote {path} ({time.perf_counter() - t0:.2f} s)", err=True)
        if graphml:
            write_graphml(g, graphml)
            click.echo(f"wrote {graphml}", err=True)


@cli.command("export-graphml", context_settings=CONTEXT)
@selection_options
@click.option(
    "--output",
    "-o",
    type=click.Path(path_type=Path),
    help="GraphML file to write (default: standard output).",
)
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
    import io

    import networkx as nx

    from channelkg.render.network import to_graphml_graph, write_graphml

    sel = _selection(market, provider, around, depth, classes, query_file, params)
    if query_file:
        from channelkg.sparql.query import resolve

        resolve(query_file)  # an unknown name or a missing file fails before loading
    kg = open_graph(**graph)
    g = _project(kg, sel, collapse, with_sources)
    if output is not None:
        write_graphml(g, output)
        click.echo(f"wrote {output}", err=True)
        return
    buf = io.BytesIO()
    nx.write_graphml(to_graphml_graph(g), buf)
    emit(buf.getvalue().decode("utf-8"), None)
