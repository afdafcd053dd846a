"""An in-memory index of a graph for the channel analyses, and the names they resolve.

The analyses (:mod:`~channelkg.analysis.routes`, :mod:`~channelkg.analysis.spof`,
:mod:`~channelkg.analysis.whatif`) read a graph once into an :class:`Index` and answer
from it. Names are resolved by the one resolver (:mod:`channelkg.model.resolve`) and
nodes labelled by the one label policy (:mod:`channelkg.model.labels`).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

import pyoxigraph as ox
from rdflib import Literal, URIRef
from rdflib.term import Node

from channelkg.analysis.vocab import DEVELOPER, FAMILY, KNOWN, MODEL, PART_OF, SUBCLASS_OF, TYPE
from channelkg.errors import InputError
from channelkg.graph.base import KnowledgeGraph
from channelkg.graph.validity import Dates, read_dates
from channelkg.model.dates import literal_date
from channelkg.model.labels import LABEL_PROPS, pick
from channelkg.model.labels import label as policy_label
from channelkg.model.resolve import NameIndex, resolve_in
from channelkg.model.resolve import resolve as resolve_name
from channelkg.model.schema import ClassTree
from channelkg.rdf.quiet import quiet_rdflib
from channelkg.rdf.terms import shorten, to_oxigraph, to_rdflib

_T = TypeVar("_T")


class Index:
    """A graph's triples read on demand, with label and class helpers.

    Nothing is copied up front: each lookup (``objects(s, p)``, ``subjects(p, o)``) is one
    pattern on the backend's Oxigraph store, as pyoxigraph terms, and its answer is kept,
    so an analysis reads only the part of the graph it touches, once. A backend without
    an Oxigraph store (rdflib, a SPARQL server) is copied once into an in-memory Oxigraph
    store, as pyoxigraph terms. The class tree is read once per graph (one pattern) and
    the subclass closure of a class computed once.
    """

    def __init__(self, kg: KnowledgeGraph | Iterable[tuple[Any, Any, Any]]) -> None:
        if not isinstance(kg, KnowledgeGraph):
            kg = _local(kg)
        elif getattr(kg, "store", None) is None:
            kg = _local(kg.ox_triples(), kg.files)
        self.kg: KnowledgeGraph = kg
        self._objects: dict[tuple[Node, Node], list[Node]] = {}
        self._subjects: dict[tuple[Node, Node], list[Node]] = {}
        self._described: set[Node] = set()
        self._terms: dict[Any, Node] = {}
        #: One ``URIRef`` per IRI, the analyses' own terms first (:data:`vocab.KNOWN`), so
        #: that lookups by them compare by identity.
        self._iris: dict[str, URIRef] = dict(KNOWN) | {str(p): p for p in LABEL_PROPS}
        self._log = logging.getLogger("rdflib.term")
        self._closure: dict[Node, frozenset[Node]] = {}
        self._tree: ClassTree | None = None
        self._names: NameIndex | None = None
        self._labels: dict[tuple[Node, str], str] = {}
        #: Per-graph caches of the analyses built on this index (keyed by their purpose).
        self.memo: dict[str, dict[Any, Any]] = defaultdict(dict)

    def cached(self, kind: str, key: Any, compute: Callable[..., _T], *args: Any) -> _T:
        """``compute(*args)``, computed once per ``kind`` and ``key`` on this index."""
        memo = self.memo[kind]
        try:
            return memo[key]  # type: ignore[no-any-return]
        except KeyError:
            got: _T = compute(*args)
            memo[key] = got
            return got

    @classmethod
    def of(cls, kg: KnowledgeGraph | Index) -> Index:
        """Index a knowledge graph (an :class:`Index` is returned as is)."""
        if isinstance(kg, Index):
            return kg
        return cls(kg)

    def _convert(self, found: list[Any]) -> list[Node]:
        term = self._term
        return list(dict.fromkeys([term(t) for t in found]))

    def _term(self, t: Any) -> Node:
        """One pyoxigraph term as rdflib's, built once per term; an IRI is the index's one
        ``URIRef`` for it. rdflib's term logger is kept quiet while a literal is built (an
        ill-typed literal is reported by validate, not logged)."""
        got = self._terms.get(t)
        if got is None:
            if isinstance(t, ox.NamedNode):
                iri = t.value
                got = self._iris.get(iri)
                if got is None:
                    got = self._iris[iri] = to_rdflib(t)  # type: ignore[assignment]
            elif isinstance(t, ox.Literal):
                log = self._log
                quiet, log.disabled = log.disabled, True
                try:
                    got = to_rdflib(t)
                finally:
                    log.disabled = quiet
            else:
                got = to_rdflib(t)
            self._terms[t] = got  # type: ignore[assignment]
        return got  # type: ignore[return-value]

    def iri(self, iri: str) -> URIRef:
        """The index's one ``URIRef`` for ``iri`` (lookups by it compare by identity)."""
        got = self._iris.get(iri)
        if got is None:
            got = self._iris[iri] = URIRef(iri)
        return got

    def _describe(self, s: Node) -> None:
        """Read every triple of subject ``s`` (one pattern) into the ``objects`` answers."""
        by_p: dict[Node, list[Node]] = {}
        term = self._term
        for _, p, o in self.kg.ox_triples(s, None, None):
            key = term(p)
            got = by_p.get(key)
            if got is None:
                by_p[key] = [term(o)]
            else:
                got.append(term(o))
        objects = self._objects
        for p, os in by_p.items():
            objects[(s, p)] = os if len(os) == 1 else list(dict.fromkeys(os))
        self._described.add(s)

    def objects(self, s: Node | None, p: Node) -> list[Node]:
        if s is None or isinstance(s, Literal):  # a literal is the subject of nothing
            return []
        got = self._objects.get((s, p))
        if got is None:
            if s in self._described:
                return []
            self._describe(s)
            got = self._objects.get((s, p), [])
        return list(got)

    def value(self, s: Node | None, p: Node) -> Node | None:
        got = self._objects.get((s, p))  # type: ignore[arg-type]
        if got is not None:
            return got[0]
        vals = self.objects(s, p)
        return vals[0] if vals else None

    def subjects(self, p: Node, o: Node | None) -> list[Node]:
        if o is None:
            return []
        key = (p, o)
        got = self._subjects.get(key)
        if got is None:
            got = self._subjects[key] = self._convert(
                [t[0] for t in self.kg.ox_triples(None, p, o)])
        return list(got)

    def subject_set(self, p: Node, o: Node) -> frozenset[Node]:
        """:meth:`subjects` as a set, built once."""
        return self.cached("subject_set", (p, o), lambda: frozenset(self.subjects(p, o)))

    def having(self, p: Node) -> frozenset[Node]:
        """Every subject with a ``p`` value (one pattern, read once)."""
        memo = self.memo["having"]
        got: frozenset[Node] | None = memo.get(p)
        if got is None:
            got = memo[p] = frozenset(self._convert(
                [t[0] for t in self.kg.ox_triples(None, p, None)]))
        return got

    def links(self, p: Node) -> tuple[dict[Node, list[Node]], dict[Node, list[Node]]]:
        """Every ``p`` triple of the graph (one pattern, read once), both ways: the
        objects of each subject and the subjects of each object."""
        memo = self.memo["links"]
        got: tuple[dict[Node, list[Node]], dict[Node, list[Node]]] | None = memo.get(p)
        if got is None:
            down: dict[Node, list[Node]] = {}
            up: dict[Node, list[Node]] = {}
            term = self._term
            for s, _, o in self.kg.ox_triples(None, p, None):
                ts, to = term(s), term(o)
                down.setdefault(ts, []).append(to)
                up.setdefault(to, []).append(ts)
            got = memo[p] = (down, up)
        return got

    def has_any(self, s: Node, p: Node) -> bool:
        """True if ``s`` has a ``p`` value (one lookup unless ``s`` was read already)."""
        if isinstance(s, Literal):
            return False
        if s in self._described:
            return (s, p) in self._objects
        return next(iter(self.kg.ox_triples(s, p, None)), None) is not None

    def has(self, s: Node, p: Node, o: Node) -> bool:
        """True if the triple is in the graph (one lookup unless ``s`` was read already)."""
        if isinstance(s, Literal):
            return False
        if s in self._described:
            return o in self._objects.get((s, p), ())
        return next(iter(self.kg.ox_triples(s, p, o)), None) is not None

    def has_subject(self, s: Node) -> bool:
        if isinstance(s, Literal):
            return False
        return next(iter(self.kg.ox_triples(s)), None) is not None

    @property
    def tree(self) -> ClassTree:
        """The class tree (``rdfs:subClassOf``), read once."""
        if self._tree is None:
            self._tree = ClassTree()
            for sub, _, sup in self.kg.ox_triples(None, SUBCLASS_OF, None):
                self._tree.add(sub.value, sup.value)
        return self._tree

    @property
    def names(self) -> NameIndex:
        """The graph's whole :class:`~channelkg.model.resolve.NameIndex`, built once."""
        if self._names is None:
            self._names = NameIndex.of(self.kg)
        return self._names

    def subclasses(self, cls: Node) -> frozenset[Node]:
        """``cls`` and every class below it (``rdfs:subClassOf*``), computed once."""
        got = self._closure.get(cls)
        if got is None:
            got = self._closure[cls] = frozenset(
                self.iri(c) for c in self.tree.descendants(str(cls)))
        return got

    def instances(self, cls: Node) -> list[Node]:
        """Instances of ``cls`` or of its subclasses, sorted."""
        found: set[Node] = set()
        for c in self.subclasses(cls):
            found.update(self.subjects(TYPE, c))
        return sorted(found, key=str)

    def is_a(self, node: Node, cls: Node) -> bool:
        below = self.subclasses(cls)
        return any(t in below for t in self.objects(node, TYPE))

    def label(self, node: Node | None, lang: str = "en") -> str:
        """The node's label by the one label policy (:func:`channelkg.model.labels.label`)."""
        if node is None:
            return policy_label(self.objects, node, lang)
        key = (node, lang)
        got = self._labels.get(key)
        if got is None:
            got = self._labels[key] = policy_label(self.objects, node, lang)
        return got

    def date(self, node: Node, p: Node) -> dt.date | None:
        v = self.value(node, p)
        return None if v is None else literal_date(v)

    def boolean(self, node: Node, p: Node) -> bool | None:
        v = self.value(node, p)
        if v is None:
            return None
        return str(v).strip().lower() in ("true", "1")


class IndexGraph:
    """The read side of an rdflib ``Graph`` over an :class:`Index` (``objects``,
    ``subjects``, ``triples``, ``value``, ``in``), for code written against rdflib graphs:
    it reads only what it is asked, through the index, instead of a copy of the graph."""

    def __init__(self, idx: Index) -> None:
        self.idx = idx

    def objects(self, s: Node | None = None, p: Node | None = None) -> list[Node]:
        if s is None or p is None:
            return list(dict.fromkeys(t[2] for t in self.triples((s, p, None))))
        return self.idx.objects(s, p)

    def subjects(self, p: Node | None = None, o: Node | None = None) -> list[Node]:
        if p is None or o is None:
            return list(dict.fromkeys(t[0] for t in self.triples((None, p, o))))
        return self.idx.subjects(p, o)

    def value(self, s: Node, p: Node) -> Node | None:
        return self.idx.value(s, p)

    def triples(self, pattern: tuple[Any, Any, Any]) -> list[tuple[Node, Node, Node]]:
        s, p, o = pattern
        if isinstance(s, Literal) or isinstance(p, Literal):
            return []
        if s is not None and p is not None:
            return [(s, p, x) for x in self.idx.objects(s, p) if o is None or x == o]
        if p is not None and o is not None:
            return [(x, p, o) for x in self.idx.subjects(p, o) if s is None or x == s]
        with quiet_rdflib():
            return [(to_rdflib(a), to_rdflib(b), to_rdflib(c))  # type: ignore[misc]
                    for a, b, c in self.idx.kg.ox_triples(s, p, o)]

    def __contains__(self, triple: tuple[Any, Any, Any]) -> bool:
        s, p, o = triple
        if s is not None and p is not None and o is not None:
            return self.idx.has(s, p, o)
        return bool(self.triples(triple))


def _local(triples: Iterable[tuple[Any, Any, Any]],
           files: tuple[Path, ...] = ()) -> KnowledgeGraph:
    """Triples (pyoxigraph or rdflib terms) in an in-memory Oxigraph store, copied once."""
    from channelkg.graph.memory import OxigraphGraph

    def ox_term(t: Any) -> Any:
        return t if isinstance(t, ox.NamedNode | ox.BlankNode | ox.Literal) else to_oxigraph(t)

    store = ox.Store()
    store.bulk_extend(ox.Quad(ox_term(s), ox_term(p), ox_term(o), ox.DefaultGraph())
                      for s, p, o in triples)
    return OxigraphGraph(store, files)


def ox_links(kg: KnowledgeGraph, p: Node | str) -> tuple[dict[Any, list[Any]],
                                                       dict[Any, list[Any]]]:
    """Every ``p`` triple of a graph (one pattern), both ways, as pyoxigraph terms."""
    down: dict[Any, list[Any]] = {}
    up: dict[Any, list[Any]] = {}
    for s, _, o in kg.ox_triples(None, ox.NamedNode(str(p)), None):
        down.setdefault(s, []).append(o)
        up.setdefault(o, []).append(s)
    return down, up


def ox_dates(kg: KnowledgeGraph, nodes: Iterable[Any] | None = None) -> dict[Any, Dates]:
    """The dates of every dated fact of a graph, keyed by pyoxigraph term, read with one
    pattern per dating property; with ``nodes``, of those nodes only (four lookups each).
    The same dates as :func:`~channelkg.graph.validity.fact_dates` gives for the facts'
    triples as rdflib terms (the reading is :func:`~channelkg.graph.validity.read_dates`,
    shared with the store's layout)."""
    def pairs(node: Any, pred: Any) -> Iterable[tuple[Any, Any]]:
        return ((s, o) for s, _, o in kg.ox_triples(node, pred, None))

    return read_dates(pairs, nodes)


def read_node(idx: Index, onode: Any) -> tuple[Callable[[Node], list[Any]],
                                               Callable[[Node], list[Node]],
                                               Callable[[Node], str]]:
    """Read every triple of a node given as a pyoxigraph term (one pattern); return how to
    get a property's values as they are, its values as rdflib terms (only those asked
    for are converted, once each), and its text by the label policy's language order
    (the least value when none is a literal)."""
    term = idx._term
    by_p: dict[str, list[Any]] = {}
    for _, p, o in idx.kg.ox_triples(onode, None, None):
        by_p.setdefault(p.value, []).append(o)

    def raw(pred: Node) -> list[Any]:
        return by_p.get(str(pred), [])

    def values(pred: Node) -> list[Node]:
        return [term(o) for o in dict.fromkeys(by_p.get(str(pred), ()))]

    def text(pred: Node) -> str:
        vals = values(pred)
        got = pick(vals)
        return got if got is not None else (min(map(str, vals)) if vals else "")

    return raw, values, text


def resolve(idx: Index, text: str, kind: str = "entity") -> URIRef:
    """Resolve a name to a node of ``kind`` (see :func:`channelkg.model.resolve.resolve_in`:
    one small query for what the name can match, the whole name index only on a miss).
    The node's own IRI then resolves to it without a query (an IRI is tried before any
    name, and the node is of ``kind``): ``report --market`` resolves the market again by its IRI."""
    memo = idx.memo["resolve"]
    got: URIRef | None = memo.get((text, kind))
    if got is None:
        got = memo[(text, kind)] = (resolve_name(idx._names, text, kind)
                                    if idx._names is not None
                                    else resolve_in(idx.kg, text, kind))
        memo.setdefault((str(got), kind), got)
    return got


def family_closure(idx: Index, model: Node, down: bool) -> set[URIRef]:
    """``model`` and its family members (``down``) or the families it belongs to."""
    return set(idx.cached("family_closure", (model, down), _family_closure, idx, model, down))


def _family_closure(idx: Index, model: Node, down: bool) -> set[URIRef]:
    # The family links of the whole graph are read once (one pattern): a walk reads
    # no model it does not need for anything else.
    families_of, members = idx.links(FAMILY)
    step = members if down else families_of
    start = idx.iri(str(model))
    out = {start}
    todo = [start]
    while todo:
        m = todo.pop()
        for n in step.get(m, ()):
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
    if idx.is_a(node, MODEL):
        seeds = [node]
    else:
        seeds = [m for m in idx.subjects(DEVELOPER, node) if isinstance(m, URIRef)]
        if not seeds:
            raise InputError(f"{shorten(str(node))} develops no model in the graph")
    out: set[URIRef] = set()
    for seed in seeds:
        out.update(family_closure(idx, seed, down=True))
        if idx.is_a(node, MODEL):
            out.update(family_closure(idx, seed, down=False))
    return node, sorted(out, key=str)


def resolve_market(idx: Index, text: str) -> tuple[URIRef, list[URIRef]]:
    """Resolve ``--market`` (ISO code, slug, CURIE, IRI or label) to the market and its parts."""
    node = resolve(idx, text, "market")
    out = {node}
    todo = [node]
    while todo:
        m = todo.pop()
        for part in idx.subjects(PART_OF, m):
            if isinstance(part, URIRef) and part not in out:
                out.add(part)
                todo.append(part)
    return node, sorted(out, key=str)


def families(idx: Index) -> list[URIRef]:
    """Top-level model families: models that belong to no other family."""
    members = idx.having(FAMILY)
    return [m for m in idx.instances(MODEL) if isinstance(m, URIRef) and m not in members]


__all__ = ["Index", "IndexGraph", "families", "family_closure", "ox_dates", "ox_links", "read_node",
           "resolve", "resolve_market", "resolve_models"]
