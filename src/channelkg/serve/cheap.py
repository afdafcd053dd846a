"""Queries known to be cheap, answered in the server process without a worker.

A worker answers every query the first time. The graph cannot change while it is served
(files are loaded once, a store is opened read-only), and a query that calls no random
function does the same work every time it runs on it. So a query on which its worker
spent at most :attr:`Known.limit` seconds of CPU time (at most 2 ms, and at most a
fiftieth of the time limit), answering HTTP 200 within :data:`WALL` times that limit of
wall-clock time and with at most :data:`MAX_BODY` bytes, is *known cheap*: the next
requests with the same text, dataset, format and row limit run it on the server's event
loop, which saves two process hops and the copy of the answer between processes. The
decision is made on the time measured; the size bound only keeps what the server
process builds for one answer small (1 MiB; 1,000 rows are about 200 KB). It is CPU
time rather than wall-clock time, since on a loaded machine a query may wait for a CPU
longer than it runs.

A query that ran longer never becomes known, so a runaway query still runs in a worker,
which is killed at the time limit; and the event loop, which serves no other connection
while it runs a query, is never held for long. A known query that takes more than
:data:`SLACK` times the limit of CPU time in the server process, or more than
:data:`WALL` times it in all, is forgotten and goes back to the workers.
Only a plain Oxigraph graph (files or an ``oxigraph:`` store; no view, no reasoning, no
other engine) is kept in the server process; with any other graph every query runs in a
worker. The server process holds one more copy of in-memory data.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections import Counter, OrderedDict
from typing import Any

from channelkg.serve.workers import Job, Reply, WorkerPool, execute

#: Queries whose work may differ from run to run (``RAND()``, ``UUID()``,
#: ``STRUUID()``), or that hide a name behind a codepoint escape, are never known.
VARYING = re.compile(r"rand|uuid|\\u", re.IGNORECASE)
#: Longest query text that is remembered (the memory of the table stays small).
MAX_TEXT = 4096
#: The most CPU time a worker may spend on a query for it to become known (seconds).
LIMIT = 0.002
#: A known query may take this many times :data:`LIMIT` of CPU time in the server
#: process (a machine under load runs slower) before it is forgotten.
SLACK = 4
#: Wall-clock time, in :data:`LIMIT`\ s, that a known query may take, in a worker or in
#: the server process: a query that waits (for a disk, say) rather than computes stays
#: in the workers.
WALL = 10
#: A known query that costs more CPU time than this (seconds) is handed to an idle worker
#: when the same event-loop step already answered a query in the server process: with
#: many clients, workers run such queries on the other CPUs meanwhile.
SHARE = 0.0005
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
        self._known: OrderedDict[tuple[Any, ...], float] = OrderedDict()
        # Requests direct() handed to workers that answer() has not taken on yet; only
        # for known queries (forgotten with them), so never more entries than ``size``.
        self._handed: Counter[tuple[Any, ...]] = Counter()
        self._step = False  # has this event-loop step answered a query here?

    def __contains__(self, job: Job) -> bool:
        key = _key(job)
        return key is not None and key in self._known

    async def answer(self, pool: WorkerPool, job: Job) -> Reply:
        """The reply to a job: in this process if it is known cheap, else by a worker."""
        key = _key(job)
        if key is not None and self._handed.get(key):  # handed to a worker by direct()
            self._take_back(key)
        elif key is not None:
            reply, _ = self._here(key, job, pool)
            if reply is not None:
                return reply
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

    def _take_back(self, key: tuple[Any, ...]) -> None:
        """One request handed to a worker by :meth:`direct` is now on its way there."""
        self._handed[key] -= 1
        if self._handed[key] <= 0:
            del self._handed[key]

    def _forget(self, key: tuple[Any, ...]) -> None:
        """The query is not known (any longer): a worker answers it next time."""
        self._known.pop(key, None)
        self._handed.pop(key, None)

    def _fits(self, reply: Reply, slack: float) -> bool:
        """Did the reply come within ``slack`` times the limit of CPU time, within the
        wall-clock bound, and with at most :data:`MAX_BODY` bytes?"""
        return (reply.status == 200 and reply.cpu <= slack * self.limit
                and reply.seconds <= WALL * self.limit and len(reply.body) <= MAX_BODY)

    def direct(self, job: Job, pool: WorkerPool | None = None) -> Reply | None:
        """The reply to a known cheap job, run in this process; None: a worker answers.

        A known job that ran long here, failed or answered too much is forgotten. One
        that costs more than :data:`SHARE` goes to a worker of ``pool`` instead when
        one is free and this event-loop step already answered a query here; the request
        is then counted, so that :meth:`answer`, which the usual way calls next for it,
        hands it on rather than deciding again.
        """
        key = _key(job)
        if key is None:
            return None
        reply, handed = self._here(key, job, pool)
        if handed:
            self._handed[key] += 1
        return reply

    def _here(self, key: tuple[Any, ...], job: Job,
              pool: WorkerPool | None) -> tuple[Reply | None, bool]:
        """:meth:`direct` without the count: the reply (or None) and whether the job
        was handed to a worker."""
        cost = self._known.get(key)
        if cost is None:
            return None, False
        if cost > SHARE and self._step and pool is not None and pool.free():
            return None, True
        self._begin_step()
        self._known.move_to_end(key)
        reply = self._execute(job)
        self.runs += 1
        if self._fits(reply, SLACK):
            self._known[key] = reply.cpu
        else:
            self._forget(key)
        return (reply if reply.status == 200 else None), False

    def _begin_step(self) -> None:
        """Note that this event-loop step answers a query here (until the next step)."""
        if self._step:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # called outside an event loop: there are no steps
            return
        self._step = True
        loop.call_soon(self._end_step)

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
        """Close the graph."""
        self.kg.close()


def plain_oxigraph(kg: Any) -> bool:
    """True for an in-memory or on-disk Oxigraph graph (no view, no reasoning)."""
    from channelkg.graph.disk import DiskKnowledgeGraph
    from channelkg.graph.memory import OxigraphGraph

    return type(kg) in (OxigraphGraph, DiskKnowledgeGraph)


__all__ = ["LIMIT", "MAX_BODY", "MAX_TEXT", "SHARE", "SLACK", "VARYING", "WALL", "Known",
           "plain_oxigraph"]
