"""The W3C SPARQL 1.1 Protocol tests (tests/data/w3c-protocol/manifest.ttl) against
``channelkg serve``, request by request as the manifest writes them, over real sockets.

The manifest's three data files are served as the named graphs its cases name
(``serve --graph IRI=FILE``). All 20 query cases must pass. The endpoint is read-only,
so every update case must be refused with a 4xx status (403 for a well-formed update)
and change nothing. Also here: answers that XML 1.0 cannot carry, and the real clients
SPARQLWrapper and rdflib's SPARQLStore with protocol datasets.
"""

from __future__ import annotations

import http.client
import json
import urllib.parse
import xml.dom.minidom
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from conftest import DATA, TINY
from test_serve import Server, start_server, stop_server

pytestmark = pytest.mark.server

W3C = DATA / "w3c-protocol"
KASEI = "http://kasei.us/2009/09/sparql/data/"
MF = "http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#"
HT = "http://www.w3.org/2011/http#"
CNT = "http://www.w3.org/2011/content#"
HTS = "http://www.w3.org/2011/http-statusCodes#StatusCode"
# A literal with characters XML 1.0 cannot represent, and one with a carriage return.
ODD = DATA / "w3c-protocol-odd.ttl"


@dataclass
class Case:
    name: str
    method: str
    path: str
    headers: dict[str, str]
    body: bytes | None
    statuses: set[str]  # first digits: {"2", "3"}
    boolean: bool | None
    fmt: str | None


def _cases() -> list[Case]:
    from rdflib import RDF, Graph, URIRef
    from rdflib.collection import Collection

    g = Graph().parse(W3C / "manifest.ttl", format="turtle")

    def one(s: Any, p: str) -> Any:
        return g.value(s, URIRef(p))

    manifest = next(g.subjects(RDF.type, URIRef(MF + "Manifest")))
    out = []
    for test in Collection(g, one(manifest, MF + "entries")):
        requests = list(Collection(g, one(one(test, MF + "action"), HT + "requests")))
        req = requests[0]  # the one request of a query case; the update itself otherwise
        headers = {}
        hnode = one(req, HT + "headers")
        for h in (Collection(g, hnode) if hnode is not None else []):
            headers[str(one(h, HT + "fieldName"))] = str(one(h, HT + "fieldValue"))
        body = one(req, HT + "body")
        data = None
        if body is not None:
            enc = str(one(body, CNT + "characterEncoding"))
            data = str(one(body, CNT + "chars")).encode(enc)
        resp = one(req, HT + "resp")
        expected = g.objects(resp, URIRef(MF + "expectedStatus"))
        statuses = {str(s).removeprefix(HTS)[0] for s in expected}
        boolean = one(resp, MF + "expectedBoolean")
        fmt = one(resp, MF + "expectedFormat")
        out.append(Case(
            name=str(test).rsplit("#", 1)[1], method=str(one(req, HT + "methodName")),
            path=str(one(req, HT + "absolutePath")).replace("/sparql/", "/sparql", 1),
            headers=headers, body=data, statuses=statuses,
            boolean=None if boolean is None else bool(boolean.toPython()),
            fmt=None if fmt is None else str(fmt)))
    return out


CASES = _cases()
QUERY_CASES = [c for c in CASES if "quer" in c.name]
UPDATE_CASES = [c for c in CASES if "update" in c.name]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    graphs = [a for n in (1, 2, 3)
              for a in ("--graph", f"{KASEI}data{n}.rdf={W3C / f'data{n}.nt'}")]
    srv = start_server("--data", str(TINY), "--data", str(ODD), *graphs, "--timeout", "5")
    yield srv
    stop_server(srv)


def send(server: Server, method: str, path: str, headers: dict[str, str] | None = None,
         body: bytes | None = None) -> tuple[int, str, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        conn.putrequest(method, path, skip_accept_encoding=True)
        for k, v in (headers or {}).items():
            conn.putheader(k, v)
        if body is not None:
            conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body)
        resp = conn.getresponse()
        return resp.status, resp.getheader("Content-Type") or "", resp.read()
    finally:
        conn.close()


def boolean_of(ctype: str, body: bytes) -> bool:
    if "json" in ctype:
        return bool(json.loads(body)["boolean"])
    assert "xml" in ctype, ctype
    node = xml.dom.minidom.parseString(body).getElementsByTagName("boolean")[0]
    return node.firstChild.data.strip() == "true"  # type: ignore[union-attr]


TABULAR = ("application/sparql-results+json", "application/sparql-results+xml", "text/csv",
           "text/tab-separated-values")
BOOLEAN = ("application/sparql-results+json", "application/sparql-results+xml")
RDF_TYPES = ("application/rdf+xml", "text/turtle", "application/n-triples")


def test_the_manifest_has_the_twenty_query_cases() -> None:
    assert len(QUERY_CASES) == 20 and len(UPDATE_CASES) == 14
    assert sum(c.name.startswith("bad_") for c in QUERY_CASES) == 7


@pytest.mark.parametrize("case", QUERY_CASES, ids=lambda c: c.name)
def test_w3c_query_case(server: Server, case: Case) -> None:
    status, ctype, body = send(server, case.method, case.path, case.headers, case.body)
    assert str(status)[0] in case.statuses, (status, body)
    media = ctype.split(";")[0].strip()
    if case.fmt == "boolean":
        assert media in BOOLEAN
    elif case.fmt == "tabular":
        assert media in TABULAR
    elif case.fmt == "RDF":
        assert media in RDF_TYPES
    if case.boolean is not None:
        assert boolean_of(ctype, body) is case.boolean
    if str(status)[0] == "4":
        assert ctype.startswith("text/plain") and body.strip() and b"\n" not in body.strip()


ASK_DATA1 = f"ASK {{ <{KASEI}data1.rdf> a ?t }}"


def ask(server: Server, text: str, query: str = "") -> bool:
    status, ctype, body = send(server, "POST", "/sparql" + query,
                               {"Content-Type": "application/sparql-query"}, text.encode())
    assert status == 200, body
    return boolean_of(ctype, body)


@pytest.mark.parametrize("case", UPDATE_CASES, ids=lambda c: c.name)
def test_w3c_update_case_is_refused(server: Server, case: Case) -> None:
    status, ctype, body = send(server, case.method, case.path, case.headers, case.body)
    assert str(status)[0] == "4", (status, body)
    media = case.headers.get("content-type", "")
    if case.name.startswith("update_"):  # a well-formed update: refused as read-only
        assert status == 403 and b"read-only" in body
    elif media.startswith(("application/sparql-update", "application/x-www-form")):
        assert status in (400, 403, 415)
    # nothing changed: the three graphs are still there, and nothing else is
    assert ask(server, ASK_DATA1, f"?default-graph-uri={urllib.parse.quote(KASEI)}data1.rdf")
    assert not ask(server, "ASK { GRAPH ?g { ?s <http://example.org/p> ?o } }")


def test_protocol_dataset_overrides_from_and_restricts(server: Server) -> None:
    g1 = urllib.parse.quote(KASEI + "data1.rdf", safe="")
    g2 = urllib.parse.quote(KASEI + "data2.rdf", safe="")
    # only data2 is the default graph: data1's triple is not seen
    assert not ask(server, ASK_DATA1, f"?default-graph-uri={g2}")
    assert ask(server, ASK_DATA1, f"?default-graph-uri={g2}&default-graph-uri={g1}")
    # FROM in the query, overridden by the protocol
    text = f"ASK FROM <{KASEI}data1.rdf> {{ <{KASEI}data1.rdf> a ?t }}"
    assert ask(server, text) and not ask(server, text, f"?default-graph-uri={g2}")
    # named graphs limited to those given
    text = f"ASK {{ GRAPH <{KASEI}data2.rdf> {{ ?s ?p ?o }} }}"
    assert ask(server, text) and not ask(server, text, f"?named-graph-uri={g1}")
    # in a form body too
    form = urllib.parse.urlencode({"query": ASK_DATA1, "default-graph-uri": KASEI + "data2.rdf"})
    status, ctype, body = send(server, "POST", "/sparql", {
        "Content-Type": "application/x-www-form-urlencoded"}, form.encode())
    assert status == 200 and boolean_of(ctype, body) is False


def test_body_charset_and_bad_bytes(server: Server) -> None:
    text = 'SELECT ?x WHERE { BIND("é" AS ?x) }'
    for ctype in ("application/sparql-query", "application/sparql-query; charset=UTF-8",
                  "application/sparql-query;charset=\"utf-8\""):
        status, _, body = send(server, "POST", "/sparql", {"Content-Type": ctype},
                               text.encode("utf-8"))
        assert status == 200, body
        assert json.loads(body)["results"]["bindings"][0]["x"]["value"] == "é"
    status, _, body = send(server, "POST", "/sparql", {
        "Content-Type": "application/sparql-query; charset=ISO-8859-1"}, text.encode("latin-1"))
    assert status == 415 and b"UTF-8" in body
    status, _, body = send(server, "POST", "/sparql", {
        "Content-Type": "application/sparql-query"}, text.encode("latin-1"))
    assert status == 400 and b"not valid UTF-8" in body
    status, _, body = send(server, "GET", "/sparql?query=ASK%7B%7D%ff")
    assert status == 400 and b"UTF-8" in body


def test_relative_iris_resolve_against_the_endpoint(server: Server) -> None:
    status, _, body = send(server, "POST", "/sparql", {
        "Content-Type": "application/sparql-query", "Accept": "application/n-triples"},
        b"CONSTRUCT { <s> <p> 1 } WHERE {}")
    assert status == 200
    assert body.startswith(f"<http://127.0.0.1:{server.port}/s> ".encode())
    # the base is given on a line of its own: errors keep the client's line numbers
    status, _, body = send(server, "POST", "/sparql", {
        "Content-Type": "application/sparql-query"}, b"SELECT *\nWHERE { <s> ?p")
    assert status == 400 and b"at 2:" in body


ODD_QUERY = "SELECT ?o WHERE { <urn:x:odd> <urn:x:p> ?o }"


def test_xml_answer_with_a_character_xml_cannot_carry(server: Server) -> None:
    q = "?query=" + urllib.parse.quote(ODD_QUERY)
    status, ctype, body = send(server, "GET", "/sparql" + q,
                               {"Accept": "application/sparql-results+xml"})
    assert status == 406 and b"U+0001" in body and b"JSON" in body
    # when the client accepts another format too, it gets that one, value intact
    status, ctype, body = send(server, "GET", "/sparql" + q, {
        "Accept": "application/sparql-results+xml, application/sparql-results+json;q=0.5"})
    assert status == 200 and ctype.startswith("application/sparql-results+json")
    assert json.loads(body)["results"]["bindings"][0]["o"]["value"] == "a\x01b"


def test_xml_answer_keeps_carriage_returns(server: Server) -> None:
    text = "SELECT ?o WHERE { <urn:x:cr> <urn:x:p> ?o }"
    status, ctype, body = send(server, "GET", "/sparql?query=" + urllib.parse.quote(text),
                               {"Accept": "application/sparql-results+xml"})
    assert status == 200 and ctype.startswith("application/sparql-results+xml")
    dom = xml.dom.minidom.parseString(body)  # well-formed
    assert dom.getElementsByTagName("literal")[0].firstChild.data == "line1\r\nline2"  # type: ignore[union-attr]


def test_sparqlwrapper_and_sparqlstore_with_a_dataset(server: Server) -> None:
    from rdflib import Graph
    from rdflib.plugins.stores.sparqlstore import SPARQLStore
    from SPARQLWrapper import JSON, POST, XML, SPARQLWrapper

    for method in ("GET", POST):
        sw = SPARQLWrapper(server.url)
        sw.setMethod(method)
        sw.addDefaultGraph(KASEI + "data3.rdf")
        sw.setQuery("SELECT ?s WHERE { ?s a ?t }")
        sw.setReturnFormat(JSON)
        got = [b["s"]["value"] for b in sw.query().convert()["results"]["bindings"]]
        assert got == [KASEI + "data3.rdf"]
        sw.setReturnFormat(XML)
        dom = sw.query().convert()
        assert [n.firstChild.data for n in dom.getElementsByTagName("uri")] == got
    store = Graph(store=SPARQLStore(server.url))
    rows = store.query(f"SELECT ?g WHERE {{ GRAPH ?g {{ <{KASEI}data2.rdf> a ?t }} }}")
    assert [str(r[0]) for r in rows] == [KASEI + "data2.rdf"]


def test_graph_option_needs_file_data(tmp_path: Path) -> None:
    import subprocess
    import sys

    from test_serve import free_port

    res = subprocess.run(
        [sys.executable, "-m", "channelkg", "serve", "--port", str(free_port()), "--engine",
         "rdflib", "--data", str(TINY), "--graph", f"urn:g={W3C / 'data1.nt'}"],
        capture_output=True, text=True, timeout=60)
    assert res.returncode == 2 and "--graph needs file data" in res.stderr
    assert "Traceback" not in res.stderr


def test_a_get_without_a_query_is_the_service_description(server: Server) -> None:
    """SPARQL 1.1 Service Description §2: the endpoint describes itself at its own address,
    in the RDF format asked for; a POST without a query stays an error, / the query page."""
    import pyoxigraph as ox

    from channelkg.serve.results import FORMATS

    sd = "http://www.w3.org/ns/sparql-service-description#"
    endpoint = f"http://127.0.0.1:{server.port}/sparql"
    status, ctype, body = send(server, "GET", "/sparql")
    assert (status, ctype.split(";")[0]) == (200, "text/turtle"), body
    graph = {(t.subject.value, t.predicate.value, t.object.value)
             for t in ox.parse(body, format=ox.RdfFormat.TURTLE)}
    assert (endpoint, "http://www.w3.org/1999/02/22-rdf-syntax-ns#type", sd + "Service") in graph
    assert (endpoint, sd + "endpoint", endpoint) in graph
    assert {o for s, p, o in graph if p == sd + "supportedLanguage"} == {sd + "SPARQL11Query"}
    formats = {o for s, p, o in graph if p == sd + "resultFormat"}
    assert len(formats) == len(FORMATS) and "http://www.w3.org/ns/formats/SPARQL_Results_JSON" \
        in formats
    status, ctype, nt = send(server, "GET", "/sparql", {"Accept": "application/n-triples"})
    assert (status, ctype.split(";")[0]) == (200, "application/n-triples")
    assert {(t.subject.value, t.predicate.value, t.object.value)
            for t in ox.parse(nt, format=ox.RdfFormat.N_TRIPLES)} == graph
    # an Accept no RDF format fits gets Turtle, as a CONSTRUCT answer does
    status, ctype, _ = send(server, "GET", "/sparql", {"Accept": "application/sparql-results+json"})
    assert (status, ctype.split(";")[0]) == (200, "text/turtle")
    assert send(server, "POST", "/sparql", {"Content-Type": "application/x-www-form-urlencoded"},
                b"")[0] == 400
    status, ctype, _ = send(server, "GET", "/")
    assert (status, ctype.split(";")[0]) == (200, "text/html")
