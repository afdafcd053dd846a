"""Records the channel analyses answer with: routes, the restrictions on them, sources.

:func:`route_record` judges one ``ckg:AccessRoute`` on a day: it is *open* when it
says ``ckg:open true``, its status is not ``superseded``, the day lies in
``[validFrom, validTo)`` where those are given, no restriction in force on that day
``ckg:blocks`` it, and every partnership it ``ckg:dependsOn`` holds on that day.

Two route nodes linked by ``ckg:sameChannelAs`` (either way) are two
accounts of one channel: each keeps its own record, and :attr:`Route.channel` names
the channel they share, so that every count of channels (:func:`count_channels`) counts
them once and a channel stays open while any of its accounts does.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from rdflib.term import Node

from channelkg.analysis.index import Index, family_closure
from channelkg.analysis.vocab import (
    ACCESS_ROUTE,
    APPLIES_TO,
    BLOCKS,
    COMMENT,
    CONFLICTS_WITH,
    DATE,
    DATE_PRECISION,
    DEPENDS_ON,
    DERIVED_FROM,
    FACT_ID,
    IMPOSED_BY,
    KIND,
    MARKET,
    MODEL_OF,
    OPEN,
    OPERATOR,
    PROVIDER,
    PUBLISHER,
    RESTRICTION,
    SAME_CHANNEL,
    SANCTIONED,
    SELLER,
    SERVICE,
    STATED_ON,
    STATUS,
    SUPERSEDED,
    TITLE,
    URL,
    VALID_FROM,
    VALID_TO,
)
from channelkg.graph.validity import at_precision, effective, precision_of
from channelkg.rdf.terms import shorten


@dataclass(frozen=True)
class SourceRef:
    """A source a claim is derived from."""

    iri: str
    title: str
    url: str = ""
    date: str = ""
    publisher: str = ""


@dataclass(frozen=True)
class RestrictionRef:
    """A restriction that bears on a route, and why."""

    iri: str
    label: str
    kind: str
    imposed_by: str
    status: str
    valid_from: str
    valid_to: str
    stated_on: str
    relation: str  # "blocks" or "applies to <thing>"
    in_force: bool
    sources: tuple[SourceRef, ...] = ()


@dataclass(frozen=True)
class Route:
    """An access route with everything needed to judge it."""

    iri: str
    statement: str
    fact_id: str
    models: tuple[str, ...]
    market: str
    service: str
    kind: str
    sellers: tuple[str, ...]
    provider: str
    operator: str
    open: bool
    declared_open: bool
    sanctioned: bool | None
    status: str
    valid_from: str
    valid_to: str
    stated_on: str
    depends_on: tuple[str, ...]
    sources: tuple[SourceRef, ...]
    restrictions: tuple[RestrictionRef, ...]
    conflicts_with: tuple[str, ...] = ()
    labels: dict[str, str] = field(default_factory=dict, compare=False, repr=False)
    closed_because: str = ""  # why a route that says ckg:open true is closed on the day
    precision: str = "day"  # of its dates (ckg:datePrecision): day, month or year
    channel: str = ""  # the channel it is an account of (see channel_of); "" = itself
    accounts: tuple[str, ...] = ()  # the other routes of that channel (ckg:sameChannelAs)

    @property
    def channel_key(self) -> str:
        """The channel this route is an account of (its own IRI when it is the only one)."""
        return self.channel or self.iri

    def dates_text(self) -> str:
        """``from …; to …; stated …``, each date at the route's precision; ``undated``
        when its source gives no date (it then holds on every day)."""
        return "; ".join(f"{k} {at_precision(v, self.precision)}" for k, v in (
            ("from", self.valid_from), ("to", self.valid_to), ("stated", self.stated_on)) if v
        ) or "undated"

    @property
    def state(self) -> str:
        """``open``, ``closed`` or ``closed (<why>)``."""
        if self.open:
            return "open"
        return f"closed ({self.closed_because})" if self.closed_because else "closed"

    def name(self, iri: str) -> str:
        """Label of one of the IRIs this route mentions."""
        return self.labels.get(iri, shorten(iri) if iri else "")

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary with labels next to IRIs."""
        n = self.name
        return {
            "route": shorten(self.iri),
            "statement": self.statement,
            "factId": self.fact_id,
            "models": [{"iri": shorten(m), "label": n(m)} for m in self.models],
            "market": {"iri": shorten(self.market), "label": n(self.market)},
            "service": {"iri": shorten(self.service), "label": n(self.service)},
            "kind": n(self.kind),
            "sellers": [{"iri": shorten(s), "label": n(s)} for s in self.sellers],
            "provider": shorten(self.provider) if self.provider else None,
            "operator": shorten(self.operator) if self.operator else None,
            "open": self.open,
            "declaredOpen": self.declared_open,
            "closedBecause": self.closed_because or None,
            "sanctioned": self.sanctioned,
            "status": n(self.status),
            "validFrom": self.valid_from or None,
            "validTo": self.valid_to or None,
            "statedOn": self.stated_on or None,
            "dependsOn": [{"iri": shorten(p), "label": n(p)} for p in self.depends_on],
            "sources": [s.__dict__ | {"iri": shorten(s.iri)} for s in self.sources],
            "restrictions": [
                r.__dict__
                | {"iri": shorten(r.iri), "sources": [shorten(s.iri) for s in r.sources]}
                for r in self.restrictions
            ],
            "conflictsWith": [shorten(c) for c in self.conflicts_with],
            "channel": shorten(self.channel_key),
            "sameChannelAs": [shorten(a) for a in self.accounts],
        }


def text_of(node: Node | None) -> str:
    return "" if node is None else str(node)


def source_ref(idx: Index, src: Node) -> SourceRef:
    """The :class:`SourceRef` of one ``ckg:Source`` node (built once per graph)."""
    memo = idx.memo["source_ref"]
    got: SourceRef | None = memo.get(src)
    if got is None:
        publisher = idx.value(src, PUBLISHER)
        got = memo[src] = SourceRef(
            iri=str(src),
            title=text_of(idx.value(src, TITLE)) or idx.label(src),
            url=text_of(idx.value(src, URL)),
            date=text_of(idx.value(src, DATE)),
            publisher=idx.label(publisher) if publisher is not None else "",
        )
    return got


def source_refs(idx: Index, claim: Node) -> tuple[SourceRef, ...]:
    """The sources of a claim, sorted by date then title (built once per claim)."""
    memo = idx.memo["source_refs"]
    got: tuple[SourceRef, ...] | None = memo.get(claim)
    if got is None:
        out = [source_ref(idx, src) for src in idx.objects(claim, DERIVED_FROM)]
        got = memo[claim] = tuple(sorted(out, key=lambda s: (s.date, s.title, s.iri)))
    return got


def in_force(idx: Index, claim: Node, on: dt.date) -> bool:
    """True when the claim holds on ``on``: not superseded and ``validFrom <= on < validTo``
    (month and year dates taking effect after their period, as in ``--as-of``); judged
    once per claim and day."""
    return idx.cached("in_force", (claim, on), _in_force, idx, claim, on)


def _in_force(idx: Index, claim: Node, on: dt.date) -> bool:
    if idx.value(claim, STATUS) == SUPERSEDED:
        return False
    precision = _precision(idx, claim)
    start = effective(idx.date(claim, VALID_FROM), precision)
    end = effective(idx.date(claim, VALID_TO), precision)
    if start is not None and on < start:
        return False
    return not (end is not None and on >= end)


def _date(idx: Index, node: Node, p: Node) -> str:
    v = idx.value(node, p)
    return "" if v is None else str(v)


def restrictions_on(idx: Index, target: Node, market: Node | None) -> list[Node]:
    """The restrictions that ``ckg:appliesTo`` a target in ``market``: those without a
    market (which apply everywhere), then those of the market; read once per target and
    market. A restriction of another market is not read: the market's subjects are one
    lookup, and whether a restriction has a market at all another."""
    memo = idx.memo["restrictions_on"]
    got: list[Node] | None = memo.get((target, market))
    if got is None:
        here = idx.subject_set(MARKET, market) if market is not None else frozenset()
        anywhere: list[Node] = []
        local: list[Node] = []
        for res in idx.subjects(APPLIES_TO, target):
            into = local if res in here else None if idx.has_any(res, MARKET) else anywhere
            if into is not None and idx.is_a(res, RESTRICTION):
                into.append(res)
        got = memo[(target, market)] = anywhere + local
    return got


def bearing_restrictions(
    idx: Index, r: Node, market: Node | None, targets: list[tuple[Node | None, str]]
) -> dict[Node, str]:
    """The restrictions that bear on route ``r`` and how: ``blocks`` it, or applies (in
    its market) to one of ``targets`` (its service, provider, operator, models, sellers),
    as ``applies to <role> <label>``; the first role of a target wins.

    Restrictions are looked up by (target, market), so a route reads only those that
    bear on it, however many a hub carries in other markets."""
    roles: dict[Node, str] = {}
    for t, why in targets:
        if t is not None:
            roles.setdefault(t, why)
    rels: dict[Node, str] = {res: "blocks" for res in idx.subjects(BLOCKS, r)}
    for t, why in roles.items():
        for res in restrictions_on(idx, t, market):
            if res not in rels:
                rels[res] = f"applies to {why} {idx.label(t)}"
    return rels


def restriction_ref(idx: Index, res: Node, relation: str, on: dt.date) -> RestrictionRef:
    """The :class:`RestrictionRef` of one restriction (the shared part built once)."""
    memo = idx.memo["restriction_ref"]
    base: RestrictionRef | None = memo.get((res, on))
    if base is None:
        base = memo[(res, on)] = RestrictionRef(
            iri=str(res),
            label=text_of(idx.value(res, COMMENT)) or idx.label(res),
            kind=idx.label(idx.value(res, KIND)),
            imposed_by=", ".join(idx.label(o) for o in idx.objects(res, IMPOSED_BY)),
            status=idx.label(idx.value(res, STATUS)),
            valid_from=_date(idx, res, VALID_FROM),
            valid_to=_date(idx, res, VALID_TO),
            stated_on=_date(idx, res, STATED_ON),
            relation="",
            in_force=in_force(idx, res, on),
            sources=source_refs(idx, res),
        )
    return replace(base, relation=relation)


def route_record(idx: Index, r: Node, on: dt.date | None = None) -> Route:
    """The :class:`Route` record of one ``ckg:AccessRoute`` node (built once per day)."""
    on = on or dt.date.today()
    return idx.cached("route_record", (r, on), _route_record, idx, r, on)


def _route_record(idx: Index, r: Node, on: dt.date) -> Route:
    models = [m for m in idx.objects(r, MODEL_OF)]
    market = idx.value(r, MARKET)
    service = idx.value(r, SERVICE)
    sellers = idx.objects(r, SELLER)
    provider = idx.value(service, PROVIDER) if service is not None else None
    operator = idx.value(service, OPERATOR) if service is not None else None
    deps = idx.objects(r, DEPENDS_ON)
    rels = bearing_restrictions(idx, r, market, [
        (service, "service"), (provider, "service provider"), (operator, "operator"),
        *((fam, "model") for m in models for fam in family_closure(idx, m, down=False)),
        *((seller, "seller") for seller in sellers),
    ])
    restrictions = [restriction_ref(idx, res, rel, on) for res, rel in rels.items()]
    blocked = any(x.relation == "blocks" and x.in_force for x in restrictions)
    restrictions.sort(key=lambda x: (x.relation != "blocks", x.valid_from, x.iri))
    declared = bool(idx.boolean(r, OPEN))
    ended = [p for p in deps if not in_force(idx, p, on)]  # a partnership ends: route closes
    route_holds = in_force(idx, r, on)
    is_open = declared and route_holds and not blocked and not ended
    why_closed = ""
    if declared and not is_open:
        why_closed = ("blocked" if blocked else "not in force" if not route_holds
                      else "partnership " + ", ".join(shorten(str(p)) for p in ended)
                      + " not in force")
    kind = idx.value(r, KIND)
    status = idx.value(r, STATUS)
    mentioned = [*models, market, service, kind, *sellers, provider, operator, *deps, status]
    labels = {str(x): idx.label(x) for x in mentioned if x is not None}
    return Route(
        iri=str(r),
        statement=text_of(idx.value(r, COMMENT)),
        fact_id=text_of(idx.value(r, FACT_ID)),
        models=tuple(sorted(map(str, models))),
        market=text_of(market),
        service=text_of(service),
        kind=text_of(kind),
        sellers=tuple(sorted(map(str, sellers))),
        provider=text_of(provider),
        operator=text_of(operator),
        open=is_open,
        declared_open=declared,
        sanctioned=idx.boolean(r, SANCTIONED),
        status=text_of(status),
        valid_from=_date(idx, r, VALID_FROM),
        valid_to=_date(idx, r, VALID_TO),
        stated_on=_date(idx, r, STATED_ON),
        depends_on=tuple(sorted(map(str, deps))),
        sources=source_refs(idx, r),
        restrictions=tuple(restrictions),
        conflicts_with=tuple(sorted(str(c) for c in idx.objects(r, CONFLICTS_WITH))),
        labels=labels,
        closed_because=why_closed,
        precision=_precision(idx, r),
        channel=channel_of(idx, r),
        accounts=tuple(sorted(map(str, channel_accounts(idx, r) - {r}))),
    )


def channel_accounts(idx: Index, r: Node) -> frozenset[Node]:
    """The route nodes that are accounts of the same channel as ``r`` (``r`` included):
    those ``ckg:sameChannelAs`` links reach from it, either way (and on, should a link be
    missing)."""
    memo = idx.memo["channel_accounts"]
    got: frozenset[Node] | None = memo.get(r)
    if got is None:
        seen, todo = {r}, [r]
        while todo:
            n = todo.pop()
            for m in (*idx.objects(n, SAME_CHANNEL), *idx.subjects(SAME_CHANNEL, n)):
                if m not in seen:
                    seen.add(m)
                    todo.append(m)
        got = frozenset(seen)
        for n in seen:
            memo[n] = got
    return got


def channel_of(idx: Index, r: Node) -> str:
    """The channel route ``r`` is an account of, named by the smallest IRI among its
    accounts (:func:`channel_accounts`); its own IRI when it is the only one."""
    return min(map(str, channel_accounts(idx, r)))


def count_channels(routes: Iterable[Route]) -> int:
    """How many distinct channels ``routes`` are accounts of (one per unlinked route)."""
    return len({r.channel_key for r in routes})


def _precision(idx: Index, node: Node) -> str:
    return precision_of(idx.value(node, DATE_PRECISION))


def candidate_routes(idx: Index, models: Sequence[Node], markets: Sequence[Node]) -> list[Node]:
    """The access routes that may carry one of ``models`` into one of ``markets`` (an empty
    list: any), sorted: looked up by market (or model) instead of a walk over every route,
    once per graph (a market report asks for the same ones for its routes and its spof)."""
    memo = idx.memo["candidate_routes"]
    key = (tuple(models), tuple(markets))
    got: list[Node] | None = memo.get(key)
    if got is None:
        got = memo[key] = _candidate_routes(idx, models, markets)
    return list(got)


def _candidate_routes(idx: Index, models: Sequence[Node], markets: Sequence[Node]) -> list[Node]:
    if not markets and not models:
        return idx.instances(ACCESS_ROUTE)
    by = [(MARKET, markets), (MODEL_OF, models)]
    pred, nodes = min((x for x in by if x[1]), key=lambda x: len(x[1]))
    found = {r for n in nodes for r in idx.subjects(pred, n)}
    return sorted((r for r in found if idx.is_a(r, ACCESS_ROUTE)), key=str)


def all_routes(idx: Index, on: dt.date | None = None) -> list[Route]:
    """Every access route of the graph as a :class:`Route` record."""
    return [route_record(idx, r, on) for r in idx.instances(ACCESS_ROUTE)]


__all__ = ["RestrictionRef", "Route", "SourceRef", "all_routes", "bearing_restrictions",
           "candidate_routes", "channel_accounts", "channel_of", "count_channels", "in_force",
           "restriction_ref", "restrictions_on", "route_record", "source_ref", "source_refs",
           "text_of"]
