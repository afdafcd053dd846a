"""The time slider's data: the days each node and edge of a page is visible on.

The intervals come from the projection (``graph.graph["validity"]``, computed with
:mod:`channelkg.graph.validity` by :func:`~channelkg.render.network.to_networkx`), so
the page applies the rule of ``--as-of`` by comparing ISO date strings: an element
with ``vf``/``vt`` is visible on day ``D`` iff ``vf <= D`` (or no ``vf``) and
``D < vt`` (or no ``vt``). A triple is visible on the intersection of its ends'
intervals; a collapsed claim's edge on the intersection of the claim's and its ends'.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from channelkg.render.network import Interval, intersect

if TYPE_CHECKING:
    import networkx as nx  # type: ignore[import-untyped, unused-ignore]


def validity_of(graph: nx.MultiDiGraph) -> dict[str, Interval]:
    """The intervals of the dated nodes of ``graph`` (empty for a hand-made graph)."""
    raw = graph.graph.get("validity") or {}
    return {str(k): (v[0], v[1]) for k, v in raw.items()}


def mark(item: dict[str, Any], interval: Interval | None) -> None:
    """Set ``vf``/``vt`` of a page node or edge (only the bounded ends)."""
    if interval is None:
        return
    start, end = interval
    if start is not None:
        item["vf"] = start
    if end is not None:
        item["vt"] = end
    if start is not None and end is not None and end <= start:
        item["vt"] = start  # never visible: an empty interval


def edge_interval(
    validity: dict[str, Interval], a: Any, b: Any, claim: Any = None
) -> Interval | None:
    """The days an edge ``a -> b`` (a collapsed ``claim``, if given) is visible on."""
    return intersect(
        validity.get(str(a)), validity.get(str(b)),
        validity.get(str(claim)) if claim else None,
    )


def events(items: list[dict[str, Any]]) -> list[str]:
    """The days on which something appears or disappears, sorted (the play button's steps)."""
    days = {d for it in items for d in (it.get("vf"), it.get("vt")) if d}
    return sorted(days)


__all__ = ["edge_interval", "events", "mark", "validity_of"]
