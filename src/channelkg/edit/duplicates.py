"""Duplicates: the same IRI, or the same key properties from the same source."""

from __future__ import annotations

from typing import Any

from rdflib import Graph, URIRef
from rdflib.namespace import PROV, RDF
from rdflib.term import Node

from channelkg.edit.build import Context, Triples
from channelkg.rdf.terms import shorten

#: Key fields: a fact with the same values and a shared source is a duplicate.
KEY_FIELDS: dict[str, tuple[str, ...]] = {
    "route": ("model", "market", "service", "kind", "open"),
    "partnership": ("party", "kind"),
    "restriction": ("imposed-by", "kind", "market", "applies-to", "blocks"),
    "assessment": ("assessed-entity", "kind", "market", "level"),
    "claim": ("comment",),
}


def key_fields(kind: str) -> tuple[str, ...]:
    """The key fields of a kind (a kind the shapes added: its statement)."""
    return KEY_FIELDS.get(kind, ("comment",))


def _key_preds(ctx: Context, kind: str) -> list[Node | None]:
    fields = {f.name: f for f in ctx.schema.fields(kind)}
    return [fields[n].pred if n in fields else None for n in key_fields(kind)]


def _key(graph: Graph, node: Node, preds: list[Node | None]) -> tuple[Any, ...]:
    return tuple(
        tuple(sorted(str(v) for v in graph.objects(node, pred))) if pred is not None else ()
        for pred in preds
    )


def free_iri(ctx: Context, iri: URIRef, triples: Triples) -> tuple[URIRef, Triples]:
    """``iri``, or ``iri-2``, ``iri-3`` … if it is taken, with the triples renamed."""
    def taken(node: URIRef) -> bool:
        return (node, RDF.type, None) in ctx.graph or node in ctx.new_subjects

    if not taken(iri):
        return iri, triples
    n = 2
    while taken(URIRef(f"{iri}-{n}")):
        n += 1
    new = URIRef(f"{iri}-{n}")
    return new, [(new if s == iri else s, p, new if o == iri else o) for s, p, o in triples]


def find_duplicate(ctx: Context, kind: str, iri: URIRef, new: Graph) -> str | None:
    """Describe why the new fact duplicates an existing one, or return ``None``.

    A duplicate has the same IRI, or the same key properties (:data:`KEY_FIELDS`)
    and a shared source, as a fact in the graph or added earlier in the same batch.
    """
    if (iri, RDF.type, None) in ctx.graph:
        return f"{shorten(str(iri))} already exists"
    if kind == "entity":
        return None
    preds = _key_preds(ctx, kind)
    index = ctx.key_index.get(kind)
    if index is None:
        index = {}
        for other in ctx.graph.subjects(RDF.type, ctx.schema.kinds()[kind]):
            index.setdefault(_key(ctx.graph, other, preds), []).append(
                (other, set(ctx.graph.objects(other, PROV.wasDerivedFrom))))
        ctx.key_index[kind] = index
    key = _key(new, iri, preds)
    sources = set(new.objects(iri, PROV.wasDerivedFrom))
    for other, other_sources in index.get(key, []):
        if sources & other_sources:
            return (
                f"{shorten(str(other))} already states the same {kind} "
                f"({', '.join(key_fields(kind))}) from the same source"
            )
    index.setdefault(key, []).append((iri, sources))
    return None



__all__ = ["KEY_FIELDS", "find_duplicate", "free_iri"]
