"""The one label policy: how every command names a node.

A node's label is chosen among its ``rdfs:label``, ``skos:prefLabel``, ``schema:name``
and ``dcterms:title`` values: language first (English, ``en`` or ``en-GB`` ..., then an
untagged value, then any other language), then property in that order, then the
smallest text (so the choice never depends on storage order). An unlabelled
partnership is named after its parties and kind; anything else falls back to the
local name of its IRI (after the last ``#``, ``/`` or ``:``).

Views name a claim by what it says (:func:`claim_label`): its label, else its
``rdfs:comment``, cut to a few words, and the day it starts (``validFrom``, else
``statedOn``): "OpenAI blocks API traffic from… · 2024-07-09".

The policy reads a graph through one callable, ``objects(subject, predicate)``, so
an rdflib ``Graph``, the analysis index and the network projection share it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from channelkg.rdf.namespaces import CKG_NS, DCTERMS_NS, RDFS_NS, SCHEMA_NS, SKOS_NS
from channelkg.rdf.terms import is_literal, language_of, text_of

TYPE_CHECKING = False  # typing is not imported at run time
if TYPE_CHECKING:
    from typing import Any, TypeAlias

    from rdflib.term import Node, URIRef

# Made (and rdflib imported) on first use, see __getattr__: declared, never bound at import.
#: Properties that name a node, in order of preference (rdflib terms).
LABEL_PROPS: tuple[URIRef, ...]
#: Properties a user may type to name a node (labels, alternative labels, codes, ids).
NAME_PROPS: tuple[URIRef, ...]
#: The properties that date a claim in its short label, in order of preference.
CLAIM_DATE_PROPS: tuple[URIRef, ...]

#: The IRIs of :data:`LABEL_PROPS`, in order of preference (no RDF library needed).
LABEL_IRIS: tuple[str, ...] = (RDFS_NS + "label", SKOS_NS + "prefLabel", SCHEMA_NS + "name",
                               DCTERMS_NS + "title")
#: The IRIs of :data:`NAME_PROPS`.
NAME_IRIS: tuple[str, ...] = (*LABEL_IRIS, SKOS_NS + "altLabel", CKG_NS + "isoCode",
                              CKG_NS + "factId")
_CLAIM_DATE_IRIS = (CKG_NS + "validFrom", CKG_NS + "statedOn")

Objects: TypeAlias = "Callable[[Any, Any], Iterable[Any]]"


def __getattr__(name: str) -> Any:
    if name not in ("LABEL_PROPS", "NAME_PROPS", "CLAIM_DATE_PROPS"):
        raise AttributeError(f"module 'channelkg.model.labels' has no attribute {name!r}")
    return _props(name)


def _props(name: str) -> tuple[URIRef, ...]:
    """:data:`LABEL_PROPS`, :data:`NAME_PROPS` or :data:`CLAIM_DATE_PROPS`, made (and
    rdflib imported) on first use."""
    value: tuple[URIRef, ...] | None = globals().get(name)
    if value is None:
        from rdflib.term import URIRef

        iris = {"LABEL_PROPS": LABEL_IRIS, "NAME_PROPS": NAME_IRIS}.get(name, _CLAIM_DATE_IRIS)
        value = globals()[name] = tuple(URIRef(i) for i in iris)  # made once
    return value


def local_name(iri: str) -> str:
    """The part of an IRI after the last ``#``, ``/`` or ``:`` (the IRI if that is empty)."""
    return re.split(r"[#/:]", iri.rstrip("/#"))[-1] or iri


def _rank(value: Any, want: str = "en") -> tuple[int, str]:
    lang = (language_of(value) or "").lower()
    if lang == want or lang.startswith(want + "-"):
        return 0, ""
    if lang == "en" or lang.startswith("en-"):
        return 1, ""
    return (2 if not lang else 3), lang


def pick(values: Iterable[Node], lang: str = "en") -> str | None:
    """The preferred text among values of one label property, or ``None`` if none.

    Args:
        values: the property's values (literals of either library; other terms are
            ignored).
        lang: the language wanted first (default English).
    """
    lits = [v for v in values if is_literal(v)]
    if not lits:
        return None
    return text_of(min(lits, key=lambda v: (_rank(v, lang), text_of(v))))


def label(objects: Objects, node: Node | None, lang: str = "en") -> str:
    """The label of ``node`` by the policy above; a literal is its own text.

    Args:
        objects: ``objects(subject, predicate)`` of the graph.
        node: the node (``None`` gives ``""``).
        lang: the language wanted first.
    """
    from rdflib.term import BNode, URIRef

    from channelkg.rdf.namespaces import CKG

    if node is None:
        return ""
    if not isinstance(node, URIRef | BNode):
        return str(node)
    text = explicit_label(objects, node, lang)
    if text is not None:
        return text
    parties = list(objects(node, CKG.party))
    if parties:  # an unlabelled partnership: "A – B (kind)"
        names = " – ".join(sorted(label(objects, p, lang) for p in parties))
        kinds = list(objects(node, CKG.kind))
        return f"{names} ({label(objects, kinds[0], lang)})" if kinds else names
    return f"_:{node}" if isinstance(node, BNode) else local_name(str(node))


#: The longest text of a short claim label (cut at a word, then "…").
SHORT_CHARS = 48


def short_text(text: str, limit: int = SHORT_CHARS) -> str:
    """``text``'s first sentence or clause, cut at a word to at most ``limit`` characters."""
    text = " ".join(text.split())
    first = re.split(r"(?<=[^A-Z0-9.])[.;:](?:\s|$)|,\s", text, maxsplit=1)[0].strip()
    if len(first) >= 24:
        text = first
    if len(text) <= limit:
        return text
    cut = text[: limit + 1].rsplit(" ", 1)[0].rstrip(" ,;:-–—(")
    return (cut if len(cut) >= limit // 2 else text[:limit]) + "…"


def claim_label(objects: Objects, node: Node, lang: str = "en") -> str:
    """What a claim says, short, and the day it starts: ``"<text> · <date>"``.

    The text is the claim's label (by the policy above), else its ``rdfs:comment``,
    else the policy's fallback, cut by :func:`short_text`; the date is the earliest
    ``validFrom``, else the earliest ``statedOn`` (omitted when it has neither), at its
    ``ckg:datePrecision`` (``2024-06`` for a month).
    """
    from rdflib.term import URIRef

    from channelkg.rdf.namespaces import CKG

    comment = URIRef(RDFS_NS + "comment")
    text = explicit_label(objects, node, lang) or pick(objects(node, comment), lang)
    short = short_text(text or label(objects, node, lang))
    for prop in _props("CLAIM_DATE_PROPS"):
        days = sorted(str(v) for v in objects(node, prop) if is_literal(v))
        if days:
            precision = {str(v) for v in objects(node, CKG.datePrecision)}
            day = days[0][:4] if "year" in precision else (
                days[0][:7] if "month" in precision else days[0])
            return f"{short} · {day}"
    return short


def explicit_label(objects: Objects, node: Node, lang: str = "en") -> str | None:
    """The label the graph states for ``node`` (no fallback), or ``None``."""
    return choose(((p, v) for p in _props("LABEL_PROPS") for v in objects(node, p)), lang)


_PROP_RANK = {p: i for i, p in enumerate(LABEL_IRIS)}


def choose(pairs: Iterable[tuple[object, Any]], lang: str = "en") -> str | None:
    """The label among ``(property, value)`` pairs by the policy, or ``None``.

    Pairs of other properties than :data:`LABEL_PROPS`, and non-literals, are ignored;
    terms of either library (pyoxigraph, rdflib) are read alike.
    """
    best: tuple[tuple[int, str], int, str] | None = None
    for prop, value in pairs:
        rank = _PROP_RANK.get(text_of(prop))
        if rank is None or not is_literal(value):
            continue
        key = (_rank(value, lang), rank, text_of(value))
        if best is None or key < best:
            best = key
    return None if best is None else best[2]


def graph_objects(graph: object) -> Objects:
    """``objects`` of an rdflib ``Graph`` (or anything with rdflib's ``objects(s, p)``)."""
    method: Objects = graph.objects  # type: ignore[attr-defined]
    return method


__all__ = ["CLAIM_DATE_PROPS", "LABEL_IRIS", "LABEL_PROPS", "NAME_IRIS", "NAME_PROPS",
           "SHORT_CHARS", "choose", "claim_label", "explicit_label", "graph_objects", "label",
           "local_name", "pick", "short_text"]
