"""Known cheap queries: answered in the server process once a worker answered them fast;
never a query that ran long, failed or may vary; and answers written in one piece."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from channelkg.graph.open import GraphSpec
from channelkg.serve import cheap
from channelkg.serve.app import prepare_graph
from channelkg.serve.cheap import Known
from channelkg.serve.transport import Coalesced
from channelkg.serve.workers import Job, Reply, Served, WorkerPool
from conftest import TINY

MARKETS = ("PREFIX ckg: <https://w3id.org/channelkg/ontology#> "
           "SELECT ?m ?code WHERE { ?m a ckg:Market ; ckg:isoCode ?code } ORDER BY ?code")
JSON = "application/sparql-results+json"
SPEC = GraphSpec(data=(TINY,))


@pytest.fixture(scope="module")
def pool() -> Iterator[WorkerPool]:
    p = WorkerPool(Served(SPEC), size=1, timeout=10.0)
    p.start()
    yield p
    p.close()


@pytest.fixture
def known() -> Iterator[Known]:
    kg = prepare_graph(SPEC)
    assert kg is not None
    k = Known(kg, timeout=10.0)
    yield k
    k.close()


def ask(known: Known, pool: WorkerPool, text: str, **job: Any) -> Any:
    return asyncio.run(known.answer(pool, Job(text=text, accept=JSON, **job)))


def test_a_fast_query_is_answered_in_the_server_process_the_second_time(
        known: Known, pool: WorkerPool) -> None:
    known.limit = 5.0  # however loaded the machine, this query is within it
    first = ask(known, pool, MARKETS)
    assert first.status == 200 and known.runs == 0
    assert Job(text=MARKETS, accept=JSON) in known
    second = ask(known, pool, MARKETS)
    assert known.runs == 1
    assert (second.status, second.media, second.body) == (first.status, first.media,
                                                          first.body)
    # another format, row limit or dataset is another query: a worker answers it first
    ask(known, pool, MARKETS, max_rows=1)
    ask(known, pool, MARKETS, default_graphs=["urn:x:g"])
    assert known.runs == 1


def test_a_query_slower_than_the_limit_never_leaves_the_workers(
        known: Known, pool: WorkerPool) -> None:
    known.limit = 1e-9  # every query takes longer than this
    for _ in range(3):
        assert ask(known, pool, MARKETS).status == 200
    assert known.runs == 0 and Job(text=MARKETS, accept=JSON) not in known


def test_a_long_answer_never_leaves_the_workers(known: Known, pool: WorkerPool,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    known.limit = 5.0
    first = ask(known, pool, MARKETS)
    monkeypatch.setattr(cheap, "MAX_BODY", len(first.body) - 1)  # this answer is "long"
    for _ in range(2):
        assert ask(known, pool, MARKETS, max_rows=50).status == 200
    assert known.runs == 0 and Job(text=MARKETS, accept=JSON, max_rows=50) not in known


def test_a_costly_known_query_runs_in_a_query_thread_once_the_step_answered_one(
        known: Known, pool: WorkerPool, monkeypatch: pytest.MonkeyPatch) -> None:
    known.limit = 5.0
    monkeypatch.setattr(cheap, "SHARE", 0.0)  # every known query costs more than this
    job = Job(text=MARKETS, accept=JSON)
    first = ask(known, pool, MARKETS)  # a worker answers: now known

    async def one_step() -> tuple[Any, Any]:
        now = known.direct(job)  # answered at once: this step has answered one
        later = known.direct(job)  # the same step: a query thread answers it
        assert isinstance(now, Reply) and isinstance(later, asyncio.Future)
        assert known.threaded == 0
        return now, await later

    now, later = asyncio.run(one_step())
    assert now.body == later.body == first.body
    assert known.runs == 2 and known.threaded == 1
    assert ask(known, pool, MARKETS).body == first.body  # another step: at once again
    assert known.runs == 3 and known.threaded == 1


def test_a_query_forgotten_while_its_thread_runs_it_stays_forgotten(
        known: Known, pool: WorkerPool, monkeypatch: pytest.MonkeyPatch) -> None:
    known.limit = 5.0
    known.size = 1
    monkeypatch.setattr(cheap, "SHARE", 0.0)
    job = Job(text=MARKETS, accept=JSON)
    ask(known, pool, MARKETS)

    async def one_step() -> Any:
        assert isinstance(known.direct(job), Reply)
        later = known.direct(job)
        assert isinstance(later, asyncio.Future)
        await known.answer(pool, Job(text=MARKETS, accept=JSON, max_rows=1))  # now known
        assert job not in known  # the table holds one query: this one is forgotten
        return await later

    assert asyncio.run(one_step()).status == 200  # the thread's answer is still given
    assert job not in known and known.threaded == 1  # and it did not come back


@pytest.mark.parametrize("text", [
    "SELECT ?x WHERE { BIND(RAND() AS ?x) }",
    "SELECT ?x WHERE { BIND(STRUUID() AS ?x) }",
    "SELECT ?x WHERE { BIND(\\u0052AND() AS ?x) }",
    "SELECT ?x WHERE { ?x ?p }",  # does not parse: HTTP 400
])
def test_varying_and_failing_queries_are_never_known(known: Known, pool: WorkerPool,
                                                     text: str) -> None:
    for _ in range(2):
        ask(known, pool, text)
    assert known.runs == 0 and Job(text=text, accept=JSON) not in known


def test_the_server_keeps_only_a_plain_oxigraph_graph(tmp_path: Path) -> None:
    assert prepare_graph(GraphSpec(data=(TINY,), as_of=dt.date(2024, 1, 1))) is None
    assert prepare_graph(GraphSpec(data=(TINY,), engine="rdflib")) is None


class Recorder:
    """A transport that records what is written to it."""

    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.closed = False

    def write(self, data: bytes) -> None:
        self.writes.append(data)

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True

    def get_extra_info(self, name: str) -> str:
        return f"info {name}"


def test_the_writes_of_one_step_go_out_in_one_piece() -> None:
    async def run() -> Recorder:
        raw = Recorder()
        out = Coalesced(raw, asyncio.get_running_loop())
        out.write(b"HTTP/1.1 200 OK\r\n\r\n")
        out.write(b"")
        out.write(b"body")
        assert raw.writes == []  # held until this step ends
        await asyncio.sleep(0)
        assert raw.writes == [b"HTTP/1.1 200 OK\r\n\r\nbody"]
        out.write(b"x" * (1 << 16))  # a large answer is not held
        assert len(raw.writes) == 2
        out.write(b"last")
        out.close()  # closing sends what is held first
        assert raw.writes[-1] == b"last" and raw.closed
        assert out.get_extra_info("peername") == "info peername"
        return raw

    asyncio.run(run())
