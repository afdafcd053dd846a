"""The background calls of a load: a dropped call says so, a thread that cannot start
leaves nothing queued."""

from __future__ import annotations

import threading

import pytest

from channelkg.graph.background import Bounded, Call


def test_a_call_dropped_before_it_ran_raises_instead_of_returning_none() -> None:
    pool = Bounded(1)
    dropped = Call(lambda: 2, ())
    pool._todo.append(dropped)  # queued, not yet taken by a thread
    pool.close(discard=True)
    dropped.run()  # what a thread does with it afterwards
    with pytest.raises(RuntimeError, match="dropped before it ran"):
        dropped.result()


def test_a_call_that_ran_gives_its_value_after_a_discarding_close() -> None:
    pool = Bounded(2)
    done = pool.submit(lambda: 42)
    assert done.result() == 42
    pool.close(discard=True)
    assert done.result() == 42


def test_a_thread_that_cannot_start_leaves_no_call_queued(monkeypatch: pytest.MonkeyPatch) -> None:
    pool = Bounded(2)

    def refuse(self: threading.Thread) -> None:
        raise RuntimeError("can't start new thread")

    monkeypatch.setattr(threading.Thread, "start", refuse)
    with pytest.raises(RuntimeError, match="start new thread"):
        pool.submit(lambda: 1)
    assert pool._todo == []
    # the slot was given back: a second refusal is an error again, not a wait forever
    with pytest.raises(RuntimeError, match="start new thread"):
        pool.submit(lambda: 1)
    with pytest.raises(RuntimeError, match="start new thread"):
        pool.submit(lambda: 1)
    monkeypatch.undo()
    call = pool.submit(lambda: 7)
    assert call.result() == 7
    pool.close()
