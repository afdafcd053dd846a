"""Commands that extend and tidy the graph: ``add``, ``import``, ``format``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from channelkg.cli.main import CONTEXT, cli
from channelkg.cli.options import echo
from channelkg.errors import CheckFailedError

_FILE_HELP = "Theme file to add to (default: graphs/additions.ttl)."


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


class _AddGroup(click.Group):
    """The ``add`` sub-commands, one per fact kind, built from the shapes when used."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        from channelkg.edit.fields import load_schema

        return list(load_schema().kind_names())

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        from channelkg.edit.fields import load_schema

        known = cmd_name in load_schema().kind_names()
        return _make_add_command(cmd_name) if known else None


@cli.group(cls=_AddGroup, context_settings=CONTEXT)
def add() -> None:
    """Add one fact (or entity) from the command line, after validating it.

    Entity references accept slugs (gpt), CURIEs (kgid:gpt), full IRIs, and for
    markets ISO codes (CN). Every fact needs a source (--source-title … or
    --source REF) and a date (--stated-on or --valid-from). Nothing is written
    if anything is wrong. Labels in several languages: --label en=… --label zh=….
    The options of each kind, which are required and their help come from the
    SHACL shapes (ontology/shapes.ttl).

    \b
    Examples:
      channelkg add route --model gpt --market CN --service azure-china \\
        --kind CloudPartner --seller microsoft --open true --status reported \\
        --source-title "Microsoft sells OpenAI models to Chinese firms" \\
        --source-url https://example.org/a --source-date 2026-06-17 \\
        --stated-on 2026-06-17 --comment "Microsoft sells GPT models in China via Azure."
    """


_SOURCE = ("--source-title \"Example headline\" --source-url https://example.org/a "
           "--source-date 2026-06-17 --stated-on 2026-06-17 --dry-run")
_EXAMPLES = {
    "route": "--model gpt --market CN --service azure-china --kind CloudPartner "
             "--seller microsoft --open true --comment \"Azure sells GPT in China.\"",
    "partnership": "--party microsoft --party openai --kind Licence "
                   "--comment \"Microsoft licenses OpenAI models.\"",
    "restriction": "--imposed-by anthropic --kind ProviderBlock --market CN --applies-to claude "
                   "--comment \"Anthropic does not serve China.\"",
    "assessment": "--assessed-entity partnership-microsoft-openai --kind DependencyRisk "
                  "--level high --market CN --comment \"One partner carries the channel.\"",
    "claim": "--about openai --market CN --comment \"OpenAI does not serve China.\"",
    "entity-fact": "--subject qwen3 --predicate licence --object Apache-2.0 "
                   "--comment \"Qwen3 is released under the Apache-2.0 licence.\"",
    "entity": "--class Customer --label en=\"Example Motors\" --label zh=\"示例汽车\" "
              "--comment \"An invented carmaker.\" --dry-run",
}

_METAVARS = {
    "ref": "REF", "refs": "REF", "link": "REF", "market": "MARKET", "markets": "MARKET",
    "class": "CLASS", "classes": "CLASS", "bool": "true|false", "date": "YYYY-MM-DD",
    "source-date": "YYYY-MM-DD", "source-url": "URL", "labels": "LANG=TEXT",
    "pairs": "PROP=VALUE", "id": "SLUG",
}


def _option(f: Any) -> click.Option:
    """The click option of one field (see :class:`channelkg.edit.fields.Field`)."""
    from channelkg.edit.fields import SATISFIED_BY
    from channelkg.rdf.terms import shorten

    help_text = f.help
    if f.multiple and "repeatable" not in help_text:
        help_text += " (repeatable)"
    if f.default:
        help_text += f" [default: {shorten(f.default).split(':', 1)[-1]}]"
    elif f.required and f.name in SATISFIED_BY:
        help_text += f" [required unless --{SATISFIED_BY[f.name]}]"
    elif f.required:
        help_text += " [required]"
    metavar = f.name.upper() if f.type == "vocab" else _METAVARS.get(f.type, "TEXT")
    return click.Option([f"--{f.name}", f.name.replace("-", "_")], multiple=f.multiple,
                        metavar=metavar, help=help_text)


def _make_add_command(kind: str) -> click.Command:
    from channelkg.edit.build import IRI_TEMPLATES
    from channelkg.edit.fields import fields_of

    fields = fields_of(kind)
    template = "-".join(
        p if p == kind else ("<date>" if p == "DATE" else f"<{p}>")
        for p in IRI_TEMPLATES.get(kind, (kind, "comment", "DATE"))
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
        echo(result.text, nl=False)

    command.__doc__ = (
        f"Add one {kind}." + (
            f"\n\nIts IRI is kgid:{template} unless you give --id." if kind != "entity" else
            "\n\nIts IRI is kgid:<slug of its English label> unless you give --id."
        )
    ) + (f"\n\n\b\nExamples:\n  channelkg add {kind} {_EXAMPLES[kind]}"
         + ("" if kind == "entity" else f" \\\n    {_SOURCE}")
         + f"\n  channelkg add {kind} --help" if kind in _EXAMPLES else "")
    options = [_option(f) for f in fields]
    return click.command(name=kind, context_settings=CONTEXT, params=options)(
        _write_options(command))


@cli.command("import", context_settings=CONTEXT)
@click.argument("source_file", metavar="FILE", type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["yaml", "csv", "ttl", "jsonld", "nt"]),
              default=None, help="Input format (default: from the file extension; needed "
              "when FILE is - for standard input).")
@_write_options
def import_(source_file: Path, fmt: str | None, target: Path | None, data: tuple[Path, ...],
            skip_duplicates: bool, dry_run: bool, lock_timeout: float, store: str | None,
            update_url: str | None, graph_iri: str | None, user: str | None,
            password: str | None) -> None:
    """Add many facts from FILE (- for standard input): YAML, CSV, Turtle or JSON-LD.

    YAML and CSV use the fields of `channelkg add` (underscores or dashes):
    a `type` (route, partnership, restriction, assessment, claim, entity) and
    the options of `channelkg add TYPE`. In CSV, multi-valued cells use `;`,
    and label_en / label_zh columns give labels. Every problem is reported with
    its line or row and field; nothing is written unless all facts pass.

    With --store sparql:URL --update-url URL the facts are checked against the
    server's graph and sent as one SPARQL INSERT DATA instead of written to a file.

    \b
    Examples:
      channelkg import facts.yaml --dry-run
      channelkg import facts.csv --file graphs/partners.ttl
    """
    from channelkg.edit.core import import_file

    remote = _remote_target(store, update_url, graph_iri, user, password, target, data)
    if fmt == "ttl":
        fmt = "turtle"
    if str(source_file) == "-" and fmt is None:
        raise click.UsageError("reading standard input (-) needs --format yaml, csv, ttl, "
                               "jsonld or nt")
    from channelkg.cli.progress import Progress

    bar = Progress()  # on a terminal only
    with bar.step(f"importing {source_file}"):
        result = import_file(str(source_file) if str(source_file) == "-" else source_file,
                             file=target, data=list(data) or None,
                             skip_duplicates=skip_duplicates, dry_run=dry_run, fmt=fmt,
                             lock_timeout=lock_timeout, progress=bar, remote=remote)
    echo(result.text, nl=False)


@cli.command("format", context_settings=CONTEXT)
@click.argument("files", nargs=-1, type=click.Path(path_type=Path))
@click.option("--check", is_flag=True,
              help="Write nothing; exit 1 listing the files that would change.")
@click.option("--output", "-o", type=click.Path(path_type=Path), default=None,
              help="Write the formatted text of the one FILE here instead of rewriting it "
              "(- for standard output).")
def format_(files: tuple[Path, ...], check: bool, output: Path | None) -> None:
    """Rewrite Turtle FILES (default: graphs/*.ttl) in canonical, sorted order.

    Prefixes sorted, subjects sorted, rdf:type then labels then the other
    predicates sorted, one predicate per line. Comments are kept: the file's
    leading ones first, a block right above a subject moves with that subject,
    trailing ones last. Comments inside a statement, above a prefix line or
    above a blank-node subject are dropped (a warning says how many). Every file is
    checked before any is written (one that does not parse: nothing is written), under
    the lock that add and import take.
    FILE - reads standard input and writes the formatted text to standard output.

    \b
    Examples:
      channelkg format
      channelkg format --check graphs/seed.ttl
      channelkg format - < draft.ttl
    """
    from channelkg.rdf.turtle import reformat_files
    from channelkg.resources import default_data_files

    if any(str(p) == "-" for p in files) or output is not None:
        _format_stream(files, check, output)
        return
    paths = list(files) or default_data_files()
    changed = []
    for p, differs, dropped in reformat_files(paths, check=check):
        if differs:
            if dropped:
                click.echo(f"{p}: {_dropped(dropped, check)}", err=True)
            changed.append(p)
    for p in changed:
        click.echo(f"{'would reformat' if check else 'reformatted'} {p}")
    if not changed:
        click.echo(f"{len(paths)} file(s) already canonical", err=True)
    if check and changed:
        raise CheckFailedError(f"{len(changed)} of {len(paths)} file(s) not canonical")


def _dropped(count: int, check: bool) -> str:
    verb = "would drop" if check else "dropped"
    return (f"{verb} {count} comment line(s) with no subject to go with (inside a statement, "
            "on or above a prefix line, above a blank node or list)")


def _format_stream(files: tuple[Path, ...], check: bool, output: Path | None) -> None:
    """``format -`` or ``format FILE -o OUT``: one input, its formatted text written out."""
    from channelkg.edit.records import read_text
    from channelkg.edit.target import reformat_text
    from channelkg.errors import InputError

    if len(files) != 1:
        raise click.UsageError("give exactly one FILE with - or --output")
    name = "<stdin>" if str(files[0]) == "-" else str(files[0])
    if name != "<stdin>" and files[0].suffix.lower() not in (".ttl", ".turtle"):
        raise InputError("only Turtle files (.ttl) can be formatted", name)
    text = read_text(files[0])
    new, dropped = reformat_text(text, name)
    if dropped:
        click.echo(f"{name}: {_dropped(dropped, check)}", err=True)
    if check:
        if new != text:
            click.echo(f"would reformat {name}")
            raise CheckFailedError(f"{name} is not canonical")
        return
    if output is None or str(output) == "-":
        click.echo(new, nl=False)
        return
    from channelkg.rdf.fileio import atomic_write_text

    atomic_write_text(output, new)
    click.echo(f"wrote {output}", err=True)


