"""Routes, single points of failure and what-if scenarios on tests/data/channels.ttl."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import random
from pathlib import Path

import networkx as nx
import pytest
from click.testing import CliRunner
from rdflib import Literal
from rdflib.namespace import PROV, RDF, RDFS, XSD

from channelkg.analysis.index import Index, resolve_market, resolve_models
from channelkg.analysis.records import Route
from channelkg.analysis.routes import routes
from channelkg.analysis.spof import (
    SINK,
    SOURCE,
    channel_graph,
    route_chain,
    single_points_of_failure,
)
from channelkg.analysis.whatif import Scenario, whatif
from channelkg.cli import cli
from channelkg.errors import InputError
from channelkg.graph.memory import KnowledgeGraph, from_rdflib, load
from channelkg.rdf.namespaces import CKG, KGID
from conftest import DATA

CHANNELS = DATA / "channels.ttl"
TODAY = dt.date(2026, 11, 1)


@pytest.fixture(scope="module", params=["oxigraph", "rdflib"])
def kg(request: pytest.FixtureRequest) -> KnowledgeGraph:
    return load([CHANNELS], engine=request.param)


def _kg_with(extra: list[tuple], remove: list[tuple] = ()) -> KnowledgeGraph:
    g = load([CHANNELS], engine="rdflib").to_rdflib()
    for t in remove:
        g.remove(t)
    for t in extra:
        g.add(t)
    return from_rdflib(g, "oxigraph")


# --------------------------------------------------------------------------- names


@pytest.mark.parametrize("text", ["gpt", "kgid:gpt", "GPT", "gpt ",
                                  "https://w3id.org/channelkg/id/gpt"])
def test_resolve_model_by_slug_curie_label_iri(kg: KnowledgeGraph, text: str) -> None:
    node, models = resolve_models(Index.of(kg), text)
    assert node == KGID.gpt
    assert set(models) == {KGID.gpt, KGID["gpt-4o"]}


def test_resolve_developer_stands_for_its_models(kg: KnowledgeGraph) -> None:
    node, models = resolve_models(Index.of(kg), "OpenAI")
    assert node == KGID.openai
    assert set(models) == {KGID.gpt, KGID["gpt-4o"]}


def test_member_model_includes_its_family(kg: KnowledgeGraph) -> None:
    _, models = resolve_models(Index.of(kg), "gpt-4o")
    assert set(models) == {KGID.gpt, KGID["gpt-4o"]}


@pytest.mark.parametrize("text", ["CN", "cn", "Mainland China", "中国大陆", "kgid:mainland-china",
                                  "mainland-china"])
def test_resolve_market(kg: KnowledgeGraph, text: str) -> None:
    assert resolve_market(Index.of(kg), text)[0] == KGID["mainland-china"]


def test_unknown_names_suggest(kg: KnowledgeGraph) -> None:
    with pytest.raises(InputError, match="(?i)unknown model.*did you mean.*gpt"):
        resolve_models(Index.of(kg), "gtp")
    with pytest.raises(InputError, match="not a market"):
        resolve_market(Index.of(kg), "microsoft")


# --------------------------------------------------------------------------- routes


def test_routes_openai_into_china(kg: KnowledgeGraph) -> None:
    res = routes(kg, "openai", "CN", on=TODAY)
    by = {r.iri: r for r in res.routes}
    assert set(by) == {str(KGID["route-seed-azure-china-gpt"]), str(KGID["route-az-8"]),
                       str(KGID["route-seed-openai-direct-cn"])}
    azure = by[str(KGID["route-seed-azure-china-gpt"])]
    assert azure.open and azure.sanctioned
    assert azure.operator == str(KGID["shanghai-blue-cloud"])
    assert azure.name(azure.kind) == "cloud partner"
    assert [s.url for s in azure.sources] == ["https://example.org/seed"]
    assert set(azure.depends_on) == {str(KGID["partnership-microsoft-openai"]),
                                     str(KGID["partnership-microsoft-21vianet"])}
    direct = by[str(KGID["route-seed-openai-direct-cn"])]
    assert not direct.open
    [block] = direct.restrictions
    assert block.iri == str(KGID["fact-oai-1"]) and block.relation == "blocks"
    assert block.in_force and block.valid_from == "2024-07-09"
    # open routes come first
    assert [r.open for r in res.routes] == sorted((r.open for r in res.routes), reverse=True)


def test_restriction_that_applies_to_a_service_in_the_market(kg: KnowledgeGraph) -> None:
    g = load([CHANNELS], engine="rdflib").to_rdflib()
    r = KGID["fact-test-filing"]
    for t in [(r, RDF.type, CKG.Restriction), (r, CKG.kind, CKG.LicensingRequirement),
              (r, CKG.appliesTo, KGID["azure-openai"]), (r, CKG.market, KGID["hong-kong"]),
              (r, RDFS.comment, Literal("Filing needed in HK"))]:
        g.add(t)
    kg2 = from_rdflib(g, "oxigraph")
    hk = routes(kg2, "gpt", "HK", on=TODAY).routes[0]
    assert [x.relation for x in hk.restrictions] == ["applies to service Azure OpenAI Service"]
    assert hk.open  # a filing requirement does not close the route
    cn = {r.iri: r for r in routes(kg2, "gpt", "CN", on=TODAY).routes}
    assert cn[str(KGID["route-az-8"])].restrictions == ()  # other market


def test_restriction_without_a_market_applies_in_every_market() -> None:
    # One index answers for both markets: restrictions are looked up per target and market,
    # and one without a market must reach the routes of each.
    g = load([CHANNELS], engine="rdflib").to_rdflib()
    r = KGID["fact-test-everywhere"]
    for t in [(r, RDF.type, CKG.Restriction), (r, CKG.kind, CKG.LicensingRequirement),
              (r, CKG.appliesTo, KGID["azure-openai"]),
              (r, RDFS.comment, Literal("Licence needed everywhere"))]:
        g.add(t)
    idx = Index(from_rdflib(g, "oxigraph"))
    hk = routes(idx, "gpt", "HK", on=TODAY).routes[0]
    cn = {x.iri: x for x in routes(idx, "gpt", "CN", on=TODAY).routes}
    for route in (hk, cn[str(KGID["route-az-8"])]):
        assert [(x.iri, x.relation) for x in route.restrictions] == [
            (str(r), "applies to service Azure OpenAI Service")]


def test_routes_judged_on_a_day(kg: KnowledgeGraph) -> None:
    before = routes(kg, "qwen3", "CN", on=dt.date(2025, 1, 1)).routes[0]
    after = routes(kg, "qwen3", "CN", on=TODAY).routes[0]
    assert not before.open and after.open  # validFrom 2025-04-29
    direct = routes(kg, "gpt", "CN", on=dt.date(2024, 7, 8))
    [d] = [r for r in direct.routes if r.iri.endswith("openai-direct-cn")]
    assert d.restrictions[0].in_force is False  # the block starts on 2024-07-09


def test_route_closes_when_its_partnership_has_ended() -> None:
    p = KGID["partnership-microsoft-21vianet"]
    kg2 = _kg_with([(p, CKG.validTo, Literal("2026-01-01", datatype=XSD.date))])
    by = {r.iri: r for r in routes(kg2, "gpt", "CN", on=TODAY).routes}
    assert not by[str(KGID["route-seed-azure-china-gpt"])].open
    assert by[str(KGID["route-az-8"])].open
    assert by[str(KGID["route-seed-azure-china-gpt"])].state == (
        "closed (partnership kgid:partnership-microsoft-21vianet not in force)")
    early = {r.iri: r for r in routes(kg2, "gpt", "CN", on=dt.date(2025, 12, 31)).routes}
    assert early[str(KGID["route-seed-azure-china-gpt"])].open


def test_routes_cli_formats(runner: CliRunner) -> None:
    base = ["routes", "-d", str(CHANNELS), "--model", "OpenAI", "--market", "CN"]
    res = runner.invoke(cli, [*base, "-f", "json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.output)
    names = {r["route"]: r for r in doc["routes"]}
    assert names["kgid:route-seed-azure-china-gpt"]["open"] is True
    assert names["kgid:route-seed-openai-direct-cn"]["restrictions"][0]["iri"] == "kgid:fact-oai-1"
    csv_out = runner.invoke(cli, [*base, "-f", "csv"]).output
    assert csv_out.splitlines()[0].startswith("route,model,kind,service")
    assert len(csv_out.strip().splitlines()) == 4
    md = runner.invoke(cli, [*base, "-f", "md"]).output
    assert md.startswith("| route |") and "Azure China" in md
    table = runner.invoke(cli, base).output
    assert "closed" in table and "kgid:fact-oai-1 (blocks)" in table


def test_routes_cli_errors(runner: CliRunner) -> None:
    res = runner.invoke(cli, ["routes", "-d", str(CHANNELS), "--market", "XX"])
    assert res.exit_code == 2 and "unknown market 'XX'" in res.output
    res = runner.invoke(cli, ["routes", "-d", str(CHANNELS)])
    assert res.exit_code == 2 and "--model, --market" in res.output
    res = runner.invoke(cli, ["routes", "-d", str(CHANNELS), "-k", "CN", "--on", "2024-13-01"])
    assert res.exit_code == 2 and "bad date" in res.output


# --------------------------------------------------------------------------- SPOF


def test_spof_gpt_in_china_names_partnership_and_microsoft(kg: KnowledgeGraph) -> None:
    [res] = single_points_of_failure(kg, "CN", "gpt", on=TODAY)
    crit = {c.iri for c in res.critical}
    assert crit == {str(KGID["partnership-microsoft-openai"]), str(KGID.microsoft)}
    # 21Vianet operates only one of the two routes: not a single point of failure
    assert str(KGID["shanghai-blue-cloud"]) not in crit
    assert len(res.open_routes) == 2
    assert [a["assessment"] for a in res.assessments] == ["kgid:assessment-seed-dependency"]


def test_spof_all_families(kg: KnowledgeGraph) -> None:
    res = {r.family_label: r for r in single_points_of_failure(kg, "CN", on=TODAY,
                                                               include_cut_off=True)}
    assert res["Claude"].cut_off and not res["Claude"].critical
    assert [c.iri for c in res["Qwen3"].critical] == [str(KGID.modelscope)]
    # the developer is the source side, never reported as its own point of failure
    assert all(c.iri != str(KGID.alibaba) for c in res["Qwen3"].critical)
    without = single_points_of_failure(kg, "CN", on=TODAY)
    assert "Claude" not in {r.family_label for r in without}


def test_spof_follows_the_data_a_second_channel_removes_it() -> None:
    """Add a reseller route that avoids Microsoft: no single point of failure is left."""
    r, reseller, svc = KGID["route-test-reseller"], KGID["test-reseller"], KGID["test-svc"]
    extra = [
        (reseller, RDF.type, CKG.Organization), (reseller, RDFS.label, Literal("ResellCo")),
        (svc, RDF.type, CKG.Service), (svc, RDFS.label, Literal("ResellCo AI")),
        (svc, CKG.provider, reseller),
        (r, RDF.type, CKG.AccessRoute), (r, CKG.model, KGID.gpt),
        (r, CKG.market, KGID["mainland-china"]), (r, CKG.service, svc),
        (r, CKG.kind, CKG.Reseller), (r, CKG.seller, reseller), (r, CKG.open, Literal(True)),
        (r, CKG.status, CKG.reported), (r, PROV.wasDerivedFrom, KGID["source-seed"]),
    ]
    [res] = single_points_of_failure(_kg_with(extra), "CN", "gpt", on=TODAY)
    assert res.critical == ()
    assert len(res.min_cut) == 2
    assert {c.iri for c in res.min_cut} & {str(reseller), str(svc)}


def _random_route(i: int, rng: random.Random) -> Route:
    pick = lambda pool, k: tuple(sorted(rng.sample(pool, k)))  # noqa: E731
    orgs = [f"o{j}" for j in range(5)]
    return Route(
        iri=f"r{i}", statement="", fact_id="", models=("m",), market="k",
        service=rng.choice(["s0", "s1", "s2"]), kind="", sellers=pick(orgs, rng.randint(0, 2)),
        provider=rng.choice(orgs + [""]), operator=rng.choice(orgs + ["", ""]), open=True,
        declared_open=True, sanctioned=True, status="", valid_from="", valid_to="",
        stated_on="", depends_on=pick(["p0", "p1", "p2", "p3"], rng.randint(0, 3)),
        sources=(), restrictions=(),
    )


def test_channel_graph_dominators_equal_nodes_common_to_all_routes() -> None:
    """Splicing chains of different routes never hides or invents a dominator."""
    rng = random.Random(7)
    for _ in range(300):
        rs = [_random_route(i, rng) for i in range(rng.randint(1, 5))]
        g = channel_graph(rs)
        idom = nx.immediate_dominators(g, SOURCE)
        doms, n = set(), idom[SINK]
        while n != SOURCE:
            doms.add(n)
            n = idom[n]
        common = set.intersection(*({x for x, _ in route_chain(r)} for r in rs))
        assert doms == common


def test_spof_cli(runner: CliRunner) -> None:
    res = runner.invoke(cli, ["spof", "-d", str(CHANNELS), "-k", "CN", "-m", "gpt", "-f", "json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.output)
    crit = [c["iri"] for c in doc["results"][0]["singlePointsOfFailure"]]
    assert crit == ["kgid:partnership-microsoft-openai", "kgid:microsoft"]
    table = runner.invoke(cli, ["spof", "-d", str(CHANNELS), "-k", "CN", "--all"]).output
    assert "cut off: no open route" in table and "Increases" in table


# --------------------------------------------------------------------------- what-if


def _effects(res) -> dict[tuple[str, str], str]:
    return {(c.market_label, c.model_label): c.effect for c in res.changes}


def test_whatif_end_partnership_china_loses_openai_models(kg: KnowledgeGraph) -> None:
    before = hashlib.sha256(CHANNELS.read_bytes()).hexdigest()
    res = whatif(kg, Scenario(end=("partnership-microsoft-openai",)), on=TODAY)
    eff = _effects(res)
    assert eff[("Mainland China", "GPT")] == "loses access"
    assert eff[("Mainland China", "GPT-4o")] == "loses access"
    assert eff[("Hong Kong", "GPT")] == "loses access"
    assert eff[("Mainland China", "Qwen3")] == "unchanged"
    assert {shorten_iri(r) for r, _ in res.closed} == {
        "route-seed-azure-china-gpt", "route-az-8", "route-azure-openai-hk"}
    assert hashlib.sha256(CHANNELS.read_bytes()).hexdigest() == before
    assert routes(kg, "gpt", "CN", on=TODAY).routes[0].open  # graph unchanged


def shorten_iri(iri: str) -> str:
    return iri.rsplit("/", 1)[-1]


def test_whatif_add_restriction_on_provider_in_market(kg: KnowledgeGraph) -> None:
    res = whatif(kg, Scenario(restrictions=("provider=microsoft,market=CN",)), on=TODAY)
    eff = _effects(res)
    assert eff[("Mainland China", "GPT")] == "loses access"
    assert eff[("Hong Kong", "GPT")] == "unchanged"


def test_whatif_block_service_and_remove_operator(kg: KnowledgeGraph) -> None:
    eff = _effects(whatif(kg, Scenario(block_services=("azure-china",)), on=TODAY))
    assert eff[("Mainland China", "GPT")] == "loses access"  # az-8 carries GPT-4o only
    assert eff[("Mainland China", "GPT-4o")] == "unchanged"
    eff = _effects(whatif(kg, Scenario(remove=("shanghai-blue-cloud",)), on=TODAY))
    assert eff[("Mainland China", "GPT")] == "loses access"  # its partnership ends too
    eff = _effects(whatif(kg, Scenario(remove=("openai",)), on=TODAY))
    assert eff[("Hong Kong", "GPT")] == "loses access"


def test_whatif_lift_restriction_gains_access() -> None:
    drop = [(KGID["route-seed-azure-china-gpt"], CKG.open, Literal(True))]
    kg2 = _kg_with([(KGID["route-seed-azure-china-gpt"], CKG.open, Literal(False))], drop)
    res = whatif(kg2, Scenario(lift=("OAI-1",)), on=TODAY)
    assert _effects(res)[("Mainland China", "GPT")] == "gains access"
    assert [shorten_iri(r) for r, _ in res.opened] == ["route-seed-openai-direct-cn"]


def test_whatif_errors(kg: KnowledgeGraph) -> None:
    with pytest.raises(InputError, match="empty scenario"):
        whatif(kg, Scenario())
    with pytest.raises(InputError, match="unknown restriction key 'colour'"):
        whatif(kg, Scenario(restrictions=("colour=red",)))
    with pytest.raises(InputError, match="KEY=VALUE"):
        whatif(kg, Scenario(restrictions=("microsoft",)))
    with pytest.raises(InputError, match="not a partnership"):
        whatif(kg, Scenario(end=("microsoft",)))


def test_whatif_cli(runner: CliRunner) -> None:
    res = runner.invoke(cli, ["whatif", "-d", str(CHANNELS), "--end",
                              "partnership-microsoft-openai"])
    assert res.exit_code == 0, res.output
    lines = [ln for ln in res.output.splitlines() if ln.startswith("Mainland China")]
    assert any("GPT " in ln and "OpenAI" in ln and "loses access" in ln for ln in lines)
    assert "routes that close:" in res.output
    res = runner.invoke(cli, ["whatif", "-d", str(CHANNELS), "--add-restriction",
                              "provider=microsoft,market=CN", "-f", "json"])
    doc = json.loads(res.output)
    assert {(c["marketLabel"], c["effect"]) for c in doc["changes"]} == {
        ("Mainland China", "loses access")}
    res = runner.invoke(cli, ["whatif", "-d", str(CHANNELS), "--remove", "nobody"])
    assert res.exit_code == 2 and "unknown organization 'nobody'" in res.output


@pytest.mark.browser
def test_whatif_view_in_browser(runner: CliRunner, tmp_path: Path) -> None:
    from test_report import open_page

    out = tmp_path / "whatif.html"
    res = runner.invoke(cli, ["whatif", "-d", str(CHANNELS), "--end",
                              "partnership-microsoft-openai", "--view", str(out)])
    assert res.exit_code == 0, res.output
    with open_page(out) as page:
        assert "What if: end kgid:partnership-microsoft-openai" in page.title()
        page.wait_for_function("document.querySelector('canvas') !== null")
        data = json.loads(page.locator("#ckg-data").text_content())
    labels = {n["key"]: n["label"] for n in data["nodes"]}
    assert labels["kgid:route-seed-azure-china-gpt"].startswith("\u2716")
    assert labels["kgid:route-az-8"].startswith("\u2716")
    assert "kgid:partnership-microsoft-openai" in labels
    assert not labels["kgid:microsoft"].startswith(("\u2716", "\u271a"))
    assert "kgid:route-qwen3-modelscope-cn" not in labels  # unaffected routes stay out
    statuses = {s["label"]: s["count"] for s in data["statuses"]}
    assert statuses["closes (what if)"] == 3


def test_as_of_sets_the_day_routes_are_judged_on(runner: CliRunner) -> None:
    base = ["routes", "-d", str(CHANNELS), "-m", "qwen3", "-k", "CN", "-f", "json"]
    res = runner.invoke(cli, [*base, "--as-of", "2026-07-01"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.output)
    assert doc["on"] == "2026-07-01"
    assert [r["open"] for r in doc["routes"]] == [True]
    doc = json.loads(runner.invoke(cli, [*base, "--on", "2025-01-01"]).output)
    assert doc["on"] == "2025-01-01"
    assert [r["open"] for r in doc["routes"]] == [False]  # valid from 2025-04-29


def test_misspelt_names_suggest_close_entities(runner: CliRunner) -> None:
    for args, hint in ((["routes", "--market", "Chna", "--model", "gpt"], "Mainland China"),
                       (["spof", "--market", "HongKong"], "Hong Kong"),
                       (["timeline", "--market", "hongkong"], "HK"),
                       (["view", "--class", "acessroute"], "ckg:AccessRoute")):
        res = runner.invoke(cli, args)
        assert res.exit_code == 2, (args, res.output)
        assert "did you mean" in res.output and hint in res.output, (args, res.output)
    res = runner.invoke(cli, ["routes", "--market", "CN", "--model", "gpt", "--on", "2024-13-01"])
    assert res.exit_code == 2 and "bad date --on '2024-13-01'" in res.output
