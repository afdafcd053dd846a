"""The direct path: a plain GET of a known cheap query, answered from the bytes it came in.

A request on an idle keep-alive connection that arrives whole in one read and is
nothing but a ``GET /sparql?…`` (or ``GET /?…``) over HTTP/1.1, with one ``Host``
header the :class:`~channelkg.serve.guard.Policy` allows, no body and no header that
changes how the connection goes on (``Content-Length``, ``Transfer-Encoding``,
``Upgrade``, ``Expect``, a ``Connection`` other than ``keep-alive``) and no header a
proxy adds (``Forwarded``, ``X-Forwarded-*``: the usual way may take the request's
scheme, and so its base IRI, from them), is read here:
its query operation by :func:`~channelkg.serve.protocol.read_get`, as every GET is.
When its query is known cheap (:mod:`channelkg.serve.cheap`), it is answered here
too, with the status line, the headers every answer carries (the security headers
and, for a ``--cors`` origin, the CORS ones) and the body written at once: at once, or,
for a query run in a query thread, once it has run (the connection reads nothing meanwhile).

Every other request, and every request whose query is not known cheap, takes the
usual way (h11, the :class:`~channelkg.serve.guard.Guard`, the routes), unchanged: this
path only saves the framework's work on the requests it answers, and answers them as
the usual way would (the suite compares the two). What a request's bytes say (the job,
the headers of its answer) is remembered for the last :data:`REMEMBERED` requests
of at most :data:`MAX_HEAD` bytes; whether its query is known is looked up every time.
"""

from __future__ import annotations

import asyncio
import re
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass

from channelkg.serve.cheap import Known
from channelkg.serve.guard import CSP, EXPOSED, SECURITY_HEADERS, Policy
from channelkg.serve.protocol import Refusal, read_get
from channelkg.serve.workers import Job, Reply

#: Longest request (line and headers) read here; h11 takes longer ones.
MAX_HEAD = 8192
#: Requests whose reading is remembered.
REMEMBERED = 256

_LINE = re.compile(rb"GET (/|/sparql)\?([!-~]*) HTTP/1\.1")
_FIELD = re.compile(rb"([!#$%&'*+.^_`|~0-9A-Za-z-]+):[ \t]*((?:[!-~](?:[ \t]*[!-~])*)?)[ \t]*")
_HOST = re.compile(r"[A-Za-z0-9.-]+(?::[0-9]{1,5})?|\[[0-9A-Fa-f:.]+\](?::[0-9]{1,5})?")
#: Headers that make a request something else than a plain GET.
_OTHER = frozenset({b"content-length", b"transfer-encoding", b"upgrade", b"expect", b"te",
                    b"trailer", b"forwarded"})
#: Headers a proxy adds: the usual way may read the scheme (the base IRI) or the client
#: from them, so a request with any of them takes the usual way.
_PROXY = b"x-forwarded-"


@dataclass(frozen=True)
class Read:
    """What a request's bytes say: its job and the headers its answer ends with."""

    job: Job
    tail: bytes


def _fields(lines: Iterable[bytes]) -> dict[bytes, bytes] | None:
    """The header fields (names in lower case); None for anything unusual."""
    fields: dict[bytes, bytes] = {}
    for line in lines:
        m = _FIELD.fullmatch(line)
        if m is None:
            return None
        name = m.group(1).lower()
        if name in fields or name in _OTHER or name.startswith(_PROXY):
            return None
        fields[name] = m.group(2)
    connection = fields.get(b"connection")
    if connection is not None and connection.lower() != b"keep-alive":
        return None
    return fields


def _tail(policy: Policy, origin: bytes | None) -> bytes:
    """The headers the :class:`~channelkg.serve.guard.Guard` adds to an answer."""
    headers = [(b"content-security-policy", CSP.encode()), *SECURITY_HEADERS]
    allow = policy.origin(None if origin is None else origin.decode("latin-1"))
    if allow is not None:
        headers += [(b"access-control-allow-origin", allow),
                    (b"access-control-expose-headers", EXPOSED)]
    if policy.cors:
        headers.append((b"vary", b"Origin"))
    return b"".join(k + b": " + v + b"\r\n" for k, v in headers) + b"\r\n"


class Direct:
    """Answer the requests of the direct path (see the module's description).

    Args:
        known: the known cheap queries and the server's copy of the graph.
        policy: the front door's policy (hosts, CORS).
        max_rows: the endpoint's row limit.
    """

    def __init__(self, known: Known, policy: Policy, max_rows: int) -> None:
        self.known = known
        self.policy = policy
        self.max_rows = max_rows
        self._read: OrderedDict[bytes, Read | None] = OrderedDict()
        self._date: tuple[object, bytes] = (None, b"")

    def read(self, data: bytes) -> Read | None:
        """What a request says, or None when it does not take the direct path."""
        if data in self._read:
            self._read.move_to_end(data)
            return self._read[data]
        found = self._parse(data)
        self._read[data] = found
        while len(self._read) > REMEMBERED:
            self._read.popitem(last=False)
        return found

    def _parse(self, data: bytes) -> Read | None:
        line, *lines = data[:-4].split(b"\r\n")
        m = _LINE.fullmatch(line)
        fields = None if m is None else _fields(lines)
        if m is None or fields is None or b"host" not in fields:
            return None
        host = fields[b"host"].decode("ascii")
        if _HOST.fullmatch(host) is None or not self.policy.host_allowed(host):
            return None
        path = m.group(1).decode("ascii")
        req = read_get(m.group(2), f"http://{host}{path}")
        # Nothing is parsed here (this runs on the event loop for every new request):
        # only a known query is answered on this path, and whether it is known is a
        # look-up in the table (Known.direct). An update or a SERVICE query never
        # becomes known: a query is known only once a worker answered it with HTTP 200,
        # and execute() answers either with HTTP 403 before it runs anything (the
        # SERVICE check fails closed), here as in a worker; the usual way refuses it.
        if isinstance(req, Refusal) or req.text is None:
            return None
        accept = fields.get(b"accept")
        job = Job(text=req.text, accept=None if accept is None else accept.decode("latin-1"),
                  fmt=req.fmt, max_rows=self.max_rows, base=req.base,
                  default_graphs=req.default_graphs, named_graphs=req.named_graphs)
        return Read(job, _tail(self.policy, fields.get(b"origin")))

    def __call__(self, data: bytes, default_headers: list[tuple[bytes, bytes]]
                 ) -> bytes | asyncio.Future[bytes | None] | None:
        """The whole answer to a request that arrived whole, or None: the usual way.

        A known query run in a query thread (see :meth:`~channelkg.serve.cheap.Known.direct`)
        gives a future of the answer instead, done on the event loop (None: the usual way).
        ``default_headers``: the server's headers for every answer (its ``date``).
        """
        if len(data) > MAX_HEAD or not data.endswith(b"\r\n\r\n") \
                or data.find(b"\r\n\r\n") != len(data) - 4:
            return None
        read = self.read(data)
        if read is None:
            return None
        reply = self.known.direct(read.job)
        if not isinstance(reply, asyncio.Future):
            return None if reply is None else self._whole(read, reply, default_headers)
        answer: asyncio.Future[bytes | None] = asyncio.get_running_loop().create_future()

        def done(ran: asyncio.Future[Reply | None]) -> None:
            got = ran.result()
            answer.set_result(None if got is None else self._whole(read, got, default_headers))

        reply.add_done_callback(done)
        return answer

    def _whole(self, read: Read, reply: Reply, default_headers: list[tuple[bytes, bytes]]
               ) -> bytes:
        """Status line, headers and body of a reply, in one piece."""
        if self._date[0] is not default_headers:
            self._date = (default_headers,
                          b"".join(k + b": " + v + b"\r\n" for k, v in default_headers))
        extra = b"".join(k.lower().encode("latin-1") + b": " + v.encode("latin-1") + b"\r\n"
                         for k, v in reply.headers.items())
        return b"".join((b"HTTP/1.1 200 OK\r\n", self._date[1], extra,
                         b"content-length: %d\r\ncontent-type: %s\r\n"
                         % (len(reply.body), reply.media.encode("latin-1")),
                         read.tail, reply.body))


__all__ = ["MAX_HEAD", "REMEMBERED", "Direct", "Read"]
