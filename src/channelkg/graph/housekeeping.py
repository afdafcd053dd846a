"""Housekeeping of an on-disk store's folder: RocksDB's diagnostics that would otherwise
pile up (see :func:`channelkg.graph.disk.load_into`)."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

#: RocksDB's old info logs kept in a store: each read-write open writes a new ``LOG``
#: (about 140 kB) and renames the last one ``LOG.old.<time>``, and RocksDB keeps 1,000.
INFO_LOGS_KEPT = 3
_OLD_LOG = "LOG.old."


def prune_info_logs(folder: Path, keep: int = INFO_LOGS_KEPT) -> None:
    """Remove all but the ``keep`` newest of RocksDB's old info logs (``LOG.old.<time>``)
    in a store folder; they are diagnostics, which the store never reads."""
    old: list[tuple[int, str]] = []
    try:
        with os.scandir(folder) as found:
            for e in found:
                stamp = e.name.removeprefix(_OLD_LOG)
                if stamp != e.name and stamp.isdigit():
                    old.append((int(stamp), e.path))
    except OSError:  # a folder that cannot be read in full: nothing is removed
        return
    for _stamp, path in sorted(old, reverse=True)[keep:]:
        with contextlib.suppress(OSError):
            os.unlink(path)


__all__ = ["INFO_LOGS_KEPT", "prune_info_logs"]
