"""How output meets the terminal: the width tables fit, and whether to use colour.

* Width: ``COLUMNS`` when it is set (a positive number), else the terminal's width when
  standard output is a terminal; output to a pipe or a file is never folded.
* Colour: only when standard output is a terminal, and never when ``NO_COLOR`` is set
  to anything (https://no-color.org).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from channelkg.render.terminal import terminal_columns

TYPE_CHECKING = False  # typing is not imported at run time
if TYPE_CHECKING:
    from channelkg.render.tables import Table


def _is_tty() -> bool:
    try:
        return sys.stdout.isatty()
    except (AttributeError, ValueError):
        return False


def terminal_width() -> int | None:
    """The width to fit tables to, or ``None`` (do not fold)."""
    value = os.environ.get("COLUMNS", "")
    if value.strip().isdigit() and int(value) > 0:
        return int(value)
    if _is_tty():
        return terminal_columns()
    return None


def use_color() -> bool:
    """True on a terminal without ``NO_COLOR``."""
    return _is_tty() and not os.environ.get("NO_COLOR")


def to_terminal(output: Path | None) -> bool:
    """True when the output goes to standard output (no file, or ``-``)."""
    return output is None or str(output) == "-"


def table_style(output: Path | None) -> tuple[int | None, bool]:
    """The width to fit and whether to colour, for output to ``output``: a file gets
    neither, standard output what :func:`terminal_width` and :func:`use_color` say."""
    if not to_terminal(output):
        return None, False
    return terminal_width(), use_color()


def render_table(table: Table, fmt: str, output: Path | None) -> str:
    """``table`` rendered in ``fmt``; a ``table`` for standard output fits the terminal."""
    if fmt == "table":
        width, color = table_style(output)
        return table.render(fmt, width=width, color=color)
    return table.render(fmt)


def fit_text(text: str, output: Path | None) -> str:
    """Free text for standard output with its long lines folded to the terminal width."""
    from channelkg.render.fit import fold_text

    return fold_text(text, terminal_width()) if to_terminal(output) else text


__all__ = ["fit_text", "render_table", "table_style", "terminal_width", "to_terminal",
           "use_color"]
