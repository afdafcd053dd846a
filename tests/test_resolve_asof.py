"""Names on an ``--as-of`` view: the view is asked only about the candidates the backend's
scan finds, and the answer (a node, or the error line) is that of the graph of the
visible triples: for names hidden on the day, visible on it, ambiguous on the whole graph
but single on the day, and types, classes or IRIs hidden with a fact.

The view's own dated facts are read from the store's terms, and the predicates touching
them from each one's triples: both are checked against the reading of rdflib triples
and the query they replace.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from rdflib import URIRef

from channelkg.cli import cli
from channelkg.errors import InputError
from channelkg.graph import asof
from channelkg.graph.asof import AsOfView, OxigraphAsOfView, view
from channelkg.graph.asof_filter import roles_touching
from channelkg.graph.base import KnowledgeGraph, QueryResult
from channelkg.graph.memory import load
from channelkg.graph.validity import DATING_PROPS, fact_dates, hidden_nodes
from channelkg.model import resolve as names
from channelkg.model.resolve import NameIndex, resolve_in
from channelkg.sparql.query import run

KGID = "https://w3id.org/channelkg/id/"

GRAPH = """\
@prefix ckg: <https://w3id.org/channelkg/ontology#> .
@prefix kgid: <https://w3id.org/channelkg/id/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .

# "Atlantis" names two markets, one until 2024, one from 2024.
kgid:old-atlantis a ckg:Market ; rdfs:label "Atlantis"@en ; ckg:isoCode "AO" ;
    ckg:validTo "2024-01-01" .
kgid:new-atlantis a ckg:Market ; rdfs:label "Atlantis"@en ; ckg:isoCode "AN" ;
    ckg:validFrom "2024-01-01" .
# A market that only exists from 2025 (its slug, IRI and code hide with it).
kgid:lemuria a ckg:Market ; rdfs:label "Lemuria"@en ; ckg:isoCode "LM" ;
    skos:altLabel "Mu" ; ckg:validFrom "2025-01-01" .
# A market by a class that is itself a dated fact, stated in 2026: before, the class and
# every triple naming it are hidden, so Ghostland is no market then (only a node).
kgid:ghost-market rdfs:subClassOf ckg:Market ; rdfs:label "Ghost market"@en ;
    ckg:statedOn "2026-01-01" .
kgid:ghostland a kgid:ghost-market ; rdfs:label "Ghostland"@en ; ckg:isoCode "GL" .
# Undated: ambiguous on every day.
kgid:twin-a a ckg:Market ; rdfs:label "Twin"@en .
kgid:twin-b a ckg:Market ; rdfs:label "Twin"@en .
# A route with a fact id, open until 2024-06-01.
kgid:route-9 a ckg:AccessRoute ; ckg:factId "RT-9" ; ckg:market kgid:new-atlantis ;
    ckg:validFrom "2023-01-01" ; ckg:validTo "2024-06-01" .
"""

DAYS = (dt.date(2023, 6, 1), dt.date(2024, 3, 1), dt.date(2025, 6, 1), dt.date(2026, 6, 1))
#: (text, kind): names that hide, appear, split or merge across DAYS.
CASES = [("Atlantis", "market"), ("atlantis", "entity"), ("AO", "market"), ("AN", "market"),
         ("Lemuria", "market"), ("lemuria", "market"), ("kgid:lemuria", "market"),
         (KGID + "lemuria", "entity"), ("Mu", "market"), ("LM", "market"),
         ("Ghostland", "market"), ("Ghostland", "entity"), ("GL", "market"),
         ("kgid:ghost-market", "class"), ("Ghost market", "entity"), ("Twin", "market"),
         ("RT-9", "route"), ("RT-9", "market"), ("kgid:route-9", "entity"),
         ("Atlantiss", "market"), ("nowhere", "market")]


@pytest.fixture(scope="module")
def graph_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("names") / "names.ttl"
    path.write_text(GRAPH, encoding="utf-8")
    return path


def outcome(kg: KnowledgeGraph, text: str, kind: str) -> str:
    """The node a name resolves to, or the error line."""
    try:
        return str(resolve_in(kg, text, kind))
    except InputError as err:
        return f"error: {err}"


def visible_copy(files: list[Path], day: dt.date, known: bool = False) -> KnowledgeGraph:
    """A plain Oxigraph graph of the triples visible on ``day`` (not a view: names are
    read in it as in any graph), the hidden facts read from rdflib's terms."""
    return AsOfView(load(files, engine="rdflib"), day, known=known,
                    rewrite=False)._materialised()


class Recording(OxigraphAsOfView):
    """The keyed store's view, keeping the text of every query it is asked."""

    def __init__(self, base: KnowledgeGraph, day: dt.date) -> None:
        super().__init__(base, day)
        self.asked: list[str] = []

    def run(self, text: str, *, max_rows: int | None = None) -> QueryResult:
        self.asked.append(text)
        return super().run(text, max_rows=max_rows)


def views(kg: KnowledgeGraph, day: dt.date, known: bool) -> dict[str, KnowledgeGraph]:
    """Every kind of view of an Oxigraph store on ``day``. In the known mode the view
    the backend picks is the rewriting one (its intervals are not the keyed ones): it is
    checked to be that kind, and the names are then read once through it."""
    out = {"view": view(kg, day, known=known), "rewritten": AsOfView(kg, day, known=known),
           "copied": AsOfView(kg, day, known=known, rewrite=False)}
    assert isinstance(out["view"], OxigraphAsOfView) != known
    if known:
        picked = out.pop("view")
        assert type(picked) is AsOfView and picked.rewrite and picked.known
    return out


@pytest.fixture(scope="module")
def expected(graph_file: Path) -> dict[tuple[dt.date, bool], dict[tuple[str, str], str]]:
    """The outcome of each of CASES on each of DAYS, in each mode, on the graph of the
    visible triples (:func:`visible_copy`), worked out once for the tests below."""
    out = {}
    for day in DAYS:
        for known in (False, True):
            ref = visible_copy([graph_file], day, known)
            out[day, known] = {case: outcome(ref, *case) for case in CASES}
    return out


def test_the_expected_nodes_on_each_day(graph_file: Path) -> None:
    kg = load([graph_file])
    want = {
        DAYS[0]: {"Atlantis": "old-atlantis", "AO": "old-atlantis", "Lemuria": None,
                  "RT-9": "route-9", "Ghostland": None},
        DAYS[1]: {"Atlantis": "new-atlantis", "AO": None, "Lemuria": None,
                  "RT-9": "route-9", "Ghostland": None},
        DAYS[2]: {"Atlantis": "new-atlantis", "Lemuria": "lemuria", "Mu": "lemuria",
                  "RT-9": None, "Ghostland": None},
        DAYS[3]: {"Atlantis": "new-atlantis", "Ghostland": "ghostland", "GL": "ghostland"},
    }
    kinds = {"RT-9": "route"}
    for day, expected in want.items():
        on = kg.visible_on(day)
        for text, node in expected.items():
            got = outcome(on, text, kinds.get(text, "market"))
            if node is None:
                assert got.startswith("error: unknown "), (day, text, got)
            else:
                assert got == KGID + node, (day, text)
    # On the whole graph "Atlantis" is ambiguous; Ghostland is a market only by a class
    # hidden before 2026, so before then it is a node but no market.
    assert outcome(kg, "Atlantis", "market").startswith("error: market 'Atlantis' is ambiguous")
    before = kg.visible_on(DAYS[2])
    assert outcome(before, "Ghostland", "entity") == KGID + "ghostland"
    assert outcome(before, "Ghostland", "market").startswith("error: unknown market 'Ghostland'")


@pytest.mark.parametrize("known", [False, True])
def test_every_view_resolves_as_the_visible_graph_does(
        graph_file: Path, known: bool, expected: dict[Any, dict[tuple[str, str], str]]) -> None:
    """Each name, on each day, on each kind of view: the node or the error line of the
    graph of the visible triples; and the partial index is the one the whole name query
    gives on the view."""
    kg = load([graph_file])
    for day in DAYS:
        want = expected[day, known]
        for name, on in views(kg, day, known).items():
            for text, kind in CASES:
                assert outcome(on, text, kind) == want[text, kind], (day, name, text, kind)
                whole = NameIndex.from_triples(run(on, names._near_query(text),
                                                   native=True).rows)
                assert same_index(NameIndex.near(on, text), whole), (day, name, text)


def test_the_rdflib_engine_and_a_store_past_the_keyed_limit(
        graph_file: Path, monkeypatch: pytest.MonkeyPatch,
        expected: dict[Any, dict[tuple[str, str], str]]) -> None:
    """On a store past the keyed limit, each name on each day resolves as on the graph of
    the visible triples. On the rdflib engine (whose SPARQL runs in Python: with its
    queries prepared once, still about 0.1 s a name here against under 0.01 s on the
    store, most of this test's time), each name is checked on the first day and then on
    each day its answer differs from the day before (54 of the 84 pairs: every name
    hidden, shown, split or merged, and every change of the close matches an error line
    lists); a name whose answer stays as it was is not asked again."""
    rdf = load([graph_file], engine="rdflib")
    ox = load([graph_file])
    monkeypatch.setattr(asof, "MAX_GRAPHS", 0)
    before: dict[tuple[str, str], str] = {}
    asked = 0
    for day in DAYS:
        want = expected[day, False]
        on_rdflib, past = rdf.visible_on(day), ox.visible_on(day)
        assert isinstance(on_rdflib, asof.RdflibAsOfView)
        assert not isinstance(past, OxigraphAsOfView) and isinstance(past, AsOfView)
        for text, kind in CASES:
            assert outcome(past, text, kind) == want[text, kind], (day, text)
            if before.get((text, kind)) != want[text, kind]:
                assert outcome(on_rdflib, text, kind) == want[text, kind], (day, text)
                asked += 1
        before = want
    assert asked == 54  # as the docstring says: the data above sets it


def test_the_view_is_asked_about_the_candidates_only(graph_file: Path) -> None:
    """No name of the graph is matched through the view: the scan runs on the backend,
    and the view is asked about the candidates it found, each in its own branch."""
    kg = load([graph_file])
    assert kg.ensure_keyed()
    on = Recording(kg, DAYS[1])
    assert str(resolve_in(on, "Atlantis", "market")) == KGID + "new-atlantis"
    assert on.asked and not any("LCASE" in q for q in on.asked)
    (asked,) = on.asked
    assert "old-atlantis>" in asked and "new-atlantis>" in asked  # both found on the backend
    assert "id/Atlantis>" not in asked  # the IRI the name could be is no node
    # The hidden one's branches are dropped whole by the rewrite; the only node listed is
    # the hidden class, in the places it stands in the data (the object of a type, the
    # subject of a subclass triple).
    rewritten = on.rewritten(asked)
    assert rewritten is not None and rewritten.count("FILTER(false)") == 3  # type, label, code
    lists = re.findall(r"NOT IN \(([^)]*)\)", rewritten)
    assert lists and set(lists) == {f"<{KGID}ghost-market>"} and "MINUS" not in rewritten


def test_many_candidates_ask_the_view_the_whole_query(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Past the limit of candidates asked about one by one, the whole query runs on the
    view, with the same answer."""
    monkeypatch.setattr(names, "_MAX_ABOUT", 8)
    lines = [GRAPH] + [f'kgid:many-{k} a ckg:Market ; rdfs:label "Many"@en ; '
                       f'ckg:validFrom "{2020 + k % 8}-01-01" .' for k in range(6)]
    path = tmp_path / "many.ttl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    kg = load([path])
    assert kg.ensure_keyed()
    on = Recording(kg, dt.date(2026, 6, 1))
    ref = visible_copy([path], dt.date(2026, 6, 1))
    assert outcome(on, "Many", "market") == outcome(ref, "Many", "market")
    assert outcome(on, "Many", "market").startswith("error: market 'Many' is ambiguous")
    assert any("LCASE" in q for q in on.asked)
    assert outcome(on.visible_on(dt.date(2020, 6, 1)), "many", "market") == KGID + "many-0"


def test_a_parameter_of_a_named_query_resolves_on_the_day(graph_file: Path) -> None:
    """``query entity --as-of``: the name is the node visible that day; one hidden that
    day matches nothing (it exists on the whole graph: no error), one nowhere is an error."""
    runner = CliRunner()

    def entity(name: str, day: str) -> Any:
        return runner.invoke(cli, ["query", "entity", "-p", f"entity={name}", "--as-of", day,
                                   "-f", "nt", "-d", str(graph_file)])

    for day, node in (("2023-06-01", "old-atlantis"), ("2024-03-01", "new-atlantis")):
        got = entity("Atlantis", day)
        assert got.exit_code == 0, got.output
        subjects = {line.split(" ", 1)[0] for line in got.output.splitlines() if line}
        assert subjects == {f"<{KGID}{node}>"}, (day, got.output)
    for name in ("AN", "Lemuria", "kgid:lemuria"):
        got = entity(name, "2023-06-01")
        assert got.exit_code == 0 and got.output.strip() == "", (name, got.output)
    got = entity("Nowhere", "2024-03-01")
    assert got.exit_code != 0 and "unknown entity 'Nowhere'" in got.output


def same_index(a: NameIndex, b: NameIndex) -> bool:
    def rows(idx: NameIndex) -> set[tuple[str, str, str]]:
        out = {(s, "type", t) for s, ts in idx.types.items() for t in ts}
        out |= {(s, p, str(o)) for s, ps in idx.names.items() for p, o in ps}
        return out | {(c, "sub", p) for c, ps in idx.tree.parents.items() for p in ps}

    return rows(a) == rows(b) and dict(a.by_name) == dict(b.by_name)


IRREGULAR = """\
@prefix ckg: <https://w3id.org/channelkg/ontology#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix : <http://x/> .
:month ckg:validFrom "2024-06-01"^^xsd:date ; ckg:validTo "2024-09-01" ;
    ckg:datePrecision "month" ; :p :a .
:year ckg:statedOn "2024-01-01"^^xsd:date ; ckg:datePrecision "year", "month" ; :p :a .
:twice ckg:validFrom "2024-03-01", "2024-08-01" ; :p :a .
:badfrom ckg:validFrom "2024-13-01" ; ckg:statedOn "2024-05-01" ; :p :a .
:shortfrom ckg:validFrom "2024-6-1" ; :p :a .
:bnodeto ckg:validTo [ :p :a ] ; ckg:validFrom "2024-02-01" ; :p :a .
:iri ckg:validTo :somewhen ; :p :a .
:typed ckg:validFrom "2024-05-01"^^xsd:string ; ckg:validTo "2024-07-01"@en ; :p :a .
:stated ckg:statedOn "2024-04-10"^^xsd:date ; :q :stated .
:onlyprecision ckg:datePrecision "year" ; :p :a .
[] ckg:validFrom "2024-05-01" ; :p :a .
:a :r :month, :year, :twice, :badfrom, :shortfrom, :bnodeto, :iri, :typed, :stated .
"""


def rdflib_hidden(kg: KnowledgeGraph, day: dt.date, known: bool) -> set[Any]:
    """The rule's hidden facts read from the backend's rdflib triples."""
    dated = [t for p in DATING_PROPS for t in kg.triples(None, p, None)]
    return hidden_nodes(fact_dates(dated), day, known=known)


def test_hidden_facts_read_from_the_store_are_the_rules(
        tmp_path: Path, graph_file: Path) -> None:
    """Dates at a precision, two values, ill-formed, typed otherwise, blank nodes: the
    facts a store's view hides are those read from its rdflib triples, every few days
    of a year and a half, in both modes; and so are the predicates that touch them."""
    path = tmp_path / "irregular.ttl"
    path.write_text(IRREGULAR, encoding="utf-8")
    for files in ([path], [graph_file]):
        kg = load(files, ontology=False)
        start = dt.date(2023, 12, 1)
        for k in range(0, 560, 7):
            day = start + dt.timedelta(days=k)
            for known in (False, True):
                on = view(kg, day, known=known)
                assert isinstance(on, AsOfView)
                want = rdflib_hidden(kg, day, known)
                assert on.hidden == want, (day, known)
                iris = {n for n in want if isinstance(n, URIRef)}  # a query lists no blank node
                assert asof._ox_touching(kg, iris) == roles_touching(kg.run, iris), day


def test_a_candidate_iri_no_query_can_hold_keeps_the_whole_query() -> None:
    """An rdflib graph (or a server) may hold an IRI that SPARQL cannot write, such as one
    with a brace: the view then gets the whole query and the name still resolves."""
    import warnings

    from rdflib import RDF, RDFS, Graph, Literal

    from channelkg.graph.memory import from_rdflib

    ckg = "https://w3id.org/channelkg/ontology#"
    g = Graph()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        odd = URIRef("https://example.org/a{b}")
    g.add((odd, RDF.type, URIRef(ckg + "Market")))
    g.add((odd, RDFS.label, Literal("Zedland", lang="en")))
    gone = URIRef(KGID + "okland")
    g.add((gone, RDF.type, URIRef(ckg + "Market")))
    g.add((gone, RDFS.label, Literal("Zedland", lang="de")))
    g.add((gone, URIRef(ckg + "validTo"), Literal(dt.date(2020, 1, 1))))
    on = view(from_rdflib(g, engine="rdflib"), dt.date(2024, 1, 1))
    assert str(resolve_in(on, "Zedland", "market")) == "https://example.org/a{b}"
