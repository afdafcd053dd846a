"""Connections of the endpoint: a cap, and time limits for slow and idle clients.

uvicorn's HTTP/1.1 protocol (h11) with three bounds added, per server:

* **Connection cap** (``max_connections``): a connection past the cap gets a one-line
  HTTP 503 (``Connection: close``) and is closed at once, before anything is read.
* **Header timeout** (``header_timeout``): from its first byte, a request must arrive
  whole (headers and body) within this many seconds, or the connection is closed, so
  clients that send a byte now and then cannot hold connections.
* **Idle timeout** (``idle_timeout``): a connection that has sent nothing yet, or
  nothing since its last answer (keep-alive), is closed after this many seconds.

Warnings about refused or malformed connections are rate-limited (:class:`RateLimit`):
a flood of bad clients writes a few lines a minute to the log, not one per client.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

FULL = (b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\n"
        b"Content-Length: 45\r\nConnection: close\r\nRetry-After: 1\r\n\r\n"
        b"too many open connections; try again shortly\n")


@dataclass(frozen=True)
class Limits:
    """Connection limits (see the module's description); seconds and counts."""

    max_connections: int = 256
    header_timeout: float = 10.0
    idle_timeout: float = 5.0


class RateLimit(logging.Filter):
    """Let at most ``burst`` warnings through per ``period`` seconds; count the rest."""

    def __init__(self, burst: int = 10, period: float = 60.0) -> None:
        super().__init__()
        self.burst = burst
        self.period = period
        self._start = time.monotonic()
        self._count = 0
        self._dropped = 0

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.ERROR:
            return True
        now = time.monotonic()
        if now - self._start > self.period:
            if self._dropped:
                record.msg = f"{record.msg} ({self._dropped} similar messages not shown)"
            self._start, self._count, self._dropped = now, 0, 0
        self._count += 1
        if self._count > self.burst:
            self._dropped += 1
            return False
        return True


def protocol_class(limits: Limits) -> type:
    """uvicorn's h11 protocol class with the given :class:`Limits`."""
    from uvicorn.protocols.http.h11_impl import H11Protocol

    class Bounded(H11Protocol):
        """H11Protocol with a connection cap, a header timeout and an idle timeout."""

        bounds = limits

        def connection_made(self, transport: Any) -> None:
            self._refused = len(self.connections) >= self.bounds.max_connections
            self._read_timer: Any = None
            self._idle_timer: Any = None
            if self._refused:
                logging.getLogger("uvicorn.error").warning(
                    "connection refused: %d connections open (the cap)", len(self.connections))
                transport.write(FULL)
                transport.close()
                self.transport = transport
                return
            super().connection_made(transport)
            self._idle_timer = self.loop.call_later(self.bounds.idle_timeout, self._expire)

        def connection_lost(self, exc: Exception | None) -> None:
            if self._refused:
                return
            self._cancel()
            super().connection_lost(exc)

        def _cancel(self) -> None:
            for timer in (self._read_timer, self._idle_timer):
                if timer is not None:
                    timer.cancel()
            self._read_timer = self._idle_timer = None

        def _expire(self) -> None:
            self._cancel()
            if not self.transport.is_closing():
                self.transport.close()

        def data_received(self, data: bytes) -> None:
            if self._refused:
                return
            if self._idle_timer is not None:
                self._idle_timer.cancel()
                self._idle_timer = None
            idle = self.cycle is None or self.cycle.response_complete
            if idle and self._read_timer is None:
                self._read_timer = self.loop.call_later(self.bounds.header_timeout,
                                                        self._expire)
            super().data_received(data)
            self._settle()

        def _settle(self) -> None:
            """Stop the header timer once the current request has arrived whole."""
            cycle = self.cycle
            done = cycle is not None and not cycle.response_complete and not cycle.more_body
            if done and self._read_timer is not None:
                self._read_timer.cancel()
                self._read_timer = None

        def on_response_complete(self) -> None:
            super().on_response_complete()
            if self.transport.is_closing():
                return
            cycle = self.cycle
            if cycle is not None and not cycle.response_complete and cycle.more_body:
                # a pipelined request is under way: it gets a header timer of its own
                self._read_timer = self.loop.call_later(self.bounds.header_timeout,
                                                        self._expire)

    return Bounded


__all__ = ["Limits", "RateLimit", "protocol_class"]
