"""Scoped silencing of rdflib's term logger (no rdflib import needed to use it)."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator


@contextlib.contextmanager
def quiet_rdflib() -> Iterator[None]:
    """Silence rdflib's logger for terms while the block runs, then restore it.

    rdflib logs a full traceback for every ill-typed literal it builds (e.g.
    ``"2024-13-01"^^xsd:date``); ``validate`` reports such literals as one readable
    line instead. Used where terms are built from parsed files or results.
    """
    log = logging.getLogger("rdflib.term")
    old = log.disabled
    log.disabled = True  # unlike setLevel, this clears no logger caches (cheap per call)
    try:
        yield
    finally:
        log.disabled = old


__all__ = ["quiet_rdflib"]
