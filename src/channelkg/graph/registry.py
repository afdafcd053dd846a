"""Backends by name: ``memory``, ``oxigraph:PATH``, ``sparql:URL`` and third parties'.

A backend is a callable ``open(location, **options) -> KnowledgeGraph`` registered
under a name; ``NAME:LOCATION`` opens it. The built-ins are declared like any
third party's, as entry points of the group ``channelkg.backends`` in
``pyproject.toml``::

    [project.entry-points."channelkg.backends"]
    oxigraph = "channelkg.graph.remote:open_oxigraph"

Entry points are read only when a name is not registered yet, and only the one
named is imported, so start-up stays fast. :func:`register` adds one in-process
(the same table the entry points feed). Built-ins are also known without the
package's metadata (a source checkout), from :data:`BUILTINS`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

from channelkg.errors import InputError
from channelkg.graph.base import KnowledgeGraph

TYPE_CHECKING = False  # typing is not imported at run time
if TYPE_CHECKING:
    from typing import Any

GROUP = "channelkg.backends"
Opener = Callable[..., KnowledgeGraph]

#: The built-in backends (also declared as entry points of :data:`GROUP`).
BUILTINS = {
    "memory": "channelkg.graph.memory:open_memory",
    "oxigraph": "channelkg.graph.remote:open_oxigraph",
    "sparql": "channelkg.graph.remote:open_sparql",
}

_REGISTRY: dict[str, Opener] = {}


def register(name: str, opener: Opener) -> None:
    """Register a backend under ``name`` (``NAME:LOCATION`` then opens it)."""
    _REGISTRY[name] = opener


def _load(target: str) -> Opener:
    module, _, attr = target.partition(":")
    obj: Opener = getattr(importlib.import_module(module), attr)
    return obj


def lookup(name: str) -> Opener | None:
    """The backend registered as ``name``: in-process, then built-in, then entry points."""
    opener: Opener
    if name in _REGISTRY:
        return _REGISTRY[name]
    if name in BUILTINS:  # no metadata scan for the built-ins
        opener = _load(BUILTINS[name])
    else:
        from importlib.metadata import entry_points

        found = [ep for ep in entry_points(group=GROUP) if ep.name == name]
        if not found:
            return None
        opener = found[0].load()
    _REGISTRY[name] = opener
    return opener


def names() -> list[str]:
    """Every backend name known (reads the entry points' names, imports nothing)."""
    from importlib.metadata import entry_points

    return sorted(set(_REGISTRY) | set(BUILTINS) | {ep.name for ep in entry_points(group=GROUP)})


def open_backend(spec: str, **options: Any) -> KnowledgeGraph:
    """Open ``NAME:LOCATION`` (a bare ``http(s)://`` URL counts as ``sparql:``).

    Raises:
        InputError: no backend of that name, or no location.
    """
    name, _, location = spec.partition(":")
    if name in ("http", "https"):
        name, location = "sparql", spec
    opener = lookup(name) if location or name == "memory" else None
    if opener is None:
        raise InputError(
            f"unknown store {spec!r}: use oxigraph:PATH (a folder built by `channelkg load "
            "--into`) or sparql:URL (a SPARQL 1.1 endpoint)"
            + (f"; backends: {', '.join(names())}" if location else "")
        )
    return opener(location, **options)


__all__ = ["BUILTINS", "GROUP", "lookup", "names", "open_backend", "register"]
