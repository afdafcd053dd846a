"""CSV for spreadsheets: cells that a spreadsheet would run as a formula, neutralised.

A cell that starts with ``=``, ``+``, ``-`` or ``@`` (or a tab or CR, which some
spreadsheets skip before looking) is read as a formula by Excel, LibreOffice and
Google Sheets: data such as ``=HYPERLINK("http://…")`` would run when the file is
opened. With ``--safe-csv`` (:data:`SAFE_CSV`) every such cell is written with a
leading ``'``, which spreadsheets show as text. Off by default: CSV output stays the
exact data (and SPARQL 1.1 CSV results).
"""

from __future__ import annotations

from contextvars import ContextVar

#: Whether CSV written now neutralises formula cells (``--safe-csv`` sets it).
SAFE_CSV: ContextVar[bool] = ContextVar("channelkg_safe_csv", default=False)

#: The first characters that make a spreadsheet read a cell as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(cell: str) -> str:
    """``cell`` prefixed with ``'`` if a spreadsheet would read it as a formula.

    >>> neutralise('=1+1'), neutralise('-3'), neutralise('plain')
    ("'=1+1", "'-3", 'plain')
    """
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


def for_spreadsheet(rows: list[list[str]]) -> list[list[str]]:
    """``rows`` with every cell neutralised when :data:`SAFE_CSV` is on, else as they are."""
    if not SAFE_CSV.get():
        return rows
    return [[neutralise(c) for c in row] for row in rows]


__all__ = ["FORMULA_STARTS", "SAFE_CSV", "for_spreadsheet", "neutralise"]
