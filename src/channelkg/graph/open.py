"""``GraphSpec`` and :func:`open_graph`: the one way every command and ``serve`` open a graph."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from channelkg.errors import InputError
from channelkg.graph.base import KnowledgeGraph
from channelkg.record import Record

TYPE_CHECKING = False  # typing (and datetime) are not imported at run time
if TYPE_CHECKING:
    import datetime as dt
    from typing import Any, ClassVar

REASON_PROFILES = ("none", "rdfs", "owlrl", "rules", "owlrl+rules")


class GraphSpec(Record):
    """What to open: files or a store, the engine, an as-of day, reasoning (a frozen
    :class:`~channelkg.record.Record`: ``dataclasses.replace`` works on it).

    Attributes:
        data: RDF files or folders (empty: the bundled graph), for the ``memory`` backend.
        store: ``NAME:LOCATION`` of another backend (``oxigraph:PATH``, ``sparql:URL``…).
        engine: ``oxigraph`` or ``rdflib`` for file data.
        as_of: show only the facts visible on this day (a view, not a copy).
        reason: a reasoning profile (``none``, ``rdfs``, ``owlrl``, ``rules``, ``owlrl+rules``).
        ontology: also read the bundled ontology with file data (the default; the CLI's
            ``--no-ontology`` turns it off, to read foreign data as it is).
        read_only: open a store read-only, without refreshing it from its files:
            several processes can, as long as none has it open read-write (pyoxigraph
            leaves reading a store another process writes undefined).
    """

    __slots__ = ("data", "store", "engine", "as_of", "reason", "ontology", "read_only")
    FROZEN = True
    DEFAULTS: ClassVar[dict[str, Any]] = {
        "data": (), "store": None, "engine": "oxigraph", "as_of": None, "reason": "none",
        "ontology": True, "read_only": False}

    data: tuple[Path, ...]
    store: str | None
    engine: str
    as_of: dt.date | None
    reason: str
    ontology: bool
    read_only: bool

    def __init__(self, data: tuple[Path, ...] = (), store: str | None = None,
                 engine: str = "oxigraph", as_of: dt.date | None = None, reason: str = "none",
                 ontology: bool = True, read_only: bool = False) -> None:
        if store and data:
            raise InputError("use either --data or --store, not both")
        if store and not ontology:
            raise InputError("--no-ontology applies to file data (--data); a store holds "
                             "what was loaded into it (see `load --no-ontology`)")
        self.set(data=data, store=store, engine=engine, as_of=as_of, reason=reason,
                 ontology=ontology, read_only=read_only)

    def full(self) -> GraphSpec:
        """The same spec without the as-of day."""
        return self.replace(as_of=None)


def open_graph(spec: GraphSpec, *, progress: Callable[[str], None] | None = None
               ) -> KnowledgeGraph:
    """Open the graph a :class:`GraphSpec` describes: backend, then as-of view, then reasoning.

    Raises:
        InputError: unreadable files, an unknown or missing store, a bad profile.
    """
    from channelkg.graph.registry import open_backend

    if spec.store:
        opts: dict[str, object] = {"progress": progress}
        if spec.read_only:
            opts["read_only"] = True
        kg = open_backend(spec.store, **opts)
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
