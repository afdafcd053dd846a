"""Channel analytics: routes into a market, single points of failure, what-if scenarios.

The functions read a :class:`~channelkg.graph.memory.KnowledgeGraph` (any engine) once
into an in-memory :class:`~channelkg.analysis.index.Index` and answer from it; nothing
is ever written back.

* :func:`routes` (here) lists every access route by which a model (a model, a family
  or all models of a developer) reaches a market, with its status, dates, sources
  and the restrictions that bear on it.
* :func:`~channelkg.analysis.spof.single_points_of_failure` finds the nodes every
  open route into a market passes.
* :func:`~channelkg.analysis.whatif.whatif` applies a scenario to the open routes.

This module also re-exports the names of those modules, so ``channelkg.analysis.routes``
stays the one import for the channel analyses.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from channelkg.analysis.index import (
    Index,
    families,
    family_closure,
    resolve,
    resolve_market,
    resolve_models,
)
from channelkg.analysis.records import (
    RestrictionRef,
    Route,
    SourceRef,
    all_routes,
    candidate_routes,
    in_force,
    route_record,
    source_ref,
    source_refs,
)
from channelkg.analysis.vocab import MARKET, MODEL_OF
from channelkg.graph.memory import KnowledgeGraph
from channelkg.model.dates import parse_optional_date as parse_date
from channelkg.rdf.terms import shorten


@dataclass(frozen=True)
class RoutesResult:
    """Answer of :func:`routes`."""

    model: str | None
    market: str | None
    models: tuple[str, ...]
    markets: tuple[str, ...]
    routes: tuple[Route, ...]
    on: dt.date

    HEADERS = ("route", "model", "kind", "service", "seller", "operator", "open", "status",
               "dates", "restrictions", "sources", "same channel as")

    def rows(self) -> list[list[str]]:
        """One row of display strings per route (for table/csv/md)."""
        out = []
        for r in self.routes:
            dates = r.dates_text()
            restr = "; ".join(
                f"{shorten(x.iri)} ({x.relation}{'' if x.in_force else ', not in force'})"
                for x in r.restrictions
            )
            srcs = "; ".join(
                f"{s.title}{' <' + s.url + '>' if s.url else ''}" for s in r.sources
            )
            out.append([
                shorten(r.iri),
                ", ".join(r.name(m) for m in r.models),
                r.name(r.kind),
                r.name(r.service),
                ", ".join(r.name(s) for s in r.sellers),
                r.name(r.operator) if r.operator else "",
                r.state,
                r.name(r.status),
                dates,
                restr,
                srcs,
                ", ".join(map(shorten, r.accounts)),
            ])
        return out

    def as_dict(self) -> dict[str, Any]:
        return {
            "model": shorten(self.model) if self.model else None,
            "market": shorten(self.market) if self.market else None,
            "models": [shorten(m) for m in self.models],
            "on": self.on.isoformat(),
            "routes": [r.as_dict() for r in self.routes],
        }



def routes(
    kg: KnowledgeGraph | Index,
    model: str | None = None,
    market: str | None = None,
    *,
    on: dt.date | None = None,
    only_open: bool = False,
) -> RoutesResult:
    """Every route by which ``model`` reaches ``market``.

    Args:
        kg: the graph (or an :class:`Index` of it).
        model: a model, a model family or a developer (slug, CURIE, IRI or label);
            ``None`` for all models.
        market: ISO code, slug, CURIE, IRI or label; ``None`` for all markets.
        on: the day for which openness and restrictions in force are judged (default today).
        only_open: keep open routes only.

    Returns:
        The routes, open ones first, then by model, kind and service.

    Raises:
        InputError: the model or market is unknown or ambiguous.
    """
    idx = Index.of(kg)
    on = on or dt.date.today()
    model_iri, models = resolve_models(idx, model) if model else (None, [])
    market_iri, markets = resolve_market(idx, market) if market else (None, [])
    mset, kset = set(models), set(markets)
    found = []
    for r in candidate_routes(idx, models, markets):
        if kset and idx.value(r, MARKET) not in kset:
            continue
        if mset and not mset.intersection(idx.objects(r, MODEL_OF)):
            continue
        rec = route_record(idx, r, on)
        if only_open and not rec.open:
            continue
        found.append(rec)
    found.sort(key=lambda x: (not x.open, [x.name(m) for m in x.models], x.name(x.kind),
                              x.name(x.service), x.iri))
    return RoutesResult(
        model=str(model_iri) if model_iri else None,
        market=str(market_iri) if market_iri else None,
        models=tuple(map(str, models)),
        markets=tuple(map(str, markets)),
        routes=tuple(found),
        on=on,
    )


# ---------------------------------------------------------------------------


from channelkg.analysis.spof import (  # noqa: E402  (re-exported)
    CriticalNode,
    SpofResult,
    channel_graph,
    single_points_of_failure,
)
from channelkg.analysis.whatif import (  # noqa: E402
    AccessChange,
    HypotheticalRestriction,
    Scenario,
    WhatIfResult,
    parse_restriction,
    render_whatif_view,
    whatif,
)

__all__ = [
    "AccessChange",
    "CriticalNode",
    "HypotheticalRestriction",
    "Index",
    "RestrictionRef",
    "Route",
    "RoutesResult",
    "Scenario",
    "SourceRef",
    "SpofResult",
    "WhatIfResult",
    "all_routes",
    "channel_graph",
    "families",
    "family_closure",
    "in_force",
    "parse_date",
    "parse_restriction",
    "render_whatif_view",
    "resolve",
    "resolve_market",
    "resolve_models",
    "route_record",
    "routes",
    "single_points_of_failure",
    "source_ref",
    "source_refs",
    "whatif",
]
