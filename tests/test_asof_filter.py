"""--as-of as a query rewrite (graph/asof_filter.py): the rewritten query on the backend
gives the rows the copying view gives, and what cannot be rewritten safely is not."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from channelkg.cli import cli
from channelkg.graph.asof import AsOfView
from channelkg.graph.asof_filter import DATES, EXISTS, STANDARD, Form
from channelkg.graph.base import KnowledgeGraph, QueryResult
from channelkg.graph.memory import load
from channelkg.graph.open import GraphSpec, open_graph
from channelkg.sparql.binding import DEFAULT_BASE
from channelkg.sparql.query import bind, bind_values, list_queries, run, with_base

ROOT = Path(__file__).parent.parent
DAYS = ("2019-01-01", "2023-03-01", "2024-07-09", "2025-06-15", "2026-07-01")
PARAMS = {"entity": {"entity": "kgid:azure-china"}}


def norm(res: QueryResult) -> list[str]:
    """Rows as sorted text; a GROUP_CONCAT's parts sorted (engines order them freely)."""
    if res.kind != "SELECT":
        return [str(res.boolean)] if res.kind == "ASK" else sorted(
            " ".join(t.n3() for t in triple) for triple in res.graph or ())
    return sorted("|".join("; ".join(sorted(str(c).split("; "))) for c in row)
                  for row in res.rows)


class ExistsView(AsOfView):
    """The as-of view sending the rewrite in the form Virtuoso is sent (on Oxigraph here:
    a standard engine checks that form's rows)."""

    def form(self) -> Form | None:
        return EXISTS


class DatesView(AsOfView):
    """The as-of view sending the rewrite in the dates form (Virtuoso's now), on Oxigraph."""

    def form(self) -> Form | None:
        return DATES


def same_as_copy(kg: KnowledgeGraph, days: tuple[str, ...] = DAYS, *,
                 known: bool = False, kind: type[AsOfView] = AsOfView) -> int:
    """Run every shipped query on each day through the rewrite and through the copy;
    return how many were compared."""
    compared = 0
    queries = [(nq, bind(nq, PARAMS.get(nq.name, {}), kg)) for nq in list_queries()]
    for text in days:
        day = dt.date.fromisoformat(text)
        view, copy = kind(kg, day, known=known), AsOfView(kg, day, known=known, rewrite=False)
        for nq, values in queries:
            sent = with_base(bind_values(nq.text, values), DEFAULT_BASE)  # as run() sends it
            assert view.rewritten(sent) is not None, nq.name
            got = run(view, nq.text, values)
            assert norm(got) == norm(run(copy, nq.text, values)), (nq.name, text)
            compared += 1
    return compared


@pytest.fixture(scope="module")
def curated() -> KnowledgeGraph:
    return load(engine="oxigraph")


def test_every_shipped_query_answers_as_the_copy_in_memory(curated: KnowledgeGraph) -> None:
    assert same_as_copy(curated) == 5 * len(list_queries())


def test_the_known_mode_is_rewritten_too(curated: KnowledgeGraph) -> None:
    assert same_as_copy(curated, ("2024-07-09", "2026-07-01"), known=True)


def test_the_exists_form_answers_as_the_copy(curated: KnowledgeGraph) -> None:
    assert same_as_copy(curated, kind=ExistsView) == 5 * len(list_queries())
    assert same_as_copy(curated, ("2024-07-09", "2026-07-01"), known=True, kind=ExistsView)


def test_the_dates_form_answers_as_the_copy(curated: KnowledgeGraph) -> None:
    assert same_as_copy(curated, kind=DatesView) == 5 * len(list_queries())
    assert same_as_copy(curated, ("2024-07-09", "2026-07-01"), known=True, kind=DatesView)


def test_every_shipped_query_answers_as_the_copy_on_a_disk_store(tmp_path: Path) -> None:
    db = tmp_path / "db"
    files = sorted(str(p) for p in (ROOT / "graphs").glob("*.ttl"))
    res = CliRunner().invoke(cli, ["load", "--into", f"oxigraph:{db}", *files])
    assert res.exit_code == 0, res.output
    kg = open_graph(GraphSpec(store=f"oxigraph:{db}"))
    try:
        assert same_as_copy(kg) == 5 * len(list_queries())
    finally:
        kg.close()


# -- the rewrite on small data ------------------------------------------------------------

DATA = """\
@prefix : <http://x/> .
:old :p :a ; :q "old {" ; <https://w3id.org/channelkg/ontology#validTo> "2020-01-01" .
:new :p :a ; :q "new }" ; <https://w3id.org/channelkg/ontology#validFrom> "2020-01-01" .
:a :p :b . :b :r :c . :old :r :c .
:c :sub :d . :d :sub :e . :z :to :old .
"""
DAY = dt.date(2021, 1, 1)  # :old is hidden, :new visible


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> KnowledgeGraph:
    path = tmp_path_factory.mktemp("asof") / "small.ttl"
    path.write_text(DATA, encoding="utf-8")
    return load([path], ontology=False)


REWRITTEN = [
    "SELECT ?s WHERE { ?s <http://x/p> <http://x/a> }",
    "SELECT ?s ?o WHERE { ?s ?p ?o }",
    "SELECT ?s WHERE { ?s <http://x/q> ?l FILTER(CONTAINS(?l, \"{\")) } # a } in a comment",
    "SELECT ?s WHERE { VALUES ?s { <http://x/old> <http://x/new> } ?s <http://x/p> ?a }",
    "SELECT ?x WHERE { { SELECT ?x WHERE { ?x <http://x/r> ?y } } }",
    "SELECT ?x WHERE { ?x <http://x/p> ?y OPTIONAL { ?x <http://x/q> ?l } }",
    "SELECT ?x ?l WHERE { OPTIONAL { ?x <http://x/r> ?c } ?x <http://x/q> ?l }",
    "SELECT ?x ?c WHERE { ?y <http://x/p> ?a OPTIONAL { ?x <http://x/r> ?c } }",
    "SELECT ?x WHERE { ?x <http://x/p> ?y MINUS { ?x <http://x/r> ?z } }",
    "SELECT ?y WHERE { ?y <http://x/p> ?a MINUS { ?x <http://x/r> ?z } }",
    "SELECT ?x WHERE { ?x <http://x/q> ?l FILTER NOT EXISTS { ?x <http://x/r> ?c } }",
    "SELECT ?x WHERE { { ?x <http://x/p> ?y } UNION { ?y <http://x/r> ?x } }",
    "ASK { <http://x/old> <http://x/p> <http://x/a> }",
    "SELECT ?l WHERE { <http://x/old> <http://x/q> ?l }",
    "CONSTRUCT { ?s <http://x/seen> ?o } WHERE { ?s <http://x/p> ?o }",
    "SELECT ?s ?o WHERE { ?s <http://x/p>/<http://x/p> ?o }",
    "SELECT ?s ?o WHERE { ?s <http://x/p>/<http://x/r> ?o }",  # :old starts, never inside
    "SELECT ?s WHERE { ?s (<http://x/p>|<http://x/r>) <http://x/c> }",
    "SELECT ?s WHERE { ?s <http://x/sub>+ ?o }",
    "SELECT ?s WHERE { ?s <http://x/sub>* <http://x/e> }",
    "PREFIX : <http://x/> SELECT (COUNT(*) AS ?n) WHERE { ?s :p ?o . ?o :p ?z }",
    # Groups joined to one that binds a variable, where the exists form tests it once:
    "SELECT ?x ?y WHERE { ?x <http://x/q> ?l { OPTIONAL { ?x <http://x/r> ?c } "
    "?x <http://x/p> ?y } }",
    "SELECT ?x ?y WHERE { ?x <http://x/p> ?y { OPTIONAL { ?w <http://x/to> ?x } "
    "?x <http://x/p> ?y } }",  # the OPTIONAL's only match is hidden: it must match none
    "SELECT ?x (COUNT(?o) AS ?n) WHERE { ?x <http://x/p> ?y "
    "{ SELECT ?x ?o WHERE { ?x <http://x/r> ?o } } } GROUP BY ?x",
    "SELECT (COUNT(?o) AS ?n) WHERE { ?x <http://x/p> ?y { SELECT (COUNT(?z) AS ?o) "
    "WHERE { ?z <http://x/r> <http://x/c> } } }",
    "SELECT ?x ?n WHERE { ?z <http://x/r> ?c . ?x <http://x/p> ?y { SELECT ?x "
    "(COUNT(?z) AS ?n) WHERE { ?z <http://x/p> ?x } GROUP BY ?x } }",  # another ?z inside
    "SELECT ?x WHERE { ?x <http://x/q> ?l FILTER EXISTS { ?x <http://x/r> ?c } }",
    "SELECT ?x WHERE { ?z ?p ?x FILTER NOT EXISTS { ?x <http://x/p> ?y . ?w ?q ?x } }",
    "SELECT ?a ?b WHERE { ?a <http://x/p> ?b { ?a <http://x/r> ?c } UNION "
    "{ ?b <http://x/r> ?c } }",
    "SELECT ?a ?c WHERE { ?a <http://x/p> ?b OPTIONAL { ?b <http://x/r> ?c "
    "{ ?c ?p ?d } UNION { ?e ?p ?b } } }",
    "SELECT ?a WHERE { ?a <http://x/p> ?b MINUS { ?a <http://x/r> ?c { ?d ?p ?c } } }",
]


@pytest.mark.parametrize("kind", [AsOfView, ExistsView, DatesView])
@pytest.mark.parametrize("text", REWRITTEN)
def test_rewritten_queries_answer_as_the_copy(small: KnowledgeGraph, text: str,
                                              kind: type[AsOfView]) -> None:
    view = kind(small, DAY)
    assert view.hidden and view.rewritten(text) is not None
    assert norm(view.run(text)) == norm(AsOfView(small, DAY, rewrite=False).run(text))


def test_the_exists_form_tests_a_variable_once_where_inner_groups_join() -> None:
    from rdflib import URIRef

    from channelkg.graph.asof_filter import rewrite

    old = URIRef("http://x/old")
    touching = {(URIRef(f"http://x/{p}"), r): {old} for p in "pqr" for r in "so"}

    def tests(text: str, form: Form) -> list[str]:
        out = rewrite(text, {old}, lambda: touching, form) or ""
        return sorted(v for v in "xyz"
                      for _ in range(out.count(f"= ?{v})") + out.count(f"?{v} NOT IN")))

    joined = "SELECT * WHERE { ?x <http://x/p> ?y { ?x <http://x/r> ?z } }"
    assert tests(joined, STANDARD) == ["x", "x", "y", "z"]
    assert tests(joined, EXISTS) == ["x", "y", "z"]
    # An OPTIONAL is tested for what it binds itself, a sub-select for all it binds.
    optional = "SELECT * WHERE { ?x <http://x/p> ?y { OPTIONAL { ?x <http://x/r> ?z } } }"
    assert tests(optional, EXISTS) == ["x", "x", "y", "z"]
    sub = "SELECT * WHERE { ?x <http://x/p> ?y { SELECT ?x WHERE { ?x <http://x/r> ?z } } }"
    assert tests(sub, EXISTS) == ["x", "x", "y", "z"]


NOT_REWRITTEN = [
    "SELECT ?s WHERE { GRAPH ?g { ?s ?p ?o } }",
    "SELECT ?s FROM <http://x/g> WHERE { ?s ?p ?o }",
    "DESCRIBE <http://x/new>",
    "SELECT ?o WHERE { [] <http://x/p> ?o }",
    "SELECT ?o WHERE { _:b <http://x/p> ?o }",
    "SELECT ?s ?o WHERE { ?s <http://x/sub>* ?o }",  # zero steps: every node
    "SELECT ?s ?o WHERE { ?s <http://x/to>/<http://x/r> ?o }",  # through :old
    "SELECT ?s WHERE { ?s <http://x/p> ?o SERVICE <http://x/s> { ?o ?p ?z } }",
    "SELECT ?s WHERE { ?s <http://x/\\u0070> ?o }",
    "SELECT ?s WHERE { ?s <http://x/p> ?o",  # does not parse
]


@pytest.mark.parametrize("text", NOT_REWRITTEN)
def test_what_is_not_rewritten_falls_back_to_the_copy(small: KnowledgeGraph,
                                                      text: str) -> None:
    assert AsOfView(small, DAY).rewritten(text) is None


def test_hidden_nodes_listed_past_the_inline_limit_use_minus(
        small: KnowledgeGraph, monkeypatch: pytest.MonkeyPatch) -> None:
    from channelkg.graph import asof_filter

    text = "SELECT ?s ?o WHERE { ?s <http://x/p> ?o }"
    view = AsOfView(small, DAY)
    assert "NOT IN" in (view.rewritten(text) or "")
    monkeypatch.setattr(asof_filter, "INLINE", 0)
    rewritten = view.rewritten(text) or ""
    assert "MINUS" in rewritten and "NOT IN" not in rewritten
    assert norm(view.run(text)) == norm(AsOfView(small, DAY, rewrite=False).run(text))


def test_a_hidden_iri_in_the_query_empties_its_group(small: KnowledgeGraph) -> None:
    text = "SELECT ?o WHERE { <http://x/old> <http://x/p> ?o }"
    assert "FILTER(false)" in (AsOfView(small, DAY).rewritten(text) or "")
    assert AsOfView(small, DAY).run(text).rows == ()
    assert AsOfView(small, dt.date(2019, 1, 1)).run(text).rows != ()


# -- the W3C SPARQL evaluation selection, with dated facts added --------------------------


def _w3c_view_pair(case: Any, kind: type[AsOfView] = AsOfView) -> tuple[AsOfView, AsOfView]:
    """The case's data with every other IRI subject dated out of view on :data:`DAY`."""
    import pyoxigraph as ox

    from channelkg.graph.memory import OxigraphGraph
    from test_w3c_sparql import RDF

    store = ox.Store()
    for d in case.data:
        store.load(path=str(d), format=RDF.get(d.suffix, ox.RdfFormat.TURTLE),
                   base_iri=d.as_uri())
    subjects = sorted({q.subject.value for q in store if isinstance(q.subject, ox.NamedNode)})
    until = ox.NamedNode("https://w3id.org/channelkg/ontology#validTo")
    store.extend(ox.Quad(ox.NamedNode(s), until, ox.Literal("2000-01-01"))
                 for s in subjects[::2])
    kg = OxigraphGraph(store)
    return kind(kg, DAY), AsOfView(kg, DAY, rewrite=False)


def _anonymous(res: QueryResult) -> list[str]:
    """:func:`norm` with blank nodes as ``_`` (each store names its own)."""
    import re

    return sorted(re.sub(r"\b[Nn]?[0-9a-f]{16,}\b|_:\S+", "_", row) for row in norm(res))


@pytest.mark.parametrize("form", [STANDARD, EXISTS, DATES])
def test_the_w3c_evaluation_selection_answers_as_the_copy(form: Form) -> None:
    from channelkg.errors import QueryError
    from channelkg.sparql.query import with_base
    from test_w3c_sparql import EVALUATION

    rewritten = 0
    for case in EVALUATION:
        view, copy = _w3c_view_pair(case, {STANDARD: AsOfView, EXISTS: ExistsView,
                                           DATES: DatesView}[form])
        text = with_base(case.action.read_text(encoding="utf-8"), case.action.as_uri())
        if not view.hidden or view.rewritten(text) is None:
            continue
        try:
            want = _anonymous(copy.run(text))
        except QueryError:  # the engine refuses the query itself
            continue
        assert _anonymous(view.run(text)) == want, case.name
        rewritten += 1
    assert rewritten >= 80, rewritten


def test_past_256_intervals_a_store_gets_the_rewrite(tmp_path: Path) -> None:
    from channelkg.graph.asof import MAX_GRAPHS, OxigraphAsOfView, view

    start = dt.date(2020, 1, 1)
    lines = ["@prefix ckg: <https://w3id.org/channelkg/ontology#> ."]
    lines += [f'<http://x/f{k}> <http://x/p> <http://x/m> ; '
              f'ckg:validFrom "{start + dt.timedelta(days=k)}" .' for k in range(300)]
    path = tmp_path / "many.ttl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    kg = load([path], ontology=False)
    day = start + dt.timedelta(days=99)
    asof = view(kg, day)
    assert MAX_GRAPHS < 300 and not isinstance(asof, OxigraphAsOfView)
    assert isinstance(asof, AsOfView)
    text = "SELECT ?f WHERE { ?f <http://x/p> <http://x/m> }"
    assert asof.rewritten(text) is not None
    assert len(asof.run(text).rows) == 100
    assert norm(asof.run(text)) == norm(AsOfView(kg, day, rewrite=False).run(text))


def test_a_keyed_store_view_never_copies(curated: KnowledgeGraph) -> None:
    from channelkg.graph.asof import OxigraphAsOfView, view

    day = dt.date(2024, 7, 9)
    asof = view(curated, day)
    assert isinstance(asof, OxigraphAsOfView)
    describe = "DESCRIBE <https://w3id.org/channelkg/id/route-seed-azure-china-gpt>"
    assert asof.rewritten(describe) is None  # runs on the visible keyed graphs instead
    for text in (describe, "SELECT ?s WHERE { ?s ?p ?o }"):
        got = asof.run(text)
        assert norm(got) == norm(AsOfView(curated, day, rewrite=False).run(text))
    assert asof._local is None


IRREGULAR = """\
@prefix ckg: <https://w3id.org/channelkg/ontology#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix : <http://x/> .
:month ckg:validFrom "2024-06-01"^^xsd:date ; ckg:validTo "2024-09-01" ;
    ckg:datePrecision "month" ; :p :a .
:year ckg:statedOn "2024-01-01"^^xsd:date ; ckg:datePrecision "year" ; :p :a .
:twice ckg:validFrom "2024-03-01", "2024-08-01" ; :p :a .
:badfrom ckg:validFrom "2024-13-01" ; ckg:statedOn "2024-05-01" ; :p :a .
:shortfrom ckg:validFrom "2024-6-1" ; :p :a .
:bnodeto ckg:validTo [ :p :a ] ; ckg:validFrom "2024-02-01" ; :p :a .
:iri ckg:validTo :somewhen ; :p :a .
:stated ckg:statedOn "2024-04-10"^^xsd:date ; :p :a .
:fromstated ckg:validFrom "2024-02-01" ; ckg:statedOn "2024-07-01" ; :p :a .
:to ckg:validTo "2024-07-01"^^xsd:date ; :p :a .
:odd ckg:validFrom "2024-05-01" ; ckg:datePrecision "fortnight" ; :p :a .
:a :r :month, :year, :twice, :badfrom, :shortfrom, :bnodeto, :iri, :stated, :fromstated,
    :to, :odd .
"""


def test_the_dates_form_lists_what_the_dates_alone_do_not_decide(tmp_path: Path) -> None:
    """Dates at a precision, two values of one date, dates that are not dates: the dates
    form gives the copy's rows on every day around them, in both modes, with the nodes
    its date test gets wrong sent as lists."""
    path = tmp_path / "irregular.ttl"
    path.write_text(IRREGULAR, encoding="utf-8")
    kg = load([path], ontology=False)
    texts = ["SELECT ?s ?p ?o WHERE { ?s ?p ?o }",
             "SELECT ?x WHERE { <http://x/a> <http://x/r> ?x }",
             "SELECT ?x ?y WHERE { ?x <http://x/p> ?y OPTIONAL { ?y <http://x/r> ?x } }"]
    listed = 0
    start = dt.date(2023, 12, 28)
    for k in range(0, 400, 3):
        day = start + dt.timedelta(days=k)
        for known in (False, True):
            view = DatesView(kg, day, known=known)
            copy = AsOfView(kg, day, known=known, rewrite=False)
            listed = max(listed, view.date_test.listed)
            for text in texts:
                assert view.rewritten(text) is not None
                assert norm(view.run(text)) == norm(copy.run(text)), (text, day, known)
    assert listed >= 3, listed


def test_the_date_test_alone_is_the_rule_on_plain_dates(curated: KnowledgeGraph) -> None:
    """The bare date test run by Oxigraph on the curated graph hides exactly the rule's
    hidden facts on the five test days (nothing is listed), and on 2026-06-17, within
    the month of two facts dated at month precision, it gets only such facts wrong,
    and those are what is listed."""
    ckg = "https://w3id.org/channelkg/ontology#"

    def engine_tested(day: str) -> set[Any]:
        text = (f'SELECT DISTINCT ?v WHERE {{ {{ ?v <{ckg}validFrom> ?f '
                f'FILTER(STR(?f) > "{day}") }} UNION {{ ?v <{ckg}validTo> ?f '
                f'FILTER(STR(?f) <= "{day}") }} UNION {{ ?v <{ckg}statedOn> ?f '
                f'FILTER(STR(?f) > "{day}") FILTER NOT EXISTS {{ ?v <{ckg}validFrom> ?g }} }} }}')
        return {row[0] for row in curated.run(text).rows}

    coarse = {row[0] for row in curated.run(
        f'SELECT ?v WHERE {{ ?v <{ckg}datePrecision> ?p FILTER(STR(?p) != "day") }}').rows}
    for text in DAYS:
        view = AsOfView(curated, dt.date.fromisoformat(text))
        assert view.hidden, text  # not an empty set compared with an empty one
        assert engine_tested(text) == view.hidden, text
        assert view.date_test.listed == 0, text
    view = AsOfView(curated, dt.date(2026, 6, 17))
    wrong = engine_tested("2026-06-17") ^ view.hidden
    test = view.date_test
    assert wrong and wrong <= coarse, wrong
    assert test.missed | test.excepted == wrong
    assert test.missed <= view.hidden and not test.excepted & view.hidden


def test_a_date_with_a_timezone_is_listed_whatever_its_text_compares_to() -> None:
    """The date test compares the text of each date as the server's ``STR()`` gives it;
    a date that is not exactly ``YYYY-MM-DD`` (a timezone, a time) is sent by list on its
    own day, hidden or not, so the server's text for it does not decide."""
    from rdflib import Literal, URIRef
    from rdflib.namespace import XSD

    from channelkg.graph.asof_dates import DateTest
    from channelkg.graph.validity import fact_dates, hidden_nodes
    from channelkg.rdf.namespaces import CKG

    def node(name: str) -> URIRef:
        return URIRef(f"http://x/{name}")

    def date(text: str, kind: URIRef = XSD.date) -> Literal:
        return Literal(text, datatype=kind, normalize=False)

    triples = [(node("tzfrom"), CKG.validFrom, date("2024-05-01Z")),
               (node("tzto"), CKG.validTo, date("2024-05-01+02:00")),
               (node("dtto"), CKG.validTo, date("2024-05-01T00:00:00", XSD.dateTime)),
               (node("from"), CKG.validFrom, date("2024-05-01")),
               (node("to"), CKG.validTo, date("2024-05-01")),
               (node("later"), CKG.validFrom, date("2024-05-02"))]
    day = dt.date(2024, 5, 1)
    hidden = hidden_nodes(fact_dates(triples), day)
    assert hidden == {node("to"), node("later")}
    test = DateTest.of(triples, hidden, day.isoformat())
    odd = {node("tzfrom"), node("tzto"), node("dtto")}
    assert test.excepted == odd and not test.missed  # visible by the rule, never hidden


def test_a_servers_typed_literal_keeps_its_lexical_form() -> None:
    """A value read from a server is the text the server gives (what its ``STR()`` and
    the date rule compare), not one re-lexed from its value."""
    from rdflib.namespace import XSD

    from channelkg.graph.sparqlclient import json_term

    for text, kind in (("2024-05-01Z", XSD.date), ("2024-05-01+02:00", XSD.date),
                       ("01", XSD.integer)):
        assert str(json_term({"type": "literal", "datatype": str(kind), "value": text})) == text
