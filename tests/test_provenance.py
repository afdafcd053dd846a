"""`explain`: the chain of sourced facts behind a claim, a route or an entity."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from channelkg.analysis.history import as_of
from channelkg.analysis.provenance import explain, explain_row, render_markdown, render_text
from channelkg.cli import cli
from channelkg.errors import InputError
from channelkg.graph.memory import KnowledgeGraph, load

DATA = Path(__file__).parent / "data"
FIXTURE = DATA / "openai-cn.ttl"
KGID = "https://w3id.org/channelkg/id/"


@pytest.fixture(scope="module", params=["oxigraph", "rdflib"])
def kg(request: pytest.FixtureRequest) -> KnowledgeGraph:
    return load([FIXTURE], engine=request.param)


def section(ex: object, title: str) -> list[str]:
    for t, facts in ex.sections:  # type: ignore[attr-defined]
        if t == title:
            return [str(f.node).removeprefix(KGID) for f in facts]
    return []


def test_explain_route(kg: KnowledgeGraph) -> None:
    ex = explain(kg, "route-seed-azure-china-gpt")
    assert str(ex.focus.node) == KGID + "route-seed-azure-china-gpt"
    assert ex.focus.status == "disputed"
    assert "DISPUTED: conflicts with kgid:fact-az-14" in ex.focus.marks
    assert ex.focus.sources == (
        "Microsoft sells OpenAI models to Chinese firms (2026-06-18) https://example.org/seed-2026",)
    assert section(ex, "depends on (partnerships)") == [
        "partnership-microsoft-21vianet", "partnership-microsoft-openai"]
    assert section(ex, "conflicts with") == ["fact-az-14"]
    text = render_text([ex])
    assert "!! DISPUTED: conflicts with kgid:fact-az-14" in text
    assert "valid from 2014-03, month precision" in text
    assert "stated 2026-06-18" in text


def test_explain_blocked_route_shows_the_block_and_its_history(kg: KnowledgeGraph) -> None:
    ex = explain(kg, "route-openai-api-cn")
    assert section(ex, "blocked by") == ["fact-oai-1"]
    block = next(f for _, fs in ex.sections for f in fs if f.node.endswith("fact-oai-1"))
    assert block.status == "confirmed"
    assert "supersedes kgid:fact-oai-8" in block.marks
    assert "The Register" in block.sources[0]


def test_explain_by_fact_id_marks_superseded(kg: KnowledgeGraph) -> None:
    ex = explain(kg, "OAI-8")
    assert str(ex.focus.node) == KGID + "fact-oai-8"
    assert "SUPERSEDED by kgid:fact-oai-1" in ex.focus.marks
    assert section(ex, "superseded by") == ["fact-oai-1"]
    assert explain(kg, "oai-8").focus.node == ex.focus.node  # fact ids ignore case


def test_explain_entity_lists_the_claims_that_name_it(kg: KnowledgeGraph) -> None:
    ex = explain(kg, "kgid:21vianet")
    assert ex.focus.label == "21Vianet"
    assert section(ex, "Partnership facts that name it") == ["partnership-microsoft-21vianet"]
    ms = explain(kg, KGID + "microsoft")
    titles = [t for t, _ in ms.sections]
    assert "Claim facts that name it" in titles and "AccessRoute facts that name it" in titles
    assert "fact-az-14" in section(ms, "Claim facts that name it")


def test_explain_in_an_as_of_view(kg: KnowledgeGraph) -> None:
    ex = explain(as_of(kg, "2025-01-01"), "microsoft")
    names = {n for _, fs in ex.sections for n in (str(f.node) for f in fs)}
    assert KGID + "fact-az-8" in names
    assert KGID + "fact-az-14" not in names
    assert ex.notes and "as of 2025-01-01" in ex.notes[0]


def test_explain_unknown_node(kg: KnowledgeGraph) -> None:
    with pytest.raises(InputError, match="unknown entity 'microsfot' .did you mean kgid:microsoft"):
        explain(kg, "microsfot")


def test_explain_query_row(kg: KnowledgeGraph) -> None:
    q = ("PREFIX ckg: <https://w3id.org/channelkg/ontology#> "
         "SELECT ?route ?market WHERE { ?route a ckg:AccessRoute ; ckg:market ?market } "
         "ORDER BY ?route")
    exs = explain_row(kg, q, 2)
    assert [str(e.focus.node).removeprefix(KGID) for e in exs] == [
        "route-seed-azure-china-gpt", "mainland-china"]
    with pytest.raises(InputError, match="out of range"):
        explain_row(kg, q, 3)


def test_explain_cli(runner: CliRunner, tmp_path: Path) -> None:
    base = ["-d", str(FIXTURE)]
    res = runner.invoke(cli, ["explain", "SEED-1", *base])
    assert res.exit_code == 0, res.output
    assert res.output.startswith("kgid:route-seed-azure-china-gpt  [AccessRoute]  SEED-1")
    res = runner.invoke(cli, ["explain", "route-seed-azure-china-gpt", *base, "-f", "json"])
    doc = json.loads(res.output)
    assert doc[0]["focus"]["status"] == "disputed"
    assert doc[0]["focus"]["statedOn"] == "2026-06-18"
    assert [s["title"] for s in doc[0]["sections"]][:1] == ["depends on (partnerships)"]
    md = runner.invoke(cli, ["explain", "fact-oai-8", *base, "-f", "md"]).output
    assert md.startswith("## kgid:fact-oai-8") and "⚠ SUPERSEDED by kgid:fact-oai-1" in md
    rq = tmp_path / "routes.rq"
    rq.write_text("PREFIX ckg: <https://w3id.org/channelkg/ontology#>\n"
                  "SELECT ?r WHERE { ?r a ckg:AccessRoute ; ckg:open true } ORDER BY ?r\n")
    res = runner.invoke(cli, ["explain", "--query", str(rq), "--row", "1", *base])
    assert res.exit_code == 0, res.output
    assert res.output.startswith("kgid:route-seed-azure-china-gpt")
    res = runner.invoke(cli, ["explain", *base])
    assert res.exit_code == 2 and "either NODE or --query" in res.output
    res = runner.invoke(cli, ["explain", "nothing-here", *base])
    assert res.exit_code == 2 and "unknown entity 'nothing-here'" in res.output
    res = runner.invoke(cli, ["explain", "fact-oai-1", *base, "--as-of", "2024-01-01"])
    assert res.exit_code == 2  # not valid yet on that day: not in the view


def test_markdown_escapes_nothing_it_should_not(kg: KnowledgeGraph) -> None:
    md = render_markdown([explain(kg, "fact-az-14")])
    assert "**kgid:fact-az-14**" in md
    assert "⚠ CONFLICTS with kgid:route-seed-azure-china-gpt" in md  # status stays reported


def test_bundled_graph_explain_seed_route(bundled_ox: KnowledgeGraph) -> None:
    ex = explain(bundled_ox, "route-seed-azure-china-gpt")
    assert ex.focus.sources
    deps = section(ex, "depends on (partnerships)")
    assert deps, "the seed route depends on partnerships"
    assert all(d.startswith("partnership-") for d in deps)


def test_explain_query_row_with_labels(kg: KnowledgeGraph) -> None:
    """A query that shows labels (like the seed table) is explained through the labels."""
    q = ("PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> "
         "PREFIX ckg: <https://w3id.org/channelkg/ontology#> "
         "SELECT ?name ?n WHERE { ?o a ckg:LocalOperator ; rdfs:label ?name "
         "FILTER(lang(?name) = 'en') BIND(1 AS ?n) }")
    exs = explain_row(kg, q, 1)
    assert [str(e.focus.node) for e in exs] == [KGID + "21vianet"]
