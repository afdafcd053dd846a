"""The result cache of ``channelkg query NAME`` (channelkg.cli.cache): a hit prints what a
miss prints, byte for byte, and anything that changes the output misses.

Every run is a fresh process through the entry point (as the ``channelkg`` script runs
it), which reports the modules it imported: a hit imports neither pyoxigraph nor click.
"""

from __future__ import annotations

import io
import json
import os
import pty
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from channelkg import resources
from channelkg.cli import cache, entry
from channelkg.sparql.query import get_query, list_queries

ROOT = Path(__file__).parent.parent
SRC = ROOT / "src"

# Runs the entry point as the ``channelkg`` script does; writes the imported modules and
# the exit code to the file named by the first argument.
RUN = """
import json, sys
from channelkg.cli import main
out, sys.argv = sys.argv[1], ["channelkg", *sys.argv[2:]]
code = 0
try:
    main()
except SystemExit as e:
    code = e.code or 0
sys.stdout.flush()
with open(out, "w") as fh:
    json.dump({"code": code, "modules": sorted(sys.modules)}, fh)
"""

#: Values for the required parameters of shipped queries.
REQUIRED = {"entity": ["-p", "entity=kgid:gpt"]}
NAMED = [nq.name for nq in list_queries()]


class Run:
    """One process: what it printed, its exit code, and whether it was a cache hit."""

    def __init__(self, out: bytes, err: bytes, code: int, modules: set[str]) -> None:
        self.out, self.err, self.code, self.modules = out, err, code, modules
        self.hit = "pyoxigraph" not in modules

    @property
    def shown(self) -> tuple[bytes, bytes, int]:
        return self.out, self.err, self.code


def run(tmp: Path, *args: str, cache_dir: Path | str, env: dict[str, str] | None = None,
        src: Path | None = None, flags: tuple[str, ...] = ()) -> Run:
    report = tmp / "run.json"
    report.unlink(missing_ok=True)
    full = {k: v for k, v in os.environ.items() if k not in {"COLUMNS", "NO_COLOR", "LINES"}}
    full.update({"CHANNELKG_CACHE_DIR": str(cache_dir), "COLUMNS": "100", **(env or {})})
    if src is not None:
        full["PYTHONPATH"] = str(src)
    proc = subprocess.run([sys.executable, *flags, "-c", RUN, str(report), *args], cwd=tmp,
                          capture_output=True, env=full, timeout=120)
    done = json.loads(report.read_text())
    return Run(proc.stdout, proc.stderr, done["code"], set(done["modules"]))


def entries(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.out")) if folder.is_dir() else []


def run_script(script: str, first: Path, folder: Path) -> subprocess.CompletedProcess[str]:
    """A script calling :func:`cache.run_cached` itself, given ``first`` and the package's
    folder as its arguments, with the cache in ``folder``."""
    env = {**os.environ, "CHANNELKG_CACHE_DIR": str(folder)}
    return subprocess.run([sys.executable, "-c", script, str(first), str(SRC / "channelkg")],
                          capture_output=True, text=True, env=env)


def cold_warm(tmp: Path, folder: Path, *args: str, env: dict[str, str] | None = None,
              src: Path | None = None) -> tuple[Run, Run]:
    """A miss (which stores) then a hit of the same command line; both checked."""
    cold = run(tmp, *args, cache_dir=folder, env=env, src=src)
    warm = run(tmp, *args, cache_dir=folder, env=env, src=src)
    assert not cold.hit and warm.hit, args
    assert warm.shown == cold.shown, args
    return cold, warm


@pytest.mark.parametrize("name", NAMED)
def test_every_shipped_query_prints_the_same_from_the_cache(tmp_path: Path, name: str) -> None:
    folder = tmp_path / "cache"
    graph = re.search(r"^\s*(CONSTRUCT|DESCRIBE)\b", get_query(name).text, re.M | re.I)
    for fmt, columns in (("table", "50"), ("table", "120"), ("nt" if graph else "csv", "100"),
                         ("turtle" if graph else "json", "100")):
        args = ["query", name, *REQUIRED.get(name, []), "-f", fmt]
        env = {"COLUMNS": columns}
        plain = run(tmp_path, *args, cache_dir="off", env=env)
        assert plain.code == 0 and plain.out and not plain.hit, (name, plain.err)
        cold, warm = cold_warm(tmp_path, folder, *args, env=env)
        assert cold.shown == plain.shown, (name, fmt, columns)
        assert not {"click", "pyoxigraph", "rdflib"} & {m.partition(".")[0]
                                                          for m in warm.modules}
    assert len(entries(folder)) == 4


def test_the_required_parameters_are_given() -> None:
    for nq in list_queries():
        needed = {p.name for p in nq.params if p.required}
        given = {a.partition("=")[0] for a in REQUIRED.get(nq.name, [])[1::2]}
        assert needed <= given, nq.name


def test_a_hit_imports_neither_click_nor_pyoxigraph_nor_the_graph(tmp_path: Path) -> None:
    folder = tmp_path / "cache"
    _, warm = cold_warm(tmp_path, folder, "query", "seed-table")
    tops = {m.partition(".")[0] for m in warm.modules}
    assert not tops & {"click", "pyoxigraph", "rdflib", "hashlib", "pathlib"}
    assert not {m for m in warm.modules if m.startswith(("channelkg.graph", "channelkg.sparql",
                                                          "channelkg.render.tables"))}


def _home(tmp: Path) -> Path:
    home = tmp / "home"
    shutil.copytree(ROOT / "ontology", home / "ontology")
    (home / "graphs").mkdir()
    shutil.copy(ROOT / "tests" / "data" / "openai-cn.ttl", home / "graphs" / "openai-cn.ttl")
    return home


def _check_miss(tmp: Path, folder: Path, args: list[str], env: dict[str, str],
                before: Run, src: Path | None = None) -> Run:
    """The command line misses, prints what it prints without the cache, and differs
    from ``before`` (unless the output cannot differ); then it hits."""
    plain = run(tmp, *args, cache_dir="off", env=env, src=src)
    cold, _ = cold_warm(tmp, folder, *args, env=env, src=src)
    assert cold.shown == plain.shown
    return cold


def test_a_changed_graph_file_misses_even_with_its_size_and_mtime_kept(tmp_path: Path) -> None:
    home, folder = _home(tmp_path), tmp_path / "cache"
    env = {"CHANNELKG_HOME": str(home)}
    args = ["query", "sources", "-f", "csv"]
    before, _ = cold_warm(tmp_path, folder, *args, env=env)
    assert b"The Register" in before.out
    data = home / "graphs" / "openai-cn.ttl"
    st = data.stat()
    data.write_bytes(data.read_bytes().replace(b"The Register", b"The Registry"))
    os.utime(data, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert data.stat().st_size == st.st_size and data.stat().st_mtime_ns == st.st_mtime_ns
    after = _check_miss(tmp_path, folder, args, env, before)
    assert b"The Registry" in after.out and b"The Register," not in after.out


def test_a_new_or_removed_graph_file_misses(tmp_path: Path) -> None:
    home, folder = _home(tmp_path), tmp_path / "cache"
    env = {"CHANNELKG_HOME": str(home)}
    args = ["query", "sources", "-f", "csv"]
    before, _ = cold_warm(tmp_path, folder, *args, env=env)
    extra = home / "graphs" / "extra.ttl"
    extra.write_text('@prefix ckg: <https://w3id.org/channelkg/ontology#> .\n'
                     '@prefix dcterms: <http://purl.org/dc/terms/> .\n'
                     '<https://w3id.org/channelkg/id/source-new> a ckg:Source ; '
                     'dcterms:title "A new source" .\n', encoding="utf-8")
    added = _check_miss(tmp_path, folder, args, env, before)
    assert b"A new source" in added.out
    extra.unlink()
    again = run(tmp_path, *args, cache_dir=folder, env=env)
    assert again.hit and again.shown == before.shown  # the first entry again


def test_a_changed_query_file_or_code_misses(tmp_path: Path) -> None:
    src, home, folder = tmp_path / "src", _home(tmp_path), tmp_path / "cache"
    shutil.copytree(SRC / "channelkg", src / "channelkg",
                    ignore=shutil.ignore_patterns("__pycache__"))
    env = {"CHANNELKG_HOME": str(home)}
    args = ["query", "sources", "-f", "csv"]
    before, _ = cold_warm(tmp_path, folder, *args, env=env, src=src)
    rq = src / "channelkg" / "sparql" / "queries" / "sources.rq"
    text = rq.read_text(encoding="utf-8")
    assert "?title" in text
    st = rq.stat()
    rq.write_text(text.replace("?title", "?heads"), encoding="utf-8")  # the same size
    os.utime(rq, ns=(st.st_atime_ns, st.st_mtime_ns))
    after = _check_miss(tmp_path, folder, args, env, before, src=src)
    assert after.out.startswith(b"source,heads,")
    code = src / "channelkg" / "render" / "tables.py"
    code.write_text(code.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    edited = run(tmp_path, *args, cache_dir=folder, env=env, src=src)
    assert not edited.hit and edited.shown == after.shown


@pytest.mark.parametrize("change", [{"COLUMNS": "40"}, {"NO_COLOR": "1"}, {"LC_ALL": "C"},
                                    {"CHANNELKG_MAX_NESTING": "7"}, {"PYTHONIOENCODING": "utf-16"},
                                    {"TERM": "dumb"}],
                         ids=lambda e: next(iter(e)))
def test_a_changed_setting_misses_with_its_own_output(tmp_path: Path,
                                                      change: dict[str, str]) -> None:
    folder = tmp_path / "cache"
    args = ["query", "sources"]
    before, _ = cold_warm(tmp_path, folder, *args)
    plain = run(tmp_path, *args, cache_dir="off", env=change)
    after = run(tmp_path, *args, cache_dir=folder, env=change)
    assert not after.hit and after.shown == plain.shown
    if "COLUMNS" in change or "PYTHONIOENCODING" in change:
        assert after.out != before.out


def test_another_format_or_parameter_misses(tmp_path: Path) -> None:
    folder = tmp_path / "cache"
    cold_warm(tmp_path, folder, "query", "seed-table")
    for args in (["query", "seed-table", "-f", "md"], ["query", "seed-table", "--format=md"],
                 ["query", "seed-table", "-p", "market=HK"],
                 ["query", "seed-table", "-p", "market=CN"]):
        plain = run(tmp_path, *args, cache_dir="off")
        cold, _ = cold_warm(tmp_path, folder, *args)
        assert cold.shown == plain.shown
    assert len(entries(folder)) == 5


def _on_terminal(tmp: Path, args: list[str], cache_dir: Path | str,
                 env: dict[str, str]) -> tuple[bytes, bool]:
    """Run with standard output on a pseudo-terminal (standard error on a pipe)."""
    report = tmp / "run.json"
    full = {k: v for k, v in os.environ.items() if k not in {"COLUMNS", "NO_COLOR"}}
    full.update({"CHANNELKG_CACHE_DIR": str(cache_dir), **env})
    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-c", RUN, str(report), *args], cwd=tmp,
                            env=full, stdin=subprocess.DEVNULL, stdout=slave,
                            stderr=subprocess.PIPE)
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # the terminal closes when the child exits (EIO)
            break
        if not data:
            break
        chunks.append(data)
    proc.communicate(timeout=120)
    os.close(master)
    modules = set(json.loads(report.read_text())["modules"])
    return b"".join(chunks), "pyoxigraph" not in modules


def test_a_terminal_gets_its_colours_from_the_cache_and_no_colour_misses(tmp_path: Path) -> None:
    folder, args = tmp_path / "cache", ["query", "seed-table"]
    plain, _ = _on_terminal(tmp_path, args, "off", {"COLUMNS": "70"})
    cold, cold_hit = _on_terminal(tmp_path, args, folder, {"COLUMNS": "70"})
    warm, warm_hit = _on_terminal(tmp_path, args, folder, {"COLUMNS": "70"})
    assert not cold_hit and warm_hit and plain == cold == warm
    assert b"\x1b[" in warm  # coloured on a terminal
    piped = run(tmp_path, *args, cache_dir=folder, env={"COLUMNS": "70"})
    assert not piped.hit and b"\x1b[" not in piped.out  # a pipe is another key
    bare, bare_hit = _on_terminal(tmp_path, args, folder, {"COLUMNS": "70", "NO_COLOR": "1"})
    assert not bare_hit and b"\x1b[" not in bare


@pytest.mark.parametrize("damage", ["truncated", "flipped", "empty", "garbage", "folder"])
def test_a_damaged_entry_is_a_miss(tmp_path: Path, damage: str) -> None:
    folder = tmp_path / "cache"
    args = ["query", "seed-table", "-f", "csv"]
    cold, _ = cold_warm(tmp_path, folder, *args)
    [entry] = entries(folder)
    data = entry.read_bytes()
    if damage == "folder":
        entry.unlink()
        entry.mkdir()
    else:
        entry.write_bytes({"truncated": data[:-7], "flipped": data[:40] + bytes([data[40] ^ 1])
                           + data[41:], "empty": b"", "garbage": b"\x00" * 500}[damage])
    again = run(tmp_path, *args, cache_dir=folder)
    assert not again.hit and again.shown == cold.shown
    if damage != "folder":  # stored again
        assert run(tmp_path, *args, cache_dir=folder).hit


def test_an_unwritable_cache_folder_is_a_miss_that_stores_nothing(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    args = ["query", "seed-table"]
    plain = run(tmp_path, *args, cache_dir="off")
    for _ in range(2):
        got = run(tmp_path, *args, cache_dir=blocker / "cache")
        assert not got.hit and got.shown == plain.shown


def test_a_read_only_cache_folder_is_a_miss_that_stores_nothing(tmp_path: Path) -> None:
    args = ["query", "seed-table"]
    plain = run(tmp_path, *args, cache_dir="off")
    read_only = tmp_path / "ro"
    read_only.mkdir()
    read_only.chmod(0o500)
    try:
        # The superuser writes a folder of mode 0500 anyway; /proc refuses every new file
        # (its own, of mode 0555: a folder the cache trusts).
        folder = Path("/proc") if os.access(read_only, os.W_OK) else read_only
        assert cache._trusted(os.stat(folder))  # so the cache tries to write it
        for _ in range(2):
            got = run(tmp_path, *args, cache_dir=folder)
            assert not got.hit and got.shown == plain.shown and not entries(folder)
    finally:
        read_only.chmod(0o700)


def test_a_folder_others_may_write_is_not_used(tmp_path: Path) -> None:
    folder = tmp_path / "shared"
    args = ["query", "seed-table", "-f", "csv"]
    cold, _ = cold_warm(tmp_path, folder, *args)
    [entry] = entries(folder)
    key = bytes.fromhex(entry.stem)
    entry.write_bytes(cache.encode_entry(key, 0, [(1, b"planted\n")]))
    assert run(tmp_path, *args, cache_dir=folder).out == b"planted\n"  # the format is right
    folder.chmod(0o777)
    got = run(tmp_path, *args, cache_dir=folder)
    assert not got.hit and got.shown == cold.shown
    folder.chmod(0o700)
    entry.chmod(0o666)
    got = run(tmp_path, *args, cache_dir=folder)
    assert not got.hit and got.shown == cold.shown


@pytest.mark.parametrize("args", [
    ["query", "seed-table", "--data", "DATA"],
    ["query", "seed-table", "--store", "oxigraph:nowhere"],
    ["query", "seed-table", "-o", "out.csv"],
    ["query", "seed-table", "--as-of", "2024-01-01"],
    ["query", "SELECT * WHERE { ?s ?p ?o } LIMIT 1"],
    ["queries"],
    ["routes", "--market", "CN"],
    ["query", "seed-table", "-p", "market=Atlantis"],  # exit 2, a value that matches nothing
    ["query", "entity"],  # exit 2, a required parameter missing
    ["query", "seed-table", "-p", "nope=1"],  # exit 2
], ids=lambda a: " ".join(a))
def test_the_cache_is_only_for_a_shipped_query_that_succeeds(tmp_path: Path,
                                                             args: list[str]) -> None:
    folder = tmp_path / "cache"
    args = [str(ROOT / "graphs" / "seed.ttl") if a == "DATA" else a for a in args]
    first = run(tmp_path, *args, cache_dir=folder)
    second = run(tmp_path, *args, cache_dir=folder)
    assert not entries(folder) and first.shown == second.shown and not second.hit


def test_a_query_whose_answer_changes_from_run_to_run_is_not_stored(tmp_path: Path) -> None:
    src, folder = tmp_path / "src", tmp_path / "cache"
    shutil.copytree(SRC / "channelkg", src / "channelkg",
                    ignore=shutil.ignore_patterns("__pycache__"))
    (src / "channelkg" / "sparql" / "queries" / "clock.rq").write_text(
        "# title: Now\n# description: The time.\nSELECT (now () AS ?t) WHERE {}\n",
        encoding="utf-8")
    env = {"CHANNELKG_HOME": str(_home(tmp_path))}
    got = run(tmp_path, "query", "clock", cache_dir=folder, src=src, env=env)
    assert got.code == 0, got.err
    assert got.out.startswith(b"t") and not entries(folder)


def test_inputs_that_change_during_the_run_are_not_stored(tmp_path: Path) -> None:
    data, folder = tmp_path / "input.ttl", tmp_path / "cache"
    data.write_text("# one\n")
    script = (
        "import sys\n"
        "from channelkg.cli import cache\n"
        "def run():\n"
        "    sys.stdout.write('ran\\n')\n"
        "    open(sys.argv[1], 'a').write('# two\\n')\n"
        "    return 0\n"
        "args = ['query', 'x']\n"
        "pkg = sys.argv[2]\n"
        "for _ in range(2):\n"
        "    cache.run_cached(args, lambda: [sys.argv[1]], sys.argv[1], pkg, '0', run)\n")
    proc = run_script(script, data, folder)
    assert proc.stdout == "ran\nran\n" and not entries(folder), proc.stderr


def test_the_folder_follows_the_environment(monkeypatch: pytest.MonkeyPatch,
                                            tmp_path: Path) -> None:
    for var in ("CHANNELKG_CACHE_DIR", "XDG_CACHE_HOME"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert cache.folder() == str(tmp_path / ".cache" / "channelkg")
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/ignored")
    assert cache.folder() == str(tmp_path / ".cache" / "channelkg")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache.folder() == str(tmp_path / "xdg" / "channelkg")
    monkeypatch.setenv("CHANNELKG_CACHE_DIR", "")  # empty: as if unset
    assert cache.folder() == str(tmp_path / "xdg" / "channelkg")
    monkeypatch.setenv("CHANNELKG_CACHE_DIR", str(tmp_path / "mine"))
    assert cache.folder() == str(tmp_path / "mine")
    for off in ("off", "OFF", " off "):
        monkeypatch.setenv("CHANNELKG_CACHE_DIR", off)
        assert cache.folder() is None


def test_the_cache_off_stores_nothing(tmp_path: Path) -> None:
    home = tmp_path / "user"
    env = {"HOME": str(home), "XDG_CACHE_HOME": ""}
    run(tmp_path, "query", "seed-table", cache_dir="off", env=env)
    assert not home.exists()
    run(tmp_path, "query", "seed-table", cache_dir="", env=env)  # empty: the default folder
    assert len(entries(home / ".cache" / "channelkg")) == 1


def test_only_the_newest_entries_are_kept(tmp_path: Path) -> None:
    for i in range(5):
        entry = tmp_path / f"{i:040x}.out"
        entry.write_bytes(b"x")
        os.utime(entry, ns=(i * 10**9, i * 10**9))
    stale = tmp_path / f".{0:040x}.1.0badcafe.tmp"  # a temporary file of a dead writer
    stale.write_bytes(b"")
    os.utime(stale, ns=(0, 0))
    cache.evict(str(tmp_path), keep=2)
    assert [p.name for p in sorted(tmp_path.iterdir())] == [f"{3:040x}.out", f"{4:040x}.out"]


def test_the_cache_keeps_at_most_max_entries(tmp_path: Path) -> None:
    folder = tmp_path / "cache"
    folder.mkdir()
    for i in range(cache.MAX_ENTRIES + 3):
        (folder / f"{i:040x}.out").write_bytes(b"x")
    run(tmp_path, "query", "seed-table", cache_dir=folder)
    assert len(entries(folder)) == cache.MAX_ENTRIES


@pytest.mark.parametrize("home", ["unset", "absolute", "relative", "packaged"])
def test_the_keyed_files_are_the_files_the_command_reads(
    home: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The entry point finds the bundled files without pathlib: as resources does."""
    monkeypatch.chdir(tmp_path)
    if home == "unset":
        monkeypatch.delenv("CHANNELKG_HOME", raising=False)
    elif home == "packaged":  # no checkout around the package: its _data folder
        monkeypatch.delenv("CHANNELKG_HOME", raising=False)
        monkeypatch.setattr(os.path, "isfile", lambda p, real=os.path.isfile: (
            not str(p).endswith("ontology/channelkg.ttl") and real(p)))
        monkeypatch.setattr(Path, "is_file", lambda p, real=Path.is_file: (
            not str(p).endswith("ontology/channelkg.ttl") and real(p)))
    else:
        _home(tmp_path)
        (tmp_path / "home" / "graphs" / "a-first.ttl").write_text("")
        (tmp_path / "home" / "graphs" / "notes.txt").write_text("")
        monkeypatch.setenv("CHANNELKG_HOME", "home" if home == "relative"
                           else str(tmp_path / "home"))
    resources.project_root.cache_clear()
    try:
        expected = [resources.ontology_file(), *resources.default_data_files()]
        got = entry.bundled_inputs()
        assert [os.path.realpath(p) for p in got] == [os.path.realpath(p) for p in expected]
    finally:
        resources.project_root.cache_clear()
    assert entry.package_dir() == str(resources.queries_dir().parent.parent)
    assert entry.query_file("seed-table") == str(resources.queries_dir() / "seed-table.rq")


def test_a_hit_writes_both_streams_in_the_order_the_command_did(tmp_path: Path) -> None:
    data, folder, ran = tmp_path / "input.ttl", tmp_path / "cache", tmp_path / "ran"
    data.write_text("# one\n")
    script = (
        "import sys\n"
        "from channelkg.cli import cache\n"
        "def run():\n"
        "    open(sys.argv[3], 'a').write('x')\n"
        "    for text, stream in (('out 1', sys.stdout), ('err', sys.stderr),\n"
        "                         ('out 2', sys.stdout)):\n"
        "        stream.write(text + ' é\\n')\n"
        "        stream.flush()\n"
        "    return 0\n"
        "sys.exit(cache.run_cached(['query', 'x'], lambda: [sys.argv[1]], sys.argv[1],"
        " sys.argv[2], '0', run))\n")
    for unbuffered in ("", "1"):
        ran.unlink(missing_ok=True)
        shown = []
        for _ in range(2):
            env = {**os.environ, "CHANNELKG_CACHE_DIR": str(folder),
                   "PYTHONUNBUFFERED": unbuffered}
            proc = subprocess.run([sys.executable, "-c", script, str(data),
                                   str(SRC / "channelkg"), str(ran)],
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
            shown.append((proc.stdout, proc.returncode))
        assert shown[0] == shown[1] == ("out 1 é\nerr é\nout 2 é\n".encode(), 0)
        assert ran.read_text() == "x"  # the second was a hit


def test_eviction_leaves_files_the_cache_did_not_make(tmp_path: Path) -> None:
    folder = tmp_path / "mixed"
    folder.mkdir(mode=0o700)
    theirs = [folder / f"result{i}.out" for i in range(3)] + [folder / "notes.tmp"]
    for path in theirs:
        path.write_text("the user's\n")
        os.utime(path, (1, 1))  # older than any entry and than the hour a temporary lasts
    for i in range(3):
        key = bytes([i]) * 20
        assert cache.store(str(folder), key, 0, [(1, b"row\n")])
        os.utime(folder / f"{key.hex()}.out", (1000 + i, 1000 + i))
    stale = folder / f".{'ab' * 20}.123.0badcafe.tmp"
    stale.write_bytes(b"a writer died")
    os.utime(stale, (1, 1))
    cache.evict(str(folder), keep=2)
    assert all(path.read_text() == "the user's\n" for path in theirs)
    assert not stale.exists()
    assert sorted(p.name for p in folder.glob("*.out") if p not in theirs) == [
        f"{bytes([i]).hex() * 20}.out" for i in (1, 2)]


class _Short(io.RawIOBase):
    """A stream that takes at most 5 bytes a write (a non-blocking pipe that is full)."""

    def __init__(self) -> None:
        self.got = bytearray()

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self.got.extend(bytes(data[:5]))
        return min(5, len(data))


def test_output_a_stream_took_only_part_of_is_not_stored(monkeypatch: pytest.MonkeyPatch
                                                        ) -> None:
    short = _Short()
    monkeypatch.setattr(sys, "stdout", io.TextIOWrapper(short, encoding="utf-8"))  # type: ignore[arg-type]
    monkeypatch.setattr(sys, "stderr", io.TextIOWrapper(io.BytesIO(), encoding="utf-8"))

    def run() -> int:
        sys.stdout.write("a row longer than five bytes\n")
        return 0

    code, _, complete = cache.record(run)
    assert code == 0 and not complete
    assert bytes(short.got) == b"a row"


def test_a_graph_file_added_during_the_run_is_not_stored(tmp_path: Path) -> None:
    graphs, folder = tmp_path / "graphs", tmp_path / "cache"
    graphs.mkdir()
    (graphs / "a.ttl").write_text("# a\n")
    script = (
        "import os, sys\n"
        "from channelkg.cli import cache\n"
        "graphs = sys.argv[1]\n"
        "def inputs():\n"
        "    return sorted(os.path.join(graphs, n) for n in os.listdir(graphs))\n"
        "def run():\n"
        "    open(os.path.join(graphs, 'b.ttl'), 'w').write('# b\\n')\n"
        "    sys.stdout.write(' '.join(sorted(os.listdir(graphs))) + '\\n')\n"
        "    return 0\n"
        "sys.exit(cache.run_cached(['query', 'x'], inputs, inputs()[0], sys.argv[2], '0', run))\n")
    proc = run_script(script, graphs, folder)
    assert proc.stdout == "a.ttl b.ttl\n" and not entries(folder), proc.stderr
    # Run again with b.ttl already there (its content is the same): now it is stored.
    proc = run_script(script, graphs, folder)
    assert proc.stdout == "a.ttl b.ttl\n" and len(entries(folder)) == 1


def test_ctrl_c_while_storing_keeps_the_finished_commands_output_and_code(tmp_path: Path
                                                                          ) -> None:
    data, folder = tmp_path / "input.ttl", tmp_path / "cache"
    data.write_text("# one\n")
    script = (
        "import sys\n"
        "from channelkg.cli import cache\n"
        "def interrupted(*args):\n"
        "    open(sys.argv[1] + '.storing', 'w').close()\n"
        "    raise KeyboardInterrupt\n"
        "cache.store = interrupted\n"
        "def run():\n"
        "    sys.stdout.write('ran\\n')\n"
        "    return 0\n"
        "sys.exit(cache.run_cached(['query', 'x'], lambda: [sys.argv[1]], sys.argv[1],"
        " sys.argv[2], '0', run))\n")
    proc = run_script(script, data, folder)
    assert (proc.stdout, proc.stderr, proc.returncode) == ("ran\n", "", 0)
    assert Path(f"{data}.storing").exists()  # interrupted while storing


def test_interpreter_options_are_in_the_key(tmp_path: Path) -> None:
    folder = tmp_path / "cache"
    args = ["query", "seed-table", "-f", "csv"]
    cold_warm(tmp_path, folder, *args)
    for flags in (("-W", "ignore"), ("-X", "channelkg_test=1")):
        first = run(tmp_path, *args, cache_dir=folder, flags=flags)
        again = run(tmp_path, *args, cache_dir=folder, flags=flags)
        assert not first.hit and again.hit, flags
