"""--max-nodes on channel maps: whole routes only, open first in the order of
``channelkg routes``, deterministic, said on the page and on standard error, and a map
under the cap drawn exactly as without one."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from channelkg.cli import cli
from channelkg.graph.memory import KnowledgeGraph
from channelkg.rdf.terms import shorten
from channelkg.render.channel_page import render_channel_map
from channelkg.render.channels import channel_map


def _data(page: str) -> dict[str, Any]:
    return json.loads(page.split('id="ckg-data">', 1)[1].split("</script>", 1)[0])  # type: ignore[no-any-return]


def _edges_of(cmap: Any) -> dict[str, set[tuple[str, str]]]:
    """Each drawn route's edges, by the route's CURIE (node keys as drawn)."""
    out: dict[str, set[tuple[str, str]]] = {}
    for u, v, k in cmap.graph.edges(keys=True):
        out.setdefault(str(k).split("#")[0], set()).add((u, v))
    return out


def test_the_cap_draws_whole_routes_in_order_within_the_budget(
    bundled_ox: KnowledgeGraph,
) -> None:
    whole = channel_map(bundled_ox, "CN")
    n = whole.graph.number_of_nodes()
    budget = n // 2
    capped = channel_map(bundled_ox, "CN", max_nodes=budget)
    assert capped.graph.number_of_nodes() <= budget
    order = [shorten(r.iri) for r in whole.result.routes]  # open first, as routes lists
    drawn = [r["route"] for r in capped.channels["routes"]]
    assert 0 < len(drawn) < len(order)
    assert set(drawn) == set(order[: len(drawn)])  # a prefix of the routes' order
    # Whole routes: every drawn route has as many edges, through the same columns, as
    # in the uncapped map.
    full_routes = {r["route"]: r for r in whole.channels["routes"]}
    for r in capped.channels["routes"]:
        f = full_routes[r["route"]]
        assert len(r["edges"]) == len(f["edges"])
        assert {c: len(ks) for c, ks in r["cells"].items()} == {
            c: len(ks) for c, ks in f["cells"].items()}
    assert _edges_of(capped).keys() == set(drawn)
    # A budget of the whole map's nodes draws it all, and says nothing.
    more = channel_map(bundled_ox, "CN", max_nodes=n)
    assert more.graph.number_of_nodes() == n and not more.note
    note = capped.note
    assert note.startswith(f"{len(drawn)} of {len(order)} routes drawn (")
    assert f"{capped.graph.number_of_nodes()} of {n} nodes" in note
    assert note in capped.title


def test_the_cap_is_deterministic(bundled_ox: KnowledgeGraph) -> None:
    pages = {render_channel_map(channel_map(bundled_ox, "CN", max_nodes=40)) for _ in range(2)}
    assert len(pages) == 1


def test_a_map_under_the_cap_is_unchanged(bundled_ox: KnowledgeGraph) -> None:
    whole = channel_map(bundled_ox, "CN", "gpt")
    at_cap = channel_map(bundled_ox, "CN", "gpt", max_nodes=whole.graph.number_of_nodes())
    assert render_channel_map(at_cap) == render_channel_map(whole)
    assert not at_cap.note and "drawn" not in at_cap.title


def test_the_cli_says_so_on_the_page_and_on_stderr(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "cn.html"
    res = runner.invoke(cli, ["view", "--channels", "--market", "CN", "--max-nodes", "30",
                              "-o", str(out)])
    assert res.exit_code == 0, res.output
    line = [x for x in res.stderr.splitlines() if "routes drawn" in x]
    assert len(line) == 1 and line[0].startswith(f"{out}: ")
    assert "whole routes, open first; --max-nodes draws more" in line[0]
    data = _data(out.read_text(encoding="utf-8"))
    assert len(data["nodes"]) <= 30
    assert line[0].split(": ", 1)[1] in data["title"]
    drawn = data["channels"]["drawn"]
    assert drawn["routes"] == len(data["channels"]["routes"]) < drawn["of"]
    plain = runner.invoke(cli, ["view", "--channels", "--market", "CN", "--model", "gpt",
                                "-o", str(tmp_path / "gpt.html")])
    assert plain.exit_code == 0 and "routes drawn" not in plain.stderr
    bad = runner.invoke(cli, ["view", "--channels", "--market", "CN", "--max-nodes", "0",
                              "-o", str(out)])
    assert bad.exit_code == 2 and "Traceback" not in bad.output


def test_paused_gc_restores_the_state_before() -> None:
    import gc

    from channelkg.collect import paused_gc

    assert gc.isenabled()
    with paused_gc():
        assert not gc.isenabled()
        with paused_gc():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the inner block leaves the outer one's state
    assert gc.isenabled()
    try:
        with paused_gc():
            raise ValueError
    except ValueError:
        pass
    assert gc.isenabled()


def test_a_cap_below_the_first_route_still_draws_that_route(bundled_ox: KnowledgeGraph) -> None:
    whole = channel_map(bundled_ox, "CN", "gpt")
    first = whole.result.routes[0]
    tiny = channel_map(bundled_ox, "CN", "gpt", max_nodes=1)
    assert [r["route"] for r in tiny.channels["routes"]] == [shorten(first.iri)]
    assert not tiny.channels["empty"]
    n = tiny.graph.number_of_nodes()
    assert n > 1  # one whole route, over the cap of 1
    assert tiny.note.startswith(f"1 of {len(whole.result.routes)} routes drawn ({n} of ")


def test_all_shipped_caps_the_channel_maps_too(runner: CliRunner, tmp_path: Path) -> None:
    res = runner.invoke(cli, ["view", "--all-shipped", "--max-nodes", "10", "-o", str(tmp_path)])
    assert res.exit_code == 0, res.output
    page = tmp_path / "channels-gpt-cn.html"
    data = _data(page.read_text(encoding="utf-8"))
    assert "drawn" in data["channels"] and "routes drawn" in data["title"]
    said = [x for x in res.stderr.splitlines() if x.startswith(f"{page}: ")]
    assert len(said) == 1 and "routes drawn" in said[0]
