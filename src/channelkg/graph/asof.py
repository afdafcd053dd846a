"""``--as-of``: a view of any backend that shows only what is visible on a day.

The rule of what is visible is :mod:`channelkg.graph.validity`'s. The view is
never a copy of the backend where it can be helped:

* Oxigraph (memory, or a persistent folder): each query is rewritten
  (:mod:`channelkg.graph.asof_filter`: a filter in each group that excludes the hidden
  facts) and runs on the store itself. A query the rewrite does not handle (``GRAPH``,
  ``DESCRIBE``, blank nodes in triple patterns …) runs, while the dated facts fall into
  at most :data:`MAX_GRAPHS` distinct validity intervals, on the graphs visible that day
  (the store keeps the triples of dated facts in graphs keyed by their dates,
  :func:`~channelkg.graph.validity.visible_graphs`), else on a copy;
* rdflib: the view's rdflib graph reads the backend's triples through a filter
  (:class:`_VisibleStore`), so rdflib's engine sees only the visible ones;
* a SPARQL server without the keyed layout of :mod:`channelkg.graph.remote_asof` (or
  in the stricter *known* mode): each query is rewritten too, in the form the server
  was found to answer correctly (:func:`channelkg.graph.remote_asof.probe_form`, once
  per store, a form whose probe timed out again later; Virtuoso 7 gets ``FILTER NOT
  EXISTS`` tests on the facts' own dates, :mod:`channelkg.graph.asof_dates`), and runs on
  the server;
* a query the rewrite does not handle on a server, or on Oxigraph past
  :data:`MAX_GRAPHS` intervals or in the known mode (its intervals are not the keyed
  ones), every query on a server that answers neither form correctly, and on one that
  answers only the ``exists`` form when more than :data:`MAX_TESTED` nodes would be
  listed in both of its forms: the dates are
  read with one query per date property, and the visible triples are copied into a
  local Oxigraph store the first time the view needs them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from channelkg.errors import ChannelKGError
from channelkg.graph.base import KnowledgeGraph, QueryResult, Triple, truncate
from channelkg.graph.validity import DATING_PROPS, fact_dates, hidden_nodes
from channelkg.rdf.terms import to_rdflib

if TYPE_CHECKING:
    from rdflib import Graph

    from channelkg.graph.asof_dates import DateTest
    from channelkg.graph.asof_filter import Form
    from channelkg.graph.validity import Dates


#: Most graphs an Oxigraph view queries when a query cannot be rewritten; past it
#: (thousands of distinct validity intervals) the store is not laid out by dates, and
#: such a query reads a copy (see ``benchmarks/results/asof.md``).
MAX_GRAPHS = 256

#: Most nodes a server is sent as lists: in the ``dates`` form (the nodes its date test
#: gets wrong, :mod:`channelkg.graph.asof_dates`), else in the ``exists`` form (every
#: hidden fact). A server tests each row against the whole list, which on Virtuoso 7 at
#: 2,810 hidden facts made ``exists`` queries 29 to 975 times slower than on a local
#: copy (``benchmarks/results/asof-remote.md`` as of commit 6731910; the file now
#: measures the dates form there, as the exists form is no longer sent past this limit).
#: Past it in both forms, the view reads a copy of the visible triples.
MAX_TESTED = 256


class AsOfView(KnowledgeGraph):
    """The as-of view of ``base`` on :attr:`as_of` (see the module docstring).

    Args:
        base: the backend to view (never modified).
        day: the day.
        known: also hide claims stated after the day ("what had been said by then").
        rewrite: run each query rewritten on the backend when it can be (else, and with
            ``False`` always, on a copy of the visible triples).
    """

    def __init__(self, base: KnowledgeGraph, day: dt.date, *, known: bool = False,
                 rewrite: bool = True) -> None:
        super().__init__(base.files)
        self.rewrite = rewrite
        self.base = base
        self.day = day
        self.known = known
        self.engine = base.engine
        self.as_of = day
        self._hidden: set[Any] | None = None
        self._dated: list[Triple] | None = None
        #: The dates of each dated fact of an Oxigraph backend, keyed by pyoxigraph term.
        self._facts: dict[Any, Dates] | None = None
        self._dates: DateTest | None = None
        self._local: KnowledgeGraph | None = None
        self._touching: dict[tuple[Any, str], set[Any]] | None = None

    @property
    def hidden(self) -> set[Any]:
        """The dated facts hidden on :attr:`as_of` (rdflib terms)."""
        if self._hidden is None:
            if self.base.engine.startswith("oxigraph"):
                if self._facts is None:
                    self._facts = _ox_fact_dates(self.base)
                self._hidden = {to_rdflib(n) for n in
                                hidden_nodes(self._facts, self.day, known=self.known)}
            else:
                self._hidden = hidden_nodes(fact_dates(self._dating()), self.day,
                                            known=self.known)
        return self._hidden

    def _dating(self) -> list[Triple]:
        """The backend's dating triples (rdflib terms), read once."""
        if self._dated is None:
            self._dated = [t for p in DATING_PROPS for t in self.base.triples(None, p, None)]
        return self._dated

    @property
    def date_test(self) -> DateTest:
        """The test of the ``dates`` form on :attr:`as_of` (:mod:`channelkg.graph.asof_dates`)."""
        if self._dates is None:
            from channelkg.graph.asof_dates import DateTest

            hidden = self.hidden
            self._dates = DateTest.of(self._dating(), hidden, self.day.isoformat(),
                                      known=self.known)
        return self._dates

    def _visible(self, t: Triple) -> bool:
        return t[0] not in self.hidden and t[2] not in self.hidden

    def run(self, text: str, *, max_rows: int | None = None) -> QueryResult:
        rewritten = self.rewritten(text) if self.rewrite else None
        if rewritten is not None:
            return self.base.run(rewritten, max_rows=max_rows)
        try:
            local = self._materialised()
        except ChannelKGError as err:
            why = self._why_copied()
            if why is None:
                raise
            raise type(err)(f"{err} (read to copy the visible triples, as {why})") from None
        result = truncate(local.run(text), max_rows)
        if self.base.engine.startswith("oxigraph"):
            return result
        # The copy is an Oxigraph store, which names the columns of SELECT * in the order
        # of their names; a server (and rdflib) names them in the order the query first
        # names them, as the plain query on the backend does.
        from channelkg.sparql.binding import star_order

        return star_order(text, result)

    def _why_copied(self) -> str | None:
        """Why a query on a SPARQL server reads the copy (for an error in making it)."""
        probe = getattr(self.base, "asof_form", None)
        if not self.rewrite or not callable(probe):
            return None
        if probe() is None:
            reasons = "; ".join(getattr(self.base, "asof_reasons", None) or ())
            return "the server answered no form of the rewrite" + (
                f": {reasons}" if reasons else "")
        if self.form() is None:
            return f"more than {MAX_TESTED} facts would be sent by list in the rewrite"
        return "the query is not one the rewrite handles"

    def rewritten(self, text: str) -> str | None:
        """``text`` rewritten to hide the hidden facts' triples on the backend itself
        (:mod:`channelkg.graph.asof_filter`), or ``None`` when it cannot be."""
        from channelkg.graph.asof_filter import rewrite, roles_touching

        def touching() -> dict[tuple[Any, str], set[Any]]:
            if self._touching is None:
                self._touching = (_ox_touching(self.base, self.hidden)
                                  if self.base.engine.startswith("oxigraph")
                                  else roles_touching(self.base.run, self.hidden))
            return self._touching

        from channelkg.graph.asof_filter import DATES

        form = self.form()
        dates = self.date_test if form is DATES else None
        return None if form is None else rewrite(text, self.hidden, touching, form, dates)

    def form(self) -> Form | None:
        """How the backend is sent the rewrite: the standard form on Oxigraph, else as the
        SPARQL server was found to answer correctly (its ``asof_form()``, a probe made
        once per store, and again later for a form whose probe timed out): a server that
        answers the ``exists`` form gets the ``dates`` form, unless more than
        :data:`MAX_TESTED` nodes would be listed in it (then the ``exists`` form while at
        most that many facts are hidden); ``None``: not rewritten."""
        from channelkg.graph.asof_filter import DATES, EXISTS, STANDARD

        if self.base.engine.startswith("oxigraph"):
            return STANDARD
        probe = getattr(self.base, "asof_form", None)
        form: Form | None = probe() if callable(probe) else None
        if form is not EXISTS:
            return form
        if self.date_test.listed <= MAX_TESTED:
            return DATES
        return EXISTS if len(self.hidden) <= MAX_TESTED else None

    def triples(self, s: Any = None, p: Any = None, o: Any = None) -> Iterator[Triple]:
        if s is not None and s in self.hidden or o is not None and o in self.hidden:
            return
        for t in self.base.triples(s, p, o):
            if self._visible(t):
                yield t

    def __len__(self) -> int:
        return sum(1 for _ in self.triples())

    def visible_on(self, day: dt.date, *, known: bool = False) -> KnowledgeGraph:
        return view(self.base, day, known=known)

    def _materialised(self) -> KnowledgeGraph:
        """The visible triples in a local Oxigraph store (built on the first query)."""
        if self._local is None:
            import pyoxigraph as ox

            from channelkg.graph.memory import OxigraphGraph
            from channelkg.rdf.terms import to_oxigraph

            gone = {to_oxigraph(n) for n in self.hidden}
            store = ox.Store()
            store.bulk_extend(ox.Quad(s, p, o, ox.DefaultGraph())
                              for s, p, o in self.base.ox_triples()
                              if s not in gone and o not in gone)
            local = OxigraphGraph(store, self.files)
            local.keyed_by_dates = False
            self._local = local
        return self._local


class OxigraphAsOfView(AsOfView):
    """The as-of view of a keyed Oxigraph backend: each query rewritten, and a query the
    rewrite does not handle run on the graphs visible that day (never a copy)."""

    def __init__(self, base: KnowledgeGraph, day: dt.date, *, known: bool = False,
                 rewrite: bool = True) -> None:
        super().__init__(base, day, known=known, rewrite=rewrite)
        from channelkg.graph.validity import visible_graphs

        self.store = base.store  # type: ignore[attr-defined]
        self.graphs = visible_graphs(self.store, day)

    def run(self, text: str, *, max_rows: int | None = None) -> QueryResult:
        rewritten = self.rewritten(text) if self.rewrite else None
        if rewritten is not None:  # faster than a query on many graphs (results/asof.md)
            return self.base.run(rewritten, max_rows=max_rows)
        return self.base.run(text, max_rows=max_rows, default_graph=self.graphs)  # type: ignore[call-arg]

    def ox_triples(self, s: Any = None, p: Any = None, o: Any = None) -> Iterator[Any]:
        """The distinct triples of the visible graphs, as pyoxigraph terms."""
        from channelkg.rdf.terms import to_oxigraph

        pattern = [None if t is None else to_oxigraph(t) for t in (s, p, o)]
        seen: set[Any] = set()
        for g in self.graphs:
            for q in self.store.quads_for_pattern(*pattern, g):
                key = (q.subject, q.predicate, q.object)
                if key not in seen:
                    seen.add(key)
                    yield key

    def triples(self, s: Any = None, p: Any = None, o: Any = None) -> Iterator[Triple]:
        from channelkg.rdf.quiet import quiet_rdflib
        from channelkg.rdf.terms import to_rdflib

        with quiet_rdflib():
            for ts, tp, to in self.ox_triples(s, p, o):
                yield to_rdflib(ts), to_rdflib(tp), to_rdflib(to)


class RdflibAsOfView(AsOfView):
    """The as-of view of the rdflib engine: rdflib's engine over a filtering store."""

    def __init__(self, base: KnowledgeGraph, day: dt.date, *, known: bool = False) -> None:
        super().__init__(base, day, known=known)
        self.graph = _visible_graph(base.to_rdflib(), self.hidden)

    def run(self, text: str, *, max_rows: int | None = None) -> QueryResult:
        from channelkg.graph.memory import query_rdflib

        return truncate(query_rdflib(self.graph, text), max_rows)

    def to_rdflib(self) -> Graph:
        return self.graph


def _ox_fact_dates(base: KnowledgeGraph) -> dict[Any, Dates]:
    """The dates of each dated fact of an Oxigraph backend, keyed by pyoxigraph term, by
    :func:`~channelkg.graph.validity.read_dates` (the reading the store's keyed layout
    uses; the same dates :func:`~channelkg.graph.validity.fact_dates` gives for the rdflib
    triples). A triple term as a fact fails as converting every triple does."""
    import pyoxigraph as ox

    from channelkg.graph.validity import read_dates

    def pairs(node: Any, pred: Any) -> Iterator[tuple[Any, Any]]:
        for s, _p, o in base.ox_triples(node, pred, None):
            if isinstance(s, ox.Triple):
                to_rdflib(s)  # raises
            yield s, o

    return read_dates(pairs)


def _ox_touching(base: KnowledgeGraph, hidden: set[Any]) -> dict[tuple[Any, str], set[Any]]:
    """:func:`~channelkg.graph.asof_filter.roles_touching` on an Oxigraph backend, read
    from each hidden node's triples (as subject, then as object) instead of by queries."""
    from channelkg.rdf.terms import to_oxigraph

    out: dict[tuple[Any, str], set[Any]] = {}
    props: dict[Any, Any] = {}
    for h in hidden:
        node = to_oxigraph(h)
        for role, pattern in (("s", (node, None, None)), ("o", (None, None, node))):
            for _s, p, _o in base.ox_triples(*pattern):
                prop = props.get(p)
                if prop is None:
                    prop = props[p] = to_rdflib(p)
                out.setdefault((prop, role), set()).add(h)
    return out


def _visible_graph(graph: Graph, hidden: set[Any]) -> Graph:
    """An rdflib graph that reads ``graph`` through a filter hiding ``hidden`` nodes."""
    from rdflib import Graph
    from rdflib.store import Store

    class _VisibleStore(Store):
        """A read-only rdflib store: the triples of ``graph`` not touching ``hidden``."""

        def triples(self, pattern: Any, context: Any = None) -> Iterator[Any]:
            s, _p, o = pattern
            if s in hidden or o in hidden:
                return
            for t in graph.triples(pattern):
                if t[0] not in hidden and t[2] not in hidden:
                    yield t, iter(())

        def __len__(self, context: Any = None) -> int:
            return sum(1 for _ in self.triples((None, None, None)))

        def namespaces(self) -> Iterator[Any]:
            yield from graph.namespaces()

        def prefix(self, namespace: Any) -> Any:
            return graph.store.prefix(namespace)

        def namespace(self, prefix: str) -> Any:
            return graph.store.namespace(prefix)

        def bind(self, prefix: str, namespace: Any, override: bool = True) -> None:
            """Prefixes come from the viewed graph."""

    return Graph(store=_VisibleStore())


def view(base: KnowledgeGraph, day: dt.date, *, known: bool = False) -> KnowledgeGraph:
    """The as-of view of ``base`` on ``day``, the best kind for its backend."""
    if isinstance(base, AsOfView):
        base = base.base
    facts = None
    if getattr(base, "keyed_by_dates", False) and not known and not getattr(base, "keyed", True):
        # Keying first counts the validity intervals, reading every date: read them once,
        # for the view too, and leave the store as it is past MAX_GRAPHS of them.
        facts = _ox_fact_dates(base)
    if (getattr(base, "keyed_by_dates", False) and not known
            and (facts is None or len({d.interval() for d in facts.values()}) <= MAX_GRAPHS)
            and base.ensure_keyed(max_intervals=MAX_GRAPHS)):
        oxview = OxigraphAsOfView(base, day, known=known)
        if len(oxview.graphs) <= MAX_GRAPHS:
            oxview._facts = facts
            return oxview
    if base.engine == "rdflib":
        return RdflibAsOfView(base, day, known=known)
    out = AsOfView(base, day, known=known)
    out._facts = facts
    return out


__all__ = ["AsOfView", "OxigraphAsOfView", "RdflibAsOfView", "view"]
