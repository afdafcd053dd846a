"""Commands that look at the graph through time and provenance:
``diff``, ``timeline``, ``explain``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from channelkg.cli import complete
from channelkg.cli.main import CONTEXT, cli, graph_options, open_graph, timeout_option
from channelkg.cli.options import emit, format_option, output_option, param_option, parse_params
from channelkg.cli.terminal import fit_text, render_table


@cli.command(context_settings=CONTEXT)
@click.option("--from", "date_from", required=True, metavar="YYYY-MM-DD", help="Earlier date.")
@click.option("--to", "date_to", required=True, metavar="YYYY-MM-DD", help="Later date.")
@click.option("--market", metavar="MARKET",
              help="Only facts about this market (ISO code, name, slug, kgid: name or IRI).")
@format_option()
@output_option()
@graph_options(as_of=False)  # diff compares two dates of its own
def diff(date_from: str, date_to: str, market: str | None, fmt: str, output: Path | None,
         **graph: Any) -> None:
    """List facts that started, ended or changed status between two dates.

    A fact "started" if it is visible on --to but not on --from (by the rule
    --as-of uses on other commands), "ended" in the opposite case, and "status"
    if it became disputed or superseded because a contradicting or replacing
    claim appeared. --format json prints {change, date, before, after, fact}
    records, the fact as explain prints it (docs/formats.md).

    \b
    Examples:
      channelkg diff --from 2024-01-01 --to 2025-01-01
      channelkg diff --from 2023-06-01 --to 2024-07-09 --format json -o changes.json
      channelkg diff --from 2024-01-01 --to 2026-07-01 --market HK
    """
    from channelkg.analysis.history import CHANGE_HEADERS
    from channelkg.analysis.history import diff as run_diff
    from channelkg.model.dates import parse_date
    from channelkg.render.records import diff_doc
    from channelkg.render.tables import Table

    parse_date(date_from, "--from")
    parse_date(date_to, "--to")
    kg = open_graph(**graph)
    changes = run_diff(kg, date_from, date_to, market=market)
    doc = diff_doc(kg, changes) if fmt == "json" else None
    emit(render_table(Table.of(CHANGE_HEADERS, [c.row() for c in changes], doc), fmt, output),
         output)


@cli.command(context_settings=CONTEXT)
@click.option("--market", metavar="MARKET",
              shell_complete=complete.markets,
              help="Only facts about this market (ISO code or id).")
@click.option("--provider", metavar="ORG",
              shell_complete=complete.organizations,
              help="Only facts that involve this organization.")
@click.option("--from", "date_from", metavar="YYYY-MM-DD", help="Only events on or after.")
@click.option("--to", "date_to", metavar="YYYY-MM-DD", help="Only events before.")
@format_option()
@output_option()
@graph_options
def timeline(market: str | None, provider: str | None, date_from: str | None,
             date_to: str | None, fmt: str, output: Path | None, **graph: Any) -> None:
    """List dated events in order: when claims were stated, started and ended.

    Each claim contributes its statedOn, validFrom and validTo dates; --market and
    --provider keep the claims about that market or organization, --from and --to
    a window of dates. --format json prints {date, event, fact} records, the fact as
    explain prints it (docs/formats.md).

    \b
    Examples:
      channelkg timeline --market CN
      channelkg timeline --provider openai --format md
      channelkg timeline --from 2024-01-01 --format json -o -
    """
    from channelkg.analysis.history import EVENT_HEADERS
    from channelkg.analysis.history import timeline as run_timeline
    from channelkg.render.records import timeline_doc
    from channelkg.render.tables import Table

    kg = open_graph(**graph)
    events = run_timeline(kg, market=market, provider=provider,
                          date_from=date_from, date_to=date_to)
    doc = timeline_doc(kg, events) if fmt == "json" else None
    emit(render_table(Table.of(EVENT_HEADERS, [e.row() for e in events], doc), fmt, output),
         output)


@cli.command(context_settings=CONTEXT)
@click.argument("node", required=False, shell_complete=complete.entities)
@click.option("--query", "query_spec", metavar="QUERY",
              shell_complete=complete.query_names,
              help="Explain a row of this query (name, .rq file or SPARQL) instead of NODE.")
@click.option("--row", type=int, default=1, show_default=True, help="Row of --query (from 1).")
@param_option("Bind a parameter of --query (repeatable).")
@format_option(("text", "md", "json"), "text", "Output format.")
@output_option()
@timeout_option
@graph_options
def explain(node: str | None, query_spec: str | None, row: int, params: tuple[str, ...],
            fmt: str, output: Path | None, **graph: Any) -> None:
    """Show the chain of sourced facts behind NODE, with status, dates and sources.

    NODE is a claim (IRI, CURIE, slug or fact id such as AZ-8), an access route
    or an entity. Disputed and superseded facts are marked with the claims that
    contradict or replace them.

    \b
    Examples:
      channelkg explain route-seed-azure-china-gpt
      channelkg explain AZ-8 --format json
      channelkg explain --query seed-table --row 2
    """
    from channelkg.analysis.provenance import RENDERERS, explain_row
    from channelkg.analysis.provenance import explain as run_explain

    if bool(node) == bool(query_spec):
        raise click.UsageError("give either NODE or --query QUERY [--row N]")
    kg = open_graph(**graph)
    if query_spec:
        explanations = explain_row(kg, query_spec, row, parse_params(params))
    else:
        explanations = [run_explain(kg, node or "")]
    text = RENDERERS[fmt](explanations)
    emit(fit_text(text, output) if fmt == "text" else text, output)
