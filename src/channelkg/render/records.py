"""The JSON documents of the analysis commands, one record shape per kind of thing.

Every command that prints a route prints the same *route record*
(:meth:`channelkg.analysis.records.Route.as_dict`); every command that prints a claim
prints the same *fact record* (:meth:`channelkg.analysis.provenance.Fact.to_json`):

* ``routes``: ``{"model", "market", "models", "on", "routes": [ROUTE]}``;
* ``spof``: ``{"market", "results": [{..., "openRoutes": [ROUTE]}]}``;
* ``whatif``: ``{"scenario", "changes", "closedRoutes": [{"route": ROUTE, "reason"}],
  "openedRoutes": [{"route": ROUTE, "reason"}]}``;
* ``diff``: ``[{"change", "date", "before", "after", "fact": FACT}]``;
* ``timeline``: ``[{"date", "event", "fact": FACT}]``;
* ``explain``: ``[{"focus": FACT, "sections": [{"title", "facts": [FACT]}], "notes"}]``.

docs/formats.md lists the keys of each record.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rdflib.term import Node

    from channelkg.analysis.history import Change, Event
    from channelkg.analysis.records import Route
    from channelkg.analysis.spof import SpofResult
    from channelkg.analysis.whatif import WhatIfResult
    from channelkg.graph.base import KnowledgeGraph


def route_record(route: Route) -> dict[str, Any]:
    """The one JSON shape of a route."""
    return route.as_dict()


def spof_doc(results: Iterable[SpofResult], market: str) -> dict[str, Any]:
    """``spof --format json``: each family's result with its open routes as route records."""
    return {
        "market": market,
        "results": [r.as_dict() | {"openRoutes": [route_record(x) for x in r.open_routes]}
                    for r in results],
    }


def whatif_doc(res: WhatIfResult) -> dict[str, Any]:
    """``whatif --format json``: routes that close or open as route records with a reason."""
    from channelkg.rdf.terms import shorten

    by_iri = {r.iri: r for r in res.before_routes}

    def item(iri: str, why: str) -> dict[str, Any]:
        route = by_iri.get(iri)
        return {"route": route_record(route) if route else {"route": shorten(iri)},
                "reason": why}

    doc = res.as_dict()
    doc["closedRoutes"] = [item(r, why) for r, why in res.closed]
    doc["openedRoutes"] = [item(r, why) for r, why in res.opened]
    return doc


def fact_records(kg: KnowledgeGraph, nodes: Iterable[Node]) -> dict[Node, dict[str, Any]]:
    """The fact record of each node, as ``explain`` prints it."""
    from channelkg.analysis.history import FACT_PREDICATES, fact_graph
    from channelkg.analysis.provenance import DETAIL_PROPS, describe
    from channelkg.rdf.namespaces import CKG

    wanted = set(nodes)
    if not wanted:
        return {}
    graph = fact_graph(kg, (*FACT_PREDICATES, *DETAIL_PROPS, CKG.statusNote))
    return {n: describe(graph, n).to_json() for n in sorted(wanted, key=str)}


def diff_doc(kg: KnowledgeGraph, changes: Sequence[Change]) -> list[dict[str, Any]]:
    """``diff --format json``: one record per change, the fact as a fact record."""
    facts = fact_records(kg, (c.fact for c in changes))
    return [{"change": c.change, "date": c.date or None, "before": c.before, "after": c.after,
             "fact": facts[c.fact]} for c in changes]


def timeline_doc(kg: KnowledgeGraph, events: Sequence[Event]) -> list[dict[str, Any]]:
    """``timeline --format json``: one record per event, the fact as a fact record."""
    facts = fact_records(kg, (e.fact for e in events))
    return [{"date": e.date, "event": e.event, "fact": facts[e.fact]} for e in events]


__all__ = ["diff_doc", "fact_records", "route_record", "spof_doc", "timeline_doc", "whatif_doc"]
