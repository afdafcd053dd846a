"""diff and timeline read facts through the index: the same answers as from a full copy.

The reference below is the earlier way of answering: copy every fact triple into an
rdflib graph (:func:`fact_graph`), describe every dated fact, then filter. The bundled
graph and a generated graph with hubs (benchmarks/synthetic.py).
"""

from __future__ import annotations

import datetime as dt
import importlib.util
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from channelkg.analysis.history import (
    Change,
    Event,
    change_of,
    dated_facts,
    diff,
    fact_graph,
    fact_info,
    involves,
    timeline,
)
from channelkg.graph.memory import KnowledgeGraph, OxigraphGraph, load
from channelkg.graph.validity import effective
from channelkg.model.dates import parse_date
from channelkg.model.resolve import resolve_in
from channelkg.rdf.namespaces import CKG

ROOT = Path(__file__).parent.parent


def _synthetic(path: Path) -> Path:
    spec = importlib.util.spec_from_file_location("synthetic_time",
                                                  ROOT / "benchmarks" / "synthetic.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    mod.write_ntriples(path, 3000)
    return path


@pytest.fixture(scope="module", params=["bundled", "synthetic"])
def graph(request: pytest.FixtureRequest,
          tmp_path_factory: pytest.TempPathFactory) -> tuple[str, KnowledgeGraph]:
    if request.param == "bundled":
        return "bundled", load()
    return "synthetic", load([_synthetic(tmp_path_factory.mktemp("time") / "g.nt")])


_COPIES: dict[int, tuple[KnowledgeGraph, Any]] = {}


def _copy(kg: KnowledgeGraph) -> Any:
    """:func:`fact_graph` of ``kg``, made once per graph (the reference only reads it)."""
    held = _COPIES.get(id(kg))
    if held is None or held[0] is not kg:
        held = _COPIES[id(kg)] = (kg, fact_graph(kg))
    return held[1]


def reference_diff(kg: KnowledgeGraph, a: str, b: str, market: str | None) -> list[Change]:
    d1, d2 = parse_date(a, "--from"), parse_date(b, "--to")
    g = _copy(kg)
    dates = dated_facts(g)
    m = resolve_in(kg, market, "market") if market else None
    vis1 = {n for n, d in dates.items() if d.visible(d1)}
    vis2 = {n for n, d in dates.items() if d.visible(d2)}
    out = [c for n in dates if m is None or (n, CKG.market, m) in g
           if (c := change_of(fact_info(g, n), vis1, vis2, dates, d1, d2)) is not None]
    return sorted(out, key=lambda c: (c.effective or dt.date.max, c.change, str(c.fact)))


def reference_timeline(kg: KnowledgeGraph, market: str | None, provider: str | None,
                       lo: dt.date | None, hi: dt.date | None) -> list[Event]:
    g = _copy(kg)
    m = resolve_in(kg, market, "market") if market else None
    org = resolve_in(kg, provider, "organization") if provider else None
    events = []
    for node, d in dated_facts(g).items():
        if (m is not None and (node, CKG.market, m) not in g) or (
                org is not None and not involves(g, node, org)):
            continue
        info = fact_info(g, node)
        for kind, stored in (("stated", d.stated_on), ("started", d.valid_from),
                             ("ended", d.valid_to)):
            day = effective(stored, d.precision)
            if day is None or (lo and day < lo) or (hi and day >= hi):
                continue
            cls = ([c for c in info.classes if c != "Claim"] or list(info.classes) or [""])[0]
            events.append(Event(d.show(stored), kind, node, cls, info.status, info.statement,
                                "; ".join(info.sources), day))
    order = {"ended": 0, "started": 1, "stated": 2}
    return sorted(events, key=lambda e: (e.effective, order[e.event], str(e.fact)))


MARKETS = {"bundled": ("CN", "HK"), "synthetic": ("CN", "kgid:syn-market-3")}
ORGS = {"bundled": ("openai", "microsoft"), "synthetic": ("kgid:syn-org-1", "kgid:syn-org-3")}


@pytest.mark.parametrize("dates", [("2023-01-01", "2025-01-01"), ("2015-01-01", "2027-06-01"),
                                   ("2024-01-01", "2026-07-01")])
def test_diff_is_that_of_the_full_copy(graph: tuple[str, KnowledgeGraph],
                                       dates: tuple[str, str]) -> None:
    name, kg = graph
    total = 0
    for market in (None, *MARKETS[name]):
        got = diff(kg, *dates, market=market)
        assert got == reference_diff(kg, *dates, market)
        total += len(got)
    assert total > 0


STATUS_FACTS = """
@prefix ckg: <https://w3id.org/channelkg/ontology#> .
@prefix kgid: <https://w3id.org/channelkg/id/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
kgid:t-old a ckg:AccessRoute ; ckg:market kgid:syn-market-0 ; ckg:status ckg:superseded ;
    ckg:validFrom "2020-01-01"^^xsd:date ; ckg:supersededBy kgid:t-new .
kgid:t-new a ckg:AccessRoute ; ckg:market kgid:syn-market-1 ; ckg:status ckg:confirmed ;
    ckg:validFrom "2024-06-01"^^xsd:date ; ckg:datePrecision "month" .
kgid:t-doubt a ckg:Partnership ; ckg:market kgid:syn-market-0 ; ckg:status ckg:disputed ;
    ckg:statedOn "2021-03-01"^^xsd:date .
kgid:t-contra a ckg:Partnership ; ckg:status ckg:reported ; ckg:conflictsWith kgid:t-doubt ;
    ckg:statedOn "2024-02-01"^^xsd:date .
"""


def test_diff_finds_status_changes(tmp_path: Path) -> None:
    """A fact visible on both dates that becomes superseded or disputed is found, with or
    without --market (the superseding or contradicting fact is about another market)."""
    extra = tmp_path / "status.ttl"
    extra.write_text(STATUS_FACTS)
    kg = load([_synthetic(tmp_path / "g.nt"), extra])
    for market in (None, "CN"):
        got = diff(kg, "2022-01-01", "2025-01-01", market=market)
        assert got == reference_diff(kg, "2022-01-01", "2025-01-01", market)
        status = {str(c.fact).rsplit("/", 1)[1]: (c.before, c.after)
                  for c in got if c.change == "status"}
        assert status == {"t-old": ("not yet superseded", "superseded"),
                          "t-doubt": ("not yet disputed", "disputed")}


@pytest.mark.parametrize("window", [(None, None), ("2024-01-01", None),
                                    ("2023-01-01", "2025-06-01")])
def test_timeline_is_that_of_the_full_copy(graph: tuple[str, KnowledgeGraph],
                                           window: tuple[str | None, str | None]) -> None:
    name, kg = graph
    lo, hi = (parse_date(w, "--from") if w else None for w in window)
    (m1, m2), (o1, o2) = MARKETS[name], ORGS[name]
    for market, provider in ((None, None), (m1, None), (m2, None), (None, o1), (None, o2),
                             (m1, o1), (m1, o2)):
        got = timeline(kg, market=market, provider=provider, date_from=window[0],
                       date_to=window[1])
        assert got == reference_timeline(kg, market, provider, lo, hi), (market, provider)
        if market is None and provider is None:
            assert got


EDGE_FACTS = """
@prefix ckg: <https://w3id.org/channelkg/ontology#> .
@prefix kgid: <https://w3id.org/channelkg/id/> .
@prefix prov: <http://www.w3.org/ns/prov#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
[] a ckg:AccessRoute ; ckg:market kgid:syn-market-0 ; ckg:status ckg:confirmed ;
    rdfs:label "a fact without a name"@en ; ckg:validFrom "2024-03-01"^^xsd:date .
kgid:e-two a ckg:Partnership ; ckg:market kgid:syn-market-0 ; ckg:status ckg:reported ;
    ckg:validFrom "2023-05-01"^^xsd:date, "2023-02-01"^^xsd:date ;
    ckg:datePrecision "day", "year" ; rdfs:comment "deux"@fr, "two"@en ;
    prov:wasDerivedFrom kgid:e-src .
kgid:e-src rdfs:label "no title" .
kgid:e-bad a ckg:Partnership ; ckg:market kgid:syn-market-0 ; ckg:status ckg:reported ;
    ckg:validFrom "sometime" ; ckg:validTo "2024-02-30" ; ckg:statedOn "2024-04-01"^^xsd:date .
"""


def test_edge_facts_are_those_of_the_full_copy(tmp_path: Path) -> None:
    """A blank-node fact, two dates and two precisions, ill-formed dates: read from the
    graph's own terms, they give the answers of the rdflib copy."""
    extra = tmp_path / "edge.ttl"
    extra.write_text(EDGE_FACTS)
    kg = load([_synthetic(tmp_path / "g.nt"), extra])
    for market in (None, "CN"):
        got = diff(kg, "2023-01-01", "2025-01-01", market=market)
        assert got == reference_diff(kg, "2023-01-01", "2025-01-01", market)
        events = timeline(kg, market=market)
        assert events == reference_timeline(kg, market, None, None, None)
    names = {str(e.fact).rsplit("/", 1)[-1] for e in events}
    assert {"e-two", "e-bad"} <= names
    assert any(e.statement == "a fact without a name" for e in events)


class _Counting(OxigraphGraph):
    """The loaded store, counting the patterns read from it."""

    def __init__(self, kg: OxigraphGraph) -> None:
        super().__init__(kg.store, kg.files)
        self.by_subject = 0
        self.scans = 0

    def ox_triples(self, s: Any = None, p: Any = None, o: Any = None) -> Iterator[Any]:
        if s is None:
            self.scans += 1
        else:
            self.by_subject += 1
        return super().ox_triples(s, p, o)


def test_diff_reads_each_changed_fact_once(tmp_path: Path) -> None:
    """Dates and links are read with a few whole-graph patterns; then each changed fact and
    each of its sources is read with one pattern, and no other fact is read."""
    plain = load([_synthetic(tmp_path / "g.nt")])
    assert isinstance(plain, OxigraphGraph)
    kg = _Counting(plain)
    got = diff(kg, "2023-01-01", "2025-01-01")
    sources = {s for c in got for s in c.sources.split("; ") if s}
    assert len(got) > 10
    assert kg.scans <= 8
    assert kg.by_subject <= len(got) + len(sources)
    timeline_kg = _Counting(plain)
    events = timeline(timeline_kg, market="CN")
    facts = {e.fact for e in events}
    # The market's facts are found with one pattern; each is read for its dates and its
    # description, each source once.
    assert timeline_kg.scans <= 8
    assert timeline_kg.by_subject <= 5 * len(facts) + len({e.sources for e in events})
