"""Entity pages without a copy of the graph: the map drawn from the node's neighbourhood
is the page ``channelkg view --around`` draws, and a hub's lists are bounded honestly."""

from __future__ import annotations

import json
import urllib.parse
from pathlib import Path

import pytest

from channelkg import resources
from channelkg.analysis.provenance import explain, render_json
from channelkg.errors import InputError
from channelkg.graph.memory import KnowledgeGraph, OxigraphGraph, load
from channelkg.render.network import to_networkx
from channelkg.render.page import render_html
from channelkg.render.page_time import selection_spans
from channelkg.render.selection import Selection, find_node, select
from channelkg.serve.entity import EntityJob


@pytest.fixture(scope="module")
def kg() -> KnowledgeGraph:
    return load(resources.default_data_files())


def _view_around(kg: KnowledgeGraph, ref: str) -> str | None:
    """The page of ``channelkg view --around ref`` from the whole projection."""
    sel = Selection(around=ref, depth=1)
    for sources in (False, True):
        full = to_networkx(kg, sources=sources)
        try:
            graph = select(full, sel, kg)
        except InputError:
            continue
        spans = selection_spans(full, sel, graph)
        if spans is not None:
            graph.graph["spans"] = spans
        start = find_node(graph, ref)
        return render_html(graph, title=sel.title(str(graph.nodes[start].get("label"))),
                           start=start)
    return None


REFS = ("mainland-china", "azure-china", "gpt", "microsoft", "route-seed-azure-china-gpt",
        "hong-kong", "ckg:reported")


@pytest.mark.parametrize("ref", REFS)
def test_the_map_is_the_view_around_the_node(kg: KnowledgeGraph, ref: str) -> None:
    got = EntityJob(ref, "map").run(kg)
    assert got.status == 200
    want = _view_around(kg, str(explain(kg, ref).focus.node))
    if want is None:
        assert 'id="no-map"' in got.body.decode()
    else:
        assert got.body.decode() == want


def test_no_page_copies_the_graph(kg: KnowledgeGraph, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(self: object) -> None:
        raise AssertionError("the whole graph was read")

    monkeypatch.setattr(OxigraphGraph, "to_rdflib", refuse)
    kg2 = load(resources.default_data_files())
    for part in ("page", "map", "json"):
        assert EntityJob("mainland-china", part).run(kg2).status == 200


def _hub(tmp: Path, n: int) -> KnowledgeGraph:
    lines = ["@prefix ckg: <https://w3id.org/channelkg/ontology#> .",
             "@prefix kgid: <https://w3id.org/channelkg/id/> .",
             "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .",
             'kgid:hub a ckg:Market ; rdfs:label "Hub"@en .']
    lines += [f"kgid:r{i:04d} a ckg:AccessRoute ; ckg:market kgid:hub ; ckg:status ckg:reported ."
              for i in range(n)]
    path = tmp / "hub.ttl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return load([path, resources.ontology_file()])


def test_a_hub_lists_its_first_facts_and_says_how_many_more(tmp_path: Path) -> None:
    kg = _hub(tmp_path, 230)
    doc = json.loads(EntityJob("hub", "json").run(kg).body)
    (section,) = doc[0]["sections"]
    assert section["total"] == 230 and len(section["facts"]) == 100
    assert [f["id"] for f in section["facts"]] == [f"kgid:r{i:04d}" for i in range(100)]
    listed = kg.run(section["query"])
    assert sorted(str(r[0]) for r in listed.rows) == sorted(
        f"https://w3id.org/channelkg/id/r{i:04d}" for i in range(230))
    page = EntityJob("hub", "page").run(kg).body.decode()
    assert "AccessRoute facts that name it (100 of 230)" in page
    assert "130 more not listed here" in page
    link = page.split('class=as-query href="../#', 1)[1].split('"', 1)[0]
    frag = urllib.parse.parse_qs(urllib.parse.unquote(link.replace("&amp;", "&")))
    assert frag["query"] == [section["query"]] and frag["view"] == ["table"]
    # Unbounded, as `channelkg explain` gives it: every fact, no total.
    full = json.loads(render_json([explain(kg, "hub")]))
    assert len(full[0]["sections"][0]["facts"]) == 230 and "total" not in full[0]["sections"][0]


def test_a_hub_map_draws_its_first_neighbours_and_says_how_many(tmp_path: Path) -> None:
    kg = _hub(tmp_path, 230)
    body = EntityJob("hub", "map").run(kg).body.decode()
    assert "150 of its 230 neighbours drawn" in body
    small = _hub(tmp_path, 40)
    assert EntityJob("hub", "map").run(small).body.decode() == _view_around(
        small, "https://w3id.org/channelkg/id/hub")
