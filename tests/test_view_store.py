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
