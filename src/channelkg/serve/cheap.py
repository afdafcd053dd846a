"""Queries known to be cheap, answered in the server process without a worker.

A worker answers every query the first time. The graph cannot change while it is served
(files are loaded once, a store is opened read-only), and a query that calls no random
function does the same work every time it runs on it. So a query whose worker answered
HTTP 200 within :attr:`Known.limit` seconds (at most 2 ms, and at most a fiftieth of
the time limit) with an answer of at most :data:`MAX_BODY` bytes is *known cheap*: the
next requests with the same text, dataset, format and row limit run it on the server's
event loop, which saves two process hops and the copy of the answer between processes.

A query that ran longer never becomes known, so a runaway query still runs in a worker,
which is killed at the time limit; and the event loop, which serves no other connection
while it runs a query, is never held for long. A known query that takes more than four
times the limit in the server process (a loaded machine) is forgotten and goes back to
the workers. (Longer queries, of 1,000 rows say, were measured slower in the server
process than in a worker at one client, and no faster at 16: benchmarks/bench_serve.py.)
Only a plain Oxigraph graph (files or an ``oxigraph:`` store; no view, no reasoning, no
other engine) is kept in the server process; with any other graph every query runs in a
worker. The server process holds one more copy of in-memory data.
"""

from __future__ import annotations

import re
import time
from collections import OrderedDict
from typing import Any

from channelkg.serve.workers import Job, Reply, WorkerPool, execute

#: Queries whose work may differ from run to run (``RAND()``, ``UUID()``,
#: ``STRUUID()``), or that hide a name behind a codepoint escape, are never known.
VARYING = re.compile(r"rand|uuid|\\u", re.IGNORECASE)
#: Longest query text that is remembered (the memory of the table stays small).
MAX_TEXT = 4096
#: The longest a worker's answer may take for its query to become known.
LIMIT = 0.002
#: The largest answer (bytes) whose query becomes known: a long answer (1,000 rows is
#: about 200 KB) holds the event loop while it is serialized, which costs the other
#: clients more than the process hops it saves.
MAX_BODY = 32 * 1024


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

    def __contains__(self, job: Job) -> bool:
        key = _key(job)
        return key is not None and key in self._known

    async def answer(self, pool: WorkerPool, job: Job) -> Reply:
        """The reply to a job: in this process if it is known cheap, else by a worker."""
        key = _key(job)
        cost = None if key is None else self._known.get(key)
        if key is not None and cost is not None:
            self._known.move_to_end(key)
            reply = self._execute(job)
            self.runs += 1
            if reply.status != 200 or reply.seconds > 4 * self.limit \
                    or len(reply.body) > MAX_BODY:
                self._known.pop(key, None)
            else:
                self._known[key] = reply.seconds
            if reply.status == 200:
                return reply
        reply = await pool.acall(job)
        if key is None or reply.status != 200:
            return reply
        if reply.seconds <= self.limit and len(reply.body) <= MAX_BODY:
            self._known[key] = reply.seconds
            while len(self._known) > self.size:
                self._known.popitem(last=False)
        else:  # it ran long this time: it is not known (any longer)
            self._known.pop(key, None)
        return reply

    def _execute(self, job: Job) -> Reply:
        start = time.perf_counter()
        try:
            reply = execute(self.kg, job)
        except Exception:  # as in a worker, never a traceback: a worker answers instead
            reply = Reply(500, "", b"")
        reply.seconds = time.perf_counter() - start
        return reply

    def close(self) -> None:
        """Close the graph."""
        self.kg.close()


def plain_oxigraph(kg: Any) -> bool:
    """True for an in-memory or on-disk Oxigraph graph (no view, no reasoning)."""
    from channelkg.graph.disk import DiskKnowledgeGraph
    from channelkg.graph.memory import OxigraphGraph

    return type(kg) in (OxigraphGraph, DiskKnowledgeGraph)


__all__ = ["LIMIT", "MAX_BODY", "MAX_TEXT", "VARYING", "Known", "plain_oxigraph"]
