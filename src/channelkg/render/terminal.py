"""Text for a terminal: data can never send the terminal a control sequence.

Labels, comments and IRIs come from files anyone can write. Printed as they are, an
ESC (``\\x1b``) starts a sequence that can clear the screen, rewrite the title, hide
text or forge a prompt; a CR or backspace can overwrite what was printed; bidi
controls reorder a line. :func:`for_terminal` shows every such character as a visible
escape (``\\x1b``, ``\\r``, ``\\u202e``) instead, and leaves everything else (line
ends, tabs, all other Unicode) as it is.

The CLI applies it at its sinks: messages on standard error always, standard output
when it is a terminal. Files (``-o FILE``) and pipes get the exact bytes.
"""

from __future__ import annotations

import os
import re
import sys

TYPE_CHECKING = False  # typing is not imported at run time (``channelkg --help`` uses this)
if TYPE_CHECKING:
    from typing import IO, Any

# C0 controls but tab and line feed, DEL, C1 controls, and the bidi embedding,
# override and isolate controls (which reorder what a line shows).
#: (A pattern, compiled on first use: commands that print nothing from the data skip it.)
_UNSAFE = "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]"
_NAMED = {"\r": "\\r", "\b": "\\b", "\x0b": "\\v", "\x0c": "\\f"}


def _visible(m: re.Match[str]) -> str:
    ch = m.group(0)
    if ch in _NAMED:
        return _NAMED[ch]
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


#: The only escape sequences left as they are: bold on and all attributes off, which
#: channelkg's own tables write on a colour terminal (harmless if data holds them too).
STYLE = ("\x1b[1m", "\x1b[0m")
_STYLE_SPLIT = "(\x1b\\[1m|\x1b\\[0m)"  # the sequences of STYLE


def for_terminal(text: str) -> str:
    """``text`` with every control character shown as a visible escape (line feeds and
    tabs kept), except the bold and reset sequences of :data:`STYLE`.

    >>> for_terminal("a\\x1b[2Jb\\u202ec\\n")
    'a\\\\x1b[2Jb\\\\u202ec\\n'
    """
    if "\x1b" not in text:
        return re.sub(_UNSAFE, _visible, text)
    return "".join(part if part in STYLE else re.sub(_UNSAFE, _visible, part)
                   for part in re.split(_STYLE_SPLIT, text))


def is_terminal(stream: IO[Any] | None) -> bool:
    """Whether ``stream`` is an interactive terminal."""
    try:
        return stream is not None and stream.isatty()
    except (AttributeError, ValueError, OSError):
        return False


def terminal_columns() -> int:
    """The terminal's width as :func:`shutil.get_terminal_size` gives it (``COLUMNS`` when it
    is a positive number, else the width of the terminal on standard output, else 80),
    without importing :mod:`shutil`."""
    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        columns = 0
    if columns > 0:
        return columns
    try:
        return os.get_terminal_size(sys.__stdout__.fileno()).columns or 80  # type: ignore[union-attr]
    except (AttributeError, ValueError, OSError):
        return 80


__all__ = ["for_terminal", "is_terminal", "terminal_columns"]
