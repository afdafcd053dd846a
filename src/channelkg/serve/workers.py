"""Query workers of the endpoint: processes that each hold the graph.

Every query runs in a worker process that holds its own copy of the graph (files, or a
persistent store opened read-only). At most ``size`` queries run at once; a query that
runs past ``timeout`` seconds has its worker killed and replaced (HTTP 503): pyoxigraph
cannot interrupt a query from another thread, a process can always be stopped. At most
``queue`` requests wait for a worker, in arrival order, each at most three time limits;
a request beyond that is answered 503 at once (with ``Retry-After``), so clients with
endless queries delay the others by at most one time limit and never starve them.
"""

from __future__ import annotations

import functools
import multiprocessing as mp
import os
import queue as queues
import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from channelkg.errors import ChannelKGError, InputError, QueryError
from channelkg.graph.open import GraphSpec, open_graph
from channelkg.serve.protocol import is_update
from channelkg.serve.results import (
    FORMATS,
    NotAcceptableError,
    not_xml_char,
    ranked,
    render_negotiated,
)

READ_ONLY_ENV = "CHANNELKG_STORE_READ_ONLY"


@dataclass(frozen=True)
class Served:
    """What the workers serve: a graph, and files served as named graphs.

    Attributes:
        graph: keyword arguments for :func:`channelkg.graph.open.open_graph`.
        named: (graph IRI, RDF file) pairs: each file is added as that named graph,
            for ``FROM``/``FROM NAMED``, ``GRAPH`` and the protocol's
            ``default-graph-uri``/``named-graph-uri``.
    """

    graph: GraphSpec
    named: tuple[tuple[str, Path], ...] = ()


@dataclass
class Job:
    """One request for a worker: SPARQL text or a named query, and the output format.

    ``default_graphs``/``named_graphs`` (the protocol's ``default-graph-uri`` and
    ``named-graph-uri``) replace the dataset of the query; ``None``: not given.
    ``base`` is the base IRI of the query (the endpoint's URL).
    """

    text: str | None = None
    name: str | None = None
    params: dict[str, str] = field(default_factory=dict)
    accept: str | None = None
    fmt: str | None = None
    max_rows: int = 10000
    default_graphs: list[str] | None = None
    named_graphs: list[str] | None = None
    base: str | None = None


@dataclass
class Reply:
    """A worker's answer: HTTP status, media type, body and extra headers.

    ``seconds``: how long the worker took to answer, ``cpu``: the CPU time it spent on
    it (both set by the worker's loop).
    """

    status: int
    media: str
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    cpu: float = 0.0


def error_reply(status: int, message: str, headers: dict[str, str] | None = None) -> Reply:
    """A plain-text answer of one line (a message of several lines is joined)."""
    line = re.sub(r"\s*\n\s*", " ", message.strip())
    return Reply(status, "text/plain; charset=utf-8", (line + "\n").encode("utf-8"),
                 dict(headers or {}))


# An IRI reference that has no scheme: the query needs a base IRI.
_RELATIVE = re.compile(r"<(?![A-Za-z][A-Za-z0-9+.-]*:)[^<>\"{}|^`\\\s]*>")
_AT = re.compile(r"\b(at |line )(\d+)(?=[:, ])")


def with_base(text: str, base: str) -> str:
    """The query with ``BASE <base>`` on a line before it, if it may hold a relative IRI.

    (Text in a string that looks like one adds the line too, which changes nothing.)
    """
    return f"BASE <{base}>\n{text}" if _RELATIVE.search(text) else text


def _unshift(message: str) -> str:
    """Line numbers of an error in a query that :func:`with_base` gave a line more."""
    return _AT.sub(lambda m: f"{m.group(1)}{max(1, int(m.group(2)) - 1)}", message)


def add_named_graphs(kg: Any, named: tuple[tuple[str, Path], ...]) -> None:
    """Add each file as the named graph of its IRI to the graph's Oxigraph store.

    Raises:
        InputError: the graph is not an in-memory Oxigraph store, or a file is unreadable.
    """
    if not named:
        return
    import pyoxigraph as ox

    from channelkg.graph.memory import parse_file

    store = getattr(kg, "store", None)
    if not isinstance(store, ox.Store) or getattr(kg, "engine", "") != "oxigraph":
        raise InputError("--graph needs file data on the oxigraph engine "
                         "(not --store, --engine rdflib, --as-of or --reason)")
    for iri, path in named:
        try:
            name = ox.NamedNode(iri)
        except ValueError:
            raise InputError(f"--graph {iri}={path}: not an IRI") from None
        store.extend([ox.Quad(q.subject, q.predicate, q.object, name)
                      for q in parse_file(path)])


def _run(kg: Any, text: str, job: Job) -> Any:
    """Run the query, on the protocol's dataset when one was given."""
    if job.default_graphs is None and job.named_graphs is None:
        return kg.run(text, max_rows=job.max_rows)
    import pyoxigraph as ox

    from channelkg.graph.memory import query_store

    store = getattr(kg, "store", None)
    if not isinstance(store, ox.Store) or not hasattr(kg, "keyed_by_dates"):
        raise QueryError("default-graph-uri and named-graph-uri need a graph on the "
                         "oxigraph engine (files or an oxigraph: store)")
    try:
        default = [ox.NamedNode(g) for g in job.default_graphs or []]
        named = [ox.NamedNode(g) for g in job.named_graphs or []]
    except ValueError as err:
        raise QueryError(f"default-graph-uri/named-graph-uri: not an IRI ({err})") from None
    return query_store(store, text, default_graph=default,
                       named_graphs=named if job.named_graphs is not None else None,
                       max_rows=job.max_rows)


# A query that ends in LIMIT n (with or without OFFSET): at most n rows, whatever it does.
_LAST_LIMIT = re.compile(r"\bLIMIT\s+(\d+)(?:\s+OFFSET\s+\d+)?\s*$", re.IGNORECASE)
#: Queries up to this length have what is read from their text remembered (below).
CACHED_TEXT = 4096


@functools.lru_cache(maxsize=1024)
def _refused(text: str) -> tuple[bool, bool]:
    from channelkg.sparql.query import uses_service

    return is_update(text), uses_service(text)


@functools.lru_cache(maxsize=1024)
def _shape(text: str) -> tuple[str, int | None]:
    from channelkg.graph.remote import mask, query_form

    m = _LAST_LIMIT.search(mask(text).rstrip())
    return query_form(text), None if m is None else int(m.group(1))


def refused(text: str) -> tuple[bool, bool]:
    """Is the query an update, does it use SERVICE (see ``uses_service``)?

    Remembered for the last 1,024 texts of at most :data:`CACHED_TEXT` characters (the
    SERVICE check may parse the query), as :func:`shape` is.
    """
    return _refused(text) if len(text) <= CACHED_TEXT else _refused.__wrapped__(text)


def shape(text: str) -> tuple[str, int | None]:
    """The query's form (``SELECT``…) and the ``n`` of a final ``LIMIT n`` (or None)."""
    return _shape(text) if len(text) <= CACHED_TEXT else _shape.__wrapped__(text)


_NATIVE = {"json": "JSON", "xml": "XML", "csv": "CSV", "tsv": "TSV"}


def _oxigraph_store(kg: Any) -> Any:
    """The store of a plain in-memory or on-disk Oxigraph graph (no view, no reasoning)."""
    from channelkg.graph.disk import DiskKnowledgeGraph
    from channelkg.graph.memory import OxigraphGraph

    return kg.store if type(kg) in (OxigraphGraph, DiskKnowledgeGraph) else None


def native(kg: Any, text: str, job: Job, formats: list[str]) -> Reply | None:
    """Answer with pyoxigraph's own result serializers, when that gives the same answer.

    That is: a plain Oxigraph graph, an ASK query or a SELECT query that ends in
    ``LIMIT n`` with ``n`` at most the row limit (so nothing can be cut), and a first
    format of JSON, XML, CSV or TSV (JSON or XML for ASK). ``None``: use the general way.
    """
    import pyoxigraph as ox

    store = _oxigraph_store(kg)
    if store is None or formats[0] not in _NATIVE:
        return None
    form, limit = shape(text)
    if form == "SELECT":
        if limit is None or limit > job.max_rows:
            return None
    elif form != "ASK" or formats[0] not in ("json", "xml"):
        return None
    try:
        if job.default_graphs is None and job.named_graphs is None:
            res = store.query(text, use_default_graph_as_union=True)
        else:
            res = store.query(text, default_graph=[ox.NamedNode(g) for g in job.default_graphs
                                                   or []],
                              named_graphs=None if job.named_graphs is None else
                              [ox.NamedNode(g) for g in job.named_graphs])
        body = res.serialize(format=getattr(ox.QueryResultsFormat, _NATIVE[formats[0]]))
    except (SyntaxError, ValueError, OSError, RuntimeError):
        return None  # the general way gives the error its usual message
    if not isinstance(body, bytes) or (formats[0] == "xml" and not_xml_char(body)):
        return None
    media = FORMATS[formats[0]][0]
    return Reply(200, media + ("" if formats[0] == "json" else "; charset=utf-8"), body)


def execute(kg: Any, job: Job) -> Reply:
    """Run one job on a loaded graph (in a worker process) and render the answer."""
    from channelkg.sparql.query import bind, bind_values, resolve

    shifted = False
    try:
        if job.name is not None:
            text, nq = resolve(job.name) if re.fullmatch(r"[\w.-]+", job.name) else ("", None)
            if nq is None:
                return error_reply(404, f"unknown named query {job.name!r}")
            bindings = bind(nq, job.params, kg)
        else:
            text, bindings = job.text or "", {}
        update, service = refused(text)
        if update:
            return error_reply(403, "this endpoint is read-only: SPARQL UPDATE is refused")
        if service:
            return error_reply(403, "SERVICE is refused: this endpoint does not contact "
                               "other hosts")
        text = bind_values(text, bindings)
        based = with_base(text, job.base) if job.base else text
        shifted = based is not text
        kinds = {"SELECT": "SELECT", "ASK": "ASK"}.get(shape(based)[0], "GRAPH")
        fast = native(kg, based, job, ranked(kinds, job.accept, job.fmt))
        if fast is not None:
            return fast
        result = _run(kg, based, job)
    except QueryError as err:
        # Parameters are URL parameters here, not command-line options.
        msg = re.sub(r"--param (\w+)=…", r"the URL parameter \1=…", str(err))
        return error_reply(400, _unshift(msg) if shifted else msg)
    except ChannelKGError as err:
        return error_reply(502, str(err))
    try:
        fmt, body = render_negotiated(result, ranked(result.kind, job.accept, job.fmt))
    except NotAcceptableError as err:
        return error_reply(406, str(err))
    media = FORMATS[fmt][0]
    charset = "" if fmt in ("json", "jsonld") else "; charset=utf-8"
    headers = {}
    if result.meta.get("truncated"):
        headers["X-Channelkg-Truncated"] = "true"
    return Reply(200, media + charset, body, headers)


def _worker_main(conn: Any, served: Served) -> None:
    """Worker process: load the graph once, then answer jobs until the pipe closes."""
    os.environ[READ_ONLY_ENV] = "1"
    try:
        kg = open_graph(served.graph)
        add_named_graphs(kg, served.named)
        execute(kg, Job(text="ASK {}"))  # imports what every query needs, before the first
        conn.send(("ready", None))
    except Exception as err:  # report every loading failure to the parent
        conn.send(("failed", str(err)))
        return
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError, KeyboardInterrupt):
            return
        start, cpu = time.perf_counter(), time.process_time()
        try:  # a job with its own run(kg) (an entity page) answers itself
            reply = job.run(kg) if hasattr(job, "run") else execute(kg, job)
        except Exception as err:  # never let a worker die on one query
            reply = error_reply(500, f"internal error: {type(err).__name__}: {err}")
        reply.seconds = time.perf_counter() - start
        reply.cpu = time.process_time() - cpu
        try:
            conn.send(reply)
        except (OSError, ValueError):
            return


class _Worker:
    def __init__(self, ctx: Any, served: Served) -> None:
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=_worker_main, args=(child, served), daemon=True)
        self.proc.start()
        child.close()

    def wait_ready(self, timeout: float) -> None:
        if not self.conn.poll(timeout):
            self.stop()
            raise ChannelKGError(f"a query worker did not load the graph within {timeout:.0f} s")
        try:
            status, msg = self.conn.recv()
        except EOFError:
            raise ChannelKGError("a query worker exited while loading the graph") from None
        if status != "ready":
            self.stop()
            raise ChannelKGError(f"cannot load the graph: {msg}")

    def stop(self) -> None:
        if self.proc.is_alive():
            self.proc.kill()
        self.proc.join(5)
        self.conn.close()


class WorkerPool:
    """Worker processes that each hold the graph; a query past its deadline kills its worker.

    Args:
        served: the graph (a :class:`Served`, or a ``GraphSpec`` alone).
        size: number of worker processes (queries run in parallel up to this number).
        timeout: seconds a query may run (a request waits for a worker at most
            ``max(3 * timeout, timeout + 5)`` seconds).
        startup: seconds a worker may take to load the graph.
        queue: most requests waiting for a worker; more get HTTP 503 at once.
    """

    def __init__(self, served: Served | GraphSpec, size: int = 2, timeout: float = 10.0,
                 startup: float = 300.0, queue: int = 64) -> None:
        self.served = served if isinstance(served, Served) else Served(served)
        self.size = max(1, size)
        self.timeout = timeout
        self.startup = startup
        self.queue_limit = max(0, queue)
        #: Seconds a request waits for a worker: the queries ahead of it end by their time
        #: limit, and a killed worker takes a moment to be replaced.
        self.wait = max(3 * timeout, timeout + 5)
        self._ctx = mp.get_context("spawn")
        self._idle: queues.Queue[_Worker] = queues.Queue()
        self._all: set[_Worker] = set()
        self._lock = threading.Lock()
        self._pending = 0
        self._closed = False

    def start(self) -> None:
        workers = [self._spawn() for _ in range(self.size)]
        try:
            for w in workers:
                w.wait_ready(self.startup)
        except ChannelKGError:
            self.close()
            raise
        for w in workers:
            self._idle.put(w)

    def _spawn(self) -> _Worker:
        w = _Worker(self._ctx, self.served)
        with self._lock:
            self._all.add(w)
        return w

    def _discard(self, w: _Worker) -> None:
        w.stop()
        with self._lock:
            self._all.discard(w)

    def _replace(self) -> None:
        if self._closed:
            return
        w = self._spawn()
        try:
            w.wait_ready(self.startup)
        except ChannelKGError:
            self._discard(w)
            return
        self._idle.put(w)

    def _busy(self) -> Reply:
        return error_reply(503, f"all {self.size} query workers are busy and "
                           f"{self.queue_limit} requests wait; try again",
                           {"Retry-After": str(max(1, round(self.timeout)))})

    def free(self) -> bool:
        """Is a worker idle, with no request waiting for one?"""
        return self._pending < self.size

    def call(self, job: Job) -> Reply:
        """Run a job on an idle worker (blocking); kill the worker at the deadline."""
        with self._lock:
            if self._pending >= self.size + self.queue_limit:
                return self._busy()
            self._pending += 1
        try:
            return self._call(job)
        finally:
            with self._lock:
                self._pending -= 1

    def _call(self, job: Job) -> Reply:
        try:
            w = self._idle.get(timeout=self.wait)
        except queues.Empty:
            return self._stayed_busy()
        try:
            w.conn.send(job)  # the query has its whole time limit, however long it waited
            if w.conn.poll(self.timeout):
                reply: Reply = w.conn.recv()
                self._idle.put(w)
                return reply
        except (EOFError, OSError):
            return self._lost(w, timed_out=False)
        return self._lost(w, timed_out=True)

    def _stayed_busy(self) -> Reply:
        return error_reply(503, f"all {self.size} query workers stayed busy for "
                           f"{self.wait:g} s; try again",
                           {"Retry-After": str(max(1, round(self.timeout)))})

    def _lost(self, w: _Worker, *, timed_out: bool) -> Reply:
        """Replace a worker that ran past the time limit (or died) and say which."""
        self._discard(w)
        threading.Thread(target=self._replace, daemon=True).start()
        if timed_out:
            return error_reply(503, f"the query ran longer than {self.timeout:g} s and was "
                               "stopped")
        return error_reply(500, "the query worker stopped unexpectedly; it has been restarted")

    async def acall(self, job: Job) -> Reply:
        """:meth:`call` for the event loop: no thread while a worker is free and nobody
        waits; the answer is awaited on the worker's pipe."""
        with self._lock:
            if self._pending >= self.size + self.queue_limit:
                return self._busy()
            self._pending += 1
            free = self._pending <= self.size  # nobody waits before this request
        try:
            return await self._acall(job, free)
        finally:
            with self._lock:
                self._pending -= 1

    async def _acall(self, job: Job, free: bool) -> Reply:
        import asyncio

        loop = asyncio.get_running_loop()
        w: _Worker | None = None
        if free:
            try:
                w = self._idle.get_nowait()
            except queues.Empty:
                w = None
        if w is None:  # wait in line, in a thread, as call() does
            try:
                w = await loop.run_in_executor(None, self._take)
            except queues.Empty:
                return self._stayed_busy()
        try:
            w.conn.send(job)
            if await _readable(loop, w.conn, self.timeout):
                reply: Reply = w.conn.recv()
                self._idle.put(w)
                return reply
        except (EOFError, OSError):
            return self._lost(w, timed_out=False)
        return self._lost(w, timed_out=True)

    def _take(self) -> _Worker:
        return self._idle.get(timeout=self.wait)

    def close(self) -> None:
        self._closed = True
        with self._lock:
            workers = list(self._all)
            self._all.clear()
        for w in workers:
            w.stop()


async def _readable(loop: Any, conn: Any, timeout: float) -> bool:
    """Wait until a pipe has data (True) or ``timeout`` seconds pass (False)."""
    import asyncio

    if conn.poll(0):
        return True
    fut = loop.create_future()

    def ready() -> None:
        if not fut.done():
            fut.set_result(True)

    fd = conn.fileno()
    loop.add_reader(fd, ready)
    try:
        await asyncio.wait_for(fut, timeout)
    except TimeoutError:
        return False
    finally:
        loop.remove_reader(fd)
    return True


__all__ = [
    "Job",
    "Reply",
    "Served",
    "WorkerPool",
    "add_named_graphs",
    "error_reply",
    "execute",
    "refused",
    "shape",
]
