"""`channelkg add` / `import` with `--store sparql:URL --update-url URL` on a real Virtuoso.

The fixture graph is pushed to a private Virtuoso (tests/virtuoso.py); facts are then
added through the CLI: checked against the server's graph exactly as against files,
and sent as one INSERT DATA only when everything passes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import virtuoso
from channelkg.cli import cli
from channelkg.graph import remote
from channelkg.sparql.query import query
from conftest import DATA

pytestmark = pytest.mark.server

GRAPH = "https://w3id.org/channelkg/test/remote-write"
KGID = "https://w3id.org/channelkg/id/"
CKG = "https://w3id.org/channelkg/ontology#"

ROUTE = [
    "add", "route", "--model", "t-model", "--market", "TL", "--service", "t-api",
    "--kind", "Reseller", "--seller", "t-cloud", "--open", "true", "--status", "reported",
    "--stated-on", "2026-06-20", "--comment", "A reseller sells Model T in Testland.",
]
SOURCE = ["--source-title", "Reseller sells Model T", "--source-url",
          "https://example.org/reseller-t", "--source-date", "2026-06-20"]
ROUTE_IRI = KGID + "route-t-model-tl-t-api-2026-06-20"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Any:
    yield from virtuoso.serving(tmp_path_factory, "virtuoso-write")


@pytest.fixture(scope="module")
def pushed(server: virtuoso.Virtuoso) -> virtuoso.Virtuoso:
    remote.push(server.gsp, GRAPH, [DATA / "tiny.ttl"], user=virtuoso.USER,
                password=virtuoso.PASSWORD)
    return server


def store_opts(server: virtuoso.Virtuoso, graph: bool = True) -> list[str]:
    opts = ["--store", f"sparql:{server.sparql}", "--update-url", server.update,
            "--user", virtuoso.USER, "--password", virtuoso.PASSWORD]
    return [*opts, "--graph", GRAPH] if graph else opts


def count(server: virtuoso.Virtuoso) -> int:
    return len(remote.open_store(f"sparql:{server.sparql}?default-graph-uri={GRAPH}"))


def has_route(server: virtuoso.Virtuoso, iri: str) -> bool:
    kg = remote.open_store(f"sparql:{server.sparql}?default-graph-uri={GRAPH}")
    return bool(query(kg, f"ASK {{ <{iri}> a <{CKG}AccessRoute> }}").boolean)


def test_add_sends_the_fact_then_refuses_it_as_duplicate(pushed: virtuoso.Virtuoso,
                                                         tmp_path: Path) -> None:
    runner = CliRunner()
    before = count(pushed)
    assert not has_route(pushed, ROUTE_IRI)
    res = runner.invoke(cli, [*ROUTE, *SOURCE, *store_opts(pushed)])
    assert res.exit_code == 0, (res.output, res.exception)
    assert "added kgid:route-t-model-tl-t-api-2026-06-20" in res.stdout
    assert has_route(pushed, ROUTE_IRI)
    after = count(pushed)
    assert after > before
    # The CLI query on the store sees it, with its minted source.
    store = f"sparql:{pushed.sparql}?default-graph-uri={GRAPH}"
    out = runner.invoke(cli, ["query", "--store", store, "-f", "csv",
                              f"SELECT ?s WHERE {{ <{ROUTE_IRI}> "
                              "<http://www.w3.org/ns/prov#wasDerivedFrom> ?s }"])
    assert out.exit_code == 0, out.output
    assert KGID + "source-reseller-sells-model-t-2026-06-20" in out.stdout
    # The same fact again is a duplicate of what the server holds: refused, nothing sent.
    again = runner.invoke(cli, [*ROUTE, *SOURCE, *store_opts(pushed)])
    assert again.exit_code == 2, again.output
    assert "duplicate" in again.output and "already states the same route" in again.output
    assert count(pushed) == after
    # A second fact through `import` (YAML), checked against the server's graph.
    facts = tmp_path / "facts.yaml"
    facts.write_text(
        "- type: assessment\n  assessed-entity: t-cloud\n  kind: DependencyRisk\n"
        "  level: High\n  market: TL\n  source: t-source\n  stated-on: 2026-06-21\n"
        "  comment: CloudCo depends on DevCo.\n", encoding="utf-8")
    imp = runner.invoke(cli, ["import", str(facts), *store_opts(pushed)])
    assert imp.exit_code == 0, (imp.output, imp.exception)
    assert f"to graph <{GRAPH}> at {pushed.update}" in imp.stdout
    assert count(pushed) > after
    # Turtle import: a new entity goes in; an entity the server already has is refused.
    ttl = tmp_path / "new.ttl"
    ttl.write_text(f'<{KGID}t-reseller> a <{CKG}Organization> ; '
                   '<http://www.w3.org/2000/01/rdf-schema#label> "ResellCo"@en .\n',
                   encoding="utf-8")
    imp = runner.invoke(cli, ["import", str(ttl), *store_opts(pushed)])
    assert imp.exit_code == 0, (imp.output, imp.exception)
    kg = remote.open_store(f"sparql:{pushed.sparql}?default-graph-uri={GRAPH}")
    assert query(kg, f"ASK {{ <{KGID}t-reseller> a <{CKG}Organization> }}").boolean
    n = count(pushed)
    imp = runner.invoke(cli, ["import", str(ttl), *store_opts(pushed)])
    assert imp.exit_code == 2 and "already exists" in imp.output
    assert count(pushed) == n


def test_bad_fact_sends_nothing(pushed: virtuoso.Virtuoso) -> None:
    runner = CliRunner()
    before = count(pushed)
    no_source = [a.replace("2026-06-20", "2026-06-22") for a in ROUTE]
    res = runner.invoke(cli, [*no_source, *store_opts(pushed)])
    assert res.exit_code == 2, res.output
    assert "nothing was written" in res.output and "source" in res.output
    unknown = [a.replace("t-api", "no-such-service") for a in ROUTE]
    res = runner.invoke(cli, [*unknown, *SOURCE, *store_opts(pushed)])
    assert res.exit_code == 2, res.output
    assert "no-such-service" in res.output
    # A dry run checks against the server and sends nothing either.
    dry = runner.invoke(cli, [*no_source, "--source", "t-source", *store_opts(pushed),
                              "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "would write" in dry.stdout
    assert count(pushed) == before


def test_wrong_password_and_default_graph(pushed: virtuoso.Virtuoso) -> None:
    """A wrong password, or a server that refuses INSERT DATA without GRAPH, is a clean
    error and changes nothing."""
    runner = CliRunner()
    before = count(pushed)
    fact = [*(a.replace("2026-06-20", "2026-06-23") for a in ROUTE), "--source", "t-source"]
    opts = store_opts(pushed)
    bad = [*opts[: opts.index("--password") + 1], "wrong", "--graph", GRAPH]
    res = runner.invoke(cli, [*fact, *bad])
    assert res.exit_code == 2, res.output
    assert "401" in res.output and "Traceback" not in res.output
    assert count(pushed) == before
    # Virtuoso has no plain default graph to insert into: its refusal is reported.
    res = runner.invoke(cli, [*fact, *store_opts(pushed, graph=False)])
    assert res.exit_code == 2, res.output
    assert "HTTP 400" in res.output and "default graph" in res.output
    iri = ROUTE_IRI.replace("2026-06-20", "2026-06-23")
    kg = remote.open_store(f"sparql:{pushed.sparql}")
    assert not query(kg, f"ASK {{ <{iri}> ?p ?o }}").boolean
    assert count(pushed) == before
    # The same fact with --graph goes in.
    res = runner.invoke(cli, [*fact, *store_opts(pushed)])
    assert res.exit_code == 0, (res.output, res.exception)
    assert has_route(pushed, iri)


def test_usage_errors(tmp_path: Path) -> None:
    runner = CliRunner()
    for extra, msg in (
        (["--update-url", "http://127.0.0.1:9/u"], "need --store"),
        (["--store", "sparql:http://127.0.0.1:9/q"], "without --update-url"),
        (["--store", f"oxigraph:{tmp_path}", "--update-url", "http://127.0.0.1:9/u"],
         "only a sparql:URL store"),
        (["--store", "sparql:http://127.0.0.1:9/q", "--update-url", "http://127.0.0.1:9/u",
          "--file", str(tmp_path / "x.ttl")], "not both"),
    ):
        res = runner.invoke(cli, [*ROUTE, *SOURCE, *extra])
        assert res.exit_code == 2, res.output
        assert msg in res.output
        assert not (tmp_path / "x.ttl").exists()
    res = runner.invoke(cli, ["import", str(DATA / "tiny.ttl"), "--update-url", "http://x/u"])
    assert res.exit_code == 2 and "need --store" in res.output
