"""The option vocabulary every command shares, and writing a command's output.

One name, one meaning: ``-p/--param NAME=VALUE`` binds a query parameter and is
never anything else; ``-f/--format`` takes the same names for the same kind of
output (tables: table/csv/tsv/json/md; RDF: turtle/nt/json-ld; pages: html);
``-o/--output FILE`` writes a file, and ``-o -`` writes standard output.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:
    from pathlib import Path

F = TypeVar("F", bound=Callable[..., Any])

#: Output formats of tabular data (rows with named columns).
TABLE_FORMATS = ("table", "csv", "tsv", "json", "md")
#: Output formats of RDF triples.
RDF_FORMATS = ("turtle", "nt", "json-ld")
#: The file name that means standard input or standard output.
STDIO = "-"


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


def is_stdio(path: Path | str | None) -> bool:
    """True when ``path`` names standard input or output (``-``)."""
    return path is not None and str(path) == STDIO


def parse_params(values: tuple[str, ...]) -> dict[str, str]:
    """Turn ``NAME=VALUE`` strings into a dict; a value without ``=`` is a usage error."""
    out: dict[str, str] = {}
    for v in values:
        if "=" not in v:
            raise click.BadParameter(f"{v!r} is not NAME=VALUE", param_hint="--param")
        k, val = v.split("=", 1)
        out[k.strip()] = val
    return out


def echo(text: str, *, err: bool = False, nl: bool = True) -> None:
    """Print ``text`` for a person: on standard error, or on standard output when it is a
    terminal, control characters from the data are shown as visible escapes
    (:func:`channelkg.render.terminal.for_terminal`); a pipe gets the exact text."""
    from channelkg.render.terminal import for_terminal, is_terminal

    if err or is_terminal(sys.stdout):
        text = for_terminal(text)
    click.echo(text, err=err, nl=nl)


def emit(text: str, output: Path | None) -> None:
    """Print ``text`` (no ``output``, or ``-``), or write it atomically to ``output``.

    A terminal never gets control characters from the data (see :func:`echo`); a file
    or a pipe gets the exact text."""
    if output is None or is_stdio(output):
        echo(text, nl=False)
        return
    from channelkg.rdf.fileio import atomic_write_text

    atomic_write_text(output, text)
    click.echo(f"wrote {output}", err=True)


def emit_bytes(data: bytes, output: Path | None) -> None:
    """Write ``data`` to standard output (no ``output``, or ``-``) or atomically to a file."""
    if output is None or is_stdio(output):
        stream = sys.stdout.buffer
        stream.write(data)
        stream.flush()
        return
    from channelkg.rdf.fileio import atomic_write_bytes

    atomic_write_bytes(output, data)
    click.echo(f"wrote {output}", err=True)


def read_stdin_text() -> str:
    """All of standard input as text (UTF-8)."""
    data: bytes = sys.stdin.buffer.read()
    return data.decode("utf-8", errors="replace")


def progress(message: str) -> None:
    """Report progress on standard error (never on standard output)."""
    echo(message, err=True)


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
