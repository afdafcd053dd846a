"""The persistent Oxigraph store (load --into, --store oxigraph:PATH) and store specs."""

from __future__ import annotations

import gc
import json
import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from channelkg.cli import cli
from channelkg.errors import InputError, QueryError
from channelkg.graph import disk as persist
from channelkg.graph import remote
from channelkg.graph.memory import load
from channelkg.sparql.query import query, run
from conftest import BAD, DATA, TINY

CHANNELS = DATA / "channels.ttl"
MODEL_LABELS = (
    "SELECT ?l WHERE { ?m a <https://w3id.org/channelkg/ontology#Model> ; "
    "<http://www.w3.org/2000/01/rdf-schema#label> ?l }"
)
ROUTES = (
    "PREFIX ckg: <https://w3id.org/channelkg/ontology#> SELECT ?r WHERE { ?r a ckg:AccessRoute }"
)


@pytest.fixture
def files(tmp_path: Path) -> list[Path]:
    """Copies of two fixtures that the tests may change."""
    out = []
    for f in (TINY, CHANNELS):
        shutil.copy(f, tmp_path / f.name)
        out.append(tmp_path / f.name)
    return out


def rows(kg: object, text: str = ROUTES) -> set[tuple[object, ...]]:
    return set(run(kg, text).rows)  # type: ignore[arg-type]


def test_store_holds_the_same_triples_as_the_files(tmp_path: Path, files: list[Path]) -> None:
    report = persist.load_into(tmp_path / "db", files)
    assert len(report.added) == 3  # ontology + two files
    kg = remote.open_store(f"oxigraph:{tmp_path / 'db'}")
    mem = load(files)
    assert kg.engine == "oxigraph-disk"
    assert set(kg.triples()) == set(mem.triples())
    assert len(kg) == len(mem)
    assert rows(kg) == rows(mem)
    # every file has its own named graph
    graphs = {g.value for g in kg.store.named_graphs()}  # type: ignore[union-attr]
    assert {f.resolve().as_uri() for f in files} <= graphs


def test_named_query_with_parameters_on_store(tmp_path: Path, files: list[Path]) -> None:
    persist.load_into(tmp_path / "db", files)
    kg = remote.open_store(f"oxigraph:{tmp_path / 'db'}")
    for market in ("CN", "HK", "TL"):
        assert query(kg, "routes-into", {"market": market}) == query(
            load(files), "routes-into", {"market": market}
        )


def test_reload_only_changed_files(tmp_path: Path, files: list[Path]) -> None:
    db = tmp_path / "db"
    persist.load_into(db, files)
    again = persist.load_into(db, files)
    assert not again.changed and len(again.unchanged) == 3

    # new modification time, same content: hashed, not reloaded
    os.utime(files[0], ns=(1, 1))
    touched = persist.load_into(db, files)
    assert not touched.changed

    text = files[0].read_text().replace('"Model T"@en', '"Model T2"@en')
    files[0].write_text(text)
    changed = persist.load_into(db, files)
    assert changed.reloaded == [files[0]] and not changed.added
    kg = remote.open_store(f"oxigraph:{db}")
    labels = {str(r[0]) for r in run(kg, MODEL_LABELS).rows}
    assert "Model T2" in labels and "Model T" not in labels


def test_open_refreshes_changed_and_deleted_files(tmp_path: Path, files: list[Path]) -> None:
    db = tmp_path / "db"
    persist.load_into(db, files)
    before = rows(remote.open_store(f"oxigraph:{db}"))
    files[1].unlink()
    msgs: list[str] = []
    kg = remote.open_store(f"oxigraph:{db}", progress=msgs.append)
    after = rows(kg)
    assert after < before and after == rows(load([files[0]]))
    assert any("gone" in m for m in msgs)
    manifest = persist.read_manifest(db)
    assert str(files[1].resolve()) not in manifest


def test_open_loads_new_files_of_a_loaded_folder(tmp_path: Path, files: list[Path]) -> None:
    src = tmp_path / "graphs"
    src.mkdir()
    shutil.move(files[0], src / files[0].name)
    db = tmp_path / "db"
    persist.load_into(db, [src])
    assert rows(remote.open_store(f"oxigraph:{db}")) == rows(load([src]))
    shutil.copy(files[1], src / files[1].name)  # a new file, e.g. from `channelkg add`
    kg = remote.open_store(f"oxigraph:{db}")
    assert rows(kg) == rows(load([src])) and rows(kg) > rows(load([src / files[0].name]))
    assert str((src / files[1].name).resolve()) in persist.read_manifest(db)
    assert persist.read_folders(db) == [(str(src.resolve()), False)]
    # A manifest that does not record its folders keeps not knowing them (no new files
    # join) until the next load records them.
    manifest = db / persist.MANIFEST
    doc = json.loads(manifest.read_text())
    del doc["folders"]
    manifest.write_text(json.dumps(doc))
    (src / files[1].name).write_text((src / files[1].name).read_text() + "\n")
    del kg
    gc.collect()
    remote.open_store(f"oxigraph:{db}")
    gc.collect()
    assert persist.read_folders(db) is None
    persist.load_into(db, [src])
    assert persist.read_folders(db) == [(str(src.resolve()), False)]


def test_syntax_error_leaves_store_unchanged(tmp_path: Path, files: list[Path]) -> None:
    db = tmp_path / "db"
    persist.load_into(db, files)
    manifest = (db / persist.MANIFEST).read_text()
    files[0].write_text(files[0].read_text() + "\nthis is not turtle\n")
    with pytest.raises(InputError) as err:
        persist.load_into(db, files)
    assert err.value.location and err.value.location.startswith(str(files[0]))
    assert (db / persist.MANIFEST).read_text() == manifest
    shutil.copy(TINY, files[0])  # restore the content, keep the new time
    kg = remote.open_store(f"oxigraph:{db}")
    assert rows(kg) == rows(load(files))


def test_interrupted_load_is_repaired(tmp_path: Path, files: list[Path]) -> None:
    db = tmp_path / "db"
    persist.load_into(db, files)
    doc = json.loads((db / persist.MANIFEST).read_text())
    key = str(files[0].resolve())
    doc["files"][key] = {"graph": doc["files"][key]["graph"], "pending": True}
    (db / persist.MANIFEST).write_text(json.dumps(doc))
    report = persist.load_into(db, files)
    assert report.reloaded == [files[0]]


def test_opens_of_an_up_to_date_store_are_readers(tmp_path: Path, files: list[Path]) -> None:
    """A store whose files have not changed since loading opens read-only, so a second
    process (or a second open) reads it while the first one holds it."""
    db = tmp_path / "db"
    persist.load_into(db, files)
    kg = remote.open_store(f"oxigraph:{db}")
    expected = rows(kg)
    second = remote.open_store(f"oxigraph:{db}")
    assert rows(second) == expected
    readers = [remote.open_store(f"oxigraph:{db}", read_only=True) for _ in range(2)]
    assert all(rows(r) == expected for r in readers)
    del kg, second, readers
    gc.collect()


def test_missing_store_and_unknown_spec(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="load --into"):
        remote.open_store(f"oxigraph:{tmp_path / 'nothing'}")
    with pytest.raises(InputError, match="unknown store"):
        remote.open_store("mysql:localhost")
    with pytest.raises(InputError, match="http"):
        remote.open_store("sparql:ftp://example.org/")


def test_cli_load_then_query_with_store(tmp_path: Path, files: list[Path]) -> None:
    runner = CliRunner()
    db = tmp_path / "db"
    res = runner.invoke(cli, ["load", "--into", f"oxigraph:{db}", *map(str, files)])
    assert res.exit_code == 0, res.output
    assert "3 added" in res.stdout
    out = {}
    for name, opts in (("store", ["--store", f"oxigraph:{db}"]),
                       ("files", [a for f in files for a in ("--data", str(f))])):
        res = runner.invoke(cli, ["query", "routes-into", "-f", "csv", *opts])
        assert res.exit_code == 0, res.output
        out[name] = res.stdout
    assert out["store"] == out["files"] and out["files"].count("\n") > 2
    res = runner.invoke(cli, ["load", "--into", f"oxigraph:{db}", "-q", *map(str, files)])
    assert "0 added, 0 reloaded, 0 removed, 3 unchanged" in res.stdout


def test_cli_load_rejects_bad_target_and_bad_file(tmp_path: Path) -> None:
    runner = CliRunner()
    res = runner.invoke(cli, ["load", "--into", f"sparql:{tmp_path}", str(TINY)])
    assert res.exit_code != 0
    res = runner.invoke(cli, ["load", "--into", f"oxigraph:{tmp_path / 'db'}",
                              str(BAD / "broken-syntax.ttl")])
    assert res.exit_code == 2
    assert "broken-syntax.ttl:" in res.output
    assert not (tmp_path / "db" / persist.MANIFEST).exists()


def test_query_form_and_update_detection() -> None:
    from channelkg.serve.app import is_update

    assert remote.query_form("PREFIX a: <http://x/select#> ASK { ?s ?p 'SELECT' }") == "ASK"
    assert remote.query_form("# SELECT\nCONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }") == "CONSTRUCT"
    assert remote.query_form("PREFIX ask: <x:> SELECT ?ask WHERE { ?ask ask:p ?o }") == "SELECT"
    assert remote.query_form("INSERT DATA { <x:a> <x:b> <x:c> }") == "UPDATE"
    assert is_update("PREFIX ex: <http://ex/> INSERT DATA { ex:a ex:b ex:c }")
    assert is_update("  delete where { ?s ?p ?o }")
    assert is_update("BASE <http://x/> CLEAR ALL")
    assert not is_update("SELECT ?insert WHERE { ?insert ?p 'DELETE' }")
    assert not is_update("PREFIX drop: <http://x/> SELECT * WHERE { ?s drop:x ?o }")


def test_remote_errors_are_clean(tmp_path: Path) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    kg = remote.open_store(f"sparql:http://127.0.0.1:{port}/sparql")
    with pytest.raises(remote.RemoteError, match="cannot reach"):
        run(kg, "ASK {}")
    with pytest.raises(InputError, match="push method"):
        remote.push(f"http://127.0.0.1:{port}/", "urn:g", [TINY], method="ftp")
    with pytest.raises(InputError, match="not an IRI"):
        remote.push(f"http://127.0.0.1:{port}/", "urn:g> <x", [TINY])
    with pytest.raises(QueryError, match="syntax"):
        persist.run_store(load([TINY]).store, "SELECT WHERE")  # type: ignore[arg-type]


def test_validate_a_store(tmp_path: Path) -> None:
    from channelkg.check.validate import validate

    db = tmp_path / "db"
    persist.load_into(db, [BAD / "no-source.ttl"])
    spec = f"oxigraph:{db}"
    res = CliRunner().invoke(cli, ["validate", "--store", spec])
    assert res.exit_code == 1, res.output
    from_files = validate([BAD / "no-source.ttl"])
    want = sorted((p.kind, p.focus, p.path) for p in from_files.problems)
    lines = res.output.splitlines()
    assert lines[-1] == f"{len(want)} problem(s) in {spec}"
    assert all(line.startswith(f"{spec}: ") for line in lines[:-1])
    for kind, focus, path in want:
        assert any(f"{kind} {focus} {path}".strip() in line for line in lines), (kind, focus)
    gc.collect()
    ok = tmp_path / "ok"
    persist.load_into(ok, [TINY])
    res = CliRunner().invoke(cli, ["validate", "--store", f"oxigraph:{ok}"])
    assert res.exit_code == 0 and res.output.startswith(f"ok: oxigraph:{ok}, "), res.output
    both = CliRunner().invoke(cli, ["validate", str(TINY), "--store", f"oxigraph:{ok}"])
    assert both.exit_code == 2 and "not both" in both.output
