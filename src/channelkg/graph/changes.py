"""Which files of a load changed, and what of them is parsed (see :func:`load_into
<channelkg.graph.disk.load_into>`).

A file whose size and time are those the manifest records is unchanged; one of the same
size is hashed first. A file changed just before it was looked at (:func:`racy`) is
recorded as ``racy``: an edit of the same size in the same tick of the file system's
clock would keep its time, so the next load hashes it whatever its time says. A changed
Turtle or N-Triples file with a source copy (:mod:`channelkg.graph.sourcediff`) gets
only its changed statements parsed; any other is parsed whole. Every parse happens
before the store is written to, so a syntax error leaves the store as it was.
"""

from __future__ import annotations

import contextlib
import hashlib
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import pyoxigraph as ox

from channelkg.errors import InputError
from channelkg.graph.background import Background
from channelkg.graph.delta import read_copy, sha256_of
from channelkg.graph.memory import parse_file
from channelkg.graph.sourcediff import SOURCE_FORMATS, SourceDelta, read_source, source_delta
from channelkg.record import Record

TYPE_CHECKING = False  # typing is not imported at run time
if TYPE_CHECKING:
    from typing import Any, ClassVar

Progress = Callable[[str], None]
#: A file whose time is less than this before the moment a load looks at it could be
#: changed again in the same tick of its file system's clock without its time changing:
#: 2 s (in ns) where times are kept in whole seconds (FAT keeps 2 s steps), 50 ms where
#: they are finer (Linux file systems stamp times from a clock that ticks every few ms).
RACY_NS = 2_000_000_000
RACY_FINE_NS = 50_000_000


def racy(mtime_ns: int, now_ns: int) -> bool:
    """Whether a file of time ``mtime_ns``, looked at by ``now_ns``, may change unseen."""
    fine = mtime_ns % 1_000_000_000 != 0  # whole seconds: a coarse file system, likely
    return now_ns - mtime_ns < (RACY_FINE_NS if fine else RACY_NS)


#: How a changed file reached the store (:attr:`LoadReport.applied`).
STATEMENTS, LINES, WHOLE = "statements", "lines", "whole"


class LoadReport(Record):
    """What :func:`load_into <channelkg.graph.disk.load_into>` did.

    ``applied`` tells, per changed file, how: ``"statements"`` (only the changed
    statements parsed), ``"lines"`` (the whole file parsed, its difference applied) or
    ``"whole"`` (its graphs replaced).
    """

    __slots__ = ("path", "added", "reloaded", "removed", "unchanged", "triples",
                 "quads_loaded", "applied")
    path: Path
    added: list[Path]
    reloaded: list[Path]
    removed: list[str]
    unchanged: list[Path]
    triples: int
    quads_loaded: int
    applied: dict[Path, str]
    DEFAULTS: ClassVar[dict[str, Any]] = {"triples": 0, "quads_loaded": 0}
    FACTORIES: ClassVar[dict[str, Callable[[], Any]]] = {
        "added": list, "reloaded": list, "removed": list, "unchanged": list, "applied": dict}

    def __init__(self, path: Path, added: list[Path] | None = None,
                 reloaded: list[Path] | None = None, removed: list[str] | None = None,
                 unchanged: list[Path] | None = None, triples: int = 0,
                 quads_loaded: int = 0, applied: dict[Path, str] | None = None) -> None:
        self.set(path=path, added=added or [], reloaded=reloaded or [],
                 removed=removed or [], unchanged=unchanged or [], triples=triples,
                 quads_loaded=quads_loaded, applied=applied or {})

    @property
    def changed(self) -> bool:
        return bool(self.added or self.reloaded or self.removed)

    def summary(self) -> str:
        return (
            f"{self.path}: {len(self.added)} added, {len(self.reloaded)} reloaded, "
            f"{len(self.removed)} removed, {len(self.unchanged)} unchanged; "
            f"{self.quads_loaded} triples parsed, {self.triples} quads in the store"
        )


def graph_name(path: Path) -> ox.NamedNode:
    """The named graph that holds one file: its absolute ``file:`` URI."""
    return ox.NamedNode(path.resolve().as_uri())


def check_file(path: Path) -> list[ox.Quad]:
    """Parse a file (its only parse): the quads that the load then stores.

    Raises:
        InputError: missing, unknown type, or a syntax error (with file:line:col).
    """
    path = Path(path)
    if not path.is_file():
        raise InputError("no such file" if not path.exists() else "not a file", str(path))
    return parse_file(path)


#: Per changed file: its key, path, and its quads or its difference by statements.
Changed = list[tuple[str, Path, "list[ox.Quad] | SourceDelta"]]


def _by_parts(rec: Mapping[str, object] | None, f: Path) -> bool:
    return bool(rec) and isinstance(rec.get("source"), dict) and (  # type: ignore[union-attr]
        f.suffix.lower() in SOURCE_FORMATS)


def prefetch(folder: Path, old: Mapping[str, dict[str, object]],
             files: Sequence[tuple[str, Path, bool]],
             open_store: Callable[[], ox.Store] | None) -> dict[object, Any]:
    """What a load needs besides the parses, fetched while the changed files are parsed:
    the store opened read-write, the copies of the files as last loaded (see
    :mod:`channelkg.graph.delta`; not those compared by statements, read by the parse)
    and the SHA-256 of the files not hashed yet."""
    out: dict[object, Any] = {"store": open_store() if open_store else None}
    for key, f, hash_it in files:
        if _by_parts(old.get(key), f):
            continue
        out["copy", key] = read_copy(folder, old.get(key))
        if hash_it:
            with contextlib.suppress(OSError):  # hashed again, the error shown, by the caller
                out["sha", key] = sha256_of(f)
    return out


def _statements(folder: Path, rec: Mapping[str, object], f: Path, fetched: dict[object, Any],
                key: str) -> SourceDelta | None:
    """A file's difference by statements, or ``None``; leaves its copy and SHA-256 (of
    the bytes compared) in ``fetched`` for a whole parse."""
    from channelkg.rdf.limits import RDF_FILE, check_size

    copy = fetched["copy", key] = read_copy(folder, rec)
    try:
        data = f.read_bytes()
    except OSError:
        return None
    check_size(len(data), RDF_FILE, str(f))
    hashing = Background(lambda: hashlib.sha256(data).hexdigest())
    src = read_source(folder, rec) if copy is not None else None
    delta = None if src is None else source_delta(f, data, src, copy or b"")
    fetched["sha", key] = hashing.result()
    return delta


def parse_changed(wanted: Mapping[str, Path], old: Mapping[str, dict[str, object]],
                  report: LoadReport, say: Progress, folder: Path,
                  open_store: Callable[[], ox.Store] | None,
                  ) -> tuple[dict[str, dict[str, object]], Changed, dict[object, Any]]:
    """Compare files with the manifest; parse (once) what changed.

    A file whose size and time are those recorded is unchanged, unless it is recorded as
    ``racy``; one of the same size is hashed first (a new time alone does not reload it);
    one of another size is parsed while :func:`prefetch` runs on a second thread. Returns
    the new manifest records, the changed files with their quads (or difference), and
    what was prefetched. A syntax error is raised first; then an error of the prefetch (a
    store open in another process).
    """
    new: dict[str, dict[str, object]] = {}
    todo: list[tuple[str, Path, dict[str, object]]] = []
    now = time.time_ns()  # before any file is looked at
    for key, f in wanted.items():
        if not f.is_file():
            raise InputError("no such file", str(f))
        st = f.stat()
        rec = old.get(key) or {}
        stat: dict[str, object] = {"size": st.st_size, "mtime_ns": st.st_mtime_ns}
        if racy(st.st_mtime_ns, now):
            stat["racy"] = True
        fresh = bool(rec) and not rec.get("pending")
        if (fresh and not rec.get("racy") and rec.get("size") == st.st_size
                and rec.get("mtime_ns") == st.st_mtime_ns):
            new[key] = dict(rec)
            report.unchanged.append(f)
            continue
        if fresh and rec.get("size") == st.st_size:
            digest = sha256_of(f)
            if rec.get("sha256") == digest:
                new[key] = {**{k: v for k, v in rec.items() if k != "racy"}, **stat}
                report.unchanged.append(f)
                continue
            stat["sha256"] = digest
        todo.append((key, f, stat))
    pre = Background(prefetch, folder, old, [(k, f, "sha256" not in st) for k, f, st in todo],
                     open_store)
    changed: Changed = []
    mine: dict[object, Any] = {}
    try:
        for key, f, stat in todo:
            was = old.get(key)
            delta = _statements(folder, was, f, mine, key) if was and _by_parts(was, f) else None
            if delta is not None:
                say(f"parsing the changed statements of {f}")
                changed.append((key, f, delta))
            else:
                say(f"parsing {f}")
                changed.append((key, f, check_file(f)))
            new[key] = {"graph": graph_name(f).value, **stat}
            (report.reloaded if key in old else report.added).append(f)
    except BaseException:
        pre.discard()
        raise
    fetched: dict[object, Any] = pre.result()
    fetched.update(mine)
    for key, f, _stat in todo:
        new[key].setdefault("sha256", fetched.pop(("sha", key), None) or sha256_of(f))
    return new, changed, fetched


__all__ = ["LINES", "RACY_FINE_NS", "RACY_NS", "STATEMENTS", "WHOLE", "Changed", "LoadReport",
           "check_file", "graph_name", "parse_changed", "prefetch", "racy"]
