"""Channel maps: the access routes into a market, laid out left to right in columns.

A channel map answers "how does this model reach this market?" at a glance. Every
access route that :func:`channelkg.analysis.routes.routes` finds (the same records as
``channelkg routes``) becomes one path through labelled columns::

    developer -> model -> partnership or licence -> seller -> service
              -> operator / host location -> blocked by -> market

An open route ends at the market; a closed one ends at the restriction that blocks it
(labelled with its date), or, when no restriction in force bears on it, at its last
hop. Each route's edges carry the route's status, dates and sources (hover or click
one). Without a model the map draws every model family with a route into the market,
one horizontal band per family.

Positions are computed here, deterministically (lanes, no physics): each route gets a
lane, a node sits at the middle of the lanes of its routes, and a sweep per column
keeps nodes apart by their estimated box heights. The page is the standard one
(:func:`channelkg.render.page.render_html`, same node and edge payload), plus
``assets/channels.js`` and ``channels.css`` for the column headers, bands and the route
legend: see :mod:`channelkg.render.channel_page`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from rdflib import URIRef

from channelkg.analysis.index import Index, families, family_closure
from channelkg.analysis.records import RestrictionRef, Route, count_channels
from channelkg.analysis.routes import RoutesResult, resolve_market, resolve_models, routes
from channelkg.rdf.namespaces import CKG
from channelkg.rdf.terms import shorten

if TYPE_CHECKING:
    import networkx as nx  # type: ignore[import-untyped, unused-ignore]

    from channelkg.graph.memory import KnowledgeGraph

#: The columns, left to right: (id, header).
COLUMNS: tuple[tuple[str, str], ...] = (
    ("developer", "developer"),
    ("model", "model"),
    ("partnership", "partnership or licence"),
    ("seller", "seller"),
    ("service", "service"),
    ("operator", "operator / host location"),
    ("blocked", "blocked by"),
    ("market", "market"),
)
#: Which column keeps an entity's own key when it shows in several.
HOME = ("market", "model", "developer", "service", "partnership", "blocked", "seller",
        "operator")
#: Columns drawn even when no route has a node there.
ALWAYS = ("developer", "model", "service", "market")

#: Route states, as the legend draws them: (id, label, colour, dash pattern or None).
STATES: tuple[tuple[str, str, str, list[int] | None], ...] = (
    ("open-confirmed", "open, confirmed", "#1a7f37", None),
    ("open-reported", "open, reported", "#c77700", None),
    ("disputed", "disputed", "#8e44ad", [12, 7]),
    ("closed", "closed", "#8a8f98", [3, 6]),
)

FONT = 26  # node label size, canvas pixels
BOX_WIDTH = 204  # widest node box; labels wrap inside it
COLUMN_PITCH = 244  # distance between column centres
MARGIN = 8  # padding inside a node box
GAP = 22  # vertical space between two boxes of a column
BAND_HEADER = 46  # room above each band for its label
FAN = 0.6  # how far parallel edges of routes that share two nodes curve apart
LINE = 33  # estimated height of one label line (FONT * 1.25, rounded up)
CHARS_PER_LINE = 11  # estimated characters per line: (BOX_WIDTH - 2 * MARGIN) / (FONT * 0.6)


@dataclass
class _Node:
    key: str
    iri: str
    column: str
    band: int
    label: str
    attrs: dict[str, Any]
    seq: int = 0
    lanes: list[int] = field(default_factory=list)
    y: float = 0.0

    @property
    def height(self) -> float:
        return box_height(self.label)


@dataclass(frozen=True)
class ChannelMap:
    """A laid-out channel map: the graph to draw, its positions and what the page adds."""

    title: str
    graph: nx.MultiDiGraph
    positions: dict[str, tuple[float, float]]
    channels: dict[str, Any]
    result: RoutesResult
    #: ``"120 of 6,621 routes drawn (...)"`` when ``max_nodes`` left routes out, else ``""``.
    note: str = ""


def box_height(label: str) -> float:
    """Estimated height of a node box for ``label`` (words wrapped at the box width)."""
    lines = 0
    for part in label.split("\n"):
        width = 0
        lines += 1
        for word in part.split():
            if width and width + 1 + len(word) > CHARS_PER_LINE:
                lines += 1
                width = len(word)
            else:
                width += len(word) + (1 if width else 0)
            while width > CHARS_PER_LINE:  # a word longer than a line breaks
                lines += 1
                width -= CHARS_PER_LINE
    return lines * LINE + 2 * MARGIN


def route_state(r: Route) -> str:
    """``closed``, ``disputed``, ``open-confirmed`` or ``open-reported``."""
    if not r.open:
        return "closed"
    status = shorten(r.status) if r.status else ""
    if status == "ckg:disputed":
        return "disputed"
    return "open-confirmed" if status.startswith("ckg:confirmed") else "open-reported"


def closing_restrictions(r: Route) -> list[RestrictionRef]:
    """The restrictions a closed route ends at: those in force that block it, else
    those in force that apply to it; none for an open route."""
    if r.open:
        return []
    live = [x for x in r.restrictions if x.in_force]
    return [x for x in live if x.relation == "blocks"] or live


_DATED = re.compile(r" · \d{4}(-\d{2}(-\d{2})?)?$")


def restriction_date(x: RestrictionRef) -> str:
    """``from 2024-07-09``, ``stated 2024-06-25`` or ``undated``."""
    if x.valid_from:
        return f"from {x.valid_from}"
    return f"stated {x.stated_on}" if x.stated_on else "undated"


def _family(idx: Index, r: Route, tops: set[URIRef]) -> str:
    for m in r.models:
        up = family_closure(idx, URIRef(m), down=False) & tops
        if up:
            return str(sorted(up, key=str)[0])
    return r.models[0] if r.models else ""


class _Builder:
    """Collects the nodes and edges of the map, route by route."""

    def __init__(self, idx: Index, full: nx.MultiDiGraph) -> None:
        import networkx as nx

        self.idx = idx
        self.full = full
        self.graph = nx.MultiDiGraph()
        self.graph.graph.update(full.graph)
        self.nodes: dict[tuple[int, str, str], _Node] = {}
        self.routes: list[dict[str, Any]] = []

    def node(self, band: int, column: str, iri: str, lane: int, label: str | None = None,
             attrs: dict[str, Any] | None = None) -> str:
        """The key of the node for ``iri`` in this band and column (made on first use)."""
        slot = (band, column, iri)
        n = self.nodes.get(slot)
        if n is None:
            curie = shorten(iri)
            key = f"{band}\t{column}\t{curie}"  # provisional: see rekey()
            base = dict(self.full.nodes[curie]) if curie in self.full else {"iri": iri}
            base.update(attrs or {})
            text = label or str(base.get("label") or curie)
            base["label"] = text
            base["column"] = dict(COLUMNS)[column]
            n = _Node(key, iri, column, band, text, base, seq=len(self.nodes))
            self.nodes[slot] = n
        if lane not in n.lanes:
            n.lanes.append(lane)
        return n.key

    def cells(self, r: Route, band: int, lane: int) -> dict[str, list[str]]:
        """The route's nodes per column (empty columns left out)."""
        out: dict[str, list[str]] = {}
        for column, iri, label in route_cells(self.idx, r, self.full):
            key = self.node(band, column, iri, lane, label=label)
            out.setdefault(column, []).append(key)
        return out

    def add_route(self, r: Route, band: int, lane: int) -> None:
        """One path: an edge from every node of a column to every node of the next."""
        cells = self.cells(r, band, lane)
        state = route_state(r)
        curie = shorten(r.iri)
        attrs = dict(self.full.nodes[curie]) if curie in self.full else {}
        claim_label = str(attrs.pop("label", "") or r.statement or curie)
        attrs.update(claim=curie, claim_label=claim_label, label="", state=dict(
            (s[0], s[1]) for s in STATES)[state])
        ends = closing_restrictions(r)
        if ends:
            attrs["closed"] = "; ".join(
                f"blocked by {x.label} ({restriction_date(x)})" if x.relation == "blocks"
                else f"{x.relation}: {x.label} ({restriction_date(x)})" for x in ends)
        elif not r.open:
            attrs["closed"] = r.state
        order = [c for c, _ in COLUMNS if c in cells]
        edge_keys: list[str] = []
        for a, b in zip(order, order[1:], strict=False):
            for u in cells[a]:
                for v in cells[b]:
                    k = f"{curie}#{len(edge_keys) + 1}"
                    self.graph.add_edge(u, v, key=k, directed=True, **attrs)
                    edge_keys.append(k)
        self.routes.append({
            "route": curie,
            "channel": shorten(r.channel_key),  # shared by accounts of one channel
            "label": claim_label,
            "state": state,
            "open": r.open,
            "band": band,
            "cells": cells,
            "edges": edge_keys,
            "blockedBy": [shorten(x.iri) for x in ends],
        })

    def rekey(self) -> None:
        """Final node keys: the entity's CURIE for its first column in :data:`HOME`
        order, ``CURIE@column`` (``CURIE@column-band`` in a banded map) for the others."""
        import networkx as nx

        rank = {c: i for i, c in enumerate(HOME)}
        by_curie: dict[str, list[_Node]] = {}
        for n in self.nodes.values():
            by_curie.setdefault(n.key.rsplit("\t", 1)[1], []).append(n)
        mapping = {}
        for curie, ns in by_curie.items():
            ns.sort(key=lambda n: (rank[n.column], n.band))
            columns = [n.column for n in ns]
            for i, n in enumerate(ns):
                key = curie if i == 0 else f"{curie}@{n.column}"
                if i and columns.count(n.column) > 1:
                    key += f"-{n.band}"
                mapping[n.key] = key
                n.key = key
        nx.relabel_nodes(self.graph, mapping, copy=False)
        for r in self.routes:
            r["cells"] = {c: [mapping[k] for k in ks] for c, ks in r["cells"].items()}

    def lane_heights(self, n_lanes: int) -> list[float]:
        """Height of each lane: the tallest stack of nodes first placed in it."""
        heights = [0.0] * n_lanes
        stacks: dict[tuple[int, str], float] = {}
        for n in self.nodes.values():
            slot = (n.lanes[0], n.column)
            stacks[slot] = stacks.get(slot, 0.0) + n.height + GAP
        for (lane, _), h in stacks.items():
            heights[lane] = max(heights[lane], h)
        return heights

    def layout(self, band_labels: list[str], lane_band: list[int]) -> dict[str, Any]:
        """Positions of every node, and the columns and bands the page draws."""
        used = {n.column for n in self.nodes.values()}
        columns = [(c, h) for c, h in COLUMNS if c in used or c in ALWAYS]
        x_of = {c: i * COLUMN_PITCH for i, (c, _) in enumerate(columns)}
        heights = self.lane_heights(len(lane_band))
        banded = len(band_labels) > 1
        bands: list[dict[str, Any]] = []
        top = 0.0
        for band, label in enumerate(band_labels):
            lanes = [i for i, b in enumerate(lane_band) if b == band]
            y = top + (BAND_HEADER if banded else 0)
            centre = {}
            for i in lanes:
                centre[i] = y + heights[i] / 2
                y += heights[i]
            bottom = y
            members = [n for n in self.nodes.values() if n.band == band]
            for column, _ in columns:
                col = [n for n in members if n.column == column]
                for n in col:
                    n.y = sum(centre[i] for i in n.lanes) / len(n.lanes)
                col.sort(key=lambda n: (n.y, n.lanes[0], n.seq))
                floor = top + (BAND_HEADER if banded else 0)
                for n in col:
                    n.y = max(n.y, floor + n.height / 2)
                    floor = n.y + n.height / 2 + GAP
                bottom = max(bottom, floor)
            routes_in = [r for r in self.routes if r["band"] == band]
            bands.append({"id": band, "label": label, "top": round(top, 1),
                          "bottom": round(bottom, 1),
                          "routes": len({r["channel"] for r in routes_in})})
            top = bottom
        counts = {c: len({n.iri for n in self.nodes.values() if n.column == c})
                  for c, _ in columns}
        return {
            "columns": [{"id": c, "label": h, "count": counts[c], "x": x_of[c]}
                        for c, h in columns],
            "bands": bands if banded else [],
            "positions": {n.key: (float(x_of[n.column]), round(n.y, 1))
                          for n in self.nodes.values()},
        }


def band_count(rs: list[Route]) -> str:
    """``3 routes, 2 open``, counted as channels: two accounts of one channel
    (``ckg:sameChannelAs``) count once, and the channel is open when one of them is;
    ``(4 accounts)`` follows when the map draws more paths than there are channels."""
    n = count_channels(rs)
    n_open = count_channels(r for r in rs if r.open)
    accounts = f" ({len(rs)} accounts)" if len(rs) > n else ""
    return f"{n} route{'s' * (n != 1)}, {n_open} open{accounts}"


def route_cells(idx: Index, r: Route, full: nx.MultiDiGraph | None = None
                ) -> list[tuple[str, str, str | None]]:
    """The nodes a route draws, in column order: (column, IRI, label or None for the
    node's own). ``full``: the projection restrictions take their labels from (the
    labels do not change which nodes are drawn, so the cap counts without it)."""
    out: list[tuple[str, str, str | None]] = []

    def put(column: str, iris: Iterable[str], label: str | None = None) -> None:
        out.extend((column, i, label) for i in iris if i)

    devs = sorted({str(d) for m in r.models for d in idx.objects(URIRef(m), CKG.developer)})
    put("developer", devs)
    put("model", r.models)
    for dep in r.depends_on:  # named as routes names it (not by the claim label's date)
        put("partnership", [dep], label=r.name(dep))
    put("seller", r.sellers)
    put("service", [r.service])
    put("operator", [r.operator])
    if r.service:
        for host in idx.objects(URIRef(r.service), CKG.hostedIn):
            put("operator", [str(host)], label=f"hosted in {idx.label(host)}")
    for x in closing_restrictions(r):
        label = None
        if full is not None:
            curie = shorten(x.iri)
            text = str(full.nodes[curie].get("label")) if curie in full else x.label
            text = _DATED.sub("", text)  # the claim label's date: the map gives its own
            label = f"{text}\n{restriction_date(x)}"
        put("blocked", [x.iri], label=label)
    if r.open:
        put("market", [r.market])
    return out


@dataclass(frozen=True)
class Drawn:
    """Which routes a capped channel map draws: whole routes, in the order
    :func:`~channelkg.analysis.routes.routes` lists them (open first), while their nodes
    fit in ``max_nodes``."""

    routes: list[Route]
    nodes: int
    total_routes: int
    total_nodes: int

    @property
    def capped(self) -> bool:
        return len(self.routes) < self.total_routes

    def note(self) -> str:
        """``"943 of 6,621 routes drawn (2,999 of 17,620 nodes; whole routes, open
        first; --max-nodes draws more)"`` for a capped map, else ``""``."""
        if not self.capped:
            return ""
        return (f"{len(self.routes):,} of {self.total_routes:,} routes drawn "
                f"({self.nodes:,} of {self.total_nodes:,} nodes; whole routes, open first; "
                "--max-nodes draws more)")


def draw_routes(idx: Index, res: RoutesResult, band_of: dict[str, str],
                max_nodes: int | None) -> Drawn:
    """The routes a map of at most ``max_nodes`` nodes draws: each route whole or not at
    all, the first routes of ``res`` (open first, then by model, kind, service) until the
    next would not fit; the first route is drawn even when it alone is over the cap.
    ``band_of``: each route's band key (its family, or ``""``)."""
    every: set[tuple[str, str, str]] = set()  # the nodes of the whole map
    drawn: set[tuple[str, str, str]] = set()
    kept: list[Route] = []
    fits = True
    for r in res.routes:
        band = band_of[r.iri]
        mine = {(band, c, i) for c, i, _ in route_cells(idx, r)}
        mine.add((band, "market", res.market or ""))  # every band draws the market
        every |= mine
        if fits:
            grown = drawn | mine
            # The first route is drawn even when it alone has more nodes than the cap: a
            # route is the least a map draws (as a view always draws the node it is about).
            fits = max_nodes is None or len(grown) <= max_nodes or not kept
            if fits:
                kept.append(r)
                drawn = grown
    return Drawn(kept, len(drawn), len(res.routes), len(every))


def _triples_for(idx: Index, res: RoutesResult, drawn: Iterable[Route]
                 ) -> list[tuple[Any, Any, Any]]:
    """The triples (pyoxigraph terms) the projection of a map needs: those about the
    routes and everything they mention (and one hop further: sources, developers,
    controlled values), and the schema (every class and property, for styles and
    labels). A projection of these gives those nodes the same attributes as the
    projection of the whole graph."""
    from rdflib.namespace import OWL, RDF, RDFS

    seeds: set[Any] = {URIRef(i) for i in (res.market, res.model) if i}
    seeds.update(URIRef(m) for m in res.models)
    for r in drawn:
        seeds.update(URIRef(i) for i in (r.iri, r.market, r.service, r.operator,
                                         r.provider, r.kind, r.status) if i)
        seeds.update(URIRef(i) for i in (*r.models, *r.sellers, *r.depends_on))
        seeds.update(URIRef(x.iri) for x in r.restrictions)
    import pyoxigraph as ox
    from rdflib.namespace import SKOS

    from channelkg.rdf.terms import to_oxigraph

    def about(node: Any) -> list[tuple[Any, Any, Any]]:  # every triple of one subject
        return list(idx.kg.ox_triples(node, None, None))

    starts = {to_oxigraph(s) for s in seeds}
    near = set(starts)
    for s in starts:
        near.update(o for _, _, o in about(s) if isinstance(o, ox.NamedNode))
    # The schema: every class and property, and the controlled values (statuses, kinds).
    schema: set[Any] = {to_oxigraph(s) for s in idx.having(RDFS.subClassOf)}
    for t in (OWL.Class, RDFS.Class, OWL.ObjectProperty, OWL.DatatypeProperty,
              OWL.AnnotationProperty, RDF.Property, OWL.Ontology, SKOS.ConceptScheme,
              CKG.Status, CKG.Kind):
        schema.update(to_oxigraph(s) for s in idx.subjects(RDF.type, t))
    return [t for s in sorted(near | schema, key=lambda n: n.value) for t in about(s)]


def _title(idx: Index, res: RoutesResult, on: str | None) -> str:
    market = idx.label(URIRef(res.market)) if res.market else "?"
    what = idx.label(URIRef(res.model)) if res.model else "every model family"
    return f"Channel map: {what} \u2192 {market}" + (f", as of {on}" if on else "")


def _add_bands(builder: _Builder, idx: Index, res: RoutesResult, drawn: list[Route],
               band_of: dict[str, str]) -> tuple[list[str], list[int]]:
    """Add the drawn routes to ``builder``, one band per model family (one band when the
    map is of one model), and return the bands' labels and each lane's band. With no
    route drawn, the model, its developer and the market are still drawn."""
    by_band: dict[str, list[Route]] = {}
    for r in drawn:
        by_band.setdefault(band_of[r.iri], []).append(r)
    band_keys = sorted(by_band, key=lambda f: (idx.label(URIRef(f)) if f else "", f))
    band_labels = []
    lane_band: list[int] = []
    for b, fam in enumerate(band_keys):
        rs = by_band[fam]
        name = idx.label(URIRef(fam)) if fam else ""
        band_labels.append(f"{name}: {band_count(rs)}")
        first = len(lane_band)
        for r in rs:
            builder.add_route(r, b, len(lane_band))
            lane_band.append(b)
        for lane in range(first, len(lane_band)):  # drawn even if every route is closed
            builder.node(b, "market", res.market or "", lane)
    if not drawn:  # nothing recorded (or drawn): still draw the model, its
        lane_band.append(0)  # developer and the market
        band_labels.append("")
        for m in [res.model] if res.model else []:
            column = "model" if idx.is_a(URIRef(m), CKG.Model) else "developer"
            builder.node(0, column, m, 0)
            for d in idx.objects(URIRef(m), CKG.developer) if column == "model" else []:
                builder.node(0, "developer", str(d), 0)
        if res.market:
            builder.node(0, "market", res.market, 0)
    return band_labels, lane_band


def channel_map(
    kg: KnowledgeGraph,
    market: str,
    model: str | None = None,
    *,
    on: dt.date | None = None,
    as_of: str | None = None,
    index: Index | None = None,
    projection: nx.MultiDiGraph | None = None,
    max_nodes: int | None = None,
) -> ChannelMap:
    """Lay out the channel map of the routes of ``model`` (all models if None) into
    ``market``, judged on ``on`` (default today), from the records of
    :func:`channelkg.analysis.routes.routes`. ``index``: the :class:`Index` of ``kg``
    if already made. ``projection``: a :func:`~channelkg.render.network.to_networkx`
    projection to take node attributes from (default: a projection of only the triples
    the map needs, which gives the same attributes). ``max_nodes``: draw at most this
    many nodes, whole routes only (see :func:`draw_routes`; ``None``: every route); the
    title and :attr:`ChannelMap.note` say how many routes of how many are drawn.

    Raises:
        InputError: the market or model is unknown or ambiguous (one line).
    """
    from channelkg.render.network import to_networkx

    idx = index or Index.of(kg)
    resolve_market(idx, market)  # fail on a bad name before any work
    if model:
        resolve_models(idx, model)
    res = routes(idx, model, market, on=on)
    tops = set(families(idx))
    band_of = {r.iri: "" if model else _family(idx, r, tops) for r in res.routes}
    drawn = draw_routes(idx, res, band_of, max_nodes)
    from channelkg.render.reading import TriplesOf

    full = projection if projection is not None else to_networkx(
        TriplesOf.of(_triples_for(idx, res, drawn.routes)))
    builder = _Builder(idx, full)
    band_labels, lane_band = _add_bands(builder, idx, res, drawn.routes, band_of)
    for n in builder.nodes.values():
        builder.graph.add_node(n.key, **n.attrs)
    builder.rekey()
    laid = builder.layout(band_labels, lane_band)
    states = {s: sum(1 for r in builder.routes if r["state"] == s) for s, *_ in STATES}
    channels = {
        "market": shorten(res.market) if res.market else None,
        "model": shorten(res.model) if res.model else None,
        "on": on.isoformat() if on and as_of else None,
        "columns": laid["columns"],
        "box": BOX_WIDTH,
        "bands": laid["bands"],
        "routes": builder.routes,
        "states": [{"id": s, "label": lab, "color": c, "dashes": d, "count": states[s]}
                   for s, lab, c, d in STATES],
        "empty": not res.routes,
    }
    if drawn.capped:
        channels["drawn"] = {"routes": len(drawn.routes), "of": drawn.total_routes,
                             "nodes": drawn.nodes, "nodesOf": drawn.total_nodes}
        builder.graph.graph["drawn_routes"] = drawn.note()  # what the CLI says on stderr
    title = _title(idx, res, as_of) + (f" ({drawn.note()})" if drawn.capped else "")
    return ChannelMap(title, builder.graph, laid["positions"], channels, res, drawn.note())


__all__ = [
    "BOX_WIDTH",
    "COLUMNS",
    "FAN",
    "FONT",
    "MARGIN",
    "STATES",
    "ChannelMap",
    "Drawn",
    "band_count",
    "box_height",
    "channel_map",
    "closing_restrictions",
    "draw_routes",
    "restriction_date",
    "route_cells",
    "route_state",
]
