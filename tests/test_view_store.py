"""Market and provider views worked out on the store draw what the whole projection draws.

``view --market`` / ``--provider`` select the nodes on the store and project only the
drawn ones (:class:`~channelkg.render.reading.StoreSelection`) when the page has no time
slider; the pages must be those of the projection of the whole graph, byte for byte.
"""

from __future__ import annotations

import importlib.util
import sys
from typing import Any

import networkx as nx
import pytest

from channelkg.errors import InputError
from channelkg.graph.memory import KnowledgeGraph, load
from channelkg.render import views
from channelkg.render.page import render_html
from channelkg.render.reading import StoreSelection
from channelkg.render.selection import Selection, subgraph
from conftest import ROOT


@pytest.fixture(scope="module")
def dated_graph(tmp_path_factory: pytest.TempPathFactory) -> KnowledgeGraph:
    """A synthetic graph with hundreds of distinct dates (so its pages have no slider)."""
    spec = importlib.util.spec_from_file_location("synthetic", ROOT / "benchmarks" / "synthetic.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules["synthetic"] = mod
    spec.loader.exec_module(mod)
    path = tmp_path_factory.mktemp("syn") / "synthetic.nt"
    mod.write_ntriples(path, 8000)
    kg = load([path])
    assert StoreSelection(kg, False).many_dates()
    return kg


def _pages(kg: KnowledgeGraph, sel: Selection, **kw: Any) -> tuple[str, str]:
    on_store = views._project_on_store(kg, sel, **kw)
    assert on_store is not None
    whole = views._project_whole(kg, sel, **kw)
    assert sorted(on_store) == sorted(whole)
    assert sorted(on_store.edges(keys=True)) == sorted(whole.edges(keys=True))
    return render_html(on_store, title="t"), render_html(whole, title="t")


@pytest.mark.parametrize("sel", [Selection(market="CN"), Selection(provider="syn-org-0"),
                                 Selection(market="CN", provider="syn-org-3")],
                         ids=["market", "provider", "both"])
@pytest.mark.parametrize("collapse", [False, True], ids=["nodes", "collapsed"])
@pytest.mark.parametrize("max_nodes", [None, 40], ids=["all", "capped"])
def test_the_store_selection_draws_the_page_of_the_whole_projection(
    dated_graph: KnowledgeGraph, sel: Selection, collapse: bool, max_nodes: int | None
) -> None:
    new, old = _pages(dated_graph, sel, collapse=collapse, with_sources=False,
                      max_nodes=max_nodes)
    assert new == old


def test_with_sources_the_store_selection_draws_the_sources(dated_graph: KnowledgeGraph) -> None:
    sel = Selection(market="CN")
    new, old = _pages(dated_graph, sel, collapse=False, with_sources=True, max_nodes=60)
    assert new == old
    graph = views._project_on_store(dated_graph, sel, collapse=False, with_sources=True,
                                    max_nodes=None)
    assert graph is not None
    assert any(d["class"] == "ckg:Source" for _, d in graph.nodes(data=True))


def test_a_capped_store_selection_says_how_many_nodes_it_has(dated_graph: KnowledgeGraph
                                                             ) -> None:
    graph = views.project(dated_graph, Selection(market="CN"), max_nodes=25)
    whole = views._project_whole(dated_graph, Selection(market="CN"), collapse=False,
                                 with_sources=False, max_nodes=None)
    assert graph.graph["drawn"] == 25
    assert graph.graph["drawn_of"] == whole.number_of_nodes()
    assert "kgid:syn-market-0" in graph


def test_unknown_and_undrawn_names_fail_as_on_the_whole_projection(
    dated_graph: KnowledgeGraph
) -> None:
    for sel in (Selection(market="Atlantis"), Selection(provider="syn-org-0", market="XX")):
        with pytest.raises(InputError) as new:
            views.project(dated_graph, sel)
        with pytest.raises(InputError) as old:
            views._project_whole(dated_graph, sel, collapse=False, with_sources=False,
                                 max_nodes=None)
        assert str(new.value) == str(old.value)


def test_a_graph_with_a_time_slider_is_projected_whole() -> None:
    """The bundled graph's few dates make a slider: the selection runs on the projection."""
    kg = load()
    assert not StoreSelection(kg, False).many_dates()
    assert views._project_on_store(kg, Selection(market="CN"), collapse=False,
                                   with_sources=False, max_nodes=None) is None
    assert "spans" in views.project(kg, Selection(market="CN")).graph


def test_a_subgraph_keeps_the_order_of_the_graph() -> None:
    """The layout of a page follows the order of its nodes: a subgraph of a few nodes must
    not take the order of the set it was asked for."""
    graph = nx.MultiDiGraph()
    for n in range(99, -1, -1):
        graph.add_node(n)
    graph.add_edge(3, 1, key="k")
    graph.add_edge(3, 2, key="k")
    sub = subgraph(graph, {1, 2, 3})  # type: ignore[arg-type]
    assert list(sub) == [3, 2, 1]
    assert list(sub.edges(keys=True)) == list(graph.edges(keys=True))


def test_a_backend_without_a_store_projects_the_whole_graph() -> None:
    kg = load(engine="rdflib")
    assert views._project_on_store(kg, Selection(market="CN"), collapse=False,
                                   with_sources=False, max_nodes=None) is None


_HEAD = """@prefix ckg: <https://w3id.org/channelkg/ontology#> .
@prefix kgid: <https://w3id.org/channelkg/id/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix ex: <http://example.org/> .
"""


def _load(tmp_path: Any, body: str) -> KnowledgeGraph:
    path = tmp_path / "g.ttl"
    path.write_text(_HEAD + body, encoding="utf-8")
    return load([path])


_CLAIMS = """ex:MyRoute rdfs:subClassOf ckg:AccessRoute ; rdfs:label "My route" .
kgid:c-m a ckg:Market ; rdfs:label "CM"@en ; ckg:isoCode "CM" .
kgid:c-dev a ckg:Organization ; rdfs:label "Dev"@en .
kgid:c-model a ckg:Model ; rdfs:label "Model"@en ; ckg:developer kgid:c-dev .
kgid:c-model2 a ckg:Model ; rdfs:label "Model2"@en ; ckg:developer kgid:c-dev .
kgid:c-svc a ckg:Service ; rdfs:label "Svc"@en ; ckg:provider kgid:c-dev .
kgid:c-rel a ckg:Release ; ckg:factId "C-1" ; ckg:model kgid:c-model ; ckg:market kgid:c-m .
kgid:c-rel2 a ckg:Release ; ckg:factId "C-2" ; ckg:model kgid:c-model2 ; ckg:market kgid:c-m .
kgid:c-r a ex:MyRoute ; ckg:factId "C-3" ; ckg:model kgid:c-model ; ckg:market kgid:c-m ;
  ckg:service kgid:c-svc .
kgid:c-r2 a ex:MyRoute ; ckg:factId "C-4" ; ckg:model kgid:c-model2 ; ckg:market kgid:c-m ;
  ckg:service kgid:c-svc .
kgid:c-ef a ckg:EntityFact ; ckg:factId "C-5" ; ckg:about kgid:c-dev ; ckg:market kgid:c-m .
"""


@pytest.mark.parametrize("sel", [Selection(market="CM"), Selection(provider="kgid:c-dev")],
                         ids=["market", "provider"])
@pytest.mark.parametrize("max_nodes", [2, 3, 5, None])
def test_a_collapsed_store_selection_finds_the_rules_of_superclasses(
    tmp_path: Any, sel: Selection, max_nodes: int | None
) -> None:
    """Releases, entity facts and routes of a subclass of ckg:AccessRoute collapse by the
    rules of their superclasses: the cap counts the collapsed nodes, their edges stay."""
    kg = _load(tmp_path, _CLAIMS)
    new, old = _pages(kg, sel, collapse=True, with_sources=False, max_nodes=max_nodes)
    assert new == old
    graph = views._project_on_store(kg, sel, collapse=True, with_sources=False,
                                    max_nodes=max_nodes)
    assert graph is not None
    assert not any(d["class"] in {"ckg:Release", "ckg:EntityFact", "ex:MyRoute"}
                   for _, d in graph.nodes(data=True))


def test_a_class_known_only_by_its_literals_names_its_nodes(tmp_path: Any) -> None:
    kg = _load(tmp_path, """ex:Widget rdfs:label "Widget thing"@en ; rdfs:comment "a class" .
kgid:b-m a ckg:Market ; rdfs:label "BM"@en ; ckg:isoCode "BM" .
kgid:b-w1 a ex:Widget ; rdfs:label "w1" ; ckg:servesMarket kgid:b-m .
""")
    sel = Selection(market="BM")
    new, old = _pages(kg, sel, collapse=False, with_sources=False, max_nodes=None)
    assert new == old
    graph = views._project_on_store(kg, sel, collapse=False, with_sources=False,
                                    max_nodes=None)
    assert graph is not None
    assert graph.nodes["kgid:b-w1"]["class_label"] == "Widget thing"


@pytest.mark.parametrize("term", [
    "kgid:a-r ex:says << kgid:a-dev ckg:partOf kgid:a-m >> .",
    "<< kgid:a-r ckg:market kgid:a-m >> ex:note \"a note\" .",
], ids=["object", "subject"])
def test_a_triple_term_fails_in_one_line_as_on_the_whole_projection(
    tmp_path: Any, term: str
) -> None:
    kg = _load(tmp_path, f"""kgid:a-m a ckg:Market ; rdfs:label "AM"@en ; ckg:isoCode "AM" .
kgid:a-dev a ckg:Organization ; rdfs:label "Dev"@en .
kgid:a-r a ckg:AccessRoute ; ckg:factId "A-1" ; ckg:market kgid:a-m ; ckg:seller kgid:a-dev .
{term}
""")
    sel = Selection(market="AM")
    with pytest.raises(InputError) as new:
        views.project(kg, sel)
    with pytest.raises(InputError) as old:
        views._project_whole(kg, sel, collapse=False, with_sources=False, max_nodes=None)
    assert str(new.value) == str(old.value)
    assert "triple terms" in str(new.value)


@pytest.mark.parametrize("body, holds", [
    ("kgid:a-r ex:says << kgid:a-dev ckg:partOf kgid:a-m >> .", True),
    ("<< kgid:a-r ckg:market kgid:a-m >> ex:note \"a note\" .", True),
    ("kgid:x ex:says << kgid:a ex:b << kgid:c ex:d kgid:e >> >> .", True),
    ("kgid:x ex:says <<( kgid:a ex:b kgid:c )>> .", True),
    ("kgid:x ex:says <<( kgid:a ex:b <<( kgid:c ex:d kgid:e )>> )>> .", True),
    ("kgid:x ex:says kgid:a .", False),
], ids=["object", "subject", "nested", "triple-term", "nested-triple-term", "none"])
def test_holds_triple_terms_finds_them_in_the_store(tmp_path: Any, body: str, holds: bool
                                                    ) -> None:
    from channelkg.graph.background import Background
    from channelkg.render.reading import holds_triple_terms

    kg = _load(tmp_path, body)
    assert holds_triple_terms(kg) is holds
    assert Background(holds_triple_terms, kg).result() is holds  # the same, in a thread


def test_the_scan_in_a_thread_hands_its_error_to_the_caller() -> None:
    from channelkg.graph.background import Background
    from channelkg.render.reading import holds_triple_terms

    class Broken:
        class store:  # noqa: N801 - stands for a store whose query fails
            @staticmethod
            def query(*_: Any, **__: Any) -> bool:
                raise OSError("the store went away")

    scan = Background(holds_triple_terms, Broken())
    with pytest.raises(OSError, match="went away"):
        scan.result()


def test_a_triple_term_is_refused_before_an_unknown_market(tmp_path: Any) -> None:
    """The store selection runs while the store is scanned for triple terms: a market it
    cannot resolve still gives the whole projection's refusal of the triple term."""
    kg = _load(tmp_path, """kgid:a-m a ckg:Market ; rdfs:label "AM"@en ; ckg:isoCode "AM" .
kgid:x ex:says <<( kgid:a ex:b kgid:c )>> .
""")
    with pytest.raises(InputError) as new:
        views.project(kg, Selection(market="ZZ"))
    with pytest.raises(InputError) as old:
        views._project_whole(kg, Selection(market="ZZ"), collapse=False, with_sources=False,
                             max_nodes=None)
    assert str(new.value) == str(old.value)
    assert "triple terms" in str(new.value)


def test_a_view_is_drawn_with_the_cycle_collector_paused(
    dated_graph: KnowledgeGraph, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    """A view builds a few hundred thousand objects: collector passes over them all
    were a third of a collapsed view's time on a large graph."""
    import gc

    seen: list[bool] = []
    project = views.project

    def spy(*args: Any, **kw: Any) -> Any:
        seen.append(gc.isenabled())
        return project(*args, **kw)

    monkeypatch.setattr(views, "project", spy)
    was = gc.isenabled()
    views.render_view(dated_graph, Selection(market="CN"), tmp_path / "v.html",
                      views.PageOptions(collapse=True))
    assert seen == [False]
    assert gc.isenabled() is was


def test_the_collapsed_shape_is_that_of_the_collapsed_graph(dated_graph: KnowledgeGraph
                                                            ) -> None:
    """collapsed_shape works out, from plain data, the nodes, degrees and claim edges
    collapse_claims gives the graph (the collapsed view caps on it)."""
    from channelkg.render.collapse import collapse_claims, collapsed_shape
    from channelkg.render.network import graph_schema, project_lazily

    full, _ = project_lazily(dated_graph)
    nodes = {n: (d["class"], d["claim"]) for n, d in full.nodes(data=True)}
    links = {n: [(k, v) for _, v, k in full.out_edges(n, keys=True)] for n in full}
    degree, edges = collapsed_shape(nodes, links, graph_schema(full))
    graph = collapse_claims(full, labels=False)
    assert degree == dict(graph.degree())
    assert sorted(edges) == sorted((a, b, d["claim"]) for a, b, d in graph.edges(data=True)
                                   if "claim" in d)
    assert len(degree) < len(nodes) and edges


def test_a_projection_of_some_nodes_is_the_subgraph_of_the_projection(
    dated_graph: KnowledgeGraph
) -> None:
    from channelkg.render.network import project_lazily

    full, attrs = project_lazily(dated_graph)
    some = set(sorted(full)[::7]) | {"kgid:no-such-node"}
    part, part_attrs = project_lazily(dated_graph, only=some)
    expected = subgraph(full, some)
    assert list(part.nodes(data=True)) == list(expected.nodes(data=True))
    assert list(part.edges(keys=True, data=True)) == list(expected.edges(keys=True, data=True))
    assert [list(part.pred[n]) for n in part] == [list(expected.pred[n]) for n in expected]
    attrs.fill(expected)
    part_attrs.fill(part)
    assert list(part.nodes(data=True)) == list(expected.nodes(data=True))


def test_the_projector_works_each_label_out_once(dated_graph: KnowledgeGraph,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """A claim's label, full label and the labels of what it names are worked out once
    a resource, however many claims ask for them."""
    from channelkg.render import network

    full, attrs = network.project_lazily(dated_graph)
    calls: dict[str, int] = {}
    choose = network.choose

    def counting(pairs: Any, *a: Any) -> Any:
        pairs = list(pairs)
        calls[repr(pairs)] = calls.get(repr(pairs), 0) + 1
        return choose(pairs, *a)

    monkeypatch.setattr(network, "choose", counting)
    attrs.fill(full)
    assert calls and max(calls.values()) == 1


def test_only_short_literals_are_kept_converted() -> None:
    import pyoxigraph as ox

    from channelkg.render import reading

    short, long = ox.Literal("2024-07-08"), ox.Literal("x" * (reading.SHORT_LITERAL + 1))
    assert reading.rdflib_literal(short) is reading.rdflib_literal(short)
    assert reading.rdflib_literal(long) == reading.rdflib_literal(long)
    assert reading.rdflib_literal(long) is not reading.rdflib_literal(long)
    assert str(reading.rdflib_literal(long)) == long.value
