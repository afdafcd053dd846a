"""A persistent on-disk Oxigraph store that mirrors a set of RDF files.

``channelkg load --into oxigraph:PATH [FILES]`` builds the store; ``--store
oxigraph:PATH`` on any reading command opens it. The layout:

* every source file is loaded into its own named graph, named by the file's
  ``file:`` URI, so that a changed file can be replaced without touching the others;
* ``PATH/channelkg-manifest.json`` records, per file, its named graph, size,
  modification time and SHA-256, and the folders the files came from. On ``load``
  and on every open the files are compared with the manifest and only the changed
  ones are parsed again (a file whose time changed but whose SHA-256 did not is not
  reloaded); deleted files have their graph dropped, and new files in those folders
  are loaded;
* ``PATH/channelkg-loaded/`` keeps each file's N-Triples as last loaded, so that a
  changed file gets only the triples it gained and lost (:mod:`channelkg.graph.delta`),
  and of a Turtle or N-Triples file its text with its statement ends, so that only the
  statements an edit touched are parsed (:mod:`channelkg.graph.sourcediff`);
* queries see the union of the named graphs (pyoxigraph
  ``use_default_graph_as_union=True``), i.e. the same triples as the files loaded
  in memory. The backend's engine name is ``oxigraph-disk``;
* the triples of dated facts sit in graphs keyed by their dates (``<file>#valid=…``,
  see :mod:`channelkg.graph.validity`), so ``--as-of`` is a query on some graphs.

Changed files are all parsed (once each) before the store is written to, so a syntax
error leaves the store and its manifest as they were. While files are being applied
the manifest marks them as pending, so an interrupted load is repaired by the next one.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path

import pyoxigraph as ox

from channelkg import resources
from channelkg.errors import InputError
from channelkg.graph.background import Background, Bounded
from channelkg.graph.base import QueryResult
from channelkg.graph.changes import (
    LINES,
    STATEMENTS,
    WHOLE,
    Changed,
    LoadReport,
    graph_name,
    parse_changed,
)
from channelkg.graph.delta import (
    apply_delta,
    changed_lines,
    drop_copy,
    drop_stale_copies,
    ntriples,
    sha256_of,
    write_copy,
)
from channelkg.graph.housekeeping import prune_info_logs
from channelkg.graph.memory import FORMATS, OxigraphGraph, expand_paths, query_store
from channelkg.graph.sourcediff import SourceDelta, source_of, write_source
from channelkg.graph.validity import DATING_IRIS, KEY_MARK, add_quads, partition
from channelkg.graph.validity import placed as place

TYPE_CHECKING = False  # typing is not imported at run time
if TYPE_CHECKING:
    from typing import Any

MANIFEST = "channelkg-manifest.json"
#: The layout of the store: 2 = dated triples in graphs keyed by their dates.
LAYOUT = 2
ENGINE = "oxigraph-disk"

Progress = Callable[[str], None]


class DiskKnowledgeGraph(OxigraphGraph):
    """The ``oxigraph:PATH`` backend: a persistent store, the union of its named graphs."""

    engine = ENGINE

    def __init__(self, store: ox.Store, files: tuple[Path, ...] = (), *, path: Path,
                 read_only: bool = False) -> None:
        super().__init__(store, files)
        self.path = path
        self.read_only = read_only
        self.writable = not read_only

    def __len__(self) -> int:
        res = self.store.query(
            "SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o WHERE { ?s ?p ?o } }",
            use_default_graph_as_union=True,
        )
        return int(next(iter(res))[0].value)  # type: ignore[arg-type]

    def ox_triples(self, s: Any = None, p: Any = None, o: Any = None) -> Iterator[Any]:
        """The distinct triples of all the file graphs matching a pattern."""
        seen: set[tuple[object, object, object]] = set()
        for t in super().ox_triples(s, p, o):
            if t not in seen:
                seen.add(t)
                yield t

    def close(self) -> None:
        del self.store


def read_manifest(folder: Path) -> dict[str, dict[str, object]]:
    """Return the ``file -> {graph, sha256, size, mtime_ns}`` records of a store."""
    path = folder / MANIFEST
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as err:
        raise InputError(f"unreadable store manifest: {err}", str(path)) from None
    files = doc.get("files", {}) if isinstance(doc, dict) else {}
    return {str(k): dict(v) for k, v in files.items()}


def read_folders(folder: Path) -> list[tuple[str, bool]] | None:
    """The folders a store was loaded from, each with ``True`` if only its ``*.ttl``
    files count (the curated graph); their new files are loaded when the store opens.
    ``None`` for a store whose manifest does not record them (its next ``load`` does)."""
    try:
        doc = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    rows = doc.get("folders") if isinstance(doc, dict) else None
    if not isinstance(rows, list):
        return None
    return [(str(r[0]), bool(r[1])) for r in rows if isinstance(r, list) and len(r) == 2]


def _folder_files(path: Path, ttl_only: bool) -> list[Path]:
    if ttl_only:
        return sorted(path.glob("*.ttl"))
    return sorted(f for f in path.iterdir() if f.suffix.lower() in FORMATS)


def _write_manifest(folder: Path, files: Mapping[str, Mapping[str, object]],
                    folders: Sequence[tuple[str, bool]] | None = None) -> None:
    from channelkg.rdf.fileio import atomic_write_text

    if folders is None:
        folders = read_folders(folder)
    doc: dict[str, object] = {"format": "channelkg-oxigraph-store", "version": 1,
                              "layout": LAYOUT}
    if folders is not None:
        doc["folders"] = [list(f) for f in folders]
    doc["files"] = dict(sorted(files.items()))
    atomic_write_text(folder / MANIFEST, json.dumps(doc, indent=1, ensure_ascii=False) + "\n")


class StoreLockedError(InputError):
    """The store is open read-write in another process."""


def _open_rw(folder: Path) -> ox.Store:
    try:
        store = ox.Store(str(folder))
    except OSError as err:
        if "lock" in str(err).lower():
            raise StoreLockedError(
                "the store is open in another process (a running `channelkg serve` "
                "or `load`?); stop it first",
                str(folder),
            ) from None
        raise InputError(f"cannot open the Oxigraph store: {err}", str(folder)) from None
    prune_info_logs(folder)
    return store


def _keyed(folder: Path) -> bool:
    """True if the store's dated triples sit in graphs keyed by their dates."""
    try:
        doc = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(doc, dict) and doc.get("layout") == LAYOUT


def is_store(folder: Path) -> bool:
    """True if ``folder`` holds a store built by :func:`load_into`."""
    return (folder / MANIFEST).is_file()


def _file_graphs(store: ox.Store, graph: ox.NamedNode) -> list[ox.NamedNode]:
    """A file's graph and the graphs its dated triples were keyed into."""
    prefix = graph.value + KEY_MARK
    keyed = [g for g in store.named_graphs()
             if isinstance(g, ox.NamedNode) and g.value.startswith(prefix)]
    return [*keyed, graph] if store.contains_named_graph(graph) else keyed


def _dated_in(store: ox.Store, graphs: Sequence[ox.NamedNode]) -> set[Any]:
    """The facts a file dates (subjects of its date triples), read from its graphs."""
    dated = [ox.NamedNode(p) for p in DATING_IRIS]
    return {q.subject for g in graphs for p in dated
            for q in store.quads_for_pattern(None, p, None, g)}


def _graph_size(store: ox.Store, graph: ox.NamedNode) -> int:
    res = store.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH {graph} {{ ?s ?p ?o }} }}")
    return int(next(iter(res))[0].value)  # type: ignore[arg-type]


def load_into(
    folder: Path | str,
    paths: Sequence[Path | str] | None = None,
    *,
    ontology: bool = True,
    files: Sequence[Path] | None = None,
    progress: Progress | None = None,
    store: ox.Store | None = None,
) -> LoadReport:
    """Make the store at ``folder`` hold exactly the given files, reloading only changes.

    Args:
        folder: the store folder (created if missing).
        paths: RDF files or folders; ``None`` means the bundled graph (like :func:`load`).
        ontology: also load ``ontology/channelkg.ttl`` (as :func:`channelkg.store.load` does).
        files: the exact file list (skips ``paths``/``ontology`` expansion).
        progress: called with a line of text per step (e.g. to print on stderr).
        store: an already open read-write store of ``folder``.

    Raises:
        InputError: a file is missing or has a syntax error (the store is left as it was).
    """
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise InputError("exists and is not a folder", str(folder))
    folders: list[tuple[str, bool]] | None = None
    if files is None:
        folders = ([(str(resources.graphs_dir().resolve()), True)] if not paths else
                   [(str(Path(p).resolve()), False) for p in paths if Path(p).is_dir()])
        files = expand_paths(paths)
        if ontology:
            onto = resources.ontology_file()
            if onto.resolve() not in {f.resolve() for f in files}:
                files = [onto, *files]
    wanted = {str(Path(f).resolve()): Path(f) for f in files}
    report = LoadReport(path=folder)
    say = progress or (lambda _msg: None)

    old = read_manifest(folder) if folder.is_dir() else {}
    own = store is None
    # An existing store is opened on the second thread while the files are parsed.
    new, changed, fetched = parse_changed(
        wanted, old, report, say, folder,
        (lambda: _open_rw(folder)) if own and is_store(folder) else None)
    gone = sorted(set(old) - set(wanted))
    if store is None:
        store = fetched.pop("store")
    try:
        if store is None:
            folder.mkdir(parents=True, exist_ok=True)
            store = _open_rw(folder)
        copies = {key: fetched.pop(("copy", key), None) for key, _f, _q in changed}
        _update(store, folder, old, new, changed, gone, folders, report, say, copies)
    finally:
        fetched.clear()
        if own:
            del store
    return report


def _update(store: ox.Store, folder: Path, old: Mapping[str, dict[str, object]],
            new: dict[str, dict[str, object]], changed: Changed, gone: list[str],
            folders: list[tuple[str, bool]] | None, report: LoadReport, say: Progress,
            copies: dict[str, bytes | None]) -> None:
    """Bring an open store and its manifest to the new records (see :func:`load_into`)."""
    drop_stale_copies(folder)
    recovering = any(rec.get("pending") for rec in old.values())
    if changed or gone:
        _apply(store, folder, old, new, changed, gone, folders, report, say, copies,
               full=recovering or not _keyed(folder))
    elif not _keyed(folder):
        partition(store, say)
        store.flush()
    for key, rec in new.items():  # a store from before the counts were kept: once each
        if not isinstance(rec.get("quads"), int) and isinstance(rec.get("graph"), str):
            graphs = _file_graphs(store, ox.NamedNode(str(rec["graph"])))
            new[key] = {**rec, "quads": sum(_graph_size(store, g) for g in graphs)}
    if new != old or not is_store(folder) or not _keyed(folder) or (
            folders is not None and folders != read_folders(folder)):
        _write_manifest(folder, new, folders)
    # The store's size from the manifest's counts: no count of every quad.
    report.triples = sum(int(str(rec.get("quads", 0))) for rec in new.values())


def _apply(store: ox.Store, folder: Path, old: Mapping[str, dict[str, object]],
           new: dict[str, dict[str, object]], changed: Changed, gone: list[str],
           folders: Sequence[tuple[str, bool]] | None, report: LoadReport, say: Progress,
           copies: dict[str, bytes | None], *, full: bool) -> None:
    """Apply the changed files to their graphs and drop the gone ones, journalled.

    First the manifest marks every changed and gone file as pending (a gone file stays
    listed until its graph is dropped), so a load killed at any moment is repaired by
    the next one, which reloads what is pending and places every dated triple again
    (``full``). Otherwise a changed file whose copy as last loaded is at hand gets only
    the difference (by statements, :mod:`channelkg.graph.sourcediff`, or of its whole
    parse, :mod:`channelkg.graph.delta`), any other is replaced whole, and only
    the triples they add and those of the facts whose dates they changed are placed by
    their dates: the cost follows the changes, not the store.
    """
    pending = {k: dict(v) for k, v in old.items()}
    for key in gone:
        pending[key]["pending"] = True
    for key, _f, _q in changed:
        pending[key] = {"graph": new[key]["graph"], "pending": True}
    marking = Background(_write_manifest, folder, pending, folders)
    writers = Bounded(3)  # the copies, on at most 3 threads
    try:
        # While the marks are written: each file's N-Triples, compared with its copy and
        # written as the new one (trusted once the manifest says so), kept for a difference.
        work = [_prepare(folder, key, f, item, new[key], copies, writers, full=full)
                for key, f, item in changed]
        marking.result()
        touched = _drop_gone(store, folder, old, gone, report, say)
        for key, f, item, text, delta, _w in work:
            g = ox.NamedNode(str(new[key]["graph"]))
            moved = None if delta is None else apply_delta(store, g, delta[0], delta[1], text)
            if isinstance(item, SourceDelta) and moved is None:
                item = _whole(f, item.text)  # the store lacks a triple the copy has
            if delta is not None and moved is not None:
                say(f"{f}: {len(delta[0])} triples removed, {len(delta[1])} added")
                touched |= moved
                report.applied[f] = STATEMENTS if isinstance(item, SourceDelta) else LINES
                new[key]["quads"] = (int(str(old[key]["quads"])) - len(delta[0])
                                     + len(delta[1]))
            else:
                assert not isinstance(item, SourceDelta)
                say(f"loading {len(item)} triples from {f}")
                touched |= _replace(store, g, item, full=full)
                report.applied[f] = WHOLE
                # Each distinct triple of the file sits in exactly one of its graphs.
                new[key]["quads"] = len({(q.subject, q.predicate, q.object) for q in item})
            if new[key]["quads"]:  # the file's graph is listed, as a fresh load lists it
                store.add_graph(g)
            elif store.contains_named_graph(g):
                store.remove_graph(g)
            report.quads_loaded += item.parsed if isinstance(item, SourceDelta) else len(item)
        if full:
            partition(store, say)
        else:  # the facts whose dates changed: their triples in the other files move
            partition(store, say, nodes=touched)
        _persist(store, folder)
    except BaseException:
        marking.discard()
        writers.close(discard=True)
        raise
    writers.close()
    for key, *_rest, written in work:
        new[key]["copy"], source = (w.result() for w in written)
        if source is not None:
            new[key]["source"] = source


def _prepare(folder: Path, key: str, f: Path, item: list[ox.Quad] | SourceDelta,
             rec: Mapping[str, object], copies: dict[str, bytes | None], writers: Bounded,
             *, full: bool) -> tuple[Any, ...]:
    """A changed file's difference (``None``: it is replaced whole) and the writes of its
    N-Triples copy and source copy (:mod:`channelkg.graph.sourcediff`), started."""
    graph = str(rec["graph"])
    if isinstance(item, SourceDelta) and full:
        item = _whole(f, item.text)
    delta: tuple[set[bytes], set[bytes]] | None
    if isinstance(item, SourceDelta):
        text, delta = item.copy, (item.gone, item.came)
        source = writers.submit(write_source, folder, graph, item.text, item.head, item.ends)
    else:
        text = ntriples(item)
        was = copies.pop(key, None)  # let go of each copy once compared
        delta = None if full or was is None else changed_lines(was, text)
        source = writers.submit(source_of, folder, graph, f, rec.get("sha256"))
    written = writers.submit(write_copy, folder, graph, text)
    return key, f, item, b"" if delta is None else text, delta, (written, source)


#: Up to this many bytes of write-ahead log, a load syncs the log rather than flushing.
WAL_SYNCED = 1 << 20


def _persist(store: ox.Store, folder: Path) -> None:
    """Make the writes of a load durable before the manifest records them.

    RocksDB writes every change to its write-ahead log (``PATH/*.log``, replayed when the
    store opens) before it returns; syncing that log makes the changes as durable as a
    flush does, without writing each column family's memory table to a new table file.
    Past :data:`WAL_SYNCED` bytes of log (a large change), the store is flushed instead,
    so that an open never replays much log. A log RocksDB has dropped meanwhile was
    flushed already.
    """
    logs = []
    for log in folder.glob("*.log"):
        try:
            logs.append((log, log.stat().st_size))
        except FileNotFoundError:
            continue
    if sum(size for _log, size in logs) > WAL_SYNCED:
        store.flush()
        return
    for log, _size in logs:
        try:
            fd = os.open(log, os.O_RDONLY)
        except FileNotFoundError:
            continue
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    fd = os.open(folder, os.O_RDONLY)  # the log's own name, once it is new
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _whole(f: Path, text: bytes) -> list[ox.Quad]:
    """The quads of a file's text, parsed whole (a text that parsed by statements)."""
    from channelkg.graph.sourcediff import SOURCE_FORMATS

    try:
        return list(ox.parse(text, format=SOURCE_FORMATS[f.suffix.lower()],
                             base_iri=f.resolve().as_uri()))
    except (SyntaxError, ValueError) as err:
        raise InputError(f"syntax error: {err}", str(f)) from None


def _drop_gone(store: ox.Store, folder: Path, old: Mapping[str, dict[str, object]],
               gone: list[str], report: LoadReport, say: Progress) -> set[Any]:
    """Drop the graphs of the files that left the store; return the facts they dated."""
    touched: set[Any] = set()
    for key in gone:
        g = old[key].get("graph")
        if isinstance(g, str):
            say(f"dropping {key}")
            graphs = _file_graphs(store, ox.NamedNode(g))
            touched |= _dated_in(store, graphs)
            for name in graphs:
                store.remove_graph(name)
            drop_copy(folder, g)
        report.removed.append(key)
    return touched


def _replace(store: ox.Store, g: ox.NamedNode, quads: list[ox.Quad], *, full: bool,
             ) -> set[Any]:
    """Replace a file's graphs whole; return the facts it dated before and now."""
    dated = {ox.NamedNode(p) for p in DATING_IRIS}
    graphs = _file_graphs(store, g)
    touched = _dated_in(store, graphs)
    for name in graphs:
        store.remove_graph(name)
    if full:
        add_quads(store, (ox.Quad(q.subject, q.predicate, q.object, g) for q in quads),
                  len(quads))
    else:  # straight into the graphs their dates call for
        put = place(store, quads, g)
        add_quads(store, put, len(put))
    return touched | {q.subject for q in quads if q.predicate in dated}


def open_disk(folder: Path | str, *, refresh: bool = True, read_only: bool = False,
              progress: Progress | None = None) -> DiskKnowledgeGraph:
    """Open a store built by :func:`load_into`; first reload the files that changed.

    Args:
        folder: the store folder.
        refresh: compare the recorded files with the manifest and reload changed ones
            (deleted files have their graph dropped).
        read_only: open read-only (several processes may do so at once; no refresh).
        progress: called with a line of text per reloaded file.

    Raises:
        InputError: no store there, the store is locked by another process, or a
            changed file has a syntax error.
    """
    folder = Path(folder)
    if not is_store(folder):
        raise InputError(
            "no channelkg Oxigraph store here; build it with "
            f"`channelkg load --into oxigraph:{folder}`",
            str(folder),
        )
    manifest = read_manifest(folder)
    # Nothing to refresh: read-only, so that any number of readers can share the store.
    read_only = read_only or (refresh and _up_to_date(folder, manifest))
    if read_only:
        try:
            store = ox.Store.read_only(str(folder))
        except (OSError, RuntimeError) as err:
            raise InputError(
                f"cannot open the Oxigraph store read-only (is another process writing "
                f"to it?): {err}",
                str(folder),
            ) from None
    else:
        store = _open_rw(folder)
        if refresh:
            present = [Path(k) for k in manifest if Path(k).is_file()]
            for k in manifest:
                if not Path(k).is_file() and progress:
                    progress(f"{k} is gone; dropping its graph")
            # New files in the folders the store was loaded from join it.
            for source, ttl_only in read_folders(folder) or []:
                if Path(source).is_dir():
                    for f in _folder_files(Path(source), ttl_only):
                        if str(f.resolve()) not in manifest:
                            present.append(f)
            report = load_into(folder, files=present, store=store, progress=progress)
            if report.changed and progress:
                progress(report.summary())
            manifest = read_manifest(folder)
    files = tuple(Path(k) for k in manifest)
    kg = DiskKnowledgeGraph(store, files, path=folder, read_only=read_only)
    kg.keyed_by_dates = _keyed(folder)
    return kg


def _up_to_date(folder: Path, manifest: Mapping[str, Mapping[str, object]]) -> bool:
    """Whether a refresh would change nothing: every recorded file is there with the size
    and time recorded, and the recorded folders hold no other file. Files are only
    looked at, not read, but for those recorded as ``racy`` (changed just before their
    load): each must have the content hash recorded too, until a load clears the mark."""
    for key, rec in manifest.items():
        try:
            st = Path(key).stat()
        except OSError:
            return False
        if rec.get("pending") or (rec.get("size"), rec.get("mtime_ns")) != (
                st.st_size, st.st_mtime_ns):
            return False
        if rec.get("racy") and sha256_of(Path(key)) != rec.get("sha256"):
            return False
    folders = read_folders(folder)
    if folders is None:
        return False
    for source, ttl_only in folders:
        if not Path(source).is_dir():
            continue
        if any(str(f.resolve()) not in manifest for f in _folder_files(Path(source), ttl_only)):
            return False
    return True


def run_store(
    store: ox.Store,
    text: str,
    bindings: Mapping[str, Any] | None = None,
    *,
    union: bool = False,
    max_rows: int | None = None,
) -> QueryResult:
    """Bind parameters and run SPARQL on a pyoxigraph store (see :func:`query_store`).

    Args:
        store: the store.
        text: the query.
        bindings: variable name -> rdflib term, bound by :func:`channelkg.sparql.query.bind_values`.
        union: query the union of the named graphs as the default graph.
        max_rows: keep at most this many rows (or triples).
    """
    from channelkg.sparql.query import bind_values

    return query_store(store, bind_values(text, bindings or {}), union=union, max_rows=max_rows)


__all__ = [
    "ENGINE",
    "MANIFEST",
    "DiskKnowledgeGraph",
    "LoadReport",
    "StoreLockedError",
    "graph_name",
    "is_store",
    "load_into",
    "open_disk",
    "read_manifest",
    "run_store",
]
