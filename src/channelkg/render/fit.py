"""Plain-text tables and text that fit a terminal width.

:func:`fit_table` lays out rows under headers in at most ``width`` columns: when the
natural layout is wider, the widest columns are narrowed first and their cells are
folded onto several lines (at spaces where possible, inside a word where not); rows
that take more than one line are then separated by a blank line so each row stays
readable. Cells that are whole IRIs under a known prefix are shown compact
(``kgid:gpt``). Wide (CJK) characters count as two columns.

:func:`fold_text` folds the long lines of free text (``explain``, ``whatif``) the same
way, keeping each line's indentation on its continuation lines.

Colour (bold headers) is added only when the caller asks for it: the command line asks
only on a terminal and never when ``NO_COLOR`` is set.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

from channelkg.rdf.terms import shorten

#: Two spaces between columns.
GAP = 2
#: A column is not narrowed below this many characters (or its natural width).
MIN_COLUMN = 6
BOLD, RESET = "\x1b[1m", "\x1b[0m"


def text_width(s: str) -> int:
    """Display width of ``s`` (wide and full-width characters count two)."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)


def _compact(cell: str) -> str:
    if cell.startswith(("http://", "https://")) and " " not in cell:
        return shorten(cell)
    return cell


def _split_word(word: str, width: int) -> list[str]:
    """Cut a word into pieces of at most ``width`` columns."""
    pieces, cur, cur_w = [], "", 0
    for ch in word:
        w = text_width(ch)
        if cur and cur_w + w > width:
            pieces.append(cur)
            cur, cur_w = "", 0
        cur += ch
        cur_w += w
    return pieces + [cur] if cur else pieces


def wrap(text: str, width: int) -> list[str]:
    """Fold ``text`` into lines of at most ``width`` columns (never an empty list)."""
    width = max(width, 1)
    if text_width(text) <= width:
        return [text]
    lines: list[str] = []
    cur = ""
    for word in text.split(" "):
        for piece in _split_word(word, width) if text_width(word) > width else [word]:
            if not cur:
                cur = piece
            elif text_width(cur) + 1 + text_width(piece) <= width:
                cur += " " + piece
            else:
                lines.append(cur)
                cur = piece
    lines.append(cur)
    return lines


def column_widths(natural: Sequence[int], width: int) -> list[int]:
    """Narrow the widest columns, one column at a time, until the row (with gaps) fits
    in ``width``; no column goes below :data:`MIN_COLUMN` unless nothing else fits."""
    widths = list(natural)
    budget = width - GAP * (len(widths) - 1)
    for floor in (MIN_COLUMN, 1):
        while sum(widths) > budget:
            i = max(range(len(widths)), key=lambda k: widths[k])
            if widths[i] <= floor:
                break
            widths[i] -= 1
    return widths


def _pad(s: str, width: int) -> str:
    return s + " " * (width - text_width(s))


def fit_table(headers: Sequence[str], rows: Sequence[Sequence[str]], width: int | None = None,
              *, color: bool = False) -> str:
    """An aligned table of at most ``width`` columns a line (``None``: natural width)."""
    rows = [[_compact(c.replace("\n", " ")) for c in r] for r in rows]
    natural = [text_width(h) for h in headers]
    for r in rows:
        natural = [max(w, text_width(c)) for w, c in zip(natural, r, strict=True)]
    widths = natural if width is None else column_widths(natural, width)
    wrapped = width is not None and widths != natural

    def lines_of(cells: Sequence[str]) -> list[str]:
        folded = [wrap(c, w) for c, w in zip(cells, widths, strict=True)]
        height = max(len(f) for f in folded)
        return ["  ".join(_pad(f[k] if k < len(f) else "", w)
                          for f, w in zip(folded, widths, strict=True)).rstrip()
                for k in range(height)]

    head = lines_of(headers)
    if color:
        head = [BOLD + line + RESET for line in head]
    bodies = [lines_of(r) for r in rows]
    spaced = wrapped and any(len(b) > 1 for b in bodies)
    out = [*head, "  ".join("-" * w for w in widths)]
    for i, body in enumerate(bodies):
        if spaced and i:
            out.append("")
        out.extend(body)
    return "\n".join(out) + "\n"


def fold_text(text: str, width: int | None) -> str:
    """Fold every line of ``text`` longer than ``width``, indenting continuations."""
    if width is None:
        return text
    out = []
    for line in text.split("\n"):
        if text_width(line) <= width:
            out.append(line)
            continue
        indent = line[: len(line) - len(line.lstrip(" "))]
        pad = indent + "  "
        body = wrap(line.strip(" "), max(width - len(pad), 10))
        out.append(indent + body[0])
        out.extend(pad + b for b in body[1:])
    return "\n".join(out)


__all__ = ["BOLD", "GAP", "MIN_COLUMN", "RESET", "column_widths", "fit_table", "fold_text",
           "text_width", "wrap"]
