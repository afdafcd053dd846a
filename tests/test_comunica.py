"""Comunica, a SPARQL engine for Node.js, queries ``channelkg serve`` from its command line.

Comunica's ``comunica-sparql`` is the npm package pinned in
tests/clients/comunica/package-lock.json, installed by scripts/test.sh; this test fails
(never skips) when node or the package is missing. The servers run on 127.0.0.1: one on
the bundled graph, one on a small fixture with typed and language-tagged literals, one
with ``--as-of``. Every answer is compared, term for term (in order where the query has
ORDER BY), with the same query run in this process by the library.

Comunica asks the server for Turtle for every CONSTRUCT and DESCRIBE, and serve's Turtle
writes an ``xsd:double`` in another lexical form than the stored one: that case is an
expected failure (``test_describe_typed_literals``) until the Turtle writer keeps it.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rdflib import BNode, Literal, URIRef

from channelkg.graph.open import GraphSpec, open_graph
from channelkg.sparql.query import get_query, query
from conftest import ROOT
from test_serve import MARKETS, Server, post_query, started_together

pytestmark = pytest.mark.server

PACKAGE = ROOT / "tests" / "clients" / "comunica"
CLI = PACKAGE / "node_modules" / "@comunica" / "query-sparql" / "bin" / "query.js"
JSON_RESULTS = "application/sparql-results+json"
XSD = "http://www.w3.org/2001/XMLSchema#"
PREFIXES = """PREFIX ckg: <https://w3id.org/channelkg/ontology#>
PREFIX kgid: <https://w3id.org/channelkg/id/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
PREFIX ex: <http://example.org/ckg-test/>
"""
FIXTURE = """@prefix ex: <http://example.org/ckg-test/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .

ex:a a ex:Thing ; rdfs:label "Mainland China"@en , "中国大陆"@zh , "中國大陸"@zh-Hant ;
    ex:count 42 ; ex:delta -7 ; ex:ratio 0.25 ; ex:size 1.5e3 ; ex:ok true ;
    ex:day "2024-07-09"^^xsd:date ; ex:note "tab\\there, \\"quoted\\", line\\nbreak, \\\\ and ✓" ;
    ex:next ex:b ; ex:part [ rdfs:label "nameless" ] .
ex:b a ex:Thing ; rdfs:label "Hong Kong"@en , "香港"@zh ; ex:count 7 ;
    ex:day "2024-06-25"^^xsd:date ; ex:big 123456789012345678901234567890 .
ex:c a ex:Thing ; rdfs:label "Macau"@en ; ex:count 7 .
"""


def _node() -> str:
    node = shutil.which("node")
    assert node, "node is missing: run scripts/test.sh, which installs npm (and node)"
    assert CLI.exists(), (
        f"Comunica is missing ({CLI}): run scripts/test.sh, which installs it with npm ci")
    return node


def comunica(server: Server, text: str, media: str = JSON_RESULTS,
             ) -> subprocess.CompletedProcess[str]:
    """Run ``comunica-sparql`` on the server's endpoint (declared a SPARQL endpoint)."""
    return subprocess.run(
        [_node(), str(CLI), f"sparql@{server.url}", "-q", text, "-t", media],
        capture_output=True, text=True, timeout=60, check=False, cwd=PACKAGE)


def answer(server: Server, text: str, media: str = JSON_RESULTS) -> str:
    out = comunica(server, text, media)
    assert out.returncode == 0, out.stderr
    return out.stdout


XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
RDF_LANG = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
Key = tuple[str, ...]


def _literal_key(lexical: str, language: str | None, datatype: str | None) -> Key:
    if datatype in (XSD_STRING, RDF_LANG):
        datatype = None  # the same term: formats may or may not name these datatypes
    return ("literal", lexical, language or "", datatype or "")


def term_key(term: Any) -> Key:
    """An rdflib or pyoxigraph term as (kind, lexical form, language, datatype): lexical
    forms exactly as written; blank nodes by kind only."""
    import pyoxigraph as ox

    if term is None:
        return ("unbound",)
    if isinstance(term, (BNode, ox.BlankNode)):
        return ("bnode",)
    if isinstance(term, URIRef):
        return ("uri", str(term))
    if isinstance(term, ox.NamedNode):
        return ("uri", term.value)
    if isinstance(term, ox.Literal):
        return _literal_key(term.value, term.language, term.datatype.value)
    assert isinstance(term, Literal), term
    return _literal_key(str(term), term.language, str(term.datatype or "") or None)


def json_key(value: dict[str, str] | None) -> Key:
    """A term of SPARQL JSON results as :func:`term_key` gives it."""
    if value is None:
        return ("unbound",)
    if value["type"] == "bnode":
        return ("bnode",)
    if value["type"] == "uri":
        return ("uri", value["value"])
    assert value["type"] in ("literal", "typed-literal"), value
    return _literal_key(value["value"], value.get("xml:lang"), value.get("datatype"))


Rows = tuple[list[str], list[tuple[Key, ...]]]


def comunica_rows(server: Server, text: str) -> Rows:
    doc = json.loads(answer(server, text))
    names = doc["head"]["vars"]
    rows = [tuple(json_key(b.get(v)) for v in names) for b in doc["results"]["bindings"]]
    return names, rows


def run_local(spec: GraphSpec, text: str) -> Any:
    kg = open_graph(spec)
    try:
        return query(kg, text)
    finally:
        kg.close()


def local_rows(spec: GraphSpec, text: str) -> Rows:
    res = run_local(spec, text)
    assert res.kind == "SELECT"
    return list(res.vars), [tuple(term_key(t) for t in row) for row in res.rows]


def assert_same_rows(server: Server, spec: GraphSpec, text: str, *, ordered: bool) -> Rows:
    """Comunica's rows equal the library's, in order when ``ordered``; returns them."""
    got_vars, got = comunica_rows(server, text)
    want_vars, want = local_rows(spec, text)
    assert got_vars == want_vars
    if ordered:
        assert got == want
    else:
        assert sorted(got) == sorted(want)
    return got_vars, got


def assert_same_graph(server: Server, spec: GraphSpec, text: str, media: str) -> int:
    """Comunica's triples (read back by pyoxigraph, which keeps lexical forms as written)
    equal the library's, blank nodes aside; returns how many."""
    import pyoxigraph as ox

    fmt = ox.RdfFormat.from_media_type(media)
    assert fmt is not None
    got = sorted(tuple(term_key(t) for t in (q.subject, q.predicate, q.object))
                 for q in ox.parse(answer(server, text, media).encode("utf-8"), format=fmt))
    res = run_local(spec, text)
    assert res.kind == "GRAPH" and res.graph is not None
    want = sorted(tuple(term_key(t) for t in triple) for triple in res.graph)
    assert got == want
    return len(got)


# ------------------------------------------------------------------ servers


AS_OF = dt.date(2024, 7, 1)


@pytest.fixture(scope="module")
def fixture_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("comunica") / "literals.ttl"
    path.write_text(FIXTURE, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def servers(fixture_file: Path) -> Iterator[dict[str, Server]]:
    """The three servers, started together and stopped together (each is its own
    process: most of a start and a stop is waiting for processes)."""
    _node()
    args = {"bundled": (), "small": ("--data", str(fixture_file), "--no-ontology"),
            "as-of": ("--as-of", AS_OF.isoformat())}
    with started_together(args) as started:
        yield started


@pytest.fixture(scope="module")
def bundled_server(servers: dict[str, Server]) -> Server:
    return servers["bundled"]


@pytest.fixture(scope="module")
def small_server(servers: dict[str, Server]) -> Server:
    return servers["small"]


def small_spec(fixture_file: Path) -> GraphSpec:
    return GraphSpec(data=(fixture_file,), ontology=False)


# ------------------------------------------------------------------ SELECT


def test_select_optional_filter_order_limit(bundled_server: Server) -> None:
    text = PREFIXES + """SELECT ?m ?code ?zh WHERE {
      ?m a ckg:Market .
      OPTIONAL { ?m ckg:isoCode ?code }
      OPTIONAL { ?m rdfs:label ?zh FILTER(lang(?zh) = "zh") }
      FILTER(BOUND(?code) || BOUND(?zh))
    } ORDER BY DESC(?code) ?m LIMIT 5"""
    _vars, rows = assert_same_rows(bundled_server, GraphSpec(), text, ordered=True)
    assert len(rows) == 5


def test_select_unicode_labels(bundled_server: Server) -> None:
    text = PREFIXES + """SELECT ?m ?label WHERE {
      ?m a ckg:Market ; rdfs:label ?label FILTER(langMatches(lang(?label), "zh"))
    } ORDER BY ?m ?label"""
    _vars, rows = assert_same_rows(bundled_server, GraphSpec(), text, ordered=True)
    assert ("literal", "中国大陆", "zh", "") in {label for _m, label in rows}


def test_select_typed_and_tagged_literals(small_server: Server, fixture_file: Path) -> None:
    text = PREFIXES + "SELECT ?s ?p ?o WHERE { ?s ?p ?o } ORDER BY ?s ?p ?o"
    # Blank nodes make ORDER BY ?s ambiguous between them: compare as a multiset.
    _vars, rows = assert_same_rows(small_server, small_spec(fixture_file), text, ordered=False)
    literals = [o for _s, _p, o in rows if o[0] == "literal"]
    assert {XSD + name for name in ("date", "integer", "decimal", "double", "boolean")} <= {
        o[3] for o in literals}
    assert {"en", "zh", "zh-hant"} <= {o[2].lower() for o in literals}
    assert any("\t" in o[1] and "\n" in o[1] and '"' in o[1] and "✓" in o[1] for o in literals)


def test_select_dates_and_numbers_in_order(small_server: Server, fixture_file: Path) -> None:
    text = PREFIXES + """SELECT ?s ?day ?count ?label WHERE {
      ?s ex:count ?count ; rdfs:label ?label FILTER(lang(?label) = "en")
      OPTIONAL { ?s ex:day ?day }
      FILTER(?count > 5)
    } ORDER BY ?day DESC(?count) ?s"""
    _vars, rows = assert_same_rows(small_server, small_spec(fixture_file), text, ordered=True)
    assert len(rows) == 3


def test_group_by_count(bundled_server: Server) -> None:
    text = PREFIXES + """SELECT ?type (COUNT(?s) AS ?n) WHERE { ?s a ?type }
    GROUP BY ?type HAVING (COUNT(?s) > 2) ORDER BY DESC(?n) ?type"""
    _vars, rows = assert_same_rows(bundled_server, GraphSpec(), text, ordered=True)
    assert len(rows) > 3


@pytest.mark.parametrize("name", ["market-regions", "status-summary"])
def test_shipped_named_query(bundled_server: Server, name: str) -> None:
    """The text of a shipped .rq file, comments and all."""
    text = get_query(name).text
    _vars, rows = assert_same_rows(bundled_server, GraphSpec(), text, ordered="ORDER BY" in text)
    assert rows


# ------------------------------------------------------------------ ASK, CONSTRUCT, DESCRIBE


def test_ask_true_and_false(bundled_server: Server) -> None:
    for label in ("中国大陆", "中国"):
        text = PREFIXES + f"ASK {{ kgid:mainland-china rdfs:label '{label}'@zh }}"
        doc = json.loads(answer(bundled_server, text))
        assert doc["boolean"] is run_local(GraphSpec(), text).boolean is (label == "中国大陆")


def test_construct_as_ntriples(bundled_server: Server) -> None:
    text = PREFIXES + """CONSTRUCT { ?m rdfs:label ?l ; ckg:isoCode ?c }
    WHERE { ?m a ckg:Market ; rdfs:label ?l OPTIONAL { ?m ckg:isoCode ?c } }"""
    assert assert_same_graph(bundled_server, GraphSpec(), text, "application/n-triples") > 10


def test_describe_as_turtle(bundled_server: Server) -> None:
    text = PREFIXES + "DESCRIBE kgid:mainland-china kgid:hong-kong"
    assert assert_same_graph(bundled_server, GraphSpec(), text, "text/turtle") > 5


def test_describe_dates_and_big_integers(small_server: Server, fixture_file: Path) -> None:
    text = PREFIXES + "DESCRIBE ex:b"
    spec = small_spec(fixture_file)
    assert assert_same_graph(small_server, spec, text, "application/n-triples") > 5


# Comunica asks for text/turtle whatever it prints: serve's Turtle must keep every
# literal's lexical form ("1500"^^xsd:double stays so), as its N-Triples, JSON and XML do.
@pytest.mark.parametrize("media", ["application/n-triples", "text/turtle"])
def test_describe_typed_literals(small_server: Server, fixture_file: Path, media: str) -> None:
    text = PREFIXES + "DESCRIBE ex:a"
    assert assert_same_graph(small_server, small_spec(fixture_file), text, media) > 10


# ------------------------------------------------------------------ errors and --as-of


def test_errors_reach_comunica_and_the_server_stays_up(bundled_server: Server) -> None:
    out = comunica(bundled_server, "SELECT * WHERE { ?s ?p }")
    assert out.returncode == 1 and "Parse error" in out.stderr, out.stderr
    # Comunica parses the query itself; one that it accepts and the server refuses:
    # the server's 403 and its message reach Comunica's user.
    service = "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }"
    out = comunica(bundled_server, service)
    assert out.returncode == 1, out.stderr
    assert "HTTP status 403" in out.stderr and "SERVICE is refused" in out.stderr
    assert bundled_server.proc.poll() is None
    assert post_query(bundled_server, MARKETS)[0] == 200


def test_as_of_server(servers: dict[str, Server]) -> None:
    day = AS_OF
    text = PREFIXES + """SELECT ?route ?from WHERE {
      ?route a ckg:AccessRoute OPTIONAL { ?route ckg:validFrom ?from }
    } ORDER BY ?route"""
    _vars, rows = assert_same_rows(servers["as-of"], GraphSpec(as_of=day), text, ordered=True)
    # The day hides routes: the answer is not the whole graph's.
    assert 0 < len(rows) < len(local_rows(GraphSpec(), text)[1])
