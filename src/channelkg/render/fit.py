"""Plain-text tables and text that fit a terminal width.

:func:`fit_table` lays out rows under headers in at most ``width`` columns: when the
natural layout is wider, the widest columns are narrowed first and their cells are
folded onto several lines (at spaces where possible, after a hyphen or slash inside a
long word, else at the width); rows that take more than one line are then separated by a
blank line so each row stays readable. A table with too many wide columns for the width
(fewer than :data:`READABLE_COLUMN` characters each) is shown as records instead: one
``header  value`` line per cell, a blank line between rows. Cells that are whole IRIs
under a known prefix are shown compact (``kgid:gpt``). Wide (CJK) characters count as two columns.

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
    if s.isascii():
        return len(s)
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)


def _compact(cell: str) -> str:
    if cell.startswith(("http://", "https://")) and " " not in cell:
        return shorten(cell)
    return cell


#: A word too long for its column is cut after one of these where possible.
_BREAKS = "-/:_.,;"


def _split_word(word: str, width: int) -> list[str]:
    """Cut a word into pieces of at most ``width`` columns, after a hyphen, slash, colon
    (…) when one falls in the second half of the piece, else at the width."""
    pieces = []
    while text_width(word) > width:
        cut, used = 0, 0
        for i, ch in enumerate(word):
            used += text_width(ch)
            if used > width:
                break
            cut = i + 1
        cut = max(cut, 1)
        soft = max((i + 1 for i in range(cut // 2, cut) if word[i] in _BREAKS), default=0)
        cut = soft or cut
        pieces.append(word[:cut])
        word = word[cut:]
    return pieces + [word] if word else pieces


def wrap(text: str, width: int) -> list[str]:
    """Fold ``text`` into lines of at most ``width`` columns (never an empty list)."""
    width = max(width, 1)
    if text_width(text) <= width:
        return [text]
    lines: list[str] = []
    cur, cur_w = "", 0
    for word in text.split(" "):
        word_w = text_width(word)
        pieces = _split_word(word, width) if word_w > width else [word]
        for piece in pieces:
            piece_w = word_w if len(pieces) == 1 else text_width(piece)
            if not cur:
                cur, cur_w = piece, piece_w
            elif cur_w + 1 + piece_w <= width:
                cur, cur_w = f"{cur} {piece}", cur_w + 1 + piece_w
            else:
                lines.append(cur)
                cur, cur_w = piece, piece_w
    lines.append(cur)
    return lines


def _shrink(widths: list[int], budget: int, floors: Sequence[int]) -> None:
    """Take one column from the widest column above its floor until ``widths`` fit."""
    while sum(widths) > budget:
        i = max(range(len(widths)), key=lambda k: (widths[k] > floors[k], widths[k]))
        if widths[i] <= floors[i]:
            return
        widths[i] -= 1


def _grow(widths: list[int], budget: int, caps: Sequence[int]) -> None:
    """Give one column to the narrowest column below its cap while there is room."""
    while sum(widths) < budget:
        i = min(range(len(widths)), key=lambda k: (widths[k] >= caps[k], widths[k]))
        if widths[i] >= caps[i]:
            return
        widths[i] += 1


def column_widths(natural: Sequence[int], width: int, headers: Sequence[int] = (),
                  typical: Sequence[int] = ()) -> list[int]:
    """The widths of the columns of a row that fits in ``width`` (with gaps).

    Each column first gets its ``typical`` width (what most of its cells need; default:
    its natural width, the widest cell). If that is too wide, the widest columns are
    narrowed one column at a time, keeping the header's width while that is enough, then
    at least :data:`MIN_COLUMN`, then whatever fits; if there is room left, the columns
    that have wider cells grow, narrowest first, up to their natural width.
    """
    budget = width - GAP * (len(natural) - 1)
    widths = [min(n, t) for n, t in zip(natural, typical or natural, strict=True)]
    heads = list(headers) or [0] * len(natural)
    if sum(widths) <= budget:
        _grow(widths, budget, natural)
        return widths
    for least in ([max(MIN_COLUMN, h) for h in heads], [MIN_COLUMN] * len(natural),
                  [1] * len(natural)):
        _shrink(widths, budget, [min(f, n) for f, n in zip(least, natural, strict=True)])
    return widths


def _typical(cells: Sequence[str], header: str) -> int:
    """The width that nine cells in ten of a column fit in (at least the header's)."""
    sizes = sorted(text_width(c) for c in cells)
    return max(text_width(header), sizes[(len(sizes) * 9) // 10 - 1] if sizes else 0)


def _pad(s: str, width: int) -> str:
    return s + " " * (width - text_width(s))


#: A table whose columns cannot each have this many characters (or what their cells
#: typically need, if less) is shown as records instead, one ``header  value`` line each.
READABLE_COLUMN = 16


def fit_table(headers: Sequence[str], rows: Sequence[Sequence[str]], width: int | None = None,
              *, color: bool = False) -> str:
    """An aligned table of at most ``width`` columns a line (``None``: natural width).

    A table too wide for its columns to stay readable (see :data:`READABLE_COLUMN`) is
    written as records instead (:func:`fit_records`).
    """
    rows = [[_compact(c.replace("\n", " ")) for c in r] for r in rows]
    natural = [text_width(h) for h in headers]
    for r in rows:
        natural = [max(w, text_width(c)) for w, c in zip(natural, r, strict=True)]
    if width is None or sum(natural) + GAP * (len(natural) - 1) <= width:
        return _layout(headers, rows, natural, False, color)
    typical = [_typical([r[i] for r in rows], h) for i, h in enumerate(headers)]
    least = sum(min(t, READABLE_COLUMN) for t in typical) + GAP * (len(headers) - 1)
    if least > width and rows:
        return fit_records(headers, rows, width, color=color)
    widths = column_widths(natural, width, [text_width(h) for h in headers], typical)
    return _layout(headers, rows, widths, True, color)


def _layout(headers: Sequence[str], rows: Sequence[Sequence[str]], widths: Sequence[int],
            wrapped: bool, color: bool) -> str:
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


def fit_records(headers: Sequence[str], rows: Sequence[Sequence[str]], width: int,
                *, color: bool = False) -> str:
    """Rows as records: a ``header  value`` line per non-empty cell, values folded to
    ``width``, a blank line between records."""
    key = max(text_width(h) for h in headers)
    room = max(width - key - GAP, 10)
    out: list[str] = []
    for n, row in enumerate(rows):
        if n:
            out.append("")
        for h, cell in zip(headers, row, strict=True):
            if not cell:
                continue
            name = _pad(h, key)
            if color:
                name = BOLD + name + RESET
            folded = wrap(cell, room)
            out.append(f"{name}  {folded[0]}".rstrip())
            out.extend(" " * (key + GAP) + line for line in folded[1:])
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


__all__ = ["BOLD", "GAP", "MIN_COLUMN", "READABLE_COLUMN", "RESET", "column_widths",
           "fit_records", "fit_table", "fold_text", "text_width", "wrap"]
