"""Channel analytics: routes into a market, single points of failure, what-if scenarios.

The functions read a :class:`~channelkg.store.KnowledgeGraph` (any engine) once into
an in-memory :class:`Index` and answer from it; nothing is ever written back.

* :func:`routes` lists every access route by which a model (a model, a family or all
  models of a developer) reaches a market, with its status, dates, sources and the
  restrictions that bear on it.
* :func:`single_points_of_failure` projects the open routes into a directed
  *channel graph* (networkx) from the model family to the market, through each
  route's partnerships, seller, service provider, service and local operator, and
  returns the nodes that dominate the market (``nx.immediate_dominators``): the
  organizations, partnerships and services without which the market loses the family.
* :func:`whatif` applies a :class:`Scenario` (end a partnership, add a restriction,
  block a service, remove an organization, lift a restriction) to the open-route set
  and reports which markets lose or gain which models.

A route is *open* on a day when it says ``ckg:open true``, its status is not
``superseded``, the day lies in ``[validFrom, validTo)`` where those are given, no
restriction in force on that day ``ckg:blocks`` it, and every partnership it
``ckg:dependsOn`` holds on that day (same test as for the route).
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from rdflib import BNode, Literal, URIRef
from rdflib.namespace import DCTERMS, PROV, RDF, RDFS, SKOS
from rdflib.term import Node

from channelkg.errors import InputError
from channelkg.graph.memory import KnowledgeGraph
from channelkg.rdf.namespaces import CKG, SCHEMA
from channelkg.rdf.terms import display, expand, shorten, subclass_closure

if TYPE_CHECKING:
    import networkx as nx

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


# ---------------------------------------------------------------------------
# Index
# ---------------------------------------------------------------------------


class Index:
    """All triples of a graph in dictionaries, with label and class helpers."""

    def __init__(self, triples: Iterable[tuple[Any, Any, Any]]) -> None:
        self.spo: dict[Node, dict[Node, list[Node]]] = defaultdict(lambda: defaultdict(list))
        self.pos: dict[Node, dict[Node, list[Node]]] = defaultdict(lambda: defaultdict(list))
        for s, p, o in triples:
            if o not in self.spo[s][p]:
                self.spo[s][p].append(o)
                self.pos[p][o].append(s)
        self._sub: dict[Node, set[Node]] | None = None

    @classmethod
    def of(cls, kg: KnowledgeGraph | Index) -> Index:
        """Index a knowledge graph (an :class:`Index` is returned as is)."""
        if isinstance(kg, Index):
            return kg
        return cls(kg.triples())

    def objects(self, s: Node, p: Node) -> list[Node]:
        return list(self.spo.get(s, {}).get(p, ()))

    def value(self, s: Node, p: Node) -> Node | None:
        vals = self.spo.get(s, {}).get(p)
        return vals[0] if vals else None

    def subjects(self, p: Node, o: Node) -> list[Node]:
        return list(self.pos.get(p, {}).get(o, ()))

    def has_subject(self, s: Node) -> bool:
        return s in self.spo

    def subclasses(self, cls: Node) -> set[Node]:
        """``cls`` and every class below it (``rdfs:subClassOf*``)."""
        return subclass_closure(self, cls)

    def instances(self, cls: Node) -> list[Node]:
        """Instances of ``cls`` or of its subclasses, sorted."""
        found: set[Node] = set()
        for c in self.subclasses(cls):
            found.update(self.subjects(RDF.type, c))
        return sorted(found, key=str)

    def is_a(self, node: Node, cls: Node) -> bool:
        classes = self.subclasses(cls)
        return any(t in classes for t in self.objects(node, RDF.type))

    def label(self, node: Node | None, lang: str = "en") -> str:
        """The best human label: ``rdfs:label``/``skos:prefLabel`` in ``lang``, else any."""
        if node is None:
            return ""
        if not isinstance(node, URIRef | BNode):
            return str(node)
        cands = self.objects(node, RDFS.label) + self.objects(node, SKOS.prefLabel)
        for c in cands:
            if isinstance(c, Literal) and c.language == lang:
                return str(c)
        for c in cands:
            if isinstance(c, Literal) and not c.language:
                return str(c)
        if cands:
            return str(cands[0])
        title = self.value(node, DCTERMS.title)
        if title is not None:
            return str(title)
        parties = self.objects(node, CKG.party)
        if parties:  # an unlabelled partnership: "A – B (kind)"
            names = " – ".join(sorted(self.label(p, lang) for p in parties))
            kind = self.value(node, CKG.kind)
            return f"{names} ({self.label(kind, lang)})" if kind is not None else names
        return display(node)

    def date(self, node: Node, p: Node) -> dt.date | None:
        v = self.value(node, p)
        if v is None:
            return None
        try:
            return dt.date.fromisoformat(str(v)[:10])
        except ValueError:
            return None

    def boolean(self, node: Node, p: Node) -> bool | None:
        v = self.value(node, p)
        if v is None:
            return None
        return str(v).strip().lower() in ("true", "1")


# ---------------------------------------------------------------------------
# Resolving names
# ---------------------------------------------------------------------------

_LABEL_PROPS = (RDFS.label, SKOS.prefLabel, SKOS.altLabel, CKG.isoCode, CKG.factId)


def resolve(idx: Index, text: str, classes: Sequence[Node] = (), what: str = "entity") -> URIRef:
    """Resolve a slug, CURIE, IRI, label, ISO code or fact id to an IRI of the graph.

    Args:
        idx: the indexed graph.
        text: what the user typed, e.g. ``gpt``, ``kgid:gpt``, ``"GPT"``, ``CN``.
        classes: acceptable classes (any of them, subclasses included); empty = any.
        what: a word for error messages ("model", "market" ...).

    Raises:
        InputError: nothing matches, or several entities share the label.
    """
    text = text.strip()
    if not text:
        raise InputError(f"empty {what} name")

    def fits(node: Node) -> bool:
        return not classes or any(idx.is_a(node, c) for c in classes)

    try:
        iri: URIRef | None = expand(text)
    except ValueError:
        iri = None
    if iri is not None and idx.has_subject(iri) and fits(iri):
        return iri
    folded = text.casefold()
    matches: set[Node] = set()
    for p in _LABEL_PROPS:
        for o, subs in idx.pos.get(p, {}).items():
            if isinstance(o, Literal) and str(o).casefold() == folded:
                matches.update(s for s in subs if isinstance(s, URIRef) and fits(s))
    if len(matches) == 1:
        return matches.pop()  # type: ignore[return-value]
    if len(matches) > 1:
        names = ", ".join(sorted(shorten(str(m)) for m in matches))
        raise InputError(f"{what} {text!r} is ambiguous: {names}")
    # Close matches among the acceptable entities: their slugs, labels, ISO codes and the
    # words of their labels, compared case-blind; each suggested by label and slug.
    pool: dict[str, str] = {}
    for c in classes or ():
        for inst in idx.instances(c):
            if isinstance(inst, URIRef):
                slug = shorten(str(inst)).split(":", 1)[-1]
                label = idx.label(inst)
                shown = label if label.casefold() == slug.casefold() else f"{label} ({slug})"
                keys = [slug, label,
                        *(w for w in re.split(r"[\s()/,–-]+", label) if len(w) >= 4),
                        *(str(o) for o in idx.objects(inst, CKG.isoCode))]
                for key in keys:
                    pool.setdefault(key.casefold(), shown)
    close = difflib.get_close_matches(folded, list(pool), n=6, cutoff=0.6)
    names = list(dict.fromkeys(pool[k] for k in close))[:3]
    hint = f" (did you mean {', '.join(names)}?)" if names else ""
    if iri is not None and idx.has_subject(iri):
        raise InputError(f"{shorten(str(iri))} is not a {what}{hint}")
    raise InputError(f"unknown {what} {text!r}{hint}")


def resolve_models(idx: Index, text: str) -> tuple[URIRef, list[URIRef]]:
    """Resolve ``--model``: a model, a family (``ckg:family``) or a developer.

    Returns the resolved IRI and the models it stands for: the model with every
    member of its family (transitively) and the families it belongs to; for a
    developer, all its models and their members.
    """
    node = resolve(idx, text, (CKG.Model, CKG.Organization), "model, family or developer")
    if idx.is_a(node, CKG.Model):
        seeds = [node]
    else:
        seeds = [m for m in idx.subjects(CKG.developer, node) if isinstance(m, URIRef)]
        if not seeds:
            raise InputError(f"{shorten(str(node))} develops no model in the graph")
    out: set[URIRef] = set()
    for seed in seeds:
        out.update(_family_closure(idx, seed, down=True))
        if idx.is_a(node, CKG.Model):
            out.update(_family_closure(idx, seed, down=False))
    return node, sorted(out, key=str)


def _family_closure(idx: Index, model: URIRef, down: bool) -> set[URIRef]:
    out = {model}
    todo = [model]
    while todo:
        m = todo.pop()
        nxt = idx.subjects(CKG.family, m) if down else idx.objects(m, CKG.family)
        for n in nxt:
            if isinstance(n, URIRef) and n not in out:
                out.add(n)
                todo.append(n)
    return out


def resolve_market(idx: Index, text: str) -> tuple[URIRef, list[URIRef]]:
    """Resolve ``--market`` (ISO code, slug, CURIE or label) to the market and its parts."""
    node = resolve(idx, text, (CKG.Market,), "market")
    out = {node}
    todo = [node]
    while todo:
        m = todo.pop()
        for part in idx.subjects(CKG.partOf, m):
            if isinstance(part, URIRef) and part not in out:
                out.add(part)
                todo.append(part)
    return node, sorted(out, key=str)


def families(idx: Index) -> list[URIRef]:
    """Top-level model families: models that belong to no other family."""
    return [
        m for m in idx.instances(CKG.Model)
        if isinstance(m, URIRef) and not idx.objects(m, CKG.family)
    ]


# ---------------------------------------------------------------------------
# Records
# ---------------------------------------------------------------------------


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
        }


def _s(node: Node | None) -> str:
    return "" if node is None else str(node)


def source_ref(idx: Index, src: Node) -> SourceRef:
    """The :class:`SourceRef` of one ``ckg:Source`` node."""
    publisher = idx.value(src, DCTERMS.publisher)
    return SourceRef(
        iri=str(src),
        title=_s(idx.value(src, DCTERMS.title)) or idx.label(src),
        url=_s(idx.value(src, SCHEMA.url)),
        date=_s(idx.value(src, DCTERMS.date)),
        publisher=idx.label(publisher) if publisher is not None else "",
    )


def source_refs(idx: Index, claim: Node) -> tuple[SourceRef, ...]:
    """The sources of a claim, sorted by date then title."""
    out = [source_ref(idx, src) for src in idx.objects(claim, PROV.wasDerivedFrom)]
    return tuple(sorted(out, key=lambda s: (s.date, s.title, s.iri)))


def in_force(idx: Index, claim: Node, on: dt.date) -> bool:
    """True when the claim holds on ``on``: not superseded and ``validFrom <= on < validTo``."""
    if idx.value(claim, CKG.status) == CKG.superseded:
        return False
    start, end = idx.date(claim, CKG.validFrom), idx.date(claim, CKG.validTo)
    if start is not None and on < start:
        return False
    return not (end is not None and on >= end)


def _date(idx: Index, node: Node, p: Node) -> str:
    v = idx.value(node, p)
    return "" if v is None else str(v)


def route_record(idx: Index, r: Node, on: dt.date | None = None) -> Route:
    """Build the :class:`Route` record of one ``ckg:AccessRoute`` node."""
    on = on or dt.date.today()
    models = [m for m in idx.objects(r, CKG.model)]
    market = idx.value(r, CKG.market)
    service = idx.value(r, CKG.service)
    sellers = idx.objects(r, CKG.seller)
    provider = idx.value(service, CKG.provider) if service is not None else None
    operator = idx.value(service, CKG.operator) if service is not None else None
    deps = idx.objects(r, CKG.dependsOn)
    # Restrictions that bear on the route.
    targets: dict[Node, str] = {}
    for t, why in ((service, "service"), (provider, "service provider"),
                   (operator, "operator")):
        if t is not None:
            targets.setdefault(t, why)
    for m in models:
        for fam in _family_closure(idx, m, down=False):  # type: ignore[arg-type]
            targets.setdefault(fam, "model")
    for s in sellers:
        targets.setdefault(s, "seller")
    rels: dict[Node, str] = {}
    for res in idx.subjects(CKG.blocks, r):
        rels[res] = "blocks"
    for t, why in targets.items():
        for res in idx.subjects(CKG.appliesTo, t):
            if res in rels or not idx.is_a(res, CKG.Restriction):
                continue
            mkts = idx.objects(res, CKG.market)
            if mkts and market not in mkts:
                continue
            rels[res] = f"applies to {why} {idx.label(t)}"
    restrictions = []
    blocked = False
    for res, rel in rels.items():
        force = in_force(idx, res, on)
        if rel == "blocks" and force:
            blocked = True
        restrictions.append(
            RestrictionRef(
                iri=str(res),
                label=_s(idx.value(res, RDFS.comment)) or idx.label(res),
                kind=idx.label(idx.value(res, CKG.kind)),
                imposed_by=", ".join(idx.label(o) for o in idx.objects(res, CKG.imposedBy)),
                status=idx.label(idx.value(res, CKG.status)),
                valid_from=_date(idx, res, CKG.validFrom),
                valid_to=_date(idx, res, CKG.validTo),
                stated_on=_date(idx, res, CKG.statedOn),
                relation=rel,
                in_force=force,
                sources=source_refs(idx, res),
            )
        )
    restrictions.sort(key=lambda x: (x.relation != "blocks", x.valid_from, x.iri))
    declared = bool(idx.boolean(r, CKG.open))
    ended = [p for p in deps if not in_force(idx, p, on)]  # a partnership ends: route closes
    route_holds = in_force(idx, r, on)
    is_open = declared and route_holds and not blocked and not ended
    why_closed = ""
    if declared and not is_open:
        why_closed = ("blocked" if blocked else "not in force" if not route_holds
                      else "partnership " + ", ".join(shorten(str(p)) for p in ended)
                      + " not in force")
    kind = idx.value(r, CKG.kind)
    status = idx.value(r, CKG.status)
    mentioned = [*models, market, service, kind, *sellers, provider, operator, *deps, status]
    labels = {str(x): idx.label(x) for x in mentioned if x is not None}
    return Route(
        iri=str(r),
        statement=_s(idx.value(r, RDFS.comment)),
        fact_id=_s(idx.value(r, CKG.factId)),
        models=tuple(sorted(map(str, models))),
        market=_s(market),
        service=_s(service),
        kind=_s(kind),
        sellers=tuple(sorted(map(str, sellers))),
        provider=_s(provider),
        operator=_s(operator),
        open=is_open,
        declared_open=declared,
        sanctioned=idx.boolean(r, CKG.sanctioned),
        status=_s(status),
        valid_from=_date(idx, r, CKG.validFrom),
        valid_to=_date(idx, r, CKG.validTo),
        stated_on=_date(idx, r, CKG.statedOn),
        depends_on=tuple(sorted(map(str, deps))),
        sources=source_refs(idx, r),
        restrictions=tuple(restrictions),
        conflicts_with=tuple(sorted(str(c) for c in idx.objects(r, CKG.conflictsWith))),
        labels=labels,
        closed_because=why_closed,
    )


# ---------------------------------------------------------------------------
# Routes
# ---------------------------------------------------------------------------


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
               "dates", "restrictions", "sources")

    def rows(self) -> list[list[str]]:
        """One row of display strings per route (for table/csv/md)."""
        out = []
        for r in self.routes:
            dates = "; ".join(
                f"{k} {v}" for k, v in (("from", r.valid_from), ("to", r.valid_to),
                                        ("stated", r.stated_on)) if v
            )
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


def all_routes(idx: Index, on: dt.date | None = None) -> list[Route]:
    """Every access route of the graph as a :class:`Route` record."""
    return [route_record(idx, r, on) for r in idx.instances(CKG.AccessRoute)]


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
    for r in idx.instances(CKG.AccessRoute):
        if kset and idx.value(r, CKG.market) not in kset:
            continue
        if mset and not mset.intersection(idx.objects(r, CKG.model)):
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
# Channel graph and single points of failure
# ---------------------------------------------------------------------------


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
    import networkx as nx

    mset, kset = set(map(str, models)), set(map(str, markets))
    pool = route_set if route_set is not None else all_routes(idx, on)
    open_routes = [
        r for r in pool
        if r.open and r.market in kset and mset.intersection(r.models)
    ]
    labels = {}
    for r in open_routes:
        labels.update(r.labels)
    developers = {
        str(d) for m in models for f in _family_closure(idx, m, down=False)
        for d in idx.objects(f, CKG.developer)
    }
    g = channel_graph(open_routes, labels, exclude=developers)

    def node(n: str) -> CriticalNode:
        return CriticalNode(n, g.nodes[n]["label"], g.nodes[n]["role"])

    critical = [node(n) for n in _dominators(g)]
    cut: list[CriticalNode] = []
    if open_routes and not critical and not g.has_edge(SOURCE, SINK):
        cut = [node(n) for n in sorted(nx.minimum_node_cut(g, SOURCE, SINK))]
    # Corroboration: dependency-risk assessments on a critical node, in this market.
    notes = []
    crit_iris = {URIRef(c.iri) for c in critical} | {family, market}
    for a in idx.instances(CKG.Assessment):
        if idx.value(a, CKG.kind) != CKG.DependencyRisk:
            continue
        if not crit_iris.intersection(idx.objects(a, CKG.assessedEntity)):
            continue
        mk = idx.objects(a, CKG.market)
        if mk and market not in mk:
            continue
        notes.append({
            "assessment": shorten(str(a)),
            "entity": ", ".join(idx.label(e) for e in idx.objects(a, CKG.assessedEntity)),
            "level": _s(idx.value(a, CKG.level)),
            "statement": _s(idx.value(a, RDFS.comment)),
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
    pool = all_routes(idx, on)
    if model:
        node, models = resolve_models(idx, model)
        groups = [(node, models)]
    else:
        groups = [(f, sorted(_family_closure(idx, f, down=True), key=str)) for f in families(idx)]
    out = []
    kset = set(map(str, markets))
    for fam, models in groups:
        mset = set(map(str, models))
        reaches = any(r.market in kset and mset.intersection(r.models) for r in pool)
        if not reaches and model is None:
            continue
        res = analyse_family(idx, fam, models, market_iri, markets, on, pool)
        if res.cut_off and not include_cut_off and model is None:
            continue
        out.append(res)
    out.sort(key=lambda r: (r.family_label.casefold(), r.family))
    return out


# ---------------------------------------------------------------------------
# What-if scenarios
# ---------------------------------------------------------------------------

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
    org_cls = (CKG.Organization,)
    orgs = [str(resolve(idx, v, org_cls, "organization"))
            for k in ("provider", "org") for v in fields.get(k, [])]
    sellers = [str(resolve(idx, v, org_cls, "organization")) for v in fields.get("seller", [])]
    operators = [str(resolve(idx, v, org_cls, "organization")) for v in fields.get("operator", [])]
    models: list[str] = []
    for v in fields.get("model", []) + fields.get("developer", []):
        models.extend(map(str, resolve_models(idx, v)[1]))
    services = [str(resolve(idx, v, (CKG.Service,), "service")) for v in fields.get("service", [])]
    markets: list[str] = []
    for v in fields.get("market", []):
        markets.extend(map(str, resolve_market(idx, v)[1]))
    kind = str(CKG.ProviderBlock)
    if fields.get("kind"):
        kind = str(resolve(idx, fields["kind"][0], (CKG.Kind,), "restriction kind"))
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
    before: tuple[str, ...]
    after: tuple[str, ...]
    developer_label: str = ""

    @property
    def effect(self) -> str:
        if self.before and not self.after:
            return "loses access"
        if self.after and not self.before:
            return "gains access"
        if set(self.after) == set(self.before):
            return "unchanged"
        if len(self.after) < len(self.before):
            return "fewer routes"
        if len(self.after) > len(self.before):
            return "more routes"
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
            [c.market_label, c.model_label, c.developer_label, c.effect, str(len(c.before)),
             str(len(c.after))]
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
                }
                for c in self.changes if c.effect != "unchanged"
            ],
            "closedRoutes": [{"route": shorten(r), "reason": why} for r, why in self.closed],
            "openedRoutes": [{"route": shorten(r), "reason": why} for r, why in self.opened],
        }


def whatif(
    kg: KnowledgeGraph | Index, scenario: Scenario, *, on: dt.date | None = None
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

    Raises:
        InputError: an unknown partnership, organization, service or restriction, or an
            empty scenario.
    """
    if scenario.is_empty():
        raise InputError("empty scenario: give --end, --add-restriction, --block-service, "
                         "--remove or --lift")
    idx = Index.of(kg)
    on = on or dt.date.today()
    pool = all_routes(idx, on)
    ends = {str(resolve(idx, p, (CKG.Partnership,), "partnership")) for p in scenario.end}
    hyps = [parse_restriction(idx, s) for s in scenario.restrictions]
    blocked_services = {str(resolve(idx, s, (CKG.Service,), "service"))
                        for s in scenario.block_services}
    removed = {str(resolve(idx, o, (CKG.Organization,), "organization")) for o in scenario.remove}
    lifted = {str(resolve(idx, x, (CKG.Restriction,), "restriction")) for x in scenario.lift}
    removed_models = {str(m) for o in removed for m in idx.subjects(CKG.developer, URIRef(o))}
    removed_models = {str(x) for m in removed_models
                      for x in _family_closure(idx, URIRef(m), down=True)}
    ended_by_removal = {
        str(p) for o in removed for p in idx.subjects(CKG.party, URIRef(o))
    }
    labels = {}
    for r in pool:
        labels.update(r.labels)

    def reasons_closed(r: Route) -> list[str]:
        why = []
        for p in r.depends_on:
            if p in ends:
                why.append(f"partnership {shorten(p)} ends")
            elif p in ended_by_removal:
                why.append(f"partnership {shorten(p)} ends with its party")
        for h in hyps:
            if h.matches(r):
                why.append(f"restriction {h.spec}")
        if r.service in blocked_services:
            why.append(f"service {shorten(r.service)} blocked")
        on_route = {*r.sellers, r.provider, r.operator}
        for o in sorted(removed & on_route):
            why.append(f"{shorten(o)} removed")
        if removed_models.intersection(r.models):
            why.append("its model's developer removed")
        return why

    closed: list[tuple[str, str]] = []
    opened: list[tuple[str, str]] = []
    after_open: set[str] = set()
    for r in pool:
        if r.open:
            why = reasons_closed(r)
            if why:
                closed.append((r.iri, "; ".join(why)))
            else:
                after_open.add(r.iri)
            continue
        blockers = [x for x in r.restrictions if x.relation == "blocks"]
        liftable = bool(lifted and blockers) and all(x.iri in lifted for x in blockers)
        if liftable and in_force(idx, URIRef(r.iri), on) and not reasons_closed(r):
            after_open.add(r.iri)
            opened.append((r.iri, "lifted " + ", ".join(shorten(x.iri) for x in blockers)))
    before: dict[tuple[str, str], list[str]] = defaultdict(list)
    after: dict[tuple[str, str], list[str]] = defaultdict(list)
    for r in pool:
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
            developer_label=", ".join(sorted({
                idx.label(d) for f in _family_closure(idx, URIRef(m), down=False)
                for d in idx.objects(f, CKG.developer)
            })),
        ))
    order = {"loses access": 0, "gains access": 1, "fewer routes": 2, "more routes": 3,
             "routes change": 4, "unchanged": 5}
    changes.sort(key=lambda c: (order[c.effect], c.market_label, c.model_label))
    desc = (
        [f"end {shorten(p)}" for p in sorted(ends)]
        + [f"add restriction {h.spec}" for h in hyps]
        + [f"block service {shorten(s)}" for s in sorted(blocked_services)]
        + [f"remove {shorten(o)}" for o in sorted(removed)]
        + [f"lift {shorten(x)}" for x in sorted(lifted)]
    )
    return WhatIfResult(
        scenario=tuple(desc),
        changes=tuple(changes),
        closed=tuple(sorted(closed)),
        opened=tuple(sorted(opened)),
        before_routes=tuple(pool),
        after_open=frozenset(after_open),
    )


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
    from channelkg.render.network import subgraph, to_networkx
    from channelkg.render.page import write_html

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


def parse_date(value: str | None, option: str = "") -> dt.date | None:
    """Parse ``YYYY-MM-DD`` (``None`` passes through); raise :class:`InputError` if bad.

    ``option`` names where the value came from (e.g. ``--on``) in the message.
    """
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        where = f"{option} " if option else ""
        raise InputError(f"bad date {where}{value!r}; write YYYY-MM-DD") from None


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
