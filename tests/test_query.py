"""Named queries, parameters, engines, and refusal of SERVICE."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Literal, URIRef
from rdflib.namespace import XSD

from channelkg.errors import InputError, QueryError
from channelkg.graph.memory import KnowledgeGraph, load
from channelkg.sparql.query import (
    bind,
    bind_values,
    get_query,
    list_queries,
    query,
    resolve,
    run,
    uses_service,
)
from conftest import TINY

NAMES = [nq.name for nq in list_queries()]


def test_at_least_ten_documented_queries() -> None:
    queries = list_queries()
    assert len(queries) >= 10
    for nq in queries:
        assert nq.title and nq.description
        # Deterministic output: every SELECT ends with an ORDER BY.
        assert "ORDER BY" in nq.text or "CONSTRUCT" in nq.text


def test_every_declared_param_is_a_variable_of_its_query() -> None:
    for nq in list_queries():
        body = "\n".join(line for line in nq.text.splitlines() if not line.startswith("#"))
        for p in nq.params:
            assert f"?{p.name}" in body, (nq.name, p.name)


def test_unknown_named_query_suggests_close_names() -> None:
    with pytest.raises(QueryError, match="did you mean seed-table"):
        get_query("seed-tabel")


def test_unknown_parameter() -> None:
    with pytest.raises(QueryError, match="unknown parameter 'markt'.*market"):
        bind(get_query("routes-into"), {"markt": "CN"})


def test_missing_required_parameter() -> None:
    with pytest.raises(QueryError, match="needs --param entity"):
        bind(get_query("entity"), {})


def test_param_types_and_defaults() -> None:
    b = bind(get_query("seed-table"), {})
    assert b == {
        "market": Literal("CN"),
        "source": URIRef("https://w3id.org/channelkg/id/source-seed"),
    }
    b = bind(get_query("seed-table"), {"source": "<https://example.org/s>", "market": "HK"})
    assert b["source"] == URIRef("https://example.org/s")
    assert b["market"] == Literal("HK")


def test_bad_param_values() -> None:
    with pytest.raises(QueryError, match="unknown prefix"):
        bind(get_query("routes-into"), {"model": "nope:gpt"})


def test_injection_attempt_stays_a_literal(tiny_kg: KnowledgeGraph) -> None:
    evil = 'TL" } } ; DROP ALL ; SELECT * WHERE { ?s ?p ?o } #'
    res = query(tiny_kg, "routes-into", {"market": evil})
    assert res.rows == ()
    assert len(query(tiny_kg, "routes-into", {"market": "TL"}).rows) == 2


def test_iri_param_cannot_break_out() -> None:
    with pytest.raises(QueryError, match="invalid IRI"):
        bind_values("SELECT * WHERE { ?s ?p ?o }", {"s": URIRef("https://e/x> } #")})


def test_bind_values_places_block_in_where() -> None:
    text = "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }"
    out = bind_values(text, {"s": URIRef("https://e/x"), "o": Literal('a"b\nc')})
    assert out.startswith("CONSTRUCT { ?s ?p ?o } WHERE { VALUES (?o ?s)")
    assert '"a\\"b\\nc"' in out
    assert bind_values("SELECT * { ?s ?p ?o }", {"s": URIRef("https://e/x")}).startswith(
        "SELECT * { VALUES"
    )


def test_typed_params(tiny_kg: KnowledgeGraph) -> None:
    text = "SELECT ?x WHERE { BIND(?d AS ?x) }"
    res = run(tiny_kg, text, {"d": Literal("2024-01-01", datatype=XSD.date)})
    assert res.rows == ((Literal("2024-01-01", datatype=XSD.date),),)


def test_syntax_error_is_a_query_error(tiny_kg: KnowledgeGraph) -> None:
    for engine in ("oxigraph", "rdflib"):
        kg = load([TINY], engine=engine)
        with pytest.raises(QueryError, match="syntax error"):
            query(kg, "SELECT ?s WHERE { ?s ?p }")


def test_service_is_refused_unless_allowed(tiny_kg: KnowledgeGraph) -> None:
    text = "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }"
    with pytest.raises(QueryError, match="--allow-service"):
        query(tiny_kg, text)
    assert uses_service(text)
    assert uses_service("select * where { service <x> {} }")
    assert not uses_service('SELECT ?service WHERE { ?service a "SERVICE" } # SERVICE')
    assert not uses_service("SELECT * WHERE { ?s ckg:service ?o }")


def test_resolve_file_and_inline(tmp_path: Path) -> None:
    f = tmp_path / "q.rq"
    f.write_text("SELECT * WHERE { ?s ?p ?o } LIMIT 1", encoding="utf-8")
    assert resolve(str(f)) == (f.read_text(encoding="utf-8"), None)
    with pytest.raises(InputError, match="no such query file"):
        resolve(str(tmp_path / "missing.rq"))
    assert resolve("ASK { ?s ?p ?o }")[1] is None
    assert resolve("seed-table")[1] is not None


def test_select_ask_construct(tiny_kg: KnowledgeGraph) -> None:
    sel = query(tiny_kg, "routes-into", {"market": "TL"})
    assert sel.kind == "SELECT" and sel.vars[0] == "route"
    assert [r[0] for r in sel.rows] == [
        URIRef("https://w3id.org/channelkg/id/t-route-cloud"),
        URIRef("https://w3id.org/channelkg/id/t-route-direct"),
    ]
    ask = query(tiny_kg, "ASK { ?r <https://w3id.org/channelkg/ontology#open> false }")
    assert ask.kind == "ASK" and ask.boolean is True
    g = query(tiny_kg, "entity", {"entity": "t-market"})
    assert g.kind == "GRAPH" and g.graph is not None and len(g.graph) >= 5


def test_seed_table_on_fixture(tiny_kg: KnowledgeGraph) -> None:
    res = query(tiny_kg, "seed-table", {"market": "TL", "source": "t-source"})
    rows = {tuple(str(c) for c in r) for r in res.rows}
    assert rows == {("CloudCo", "Yes", "CloudCo AI", "Lower"), ("DevCo", "No", "None", "High")}


def _normalise(rows: tuple[tuple[object, ...], ...]) -> list[tuple[str, ...]]:
    """Rows as sorted strings; GROUP_CONCAT cells compared as sets (order is undefined)."""
    out = []
    for row in rows:
        cells = []
        for c in row:
            if c is None:
                cells.append("")
            elif isinstance(c, Literal) and "; " in str(c):
                cells.append("; ".join(sorted(str(c).split("; "))) + f"@{c.language}^^{c.datatype}")
            else:
                cells.append(c.n3())  # type: ignore[attr-defined]
        out.append(tuple(cells))
    return sorted(out)


SEED_ROWS = {
    ("Microsoft", "Yes", "Azure China", "Lower"),
    ("OpenAI", "No", "None", "High"),
    ("Anthropic", "No", "None", "High"),
}


def test_seed_table_reproduces_the_seed(bundled: KnowledgeGraph) -> None:
    res = query(bundled, "seed-table")
    assert res.vars == ("provider", "directSales", "accessRoute", "geopoliticalRisk")
    assert {tuple(str(c) for c in r) for r in res.rows} == SEED_ROWS


def test_routes_into_china_include_azure_and_the_blocked_direct_route(
    bundled_ox: KnowledgeGraph,
) -> None:
    res = query(bundled_ox, "routes-into", {"market": "CN", "model": "kgid:gpt"})
    by_service = {(str(r[2]), str(r[5])) for r in res.rows}
    assert ("Azure China", "true") in by_service
    assert ("OpenAI API", "false") in by_service


@pytest.mark.parametrize("name", NAMES)
def test_native_rows_render_as_the_rdflib_rows(name: str, bundled_ox: KnowledgeGraph) -> None:
    import pyoxigraph as ox

    from channelkg.render.results import render

    nq = get_query(name)
    params = {p.name: "kgid:azure-china" for p in nq.params if p.required}
    native, plain = query(bundled_ox, name, params, native=True), query(bundled_ox, name, params)
    assert native.kind == plain.kind
    if native.kind == "SELECT":
        assert all(isinstance(t, ox.NamedNode | ox.Literal | ox.BlankNode | None)
                   for row in native.rows for t in row)
        for fmt in ("table", "csv", "tsv", "json", "md"):
            assert render(native, fmt) == render(plain, fmt), fmt


def test_native_param_values_bind_the_same_text() -> None:
    nq = get_query("seed-table")
    for raw in ({}, {"source": "<https://example.org/s>", "market": "HK"},
                {"source": "<relative>"}, {"source": "<https://e/x y>"}):
        native, plain = bind(nq, raw, native=True), bind(nq, raw)
        assert set(native) == set(plain)
        for k in plain:
            try:
                expected = bind_values(nq.text, {k: plain[k]})
            except QueryError as err:
                with pytest.raises(QueryError, match=str(err)):
                    bind_values(nq.text, {k: native[k]})
            else:
                assert bind_values(nq.text, {k: native[k]}) == expected


TRIPLE_TERM = "<<( <http://a/b> <http://a/c> <http://a/d> )>>"


@pytest.mark.parametrize(("text", "formats"), [
    (f"SELECT ?t WHERE {{ BIND({TRIPLE_TERM} AS ?t) }}", ("table", "csv", "tsv", "json", "md")),
    (f"SELECT ?n ?t WHERE {{ VALUES ?n {{ 1 2 }} BIND({TRIPLE_TERM} AS ?t) }}", ("json",)),
    (f"CONSTRUCT {{ <http://a/x> <http://a/y> {TRIPLE_TERM} }} WHERE {{}}",
     ("turtle", "nt", "json-ld")),
])
def test_a_triple_term_in_a_result_is_a_usage_error(text: str, formats: tuple[str, ...]) -> None:
    from click.testing import CliRunner

    from channelkg.cli import cli

    for opts in ([], ["--reason", "rdfs"], ["--safe-csv"]):
        for fmt in formats:
            res = CliRunner().invoke(cli, ["query", text, "-f", fmt, "--data", str(TINY), *opts])
            assert res.exit_code == 2, (fmt, opts, res.output)
            assert res.stdout == ""
            assert res.stderr.strip() == ("Error: RDF 1.2 triple terms (<< … >>) are not "
                                          "supported: <http://a/b> <http://a/c> <http://a/d>")
            assert "Traceback" not in res.output and "RuntimeError" not in res.output


def test_unknown_query_names_are_not_kept() -> None:
    """A server asked for many unknown names (GET /named/<name>) holds no more than the
    shipped queries: only found queries are kept."""
    from channelkg.errors import QueryError
    from channelkg.sparql import query as q

    q.get_query("seed-table")
    before = len(q._FOUND)
    for i in range(200):
        with pytest.raises(QueryError):
            q.get_query(f"no-such-query-{i}")
    assert len(q._FOUND) == before and before <= len(q.list_queries())
