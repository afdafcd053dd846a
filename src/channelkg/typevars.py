"""Type variables for annotations only: modules import them under ``TYPE_CHECKING``, so
that :mod:`typing` (slow to import) is not imported at run time by the code of the
command line's fast paths (``channelkg --help``, ``channelkg query NAME``)."""

from typing import TypeVar

T = TypeVar("T")

__all__ = ["T"]
