"""The time slider's data: the days each node and edge of a page is visible on.

The intervals come from the projection (``graph.graph["validity"]``, computed with
:mod:`channelkg.graph.validity` by :func:`~channelkg.render.network.to_networkx`), so
the page applies the rule of ``--as-of`` by comparing ISO date strings: an element
with ``vf``/``vt`` is visible on day ``D`` iff ``vf <= D`` (or no ``vf``) and
``D < vt`` (or no ``vt``). A triple is visible on the intersection of its ends'
intervals; a collapsed claim's edge on the intersection of the claim's and its ends'.

A selection (``--market CN``) drawn ``--as-of D`` keeps only what the selection
reaches through the facts visible on ``D``: a model reached only by a route that has
not started yet is not in it. :func:`selection_spans` runs the selection once per
stretch of days between two dated events (the visible set is constant in between)
and gives each node the days it is selected on (``sp``: a list of intervals).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from channelkg.errors import InputError
from channelkg.graph.validity import key_visible
from channelkg.render.network import Interval, intersect

if TYPE_CHECKING:
    import networkx as nx  # type: ignore[import-untyped, unused-ignore]

    from channelkg.render.selection import Selection

#: Most stretches of days :func:`selection_spans` evaluates (one selection each);
#: past it a selection's page falls back to the nodes' own intervals.
MAX_STRETCHES = 400


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


def _visible(interval: Interval, day: dt.date) -> bool:
    """The rule of :mod:`channelkg.graph.validity` on a ``(start, end)`` interval."""
    return key_visible("/".join(d or "-" for d in interval), day)


def _stretches(validity: dict[str, Interval]) -> list[tuple[str | None, dt.date]]:
    """``(first day or None, a day inside)`` of each stretch between dated events."""
    bounds = sorted({d for iv in validity.values() for d in iv if d})
    out: list[tuple[str | None, dt.date]] = []
    if bounds:
        out.append((None, dt.date.fromisoformat(bounds[0]) - dt.timedelta(days=1)))
    out += [(b, dt.date.fromisoformat(b)) for b in bounds]
    return out


def selection_spans(
    full: nx.MultiDiGraph, sel: Selection, selected: nx.MultiDiGraph
) -> dict[str, list[Interval]] | None:
    """``{node: [(start, end), ...]}``: the days each node of ``selected`` (``sel``
    applied to ``full``) is in the selection as ``--as-of`` would draw it; nodes in
    it on every day are left out. ``None`` when ``sel`` is empty, is a query, or the
    dates have more than :data:`MAX_STRETCHES` stretches."""
    from channelkg.render.selection import select

    validity = validity_of(full)
    stretches = _stretches(validity)
    if sel.empty or sel.query or not stretches or len(stretches) > MAX_STRETCHES:
        return None
    members: dict[str, list[bool]] = {str(v): [] for v in selected}
    for _, day in stretches:
        shown = [v for v in full if str(v) not in validity or _visible(validity[str(v)], day)]
        try:
            keep = set(select(full.subgraph(shown), sel))
        except InputError:  # the market itself, say, is not there yet
            keep = set()
        for v, row in members.items():
            row.append(v in keep)
    starts = [s for s, _ in stretches] + [None]
    return {v: visible_runs(row, starts) for v, row in members.items() if not all(row)}


def visible_runs(row: list[bool], starts: list[Any]) -> list[Interval]:
    """The runs of stretches a node or edge is visible on: ``row`` says, stretch by
    stretch, whether it is; ``starts`` are the stretches' first days, then ``None``.
    Each run is (its first day, the first day after it, ``None`` for open)."""
    runs: list[Interval] = []
    for i, on in enumerate(row):
        if on and (i == 0 or not row[i - 1]):
            runs.append((starts[i], None))
        if on and (i + 1 == len(row) or not row[i + 1]):
            runs[-1] = (runs[-1][0], starts[i + 1])
    return runs


def spans_of(graph: nx.MultiDiGraph) -> dict[str, list[Interval]]:
    """The selection spans stored with a projection (empty if none)."""
    raw = graph.graph.get("spans") or {}
    return {str(k): [(a, b) for a, b in v] for k, v in raw.items()}


def mark_spans(item: dict[str, Any], *spans: list[Interval] | None) -> None:
    """Set ``sp`` of a page node or edge: the days all of ``spans`` allow."""
    given = [s for s in spans if s is not None]
    if not given:
        return
    out = given[0]
    for other in given[1:]:
        out = [iv for a in out for b in other
               if (iv := intersect(a, b)) is not None and not _empty(iv)]
    item["sp"] = [list(iv) for iv in out]


def _empty(iv: Interval) -> bool:
    return iv[0] is not None and iv[1] is not None and iv[1] <= iv[0]


def events(items: list[dict[str, Any]]) -> list[str]:
    """The days on which something appears or disappears, sorted (the play button's steps)."""
    days = {d for it in items for d in (it.get("vf"), it.get("vt")) if d}
    return sorted(days)


__all__ = [
    "MAX_STRETCHES",
    "edge_interval",
    "events",
    "mark",
    "mark_spans",
    "selection_spans",
    "spans_of",
    "validity_of",
]
