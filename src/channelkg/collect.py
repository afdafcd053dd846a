"""Python's cyclic garbage collector, paused around work that builds many objects.

An analysis, a view or a channel map builds some hundred thousand small objects (terms,
records, rows, route records, node attributes) that live on and hold hardly any reference
cycles; every pass the collector starts walks the growing heap, the loaded graph included,
again for nothing (a third of the time of ``spof`` on a large graph and of a collapsed
market view, a fifth of a channel map's at a million triples). Reference counting still
frees everything.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def paused_gc() -> Iterator[None]:
    """No cyclic garbage collection inside; the state before is restored after, also on
    an error (a nested pause leaves the collector off until the outer one ends)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


__all__ = ["paused_gc"]
