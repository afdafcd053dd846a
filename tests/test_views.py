"""render/views.py: a selection (or the shipped set) turned into pages, without the CLI."""

from __future__ import annotations

from pathlib import Path

import pytest

from channelkg.errors import InputError
from channelkg.graph.memory import load
from channelkg.render.selection import Selection
from channelkg.render.views import PageOptions, build_views, view_jobs
from conftest import DATA

VIEW = DATA / "view.ttl"


def test_shipped_jobs_are_named_by_collapse_and_date(tmp_path: Path) -> None:
    jobs = view_jobs(Selection(), output=tmp_path, all_shipped=True,
                     options=PageOptions(collapse=True, as_of="2025-01-01"))
    assert [p.name for _, p in jobs] == [
        "market-cn-collapsed-as-of-2025-01-01.html",
        "provider-microsoft-collapsed-as-of-2025-01-01.html",
        "all-collapsed-as-of-2025-01-01.html",
    ]
    assert [s.market for s, _ in jobs] == ["CN", None, None]
    with pytest.raises(InputError, match="--all-shipped draws fixed selections"):
        view_jobs(Selection(market="CN"), output=None, all_shipped=True, options=PageOptions())


def test_build_views_renders_without_writing(tmp_path: Path) -> None:
    kg = load([VIEW])
    out = tmp_path / "v.html"
    messages: list[str] = []
    (page,) = build_views(kg, Selection(), output=out, options=PageOptions(title="T"),
                          progress=messages.append)
    assert page.path == out and not out.exists()
    assert page.title == "T" and "<title>T</title>" in page.html
    assert page.graph.number_of_nodes() > 0
    assert messages and messages[0].startswith(f"projected {page.graph.number_of_nodes()} nodes")
    dated = build_views(kg, Selection(), output=out, options=PageOptions(as_of="2024-01-01"))
    assert dated[0].title.endswith(", as of 2024-01-01")
    with pytest.raises(InputError, match="no such file"):
        build_views(kg, Selection(), options=PageOptions(ontology=tmp_path / "none.ttl"))


def test_a_view_above_max_nodes_draws_the_most_connected_and_says_so(tmp_path: Path) -> None:
    kg = load([VIEW])
    sel = Selection(market="CN")
    (whole,) = build_views(kg, sel, output=tmp_path / "a.html",
                           options=PageOptions(max_nodes=None))
    full = whole.graph
    total = full.number_of_nodes()
    assert total > 4
    messages: list[str] = []
    (page,) = build_views(kg, sel, output=tmp_path / "b.html",
                          options=PageOptions(max_nodes=4), progress=messages.append)
    g = page.graph
    assert g.number_of_nodes() == 4
    market = "kgid:v-cn"
    assert market in g  # the node the selection is about is always kept
    rest = sorted((n for n in full if n != market), key=lambda n: (-full.degree(n), n))
    assert set(g) == {market, *rest[:3]}
    for n in g:  # the kept nodes carry every attribute the uncapped view gives them
        assert g.nodes[n] == full.nodes[n]
    note = f"4 of {total} nodes drawn"
    assert note in page.title and note in page.html and note in messages[0]
    assert "drawn" not in whole.title


def test_the_default_cap_leaves_small_views_alone(tmp_path: Path) -> None:
    kg = load([VIEW])
    (page,) = build_views(kg, Selection(), output=tmp_path / "c.html")
    (uncapped,) = build_views(kg, Selection(), output=tmp_path / "c.html",
                              options=PageOptions(max_nodes=None))
    assert page.html == uncapped.html and "drawn_of" not in page.graph.graph


def test_a_collapsed_view_is_capped_by_the_nodes_it_draws(tmp_path: Path) -> None:
    """With --collapse the cap counts the nodes left once claims are edges: a view whose
    collapsed form fits is not cut, and the note counts what the page draws."""
    kg = load([DATA])
    sel = Selection(market="mainland-china")
    (plain,) = build_views(kg, sel, output=tmp_path / "p.html",
                           options=PageOptions(max_nodes=None))
    (collapsed,) = build_views(kg, sel, output=tmp_path / "c.html",
                               options=PageOptions(max_nodes=None, collapse=True))
    drawn = collapsed.graph.number_of_nodes()
    assert drawn < plain.graph.number_of_nodes()
    (fits,) = build_views(kg, sel, output=tmp_path / "f.html",
                          options=PageOptions(max_nodes=drawn, collapse=True))
    assert "drawn_of" not in fits.graph.graph and set(fits.graph) == set(collapsed.graph)
    (cut,) = build_views(kg, sel, output=tmp_path / "x.html",
                         options=PageOptions(max_nodes=drawn - 5, collapse=True))
    g = cut.graph
    assert g.number_of_nodes() == drawn - 5 == g.graph["drawn"]
    assert g.graph["drawn_of"] == drawn
    assert f"{drawn - 5} of {drawn} nodes drawn" in cut.title


def test_an_edge_of_a_foreign_property_keeps_its_label(tmp_path: Path) -> None:
    """A predicate typed with a type outside the view's vocabulary list (here
    owl:AsymmetricProperty) still names its edges by its rdfs:label."""
    data = tmp_path / "foreign.ttl"
    data.write_text("""@prefix ckg: <https://w3id.org/channelkg/ontology#> .
@prefix kgid: <https://w3id.org/channelkg/id/> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix ex: <https://example.org/vocab#> .
ex:p a owl:AsymmetricProperty ; rdfs:label "pretty p label" .
kgid:a a ckg:Organization ; rdfs:label "A" ; ex:p kgid:b .
kgid:b a ckg:Organization ; rdfs:label "B" .
""", encoding="utf-8")
    kg = load([data])
    (page,) = build_views(kg, Selection(), output=tmp_path / "v.html")
    labels = {d.get("label") for _s, _o, d in page.graph.edges(data=True)
              if d.get("predicate", "").endswith("#p") or str(d.get("predicate")) == "ex:p"}
    assert labels == {"pretty p label"}, labels


def test_a_claim_with_two_statuses_is_drawn(tmp_path: Path) -> None:
    """Data where a claim has two statuses (two files that disagree) draws a page, the
    claim listed under one of its statuses, named with both; no error."""
    data = tmp_path / "two.ttl"
    data.write_text("""@prefix ckg: <https://w3id.org/channelkg/ontology#> .
@prefix kgid: <https://w3id.org/channelkg/id/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
kgid:a a ckg:Organization ; rdfs:label "A" .
kgid:b a ckg:Organization ; rdfs:label "B" .
kgid:p a ckg:Partnership ; rdfs:label "A with B" ; ckg:party kgid:a , kgid:b ;
    ckg:status ckg:confirmed , ckg:disputed .
""", encoding="utf-8")
    (page,) = build_views(load([data]), Selection(), output=tmp_path / "v.html")
    assert "kgid:p" in page.graph
    assert '"status": "ckg:confirmed"' in page.html or '"status":"ckg:confirmed"' in page.html
