"""Housekeeping of an on-disk store's folder: RocksDB's diagnostics that would otherwise
pile up (see :func:`channelkg.graph.disk.load_into`)."""

from __future__ import annotations

import os
from pathlib import Path

#: RocksDB's old info logs kept in a store: each read-write open writes a new ``LOG``
#: (about 140 kB) and renames the last one ``LOG.old.<time>``, and RocksDB keeps 1,000.
INFO_LOGS_KEPT = 3


def prune_info_logs(folder: Path, keep: int = INFO_LOGS_KEPT) -> int:
    """Remove all but the ``keep`` newest of RocksDB's old info logs (``LOG.old.*``) in a
    store folder; they are diagnostics, which the store never reads. How many went."""
    old: list[tuple[int, str]] = []
    try:
        with os.scandir(folder) as found:
            for e in found:
                stamp = e.name[len("LOG.old."):]
                if e.name.startswith("LOG.old.") and stamp.isdigit():
                    old.append((int(stamp), e.path))
    except OSError:
        return 0
    gone = 0
    for _stamp, path in sorted(old, reverse=True)[keep:]:
        try:
            os.unlink(path)
            gone += 1
        except OSError:
            pass
    return gone


__all__ = ["INFO_LOGS_KEPT", "prune_info_logs"]
