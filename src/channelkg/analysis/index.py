"""An in-memory index of a graph for the channel analyses, and the names they resolve.

The analyses (:mod:`~channelkg.analysis.routes`, :mod:`~channelkg.analysis.spof`,
:mod:`~channelkg.analysis.whatif`) read a graph once into an :class:`Index` and answer
from it. Names are resolved by the one resolver (:mod:`channelkg.model.resolve`) and
nodes labelled by the one label policy (:mod:`channelkg.model.labels`).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from rdflib import URIRef
from rdflib.namespace import RDF, RDFS
from rdflib.term import Node

from channelkg.errors import InputError
from channelkg.graph.memory import KnowledgeGraph
from channelkg.model.dates import literal_date
from channelkg.model.labels import label as policy_label
from channelkg.model.resolve import NameIndex
from channelkg.model.resolve import resolve as resolve_name
from channelkg.model.schema import ClassTree
from channelkg.rdf.namespaces import CKG
from channelkg.rdf.terms import shorten


class Index:
    """All triples of a graph in dictionaries, with label and class helpers."""

    def __init__(self, triples: Iterable[tuple[Any, Any, Any]]) -> None:
        self.spo: dict[Node, dict[Node, list[Node]]] = defaultdict(lambda: defaultdict(list))
        self.pos: dict[Node, dict[Node, list[Node]]] = defaultdict(lambda: defaultdict(list))
        for s, p, o in triples:
            if o not in self.spo[s][p]:
                self.spo[s][p].append(o)
                self.pos[p][o].append(s)
        self._tree: ClassTree | None = None
        self._names: NameIndex | None = None

    @classmethod
    def of(cls, kg: KnowledgeGraph | Index) -> Index:
        """Index a knowledge graph (an :class:`Index` is returned as is)."""
        if isinstance(kg, Index):
            return kg
        return cls(kg.triples())

    def objects(self, s: Node, p: Node) -> list[Node]:
        return list(self.spo.get(s, {}).get(p, ()))

    def value(self, s: Node, p: Node) -> Node | None:
        vals = self.spo.get(s, {}).get(p)
        return vals[0] if vals else None

    def subjects(self, p: Node, o: Node) -> list[Node]:
        return list(self.pos.get(p, {}).get(o, ()))

    def has_subject(self, s: Node) -> bool:
        return s in self.spo

    @property
    def tree(self) -> ClassTree:
        """The class tree (``rdfs:subClassOf``), read once."""
        if self._tree is None:
            self._tree = ClassTree()
            for sup, subs in self.pos.get(RDFS.subClassOf, {}).items():
                for sub in subs:
                    self._tree.add(str(sub), str(sup))
        return self._tree

    @property
    def names(self) -> NameIndex:
        """The graph's :class:`~channelkg.model.resolve.NameIndex`, built once."""
        if self._names is None:
            self._names = NameIndex.from_triples(
                (s, p, o) for s, po in self.spo.items() for p, os in po.items() for o in os
            )
        return self._names

    def subclasses(self, cls: Node) -> set[Node]:
        """``cls`` and every class below it (``rdfs:subClassOf*``)."""
        return {URIRef(c) for c in self.tree.descendants(str(cls))}

    def instances(self, cls: Node) -> list[Node]:
        """Instances of ``cls`` or of its subclasses, sorted."""
        found: set[Node] = set()
        for c in self.subclasses(cls):
            found.update(self.subjects(RDF.type, c))
        return sorted(found, key=str)

    def is_a(self, node: Node, cls: Node) -> bool:
        return any(self.tree.is_a(str(t), str(cls)) for t in self.objects(node, RDF.type))

    def label(self, node: Node | None, lang: str = "en") -> str:
        """The node's label by the one label policy (:func:`channelkg.model.labels.label`)."""
        return policy_label(self.objects, node, lang)

    def date(self, node: Node, p: Node) -> dt.date | None:
        v = self.value(node, p)
        return None if v is None else literal_date(v)

    def boolean(self, node: Node, p: Node) -> bool | None:
        v = self.value(node, p)
        if v is None:
            return None
        return str(v).strip().lower() in ("true", "1")


def resolve(idx: Index, text: str, kind: str = "entity") -> URIRef:
    """Resolve a name to a node of ``kind`` (see :func:`channelkg.model.resolve.resolve`)."""
    return resolve_name(idx.names, text, kind)


def family_closure(idx: Index, model: Node, down: bool) -> set[URIRef]:
    """``model`` and its family members (``down``) or the families it belongs to."""
    out = {URIRef(str(model))}
    todo = [URIRef(str(model))]
    while todo:
        m = todo.pop()
        nxt = idx.subjects(CKG.family, m) if down else idx.objects(m, CKG.family)
        for n in nxt:
            if isinstance(n, URIRef) and n not in out:
                out.add(n)
                todo.append(n)
    return out


def resolve_models(idx: Index, text: str) -> tuple[URIRef, list[URIRef]]:
    """Resolve ``--model``: a model, a family (``ckg:family``) or a developer.

    Returns the resolved IRI and the models it stands for: the model with every
    member of its family (transitively) and the families it belongs to; for a
    developer, all its models and their members.
    """
    node = resolve(idx, text, "model, family or developer")
    if idx.is_a(node, CKG.Model):
        seeds = [node]
    else:
        seeds = [m for m in idx.subjects(CKG.developer, node) if isinstance(m, URIRef)]
        if not seeds:
            raise InputError(f"{shorten(str(node))} develops no model in the graph")
    out: set[URIRef] = set()
    for seed in seeds:
        out.update(family_closure(idx, seed, down=True))
        if idx.is_a(node, CKG.Model):
            out.update(family_closure(idx, seed, down=False))
    return node, sorted(out, key=str)


def resolve_market(idx: Index, text: str) -> tuple[URIRef, list[URIRef]]:
    """Resolve ``--market`` (ISO code, slug, CURIE, IRI or label) to the market and its parts."""
    node = resolve(idx, text, "market")
    out = {node}
    todo = [node]
    while todo:
        m = todo.pop()
        for part in idx.subjects(CKG.partOf, m):
            if isinstance(part, URIRef) and part not in out:
                out.add(part)
                todo.append(part)
    return node, sorted(out, key=str)


def families(idx: Index) -> list[URIRef]:
    """Top-level model families: models that belong to no other family."""
    return [
        m for m in idx.instances(CKG.Model)
        if isinstance(m, URIRef) and not idx.objects(m, CKG.family)
    ]


__all__ = ["Index", "families", "family_closure", "resolve", "resolve_market",
           "resolve_models"]
