"""How :mod:`channelkg.render.network` reads a store: pyoxigraph terms, few conversions.

Building rdflib literals is most of the cost of reading a large graph, and a view looks up
the few thousand nodes it draws: a literal read from a store stays a pyoxigraph literal
until its resource is looked up (:class:`Literals`), unless it names or dates a resource
(the resolver and the time slider need those).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from rdflib import Literal, URIRef

if TYPE_CHECKING:
    from channelkg.render.network import Triples as _Triples


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

            from channelkg.rdf.terms import to_rdflib

            self.raw.discard(key)
            pairs[:] = [(p, to_rdflib(o) if isinstance(o, ox.Literal) else o) for p, o in pairs]
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
                lit = to_rdflib(o)
                if sv is not None and ps in named:
                    out.names.add(sv, ps, lit)
                dict.setdefault(lits, sid, []).append((ps, lit))  # type: ignore[arg-type]
                if ps in dates:
                    out.dated.append((URIRef(sid), dates[ps], lit))  # type: ignore[arg-type]
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


__all__ = ["Literals", "read_oxigraph", "vocabulary_keys"]
