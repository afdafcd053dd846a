"""The endpoint's front door: an ASGI layer around every route (pages included).

In order, for every HTTP request:

1. **Host check** (against DNS rebinding): the ``Host`` header must name the loopback
   (``localhost``, ``127.0.0.1``, ``::1``), the host the server is bound to, or a name
   given with ``--allow-host`` (``*``: any). Otherwise HTTP 421, one line, nothing run.
2. **OPTIONS**: a CORS preflight from an origin given with ``--cors`` gets 204 with the
   ``Access-Control-Allow-*`` headers; every other ``OPTIONS`` gets 204 with ``Allow``
   and no CORS header.
3. **Body limit**: a body larger than ``max_body`` bytes gets HTTP 413 and the connection
   is closed, whether its size is announced (``Content-Length``, refused before reading)
   or not (chunked: reading stops at the first chunk past the limit).
4. **Headers on every answer**: ``Content-Security-Policy`` (unless the route set its
   own), ``X-Content-Type-Options: nosniff``, ``X-Frame-Options: DENY``,
   ``Referrer-Policy: no-referrer``; and, for a request from an origin given with
   ``--cors``, ``Access-Control-Allow-Origin`` (the origin itself, or ``*`` when ``--cors
   '*'``), ``Vary: Origin`` and ``Access-Control-Expose-Headers``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]

LOOPBACK = frozenset({"localhost", "127.0.0.1", "::1"})
#: The default policy: scripts, styles and data only from the endpoint itself; no frames.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
       "img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
       "form-action 'self'; frame-ancestors 'none'")
SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
)
QUERY_PATHS = ("/", "/sparql")
#: Request headers a preflight may ask for.
CORS_HEADERS = frozenset({"accept", "accept-language", "content-language", "content-type",
                          "cache-control", "pragma", "x-requested-with"})
CORS_METHODS = "GET, HEAD, POST, OPTIONS"
EXPOSED = b"X-Channelkg-Truncated, Retry-After, Content-Disposition"
MAX_BODY = 1 << 20


@dataclass(frozen=True)
class Policy:
    """What the front door lets in.

    Attributes:
        hosts: host names (lower case, no port) the ``Host`` header may give; ``*``: any.
        cors: origins (``scheme://host[:port]``) allowed to read answers; ``*``: any.
        max_body: most bytes in a request body.
    """

    hosts: frozenset[str] = LOOPBACK
    cors: frozenset[str] = field(default_factory=frozenset)
    max_body: int = MAX_BODY

    @classmethod
    def build(cls, bound: str = "127.0.0.1", allow_hosts: tuple[str, ...] = (),
              cors: tuple[str, ...] = (), max_body: int = MAX_BODY) -> Policy:
        """The policy for a server bound to ``bound`` with the given options."""
        hosts = set(LOOPBACK) | {h.strip().strip("[]").lower() for h in allow_hosts}
        if bound not in ("0.0.0.0", "::", ""):
            hosts.add(bound.strip("[]").lower())
        origins = {o.strip().rstrip("/").lower() for o in cors}
        return cls(frozenset(hosts), frozenset(origins), max_body)

    def host_allowed(self, host: str | None) -> bool:
        if host is None or "*" in self.hosts:
            return True
        return host_name(host) in self.hosts

    def origin(self, origin: str | None) -> bytes | None:
        """The ``Access-Control-Allow-Origin`` value for a request's Origin, or None."""
        if not origin or not self.cors:
            return None
        if "*" in self.cors:
            return b"*"
        if origin.lower() in self.cors:
            return origin.encode("latin-1")
        return None


def host_name(host: str) -> str:
    """The name of a ``Host`` header value, without port and brackets, lower case."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1:].split("]", 1)[0]
    name, sep, port = host.rpartition(":")
    return name if sep and port.isdigit() and ":" not in name else host


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return bytes(value).decode("latin-1")
    return None


async def _plain(send: Send, status: int, text: str,
                 headers: list[tuple[bytes, bytes]] | None = None) -> None:
    body = (text + "\n").encode("utf-8") if text else b""
    extra = [(b"content-type", b"text/plain; charset=utf-8")] if body else []
    await send({"type": "http.response.start", "status": status,
                "headers": [*extra, (b"content-length", str(len(body)).encode()),
                            *(headers or [])]})
    await send({"type": "http.response.body", "body": body})


class Guard:
    """The ASGI layer that applies a :class:`Policy` to an application."""

    def __init__(self, app: App, policy: Policy) -> None:
        self.app = app
        self.policy = policy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        allow_origin = self.policy.origin(_header(scope, b"origin"))
        send = self._decorate(send, allow_origin)
        host = _header(scope, b"host")
        if not self.policy.host_allowed(host):
            await _plain(send, 421, f"this server does not answer for the host {host!r} "
                         "(start it with --allow-host NAME to allow a name)")
            return
        if scope["method"] == "OPTIONS":
            await self._options(scope, send, allow_origin)
            return
        if scope["method"] in ("POST", "PUT", "PATCH"):
            replay = await self._read_body(scope, receive, send)
            if replay is None:
                return
            receive = replay
        await self.app(scope, receive, send)

    def _decorate(self, send: Send, allow_origin: bytes | None) -> Send:
        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {bytes(k).lower() for k, _ in headers}
                if b"content-security-policy" not in names:
                    headers.append((b"content-security-policy", CSP.encode()))
                headers += [h for h in SECURITY_HEADERS if h[0] not in names]
                if allow_origin is not None:
                    headers += [(b"access-control-allow-origin", allow_origin),
                                (b"access-control-expose-headers", EXPOSED)]
                if self.policy.cors:
                    headers.append((b"vary", b"Origin"))
                message = {**message, "headers": headers}
            await send(message)

        return wrapped

    async def _options(self, scope: Scope, send: Send, allow_origin: bytes | None) -> None:
        allow = CORS_METHODS if scope["path"] in QUERY_PATHS else "GET, HEAD, OPTIONS"
        headers = [(b"allow", allow.encode())]
        method = _header(scope, b"access-control-request-method")
        if allow_origin is not None and method is not None:
            asked = [h.strip().lower() for h in
                     (_header(scope, b"access-control-request-headers") or "").split(",")
                     if h.strip()]
            granted = [h for h in asked if h in CORS_HEADERS]
            if method.upper() in allow.split(", ") and len(granted) == len(asked):
                headers += [(b"access-control-allow-methods", allow.encode()),
                            (b"access-control-max-age", b"600")]
                if granted:
                    headers.append((b"access-control-allow-headers",
                                    ", ".join(granted).encode()))
        await _plain(send, 204, "", headers)

    async def _read_body(self, scope: Scope, receive: Receive, send: Send) -> Receive | None:
        """Read the whole body (at most the limit); None when it was refused."""
        limit = self.policy.max_body
        too_big = f"request body larger than {limit} bytes"
        close = [(b"connection", b"close")]
        length = _header(scope, b"content-length")
        if length is not None and length.strip().isdigit() and int(length) > limit:
            await _plain(send, 413, too_big, close)
            return None
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            chunk = bytes(message.get("body", b""))
            size += len(chunk)
            if size > limit:
                await _plain(send, 413, too_big, close)
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        return replay


__all__ = ["CSP", "LOOPBACK", "MAX_BODY", "SECURITY_HEADERS", "Guard", "Policy", "host_name"]
