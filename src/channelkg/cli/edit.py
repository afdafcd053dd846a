"""Commands to extend the graph and to look at it through time:
``add``, ``import``, ``format``, ``diff``, ``timeline``, ``explain``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from channelkg.cli.main import (
    CONTEXT,
    cli,
    emit,
    graph_options,
    open_graph,
    parse_params,
    timeout_option,
)

_FILE_HELP = "Theme file to add to (default: graphs/additions.ttl)."


def _progress(message: str) -> None:
    click.echo(f"… {message}", err=True)


def _remote_options(func: Any) -> Any:
    func = click.option("--password", envvar="CHANNELKG_SPARQL_PASSWORD", default=None,
                        help="HTTP password for the store (env CHANNELKG_SPARQL_PASSWORD).")(func)
    func = click.option("--user", envvar="CHANNELKG_SPARQL_USER", default=None,
                        help="HTTP user for the store (env CHANNELKG_SPARQL_USER).")(func)
    func = click.option("--graph", "graph_iri", metavar="IRI", default=None,
                        help="Named graph of the store to check against and insert into "
                        "(default: the server's default graph).")(func)
    func = click.option("--update-url", metavar="URL", default=None,
                        help="SPARQL UPDATE endpoint of the --store: the new triples are sent "
                        "there as one INSERT DATA instead of written to a file.")(func)
    func = click.option("--store", metavar="sparql:URL", default=None,
                        help="Add to a SPARQL 1.1 server instead of a file: its graph is read "
                        "from this query URL (needs --update-url).")(func)
    return func


def _remote_target(store: str | None, update_url: str | None, graph_iri: str | None,
                   user: str | None, password: str | None, target: Path | None,
                   data: tuple[Path, ...]) -> Any:
    """The :class:`~channelkg.edit.RemoteTarget` of the options, or None (write a file)."""
    from channelkg.edit.core import RemoteTarget

    if store is None:
        if update_url or graph_iri:
            raise click.UsageError("--update-url and --graph need --store sparql:URL")
        return None
    if not (store.startswith(("sparql:", "http://", "https://"))):
        raise click.UsageError("only a sparql:URL store can be written to (with --update-url)")
    if not update_url:
        raise click.UsageError("--store sparql:URL is read only without --update-url URL")
    if target is not None or data:
        raise click.UsageError("use either --file/--data or --store, not both")
    return RemoteTarget(store, update_url, graph_iri, user, password)


def _write_options(func: Any) -> Any:
    func = _remote_options(func)
    func = click.option("--lock-timeout", type=click.FloatRange(min=0), default=120.0,
                        show_default=True, metavar="SECONDS",
                        help="How long to wait for another add/import to finish.")(func)
    func = click.option("--dry-run", is_flag=True, help="Check everything, write nothing.")(func)
    func = click.option("--skip-duplicates", is_flag=True,
                        help="Skip facts that are already in the graph instead of failing.")(func)
    func = click.option("--data", "-d", "data", multiple=True, type=click.Path(path_type=Path),
                        help="Graph files the facts are checked against (default: graphs/*.ttl)."
                        )(func)
    func = click.option("--file", "target", type=click.Path(path_type=Path), default=None,
                        help=_FILE_HELP)(func)
    return func


@cli.group(context_settings=CONTEXT)
def add() -> None:
    """Add one fact (or entity) from the command line, after validating it.

    Entity references accept slugs (gpt), CURIEs (kgid:gpt), full IRIs, and for
    markets ISO codes (CN). Every fact needs a source (--source-title … or
    --source REF) and a date (--stated-on or --valid-from). Nothing is written
    if anything is wrong. Labels in several languages: --label en=… --label zh=….

    \b
    Example:
      channelkg add route --model gpt --market CN --service azure-china \\
        --kind CloudPartner --seller microsoft --open true --status reported \\
        --source-title "Microsoft sells OpenAI models to Chinese firms" \\
        --source-url https://example.org/a --source-date 2026-06-17 \\
        --stated-on 2026-06-17 --comment "Microsoft sells GPT models in China via Azure."
    """


_METAVARS = {
    "ref": "REF", "refs": "REF", "market": "MARKET", "markets": "MARKET", "kind": "KIND",
    "status": "STATUS", "class": "CLASS", "classes": "CLASS", "bool": "true|false",
    "date": "YYYY-MM-DD", "source-date": "YYYY-MM-DD", "source-url": "URL",
    "labels": "LANG=TEXT", "pairs": "PROP=VALUE", "id": "SLUG",
}


def _make_add_command(kind: str) -> None:
    from channelkg.edit.core import FACT_CLASSES, IRI_TEMPLATES, fields_of

    fields = fields_of(kind)
    template = "-".join(
        p if p in FACT_CLASSES else ("<date>" if p == "DATE" else f"<{p}>")
        for p in IRI_TEMPLATES.get(kind, ("<slug of the English label>",))
    )

    def command(target: Path | None, data: tuple[Path, ...], skip_duplicates: bool,
                dry_run: bool, lock_timeout: float, store: str | None, update_url: str | None,
                graph_iri: str | None, user: str | None, password: str | None,
                **values: Any) -> None:
        from channelkg.edit.core import add_records, record_from_mapping

        remote = _remote_target(store, update_url, graph_iri, user, password, target, data)
        mapping = {k: v for k, v in values.items() if v not in (None, ())}
        record = record_from_mapping(mapping, "command line", kind=kind)
        # Field locations name the option, as the user typed it.
        record.field_locations = {k: "command line" for k in record.values}
        result = add_records([record], file=target, data=list(data) or None,
                             skip_duplicates=skip_duplicates, dry_run=dry_run,
                             lock_timeout=lock_timeout, remote=remote)
        click.echo(result.text, nl=False)

    command.__doc__ = (
        f"Add one {kind}." + (
            f"\n\nIts IRI is kgid:{template} unless you give --id." if kind != "entity" else
            "\n\nIts IRI is kgid:<slug of its English label> unless you give --id."
        )
    )
    command = _write_options(command)
    for f in reversed(fields):
        opt = f"--{f.name}"
        help_text = f.help
        if f.multiple and "repeatable" not in help_text:
            help_text += " (repeatable)"
        if f.name == "status":
            help_text += " [default: reported]"
        if f.required:
            help_text += " [required]"
        command = click.option(opt, f.name.replace("-", "_"), multiple=f.multiple,
                               metavar=_METAVARS.get(f.type, "TEXT"), help=help_text)(command)
    add.command(name=kind, context_settings=CONTEXT)(command)


for _kind in ("route", "partnership", "restriction", "assessment", "claim", "entity"):
    _make_add_command(_kind)


@cli.command("import", context_settings=CONTEXT)
@click.argument("source_file", metavar="FILE", type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["yaml", "csv", "ttl", "jsonld", "nt"]),
              default=None, help="Input format (default: from the file extension).")
@_write_options
def import_(source_file: Path, fmt: str | None, target: Path | None, data: tuple[Path, ...],
            skip_duplicates: bool, dry_run: bool, lock_timeout: float, store: str | None,
            update_url: str | None, graph_iri: str | None, user: str | None,
            password: str | None) -> None:
    """Add many facts from FILE: YAML, CSV, Turtle or JSON-LD.

    YAML and CSV use the fields of `channelkg add` (underscores or dashes):
    a `type` (route, partnership, restriction, assessment, claim, entity) and
    the options of `channelkg add TYPE`. In CSV, multi-valued cells use `;`,
    and label_en / label_zh columns give labels. Every problem is reported with
    its line or row and field; nothing is written unless all facts pass.

    With --store sparql:URL --update-url URL the facts are checked against the
    server's graph and sent as one SPARQL INSERT DATA instead of written to a file.
    """
    from channelkg.edit.core import import_file

    remote = _remote_target(store, update_url, graph_iri, user, password, target, data)
    if fmt == "ttl":
        fmt = "turtle"
    result = import_file(source_file, file=target, data=list(data) or None,
                         skip_duplicates=skip_duplicates, dry_run=dry_run, fmt=fmt,
                         lock_timeout=lock_timeout, progress=_progress, remote=remote)
    click.echo(result.text, nl=False)


@cli.command("format", context_settings=CONTEXT)
@click.argument("files", nargs=-1, type=click.Path(path_type=Path))
@click.option("--check", is_flag=True,
              help="Write nothing; exit 1 listing the files that would change.")
def format_(files: tuple[Path, ...], check: bool) -> None:
    """Rewrite Turtle FILES (default: graphs/*.ttl) in canonical, sorted order.

    Prefixes sorted, subjects sorted, rdf:type then labels then the other
    predicates sorted, one predicate per line. Comments are kept: the file's
    leading ones first, a block right above a subject moves with that subject,
    trailing ones last. Comments inside a statement, above a prefix line or
    above a blank-node subject are dropped (a warning says how many). Every file is
    checked before any is written (one that does not parse: nothing is written), under
    the lock that add and import take.
    """
    from channelkg.rdf.turtle import reformat_files
    from channelkg.resources import default_data_files

    paths = list(files) or default_data_files()
    changed = []
    for p, differs, dropped in reformat_files(paths, check=check):
        if differs:
            if dropped:
                verb = "would drop" if check else "dropped"
                click.echo(f"{p}: {verb} {dropped} comment line(s) with no subject to go with "
                           "(inside a statement, on or above a prefix line, above a blank "
                           "node or list)", err=True)
            changed.append(p)
    for p in changed:
        click.echo(f"{'would reformat' if check else 'reformatted'} {p}")
    if not changed:
        click.echo(f"{len(paths)} file(s) already canonical", err=True)
    if check and changed:
        sys.exit(1)


def _rows_output(headers: list[str], rows: list[list[str]], fmt: str) -> str:
    from channelkg.render.results import render_rows

    return render_rows(headers, rows, fmt)


_FMT = click.option("--format", "-f", "fmt", type=click.Choice(["table", "csv", "json", "md"]),
                    default="table", show_default=True, help="Output format.")
_OUT = click.option("--output", "-o", type=click.Path(path_type=Path),
                    help="Write to a file instead.")


@cli.command(context_settings=CONTEXT)
@click.option("--from", "date_from", required=True, metavar="YYYY-MM-DD", help="Earlier date.")
@click.option("--to", "date_to", required=True, metavar="YYYY-MM-DD", help="Later date.")
@_FMT
@_OUT
@graph_options
def diff(date_from: str, date_to: str, fmt: str, output: Path | None, **graph: Any) -> None:
    """List facts that started, ended or changed status between two dates.

    A fact "started" if it is visible on --to but not on --from (by the rule
    --as-of uses on other commands), "ended" in the opposite case, and "status"
    if it became disputed or superseded because a contradicting or replacing
    claim appeared.
    """
    from channelkg.analysis.history import CHANGE_HEADERS, parse_date
    from channelkg.analysis.history import diff as run_diff

    parse_date(date_from, "--from date")
    parse_date(date_to, "--to date")
    kg = open_graph(**graph)
    changes = run_diff(kg, date_from, date_to)
    emit(_rows_output(CHANGE_HEADERS, [c.row() for c in changes], fmt), output)


# diff compares two dates of its own; --as-of would only confuse it.
diff.params[:] = [p for p in diff.params if p.name != "as_of"]


@cli.command(context_settings=CONTEXT)
@click.option("--market", metavar="MARKET", help="Only facts about this market (ISO code or id).")
@click.option("--provider", metavar="ORG", help="Only facts that involve this organization.")
@click.option("--from", "date_from", metavar="YYYY-MM-DD", help="Only events on or after.")
@click.option("--to", "date_to", metavar="YYYY-MM-DD", help="Only events before.")
@_FMT
@_OUT
@graph_options
def timeline(market: str | None, provider: str | None, date_from: str | None,
             date_to: str | None, fmt: str, output: Path | None, **graph: Any) -> None:
    """List dated events in order: when claims were stated, started and ended.

    \b
    Examples:
      channelkg timeline --market CN
      channelkg timeline --provider openai --format md
    """
    from channelkg.analysis.history import EVENT_HEADERS
    from channelkg.analysis.history import timeline as run_timeline

    kg = open_graph(**graph)
    events = run_timeline(kg, market=market, provider=provider, date_from=date_from,
                          date_to=date_to)
    emit(_rows_output(EVENT_HEADERS, [e.row() for e in events], fmt), output)


@cli.command(context_settings=CONTEXT)
@click.argument("node", required=False)
@click.option("--query", "query_spec", metavar="QUERY",
              help="Explain a row of this query (name, .rq file or SPARQL) instead of NODE.")
@click.option("--row", type=int, default=1, show_default=True, help="Row of --query (from 1).")
@click.option("--param", "-p", "params", multiple=True, metavar="NAME=VALUE",
              help="Parameter of --query (repeatable).")
@click.option("--format", "-f", "fmt", type=click.Choice(["text", "md", "json"]), default="text",
              show_default=True, help="Output format.")
@_OUT
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
      channelkg explain AZ-8
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
    emit(RENDERERS[fmt](explanations), output)
