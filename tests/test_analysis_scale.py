"""The analyses read only what they need: the same answers as a walk over every route.

On a generated graph with hubs (benchmarks/synthetic.py), the keyed lookups (routes by
market, restrictions by target and market, what-if by what the scenario names) give
the answers the full walk gives.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
from pathlib import Path

import pytest

from channelkg.analysis.index import Index, families, family_closure, resolve_market
from channelkg.analysis.records import all_routes
from channelkg.analysis.routes import Scenario, routes, whatif
from channelkg.analysis.spof import (
    SINK,
    SOURCE,
    analyse_family,
    minimum_cut,
    single_points_of_failure,
)
from channelkg.graph.memory import KnowledgeGraph, load

ROOT = Path(__file__).parent.parent
ON = dt.date(2026, 6, 1)


@pytest.fixture(scope="module")
def kg(tmp_path_factory: pytest.TempPathFactory) -> KnowledgeGraph:
    spec = importlib.util.spec_from_file_location("synthetic_scale",
                                                  ROOT / "benchmarks" / "synthetic.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    path = tmp_path_factory.mktemp("scale") / "g.nt"
    mod.write_ntriples(path, 8000)
    return load([path])


def test_routes_into_a_market_are_those_of_the_full_walk(kg: KnowledgeGraph) -> None:
    idx = Index.of(kg)
    _, markets = resolve_market(idx, "CN")
    full = [r for r in all_routes(Index.of(kg), ON) if r.market in set(map(str, markets))]
    got = routes(idx, None, "CN", on=ON).routes
    assert len(got) > 20
    assert sorted(got, key=lambda r: r.iri) == sorted(full, key=lambda r: r.iri)
    assert any(r.restrictions for r in got)


def test_spof_on_the_market_routes_is_that_on_every_route(kg: KnowledgeGraph) -> None:
    idx = Index.of(kg)
    market, markets = resolve_market(idx, "CN")
    pool = all_routes(Index.of(kg), ON)
    results = single_points_of_failure(idx, "CN", on=ON, include_cut_off=True)
    assert results
    for fam in families(idx):
        models = sorted(family_closure(idx, fam, down=True), key=str)
        full = analyse_family(idx, fam, models, market, markets, ON, pool)
        keyed = analyse_family(idx, fam, models, market, markets, ON)
        assert keyed.as_dict() == full.as_dict()


def test_minimum_cut_is_networkx_default_minimum_node_cut(kg: KnowledgeGraph) -> None:
    import networkx as nx

    idx = Index.of(kg)
    market, markets = resolve_market(idx, "CN")
    graphs = [analyse_family(idx, fam, sorted(family_closure(idx, fam, down=True), key=str),
                             market, markets, ON).graph for fam in families(idx)]
    cuttable = [g for g in graphs if nx.has_path(g, SOURCE, SINK) and not g.has_edge(SOURCE, SINK)]
    assert cuttable
    for g in cuttable:
        assert minimum_cut(g) == nx.minimum_node_cut(g, SOURCE, SINK)


@pytest.mark.parametrize("scenario", [
    Scenario(end=("syn-partnership-2",)),
    Scenario(block_services=("syn-service-0",)),
    Scenario(remove=("syn-org-1",)),
    Scenario(restrictions=("provider=syn-org-1,market=CN",)),
    Scenario(restrictions=("service=syn-service-1",)),
    Scenario(lift=("syn-restriction-136",)),
])
def test_whatif_on_affected_routes_is_whatif_on_every_route(
        kg: KnowledgeGraph, scenario: Scenario) -> None:
    full = whatif(kg, scenario, on=ON)
    keyed = whatif(kg, scenario, on=ON, changed_only=True)
    assert full.closed or full.opened  # each scenario changes something
    assert keyed.as_dict() == full.as_dict()
    assert keyed.rows() == full.rows()
    assert len(keyed.before_routes) < len(full.before_routes)
