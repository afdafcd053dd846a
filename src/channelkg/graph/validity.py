"""The visibility rule of dated facts, and the dataset layout that serves it.

Rule (used by ``--as-of D``, ``diff`` and ``timeline``)
-------------------------------------------------------
A *dated fact* is any node with ``ckg:validFrom``, ``ckg:validTo`` or
``ckg:statedOn``. It is visible on day ``D`` when ``validFrom <= D`` (or no
``validFrom``), ``D < validTo`` (or no ``validTo``), and, when it has no
``validFrom`` (or in the stricter *known* mode always), ``statedOn <= D`` (or no
``statedOn``). Hiding a fact hides every triple whose subject or object it is.

Dates with a precision
----------------------
A fact with ``ckg:datePrecision "month"`` (or ``"year"``) stores each of its dates
as the first day of the month (year) its source gives. Such a date takes effect
on the first day *after* that period: ``"2024-06-01"`` at month precision counts as
``2024-07-01`` in the rule above, for ``validFrom``, ``validTo`` and ``statedOn``
alike. So a fact is never shown before its source allows (a June report is not
visible on 2 June, when it may not yet have been written), and an imprecise end
keeps the fact until its period is over. ``diff`` and ``timeline`` use the same
effective dates, and print the date at its precision (``2024-06``, ``2024``).

Layout
------
In the default mode a fact is visible on the days of one interval
(:meth:`Dates.interval`: from ``validFrom``, else ``statedOn``, to ``validTo``), and
a triple on the intersection of its subject's and its object's. An Oxigraph store
keeps the triples that touch dated facts in named graphs keyed by that interval
(:func:`partition`): ``<base>#valid=START/END`` (ISO dates, ``-`` when unbounded).
Every triple sits in exactly one graph, so the union of the graphs is the graph,
and the as-of view of a day is a query whose default graph is the base graphs
plus the keyed graphs whose interval holds the day (:func:`visible_graphs`):
nothing is copied.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Sequence

from channelkg.rdf.namespaces import CKG_NS
from channelkg.record import Record

TYPE_CHECKING = False  # typing is not imported at run time
if TYPE_CHECKING:
    from typing import Any, ClassVar

    import pyoxigraph as ox
    from rdflib.term import Node, URIRef

#: The IRIs of the dates of a fact (no RDF library needed; :data:`DATE_PROPS` are the
#: rdflib terms).
DATE_IRIS = (CKG_NS + "validFrom", CKG_NS + "validTo", CKG_NS + "statedOn")
PRECISION_IRI = CKG_NS + "datePrecision"
#: What the rule reads of a dated fact: its dates and their precision.
DATING_IRIS = (*DATE_IRIS, PRECISION_IRI)
# Made (and rdflib imported) on first use, see __getattr__: declared, never bound at import.
#: :data:`DATE_IRIS` as rdflib terms.
DATE_PROPS: tuple[URIRef, ...]
#: :data:`DATING_IRIS` as rdflib terms.
DATING_PROPS: tuple[URIRef, ...]
#: The precisions a date can have, finest first.
PRECISIONS = ("day", "month", "year")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
#: The separator between a base graph name and the dates of its keyed graphs.
KEY_MARK = "#valid="
#: The base name of keyed graphs whose triples came from the default graph.
DEFAULT_BASE = "urn:channelkg:default"


def __getattr__(name: str) -> Any:
    if name not in ("DATE_PROPS", "DATING_PROPS"):
        raise AttributeError(f"module 'channelkg.graph.validity' has no attribute {name!r}")
    return _props(name)


def _props(name: str) -> tuple[URIRef, ...]:
    """:data:`DATE_PROPS` or :data:`DATING_PROPS`, made (and rdflib imported) on first use."""
    value: tuple[URIRef, ...] | None = globals().get(name)
    if value is None:
        from rdflib.term import URIRef

        iris = DATE_IRIS if name == "DATE_PROPS" else DATING_IRIS
        value = globals()[name] = tuple(URIRef(i) for i in iris)  # made once
    return value


def as_date(term: Node | None) -> dt.date | None:
    """The date of an ``xsd:date``-like literal ``YYYY-MM-DD``, else ``None``."""
    from rdflib import Literal

    if not isinstance(term, Literal):
        return None
    text = str(term)
    if not _DATE.match(text):
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


def precision_of(term: Node | str | None) -> str:
    """The precision a ``ckg:datePrecision`` value names; ``"day"`` when absent or unknown."""
    text = str(term).strip().lower() if term is not None else ""
    return text if text in PRECISIONS else "day"


def effective(day: dt.date | None, precision: str = "day") -> dt.date | None:
    """The day on which a date of ``precision`` takes effect: the first day after its
    month or year (the date itself at day precision)."""
    if day is None or precision == "day":
        return day
    try:
        if precision == "year":
            return dt.date(day.year + 1, 1, 1)
        if precision == "month":
            return dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)
    except ValueError:  # beyond year 9999
        return dt.date.max
    return day


def shown(day: dt.date | None, precision: str = "day") -> str:
    """A date as its source gives it: ``2024-06-25``, ``2024-06`` or ``2024``."""
    if day is None:
        return ""
    text = day.isoformat()
    return text[:4] if precision == "year" else text[:7] if precision == "month" else text


def at_precision(text: str, precision: str) -> str:
    """An ISO date text at ``precision`` (``2024-06-01`` -> ``2024-06`` for a month); any
    other text as it is."""
    from rdflib import Literal

    return shown(as_date(Literal(text)), precision) if _DATE.match(text) else text


class Dates(Record):
    """The dates of one fact as stored (``None`` when absent or not a valid date), and
    their precision. :meth:`visible` and :meth:`interval` apply the precision."""

    __slots__ = ("stated_on", "valid_from", "valid_to", "precision")
    stated_on: dt.date | None
    valid_from: dt.date | None
    valid_to: dt.date | None
    precision: str
    FROZEN = True
    DEFAULTS: ClassVar[dict[str, Any]] = {"stated_on": None, "valid_from": None,
                                          "valid_to": None, "precision": "day"}

    def __init__(self, stated_on: dt.date | None = None, valid_from: dt.date | None = None,
                 valid_to: dt.date | None = None, precision: str = "day") -> None:
        self.set(stated_on=stated_on, valid_from=valid_from, valid_to=valid_to,
                 precision=precision)

    @property
    def start(self) -> dt.date | None:
        """When ``validFrom`` takes effect (see "Dates with a precision")."""
        return effective(self.valid_from, self.precision)

    @property
    def end(self) -> dt.date | None:
        """When ``validTo`` takes effect."""
        return effective(self.valid_to, self.precision)

    @property
    def stated(self) -> dt.date | None:
        """When ``statedOn`` takes effect."""
        return effective(self.stated_on, self.precision)

    def visible(self, day: dt.date, *, known: bool = False) -> bool:
        """True if the fact is visible on ``day`` (see the module docstring)."""
        start, end, stated = self.start, self.end, self.stated
        if start is not None and start > day:
            return False
        if end is not None and day >= end:
            return False
        needs_statement = known or start is None
        return not (needs_statement and stated is not None and stated > day)

    def interval(self) -> tuple[dt.date | None, dt.date | None]:
        """``(start, end)``: visible on ``D`` iff ``start <= D < end`` (``None``: unbounded),
        in the default mode (start = ``validFrom``, else ``statedOn``; both effective)."""
        return (self.start if self.valid_from is not None else self.stated, self.end)

    def show(self, day: dt.date | None) -> str:
        """One of this fact's dates at its precision (see :func:`shown`)."""
        return shown(day, self.precision)


Interval = tuple[dt.date | None, dt.date | None]


def key_of(intervals: Iterable[Interval]) -> str:
    """``START/END`` of the intersection of intervals (ISO dates, ``-`` unbounded)."""
    starts, ends = zip(*intervals, strict=True)
    start = max((d for d in starts if d is not None), default=None)
    end = min((d for d in ends if d is not None), default=None)
    return "/".join(d.isoformat() if d else "-" for d in (start, end))


def key_visible(key: str, day: dt.date) -> bool:
    """True if the triples of the graph keyed ``START/END`` are visible on ``day``."""
    start, end = key.split("/")
    return (start == "-" or dt.date.fromisoformat(start) <= day) and (
        end == "-" or day < dt.date.fromisoformat(end))


def _first_date(values: Iterable[Node], seen: dict[Node, dt.date | None]) -> dt.date | None:
    """The earliest :func:`as_date` of ``values``; ``seen`` keeps each term's date, so
    each distinct term is read once."""
    out = None
    for v in values:
        day = seen[v] if v in seen else seen.setdefault(v, as_date(v))
        if day is not None and (out is None or day < out):
            out = day
    return out


def _coarsest(values: Iterable[Node]) -> str:
    found = {precision_of(v) for v in values}
    return max(found, key=PRECISIONS.index, default="day")


def fact_dates(triples: Iterable[tuple[Node, Node, Node]]) -> dict[Node, Dates]:
    """Collect the dates of every dated fact from ``(s, p, o)`` triples.

    Pass the triples of :data:`DATING_PROPS` so that each fact's ``ckg:datePrecision``
    is read with its dates (a fact with two precisions takes the coarser one).
    """
    valid_from, valid_to, stated_on, precision = _props("DATING_PROPS")
    raw: dict[Node, dict[Node, list[Node]]] = {}
    for s, p, o in triples:
        if p in (valid_from, valid_to, stated_on, precision):
            raw.setdefault(s, {}).setdefault(p, []).append(o)
    seen: dict[Node, dt.date | None] = {}
    return {
        s: Dates(
            _first_date(d.get(stated_on, []), seen),
            _first_date(d.get(valid_from, []), seen),
            _first_date(d.get(valid_to, []), seen),
            _coarsest(d.get(precision, [])),
        )
        for s, d in raw.items()
        if any(p in d for p in (valid_from, valid_to, stated_on))
    }


def hidden_nodes(dates: dict[Node, Dates], day: dt.date, *, known: bool = False) -> set[Node]:
    """The dated facts that are not visible on ``day``."""
    return {n for n, d in dates.items() if not d.visible(day, known=known)}


# --------------------------------------------------------------------------- layout


def read_dates(triples: Callable[[Any, Any], Iterable[tuple[Any, Any]]],
               nodes: Iterable[Any] | None = None) -> dict[Any, Dates]:
    """The dates of every dated fact, keyed by pyoxigraph term, over any store API.

    ``triples(node, predicate)`` gives the ``(subject, object)`` pairs of one pattern
    (``node`` ``None`` for every subject). One pattern is read per date property and
    one for the precision; with ``nodes``, one per node and property instead (no scan).
    A fact whose dates are all ill-formed is still a fact (with no dates); of two values
    of one property the earlier counts."""
    import pyoxigraph as ox

    wanted = None if nodes is None else list(dict.fromkeys(nodes))
    found: dict[Any, dict[str, dt.date]] = {}
    for iri in DATE_IRIS:
        pred = ox.NamedNode(iri)
        pairs = (triples(None, pred) if wanted is None
                 else [t for n in wanted for t in triples(n, pred)])
        for s, o in pairs:
            rec = found.setdefault(s, {})  # a fact even when its date is ill-formed
            if not isinstance(o, ox.Literal) or not _DATE.match(o.value):
                continue
            try:
                day = dt.date.fromisoformat(o.value)
            except ValueError:
                continue
            if iri not in rec or day < rec[iri]:
                rec[iri] = day
    precision: dict[Any, list[str]] = {}
    prec = ox.NamedNode(PRECISION_IRI)
    pairs = (triples(None, prec) if wanted is None
             else [t for n in found for t in triples(n, prec)])
    for s, o in pairs:
        if s in found and isinstance(o, ox.Literal):
            precision.setdefault(s, []).append(precision_of(o.value))
    stated, start, end = (CKG_NS + n for n in ("statedOn", "validFrom", "validTo"))
    return {n: Dates(d.get(stated), d.get(start), d.get(end),
                     max(precision.get(n, ["day"]), key=PRECISIONS.index))
            for n, d in found.items()}


def store_dates(store: ox.Store, nodes: Iterable[Any] | None = None) -> dict[Any, Dates]:
    """The dates of every dated fact of a store (all graphs), keyed by pyoxigraph term;
    with ``nodes``, of those nodes only (three lookups each, no scan of the store)."""
    import pyoxigraph as ox

    def pairs(node: Any, pred: Any) -> Iterable[tuple[Any, Any]]:
        return ((q.subject, q.object) for q in store.quads_for_pattern(node, pred, None, None))

    return {n: d for n, d in read_dates(pairs, nodes).items()
            if isinstance(n, ox.NamedNode | ox.BlankNode)}


def _base_of(graph: Any) -> str:
    import pyoxigraph as ox

    name = DEFAULT_BASE if isinstance(graph, ox.DefaultGraph) else str(graph.value)
    return name.split(KEY_MARK, 1)[0]


def _graph_for(base: str, intervals: list[Interval]) -> Any:
    import pyoxigraph as ox

    if not intervals:
        return ox.DefaultGraph() if base == DEFAULT_BASE else ox.NamedNode(base)
    return ox.NamedNode(base + KEY_MARK + key_of(intervals))


#: Up to this many quads are added to a store in one transaction, more by the bulk
#: loader, which writes and ingests sorted files: on a store on disk that costs tens of
#: milliseconds however few the quads (1,000 quads: about 35 ms against 9 ms; 5,000:
#: 77 ms against 47 ms; the two take as long at 20,000). Neither needs to be atomic
#: here: loads are journalled.
FEW_QUADS = 20_000


def add_quads(store: ox.Store, quads: Iterable[Any], count: int) -> None:
    """Add ``quads`` (``count`` of them) to ``store`` the faster way for their number."""
    if count > FEW_QUADS:
        store.bulk_extend(quads)
    else:
        store.extend(quads)


def placed(store: ox.Store, quads: Sequence[Any], graph: Any) -> list[Any]:
    """The quads of one file, each in ``graph`` or in the keyed graph its dated facts call
    for, their dates and date precision read from the quads and (for facts dated
    elsewhere) the store: what :func:`partition` would make of them, without writing them
    twice."""
    import pyoxigraph as ox

    nodes = {t for q in quads for t in (q.subject, q.object)
             if isinstance(t, ox.NamedNode | ox.BlankNode)}
    preds = {ox.NamedNode(p) for p in DATE_IRIS}
    prec = ox.NamedNode(PRECISION_IRI)
    dates_at = ox.Store()  # the date triples of both, so the earliest date wins as in a store
    dates_at.extend(ox.Quad(q.subject, q.predicate, q.object) for q in quads
                    if q.predicate in preds or q.predicate == prec)
    dates_at.extend(ox.Quad(q.subject, q.predicate, q.object) for n in nodes for p in preds
                    for q in store.quads_for_pattern(n, p, None, None))
    # The precision of the facts dated here or elsewhere, wherever it is stated.
    dated = {q.subject for q in dates_at.quads_for_pattern(None, None, None, None)
             if q.predicate in preds}
    dates_at.extend(ox.Quad(q.subject, q.predicate, q.object) for n in dated
                    for q in store.quads_for_pattern(n, prec, None, None))
    spans = {n: d.interval() for n, d in store_dates(dates_at).items()}
    graph_for: dict[tuple[Any, Any], Any] = {}
    out = []
    for q in quads:
        sig = (spans.get(q.subject), spans.get(q.object))
        want = graph_for.get(sig)
        if want is None:
            want = graph_for[sig] = _graph_for(_base_of(graph), [k for k in sig if k])
        out.append(ox.Quad(q.subject, q.predicate, q.object, want))
    return out


def partition(store: ox.Store, progress: Callable[[str], None] | None = None, *,
              graphs: Iterable[Any] | None = None, nodes: Iterable[Any] | None = None) -> int:
    """Move every triple of ``store`` into the graph its dated facts call for.

    With ``graphs`` and/or ``nodes`` (pyoxigraph terms), only the triples of those graphs
    and the triples about those nodes (as subject or object) are placed, their nodes'
    dates looked up one by one: after a file is reloaded, that is the file's triples and
    those of the facts whose dates it changed, at a cost that follows the file, not the
    store. Idempotent: a second call moves nothing. Returns the number of triples moved.
    """
    import pyoxigraph as ox

    todo: dict[Any, None] = {}
    if graphs is None and nodes is None:
        dates = store_dates(store)
        scope: Iterable[Any] = dates
        keyed = [g for g in store.named_graphs()
                 if isinstance(g, ox.NamedNode) and KEY_MARK in g.value]
    else:
        scope, keyed, dates = list(nodes or ()), list(graphs or ()), {}
    for node in scope:
        todo.update(dict.fromkeys(store.quads_for_pattern(node, None, None, None)))
        todo.update(dict.fromkeys(store.quads_for_pattern(None, None, node, None)))
    for g in keyed:
        todo.update(dict.fromkeys(store.quads_for_pattern(None, None, None, g)))
    if graphs is not None or nodes is not None:
        dates = store_dates(store, {t for q in todo for t in (q.subject, q.object)
                                    if isinstance(t, ox.NamedNode | ox.BlankNode)})
    spans = {n: d.interval() for n, d in dates.items()}
    moves = []
    graph_for: dict[tuple[Any, Any, Any], Any] = {}  # few distinct keys: build each once
    for q in todo:
        sig = (q.graph_name, spans.get(q.subject), spans.get(q.object))
        want = graph_for.get(sig)
        if want is None:
            want = graph_for[sig] = _graph_for(_base_of(q.graph_name),
                                               [k for k in sig[1:] if k])
        if want != q.graph_name:
            moves.append((q, want))
    add_quads(store, (ox.Quad(q.subject, q.predicate, q.object, want) for q, want in moves),
              len(moves))
    _remove_all(store, [q for q, _ in moves])
    for g in {q.graph_name for q, _ in moves}:  # keyed graphs left empty
        if isinstance(g, ox.NamedNode) and KEY_MARK in g.value and not any(
                True for _ in store.quads_for_pattern(None, None, None, g)):
            store.remove_graph(g)
    if progress and moves:
        progress(f"{len(moves)} triples placed by their validity dates")
    return len(moves)


def _remove_all(store: ox.Store, quads: list[Any]) -> None:
    """Remove quads: one ``DELETE DATA`` per graph (parsed in Rust), blank nodes one by one."""
    import pyoxigraph as ox

    by_graph: dict[Any, list[str]] = {}
    for q in quads:
        if isinstance(q.subject, ox.BlankNode) or isinstance(q.object, ox.BlankNode):
            store.remove(q)  # DELETE DATA cannot name blank nodes
        else:
            by_graph.setdefault(q.graph_name, []).append(f"{q.subject} {q.predicate} {q.object} .")
    for graph, lines in by_graph.items():
        body = "\n".join(lines)
        if isinstance(graph, ox.DefaultGraph):
            store.update(f"DELETE DATA {{\n{body}\n}}")
        else:
            store.update(f"DELETE DATA {{ GRAPH {graph} {{\n{body}\n}} }}")


def visible_graphs(store: ox.Store, day: dt.date, *, include_default: bool = True) -> list[Any]:
    """The graphs whose union is the store's as-of view on ``day`` (default mode)."""
    import pyoxigraph as ox

    out: list[Any] = [ox.DefaultGraph()] if include_default else []
    for g in store.named_graphs():
        if not isinstance(g, ox.NamedNode):
            continue
        if KEY_MARK not in g.value:
            out.append(g)
            continue
        if key_visible(g.value.split(KEY_MARK, 1)[1], day):
            out.append(g)
    return out


__all__ = [
    "DATE_IRIS",
    "DATE_PROPS",
    "DATING_IRIS",
    "DATING_PROPS",
    "FEW_QUADS",
    "PRECISION_IRI",
    "DEFAULT_BASE",
    "KEY_MARK",
    "PRECISIONS",
    "Dates",
    "add_quads",
    "as_date",
    "at_precision",
    "effective",
    "fact_dates",
    "hidden_nodes",
    "key_of",
    "key_visible",
    "partition",
    "placed",
    "precision_of",
    "read_dates",
    "shown",
    "store_dates",
    "visible_graphs",
]
