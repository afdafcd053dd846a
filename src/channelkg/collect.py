"""Python's cyclic garbage collector, paused around work that builds many objects.

An analysis, a view or a channel map builds some hundred thousand small objects (terms,
records, rows, route records, node attributes) that live on and hold hardly any reference
cycles; every pass the collector starts walks the growing heap, the loaded graph included,
again for nothing (a third of the time of ``spof`` on a large graph and of a collapsed
market view, a fifth of a channel map's at a million triples). Reference counting still
frees everything.
"""

from __future__ import annotations

import atexit
import contextlib
import gc
from collections.abc import Iterator
from functools import cache


@contextlib.contextmanager
def paused_gc() -> Iterator[None]:
    """No cyclic garbage collection inside; the state before is restored after, also on
    an error (a nested pause leaves the collector off until the outer one ends).

    The objects made inside are then counted as old (:func:`_promote`): the first
    collection after the pause would otherwise walk every one of them at once (about
    0.4 s after a collapsed market view of a million triples) and find nothing to free.
    A full collection still walks them, so a cycle among them is freed in time."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            _promote()
            gc.enable()


def _promote() -> None:
    """Move every object the collector tracks into its oldest generation, without
    walking them (``gc.freeze`` then ``gc.unfreeze``). Not done when something has
    frozen objects already (a server that froze its heap before forking keeps them
    frozen)."""
    if gc.get_freeze_count() == 0:
        gc.freeze()
        gc.unfreeze()


@cache
def skip_collection_at_exit() -> None:
    """Have the interpreter's shutdown skip its last collections, which walk every
    object still alive (about a second after a collapsed market view of a million
    triples): at exit the tracked objects are frozen. For a command that has written
    its output; a cycle left then is freed with the process. Registered once."""
    atexit.register(gc.freeze)


__all__ = ["paused_gc", "skip_collection_at_exit"]
