"""The neighbourhood map of an entity page, projected from the node's neighbourhood only.

``channelkg view --around NODE`` projects the whole graph and keeps the node and its
neighbours. An entity page draws the same picture from far fewer triples, read as
pyoxigraph terms with one pattern each: the vocabulary (classes, properties and
concepts, read once per graph: the styling, labels and class tree of the projection),
the node, the nodes it links to and that link to it, and what those link to (their
classes, labels and sources). A hub (a market that thousands of claims name) draws its
first :data:`MAP_LIMIT` neighbours (the nodes it links to, then those that link to it,
by key), never one reached only through them, and its title says how many it has.
The time slider is worked out from the dates of what the map draws
(:func:`around_spans`), not from the whole graph's as ``view --around`` does: on a
graph whose dates make more than :data:`~channelkg.render.page_time.MAX_STRETCHES`
stretches the view has no slider and the map still has one.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

import pyoxigraph as ox

from channelkg.errors import InputError

if TYPE_CHECKING:
    import networkx as nx  # type: ignore[import-untyped, unused-ignore]
    from rdflib.term import Node

    from channelkg.graph.base import KnowledgeGraph

#: The most neighbours a map draws (the bundled graph's busiest node has 118).
MAP_LIMIT = 150

_RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
_SUBCLASS = "http://www.w3.org/2000/01/rdf-schema#subClassOf"
_CONCEPT = "http://www.w3.org/2004/02/skos/core#Concept"
_PUBLISHER = "http://purl.org/dc/terms/publisher"

OxTriple = tuple[Any, Any, Any]


class Reader:
    """The triples of a worker's graph that neighbourhood maps read: the vocabulary once,
    then each node's own triples (one pattern, kept for the next map)."""

    def __init__(self, kg: KnowledgeGraph) -> None:
        self.kg = kg
        self._about: dict[Any, list[OxTriple]] = {}
        self._vocab: list[Any] | None = None
        self._projectors: dict[bool, tuple[Any, Any]] = {}

    def about(self, s: Any) -> list[OxTriple]:
        """Every triple of subject ``s``."""
        got = self._about.get(s)
        if got is None:
            got = self._about[s] = list(self.kg.ox_triples(s, None, None))
        return got

    def projector(self, sources: bool) -> tuple[Any, Any]:
        """The vocabulary read as the projection reads triples, and a projector over it
        (made once; the types of the resources asked about are added to it)."""
        got = self._projectors.get(sources)
        if got is None:
            from channelkg.render.network import (
                Projector,
                Triples,
                oxigraph_triples,
                read_schema,
            )

            read = Triples.read(oxigraph_triples(
                t for s in self.vocabulary() for t in self.about(s)))
            got = self._projectors[sources] = (read, Projector(read, read_schema(read), sources))
        return got

    def types(self, s: Any) -> list[Any]:
        got = self._about.get(s)
        if got is not None:
            return [o for _, p, o in got if p.value == _RDF_TYPE]
        return [o for _, _, o in self.kg.ox_triples(s, ox.NamedNode(_RDF_TYPE), None)]

    def vocabulary(self) -> list[Any]:
        """The subjects that describe the vocabulary: classes (``rdfs:subClassOf``),
        properties and other terms typed by :data:`~channelkg.render.network.VOCAB_TYPES`,
        and the instances of concept classes (statuses, kinds)."""
        if self._vocab is None:
            from channelkg.render.network import VOCAB_TYPES

            subclass = ox.NamedNode(_SUBCLASS)
            rdf_type = ox.NamedNode(_RDF_TYPE)
            found: dict[Any, None] = {}
            below: dict[Any, list[Any]] = {}
            for s, _, o in self.kg.ox_triples(None, subclass, None):
                found[s] = None
                below.setdefault(o, []).append(s)
            concepts = {ox.NamedNode(_CONCEPT)}
            todo = list(concepts)
            while todo:
                for sub in below.get(todo.pop(), ()):
                    if sub not in concepts:
                        concepts.add(sub)
                        todo.append(sub)
            for t in sorted({str(v) for v in VOCAB_TYPES}) + sorted(c.value for c in concepts):
                for s, _, _ in self.kg.ox_triples(None, rdf_type, ox.NamedNode(t)):
                    found[s] = None
            self._vocab = list(found)
        return self._vocab


def _links(triples: Iterable[OxTriple]) -> Iterator[Any]:
    """The resources the triples point to (not literals, not classes)."""
    for _, p, o in triples:
        if not isinstance(o, ox.Literal) and p.value != _RDF_TYPE:
            yield o


class Neighbourhood:
    """The triples that draw a node and its neighbours as the whole projection does."""

    def __init__(self, reader: Reader, node: Node, limit: int = MAP_LIMIT) -> None:
        from channelkg.rdf.terms import to_oxigraph

        self.reader = reader
        self.node = to_oxigraph(node)
        self.limit = limit
        self.described: dict[Any, None] = dict.fromkeys(reader.vocabulary())
        self.described[self.node] = None
        #: How many neighbours the node has.
        self.total = 0
        #: The keys of the neighbours chosen to be drawn (at most ``limit``).
        self.chosen: set[str] = set()

    def triples(self) -> list[OxTriple]:
        about = self.reader.about
        return [t for s in self.described for t in about(s)]

    def project(self, sources: bool) -> nx.MultiDiGraph:
        from channelkg.render.network import oxigraph_triples, to_networkx

        return to_networkx(oxigraph_triples(self.triples()), sources=sources)

    def keeps(self, sources: bool) -> Any:
        """``keep(term, types)``: whether the projection (``sources`` drawn or not) draws
        a resource of those types (the vocabulary's schema decides)."""
        from channelkg.rdf.terms import to_rdflib
        from channelkg.render.network import term_id

        read, proj = self.reader.projector(sources)

        def keep(term: Any, types: list[Any]) -> bool:
            key = term_id(to_rdflib(term))
            if key not in read.types:
                for t in types:
                    read.types[key].add(term_id(to_rdflib(t)))
            return bool(proj.keep(key))

        return keep

    def read(self, sources: bool) -> None:
        """Choose the neighbours (the nodes the node links to, then those that link to
        it, by key, at most ``limit``) and read them and what they link to."""
        from channelkg.rdf.terms import to_rdflib
        from channelkg.render.network import term_id

        reader, node = self.reader, self.node
        keep = self.keeps(sources)
        out = list(dict.fromkeys(_links(reader.about(node))))
        inward = [s for s, p, _ in reader.kg.ox_triples(None, None, node)
                  if p.value != _RDF_TYPE]
        seen = set(out)
        cands: list[Any] = []
        for s in sorted(dict.fromkeys(inward), key=lambda t: term_id(to_rdflib(t))):
            if s in seen:
                continue
            seen.add(s)
            types = reader.types(s)
            if types and keep(s, types) or not types and self._linked_from_a_node(s, keep):
                cands.append(s)
        drawn = [o for o in out if keep(o, reader.types(o))] + cands
        self.total = len(drawn)
        chosen = drawn[:self.limit]
        self.chosen = {term_id(to_rdflib(c)) for c in chosen}
        for c in chosen:
            self.described[c] = None
        for c in [node, *chosen]:
            for t in _links(reader.about(c)):
                self.described[t] = None
                for _, p, pub in reader.about(t):
                    if p.value == _PUBLISHER and not isinstance(pub, ox.Literal):
                        self.described[pub] = None

    def _linked_from_a_node(self, s: Any, keep: Any) -> bool:
        """An untyped resource is drawn when a drawn node links to it (that node read too)."""
        for x, p, _ in self.reader.kg.ox_triples(None, None, s):
            types = self.reader.types(x)
            if p.value != _RDF_TYPE and types and keep(x, types):
                self.described[x] = None
                return True
        return False


def around_spans(graph: nx.MultiDiGraph, start: str) -> dict[str, list[Any]] | None:
    """The time slider's spans of a map around ``start`` (depth 1): a neighbour is in the
    selection on the days both it and ``start`` are visible, so the stretches between
    their dates decide it (what :func:`~channelkg.render.page_time.selection_spans` finds
    by running the selection once per stretch of the whole graph's dates)."""
    import datetime as dt

    from channelkg.graph.validity import key_visible
    from channelkg.render.page_time import MAX_STRETCHES, validity_of, visible_runs

    validity = {k: v for k, v in validity_of(graph).items() if k in graph}
    bounds = sorted({d for iv in validity.values() for d in iv if d})
    stretches: list[tuple[str | None, dt.date]] = []
    if bounds:  # (first day or None, a day inside) of each stretch between dated events
        stretches.append((None, dt.date.fromisoformat(bounds[0]) - dt.timedelta(days=1)))
    stretches += [(b, dt.date.fromisoformat(b)) for b in bounds]
    if not stretches or len(stretches) > MAX_STRETCHES:
        return None

    def visible(v: str, day: Any) -> bool:
        iv = validity.get(str(v))
        return iv is None or key_visible("/".join(d or "-" for d in iv), day)

    starts = [s for s, _ in stretches] + [None]
    spans: dict[str, list[Any]] = {}
    for v in graph:
        row = [visible(v, day) and visible(start, day) for _, day in stretches]
        if not all(row):
            spans[str(v)] = visible_runs(row, starts)
    return spans


def neighbourhood_graph(reader: Reader, node: Node, limit: int = MAP_LIMIT
                        ) -> tuple[nx.MultiDiGraph, str, int]:
    """The projection around ``node`` (depth 1; sources drawn when it is one), its key,
    and how many neighbours it has (the graph draws at most ``limit`` of them: the
    chosen ones, never one that is reached only through them).

    Raises:
        InputError: the node is not drawn in a network view (a vocabulary term).
    """
    from channelkg.render.network import term_id
    from channelkg.render.selection import Selection, find_node, select

    hood = Neighbourhood(reader, node, limit)
    types = reader.types(hood.node)
    sources = False
    if types and not hood.keeps(False)(hood.node, types):
        if not hood.keeps(True)(hood.node, types):
            raise InputError(f"{term_id(node)} is not drawn in this view "
                             "(a vocabulary term or a source)")
        sources = True
    hood.read(sources)
    full = hood.project(sources)
    graph = select(full, Selection(around=str(node), depth=1))
    start = find_node(graph, str(node))
    if hood.total > limit:
        # What the chosen neighbours link to is read to draw them, so a node left out that
        # also links to this one would be drawn too: only the chosen ones are.
        graph.remove_nodes_from([v for v in list(graph)
                                 if v != start and v not in hood.chosen])
    spans = around_spans(graph, start)
    if spans is not None:
        graph.graph["spans"] = spans
    return graph, start, hood.total


__all__ = ["MAP_LIMIT", "Neighbourhood", "Reader", "around_spans", "neighbourhood_graph"]
