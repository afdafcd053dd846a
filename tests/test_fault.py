"""Fault injection: killed writers, full and read-only disks, concurrent writers and readers.

Every write goes through the atomic write and the lock of rdf/fileio.py: whatever
happens to a writer, each file of graphs/ is the old or the new version, and valid.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from channelkg.check.validate import validate
from channelkg.cli.main import cli
from channelkg.graph.memory import load
from channelkg.rdf.namespaces import CKG, KGID
from channelkg.sparql.query import query

DATA = Path(__file__).parent / "data"
ROOT = Path(__file__).parent.parent


def _home(root: Path) -> Path:
    """A project root: the ontology and a graphs/ folder holding openai-cn.ttl."""
    shutil.copytree(ROOT / "ontology", root / "ontology")
    (root / "graphs").mkdir(parents=True)
    shutil.copy(DATA / "openai-cn.ttl", root / "graphs" / "openai-cn.ttl")
    return root


def _claims_yaml(path: Path, n: int, tag: str) -> Path:
    facts = "".join(
        f"- type: claim\n  about: microsoft\n  comment: Claim {tag} number {i}.\n"
        f"  source: source-seed-2026\n  stated_on: 2026-06-19\n" for i in range(n))
    path.write_text(facts, encoding="utf-8")
    return path


def _env(home: Path) -> dict[str, str]:
    return {**os.environ, "CHANNELKG_HOME": str(home)}


def _cli(home: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "channelkg", *args], env=_env(home),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            stdin=subprocess.DEVNULL)


def _digests(folder: Path) -> dict[str, str]:
    """The graph files' contents (the empty lock file is not data: a run killed before it
    takes the lock has none)."""
    return {f.name: hashlib.sha256(f.read_bytes()).hexdigest()
            for f in sorted(folder.iterdir()) if f.is_file() and f.name != ".channelkg.lock"}


def _claims(home: Path) -> set[str]:
    kg = load([home / "graphs"])
    return {str(r[0]) for r in query(kg, f"SELECT ?s WHERE {{ ?s a <{CKG}Claim> }}").rows}


# -- kill -9 -----------------------------------------------------------------------------


def test_import_killed_at_random_moments_leaves_old_or_new(tmp_path: Path) -> None:
    """8 imports killed (SIGKILL) at random moments, four at a time: every file of
    graphs/ is then byte for byte the old or the new version, and the graph validates.

    The moments are stratified over the run of an import (from 0.1 s to a tenth past its
    time): the k-th kill falls at a random point of the k-th of 8 equal stretches, so
    that kills land from the start-up to past the end of the write in every run."""
    facts = _claims_yaml(tmp_path / "facts.yaml", 3, "killed")
    done = _home(tmp_path / "done")
    p = _cli(done, "import", str(facts))
    out, err = p.communicate(timeout=120)
    assert p.returncode == 0, err
    old = _digests(_home(tmp_path / "old") / "graphs")
    new = _digests(done / "graphs")
    assert new != old
    took = time.monotonic()
    p = _cli(_home(tmp_path / "timing"), "import", str(facts))
    p.communicate(timeout=120)
    took = time.monotonic() - took
    rng = random.Random(15)
    batches, per_batch = 2, 4
    slots = list(range(batches * per_batch))
    rng.shuffle(slots)  # the stretches, in a random order over the batches
    span = took * 1.1 - 0.1
    outcomes: dict[str, int] = {"old": 0, "new": 0}
    for batch in range(batches):
        runs = []
        for i in range(per_batch):
            home = _home(tmp_path / f"run-{batch}-{i}")
            slot = slots[batch * per_batch + i]
            at = 0.1 + span * (slot + rng.random()) / len(slots)
            runs.append((home, _cli(home, "import", str(facts)), at))
        start = time.monotonic()
        for _, proc, at in sorted(runs, key=lambda r: r[2]):
            time.sleep(max(0.0, start + at - time.monotonic()))
            proc.send_signal(signal.SIGKILL)
            proc.communicate(timeout=60)
        for home, _, _ in runs:
            now = {k: v for k, v in _digests(home / "graphs").items()
                   if not k.endswith(".tmp") and k != ".channelkg.lock"}
            assert now in (old, new), f"half-written graphs/ in {home}"
            outcomes["new" if now == new else "old"] += 1
            assert validate([home / "graphs"]).conforms
    assert sum(outcomes.values()) == batches * per_batch


# -- a full disk, a read-only one ------------------------------------------------------


@contextlib.contextmanager
def small_disk(path: Path, size_kb: int) -> Iterator[bool]:
    """A tmpfs of ``size_kb`` mounted at ``path`` (unmounted after); yields whether it
    could be mounted (root only)."""
    path.mkdir(parents=True, exist_ok=True)
    mounted = os.geteuid() == 0 and subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size_kb}k", "tmpfs", str(path)],
        capture_output=True).returncode == 0
    try:
        yield mounted
    finally:
        if mounted:
            subprocess.run(["umount", str(path)], check=True)


def _fill(folder: Path) -> None:
    """Fill the file system of ``folder``."""
    fh = (folder / "filler").open("wb")
    with contextlib.suppress(OSError):
        while True:
            fh.write(b"\0" * 4096)
            fh.flush()
    with contextlib.suppress(OSError):
        fh.close()


def _big_turtle(path: Path) -> Path:
    path.write_text("@prefix kgid: <https://w3id.org/channelkg/id/> .\n"
                    "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
                    f'kgid:microsoft rdfs:comment "{"x" * 60_000}"@en .\n', encoding="utf-8")
    return path


def _enospc(*_args: object) -> None:
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


@pytest.mark.parametrize("command", ["import", "format"])
def test_a_full_disk_leaves_every_file_intact(command: str, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """graphs/ on a full tmpfs (or, where none can be mounted, ENOSPC injected at the
    write's fsync): one clear line, exit 2, every file as it was, no temporary file."""
    big = _big_turtle(tmp_path / "big.ttl")
    home = _home(tmp_path / "home")
    graphs = home / "graphs"
    kept = tmp_path / "openai-cn.ttl"
    shutil.move(graphs / "openai-cn.ttl", kept)
    with small_disk(graphs, 256) as mounted:
        target = graphs / "openai-cn.ttl"
        text = kept.read_text(encoding="utf-8")
        target.write_text(text + ("\n\n\n" if command == "format" else ""), encoding="utf-8")
        if mounted:
            _fill(graphs)
        else:
            monkeypatch.setattr(os, "fsync", _enospc)
        before = _digests(graphs)
        monkeypatch.setenv("CHANNELKG_HOME", str(home))
        args = (["import", str(big), "--file", str(target)] if command == "import"
                else ["format", str(target)])
        res = CliRunner().invoke(cli, args)
        monkeypatch.undo()
        assert res.exit_code == 2, res.output
        errors = [line for line in res.stderr.splitlines() if line.startswith("Error:")]
        assert len(errors) == 1 and "No space left on device" in errors[0], res.stderr
        after = _digests(graphs)
        after.pop(".channelkg.lock", None)
        before.pop(".channelkg.lock", None)
        assert after == before


def test_a_read_only_disk_is_one_clear_line(tmp_path: Path) -> None:
    """The lock file cannot be made on a read-only file system: exit 2, one line."""
    facts = _claims_yaml(tmp_path / "facts.yaml", 1, "read-only")
    home = _home(tmp_path / "home")
    graphs = home / "graphs"
    kept = tmp_path / "openai-cn.ttl"
    shutil.move(graphs / "openai-cn.ttl", kept)
    with small_disk(graphs, 1024) as mounted:
        shutil.copy(kept, graphs / "openai-cn.ttl")
        before = _digests(graphs)
        if mounted:
            subprocess.run(["mount", "-o", "remount,ro", str(graphs)], check=True)
        else:
            os.chmod(graphs, 0o555)
        p = _cli(home, "import", str(facts))
        out, err = p.communicate(timeout=120)
        if not mounted:
            os.chmod(graphs, 0o755)
        assert p.returncode == 2, err
        errors = [line for line in err.splitlines() if line.startswith("Error:")]
        assert len(errors) == 1 and "Traceback" not in err, err
        assert "lock" in errors[0] and (not mounted or "Read-only file system" in errors[0])
        assert _digests(graphs) == before


# -- concurrent writers ---------------------------------------------------------------


def test_eight_concurrent_adds_lose_no_fact(tmp_path: Path) -> None:
    home = _home(tmp_path / "home")
    procs = [_cli(home, "add", "claim", "--about", "microsoft", "--comment",
                  f"Concurrent claim number {i}.", "--source", "source-seed-2026",
                  "--stated-on", "2026-06-19") for i in range(8)]
    for p in procs:
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
    claims = _claims(home)
    for i in range(8):
        assert f"{KGID}claim-concurrent-claim-number-{i}-2026-06-19" in claims
    assert validate([home / "graphs"]).conforms


def test_import_racing_format_loses_nothing(tmp_path: Path) -> None:
    """Imports and formats of the same files at once: every imported fact is there."""
    home = _home(tmp_path / "home")
    target = home / "graphs" / "openai-cn.ttl"
    procs = []
    for i in range(3):
        facts = _claims_yaml(tmp_path / f"facts-{i}.yaml", 2, f"race {i}")
        procs.append(_cli(home, "import", str(facts), "--file", str(target)))
        procs.append(_cli(home, "format", str(target)))
    for p in procs:
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
    claims = _claims(home)
    for i in range(3):
        for j in range(2):
            assert f"{KGID}claim-claim-race-{i}-number-{j}-2026-06-19" in claims, claims
    assert validate([home / "graphs"]).conforms


# -- concurrent readers, Ctrl-C ----------------------------------------------------------


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("store") / "db"
    res = CliRunner().invoke(cli, ["load", "--into", f"oxigraph:{db}", str(DATA / "tiny.ttl")])
    assert res.exit_code == 0, res.output
    return db


def test_four_readers_share_a_store(store: Path) -> None:
    """A plain query opens an up-to-date store read-only: four at once all answer."""
    q = f"SELECT ?m WHERE {{ ?m a <{CKG}Market> }}"
    procs = [subprocess.Popen([sys.executable, "-m", "channelkg", "query", q, "--store",
                               f"oxigraph:{store}", "--format", "csv"], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(4)]
    outs = []
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
        outs.append(out)
    assert len(set(outs)) == 1 and f"{KGID}t-market" in outs[0]


def test_ctrl_c_stops_a_running_store_query(store: Path) -> None:
    q = ("SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . "
         "?m ?n1 ?o }")
    p = subprocess.Popen([sys.executable, "-m", "channelkg", "query", q, "--timeout", "0",
                          "--store", f"oxigraph:{store}"], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True,
                         # A job started in the background inherits SIGINT ignored.
                         preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    time.sleep(3)
    assert p.poll() is None, "the query ended before Ctrl-C"
    sent = time.monotonic()
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=30)
    assert time.monotonic() - sent < 5
    assert p.returncode == 130 and "interrupted" in err and "Traceback" not in err
