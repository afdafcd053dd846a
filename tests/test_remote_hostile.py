"""``sparql:URL`` stores against small hostile servers started here on 127.0.0.1.

Huge answers (announced or chunked), servers that drip bytes or never answer, servers
that ignore LIMIT or OFFSET or hold endless triples, redirects to another host or the
same one, and malformed JSON, XML and RDF: each ends in one clear line and exit code 2
(or a ``RemoteError`` from the library), within a bounded time, never a traceback.
The normal path against Virtuoso is in tests/test_virtuoso.py.
"""

from __future__ import annotations

import contextlib
import http.server
import json
import time
import urllib.parse
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from click.testing import CliRunner

from channelkg.cli import cli
from channelkg.graph import remote
from channelkg.graph.remote import RemoteError
from conftest import loopback_server

Handler = Callable[[http.server.BaseHTTPRequestHandler, str], None]
ROUTES: dict[str, Handler] = {}
SEEN: list[str] = []
JSON_TYPE = "application/sparql-results+json"


def route(path: str) -> Callable[[Handler], Handler]:
    def add(func: Handler) -> Handler:
        ROUTES[path] = func
        return func
    return add


class Hostile(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass

    def do_POST(self) -> None:  # noqa: N802
        length = int(self.headers.get("Content-Length") or 0)
        form = urllib.parse.parse_qs(self.rfile.read(length).decode())
        path = self.path.split("?")[0]
        SEEN.append(f"{self.headers.get('Host')}{path}")
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            ROUTES[path](self, form.get("query", [""])[0])

    do_GET = do_POST

    def send(self, body: bytes, ctype: str = JSON_TYPE, status: int = 200,
             headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)


def select_json(rows: list[dict[str, Any]], names: tuple[str, ...] = ("s", "p", "o")) -> bytes:
    return json.dumps({"head": {"vars": list(names)}, "results": {"bindings": rows}}).encode()


def iri(n: int) -> dict[str, str]:
    return {"type": "uri", "value": f"http://example.org/{n}"}


def page_of(query: str, ignore_limit: bool = False, ignore_offset: bool = False) -> bytes:
    limit = int(query.split("LIMIT ")[1].split()[0])
    offset = 0 if ignore_offset else int(query.split("OFFSET ")[1].split()[0])
    count = limit + 1 if ignore_limit else limit
    return select_json([{"s": iri(offset + i), "p": iri(0), "o": iri(1)} for i in range(count)])


@route("/huge")
def _huge(h: Any, _q: str) -> None:
    h.send_response(200)
    h.send_header("Content-Type", JSON_TYPE)
    h.send_header("Content-Length", str(10 << 30))
    h.end_headers()
    h.wfile.write(b'{"head": {"vars": ["s"]}, "results": {"bindings": [')


@route("/huge-chunked")
def _huge_chunked(h: Any, _q: str) -> None:
    h.send_response(200)
    h.send_header("Content-Type", JSON_TYPE)
    h.send_header("Transfer-Encoding", "chunked")
    h.end_headers()
    piece = b'{"s": {"type": "literal", "value": "' + b"x" * 8000 + b'"}},'
    for _ in range(20000):  # about 160 MB unless the client stops reading
        h.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))


@route("/drip")
def _drip(h: Any, _q: str) -> None:
    h.send_response(200)
    h.send_header("Content-Type", JSON_TYPE)
    h.send_header("Content-Length", "1000")
    h.end_headers()
    for _ in range(100):  # a byte every 0.2 s: each read succeeds, the whole never ends
        h.wfile.write(b" ")
        h.wfile.flush()
        time.sleep(0.2)


@route("/silent")
def _silent(_h: Any, _q: str) -> None:
    time.sleep(8)


@route("/no-limit")
def _no_limit(h: Any, q: str) -> None:
    h.send(page_of(q, ignore_limit=True))


@route("/no-offset")
def _no_offset(h: Any, q: str) -> None:
    h.send(page_of(q, ignore_offset=True))


@route("/endless")
def _endless(h: Any, q: str) -> None:
    h.send(page_of(q))


@route("/redirect-away")
def _redirect_away(h: Any, _q: str) -> None:
    other = f"http://localhost:{h.server.server_address[1]}/elsewhere"
    h.send(b"", "text/plain", 302, {"Location": other})


@route("/redirect-here")
def _redirect_here(h: Any, _q: str) -> None:
    h.send(b"", "text/plain", 307, {"Location": "/elsewhere"})


@route("/elsewhere")
def _elsewhere(h: Any, _q: str) -> None:
    h.send(select_json([{"s": iri(1)}], ("s",)))


@route("/bad-json")
def _bad_json(h: Any, _q: str) -> None:
    h.send(b'{"head": {"vars": ["s"]}, "results": {"bindings": [{"s": ')


@route("/wrong-shape")
def _wrong_shape(h: Any, _q: str) -> None:
    h.send(b'{"head": {"vars": ["s"]}, "results": {"bindings": [1, 2]}}')


@route("/deep-json")
def _deep_json(h: Any, _q: str) -> None:
    h.send(b"[" * 200000)


@route("/bad-xml")
def _bad_xml(h: Any, _q: str) -> None:
    h.send(b'<?xml version="1.0"?><sparql xmlns="http://www.w3.org/2005/sparql-results#">'
           b"<head><variable name=", "application/sparql-results+xml")


@route("/xml")
def _xml(h: Any, _q: str) -> None:
    h.send(b'<?xml version="1.0"?><sparql xmlns="http://www.w3.org/2005/sparql-results#">'
           b'<head><variable name="s"/></head><results><result><binding name="s">'
           b"<literal>a&#13;b</literal></binding></result></results></sparql>",
           "application/sparql-results+xml")


@route("/bad-graph")
def _bad_graph(h: Any, _q: str) -> None:
    h.send(b"<http://a> <http://b> .\n", "application/n-triples")


@pytest.fixture(scope="module")
def base() -> Iterator[str]:
    with loopback_server(Hostile) as url:
        yield url


SELECT = "SELECT ?s WHERE { ?s ?p ?o }"


def run_cli(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, float]:
    start = time.monotonic()
    res = CliRunner().invoke(cli, list(args), env=env)
    return res.exit_code, res.output, time.monotonic() - start


def one_line_error(code: int, output: str) -> str:
    assert code == 2, output
    assert "Traceback" not in output
    lines = output.strip().splitlines()
    assert len(lines) == 1, output
    return lines[0]


@pytest.mark.parametrize(("path", "env", "needle"), [
    ("/huge", {}, "larger than"),
    ("/huge-chunked", {"CHANNELKG_SPARQL_MAX_BYTES": "1000000"}, "larger than 1000000 bytes"),
    ("/bad-json", {}, "does not parse"),
    ("/wrong-shape", {}, "malformed SPARQL JSON"),
    ("/deep-json", {}, "does not parse"),
    ("/bad-xml", {}, "malformed SPARQL XML"),
    ("/redirect-away", {}, "redirect to another host, to http://localhost:"),
    ("/redirect-here", {}, "redirect on the same host"),
])
def test_hostile_answers_end_in_one_line(base: str, path: str, env: dict[str, str],
                                         needle: str) -> None:
    SEEN.clear()
    code, out, took = run_cli("query", SELECT, "--store", f"sparql:{base}{path}", env=env)
    line = one_line_error(code, out)
    assert needle in line and took < 30
    assert not any(s.endswith("/elsewhere") for s in SEEN)  # no redirect was followed


def test_a_server_that_drips_is_cut_off_at_the_timeout(base: str) -> None:
    code, out, took = run_cli("query", SELECT, "--store", f"sparql:{base}/drip",
                              env={"CHANNELKG_SPARQL_TIMEOUT": "1"})
    assert "no complete answer within 1 s" in one_line_error(code, out)
    assert took < 4, took
    # the command's --timeout bounds it too
    code, out, took = run_cli("query", SELECT, "--store", f"sparql:{base}/drip",
                              "--timeout", "1")
    assert "(1 s)" in one_line_error(code, out) and took < 4, took


def test_a_silent_server_times_out(base: str) -> None:
    code, out, took = run_cli("query", SELECT, "--store", f"sparql:{base}/silent",
                              env={"CHANNELKG_SPARQL_TIMEOUT": "1"})
    assert "no answer within 1 s" in one_line_error(code, out)
    assert took < 4, took


def test_a_bad_timeout_setting_is_one_line(base: str) -> None:
    code, out, _ = run_cli("query", SELECT, "--store", f"sparql:{base}/xml",
                           env={"CHANNELKG_SPARQL_TIMEOUT": "soon"})
    assert "CHANNELKG_SPARQL_TIMEOUT" in one_line_error(code, out)


@pytest.mark.parametrize(("path", "needle"), [
    ("/no-limit", "ignores LIMIT"),
    ("/no-offset", "ignores OFFSET"),
    ("/endless", "more than 20 triples"),
])
def test_paging_guards(base: str, path: str, needle: str,
                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHANNELKG_SPARQL_MAX_ROWS", "20")
    kg = remote.open_store(f"sparql:{base}{path}")
    kg.page_size = 5  # type: ignore[attr-defined]
    start = time.monotonic()
    with pytest.raises(RemoteError, match=needle):
        list(kg.triples())
    assert time.monotonic() - start < 10


def test_xml_results_are_read(base: str) -> None:
    kg = remote.open_store(f"sparql:{base}/xml")
    res = kg.run(SELECT)
    assert [str(r[0]) for r in res.rows] == ["a\rb"]


def test_malformed_graph_answer(base: str) -> None:
    kg = remote.open_store(f"sparql:{base}/bad-graph")
    with pytest.raises(RemoteError, match="unreadable graph"):
        kg.run("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }")
