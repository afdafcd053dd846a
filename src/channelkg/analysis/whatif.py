"""What-if scenarios: which markets lose or gain which models if something changes.

:func:`whatif` applies a :class:`Scenario` (end a partnership, add a restriction,
block a service, remove an organization, lift a restriction) to the open-route set
and reports which markets lose or gain which models. Nothing is written. Access
counts the routes the developer sanctions; a grey-market route (``ckg:sanctioned
false``) is left out, as in :mod:`channelkg.analysis.spof`. Routes are counted as
channels: two accounts of one channel (``ckg:sameChannelAs``) count once, and a channel
stays open while any of its accounts does; the account that keeps it open is named.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from rdflib import URIRef
from rdflib.term import Node

from channelkg.analysis.index import Index, family_closure, resolve, resolve_market, resolve_models
from channelkg.analysis.records import (
    Route,
    all_routes,
    in_force,
    route_record,
)
from channelkg.analysis.vocab import DEVELOPER
from channelkg.errors import InputError
from channelkg.graph.memory import KnowledgeGraph
from channelkg.rdf.namespaces import CKG
from channelkg.rdf.terms import shorten

_RESTRICTION_KEYS = ("provider", "org", "seller", "operator", "developer", "model",
                     "service", "market", "kind")


@dataclass(frozen=True)
class HypotheticalRestriction:
    """A restriction that exists only in a scenario; it closes every route it matches."""

    spec: str
    orgs: tuple[str, ...] = ()  # any org role on the route: seller, provider, operator
    sellers: tuple[str, ...] = ()
    operators: tuple[str, ...] = ()
    models: tuple[str, ...] = ()
    services: tuple[str, ...] = ()
    markets: tuple[str, ...] = ()
    kind: str = str(CKG.ProviderBlock)

    def matches(self, r: Route) -> bool:
        orgs_on_route = {*r.sellers, r.provider, r.operator} - {""}
        if self.orgs and not orgs_on_route.intersection(self.orgs):
            return False
        if self.sellers and not set(r.sellers).intersection(self.sellers):
            return False
        if self.operators and r.operator not in self.operators:
            return False
        if self.models and not set(r.models).intersection(self.models):
            return False
        if self.services and r.service not in self.services:
            return False
        return not (self.markets and r.market not in self.markets)


def parse_restriction(idx: Index, spec: str) -> HypotheticalRestriction:
    """Parse ``key=value,key=value`` (e.g. ``provider=microsoft,market=CN``).

    Keys: ``provider``/``org`` (seller, service provider or operator of the route),
    ``seller``, ``operator``, ``model`` (a model, family or developer), ``developer``,
    ``service``, ``market`` (with its parts) and ``kind`` (a restriction kind, default
    ProviderBlock). Values may be joined by ``|`` to mean any of them.
    """
    fields: dict[str, list[str]] = defaultdict(list)
    if not spec.strip():
        raise InputError("empty restriction; write e.g. provider=microsoft,market=CN")
    for part in spec.split(","):
        if "=" not in part:
            raise InputError(f"bad restriction part {part!r} in {spec!r}; write KEY=VALUE")
        k, v = (x.strip() for x in part.split("=", 1))
        k = k.lower()
        if k not in _RESTRICTION_KEYS:
            raise InputError(
                f"unknown restriction key {k!r} in {spec!r} (known: {', '.join(_RESTRICTION_KEYS)})"
            )
        fields[k].extend(x.strip() for x in v.split("|") if x.strip())
    if set(fields) <= {"kind", "market"} and not fields.get("market"):
        raise InputError(f"restriction {spec!r} names nothing to restrict")
    orgs = [str(resolve(idx, v, "organization"))
            for k in ("provider", "org") for v in fields.get(k, [])]
    sellers = [str(resolve(idx, v, "organization")) for v in fields.get("seller", [])]
    operators = [str(resolve(idx, v, "organization")) for v in fields.get("operator", [])]
    models: list[str] = []
    for v in fields.get("model", []) + fields.get("developer", []):
        models.extend(map(str, resolve_models(idx, v)[1]))
    services = [str(resolve(idx, v, "service")) for v in fields.get("service", [])]
    markets: list[str] = []
    for v in fields.get("market", []):
        markets.extend(map(str, resolve_market(idx, v)[1]))
    kind = str(CKG.ProviderBlock)
    if fields.get("kind"):
        kind = str(resolve(idx, fields["kind"][0], "restriction kind"))
    return HypotheticalRestriction(
        spec=spec, orgs=tuple(orgs), sellers=tuple(sellers), operators=tuple(operators),
        models=tuple(models), services=tuple(services), markets=tuple(markets), kind=kind,
    )


@dataclass(frozen=True)
class Scenario:
    """Changes to imagine; strings are resolved against the graph by :func:`whatif`."""

    end: tuple[str, ...] = ()  # partnerships that end
    restrictions: tuple[str, ...] = ()  # "key=value,..." specs
    block_services: tuple[str, ...] = ()
    remove: tuple[str, ...] = ()  # organizations that disappear
    lift: tuple[str, ...] = ()  # restrictions that are lifted

    def is_empty(self) -> bool:
        return not (self.end or self.restrictions or self.block_services or self.remove
                    or self.lift)


@dataclass(frozen=True)
class AccessChange:
    """How one model's access to one market changes."""

    market: str
    market_label: str
    model: str
    model_label: str
    before: tuple[str, ...]  # the open route nodes (accounts) before the scenario
    after: tuple[str, ...]
    developer_label: str = ""
    before_channels: tuple[str, ...] = ()  # the channels they are accounts of
    after_channels: tuple[str, ...] = ()

    @property
    def effect(self) -> str:
        if self.before and not self.after:
            return "loses access"
        if self.after and not self.before:
            return "gains access"
        if set(self.after) == set(self.before):
            return "unchanged"
        before, after = set(self.before_channels), set(self.after_channels)
        if len(after) < len(before):
            return "fewer routes"
        if len(after) > len(before):
            return "more routes"
        if after == before and len(self.after) != len(self.before):
            # every channel keeps an open account
            return "fewer accounts" if len(self.after) < len(self.before) else "more accounts"
        return "routes change"


@dataclass(frozen=True)
class WhatIfResult:
    """Answer of :func:`whatif`."""

    scenario: tuple[str, ...]
    changes: tuple[AccessChange, ...]
    closed: tuple[tuple[str, str], ...]  # (route, reason)
    opened: tuple[tuple[str, str], ...]
    before_routes: tuple[Route, ...] = field(default=(), compare=False, repr=False)
    after_open: frozenset[str] = field(default=frozenset(), compare=False, repr=False)

    HEADERS = ("market", "model", "developer", "effect", "open routes before",
               "open routes after")

    def rows(self, all_rows: bool = False) -> list[list[str]]:
        return [
            [c.market_label, c.model_label, c.developer_label, c.effect,
             str(len(c.before_channels)), str(len(c.after_channels))]
            for c in self.changes if all_rows or c.effect != "unchanged"
        ]

    def as_dict(self) -> dict[str, Any]:
        return {
            "scenario": list(self.scenario),
            "changes": [
                {
                    "market": shorten(c.market), "marketLabel": c.market_label,
                    "model": shorten(c.model), "modelLabel": c.model_label,
                    "developer": c.developer_label,
                    "effect": c.effect,
                    "before": [shorten(r) for r in c.before],
                    "after": [shorten(r) for r in c.after],
                    "channelsBefore": len(c.before_channels),
                    "channelsAfter": len(c.after_channels),
                }
                for c in self.changes if c.effect != "unchanged"
            ],
            "closedRoutes": [{"route": shorten(r), "reason": why} for r, why in self.closed],
            "openedRoutes": [{"route": shorten(r), "reason": why} for r, why in self.opened],
        }


def whatif(
    kg: KnowledgeGraph | Index, scenario: Scenario, *, on: dt.date | None = None,
    changed_only: bool = False,
) -> WhatIfResult:
    """Compute which markets lose or gain which models under a scenario.

    Nothing is written: the scenario is applied to the set of open routes only.

    * ``end``: routes that ``ckg:dependsOn`` the partnership close.
    * ``restrictions``: routes matching a :class:`HypotheticalRestriction` close.
    * ``block_services``: routes through the service close.
    * ``remove``: routes whose seller, service provider or operator is the organization,
      that carry its models, or that depend on a partnership it is party to, close.
    * ``lift``: closed routes that the lifted restrictions ``ckg:blocks`` (and nothing
      else blocks) open, when they say ``ckg:open false`` or are blocked only by them.

    With ``changed_only``, only the routes the scenario can touch, and the other routes of
    the (market, model) pairs they serve, are judged (looked up by what the scenario
    names); :attr:`WhatIfResult.changes` then leaves out most unchanged pairs, and
    everything else is as without it.

    Raises:
        InputError: an unknown partnership, organization, service or restriction, or an
            empty scenario.
    """
    if scenario.is_empty():
        raise InputError("empty scenario: give --end, --add-restriction, --block-service, "
                         "--remove or --lift")
    idx = Index.of(kg)
    on = on or dt.date.today()
    applied = AppliedScenario.of(idx, scenario)
    pool = affected_routes(idx, applied, on) if changed_only else all_routes(idx, on)
    closed: list[tuple[str, str]] = []
    opened: list[tuple[str, str]] = []
    after_open: set[str] = set()
    for r in pool:
        if r.open:
            why = applied.reasons_closed(r)
            if why:
                closed.append((r.iri, "; ".join(why)))
            else:
                after_open.add(r.iri)
            continue
        blockers = [x for x in r.restrictions if x.relation == "blocks"]
        lifted = applied.lifted
        liftable = bool(lifted and blockers) and all(x.iri in lifted for x in blockers)
        if liftable and in_force(idx, URIRef(r.iri), on) and not applied.reasons_closed(r):
            after_open.add(r.iri)
            opened.append((r.iri, "lifted " + ", ".join(shorten(x.iri) for x in blockers)))
    return WhatIfResult(
        scenario=tuple(applied.describe()),
        changes=tuple(access_changes(idx, pool, after_open)),
        closed=tuple(sorted(kept_by(pool, closed, after_open))),
        opened=tuple(sorted(opened)),
        before_routes=tuple(pool),
        after_open=frozenset(after_open),
    )


def kept_by(pool: list[Route], closed: list[tuple[str, str]],
            after_open: set[str]) -> list[tuple[str, str]]:
    """The reasons of the routes that close, each followed by the other accounts of its
    channel that stay open (``ckg:sameChannelAs``), if any: the channel survives."""
    accounts = {r.iri: r.accounts for r in pool if r.accounts}
    # Only a sanctioned account keeps a channel open (access counts sanctioned routes).
    sanctioned = {r.iri for r in pool if r.sanctioned is not False}
    out = []
    for iri, why in closed:
        keep = sorted(a for a in accounts.get(iri, ()) if a in after_open and a in sanctioned)
        if keep:
            why += ("; its channel stays open through its other account "
                    + ", ".join(map(shorten, keep)))
        out.append((iri, why))
    return out


def affected_routes(idx: Index, applied: AppliedScenario, on: dt.date) -> list[Route]:
    """The records of the routes ``applied`` can close or open, and of every other route
    of the (market, model) pairs those serve, sorted by IRI."""
    touched = {r for r in applied.candidates(idx) if idx.is_a(r, CKG.AccessRoute)}
    records = {r: route_record(idx, r, on) for r in touched}
    for rec in list(records.values()):
        for m in rec.models:
            same = set(idx.subjects(CKG.market, URIRef(rec.market))) & set(
                idx.subjects(CKG.model, URIRef(m)))
            for r in same - records.keys():
                records[r] = route_record(idx, r, on)
    return [records[r] for r in sorted(records, key=str)]


def _routes_via(idx: Index, orgs: Iterable[str], roles: Iterable[Node]) -> set[Node]:
    """Routes whose seller (when ``CKG.seller`` is in ``roles``) or whose service's provider
    or operator (``CKG.provider``, ``CKG.operator``) is one of ``orgs``."""
    out: set[Node] = set()
    for o in map(URIRef, orgs):
        for role in roles:
            if role == CKG.seller:
                out.update(idx.subjects(CKG.seller, o))
            else:
                for svc in idx.subjects(role, o):
                    out.update(idx.subjects(CKG.service, svc))
    return out


def _hyp_candidates(idx: Index, h: HypotheticalRestriction) -> set[Node]:
    """The routes a hypothetical restriction can match: the intersection of what each of
    its conditions (a conjunction, see :meth:`HypotheticalRestriction.matches`) allows."""
    every = (CKG.seller, CKG.provider, CKG.operator)
    sets = [s for s in (
        _routes_via(idx, h.orgs, every) if h.orgs else None,
        _routes_via(idx, h.sellers, [CKG.seller]) if h.sellers else None,
        _routes_via(idx, h.operators, [CKG.operator]) if h.operators else None,
        {r for m in h.models for r in idx.subjects(CKG.model, URIRef(m))} if h.models else None,
        {r for v in h.services for r in idx.subjects(CKG.service, URIRef(v))}
        if h.services else None,
        {r for k in h.markets for r in idx.subjects(CKG.market, URIRef(k))}
        if h.markets else None,
    ) if s is not None]
    if not sets:
        return set(idx.instances(CKG.AccessRoute))
    return set.intersection(*sets)


@dataclass(frozen=True)
class AppliedScenario:
    """A :class:`Scenario` resolved against the graph: the IRIs it names."""

    ends: frozenset[str]
    hyps: tuple[HypotheticalRestriction, ...]
    blocked_services: frozenset[str]
    removed: frozenset[str]
    lifted: frozenset[str]
    removed_models: frozenset[str]  # models (with family members) of removed developers
    ended_by_removal: frozenset[str]  # partnerships a removed organization is party to

    @classmethod
    def of(cls, idx: Index, scenario: Scenario) -> AppliedScenario:
        """Resolve every name of the scenario (one resolver, the right kind each)."""
        removed = {str(resolve(idx, o, "organization")) for o in scenario.remove}
        developed = {m for o in removed for m in idx.subjects(CKG.developer, URIRef(o))}
        return cls(
            ends=frozenset(str(resolve(idx, p, "partnership")) for p in scenario.end),
            hyps=tuple(parse_restriction(idx, s) for s in scenario.restrictions),
            blocked_services=frozenset(str(resolve(idx, s, "service"))
                                       for s in scenario.block_services),
            removed=frozenset(removed),
            lifted=frozenset(str(resolve(idx, x, "restriction")) for x in scenario.lift),
            removed_models=frozenset(str(x) for m in developed
                                     for x in family_closure(idx, m, down=True)),
            ended_by_removal=frozenset(
                str(p) for o in removed for p in idx.subjects(CKG.party, URIRef(o))),
        )

    def candidates(self, idx: Index) -> set[Node]:
        """Every route the scenario can close or open (a superset, looked up by key)."""
        out: set[Node] = set()
        for p in self.ends | self.ended_by_removal:
            out.update(idx.subjects(CKG.dependsOn, URIRef(p)))
        for h in self.hyps:
            out |= _hyp_candidates(idx, h)
        for svc in self.blocked_services:
            out.update(idx.subjects(CKG.service, URIRef(svc)))
        out |= _routes_via(idx, self.removed, (CKG.seller, CKG.provider, CKG.operator))
        for m in self.removed_models:
            out.update(idx.subjects(CKG.model, URIRef(m)))
        for res in self.lifted:
            out.update(idx.objects(URIRef(res), CKG.blocks))
        return out

    def reasons_closed(self, r: Route) -> list[str]:
        """Why the scenario closes route ``r`` (empty: it does not)."""
        why = []
        for p in r.depends_on:
            if p in self.ends:
                why.append(f"partnership {shorten(p)} ends")
            elif p in self.ended_by_removal:
                why.append(f"partnership {shorten(p)} ends with its party")
        why += [f"restriction {h.spec}" for h in self.hyps if h.matches(r)]
        if r.service in self.blocked_services:
            why.append(f"service {shorten(r.service)} blocked")
        on_route = {*r.sellers, r.provider, r.operator}
        why += [f"{shorten(o)} removed" for o in sorted(self.removed & on_route)]
        if self.removed_models.intersection(r.models):
            why.append("its model's developer removed")
        return why

    def describe(self) -> list[str]:
        """One phrase per change, in a fixed order."""
        return (
            [f"end {shorten(p)}" for p in sorted(self.ends)]
            + [f"add restriction {h.spec}" for h in self.hyps]
            + [f"block service {shorten(s)}" for s in sorted(self.blocked_services)]
            + [f"remove {shorten(o)}" for o in sorted(self.removed)]
            + [f"lift {shorten(x)}" for x in sorted(self.lifted)]
        )


_EFFECT_ORDER = {"loses access": 0, "gains access": 1, "fewer routes": 2, "more routes": 3,
                 "routes change": 4, "fewer accounts": 5, "more accounts": 6, "unchanged": 7}


def access_changes(idx: Index, pool: list[Route], after_open: set[str]) -> list[AccessChange]:
    """How each (market, model) pair's open routes change, losses first."""
    developer_of, _ = idx.links(DEVELOPER)
    labels: dict[str, str] = {}
    for r in pool:
        labels.update(r.labels)
    before: dict[tuple[str, str], list[str]] = defaultdict(list)
    after: dict[tuple[str, str], list[str]] = defaultdict(list)
    channel = {r.iri: r.channel_key for r in pool}
    for r in pool:
        if r.sanctioned is False:  # a grey-market route is not access a market relies on
            continue
        for m in r.models:
            if r.open:
                before[(r.market, m)].append(r.iri)
            if r.iri in after_open:
                after[(r.market, m)].append(r.iri)
    changes = []
    for key in sorted(set(before) | set(after)):
        mk, m = key
        changes.append(AccessChange(
            market=mk, market_label=labels.get(mk) or idx.label(URIRef(mk)),
            model=m, model_label=labels.get(m) or idx.label(URIRef(m)),
            before=tuple(sorted(before.get(key, []))), after=tuple(sorted(after.get(key, []))),
            before_channels=tuple(sorted({channel[r] for r in before.get(key, [])})),
            after_channels=tuple(sorted({channel[r] for r in after.get(key, [])})),
            developer_label=", ".join(sorted({
                idx.label(d) for f in family_closure(idx, URIRef(m), down=False)
                for d in developer_of.get(f, ())
            })),
        ))
    changes.sort(key=lambda c: (_EFFECT_ORDER[c.effect], c.market_label, c.model_label))
    return changes


def render_whatif_view(kg: KnowledgeGraph, result: WhatIfResult, path: Any) -> Any:
    """Write an HTML view of the routes a scenario closes or opens, with their neighbourhood.

    Uses :func:`channelkg.network.to_networkx` and :func:`channelkg.view.write_html`.
    The page shows the changed routes, what they link to (models, markets, services,
    sellers, partnerships, restrictions) and the services' providers and operators.
    Routes that close are drawn dashed (``open`` false) with a ``✖`` before their
    label, routes that open with a ``✚``; their status in the legend becomes "closes
    (what if)" / "opens (what if)", so the status filter isolates them, and the
    tooltip keeps the recorded status and gives the reason.

    Raises:
        InputError: the scenario changes no route (nothing to draw).
    """
    from channelkg.render.network import to_networkx
    from channelkg.render.page import write_html
    from channelkg.render.selection import subgraph

    changed = {shorten(r): ("closes", why) for r, why in result.closed}
    changed |= {shorten(r): ("opens", why) for r, why in result.opened}
    if not changed:
        raise InputError("the scenario changes no route; nothing to draw")
    graph = to_networkx(kg)
    seeds = {n for n in changed if n in graph}
    keep = set(seeds)
    for n in seeds:
        keep |= set(graph.successors(n)) | set(graph.predecessors(n))
    for n in list(keep - seeds):  # a service's provider and operator, a partnership's parties
        keep |= {m for m in graph.successors(n) if not graph.nodes[m].get("claim")}
    sub = subgraph(graph, keep)
    for node, (effect, why) in changed.items():
        if node not in sub:
            continue
        attrs = sub.nodes[node]
        attrs["recorded status"] = attrs.get("status", "")
        attrs["status"] = f"{effect} (what if)"
        attrs["status_iri"] = f"whatif:{effect}"
        attrs["open"] = effect == "opens"
        attrs["whatif"] = f"{effect}: {why}"
        attrs["label"] = ("\u2716 " if effect == "closes" else "\u271a ") + str(
            attrs.get("label", node)
        )
    title = "What if: " + "; ".join(result.scenario)
    return write_html(sub, path, title=title)
