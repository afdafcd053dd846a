"""Two route nodes linked by ckg:sameChannelAs are two accounts of one channel: every count
of channels counts them once, and a channel stays open while any of its accounts does.

Each test runs on tests/data/same-channel.ttl with and without same-channel-link.ttl (the
link and the claim that states it), so the counts are seen to change with the link.
"""

from __future__ import annotations

import functools
from pathlib import Path

import pytest

from channelkg.analysis.routes import Scenario, routes, single_points_of_failure, whatif
from channelkg.analysis.whatif import AccessChange
from channelkg.graph.memory import KnowledgeGraph, load
from channelkg.rdf.namespaces import KGID
from channelkg.render.brief import build_report
from channelkg.render.channels import band_count
from channelkg.sparql.query import query

DATA = Path(__file__).parent / "data"
CLOUD, HOSTED, WEIGHTS = (str(KGID[f"x-route-{k}"]) for k in ("cloud", "hosted", "weights"))


@functools.cache
def _graph(linked: bool) -> KnowledgeGraph:
    files = [DATA / "same-channel.ttl"] + ([DATA / "same-channel-link.ttl"] if linked else [])
    return load(files)


def _expected_channels(linked: bool) -> int:
    """Three open route nodes; the link makes two of them one channel."""
    nodes = {r.iri for r in routes(_graph(linked), market="TL").routes if r.open}
    assert nodes == {CLOUD, HOSTED, WEIGHTS}
    return len(nodes) - (1 if linked else 0)


@pytest.mark.parametrize("linked", [False, True])
def test_model_availability_counts_channels(linked: bool) -> None:
    res = query(_graph(linked), "model-availability", {"market": "TL"})
    [(label, n_open, n_closed)] = res.rows
    assert (str(label), int(n_open), int(n_closed)) == ("Model X", _expected_channels(linked), 0)


@pytest.mark.parametrize("linked", [False, True])
def test_route_records_name_their_channel(linked: bool) -> None:
    recs = {r.iri: r for r in routes(_graph(linked), market="TL").routes}
    assert recs[WEIGHTS].channel_key == WEIGHTS and recs[WEIGHTS].accounts == ()
    if linked:
        assert recs[CLOUD].channel_key == recs[HOSTED].channel_key == min(CLOUD, HOSTED)
        assert recs[CLOUD].accounts == (HOSTED,) and recs[HOSTED].accounts == (CLOUD,)
    else:
        assert recs[CLOUD].channel_key != recs[HOSTED].channel_key
    rows = routes(_graph(linked), market="TL").rows()
    assert {r[-1] for r in rows} == ({"", "kgid:x-route-cloud", "kgid:x-route-hosted"}
                                     if linked else {""})


@pytest.mark.parametrize("linked", [False, True])
def test_spof_counts_channels_and_keeps_its_critical_nodes(linked: bool) -> None:
    [res] = single_points_of_failure(_graph(linked), "TL")
    assert len(res.open_routes) == 3
    assert res.channels == _expected_channels(linked)
    # The self-hosted channel avoids the supply deal: nothing is critical either way.
    assert res.critical == ()


@pytest.mark.parametrize("linked", [False, True])
def test_whatif_a_channel_survives_through_its_other_account(linked: bool) -> None:
    res = whatif(_graph(linked), Scenario(end=("x-operating",)))
    [change] = res.changes
    assert set(change.before) == {CLOUD, HOSTED, WEIGHTS}
    assert set(change.after) == {HOSTED, WEIGHTS}
    [(closed, why)] = res.closed
    assert closed == CLOUD
    if linked:
        assert change.effect == "fewer accounts"
        assert why.endswith("its channel stays open through its other account "
                            "kgid:x-route-hosted")
        assert res.rows()[0][-2:] == ["2", "2"]
    else:
        assert change.effect == "fewer routes"
        assert "channel" not in why
        assert res.rows()[0][-2:] == ["3", "2"]


@pytest.mark.parametrize("linked", [False, True])
def test_whatif_a_channel_closes_when_every_account_does(linked: bool) -> None:
    res = whatif(_graph(linked), Scenario(end=("x-supply",)))
    [change] = res.changes
    assert set(change.after) == {WEIGHTS}
    assert change.effect == "fewer routes"
    assert len(change.before_channels) == _expected_channels(linked)
    assert all("stays open" not in why for _, why in res.closed)


@pytest.mark.parametrize("linked", [False, True])
def test_brief_and_channel_map_count_channels(linked: bool) -> None:
    n = _expected_channels(linked)
    md = build_report(_graph(linked), market="TL").to_markdown()
    assert f"\n{n} open and 0 closed routes; open routes first." in md
    assert ("same channel as the route via DevCo Hosted" in md) is linked
    assert band_count(list(routes(_graph(linked), market="TL").routes)) == (
        f"{n} routes, {n} open" + (" (3 accounts)" if linked else ""))


def test_swapped_accounts_of_one_channel_are_a_change_not_more_accounts() -> None:
    def change(before: tuple[str, ...], after: tuple[str, ...]) -> str:
        return AccessChange("m", "M", "x", "X", before, after, before_channels=("c",),
                            after_channels=("c",)).effect

    assert change(("r1",), ("r2",)) == "routes change"
    assert change(("r1", "r2"), ("r2",)) == "fewer accounts"
    assert change(("r1",), ("r1", "r2")) == "more accounts"
