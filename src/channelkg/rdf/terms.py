"""Conversion of RDF terms between pyoxigraph and rdflib, and compact display."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import pyoxigraph as ox
from rdflib import BNode, Literal, URIRef
from rdflib.namespace import RDFS, XSD
from rdflib.term import Node

from channelkg.rdf.namespaces import PREFIXES

if TYPE_CHECKING:
    from rdflib import Graph

_XSD_STRING = str(XSD.string)
_new_uriref = str.__new__
_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"



def add_triples(graph: Graph, quads: Iterable[ox.Quad]) -> Graph:
    """Add the triples of pyoxigraph ``quads`` (a parser's, a store's) to the rdflib
    ``graph``, each term converted by :func:`to_rdflib`; return ``graph``."""
    for q in quads:
        graph.add((to_rdflib(q.subject), to_rdflib(q.predicate), to_rdflib(q.object)))  # type: ignore[arg-type]
    return graph


def to_rdflib(
    term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple | None,
) -> Node | None:
    """Convert a pyoxigraph term to the equal rdflib term, keeping a literal's lexical form.

    Raises:
        InputError: an RDF 1.2 triple term, which rdflib graphs cannot hold.
    """
    if term is None:
        return None
    if isinstance(term, ox.NamedNode):
        # pyoxigraph has validated the IRI: build the URIRef without re-checking it.
        return _new_uriref(URIRef, term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        dt = term.datatype.value
        if dt == _XSD_STRING:
            return Literal(term.value)
        # normalize=False keeps the lexical form byte for byte ("01", "1E0", "TRUE",
        # "1.", "…Z"): rdflib would otherwise re-lex it and could merge distinct triples.
        return Literal(term.value, datatype=_new_uriref(URIRef, dt), normalize=False)
    if isinstance(term, ox.Triple):
        from channelkg.errors import InputError

        raise InputError(f"RDF 1.2 triple terms (<< … >>) are not supported: {term}")
    raise TypeError(f"unsupported term {term!r}")


def to_oxigraph(term: Node) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    """Convert an rdflib term to the equal pyoxigraph term."""
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype is not None and str(term.datatype) not in (_XSD_STRING, _LANG_STRING):
            return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
        return ox.Literal(str(term))
    raise TypeError(f"unsupported term {term!r}")


def subclass_closure(graph: Any, cls: Node, *, up: bool = False) -> set[Node]:
    """``cls`` and every class below it (``rdfs:subClassOf*``), or above it with ``up``.

    ``graph`` is anything with rdflib's ``subjects(p, o)`` / ``objects(s, p)``.
    """
    def step(c: Node) -> Iterable[Node]:
        if up:
            return graph.objects(c, RDFS.subClassOf)  # type: ignore[no-any-return]
        return graph.subjects(RDFS.subClassOf, c)  # type: ignore[no-any-return]

    out = {cls}
    todo = [cls]
    while todo:
        for other in step(todo.pop()):
            if other not in out:
                out.add(other)
                todo.append(other)
    return out


def shorten(iri: str) -> str:
    """Return ``prefix:local`` for an IRI under a known prefix, else the IRI."""
    for prefix, ns in PREFIXES.items():
        if iri.startswith(ns):
            local = iri[len(ns) :]
            if local and all(c.isalnum() or c in "-_." for c in local):
                return f"{prefix}:{local}"
    return iri


def display(term: Node | None) -> str:
    """A short human-readable form: prefixed IRI, or a literal's text."""
    if term is None:
        return ""
    if isinstance(term, URIRef):
        return shorten(str(term))
    if isinstance(term, BNode):
        return f"_:{term}"
    return str(term)


def expand(value: str) -> URIRef:
    """Expand ``<iri>``, ``prefix:local``, a full IRI or a bare slug (``kgid:`` namespace)."""
    value = value.strip()
    if value.startswith("<") and value.endswith(">"):
        return URIRef(value[1:-1])
    if "://" in value:
        return URIRef(value)
    if ":" in value:
        prefix, local = value.split(":", 1)
        if prefix in PREFIXES:
            return URIRef(PREFIXES[prefix] + local)
        raise ValueError(f"unknown prefix {prefix!r} (known: {', '.join(PREFIXES)})")
    return URIRef(PREFIXES["kgid"] + value)
