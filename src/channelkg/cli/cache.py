"""The result cache of ``channelkg query NAME`` on the entry point's own path.

A shipped query on the bundled graph answers the same bytes until something it reads
changes, and most of its time is loading the graph. :func:`run_cached` keeps what such
a command line printed (standard output and error, in the order written, and its exit
code 0) under a key of everything that can change those bytes, and prints it again
instead of running the command while the key is the same:

* the command line (every argument after the program name);
* the content (BLAKE2b) and real path of every file the command reads: the ontology,
  each ``graphs/*.ttl`` file (so the list of them too) and the query's ``.rq`` file;
* channelkg's version and code: path, size, mtime, ctime and inode of every ``.py``
  file of the package (an editable checkout changes them);
* the interpreter (``sys.version``, its path, flags, ``-W`` and ``-X`` options and
  ``sys.path``) and the installed libraries: in every ``sys.path`` folder, the names of
  the distributions
  (``*.dist-info``, their versions) and of the entries that could be channelkg or a
  library it runs (pyoxigraph, rdflib and rdflib's own), and the ``RECORD`` file of
  those libraries (a reinstall rewrites it);
* how output meets the terminal: whether standard output and error are terminals, their
  encodings and error handlers, the terminal's width, and the variables ``COLUMNS``,
  ``LINES``, ``NO_COLOR``, ``FORCE_COLOR``, ``CLICOLOR``, ``CLICOLOR_FORCE``, ``TERM``,
  ``TZ``, ``LANG``, ``LANGUAGE`` and every ``LC_*``, ``PYTHON*`` and ``CHANNELKG_*``
  variable (the limits of :mod:`channelkg.rdf.limits`, ``CHANNELKG_HOME``).

No output of this path depends on the date or the clock (no shipped query uses ``NOW()``,
none has a date parameter, the command has no as-of default), so the date is not in the
key; a query whose text calls ``NOW``, ``RAND``, ``UUID``, ``STRUUID`` or ``BNODE`` (an
answer that changes from run to run) is never cached, nor is a command line whose inputs
cannot be read.

Entries are files named by the key in the cache folder (:func:`folder`), written
atomically (a temporary file, then ``os.replace``), with a checksum: an unreadable,
truncated or corrupt entry is a miss, never an error. Only an exit code of 0 with at
most :data:`MAX_OUTPUT` bytes of output (in at most :data:`MAX_CHUNKS` alternations of
the streams) is stored, only if every byte was taken by its stream (a non-blocking or
unbuffered stream may take part of a write), only if the inputs (listed again) were the
same after the run as before it, and only the newest :data:`MAX_ENTRIES` entries are
kept; eviction touches no file of another name. A folder
that cannot be written is a miss that stores nothing; a folder that another user owns or
that others may write to is not used at all (its entries could have been put there).

This module imports only the standard library (and no more of it than the command line
has loaded already, but for ``_blake2``): a hit never imports click nor pyoxigraph.
"""

from __future__ import annotations

import io
import os
import re
import sys

# hashlib's own module, without hashlib (which loads OpenSSL's bindings first): CPython
# always builds it in.
from _blake2 import blake2b

TYPE_CHECKING = False  # typing is not imported at run time
if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

#: The environment variable naming the cache folder; ``off`` turns the cache off.
ENV = "CHANNELKG_CACHE_DIR"
#: The value of :data:`ENV` that turns the cache off.
OFF = "off"
#: Output (standard output and error together) above this many bytes is not stored.
MAX_OUTPUT = 4 << 20
#: The cache keeps this many entries, the most recently used.
MAX_ENTRIES = 64
#: The first bytes of an entry (a new layout, or a new key, gets a new number).
MAGIC = b"channelkg result cache 1\n"
#: Environment variables in the key (besides every ``LC_*``, ``PYTHON*``, ``CHANNELKG_*``).
ENV_NAMES = ("COLUMNS", "LINES", "NO_COLOR", "FORCE_COLOR", "CLICOLOR", "CLICOLOR_FORCE",
             "TERM", "TZ", "LANG", "LANGUAGE")
ENV_PREFIXES = ("LC_", "PYTHON", "CHANNELKG_")
#: Top-level modules whose presence (or shadowing) in a ``sys.path`` folder is in the key,
#: and whose distributions' ``RECORD`` files are.
MODULES = ("channelkg", "pyoxigraph", "rdflib", "html5rdf", "pyparsing", "isodate")
#: SPARQL functions whose value changes from run to run: a query calling one is not cached.
VOLATILE = re.compile(rb"\b(?:NOW|RAND|UUID|STRUUID|BNODE)\s*\(", re.IGNORECASE)

_DIGEST = 20
_SUFFIX = ".out"
#: The names the cache gives its entries and temporary files: eviction touches no other
#: file of the folder (it may be one the user keeps other files in).
_ENTRY_NAME = re.compile(rf"[0-9a-f]{{{2 * _DIGEST}}}\.out")
_TEMP_NAME = re.compile(rf"\.[0-9a-f]{{{2 * _DIGEST}}}\.[0-9]+\.[0-9a-f]{{8}}\.tmp")
#: An output written in more alternations of standard output and error than this is
#: not stored (an entry's size is bounded: :func:`read_entry`).
MAX_CHUNKS = 4096
_STREAMS = (1, 2)  # standard output, standard error


def folder() -> str | None:
    """The cache folder: ``$CHANNELKG_CACHE_DIR``, else ``$XDG_CACHE_HOME/channelkg`` (an
    absolute ``XDG_CACHE_HOME`` only, as the XDG specification says), else
    ``~/.cache/channelkg``; ``None`` when :data:`ENV` is ``off`` (the cache is off) or no
    home folder is known. An empty value counts as unset."""
    given = os.environ.get(ENV, "")
    if given:
        return None if given.strip().lower() == OFF else os.path.abspath(given)
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    if os.path.isabs(xdg):
        return os.path.join(xdg, "channelkg")
    home = os.path.expanduser("~")
    if not os.path.isabs(home):
        return None
    return os.path.join(home, ".cache", "channelkg")


def _trusted(st: os.stat_result) -> bool:
    """True if the folder or file is this user's and nobody else may write it."""
    geteuid = getattr(os, "geteuid", None)
    return (geteuid is None or st.st_uid == geteuid()) and not st.st_mode & 0o022


def _streams_keyable() -> bool:
    return all(isinstance(s, io.TextIOWrapper) for s in (sys.stdout, sys.stderr))


def _env_part() -> list[tuple[str, str]]:
    return sorted((k, v) for k, v in os.environ.items()
                  if (k in ENV_NAMES or k.startswith(ENV_PREFIXES)) and k != ENV)


def _terminal_part() -> tuple[object, ...]:
    out: list[object] = []
    for stream in (sys.stdout, sys.stderr, sys.__stdout__):
        try:
            tty = bool(stream is not None and stream.isatty())
        except (AttributeError, ValueError, OSError):
            tty = False
        out += [tty, getattr(stream, "encoding", None), getattr(stream, "errors", None)]
    try:
        size: object = tuple(os.get_terminal_size(sys.__stdout__.fileno()))  # type: ignore[union-attr]
    except (AttributeError, ValueError, OSError):
        size = None
    return (*out, size)


def _code_part(package: str) -> Iterator[tuple[object, ...]]:
    todo = [package]
    while todo:
        with os.scandir(todo.pop()) as found:
            here = sorted(found, key=lambda e: e.name)
        for e in here:
            if e.name.endswith(".py"):
                st = e.stat()
                yield (e.path, st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)
            elif e.name != "__pycache__" and e.is_dir():
                todo.append(e.path)


def _library_part() -> Iterator[tuple[object, ...]]:
    wanted = tuple(m + sep for m in MODULES for sep in (".", "-"))
    for entry in sys.path:
        where = entry or "."
        try:
            names = sorted(os.listdir(where))
        except OSError:  # not a folder (a zip file: its stat is the key) or none
            try:
                st = os.stat(where)
                yield (entry, st.st_size, st.st_mtime_ns, st.st_ino)
            except OSError:
                yield (entry, None)
            continue
        seen = [n for n in names if n.endswith((".dist-info", ".egg-info", ".pth", ".egg-link"))
                or n in MODULES or n.lower().startswith(wanted)]
        yield (entry, *seen)
        for name in seen:
            if name.endswith(".dist-info") and name.lower().startswith(wanted):
                try:
                    st = os.stat(os.path.join(where, name, "RECORD"))
                    yield (name, st.st_size, st.st_mtime_ns, st.st_ino)
                except OSError:
                    yield (name, None)


def _content(path: str) -> tuple[int, bytes]:
    """The size and BLAKE2b digest of the file at ``path``, read in pieces (a large graph
    is never held whole)."""
    h, size = blake2b(digest_size=32), 0
    with open(path, "rb") as fh:
        while piece := fh.read(1 << 20):
            h.update(piece)
            size += len(piece)
    return size, h.digest()


def key(argv: list[str], inputs: list[str], query: str, package: str, version: str
        ) -> bytes | None:
    """The key of a command line (see the module's documentation), or ``None`` when it
    must not be cached: an input that cannot be read, a query calling a function whose
    value changes from run to run, output streams that are not the interpreter's."""
    if not _streams_keyable():
        return None
    h = blake2b(digest_size=_DIGEST)

    def add(*parts: object) -> None:
        h.update(repr(parts).encode("utf-8", "backslashreplace") + b"\0")

    add(MAGIC, tuple(argv), version, package)
    add(sys.version, sys.executable, sys.platform, repr(sys.flags),
        sys.implementation.cache_tag, tuple(sys.path), tuple(sys.warnoptions),
        sorted(getattr(sys, "_xoptions", {}).items()))
    add(*_env_part())
    add(*_terminal_part())
    try:
        for part in _code_part(package):
            add(*part)
        for part in _library_part():
            add(*part)
        with open(query, "rb") as fh:  # a small file: read once, searched and hashed
            text = fh.read()
        if VOLATILE.search(text):
            return None
        for path in inputs:
            add(os.path.realpath(path), *_content(path))
        add(os.path.realpath(query), len(text), blake2b(text, digest_size=32).digest())
    except (OSError, ValueError):
        return None
    return h.digest()


def _entry_path(where: str, k: bytes) -> str:
    return os.path.join(where, k.hex() + _SUFFIX)


def read_entry(path: str, k: bytes) -> tuple[int, list[tuple[int, bytes]]] | None:
    """The exit code and output chunks ``(stream, bytes)`` of the entry at ``path`` for
    key ``k``, or ``None`` (no entry, or one that is unreadable, corrupt or truncated)."""
    limit = len(MAGIC) + _DIGEST + 1 + MAX_OUTPUT + 5 * MAX_CHUNKS + _DIGEST
    try:
        with open(path, "rb") as fh:
            if not _trusted(os.fstat(fh.fileno())):
                return None
            data = fh.read(limit + 1)
    except OSError:
        return None
    body, check = data[:-_DIGEST], data[-_DIGEST:]
    head = MAGIC + k
    if (len(data) > limit or not body.startswith(head)
            or blake2b(body, digest_size=_DIGEST).digest() != check):
        return None
    at = len(head) + 1
    code = body[at - 1]
    chunks = []
    while at < len(body):
        stream, size = body[at], int.from_bytes(body[at + 1:at + 5], "big")
        data = body[at + 5:at + 5 + size]
        if stream not in _STREAMS or len(data) != size:
            return None
        chunks.append((stream, data))
        at += 5 + size
    return code, chunks


def encode_entry(k: bytes, code: int, chunks: list[tuple[int, bytes]]) -> bytes:
    """An entry's bytes (the layout :func:`read_entry` reads)."""
    body = b"".join([MAGIC, k, bytes([code]),
                     *(bytes([s]) + len(d).to_bytes(4, "big") + d for s, d in chunks)])
    return body + blake2b(body, digest_size=_DIGEST).digest()


def store(where: str, k: bytes, code: int, chunks: list[tuple[int, bytes]]) -> bool:
    """Write the entry atomically and drop the oldest ones; False (and nothing written)
    if the folder cannot be made, written or trusted."""
    path = _entry_path(where, k)
    tmp = os.path.join(where, f".{k.hex()}.{os.getpid()}.{os.urandom(4).hex()}.tmp")
    try:
        os.makedirs(where, mode=0o700, exist_ok=True)
        if not _trusted(os.stat(where)):
            return False
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with open(fd, "wb") as fh:
                fh.write(encode_entry(k, code, chunks))
            os.replace(tmp, path)
        except BaseException:
            os.unlink(tmp)
            raise
    except OSError:
        return False
    evict(where)
    return True


def evict(where: str, keep: int = MAX_ENTRIES) -> None:
    """Keep the ``keep`` most recently used entries of the folder (and drop temporary
    files of writers that died an hour or more ago); files of other names are left be."""
    import time

    entries: list[tuple[int, str]] = []
    old = time.time_ns() - 3600 * 10**9
    try:
        with os.scandir(where) as found:
            for e in found:
                try:
                    if _ENTRY_NAME.fullmatch(e.name):
                        entries.append((e.stat().st_mtime_ns, e.path))
                    elif _TEMP_NAME.fullmatch(e.name) and e.stat().st_mtime_ns < old:
                        os.unlink(e.path)
                except OSError:
                    pass
    except OSError:
        return
    entries.sort(reverse=True)
    for _, path in entries[keep:]:
        try:  # noqa: SIM105 (contextlib is not loaded on this path)
            os.unlink(path)
        except OSError:
            pass


class _Recorder(io.BufferedIOBase):
    """A binary stream that writes through to ``target`` and records what it wrote."""

    def __init__(self, target: io.BufferedIOBase, stream: int,
                 log: list[tuple[int, bytearray]], size: list[int]) -> None:
        super().__init__()
        self.target, self.stream, self.log, self.size = target, stream, log, size

    def write(self, data: bytes) -> int:  # type: ignore[override]
        kept = memoryview(data).cast("B")
        try:
            n = self.target.write(data)
        except BlockingIOError:  # a non-blocking stream took none or part of it
            self.size[0] = MAX_OUTPUT + 1  # not all of the output: nothing is stored
            raise
        if n is None or n < len(kept):
            # An unbuffered or non-blocking stream took part of it (or said nothing): the
            # text layer above does not write the rest, so this run's output is not all
            # of it, and it is not stored.
            self.size[0] = MAX_OUTPUT + 1
            kept = kept[:n or 0]
        self.size[0] += len(kept)
        if self.size[0] <= MAX_OUTPUT:
            if not self.log or self.log[-1][0] != self.stream:
                self.log.append((self.stream, bytearray()))
            self.log[-1][1].extend(kept)
        return len(kept)

    def flush(self) -> None:
        self.target.flush()

    def isatty(self) -> bool:
        return self.target.isatty()

    def fileno(self) -> int:
        return self.target.fileno()

    def writable(self) -> bool:
        return True

    def readable(self) -> bool:
        return False

    def seekable(self) -> bool:
        return False

    def close(self) -> None:  # the real stream stays open
        self.flush()


def record(run: Callable[[], int]) -> tuple[int, list[tuple[int, bytes]], bool]:
    """Run ``run`` with standard output and error written through recorders: its exit
    code, what it wrote (chunks in order) and whether that is all of it (within
    :data:`MAX_OUTPUT`, every stream flushed)."""
    log: list[tuple[int, bytearray]] = []
    size = [0]
    saved = sys.stdout, sys.stderr
    wrappers = []
    for number, stream in zip(_STREAMS, saved, strict=True):
        assert isinstance(stream, io.TextIOWrapper)
        stream.flush()
        wrappers.append(io.TextIOWrapper(  # type: ignore[type-var]
            _Recorder(stream.buffer, number, log, size),
            encoding=stream.encoding, errors=stream.errors,
            line_buffering=stream.line_buffering, write_through=stream.write_through))
    sys.stdout, sys.stderr = wrappers
    complete = True
    try:
        code = run()
    finally:
        sys.stdout, sys.stderr = saved
        for wrapper in wrappers:
            try:
                wrapper.detach()  # flushes; the real stream stays open
            except (OSError, ValueError):
                complete = False
    complete = complete and size[0] <= MAX_OUTPUT and len(log) <= MAX_CHUNKS
    return code, [(n, bytes(data)) for n, data in log], complete


def replay(chunks: list[tuple[int, bytes]]) -> int:
    """Write an entry's output as the command wrote it; the exit code as
    :func:`channelkg.cli.runner.run_command` would give it (1 for a closed standard
    output, 130 for Ctrl-C), else 0."""
    streams = {1: sys.stdout, 2: sys.stderr}
    try:
        for number, data in chunks:
            out = streams[number]
            out.flush()
            view = memoryview(data)
            while view:  # an unbuffered stream (python -u) may take part of it
                n = out.buffer.write(view)
                view = view[len(view) if n is None else n:]
            out.buffer.flush()
        return 0
    except BrokenPipeError:
        # As run_command: nothing more can be written; the last flush must not complain.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except KeyboardInterrupt:
        return _interrupted()


def _interrupted() -> int:
    """What :func:`channelkg.cli.runner.run_command` does on Ctrl-C: its line, its code."""
    from channelkg.cli.runner import INTERRUPTED

    sys.stderr.write(f"Error: {INTERRUPTED[0]}\n")
    sys.stderr.flush()
    return INTERRUPTED[1]


def run_cached(argv: list[str], inputs: Callable[[], list[str]], query: str, package: str,
               version: str, run: Callable[[], int]) -> int:
    """Print the stored output of this command line, or run it (``run`` returns the exit
    code) and store its output; without a usable cache folder, just run it."""
    where = folder()
    if where is None:
        return run()
    try:
        k = key(argv, inputs(), query, package, version)
        try:
            trusted = _trusted(os.stat(where))
        except OSError:
            trusted = True  # none yet: store makes it, this user's
        found = None if k is None or not trusted else read_entry(_entry_path(where, k), k)
    except KeyboardInterrupt:  # before the command ran: as if it was stopped at once
        return _interrupted()
    if k is None or not trusted:
        return run()
    path = _entry_path(where, k)
    if found is not None and found[0] == 0:
        try:  # noqa: SIM105 (contextlib is not loaded on this path)
            os.utime(path)  # the most recently used entry
        except OSError:
            pass
        return replay(found[1])
    code, chunks, complete = record(run)
    try:  # the files are listed again: one added during the run changes the key
        if code == 0 and complete and key(argv, inputs(), query, package, version) == k:
            store(where, k, code, chunks)
    except KeyboardInterrupt:  # the command has finished: it is just not stored
        pass
    return code


__all__ = ["ENV", "MAX_ENTRIES", "MAX_OUTPUT", "OFF", "encode_entry", "evict", "folder", "key",
           "read_entry", "record", "replay", "run_cached", "store"]
