"""Channel maps without a browser: the CLI's options and errors, the layout, --as-of,
SELECT results drawn connected. The pages themselves are tested in
test_channels_browser.py (real headless Chromium)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import networkx as nx
import pytest
from click.testing import CliRunner

from channelkg.cli import cli
from channelkg.graph.memory import KnowledgeGraph
from channelkg.rdf.terms import shorten
from channelkg.render.channel_page import SHIPPED_CHANNEL_MAPS
from channelkg.render.channels import box_height, channel_map, route_state
from channelkg.render.network import to_networkx
from channelkg.render.selection import Selection, select
from channelkg.sparql.query import query
from conftest import DATA, ROOT

VIEW = DATA / "view.ttl"


def _routes_json(runner: CliRunner, *args: str) -> dict[str, Any]:
    res = runner.invoke(cli, ["routes", "-f", "json", *args])
    assert res.exit_code == 0, res.output
    return json.loads(res.output)  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--market", "XX"], "unknown market 'XX'"),
        (["--market", "CN", "--model", "nosuch"], "unknown model, family or developer"),
    ],
)
def test_unknown_market_or_model_is_one_line_and_exit_2(
    runner: CliRunner, tmp_path: Path, args: list[str], message: str
) -> None:
    out = tmp_path / "map.html"
    res = runner.invoke(cli, ["view", "--channels", *args, "-o", str(out)])
    assert res.exit_code == 2
    assert len(res.output.strip().splitlines()) == 1, res.output
    assert message in res.output and "Traceback" not in res.output
    assert not out.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--channels"], "--channels needs --market"),
        (["--market", "CN", "--model", "gpt"], "add --channels"),
        (["--channels", "--market", "CN", "--provider", "microsoft"], "--channels takes"),
        (["--channels", "--market", "CN", "--collapse"], "--channels takes"),
    ],
)
def test_channel_options_that_do_not_fit_are_refused(
    runner: CliRunner, args: list[str], message: str
) -> None:
    res = runner.invoke(cli, ["view", *args, "-o", "-"])
    assert res.exit_code == 2
    assert message in res.output


def test_map_routes_are_the_routes_command_rows(runner: CliRunner, bundled_ox: KnowledgeGraph,
                                                 ) -> None:
    expected = _routes_json(runner, "--market", "HK", "--model", "gpt")
    cmap = channel_map(bundled_ox, "HK", "gpt")
    assert [r["route"] for r in cmap.channels["routes"]] == [
        r["route"] for r in expected["routes"]]
    for got, want in zip(cmap.channels["routes"], expected["routes"], strict=True):
        assert got["open"] == want["open"]
        label = {k: cmap.graph.nodes[k]["label"] for ks in got["cells"].values() for k in ks}
        assert [label[k] for k in got["cells"]["model"]] == [m["label"] for m in want["models"]]
        assert [label[k] for k in got["cells"]["service"]] == [want["service"]["label"]]
        assert [label[k] for k in got["cells"].get("seller", [])] == [
            s["label"] for s in want["sellers"]]
        assert ("market" in got["cells"]) == want["open"]


def test_every_edge_of_a_route_carries_its_status_dates_and_sources(
    bundled_ox: KnowledgeGraph,
) -> None:
    cmap = channel_map(bundled_ox, "CN", "gpt")
    records = {shorten(r.iri): r for r in cmap.result.routes}
    seen = set()
    for _, _, key, d in cmap.graph.edges(keys=True, data=True):
        route = records[d["claim"]]
        seen.add(d["claim"])
        assert key.startswith(d["claim"] + "#")
        assert {s["title"] for s in d["sources"]} == {s.title for s in route.sources}
        assert d.get("statedOn", "") == route.stated_on
        assert d.get("validFrom", "") == route.valid_from
    assert seen == set(records)


def test_closed_routes_end_at_their_blocking_restriction(bundled_ox: KnowledgeGraph) -> None:
    cmap = channel_map(bundled_ox, "CN", "gpt")
    closed = [r for r in cmap.result.routes if not r.open]
    assert closed, "the bundled graph has a closed GPT route into CN"
    for rec in closed:
        path = next(p for p in cmap.channels["routes"] if p["route"] == shorten(rec.iri))
        assert route_state(rec) == path["state"] == "closed"
        blocking = {shorten(x.iri): x for x in rec.restrictions
                    if x.relation == "blocks" and x.in_force}
        assert set(path["cells"]["blocked"]) == set(blocking)
        assert "market" not in path["cells"]
        for k in path["cells"]["blocked"]:
            assert cmap.graph.out_degree(k) == 0
            x = blocking[k]
            assert (x.valid_from or x.stated_on or "undated") in cmap.graph.nodes[k]["label"]


def test_nodes_of_a_column_never_overlap(bundled_ox: KnowledgeGraph) -> None:
    """The layout keeps boxes of a column apart by their estimated heights (the browser
    test measures the real boxes)."""
    cmap = channel_map(bundled_ox, "CN")  # every family, in bands: the largest map
    by_x: dict[float, list[tuple[float, str]]] = {}
    for key, (x, y) in cmap.positions.items():
        by_x.setdefault(x, []).append((y, key))
    for column in by_x.values():
        column.sort()
        for (y1, k1), (y2, k2) in zip(column, column[1:], strict=False):
            h1 = box_height(cmap.graph.nodes[k1]["label"])
            h2 = box_height(cmap.graph.nodes[k2]["label"])
            assert y2 - y1 >= (h1 + h2) / 2, (k1, k2)
    assert len(cmap.channels["bands"]) > 1
    bands = cmap.channels["bands"]
    assert all(a["bottom"] <= b["top"] for a, b in zip(bands, bands[1:], strict=False))


def test_as_of_judges_the_routes_on_that_day(runner: CliRunner, tmp_path: Path) -> None:
    day = "2024-07-01"  # before OpenAI's block of 2024-07-09
    out = tmp_path / "map.html"
    res = runner.invoke(cli, ["view", "--channels", "--market", "CN", "--model", "gpt",
                              "--as-of", day, "-o", str(out)])
    assert res.exit_code == 0, res.output
    expected = _routes_json(runner, "--market", "CN", "--model", "gpt", "--as-of", day)
    page = out.read_text(encoding="utf-8")
    data = json.loads(page.split('id="ckg-data">', 1)[1].split("</script>", 1)[0])
    assert f"as of {day}" in data["title"]
    assert data["channels"]["on"] == day
    got = {r["route"]: r["open"] for r in data["channels"]["routes"]}
    assert got == {r["route"]: r["open"] for r in expected["routes"]}
    today = _routes_json(runner, "--market", "CN", "--model", "gpt")
    assert got != {r["route"]: r["open"] for r in today["routes"]}, "the day must matter"


def test_a_map_with_no_route_still_draws_model_and_market(bundled_ox: KnowledgeGraph) -> None:
    cmap = channel_map(bundled_ox, "HK", "qwen")
    assert cmap.result.routes == ()
    assert cmap.channels["empty"] is True
    columns = {d["column"] for _, d in cmap.graph.nodes(data=True)}
    assert {"model", "market"} <= columns


def test_shipped_maps_are_written_by_all_shipped() -> None:
    views = {p.name for p in (ROOT / "graphs" / "views").glob("channels-*.html")}
    assert views == {f"{stem}.html" for stem, _, _ in SHIPPED_CHANNEL_MAPS}


def test_channel_map_bytes_do_not_depend_on_the_hash_seed(tmp_path: Path) -> None:
    outs = []
    for seed in ("1", "2"):
        out = tmp_path / f"map-{seed}.html"
        subprocess.run(
            [sys.executable, "-m", "channelkg", "view", "--channels", "--market", "CN",
             "-o", str(out)],
            check=True, capture_output=True, env={**os.environ, "PYTHONHASHSEED": seed},
        )
        outs.append(out.read_bytes())
    assert outs[0] == outs[1]


def test_select_rows_are_drawn_connected(bundled_ox: KnowledgeGraph) -> None:
    """`view --query sanctioned-channels`: each row's IRI cells lie in one connected
    part of the drawing, with the route's service and market (it used to draw four
    loose nodes and no edge)."""
    from rdflib import URIRef

    from channelkg.render.network import term_id

    graph = select(to_networkx(bundled_ox), Selection(query="sanctioned-channels"), bundled_ox)
    assert graph.number_of_edges() > 0
    res = query(bundled_ox, "sanctioned-channels", {})
    assert res.rows
    parts = list(nx.weakly_connected_components(graph))
    for row in res.rows:
        cells = {term_id(v) for v in row if isinstance(v, URIRef)}
        assert cells and any(cells <= part for part in parts), cells
        for route in cells:
            service = graph.nodes[route]
            assert service["class"] == "ckg:AccessRoute"
            hops = {graph.nodes[m]["class"] for m in graph.successors(route)}
            assert {"ckg:Service", "ckg:Market"} <= hops


def test_view_query_cli_draws_edges(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "q.html"
    res = runner.invoke(cli, ["view", "--query", "sanctioned-channels", "-o", str(out)])
    assert res.exit_code == 0, res.output
    page = out.read_text(encoding="utf-8")
    data = json.loads(page.split('id="ckg-data">', 1)[1].split("</script>", 1)[0])
    assert len(data["nodes"]) > 4 and len(data["edges"]) > 0


def test_readme_first_screen_shows_the_gpt_cn_map() -> None:
    """The README opens with the screenshot (a 1440x900 PNG under docs/) and the file to open."""
    import struct

    first = "\n".join((ROOT / "README.md").read_text(encoding="utf-8").splitlines()[:16])
    assert "(docs/channel-map-gpt-cn.png)" in first
    assert "graphs/views/channels-gpt-cn.html" in first
    png = (ROOT / "docs" / "channel-map-gpt-cn.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and png[12:16] == b"IHDR"
    assert struct.unpack(">II", png[16:24]) == (1440, 900)


def test_the_map_projects_only_what_it_needs_with_the_same_attributes(
    bundled_ox: KnowledgeGraph,
) -> None:
    """A map projects only the triples about its routes (and the schema); its nodes and
    edges are the same as when taken from the projection of the whole graph."""
    from channelkg.analysis.index import Index

    idx = Index.of(bundled_ox)
    full = to_networkx(bundled_ox)
    for market, model in (("CN", None), ("HK", "gpt")):
        part = channel_map(bundled_ox, market, model, index=idx).graph
        whole = channel_map(bundled_ox, market, model, index=idx, projection=full).graph
        assert dict(part.nodes(data=True)) == dict(whole.nodes(data=True))
        assert sorted(part.edges(keys=True, data=True), key=lambda e: e[2]) == sorted(
            whole.edges(keys=True, data=True), key=lambda e: e[2])
