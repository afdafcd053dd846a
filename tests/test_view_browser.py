"""HTML views in real headless Chromium: counts, legend, filters, search, tooltips,
focus, offline loading and script-injection probes.

Chromium comes from the system (/usr/bin/chromium), driven by playwright. If it is
missing these tests fail; they never skip.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from channelkg import resources
from channelkg.cli import cli
from channelkg.graph.memory import load
from channelkg.render.collapse import collapse_claims
from channelkg.render.network import to_networkx
from channelkg.render.page import write_html
from channelkg.render.selection import Selection, select
from conftest import DATA, ROOT, chromium_context

pytestmark = pytest.mark.browser

VIEW = DATA / "view.ttl"
READY = "() => !!(window.channelkg && window.channelkg.ready)"


class Browser:
    """One Chromium profile for the module; records every request that is not file://.

    Pages open at :attr:`size` and are ready when :attr:`ready` holds (or ``ready``)."""

    size = (1280, 800)
    ready = READY

    def __init__(self, context: Any) -> None:
        self.context = context
        self.remote: list[str] = []
        context.route("**/*", self._route)

    def _route(self, route: Any) -> None:
        url = route.request.url
        if url.startswith(("file:", "data:", "about:")):
            route.continue_()
        else:
            self.remote.append(url)
            route.abort()

    def open(self, path: Path, ready: str | None = None) -> Any:
        page = self.context.new_page()
        page.set_viewport_size({"width": self.size[0], "height": self.size[1]})
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.errors = errors
        page.goto(path.as_uri())
        page.wait_for_function(ready or self.ready, timeout=30_000)
        return page


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    with chromium_context(tmp_path_factory.mktemp("chromium-profile")) as context:
        b = Browser(context)
        yield b
    assert b.remote == [], f"the page tried to load {b.remote}"


@pytest.fixture(scope="module")
def cn_page(browser: Browser, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("views") / "cn.html"
    res = CliRunner().invoke(cli, ["view", "-d", str(VIEW), "--market", "CN", "-o", str(out)])
    assert res.exit_code == 0, res.output
    return out


def _expected(collapse: bool = False, **sel: Any) -> Any:
    graph = select(to_networkx(load([VIEW])), Selection(**sel))
    return collapse_claims(graph) if collapse else graph


def _counts(page: Any) -> dict[str, int]:
    return page.evaluate(
        """() => ({
            nodes: window.channelkg.network.body.data.nodes.length,
            edges: window.channelkg.network.body.data.edges.length,
            drawnNodes: window.channelkg.network.body.nodeIndices.length,
            drawnEdges: window.channelkg.network.body.edgeIndices.length,
            visible: window.channelkg.visibleNodeCount(),
            visibleEdges: window.channelkg.visibleEdgeCount(),
        })"""
    )


def test_market_view_draws_the_projection(browser: Browser, cn_page: Path, tmp_path: Path) -> None:
    page = browser.open(cn_page)
    expected = _expected(market="CN")
    counts = _counts(page)
    assert counts["nodes"] == expected.number_of_nodes()
    assert counts["drawnNodes"] == expected.number_of_nodes()
    assert counts["edges"] == expected.number_of_edges()
    assert counts["drawnEdges"] == expected.number_of_edges()
    assert counts["visible"] == expected.number_of_nodes()
    assert counts["visibleEdges"] == expected.number_of_edges()
    keys = set(page.evaluate("() => window.channelkg.data.nodes.map(n => n.key)"))
    assert keys == set(expected)
    shot = tmp_path / "cn.png"
    page.screenshot(path=str(shot))
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 10_000
    assert page.errors == []
    page.close()


def test_collapsed_view_counts(browser: Browser, tmp_path: Path) -> None:
    out = tmp_path / "c.html"
    res = CliRunner().invoke(
        cli, ["view", "-d", str(VIEW), "--market", "CN", "--collapse", "-o", str(out)]
    )
    assert res.exit_code == 0, res.output
    page = browser.open(out)
    expected = _expected(collapse=True, market="CN")
    counts = _counts(page)
    assert (counts["nodes"], counts["edges"]) == (
        expected.number_of_nodes(),
        expected.number_of_edges(),
    )
    page.close()


def test_legend_lists_classes_with_ontology_colours(browser: Browser, cn_page: Path) -> None:
    page = browser.open(cn_page)
    expected = _expected(market="CN")
    entries = page.evaluate(
        """() => [...document.querySelectorAll('#ckg-legend label[data-class]')].map(row => ({
            cls: row.getAttribute('data-class'),
            color: row.querySelector('.ckg-swatch').getAttribute('data-color'),
            count: Number(row.querySelector('.ckg-count').textContent),
        }))"""
    )
    classes = {d["class"] for _, d in expected.nodes(data=True)}
    assert {e["cls"] for e in entries} == classes
    from channelkg.render.network import graph_schema

    schema = graph_schema(expected)
    for e in entries:
        assert e["color"] == schema.style(e["cls"])[0]
        assert e["count"] == sum(1 for _, d in expected.nodes(data=True) if d["class"] == e["cls"])
    # the drawn node uses the legend's colour
    drawn = page.evaluate(
        """() => { const ck = window.channelkg; const id = ck.nodeId('kgid:v-op');
                   return ck.network.body.nodes[id].options.color.background; }"""
    )
    assert drawn == schema.style("ckg:LocalOperator")[0]
    page.close()


def test_class_and_status_filters_change_visible_counts(browser: Browser, cn_page: Path) -> None:
    page = browser.open(cn_page)
    expected = _expected(market="CN")
    total = expected.number_of_nodes()
    routes = sum(1 for _, d in expected.nodes(data=True) if d["class"] == "ckg:AccessRoute")
    assert routes > 0
    page.click('#ckg-legend input[data-class="ckg:AccessRoute"]')
    assert page.evaluate("() => window.channelkg.visibleNodeCount()") == total - routes
    page.click('#ckg-legend input[data-class="ckg:AccessRoute"]')
    assert page.evaluate("() => window.channelkg.visibleNodeCount()") == total
    confirmed = sum(
        1 for _, d in expected.nodes(data=True) if d.get("status_iri") == "ckg:confirmed"
    )
    assert confirmed > 0
    page.click('#ckg-status input[data-status="ckg:confirmed"]')
    assert page.evaluate("() => window.channelkg.visibleNodeCount()") == total - confirmed
    stats = page.inner_text("#ckg-stats")
    assert stats.startswith(f"{total - confirmed} of {total} nodes")
    page.close()


def test_search_focuses_and_click_on_background_resets(browser: Browser, cn_page: Path) -> None:
    page = browser.open(cn_page)
    page.fill("#ckg-search", "localnet")
    assert page.inner_text("#ckg-results").startswith("LocalNet")
    page.press("#ckg-search", "Enter")
    assert page.evaluate("() => window.channelkg.focused") == "kgid:v-op"
    expected = _expected(market="CN")
    neighbourhood = (
        {"kgid:v-op"}
        | set(expected.successors("kgid:v-op"))
        | set(expected.predecessors("kgid:v-op"))
    )
    dimmed = page.evaluate("() => window.channelkg.dimmedCount()")
    assert dimmed == expected.number_of_nodes() - len(neighbourhood)
    assert page.evaluate("() => window.channelkg.network.getSelectedNodes().length") == 1
    assert "LocalNet" in page.inner_text("#ckg-details")
    # click on empty canvas (top-left corner of the drawing area) resets the focus
    box = page.locator("#ckg-graph").bounding_box()
    page.mouse.click(box["x"] + 5, box["y"] + 5)
    assert page.evaluate("() => window.channelkg.focused") is None
    assert page.evaluate("() => window.channelkg.dimmedCount()") == 0
    # clicking a node focuses it too
    pos = page.evaluate("() => window.channelkg.domPosition('kgid:v-cn')")
    page.mouse.click(box["x"] + pos["x"], box["y"] + pos["y"])
    assert page.evaluate("() => window.channelkg.focused") == "kgid:v-cn"
    page.close()


def _hover(page: Any, key: str) -> None:
    page.evaluate("(k) => window.channelkg.focusNode(k, {scale: 1.5})", key)
    box = page.locator("#ckg-graph").bounding_box()
    pos = page.evaluate("(k) => window.channelkg.domPosition(k)", key)
    page.mouse.move(box["x"] + pos["x"] + 40, box["y"] + pos["y"] + 40)
    page.mouse.move(box["x"] + pos["x"], box["y"] + pos["y"], steps=3)
    page.wait_for_selector("#ckg-tooltip .ckg-info", state="visible", timeout=5000)


def test_tooltip_shows_dates_status_and_source_link(browser: Browser, cn_page: Path) -> None:
    page = browser.open(cn_page)
    _hover(page, "kgid:v-r3")
    tip = page.locator("#ckg-tooltip")
    text = tip.inner_text()
    assert "Access route" in text and "confirmed" in text and "2024-07-09" in text
    link = tip.locator("a")
    assert link.count() == 1
    assert link.get_attribute("href") == "https://example.org/cloud-report"
    assert link.inner_text() == "<script>window.__xss=2</script>Cloud report"
    # a javascript: URL is shown as text, never as a link
    _hover(page, "kgid:v-r2")
    assert page.locator("#ckg-tooltip a").count() == 0
    assert "javascript:window.__xss=3" in page.inner_text("#ckg-tooltip")
    page.close()


@pytest.mark.parametrize("csp", [True, False], ids=["with-csp", "escaping-only"])
def test_script_injection_runs_nothing(browser: Browser, tmp_path: Path, csp: bool) -> None:
    """The labels, titles, comments and URLs of view.ttl try to run script. With and
    without the Content-Security-Policy, none of it runs and all of it shows as text."""
    out = write_html(
        to_networkx(load([VIEW])),
        tmp_path / "xss.html",
        title="<img src=x onerror=window.__xss=5>",
        csp=csp,
    )
    page = browser.open(out)
    probe = "() => [window.__xss, document.querySelectorAll('img, #ckg-app script').length]"
    assert page.evaluate(probe) == [None, 0]
    assert page.title() == "<img src=x onerror=window.__xss=5>"
    _hover(page, "kgid:v-model")
    assert '<img src=x onerror="window.__xss=1">' in page.inner_text("#ckg-tooltip")
    _hover(page, "kgid:v-r1")
    assert "</script><script>window.__xss=4</script>" in page.inner_text("#ckg-tooltip")
    page.fill("#ckg-search", "<img")
    assert page.inner_text("#ckg-results").startswith('<img src=x onerror="window.__xss=1">')
    page.press("#ckg-search", "Enter")
    assert page.evaluate("() => window.channelkg.focused") == "kgid:v-model"
    page.click("#ckg-results button")
    assert page.evaluate(probe) == [None, 0]
    labels = page.evaluate("() => window.channelkg.nodes.get().map(n => n.label)")
    assert '<img src=x onerror="window.__xss=1">' in labels
    page.close()


def test_new_ontology_class_is_drawn_in_its_colour(
    browser: Browser, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    shutil.copytree(ROOT / "ontology", home / "ontology")
    onto = home / "ontology" / "channelkg.ttl"
    onto.write_text(
        onto.read_text(encoding="utf-8")
        + '\nckg:Distributor a owl:Class ; rdfs:label "Distributor"@en ;\n'
        "    rdfs:subClassOf ckg:Organization ;\n"
        '    ckg:viewColor "#0a7e3c" ; ckg:viewShape "square" .\n'
        "ckg:RegionalDistributor a owl:Class ; rdfs:subClassOf ckg:Distributor .\n",
        encoding="utf-8",
    )
    (home / "graphs").mkdir()
    (home / "graphs" / "d.ttl").write_text(
        "@prefix ckg: <https://w3id.org/channelkg/ontology#> .\n"
        "@prefix kgid: <https://w3id.org/channelkg/id/> .\n"
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
        'kgid:dist a ckg:Distributor ; rdfs:label "Dist Co" .\n'
        'kgid:reg a ckg:RegionalDistributor ; rdfs:label "Reg Co" ; ckg:subsidiaryOf kgid:dist .\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("CHANNELKG_HOME", str(home))
    resources.project_root.cache_clear()
    try:
        res = CliRunner().invoke(cli, ["view"])
        assert res.exit_code == 0, res.output
        out = home / "graphs" / "views" / "all.html"
        assert out.is_file()
    finally:
        resources.project_root.cache_clear()
    page = browser.open(out)
    drawn = page.evaluate(
        """() => ['kgid:dist', 'kgid:reg'].map(k => {
            const o = window.channelkg.network.body.nodes[window.channelkg.nodeId(k)].options;
            return [o.color.background, o.shape]; })"""
    )
    assert drawn == [["#0a7e3c", "square"], ["#0a7e3c", "square"]]
    legend = page.inner_text("#ckg-legend")
    assert "Distributor" in legend
    page.close()


def test_large_mode_focus_dims_and_resets(browser: Browser, tmp_path: Path) -> None:
    """Above the physics threshold: fixed layout, edge labels only around the focus,
    and repeated focus followed by a reset leaves nothing dimmed."""
    graph = to_networkx(load([VIEW]))
    out = write_html(graph, tmp_path / "large.html", physics_threshold=3)
    page = browser.open(out)
    assert page.evaluate("() => window.channelkg.network.physics.physicsEnabled") is False
    labelled = "() => window.channelkg.labelledEdges().length"
    assert page.evaluate("() => window.channelkg.edges.get().filter(e => e.label).length") == 0
    assert page.evaluate(labelled) == 0
    assert page.evaluate("() => window.channelkg.focusNode('kgid:v-op')")
    around_op = graph.degree("kgid:v-op")
    assert page.evaluate(labelled) == around_op
    n = graph.number_of_nodes()
    neighbours = len(set(graph.successors("kgid:v-op")) | set(graph.predecessors("kgid:v-op")))
    assert page.evaluate("() => window.channelkg.dimmedCount()") == n - 1 - neighbours
    # a click on a node focuses it (the page finds the node under the pointer itself)
    box = page.locator("#ckg-graph").bounding_box()
    pos = page.evaluate("() => window.channelkg.domPosition('kgid:v-cn')")
    page.mouse.click(box["x"] + pos["x"], box["y"] + pos["y"])
    assert page.evaluate("() => window.channelkg.focused") == "kgid:v-cn"
    assert page.evaluate(labelled) == graph.degree("kgid:v-cn")
    assert "kgid:v-cn" in page.inner_text("#ckg-details")
    page.evaluate("() => window.channelkg.resetFocus()")
    assert page.evaluate("() => window.channelkg.dimmedCount()") == 0
    assert page.evaluate(labelled) == 0
    assert page.errors == []
    page.close()


def test_collapsed_edge_tooltip_carries_the_claim(browser: Browser, tmp_path: Path) -> None:
    graph = collapse_claims(select(to_networkx(load([VIEW])), Selection(market="CN")))
    out = write_html(graph, tmp_path / "edges.html")
    page = browser.open(out)
    page.evaluate("() => window.channelkg.network.fit({animation: false})")
    edge_id = page.evaluate(
        """() => window.channelkg.data.edges.find(e => e.label.startsWith('provider block')).id"""
    )
    box = page.locator("#ckg-graph").bounding_box()
    pos = page.evaluate("(i) => window.channelkg.edgeDomPosition(i)", edge_id)
    page.mouse.move(box["x"] + pos["x"] + 30, box["y"] + pos["y"] + 30)
    page.mouse.move(box["x"] + pos["x"], box["y"] + pos["y"], steps=3)
    page.wait_for_selector("#ckg-tooltip .ckg-info", state="visible", timeout=5000)
    text = page.inner_text("#ckg-tooltip")
    claim = graph.edges["kgid:v-dev", "kgid:v-api", "kgid:v-block"]
    assert claim["label"] in text and claim["validFrom"] in text and claim["status"] in text
    assert page.locator("#ckg-tooltip a").get_attribute("href") == claim["sources"][0]["url"]
    page.close()


def test_layout_settles_so_nodes_stay_under_the_pointer(browser: Browser, tmp_path: Path) -> None:
    """Physics polishes the computed layout, then stops: no node drifts afterwards."""
    out = tmp_path / "bundled-cn.html"
    res = CliRunner().invoke(cli, ["view", "--market", "CN", "-o", str(out)])
    assert res.exit_code == 0, res.output
    page = browser.open(out)
    assert page.evaluate("() => window.channelkg.data.physics") is True
    page.wait_for_selector("body[data-settled='1']", timeout=30_000)
    where = "() => window.channelkg.network.getPositions()"
    before = page.evaluate(where)
    page.wait_for_timeout(1500)
    assert page.evaluate(where) == before
    # A click where a node is drawn focuses that node.
    key = "kgid:microsoft"
    pos = page.evaluate(f"() => window.channelkg.domPosition('{key}')")
    box = page.locator("#ckg-graph").bounding_box()
    page.mouse.click(box["x"] + pos["x"], box["y"] + pos["y"])
    assert page.evaluate("() => window.channelkg.focused") == key
    assert page.errors == []
    page.close()


def test_search_ranks_the_named_node_first(browser: Browser, tmp_path: Path) -> None:
    out = tmp_path / "bundled-all.html"
    res = CliRunner().invoke(cli, ["view", "-o", str(out)])
    assert res.exit_code == 0, res.output
    page = browser.open(out)
    for text, key in (("openai", "kgid:openai"), ("microsoft", "kgid:microsoft"),
                      ("OpenAI GPT models", "kgid:gpt")):
        assert page.evaluate(f"() => window.channelkg.matches({text!r})")[0] == key, text
    page.fill("#ckg-search", "china")
    total = page.evaluate("() => window.channelkg.data.nodes.filter(n => "
                          "(n.label + ' ' + n.key).toLowerCase().includes('china')).length")
    assert total > 30
    assert page.inner_text("#ckg-results").startswith(f"first 30 of {total} matches")
    page.close()


def test_around_view_opens_on_its_start_node(browser: Browser, tmp_path: Path) -> None:
    out = tmp_path / "around.html"
    res = CliRunner().invoke(cli, ["view", "-d", str(VIEW), "--around", "kgid:v-op",
                                   "--depth", "1", "-o", str(out)])
    assert res.exit_code == 0, res.output
    page = browser.open(out)
    label = page.evaluate("() => window.channelkg.data.nodes.find(n => n.key === 'kgid:v-op')"
                          ".label")
    assert page.title() == f"channelkg: around {label} (depth 1)"
    selected = page.evaluate("() => window.channelkg.network.getSelectedNodes()")
    assert selected == [page.evaluate("() => window.channelkg.nodeId('kgid:v-op')")]
    assert label in page.inner_text("#ckg-details")
    page.close()
