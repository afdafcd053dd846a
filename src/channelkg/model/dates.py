"""The one parser of dates typed by users: options, ``add`` fields and query parameters.

Accepted: ``YYYY-MM-DD`` (``2024-07-09``) and the same without dashes (``20240709``).
Anything else, the empty string included, is an :class:`~channelkg.errors.InputError`
whose message names the option (``--as-of``, ``--on``, ``--from`` ...) and the forms
accepted. Month or year precision, when added, belongs here.
"""

from __future__ import annotations

import datetime as dt
import re

from channelkg.errors import InputError

FORMS = "YYYY-MM-DD or YYYYMMDD, e.g. 2024-07-09"

_DASHED = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})")


def parse_date(value: str, option: str = "") -> dt.date:
    """Parse a date a user typed.

    Args:
        value: the text, e.g. ``2024-07-09`` or ``20240709`` (surrounding blanks ignored).
        option: where the value came from (``--as-of``), named in the message.

    Returns:
        The day.

    Raises:
        InputError: the text is empty, not in an accepted form, or no real day.
    """
    text = str(value).strip()
    where = f" {option}" if option else ""
    m = _DASHED.fullmatch(text) or _COMPACT.fullmatch(text)
    if not text:
        why = "empty"
    elif m is None:
        why = "not a date"
    else:
        try:
            return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        except ValueError as err:
            why = str(err)
    raise InputError(f"bad date{where} {value!r}: {why} (use {FORMS})")


def parse_optional_date(value: str | None, option: str = "") -> dt.date | None:
    """:func:`parse_date`, with ``None`` (option not given) passed through."""
    return None if value is None else parse_date(value, option)


def option_day(on: str | None, as_of: str | None) -> dt.date | None:
    """The day ``--on`` gives, else the day ``--as-of`` gives, else ``None`` (today)."""
    if on is not None:
        return parse_date(on, "--on")
    return parse_optional_date(as_of, "--as-of")


def literal_date(value: object) -> dt.date | None:
    """The day an ``xsd:date`` value in the graph stands for, or ``None`` if it is none.

    Stored dates are written ``YYYY-MM-DD`` (a ``dateTime`` counts by its day).
    """
    m = _DASHED.match(str(value).strip())
    if m is None:
        return None
    try:
        return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None


__all__ = ["FORMS", "literal_date", "option_day", "parse_date", "parse_optional_date"]
