"""The collector's pause (channelkg.collect): what is made inside counts as old, a
cycle is still freed, a frozen heap stays frozen, and a command can skip the last
collections of the interpreter's shutdown."""

from __future__ import annotations

import gc
import subprocess
import sys
import weakref


class _Node:
    """A container the collector tracks, able to hold a reference cycle."""

    def __init__(self) -> None:
        self.other: _Node | None = None


def test_what_the_pause_made_does_not_wait_for_the_young_collection() -> None:
    from channelkg.collect import paused_gc

    gc.collect()  # no young pass since: one more would leave what it walked in the middle
    with paused_gc():
        made = [[i] for i in range(50_000)]
        assert gc.get_count()[0] > 40_000  # counted as young while paused
    assert gc.get_count()[0] < 1_000
    assert any(o is made for o in gc.get_objects(generation=2))  # promoted, not walked
    assert not any(o is made for o in gc.get_objects(generation=0))


def test_a_cycle_made_in_a_pause_is_still_freed() -> None:
    from channelkg.collect import paused_gc

    with paused_gc():
        a, b = _Node(), _Node()
        a.other, b.other = b, a
        gone = weakref.ref(a)
        del a, b
    assert gone() is not None  # only the collector frees a cycle
    gc.collect()
    assert gone() is None


def test_a_frozen_heap_stays_frozen() -> None:
    """Something froze the heap before: the pause neither unfreezes it nor freezes what
    it made. Seen by where two objects are (the frozen ones are not among the tracked),
    not by the frozen count, which other threads of the process lower as they free."""
    from channelkg.collect import paused_gc

    before = [0]
    gc.freeze()
    try:
        with paused_gc():
            made = [1]
        tracked = gc.get_objects()
        assert not any(o is before for o in tracked)  # still frozen
        assert any(o is made for o in tracked)  # not frozen
    finally:
        gc.unfreeze()


def test_a_command_can_skip_the_collections_at_exit() -> None:
    """atexit runs the last registered first: the freeze is seen by the earlier one."""
    code = ("import atexit, gc\n"
            "atexit.register(lambda: print('frozen' if gc.get_freeze_count() else 'not'))\n"
            "from channelkg.collect import skip_collection_at_exit\n"
            "{}\n")
    for call, said in (("skip_collection_at_exit(); skip_collection_at_exit()", "frozen"),
                       ("pass", "not")):
        done = subprocess.run([sys.executable, "-c", code.format(call)], capture_output=True,
                              text=True, check=True)
        assert done.stdout.strip() == said, done.stderr
