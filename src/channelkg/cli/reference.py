"""The command-line reference (``docs/cli.md``), generated from every command's ``--help``.

Regenerate it with ``python -m channelkg.cli.reference > docs/cli.md``; check it with
``python -m channelkg.cli.reference --check docs/cli.md`` (exit 1 when it is stale).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import click

#: Help is wrapped at this width, whatever the terminal, so the reference is stable.
WIDTH = 100
REGENERATE = "python -m channelkg.cli.reference > docs/cli.md"


def walk(
    command: click.Command, path: tuple[str, ...] = ("channelkg",)
) -> Iterator[tuple[tuple[str, ...], click.Command]]:
    """Every command under ``command`` (itself first), in the order ``--help`` lists them."""
    yield path, command
    if isinstance(command, click.Group):
        ctx = click.Context(command, info_name=path[-1])
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            if sub is not None and not sub.hidden:
                yield from walk(sub, (*path, name))


def help_text(command: click.Command, path: tuple[str, ...]) -> str:
    """The ``--help`` output of ``command`` as ``channelkg …`` prints it, at :data:`WIDTH`."""
    settings = {**command.context_settings, "terminal_width": WIDTH, "max_content_width": WIDTH}
    ctx = click.Context(command, info_name=" ".join(path), **settings)
    return command.get_help(ctx)


def _anchor(path: tuple[str, ...]) -> str:
    return "-".join(path)


def render_reference() -> str:
    """The whole reference as Markdown: a table of contents, then each command's help."""
    from channelkg.cli.main import cli

    commands = list(walk(cli))
    lines = [
        "# channelkg command-line reference",
        "",
        f"<!-- Generated from --help by `{REGENERATE}`; do not edit by hand. -->",
        "",
        "Every command with its `--help`. Options mean the same everywhere: `-p/--param "
        "NAME=VALUE` binds a query parameter, `-f/--format` picks the output format "
        "(tables: table/csv/tsv/json/md; RDF: turtle/nt/json-ld), `-o FILE` writes a file "
        "and `-o -` standard output, and `-` as an input file reads standard input.",
        "",
        "## Contents",
        "",
    ]
    for path, command in commands:
        summary = command.get_short_help_str(limit=WIDTH)
        lines.append(f"- [`{' '.join(path)}`](#{_anchor(path)}): {summary}")
    for path, command in commands:
        lines += ["", f"## {' '.join(path)}", "", "```text", help_text(command, path), "```"]
    return "\n".join(lines) + "\n"


def check(path: Path) -> str | None:
    """None when ``path`` holds the current reference, else what is wrong and how to fix it."""
    try:
        current = path.read_text(encoding="utf-8")
    except OSError as err:
        return f"{path}: cannot read ({err.strerror}); regenerate it with `{REGENERATE}`"
    if current != render_reference():
        return f"{path} is stale: regenerate it with `{REGENERATE}`"
    return None


def main(argv: list[str] | None = None) -> int:
    """Print the reference, or with ``--check FILE`` compare FILE with it (exit 1 if stale)."""
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["--check"] and len(args) == 2:
        problem = check(Path(args[1]))
        if problem:
            click.echo(problem, err=True)
            return 1
        click.echo(f"{args[1]} is up to date", err=True)
        return 0
    if args:
        click.echo("usage: python -m channelkg.cli.reference [--check FILE]", err=True)
        return 2
    click.echo(render_reference(), nl=False)
    return 0


__all__ = ["REGENERATE", "WIDTH", "check", "help_text", "main", "render_reference", "walk"]

if __name__ == "__main__":
    sys.exit(main())
