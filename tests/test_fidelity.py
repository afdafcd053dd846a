"""Never lose or bend data: lexical forms, CR, safe writes, N-Triples lines, named
graphs, all-or-nothing format, the SERVICE guard and the query time limit.

Data: ``tests/data/w3c/`` (cases modelled on the W3C RDF test suites, see its LICENSE.md).
"""

from __future__ import annotations

import gc
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner

from channelkg.cli.main import cli
from channelkg.errors import InputError, QueryError
from channelkg.graph.memory import load, parse_file
from channelkg.rdf.fileio import atomic_write_text, read_text, write_lock
from channelkg.rdf.terms import to_oxigraph, to_rdflib
from channelkg.rdf.turtle import format_text, reformat_files
from channelkg.render.results import ntriples, render
from channelkg.sparql.query import QueryResult, run, time_limited, uses_service

W3C = Path(__file__).parent / "data" / "w3c"
SRC = Path(__file__).parent.parent / "src"
CARTESIAN = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?p ?b . ?c ?q ?d . ?e ?r ?f . ?g ?s ?h }"


def quads(path: Path, fmt: ox.RdfFormat = ox.RdfFormat.TURTLE) -> set[ox.Triple]:
    """The triples of a file as pyoxigraph sees them (literals compared by lexical form)."""
    return {q.triple for q in ox.parse(path.read_bytes(), format=fmt)}


# -- 1. lexical forms ------------------------------------------------------------------


def test_typed_literals_keep_their_lexical_form_through_rdflib() -> None:
    for t in quads(W3C / "literal-lexical-forms.ttl"):
        lit = to_rdflib(t.object)
        assert str(lit) == t.object.value
        assert to_oxigraph(lit) == t.object  # type: ignore[arg-type]


def test_format_keeps_every_lexical_form_and_merges_no_triples(tmp_path: Path) -> None:
    src = W3C / "literal-lexical-forms.ttl"
    before = quads(src)
    assert len(before) == 18  # "1."^^xsd:decimal and "1"^^xsd:decimal are two triples
    out = tmp_path / "forms.ttl"
    out.write_bytes(src.read_bytes())
    res = CliRunner().invoke(cli, ["format", str(out)])
    assert res.exit_code == 0, res.output
    assert quads(out) == before
    assert format_text(out.read_text(encoding="utf-8")) == out.read_text(encoding="utf-8")


def test_query_results_keep_the_engines_lexical_form() -> None:
    src = W3C / "literal-lexical-forms.ttl"
    kg = load([src], engine="rdflib", ontology=False)
    got = sorted(str(r[0]) for r in run(kg, "SELECT ?o WHERE { ?s ?p ?o }").rows)
    assert got == sorted(t.object.value for t in quads(src))
    # The Oxigraph store keeps numbers, booleans and dates in canonical form (its own
    # choice): channelkg passes on exactly what the engine answers, re-lexing nothing.
    kg = load([src], ontology=False)
    got = sorted(str(r[0]) for r in run(kg, "SELECT ?o WHERE { ?s ?p ?o }").rows)
    assert kg.store is not None
    raw = sorted(s["o"].value for s in kg.store.query("SELECT ?o WHERE { ?s ?p ?o }"))
    assert got == raw


# -- 2. CR inside literals ----------------------------------------------------------------


def test_format_keeps_cr_inside_literals(tmp_path: Path) -> None:
    src = W3C / "literal_with_CARRIAGE_RETURN.ttl"
    before = quads(src)
    assert {t.object.value for t in before} >= {"a\rb", "c\rd", "line one\r\nline two"}
    f = tmp_path / "cr.ttl"
    f.write_bytes(src.read_bytes())
    assert reformat_files([f])[0][1]
    assert quads(f) == before


def test_import_and_add_keep_cr_inside_literals(ckg_home: Path, runner: CliRunner) -> None:
    target = ckg_home / "graphs" / "openai-cn.ttl"
    # A hand-edited file (kept as it is by add/import) with a raw CR in a long string.
    target.write_bytes(target.read_bytes() + b'\n<https://w3id.org/channelkg/id/openai> '
                       b'<http://www.w3.org/2000/01/rdf-schema#comment> """raw\rcr""" .\n')
    old = quads(target)
    cr = ckg_home / "cr.ttl"
    cr.write_bytes(b'<https://w3id.org/channelkg/id/openai> '
                   b'<http://www.w3.org/2000/01/rdf-schema#comment> """x\ry""" .\n')
    res = runner.invoke(cli, ["import", str(cr), "--file", str(target)])
    assert res.exit_code == 0, res.output
    after = quads(target)
    assert {"x\ry", "raw\rcr"} <= {t.object.value for t in after}
    assert old < after
    # A later add rewrites the file: the CR stays.
    res = runner.invoke(cli, ["add", "claim", "--about", "microsoft", "--comment", "New.",
                              "--source", "source-seed-2026", "--stated-on", "2026-06-19",
                              "--file", str(target)])
    assert res.exit_code == 0, res.output
    assert {"x\ry", "raw\rcr"} <= {t.object.value for t in quads(target)}


def test_read_text_keeps_cr_and_names_the_line_of_bad_utf8(tmp_path: Path) -> None:
    f = tmp_path / "t.ttl"
    f.write_bytes(b"a\r\nb\rc\n")
    assert read_text(f) == "a\r\nb\rc\n"
    f.write_bytes(b"ok\nok\n\xff\n")
    with pytest.raises(InputError) as err:
        read_text(f)
    assert err.value.location == f"{f}:3"


# -- 3. writes: symlinks followed, devices refused ------------------------------------------


def test_write_follows_a_symlink_and_keeps_it(tmp_path: Path) -> None:
    real = tmp_path / "real" / "out.txt"
    real.parent.mkdir()
    real.write_text("old")
    link = tmp_path / "link.txt"
    link.symlink_to(real)
    atomic_write_text(link, "new")
    assert link.is_symlink() and real.read_text() == "new"
    assert sorted(p.name for p in real.parent.iterdir()) == ["out.txt"]  # no temp left
    dangling = tmp_path / "dangling.txt"
    dangling.symlink_to(tmp_path / "real" / "absent.txt")
    atomic_write_text(dangling, "made")
    assert dangling.is_symlink() and (tmp_path / "real" / "absent.txt").read_text() == "made"


@pytest.mark.parametrize("kind", ["fifo", "folder", "link-to-fifo"])
def test_write_refuses_what_is_not_a_regular_file(tmp_path: Path, kind: str) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    path = {"fifo": fifo, "folder": tmp_path, "link-to-fifo": tmp_path / "l"}[kind]
    if kind == "link-to-fifo":
        path.symlink_to(fifo)
    with pytest.raises(InputError):
        atomic_write_text(path, "x")
    assert fifo.is_fifo() and (kind != "link-to-fifo" or path.is_symlink())
    res = CliRunner().invoke(cli, ["query", "seed-table", "-o", str(path)])
    assert res.exit_code == 2
    assert len(res.output.strip().splitlines()) == 1
    assert ("is a folder" if kind == "folder" else "not a regular file") in res.output
    assert fifo.is_fifo()


# -- 4. N-Triples output ------------------------------------------------------------------


def test_nt_output_never_splits_a_literal() -> None:
    src = W3C / "literal-line-separators.nt"
    kg = load([src], ontology=False)
    for engine_kg in (kg, load([src], engine="rdflib", ontology=False)):
        res = run(engine_kg, "CONSTRUCT WHERE { ?s ?p ?o }")
        text = render(res, "nt")
        assert text.count("\n") == 5
        assert quads_of_text(text) == quads(src, ox.RdfFormat.N_TRIPLES)
    tsv = render(run(kg, "SELECT ?o WHERE { ?s ?p ?o }"), "tsv")
    assert tsv.count("\n") == 6


def quads_of_text(text: str) -> set[ox.Triple]:
    return {q.triple for q in ox.parse(text.encode("utf-8"), format=ox.RdfFormat.N_TRIPLES)}


def test_nt_escapes_controls_and_refuses_bad_iris() -> None:
    from rdflib import BNode, Literal, URIRef

    text = ntriples([(URIRef("http://x/a"), URIRef("http://x/p"), Literal("q\"\\\t\x00\x7f\n\r")),
                     (BNode("x-1"), URIRef("http://x/p"), BNode("not ok"))])
    assert '"q\\"\\\\\\t\\u0000\\u007F\\n\\r"' in text
    assert len(quads_of_text(text)) == 2 and text.count("\n") == 2
    with pytest.raises(InputError, match="cannot write IRI"):
        ntriples([(URIRef("http://x/a b"), URIRef("http://x/p"), Literal("v"))])


# -- 5. named graphs ------------------------------------------------------------------------


@pytest.mark.parametrize("name,line", [("nq-named-graph.nq", 3), ("trig-named-graph.trig", 9)])
def test_quads_in_a_named_graph_are_refused_with_their_line(
    tmp_path: Path, name: str, line: int
) -> None:
    path = W3C / name
    with pytest.raises(InputError) as err:
        parse_file(path)
    assert err.value.location == f"{path}:{line}"
    assert "named graph" in err.value.message
    for engine in ("oxigraph", "rdflib"):
        with pytest.raises(InputError):
            load([path], engine=engine)
    res = CliRunner().invoke(cli, ["load", "--into", f"oxigraph:{tmp_path / 'db'}", str(path)])
    assert res.exit_code == 2 and f"{name}:{line}:" in res.output


def test_jsonld_named_graph_is_refused_on_the_bulk_path(tmp_path: Path) -> None:
    f = tmp_path / "g.jsonld"
    f.write_text('{"@id": "http://x/g", "@graph": [{"@id": "http://x/a", "http://x/p": "v"}]}')
    with pytest.raises(InputError, match="named graph <http://x/g>"):
        load([f])
    res = CliRunner().invoke(cli, ["query", "--data", str(f), "SELECT * { ?s ?p ?o }"])
    assert res.exit_code == 2 and len(res.output.strip().splitlines()) == 1


# -- 6. format: all or nothing, under the write lock ------------------------------------


def test_format_writes_nothing_when_one_file_fails(tmp_path: Path) -> None:
    a = tmp_path / "a.ttl"
    a.write_text('@prefix x: <http://x/> .\nx:b x:p "b" .\nx:a x:p "a" .\n')
    bad = tmp_path / "bad.ttl"
    bad.write_text("x:a x:p .\n")
    before = a.read_bytes()
    res = CliRunner().invoke(cli, ["format", str(a), str(bad)])
    assert res.exit_code == 2 and "bad.ttl:1" in res.output
    assert a.read_bytes() == before
    res = CliRunner().invoke(cli, ["format", str(a)])
    assert res.exit_code == 0 and a.read_bytes() != before


def test_format_waits_for_the_lock_add_and_import_take(ckg_home: Path) -> None:
    from channelkg.edit.core import import_file

    target = ckg_home / "graphs" / "openai-cn.ttl"
    target.write_text(target.read_text(encoding="utf-8") + "\n\n")  # not canonical
    before = target.read_bytes()
    with write_lock(target.parent):
        with pytest.raises(InputError, match="lock held"):
            reformat_files([target], lock_timeout=0.2)
        assert target.read_bytes() == before
        src = ckg_home / "one.ttl"
        src.write_text('<https://w3id.org/channelkg/id/openai> '
                       '<http://www.w3.org/2000/01/rdf-schema#comment> "c" .\n')
        with pytest.raises(InputError, match="lock held"):  # the same lock file
            import_file(src, file=target, lock_timeout=0.2)
    assert reformat_files([target])[0][1]


# -- 7. the SERVICE guard ------------------------------------------------------------------


@pytest.fixture
def listener() -> Iterator[tuple[str, list[int]]]:
    """A TCP listener on 127.0.0.1 that counts connections (and closes them)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    sock.settimeout(0.2)
    seen: list[int] = []
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = sock.accept()
            except OSError:
                continue
            seen.append(1)
            conn.close()

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{sock.getsockname()[1]}/sparql", seen
    stop.set()
    t.join()
    sock.close()


def bypasses(url: str) -> list[str]:
    body = f"<{url}> {{ ?a ?b ?c }}"
    return [
        f"PREFIX ex: <http://e/> SELECT * WHERE {{ ?s ?p ex:a\\#b SERVICE {body} }}",
        f"SELECT * WHERE {{ \\u0053ERVICE {body} }}",
        f"SELECT * WHERE {{ ?s ?p 1SERVICE {body} }}",
        f"SELECT * WHERE {{ ?s ?p ?o .\n# note\rSERVICE {body} }}",
        f"SELECT * WHERE {{ ?s ?p ?o .\n# note \\u000ASERVICE {body} }}",
        f"select * where {{ service silent {body} }}",
        f"SELECT * WHERE {{ OPTIONAL {{ {{ SELECT * {{ SERVICE {body} }} }} }} }}",
    ]


def test_service_is_refused_on_every_engine_and_never_connects(
    listener: tuple[str, list[int]]
) -> None:
    url, seen = listener
    for engine in ("oxigraph", "rdflib"):
        kg = load([W3C / "literal-line-separators.nt"], engine=engine, ontology=False)
        for q in bypasses(url):
            assert uses_service(q), q
            with pytest.raises(QueryError, match="SERVICE"):
                run(kg, q)
    time.sleep(0.3)
    assert seen == []
    # The listener does see an allowed SERVICE: the check above could fail.
    kg = load([W3C / "literal-line-separators.nt"], ontology=False)
    with pytest.raises(QueryError):
        run(kg, f"SELECT * WHERE {{ SERVICE <{url}> {{ ?a ?b ?c }} }}", allow_service=True)
    assert seen


def test_service_guard_lets_names_strings_and_comments_through() -> None:
    for q in ('SELECT ?service WHERE { ?service a <http://x/Service> }',
              'PREFIX ckg: <http://c/> SELECT * { ?s ckg:providesService ?o }',
              'SELECT * { ?s ?p "SERVICE <http://x/> {}" }',
              '# SERVICE <http://x/> { }\nSELECT * { ?s ?p ?o }'):
        assert not uses_service(q), q


def test_service_is_refused_by_query_view_and_explain(
    listener: tuple[str, list[int]], tmp_path: Path
) -> None:
    url, seen = listener
    q = bypasses(url)[0]
    data = ["--data", str(W3C / "literal-line-separators.nt")]
    for args in (["query", q], ["view", "--query", q, "-o", str(tmp_path / "v.html")],
                 ["explain", "--query", q]):
        res = CliRunner().invoke(cli, [*args, *data])
        assert res.exit_code == 2 and "SERVICE" in res.output, (args, res.output)
    assert seen == []


def test_service_is_refused_on_a_store(listener: tuple[str, list[int]], tmp_path: Path) -> None:
    url, seen = listener
    db = f"oxigraph:{tmp_path / 'db'}"
    runner = CliRunner()
    res = runner.invoke(cli, ["load", "--into", db, str(W3C / "literal-line-separators.nt")])
    assert res.exit_code == 0, res.output
    from channelkg.graph.remote import open_store

    kg = open_store(db)
    for q in bypasses(url):
        with pytest.raises(QueryError, match="SERVICE"):
            run(kg, q)
    del kg
    gc.collect()  # close the store (a caught error's traceback still refers to it)
    res = runner.invoke(cli, ["query", "--store", db, bypasses(url)[0]])
    assert res.exit_code == 2 and "SERVICE" in res.output, res.output
    assert seen == []


# -- 8. the time limit and Ctrl-C -----------------------------------------------------------


def test_time_limited_gives_up_at_the_limit() -> None:
    t0 = time.monotonic()
    with pytest.raises(QueryError, match="time limit"):
        time_limited(lambda: time.sleep(3), 0.2)
    assert time.monotonic() - t0 < 1.5
    assert time_limited(lambda: 42, 5) == 42
    with pytest.raises(ZeroDivisionError):
        time_limited(lambda: 1 / 0, 5)


@pytest.mark.parametrize("limit", [-1, -0.5])
def test_time_limited_with_a_negative_limit_gives_up_at_once(limit: float) -> None:
    """A negative limit has already run out: the wait ends with the time-limit error
    (not an unlimited wait, not a ValueError of the lock)."""
    with pytest.raises(QueryError, match="time limit"):
        time_limited(lambda: time.sleep(3), limit)


@pytest.mark.parametrize("engine", ["oxigraph", "rdflib"])
def test_cli_timeout_ends_a_cartesian_product(engine: str) -> None:
    t0 = time.monotonic()
    res = CliRunner().invoke(cli, ["query", "--engine", engine, "--timeout", "1", CARTESIAN])
    assert res.exit_code == 2
    assert res.output.strip().splitlines() == [res.output.strip()]
    assert "time limit (1 s)" in res.output
    assert time.monotonic() - t0 < 30


def test_timeout_is_documented_with_its_default() -> None:
    for cmd in (["query"], ["view"], ["export-graphml"], ["explain"]):
        out = CliRunner().invoke(cli, [*cmd, "--help"]).output
        assert "--timeout" in out and "60" in out


def _cpu_seconds(pid: int) -> float:
    """User and system CPU time of a running process (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@pytest.mark.parametrize("engine", ["oxigraph", "rdflib"])
def test_ctrl_c_ends_a_running_query_with_exit_130(engine: str) -> None:
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "channelkg", "query", "--engine", engine, CARTESIAN],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    # Loaded and querying: importing and loading the bundled graph take about a
    # second of CPU time, so past 3 s of it the process is in the query (CPU time, not
    # the clock: a busy machine slows both alike).
    deadline = time.monotonic() + 60
    while _cpu_seconds(proc.pid) < 3 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert proc.poll() is None
    t0 = time.monotonic()
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130
    assert time.monotonic() - t0 < 5
    assert err.strip().splitlines() == ["Error: interrupted (Ctrl-C); nothing was written"]
    assert out == ""


# -- 9. CSV blank nodes ----------------------------------------------------------------


def test_csv_writes_blank_nodes_with_their_prefix() -> None:
    from rdflib import BNode, Literal

    res = QueryResult("SELECT", vars=("x", "y"), rows=((BNode("b0"), Literal("_:b0")),))
    assert render(res, "csv").splitlines()[1] == "_:b0,_:b0"
