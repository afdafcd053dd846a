"""One graph interface: every backend, and the as-of view of each, answers every shipped
query like the reference; backends by name (entry points); one ``open_graph``."""

from __future__ import annotations

import asyncio
import datetime as dt
import socket
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from rdflib.compare import isomorphic

from channelkg.graph.base import KnowledgeGraph
from channelkg.graph.disk import load_into
from channelkg.graph.memory import from_rdflib, load, new_rdflib_graph
from channelkg.graph.open import GraphSpec, open_graph
from channelkg.graph.validity import DATE_PROPS, fact_dates
from channelkg.sparql.query import get_query, list_queries, query
from test_query import _normalise

NAMES = [nq.name for nq in list_queries()]
DAYS = (dt.date(2024, 7, 9), dt.date(2025, 6, 1))
SRC = Path(__file__).parent.parent / "src" / "channelkg"


# Session scope: under pytest-xdist each worker builds these once and this module's
# tests spread over the workers (a module-scoped fixture would keep them in one).
@pytest.fixture(scope="session")
def backends(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, KnowledgeGraph]]:
    db = tmp_path_factory.mktemp("store") / "db"
    load_into(db)
    out = {
        "memory": open_graph(GraphSpec()),
        "rdflib": open_graph(GraphSpec(engine="rdflib")),
        "oxigraph:PATH": open_graph(GraphSpec(store=f"oxigraph:{db}")),
    }
    yield out
    out["oxigraph:PATH"].close()


def reference(kg: KnowledgeGraph, day: dt.date | None) -> KnowledgeGraph:
    """The graph with the hidden facts' triples removed, as a plain in-memory copy."""
    if day is None:
        return kg
    triples = list(kg.triples())
    dates = fact_dates(t for t in triples if t[1] in DATE_PROPS)
    gone = {n for n, d in dates.items() if not d.visible(day)}
    g = new_rdflib_graph()
    for s, p, o in triples:
        if s not in gone and o not in gone:
            g.add((s, p, o))
    return from_rdflib(g, "oxigraph")


@pytest.fixture(scope="session")
def references(backends: dict[str, KnowledgeGraph]) -> dict[dt.date | None, KnowledgeGraph]:
    base = backends["memory"]
    return {day: reference(base, day) for day in (None, *DAYS)}


def _params(name: str) -> dict[str, str]:
    return {p.name: "kgid:azure-china" for p in get_query(name).params if p.required}


@pytest.fixture(scope="session")
def views(backends: dict[str, KnowledgeGraph]) -> dict[tuple[str, dt.date | None], KnowledgeGraph]:
    """Each backend, and its as-of view of each day (made once, queried by many tests)."""
    out: dict[tuple[str, dt.date | None], KnowledgeGraph] = {}
    for name, kg in backends.items():
        out[name, None] = kg
        for day in DAYS:
            view = kg.visible_on(day)
            assert view.as_of == day and view.engine == kg.engine
            out[name, day] = view
    return out


@pytest.mark.parametrize("day", [None, *DAYS], ids=["full", *map(str, DAYS)])
@pytest.mark.parametrize("backend", ["memory", "rdflib", "oxigraph:PATH"])
def test_every_view_holds_the_reference_triples(
    views: dict[tuple[str, dt.date | None], KnowledgeGraph],
    references: dict[dt.date | None, KnowledgeGraph], backend: str, day: dt.date | None,
) -> None:
    view, reference = views[backend, day], references[day]
    assert len(view) == len(reference)
    assert isomorphic(view.to_rdflib(), reference.to_rdflib())  # the same triples hidden


def _backend_days() -> list[object]:
    """(backend, day) of the query comparison: every backend on the full graph and on
    every day, except that the rdflib backend's view is queried on the first day only.
    That view is one filtering store whatever the day (only its hidden set changes, and
    that set is checked on every day and backend by
    test_every_view_holds_the_reference_triples); rdflib's engine takes ~0.6 s a query,
    so a second day would repeat the same check at a third of this file's time."""
    out: list[object] = []
    for backend in ("memory", "rdflib", "oxigraph:PATH"):
        for day, label in zip((None, *DAYS), ("full", *map(str, DAYS)), strict=True):
            if backend == "rdflib" and day not in (None, DAYS[0]):
                continue
            out.append(pytest.param(backend, day, id=f"{backend}-{label}"))
    return out


# One test per query, backend and day (rather than one looping over the queries), so
# that the cases spread over the workers.
@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize(("backend", "day"), _backend_days())
def test_every_shipped_query_answers_like_the_reference(
    views: dict[tuple[str, dt.date | None], KnowledgeGraph],
    references: dict[dt.date | None, KnowledgeGraph], backend: str, day: dt.date | None,
    name: str,
) -> None:
    """Every shipped query on every backend, on the full graph and as of a day (the
    rdflib backend's view on one day: see _backend_days), answers like the reference.
    On the full graph, the rdflib backend against the reference (the default in-memory
    backend, Oxigraph) is the comparison of the two engines."""
    kg, ref = views[backend, day], references[day]
    a, b = query(kg, name, _params(name)), query(ref, name, _params(name))
    assert a.kind == b.kind
    if a.kind == "SELECT":
        assert a.vars == b.vars
        assert _normalise(a.rows) == _normalise(b.rows)
        text = get_query(name).text
        if "ORDER BY" in text and "GROUP_CONCAT" not in text:
            assert [r[0] for r in a.rows] == [r[0] for r in b.rows]
    elif a.kind == "GRAPH":
        assert a.graph is not None and b.graph is not None
        assert isomorphic(a.graph, b.graph)
    else:
        assert a.boolean == b.boolean


def test_views_hide_something_and_never_change_the_backend(
    backends: dict[str, KnowledgeGraph],
) -> None:
    for kg in backends.values():
        before = len(kg)
        early = kg.visible_on(dt.date(2020, 1, 1))
        assert len(early) < before
        assert len(kg) == before
        # A view of a view is the view of the backend on the new day.
        assert len(early.visible_on(DAYS[1])) == len(kg.visible_on(DAYS[1]))


def test_oxigraph_view_is_a_query_on_the_same_store(backends: dict[str, KnowledgeGraph]) -> None:
    for name in ("memory", "oxigraph:PATH"):
        kg = backends[name]
        view = kg.visible_on(DAYS[0])
        assert view.store is kg.store  # type: ignore[attr-defined]


def test_reasoning_on_an_as_of_view(backends: dict[str, KnowledgeGraph]) -> None:
    kg = open_graph(GraphSpec(as_of=DAYS[0], reason="rules"))
    assert kg.as_of == DAYS[0] and kg.reason == "rules" and kg.inferred is not None
    view = backends["memory"].visible_on(DAYS[0])
    assert {t for t in kg.triples() if t not in kg.inferred} == set(view.triples())


def test_one_parse_per_file_on_load(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import pyoxigraph as ox

    calls: list[str] = []
    real_parse = ox.parse

    def parse(*args: object, **kwargs: object) -> object:
        calls.append("parse")
        return real_parse(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(ox, "parse", parse)
    data = Path(__file__).parent / "data" / "openai-cn.ttl"
    load_into(tmp_path / "db", [data])
    assert calls == ["parse", "parse"]  # the ontology and the file, once each
    calls.clear()
    load([data], engine="rdflib")
    assert calls == ["parse", "parse"]


# --------------------------------------------------------------------------- by name


FAKE = """
from channelkg.graph.memory import load

OPENED = []


def open_fake(location, **options):
    OPENED.append(location)
    return load([location])
"""


def test_a_third_party_backend_registered_by_entry_point(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    from channelkg.graph import registry

    (tmp_path / "ckg_fake_backend.py").write_text(textwrap.dedent(FAKE), encoding="utf-8")
    dist = tmp_path / "ckg_fake_backend-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: ckg-fake-backend\n"
                                   "Version: 1.0\n", encoding="utf-8")
    (dist / "entry_points.txt").write_text(
        "[channelkg.backends]\nfake = ckg_fake_backend:open_fake\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "ckg_fake_backend", raising=False)
    monkeypatch.setattr(registry, "_REGISTRY", {})
    assert "fake" in registry.names()
    assert "ckg_fake_backend" not in sys.modules  # listing names imports nothing
    data = Path(__file__).parent / "data" / "openai-cn.ttl"
    kg = open_graph(GraphSpec(store=f"fake:{data}", as_of=dt.date(2024, 1, 1)))
    assert [str(data)] == sys.modules["ckg_fake_backend"].OPENED
    full = load([data])
    assert len(kg) < len(full)
    assert query(kg, "routes-into").rows == query(full.visible_on(dt.date(2024, 1, 1)),
                                                  "routes-into").rows


def test_unknown_backend_names_the_known_ones() -> None:
    from channelkg.errors import InputError

    with pytest.raises(InputError, match="unknown store.*backends: .*oxigraph.*sparql"):
        open_graph(GraphSpec(store="nosuch:thing"))


def test_builtins_are_declared_as_entry_points() -> None:
    import tomllib

    from channelkg.graph.registry import BUILTINS

    doc = tomllib.loads((SRC.parent.parent / "pyproject.toml").read_text(encoding="utf-8"))
    assert doc["project"]["entry-points"]["channelkg.backends"] == BUILTINS


# --------------------------------------------------------------------------- one open_graph


def test_serve_and_the_cli_share_the_library_open_graph(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from click.testing import CliRunner

    from channelkg.cli import cli
    from channelkg.graph import open as graph_open
    from channelkg.serve import app

    assert app.open_graph is graph_open.open_graph
    seen: list[GraphSpec] = []
    real = graph_open.open_graph

    def spy(spec: GraphSpec, **kw: object) -> KnowledgeGraph:
        seen.append(spec)
        return real(spec)

    monkeypatch.setattr(graph_open, "open_graph", spy)
    monkeypatch.setattr(app, "open_graph", spy)
    data = Path(__file__).parent / "data" / "openai-cn.ttl"
    res = CliRunner().invoke(cli, ["query", "routes-into", "-d", str(data), "--as-of",
                                   "2024-07-09"])
    assert res.exit_code == 0, res.output
    app.prepare_graph(seen[0])
    assert seen == [GraphSpec(data=(data,), as_of=dt.date(2024, 7, 9))] * 2


def test_the_library_never_imports_the_cli() -> None:
    import ast

    for path in SRC.rglob("*.py"):
        rel = path.relative_to(SRC)
        if "cli" in rel.parts or rel.name == "__main__.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([node.module or ""] if isinstance(node, ast.ImportFrom)
                     else [a.name for a in node.names] if isinstance(node, ast.Import) else [])
            assert not any(n.startswith("channelkg.cli") for n in names), rel


def test_serve_listens_with_tcp_nodelay() -> None:
    from channelkg.serve.app import listen_socket

    sock = listen_socket("127.0.0.1", 0)
    assert sock.proto == socket.IPPROTO_TCP
    port = sock.getsockname()[1]
    flags: list[int] = []

    async def main() -> None:
        async def handle(_r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
            flags.append(w.get_extra_info("socket").getsockopt(socket.IPPROTO_TCP,
                                                               socket.TCP_NODELAY))
            w.close()

        server = await asyncio.start_server(handle, sock=sock)
        _r, w = await asyncio.open_connection("127.0.0.1", port)
        for _ in range(100):
            if flags:
                break
            await asyncio.sleep(0.01)
        w.close()
        server.close()
        await server.wait_closed()

    asyncio.run(main())
    assert flags and flags[0] != 0


def test_a_view_over_too_many_date_keys_copies_the_visible_triples(
    backends: dict[str, KnowledgeGraph], references: dict[dt.date | None, KnowledgeGraph],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from channelkg.graph import asof

    monkeypatch.setattr(asof, "MAX_GRAPHS", 0)
    for name in ("memory", "oxigraph:PATH"):
        view = backends[name].visible_on(DAYS[0])
        assert not isinstance(view, asof.OxigraphAsOfView)
        for q in ("routes-into", "timeline", "status-summary"):
            assert _normalise(query(view, q).rows) == _normalise(
                query(references[DAYS[0]], q).rows), (name, q)


def test_read_only_specs_share_a_store(tmp_path: Path) -> None:
    db = tmp_path / "db"
    data = Path(__file__).parent / "data" / "openai-cn.ttl"
    load_into(db, [data])
    spec = GraphSpec(store=f"oxigraph:{db}", read_only=True)
    readers = [open_graph(spec) for _ in range(2)]
    assert not any(r.writable for r in readers)
    assert query(readers[0], "routes-into").rows == query(readers[1], "routes-into").rows
    assert query(readers[0], "routes-into").rows == query(load([data]), "routes-into").rows
    for r in readers:
        r.close()


def test_importing_the_graph_layer_changes_nothing_process_wide() -> None:
    import subprocess

    code = ("import logging, channelkg.rdf.terms, channelkg.graph.memory, channelkg.graph.disk, "
            "channelkg.graph.remote, channelkg.sparql.query; "
            "print(logging.getLogger('rdflib.term').level)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env={**__import__("os").environ,
                                          "PYTHONPATH": str(SRC.parent)})
    assert out.stdout.strip() == "0"


def test_ill_typed_literals_are_quiet_while_loading(caplog: pytest.LogCaptureFixture,
                                                    tmp_path: Path) -> None:
    import logging

    caplog.set_level(logging.WARNING)

    bad = tmp_path / "bad.ttl"
    bad.write_text('<urn:x> <urn:p> "2024-13-01"^^<http://www.w3.org/2001/XMLSchema#date> .\n',
                   encoding="utf-8")
    kg = load([bad], engine="rdflib", ontology=False)
    assert len(kg) == 1
    assert not [r for r in caplog.records if r.name == "rdflib.term"]
    from rdflib import Literal
    from rdflib.namespace import XSD

    Literal("2024-13-01", datatype=XSD.date)  # outside a load rdflib's logger speaks again
    assert [r for r in caplog.records if r.name == "rdflib.term"]
    assert logging.getLogger("rdflib.term").level == logging.NOTSET
