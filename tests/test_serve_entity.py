"""Entity pages without a copy of the graph: the map drawn from the node's neighbourhood
is the page ``channelkg view --around`` draws, and a hub's lists are bounded honestly (a
cut section's query lists exactly what it counts; a hub's map draws what it chose)."""

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


_PRE = ("@prefix ckg: <https://w3id.org/channelkg/ontology#> .\n"
        "@prefix kgid: <https://w3id.org/channelkg/id/> .\n"
        "@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .\n"
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n")


def _load(tmp: Path, lines: list[str]) -> KnowledgeGraph:
    path = tmp / "g.ttl"
    path.write_text(_PRE + "\n".join(lines) + "\n", encoding="utf-8")
    return load([path, resources.ontology_file()])


def _listed(kg: KnowledgeGraph, query: str) -> list[str]:
    return [str(r[0]) for r in kg.run(query).rows]


def test_a_cut_sections_query_lists_exactly_the_facts_it_counts(tmp_path: Path) -> None:
    lines = ['kgid:hub a ckg:Market ; rdfs:label "Hub"@en .']
    lines += [f"kgid:c{i:03d} a ckg:Claim ; ckg:about kgid:hub ; ckg:status ckg:reported ."
              for i in range(130)]
    lines += [f"kgid:p{i:03d} a ckg:Claim, ckg:Partnership ; ckg:party kgid:hub ; "
              "ckg:status ckg:reported, ckg:disputed ." for i in range(120)]
    lines += [f"kgid:s{i:03d} a ckg:Claim, rdf:Statement ; ckg:about kgid:hub ."
              for i in range(110)]
    lines += [f"kgid:x{i:03d} a ckg:Claim, <http://example.org/Other> ; ckg:about kgid:hub ."
              for i in range(105)]
    kg = _load(tmp_path, lines)
    doc = json.loads(EntityJob("hub", "json").run(kg).body)
    full = {s["title"]: [f["iri"] for f in s["facts"]]
            for s in json.loads(render_json([explain(kg, "hub")]))[0]["sections"]}
    titles = [s["title"] for s in doc[0]["sections"]]
    assert titles == ["Claim facts that name it", "Partnership facts that name it",
                      "http://example.org/Other facts that name it",
                      "rdf:Statement facts that name it"]
    for section in doc[0]["sections"]:
        rows = _listed(kg, section["query"])
        assert len(rows) == section["total"] == len(full[section["title"]]) > 100
        assert rows == sorted(full[section["title"]])  # one row per claim, by IRI
    partnerships = kg.run(doc[0]["sections"][1]["query"]).rows
    assert {str(r[1]) for r in partnerships} == {"disputed reported"}


def test_a_claims_cut_section_leaves_out_what_an_earlier_one_shows(tmp_path: Path) -> None:
    # 160 claims supersede c, 50 of which also conflict with it (listed there first).
    lines = ["kgid:c a ckg:Claim ; ckg:status ckg:superseded ."]
    lines += [f"kgid:n{i:03d} a ckg:Claim ; ckg:supersededBy kgid:c ." for i in range(160)]
    lines += [f"kgid:c ckg:conflictsWith kgid:n{i:03d} ." for i in range(50)]
    kg = _load(tmp_path, lines)
    doc = json.loads(EntityJob("c", "json").run(kg).body)
    section = next(s for s in doc[0]["sections"] if s["title"] == "supersedes")
    assert section["total"] == 110
    assert _listed(kg, section["query"]) == [
        f"https://w3id.org/channelkg/id/n{i:03d}" for i in range(50, 160)]


def test_a_cut_section_no_pattern_finds_gives_no_query(tmp_path: Path) -> None:
    lines = ["kgid:r a ckg:AccessRoute ; ckg:service kgid:svc ; ckg:market kgid:m ."]
    lines += [f"kgid:b{i:03d} a ckg:Restriction ; ckg:appliesTo kgid:svc ; ckg:market kgid:m ."
              for i in range(120)]
    kg = _load(tmp_path, lines)
    doc = json.loads(EntityJob("r", "json").run(kg).body)
    (section,) = [s for s in doc[0]["sections"]
                  if s["title"] == "restrictions on its service or model"]
    assert section["total"] == 120 and len(section["facts"]) == 100 and "query" not in section
    page = EntityJob("r", "page").run(kg).body.decode()
    assert "20 more not listed here" in page and "class=as-query" not in page


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> KnowledgeGraph:
    import importlib.util

    root = Path(__file__).resolve().parents[1]
    spec = importlib.util.spec_from_file_location("synthetic_entity",
                                                  root / "benchmarks" / "synthetic.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    path = tmp_path_factory.mktemp("syn") / "syn.nt"
    module.write_ntriples(path, 10_000)
    return load([path, resources.ontology_file()])


def test_a_hub_map_draws_no_more_than_it_chose_and_counts_what_it_draws(
        synthetic: KnowledgeGraph) -> None:
    from rdflib import URIRef

    from channelkg.rdf.namespaces import KGID
    from channelkg.serve.entity import MAP_LIMIT
    from channelkg.serve.neighbourhood import Reader, neighbourhood_graph

    graph, start, total = neighbourhood_graph(Reader(synthetic),
                                              URIRef(f"{KGID}syn-market-0"), MAP_LIMIT)
    drawn = set(graph.predecessors(start)) | set(graph.successors(start))
    assert total > MAP_LIMIT and len(drawn) == MAP_LIMIT and set(graph) == drawn | {start}
    body = EntityJob("syn-market-0", "map").run(synthetic).body.decode()
    assert f"{MAP_LIMIT} of its {total} neighbours drawn (the first by key)" in body
    assert "lists them all" not in body


def test_a_map_has_its_own_slider_where_the_view_around_has_none(
        synthetic: KnowledgeGraph) -> None:
    """As docs/serve.md says: the whole synthetic graph's dates make more stretches than
    the view's slider reckons with, while one map's dates do not."""
    from rdflib import URIRef

    from channelkg.rdf.namespaces import KGID
    from channelkg.serve.neighbourhood import Reader, neighbourhood_graph

    iri = f"{KGID}syn-model-3"
    sel = Selection(around=iri, depth=1)
    full = to_networkx(synthetic, sources=False)
    assert selection_spans(full, sel, select(full, sel, synthetic)) is None
    graph, _, _ = neighbourhood_graph(Reader(synthetic), URIRef(iri))
    assert graph.graph.get("spans")
