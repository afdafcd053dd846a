"""Graph backends behind one interface; :func:`open_graph` opens one from a :class:`GraphSpec`."""

from __future__ import annotations

TYPE_CHECKING = False  # typing is not imported at run time
if TYPE_CHECKING:
    from typing import Any


__all__ = ["GraphSpec", "KnowledgeGraph", "QueryResult", "open_graph"]

_EXPORTS = {"GraphSpec": "open", "open_graph": "open", "KnowledgeGraph": "base",
            "QueryResult": "base"}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'channelkg.graph' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(f"channelkg.graph.{module}"), name)
