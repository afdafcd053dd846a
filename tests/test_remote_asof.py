"""--as-of on a SPARQL server as a dataset view: `push --keyed` to a real Virtuoso on
127.0.0.1, then the same answers as the files on several dates, with no copy of the
graph (the requests carry the visible graphs), by GSP and by UPDATE, and again after a
replacing push."""

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


def test_a_graph_pushed_flat_falls_back_to_the_copying_view(server: Any) -> None:
    flat = GRAPH + "-flat"
    fixture = Path(__file__).parent / "data" / "openai-cn.ttl"
    res = CliRunner().invoke(cli, ["push", "--to", server.gsp, "--graph", flat, "--user",
                                   virtuoso.USER, "--password", virtuoso.PASSWORD, "--quiet",
                                   str(fixture)])
    assert res.exit_code == 0, res.output
    from channelkg.graph.asof import AsOfView
    from channelkg.model.dates import parse_date

    kg = remote.open_store(f"sparql:{server.sparql}?default-graph-uri={flat}")
    view = kg.visible_on(parse_date("2024-07-08", "--as-of"))
    assert isinstance(view, AsOfView)
    assert norm(view.run(QUERY)) == norm(
        load([fixture]).visible_on(parse_date("2024-07-08", "--as-of")).run(QUERY))
