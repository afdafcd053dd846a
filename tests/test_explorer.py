"""The query page as an explorer, in headless Chromium against ``channelkg serve``.

Result views (the graph view draws a vis-network; the timeline and bar chart draw SVG),
IRIs open entity pages that list every claim with its status, dates and sources, a
copied URL restores the query and the view, the downloads are the endpoint's CSV and
JSON, and labels, literals and IRIs written as XSS probes run nothing.
"""

from __future__ import annotations

import csv
import io
import json
import re
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from channelkg.analysis.provenance import explain
from channelkg.graph.memory import KnowledgeGraph, load
from channelkg.rdf.terms import display
from channelkg.serve.app import render
from channelkg.sparql.query import query
from conftest import chromium_context
from test_serve import FILES, OPENER, Server, start_server, stop_server

pytestmark = [pytest.mark.browser, pytest.mark.server]

PWN = "window.pwned"
#: Every link target of a page, resolved (SVG links too).
HREFS = "as => as.map(a => new URL(a.getAttribute('href'), document.baseURI).href)"
XSS_TTL = """\
@prefix ckg: <https://w3id.org/channelkg/ontology#> .
@prefix kgid: <https://w3id.org/channelkg/id/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix prov: <http://www.w3.org/ns/prov#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix schema: <https://schema.org/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .

kgid:evil a ckg:Organization ;
    rdfs:label "<script>window.pwned=1</script><img src=x onerror=\\"window.pwned=2\\">"@en ;
    schema:url <javascript:window.pwned=3> .
kgid:fact-evil a ckg:Claim ; ckg:factId "EVIL-1" ; ckg:status ckg:reported ;
    ckg:about kgid:evil ; ckg:statedOn "2025-01-01"^^xsd:date ;
    rdfs:comment "<img src=x onerror=\\"window.pwned=4\\"> javascript:window.pwned=5"@en ;
    prov:wasDerivedFrom kgid:source-evil .
kgid:source-evil a ckg:Source ; dcterms:title "<svg onload=\\"window.pwned=6\\">" ;
    schema:url <javascript:window.pwned=7> .
"""
XSS_QUERY = (
    "PREFIX kgid: <https://w3id.org/channelkg/id/>\n"
    "SELECT ?s ?p ?o WHERE { ?s ?p ?o FILTER(?s IN (kgid:evil, kgid:fact-evil, "
    "kgid:source-evil)) }"
)


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    xss = tmp_path_factory.mktemp("xss") / "xss.ttl"
    xss.write_text(XSS_TTL, encoding="utf-8")
    return [*FILES, xss]


@pytest.fixture(scope="module")
def kg(files: list[Path]) -> KnowledgeGraph:
    return load(files)


@pytest.fixture(scope="module")
def server(files: list[Path]) -> Iterator[Server]:
    srv = start_server(*[a for f in files for a in ("--data", str(f))])
    yield srv
    stop_server(srv)


@pytest.fixture(scope="module")
def ctx(server: Server, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    elsewhere: list[str] = []

    def route(r: Any) -> None:
        if r.request.url.startswith(server.base + "/"):
            r.continue_()
        else:
            elsewhere.append(r.request.url)
            r.abort()

    with chromium_context(tmp_path_factory.mktemp("chromium")) as context:
        context.route("**/*", route)
        yield context
    assert elsewhere == [], f"a page tried to load {elsewhere}"


class Page:
    """A page of the context that records script errors and dialogs."""

    def __init__(self, ctx: Any) -> None:
        self.errors: list[str] = []
        self.page = ctx.new_page()
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("dialog", lambda d: (self.errors.append("dialog " + d.message), d.dismiss()))

    def __enter__(self) -> Any:
        return self.page

    def __exit__(self, *exc: object) -> None:
        self.page.close()
        assert self.errors == []


def open_page(pg: Any, url: str) -> None:
    pg.goto(url)
    pg.wait_for_function("document.body.dataset.ready === 'true'")


def wait_result(pg: Any) -> str:
    pg.wait_for_function("window.ckgExplorer.result !== null || "
                         "document.querySelector('#status').classList.contains('error')")
    status: str = pg.text_content("#status")
    assert "HTTP" not in status, status
    return status


def selected_view(pg: Any) -> str:
    value: str = pg.get_attribute("#views [aria-selected=true]", "data-view")
    return value


def test_graph_view_draws_the_result(ctx: Any, server: Server, kg: KnowledgeGraph) -> None:
    want = query(kg, "route-dependencies")
    assert want.rows
    with Page(ctx) as pg:
        open_page(pg, server.base + "/")
        pg.select_option("#examples", "route-dependencies")
        assert selected_view(pg) == "graph"  # the query's "# view: graph" header
        pg.click("#run")
        wait_result(pg)
        pg.wait_for_function("window.ckgExplorer.graph && "
                             "window.ckgExplorer.graph.network.body.nodeIndices.length > 0")
        titles = set(pg.evaluate("window.ckgExplorer.graph.nodes.get().map(n => n.key)"))
        for row in want.rows:
            assert display(row[0]) in titles and display(row[3]) in titles  # route, partnership
        drawn = pg.evaluate("window.ckgExplorer.graph.network.body.nodeIndices.length")
        assert drawn == len(titles)
        edges = pg.evaluate("window.ckgExplorer.graph.edges.get()"
                            ".map(e => [e.label, e.from, e.to])")
        assert sum(1 for e in edges if e[0] == "partnership") == len(want.rows)
        # the canvas is drawn on, not blank (waited for: vis-network draws on its next frame)
        pg.wait_for_function("""() => {
            const c = document.querySelector('#graph canvas');
            const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
            let n = 0;
            for (let i = 3; i < d.length; i += 4) { if (d[i] > 0) n++; }
            return n > 500; }""", timeout=10_000)


def test_timeline_and_chart_views(ctx: Any, server: Server, kg: KnowledgeGraph) -> None:
    timeline = query(kg, "timeline")
    summary = query(kg, "status-summary")
    with Page(ctx) as pg:
        open_page(pg, server.base + "/")
        pg.select_option("#examples", "timeline")
        assert selected_view(pg) == "timeline"
        pg.click("#run")
        wait_result(pg)
        assert pg.locator("#results svg.ckg-timeline g.item").count() == len(timeline.rows)
        first = pg.text_content("#results svg.ckg-timeline g.item text")
        assert first.startswith(str(min(r[0] for r in timeline.rows)))
        pg.select_option("#examples", "status-summary")
        assert selected_view(pg) == "chart"
        pg.click("#run")
        wait_result(pg)
        assert pg.locator("#results svg.ckg-bars g.row").count() == len(summary.rows)
        values = pg.eval_on_selector_all("#results svg.ckg-bars text.value",
                                         "ts => ts.map(t => Number(t.textContent))")
        assert values == [int(r[2]) for r in summary.rows]
        pg.click("#views [data-view=table]")  # switching views keeps the result
        assert pg.locator("#results tbody tr").count() == len(summary.rows)


def test_iri_opens_its_entity_page(ctx: Any, server: Server, kg: KnowledgeGraph) -> None:
    ex = explain(kg, "azure-china")
    facts = [f for _, fs in ex.sections for f in fs]
    assert facts and any(f.sources for f in facts)
    with Page(ctx) as pg:
        open_page(pg, server.base + "/")
        pg.select_option("#examples", "")
        pg.fill("#editor", "PREFIX ckg: <https://w3id.org/channelkg/ontology#>\n"
                           "SELECT ?service WHERE { ?service a ckg:Service } ORDER BY ?service")
        pg.click("#run")
        wait_result(pg)
        with pg.expect_navigation():
            pg.click("#results a.entity:text-is('kgid:azure-china')")
        assert pg.url == server.base + "/entity/azure-china"
        assert pg.text_content("#entity-label") == "Azure China"
        assert "Service" in pg.text_content("dl.entity-head")
        rows = pg.eval_on_selector_all("section.facts tbody tr", """trs => trs.map(tr => [
            tr.querySelector('a.claim').textContent,
            tr.querySelector('td.status .st').textContent,
            [...tr.querySelectorAll('ul.sources li')].map(li => li.textContent)])""")
        got = {r[0]: (r[1], r[2]) for r in rows}
        assert got == {display(f.node): (f.status, list(f.sources)) for f in facts}
        dated = [f for f in ex.facts() if f.dates.valid_from or f.dates.stated_on]
        assert pg.locator("#timeline g.item").count() == len(dated) > 0
        # The neighbourhood map: the view page, drawn around the entity, in a frame.
        frame = pg.frame_locator("#map")
        frame.locator("#ckg-graph canvas").wait_for()
        keys = pg.frames[1].evaluate("window.channelkg.data.nodes.map(n => n.key)")
        assert "kgid:azure-china" in keys and "kgid:microsoft" in keys
        # A claim links to its own page, which lists the entities it names.
        claim = pg.locator(f"section.facts a.claim:text-is('{display(facts[0].node)}')")
        claim.scroll_into_view_if_needed()
        with pg.expect_navigation():
            claim.click()
        assert pg.url == server.base + "/entity/" + display(facts[0].node).removeprefix("kgid:")
        assert pg.text_content("#entity-label")
        assert "azure-china" in pg.inner_html("dl.entity-head")
        # ... and leads to the query of its triples, drawn as a graph.
        with pg.expect_navigation():
            pg.click("#as-query")
        pg.wait_for_function("document.body.dataset.ready === 'true'")
        wait_result(pg)
        assert pg.input_value("#examples") == "entity" and selected_view(pg) == "graph"
        assert pg.input_value("#param-entity") == display(facts[0].node)
    with Page(ctx) as pg:
        resp = pg.goto(server.base + "/entity/no-such-thing")
        assert resp.status == 404 and "unknown entity" in pg.text_content("#not-found")


def test_a_copied_url_restores_query_and_view(ctx: Any, server: Server,
                                              kg: KnowledgeGraph) -> None:
    want = query(kg, "routes-into", {"market": "HK"})
    with Page(ctx) as pg:
        open_page(pg, server.base + "/")
        pg.select_option("#examples", "routes-into")
        pg.fill("#param-market", "HK")
        pg.click("#run")
        wait_result(pg)
        pg.click("#views [data-view=graph]")
        named_url = pg.url
        pg.select_option("#examples", "")
        pg.fill("#editor", "SELECT ?n WHERE { VALUES ?n { 1 2 3 } }")
        pg.click("#run")
        wait_result(pg)
        pg.click("#views [data-view=chart]")
        text_url = pg.url
    assert "named=routes-into" in named_url and "view=graph" in named_url
    with Page(ctx) as pg:
        open_page(pg, named_url)
        wait_result(pg)
        assert pg.input_value("#examples") == "routes-into"
        assert pg.input_value("#param-market") == "HK"
        assert selected_view(pg) == "graph"
        pg.wait_for_function("window.ckgExplorer.graph !== null")
        titles = set(pg.evaluate("window.ckgExplorer.graph.nodes.get().map(n => n.key)"))
        assert {display(r[0]) for r in want.rows} <= titles
        pg.reload()
        pg.wait_for_function("document.body.dataset.ready === 'true'")
        wait_result(pg)
        assert selected_view(pg) == "graph" and pg.input_value("#param-market") == "HK"
    with Page(ctx) as pg:
        open_page(pg, text_url)
        wait_result(pg)
        assert pg.input_value("#editor") == "SELECT ?n WHERE { VALUES ?n { 1 2 3 } }"
        assert pg.input_value("#examples") == ""
        assert selected_view(pg) == "chart"
        values = pg.eval_on_selector_all("#results svg.ckg-bars text.value",
                                         "ts => ts.map(t => t.textContent)")
        assert values == ["1", "2", "3"]


def fetch(url: str) -> bytes:
    with OPENER.open(url, timeout=30) as resp:
        body: bytes = resp.read()
        return body


def test_downloads_are_the_endpoints_csv_and_json(ctx: Any, server: Server,
                                                  kg: KnowledgeGraph) -> None:
    want = query(kg, "routes-into", {"market": "CN"})
    with Page(ctx) as pg:
        open_page(pg, server.base + "/#named=routes-into&p.market=CN&view=table")
        wait_result(pg)
        got = {}
        for fmt in ("csv", "json"):
            with pg.expect_download() as info:
                pg.click(f"#downloads [data-format={fmt}]")
            dl = info.value
            assert dl.suggested_filename == f"routes-into.{fmt}"
            got[fmt] = Path(dl.path()).read_bytes()
    assert got["csv"] == render(want, "csv")
    assert got["csv"] == fetch(server.base + "/named/routes-into?market=CN&format=csv")
    table = list(csv.reader(io.StringIO(got["csv"].decode("utf-8"))))
    assert table[0] == list(want.vars) and len(table) == len(want.rows) + 1
    doc = json.loads(got["json"])
    assert doc["head"]["vars"] == list(want.vars)
    assert [b["route"]["value"] for b in doc["results"]["bindings"]] == \
        [str(r[0]) for r in want.rows]


#: True once vis-network's positions are what they were at the last poll.
STILL = """() => { const net = window.ckgExplorer.graph.network;
    const now = JSON.stringify(net.getPositions()), same = window.__ckgLast === now;
    window.__ckgLast = now; return same; }"""


def settle(pg: Any, most_ms: int = 1500) -> None:
    """Let the graph view's layout settle: until its nodes stop moving (two polls 100 ms
    apart see the same positions), at most ``most_ms``."""
    import contextlib

    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    # still moving a little after most_ms: the caller stops the simulation itself
    with contextlib.suppress(PlaywrightTimeout):
        pg.wait_for_function(STILL, polling=100, timeout=most_ms)


def test_xss_probes_run_nothing(ctx: Any, server: Server, kg: KnowledgeGraph) -> None:
    label = "<script>window.pwned=1</script><img src=x onerror=\"window.pwned=2\">"
    with Page(ctx) as pg:
        frag = urllib.parse.urlencode({"query": XSS_QUERY, "view": "table"})
        open_page(pg, server.base + "/#" + frag)
        wait_result(pg)
        assert label in pg.text_content("#results")
        cells = pg.eval_on_selector_all("#results td", "tds => tds.map(t => t.textContent)")
        assert "javascript:window.pwned=3" in cells and "javascript:window.pwned=7" in cells
        for view in ("graph", "timeline", "chart", "table"):
            pg.click(f"#views [data-view={view}]")
            pg.wait_for_timeout(200)
            assert pg.evaluate(f"typeof {PWN}") == "undefined", view
            hrefs = pg.eval_on_selector_all("a[href]", HREFS)
            assert not [h for h in hrefs if not h.startswith(("http://", "https://"))], view
        # The graph view's tooltip shows the label as text (vis-network writes strings as text).
        pg.click("#views [data-view=graph]")
        pg.wait_for_function("window.ckgExplorer.graph !== null")
        settle(pg)
        labels = pg.evaluate("window.ckgExplorer.graph.nodes.get().map(n => n.label)")
        assert label[:60] in labels  # kgid:evil, named by its label (cut at 60 characters)
        pg.locator("#graph").scroll_into_view_if_needed()
        at = pg.evaluate("""() => {
            const g = window.ckgExplorer.graph;
            g.network.stopSimulation();  // the node stays where it is hovered
            const node = g.nodes.get().find(n => n.key === 'kgid:evil');
            const p = g.network.canvasToDOM(g.network.getPositions([node.id])[node.id]);
            const r = document.querySelector('#graph canvas').getBoundingClientRect();
            return [r.left + p.x, r.top + p.y]; }""")
        pg.mouse.move(at[0] - 30, at[1] - 30)
        pg.mouse.move(at[0], at[1], steps=5)
        pg.wait_for_selector("div.vis-tooltip", state="visible")
        assert pg.inner_text("div.vis-tooltip") == label + "\nkgid:evil"
        assert pg.evaluate("document.querySelector('div.vis-tooltip')"
                           ".querySelectorAll(':not(br)').length") == 0  # no element made
        assert pg.evaluate(f"typeof {PWN}") == "undefined"
        pg.click("#views [data-view=table]")
        with pg.expect_navigation():
            pg.click("#results a.entity:text-is('kgid:evil')")
        assert pg.text_content("#entity-label") == label
        assert "window.pwned=4" in pg.text_content("section.facts")
        assert "window.pwned=6" in pg.text_content("section.facts ul.sources")
        pg.frame_locator("#map").locator("#ckg-graph canvas").wait_for()
        pg.wait_for_timeout(300)
        for frame in pg.frames:
            assert frame.evaluate(f"typeof {PWN}") == "undefined"
            hrefs = frame.eval_on_selector_all("a[href]", HREFS)
            assert not [h for h in hrefs if re.match(r"\s*javascript:", h, re.I)]
        assert pg.title().startswith("<script>")  # the label, as text


def poll(pg: Any, predicate: str, seconds: float = 30) -> None:
    import time

    deadline = time.monotonic() + seconds
    while not pg.evaluate(predicate):
        assert time.monotonic() < deadline, f"timed out waiting for {predicate}"
        pg.wait_for_timeout(100)


def test_pages_work_under_a_strict_content_security_policy(ctx: Any, server: Server) -> None:
    """With a policy that allows only the server's own files (no inline script, no eval),
    the query page, its graph view and an entity page work and report no violation."""
    policy = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
              "img-src 'self' data:; frame-src 'self'; object-src 'none'; base-uri 'none'")

    def strict(route: Any) -> None:
        resp = route.fetch()
        headers = {**resp.headers, "content-security-policy": policy}
        route.fulfill(response=resp, headers=headers)

    with Page(ctx) as pg:
        pg.route(re.compile(r"^" + re.escape(server.base) + r"/(entity/[^?]*)?(#.*)?$"), strict)
        pg.add_init_script(
            "window.violations = []; document.addEventListener('securitypolicyviolation',"
            " e => window.violations.push(e.violatedDirective + ' ' + e.blockedURI));")
        pg.goto(server.base + "/#named=route-dependencies")
        # Polled from here: the page's policy forbids the evaluation wait_for_function uses.
        poll(pg, "() => !!(window.ckgExplorer && window.ckgExplorer.graph)")
        assert pg.evaluate("window.violations") == []
        pg.click("#views [data-view=table]")
        with pg.expect_navigation():
            pg.click("#results a.entity >> nth=0")
        pg.locator("#timeline svg, #timeline p").first.wait_for()
        assert pg.evaluate("window.violations") == []


def test_the_screenshot_script_draws_both_pages(server: Server, tmp_path: Path) -> None:
    import struct
    import subprocess
    import sys

    script = Path(__file__).parent.parent / "scripts" / "screenshots.py"
    out = subprocess.run([sys.executable, str(script), "--base", server.base, "--out",
                          str(tmp_path), "--settle", "0.2"],
                         capture_output=True, text=True, timeout=120, check=True).stdout
    shots = [Path(line) for line in out.split()]
    assert [p.name for p in shots] == ["explorer-graph.png", "explorer-entity.png"]
    for shot, height in zip(shots, (1080, 1700), strict=True):
        data = shot.read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
        assert struct.unpack(">II", data[16:24]) == (1300, height)
        assert len(data) > 50_000  # a drawn page (a blank one compresses to a few kB)


def test_entity_links_match_the_server_and_json_part(ctx: Any, server: Server,
                                                     kg: KnowledgeGraph) -> None:
    from channelkg.analysis.provenance import render_json
    from channelkg.serve.entity import slug

    iris = ["https://w3id.org/channelkg/id/azure-china",
            "https://w3id.org/channelkg/ontology#CloudPartner",
            "https://w3id.org/channelkg/id/fact-evil"]
    others = ["https://example.org/seed", "urn:x:y", "javascript:alert(1)"]
    with Page(ctx) as pg:
        open_page(pg, server.base + "/")
        hrefs = pg.evaluate("iris => iris.map(window.ckgViews.entityHref)", iris + others)
    assert hrefs[len(iris):] == [None, None, None]
    for iri, href in zip(iris, hrefs, strict=False):
        assert urllib.parse.unquote(href) == urllib.parse.unquote("entity/" + slug(iri))
        doc = json.loads(fetch(server.base + "/" + href + "?part=json"))
        assert doc == json.loads(render_json([explain(kg, iri)]))
    # The map is the page `channelkg view --around` draws (kept projection, same picture).
    from channelkg.render.selection import Selection
    from channelkg.render.views import PageOptions, render_view

    view = render_view(kg, Selection(around=iris[0]), Path("v.html"), PageOptions())
    for _ in range(2):  # the first map projects the graph, the second reuses it
        assert fetch(server.base + "/entity/azure-china?part=map").decode() == view.html
    # A vocabulary term has a page but is not drawn in a network view: its map says so.
    term = fetch(server.base + "/entity/ckg%3Areported?part=map").decode("utf-8")
    assert 'id="no-map"' in term and "vocabulary term" in term


def test_construct_answers_draw_as_triples(ctx: Any, server: Server,
                                           kg: KnowledgeGraph) -> None:
    want = query(kg, "entity", {"entity": "azure-china"})
    assert want.kind == "GRAPH" and len(want.graph) > 0
    with Page(ctx) as pg:
        open_page(pg, server.base + "/#named=entity&p.entity=azure-china")
        status = wait_result(pg)
        assert status == f"{len(want.graph)} triples"
        assert selected_view(pg) == "graph"
        pg.wait_for_function("window.ckgExplorer.graph !== null")
        labels = pg.evaluate("window.ckgExplorer.graph.nodes.get().map(n => n.label)")
        assert "Azure China" in labels  # named by its rdfs:label triple, not by its IRI
        pg.click("#views [data-view=table]")
        assert pg.locator("#results tbody tr").count() == len(want.graph)
        assert [b.get_attribute("data-format") for b in pg.locator("#downloads button").all()] \
            == ["turtle", "nt"]


def test_long_answers_are_drawn_in_part(ctx: Any, server: Server) -> None:
    values = " ".join(str(i) for i in range(1, 1206))
    frag = urllib.parse.urlencode({"query": f"SELECT ?n WHERE {{ VALUES ?n {{ {values} }} }}",
                                   "view": "chart"})
    with Page(ctx) as pg:
        open_page(pg, server.base + "/#" + frag)
        wait_result(pg)
        assert "The first 1000 of 1205 rows." in pg.text_content("#results")
        assert pg.locator("#results svg.ckg-bars g.row").count() == 1000


def test_back_goes_to_the_query_run_before(ctx: Any, server: Server) -> None:
    with Page(ctx) as pg:
        open_page(pg, server.base + "/")
        pg.select_option("#examples", "")
        for n in (1, 2):
            pg.fill("#editor", f"SELECT ?n WHERE {{ VALUES ?n {{ {n} }} }}")
            pg.click("#run")
            wait_result(pg)
        runs = pg.evaluate("window.ckgExplorer.runs")
        pg.go_back()
        pg.wait_for_function(f"window.ckgExplorer.runs > {runs} && "
                             "window.ckgExplorer.result !== null")
        assert pg.input_value("#editor") == "SELECT ?n WHERE { VALUES ?n { 1 } }"
        assert pg.text_content("#results td") == "1"
        assert pg.evaluate("window.ckgExplorer.runs") == runs + 1  # run once, not twice
