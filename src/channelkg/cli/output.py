"""Writing a command's output, without click: to standard output, standard error or a file.

:func:`echo` writes as ``click.echo`` does (and is ``click.echo`` once click runs the
command): the text, a line end, a flush, and no ANSI escape sequence in what does not go
to a terminal. Before that, a person's terminal never gets control characters from the
data (:func:`channelkg.render.terminal.for_terminal`); a pipe or a file gets the text.
"""

from __future__ import annotations

import re
import sys

TYPE_CHECKING = False  # typing is not imported at run time (``channelkg --help`` uses this)
if TYPE_CHECKING:
    from pathlib import Path

#: Output formats of tabular data (rows with named columns).
TABLE_FORMATS = ("table", "csv", "tsv", "json", "md")
#: Output formats of RDF triples.
RDF_FORMATS = ("turtle", "nt", "json-ld")
#: The file name that means standard input or standard output.
STDIO = "-"

# An ECMA-48 control sequence: CSI, parameter bytes, intermediate bytes, a final byte.
_CSI = re.compile("\x1b\\[[\x30-\x3f]*[\x20-\x2f]*[\x40-\x7e]")


def is_stdio(path: Path | str | None) -> bool:
    """True when ``path`` names standard input or output (``-``)."""
    return path is not None and str(path) == STDIO


def write(text: str, *, err: bool = False, nl: bool = True) -> None:
    """Write ``text`` (and a line end) to standard output or error and flush it; escape
    sequences are dropped unless the stream is a terminal. Through ``click.echo`` when
    click is loaded (it also mends an output stream misconfigured as ASCII, which the
    command line leaves to click)."""
    if "click" in sys.modules:
        import click

        click.echo(text, err=err, nl=nl)
        return
    from channelkg.render.terminal import is_terminal

    stream = sys.stderr if err else sys.stdout
    if stream is None:
        return
    text += "\n" if nl else ""
    if text and not is_terminal(stream):
        text = _CSI.sub("", text)
    if text:
        stream.write(text)
    stream.flush()


def echo(text: str, *, err: bool = False, nl: bool = True) -> None:
    """Print ``text`` for a person: on standard error, or on standard output when it is a
    terminal, control characters from the data are shown as visible escapes
    (:func:`channelkg.render.terminal.for_terminal`); a pipe gets the exact text."""
    from channelkg.render.terminal import for_terminal, is_terminal

    if err or is_terminal(sys.stdout):
        text = for_terminal(text)
    write(text, err=err, nl=nl)


def emit(text: str, output: Path | None) -> None:
    """Print ``text`` (no ``output``, or ``-``), or write it atomically to ``output``.

    A terminal never gets control characters from the data (see :func:`echo`); a file
    or a pipe gets the exact text."""
    if output is None or is_stdio(output):
        echo(text, nl=False)
        return
    from channelkg.rdf.fileio import atomic_write_text

    atomic_write_text(output, text)
    write(f"wrote {output}", err=True)


def emit_bytes(data: bytes, output: Path | None) -> None:
    """Write ``data`` to standard output (no ``output``, or ``-``) or atomically to a file."""
    if output is None or is_stdio(output):
        stream = sys.stdout.buffer
        stream.write(data)
        stream.flush()
        return
    from channelkg.rdf.fileio import atomic_write_bytes

    atomic_write_bytes(output, data)
    write(f"wrote {output}", err=True)


def read_stdin_text() -> str:
    """All of standard input as text (UTF-8)."""
    data: bytes = sys.stdin.buffer.read()
    return data.decode("utf-8", errors="replace")


def progress(message: str) -> None:
    """Report progress on standard error (never on standard output)."""
    echo(message, err=True)


__all__ = ["RDF_FORMATS", "STDIO", "TABLE_FORMATS", "echo", "emit", "emit_bytes", "is_stdio",
           "progress", "read_stdin_text", "write"]
