"""What a changed file gained and lost since the store loaded it, applied to the store.

Beside its manifest an on-disk store keeps, per file, the N-Triples of the file as last
loaded (``PATH/channelkg-loaded/``; its size and CRC-32 are in the manifest). N-Triples
spells every IRI and literal out, so a copy is 2.3 to 4 times the size of a Turtle source
(the bundled graph: 257 kB of Turtle, 702 kB of copies). When the file changes, its new
parse is written as N-Triples too and compared with that copy: the bytes both texts start
and end with are skipped at memory speed, and only the lines in between are compared as
sets. So a one-triple edit costs the file's parse and one serialisation, not a read of the
file's triples from the store:

* a triple that is gone is removed from the graph it sits in (the file's graph or one of
  its keyed graphs, see :mod:`channelkg.graph.validity`); a new one is placed straight into
  the graph its dates call for; the facts whose dates (or date precision) changed are then
  placed again, with their triples in the other files (the caller's ``partition``);
* blank nodes keep their labels through a parse (``_:b1`` stays ``_:b1``), so their triples
  take part in the comparison like any other; anonymous ones (``[ … ]``, lists) get a new
  label at every parse, so all of their triples are replaced;
* the store keeps literals in canonical form (``"01"^^xsd:integer`` is held as ``"1"``):
  when a typed literal goes, the file's remaining triples with the same subject and
  predicate are written again, so that a form the file still states is never lost.

A Turtle or N-Triples file is first compared by statements with its text as last loaded
(:mod:`channelkg.graph.sourcediff`): then only the statements that changed are parsed,
their gone and new lines are found without a whole parse or serialisation, and the copy
is patched by them. The comparison of whole parses here is the way back whenever that
cannot be vouched for (a directive or a blank node among the changed statements, say).

Anything the copy cannot vouch for (no copy, a different size or CRC, a gone triple the
store does not hold) makes the caller replace the file's graphs whole, as before. So does
a gone or new triple with a triple term as subject or object: the store canonicalises the
literals inside triple terms too, and one stored term may stand for several the file states.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import zlib
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import pyoxigraph as ox

from channelkg.graph.validity import DATING_IRIS, KEY_MARK, add_quads, placed
from channelkg.rdf.fileio import temp_beside

TYPE_CHECKING = False  # typing is not imported at run time
if TYPE_CHECKING:
    from typing import Any

#: The folder of a store that holds the N-Triples of each file as last loaded.
COPIES = "channelkg-loaded"
_BLOCK = 1 << 18
#: Up to this many lines, each is looked up in the unchanged text by a search.
_FEW = 32
_PLAIN = {"http://www.w3.org/2001/XMLSchema#string",
          "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"}


def ntriples(quads: Iterable[ox.Quad]) -> bytes:
    """The N-Triples of a file's parsed quads (one line per quad, in parse order)."""
    return ox.serialize(quads, format=ox.RdfFormat.N_TRIPLES) or b""


def sha256_of(path: Path) -> str:
    """The SHA-256 of a file, as the manifest records it."""
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def copy_path(folder: Path, graph: str) -> Path:
    """Where a store keeps the N-Triples of the file loaded into ``graph``."""
    return folder / COPIES / (hashlib.sha256(graph.encode("utf-8")).hexdigest()[:32] + ".nt")


def write_copy(folder: Path, graph: str, text: bytes) -> dict[str, int]:
    """Keep ``text`` as the file's copy (replaced atomically); return its manifest record.

    Not synced to disk: the CRC-32 recorded in the manifest is checked before the copy is
    used, and a copy that fails it only costs a whole replacement of the file's graphs.
    """
    write_unsynced(copy_path(folder, graph), text)
    return {"size": len(text), "crc32": zlib.crc32(text)}


def write_unsynced(path: Path, text: bytes) -> None:
    """Replace ``path`` by ``text`` atomically, not synced (its reader checks a CRC)."""
    path.parent.mkdir(exist_ok=True)
    fd, tmp = temp_beside(path)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def drop_stale_copies(folder: Path) -> None:
    """Remove the temporary copies (``.NAME.*.tmp``) a load killed while writing left.

    Called with the store open read-write, so no other load is writing a copy meanwhile.
    """
    for tmp in (folder / COPIES).glob(".*.tmp"):
        with contextlib.suppress(OSError):
            tmp.unlink()


def drop_copy(folder: Path, graph: str) -> None:
    """Forget the copies of a file that left the store."""
    path = copy_path(folder, graph)
    path.unlink(missing_ok=True)
    path.with_suffix(".src").unlink(missing_ok=True)


def read_copy(folder: Path, rec: Mapping[str, object] | None) -> bytes | None:
    """The copy of a file as last loaded, if its manifest record vouches for it."""
    if not rec or rec.get("pending") or not isinstance(rec.get("quads"), int):
        return None
    info, graph = rec.get("copy"), rec.get("graph")
    if not isinstance(info, dict) or not isinstance(graph, str):
        return None
    try:
        text = copy_path(folder, graph).read_bytes()
    except OSError:
        return None
    if len(text) != info.get("size") or zlib.crc32(text) != info.get("crc32"):
        return None
    return text


def common(a: bytes, b: bytes, *, tail: bool) -> int:
    """The length of the longest common prefix (``tail``: suffix) of two texts, found by
    comparisons in place (no slice is copied)."""
    n, done, view = min(len(a), len(b)), 0, memoryview(a)

    def same(lo: int, hi: int) -> bool:  # a and b agree on the bytes lo..hi from their end
        if tail:
            return b.endswith(view[len(a) - hi:len(a) - lo], 0, len(b) - lo)
        return b.startswith(view[lo:hi], lo)

    if same(0, n):
        return n
    while same(done, min(n, done + _BLOCK)):
        done += _BLOCK
    hi = min(n, done + _BLOCK)
    while hi - done > 1:  # the first difference lies in (done, hi]
        mid = (done + hi) // 2
        if same(done, mid):
            done = mid
        else:
            hi = mid
    return done


def _in(text: bytes, line: bytes, start: int, end: int) -> bool:
    """Whether ``line`` is one of the lines of ``text[start:end]`` (a run of whole lines)."""
    if start >= end:
        return False
    return text.startswith(line + b"\n", start) or text.find(
        b"\n" + line + b"\n", start, end) >= 0


def changed_lines(old: bytes, new: bytes) -> tuple[set[bytes], set[bytes]]:
    """``(gone, came)``: the lines of the N-Triples text ``old`` that ``new`` lacks, and
    those of ``new`` that ``old`` lacks (each text read as a set of lines)."""
    head = common(old, new, tail=False)
    head = old.rfind(b"\n", 0, head) + 1
    tail = min(common(old, new, tail=True), len(old) - head, len(new) - head)
    lo, ln = len(old) - tail, len(new) - tail
    if tail and not ((lo == head or old[lo - 1] == 10) and (ln == head or new[ln - 1] == 10)):
        nl = old.find(b"\n", lo)  # the suffix starts mid-line: from the next line on
        tail = len(old) - nl - 1 if nl >= 0 else 0
        lo, ln = len(old) - tail, len(new) - tail
    was, now = set(old[head:lo].split(b"\n")), set(new[head:ln].split(b"\n"))
    gone, came = was - now - {b""}, now - was - {b""}
    if len(gone) + len(came) <= _FEW:  # a line may also stand in the text both share
        rest = max(lo - 1, 0)
        gone = {x for x in gone if not (_in(old, x, 0, head) or _in(old, x, rest, len(old)))}
        came = {x for x in came if not (_in(old, x, 0, head) or _in(old, x, rest, len(old)))}
    else:
        shared = set(old[:head].split(b"\n")) | set(old[lo:].split(b"\n"))
        gone, came = gone - shared, came - shared
    return gone, came


def _parse_lines(lines: Iterable[bytes]) -> list[ox.Quad]:
    text = b"\n".join(lines)
    return list(ox.parse(text, format=ox.RdfFormat.N_TRIPLES)) if text else []


def _lines_about(text: bytes, pairs: set[tuple[bytes, bytes]]) -> list[bytes]:
    """The lines of ``text`` whose subject and predicate are one of ``pairs``."""
    if len(pairs) <= _FEW:
        hay, out = b"\n" + text, []
        for s, p in pairs:
            key = b"\n" + s + b" " + p + b" "
            at = hay.find(key)
            while at >= 0:
                end = hay.find(b"\n", at + 1)
                out.append(hay[at + 1:end if end >= 0 else len(hay)])
                at = hay.find(key, at + 1)
        return out
    return [line for line in text.split(b"\n")
            if tuple(line.split(b" ", 2)[:2]) in pairs]


def _restated(removed: Sequence[ox.Quad], text: bytes) -> list[ox.Quad]:
    """The triples of ``text`` that may share a stored literal with a removed triple (same
    subject and predicate, a typed literal gone; triple terms are left to the caller)."""
    pairs = set()
    for q in removed:
        if isinstance(q.object, ox.Literal) and q.object.datatype.value not in _PLAIN:
            pairs.add((str(q.subject).encode("utf-8"), str(q.predicate).encode("utf-8")))
    return _parse_lines(_lines_about(text, pairs)) if pairs else []


def apply_delta(store: ox.Store, graph: ox.NamedNode, gone: set[bytes], came: set[bytes],
                text: bytes) -> set[Any] | None:
    """Remove the ``gone`` triples from the file's graphs and place the ``came`` ones.

    ``text`` is the file's new N-Triples. Returns the facts whose dates or date precision
    changed (their triples, in every file, are to be placed again), or ``None`` if the
    store does not hold a gone triple in the file's graphs or a gone or new triple has a
    triple term as subject or object: nothing is written then.
    """
    prefix = graph.value + KEY_MARK
    removed, added = _parse_lines(sorted(gone)), _parse_lines(sorted(came))
    if any(isinstance(q.subject, ox.Triple) or isinstance(q.object, ox.Triple)
           for q in (*removed, *added)):
        return None  # a triple term: its stored form may be shared (see above)
    drop: list[ox.Quad] = []
    for q in removed:
        held = [h for h in store.quads_for_pattern(q.subject, q.predicate, q.object, None)
                if h.graph_name == graph or (isinstance(h.graph_name, ox.NamedNode)
                                             and h.graph_name.value.startswith(prefix))]
        if not held:
            return None
        drop += held
    restated = _restated(removed, text)
    for h in drop:
        store.remove(h)
    put = placed(store, [*added, *restated], graph)
    add_quads(store, put, len(put))
    for g in {h.graph_name for h in drop}:  # keyed graphs left empty go, as in a fresh load
        if isinstance(g, ox.NamedNode) and KEY_MARK in g.value and not any(
                True for _ in store.quads_for_pattern(None, None, None, g)):
            store.remove_graph(g)
    dating = {ox.NamedNode(p) for p in DATING_IRIS}
    return {q.subject for q in (*removed, *added) if q.predicate in dating}


__all__ = ["COPIES", "apply_delta", "changed_lines", "common", "copy_path", "drop_copy",
           "drop_stale_copies", "ntriples", "read_copy", "sha256_of", "write_copy",
           "write_unsynced"]
