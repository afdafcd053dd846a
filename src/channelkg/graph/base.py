"""The one graph interface every command reads through, and the one query result type.

A :class:`KnowledgeGraph` is a backend: the in-memory Oxigraph store
(:mod:`channelkg.graph.memory`), the rdflib engine, a persistent Oxigraph folder
(:mod:`channelkg.graph.disk`), a SPARQL 1.1 server (:mod:`channelkg.graph.remote`)
or an as-of view over any of them (:mod:`channelkg.graph.asof`). Each one answers:

* :meth:`KnowledgeGraph.run`: SPARQL text (parameters already bound) -> :class:`QueryResult`;
* :meth:`KnowledgeGraph.triples`: the triples matching a pattern, as rdflib terms;
* ``len(kg)``: the number of triples;
* :attr:`KnowledgeGraph.files`: the files it came from, and :attr:`KnowledgeGraph.writable`;
* :attr:`KnowledgeGraph.as_of`: the date of an as-of view (``None`` otherwise), and
  :attr:`KnowledgeGraph.reason` / :attr:`KnowledgeGraph.inferred` after reasoning.

Callers never branch on which backend they hold.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

from channelkg.record import Record

TYPE_CHECKING = False  # typing is not imported at run time
if TYPE_CHECKING:
    import datetime as dt
    from collections.abc import Callable
    from typing import Any, ClassVar, TypeAlias

    from rdflib import Graph
    from rdflib.plugins.sparql.sparql import Query
    from rdflib.term import Node

#: A triple of rdflib terms.
Triple: TypeAlias = "tuple[Any, Any, Any]"


class QueryResult(Record):
    """The result of a query: rows for SELECT, a boolean for ASK, a graph otherwise.

    A frozen record (:class:`~channelkg.record.Record`: ``dataclasses.replace`` and
    ``fields`` work on it); ``meta`` is not compared.

    Attributes:
        kind: ``"SELECT"``, ``"ASK"`` or ``"GRAPH"``.
        vars: the SELECT variables.
        rows: rdflib terms (``None``: unbound); from :meth:`KnowledgeGraph.run_native`,
            the backend's own terms (pyoxigraph's for an Oxigraph store).
        boolean: the answer of an ASK.
        graph: the triples of a CONSTRUCT or DESCRIBE (an rdflib ``Graph``).
        meta: what the backend adds (``truncated``).
    """

    __slots__ = ("kind", "vars", "rows", "boolean", "graph", "meta")
    FROZEN = True
    UNCOMPARED = ("meta",)
    DEFAULTS: ClassVar[dict[str, Any]] = {"vars": (), "rows": (), "boolean": None,
                                          "graph": None}
    FACTORIES: ClassVar[dict[str, Callable[[], Any]]] = {"meta": dict}

    kind: str
    vars: tuple[str, ...]
    rows: tuple[tuple[Node | Any, ...], ...]
    boolean: bool | None
    graph: Graph | None
    meta: dict[str, object]

    def __init__(self, kind: str, vars: tuple[str, ...] = (),  # noqa: A002 (the field's name)
                 rows: tuple[tuple[Node | Any, ...], ...] = (), boolean: bool | None = None,
                 graph: Graph | None = None, meta: dict[str, object] | None = None) -> None:
        self.set(kind=kind, vars=vars, rows=rows, boolean=boolean, graph=graph,
                 meta={} if meta is None else meta)

    def to_dataframe(self) -> Any:
        """The result as a ``pandas.DataFrame`` with typed columns: dates as
        ``datetime64``, numbers as numbers, booleans as booleans, IRIs as compact names
        (``kgid:gpt``), unbound values as ``<NA>``. Needs pandas (the ``notebook`` extra).

        Raises:
            ImportError: pandas is not installed.
        """
        from channelkg.render.frames import to_dataframe

        return to_dataframe(self)

    def _repr_html_(self) -> str:
        """An escaped HTML table of the result, for notebooks."""
        from channelkg.render.frames import result_html

        return result_html(self)


def new_rdflib_graph() -> Graph:
    """An empty rdflib ``Graph`` with the project's prefixes bound."""
    from rdflib import Graph

    from channelkg.rdf.namespaces import PREFIXES

    g = Graph()
    for prefix, ns in PREFIXES.items():
        g.bind(prefix, ns, override=True)
    return g


#: Longest SPARQL text whose parsed form (:func:`prepared_query`) or SERVICE check
#: (``channelkg.sparql.query.uses_service``) a process keeps, 256 texts of each: a few MB
#: at most, so a long-running server holds no long texts.
CACHED_QUERY_TEXT = 16384


def prepared_query(text: str, graph: Graph) -> Query | str:
    """The query ``text`` parsed and translated for rdflib's engine, kept for reuse.

    rdflib parses a SPARQL text afresh on each ``Graph.query`` (20-50 ms a query), which a
    name looked up on many days, or a view asked many questions, paid on every call. The
    parsed form is kept for the last 256 (text, prefixes) pairs: an undeclared prefix is
    read with the graph's bound prefixes, so graphs that bind them differently get their
    own parse. A prepared query holds no state of a run (bindings and the dataset are
    given at each evaluation), so it is shared across graphs and threads. Texts longer
    than :data:`CACHED_QUERY_TEXT` are returned as they are, to be parsed afresh.
    """
    if len(text) > CACHED_QUERY_TEXT:
        return text
    return _prepared(text, tuple(sorted((p, str(ns)) for p, ns in graph.namespaces())))


@lru_cache(maxsize=256)
def _prepared(text: str, prefixes: tuple[tuple[str, str], ...]) -> Query:
    """:func:`prepared_query` for a text and the prefixes it is read with."""
    from rdflib.plugins.sparql import prepareQuery

    return prepareQuery(text, initNs=dict(prefixes))


class KnowledgeGraph(ABC):
    """A loaded graph, whichever backend holds it.

    Subclasses set :attr:`engine` and implement :meth:`run`, :meth:`triples` and
    ``__len__``; everything else has a default built on those.
    """

    #: The backend's name (``oxigraph``, ``rdflib``, ``oxigraph-disk``, ``sparql``).
    engine: str = ""
    #: True if the backend accepts writes (``add``/``import``/``load`` go through it).
    writable: bool = False

    def __init__(self, files: tuple[Path, ...] = ()) -> None:
        self.files: tuple[Path, ...] = tuple(files)
        #: The reasoning profile whose entailments the graph holds (``None``: none).
        self.reason: str | None = None
        #: The inferred triples (an rdflib ``Graph``) when :attr:`reason` is set.
        self.inferred: Graph | None = None
        #: The day of an as-of view (also of a graph reasoned from one); ``None``: all facts.
        self.as_of: dt.date | None = None

    @abstractmethod
    def run(self, text: str, *, max_rows: int | None = None) -> QueryResult:
        """Run SPARQL text whose parameters are already bound.

        Args:
            text: the query.
            max_rows: keep at most this many rows (or triples); ``meta["truncated"]``
                says whether more were available.

        Raises:
            QueryError: a syntax error or a failing query.
        """

    def run_native(self, text: str, *, max_rows: int | None = None) -> QueryResult:
        """Like :meth:`run`, with the rows in the backend's own terms: pyoxigraph terms
        from an Oxigraph store (no rdflib term is made, nor rdflib imported), rdflib
        terms from the other backends. For readers that take either (the renderers of
        :mod:`channelkg.render.results`, :func:`channelkg.rdf.terms.display`)."""
        return self.run(text, max_rows=max_rows)

    @abstractmethod
    def triples(self, s: Any = None, p: Any = None, o: Any = None) -> Iterator[Triple]:
        """The distinct triples matching a pattern (``None`` matches anything), rdflib terms."""

    @abstractmethod
    def __len__(self) -> int:
        """The number of distinct triples."""

    def ox_triples(self, s: Any = None, p: Any = None, o: Any = None) -> Iterator[Any]:
        """Like :meth:`triples`, as pyoxigraph terms (Oxigraph backends skip rdflib)."""
        from channelkg.rdf.terms import to_oxigraph

        for t in self.triples(s, p, o):
            yield tuple(to_oxigraph(x) for x in t)

    def to_rdflib(self) -> Graph:
        """The graph as an rdflib ``Graph`` (a copy unless the backend is rdflib)."""
        g = new_rdflib_graph()
        for t in self.triples():
            g.add(t)
        return g

    def visible_on(self, day: dt.date, *, known: bool = False) -> KnowledgeGraph:
        """The as-of view of this graph on ``day`` (see :mod:`channelkg.graph.asof`)."""
        from channelkg.graph.asof import view

        return view(self, day, known=known)

    def ensure_keyed(self, max_intervals: int | None = None) -> bool:
        """Lay out dated triples in their keyed graphs if the backend deferred it.

        Returns whether the layout is in place (backends that never defer: as they are).
        """
        return bool(getattr(self, "keyed_by_dates", False))

    def close(self) -> None:  # noqa: B027 (optional for backends: nothing to release)
        """Release what the backend holds open (a store's lock); default: nothing."""


def truncate(result: QueryResult, max_rows: int | None) -> QueryResult:
    """Cut a result to ``max_rows`` rows or triples, marking ``meta["truncated"]``."""
    replace = QueryResult.replace
    if max_rows is None:
        return result
    if result.kind == "SELECT" and len(result.rows) > max_rows:
        return replace(result, rows=result.rows[:max_rows], meta={"truncated": True})
    if result.kind == "GRAPH" and result.graph is not None and len(result.graph) > max_rows:
        g = new_rdflib_graph()
        for i, t in enumerate(result.graph):
            if i >= max_rows:
                break
            g.add(t)
        return replace(result, graph=g, meta={"truncated": True})
    return replace(result, meta={"truncated": False}) if result.kind != "ASK" else result


__all__ = ["CACHED_QUERY_TEXT", "KnowledgeGraph", "QueryResult", "Triple", "new_rdflib_graph",
           "prepared_query", "truncate"]
