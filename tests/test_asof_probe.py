"""The probe that picks the form of the ``--as-of`` rewrite, against small servers started
here on 127.0.0.1 that answer it badly: unreadable JSON or XML, other variables, other
rows, no HTTP at all, or nothing within the timeout. Each makes that form "not
answered" (the next one is tried, and past the last the view copies), with the reason
kept; a refused login or a closed port still ends the command with its own error."""

from __future__ import annotations

import contextlib
import http.server
import json
import socket
import time
import urllib.parse
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from click.testing import CliRunner

from channelkg.cli import cli
from channelkg.graph.asof_filter import EXISTS
from channelkg.graph.remote_asof import probe_form, probes
from channelkg.graph.sparqlclient import RemoteError, SparqlClient
from conftest import loopback_server

PROBE = "urn:channelkg:probe:"
JSON_TYPE = "application/sparql-results+json"
XML_TYPE = "application/sparql-results+xml"


def results(names: list[str], rows: list[dict[str, Any]]) -> bytes:
    return json.dumps({"head": {"vars": names}, "results": {"bindings": rows}}).encode()


def right_rows(text: str) -> bytes:
    """The rows the probe ``text`` must give (as Oxigraph gives them)."""
    want = next(w for _f, t, w in probes() if t == text)
    return results(["x", "y"], [{"x": {"type": "uri", "value": x},
                                 "y": {"type": "uri", "value": y}} for x, y in want])


#: How each path answers the probes: (answer to the standard one, to the exists one).
#: ``None``: the right rows. Every other query gets no rows.
ANSWERS: dict[str, tuple[Any, Any]] = {
    "/bad-json": ((JSON_TYPE, b'{"head": {"vars": ['), (JSON_TYPE, b"<html>oops</html>")),
    "/bad-xml": ((XML_TYPE, b"<?xml version='1.0'?><sparql><results>"), (XML_TYPE, b"<x")),
    "/wrong-vars": ((JSON_TYPE, results(["a", "b"], [])), (JSON_TYPE, results(["x"], []))),
    "/exists-only": ((JSON_TYPE, b"not json"), None),
    "/slow": ("sleep", "sleep"),
    "/not-http": ("raw", "raw"),
    "/refused-login": (401, 401),
    "/refused-copy": ((JSON_TYPE, b"[]"), (JSON_TYPE, b"[]")),
}


#: Whether ``/slow-standard`` answers the standard probe too late, and the probes it got.
SLOW = {"standard": True}
PROBED: Counter[str] = Counter()


class Server(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass

    def do_POST(self) -> None:  # noqa: N802
        length = int(self.headers.get("Content-Length") or 0)
        query = urllib.parse.parse_qs(self.rfile.read(length).decode()).get("query", [""])[0]
        path = self.path.split("?")[0]
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            if path == "/never-http":  # no query gets an HTTP answer
                self.wfile.write(b"hello\r\n\r\n")
                return
            if PROBE not in query:
                if path == "/refused-copy" and "?s ?p ?o" in query:
                    self.send(b"Internal error: out of memory", "text/plain", 500)
                else:
                    self.send(results(["s", "p", "o"], []))
                return
            if path == "/slow-standard":  # the standard probe is slow while SLOW says so
                standard = "MINUS" in query
                PROBED["standard" if standard else "exists"] += 1
                if standard and SLOW["standard"]:
                    time.sleep(3)
                    return
                self.send(right_rows(query))
                return
            answer = ANSWERS[path][0 if "MINUS" in query else 1]
            if answer is None:
                self.send(right_rows(query))
            elif answer == "sleep":
                time.sleep(3)
            elif answer == "raw":
                self.wfile.write(b"hello\r\n\r\n")
            elif isinstance(answer, int):
                self.send(b"login", "text/plain", answer)
            else:
                self.send(answer[1], answer[0])

    def send(self, body: bytes, ctype: str = JSON_TYPE, status: int = 200) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture(scope="module")
def base() -> Iterator[str]:
    with loopback_server(Server) as url:
        yield url


@pytest.mark.parametrize(("path", "why"), [
    ("/bad-json", "does not parse"),
    ("/bad-xml", "malformed SPARQL XML"),
    ("/wrong-vars", "variables a, b instead of x, y"),
    ("/slow", "no answer within"),
    ("/not-http", "not an HTTP answer"),
])
def test_a_bad_answer_to_each_probe_takes_no_form(base: str, path: str, why: str) -> None:
    reasons: list[str] = []
    assert probe_form(SparqlClient(base + path, timeout=1), reasons) is None
    assert len(reasons) == 2, reasons
    assert reasons[0].startswith("standard form: ") and reasons[1].startswith("exists form: ")
    assert why in reasons[0], reasons


def test_a_bad_answer_to_the_first_probe_tries_the_next(base: str) -> None:
    reasons: list[str] = []
    assert probe_form(SparqlClient(base + "/exists-only", timeout=5), reasons) is EXISTS
    assert len(reasons) == 1 and "not json" in reasons[0]


def test_a_refused_login_or_a_closed_port_is_raised(base: str) -> None:
    with pytest.raises(RemoteError, match="HTTP 401"):
        probe_form(SparqlClient(base + "/refused-login", timeout=5))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]  # nothing listens once the socket is closed
    with pytest.raises(RemoteError, match="cannot reach"):
        probe_form(SparqlClient(f"http://127.0.0.1:{closed}/sparql", timeout=5))


def test_the_cli_falls_back_to_the_copy(base: str) -> None:
    """No form answered: the view copies the (empty) graph and answers from it."""
    res = CliRunner().invoke(cli, ["query", "SELECT ?s WHERE { ?s a ?o }", "-f", "csv",
                                   "--store", f"sparql:{base}/bad-json", "--as-of",
                                   "2024-07-09", "--timeout", "5"])
    assert res.exit_code == 0, res.output
    assert res.stdout.splitlines() == ["s"]


def test_when_the_copy_fails_too_the_probes_reasons_are_given(base: str) -> None:
    res = CliRunner().invoke(cli, ["query", "SELECT ?s WHERE { ?s a ?o }", "--store",
                                   f"sparql:{base}/refused-copy", "--as-of", "2024-07-09",
                                   "--timeout", "5"])
    assert res.exit_code == 2, res.output
    assert "Traceback" not in res.output
    lines = res.output.strip().splitlines()
    assert len(lines) == 1, res.output
    assert "out of memory" in lines[0] and "standard form: " in lines[0], lines[0]
    assert "exists form: " in lines[0]


@pytest.mark.parametrize("as_of", [(), ("--as-of", "2024-07-09")])
def test_an_answer_that_is_not_http_is_one_line(base: str, as_of: tuple[str, ...]) -> None:
    """A reply that is not HTTP (``hello`` and CR LF) is one error line, with the
    server's line break dropped, whether the query is a plain one or an as-of one."""
    res = CliRunner().invoke(cli, ["query", "SELECT ?s WHERE { ?s a ?o }", "--store",
                                   f"sparql:{base}/never-http", "--timeout", "5", *as_of])
    assert res.exit_code == 2, res.output
    assert "Traceback" not in res.output and "\r" not in res.output
    lines = res.output.strip().splitlines()
    assert len(lines) == 1, res.output
    assert "not an HTTP answer (BadStatusLine: hello)" in lines[0], lines[0]


def test_a_probe_that_timed_out_is_tried_again_later_not_on_every_query(base: str) -> None:
    """A form whose probe got no answer in time is probed again once the wait has passed
    (then after twice the wait), not before the wait nor on every query; once answered, it
    is taken and never probed again."""
    from channelkg.graph import remote
    from channelkg.graph.asof_filter import STANDARD

    SLOW["standard"] = True
    PROBED.clear()
    kg = remote.open_sparql(f"{base}/slow-standard", timeout=1)
    assert isinstance(kg, remote.RemoteKnowledgeGraph)
    now = [1000.0]
    kg.clock = lambda: now[0]  # type: ignore[method-assign]
    wait = remote.PROBE_RETRY
    assert kg.asof_form() is EXISTS
    assert kg.asof_reasons[0].startswith("standard form: ") and "within" in kg.asof_reasons[0]
    assert PROBED == {"standard": 1, "exists": 1}
    for _ in range(3):  # queries before the wait is over: no probe
        now[0] += wait / 4
        assert kg.asof_form() is EXISTS
    assert PROBED == {"standard": 1, "exists": 1}
    now[0] += wait / 4  # the wait is over: the standard form alone is probed again, in vain
    assert kg.asof_form() is EXISTS and PROBED == {"standard": 2, "exists": 1}
    assert len(kg.asof_reasons) == 1
    now[0] += wait * 1.5  # less than twice the wait
    assert kg.asof_form() is EXISTS and PROBED["standard"] == 2
    SLOW["standard"] = False  # the server answers in time now
    now[0] += wait
    assert kg.asof_form() is STANDARD and PROBED == {"standard": 3, "exists": 1}
    assert kg.asof_reasons == []
    now[0] += 10 * remote.PROBE_RETRY_MAX
    assert kg.asof_form() is STANDARD and PROBED["standard"] == 3
