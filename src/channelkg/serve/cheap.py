"""Queries known to be cheap, answered in the server process without a worker.

A worker answers every query the first time. The graph cannot change while it is served
(files are loaded once, a store is opened read-only), and a query that calls no random
function does the same work every time it runs on it. So a query on which its worker
spent at most :attr:`Known.limit` seconds of CPU time (at most 5 ms, and at most a
fiftieth of the time limit), answering HTTP 200 within :data:`WALL` times that limit of
wall-clock time and with at most :data:`MAX_BODY` bytes, is *known cheap*: the next
requests with the same text, dataset, format and row limit run it in the server process,
which saves two process hops and the copy of the answer between processes: on its event
loop when it costs at most :data:`SHARE` of CPU time, else in one of its query threads
(:data:`THREADS`), while the event loop serves other connections. The
decision is made on the time measured; the size bound only keeps what the server
process builds for one answer small (1 MiB; 1,000 rows are about 200 KB). It is CPU
time rather than wall-clock time, since on a loaded machine a query may wait for a CPU
longer than it runs.

A query that ran longer never becomes known, so a runaway query still runs in a worker,
which is killed at the time limit; and neither the event loop, which serves no other
connection while it runs a query, nor a query thread is ever held for long. A known
query that takes more than :data:`SLACK` times the limit of CPU time in the server
process, or more than :data:`WALL` times it in all, is forgotten and goes back to the
workers.
Only a plain Oxigraph graph (files or an ``oxigraph:`` store; no view, no reasoning, no
other engine) is kept in the server process; with any other graph every query runs in a
worker. The server process holds one more copy of in-memory data.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from channelkg.serve.workers import Job, Reply, WorkerPool, execute

#: Queries whose work may differ from run to run (``RAND()``, ``UUID()``,
#: ``STRUUID()``), or that hide a name behind a codepoint escape, are never known.
VARYING = re.compile(r"rand|uuid|\\u", re.IGNORECASE)
#: Longest query text that is remembered (the memory of the table stays small).
MAX_TEXT = 4096
#: The most CPU time a worker may spend on a query for it to become known (seconds).
LIMIT = 0.005
#: A known query may take this many times :data:`LIMIT` of CPU time in the server
#: process (a machine under load runs slower) before it is forgotten.
SLACK = 4
#: Wall-clock time, in :data:`LIMIT`\ s, that a known query may take, in a worker or in
#: the server process: a query that waits (for a disk, say) rather than computes stays
#: in the workers.
WALL = 10
#: A known query that costs more CPU time than this (seconds) runs in one of the server
#: process's :data:`THREADS` query threads, not on its event loop: pyoxigraph lets go of
#: the interpreter lock while it evaluates and serializes, so the event loop reads and
#: writes other connections meanwhile and a second CPU serializes another answer.
SHARE = 0.0005
#: Query threads of the server process for known queries that cost more than :data:`SHARE`.
THREADS = 2
#: The largest answer (bytes) whose query becomes known: the most the server process
#: builds for one answer (1,000 rows are about 200 KB).
MAX_BODY = 1 << 20


def _key(job: Job) -> tuple[Any, ...] | None:
    """What makes two requests the same query, or None when they are never known."""
    if type(job) is not Job or job.name is not None or job.text is None:
        return None
    if len(job.text) > MAX_TEXT or VARYING.search(job.text):
        return None
    graphs = tuple(job.default_graphs) if job.default_graphs is not None else None
    named = tuple(job.named_graphs) if job.named_graphs is not None else None
    return (job.text, job.accept, job.fmt, job.max_rows, job.base, graphs, named)


class Known:
    """The table of known cheap queries and the server process's copy of the graph.

    Args:
        kg: the graph, opened in the server process (a plain Oxigraph graph).
        timeout: the workers' time limit in seconds.
        size: most queries remembered (the least recently used one is forgotten first).
    """

    def __init__(self, kg: Any, timeout: float, size: int = 1024) -> None:
        self.kg = kg
        self.limit = min(LIMIT, timeout / 50)
        self.size = size
        self.runs = 0  #: queries answered in the server process
        self.threaded = 0  #: of which in a query thread
        self._known: OrderedDict[tuple[Any, ...], float] = OrderedDict()
        self._threads: ThreadPoolExecutor | None = None
        self._busy = 0  # queries in the query threads
        self._step = False  # has this event-loop step answered a query here?

    def __contains__(self, job: Job) -> bool:
        key = _key(job)
        return key is not None and key in self._known

    async def answer(self, pool: WorkerPool, job: Job) -> Reply:
        """The reply to a job: in this process if it is known cheap, else by a worker."""
        key = _key(job)
        here = None if key is None else self.direct(job)
        if isinstance(here, asyncio.Future):
            here = await here
        if here is not None:
            return here
        reply = await pool.acall(job)
        if key is None or reply.status != 200:
            return reply
        if self._fits(reply, 1):
            self._known[key] = reply.cpu
            while len(self._known) > self.size:
                self._forget(next(iter(self._known)))
        else:  # it ran long this time: it is not known (any longer)
            self._forget(key)
        return reply

    def _forget(self, key: tuple[Any, ...]) -> None:
        """The query is not known (any longer): a worker answers it next time."""
        self._known.pop(key, None)

    def _fits(self, reply: Reply, slack: float) -> bool:
        """Did the reply come within ``slack`` times the limit of CPU time, within the
        wall-clock bound, and with at most :data:`MAX_BODY` bytes?"""
        return (reply.status == 200 and reply.cpu <= slack * self.limit
                and reply.seconds <= WALL * self.limit and len(reply.body) <= MAX_BODY)

    def direct(self, job: Job) -> Reply | asyncio.Future[Reply | None] | None:
        """The reply to a known cheap job, run in this process; None: a worker answers.

        A known job that costs more than :data:`SHARE` runs in a query thread when an
        event loop runs and a query thread is busy or this event-loop step already
        answered a query here (with one client at a time, it runs at once, without the
        hop to a thread): the reply is then a future, done on that loop (its result None
        when a worker answers after all). A known job that ran long here, failed or
        answered too much is forgotten.
        """
        key = _key(job)
        cost = None if key is None else self._known.get(key)
        if key is None or cost is None:
            return None
        self._known.move_to_end(key)
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # called outside an event loop: run it now
            loop = None
        if cost <= SHARE or loop is None or not (self._busy or self._step):
            if loop is not None and not self._step:
                self._step = True
                loop.call_soon(self._end_step)
            return self._settle(key, self._execute(job))
        self._busy += 1
        if self._threads is None:
            self._threads = ThreadPoolExecutor(THREADS, thread_name_prefix="known-query")
        done: asyncio.Future[Reply | None] = loop.create_future()

        def settle(ran: Any) -> None:
            self._busy -= 1
            if not done.done():  # the connection may have gone meanwhile
                failed = ran.cancelled() or ran.exception() is not None
                done.set_result(None if failed else self._settle(key, ran.result()))
            self.threaded += 1

        def back(ran: Any) -> None:  # in the query thread
            with contextlib.suppress(RuntimeError):  # the event loop closed: server stopped
                loop.call_soon_threadsafe(settle, ran)

        self._threads.submit(self._execute, job).add_done_callback(back)
        return done

    def _settle(self, key: tuple[Any, ...], reply: Reply) -> Reply | None:
        """Count a reply run here, and forget its query if it ran long or failed."""
        self.runs += 1
        if self._fits(reply, SLACK):
            if key in self._known:
                self._known[key] = reply.cpu
        else:
            self._forget(key)
        return reply if reply.status == 200 else None

    def _end_step(self) -> None:
        self._step = False

    def _execute(self, job: Job) -> Reply:
        start, cpu = time.perf_counter(), time.thread_time()
        try:
            reply = execute(self.kg, job)
        except Exception:  # as in a worker, never a traceback: a worker answers instead
            reply = Reply(500, "", b"")
        reply.seconds = time.perf_counter() - start
        reply.cpu = time.thread_time() - cpu
        return reply

    def close(self) -> None:
        """Stop the query threads (after the queries they run) and close the graph."""
        if self._threads is not None:
            self._threads.shutdown(wait=True)
        self.kg.close()


def plain_oxigraph(kg: Any) -> bool:
    """True for an in-memory or on-disk Oxigraph graph (no view, no reasoning)."""
    from channelkg.graph.disk import DiskKnowledgeGraph
    from channelkg.graph.memory import OxigraphGraph

    return type(kg) in (OxigraphGraph, DiskKnowledgeGraph)


__all__ = ["LIMIT", "MAX_BODY", "MAX_TEXT", "SHARE", "SLACK", "THREADS", "VARYING", "WALL", "Known",
           "plain_oxigraph"]
