"""Analysis commands: routes, spof, whatif, report, docs, infer, rules."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from channelkg.cli.main import CONTEXT, cli, emit, graph_options, open_graph

ROW_FORMATS = ["table", "csv", "json", "md"]


def _render_rows(headers: list[str], rows: list[list[str]], fmt: str, doc: Any) -> str:
    """Render display rows as table/csv/md, or ``doc`` as JSON."""
    from channelkg.render.results import render_rows

    return render_rows(headers, rows, fmt, doc)


def _format_option(func: Any) -> Any:
    return click.option(
        "--format", "-f", "fmt", type=click.Choice(ROW_FORMATS), default="table",
        show_default=True, help="Output format.",
    )(func)


def _output_option(func: Any) -> Any:
    return click.option(
        "--output", "-o", type=click.Path(path_type=Path), help="Write to a file instead."
    )(func)


def _on_option(func: Any) -> Any:
    return click.option(
        "--on", "on", metavar="YYYY-MM-DD", default=None,
        help="Judge which routes are open and which restrictions are in force on this day "
        "(default: the --as-of date, else today).",
    )(func)


@cli.command(context_settings=CONTEXT)
@click.option("--model", "-m", metavar="MODEL",
              help="Model, model family or developer: slug, CURIE, IRI or label "
              "(default: all models).")
@click.option("--market", "-k", metavar="MARKET",
              help="Market: ISO code, slug, CURIE, IRI or label (default: all markets).")
@click.option("--open-only", is_flag=True, help="Show open routes only.")
@_on_option
@_format_option
@_output_option
@graph_options
def routes(model: str | None, market: str | None, open_only: bool, on: str | None, fmt: str,
           output: Path | None, **graph: Any) -> None:
    """List every route by which a model reaches a market.

    Direct sales, cloud partners and their local operators, resellers and self-hosted
    open weights, each with its status, dates, sources, open or closed, and the
    restrictions that bear on it (that block it, or that apply to its service, model or
    seller in that market).

    \b
    Examples:
      channelkg routes --model openai --market CN
      channelkg routes --model kgid:gpt --market "Mainland China" --format md
      channelkg routes --market HK --open-only --format json
    """
    from channelkg.analysis.routes import parse_date
    from channelkg.analysis.routes import routes as find_routes

    if not model and not market:
        raise click.UsageError("give --model, --market or both")
    kg = open_graph(**graph)
    day = parse_date(on or graph.get("as_of"), "--on" if on else "--as-of")
    res = find_routes(kg, model, market, on=day, only_open=open_only)
    emit(_render_rows(list(res.HEADERS), res.rows(), fmt, res.as_dict()), output)


@cli.command(context_settings=CONTEXT)
@click.option("--market", "-k", required=True, metavar="MARKET",
              help="Market: ISO code, slug, CURIE, IRI or label.")
@click.option("--model", "-m", metavar="MODEL",
              help="Model, family or developer (default: every family with a route there).")
@click.option("--all", "show_all", is_flag=True,
              help="Also list families whose routes into the market are all closed.")
@_on_option
@_format_option
@_output_option
@graph_options
def spof(market: str, model: str | None, show_all: bool, on: str | None, fmt: str,
         output: Path | None, **graph: Any) -> None:
    """Single points of failure: what, if removed, cuts MARKET off a model family.

    Builds a channel graph of the open routes (model → partnerships the route depends
    on → seller → service provider → service → local operator → market) and reports
    the nodes that every path passes (dominators of the market). When there is no
    single point of failure the minimum set of nodes whose removal cuts the market off
    is shown instead. Dependency-risk assessments in the data that concern those nodes
    are listed as corroboration.

    \b
    Examples:
      channelkg spof --market CN --model gpt
      channelkg spof --market CN --format json
    """
    from channelkg.analysis.routes import parse_date, single_points_of_failure
    from channelkg.rdf.terms import shorten

    kg = open_graph(**graph)
    day = parse_date(on or graph.get("as_of"), "--on" if on else "--as-of")
    results = single_points_of_failure(kg, market, model, on=day, include_cut_off=show_all)
    headers = ["family", "market", "open routes", "single points of failure",
               "minimum cut", "corroborated by"]
    rows = []
    for r in results:
        rows.append([
            r.family_label,
            r.market_label,
            str(len(r.open_routes)),
            "; ".join(f"{c.label} [{shorten(c.iri)}] ({c.role})" for c in r.critical)
            or ("cut off: no open route" if r.cut_off else "none"),
            "; ".join(f"{c.label} ({c.role})" for c in r.min_cut),
            "; ".join(f"{a['assessment']}: {a['level']}: {a['statement']}"
                      for a in r.assessments),
        ])
    doc = {"market": market, "results": [r.as_dict() for r in results]}
    emit(_render_rows(headers, rows, fmt, doc), output)


@cli.command(context_settings=CONTEXT)
@click.option("--end", "end", multiple=True, metavar="PARTNERSHIP",
              help="A partnership ends (repeatable): routes that depend on it close.")
@click.option("--add-restriction", "restrictions", multiple=True, metavar="KEY=VALUE,...",
              help="A new restriction closes every route it matches (repeatable). Keys: "
              "provider/org, seller, operator, model, developer, service, market, kind; "
              "e.g. provider=microsoft,market=CN.")
@click.option("--block-service", "block_services", multiple=True, metavar="SERVICE",
              help="A service is blocked everywhere (repeatable).")
@click.option("--remove", "remove", multiple=True, metavar="ORG",
              help="An organization disappears (repeatable): as seller, provider, operator, "
              "developer and partnership party.")
@click.option("--lift", "lift", multiple=True, metavar="RESTRICTION",
              help="A restriction is lifted (repeatable): routes it alone blocks reopen.")
@click.option("--all", "show_all", is_flag=True, help="Also list unchanged market/model pairs.")
@click.option("--view", "view", type=click.Path(path_type=Path), default=None,
              help="Also write an HTML view that highlights the routes that close or open.")
@_on_option
@_format_option
@_output_option
@graph_options
def whatif(end: tuple[str, ...], restrictions: tuple[str, ...], block_services: tuple[str, ...],
           remove: tuple[str, ...], lift: tuple[str, ...], show_all: bool, view: Path | None,
           on: str | None, fmt: str, output: Path | None, **graph: Any) -> None:
    """What if: which markets lose or gain which models under a scenario.

    Nothing is written to the graph; the scenario is applied to the set of open routes
    and the before/after access of every market to every model is compared.

    \b
    Examples:
      channelkg whatif --end partnership-microsoft-openai
      channelkg whatif --add-restriction provider=microsoft,market=CN
      channelkg whatif --block-service azure-china --format md
      channelkg whatif --remove shanghai-blue-cloud --all
      channelkg whatif --lift fact-oai-1
    """
    from channelkg.analysis.routes import Scenario, parse_date
    from channelkg.analysis.routes import whatif as run_whatif
    from channelkg.rdf.terms import shorten

    kg = open_graph(**graph)
    scenario = Scenario(end=end, restrictions=restrictions, block_services=block_services,
                        remove=remove, lift=lift)
    day = parse_date(on or graph.get("as_of"), "--on" if on else "--as-of")
    res = run_whatif(kg, scenario, on=day)
    rows = res.rows(all_rows=show_all)
    if fmt == "table":
        from channelkg.render.results import table

        text = "scenario: " + "; ".join(res.scenario) + "\n\n"
        text += table(list(res.HEADERS), rows) if rows else "no market gains or loses a model\n"
        if res.closed:
            text += "\nroutes that close:\n"
            text += "".join(f"  {shorten(r)}: {why}\n" for r, why in res.closed)
        if res.opened:
            text += "\nroutes that open:\n"
            text += "".join(f"  {shorten(r)}: {why}\n" for r, why in res.opened)
    else:
        text = _render_rows(list(res.HEADERS), rows, fmt, res.as_dict())
    emit(text, output)
    if view is not None:
        from channelkg.analysis.routes import render_whatif_view

        render_whatif_view(kg, res, view)
        click.echo(f"wrote {view}", err=True)


@cli.command(context_settings=CONTEXT)
@click.option("--market", "-k", metavar="MARKET", help="Write the brief on a market (e.g. CN).")
@click.option("--provider", "-p", metavar="ORG", help="Write the brief on an organization.")
@click.option("--html", "html", is_flag=True, help="Write HTML (self-contained, offline).")
@click.option("--source", "source", default="kgid:source-seed", show_default=True,
              metavar="SOURCE", help="Source whose comparison table is reproduced.")
@_on_option
@click.option("--output", "-o", type=click.Path(path_type=Path),
              help="Output file (default: graphs/reports/<market-or-provider>.md or .html); "
              "'-' prints to stdout.")
@graph_options
def report(market: str | None, provider: str | None, html: bool, source: str, on: str | None,
           output: Path | None, **graph: Any) -> None:
    """Write a research brief on a market or a provider (Markdown, or HTML with --html).

    The brief holds the comparison table (provider | direct sales | model access route |
    geopolitical risk), the routes with their status and sources, restrictions, single
    points of failure, a timeline of dated claims and the numbered sources with URLs.

    \b
    Examples:
      channelkg report --market CN
      channelkg report --market CN --html -o brief.html
      channelkg report --provider microsoft -o -
    """
    from channelkg import resources
    from channelkg.analysis.routes import parse_date
    from channelkg.rdf.terms import shorten
    from channelkg.render.brief import build_report

    if bool(market) == bool(provider):
        raise click.UsageError("give exactly one of --market or --provider")
    kg = open_graph(**graph)
    day = parse_date(on or graph.get("as_of"), "--on" if on else "--as-of")
    doc = build_report(kg, market=market, provider=provider, source=source, on=day)
    text = doc.to_html() if html else doc.to_markdown()
    if output is None:
        slug = shorten(doc.subject).split(":", 1)[-1]
        output = resources.graphs_dir() / "reports" / f"{slug}.{'html' if html else 'md'}"
    if str(output) == "-":
        emit(text, None)
        return
    emit(text, output)


@cli.command(context_settings=CONTEXT)
@click.option("--output", "-o", type=click.Path(path_type=Path), default=Path("docs/ontology.html"),
              show_default=True, help="HTML file to write ('-' prints to stdout).")
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
      channelkg docs --data tests/data/channels.ttl -o /dev/stdout
    """
    from channelkg.render.docs import render_docs

    text = render_docs(ontology=ontology, shapes=shapes,
                       data=None if no_examples else (list(data) or None),
                       examples=not no_examples)
    emit(text, None if str(output) == "-" else output)


@cli.command(context_settings=CONTEXT)
@click.option("--profile", "-r", default="rules", show_default=True,
              help="rdfs, owlrl, rules, or a '+' combination such as owlrl+rules.")
@click.option("--rules", "rule_files", multiple=True, type=click.Path(path_type=Path),
              help="Use these CONSTRUCT rule files or folders instead of the shipped rules "
              "(repeatable).")
@click.option("--format", "-f", "fmt", type=click.Choice(["turtle", "nt", "json-ld"]),
              default="turtle", show_default=True, help="RDF syntax of the output.")
@_output_option
@graph_options
def infer(profile: str, rule_files: tuple[Path, ...], fmt: str, output: Path | None,
          **graph: Any) -> None:
    """Print only the triples that reasoning derives (nothing is written to the graph).

    \b
    Examples:
      channelkg infer                        # what the shipped rules derive
      channelkg infer --profile owlrl -f nt
      channelkg infer --rules my-rules/ -o derived.ttl
    """
    from channelkg.sparql.reason import entailments, load_rules

    kg = open_graph(**graph)
    rules = load_rules(list(rule_files)) if rule_files else None
    g = entailments(kg, profile, rules=rules, progress=True)
    if fmt == "nt":
        from channelkg.render.results import ntriples

        text = ntriples(g)
    elif fmt == "json-ld":
        text = g.serialize(format="json-ld", auto_compact=True)
    else:
        text = g.serialize(format="turtle")
    emit(text, output)
    click.echo(f"{len(g)} inferred triples", err=True)


# infer's --profile is its reasoning; graph_options' --reason would reason twice.
infer.params[:] = [p for p in infer.params if p.name != "reason"]


@cli.command("rules", context_settings=CONTEXT)
@click.option("--format", "-f", "fmt", type=click.Choice(["table", "md"]), default="table",
              show_default=True, help="Output format.")
def rules_cmd(fmt: str) -> None:
    """List the shipped CONSTRUCT rules (used by --reason rules and `channelkg infer`)."""
    from channelkg.render.results import markdown, table
    from channelkg.sparql.reason import list_rules

    rows = [[r.name, f"{r.title}. {r.description}"] for r in list_rules()]
    click.echo((markdown if fmt == "md" else table)(["name", "description"], rows), nl=False)
