"""As-of views, diff and timeline."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from channelkg.analysis.history import Dates, as_of, diff, parse_date, timeline
from channelkg.cli import cli
from channelkg.errors import InputError
from channelkg.graph.memory import KnowledgeGraph, load
from channelkg.sparql.query import query

DATA = Path(__file__).parent / "data"
FIXTURE = DATA / "openai-cn.ttl"
KGID = "https://w3id.org/channelkg/id/"

# What does the graph say about OpenAI's models in mainland China?
OPENAI_IN_CN = """
PREFIX ckg: <https://w3id.org/channelkg/ontology#>
PREFIX kgid: <https://w3id.org/channelkg/id/>
SELECT ?fact WHERE {
  { ?fact a ckg:AccessRoute ; ckg:market kgid:mainland-china ; ckg:model ?m .
    ?m ckg:developer kgid:openai }
  UNION
  { ?fact a ckg:Restriction ; ckg:imposedBy kgid:openai ; ckg:market kgid:mainland-china }
} ORDER BY ?fact
"""


def facts(kg: KnowledgeGraph, text: str = OPENAI_IN_CN) -> set[str]:
    return {str(r[0]).removeprefix(KGID) for r in query(kg, text).rows}


@pytest.fixture(scope="module", params=["oxigraph", "rdflib"])
def fixture_kg(request: pytest.FixtureRequest) -> KnowledgeGraph:
    return load([FIXTURE], engine=request.param)


def test_openai_in_china_differs_by_date(fixture_kg: KnowledgeGraph) -> None:
    assert facts(fixture_kg) == {"fact-oai-1", "route-openai-api-cn", "route-seed-azure-china-gpt"}
    early = facts(as_of(fixture_kg, "2024-01-01"))
    late = facts(as_of(fixture_kg, "2026-07-01"))
    assert early == set()
    assert late == {"fact-oai-1", "route-openai-api-cn", "route-seed-azure-china-gpt"}
    # Between the block and the seed report: the block, not yet the Azure route.
    assert facts(as_of(fixture_kg, "2024-07-09")) == {"fact-oai-1", "route-openai-api-cn"}
    assert facts(as_of(fixture_kg, "2024-07-08")) == set()
    assert facts(as_of(fixture_kg, "2026-06-17")) == {"fact-oai-1", "route-openai-api-cn"}


def test_as_of_keeps_engine_and_never_mutates(fixture_kg: KnowledgeGraph) -> None:
    before = sorted(map(str, fixture_kg.triples()))
    view = as_of(fixture_kg, "2024-01-01")
    assert view.engine == fixture_kg.engine
    assert view is not fixture_kg
    assert len(view) < len(fixture_kg)
    assert sorted(map(str, fixture_kg.triples())) == before
    assert view.as_of == dt.date(2024, 1, 1)


def test_hiding_a_fact_removes_its_triples_and_links_to_it(fixture_kg: KnowledgeGraph) -> None:
    view = as_of(fixture_kg, "2025-01-01")
    subj = f"<{KGID}route-seed-azure-china-gpt>"
    assert not query(view, f"ASK {{ {subj} ?p ?o }}").boolean
    assert not query(view, f"ASK {{ ?s ?p {subj} }}").boolean
    # The conflicting AZ-14 report (stated 2026-06-18) is gone too, with its link.
    assert not query(view, f"ASK {{ ?s ?p <{KGID}fact-az-14> }}").boolean
    # Timeless things stay: entities, sources, and the 2014 partnership.
    for node in ("microsoft", "source-seed-2026", "partnership-microsoft-21vianet"):
        assert query(view, f"ASK {{ <{KGID}{node}> ?p ?o }}").boolean, node
    # The superseded claim is still visible, but its superseding claim is not yet:
    # the supersededBy link disappears with it.
    view23 = as_of(fixture_kg, "2023-06-01")
    assert query(view23, f"ASK {{ <{KGID}fact-oai-8> ?p ?o }}").boolean
    assert not query(view23, f"ASK {{ <{KGID}fact-oai-8> ?p <{KGID}fact-oai-1> }}").boolean


def test_visibility_rule() -> None:
    d = parse_date
    stated_only = Dates(stated_on=d("2026-06-18"))
    assert not stated_only.visible(d("2026-06-17"))
    assert stated_only.visible(d("2026-06-18"))
    interval = Dates(valid_from=d("2024-01-01"), valid_to=d("2025-01-01"))
    assert not interval.visible(d("2023-12-31"))
    assert interval.visible(d("2024-01-01"))
    assert interval.visible(d("2024-12-31"))
    assert not interval.visible(d("2025-01-01"))  # validTo is exclusive
    # A later report of an earlier start: shown from the start date ...
    retro = Dates(stated_on=d("2026-06-18"), valid_from=d("2023-01-01"))
    assert retro.visible(d("2024-01-01"))
    # ... unless we ask what had been said by then.
    assert not retro.visible(d("2024-01-01"), known=True)
    assert Dates().visible(d("1999-01-01"))  # undated: timeless


def test_known_mode_hides_claims_stated_later(fixture_kg: KnowledgeGraph) -> None:
    # The 21Vianet partnership is valid from 2014 but only stated (in this fixture's
    # source) in 2026: shown in the world view, hidden in the "known by then" view.
    node = f"<{KGID}partnership-microsoft-21vianet>"
    assert query(as_of(fixture_kg, "2020-01-01"), f"ASK {{ {node} ?p ?o }}").boolean
    kg = load([FIXTURE])
    assert query(as_of(kg, "2020-01-01", known=False), f"ASK {{ {node} ?p ?o }}").boolean
    oai1 = f"<{KGID}fact-oai-1>"
    assert query(as_of(kg, "2024-07-10", known=True), f"ASK {{ {oai1} ?p ?o }}").boolean
    assert not query(as_of(kg, "2024-06-24", known=True), f"ASK {{ {oai1} ?p ?o }}").boolean


@pytest.mark.parametrize("bad", ["2024-13-01", "2024-02-30", "01/07/2024", "yesterday", "2024-7-1"])
def test_bad_date_is_a_clear_error(bad: str, runner: CliRunner) -> None:
    with pytest.raises(InputError, match="use YYYY-MM-DD"):
        as_of(load([FIXTURE]), bad)
    res = runner.invoke(cli, ["query", "SELECT * WHERE { ?s ?p ?o } LIMIT 1", "-d", str(FIXTURE),
                              "--as-of", bad])
    assert res.exit_code == 2
    assert f"bad date --as-of '{bad}'" in res.output


def test_as_of_on_the_command_line(runner: CliRunner) -> None:
    out = {}
    for day in ("2024-01-01", "2026-07-01"):
        res = runner.invoke(cli, ["query", OPENAI_IN_CN, "-d", str(FIXTURE), "--as-of", day,
                                  "--format", "csv"])
        assert res.exit_code == 0, res.output
        out[day] = res.output
    assert "route-seed-azure-china-gpt" not in out["2024-01-01"]
    assert "fact-oai-1" not in out["2024-01-01"]
    assert "route-seed-azure-china-gpt" in out["2026-07-01"]
    assert "fact-oai-1" in out["2026-07-01"]


def test_bundled_graph_openai_in_china_differs_by_date(bundled: KnowledgeGraph) -> None:
    """The acceptance check on the curated graph: the block and the seed route are
    absent on 2024-01-01 and present on 2026-07-01."""
    early = facts(as_of(bundled, "2024-01-01"))
    late = facts(as_of(bundled, "2026-07-01"))
    assert {"fact-oai-1", "route-seed-azure-china-gpt"} <= late
    assert not {"fact-oai-1", "route-seed-azure-china-gpt"} & early
    assert early != late


# -- diff --------------------------------------------------------------------------------


def test_diff_lists_started_ended_and_status_changes(fixture_kg: KnowledgeGraph) -> None:
    changes = {(c.change, str(c.fact).removeprefix(KGID)): c
               for c in diff(fixture_kg, "2024-01-01", "2026-07-01")}
    assert changes[("started", "fact-oai-1")].date == "2024-07-09"
    assert changes[("started", "route-seed-azure-china-gpt")].date == "2026-06-18"
    assert changes[("started", "route-seed-azure-china-gpt")].after == "disputed"
    # The contradicting report keeps its own recorded status.
    assert changes[("started", "fact-az-14")].after == "reported"
    status = changes[("status", "fact-oai-8")]
    assert (status.before, status.after, status.date) == (
        "not yet superseded", "superseded", "2024-07-09")
    # Nothing that was already there in 2024 and unchanged is listed.
    assert not any(f == "partnership-microsoft-21vianet" for _, f in changes)
    assert not diff(fixture_kg, "2024-08-01", "2026-06-01")


def test_diff_sees_facts_that_end(tmp_path: Path) -> None:
    extra = tmp_path / "ended.ttl"
    extra.write_text(
        "@prefix ckg: <https://w3id.org/channelkg/ontology#> .\n"
        "@prefix kgid: <https://w3id.org/channelkg/id/> .\n"
        "@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n"
        "kgid:partnership-microsoft-21vianet ckg:validTo \"2025-01-01\"^^xsd:date .\n",
        encoding="utf-8",
    )
    kg = load([FIXTURE, extra])
    ended = [c for c in diff(kg, "2024-01-01", "2026-07-01") if c.change == "ended"]
    # The partnership's dates are of month precision: the end prints as its month.
    assert [(str(c.fact).removeprefix(KGID), c.date) for c in ended] == [
        ("partnership-microsoft-21vianet", "2025-01")]
    # The route depending on it no longer sees it as of 2026.
    view = as_of(kg, "2026-07-01")
    assert not query(view, f"ASK {{ ?r ?p <{KGID}partnership-microsoft-21vianet> }}").boolean


def test_diff_cli_formats(runner: CliRunner) -> None:
    args = ["diff", "--from", "2024-01-01", "--to", "2026-07-01", "-d", str(FIXTURE)]
    res = runner.invoke(cli, [*args, "--format", "json"])
    assert res.exit_code == 0, res.output
    rows = json.loads(res.output)
    row = next(r for r in rows if r["fact"]["id"] == "kgid:fact-oai-1")
    assert {"change": "started", "date": "2024-07-09", "before": "absent",
            "after": "confirmed"}.items() <= row.items()
    assert "Restriction" in row["fact"]["classes"] and row["fact"]["validFrom"] == "2024-07-09"
    csv_out = runner.invoke(cli, [*args, "--format", "csv"]).output
    assert csv_out.splitlines()[0] == "change,date,fact,class,before,after,statement,sources"
    md = runner.invoke(cli, [*args, "--format", "md"]).output
    assert md.startswith("| change | date | fact |")
    bad = runner.invoke(cli, ["diff", "--from", "2026-07-01", "--to", "2024-01-01", "-d",
                              str(FIXTURE)])
    assert bad.exit_code == 2 and "before --from" in bad.output
    bad = runner.invoke(cli, ["diff", "--from", "2026-7-1", "--to", "2027-01-01"])
    assert bad.exit_code == 2 and "bad date --from '2026-7-1'" in bad.output
    bad = runner.invoke(cli, [*args, "--as-of", "2025-01-01"])
    assert bad.exit_code == 2 and "No such option '--as-of'" in bad.output


# -- timeline ---------------------------------------------------------------------------


def test_timeline_orders_events(fixture_kg: KnowledgeGraph) -> None:
    events = timeline(fixture_kg)
    days = [e.effective for e in events]
    assert days == sorted(days)
    got = {(e.date, e.event, str(e.fact).removeprefix(KGID)) for e in events}
    assert ("2024-06-25", "stated", "fact-oai-1") in got
    assert ("2024-07-09", "started", "fact-oai-1") in got
    # A month-precision date prints at its precision.
    assert ("2014-03", "started", "partnership-microsoft-21vianet") in got
    assert ("2026-06-18", "stated", "route-seed-azure-china-gpt") in got


def test_timeline_filters(fixture_kg: KnowledgeGraph) -> None:
    cn = {str(e.fact).removeprefix(KGID) for e in timeline(fixture_kg, market="CN")}
    assert "fact-oai-1" in cn and "route-seed-azure-china-gpt" in cn
    assert "partnership-microsoft-21vianet" not in cn  # no market on a partnership
    by_21v = {str(e.fact).removeprefix(KGID) for e in timeline(fixture_kg, provider="21vianet")}
    # Directly (party) and through the route's service operator.
    assert by_21v == {"partnership-microsoft-21vianet", "route-seed-azure-china-gpt"}
    window = timeline(fixture_kg, date_from="2024-07-01", date_to="2024-08-01")
    assert {e.date for e in window} == {"2024-07-09"}
    with pytest.raises(InputError, match="unknown market"):
        timeline(fixture_kg, market="nowhere")
    assert {str(e.fact) for e in timeline(fixture_kg, market="cn")} == {
        str(e.fact) for e in timeline(fixture_kg, market="Mainland China")}
    with pytest.raises(InputError, match="--to 2024-07-01 is before --from 2024-08-01"):
        timeline(fixture_kg, date_from="2024-08-01", date_to="2024-07-01")


def test_timeline_cli(runner: CliRunner) -> None:
    res = runner.invoke(cli, ["timeline", "--market", "CN", "-d", str(FIXTURE), "-f", "csv"])
    assert res.exit_code == 0, res.output
    lines = res.output.splitlines()
    assert lines[0] == "date,event,claim,class,status,statement,source"
    assert lines[1].startswith("2023-05-11,stated,kgid:fact-oai-8,Claim,superseded,")
    res = runner.invoke(cli, ["timeline", "--provider", "nobody", "-d", str(FIXTURE)])
    assert res.exit_code == 2 and "unknown organization 'nobody'" in res.output
    # --as-of applies first: events of facts not yet visible are left out.
    res = runner.invoke(cli, ["timeline", "-d", str(FIXTURE), "--as-of", "2024-01-01"])
    assert "fact-oai-1" not in res.output and "fact-oai-8" in res.output


def test_as_of_on_an_engine_without_local_triples() -> None:
    """Engines that only stream triples (e.g. a SPARQL server) get a local filtered copy."""
    src = load([FIXTURE])

    class Streaming(KnowledgeGraph):
        engine = "stream"

        def triples(self, s=None, p=None, o=None):  # type: ignore[no-untyped-def]
            return src.triples(s, p, o)

        def run(self, text, *, max_rows=None):  # type: ignore[no-untyped-def]
            raise AssertionError("the view answers from the triples it streams")

        def __len__(self) -> int:
            return len(src)

    remote = Streaming()
    view = as_of(remote, "2024-01-01")
    assert view.engine == "stream" and view.as_of == dt.date(2024, 1, 1)
    assert facts(view) == set()
    assert facts(as_of(remote, "2026-07-01")) == facts(as_of(src, "2026-07-01"))
