"""The view page in real headless Chromium: the time slider against ``--as-of``, the
details panel, state in the URL fragment, PNG/SVG export, level of detail and the
notebook frame. Fails (never skips) when Chromium is missing."""

from __future__ import annotations

import json
import re
import struct
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from channelkg.cli import cli
from channelkg.graph.memory import load
from channelkg.render.selection import Selection
from channelkg.render.views import PageOptions, render_view
from conftest import DATA, chromium_context
from test_view_browser import READY, Browser

pytestmark = pytest.mark.browser

VIEW = DATA / "view.ttl"
DAYS = ("2023-06-01", "2024-07-10", "2025-06-01")


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    with chromium_context(tmp_path_factory.mktemp("chromium-profile")) as context:
        # The pages' clocks are playwright's (they run at the real pace): a test that
        # waits for one of the page's own timers moves its clock on (see settled()).
        context.clock.install()
        b = Browser(context)
        yield b
    assert b.remote == [], f"the page tried to load {b.remote}"


@pytest.fixture(scope="module")
def views(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("views")


def _view(folder: Path, name: str, *args: str) -> Path:
    out = folder / name
    if not out.exists():
        res = CliRunner().invoke(cli, ["view", *args, "-o", str(out)])
        assert res.exit_code == 0, res.output
    return out


def _payload(path: Path) -> dict[str, Any]:
    text = path.read_text(encoding="utf-8")
    m = re.search(r'<script type="application/json" id="ckg-data">(.*?)</script>', text, re.S)
    assert m
    data: dict[str, Any] = json.loads(m.group(1))
    return data


def _drawn(data: dict[str, Any]) -> tuple[set[str], Counter[tuple[str, str, str]]]:
    """Node keys and (from, to, label) of every node and edge of a page's data."""
    key = {n["id"]: n["key"] for n in data["nodes"]}
    return set(key.values()), Counter((key[e["from"]], key[e["to"]], e["label"])
                                      for e in data["edges"])


#: The page switches physics off once vis-network reports the layout stable or after
#: 3 s (view.js, "settle"); the play button steps every 900 ms.
SETTLE_MS = 3000
PLAY_STEP_MS = 900


def settled(page: Any, attribute: str = "data-settled") -> None:
    """Wait until the page has settled (``data-settled``) or restored its state from the
    address (``data-restored``, which waits for the settling): the page clock is moved
    on past the 3 s fallback timer, which then fires as it would have, without the test
    waiting those seconds of wall-clock time."""
    page.clock.fast_forward(SETTLE_MS)
    page.wait_for_selector(f"body[{attribute}='1']", timeout=30_000)


VISIBLE = """(day) => { const ck = window.channelkg;
  if (typeof day === "string") ck.setDay(day);
  const key = {}; ck.data.nodes.forEach((n) => { key[n.id] = n.key; });
  const byId = {}; ck.data.edges.forEach((e) => { byId[e.id] = e; });
  return [ck.visibleNodeKeys(), ck.visibleEdgeIds().map((i) =>
      [key[byId[i].from], key[byId[i].to], byId[i].label]),
    ck.network.body.nodeIndices.length]; }"""


@pytest.mark.parametrize("args", [("--market", "CN"), ("--collapse",)], ids=["market", "all"])
def test_slider_shows_what_as_of_draws(browser: Browser, views: Path, args: tuple[str, ...]
                                       ) -> None:
    """For three days the nodes and edges the page shows are those of the view drawn
    with --as-of that day (a selection too: what it reaches through visible facts)."""
    stem = "-".join(a.strip("-").lower() for a in args)
    page = browser.open(_view(views, f"{stem}.html", *args))
    page.evaluate("() => window.channelkg.openBundles()")  # every claim drawn
    events = page.evaluate("() => window.channelkg.data.events")
    assert len(events) > 10 and events == sorted(events)
    everything = None
    for day in DAYS:
        nodes, edges, drawn = page.evaluate(VISIBLE, day)
        want_nodes, want_edges = _drawn(_payload(_view(views, f"{stem}-{day}.html", *args,
                                                       "--as-of", day)))
        assert set(nodes) == want_nodes, day
        assert Counter(tuple(e) for e in edges) == want_edges, day
        assert drawn == len(nodes)  # vis-network draws exactly those
        everything = everything or len(page.evaluate("() => window.channelkg.data.nodes"))
        assert len(nodes) < everything
    # typing a date does the same as the slider; the last position shows everything
    page.fill("#ckg-date", DAYS[1])
    page.dispatch_event("#ckg-date", "change")
    assert page.evaluate("() => window.channelkg.day()") == DAYS[1]
    assert set(page.evaluate(VISIBLE)[0]) == _drawn(_payload(
        views / f"{stem}-{DAYS[1]}.html"))[0]
    page.evaluate("() => { const s = document.getElementById('ckg-slider');"
                  " s.value = s.max; s.dispatchEvent(new Event('input')); }")
    assert page.evaluate("() => window.channelkg.day()") is None
    assert len(page.evaluate(VISIBLE)[0]) == everything
    # play steps through the dated events
    page.click("#ckg-play")
    assert page.evaluate("() => window.channelkg.day()") == events[0]
    page.clock.fast_forward(PLAY_STEP_MS)  # the play button's next step is due
    page.wait_for_function(f"() => window.channelkg.day() === {json.dumps(events[1])}",
                           timeout=5000)
    page.click("#ckg-play")
    assert page.errors == []
    page.close()


def test_url_fragment_round_trips(browser: Browser, views: Path) -> None:
    page = browser.open(_view(views, "market-cn.html", "--market", "CN"))
    settled(page, "data-restored")
    page.click('#ckg-legend input[data-class="ckg:Restriction"]')
    page.evaluate("() => window.channelkg.setDay('2024-07-10')")
    assert page.evaluate("() => window.channelkg.clickNode('kgid:azure-china')")
    page.evaluate("() => window.channelkg.network.moveTo({position: {x: 40, y: -30}, "
                  "scale: 0.8, animation: false})")
    state = """() => { const ck = window.channelkg, p = ck.network.getViewPosition();
        return [ck.focused, ck.day(), ck.hiddenClasses(), Math.round(p.x), Math.round(p.y),
                Math.round(ck.network.getScale() * 1000), ck.visibleNodeCount(),
                ck.dimmedCount()]; }"""
    before = page.evaluate(state)
    page.evaluate("() => history.replaceState(null, '', window.channelkg.stateFragment())")
    url = page.url
    assert "#" in url and "node=kgid%3Aazure-china" in url and "date=2024-07-10" in url
    again = browser.context.new_page()
    again.set_viewport_size({"width": 1280, "height": 800})
    again.goto(url)
    again.wait_for_function(READY, timeout=30_000)
    settled(again, "data-restored")
    assert again.evaluate(state) == before
    assert before[0] == "kgid:azure-china" and before[2] == ["ckg:Restriction"]
    assert before[7] > 0
    assert again.is_checked('#ckg-legend input[data-class="ckg:Restriction"]') is False
    assert again.input_value("#ckg-date") == "2024-07-10"
    assert "Azure" in again.inner_text("#ckg-details")
    # the page writes its state into the address as it changes
    again.evaluate("() => window.channelkg.resetFocus()")
    again.wait_for_function("() => !location.hash.includes('node=')", timeout=5000)
    page.close()
    again.close()


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_png_and_svg_export_what_is_shown(browser: Browser, views: Path) -> None:
    page = browser.open(_view(views, "market-cn.html", "--market", "CN"))
    settled(page)
    page.evaluate("() => window.channelkg.clickNode('kgid:mainland-china')")
    with page.expect_download() as info:
        page.click("#ckg-png")
    png = Path(info.value.path()).read_bytes()
    assert info.value.suggested_filename.endswith(".png")
    width, height = _png_size(png)
    assert width > 300 and height > 300 and len(png) > 10_000
    with page.expect_download() as info:
        page.click("#ckg-svg")
    assert info.value.suggested_filename.endswith(".svg")
    svg = ET.fromstring(Path(info.value.path()).read_bytes())
    ns = "{http://www.w3.org/2000/svg}"
    assert svg.tag == f"{ns}svg"
    circles = svg.findall(f"{ns}circle")
    labels = {t.text for t in svg.findall(f"{ns}text")}
    assert 0 < len(circles) <= page.evaluate("() => window.channelkg.visibleNodeCount()")
    assert len(svg.findall(f"{ns}line")) > 0
    china = page.evaluate("() => window.channelkg.data.nodes.find("
                          "(n) => n.key === 'kgid:mainland-china').label")
    assert china in labels  # the focused node is labelled
    assert any(t and " × " in t and t.endswith("▸") for t in labels)  # and the groups
    assert page.errors == []
    page.close()


def test_panel_shows_sources_first_and_relations(browser: Browser, views: Path) -> None:
    page = browser.context.new_page()
    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto(_view(views, "market-cn.html", "--market", "CN").as_uri())
    page.wait_for_function(READY, timeout=30_000)
    page.evaluate("() => window.channelkg.openBundles()")
    route = page.evaluate("() => window.channelkg.data.nodes.find((n) => "
                          "n.cls === 'ckg:AccessRoute' && window.channelkg.data.ninfo[n.id]"
                          ".src.length).key")
    assert page.evaluate("(k) => window.channelkg.clickNode(k)", route)
    link = page.locator("#ckg-details .ckg-sources a").first
    box = link.bounding_box()
    assert box is not None and box["y"] + box["height"] <= 900 and box["x"] + box["width"] <= 1440
    assert page.evaluate("() => document.getElementById('ckg-panel').scrollTop") == 0
    assert page.evaluate("() => window.scrollY") == 0
    # an entity lists its relations grouped by predicate; each focuses that neighbour
    assert page.evaluate("() => window.channelkg.clickNode('kgid:azure-china')")
    groups = page.locator("#ckg-details .ckg-rel-name")
    assert groups.count() >= 2
    first = page.locator("#ckg-details .ckg-relations button").first
    key = first.get_attribute("data-key")
    first.click()
    assert page.evaluate("() => window.channelkg.focused") == key
    page.close()


def test_labels_are_never_drawn_below_ten_pixels(browser: Browser, views: Path) -> None:
    page = browser.open(_view(views, "collapse.html", "--collapse"))
    visible = """(s) => { const net = window.channelkg.network;
        net.moveTo({scale: s, animation: false});
        const b = net.body.nodes[net.body.nodeIndices[0]];
        return b.labelModule.visible(); }"""
    assert page.evaluate(visible, 0.5) is False  # 13 px font at 0.5: 6.5 px, not drawn
    assert page.evaluate(visible, 1.0) is True
    page.close()


def test_large_views_open_fitted_to_the_bulk(browser: Browser, tmp_path: Path) -> None:
    """One far outlier does not shrink the rest of a large view to a dot."""
    from channelkg.render.network import to_networkx
    from channelkg.render.page import compute_layout, write_html

    graph = to_networkx(load([VIEW]))
    for i in range(60):
        graph.add_node(f"kgid:extra-{i}", label=f"extra {i}", **{"class": ""})
    pos = compute_layout(graph, seed=1, threshold=3)
    pos["kgid:extra-0"] = (1e6, 1e6)
    out = write_html(graph, tmp_path / "outlier.html", physics_threshold=3, positions=pos)
    page = browser.open(out)
    scale = page.evaluate("() => window.channelkg.network.getScale()")
    page.evaluate("() => window.channelkg.network.fit({animation: false})")
    assert scale > 100 * page.evaluate("() => window.channelkg.network.getScale()")
    page.close()


def test_notebook_frame_is_offline_and_escaped(browser: Browser, tmp_path: Path) -> None:
    kg = load([VIEW])
    view = render_view(kg, Selection(), tmp_path / "v.html",
                       PageOptions(title="<img src=x onerror=window.__xss=7>"))
    frame_html = view._repr_html_()
    assert frame_html.startswith("<iframe ") and frame_html.endswith("></iframe>")
    assert frame_html.count("<") == 2 and 'srcdoc="&lt;!DOCTYPE html&gt;' in frame_html
    host = tmp_path / "notebook.html"
    host.write_text(f"<!DOCTYPE html><html><body>{frame_html}</body></html>", encoding="utf-8")
    page = browser.context.new_page()
    page.goto(host.as_uri())
    frame = page.frame_locator("iframe")
    frame.locator("body[data-ready='1']").wait_for(timeout=30_000)
    assert frame.locator("#ckg-title").inner_text() == "<img src=x onerror=window.__xss=7>"
    inner = page.frames[1]
    assert inner.evaluate("() => window.channelkg.visibleNodeCount()") == \
        view.graph.number_of_nodes()
    assert inner.evaluate("() => [window.__xss, document.querySelectorAll('#ckg-app img').length]"
                          ) == [None, 0]
    assert page.evaluate("() => window.__xss") is None
    page.close()


def test_a_hubs_claims_are_grouped_behind_expandable_nodes(browser: Browser, views: Path
                                                          ) -> None:
    """The market does not draw each of its ~100 claims as a spoke: its claims of one
    class sit behind one node, which a click opens."""
    page = browser.open(_view(views, "market-cn.html", "--market", "CN"))
    settled(page)
    groups = page.evaluate("() => window.channelkg.bundles()")
    assert groups and all(g["hub"] == "kgid:mainland-china" and g["size"] >= 6 for g in groups)
    total = page.evaluate("() => window.channelkg.data.nodes.length")
    grouped = sum(g["size"] for g in groups)
    assert page.evaluate("() => window.channelkg.visibleNodeCount()") == total - grouped
    first = groups[0]
    assert first["members"][0] not in page.evaluate("() => window.channelkg.visibleNodeKeys()")
    box = page.locator("#ckg-graph").bounding_box()
    pos = page.evaluate("() => { const net = window.channelkg.network;"
                        " net.focus('bundle-0', {scale: 2.5, animation: false});"
                        " return net.canvasToDOM(net.getPositions(['bundle-0'])['bundle-0']); }")
    page.mouse.click(box["x"] + pos["x"], box["y"] + pos["y"])
    page.wait_for_function("() => window.channelkg.bundles()[0].open", timeout=5000)
    assert page.evaluate("() => window.channelkg.visibleNodeCount()") == \
        total - grouped + first["size"]
    assert page.evaluate("(k) => window.channelkg.clickNode(k)", first["members"][0]) is True
    page.wait_for_function("() => location.hash.includes('open=0')", timeout=5000)
    # search finds a grouped claim, and focusing it opens its group
    last = groups[-1]
    assert page.evaluate("(k) => window.channelkg.focusNode(k)", last["members"][0]) is True
    assert page.evaluate("() => window.channelkg.bundles()").pop()["open"] is True
    page.close()
