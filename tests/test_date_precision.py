"""Month- and year-precision dates: they take effect on the first day after their
period, in --as-of (every backend), diff, timeline, routes --on and explain, on both
sides of the month (and of the year)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from click.testing import CliRunner

from channelkg.analysis.history import as_of, diff, timeline
from channelkg.cli import cli
from channelkg.graph.memory import load
from channelkg.graph.validity import Dates, effective, shown

PREFIXES = """@prefix ckg: <https://w3id.org/channelkg/ontology#> .
@prefix kgid: <https://w3id.org/channelkg/id/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
"""
# A: reported "in June 2024" (month precision, stored as 2024-06-01).
# B: a day-precise statement of 2024-06-25.
# C: holds from "2023" (year precision) until "March 2025" (month precision).
DATA = PREFIXES + """
kgid:fact-a a ckg:Claim ; ckg:factId "A-1" ; rdfs:comment "Claim a." ;
    ckg:market kgid:mainland-china ; ckg:status ckg:reported ;
    ckg:statedOn "2024-06-01"^^xsd:date ; ckg:datePrecision "month" .
kgid:fact-b a ckg:Claim ; ckg:factId "B-1" ; rdfs:comment "Claim b." ;
    ckg:market kgid:mainland-china ; ckg:status ckg:confirmed ;
    ckg:statedOn "2024-06-25"^^xsd:date .
kgid:fact-c a ckg:Claim ; ckg:factId "C-1" ; rdfs:comment "Claim c." ;
    ckg:market kgid:mainland-china ; ckg:status ckg:reported ;
    ckg:validFrom "2023-01-01"^^xsd:date ; ckg:validTo "2025-03-01"^^xsd:date ;
    ckg:datePrecision "month" .
kgid:fact-y a ckg:Claim ; ckg:factId "Y-1" ; rdfs:comment "Claim y." ;
    ckg:market kgid:mainland-china ; ckg:status ckg:reported ;
    ckg:validFrom "2023-01-01"^^xsd:date ; ckg:datePrecision "year" .
kgid:mainland-china a ckg:Market ; ckg:isoCode "CN" .
"""
QUERY = ("PREFIX ckg: <https://w3id.org/channelkg/ontology#> "
         "SELECT ?f WHERE { ?f a ckg:Claim } ORDER BY ?f")

# day -> the facts visible on it
EXPECTED = {
    "2024-06-24": {"fact-c", "fact-y"},
    "2024-06-25": {"fact-b", "fact-c", "fact-y"},
    "2024-06-30": {"fact-b", "fact-c", "fact-y"},  # still June: the June report is not yet
    "2024-07-01": {"fact-a", "fact-b", "fact-c", "fact-y"},
    "2023-12-31": {"fact-c"},  # "2023" counts from 2024-01-01
    "2025-03-31": {"fact-a", "fact-b", "fact-c", "fact-y"},  # ends "in March 2025"
    "2025-04-01": {"fact-a", "fact-b", "fact-y"},
}


@pytest.fixture(scope="module")
def data_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("precision") / "dates.ttl"
    path.write_text(DATA, encoding="utf-8")
    return path


def test_effective_dates() -> None:
    june = dt.date(2024, 6, 1)
    assert effective(june, "day") == june
    assert effective(june, "month") == dt.date(2024, 7, 1)
    assert effective(dt.date(2024, 12, 1), "month") == dt.date(2025, 1, 1)
    assert effective(june, "year") == dt.date(2025, 1, 1)
    assert effective(dt.date(9999, 12, 1), "month") == dt.date.max
    assert shown(june, "month") == "2024-06" and shown(june, "year") == "2024"
    d = Dates(stated_on=june, precision="month")
    assert not d.visible(dt.date(2024, 6, 30)) and d.visible(dt.date(2024, 7, 1))
    assert d.interval() == (dt.date(2024, 7, 1), None)


def _names(text: str) -> set[str]:
    return {line.rsplit("/", 1)[-1] for line in text.split()[1:]}


@pytest.mark.parametrize("engine", ["oxigraph", "rdflib", "store"])
def test_as_of_on_both_sides_of_the_period(
        data_file: Path, tmp_path: Path, runner: CliRunner, engine: str) -> None:
    if engine == "store":
        db = tmp_path / "db"
        res = runner.invoke(cli, ["load", "--into", f"oxigraph:{db}", str(data_file)])
        assert res.exit_code == 0, res.output
        opts = ["--store", f"oxigraph:{db}"]
    else:
        opts = ["--data", str(data_file), "--engine", engine]
    for day, want in EXPECTED.items():
        res = runner.invoke(cli, ["query", QUERY, "-f", "csv", *opts, "--as-of", day])
        assert res.exit_code == 0, res.output
        assert _names(res.stdout) == want, day


def test_library_view_matches(data_file: Path) -> None:
    kg = load([data_file])
    for day, want in EXPECTED.items():
        got = {str(r[0]).rsplit("/", 1)[-1] for r in as_of(kg, day).run(QUERY).rows}
        assert got == want, day


def test_timeline_orders_a_month_after_its_days(data_file: Path) -> None:
    events = timeline(load([data_file]))
    order = [(e.date, str(e.fact).rsplit("/", 1)[-1]) for e in events]
    # The June report follows the day-precise 25 June statement, and prints as June.
    assert order.index(("2024-06", "fact-a")) > order.index(("2024-06-25", "fact-b"))
    assert ("2023", "fact-y") in order and ("2025-03", "fact-c") in order
    june = timeline(load([data_file]), date_from="2024-06-01", date_to="2024-07-01")
    assert {str(e.fact).rsplit("/", 1)[-1] for e in june} == {"fact-b"}
    july = timeline(load([data_file]), date_from="2024-07-01", date_to="2024-08-01")
    assert {(e.date, str(e.fact).rsplit("/", 1)[-1]) for e in july} == {("2024-06", "fact-a")}


def test_diff_agrees_with_as_of(data_file: Path) -> None:
    kg = load([data_file])
    days = sorted(EXPECTED)
    for lo, hi in zip(days, days[1:], strict=False):
        changes = {str(c.fact).rsplit("/", 1)[-1]: c for c in diff(kg, lo, hi)}
        started = EXPECTED[hi] - EXPECTED[lo]
        ended = EXPECTED[lo] - EXPECTED[hi]
        assert {f for f, c in changes.items() if c.change == "started"} == started, (lo, hi)
        assert {f for f, c in changes.items() if c.change == "ended"} == ended, (lo, hi)
    june_to_july = {str(c.fact).rsplit("/", 1)[-1]: c.date
                    for c in diff(kg, "2024-06-25", "2024-07-01")}
    assert june_to_july == {"fact-a": "2024-06"}


def test_explain_prints_the_precision(data_file: Path, runner: CliRunner) -> None:
    res = runner.invoke(cli, ["explain", "kgid:fact-c", "--data", str(data_file)])
    assert res.exit_code == 0, res.output
    assert "valid from 2023-01, until 2025-03, month precision" in res.output


def test_routes_on_a_date_within_a_month(runner: CliRunner) -> None:
    """The bundled Hunyuan-Large self-hosted route opens "in November 2024"."""
    def status(day: str) -> str:
        res = runner.invoke(cli, ["routes", "--market", "CN", "--on", day, "-f", "json"])
        assert res.exit_code == 0, res.output
        import json

        rows = json.loads(res.stdout)
        rows = rows if isinstance(rows, list) else rows.get("routes", rows.get("rows", []))
        hit = [r for r in rows if "route-hunyuan-large-self-hosted-cn" in json.dumps(r)]
        assert len(hit) == 1
        return json.dumps(hit[0])

    assert "not in force" in status("2024-11-30")
    assert "not in force" not in status("2024-12-01")


def test_the_timeline_query_orders_by_precision(data_file: Path) -> None:
    from channelkg.sparql.query import query

    res = query(load([data_file]), "timeline")
    order = [(str(r[res.vars.index("claim")]).rsplit("/", 1)[-1],
              str(r[res.vars.index("datePrecision")])) for r in res.rows]
    # fact-y (2023, year) < fact-c (2023-01, month)? Both from 2023-01-01: the month ends first.
    assert order == [("fact-c", "month"), ("fact-y", "year"), ("fact-b", "day"),
                     ("fact-a", "month")]
