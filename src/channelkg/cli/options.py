"""The option vocabulary every command shares (writing output: :mod:`channelkg.cli.output`).

One name, one meaning: ``-p/--param NAME=VALUE`` binds a query parameter and is
never anything else; ``-f/--format`` takes the same names for the same kind of
output (tables: table/csv/tsv/json/md; RDF: turtle/nt/json-ld; pages: html);
``-o/--output FILE`` writes a file, and ``-o -`` writes standard output.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

from channelkg.cli.output import (
    RDF_FORMATS,
    STDIO,
    TABLE_FORMATS,
    echo,
    emit,
    emit_bytes,
    is_stdio,
    progress,
    read_stdin_text,
)
from channelkg.cli.runner import split_params

if TYPE_CHECKING:
    from pathlib import Path

F = TypeVar("F", bound=Callable[..., Any])


class PathType(click.Path):
    """``click.Path(path_type=pathlib.Path)``, importing :mod:`pathlib` only when a value
    is converted (``--help`` and commands given no path never import it)."""

    def coerce_path_result(self, value: Any) -> Any:
        from pathlib import Path

        return value if isinstance(value, Path) else Path(value)


def param_option(help_text: str = "Bind a query parameter (repeatable).") -> Callable[[F], F]:
    """``-p/--param NAME=VALUE`` (repeatable), passed to the command as ``params``."""
    return click.option(
        "--param", "-p", "params", multiple=True, metavar="NAME=VALUE", help=help_text
    )


def format_option(
    choices: tuple[str, ...] = TABLE_FORMATS,
    default: str = "table",
    help_text: str = "Output format.",
) -> Callable[[F], F]:
    """``-f/--format`` with the given names, passed to the command as ``fmt``; with
    ``csv`` among them, also ``--safe-csv`` (see :func:`safe_csv_option`)."""
    option = click.option(
        "--format",
        "-f",
        "fmt",
        type=click.Choice(list(choices)),
        default=default,
        show_default=True,
        help=help_text,
    )
    if "csv" not in choices:
        return option

    def both(func: F) -> F:
        return option(safe_csv_option(func))

    return both


def _set_safe_csv(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    from channelkg.render.spreadsheet import SAFE_CSV

    SAFE_CSV.set(bool(value))


def safe_csv_option(func: F) -> F:
    """``--safe-csv``: CSV cells that start with = + - @ (or tab, CR) get a leading ``'``
    so that a spreadsheet shows them as text instead of running them as formulas."""
    return click.option(
        "--safe-csv",
        is_flag=True,
        expose_value=False,
        callback=_set_safe_csv,
        help="With --format csv: prefix cells starting with = + - @ (or tab, CR) with ' "
        "so spreadsheets never run them as formulas (default: exact data).",
    )(func)


def output_option(
    help_text: str = "Write to FILE instead of standard output ('-': standard output).",
    default: Path | None = None,
) -> Callable[[F], F]:
    """``-o/--output FILE``, passed to the command as ``output``; ``-`` is standard output."""
    return click.option(
        "--output",
        "-o",
        "output",
        type=PathType(allow_dash=True),
        metavar="FILE",
        default=default,
        show_default=default is not None,
        help=help_text,
    )


def on_option(func: F) -> F:
    """``--on YYYY-MM-DD``: the day routes and restrictions are judged on."""
    return click.option(
        "--on",
        "on",
        metavar="YYYY-MM-DD",
        default=None,
        help="Judge which routes are open and which restrictions are in force on this day "
        "(default: the --as-of date, else today).",
    )(func)


#: ``--no-ontology``: read ``--data`` files as they are, without the bundled ontology.
no_ontology_option = click.option(
    "--no-ontology",
    "no_ontology",
    is_flag=True,
    default=False,
    help="Read the --data files alone, without adding the bundled ontology "
    "(ontology/channelkg.ttl): for foreign data, so that SELECT * and counts see only "
    "its triples. Without --data the bundled graph is read with its ontology, as always.",
)


def parse_params(values: tuple[str, ...]) -> dict[str, str]:
    """:func:`split_params`; a value without ``=`` is a usage error of ``--param``."""
    try:
        return split_params(values)
    except ValueError as err:
        raise click.BadParameter(str(err), param_hint="--param") from None


__all__ = [
    "PathType",
    "RDF_FORMATS",
    "echo",
    "safe_csv_option",
    "STDIO",
    "TABLE_FORMATS",
    "emit",
    "emit_bytes",
    "format_option",
    "is_stdio",
    "no_ontology_option",
    "on_option",
    "output_option",
    "param_option",
    "parse_params",
    "progress",
    "read_stdin_text",
]
