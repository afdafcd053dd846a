"""Project the RDF graph onto a networkx graph, select parts of it, export GraphML.

Entities (organizations, models, services, markets …) become nodes. Claims (instances
of ``ckg:Claim`` and its subclasses: routes, partnerships, restrictions …) are nodes of
their own by default, exactly as in RDF, or collapse to labelled edges between the
entities they relate (:func:`collapse_claims`, rules in ``assets/collapse.toml``).

Node keys are compact IRIs (``kgid:microsoft``); node attributes carry the label, the
most specific class, every literal property (dates, status note, fact id …), controlled
values as labels (``status``, ``kind``) and the claim's sources as a list of dicts.
Edge keys are the predicates (``ckg:market``); edges keep the RDF direction.

Examples:
    >>> from rdflib import Graph
    >>> g = Graph().parse(format="turtle", data='''
    ... @prefix ckg: <https://w3id.org/channelkg/ontology#> .
    ... @prefix kgid: <https://w3id.org/channelkg/id/> .
    ... kgid:m a ckg:Model ; ckg:developer kgid:d .
    ... kgid:d a ckg:ModelDeveloper .''')
    >>> graph = to_networkx(g)
    >>> sorted(graph.edges(keys=True))
    [('kgid:m', 'kgid:d', 'ckg:developer')]
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rdflib import BNode, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, PROV, RDF, RDFS, SDO, SH, SKOS, XSD
from rdflib.term import Node

from channelkg import resources
from channelkg.graph.validity import DATING_PROPS, fact_dates
from channelkg.model.labels import LABEL_PROPS, NAME_PROPS, choose, claim_label, local_name
from channelkg.model.resolve import NameIndex
from channelkg.model.schema import Schema, load_schema
from channelkg.rdf.namespaces import CKG, PREFIXES
from channelkg.rdf.terms import expand, shorten
from channelkg.render.graphml import to_graphml_graph, write_graphml
from channelkg.render.reading import Literals as _Literals

if TYPE_CHECKING:
    import networkx as nx  # type: ignore[import-untyped]
    from rdflib import Graph

    from channelkg.graph.memory import KnowledgeGraph
    from channelkg.render.collapse import CollapseRule

ASSETS = resources.assets_dir()

_RDF_TYPE = str(RDF.type)
_XSD_BOOLEAN = str(XSD.boolean)
_XSD_INTS = frozenset((str(XSD.integer), str(XSD.int), str(XSD.long), str(XSD.nonNegativeInteger)))
_XSD_FLOATS = frozenset((str(XSD.decimal), str(XSD.double), str(XSD.float)))
_VIEW_COLOR = str(CKG.viewColor)
_VIEW_SHAPE = str(CKG.viewShape)
_VIEW_EDGE_LABEL = str(CKG.viewEdgeLabel)
_NOTATION = str(SKOS.notation)
_NAME_PROPS = (str(RDFS.label), str(SKOS.prefLabel))  # in order of preference
_URL = str(SDO.url)
_DATE = str(DCTERMS.date)
_PUBLISHER = str(DCTERMS.publisher)
_FACT_ID = str(CKG.factId)
_RDFS_LABEL = str(RDFS.label)
_CONCEPT_ID = "skos:Concept"
_SUBCLASS = str(RDFS.subClassOf)
_LABEL_PROPS = tuple(map(str, LABEL_PROPS))  # the one label policy's order
_NAMED = frozenset((_RDF_TYPE, _SUBCLASS, *map(str, NAME_PROPS)))
_CLAIM = str(CKG.Claim)
_SOURCE = str(CKG.Source)
_DERIVED = str(PROV.wasDerivedFrom)
_VOCAB_TYPES = {
    str(t)
    for t in (
        OWL.Class,
        RDFS.Class,
        RDF.Property,
        OWL.ObjectProperty,
        OWL.DatatypeProperty,
        OWL.AnnotationProperty,
        OWL.SymmetricProperty,
        OWL.TransitiveProperty,
        OWL.FunctionalProperty,
        OWL.InverseFunctionalProperty,
        OWL.Ontology,
        SKOS.Concept,
        SKOS.ConceptScheme,
        SH.NodeShape,
        SH.PropertyShape,
        RDFS.Datatype,
        OWL.Restriction,
    )
}
_IGNORED_TYPE_NS = (str(OWL), str(RDFS), str(RDF))
_DATE_PROPS = {str(p): p for p in DATING_PROPS}

Triple = tuple[Any, Any, Any]


@lru_cache(maxsize=200_000)
def node_id(iri: str) -> str:
    """The key of a resource in the projection: ``prefix:local`` or the full IRI.

    An IRI whose scheme is a prefix name (``<kgid:x>``, not ``kgid:x``) is written in
    angle brackets, so it never shares the key of the IRI that prefix stands for.
    """
    short = shorten(iri)
    if short == iri and iri.split(":", 1)[0] in PREFIXES:
        return f"<{iri}>"
    return short


@lru_cache(maxsize=4096)
def _prop_name(iri: str) -> str:
    """The local name of a property (a node attribute's name), worked out once: a view
    names the few properties of its graph for every node."""
    return local_name(iri)


def term_id(term: Any) -> str:
    """The key of an RDF term in the projection (blank nodes as ``_:id``)."""
    if isinstance(term, BNode):
        return f"_:{term}"
    return node_id(str(term))


def _py(lit: Literal) -> Any:
    """A literal as a plain Python value: bool, int, float or str (dates stay ISO text)."""
    dt = str(lit.datatype) if lit.datatype is not None else ""
    text = str(lit)
    if dt == _XSD_BOOLEAN:
        return text.strip().lower() in ("true", "1")
    if dt in _XSD_INTS:
        try:
            return int(text)
        except ValueError:
            return text
    if dt in _XSD_FLOATS:
        try:
            return float(text)
        except ValueError:
            return text
    return text


# --------------------------------------------------------------------------- projection


def _oxigraph_triples(triples: Iterable[Any]) -> Iterable[Triple]:
    import pyoxigraph as ox

    from channelkg.rdf.terms import to_rdflib

    def conv(t: Any) -> Any:
        if isinstance(t, ox.NamedNode):
            return t.value
        return to_rdflib(t)

    for s, p, o in triples:
        yield conv(s), p.value, conv(o)


def to_networkx(
    source: KnowledgeGraph | Graph | Iterable[Triple],
    collapse: bool = False,
    *,
    sources: bool = False,
    ontology: Path | str | None = None,
    rules: list[CollapseRule] | None = None,
) -> nx.MultiDiGraph:
    """Project an RDF graph onto a ``networkx.MultiDiGraph``.

    Args:
        source: a loaded :class:`~channelkg.store.KnowledgeGraph`, an rdflib ``Graph`` or
            any iterable of rdflib-term triples. Class styling and labels are read from
            the same triples; if they hold no ``ckg:viewColor`` at all, the shipped
            ontology (or ``ontology``) supplies them.
        collapse: turn claims into labelled edges between the entities they relate
            (see :func:`collapse_claims`).
        sources: also draw ``ckg:Source`` resources as nodes (they are always attached
            to their claims as the ``sources`` attribute).
        ontology: an ontology file whose styling and labels are merged over the data's.
        rules: collapse rules (default: ``assets/collapse.toml``).

    Returns:
        The graph; ``graph.graph["schema"]`` holds the class hierarchy, labels and styles
        (a dict, see :class:`Schema`), ``graph.graph["collapsed"]`` says whether claims
        were collapsed, ``graph.graph["validity"]`` maps each dated node to the days it is
        visible on (see :func:`validity_intervals`).
    """
    graph, attrs = project_lazily(source, sources=sources, ontology=ontology)
    attrs.fill(graph)
    if collapse:
        from channelkg.render.collapse import collapse_claims

        graph = collapse_claims(graph, rules)
    return graph


class NodeAttributes:
    """The node attributes of a projection, for the nodes a view keeps only."""

    def __init__(self, proj: _Projector, nodes: set[str]) -> None:
        self._proj = proj
        self._nodes = nodes

    def fill(self, graph: nx.MultiDiGraph) -> None:
        """Give every node of ``graph`` (part of the projection) all its attributes."""
        for r, data in graph.nodes(data=True):
            full = self._proj.attrs(r, self._nodes)
            data.clear()
            data.update(full)


def project_lazily(
    source: KnowledgeGraph | Graph | Iterable[Triple],
    *,
    sources: bool = False,
    ontology: Path | str | None = None,
    only: set[str] | None = None,
) -> tuple[nx.MultiDiGraph, NodeAttributes]:
    """:func:`to_networkx`'s projection (uncollapsed), its nodes carrying only ``class``
    and ``claim`` (what selections read); ``attrs.fill(part)`` gives a part the rest.

    With ``only``, the graph is the subgraph of those nodes
    (:func:`~channelkg.render.selection.subgraph` of the projection, without making the
    rest); the attributes are still those the whole projection gives them."""
    import networkx as nx

    read = _Triples.read(source)
    schema = read_schema(read, ontology)
    proj = _Projector(read, schema, sources)
    nodes = proj.nodes()
    drawn = sorted(nodes if only is None else nodes & only)
    inside = nodes if only is None else set(drawn)
    graph = nx.MultiDiGraph()
    for r in drawn:
        cls = proj.main_class(r)
        graph.add_node(r, **{"class": cls or "", "claim": proj.is_claim(cls)})
    for s in drawn:
        for p, o in read.links.get(s, ()):
            if o not in inside or p == _SUBCLASS:
                continue
            pid = node_id(p)
            graph.add_edge(s, o, key=pid, predicate=pid, label=schema.edge_label(pid))
    graph.graph["schema"] = schema.to_dict()
    graph.graph["names"] = read.names
    graph.graph["validity"] = validity_intervals(read.dated, nodes)
    graph.graph["collapsed"] = False
    return graph, NodeAttributes(proj, nodes)


def read_schema(read: _Triples, ontology: Path | str | None = None) -> Schema:
    """The class styling and labels of read triples (the shipped ontology's when they
    hold no ``ckg:viewColor``, ``ontology``'s merged over), with the classes it knows
    added to the read names' class tree."""
    from channelkg.render.reading import vocabulary_keys

    schema = Schema.from_index(read.subclass, read.lits.only(vocabulary_keys(read)))
    if not schema.colors:
        schema = load_schema(None).merge(schema)
    if ontology is not None:
        schema = schema.merge(load_schema(ontology))
    for c, sups in schema.parents.items():  # classes known from a shipped or extra ontology
        for parent in sups:
            read.names.tree.add(_full(c), _full(parent))
    return schema


Interval = tuple[str | None, str | None]


def validity_intervals(
    dated: Iterable[tuple[URIRef, URIRef, Literal]], nodes: Iterable[str]
) -> dict[str, Interval]:
    """``{node: (start, end)}`` for the dated facts among ``nodes``: the node is visible
    on day ``D`` iff ``start <= D < end`` (ISO dates; ``None`` unbounded).

    The dates and the rule are :mod:`channelkg.graph.validity`'s (:class:`Dates` and
    :meth:`Dates.interval`), so a page comparing ISO strings shows what ``--as-of``
    shows. A triple is visible on the intersection of its ends' intervals
    (:func:`intersect`).
    """
    keep = set(nodes)
    out: dict[str, Interval] = {}
    for node, dates in fact_dates(dated).items():
        if str(node) in keep:
            start, end = dates.interval()
            out[str(node)] = (start.isoformat() if start else None,
                              end.isoformat() if end else None)
    return out


def intersect(*intervals: Interval | None) -> Interval | None:
    """The intersection of intervals (``None`` items are unbounded); ``None`` if all are."""
    given = [iv for iv in intervals if iv is not None]
    if not given:
        return None
    start = max((s for s, _ in given if s is not None), default=None)
    end = min((e for _, e in given if e is not None), default=None)
    return start, end


@dataclass
class _Triples:
    """The triples of a graph sorted for the projection, keyed by node id."""

    types: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    lits: _Literals = field(default_factory=_Literals)
    links: dict[str, list[tuple[str, str]]] = field(default_factory=lambda: defaultdict(list))
    subclass: list[tuple[str, str]] = field(default_factory=list)
    iri_of: dict[str, str] = field(default_factory=dict)
    names: NameIndex = field(default_factory=NameIndex)
    dated: list[tuple[URIRef, URIRef, Literal]] = field(default_factory=list)

    @classmethod
    def read(cls, source: KnowledgeGraph | Graph | Iterable[Triple]) -> _Triples:
        """Read every triple once (names for the resolver as well)."""
        if hasattr(source, "ox_triples"):  # a KnowledgeGraph, any backend
            from channelkg.render.reading import read_oxigraph

            return read_oxigraph(cls(), source.ox_triples())
        out = cls()
        for s, p, o in source:
            sid = term_id(s)
            if sid not in out.iri_of:
                out.iri_of[sid] = str(s) if not isinstance(s, BNode) else sid
            ps = str(p)
            if ps in _NAMED and not isinstance(s, BNode):
                out.names.add(str(s), ps, o)
            if isinstance(o, Literal):
                out.lits[sid].append((ps, o))
                if ps in _DATE_PROPS:
                    out.dated.append((URIRef(sid), _DATE_PROPS[ps], o))
                continue
            oid = term_id(o)
            if ps == _RDF_TYPE:
                out.types[sid].add(oid)
                continue
            if oid not in out.iri_of:
                out.iri_of[oid] = str(o) if not isinstance(o, BNode) else oid
            out.links[sid].append((ps, oid))
            if ps == _SUBCLASS:
                out.subclass.append((sid, oid))
        return out

class _Projector:
    """Decides which resources become nodes and what their attributes are."""

    def __init__(self, read: _Triples, schema: Schema, sources: bool) -> None:
        self.read = read
        self.schema = schema
        self.sources = sources
        self.vocab_ids = {node_id(v) for v in _VOCAB_TYPES}
        self._vocab_type: dict[str, bool] = {}
        self._source_type: dict[str, bool] = {}
        self._by_pred: dict[str, dict[str, list[Node]]] = {}
        self._links_by_pred: dict[str, dict[str, list[str]]] = {}
        self._chosen: dict[str, str | None] = {}  # each resource's label by the policy
        self._labels: dict[str, str] = {}
        self._sources: dict[str, dict[str, Any]] = {}
        self._main: dict[str, str | None] = {}
        self._claim_class: dict[str | None, bool] = {}

    def type_is_vocab(self, t: str) -> bool:
        if t not in self._vocab_type:
            self._vocab_type[t] = (t in self.vocab_ids
                                   or _CONCEPT_ID in self.schema.ancestors(t))
        return self._vocab_type[t]

    def is_vocab(self, r: str) -> bool:
        if r in self.schema.parents and r not in self.read.types:
            return True  # a class declared only through rdfs:subClassOf
        return any(self.type_is_vocab(t) for t in self.read.types.get(r, ()))

    def is_source(self, r: str) -> bool:
        for t in self.read.types.get(r, ()):
            if t not in self._source_type:
                self._source_type[t] = node_id(_SOURCE) in self.schema.ancestors(t)
            if self._source_type[t]:
                return True
        return False

    def keep(self, r: str) -> bool:
        return not self.is_vocab(r) and (self.sources or not self.is_source(r))

    def nodes(self) -> set[str]:
        """Typed resources that are kept, and what they link to that is kept."""
        nodes = {r for r in self.read.types if self.keep(r)}
        for s in list(nodes):
            for _, o in self.read.links.get(s, ()):
                if o not in nodes and self.keep(o):
                    nodes.add(o)
        return nodes

    def chosen(self, r: str) -> str | None:
        """The one label policy over the node's literals (``None``: it has no label);
        worked out once a resource (a claim's label, full label and every claim that
        names it ask for it)."""
        got = self._chosen.get(r, self)
        if got is self:
            got = self._chosen[r] = choose(self.read.lits.get(r, ()))
        return got  # type: ignore[return-value]

    def label_of(self, r: str) -> str:
        """The one label policy over the node's literals, then the ontology's, then the
        local name."""
        got = self._labels.get(r)
        if got is None:
            got = self._labels[r] = self._label_of(r)
        return got

    def _label_of(self, r: str) -> str:
        best = self.chosen(r)
        if best:
            return best
        if r in self.schema.labels:
            return self.schema.labels[r]
        return local_name(r) if not r.startswith("_:") else r

    def main_class(self, r: str) -> str | None:
        """The most specific class of ``r`` (worked out once a typed resource: a
        resource's types are all read before anything asks for its class)."""
        got = self._main.get(r, self)
        if got is self:
            got = self._main_class(r)
            if r in self.read.types:
                self._main[r] = got
        return got  # type: ignore[return-value]

    def _main_class(self, r: str) -> str | None:
        cands = [t for t in self.read.types.get(r, ())
                 if not t.startswith(("owl:", "rdfs:", "rdf:"))]
        if not cands:
            return None
        return max(sorted(cands), key=self.schema.depth)

    def is_claim(self, cls: str | None) -> bool:
        """Whether a node of main class ``cls`` is a claim."""
        got = self._claim_class.get(cls)
        if got is None:
            got = self._claim_class[cls] = bool(cls) and self.schema.is_a(cls or "",
                                                                          node_id(_CLAIM))
        return got

    def source_info(self, r: str) -> dict[str, Any]:
        """The id, title, url, date and publisher of source ``r`` (a new dict each time,
        worked out once: many claims cite one source)."""
        got = self._sources.get(r)
        if got is None:
            got = self._sources[r] = self._source_info(r)
        return dict(got)

    def _source_info(self, r: str) -> dict[str, Any]:
        info: dict[str, Any] = {"id": r, "title": self.label_of(r)}
        for p, o in self.read.lits.get(r, ()):
            key = {_URL: "url", _DATE: "date", _PUBLISHER: "publisher"}.get(p)
            if key and key not in info:
                info[key] = str(o)
        for p, target in self.read.links.get(r, ()):
            if p == _URL and "url" not in info:
                info["url"] = self.read.iri_of.get(target, target)
            elif p == _PUBLISHER and "publisher" not in info:
                info["publisher"] = self.label_of(target)
        return info

    def objects(self, subject: Node, predicate: Node) -> Iterable[Node]:
        """``objects(s, p)`` of the read triples, for the one label policy. Resources are
        named by their projection keys (``URIRef("kgid:x")``), whose local names are
        those of their IRIs."""
        r, p = str(subject), str(predicate)
        by_pred = self._by_pred.get(r)
        if by_pred is None:  # literals now, links as terms when asked for (few are)
            by_pred = self._by_pred[r] = defaultdict(list)
            for q, o in self.read.lits.get(r, ()):
                by_pred[q].append(o)
            links = self._links_by_pred[r] = defaultdict(list)
            for q, target in self.read.links.get(r, ()):
                links[q].append(target)
        targets = self._links_by_pred[r].pop(p, None)
        if targets is not None:
            by_pred[p].extend(URIRef(t) for t in targets)
        return by_pred.get(p, ())

    def node_label(self, r: str, cls: str | None, is_claim: bool) -> str:
        """A claim is named by what it says and its date (:func:`claim_label`)."""
        if is_claim and cls:
            return claim_label(self.objects, URIRef(r))
        return self.label_of(r)

    def attrs(self, r: str, nodes: set[str]) -> dict[str, Any]:
        """The node attributes of ``r`` (see :func:`to_networkx`)."""
        cls = self.main_class(r)
        is_claim = self.is_claim(cls)
        attrs: dict[str, Any] = {
            "iri": self.read.iri_of.get(r, r),
            "label": self.node_label(r, cls, is_claim),
            "class": cls or "",
            "class_label": self.schema.label(cls) if cls else "",
            "classes": sorted(self.read.types.get(r, ())),
            "claim": is_claim,
        }
        if is_claim and self.chosen(r):
            attrs["full_label"] = self.label_of(r)  # the label is the short one
        values: dict[str, list[Any]] = defaultdict(list)
        for p, o in self.read.lits.get(r, ()):
            if p == _RDFS_LABEL and o.language and not o.language.lower().startswith("en"):
                values[f"label_{o.language.lower()}"].append(str(o))
            if p not in _LABEL_PROPS:
                values[_prop_name(p)].append(_py(o))
        srcs = []
        for p, target in self.read.links.get(r, ()):
            if p == _DERIVED and self.is_source(target):
                srcs.append(self.source_info(target))
            elif target not in nodes and self.is_vocab(target):
                name = _prop_name(p)
                values[name].append(self.label_of(target))
                values[f"{name}_iri"].append(target)
        for k, vs in sorted(values.items()):
            if k in attrs:
                k = f"{k}_value"
            attrs[k] = vs[0] if len(vs) == 1 else sorted(vs, key=str)
        if srcs:
            attrs["sources"] = sorted(srcs, key=lambda d: (d.get("date", ""), d["id"]))
        return attrs


def _full(key: str) -> str:
    """The IRI of a projection key (``ckg:Market`` -> the full IRI)."""
    try:
        return str(expand(key))
    except ValueError:
        return key


def graph_schema(graph: nx.MultiDiGraph) -> Schema:
    """The :class:`Schema` stored in a projection."""
    return Schema.from_dict(graph.graph.get("schema", {}))


__all__ = [
    "ASSETS",
    "NodeAttributes",
    "Schema",
    "graph_schema",
    "intersect",
    "load_schema",
    "local_name",
    "node_id",
    "project_lazily",
    "term_id",
    "to_graphml_graph",
    "to_networkx",
    "validity_intervals",
    "write_graphml",
]

#: The projection's reading of triples and its node decisions, for a projection made
#: from part of a graph (the neighbourhood maps of entity pages).
Triples = _Triples
Projector = _Projector
oxigraph_triples = _oxigraph_triples
VOCAB_TYPES = frozenset(_VOCAB_TYPES)
DATE_PROPS, NAMED_PROPS, RDF_TYPE, SUBCLASS = _DATE_PROPS, _NAMED, _RDF_TYPE, _SUBCLASS
STYLE_PROPS = (_VIEW_COLOR, _VIEW_SHAPE, _VIEW_EDGE_LABEL, _NOTATION)
PUBLISHER = _PUBLISHER
