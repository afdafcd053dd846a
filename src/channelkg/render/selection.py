"""Select parts of a network projection: a market, a provider, a neighbourhood, classes.

Every name is resolved by the one resolver (:mod:`channelkg.model.resolve`) against the
names :func:`~channelkg.render.network.to_networkx` read with the projection, so
``--market``, ``--provider``, ``--around`` and ``--class`` accept what every other
command accepts.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from rdflib import BNode, URIRef
from rdflib.namespace import RDF

from channelkg.errors import InputError
from channelkg.model.labels import local_name
from channelkg.model.resolve import NameIndex, resolve
from channelkg.render.network import graph_schema, node_id, term_id

if TYPE_CHECKING:
    import networkx as nx  # type: ignore[import-untyped]

    from channelkg.graph.memory import KnowledgeGraph
    from channelkg.typevars import T


def names_of(graph: nx.MultiDiGraph) -> NameIndex:
    """The :class:`~channelkg.model.resolve.NameIndex` of a projection (read with it)."""
    names = graph.graph.get("names")
    if not isinstance(names, NameIndex):
        raise InputError("this graph was not made by to_networkx: names cannot be resolved")
    return names


def find_node(graph: nx.MultiDiGraph, ref: str, kind: str = "entity") -> str:
    """Resolve a node reference with the one resolver and return its key in the projection.

    ``ref`` is anything :func:`channelkg.model.resolve.resolve` accepts (slug, CURIE,
    IRI, label in any language, ISO code, fact id); ``kind`` restricts it.

    Raises:
        InputError: no such node of the kind (with close matches), or it is not drawn.
    """
    iri = resolve(names_of(graph), ref, kind)
    key = node_id(str(iri))
    if key not in graph:
        raise InputError(f"{key} is not drawn in this view (a vocabulary term or a source)")
    return key


def find_market(graph: nx.MultiDiGraph, ref: str) -> str:
    """The market ``ref`` names (ISO code, label, slug, CURIE or IRI)."""
    return find_node(graph, ref, "market")


def _neighbours(graph: nx.MultiDiGraph, n: str) -> set[str]:
    return set(graph.successors(n)) | set(graph.predecessors(n))


def claim_closure(graph: nx.MultiDiGraph, seeds: Iterable[str]) -> set[str]:
    """The seeds, their neighbours, and around each claim among those its whole
    neighbourhood (the entities it relates and the claims it links to: partnerships a
    route depends on, restrictions that block it, conflicting claims). Claims reached
    that second way bring their entities but no further claims, so chains of
    corroborating or conflicting claims do not pull in the rest of the graph. Finally
    one outgoing hop from each entity to other entities (a service's provider and
    operator, a model's developer)."""
    def is_claim(n: str) -> bool:
        return bool(graph.nodes[n].get("claim"))

    return closure_of(seeds, lambda n: _neighbours(graph, n), graph.successors, is_claim)


def closure_of(seeds: Iterable[T], neighbours: Callable[[T], Iterable[T]],
               successors: Callable[[T], Iterable[T]],
               is_claim: Callable[[T], bool]) -> set[T]:
    """:func:`claim_closure` over any graph, given its nodes' neighbours, successors and
    which nodes are claims (the projection's graph, or the store: ``StoreSelection``)."""
    keep = set(seeds)
    for s in list(keep):
        keep |= set(neighbours(s))
    first = {n for n in keep if is_claim(n)}
    second: set[T] = set()
    for c in first:
        for m in neighbours(c):
            keep.add(m)
            if is_claim(m) and m not in first:
                second.add(m)
    for c in second:
        keep |= {m for m in neighbours(c) if not is_claim(m)}
    for n in list(keep):
        if not is_claim(n):
            keep.update(m for m in successors(n) if not is_claim(m))
    return keep


def select_market(graph: nx.MultiDiGraph, code: str) -> set[str]:
    """The market, the claims about it (routes, restrictions, assessments) with everything
    they link to (models, services, sellers, partnerships and their parties, blocking
    restrictions), and the services' providers and operators."""
    market = find_market(graph, code)
    seeds = {market}
    seeds |= {s for s, _, k in graph.in_edges(market, keys=True) if k == "ckg:partOf"}
    return claim_closure(graph, seeds)


def select_provider(graph: nx.MultiDiGraph, org: str) -> set[str]:
    """The organization, what belongs to it (services, models, subsidiaries) and every
    claim about any of these (routes, partnerships, restrictions) with its links."""
    o = find_node(graph, org, "organization")
    seeds = {o} | {s for s in graph.predecessors(o) if not graph.nodes[s].get("claim")}
    return claim_closure(graph, seeds)


def select_around(graph: nx.MultiDiGraph, node: str, depth: int = 1) -> set[str]:
    """Every node within ``depth`` hops of ``node``, ignoring edge direction."""
    if depth < 0:
        raise InputError("--depth must be 0 or more")
    start = find_node(graph, node)
    seen = {start}
    frontier = {start}
    for _ in range(depth):
        nxt: set[str] = set()
        for n in frontier:
            nxt |= _neighbours(graph, n)
        frontier = nxt - seen
        seen |= frontier
    return seen


def resolve_class(graph: nx.MultiDiGraph, cls: str) -> str:
    """Accept ``ckg:AccessRoute``, ``AccessRoute``, a label or a full IRI of a class."""
    return node_id(str(resolve(names_of(graph), cls, "class")))


def select_classes(
    graph: nx.MultiDiGraph, classes: Iterable[str], within: set[str] | None = None
) -> set[str]:
    """Nodes of the classes (or their subclasses) and their direct neighbours."""
    schema = graph_schema(graph)
    wanted = [resolve_class(graph, c) for c in classes]
    pool = set(graph) if within is None else within
    core = {
        n
        for n in pool
        if graph.nodes[n].get("class")
        and any(schema.is_a(graph.nodes[n]["class"], w) for w in wanted)
    }
    out = set(core)
    for n in core:
        out |= _neighbours(graph, n) & pool
    return out


def connect_rows(graph: nx.MultiDiGraph, rows: Iterable[list[str]]) -> set[str]:
    """The nodes that draw each SELECT row connected: its IRI cells; for a cell that is
    a claim (a route, a restriction …), the entities it links (a route's model, market,
    service, sellers); and a shortest path (edges in either direction) from each cell
    to the next, so a row naming a route and a market shows route -> service -> market."""
    import networkx as nx

    undirected = graph.to_undirected(as_view=True)
    keep: set[str] = set()
    for cells in rows:
        keep.update(cells)
        for c in cells:
            if graph.nodes[c].get("claim"):
                keep |= {m for m in _neighbours(graph, c) if not graph.nodes[m].get("claim")}
        for a, b in zip(cells, cells[1:], strict=False):
            if a == b:
                continue
            try:
                keep.update(nx.shortest_path(undirected, a, b))
            except nx.NetworkXNoPath:
                continue  # nothing links them: both are still drawn
    return keep


def select_query(
    kg: KnowledgeGraph, graph: nx.MultiDiGraph, spec: str, params: Mapping[str, str] | None = None
) -> tuple[set[str], list[tuple[str, str, str]] | None]:
    """Run a CONSTRUCT or SELECT and return the nodes to keep.

    For a CONSTRUCT the second value lists the constructed ``(s, p, o)`` links between
    kept nodes (only those are drawn); for a SELECT it is ``None`` and the nodes are
    those of :func:`connect_rows` (each row drawn connected), with the links between them.
    """
    from channelkg.sparql.query import query

    res = query(kg, spec, params or {})
    if res.kind == "SELECT":
        rows = [
            [term_id(v) for v in row if isinstance(v, URIRef | BNode) and term_id(v) in graph]
            for row in res.rows
        ]
        return connect_rows(graph, rows), None
    if res.kind == "GRAPH" and res.graph is not None:
        keep = set()
        triples = []
        for s, p, o in res.graph:
            sid = term_id(s)
            if sid in graph:
                keep.add(sid)
            if isinstance(o, URIRef | BNode) and str(p) != str(RDF.type):
                oid = term_id(o)
                if oid in graph:
                    keep.add(oid)
                triples.append((sid, node_id(str(p)), oid))
        return keep, [(s, p, o) for s, p, o in triples if s in keep and o in keep]
    raise InputError("--query needs a CONSTRUCT or a SELECT query (this one is an ASK)")


def subgraph(
    graph: nx.MultiDiGraph, nodes: Iterable[str], links: list[tuple[str, str, str]] | None = None
) -> nx.MultiDiGraph:
    """A copy of the induced subgraph; with ``links``, only those edges (added if new).

    Nodes and edges keep the order of ``graph`` (the layout depends on it), whatever the
    order of ``nodes``."""
    keep = set(nodes)
    out_graph = _induced(graph, keep)
    if links is not None:
        schema = graph_schema(graph)
        out_graph.remove_edges_from(list(out_graph.edges(keys=True)))
        for s, p, o in links:
            data = graph.get_edge_data(s, o, key=p) or {
                "predicate": p,
                "label": schema.edge_label(p),
            }
            out_graph.add_edge(s, o, key=p, **data)
    out_graph.graph.update(graph.graph)
    return out_graph


def _induced(graph: nx.MultiDiGraph, keep: set[str]) -> nx.MultiDiGraph:
    """``graph.subgraph(keep).copy()`` in the order of ``graph`` (a subgraph view walks
    a small ``keep`` in the set's order, which changes from run to run)."""
    out_graph = graph.__class__()
    out_graph.add_nodes_from((n, d.copy()) for n, d in graph.nodes.items() if n in keep)
    out_graph.add_edges_from(
        (u, v, k, d.copy())
        for u, nbrs in graph.adj.items() if u in keep
        for v, keydict in nbrs.items() if v in keep
        for k, d in keydict.items()
    )
    return out_graph


def anchors(graph: nx.MultiDiGraph, sel: Selection) -> list[str]:
    """The nodes a selection is about (its market, provider, --around node)."""
    out = []
    if sel.market:
        out.append(find_market(graph, sel.market))
    if sel.provider:
        out.append(find_node(graph, sel.provider, "organization"))
    if sel.around:
        out.append(find_node(graph, sel.around))
    return out


def most_connected(graph: nx.MultiDiGraph, limit: int, keep: Iterable[str] = ()) -> list[str]:
    """At most ``limit`` nodes of ``graph``: those of ``keep`` first, then the others by
    number of links in ``graph`` (most first; ties by key)."""
    return most_connected_of(dict(graph.degree()), limit, keep)


def most_connected_of(degree: Mapping[str, int], limit: int, keep: Iterable[str] = ()
                      ) -> list[str]:
    """:func:`most_connected` of a graph given as each node's degree."""
    first = [n for n in dict.fromkeys(keep) if n in degree][:limit]
    chosen = set(first)
    rest = sorted((n for n in degree if n not in chosen), key=lambda n: (-degree[n], str(n)))
    return first + rest[:max(0, limit - len(first))]


def cap(graph: nx.MultiDiGraph, limit: int | None, keep: Iterable[str] = ()) -> nx.MultiDiGraph:
    """``graph`` if it has at most ``limit`` nodes (or ``limit`` is ``None``), else the
    subgraph of its :func:`most_connected` nodes; ``graph.graph["drawn_of"]`` then says
    how many nodes the selection had, ``graph.graph["drawn"]`` how many are kept."""
    total = graph.number_of_nodes()
    if limit is None or total <= limit:
        return graph
    out_graph = subgraph(graph, most_connected(graph, limit, keep))
    out_graph.graph["drawn_of"] = total
    out_graph.graph["drawn"] = out_graph.number_of_nodes()
    return out_graph


@dataclass(frozen=True)
class Selection:
    """What to draw. Market, provider, around and query parts are united; ``classes``
    then keeps nodes of those classes (and subclasses) with their direct neighbours.
    Nothing selected means the whole graph."""

    market: str | None = None
    provider: str | None = None
    around: str | None = None
    depth: int = 1
    classes: tuple[str, ...] = ()
    query: str | None = None
    params: tuple[tuple[str, str], ...] = ()

    @property
    def empty(self) -> bool:
        return not (self.market or self.provider or self.around or self.classes or self.query)

    def slug(self) -> str:
        """A file-name stem: ``market-cn``, ``provider-microsoft``, ``around-gpt-d2`` …"""
        parts = []
        if self.market:
            parts.append(f"market-{self.market}")
        if self.provider:
            parts.append(f"provider-{self.provider}")
        if self.around:
            parts.append(f"around-{self.around}-d{self.depth}")
        if self.query:
            parts.append(f"query-{Path(self.query).stem}")
        if self.classes:
            parts.append("class-" + "-".join(local_name(c) for c in self.classes))
        text = "_".join(parts) or "all"
        text = re.sub(r"[^A-Za-z0-9_]+", "-", text.replace("kgid:", "")).strip("-")
        return text.lower()[:120] or "view"

    def title(self, around_label: str | None = None) -> str:
        """A human title for the page (``around_label`` names the --around node)."""
        parts = []
        if self.market:
            parts.append(f"market {self.market}")
        if self.provider:
            parts.append(f"provider {self.provider}")
        if self.around:
            parts.append(f"around {around_label or self.around} (depth {self.depth})")
        if self.query:
            parts.append(f"query {Path(self.query).name}")
        if self.classes:
            parts.append("classes " + ", ".join(self.classes))
        return "channelkg: " + ("; ".join(parts) if parts else "whole graph")


def select(
    graph: nx.MultiDiGraph, sel: Selection, kg: KnowledgeGraph | None = None
) -> nx.MultiDiGraph:
    """Apply a :class:`Selection` to a full (uncollapsed) projection.

    Raises:
        InputError: an unknown market, node or class, or an empty result.
    """
    if sel.empty:
        return graph
    keep: set[str] | None = None
    links: list[tuple[str, str, str]] | None = None

    def add(nodes: set[str]) -> None:
        nonlocal keep
        keep = nodes if keep is None else keep | nodes

    if sel.market:
        add(select_market(graph, sel.market))
    if sel.provider:
        add(select_provider(graph, sel.provider))
    if sel.around:
        add(select_around(graph, sel.around, sel.depth))
    if sel.query:
        if kg is None:
            raise InputError("--query needs the loaded graph")
        nodes, links = select_query(kg, graph, sel.query, dict(sel.params))
        add(nodes)
    if sel.classes:
        keep = select_classes(graph, sel.classes, within=keep)
    if not keep:
        raise InputError(f"the selection ({sel.title().removeprefix('channelkg: ')}) is empty")
    return subgraph(graph, keep, links if not (sel.market or sel.provider or sel.around) else None)

__all__ = [
    "Selection",
    "anchors",
    "cap",
    "claim_closure",
    "closure_of",
    "connect_rows",
    "find_market",
    "find_node",
    "most_connected",
    "most_connected_of",
    "names_of",
    "resolve_class",
    "select",
    "select_around",
    "select_classes",
    "select_market",
    "select_provider",
    "select_query",
    "subgraph",
]
