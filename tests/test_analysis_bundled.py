"""The acceptance points of channel analytics on the curated graph (graphs/*.ttl)."""

from __future__ import annotations

import csv
import io
import re

import pytest
from click.testing import CliRunner

from channelkg.analysis.routes import Scenario, routes, single_points_of_failure, whatif
from channelkg.cli import cli
from channelkg.graph.memory import KnowledgeGraph
from channelkg.rdf.namespaces import KGID
from channelkg.render.brief import build_report


def test_routes_openai_models_into_china(bundled: KnowledgeGraph) -> None:
    res = {r.iri: r for r in routes(bundled, "openai", "CN").routes}
    seed = res[str(KGID["route-seed-azure-china-gpt"])]
    assert seed.open and seed.service == str(KGID["azure-china"])
    assert seed.operator == str(KGID["shanghai-blue-cloud"])
    assert seed.sources and all(s.title for s in seed.sources)
    assert any(s.url for s in seed.sources)
    closed = res[str(KGID["route-openai-api-cn"])]
    assert not closed.open
    assert str(KGID["fact-oai-1"]) in {x.iri for x in closed.restrictions}


def test_routes_table_says_when_a_route_is_undated(runner: CliRunner) -> None:
    """Google's undated list holds on every day: the dates cell says so, not blank."""
    res = runner.invoke(cli, ["routes", "--market", "CN", "-f", "csv"])
    assert res.exit_code == 0, res.output
    dates = {row["route"]: row["dates"] for row in csv.DictReader(io.StringIO(res.stdout))}
    assert dates["kgid:route-gemini-api-cn"] == "undated"
    assert dates["kgid:fact-az-8"] == "stated 2024-07-09"


def test_spof_names_the_microsoft_openai_dependency(bundled: KnowledgeGraph) -> None:
    [res] = single_points_of_failure(bundled, "CN", "gpt")
    crit = {c.iri for c in res.critical}
    assert {str(KGID["partnership-microsoft-openai"]), str(KGID.microsoft)} <= crit
    assert len(res.open_routes) >= 2
    # Two accounts of one channel count once (ckg:sameChannelAs).
    assert res.channels == len({r.channel_key for r in res.open_routes}) < len(res.open_routes)


def test_whatif_end_21vianet_keeps_the_gpt_channel_through_azure_openai(
    bundled: KnowledgeGraph,
) -> None:
    """Azure China's account of the GPT channel depends on the 21Vianet agreement; Microsoft's
    own account (AZ-8: models deployed outside China) does not. Ending the agreement closes
    the first account, and the channel stays open through the second."""
    res = whatif(bundled, Scenario(end=("partnership-microsoft-21vianet",)))
    seed, az8 = str(KGID["route-seed-azure-china-gpt"]), str(KGID["fact-az-8"])
    [(closed, why)] = [c for c in res.closed if c[0] == seed]
    assert "ends" in why and "kgid:fact-az-8" in why
    [cn] = [c for c in res.changes if c.market == str(KGID["mainland-china"])
            and c.model == str(KGID.gpt)]
    assert seed in cn.before and az8 in cn.after and seed not in cn.after
    assert cn.effect == "fewer accounts"
    assert len(cn.before_channels) == len(cn.after_channels) == len(set(cn.after_channels))
    # Without the link the same scenario would count one route fewer.
    assert len(cn.before) == len(cn.after) + 1


def test_whatif_end_partnership_china_loses_openai_models(bundled: KnowledgeGraph) -> None:
    res = whatif(bundled, Scenario(end=("partnership-microsoft-openai",)))
    lost = {(c.market, c.developer_label) for c in res.changes if c.effect == "loses access"}
    assert (str(KGID["mainland-china"]), "OpenAI") in lost


def test_report_cn_table_matches_the_seed(bundled: KnowledgeGraph) -> None:
    md = build_report(bundled, market="CN").to_markdown()
    table = md.split("## Comparison table")[1].split("## ")[0]
    rows = {tuple(c.strip() for c in ln.strip("|").split("|"))
            for ln in table.splitlines() if re.match(r"^\| (?!Provider|-)", ln)}
    assert rows == {("Microsoft", "Yes", "Azure China", "Lower"),
                    ("OpenAI", "No", "None", "High"),
                    ("Anthropic", "No", "None", "High")}


@pytest.mark.parametrize("args", [
    ["routes", "--model", "openai", "--market", "CN"],
    ["spof", "--market", "CN", "--model", "gpt"],
    ["whatif", "--end", "partnership-microsoft-openai"],
    ["report", "--market", "CN", "-o", "-"],
])
def test_commands_run_on_the_bundled_graph(runner: CliRunner, args: list[str]) -> None:
    res = runner.invoke(cli, args)
    assert res.exit_code == 0, res.output
    assert res.output.strip()
