"""How :mod:`channelkg.render.network` reads a store: pyoxigraph terms, few conversions.

Building rdflib literals is most of the cost of reading a large graph, and a view looks up
the few thousand nodes it draws: a literal read from a store stays a pyoxigraph literal
until its resource is looked up (:class:`Literals`), unless it names or dates a resource
(the resolver and the time slider need those).
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from rdflib import Literal, URIRef

if TYPE_CHECKING:
    from channelkg.render.network import Triples as _Triples


#: Literals at most this long are converted once (the dates, flags and levels a large
#: graph repeats); longer ones, which seldom repeat, every time, so that the memo of a
#: long-running server stays small.
SHORT_LITERAL = 64


def rdflib_literal(lit: Any) -> Literal:
    """``to_rdflib`` of a pyoxigraph literal, once a distinct short literal (rdflib
    literals are immutable)."""
    if len(lit.value) <= SHORT_LITERAL:
        return _short_literal(lit)
    from channelkg.rdf.terms import to_rdflib

    return to_rdflib(lit)  # type: ignore[return-value]


@lru_cache(maxsize=1 << 16)
def _short_literal(lit: Any) -> Literal:
    from channelkg.rdf.terms import to_rdflib

    return to_rdflib(lit)  # type: ignore[return-value]


class Literals(dict[str, list[tuple[str, Literal]]]):
    """Each resource's ``(property, literal)`` pairs; pairs of the keys in ``raw`` may
    hold pyoxigraph literals, converted on the first ``get`` or ``[]`` of the key."""

    def __init__(self) -> None:
        super().__init__()
        self.raw: set[str] = set()

    def __missing__(self, key: str) -> list[tuple[str, Literal]]:
        got: list[tuple[str, Literal]] = []
        dict.__setitem__(self, key, got)
        return got

    def _converted(self, key: str, pairs: list[tuple[str, Any]]) -> list[tuple[str, Literal]]:
        if key in self.raw:
            import pyoxigraph as ox

            self.raw.discard(key)
            lit = ox.Literal
            pairs[:] = [(p, rdflib_literal(o) if type(o) is lit else o) for p, o in pairs]
        return pairs

    def __getitem__(self, key: str) -> list[tuple[str, Literal]]:
        got = dict.get(self, key)
        if got is None:
            return self.__missing__(key)
        return self._converted(key, got)

    def get(self, key: str, default: Any = None) -> Any:
        got = dict.get(self, key)
        return default if got is None else self._converted(key, got)

    def items(self) -> Any:
        return [(k, self[k]) for k in self]

    def values(self) -> Any:
        return [self[k] for k in self]

    def only(self, keys: Iterable[str]) -> dict[str, list[tuple[str, Literal]]]:
        """The pairs of ``keys`` (those that have any), converted."""
        return {k: self[k] for k in keys if k in self}


def read_oxigraph(out: _Triples, triples: Iterable[Any]) -> _Triples:
    """``_Triples.read`` of pyoxigraph triples into ``out`` (the same result): IRIs stay
    strings, and a literal becomes an rdflib literal only when it names or dates a
    resource, or when the resource is looked up (:class:`Literals`)."""
    import pyoxigraph as ox

    from channelkg.rdf.terms import to_rdflib
    from channelkg.render import network

    dates, named, node_id = network.DATE_PROPS, network.NAMED_PROPS, network.node_id
    rdf_type, subclass = network.RDF_TYPE, network.SUBCLASS

    named_node, blank_node, ox_literal = ox.NamedNode, ox.BlankNode, ox.Literal
    iri_of, lits, raw, types, links = out.iri_of, out.lits, out.lits.raw, out.types, out.links
    for s, p, o in triples:
        ts = type(s)
        if ts is named_node:
            sv = s.value
            sid = node_id(sv)
            if sid not in iri_of:
                iri_of[sid] = sv
        elif ts is blank_node:
            sv = None
            sid = f"_:{s.value}"
            if sid not in iri_of:
                iri_of[sid] = sid
        else:
            to_rdflib(s)  # an RDF 1.2 triple term: refused
            continue
        ps = p.value
        to = type(o)
        if to is ox_literal:
            if ps in named or ps in dates:
                lit = rdflib_literal(o)
                if sv is not None and ps in named:
                    out.names.add(sv, ps, lit)
                dict.setdefault(lits, sid, []).append((ps, lit))
                if ps in dates:
                    out.dated.append((URIRef(sid), dates[ps], lit))
            else:
                dict.setdefault(lits, sid, []).append((ps, o))
                raw.add(sid)
            continue
        if to is named_node:
            ov: Any = o.value
            oid = node_id(ov)
            oiri = ov
        elif to is blank_node:
            ov = to_rdflib(o)
            oid = f"_:{o.value}"
            oiri = oid
        else:
            to_rdflib(o)  # an RDF 1.2 triple term: refused
            continue
        if sv is not None and ps in named:
            out.names.add(sv, ps, ov)
        if ps == rdf_type:
            types[sid].add(oid)
            continue
        if oid not in iri_of:
            iri_of[oid] = oiri
        links[sid].append((ps, oid))
        if ps == subclass:
            out.subclass.append((sid, oid))
    return out

def vocabulary_keys(read: _Triples) -> list[str]:
    """The resources whose literals can style or name the vocabulary: the classes of
    the class tree, the predicates the graph uses (whatever their type), resources typed
    with a vocabulary type (properties, concepts classes, shapes …) or untyped, and those
    that carry a view style or notation."""
    from channelkg.render import network

    vocab = {network.node_id(v) for v in network.VOCAB_TYPES}
    styled = network.STYLE_PROPS
    used: set[str] = set()  # the predicates of the graph: their labels name its edges
    for links in read.links.values():
        used.update(p for p, _o in links)
    for pairs in dict.values(read.lits):
        used.update(p for p, _o in pairs)
    predicates = {network.node_id(p) for p in used}
    keys = dict.fromkeys(k for pair in read.subclass for k in pair)
    for k, pairs in dict.items(read.lits):
        if (k not in read.types or k in predicates or not vocab.isdisjoint(read.types[k])
                or any(p in styled for p, _ in pairs)):
            keys[k] = None
    return list(keys)


Term = Any


class StoreSelection:
    """A market or provider selection (:func:`~channelkg.render.selection.select`) worked
    out on the store, as the whole projection would work it out, reading the triples of
    the nodes it reaches only; :meth:`triples` then holds what a projection of the drawn
    nodes needs (the vocabulary, the nodes, what they link to), so that projection gives
    them the attributes, edges and dates the projection of the whole graph gives them.

    A node of the projection is a typed resource the projection keeps (not a vocabulary
    term, not a source unless ``sources``) or an untyped one such a resource links to;
    its neighbours are the nodes it links to and those that link to it (``rdf:type`` and
    ``rdfs:subClassOf`` are not edges).
    """

    def __init__(self, kg: Any, sources: bool) -> None:
        import pyoxigraph as ox

        from channelkg.render import network
        from channelkg.serve.neighbourhood import Reader

        self.kg = kg
        self._triples = _pattern_reader(kg)
        triples = self._triples

        class _Reader(Reader):
            def about(self, s: Any) -> list[Any]:
                got = self._about.get(s)
                if got is None:
                    got = self._about[s] = triples(s, None, None)
                return got

        self.reader = _Reader(kg)
        self.read, self.proj = self.reader.projector(sources)
        self._type = ox.NamedNode(network.RDF_TYPE)
        self._skip = frozenset((network.RDF_TYPE, network.SUBCLASS))
        self._literal = ox.Literal
        self._named = ox.NamedNode
        self._resource = (ox.NamedNode, ox.BlankNode)
        self._node: dict[Term, bool] = {}
        self._claim: dict[Term, bool] = {}
        self._typed: dict[Term, str | None] = {}
        self._out: dict[Term, list[tuple[str, Term]]] = {}
        self._in: dict[Term, list[Term]] = {}
        self.terms: dict[str, Term] = {}
        self.terms_key: dict[Term, str] = {}

    def key(self, t: Term) -> str:
        """The node key of a term (``kgid:x``, ``_:b0``)."""
        from channelkg.render.network import node_id

        got = self.terms_key.get(t)
        if got is None:
            got = node_id(t.value) if isinstance(t, self._named) else f"_:{t.value}"
            self.terms_key[t] = got
            self.terms[got] = t
        return got

    def types(self, t: Term) -> list[Term]:
        """The classes of ``t``: from its triples if read, else one ``rdf:type`` pattern
        (most resources whose types a selection asks for are never read whole: the
        sources and concepts its claims link to)."""
        rdf_type = self._type
        got = self.reader._about.get(t)
        if got is None:
            return [o for _, _, o in self._triples(t, rdf_type, None)]
        return [o for _, p, o in got if p == rdf_type]

    def _typed_key(self, t: Term) -> str | None:
        """The key of ``t`` with its types known to the projector (``None``: untyped);
        worked out once a term (its types do not change)."""
        typed = self._typed
        if t in typed:
            return typed[t]
        key: str | None = self.key(t)
        if key not in self.read.types:
            for c in self.types(t):
                if isinstance(c, self._resource):
                    self.read.types[key].add(self.key(c))
            if key not in self.read.types:
                key = None
        typed[t] = key
        return key

    def is_node(self, t: Term) -> bool:
        """Whether the projection of the whole graph has ``t`` as a node."""
        got = self._node.get(t)
        if got is None:
            got = self._node[t] = self._is_node(t)
        return got

    def _is_node(self, t: Term) -> bool:
        if not isinstance(t, self._resource):
            return False
        key = self._typed_key(t)
        if key is not None:
            return bool(self.proj.keep(key))
        if not self.proj.keep(self.key(t)):
            return False
        return any(p.value != self._type.value and self._typed_key(x) is not None
                   and self.is_node(x) for x, p, _ in self._triples(None, None, t))

    def is_claim(self, t: Term) -> bool:
        got = self._claim.get(t)
        if got is None:
            key = self._typed_key(t)
            got = self._claim[t] = key is not None and bool(
                self.proj.is_claim(self.proj.main_class(key)))
        return got

    def links(self, t: Term) -> list[tuple[str, Term]]:
        """``(predicate, node)`` of the edges out of node ``t``."""
        got = self._out.get(t)
        if got is None:
            skip, lit = self._skip, self._literal
            got = self._out[t] = [
                (p.value, o) for _, p, o in self.reader.about(t)
                if p.value not in skip and not isinstance(o, lit) and self.is_node(o)]
        return got

    def successors(self, t: Term) -> list[Term]:
        return [o for _, o in self.links(t)]

    def predecessors(self, t: Term) -> list[Term]:
        got = self._in.get(t)
        if got is None:
            skip = self._skip
            got = self._in[t] = list(dict.fromkeys(
                x for x, p, _ in self._triples(None, None, t)
                if p.value not in skip and self.is_node(x)))
        return got

    def neighbours(self, t: Term) -> set[Term]:
        return set(self.successors(t)) | set(self.predecessors(t))

    def closure(self, seeds: Iterable[Term]) -> set[Term]:
        """:func:`~channelkg.render.selection.claim_closure` on the store."""
        from channelkg.render.selection import closure_of

        return closure_of(seeds, self.neighbours, self.successors, self.is_claim)

    def market(self, node: Term) -> set[Term]:
        """:func:`~channelkg.render.selection.select_market` of a market node."""
        from channelkg.rdf.namespaces import CKG_NS

        part_of = CKG_NS + "partOf"
        seeds = {node} | {x for x, p, _ in self._triples(None, None, node)
                          if p.value == part_of and self.is_node(x)}
        return self.closure(seeds)

    def provider(self, node: Term) -> set[Term]:
        """:func:`~channelkg.render.selection.select_provider` of an organization node."""
        return self.closure({node} | {s for s in self.predecessors(node)
                                      if not self.is_claim(s)})

    def degrees(self, nodes: set[Term]) -> dict[Term, int]:
        """The degree of each node in the projection's subgraph of ``nodes`` (an edge is
        a subject, object and predicate: the same triple in two graphs is one edge)."""
        deg = dict.fromkeys(nodes, 0)
        for s in nodes:
            for _p, o in dict.fromkeys(self.links(s)):
                if o in deg:
                    deg[s] += 1
                    deg[o] += 1
        return deg

    def shape(self, nodes: set[Term]) -> tuple[dict[str, tuple[str, bool]],
                                               dict[str, list[tuple[str, str]]]]:
        """The projection's subgraph of ``nodes`` as plain data (what
        :func:`~channelkg.render.collapse.collapsed_shape` reads): each node's key with
        its ``(class, claim)``, and its ``(edge key, node key)`` edges to the others, in
        the order of the store."""
        from channelkg.render.network import node_id

        key, proj, typed_key = self.key, self.proj, self._typed_key
        by_key = {key(n): n for n in nodes}
        classes: dict[str, tuple[str, bool]] = {}
        links: dict[str, list[tuple[str, str]]] = {}
        for k, n in by_key.items():
            typed = typed_key(n)
            cls = proj.main_class(typed) if typed is not None else None
            classes[k] = (cls or "", bool(proj.is_claim(cls)))
            links[k] = [(node_id(p), ok) for p, o in self.links(n)
                        if (ok := key(o)) in by_key]
        return classes, links

    def triples(self, nodes: Iterable[Term]) -> list[Any]:
        """The triples a projection of ``nodes`` reads: the vocabulary, the predicates
        and styled terms, the nodes, what they link to, and those targets' publishers."""
        import pyoxigraph as ox

        from channelkg.render import network

        about = self.reader.about
        described: dict[Term, None] = dict.fromkeys(self.reader.vocabulary())
        for prop in network.STYLE_PROPS:
            for s, _, _ in self._triples(None, ox.NamedNode(prop), None):
                described[s] = None
        publisher = str(network.PUBLISHER)
        rdf_type = self._type.value
        targets: set[Term] = set()
        for n in nodes:
            described[n] = None
            for _, p, o in about(n):
                if isinstance(o, self._literal):
                    continue
                if p.value == rdf_type:  # a class known only by its literals names it
                    described[o] = None
                    continue
                if o in targets:
                    continue
                targets.add(o)
                described[o] = None
                for _, q, pub in about(o):
                    if q.value == publisher and not isinstance(pub, self._literal):
                        described[pub] = None
        out = [t for s in described for t in about(s)]
        predicates = dict.fromkeys(t[1] for t in out)
        out += [t for p in predicates if p not in described for t in about(p)]
        return out

    def many_dates(self) -> bool:
        """Whether the dated nodes of the whole projection have no dates or at least
        :data:`~channelkg.render.page_time.MAX_STRETCHES` distinct bounds (so that a
        selection's page has no time slider: :func:`~channelkg.render.page_time.\
selection_spans` is ``None``)."""
        import pyoxigraph as ox
        from rdflib import URIRef

        from channelkg.graph.validity import DATING_PROPS, fact_dates
        from channelkg.rdf.terms import to_rdflib
        from channelkg.render.page_time import MAX_STRETCHES

        props = [(ox.NamedNode(str(p)), p) for p in DATING_PROPS]
        bounds: set[str] = set()
        seen: set[Term] = set()
        for prop, _ in props:
            for s, _, o in self.kg.ox_triples(None, prop, None):  # lazily: it stops early
                if s in seen or not isinstance(o, self._literal):
                    continue
                seen.add(s)
                if not self.is_node(s):
                    continue
                ref = URIRef(self.key(s))
                dated: list[Any] = [(ref, rp, to_rdflib(v)) for q, rp in props
                         for _, _, v in self._triples(s, q, None)
                         if isinstance(v, self._literal)]
                for dates in fact_dates(dated).values():
                    bounds.update(d.isoformat() for d in dates.interval() if d)
                if len(bounds) + 1 > MAX_STRETCHES:
                    return True
        return not bounds


def holds_triple_terms(kg: Any) -> bool:
    """Whether the store of ``kg`` holds an RDF 1.2 triple term as a subject or object
    (the projection of the whole graph refuses those in one line; ``True`` without a
    store to ask)."""
    store = getattr(kg, "store", None)
    if store is None:
        return True
    # RDF 1.2 puts a triple term only in the object place; a pattern with one there
    # (``<<( )>>``) reads a little faster than FILTER(isTRIPLE(...)) over every triple.
    # Not ``<< ?a ?b ?c >>``: in SPARQL 1.2 that is a reifier (rdf:reifies), and a triple
    # term stated without one would go unseen.
    return bool(store.query("ASK { ?s ?p <<( ?a ?b ?c )>> }", use_default_graph_as_union=True))


def _pattern_reader(kg: Any) -> Any:
    """``pattern(s, p, o)``: the list of ``kg.ox_triples(s, p, o)`` (pyoxigraph terms),
    straight from the store of an in-memory graph."""
    from channelkg.graph.memory import OxigraphGraph

    store = getattr(kg, "store", None)
    if type(kg).ox_triples is OxigraphGraph.ox_triples and store is not None:
        quads = store.quads_for_pattern

        def pattern(s: Any, p: Any, o: Any) -> list[Any]:
            return [(q.subject, q.predicate, q.object) for q in quads(s, p, o, None)]
        return pattern

    def generic(s: Any, p: Any, o: Any) -> list[Any]:
        return list(kg.ox_triples(s, p, o))
    return generic


class TriplesOf:
    """Triples in hand with the ``ox_triples`` of a graph (what the projection reads)."""

    def __init__(self, triples: list[Any]) -> None:
        self._triples = triples

    def ox_triples(self) -> list[Any]:
        return self._triples

    @classmethod
    def of(cls, triples: list[Any]) -> Any:
        """The triples as a source :func:`~channelkg.render.network.project_lazily` reads."""
        return cls(triples)


__all__ = ["Literals", "StoreSelection", "TriplesOf", "holds_triple_terms", "read_oxigraph",
           "vocabulary_keys"]
