"""The direct path: a plain GET of a known cheap query is answered from its bytes, with
the same answer the usual way (h11, the front door, the routes) gives; every other
request takes the usual way."""

from __future__ import annotations

import asyncio
import socket
import urllib.parse
from collections.abc import Iterator

import pytest

from channelkg.graph.open import GraphSpec
from channelkg.serve.app import prepare_graph
from channelkg.serve.cheap import Known
from channelkg.serve.direct import Direct
from channelkg.serve.guard import Policy
from channelkg.serve.workers import Served, WorkerPool
from channelkg.sparql import query as sparql_query
from conftest import TINY
from test_serve import Server, start_server, stop_server

pytestmark = pytest.mark.server

ORIGIN = "http://127.0.0.1:3000"
# a relative IRI: the answer holds the base IRI, which the request's Host gives
MARKETS = ("PREFIX ckg: <https://w3id.org/channelkg/ontology#> "
           "SELECT ?m ?code (<here> AS ?base) WHERE { ?m a ckg:Market ; ckg:isoCode ?code } "
           "ORDER BY ?code")
SPEC = GraphSpec(data=(TINY,))
DATE = [(b"date", b"Thu, 01 Jan 2026 00:00:00 GMT")]


def get(port: int, text: str = MARKETS, extra: bytes = b"", target: bytes = b"/sparql",
        method: bytes = b"GET") -> bytes:
    query = urllib.parse.urlencode({"query": text, "format": "json"}).encode()
    return (method + b" " + target + b"?" + query + b" HTTP/1.1\r\n"
            b"Host: 127.0.0.1:%d\r\nAccept: application/sparql-results+json\r\n"
            b"Origin: " % port + ORIGIN.encode() + b"\r\n" + extra + b"\r\n")


def read_answer(sock: socket.socket, left: bytearray | None = None) -> bytes:
    """One whole answer (status line, headers and a Content-Length body).

    ``left``: bytes read before, and where the bytes of the next answers (pipelined
    answers may come in one read) are kept.
    """
    data = bytes(left or b"")
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, "the server closed the connection"
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                  if line.lower().startswith(b"content-length:"))
    while len(body) < length:
        body += sock.recv(65536)
    if left is not None:
        left[:] = body[length:]
    assert len(body) == length or left is not None
    return head + b"\r\n\r\n" + body[:length]


def parts(answer: bytes) -> tuple[bytes, list[tuple[bytes, bytes]], bytes]:
    """Status line, headers without ``date`` (sorted, names in lower case), body."""
    head, _, body = answer.partition(b"\r\n\r\n")
    status, *lines = head.split(b"\r\n")
    fields = [(k.strip().lower(), v.strip()) for k, v in (ln.split(b":", 1) for ln in lines)]
    return status, sorted(f for f in fields if f[0] != b"date"), body


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    srv = start_server("--data", str(TINY), "--cors", ORIGIN)
    yield srv
    stop_server(srv)


@pytest.fixture(scope="module")
def pool() -> Iterator[WorkerPool]:
    p = WorkerPool(Served(SPEC), size=1, timeout=10.0)
    p.start()
    yield p
    p.close()


@pytest.fixture
def direct(pool: WorkerPool, server: Server) -> Iterator[Direct]:
    kg = prepare_graph(SPEC)
    assert kg is not None
    known = Known(kg, timeout=10.0)
    known.limit = 5.0  # however loaded the machine, the query is within it
    d = Direct(known, Policy.build(cors=(ORIGIN,)), max_rows=10000)
    read = d.read(get(server.port))
    assert read is not None
    assert asyncio.run(known.answer(pool, read.job)).status == 200  # now known
    yield d
    known.close()


def test_a_direct_answer_is_the_usual_answer(server: Server, direct: Direct) -> None:
    request = get(server.port)
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
        answers = []
        for _ in range(4):  # the first by a worker; then known (on a machine not too busy)
            sock.sendall(request)
            answers.append(parts(read_answer(sock)))
    first = answers[0]
    assert first[0] == b"HTTP/1.1 200 OK"
    assert all(a == first for a in answers[1:])
    ours = direct(request, DATE)
    assert ours is not None and ours.startswith(b"HTTP/1.1 200 OK\r\ndate: ")
    assert parts(ours) == first  # the same status, headers and body as the usual way
    assert b"access-control-allow-origin" in dict(first[1])
    assert f"http://127.0.0.1:{server.port}/here".encode() in first[2]


@pytest.mark.parametrize("variant", [
    "post", "head", "close", "content-length", "chunked", "two requests", "no host",
    "other host", "two hosts", "folded header", "update", "not known", "unfinished",
    "long", "other path", "x-forwarded-proto", "x-forwarded-for", "forwarded",
])
def test_every_other_request_takes_the_usual_way(server: Server, direct: Direct,
                                                  variant: str) -> None:
    port = server.port
    request = {
        "post": get(port, method=b"POST"),
        "head": get(port, method=b"HEAD"),
        "close": get(port, extra=b"Connection: close\r\n"),
        "content-length": get(port, extra=b"Content-Length: 0\r\n"),
        "chunked": get(port, extra=b"Transfer-Encoding: chunked\r\n"),
        "two requests": get(port) * 2,
        "no host": get(port).replace(b"Host: ", b"X-Host: "),
        "other host": get(port).replace(b"127.0.0.1:%d" % port, b"example.org"),
        "two hosts": get(port, extra=b"Host: 127.0.0.1\r\n"),
        "folded header": get(port, extra=b"X-A: 1\r\n  2\r\n"),
        "update": get(port, text="CLEAR ALL"),
        "not known": get(port, text=MARKETS + " LIMIT 1"),
        "unfinished": get(port)[:-2],
        "long": get(port, extra=b"X-A: " + b"a" * 9000 + b"\r\n"),
        "other path": get(port, target=b"/named/x"),
        "x-forwarded-proto": get(port, extra=b"X-Forwarded-Proto: https\r\n"),
        "x-forwarded-for": get(port, extra=b"x-forwarded-for: 127.0.0.2\r\n"),
        "forwarded": get(port, extra=b"Forwarded: proto=https\r\n"),
    }[variant]
    assert direct(request, DATE) is None
    assert direct(get(port), DATE) is not None


def test_a_request_from_a_proxy_gets_the_usual_answer(server: Server, direct: Direct) -> None:
    # The usual way takes the scheme from X-Forwarded-Proto (a proxy on 127.0.0.1), and
    # so the base IRI: once the query is known, the answer must not change.
    plain, forwarded = get(server.port), get(server.port, extra=b"X-Forwarded-Proto: https\r\n")
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
        for _ in range(3):  # known (on a machine not too busy) with the plain base
            sock.sendall(plain)
            status, headers, body = parts(read_answer(sock))
        answers = []
        for _ in range(3):
            sock.sendall(forwarded)
            answers.append(parts(read_answer(sock)))
    http = f"http://127.0.0.1:{server.port}/here".encode()
    assert http in body
    # what the usual way answers: the same, with the scheme the proxy gave
    https = body.replace(http, b"https" + http[4:])
    length = (b"content-length", b"%d" % len(https))
    expected = (status, sorted(length if k == length[0] else (k, v) for k, v in headers), https)
    assert answers == [expected] * 3
    assert direct(forwarded, DATE) is None


def test_a_query_not_known_is_not_parsed_on_the_direct_path(
        server: Server, direct: Direct, pool: WorkerPool, monkeypatch: pytest.MonkeyPatch) -> None:
    checked: list[str] = []
    real = sparql_query.uses_service

    def counted(text: str) -> bool:
        checked.append(text)
        return real(text)

    monkeypatch.setattr(sparql_query, "uses_service", counted)
    # "SERVICE" in a literal: the check would parse the whole query
    text = MARKETS.replace("?code }", '?code FILTER(?code != "SERVICE 1") }')
    request = get(server.port, text=text)
    for _ in range(2):
        assert direct(request, DATE) is None
    assert checked == []  # never parsed: it is not known
    read = direct.read(request)
    assert read is not None
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
        sock.sendall(request)
        status, _, body = parts(read_answer(sock))
    assert status == b"HTTP/1.1 200 OK"
    assert body == asyncio.run(pool.acall(read.job)).body  # the usual way's answer
    assert checked == []  # (the server and its workers are other processes)


def test_pipelined_and_closing_requests_are_answered_the_usual_way(server: Server) -> None:
    request = get(server.port)
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
        sock.sendall(request)
        first = parts(read_answer(sock))
        sock.sendall(request * 2)  # two requests in one read: h11 reads them
        left = bytearray()  # the two answers may come in one read too
        assert parts(read_answer(sock, left)) == first
        assert parts(read_answer(sock, left)) == first
        assert not left
        sock.sendall(get(server.port, extra=b"Connection: close\r\n"))
        status, headers, body = parts(read_answer(sock))
        assert (status, body) == (first[0], first[2])
        assert (b"connection", b"close") in headers
        assert sock.recv(1) == b""  # and the connection is closed


def test_answers_from_the_query_threads_are_the_usual_answers(
        pool: WorkerPool, monkeypatch: pytest.MonkeyPatch) -> None:
    """A server in this process, where every known query may go to a query thread: many
    keep-alive clients at once get the answers the usual way gives, whole and in order."""
    import threading

    import uvicorn

    from channelkg.serve import cheap
    from channelkg.serve.app import create_app, listen_socket
    from channelkg.serve.transport import Limits, protocol_class

    monkeypatch.setattr(cheap, "SHARE", 0.0)  # every known query costs more than this
    kg = prepare_graph(SPEC)
    assert kg is not None
    known = Known(kg, timeout=10.0)
    known.limit = 5.0  # however loaded the machine, the query is within it
    policy = Policy.build(cors=(ORIGIN,))
    sock = listen_socket("127.0.0.1", 0)
    port = sock.getsockname()[1]
    config = uvicorn.Config(create_app(pool, policy=policy, known=known), log_level="warning",
                            access_log=False, server_header=False,
                            http=protocol_class(Limits(), Direct(known, policy, 10000)))
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]})
    thread.start()
    try:
        for _ in range(300):
            if server.started:
                break
            thread.join(0.1)
        request = get(port)
        clients = [socket.create_connection(("127.0.0.1", port), timeout=30)
                   for _ in range(8)]
        clients[0].sendall(request)
        first = parts(read_answer(clients[0]))  # by a worker: now known
        assert first[0] == b"HTTP/1.1 200 OK"
        for _ in range(20):
            for c in clients:  # eight requests at once
                c.sendall(request)
            assert [parts(read_answer(c)) for c in clients] == [first] * 8
        for c in clients:
            c.close()
    finally:
        server.should_exit = True
        thread.join(30)
        sock.close()
        known.close()
    assert known.threaded > 0 and known.runs >= 160
