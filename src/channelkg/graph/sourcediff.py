"""A changed Turtle or N-Triples file compared with its text as last loaded, statement by
statement, so that a small edit costs the parse of the statements it touched.

Beside the N-Triples copy of :mod:`channelkg.graph.delta`, a store keeps per file the
file's bytes as last loaded followed by the byte offsets at which its statements end
(``PATH/channelkg-loaded/*.src``; size and CRC-32 in the manifest, as for the copy). An
offset is the start of the line after a statement's ``.``, found by one scan
(:func:`bounds`) that steps over strings (long ones in triple quotes too), IRIs,
comments and ``\\`` escapes; the ``.`` of a decimal or inside ``ex:a.b`` is followed by
more than spaces on its line, so it is no end.

On reload (:func:`source_delta`) the bytes both texts start and end with are skipped,
the rest is widened to the nearest statement ends before and after it (an end in the
common start is one in both texts; one in the common end moves by the change in
length), and only ``header + old part`` and ``header + new part`` are parsed, the
header being the directives the file starts with, the base IRI that of a whole parse.
Their N-Triples lines, compared as multisets, give the gone and new triples; a gone
triple the file still states elsewhere (its line occurs again in the copy) stays, and the
copy is patched by the lines that went and came. The store is then changed by
:func:`channelkg.graph.delta.apply_delta`, as for a whole parse.

Nothing is taken on trust: ``None`` (the caller parses the whole file) when the file is
not Turtle or N-Triples, has no valid record (size, CRC), starts with a byte order mark,
holds a directive after its leading ones or four quotes in a row (where a scan and a parser
might part), when a changed part touches the header, fails to parse alone, holds a
blank node, a triple term or a directive, or states a triple the copy lacks.
"""

from __future__ import annotations

import bisect
import re
import zlib
from array import array
from collections import Counter
from collections.abc import Callable, Mapping
from functools import cache
from pathlib import Path

import pyoxigraph as ox

from channelkg.graph.delta import common, copy_path, write_unsynced
from channelkg.record import Record

TYPE_CHECKING = False  # typing is not imported at run time
if TYPE_CHECKING:
    from channelkg.typevars import T

#: What a scan steps over, and what it reports: a statement's end at the end of its line,
#: and a directive (``d``); the scan's pattern is built on first use (:func:`_statement`).
_Q3, _A3 = b'"' * 3, b"'" * 3
#: A directive's keyword; not after a quote (``"x"@base`` is a language tag) nor after ``@``.
_DIRECTIVE_WORD = rb"(?<![\w:.\-\"'@])(?:@prefix|@base|(?i:prefix|base))(?=[\s<])"
_END = rb"\.[ \t\r]*(?:\#[^\n]*)?\n"
_WORD = re.compile(_DIRECTIVE_WORD)
_SPACE = re.compile(rb"(?:\s+|#[^\n]*)*")
_DIRECTIVE = re.compile(rb"@prefix\s+[^\s:]*:\s*<[^>\s]*>\s*\.|@base\s+<[^>\s]*>\s*\."
                        rb"|(?i:prefix)\s+[^\s:]*:\s*<[^>\s]*>|(?i:base)\s+<[^>\s]*>")
_UNSURE = (b'"' * 4, b"'" * 4)
#: The formats whose statements end with ``.`` at a line end.
SOURCE_FORMATS = {".ttl": ox.RdfFormat.TURTLE, ".turtle": ox.RdfFormat.TURTLE,
                  ".nt": ox.RdfFormat.N_TRIPLES}
#: Up to this many changed lines, each is looked up in the copy by a search.
_FEW = 32


@cache
def _statement() -> re.Pattern[bytes]:
    """One statement up to its end (a ``.`` at the end of its line), stepping over what may
    hold a ``.``, or up to a directive (then ``d`` is set). No part takes such a ``.`` and
    the repetition is possessive, so a text that ends no statement fails in linear time.
    The directive is matched after the repetition, not inside it: a group captured inside a
    possessive repetition can make CPython's ``re`` raise ``SystemError`` on backtracking."""
    return re.compile(rb"(?:" + b"|".join([
        rb"(?>[^\"'<#\\.\n@pPbB]+)",
        rb"(?>" + _Q3 + rb'(?:(?:"|"")?(?:[^"\\]|\\[\s\S]))*' + _Q3 + rb")",  # long strings
        rb"(?>" + _A3 + rb"(?:(?:'|'')?(?:[^'\\]|\\[\s\S]))*" + _A3 + rb")",
        rb'(?>"(?:[^"\\\n\r]|\\.)*")',
        rb"(?>'(?:[^'\\\n\r]|\\.)*')",
        rb'(?><(?:[^<>"{}|^`\\\x00-\x20]|\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8})*>)',  # IRIs
        rb"<",
        rb"\#[^\n]*",  # comments
        rb"\\.",  # escapes in local names
        rb"(?!" + _DIRECTIVE_WORD + rb")[@pPbB]",
        rb"\.(?!" + _END[2:] + rb")",  # a dot that is no end (1.5, ex:a.b)
        rb"\n",
    ]) + rb")*+(?:" + _END + rb"|(?P<d>" + _DIRECTIVE_WORD + rb"))")


def header_end(text: bytes) -> tuple[int, int]:
    """``(end, first)``: where the file's leading directives end, and the start of the
    line after them (``-1`` when the rest of their line holds more than a comment)."""
    pos = last = 0
    while True:
        pos = _SPACE.match(text, pos).end()  # type: ignore[union-attr]
        d = _DIRECTIVE.match(text, pos)
        if d is None:
            break
        pos = last = d.end()
    if last == 0:
        return 0, 0
    first = text.find(b"\n", last) + 1 or len(text)
    return last, first if _SPACE.fullmatch(text, last, first) else -1


def bounds(text: bytes, start: int = 0, end: int | None = None) -> list[int] | None:
    """The statement ends of ``text[start:end]`` (``start`` is one), or ``None`` if the
    part holds a directive or a run of four quotes."""
    end = len(text) if end is None else end
    if any(text.find(u, start, end) >= 0 for u in _UNSURE):
        return None
    out, pos, match = [], start, _statement().match
    while (m := match(text, pos, end)) is not None:
        if m.group("d") is not None:
            return None
        pos = m.end()
        out.append(pos)
    return None if _WORD.search(text, pos, end) else out  # after the last end: any text


def file_bounds(text: bytes) -> tuple[int, list[int]] | None:
    """``(header, ends)`` of a whole file, or ``None`` if it cannot be compared by parts."""
    if text.startswith(b"\xef\xbb\xbf"):
        return None
    head, first = header_end(text)
    found = bounds(text, head)
    if found is None:
        return None
    return head, ([first] if first >= 0 and (not found or found[0] != first) else []) + found


def _scanned(scan: Callable[..., T], *args: object) -> T | None:
    """``scan(*args)``, or ``None`` (a whole parse) if the scan fails in any way: a file the
    scan cannot take must still load as it would without the source copy."""
    try:
        return scan(*args)
    except Exception:  # noqa: BLE001 - whatever goes wrong, the whole parse is right
        return None


def src_path(folder: Path, graph: str) -> Path:
    """Where a store keeps the text and statement ends of the file loaded into ``graph``."""
    return copy_path(folder, graph).with_suffix(".src")


def write_source(folder: Path, graph: str, text: bytes, head: int, ends: list[int],
                 ) -> dict[str, int]:
    """Keep a file's text and statement ends as its source copy (replaced atomically, not
    synced: the CRC-32 in the manifest is checked first); its manifest record."""
    data = text + array("q", ends).tobytes()
    write_unsynced(src_path(folder, graph), data)
    return {"size": len(text), "header": head, "crc32": zlib.crc32(data)}


def source_of(folder: Path, graph: str, path: Path, sha256: object) -> dict[str, int] | None:
    """Keep the source copy of a file parsed whole: its record, or ``None`` if the file
    cannot be compared by statements or no longer has the SHA-256 the manifest records."""
    import hashlib

    if path.suffix.lower() not in SOURCE_FORMATS:
        return None
    try:
        text = path.read_bytes()
    except OSError:
        return None
    found = _scanned(file_bounds, text)
    if found is None or hashlib.sha256(text).hexdigest() != sha256:
        return None
    return write_source(folder, graph, text, *found)


def read_source(folder: Path, rec: Mapping[str, object]) -> tuple[bytes, int, array[int]] | None:
    """``(text, header, ends)`` as last loaded, if the manifest record vouches for them."""
    info, graph = rec.get("source"), rec.get("graph")
    if rec.get("pending") or not isinstance(info, dict) or not isinstance(graph, str):
        return None
    try:
        data = src_path(folder, graph).read_bytes()
    except OSError:
        return None
    size, head = info.get("size"), info.get("header")
    if not isinstance(size, int) or not isinstance(head, int) or (len(data) - size) % 8 or (
            len(data) < size or zlib.crc32(data) != info.get("crc32")):
        return None
    ends = array("q")
    ends.frombytes(memoryview(data)[size:])
    return data[:size], head, ends


class SourceDelta(Record):
    """A changed file's difference from its text as last loaded (see the module doc)."""

    __slots__ = ("text", "head", "ends", "gone", "came", "copy", "parsed")
    text: bytes  #: the new text
    head: int
    ends: list[int]
    gone: set[bytes]
    came: set[bytes]
    copy: bytes  #: the N-Triples copy, patched
    parsed: int  #: triples parsed

    def __init__(self, text: bytes, head: int, ends: list[int], gone: set[bytes],
                 came: set[bytes], copy: bytes, parsed: int) -> None:
        self.set(text=text, head=head, ends=ends, gone=gone, came=came, copy=copy,
                 parsed=parsed)


def _parse(data: bytes, fmt: ox.RdfFormat, base: str) -> list[bytes] | None:
    """The N-Triples lines of a part, or ``None`` if it fails or holds what a part may not."""
    try:
        quads = list(ox.parse(data, format=fmt, base_iri=base))
    except (SyntaxError, ValueError, MemoryError):
        return None
    for q in quads:
        for t in (q.subject, q.object):
            if isinstance(t, ox.BlankNode | ox.Triple):
                return None
    text = ox.serialize(quads, format=ox.RdfFormat.N_TRIPLES) or b""
    return text.split(b"\n")[:-1] if text else []


def _region(old: bytes, new: bytes, head: int, ends: array[int]) -> tuple[int, int, int] | None:
    """``(lo, hi_old, hi_new)``: the changed part in whole statements."""
    pre = common(old, new, tail=False)
    suf = min(common(old, new, tail=True), len(old) - pre, len(new) - pre)
    i = bisect.bisect_right(ends, pre) - 1
    lo = ends[i] if i >= 0 else -1
    if lo < head or lo < 0:
        return None
    j = bisect.bisect_left(ends, len(old) - suf)
    hi = ends[j] if j < len(ends) else len(old)
    return lo, hi, hi + len(new) - len(old)


def _occurs(copy: bytes, lines: Counter[bytes]) -> Counter[bytes]:
    """How often each of ``lines`` is a line of ``copy``."""
    if len(lines) > _FEW:
        return Counter(x for x in copy.split(b"\n") if x in lines)
    hay, out = b"\n" + copy, Counter[bytes]()
    for line in lines:
        out[line] = hay.count(b"\n" + line + b"\n")
    return out


def _patch(copy: bytes, gone: Counter[bytes], came: Counter[bytes]) -> bytes:
    """``copy`` with one line less per gone line and one more per new one."""
    if sum(gone.values()) > _FEW:
        left = Counter(gone)
        kept = []
        for x in copy.split(b"\n")[:-1] if copy else []:
            if left[x] > 0:
                left[x] -= 1
            else:
                kept.append(x)
        out = b"\n".join(kept) + b"\n" if kept else b""
    else:
        out = copy
        for line, n in gone.items():
            for _ in range(n):
                at = out.find(line + b"\n") if out.startswith(line + b"\n") else (
                    out.find(b"\n" + line + b"\n") + 1)
                out = out[:at] + out[at + len(line) + 1:]
    return out + b"".join(x + b"\n" for x in came.elements())


def source_delta(path: Path, new: bytes, old: tuple[bytes, int, array[int]], copy: bytes,
                 ) -> SourceDelta | None:
    """The difference of a changed file from its text as last loaded, or ``None`` when a
    whole parse is needed (see the module docstring)."""
    fmt = SOURCE_FORMATS.get(path.suffix.lower())
    text, head, ends = old
    if fmt is None or new.startswith(b"\xef\xbb\xbf") or new[:head] != text[:head]:
        return None
    span = _region(text, new, head, ends)
    if span is None:
        return None
    lo, hi, hi_new = span
    found = _scanned(bounds, new, lo, hi_new)
    last = found[-1] if found else lo
    if found is None or (hi_new != len(new) and last != hi_new and not (
            new[hi_new - 1:hi_new] == b"\n" and _SPACE.fullmatch(new, last, hi_new))):
        return None  # the part must end at a statement's end, or after whole comment lines
    base, header = path.resolve().as_uri(), new[:head] + b"\n"
    was, now = _parse(header + text[lo:hi], fmt, base), _parse(header + new[lo:hi_new], fmt,
                                                                 base)
    if was is None or now is None:
        return None
    before, after = Counter(was), Counter(now)
    gone, came = before - after, after - before
    seen = _occurs(copy, gone | came | before)
    if any(seen[x] < n for x, n in before.items()):
        return None  # the copy lacks a triple the old part states: not what was loaded
    shift = len(new) - len(text)
    i = bisect.bisect_right(ends, lo)
    j = bisect.bisect_left(ends, hi + 1) if hi < len(text) else len(ends)
    return SourceDelta(
        text=new, head=head,
        ends=[*ends[:i], *(e for e in found if e != lo), *(e + shift for e in ends[j:])],
        gone={x for x, n in gone.items() if seen[x] == n},  # not stated elsewhere
        came={x for x in came if seen[x] == 0},  # not held yet
        copy=_patch(copy, gone, came), parsed=len(now))


__all__ = ["SOURCE_FORMATS", "SourceDelta", "bounds", "file_bounds", "header_end",
           "read_source", "source_delta", "source_of", "src_path", "write_source"]
