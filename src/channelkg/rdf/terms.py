"""Conversion of RDF terms between pyoxigraph and rdflib, and compact display.

The functions that read a term (:func:`display`, :func:`term_parts`, :func:`is_literal`
…) take a pyoxigraph term or an rdflib one alike, and never import rdflib for a
pyoxigraph term: results of an Oxigraph store can be shown without loading rdflib.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable

import pyoxigraph as ox

from channelkg.rdf.namespaces import PREFIXES, RDFS_NS, XSD_NS

TYPE_CHECKING = False  # typing is not imported at run time
if TYPE_CHECKING:
    from typing import Any

    from rdflib import Graph, URIRef
    from rdflib.term import Node

_XSD_STRING = XSD_NS + "string"
_new_uriref = str.__new__
_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"


def _rdflib_terms() -> Any:
    """rdflib's term module if rdflib is loaded (else no rdflib term can exist)."""
    return sys.modules.get("rdflib.term")


def term_parts(term: Any) -> tuple[str, str, str | None, str | None]:
    """``(kind, value, language, datatype)`` of a pyoxigraph or rdflib term: ``kind`` is
    ``iri``, ``bnode`` or ``literal``; a plain string literal has no datatype (``None``),
    as in rdflib (pyoxigraph gives every literal a datatype; an rdflib literal keeps an
    explicit ``xsd:string``).

    Raises:
        InputError: an RDF 1.2 triple term (as from :func:`to_rdflib`).
        TypeError: not an RDF term (``None`` included).
    """
    if isinstance(term, ox.NamedNode):
        return "iri", term.value, None, None
    if isinstance(term, ox.Literal):
        dt = term.datatype.value
        return ("literal", term.value, term.language or None,
                None if dt in (_XSD_STRING, _LANG_STRING) else dt)
    if isinstance(term, ox.BlankNode):
        return "bnode", term.value, None, None
    rdflib_term = _rdflib_terms()
    if rdflib_term is not None:
        if isinstance(term, rdflib_term.URIRef):
            return "iri", str(term), None, None
        if isinstance(term, rdflib_term.BNode):
            return "bnode", str(term), None, None
        if isinstance(term, rdflib_term.Literal):
            typed = None if term.datatype is None else str(term.datatype)
            return "literal", str(term), term.language or None, typed
    if isinstance(term, ox.Triple):
        raise _triple_term_error(term)
    raise TypeError(f"not an RDF term: {term!r}")


def _triple_term_error(term: ox.Triple) -> Exception:
    """The usage error for an RDF 1.2 triple term, which no reader here supports."""
    from channelkg.errors import InputError

    return InputError(f"RDF 1.2 triple terms (<< … >>) are not supported: {term}")


def is_literal(term: Any) -> bool:
    """True for a literal (pyoxigraph's or rdflib's)."""
    if isinstance(term, ox.Literal):
        return True
    rdflib_term = _rdflib_terms()
    return rdflib_term is not None and isinstance(term, rdflib_term.Literal)


def is_blank(term: Any) -> bool:
    """True for a blank node (pyoxigraph's or rdflib's)."""
    if isinstance(term, ox.BlankNode):
        return True
    rdflib_term = _rdflib_terms()
    return rdflib_term is not None and isinstance(term, rdflib_term.BNode)


def text_of(term: Any) -> str:
    """An IRI, a blank node's label or a literal's lexical form, of either library's
    term (``str`` of an rdflib term, a plain ``str`` of a string)."""
    if isinstance(term, ox.NamedNode | ox.Literal | ox.BlankNode):
        return term.value
    return str(term)


def language_of(term: Any) -> str | None:
    """The language tag of a literal of either library (``None``: none, or no literal)."""
    if isinstance(term, ox.Literal):
        return term.language or None
    return getattr(term, "language", None) or None



def add_triples(graph: Graph, quads: Iterable[ox.Quad]) -> Graph:
    """Add the triples of pyoxigraph ``quads`` (a parser's, a store's) to the rdflib
    ``graph``, each term converted by :func:`to_rdflib`; return ``graph``."""
    for q in quads:
        graph.add((to_rdflib(q.subject), to_rdflib(q.predicate), to_rdflib(q.object)))  # type: ignore[arg-type]
    return graph


def to_rdflib(
    term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple | Node | None,
) -> Node | None:
    """Convert a pyoxigraph term to the equal rdflib term, keeping a literal's lexical form
    (an rdflib term is returned as it is).

    Raises:
        InputError: an RDF 1.2 triple term, which rdflib graphs cannot hold.
    """
    from rdflib.term import BNode, Literal, Node, URIRef

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
        raise _triple_term_error(term)
    if isinstance(term, Node):
        return term
    raise TypeError(f"unsupported term {term!r}")


def to_oxigraph(term: Any) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    """Convert an rdflib term to the equal pyoxigraph term (a pyoxigraph term as it is)."""
    if isinstance(term, ox.NamedNode | ox.BlankNode | ox.Literal):
        return term
    from rdflib.term import BNode, Literal, URIRef

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
    from rdflib.term import URIRef

    sub_class_of = URIRef(RDFS_NS + "subClassOf")

    def step(c: Node) -> Iterable[Node]:
        if up:
            return graph.objects(c, sub_class_of)  # type: ignore[no-any-return]
        return graph.subjects(sub_class_of, c)  # type: ignore[no-any-return]

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


def display(term: Any) -> str:
    """A short human-readable form of a term of either library: prefixed IRI, ``_:label``
    of a blank node, or a literal's text (``""`` for ``None``)."""
    if term is None:
        return ""
    kind, value, _, _ = term_parts(term)
    if kind == "iri":
        return shorten(value)
    return f"_:{value}" if kind == "bnode" else value


def expand_iri(value: str) -> str:
    """The IRI of ``<iri>``, ``prefix:local``, a full IRI or a bare slug (``kgid:``).

    Raises:
        ValueError: ``prefix:local`` with an unknown prefix.
    """
    value = value.strip()
    if value.startswith("<") and value.endswith(">"):
        return value[1:-1]
    if "://" in value:
        return value
    if ":" in value:
        prefix, local = value.split(":", 1)
        if prefix in PREFIXES:
            return PREFIXES[prefix] + local
        raise ValueError(f"unknown prefix {prefix!r} (known: {', '.join(PREFIXES)})")
    return PREFIXES["kgid"] + value


def expand(value: str) -> URIRef:
    """:func:`expand_iri` as an rdflib ``URIRef``."""
    from rdflib.term import URIRef

    return URIRef(expand_iri(value))


def iri_term(iri: str) -> Any:
    """An IRI as a pyoxigraph ``NamedNode``, or an rdflib ``URIRef`` when pyoxigraph does
    not take it (a relative IRI, resolved against the query's base; an invalid one, which
    :func:`channelkg.sparql.binding.sparql_term` refuses): the same query text either way."""
    try:
        return ox.NamedNode(iri)
    except ValueError:
        from rdflib.term import URIRef

        return URIRef(iri)


def literal_term(text: str, datatype: str | None = None) -> Any:
    """A literal as a pyoxigraph ``Literal`` (an rdflib one when pyoxigraph does not take
    the text, e.g. a lone surrogate from a command line that is not UTF-8)."""
    try:
        return ox.Literal(text, datatype=ox.NamedNode(datatype)) if datatype else ox.Literal(text)
    except ValueError:
        from rdflib.term import Literal, URIRef

        return Literal(text, datatype=URIRef(datatype) if datatype else None)
