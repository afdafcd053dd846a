"""Time: the graph as it stood on a date, what changed between two dates, a timeline.

Visibility rule (used by ``--as-of D``, :func:`diff` and :func:`timeline`)
--------------------------------------------------------------------------
A *dated fact* is any node with ``ckg:validFrom``, ``ckg:validTo`` or
``ckg:statedOn`` (in practice a ``ckg:Claim``). It is visible on day ``D`` when

* ``validFrom <= D`` (or it has no ``validFrom``), and
* ``D < validTo`` (or it has no ``validTo``; ``validTo`` is exclusive), and
* when it has no ``validFrom``: ``statedOn <= D`` (or no ``statedOn``).

So the as-of view is *the world as it stood on D, as the graph knows it today*:
a claim that gives its own start date (``validFrom``) is shown from that date,
even if the source said so later (a 2026 article reporting a 2023 deal puts the
deal in the 2024 view). A claim with only a statement date is known from that
date onward. Undated facts (``ckg:snapshot true``, entities, sources) are
timeless and always visible.

Pass ``known=True`` to :func:`as_of` for the stricter *what had been said by D*
view, which also hides every claim whose ``statedOn`` is after ``D``.

Hiding a fact removes every triple whose subject it is and every triple that
points to it (e.g. ``ckg:dependsOn``, ``ckg:blocks``, ``ckg:supersededBy``).
A month- or year-precision date (``ckg:datePrecision``) takes effect on the first
day after its month or year, in all three.
The rule itself lives in :mod:`channelkg.graph.validity`; the input graph is never
modified: :func:`as_of` returns a view of it (:mod:`channelkg.graph.asof`).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Union

from rdflib import Graph, URIRef
from rdflib.namespace import DCTERMS, PROV, RDF, RDFS
from rdflib.term import Node

from channelkg.errors import InputError
from channelkg.graph.memory import KnowledgeGraph, new_rdflib_graph
from channelkg.graph.validity import (
    DATING_PROPS,
    Dates,
    effective,
    fact_dates,
    hidden_nodes,
)
from channelkg.model.dates import parse_date
from channelkg.model.labels import pick
from channelkg.rdf.namespaces import CKG
from channelkg.rdf.terms import display, subclass_closure, to_oxigraph

if TYPE_CHECKING:
    from channelkg.analysis.index import Index, IndexGraph

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

#: What fact descriptions are read from: a copy of the fact triples (:func:`fact_graph`)
#: or the graph itself through an index (:func:`fact_index`).
FactGraph = Union[Graph, "IndexGraph"]


def hidden_facts(kg: KnowledgeGraph, day: dt.date, *, known: bool = False) -> set[Node]:
    """The dated facts that are not visible on ``day``."""
    dated = [t for p in DATING_PROPS for t in kg.triples(None, p, None)]
    return hidden_nodes(fact_dates(dated), day, known=known)


def as_of(kg: KnowledgeGraph, date_str: str, *, known: bool = False) -> KnowledgeGraph:
    """Return the view of ``kg`` showing only what is visible on ``date_str`` (no copy).

    Args:
        kg: the loaded graph (not modified).
        date_str: ``YYYY-MM-DD``.
        known: also hide claims stated after the date ("what had been said by then").

    Raises:
        InputError: the date is not ``YYYY-MM-DD`` (exit code 2).
    """
    return kg.visible_on(parse_date(date_str, "--as-of"), known=known)


# ---------------------------------------------------------------------------
# Fact descriptions shared by diff, timeline and explain
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class FactInfo:
    """What the graph says about one fact: class, status, dates, statement, sources."""

    node: Node
    classes: tuple[str, ...]
    status: str
    dates: Dates
    statement: str
    sources: tuple[str, ...]
    superseded_by: tuple[Node, ...] = ()
    conflicts_with: tuple[Node, ...] = ()
    extra: dict[str, str] = field(default_factory=dict, compare=False)


@lru_cache(maxsize=1 << 16)
def _local(node: Node | None) -> str:
    if node is None:
        return ""
    text = display(node)
    return text.split(":", 1)[1] if text.startswith("ckg:") else text


def _text(graph: FactGraph, node: Node, pred: URIRef) -> str:
    """The value of ``pred`` chosen by the label policy's language order, or ``""``."""
    vals = list(graph.objects(node, pred))
    text = pick(vals)
    return text if text is not None else (min(map(str, vals)) if vals else "")


def source_text(graph: FactGraph, src: Node) -> str:
    """``title (publisher, date) url`` of a source, or its IRI when it has no title."""
    return _source_line(lambda p: _text(graph, src, p), display(src))


def _source_line(text: Callable[[URIRef], str], name: str) -> str:
    from channelkg.rdf.namespaces import SCHEMA

    bits = [b for b in (text(DCTERMS.publisher), text(DCTERMS.date)) if b]
    url = text(SCHEMA.url)
    return ((text(DCTERMS.title) or name) + (f" ({', '.join(bits)})" if bits else "")
            + (f" {url}" if url else ""))


def fact_info(graph: FactGraph, node: Node,
              source_texts: dict[Node, str] | None = None,
              known_dates: dict[Node, Dates] | None = None) -> FactInfo:
    """Describe one fact (or any node) from an rdflib graph or an :class:`IndexGraph`.

    ``source_texts`` keeps each source's text once computed (a source shared by many
    facts is described once); ``known_dates``, the dates of every dated fact of the graph
    (as :func:`diff` reads them), saves reading the node's dates again.
    """
    if source_texts is None:
        source_texts = {}

    def src_text(src: Node) -> str:
        got = source_texts.get(src)
        if got is None:
            got = source_texts[src] = source_text(graph, src)
        return got

    classes = tuple(sorted(_local(c) for c in graph.objects(node, RDF.type)))
    status = ", ".join(sorted(_local(s) for s in graph.objects(node, CKG.status)))
    dates = known_dates if known_dates is not None else fact_dates(
        (node, p, o) for p in DATING_PROPS for o in graph.objects(node, p))
    statement = _text(graph, node, RDFS.comment) or _text(graph, node, RDFS.label)
    sources = tuple(
        sorted(src_text(s) for s in graph.objects(node, PROV.wasDerivedFrom))
    )
    sup = tuple(sorted(graph.objects(node, CKG.supersededBy), key=str))
    conf = set(graph.objects(node, CKG.conflictsWith)) | set(
        graph.subjects(CKG.conflictsWith, node)
    )
    return FactInfo(
        node,
        classes,
        status,
        dates.get(node, Dates()),
        statement,
        sources,
        sup,
        tuple(sorted(conf, key=str)),
        {"factId": _text(graph, node, CKG.factId)},
    )


def _ox_fact_info(idx: Index, onode: Any, source_texts: dict[Any, str],
                  known_dates: dict[Node, Dates],
                  conflicts_up: dict[Any, list[Any]] | None = None) -> FactInfo:
    """:func:`fact_info` of a fact given as a pyoxigraph term, read with one pattern: only
    the values a description shows are turned into rdflib terms. ``conflicts_up``, the
    subjects of every ``ckg:conflictsWith`` triple by object, saves a lookup per fact;
    without it the facts that contradict this one are not read (``conflicts_with`` is
    empty: :func:`timeline` does not show them)."""
    from channelkg.analysis.index import read_node

    term = idx._term
    node = term(onode)
    raw, values, text = read_node(idx, onode)

    def src_text(src: Any) -> str:
        got = source_texts.get(src)
        if got is None:
            got = source_texts[src] = _source_line(read_node(idx, src)[2], display(term(src)))
        return got

    conf = set(values(CKG.conflictsWith))
    if conflicts_up is not None:
        conf.update(term(n) for n in conflicts_up.get(onode, ()))
    return FactInfo(
        node,
        tuple(sorted(_local(c) for c in values(RDF.type))),
        ", ".join(sorted(_local(s) for s in values(CKG.status))),
        known_dates.get(node, Dates()),
        text(RDFS.comment) or text(RDFS.label),
        tuple(sorted(src_text(s) for s in dict.fromkeys(raw(PROV.wasDerivedFrom)))),
        tuple(sorted(values(CKG.supersededBy), key=str)),
        tuple(sorted(conf, key=str)),
        {"factId": text(CKG.factId)},
    )


def claim_classes(graph: Graph) -> set[Node]:
    """``ckg:Claim`` and all its subclasses declared in the graph (``rdfs:subClassOf``)."""
    return subclass_closure(graph, CKG.Claim)


#: What diff and timeline read about facts (the rest of the graph is not copied).
FACT_PREDICATES = (
    RDF.type, RDFS.label, RDFS.comment, CKG.status, CKG.statedOn, CKG.validFrom, CKG.validTo,
    CKG.datePrecision, CKG.factId, CKG.supersededBy, CKG.conflictsWith, CKG.market, CKG.isoCode,
    PROV.wasDerivedFrom, DCTERMS.title, DCTERMS.publisher, DCTERMS.date,
    URIRef("https://schema.org/url"),
    CKG.party, CKG.seller, CKG.imposedBy, CKG.assessedEntity, CKG.appliesTo, CKG.about,
    CKG.model, CKG.service, CKG.developer, CKG.provider, CKG.operator,
)


def fact_graph(kg: KnowledgeGraph, predicates: Iterable[URIRef] = FACT_PREDICATES) -> Graph:
    """An rdflib graph with only the triples of ``predicates``.

    Each predicate is read with the backend's index instead of copying the whole
    graph, which keeps diff and timeline fast on large graphs.
    """
    g = new_rdflib_graph()
    for p in set(predicates):
        for t in kg.triples(None, p, None):
            g.add(t)
    return g


def dated_facts(graph: Graph) -> dict[Node, Dates]:
    """Every dated fact of an rdflib graph with its dates."""
    return fact_dates(t for p in DATING_PROPS for t in graph.triples((None, p, None)))


def fact_index(kg: KnowledgeGraph) -> tuple[Index, IndexGraph]:
    """The graph read through an :class:`~channelkg.analysis.index.Index` (nothing copied:
    each fact is read with one pattern when it is described), for diff and timeline.
    They read the graph's own (pyoxigraph) terms through ``idx.kg``: the dates with one
    pattern per dating property, each fact to show with one pattern, and turn into
    rdflib terms only what they show."""
    from channelkg.analysis.index import Index, IndexGraph

    idx = Index.of(kg)
    return idx, IndexGraph(idx)


# ---------------------------------------------------------------------------
# diff
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    """One fact that started, ended or changed status between two dates."""

    change: str  # "started" | "ended" | "status"
    date: str  # when it happened, if the graph says
    fact: Node
    cls: str
    before: str
    after: str
    statement: str
    sources: str
    #: the day the change takes effect (the date at its precision may read earlier)
    effective: dt.date | None = field(default=None, compare=False)

    def row(self) -> list[str]:
        return [
            self.change,
            self.date,
            display(self.fact),
            self.cls,
            self.before,
            self.after,
            self.statement,
            self.sources,
        ]


CHANGE_HEADERS = ["change", "date", "fact", "class", "before", "after", "statement", "sources"]


def effective_status(
    info: FactInfo, visible: set[Node], dates: dict[Node, Dates], day: dt.date
) -> str:
    """The status of a fact as it stood on ``day``.

    A fact recorded as ``superseded`` (``disputed``) reads so only once a claim that
    supersedes (contradicts) it is visible; before that it reads ``not yet superseded``
    (``not yet disputed``). Other statuses are as recorded: a conflict makes a claim
    disputed only where the graph says so.
    """
    if info.node not in visible:
        return "absent"
    if info.status == "superseded" and info.superseded_by:
        return "superseded" if any(n in visible for n in info.superseded_by) else (
            "not yet superseded")
    if info.status == "disputed" and info.conflicts_with:
        return "disputed" if any(n in visible for n in info.conflicts_with) else (
            "not yet disputed")
    return info.status


def _main_class(info: FactInfo) -> str:
    specific = [c for c in info.classes if c != "Claim"]
    return (specific or list(info.classes) or [""])[0]


def _shown(effective_day: dt.date | None, d: Dates) -> str:
    """The stored date behind an effective day, at the fact's precision."""
    if effective_day is None:
        return ""
    for stored in (d.valid_from, d.valid_to, d.stated_on):
        if stored is not None and effective(stored, d.precision) == effective_day:
            return d.show(stored)
    return effective_day.isoformat()


def diff(kg: KnowledgeGraph, date_from: str, date_to: str, *,
         market: str | None = None) -> list[Change]:
    """Facts that started, ended or changed status between two dates.

    Args:
        kg: the graph (not an as-of view: the function looks at both dates itself).
        date_from: ``YYYY-MM-DD`` (the earlier date).
        date_to: ``YYYY-MM-DD`` (the later date).
        market: only facts about this market (``ckg:market``; any name the resolver takes).

    Returns:
        Changes sorted by date, then fact.
    """
    d1 = parse_date(date_from, "--from")
    d2 = parse_date(date_to, "--to")
    if d2 < d1:
        raise InputError(f"--to {d2} is before --from {d1}")
    import pyoxigraph as ox

    from channelkg.analysis.index import ox_dates, ox_links

    idx = fact_index(kg)[0]
    store = idx.kg
    # The rule is applied to pyoxigraph terms, read with one pattern per property; only the
    # facts that change (and the facts that can supersede or dispute them) are turned into
    # rdflib terms and described.
    sup = ox_links(store, CKG.supersededBy)[0]
    conf_down, conf_up = ox_links(store, CKG.conflictsWith)

    def near_of(n: Any) -> tuple[Any, ...]:
        return (*sup.get(n, ()), *conf_down.get(n, ()), *conf_up.get(n, ()))

    if market is None:
        odates = ox_dates(store)
        nodes: Iterable[Any] = odates
    else:
        from channelkg.model.resolve import resolve_in

        m = to_oxigraph(resolve_in(kg, market, "market"))
        about = list(dict.fromkeys(
            t[0] for t in store.ox_triples(None, ox.NamedNode(str(CKG.market)), m)))
        # Only the market's facts and the facts that can supersede or dispute them are read.
        odates = ox_dates(store, set(about).union(*(near_of(n) for n in about)))
        nodes = [n for n in about if n in odates]
    vis1 = {n for n, d in odates.items() if d.visible(d1)}
    vis2 = {n for n, d in odates.items() if d.visible(d2)}
    status_of = ox_links(store, CKG.status)[0]
    term = idx._term
    # Only a fact whose visibility differs, or a superseded or disputed one whose
    # superseding or contradicting facts are visible on one date only, changes.
    changing: list[Any] = []
    for node in nodes:
        if (node in vis1) != (node in vis2):
            changing.append(node)
        elif node in vis1:
            status = ", ".join(sorted(_local(term(s)) for s in status_of.get(node, ())))
            causes = (sup.get(node, []) if status == "superseded" else [
                *conf_down.get(node, ()), *conf_up.get(node, ())] if status == "disputed" else [])
            if causes and any(c in vis1 for c in causes) != any(c in vis2 for c in causes):
                changing.append(node)
    touched = set(changing).union(*(near_of(n) for n in changing))
    dates = {term(n): odates[n] for n in touched if n in odates}
    rvis1 = {term(n) for n in touched if n in vis1}
    rvis2 = {term(n) for n in touched if n in vis2}
    texts: dict[Any, str] = {}
    out: list[Change] = []
    for onode in changing:
        info = _ox_fact_info(idx, onode, texts, dates, conf_up)
        got = change_of(info, rvis1, rvis2, dates, d1, d2)
        if got is not None:
            out.append(got)
    out.sort(key=lambda c: (c.effective or dt.date.max, c.change, str(c.fact)))
    return out


def change_of(info: FactInfo, vis1: set[Node], vis2: set[Node], dates: dict[Node, Dates],
              d1: dt.date, d2: dt.date) -> Change | None:
    """How one fact changed between ``d1`` (facts visible: ``vis1``) and ``d2``, if it did."""
    before = effective_status(info, vis1, dates, d1)
    after = effective_status(info, vis2, dates, d2)
    d = info.dates
    shown_by = d
    if before == "absent" and after != "absent":
        kind = "started"
        when = d.start if d.start and d.start > d1 else d.stated
    elif before != "absent" and after == "absent":
        kind = "ended"
        when = d.end
    elif before != after:
        kind = "status"
        causes = [dates[n] for n in (*info.superseded_by, *info.conflicts_with)
                  if n in vis2 and n in dates]
        starts = [(c.start or c.stated, c) for c in causes if (c.start or c.stated)]
        first = min(((s, c) for s, c in starts if s is not None and s > d1),
                    key=lambda sc: sc[0], default=None)
        when, shown_by = first if first else (None, d)
    else:
        return None
    return Change(
        kind,
        _shown(when, shown_by),
        info.node,
        _main_class(info),
        before,
        after,
        info.statement,
        "; ".join(info.sources),
        when,
    )


# ---------------------------------------------------------------------------
# timeline
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Event:
    """A dated event of a fact: it was stated, it started, or it ended."""

    date: str
    event: str  # "stated" | "started" | "ended"
    fact: Node
    cls: str
    status: str
    statement: str
    sources: str
    #: the day the event takes effect (the date at its precision may read earlier)
    effective: dt.date | None = field(default=None, compare=False)

    def row(self) -> list[str]:
        return [
            self.date,
            self.event,
            display(self.fact),
            self.cls,
            self.status,
            self.statement,
            self.sources,
        ]


EVENT_HEADERS = ["date", "event", "claim", "class", "status", "statement", "source"]
_EVENT_ORDER = {"ended": 0, "started": 1, "stated": 2}

# Properties that link a fact to the organizations it involves (directly, or
# through its model's developer or its service's provider and operator).
_ORG_LINKS = (CKG.party, CKG.seller, CKG.imposedBy, CKG.assessedEntity, CKG.appliesTo, CKG.about)
_VIA = ((CKG.model, CKG.developer), (CKG.service, CKG.provider), (CKG.service, CKG.operator))


def resolve_market(kg: KnowledgeGraph, value: str) -> URIRef:
    """A market by the one resolver (:func:`channelkg.model.resolve.resolve`)."""
    from channelkg.model.resolve import resolve_in

    return resolve_in(kg, value, "market")


def involves(graph: FactGraph, fact: Node, org: Node) -> bool:
    """True if the fact names ``org`` directly or through its model or service."""
    for p in _ORG_LINKS:
        if (fact, p, org) in graph:
            return True
    for first, second in _VIA:
        for mid in graph.objects(fact, first):
            if (mid, second, org) in graph:
                return True
    return False


def involving(idx: Index, org: Node) -> set[Node]:
    """Every node that :func:`involves` ``org``, found from ``org`` (a few patterns)."""
    found = {f for p in _ORG_LINKS for f in idx.subjects(p, org)}
    for first, second in _VIA:
        for mid in idx.subjects(second, org):
            found.update(idx.subjects(first, mid))
    return found


def timeline(
    kg: KnowledgeGraph,
    *,
    market: str | None = None,
    provider: str | None = None,
    date_from: str | None = None,
    date_to: str | None = None,
) -> list[Event]:
    """Every dated event (stated, started, ended) in date order.

    A month- or year-precision date takes effect on the first day after its period
    (:mod:`channelkg.graph.validity`): its event is filtered and ordered by that day and
    printed at its precision (``2024-06``), so it follows the day-precise events of June.

    Args:
        kg: the graph.
        market: only facts about this market (ISO code, slug, CURIE or IRI).
        provider: only facts that involve this organization.
        date_from: only events on or after this date.
        date_to: only events before this date.
    """
    from channelkg.analysis.index import ox_dates

    idx = fact_index(kg)[0]
    lo = parse_date(date_from, "--from") if date_from is not None else None
    hi = parse_date(date_to, "--to") if date_to is not None else None
    if lo is not None and hi is not None and hi < lo:
        raise InputError(f"--to {hi} is before --from {lo}")
    m = org = None
    if market or provider:
        from channelkg.model.resolve import resolve_in

        m = resolve_in(kg, market, "market") if market else None
        org = resolve_in(kg, provider, "organization") if provider else None
    # With --market or --provider only the facts about it are read, else every dated fact.
    # The dates are read as pyoxigraph terms (three patterns, or three lookups per chosen
    # fact); only the dated facts are turned into rdflib terms.
    store = idx.kg
    if m is None and org is None:
        odates = ox_dates(store)
    else:
        chosen = set(idx.subjects(CKG.market, m)) if m is not None else None
        if org is not None:
            near = involving(idx, org)
            chosen = near if chosen is None else chosen & near
        odates = ox_dates(store, [to_oxigraph(n) for n in chosen or ()])
    term = idx._term
    dates = {term(n): d for n, d in odates.items()}
    texts: dict[Any, str] = {}
    events: list[Event] = []
    for onode in odates:
        info = _ox_fact_info(idx, onode, texts, dates)
        node, d = info.node, info.dates
        sources = "; ".join(info.sources)
        marks = (("stated", d.stated_on), ("started", d.valid_from), ("ended", d.valid_to))
        for kind, stored in marks:
            day = effective(stored, d.precision)
            if day is None or (lo and day < lo) or (hi and day >= hi):
                continue
            events.append(
                Event(
                    d.show(stored),
                    kind,
                    node,
                    _main_class(info),
                    info.status,
                    info.statement,
                    sources,
                    day,
                )
            )
    events.sort(key=lambda e: (e.effective, _EVENT_ORDER[e.event], str(e.fact)))
    return events


__all__ = [
    "CHANGE_HEADERS",
    "EVENT_HEADERS",
    "Change",
    "Dates",
    "Event",
    "FactInfo",
    "as_of",
    "diff",
    "fact_info",
    "hidden_facts",
    "parse_date",
    "timeline",
]
