"""--as-of on a SPARQL server, never a copy: `push --keyed` to a real Virtuoso on
127.0.0.1, then the same answers as the files on several dates (the requests carry the
visible graphs), by GSP and by UPDATE, and again after a replacing push; and a graph
pushed without --keyed (or a server without the layout: `channelkg serve`) answers every
shipped query with rewritten queries, in the form the server was found to answer
correctly, with the rows of the copying view."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import virtuoso
from channelkg.cli import cli
from channelkg.graph import remote
from channelkg.graph.memory import load
from channelkg.graph.remote_asof import INDEX_PREDICATE, index_graph
from channelkg.resources import default_data_files
from test_virtuoso import norm

pytestmark = pytest.mark.server

GRAPH = "https://w3id.org/channelkg/test/keyed"
GRAPH_UPDATE = "https://w3id.org/channelkg/test/keyed-update"
DAYS = ("2023-06-01", "2024-07-08", "2024-07-09", "2026-06-17", "2026-07-01")
QUERY = ("PREFIX ckg: <https://w3id.org/channelkg/ontology#> "
         "SELECT ?fact ?p ?o WHERE { ?fact ckg:status ?s ; ?p ?o }")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    yield from virtuoso.serving(tmp_path_factory, "virtuoso-keyed")


def _push(server: Any, *args: str) -> None:
    res = CliRunner().invoke(cli, ["push", "--keyed", "--user", virtuoso.USER,
                                   "--password", virtuoso.PASSWORD, "--quiet", *args])
    assert res.exit_code == 0, (res.output, res.exception)


def _same_answers(store: str, files: list[Path]) -> None:
    local = load(files)
    kg = remote.open_store(store, timeout=30)
    assert norm(kg.run(QUERY)) == norm(local.run(QUERY))  # plain: every keyed graph
    for day in DAYS:
        from channelkg.graph.asof import AsOfView
        from channelkg.model.dates import parse_date

        view = kg.visible_on(parse_date(day, "--as-of"))
        assert not isinstance(view, AsOfView), "a copying view was used"
        want = norm(local.visible_on(parse_date(day, "--as-of")).run(QUERY))
        assert norm(view.run(QUERY)) == want, day


def test_keyed_push_by_gsp_answers_as_of_on_the_server(server: Any) -> None:
    files = default_data_files()
    _push(server, "--to", server.gsp, "--graph", GRAPH, *map(str, files))
    _push(server, "--to", server.gsp, "--graph", GRAPH, *map(str, files))  # replaces
    store = f"sparql:{server.sparql}?default-graph-uri={GRAPH}"
    _same_answers(store, files)
    kg = remote.open_store(store)
    index = kg.keyed_index()  # type: ignore[attr-defined]
    assert index and len(index[GRAPH]) > 3  # several validity intervals
    # The index lists the base and each keyed graph once, after the second push too.
    rows = remote.open_store(f"sparql:{server.sparql}").run(
        f"SELECT ?k WHERE {{ GRAPH <{index_graph(GRAPH)}> {{ ?b <{INDEX_PREDICATE}> ?k }} }}")
    keys = [str(r[0]) for r in rows.rows]
    assert len(keys) == len(set(keys)) == len(index[GRAPH]) + 1


def test_keyed_push_by_update_and_the_cli(server: Any, tmp_path: Path) -> None:
    fixture = Path(__file__).parent / "data" / "openai-cn.ttl"
    for _ in range(2):
        _push(server, "--method", "update", "--to", server.update, "--graph", GRAPH_UPDATE,
              "--auth", "digest", "--chunk", "50", str(fixture))
    store = f"sparql:{server.sparql}?default-graph-uri={GRAPH_UPDATE}"
    _same_answers(store, [fixture])
    runner = CliRunner()
    for day in ("2024-07-08", "2026-07-01"):
        got = runner.invoke(cli, ["query", QUERY, "-f", "csv", "--store", store, "--as-of", day])
        want = runner.invoke(cli, ["query", QUERY, "-f", "csv", "--data", str(fixture),
                                   "--as-of", day])
        assert got.exit_code == want.exit_code == 0, got.output
        assert sorted(got.stdout.splitlines()) == sorted(want.stdout.splitlines())


FLAT = GRAPH + "-flat"


def _on_days(k: int, days: int, per_query: int) -> set[int]:
    """The days (indices into a tuple of ``days``) the ``k``-th shipped query is asked on:
    ``per_query`` days in a row from day ``k``, wrapping round. Each query is asked on
    that many days and each day gets about as many queries as any other; with two days
    a query, a fifth of the queries see both sides of each pair of neighbouring days (such
    as the day before a fact starts and its first day)."""
    return {(k + i) % days for i in range(per_query)}


def _shipped_on(view: Any, local: Any, day: int | None = None, days: int = 1,
                per_query: int = 1) -> int:
    """Every shipped query through ``view`` (rewritten) and through ``local`` (the copying
    view of the files): the same rows; return how many were compared. With ``day``, the
    ``day``-th of ``days``: only the queries :func:`_on_days` gives that day.

    The local tests (tests/test_asof_filter.py) compare every shipped query with the copy
    on every one of their days in each form; these tests check that the server answers
    the form it was sent as the copy does, so each query is asked on a few of the days,
    and each day is asked a share of the queries."""
    from channelkg.sparql.binding import DEFAULT_BASE
    from channelkg.sparql.query import bind, bind_values, list_queries, run, with_base
    from test_asof_filter import PARAMS

    compared = 0
    for k, nq in enumerate(list_queries()):
        if day is not None and day not in _on_days(k, days, per_query):
            continue
        values = bind(nq, PARAMS.get(nq.name, {}), local.base)
        sent = with_base(bind_values(nq.text, values), DEFAULT_BASE)  # as run() sends it
        assert view.rewritten(sent) is not None, nq.name
        assert norm(run(view, nq.text, values)) == norm(run(local, nq.text, values)), (
            nq.name, view.as_of)
        compared += 1
    return compared


def _pages_read(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The text of every SELECT sent to a server from now on (the requests still go)."""
    from channelkg.graph.sparqlclient import SparqlClient

    sent: list[str] = []
    select = SparqlClient.select

    def spy(self: SparqlClient, text: str) -> Any:
        sent.append(text)
        return select(self, text)

    monkeypatch.setattr(SparqlClient, "select", spy)
    return sent


@pytest.fixture(scope="module")
def flat(server: Any) -> str:
    """The curated graph pushed without --keyed; its store."""
    res = CliRunner().invoke(cli, ["push", "--to", server.gsp, "--graph", FLAT, "--user",
                                   virtuoso.USER, "--password", virtuoso.PASSWORD, "--quiet"])
    assert res.exit_code == 0, res.output
    return f"sparql:{server.sparql}?default-graph-uri={FLAT}"


def _no_copy(view: Any, sent: list[str]) -> None:
    """The view made no copy: no local store, and no page of every triple was read (the
    dates and the predicates of the hidden facts are read with patterns that name them)."""
    assert view._local is None
    assert not [t for t in sent if "WHERE { ?s ?p ?o }" in t], "the whole graph was read"


def test_a_flat_graph_answers_every_shipped_query_without_a_copy(
        flat: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Virtuoso is sent the dates form on each of the five days (before the data's
    facts change, the day before a fact starts and its first day, a day on which the
    dates alone do not decide, the last): every shipped query, each on two of the days in
    a row (:func:`_on_days`), gives the rows of the copying view of the files, and
    nothing is copied."""
    from channelkg.graph.asof import AsOfView
    from channelkg.graph.asof_filter import DATES, EXISTS
    from channelkg.model.dates import parse_date
    from channelkg.sparql.query import list_queries

    sent = _pages_read(monkeypatch)
    kg = remote.open_store(flat, timeout=60)
    assert kg.asof_form() == EXISTS  # the form Virtuoso was probed to answer
    local = load(engine="oxigraph")
    compared = 0
    for i, text in enumerate(DAYS):
        day = parse_date(text, "--as-of")
        view = kg.visible_on(day)
        assert isinstance(view, AsOfView) and view.form() == DATES  # then sent dates
        asked = _shipped_on(view, AsOfView(local, day, rewrite=False), i, len(DAYS), 2)
        assert asked >= 2 * (len(list_queries()) // len(DAYS))
        compared += asked
        _no_copy(view, sent)
    assert compared == 2 * len(list_queries())  # each query on two days in a row


def test_past_the_tested_limit_a_flat_graph_is_read_through_a_copy(
        flat: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """More nodes to list than ``MAX_TESTED`` in the dates form and hidden facts in the
    exists form: the view copies (the rows stay the copy's); under the limit of the
    exists form, that form is sent."""
    from channelkg.graph import asof
    from channelkg.graph.asof_filter import DATES, EXISTS
    from channelkg.model.dates import parse_date
    from channelkg.sparql.query import run

    day = parse_date("2026-06-17", "--as-of")
    kg = remote.open_store(flat, timeout=60)
    view = kg.visible_on(day)
    assert isinstance(view, asof.AsOfView) and view.form() is DATES
    hidden = len(view.hidden)
    listed = view.date_test.listed
    assert 0 < listed < hidden  # a day on which the dates alone do not decide
    monkeypatch.setattr(asof, "MAX_TESTED", listed - 1)
    assert view.form() is None and view.rewritten("SELECT * WHERE { ?s ?p ?o }") is None
    sent = _pages_read(monkeypatch)
    local = load(engine="oxigraph")
    text = "SELECT ?s ?o WHERE { ?s a ?o }"
    assert norm(run(view, text)) == norm(run(asof.AsOfView(local, day, rewrite=False), text))
    assert view._local is not None or [t for t in sent if "?s ?p ?o" in t]
    monkeypatch.setattr(asof, "MAX_TESTED", listed)
    assert view.form() is DATES
    from rdflib import URIRef

    view._dates = type(view.date_test)(  # as if the dates decided nothing, and got one wrong
        view.date_test.day, False, frozenset(view.hidden), frozenset({URIRef("urn:x:a")}))
    monkeypatch.setattr(asof, "MAX_TESTED", hidden)
    assert view.form() is EXISTS


def test_the_known_mode_on_a_flat_graph_is_rewritten_too(
        flat: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The known mode on two days: every shipped query, each on one of them, gives the
    rows of the copying view of the files in that mode, and nothing is copied."""
    from channelkg.graph.asof import AsOfView
    from channelkg.model.dates import parse_date
    from channelkg.sparql.query import list_queries

    sent = _pages_read(monkeypatch)
    kg = remote.open_store(flat, timeout=60)
    local = load(engine="oxigraph")
    compared = 0
    for i, text in enumerate(("2024-07-09", "2026-07-01")):  # each query on one of them
        day = parse_date(text, "--as-of")
        view = kg.visible_on(day, known=True)
        assert isinstance(view, AsOfView) and view.known
        asked = _shipped_on(view, AsOfView(local, day, known=True, rewrite=False), i, 2)
        assert asked
        compared += asked
        _no_copy(view, sent)
    assert compared == len(list_queries())


def test_the_hidden_facts_places_read_from_the_server_are_the_files(flat: str) -> None:
    from channelkg.graph.asof import AsOfView
    from channelkg.graph.asof_filter import roles_touching
    from channelkg.model.dates import parse_date

    day = parse_date("2024-07-09", "--as-of")
    there = AsOfView(remote.open_store(flat, timeout=60), day)
    here = AsOfView(load(engine="oxigraph"), day)
    assert there.hidden == here.hidden and len(here.hidden) > 64  # past the inline limit
    assert roles_touching(there.base.run, there.hidden, chunk=40) == roles_touching(
        here.base.run, here.hidden)


def test_the_cli_on_a_flat_graph(flat: str) -> None:
    runner = CliRunner()
    for day in ("2024-07-08", "2026-07-01"):
        got = runner.invoke(cli, ["query", QUERY, "-f", "csv", "--store", flat, "--as-of", day])
        want = runner.invoke(cli, ["query", QUERY, "-f", "csv", "--as-of", day])
        assert got.exit_code == want.exit_code == 0, got.output
        assert sorted(got.stdout.splitlines()) == sorted(want.stdout.splitlines())


def test_a_standard_server_gets_the_standard_form(monkeypatch: pytest.MonkeyPatch) -> None:
    """``channelkg serve`` (Oxigraph) answers the standard form: every shipped query, on
    two of five dates in a row (:func:`_on_days`), gives the copy's rows, and nothing is
    copied."""
    from channelkg.graph.asof import AsOfView
    from channelkg.graph.asof_filter import STANDARD
    from channelkg.model.dates import parse_date
    from channelkg.sparql.query import list_queries
    from test_serve import start_server, stop_server

    srv = start_server("--timeout", "30")
    try:
        sent = _pages_read(monkeypatch)
        kg = remote.open_store(f"sparql:{srv.url}", timeout=60)
        local = load(engine="oxigraph")
        compared = 0
        for i, text in enumerate(DAYS):
            day = parse_date(text, "--as-of")
            view = kg.visible_on(day)
            assert isinstance(view, AsOfView) and view.form() == STANDARD
            asked = _shipped_on(view, AsOfView(local, day, rewrite=False), i, len(DAYS), 2)
            assert asked >= 2 * (len(list_queries()) // len(DAYS))
            compared += asked
            _no_copy(view, sent)
        assert compared == 2 * len(list_queries())
    finally:
        stop_server(srv)


def test_the_probes_expected_rows_are_an_engines_own() -> None:
    """The rows each probe must give are those Oxigraph gives (an independent engine)."""
    import pyoxigraph as ox

    from channelkg.graph.remote_asof import probes

    store = ox.Store()
    for _form, text, want in probes():
        got = [tuple(s[v].value for v in ("x", "y")) for s in store.query(text)]
        assert len(got) == len(want) and set(got) == want


def test_thousands_of_hidden_facts_are_tested_by_their_dates(
        server: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A generated graph of 12,000 triples pushed without --keyed hides hundreds of facts
    on 2022-01-01 (more than ``MAX_TESTED``): the dates form lists none of them, and its
    queries give the rows of the copying view of the files, with nothing copied."""
    import datetime as dt
    import importlib.util

    from channelkg.graph import asof
    from channelkg.graph.asof_filter import DATES
    from channelkg.sparql.query import bind, list_queries, run
    from test_asof_filter import PARAMS

    root = Path(__file__).parent.parent
    spec = importlib.util.spec_from_file_location("synthetic_asof",
                                                  root / "benchmarks" / "synthetic.py")
    assert spec is not None and spec.loader is not None
    synthetic = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(synthetic)
    data = tmp_path / "12k.nt"
    synthetic.write_ntriples(data, 12_000)  # about 340 facts hidden
    graph = GRAPH + "-generated"
    remote.push(server.update, graph, [data], method="update", user=virtuoso.USER,
                password=virtuoso.PASSWORD, auth="digest", chunk=2000, timeout=300)
    sent = _pages_read(monkeypatch)
    kg = remote.open_store(f"sparql:{server.sparql}?default-graph-uri={graph}", timeout=120)
    day = dt.date(2022, 1, 1)
    view = kg.visible_on(day)
    assert isinstance(view, asof.AsOfView) and view.form() is DATES
    assert len(view.hidden) > asof.MAX_TESTED and view.date_test.listed == 0
    local = asof.AsOfView(load([data], engine="oxigraph"), day, rewrite=False)
    named = {nq.name: nq for nq in list_queries()}
    for name in ("routes-into", "seed-table", "assessments", "status-summary"):
        values = bind(named[name], PARAMS.get(name, {}), kg)
        want = norm(run(local, named[name].text, values))
        assert want and norm(run(view, named[name].text, values)) == want, name
    _no_copy(view, sent)


ODD_DATES = """@prefix ckg: <https://w3id.org/channelkg/ontology#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix : <http://x/> .
:tzfrom ckg:validFrom "2024-05-01Z"^^xsd:date ; :p :a .
:tzto ckg:validTo "2024-05-01+02:00"^^xsd:date ; :p :a .
:tz ckg:validTo "2024-05-02Z"^^xsd:date ; :p :a .
:dtfrom ckg:validFrom "2024-05-01T00:00:00Z"^^xsd:dateTime ; :p :a .
:dfrom ckg:validFrom "2024-05-01"^^xsd:date ; :p :a .
:dto ckg:validTo "2024-05-02"^^xsd:date ; :p :a .
:h ckg:validFrom "2030-01-01"^^xsd:date ; :p :a .
"""
#: The second query asks which date properties are visible, not their values: a
#: Virtuoso server that holds "2024-05-01" and "2024-05-01Z" (equal as its dates) may
#: give either lexical form for both, depending on what it stored first.
ODD_QUERIES = ("SELECT ?s WHERE { ?s <http://x/p> <http://x/a> }",
               "SELECT ?s ?d WHERE { ?s <http://x/p> ?o OPTIONAL { ?s ?d ?f } }")
ODD_DAYS = ("2024-04-30", "2024-05-01", "2024-05-02", "2024-05-03")


def _odd_answers(store: str, path: Path, form: Any) -> None:
    from channelkg.graph.asof import AsOfView
    from channelkg.model.dates import parse_date

    kg = remote.open_store(store, timeout=60)
    local = load([path], ontology=False)
    for text in ODD_DAYS:
        day = parse_date(text, "--as-of")
        view, copy = kg.visible_on(day), AsOfView(kg, day, rewrite=False)
        assert isinstance(view, AsOfView) and view.form() is form
        for query in ODD_QUERIES:
            want = norm(local.visible_on(day).run(query))
            assert norm(view.run(query)) == want, (text, query)
            assert norm(copy.run(query)) == want, (text, query)


def test_dates_with_a_timezone_answer_as_the_files_on_their_own_day(
        server: Any, tmp_path: Path) -> None:
    """``xsd:date`` values with a timezone (``"2024-05-01Z"``, which the server's
    ``STR()`` gives as written) and an ``xsd:dateTime``: on the days around them the
    dates form, the copying view of the server and the files give the same rows."""
    from channelkg.graph.asof_filter import DATES

    path = tmp_path / "odd.ttl"
    path.write_text(ODD_DATES, encoding="utf-8")
    graph = GRAPH + "-odd-dates"
    res = CliRunner().invoke(cli, ["push", "--to", server.gsp, "--graph", graph, "--user",
                                   virtuoso.USER, "--password", virtuoso.PASSWORD,
                                   "--quiet", "--no-ontology", str(path)])
    assert res.exit_code == 0, res.output
    _odd_answers(f"sparql:{server.sparql}?default-graph-uri={graph}", path, DATES)


def test_dates_with_a_timezone_on_a_standard_server(tmp_path: Path) -> None:
    """The same graph served by ``channelkg serve`` (Oxigraph): the standard form and the
    copy give the rows of the files."""
    from channelkg.graph.asof_filter import STANDARD
    from test_serve import start_server, stop_server

    path = tmp_path / "odd.ttl"
    path.write_text(ODD_DATES, encoding="utf-8")
    srv = start_server("--timeout", "30", "--data", str(path), "--no-ontology")
    try:
        _odd_answers(f"sparql:{srv.url}", path, STANDARD)
    finally:
        stop_server(srv)


def test_a_failed_copy_says_why_the_view_copied(
        flat: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """On a server that answered a form of the rewrite, a copy that fails names the
    reason the query read a copy (a query the rewrite does not handle, or too many
    facts to send by list), not the forms the server did not answer."""
    from channelkg.errors import ChannelKGError
    from channelkg.graph import asof
    from channelkg.model.dates import parse_date

    cases = (("2024-07-08", None, "SELECT ?s WHERE { GRAPH ?g { ?s ?p ?o } }",
              "as the query is not one the rewrite handles"),
             ("2026-06-17", 1, "SELECT ?s WHERE { ?s a ?o }",
              "as more than 1 facts would be sent by list in the rewrite"))
    for text, limit, query, why in cases:
        if limit is not None:
            monkeypatch.setattr(asof, "MAX_TESTED", limit)
        kg = remote.open_store(flat, timeout=60)
        assert kg.asof_form() is not None and kg.asof_reasons  # one form was not answered
        view = kg.visible_on(parse_date(text, "--as-of"))
        assert isinstance(view, asof.AsOfView) and view.hidden
        kg.max_rows = 100  # fewer than the graph's triples: the copy fails
        with pytest.raises(ChannelKGError) as err:
            view.run(query)
        assert "more than 100 triples" in str(err.value), str(err.value)
        assert why in str(err.value) and "no form" not in str(err.value), str(err.value)


@pytest.mark.parametrize("text", [
    "SELECT * WHERE { ?s ?p ?o } LIMIT 3",  # rewritten
    "SELECT * WHERE { GRAPH ?g { ?s ?p ?o } } LIMIT 3",  # copied: GRAPH
    "SELECT * WHERE { _:b ?p ?o } LIMIT 3",  # copied: a blank node in a triple pattern
    "SELECT DISTINCT * WHERE { ?z ?y ?x . OPTIONAL { GRAPH ?w { ?x ?v ?u } } } LIMIT 3",
])
def test_select_star_columns_are_the_plain_querys_on_every_path(flat: str, text: str) -> None:
    """``SELECT *`` through the view, rewritten or read from the copy (an Oxigraph store,
    which sorts the columns by name), names its columns as the plain query on the server
    does: in the order the query first names them."""
    from channelkg.graph.asof import AsOfView
    from channelkg.model.dates import parse_date

    kg = remote.open_store(flat, timeout=60)
    plain = kg.run(text).vars
    assert len(plain) > 1 and list(plain) != sorted(plain)  # the order is the query's
    day = parse_date("2024-07-09", "--as-of")
    for view in (kg.visible_on(day), AsOfView(kg, day, rewrite=False)):
        assert view.run(text).vars == plain, (text, type(view).__name__)
