"""channelkg: a knowledge graph of how frontier AI models reach markets.

Public API (imported lazily, so ``import channelkg`` is cheap)::

    kg = channelkg.load()                       # bundled graph on Oxigraph
    res = channelkg.query(kg, "seed-table")     # named query, .rq file or SPARQL text
    print(channelkg.render(res, "md"))
    report = channelkg.validate()               # syntax, terms, SHACL
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing is not imported at run time: ``import channelkg`` stays cheap
if TYPE_CHECKING:
    from typing import Any

__version__ = "0.1.0"

_EXPORTS = {
    "load": "channelkg.graph.memory",
    "KnowledgeGraph": "channelkg.graph.memory",
    "query": "channelkg.sparql.query",
    "list_queries": "channelkg.sparql.query",
    "QueryResult": "channelkg.sparql.query",
    "render": "channelkg.render.results",
    "validate": "channelkg.check.validate",
    "Report": "channelkg.check.validate",
    "ChannelKGError": "channelkg.errors",
    "InputError": "channelkg.errors",
    "QueryError": "channelkg.errors",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'channelkg' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
