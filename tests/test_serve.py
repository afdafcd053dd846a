"""``channelkg serve`` in a subprocess, queried by real SPARQL clients.

SPARQLWrapper and rdflib's SPARQLStore query the endpoint; UPDATE and SERVICE are
refused, bad queries get 400, the row limit and the timeout apply, content
negotiation picks the format, the query page works in headless Chromium, and a
bounded load test (2 threads x 200 queries) finishes without errors.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from channelkg.graph.memory import load
from channelkg.sparql.query import query
from conftest import DATA, TINY

pytestmark = pytest.mark.server

FILES = [TINY, DATA / "channels.ttl"]
MAX_ROWS = 7
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))
SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
MARKETS = (
    "PREFIX ckg: <https://w3id.org/channelkg/ontology#> "
    "SELECT ?m ?code WHERE { ?m a ckg:Market ; ckg:isoCode ?code } ORDER BY ?code"
)


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    proc: subprocess.Popen[bytes]
    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/sparql"

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def children(self) -> list[int]:
        path = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
        return [int(p) for p in path.read_text().split()] if path.exists() else []


def start_server(*args: str, timeout: float = 60.0) -> Server:
    """Start ``python -m channelkg serve`` on a free port and wait until it answers."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "channelkg", "serve", "--port", str(port), *args],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    server = Server(proc, port)
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            err = proc.stderr.read().decode() if proc.stderr else ""
            pytest.fail(f"channelkg serve exited with {proc.returncode}: {err}")
        try:
            with OPENER.open(f"{server.base}/queries.json", timeout=2):
                return server
        except (urllib.error.URLError, OSError):
            pass
        if time.monotonic() > deadline:
            stop_server(server)
            pytest.fail(f"channelkg serve did not answer within {timeout:.0f} s")
        time.sleep(0.1)


def stop_server(server: Server) -> None:
    """Stop by PID (TERM, then KILL) and check the worker processes went with it."""
    workers = server.children()
    server.proc.send_signal(signal.SIGTERM)
    try:
        server.proc.wait(20)
    except subprocess.TimeoutExpired:
        server.proc.kill()
        server.proc.wait(10)
    if server.proc.stderr:
        server.proc.stderr.close()

    def running(pid: int) -> bool:
        """Not exited: an exited worker stays a zombie until the process that inherited
        it (here PID 1) reaps it, which can take seconds."""
        try:
            return "zombie" not in Path(f"/proc/{pid}/status").read_text().lower()
        except OSError:
            return False

    deadline = time.monotonic() + 10
    while any(running(p) for p in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    left = [p for p in workers if running(p)]
    assert not left, f"worker processes left running: {left}"


@contextlib.contextmanager
def started_together(args: dict[str, tuple[str, ...]]) -> Iterator[dict[str, Server]]:
    """Servers started together and stopped together, by name (each is its own process:
    most of a start and a stop is waiting for processes). A server that did not start
    fails the block, after the others started; every started one is stopped."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(len(args)) as pool:
        starts = {name: pool.submit(start_server, *a) for name, a in args.items()}
        started = {name: f.result() for name, f in starts.items() if f.exception() is None}
        try:
            for f in starts.values():
                f.result()
            yield started
        finally:
            list(pool.map(stop_server, started.values()))


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    data = [a for f in FILES for a in ("--data", str(f))]
    srv = start_server(*data, "--max-rows", str(MAX_ROWS), "--timeout", "3", "--workers", "2")
    yield srv
    stop_server(srv)


def http(url: str, *, data: bytes | None = None, headers: dict[str, str] | None = None,
         method: str | None = None) -> tuple[int, str, bytes, dict[str, str]]:
    req = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
    try:
        with OPENER.open(req, timeout=30) as resp:
            return resp.status, resp.headers.get("Content-Type", ""), resp.read(), dict(
                resp.headers)
    except urllib.error.HTTPError as err:
        return err.code, err.headers.get("Content-Type", ""), err.read(), dict(err.headers)


def post_query(server: Server, text: str, accept: str = "*/*") -> tuple[int, str, bytes]:
    body = urllib.parse.urlencode({"query": text}).encode()
    status, ctype, out, _ = http(server.url, data=body, headers={
        "Content-Type": "application/x-www-form-urlencoded", "Accept": accept})
    return status, ctype, out


def local_rows(text: str) -> set[tuple[str, ...]]:
    return {tuple(str(t) for t in row) for row in query(load(FILES), text).rows}


# ------------------------------------------------------------------ real clients


def test_sparqlwrapper_select_json_and_xml(server: Server) -> None:
    from SPARQLWrapper import JSON, XML, SPARQLWrapper

    sw = SPARQLWrapper(server.url)
    sw.setQuery(MARKETS)
    sw.setReturnFormat(JSON)
    doc = sw.query().convert()
    got = {(b["m"]["value"], b["code"]["value"]) for b in doc["results"]["bindings"]}
    assert got == local_rows(MARKETS) and len(got) == 3
    sw.setReturnFormat(XML)
    xml = sw.query().convert()
    codes = sorted(n.firstChild.data for n in xml.getElementsByTagName("literal"))
    assert codes == sorted(code for _m, code in got)


def test_sparqlwrapper_post_ask_and_construct(server: Server) -> None:
    from SPARQLWrapper import JSON, POST, TURTLE, SPARQLWrapper

    sw = SPARQLWrapper(server.url)
    sw.setMethod(POST)
    sw.setReturnFormat(JSON)
    sw.setQuery("ASK { <https://w3id.org/channelkg/id/t-market> ?p ?o }")
    assert sw.query().convert()["boolean"] is True
    sw.setQuery("CONSTRUCT { ?m a <urn:x:Market> } WHERE { ?m "
                "<https://w3id.org/channelkg/ontology#isoCode> ?c }")
    sw.setReturnFormat(TURTLE)
    from rdflib import Graph

    g = Graph().parse(data=sw.query().convert(), format="turtle")
    assert len(g) == 3


def test_sparqlwrapper_update_is_refused(server: Server) -> None:
    from SPARQLWrapper import POST, SPARQLWrapper

    sw = SPARQLWrapper(server.url)
    sw.setMethod(POST)
    sw.setQuery("INSERT DATA { <urn:a> <urn:b> <urn:c> }")
    with pytest.raises(urllib.error.HTTPError) as err:
        sw.query()
    assert err.value.code == 403
    assert local_rows("SELECT ?o WHERE { <urn:a> <urn:b> ?o }") == set()
    status, _, body = post_query(server, "ASK { <urn:a> <urn:b> <urn:c> }",
                                 "application/sparql-results+json")
    assert status == 200 and json.loads(body)["boolean"] is False


def test_rdflib_sparqlstore(server: Server) -> None:
    from rdflib import Graph
    from rdflib.plugins.stores.sparqlstore import SPARQLStore, SPARQLUpdateStore

    g = Graph(store=SPARQLStore(server.url))
    got = {(str(r[0]), str(r[1])) for r in g.query(MARKETS)}
    assert got == local_rows(MARKETS)
    upd = SPARQLUpdateStore(server.url, server.url)
    with pytest.raises(urllib.error.HTTPError) as err:
        upd.update("INSERT DATA { <urn:a> <urn:b> <urn:c> }")
    assert err.value.code == 403


# ------------------------------------------------------------------ protocol


@pytest.mark.parametrize(
    ("accept", "media"),
    [
        ("application/sparql-results+json", "application/sparql-results+json"),
        ("application/sparql-results+xml", "application/sparql-results+xml"),
        ("text/csv", "text/csv"),
        ("text/tab-separated-values", "text/tab-separated-values"),
        ("text/html;q=0.9, text/csv;q=0.8, */*;q=0.1", "text/csv"),
        ("*/*", "application/sparql-results+json"),
    ],
)
def test_content_negotiation_select(server: Server, accept: str, media: str) -> None:
    status, ctype, body = post_query(server, MARKETS, accept)
    assert status == 200 and ctype.startswith(media)
    if media == "text/csv":
        rows = list(csv.reader(io.StringIO(body.decode())))
        assert rows[0] == ["m", "code"] and {tuple(r) for r in rows[1:]} == local_rows(MARKETS)


@pytest.mark.parametrize(
    ("accept", "media", "fmt"),
    [
        ("text/turtle", "text/turtle", "turtle"),
        ("application/n-triples", "application/n-triples", "nt"),
        ("application/ld+json", "application/ld+json", "json-ld"),
        ("application/rdf+xml", "application/rdf+xml", "xml"),
    ],
)
def test_content_negotiation_construct(server: Server, accept: str, media: str,
                                       fmt: str) -> None:
    from rdflib import Graph

    text = ("CONSTRUCT { ?m <urn:x:code> ?c } WHERE { ?m "
            "<https://w3id.org/channelkg/ontology#isoCode> ?c }")
    status, ctype, body = post_query(server, text, accept)
    assert status == 200 and ctype.startswith(media)
    g = Graph().parse(data=body.decode(), format=fmt)
    assert {str(o) for o in g.objects()} == {"CN", "HK", "TL"}


def test_get_and_sparql_query_body(server: Server) -> None:
    url = server.url + "?" + urllib.parse.urlencode({"query": MARKETS, "format": "tsv"})
    status, ctype, body, _ = http(url)
    assert status == 200 and ctype.startswith("text/tab-separated-values")
    assert body.decode().splitlines()[0] == "?m\t?code"
    status, ctype, body, _ = http(server.url, data=MARKETS.encode(), headers={
        "Content-Type": "application/sparql-query", "Accept": "application/json"})
    assert status == 200 and len(json.loads(body)["results"]["bindings"]) == 3


def test_bad_query_is_400_with_message(server: Server) -> None:
    status, ctype, body = post_query(server, "SELECT ?s WHERE { ?s ?p ")
    assert status == 400 and ctype.startswith("text/plain")
    assert b"syntax" in body.lower()
    # a POST without a query is an error; a GET without one is the service description
    status, _, body, _ = http(server.url, data=b"",
                              headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 400 and b"query" in body


def test_update_in_every_shape_is_refused(server: Server) -> None:
    body = urllib.parse.urlencode({"update": "CLEAR ALL"}).encode()
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    assert http(server.url, data=body, headers=form)[0] == 403
    assert http(server.url, data=b"CLEAR ALL",
                headers={"Content-Type": "application/sparql-update"})[0] == 403
    assert http(server.url + "?update=CLEAR%20ALL")[0] == 403
    assert post_query(server, "PREFIX ex: <http://ex/> DELETE WHERE { ?s ?p ?o }")[0] == 403


def test_service_is_refused(server: Server) -> None:
    status, _, body = post_query(
        server, "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }")
    assert status == 403 and b"SERVICE" in body


def test_row_limit(server: Server) -> None:
    status, _, body, headers = http(
        server.url + "?" + urllib.parse.urlencode({"query": "SELECT * WHERE { ?s ?p ?o }"}),
        headers={"Accept": "application/sparql-results+json"})
    assert status == 200
    assert len(json.loads(body)["results"]["bindings"]) == MAX_ROWS
    assert headers.get("x-channelkg-truncated") == "true"
    status, _, body, headers = http(
        server.url + "?" + urllib.parse.urlencode({"query": MARKETS}),
        headers={"Accept": "application/sparql-results+json"})
    assert "x-channelkg-truncated" not in {k.lower() for k in headers}


def test_timeout_stops_the_query_and_the_server_recovers(server: Server) -> None:
    status, _, body = post_query(server, SLOW)
    assert status == 503 and b"stopped" in body
    for _ in range(4):  # both workers answer again (one was replaced)
        status, _, _ = post_query(server, MARKETS)
        assert status == 200


def test_named_query_endpoint(server: Server) -> None:
    status, _, body, _ = http(f"{server.base}/named/routes-into?market=HK",
                              headers={"Accept": "application/sparql-results+json"})
    assert status == 200
    want = query(load(FILES), "routes-into", {"market": "HK"})
    assert len(json.loads(body)["results"]["bindings"]) == len(want.rows) > 0
    assert http(f"{server.base}/named/routes-into?nope=1")[0] == 400
    assert http(f"{server.base}/named/no-such-query")[0] in (400, 404)
    status, _, body, _ = http(f"{server.base}/queries.json")
    names = {q["name"] for q in json.loads(body)}
    assert {"seed-table", "routes-into"} <= names


def test_bound_to_loopback_only(server: Server) -> None:
    import socket

    addrs = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, state = line.split()[1], line.split()[3]
        ip_hex, port_hex = local.split(":")
        if int(port_hex, 16) == server.port and state == "0A":  # LISTEN
            addrs.add(socket.inet_ntoa(bytes.fromhex(ip_hex)[::-1]))
    assert addrs == {"127.0.0.1"}


# ------------------------------------------------------------------ load test


def run_load(url: str, threads: int = 2, per_thread: int = 200) -> dict[str, float]:
    """Send ``threads x per_thread`` queries; return counts and throughput."""
    errors: list[str] = []
    body = urllib.parse.urlencode({"query": MARKETS}).encode()

    def worker() -> None:
        for _ in range(per_thread):
            req = urllib.request.Request(url, data=body, headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Accept": "application/sparql-results+json"})
            try:
                with OPENER.open(req, timeout=30) as resp:
                    if len(json.loads(resp.read())["results"]["bindings"]) != 3:
                        errors.append("wrong answer")
            except Exception as err:  # count every failure
                errors.append(repr(err))

    start = time.perf_counter()
    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join(120)
    elapsed = time.perf_counter() - start
    total = threads * per_thread
    return {"queries": total, "errors": len(errors), "seconds": elapsed,
            "queries_per_second": total / elapsed}


def test_load_two_threads_no_errors(server: Server) -> None:
    stats = run_load(server.url)
    print(f"\nload test: {stats['queries']} queries, {stats['errors']} errors, "
          f"{stats['queries_per_second']:.0f} queries/s")
    assert stats["errors"] == 0


# ------------------------------------------------------------------ other sources


def test_serve_a_persistent_store(tmp_path: Path) -> None:
    from channelkg.graph.disk import load_into

    load_into(tmp_path / "db", FILES)
    srv = start_server("--store", f"oxigraph:{tmp_path / 'db'}", "--workers", "2")
    try:
        status, _, body = post_query(srv, MARKETS, "text/csv")
        assert status == 200
        rows = list(csv.reader(io.StringIO(body.decode())))[1:]
        assert {tuple(r) for r in rows} == local_rows(MARKETS)
    finally:
        stop_server(srv)


def test_serve_refuses_to_start_on_bad_data(tmp_path: Path) -> None:
    bad = tmp_path / "bad.ttl"
    bad.write_text("<a> <b> .\n")
    res = subprocess.run(
        [sys.executable, "-m", "channelkg", "serve", "--port", str(free_port()), "--data",
         str(bad)], capture_output=True, timeout=60, env={**os.environ})
    assert res.returncode == 2
    assert b"bad.ttl:1" in res.stderr


def test_a_port_in_use_is_a_clear_error(server: Server) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "channelkg", "serve", "--port", str(server.port)],
        capture_output=True, text=True, timeout=120, check=False)
    assert out.returncode == 2, out.stderr
    assert f"cannot listen on 127.0.0.1:{server.port}" in out.stderr
    assert "serving" not in out.stderr + out.stdout and "Traceback" not in out.stderr


def test_favicon_is_answered_without_content(server: Server) -> None:
    status, _, body, _ = http(f"{server.base}/favicon.ico")
    assert (status, body) == (204, b"")
