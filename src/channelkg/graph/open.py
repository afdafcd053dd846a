"""``GraphSpec`` and :func:`open_graph`: the one way every command and ``serve`` open a graph."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from channelkg.errors import InputError
from channelkg.graph.base import KnowledgeGraph

REASON_PROFILES = ("none", "rdfs", "owlrl", "rules", "owlrl+rules")


@dataclass(frozen=True)
class GraphSpec:
    """What to open: files or a store, the engine, an as-of day, reasoning.

    Attributes:
        data: RDF files or folders (empty: the bundled graph), for the ``memory`` backend.
        store: ``NAME:LOCATION`` of another backend (``oxigraph:PATH``, ``sparql:URL``…).
        engine: ``oxigraph`` or ``rdflib`` for file data.
        as_of: show only the facts visible on this day (a view, not a copy).
        reason: a reasoning profile (``none``, ``rdfs``, ``owlrl``, ``rules``, ``owlrl+rules``).
        ontology: also read the bundled ontology with file data.
        read_only: open a store read-only (several readers at once). Without it a
            store is opened read-write (and refreshed from its files) unless another
            process holds it so, in which case it is opened read-only.
    """

    data: tuple[Path, ...] = ()
    store: str | None = None
    engine: str = "oxigraph"
    as_of: dt.date | None = None
    reason: str = "none"
    ontology: bool = True
    read_only: bool = False

    def __post_init__(self) -> None:
        if self.store and self.data:
            raise InputError("use either --data or --store, not both")

    def full(self) -> GraphSpec:
        """The same spec without the as-of day."""
        from dataclasses import replace

        return replace(self, as_of=None)


def open_graph(spec: GraphSpec, *, progress: Callable[[str], None] | None = None
               ) -> KnowledgeGraph:
    """Open the graph a :class:`GraphSpec` describes: backend, then as-of view, then reasoning.

    Raises:
        InputError: unreadable files, an unknown or missing store, a bad profile.
    """
    from channelkg.graph.registry import open_backend

    if spec.store:
        from channelkg.graph.disk import StoreLockedError

        opts: dict[str, object] = {"progress": progress}
        if spec.read_only:
            opts["read_only"] = True
        try:
            kg = open_backend(spec.store, **opts)
        except StoreLockedError:  # another reader or a server holds it: share it read-only
            kg = open_backend(spec.store, **opts, read_only=True)
    else:
        kg = open_backend("memory:", data=spec.data, engine=spec.engine,
                          ontology=spec.ontology)
    if spec.as_of is not None:
        kg = kg.visible_on(spec.as_of)
    if spec.reason != "none":
        from channelkg.sparql.reason import expand

        kg = expand(kg, spec.reason)
    return kg


__all__ = ["GraphSpec", "open_graph"]
