"""``kill -9`` during ``load --into``: the next load brings the store to the files' content.

A child process loads a changed file into an on-disk store and is killed (SIGKILL) at
a random moment of that load; then a load in this process must leave the store
holding exactly each file's triples (counted per file over its graphs), with no
graph left over; after kills during reloads of small edits (applied as a difference),
exactly what a fresh load gives. Also: a reload after a small edit places by date only
what it changed (the dated triples of the other file are not moved).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pyoxigraph as ox
import pytest

from channelkg.graph.delta import COPIES
from channelkg.graph.disk import graph_name, load_into, read_manifest
from channelkg.graph.memory import parse_file
from channelkg.graph.validity import KEY_MARK
from test_store_reload import assert_as_fresh

ROOT = Path(__file__).parent.parent
CHILD = """
import sys, time
from pathlib import Path
from channelkg.graph.disk import load_into
files = [Path(f) for f in sys.argv[2:]]
print("ready", flush=True)
start = time.perf_counter()
load_into(sys.argv[1], files=files)
print(f"done {time.perf_counter() - start:.3f}", flush=True)
"""


def _write(path: Path, n: int, variant: int) -> None:
    """``n`` dated facts; ``variant`` moves some dates (so triples change graphs) and
    adds one triple."""
    ckg, kgid = "https://w3id.org/channelkg/ontology#", "https://w3id.org/channelkg/id/"
    lines = []
    for i in range(n):
        year = 2000 + (i * 7 + variant * (i % 3)) % 25
        s = f"<{kgid}fact-{i}>"
        lines += [f"{s} <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <{ckg}Claim> .",
                  f'{s} <{ckg}validFrom> "{year}-01-01"^^<http://www.w3.org/2001/XMLSchema#date> .',
                  f'{s} <http://www.w3.org/2000/01/rdf-schema#comment> "fact {i} v{variant}" .']
    lines += [f'<{kgid}extra> <http://www.w3.org/2000/01/rdf-schema#label> "v{variant}" .'] * (
        variant % 2)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _about(path: Path, n: int) -> None:
    """A second file with triples about the first file's facts (placed by their dates)."""
    kgid = "https://w3id.org/channelkg/id/"
    path.write_text("".join(
        f'<{kgid}fact-{i}> <http://www.w3.org/2000/01/rdf-schema#label> "label {i}" .\n'
        for i in range(0, n, 5)), encoding="utf-8")


def _triples_per_file(folder: Path) -> dict[str, set[tuple[str, str, str]]]:
    store = ox.Store.read_only(str(folder))
    out: dict[str, set[tuple[str, str, str]]] = {}
    for q in store.quads_for_pattern(None, None, None, None):
        g = q.graph_name
        assert isinstance(g, ox.NamedNode)
        base = g.value.split(KEY_MARK, 1)[0]
        out.setdefault(base, set()).add((str(q.subject), str(q.predicate), str(q.object)))
    del store
    return out


def _expected(files: list[Path]) -> dict[str, set[tuple[str, str, str]]]:
    return {graph_name(f).value: {(str(q.subject), str(q.predicate), str(q.object))
                                  for q in parse_file(f)} for f in files}


def _child(folder: Path, files: list[Path]) -> subprocess.Popen[str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    return subprocess.Popen([sys.executable, "-c", CHILD, str(folder), *map(str, files)],
                            stdout=subprocess.PIPE, text=True, env=env)


def _loaded(tmp_path: Path, n: int) -> tuple[Path, Path, Path, list[Path]]:
    """``a.nt`` with ``n`` dated facts and ``b.nt`` about them, loaded into a store:
    ``(a, b, folder, files)``."""
    a, b, folder = tmp_path / "a.nt", tmp_path / "b.nt", tmp_path / "store"
    _write(a, n, 0)
    _about(b, n)
    files = [a, b]
    load_into(folder, files=files)
    return a, b, folder, files


def test_kill_during_load_is_repaired_by_the_next_load(tmp_path: Path) -> None:
    n = 600
    a, _b, folder, files = _loaded(tmp_path, n)
    assert _triples_per_file(folder) == _expected(files)
    # How long a load of a changed file takes here (a child that is not killed).
    _write(a, n, 1)
    proc = _child(folder, files)
    out = proc.communicate(timeout=300)[0]
    took = float(out.split("done ")[1])
    assert _triples_per_file(folder) == _expected(files)

    def repaired(kills: int) -> None:
        assert _triples_per_file(folder) == _expected(files), f"after kill {kills}"
        assert not any(r.get("pending") for r in read_manifest(folder).values())

    _kill_loads(folder, files, took, seed=14, wanted=5,
                edit=lambda variant: _write(a, n, variant), check=repaired)


def _kill_loads(folder: Path, files: list[Path], took: float, *, seed: int, wanted: int,
                edit: Callable[[int], None], check: Callable[[int], None]) -> None:
    """Edit, start a load in a child and kill it at a random moment of its run, then load
    again and ``check``; until ``wanted`` loads were killed (a load that ends before its
    kill does not count, and its stretch is drawn again).

    The moments are stratified: the k-th kill falls at a random point of the k-th of
    ``wanted + 1`` equal stretches of ``took`` (the last stretch, where a load may end
    first, is left out): a few kills still land early, in the middle and late in the
    load in every run, where as many uniform draws could bunch up. (A kill at a known
    step, between changing the graphs and placing the dates, is the deterministic test
    below.)"""
    rnd = random.Random(seed)
    kills, variant = 0, 1
    while kills < wanted and variant < 40:
        variant += 1
        edit(variant)
        proc = _child(folder, files)
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        time.sleep(took * (kills + rnd.random()) / (wanted + 1))
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            kills += 1
        proc.wait(timeout=60)
        load_into(folder, files=files)  # the next load repairs
        check(kills)
        assert not list((folder / COPIES).glob(".*")), "a temporary copy is left"
    assert kills >= wanted


def test_a_gone_file_is_dropped_even_if_the_load_that_drops_it_is_killed(
        tmp_path: Path) -> None:
    a, b, folder, _files = _loaded(tmp_path, 2000)
    proc = _child(folder, [a])  # b is gone from the file list
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=60)
    load_into(folder, files=[a])
    assert _triples_per_file(folder) == _expected([a])


def _redate(path: Path, variant: int, n: int) -> None:
    """A small edit: one fact's start moves (its triples change graphs), one triple more."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    i = 3 * ((variant * 37) % n) + 1  # the validFrom line of one fact
    lines[i] = lines[i].replace('"20', f'"{19 + variant % 2}', 1)
    lines.append(f'<urn:edit:{variant}> <http://www.w3.org/2000/01/rdf-schema#label> "e" .\n')
    path.write_text("".join(lines), encoding="utf-8")


def test_kill_during_a_reload_of_the_difference_is_repaired(tmp_path: Path) -> None:
    """Small edits, each applied as a difference (with a fact whose keyed graph moves),
    killed at random moments: the next load makes the store what a fresh load gives."""
    n = 1000
    a, _b, folder, files = _loaded(tmp_path, n)
    _redate(a, 1, n)
    out = _child(folder, files).communicate(timeout=300)[0]
    took = float(out.split("done ")[1])
    assert_as_fresh(folder, files, tmp_path)
    _kill_loads(folder, files, took, seed=15, wanted=4,
                edit=lambda variant: _redate(a, variant, n),
                check=lambda _kills: assert_as_fresh(folder, files, tmp_path))


@pytest.mark.parametrize("edit", ["other file", "dates"])
def test_reload_places_only_what_changed(tmp_path: Path, edit: str) -> None:
    a, b, folder, _files = _loaded(tmp_path, 600)
    before = {f: _triples(f) for f in (a, b)}
    messages: list[str] = []
    if edit == "other file":
        b.write_text(b.read_text() + '<urn:x> <urn:p> "new" .\n', encoding="utf-8")
    else:
        _write(a, 600, 1)  # dates of a's facts move: b's labels about them move too
    load_into(folder, files=[a, b], progress=messages.append)
    assert _triples_per_file(folder) == _expected([a, b])
    assert any("triples removed" in m for m in messages)  # the difference was applied
    moved = sum(int(m.split()[0]) for m in messages if "placed by their validity dates" in m)
    # The triples that move are those the store already held (in either file) about the
    # facts whose dates changed: the new ones go straight to their graphs.
    valid_from = "https://w3id.org/channelkg/ontology#validFrom"
    redated = {s for s, p, _o in before[a] ^ _triples(a) if p == f"<{valid_from}>"}
    kept = (before[a] & _triples(a)) | (before[b] & _triples(b))
    assert moved == sum(1 for s, _p, o in kept if s in redated or o in redated)
    assert (moved == 0) == (edit == "other file")


def _triples(path: Path) -> set[tuple[str, str, str]]:
    return {(str(q.subject), str(q.predicate), str(q.object)) for q in parse_file(path)}


def _turtle(path: Path, n: int, variant: int) -> None:
    """``n`` dated facts in Turtle with prefixes; ``variant`` moves one fact's start
    (its triples change graphs) and changes one label: a few statements change."""
    moved, labelled = (variant * 37) % n, (variant * 53) % n
    lines = ["@prefix ckg: <https://w3id.org/channelkg/ontology#> .",
             "@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .",
             "@prefix id: <https://w3id.org/channelkg/id/> .", ""]
    for i in range(n):
        year = 2000 + (i * 7) % 25 - (variant % 3 if i == moved else 0)
        label = f"fact {i}" + (f" v{variant}" if i == labelled else "")
        lines.append(f'id:fact-{i} a ckg:Claim ; ckg:validFrom "{year}-01-01"^^xsd:date ;\n'
                     f'    <http://www.w3.org/2000/01/rdf-schema#comment> """{label} .\n""" .')
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_kill_during_a_reload_by_statements_is_repaired(tmp_path: Path) -> None:
    """Small edits of a Turtle file, each applied by parsing only the changed statements,
    killed at random moments: the next load makes the store what a fresh load gives."""
    a, b, folder = tmp_path / "a.ttl", tmp_path / "b.nt", tmp_path / "store"
    n = 1000
    _turtle(a, n, 0)
    _about(b, n)
    files = [a, b]
    load_into(folder, files=files)
    _turtle(a, n, 1)
    assert load_into(folder, files=files).applied == {a: "statements"}
    _turtle(a, n, 2)
    out = _child(folder, files).communicate(timeout=300)[0]
    took = float(out.split("done ")[1])
    assert_as_fresh(folder, files, tmp_path)
    _kill_loads(folder, files, took, seed=16, wanted=4,
                edit=lambda variant: _turtle(a, n, variant),
                check=lambda _kills: assert_as_fresh(folder, files, tmp_path))
    _turtle(a, n, 99)
    assert load_into(folder, files=files).applied == {a: "statements"}
    assert_as_fresh(folder, files, tmp_path)


KILLED_MID_APPLY = """
import os, signal, sys
from pathlib import Path
import channelkg.graph.disk as disk
def killed(*_args, **_kw):  # the files' graphs are changed, their dates not yet placed
    os.kill(os.getpid(), signal.SIGKILL)
disk.partition = killed
disk.load_into(sys.argv[1], files=[Path(f) for f in sys.argv[2:]])
"""


def test_a_load_killed_while_it_changes_the_store_is_repaired(tmp_path: Path) -> None:
    """Deterministic: the child is killed after it changed the files' graphs and before
    it placed their dates and wrote the manifest; the next load must see that the store
    is half-changed (the manifest marked the files pending first) and repair it."""
    n = 300
    a, _b, folder, files = _loaded(tmp_path, n)
    _redate(a, 10, n)  # fact 70 moves from 2000s to 1900s; b has a label of it
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    proc = subprocess.run([sys.executable, "-c", KILLED_MID_APPLY, str(folder),
                           *map(str, files)], env=env, timeout=300)
    assert proc.returncode == -signal.SIGKILL
    assert any(r.get("pending") for r in read_manifest(folder).values())
    # The kill landed in the window: the file's graph holds the new triples, but a
    # fact whose date moved still sits in its old keyed graph.
    assert _triples_per_file(folder) == _expected(files)
    load_into(tmp_path / "fresh", files=files)
    assert _quads(folder) != _quads(tmp_path / "fresh")
    load_into(folder, files=files)
    assert_as_fresh(folder, files, tmp_path)
    assert not any(r.get("pending") for r in read_manifest(folder).values())


def _quads(folder: Path) -> set[str]:
    store = ox.Store.read_only(str(folder))
    out = {str(q) for q in store.quads_for_pattern(None, None, None, None)}
    del store
    return out
