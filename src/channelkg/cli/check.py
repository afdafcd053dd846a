"""The ``check`` command: the data-quality gate (rules in ``check/rules/*.rq``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from channelkg.cli.main import CONTEXT, cli, emit, graph_options, open_graph
from channelkg.cli.options import format_option, output_option
from channelkg.cli.output import is_stdio


@cli.command(context_settings=CONTEXT)
@format_option(
    ("table", "json", "md"),
    "table",
    "Aligned table or Markdown table (one row per finding, then a summary line), "
    "or JSON (one record per finding).",
)
@output_option()
@click.option(
    "--fail-on",
    "fail_on",
    type=click.Choice(["error", "warn", "info", "never"], case_sensitive=False),
    default="error",
    show_default=True,
    help="Exit 1 when a finding at or above this severity exists (never: always exit 0).",
)
@click.option(
    "--rules",
    "rules_dir",
    type=click.Path(path_type=Path),
    default=None,
    help="Folder of rule files (*.rq) to run instead of the shipped rules.",
)
@graph_options
def check(fmt: str, output: Path | None, fail_on: str, rules_dir: Path | None,
          **graph: Any) -> None:
    """Run the data-quality rules on the graph and list what they find.

    Each rule is a SPARQL SELECT file with a '# severity: ERROR|WARN|INFO' header;
    it selects the offending nodes (?focus) with a ?message. Prints one row per
    finding (severity, rule, focus, message) and a summary line; exits 1 when a
    finding at or above --fail-on exists. A new rule needs no code: add a .rq file
    to a copy of the rules folder and pass it with --rules. With --reason the
    entailed triples are checked too, like curated ones.

    \b
    Examples:
      channelkg check
      channelkg check --fail-on warn --format md -o quality.md
      channelkg check --data mine.ttl --format json
    """
    from channelkg.check.quality import fail_rank, render_report, run_checks
    from channelkg.errors import CheckFailedError

    fail_rank(fail_on)
    kg = open_graph(**graph)
    report = run_checks(kg, rules_dir)
    emit(render_report(report, fmt), output)
    if fmt == "json" or (output is not None and not is_stdio(output)):
        click.echo(report.summary, err=True)
    failing = report.at_or_above(fail_on)
    if failing:
        raise CheckFailedError(
            f"check failed: {len(failing)} finding(s) at or above {fail_on.upper()}")
