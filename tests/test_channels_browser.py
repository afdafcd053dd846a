"""Channel maps in real headless Chromium at 1440x900: legible labels that never overlap,
paths equal to `channelkg routes`, closed routes ending at their restriction, sources on
hover and click, script injection running nothing.

Chromium comes from the system (/usr/bin/chromium), driven by playwright. If it is
missing these tests fail; they never skip.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from channelkg.cli import cli
from channelkg.graph.memory import load
from channelkg.render.channel_page import SHIPPED_CHANNEL_MAPS, render_channel_map
from channelkg.render.channels import channel_map
from conftest import DATA, ROOT, chromium_context
from test_view_browser import Browser as ViewBrowser

pytestmark = pytest.mark.browser

VIEWS = ROOT / "graphs" / "views"
READY = "() => !!(window.channelkg && window.channelkg.ready && window.channelkg.channels)"
MIN_LABEL_PX = 11

#: Every node's label box (page pixels) and its text height, and the column headers.
BOXES = """() => {
  const api = window.channelkg, net = api.network, scale = net.getScale();
  const rect = net.body.container.getBoundingClientRect();
  const labels = net.body.nodeIndices.map(id => {
    const n = net.body.nodes[id], s = n.labelModule.size;
    const a = net.canvasToDOM({x: s.left, y: s.top});
    const b = net.canvasToDOM({x: s.left + s.width, y: s.top + s.height});
    return {key: api.data.nodes[id].key, text: n.options.label,
            left: rect.left + a.x, top: rect.top + a.y,
            right: rect.left + b.x, bottom: rect.top + b.y,
            px: n.options.font.size * scale};
  });
  const heads = api.channels.headerBoxes().map(h => Object.assign(h, {
    px: Math.min(...[...document.querySelectorAll('.ckg-column, .ckg-column *')]
      .map(e => parseFloat(getComputedStyle(e).fontSize)))}));
  return {labels, heads, view: {left: rect.left, top: rect.top, right: rect.right,
          bottom: rect.bottom}};
}"""


#: vis-network sizes a label when it draws it: pan down the whole map at the scale it
#: opened with, a screen at a time, then read every label's box (canvas units).
PAN_AND_MEASURE = """async () => {
  const api = window.channelkg, net = api.network, scale = net.getScale();
  const c = net.body.container, bands = api.channels.bands;
  const frame = () => new Promise(r => requestAnimationFrame(() => r()));
  const start = net.getViewPosition(), bottom = bands[bands.length - 1].bottom;
  for (let y = start.y; y < bottom + c.clientHeight / scale; y += 0.7 * c.clientHeight / scale) {
    net.moveTo({position: {x: start.x, y: y}, scale: scale, animation: false});
    net.redraw();
    await frame();
  }
  return net.body.nodeIndices.map(id => {
    const n = net.body.nodes[id], s = n.labelModule.size;
    return {key: api.data.nodes[id].key, text: n.options.label, left: s.left, top: s.top,
            right: s.left + s.width, bottom: s.top + s.height};
  });
}"""


class Browser(ViewBrowser):
    """The view tests' browser, at 1440x900, ready once the channel map is drawn."""

    size = (1440, 900)
    ready = READY


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    with chromium_context(tmp_path_factory.mktemp("chromium-profile")) as context:
        b = Browser(context)
        yield b
    assert b.remote == [], f"the page tried to load {b.remote}"


def _overlaps(a: dict[str, float], b: dict[str, float]) -> bool:
    return (a["left"] < b["right"] and b["left"] < a["right"]
            and a["top"] < b["bottom"] and b["top"] < a["bottom"])


@pytest.mark.parametrize("stem", [s for s, _, _ in SHIPPED_CHANNEL_MAPS])
def test_shipped_map_labels_are_legible_and_never_overlap(browser: Browser, stem: str) -> None:
    """At fit-to-screen (as the page opens, and again after `reset view`), in a 1440x900
    window: no two labels overlap, every label is at least 11 px tall and on screen."""
    page = browser.open(VIEWS / f"{stem}.html")
    for attempt in ("open", "reset"):
        if attempt == "reset":
            page.click("#ckg-reset")
        got = page.evaluate(BOXES)
        labels, heads, view = got["labels"], got["heads"], got["view"]
        assert labels, stem
        small = [(b["text"], round(b["px"], 1)) for b in labels if b["px"] < MIN_LABEL_PX]
        assert small == [], f"{stem}: labels under {MIN_LABEL_PX} px: {small}"
        for b in labels:
            assert view["left"] <= b["left"] and b["right"] <= view["right"], (stem, b["text"])
            assert view["top"] <= b["top"] and b["bottom"] <= view["bottom"], (stem, b["text"])
        boxes = labels + heads
        clashes = [(a["text"], b["text"]) for i, a in enumerate(boxes) for b in boxes[i + 1:]
                   if _overlaps(a, b)]
        assert clashes == [], f"{stem}: overlapping labels {clashes}"
        assert min(h["px"] for h in heads) >= MIN_LABEL_PX
    assert page.errors == []
    page.close()


@pytest.fixture(scope="module")
def gpt_cn() -> tuple[Path, dict[str, Any]]:
    """The shipped GPT -> CN map and `channelkg routes --market CN --model gpt` as JSON."""
    res = CliRunner().invoke(cli, ["routes", "--market", "CN", "--model", "gpt", "-f", "json"])
    assert res.exit_code == 0, res.output
    return VIEWS / "channels-gpt-cn.html", json.loads(res.output)


def _paths(page: Any) -> list[dict[str, Any]]:
    """Each route of the page: its cells as node labels, and the page edges it draws."""
    return page.evaluate("""() => {
      const api = window.channelkg, label = k => api.nodes.get(api.nodeId(k)).label;
      const drawn = api.edges.get();
      return api.channels.routes.map(r => {
        const cells = {};
        for (const [c, ks] of Object.entries(r.cells)) cells[c] = ks.map(label);
        const cols = Object.keys(r.cells);
        const hops = cols.slice(1).map((c, i) => r.cells[cols[i]].some(a => r.cells[c].some(
          b => drawn.some(e => e.from === api.nodeId(a) && e.to === api.nodeId(b)
                          && api.data.edges[e.id].route === r.route))));
        return {route: r.route, state: r.state, cells, hops, keys: r.cells};
      });
    }""")


def test_route_paths_equal_the_routes_command(browser: Browser, gpt_cn: Any) -> None:
    path, expected = gpt_cn
    page = browser.open(path)
    got = {p["route"]: p for p in _paths(page)}
    assert list(got) == [r["route"] for r in expected["routes"]]
    for want in expected["routes"]:
        p = got[want["route"]]
        assert all(p["hops"]), f"{want['route']}: a hop of its path is not drawn"
        cells = p["cells"]
        assert cells["model"] == [m["label"] for m in want["models"]]
        assert cells["service"] == [want["service"]["label"]]
        assert cells.get("seller", []) == [s["label"] for s in want["sellers"]]
        assert cells.get("partnership", []) == [d["label"] for d in want["dependsOn"]]
        if want["operator"]:
            assert want["operator"] in p["keys"]["operator"][0]
        if want["open"]:
            assert cells["market"] == [want["market"]["label"]]
            assert p["state"].startswith("open") or p["state"] == "disputed"
        else:
            assert p["state"] == "closed" and "market" not in cells
    page.close()


def test_closed_routes_end_at_the_restriction_with_its_date(browser: Browser, gpt_cn: Any) -> None:
    path, expected = gpt_cn
    page = browser.open(path)
    got = {p["route"]: p for p in _paths(page)}
    closed = [r for r in expected["routes"] if not r["open"]]
    assert closed
    for want in closed:
        p = got[want["route"]]
        last = list(p["keys"])[-1]
        assert last == "blocked"
        blocks = [x for x in want["restrictions"] if x["relation"] == "blocks" and x["in_force"]]
        assert sorted(p["keys"]["blocked"]) == sorted(x["iri"] for x in blocks)
        text = dict(zip(p["keys"]["blocked"], p["cells"]["blocked"], strict=True))
        for x in blocks:
            date = x["valid_from"] or x["stated_on"] or "undated"
            assert date in text[x["iri"]], (x["iri"], text)
    # the legend says how each state is drawn, and counts them
    legend = page.inner_text("#ckg-routes")
    for state in ("open, confirmed", "open, reported", "disputed", "closed"):
        assert state in legend
    page.close()


def _hover_route(page: Any, route: str) -> None:
    """Hover the middle of an edge only this route draws."""
    edge = page.evaluate("""(r) => {
      const api = window.channelkg, pairs = {};
      api.data.edges.forEach(e => {
        const k = e.from + '>' + e.to;
        pairs[k] = (pairs[k] || 0) + 1;
      });
      return api.data.edges.find(e => e.route === r && pairs[e.from + '>' + e.to] === 1).id;
    }""", route)
    box = page.locator("#ckg-graph").bounding_box()
    page.mouse.move(box["x"] + 3, box["y"] + box["height"] - 3)  # off every edge: tip hides
    page.wait_for_selector("#ckg-tooltip", state="hidden", timeout=5000)
    pos = page.evaluate("(i) => window.channelkg.edgeDomPosition(i)", edge)
    page.mouse.move(box["x"] + pos["x"] + 30, box["y"] + pos["y"] + 30)
    page.mouse.move(box["x"] + pos["x"], box["y"] + pos["y"], steps=3)
    page.wait_for_selector("#ckg-tooltip .ckg-info", state="visible", timeout=5000)
    page.wait_for_function(
        "(r) => document.getElementById('ckg-tooltip').textContent.includes(r)", arg=route,
        timeout=5000)
    page.last_hover = (box["x"] + pos["x"], box["y"] + pos["y"])


def test_hover_and_click_show_the_route_sources_and_dates(browser: Browser, gpt_cn: Any) -> None:
    path, expected = gpt_cn
    page = browser.open(path)
    for want in expected["routes"]:
        _hover_route(page, want["route"])
        tip = page.inner_text("#ckg-tooltip")
        assert want["route"] in tip
        for s in want["sources"]:
            assert s["title"] in tip
        for day in (want["statedOn"], want["validFrom"]):
            assert day is None or day in tip
        page.mouse.click(*page.last_hover)
        details = page.inner_text("#ckg-details")
        assert all(s["title"] in details for s in want["sources"]), details
        links = page.locator("#ckg-details a")
        hrefs = {links.nth(i).get_attribute("href") for i in range(links.count())}
        assert {s["url"] for s in want["sources"] if s["url"]} <= hrefs
        page.mouse.click(5, 5)
    page.close()


@pytest.mark.parametrize("csp", [True, False], ids=["with-csp", "escaping-only"])
def test_script_injection_runs_nothing_in_a_channel_map(
    browser: Browser, tmp_path: Path, csp: bool
) -> None:
    """tests/data/view.ttl's labels, comments and URLs try to run script."""
    kg = load([DATA / "view.ttl"])
    out = tmp_path / "xss.html"
    cmap = channel_map(kg, "CN", "kgid:v-model")
    out.write_text(render_channel_map(cmap, csp=csp), encoding="utf-8")
    page = browser.open(out)
    probe = "() => [window.__xss, document.querySelectorAll('img, #ckg-app script').length]"
    assert page.evaluate(probe) == [None, 0]
    labels = page.evaluate("() => window.channelkg.nodes.get().map(n => n.label)")
    assert '<img src=x onerror="window.__xss=1">' in labels
    _hover_route(page, "kgid:v-r1")
    assert "</script><script>window.__xss=4</script>" in page.inner_text("#ckg-tooltip")
    _hover_route(page, "kgid:v-r2")
    assert page.locator("#ckg-tooltip a").count() == 0  # a javascript: URL stays text
    assert "javascript:window.__xss=3" in page.inner_text("#ckg-tooltip")
    page.fill("#ckg-search", "<img")
    page.press("#ckg-search", "Enter")
    assert page.evaluate(probe) == [None, 0]
    page.close()


def test_select_view_is_drawn_connected(browser: Browser, tmp_path: Path) -> None:
    out = tmp_path / "sanctioned.html"
    res = CliRunner().invoke(cli, ["view", "--query", "sanctioned-channels", "-o", str(out)])
    assert res.exit_code == 0, res.output
    page = browser.open(out, ready="() => !!(window.channelkg && window.channelkg.ready)")
    counts = page.evaluate("""() => ({nodes: window.channelkg.visibleNodeCount(),
                                       edges: window.channelkg.visibleEdgeCount()})""")
    assert counts["nodes"] > 4 and counts["edges"] > 0
    page.close()


def test_every_family_map_has_bands_and_legible_labels(browser: Browser, tmp_path: Path) -> None:
    """Without --model: one band per family, labelled with its routes; the tall map opens
    fitted to its width from the top; no label (node or band) overlaps another or is drawn
    under 11 px."""
    out = tmp_path / "cn.html"
    res = CliRunner().invoke(cli, ["view", "--channels", "--market", "CN", "-o", str(out)])
    assert res.exit_code == 0, res.output
    page = browser.open(out)
    opened = page.evaluate(BOXES)
    first = min(b["top"] for b in page.evaluate(
        "() => window.channelkg.channels.bandLabelBoxes()"))
    assert opened["view"]["top"] <= first < opened["view"]["top"] + 60  # starts at the top
    for b in page.evaluate("() => window.channelkg.channels.bandLabelBoxes()"):
        assert opened["view"]["left"] <= b["left"] and b["right"] <= opened["view"]["right"]
    assert [b["text"] for b in opened["labels"] if b["px"] < MIN_LABEL_PX] == []
    scale = page.evaluate("() => window.channelkg.network.getScale()")
    labels = page.evaluate(PAN_AND_MEASURE)  # canvas units
    bands = page.evaluate("() => window.channelkg.channels.bandLabelBoxes(true)")
    routes = page.evaluate("() => window.channelkg.channels.routes")
    assert len(bands) > 1 and len(bands) == len({r["band"] for r in routes})
    # Each band counts channels: two accounts of one channel (ckg:sameChannelAs) count once.
    channels = {r["channel"] for r in routes}
    assert len(channels) < len(routes)
    assert sum(int(b["text"].split(": ")[1].split(" ")[0]) for b in bands) == len(channels)
    assert len(labels) == len(opened["labels"])
    assert all(b["right"] > b["left"] and b["bottom"] > b["top"] for b in labels)
    boxes = labels + bands
    assert min(b["bottom"] - b["top"] for b in bands) * scale >= MIN_LABEL_PX
    clashes = [(a["text"], b["text"]) for i, a in enumerate(boxes) for b in boxes[i + 1:]
               if _overlaps(a, b)]
    assert clashes == []
    assert page.errors == []
    page.close()
