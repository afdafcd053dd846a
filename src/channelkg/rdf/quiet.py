"""Scoped silencing of rdflib's term logger (no rdflib import needed to use it).

Neither rdflib nor :mod:`logging` is imported for a block that never loads rdflib (a
query answered in pyoxigraph terms): until rdflib starts loading nothing can log, and the
logger is silenced the moment it does, before ``rdflib.term`` exists.
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False  # typing is not imported at run time
if TYPE_CHECKING:
    from typing import Any

#: The logger rdflib reports ill-typed literals on.
LOGGER = "rdflib.term"
#: The logger's ``disabled`` before :class:`RdflibWatch` silenced it, while it is silenced.
_SAVED: dict[str, bool] = {}


def _silence() -> bool:
    """Disable the logger; return its setting before."""
    import logging

    log = logging.getLogger(LOGGER)
    old = log.disabled
    log.disabled = True  # unlike setLevel, this clears no logger caches (cheap per call)
    return old


class RdflibWatch:
    """An import finder that finds nothing: it silences the logger when rdflib starts
    loading inside a block (before any of rdflib's modules runs)."""

    @classmethod
    def find_spec(cls, name: str, path: Any = None, target: Any = None) -> None:
        if (name == "rdflib" or name.startswith("rdflib.")) and "old" not in _SAVED:
            _SAVED["old"] = _silence()


class quiet_rdflib:  # noqa: N801 (used as a function: ``with quiet_rdflib():``)
    """Silence rdflib's logger for terms while the block runs, then restore it.

    rdflib logs a full traceback for every ill-typed literal it builds (e.g.
    ``"2024-13-01"^^xsd:date``); ``validate`` reports such literals as one readable
    line instead. Used where terms are built from parsed files or results.

    (A class, not :func:`contextlib.contextmanager`: the command line's start-up does
    without :mod:`contextlib`.)
    """

    __slots__ = ("old", "owner")

    def __enter__(self) -> None:
        self.old: bool | None = None
        self.owner = False
        if "rdflib" in sys.modules or "logging" in sys.modules:
            self.old = _silence()
            return
        self.owner = RdflibWatch not in sys.meta_path  # an outer block may watch already
        if self.owner:
            sys.meta_path.insert(0, RdflibWatch)

    def __exit__(self, *exc: object) -> None:
        if self.old is not None:
            _restore(self.old)
        elif self.owner:
            if RdflibWatch in sys.meta_path:
                sys.meta_path.remove(RdflibWatch)
            if "old" in _SAVED:
                _restore(_SAVED.pop("old"))


def _restore(old: bool) -> None:
    import logging

    logging.getLogger(LOGGER).disabled = old


__all__ = ["LOGGER", "RdflibWatch", "quiet_rdflib"]
