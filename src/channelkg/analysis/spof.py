"""Single points of failure: the nodes every open route into a market passes.

Only routes the developer sanctions count as supply: a grey-market route
(``ckg:sanctioned false``: a VPN, a proxy, a relay around a block) is not a channel a
market can rely on (``channelkg query unsanctioned-routes`` lists them).

:func:`single_points_of_failure` projects the open routes into a directed *channel
graph* (networkx) from the model family to the market, through each route's
partnerships, seller, service provider, service and local operator, and returns the
nodes that dominate the market (``nx.immediate_dominators``): the organizations,
partnerships and services without which the market loses the family. Two accounts of
one channel (``ckg:sameChannelAs``) are two routes of that graph, so a node is critical
only when it lies on every account; the count of open routes counts them once
(:attr:`SpofResult.channels`).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from rdflib import URIRef

from channelkg.analysis.index import (
    Index,
    families,
    family_closure,
    resolve_market,
    resolve_models,
)
from channelkg.analysis.records import (
    Route,
    candidate_routes,
    count_channels,
    route_record,
    source_refs,
    text_of,
)
from channelkg.analysis.vocab import (
    ASSESSED_ENTITY,
    ASSESSMENT,
    COMMENT,
    DEPENDENCY_RISK,
    DEVELOPER,
    KIND,
    LEVEL,
    MARKET,
)
from channelkg.graph.memory import KnowledgeGraph
from channelkg.rdf.terms import shorten

if TYPE_CHECKING:
    import networkx as nx  # type: ignore[import-untyped]

SOURCE = "⊤source"
SINK = "⊥market"

#: Roles of nodes in the channel graph, in the order a route passes them.
ROLE_RANK = {
    "partnership": 1,
    "seller": 2,
    "provider": 3,
    "service": 4,
    "operator": 5,
}


def route_chain(route: Route, exclude: Iterable[str] = ()) -> list[tuple[str, str]]:
    """The (node, role) pairs a route passes between the family and the market.

    Partnerships the route depends on, sellers, the service's provider, the service and
    its operator, in that order. Nodes in ``exclude`` (the family's developers, which
    form the source side) are left out.
    """
    skip = set(exclude)
    chain: list[tuple[str, str]] = [(p, "partnership") for p in route.depends_on]
    chain += [(s, "seller") for s in route.sellers]
    if route.provider:
        chain.append((route.provider, "provider"))
    if route.service:
        chain.append((route.service, "service"))
    if route.operator:
        chain.append((route.operator, "operator"))
    return [(n, role) for n, role in chain if n not in skip]


def channel_graph(
    open_routes: Sequence[Route],
    labels: dict[str, str] | None = None,
    exclude: Iterable[str] = (),
) -> nx.DiGraph:
    """Project routes into a directed graph from :data:`SOURCE` to :data:`SINK`.

    :data:`SOURCE` stands for the model family and its developers, :data:`SINK` for the
    market. Each route becomes a chain ``SOURCE → partnerships → seller → provider →
    service → operator → SINK`` (nodes in ``exclude`` are left out; an organization
    that plays several roles is one node). Edges carry the IRIs of the routes that
    use them. Every chain follows one global order of the nodes (role rank, then IRI),
    so no edge of a route that passes a node X jumps over X; hence paths spliced from
    several routes can never avoid a node that all routes pass, and a node dominates
    the sink exactly when every open route passes it.
    """
    import networkx as nx

    exclude = set(exclude)
    g = nx.DiGraph()
    g.add_node(SOURCE, role="source", label="source")
    g.add_node(SINK, role="market", label="market")
    rank: dict[str, tuple[int, str]] = {}
    roles: dict[str, set[str]] = defaultdict(set)
    for r in open_routes:
        for node, role in route_chain(r, exclude):
            key = (ROLE_RANK[role], node)
            rank[node] = min(rank.get(node, key), key)
            roles[node].add(role)
    for r in open_routes:
        nodes = sorted({n for n, _ in route_chain(r, exclude)}, key=lambda n: rank[n])
        path = [SOURCE, *nodes, SINK]
        for n in nodes:
            g.add_node(
                n,
                role="/".join(sorted(roles[n], key=ROLE_RANK.__getitem__)),
                label=(labels or {}).get(n) or r.name(n),
            )
        for a, b in zip(path, path[1:], strict=False):
            if g.has_edge(a, b):
                g.edges[a, b]["routes"].append(r.iri)
            else:
                g.add_edge(a, b, routes=[r.iri])
    return g


@dataclass(frozen=True)
class CriticalNode:
    """A node every open route passes."""

    iri: str
    label: str
    role: str


@dataclass(frozen=True)
class SpofResult:
    """Answer of :func:`single_points_of_failure` for one family and market."""

    family: str
    family_label: str
    market: str
    market_label: str
    open_routes: tuple[Route, ...]
    critical: tuple[CriticalNode, ...]
    min_cut: tuple[CriticalNode, ...]
    assessments: tuple[dict[str, str], ...] = ()
    graph: Any = field(default=None, compare=False, repr=False)

    @property
    def channels(self) -> int:
        """How many channels the open routes are accounts of (``ckg:sameChannelAs``)."""
        return count_channels(self.open_routes)

    @property
    def cut_off(self) -> bool:
        """True when the market has no open route to the family at all."""
        return not self.open_routes

    def as_dict(self) -> dict[str, Any]:
        def nodes(xs: Iterable[CriticalNode]) -> list[dict[str, str]]:
            return [{"iri": shorten(x.iri), "label": x.label, "role": x.role} for x in xs]

        return {
            "family": shorten(self.family),
            "familyLabel": self.family_label,
            "market": shorten(self.market),
            "marketLabel": self.market_label,
            "openRoutes": [shorten(r.iri) for r in self.open_routes],
            "openChannels": self.channels,
            "singlePointsOfFailure": nodes(self.critical),
            "minimumCut": nodes(self.min_cut),
            "assessments": list(self.assessments),
        }


def _dominators(g: nx.DiGraph) -> list[str]:
    import networkx as nx

    if SINK not in g or not nx.has_path(g, SOURCE, SINK):
        return []
    idom = nx.immediate_dominators(g, SOURCE)
    out = []
    node = idom[SINK]
    while node != SOURCE:
        out.append(node)
        node = idom[node]
    return list(reversed(out))


def minimum_cut(g: nx.DiGraph) -> set[str]:
    """The minimum node cut between :data:`SOURCE` and :data:`SINK` (``nx.minimum_node_cut``).

    The cut is read off the nodes that still reach the sink in the residual network of a
    maximum flow, a set that is the same for every maximum flow; so the flow algorithm
    is chosen for speed (shortest augmenting paths: two to three times faster than the
    default on the channel graphs of a large market) without changing the answer."""
    import networkx as nx
    from networkx.algorithms.flow import shortest_augmenting_path  # type: ignore[import-untyped]

    return set(nx.minimum_node_cut(g, SOURCE, SINK, flow_func=shortest_augmenting_path))


def analyse_family(
    idx: Index,
    family: URIRef,
    models: Sequence[URIRef],
    market: URIRef,
    markets: Sequence[URIRef],
    on: dt.date,
    route_set: Sequence[Route] | None = None,
) -> SpofResult:
    """Single points of failure between one family (given as its models) and one market."""

    mset, kset = set(map(str, models)), set(map(str, markets))
    pool = route_set if route_set is not None else market_routes(idx, markets, on)
    open_routes = [
        r for r in pool
        if r.open and r.sanctioned is not False and r.market in kset
        and mset.intersection(r.models)
    ]
    labels = {}
    for r in open_routes:
        labels.update(r.labels)
    developer_of, _ = idx.links(DEVELOPER)  # read once: no model is read for it
    developers = {
        str(d) for m in models for f in family_closure(idx, m, down=False)
        for d in developer_of.get(f, ())
    }
    g = channel_graph(open_routes, labels, exclude=developers)

    def node(n: str) -> CriticalNode:
        return CriticalNode(n, g.nodes[n]["label"], g.nodes[n]["role"])

    critical = [node(n) for n in _dominators(g)]
    cut: list[CriticalNode] = []
    if open_routes and not critical and not g.has_edge(SOURCE, SINK):
        cut = [node(n) for n in sorted(minimum_cut(g))]
    # Corroboration: dependency-risk assessments on a critical node, in this market.
    notes = []
    crit_iris = {URIRef(c.iri) for c in critical} | {family, market}
    assessed = {a for n in crit_iris for a in idx.subjects(ASSESSED_ENTITY, n)}
    for a in sorted(assessed, key=str):
        if not idx.is_a(a, ASSESSMENT):
            continue
        if idx.value(a, KIND) != DEPENDENCY_RISK:
            continue
        if not crit_iris.intersection(idx.objects(a, ASSESSED_ENTITY)):
            continue
        mk = idx.objects(a, MARKET)
        if mk and market not in mk:
            continue
        notes.append({
            "assessment": shorten(str(a)),
            "entity": ", ".join(idx.label(e) for e in idx.objects(a, ASSESSED_ENTITY)),
            "level": text_of(idx.value(a, LEVEL)),
            "statement": text_of(idx.value(a, COMMENT)),
            "sources": "; ".join(s.title for s in source_refs(idx, a)),
        })
    return SpofResult(
        family=str(family),
        family_label=idx.label(family),
        market=str(market),
        market_label=idx.label(market),
        open_routes=tuple(sorted(open_routes, key=lambda r: r.iri)),
        critical=tuple(critical),
        min_cut=tuple(cut),
        assessments=tuple(notes),
        graph=g,
    )


def market_routes(idx: Index, markets: Sequence[URIRef], on: dt.date) -> list[Route]:
    """The records of the routes into ``markets`` only (looked up by market)."""
    return [route_record(idx, r, on) for r in candidate_routes(idx, [], markets)]


def single_points_of_failure(
    kg: KnowledgeGraph | Index,
    market: str,
    model: str | None = None,
    *,
    on: dt.date | None = None,
    include_cut_off: bool = False,
) -> list[SpofResult]:
    """Which organizations, partnerships or services, if removed, cut a market off a family.

    Args:
        kg: the graph.
        market: the market (ISO code, slug, CURIE or label).
        model: a model, family or developer; ``None`` analyses every top-level family
            that has a route into the market.
        on: day for which openness is judged (default today).
        include_cut_off: also return families whose routes into the market are all closed.

    Returns:
        One :class:`SpofResult` per family, in family label order.
    """
    idx = Index.of(kg)
    on = on or dt.date.today()
    market_iri, markets = resolve_market(idx, market)
    pool = market_routes(idx, markets, on)
    if model:
        node, models = resolve_models(idx, model)
        groups = [(node, models)]
    else:
        groups = [(f, sorted(family_closure(idx, f, down=True), key=str)) for f in families(idx)]
    out = []
    kset = set(map(str, markets))
    reached = {m for r in pool if r.market in kset for m in r.models}
    for fam, models in groups:
        reaches = not reached.isdisjoint(map(str, models))
        if not reaches and model is None:
            continue
        res = analyse_family(idx, fam, models, market_iri, markets, on, pool)
        if res.cut_off and not include_cut_off and model is None:
            continue
        out.append(res)
    out.sort(key=lambda r: (r.family_label.casefold(), r.family))
    return out


# ---------------------------------------------------------------------------
