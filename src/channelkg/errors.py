"""Exceptions raised by the library. The CLI turns them into one-line messages."""

from __future__ import annotations


class ChannelKGError(Exception):
    """Base class of every error the library raises on purpose."""

    exit_code = 2


class InputError(ChannelKGError):
    """Bad input: a missing or unreadable file, a syntax error, an unknown name.

    ``location`` is ``file``, ``file:line`` or ``file:line:column`` when known.
    """

    def __init__(self, message: str, location: str | None = None) -> None:
        self.message = message
        self.location = location
        super().__init__(f"{location}: {message}" if location else message)


class QueryError(ChannelKGError):
    """A SPARQL query that cannot be parsed or run, or a bad query parameter."""


class CheckFailedError(ChannelKGError):
    """A check ran and found problems (validation failed)."""

    exit_code = 1


class InternalError(ChannelKGError):
    """A bug of channelkg, not of the input (exit 3): nothing was written."""

    exit_code = 3
