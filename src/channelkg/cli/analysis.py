"""Analysis commands: routes, spof, whatif, report, docs, infer, rules."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from channelkg.cli import complete
from channelkg.cli.main import CONTEXT, cli, graph_options, open_graph
from channelkg.cli.options import (
    RDF_FORMATS,
    emit,
    format_option,
    is_stdio,
    on_option,
    output_option,
    progress,
)
from channelkg.cli.terminal import render_table, table_style
from channelkg.collect import paused_gc

if TYPE_CHECKING:
    import datetime as dt


_F = TypeVar("_F", bound=Callable[..., Any])


def _no_cycle_collection(func: _F) -> _F:
    """Run the command with Python's cycle collector paused (see
    :mod:`channelkg.collect`); it is resumed when the command ends."""
    @functools.wraps(func)
    def run(*args: Any, **kwargs: Any) -> Any:
        with paused_gc():
            return func(*args, **kwargs)

    return run  # type: ignore[return-value]


def _day(on: str | None, graph: dict[str, Any]) -> dt.date | None:
    """The day of ``--on``, else of ``--as-of``, else None (today)."""
    from channelkg.model.dates import option_day

    return option_day(on, graph.get("as_of"))


@cli.command(context_settings=CONTEXT)
@click.option("--model", "-m", metavar="MODEL",
              shell_complete=complete.models,
              help="Model, model family or developer: slug, CURIE, IRI or label "
              "(default: all models).")
@click.option("--market", "-k", metavar="MARKET",
              shell_complete=complete.markets,
              help="Market: ISO code, slug, CURIE, IRI or label (default: all markets).")
@click.option("--open-only", is_flag=True, help="Show open routes only.")
@on_option
@format_option()
@output_option()
@graph_options
@_no_cycle_collection
def routes(model: str | None, market: str | None, open_only: bool, on: str | None, fmt: str,
           output: Path | None, **graph: Any) -> None:
    """List every route by which a model reaches a market.

    Direct sales, cloud partners and their local operators, resellers and self-hosted
    open weights, each with its status, dates, sources, open or closed, and the
    restrictions that bear on it (that block it, or that apply to its service, model or
    seller in that market). Two routes that are accounts of one channel
    (ckg:sameChannelAs: their sources differ on its details) name each other under
    "same channel as". --format json prints one route record per route, the same
    record as spof and whatif print (docs/formats.md).

    \b
    Examples:
      channelkg routes --model openai --market CN
      channelkg routes --model kgid:gpt --market "Mainland China" --format md
      channelkg routes --market HK --open-only --format json
    """
    from channelkg.analysis.routes import routes as find_routes
    from channelkg.render.tables import Table

    if not model and not market:
        raise click.UsageError("give --model, --market or both")
    kg = open_graph(**graph)
    res = find_routes(kg, model, market, on=_day(on, graph), only_open=open_only)
    emit(render_table(Table.of(res.HEADERS, res.rows(), res.as_dict()), fmt, output), output)


@cli.command(context_settings=CONTEXT)
@click.option("--market", "-k", required=True, metavar="MARKET",
              shell_complete=complete.markets,
              help="Market: ISO code, slug, CURIE, IRI or label.")
@click.option("--model", "-m", metavar="MODEL",
              shell_complete=complete.models,
              help="Model, family or developer (default: every family with a route there).")
@click.option("--all", "show_all", is_flag=True,
              help="Also list families whose routes into the market are all closed.")
@on_option
@format_option()
@output_option()
@graph_options
@_no_cycle_collection
def spof(market: str, model: str | None, show_all: bool, on: str | None, fmt: str,
         output: Path | None, **graph: Any) -> None:
    """Single points of failure: what, if removed, cuts MARKET off a model family.

    Builds a channel graph of the open routes (model → partnerships the route depends
    on → seller → service provider → service → local operator → market) and reports
    the nodes that every path passes (dominators of the market). When there is no
    single point of failure the minimum set of nodes whose removal cuts the market off
    is shown instead. Dependency-risk assessments in the data that concern those nodes
    are listed as corroboration. Open routes are counted as channels: two accounts of
    one channel (ckg:sameChannelAs) count once. --format json gives each family's open
    routes as route records (docs/formats.md).

    \b
    Examples:
      channelkg spof --market CN --model gpt
      channelkg spof --market CN --format json
    """
    from channelkg.analysis.spof import single_points_of_failure
    from channelkg.render.tables import spof_table

    kg = open_graph(**graph)
    results = single_points_of_failure(kg, market, model, on=_day(on, graph),
                                       include_cut_off=show_all)
    emit(render_table(spof_table(results, market), fmt, output), output)


@cli.command(context_settings=CONTEXT)
@click.option("--end", "end", multiple=True, metavar="PARTNERSHIP",
              shell_complete=complete.partnerships,
              help="A partnership ends (repeatable): routes that depend on it close.")
@click.option("--add-restriction", "restrictions", multiple=True, metavar="KEY=VALUE,...",
              help="A new restriction closes every route it matches (repeatable). Keys: "
              "provider/org, seller, operator, model, developer, service, market, kind; "
              "e.g. provider=microsoft,market=CN.")
@click.option("--block-service", "block_services", multiple=True, metavar="SERVICE",
              shell_complete=complete.services,
              help="A service is blocked everywhere (repeatable).")
@click.option("--remove", "remove", multiple=True, metavar="ORG",
              shell_complete=complete.organizations,
              help="An organization disappears (repeatable): as seller, provider, operator, "
              "developer and partnership party.")
@click.option("--lift", "lift", multiple=True, metavar="RESTRICTION",
              shell_complete=complete.restrictions,
              help="A restriction is lifted (repeatable): routes it alone blocks reopen.")
@click.option("--all", "show_all", is_flag=True, help="Also list unchanged market/model pairs.")
@click.option("--view", "view", type=click.Path(path_type=Path), default=None,
              help="Also write an HTML view that highlights the routes that close or open.")
@on_option
@format_option()
@output_option()
@graph_options
@_no_cycle_collection
def whatif(end: tuple[str, ...], restrictions: tuple[str, ...], block_services: tuple[str, ...],
           remove: tuple[str, ...], lift: tuple[str, ...], show_all: bool, view: Path | None,
           on: str | None, fmt: str, output: Path | None, **graph: Any) -> None:
    """What if: which markets lose or gain which models under a scenario.

    Nothing is written to the graph; the scenario is applied to the set of open routes
    and the before/after access of every market to every model is compared. Routes are
    counted as channels: two accounts of one channel (ckg:sameChannelAs) count once, and
    the channel stays open while one of them does ("fewer accounts"; the closing route
    names the account that keeps it open). --format json gives the routes that close or
    open as route records with a reason.

    \b
    Examples:
      channelkg whatif --end partnership-microsoft-openai
      channelkg whatif --add-restriction provider=microsoft,market=CN
      channelkg whatif --block-service azure-china --format md
      channelkg whatif --remove shanghai-blue-cloud --all
      channelkg whatif --lift fact-oai-1
    """
    from channelkg.analysis.whatif import Scenario
    from channelkg.analysis.whatif import whatif as run_whatif
    from channelkg.render.tables import whatif_table, whatif_text

    if is_stdio(view):
        raise click.BadParameter("the view is written to a file; give its name",
                                 param_hint="--view")
    kg = open_graph(**graph)
    scenario = Scenario(end=end, restrictions=restrictions, block_services=block_services,
                        remove=remove, lift=lift)
    res = run_whatif(kg, scenario, on=_day(on, graph), changed_only=not show_all)
    width, color = table_style(output)
    text = (whatif_text(res, all_rows=show_all, width=width, color=color) if fmt == "table"
            else whatif_table(res, all_rows=show_all).render(fmt))
    emit(text, output)
    if view is not None:
        from channelkg.analysis.whatif import render_whatif_view

        render_whatif_view(kg, res, view)
        click.echo(f"wrote {view}", err=True)


@cli.command(context_settings=CONTEXT)
@click.option("--market", "-k", metavar="MARKET",
              shell_complete=complete.markets, help="Write the brief on a market (e.g. CN).")
@click.option("--provider", metavar="ORG",
              shell_complete=complete.organizations, help="Write the brief on an organization.")
@format_option(("md", "html", "json"), "md",
               "Markdown, a self-contained offline HTML page, or JSON.")
@click.option("--html", "html", is_flag=True, help="Same as --format html.")
@click.option("--source", "source", default="kgid:source-seed", show_default=True,
              metavar="SOURCE", help="Source whose comparison table is reproduced.")
@on_option
@output_option("Output file (default: graphs/reports/<market-or-provider>.md, .html or "
               ".json); '-' prints to standard output. Without --format, a name ending in "
               ".html or .json picks that format.")
@graph_options
@_no_cycle_collection
def report(market: str | None, provider: str | None, fmt: str, html: bool, source: str,
           on: str | None, output: Path | None, **graph: Any) -> None:
    """Write a research brief on a market or a provider (Markdown, HTML or JSON).

    The brief holds the comparison table (provider | direct sales | model access route |
    geopolitical risk), the routes with their status and sources, restrictions, single
    points of failure, a timeline of dated claims and the numbered sources with URLs.
    On a terminal, progress shows on standard error while the brief is written.

    \b
    Examples:
      channelkg report --market CN
      channelkg report --market CN --format html -o brief.html
      channelkg report --provider microsoft -o -
      channelkg report --market HK --format json -o -
    """
    from channelkg import resources
    from channelkg.rdf.terms import shorten
    from channelkg.render.brief import build_report
    from channelkg.render.tables import brief_json

    if bool(market) == bool(provider):
        raise click.UsageError("give exactly one of --market or --provider")
    if html:
        fmt = "html"
    elif output is not None and not _format_given(click.get_current_context()):
        # `-o brief.html` without --format: the file name says which format.
        fmt = {".html": "html", ".htm": "html", ".json": "json"}.get(output.suffix.lower(), fmt)
    from channelkg.cli.progress import Progress

    with Progress().step(f"writing the brief on {market or provider}"):  # on a terminal only
        kg = open_graph(**graph)
        doc = build_report(kg, market=market, provider=provider, source=source,
                           on=_day(on, graph))
    if fmt == "json":
        text = brief_json(doc)
    else:
        text = doc.to_html() if fmt == "html" else doc.to_markdown()
    if output is None:
        slug = shorten(doc.subject).split(":", 1)[-1]
        output = resources.output_dir("reports") / f"{slug}.{fmt}"
    emit(text, output)


def _format_given(ctx: click.Context) -> bool:
    """Whether ``--format`` was given (on the command line or by the environment)."""
    from click.core import ParameterSource

    return ctx.get_parameter_source("fmt") not in (ParameterSource.DEFAULT, None)


@cli.command(context_settings=CONTEXT)
@output_option("HTML file to write ('-' prints to standard output).", Path("docs/ontology.html"))
@click.option("--ontology", type=click.Path(path_type=Path),
              help="Ontology file (default: ontology/channelkg.ttl).")
@click.option("--shapes", type=click.Path(path_type=Path),
              help="SHACL shapes (default: ontology/shapes.ttl).")
@click.option("--data", "-d", "data", multiple=True, type=click.Path(path_type=Path),
              help="Data for example instances (repeatable; default: the bundled graph).")
@click.option("--no-examples", is_flag=True, help="Leave out example instances.")
def docs(output: Path, ontology: Path | None, shapes: Path | None, data: tuple[Path, ...],
         no_examples: bool) -> None:
    """Write HTML documentation of the ontology: classes, properties, vocabularies, shapes.

    Generated from the ontology and the shapes themselves, one self-contained offline
    file; an example instance per class is taken from the data.

    \b
    Examples:
      channelkg docs -o docs/ontology.html
      channelkg docs --data tests/data/channels.ttl -o -
    """
    from channelkg.render.docs import render_docs

    text = render_docs(ontology=ontology, shapes=shapes,
                       data=None if no_examples else (list(data) or None),
                       examples=not no_examples)
    emit(text, output)


@cli.command(context_settings=CONTEXT)
@click.option("--profile", "-r", default="rules", show_default=True,
              help="rdfs, owlrl, rules, or a '+' combination such as owlrl+rules.")
@click.option("--rules", "rule_files", multiple=True, type=click.Path(path_type=Path),
              help="Use these CONSTRUCT rule files or folders instead of the shipped rules "
              "(repeatable).")
@format_option(RDF_FORMATS, "turtle", "RDF syntax of the output.")
@output_option()
@graph_options(reason=False)  # --profile is this command's reasoning
def infer(profile: str, rule_files: tuple[Path, ...], fmt: str, output: Path | None,
          **graph: Any) -> None:
    """Print only the triples that reasoning derives (nothing is written to the graph).

    The graph's own triples are left out, so the output is what --reason PROFILE
    would add to other commands.

    \b
    Examples:
      channelkg infer                        # what the shipped rules derive
      channelkg infer --profile owlrl -f nt
      channelkg infer --rules my-rules/ -o derived.ttl
    """
    from channelkg.render.results import render
    from channelkg.sparql.query import QueryResult
    from channelkg.sparql.reason import entailments, load_rules

    kg = open_graph(**graph)
    rules = load_rules(list(rule_files)) if rule_files else None
    g = entailments(kg, profile, rules=rules, progress=True)
    emit(render(QueryResult("GRAPH", graph=g), fmt), output)
    progress(f"{len(g)} inferred triples")


@cli.command("rules", context_settings=CONTEXT)
@format_option()
@output_option()
def rules_cmd(fmt: str, output: Path | None) -> None:
    """List the shipped CONSTRUCT rules (used by --reason rules and `channelkg infer`).

    Each rule is a SPARQL CONSTRUCT in sparql/rules/*.rq; what it derives is never
    written back to the graph.

    \b
    Examples:
      channelkg rules
      channelkg rules --format json
    """
    from channelkg.render.tables import rules_table
    from channelkg.sparql.reason import list_rules

    emit(render_table(rules_table(list_rules()), fmt, output), output)
