"""Connections of the endpoint: a cap, and time limits for slow and idle clients.

uvicorn's HTTP/1.1 protocol (h11) with three bounds added, per server:

* **Connection cap** (``max_connections``): a connection past the cap gets a one-line
  HTTP 503 (``Connection: close``) and is closed at once, before anything is read.
* **Header timeout** (``header_timeout``): from its first byte, a request must arrive
  whole (headers and body) within this many seconds, or the connection is closed, so
  clients that send a byte now and then cannot hold connections.
* **Idle timeout** (``idle_timeout``): a connection that has sent nothing yet, or
  nothing since its last answer (keep-alive), is closed after this many seconds.

Writes of one event-loop step go out as one ``send`` (:class:`Coalesced`): an answer's
status line, headers and body reach a keep-alive client in one packet, not two.

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


class Coalesced:
    """A transport that sends the writes of one event-loop step as one ``send``.

    uvicorn writes an answer's status line and headers, then its body: two packets, and
    a keep-alive client wakes up for each. Writes are held until the current callback
    returns (or 64 KiB are held, or the transport closes), then sent together.
    """

    def __init__(self, transport: Any, loop: Any) -> None:
        self.transport = transport
        self.loop = loop
        self._held: list[bytes] = []
        self._size = 0

    def write(self, data: bytes) -> None:
        if not data:
            return
        if not self._held:
            self.loop.call_soon(self.flush)
        self._held.append(data)
        self._size += len(data)
        if self._size >= 1 << 16:
            self.flush()

    def flush(self) -> None:
        if self._held:
            data = self._held[0] if len(self._held) == 1 else b"".join(self._held)
            self._held, self._size = [], 0
            if not self.transport.is_closing():
                self.transport.write(data)

    def close(self) -> None:
        self.flush()
        self.transport.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.transport, name)


def answer_directly(protocol: Any, data: bytes) -> bool:
    """Answer a request of the direct path on an idle connection (its answer written in
    one piece); False: the protocol's h11 connection reads it as usual.

    An answer that a query thread computes is written once it is ready; the connection
    reads nothing until then, and takes the usual way if the thread gives no answer.
    """
    import h11

    conn = protocol.conn
    if conn.our_state is not h11.IDLE or conn.their_state is not h11.IDLE \
            or conn.trailing_data[0] or protocol.flow.write_paused \
            or protocol._read_timer is not None or protocol.transport.is_closing():
        return False
    out = protocol.answer(data, protocol.server_state.default_headers)
    if out is None:
        return False
    protocol._unset_keepalive_if_required()
    if isinstance(out, bytes):
        _send(protocol, out)
        return True
    protocol.flow.pause_reading()

    def ready(fut: Any) -> None:
        if protocol.transport.is_closing():
            return
        protocol.flow.resume_reading()
        if fut.result() is None:
            protocol.usual(data)
        else:
            _send(protocol, fut.result())

    out.add_done_callback(ready)
    return True


def _send(protocol: Any, out: bytes) -> None:
    """Write a direct answer in one piece and wait for the next request."""
    protocol.transport.write(out)
    protocol.transport.flush()  # the Coalesced transport: sent now, in one piece
    protocol.server_state.total_requests += 1
    protocol.timeout_keep_alive_task = protocol.loop.call_later(
        protocol.timeout_keep_alive, protocol.timeout_keep_alive_handler)


def refuse_connection(protocol: Any, transport: Any) -> None:
    """Answer a connection over the cap with HTTP 503 and close it."""
    logging.getLogger("uvicorn.error").warning(
        "connection refused: %d connections open (the cap)", len(protocol.connections))
    transport.write(FULL)
    transport.close()
    protocol.transport = transport


def cancel_timers(protocol: Any) -> None:
    """Stop a connection's header and idle timers."""
    for timer in (protocol._read_timer, protocol._idle_timer):
        if timer is not None:
            timer.cancel()
    protocol._read_timer = protocol._idle_timer = None


def protocol_class(limits: Limits, direct: Any = None) -> type:
    """uvicorn's h11 protocol class with the given :class:`Limits`.

    ``direct``: a :class:`~channelkg.serve.direct.Direct`, which answers the requests of
    the direct path on idle connections (see :mod:`channelkg.serve.direct`).
    """
    from uvicorn.protocols.http.h11_impl import H11Protocol

    class Bounded(H11Protocol):
        """H11Protocol with a connection cap, a header timeout and an idle timeout."""

        bounds = limits
        answer = direct

        def connection_made(self, transport: Any) -> None:
            self._refused = len(self.connections) >= self.bounds.max_connections
            self._read_timer: Any = None
            self._idle_timer: Any = None
            if self._refused:
                refuse_connection(self, transport)
                return
            coalesced: Any = Coalesced(transport, self.loop)
            super().connection_made(coalesced)
            self._idle_timer = self.loop.call_later(self.bounds.idle_timeout, self._expire)

        def connection_lost(self, exc: Exception | None) -> None:
            if self._refused:
                return
            cancel_timers(self)
            super().connection_lost(exc)

        def _expire(self) -> None:
            cancel_timers(self)
            if not self.transport.is_closing():
                self.transport.close()

        def data_received(self, data: bytes) -> None:
            if self._refused:
                return
            if self._idle_timer is not None:
                self._idle_timer.cancel()
                self._idle_timer = None
            idle = self.cycle is None or self.cycle.response_complete
            if idle and self.answer is not None and answer_directly(self, data):
                return
            self.usual(data)

        def usual(self, data: bytes) -> None:
            """Read the data the usual way (h11), under the header timeout."""
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


__all__ = ["Coalesced", "Limits", "RateLimit", "answer_directly", "protocol_class"]
