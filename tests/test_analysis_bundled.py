"""The acceptance points of channel analytics on the curated graph (graphs/*.ttl)."""

from __future__ import annotations

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


def test_spof_names_the_microsoft_openai_dependency(bundled: KnowledgeGraph) -> None:
    [res] = single_points_of_failure(bundled, "CN", "gpt")
    crit = {c.iri for c in res.critical}
    assert {str(KGID["partnership-microsoft-openai"]), str(KGID.microsoft)} <= crit
    assert len(res.open_routes) >= 2


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
