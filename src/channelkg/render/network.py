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

import re
import tomllib
from collections import defaultdict, deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rdflib import BNode, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, PROV, RDF, RDFS, SDO, SH, SKOS, XSD

from channelkg import resources
from channelkg.errors import InputError
from channelkg.rdf.namespaces import CKG
from channelkg.rdf.terms import shorten

if TYPE_CHECKING:
    import networkx as nx
    from rdflib import Graph

    from channelkg.graph.memory import KnowledgeGraph

ASSETS = resources.assets_dir()
COLLAPSE_RULES = ASSETS / "collapse.toml"

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
_LABEL_PROPS = (_RDFS_LABEL, str(SKOS.prefLabel), str(DCTERMS.title), str(SDO.name))
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

Triple = tuple[Any, Any, Any]


@lru_cache(maxsize=200_000)
def node_id(iri: str) -> str:
    """The key of a resource in the projection: ``prefix:local`` or the full IRI."""
    return shorten(iri)


def _term_id(term: Any) -> str:
    if isinstance(term, BNode):
        return f"_:{term}"
    return node_id(str(term))


def local_name(iri: str) -> str:
    """The part of an IRI after the last ``#``, ``/`` or ``:``."""
    return re.split(r"[#/:]", iri.rstrip("/#"))[-1] or iri


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


def _best_label(values: list[Literal]) -> str | None:
    """Prefer English, then untagged, then any language."""
    if not values:
        return None
    for want in ("en", None):
        for v in values:
            lang = v.language.lower().split("-")[0] if v.language else None
            if lang == want:
                return str(v)
    return str(values[0])


# --------------------------------------------------------------------------- schema


@dataclass
class Schema:
    """What the ontology says about classes and properties, keyed by compact IRI.

    Read from the same triples as the data (the loaded graph includes the ontology),
    so a class or property added to the ontology is known without code changes.
    """

    parents: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    labels: dict[str, str] = field(default_factory=dict)
    colors: dict[str, str] = field(default_factory=dict)
    shapes: dict[str, str] = field(default_factory=dict)
    edge_labels: dict[str, str] = field(default_factory=dict)
    notations: dict[str, str] = field(default_factory=dict)

    def ancestors(self, cls: str) -> list[str]:
        """``cls`` and its superclasses, nearest first (breadth-first over subClassOf)."""
        seen = [cls]
        queue = deque([cls])
        while queue:
            c = queue.popleft()
            for p in sorted(self.parents.get(c, ())):
                if p not in seen:
                    seen.append(p)
                    queue.append(p)
        return seen

    def is_a(self, cls: str, of: str) -> bool:
        return of in self.ancestors(cls)

    def depth(self, cls: str) -> int:
        return len(self.ancestors(cls))

    def styled_class(self, cls: str | None) -> str | None:
        """The nearest class (``cls`` itself or a superclass) that has a view colour or shape."""
        if not cls:
            return None
        for c in self.ancestors(cls):
            if c in self.colors or c in self.shapes:
                return c
        return None

    def style(self, cls: str | None) -> tuple[str | None, str | None]:
        """Colour and shape for instances of ``cls`` (each from the nearest class that sets it)."""
        color = shape = None
        for c in self.ancestors(cls) if cls else ():
            color = color or self.colors.get(c)
            shape = shape or self.shapes.get(c)
            if color and shape:
                break
        return color, shape

    def edge_label(self, prop: str) -> str:
        """``ckg:viewEdgeLabel`` of the property, else its label, else its local name."""
        return self.edge_labels.get(prop) or self.labels.get(prop) or local_name(prop)

    def label(self, term: str) -> str:
        return self.labels.get(term) or local_name(term)

    def merge(self, other: Schema) -> Schema:
        """Return a schema with ``other``'s statements added (``other`` wins on conflicts)."""
        out = Schema()
        for src in (self, other):
            for k, v in src.parents.items():
                out.parents[k] |= set(v)
            out.labels.update(src.labels)
            out.colors.update(src.colors)
            out.shapes.update(src.shapes)
            out.edge_labels.update(src.edge_labels)
            out.notations.update(src.notations)
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "parents": {k: sorted(v) for k, v in self.parents.items()},
            "labels": dict(self.labels),
            "colors": dict(self.colors),
            "shapes": dict(self.shapes),
            "edge_labels": dict(self.edge_labels),
            "notations": dict(self.notations),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Schema:
        s = cls()
        for k, v in d.get("parents", {}).items():
            s.parents[k] = set(v)
        s.labels.update(d.get("labels", {}))
        s.colors.update(d.get("colors", {}))
        s.shapes.update(d.get("shapes", {}))
        s.edge_labels.update(d.get("edge_labels", {}))
        s.notations.update(d.get("notations", {}))
        return s


def _schema_from_index(
    subclass: Iterable[tuple[str, str]], lits: Mapping[str, list[tuple[str, Literal]]]
) -> Schema:
    s = Schema()
    for c, p in subclass:
        s.parents[c].add(p)
    for subj, pairs in lits.items():
        labels: dict[str, list[Literal]] = defaultdict(list)
        for p, o in pairs:
            if p == _VIEW_COLOR:
                s.colors[subj] = str(o).strip()
            elif p == _VIEW_SHAPE:
                s.shapes[subj] = str(o).strip()
            elif p == _VIEW_EDGE_LABEL:
                s.edge_labels[subj] = str(o)
            elif p == _NOTATION:
                s.notations[subj] = str(o)
            elif p in _NAME_PROPS:
                labels[p].append(o)
        for p in _NAME_PROPS:
            best = _best_label(labels.get(p, []))
            if best:
                s.labels[subj] = best
                break
    return s


def load_schema(ontology: Path | str | None = None) -> Schema:
    """Read class/property styling and labels from an ontology file (default: the shipped one)."""
    from channelkg.graph.memory import parse_file
    from channelkg.rdf.terms import to_rdflib

    path = Path(ontology) if ontology else resources.ontology_file()
    subclass: list[tuple[str, str]] = []
    lits: dict[str, list[tuple[str, Literal]]] = defaultdict(list)
    for q in parse_file(path):
        s, p, o = to_rdflib(q.subject), to_rdflib(q.predicate), to_rdflib(q.object)
        if isinstance(o, Literal):
            lits[_term_id(s)].append((str(p), o))
        elif str(p) == _SUBCLASS:
            subclass.append((_term_id(s), _term_id(o)))
    return _schema_from_index(subclass, lits)


# --------------------------------------------------------------------------- projection


def _iter_triples(source: KnowledgeGraph | Graph | Iterable[Triple]) -> Iterable[Triple]:
    """Triples with rdflib literals and blank nodes; IRIs may be plain strings.

    An Oxigraph store is read directly (IRIs as ``str``, which skips rdflib's IRI
    validation: the store has already parsed them), which is several times faster.
    """
    if hasattr(source, "ox_triples"):  # a KnowledgeGraph, any backend
        return _oxigraph_triples(source.ox_triples())
    return iter(source)  # type: ignore[arg-type]


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
        were collapsed.
    """
    import networkx as nx

    types: dict[str, set[str]] = defaultdict(set)
    lits: dict[str, list[tuple[str, Literal]]] = defaultdict(list)
    links: dict[str, list[tuple[str, str]]] = defaultdict(list)
    subclass: list[tuple[str, str]] = []
    iri_of: dict[str, str] = {}
    for s, p, o in _iter_triples(source):
        sid = _term_id(s)
        if sid not in iri_of:
            iri_of[sid] = str(s) if not isinstance(s, BNode) else sid
        ps = str(p)
        if isinstance(o, Literal):
            lits[sid].append((ps, o))
            continue
        oid = _term_id(o)
        if ps == _RDF_TYPE:
            types[sid].add(oid)
        else:
            if oid not in iri_of:
                iri_of[oid] = str(o) if not isinstance(o, BNode) else oid
            links[sid].append((ps, oid))
            if ps == _SUBCLASS:
                subclass.append((sid, oid))

    schema = _schema_from_index(subclass, lits)
    if not schema.colors:
        schema = load_schema(None).merge(schema)
    if ontology is not None:
        schema = schema.merge(load_schema(ontology))

    vocab_ids = {node_id(v) for v in _VOCAB_TYPES}

    @cache
    def type_is_vocab(t: str) -> bool:
        if t in vocab_ids:
            return True
        anc = schema.ancestors(t)
        return _CONCEPT_ID in anc

    def is_vocab(r: str) -> bool:
        if r in schema.parents and r not in types:
            return True  # a class declared only through rdfs:subClassOf
        return any(type_is_vocab(t) for t in types.get(r, ()))

    source_cls = node_id(_SOURCE)
    claim_cls = node_id(_CLAIM)

    @cache
    def type_is_source(t: str) -> bool:
        return source_cls in schema.ancestors(t)

    def is_source(r: str) -> bool:
        return any(type_is_source(t) for t in types.get(r, ()))

    def keep(r: str) -> bool:
        if is_vocab(r):
            return False
        return sources or not is_source(r)

    nodes: set[str] = {r for r in types if keep(r)}
    for s in list(nodes):
        for _, o in links.get(s, ()):
            if o not in nodes and keep(o):
                nodes.add(o)

    def label_of(r: str) -> str:
        by_prop: dict[str, list[Literal]] = defaultdict(list)
        for p, o in lits.get(r, ()):
            if p in _LABEL_PROPS:
                by_prop[p].append(o)
        for p in _LABEL_PROPS:
            best = _best_label(by_prop.get(p, []))
            if best:
                return best
        if r in schema.labels:
            return schema.labels[r]
        return local_name(r) if not r.startswith("_:") else r

    def main_class(r: str) -> str | None:
        cands = [t for t in types.get(r, ()) if not t.startswith(("owl:", "rdfs:", "rdf:"))]
        if not cands:
            return None
        return max(sorted(cands), key=schema.depth)

    def source_info(r: str) -> dict[str, Any]:
        info: dict[str, Any] = {"id": r, "title": label_of(r)}
        for p, o in lits.get(r, ()):
            if p == _URL and "url" not in info:
                info["url"] = str(o)
            elif p == _DATE and "date" not in info:
                info["date"] = str(o)
            elif p == _PUBLISHER and "publisher" not in info:
                info["publisher"] = str(o)
        for p, o in links.get(r, ()):
            if p == _URL and "url" not in info:
                info["url"] = iri_of.get(o, o)
            elif p == _PUBLISHER and "publisher" not in info:
                info["publisher"] = label_of(o)
        return info

    def has_label(r: str) -> bool:
        return any(p in _LABEL_PROPS for p, _ in lits.get(r, ()))

    def claim_label(r: str, cls: str) -> str:
        fact = next((str(o) for p, o in lits.get(r, ()) if p == _FACT_ID), None)
        return f"{schema.label(cls)} {fact}" if fact else label_of(r)

    graph = nx.MultiDiGraph()
    label_keys = set(_LABEL_PROPS)
    for r in sorted(nodes):
        cls = main_class(r)
        is_claim = bool(cls) and schema.is_a(cls, claim_cls)  # type: ignore[arg-type]
        attrs: dict[str, Any] = {
            "iri": iri_of.get(r, r),
            "label": claim_label(r, cls) if is_claim and not has_label(r) else label_of(r),  # type: ignore[arg-type]
            "class": cls or "",
            "class_label": schema.label(cls) if cls else "",
            "classes": sorted(types.get(r, ())),
            "claim": is_claim,
        }
        values: dict[str, list[Any]] = defaultdict(list)
        for p, o in lits.get(r, ()):
            if p == _RDFS_LABEL and o.language and not o.language.lower().startswith("en"):
                values[f"label_{o.language.lower()}"].append(str(o))
            if p in label_keys:
                continue
            values[local_name(p)].append(_py(o))
        srcs = []
        for p, o in links.get(r, ()):
            if p == _DERIVED and is_source(o):
                srcs.append(source_info(o))
            elif o not in nodes and is_vocab(o):
                name = local_name(p)
                values[name].append(label_of(o))
                values[f"{name}_iri"].append(o)
        for k, vs in sorted(values.items()):
            if k in attrs:
                k = f"{k}_value"
            attrs[k] = vs[0] if len(vs) == 1 else sorted(vs, key=str)
        if srcs:
            attrs["sources"] = sorted(srcs, key=lambda d: (d.get("date", ""), d["id"]))
        graph.add_node(r, **attrs)

    for s in sorted(nodes):
        for p, o in links.get(s, ()):
            if o not in nodes or p == _SUBCLASS:
                continue
            pid = node_id(p)
            graph.add_edge(s, o, key=pid, predicate=pid, label=schema.edge_label(pid))

    graph.graph["schema"] = schema.to_dict()
    graph.graph["collapsed"] = False
    if collapse:
        graph = collapse_claims(graph, rules)
    return graph


def graph_schema(graph: nx.MultiDiGraph) -> Schema:
    """The :class:`Schema` stored in a projection."""
    return Schema.from_dict(graph.graph.get("schema", {}))


# --------------------------------------------------------------------------- collapse


@dataclass(frozen=True)
class CollapseRule:
    """How the claims of one class become edges (see ``assets/collapse.toml``)."""

    cls: str
    frm: tuple[str, ...] = ()
    to: tuple[str, ...] = ()
    pairs: str | None = None
    label: tuple[str, ...] = ()


def load_rules(path: Path | str | None = None) -> list[CollapseRule]:
    """Read collapse rules from a TOML file (default: the shipped ``collapse.toml``)."""
    p = Path(path) if path else COLLAPSE_RULES
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as err:
        raise InputError(f"cannot read collapse rules: {err}", str(p)) from None
    rules = []
    for i, r in enumerate(data.get("rule", []), 1):
        if "class" not in r or not (r.get("pairs") or (r.get("from") and r.get("to"))):
            raise InputError(
                f"rule {i} needs 'class' and either 'pairs' or 'from' and 'to'", str(p)
            )
        rules.append(
            CollapseRule(
                cls=str(r["class"]),
                frm=tuple(r.get("from", ())),
                to=tuple(r.get("to", ())),
                pairs=r.get("pairs"),
                label=tuple(r.get("label", ())),
            )
        )
    return rules


_PLACEHOLDER = re.compile(r"\{([^{}]+)\}")


def collapse_claims(
    graph: nx.MultiDiGraph, rules: list[CollapseRule] | None = None
) -> nx.MultiDiGraph:
    """Return a copy of ``graph`` where claims with a rule are replaced by labelled edges.

    An access route becomes an edge model → market labelled ``via <service>``; a
    partnership an edge between each two parties; a restriction imposer → target; an
    assessment assessed entity → market. Each new edge has the claim's key as edge key
    and carries all the claim's attributes (``status``, dates, ``sources`` …) plus
    ``claim`` (its key), ``claim_label``, ``directed`` and ``related`` (the claim's
    other links, as text). Claims without a rule, or missing the rule's properties,
    stay nodes. Entity nodes are all kept.
    """
    rules = load_rules() if rules is None else rules
    schema = graph_schema(graph)
    by_class = {r.cls: r for r in rules}
    out_graph = graph.copy()
    new_edges: list[tuple[str, str, str, dict[str, Any]]] = []
    collapsed: list[str] = []
    for c, attrs in graph.nodes(data=True):
        if not attrs.get("claim"):
            continue
        rule = next((by_class[a] for a in schema.ancestors(attrs["class"]) if a in by_class), None)
        if rule is None:
            continue
        out: dict[str, list[str]] = defaultdict(list)
        for _, o, k in graph.out_edges(c, keys=True):
            out[k].append(o)
        for v in out.values():
            v.sort()
        if rule.pairs:
            parties = out.get(rule.pairs, [])
            if len(parties) < 2:
                continue
            ends = [(a, b) for i, a in enumerate(parties) for b in parties[i + 1 :]]
            used = {rule.pairs}
        else:
            fp = next((p for p in rule.frm if out.get(p)), None)
            tp = next((p for p in rule.to if out.get(p)), None)
            if fp is None or tp is None:
                continue
            ends = [(a, b) for a in out[fp] for b in out[tp] if a != b]
            if not ends:
                continue
            used = {fp, tp}

        def values_of(
            prop: str, out: dict[str, list[str]] = out, attrs: dict[str, Any] = attrs
        ) -> list[str]:
            if out.get(prop):
                return [str(graph.nodes[o]["label"]) for o in out[prop]]
            v = attrs.get(local_name(prop))
            if v is None or v == "":
                return []
            return [str(x) for x in v] if isinstance(v, list) else [str(v)]

        label = schema.label(attrs["class"])
        for tmpl in rule.label:
            names = _PLACEHOLDER.findall(tmpl)
            vals = {n: values_of(n) for n in names}
            if all(vals.values()):
                label = _PLACEHOLDER.sub(lambda m, vals=vals: ", ".join(vals[m.group(1)]), tmpl)
                break
        related = []
        for _, o, k in sorted(graph.out_edges(c, keys=True)):
            if k not in used:
                related.append(f"{schema.edge_label(k)}: {graph.nodes[o]['label']}")
        for s, _, k in sorted(graph.in_edges(c, keys=True)):
            related.append(f"{graph.nodes[s]['label']} {schema.edge_label(k)} this")
        data = {k: v for k, v in attrs.items() if k not in ("label", "claim")}
        data.update(
            label=label,
            predicate="",
            claim=c,
            claim_label=attrs["label"],
            directed=not rule.pairs,
        )
        if related:
            data["related"] = related
        for a, b in ends:
            new_edges.append((a, b, c, dict(data)))
        collapsed.append(c)
    out_graph.remove_nodes_from(collapsed)
    for a, b, k, d in new_edges:
        if a in out_graph and b in out_graph:
            out_graph.add_edge(a, b, key=k, **d)
    out_graph.graph["collapsed"] = True
    return out_graph


# --------------------------------------------------------------------------- selection


def find_node(graph: nx.MultiDiGraph, ref: str) -> str:
    """Resolve a node reference: ``kgid:slug``, a bare slug, a full IRI or an exact label.

    Raises:
        InputError: no such node (with close matches as suggestions).
    """
    import difflib

    ref = ref.strip()
    cands = [ref, f"kgid:{ref}", node_id(ref.strip("<>"))]
    for c in cands:
        if c in graph:
            return c
    lowered = ref.lower()
    by_label = sorted(
        n for n, d in graph.nodes(data=True) if str(d.get("label", "")).lower() == lowered
    )
    if by_label:
        return by_label[0]
    close = difflib.get_close_matches(ref, [str(n) for n in graph] + [f"kgid:{ref}"], n=4)
    close = [c for c in close if c in graph]
    hint = f" (did you mean {', '.join(close)}?)" if close else ""
    raise InputError(f"no node {ref!r} in the graph{hint}")


def find_market(graph: nx.MultiDiGraph, code: str) -> str:
    """The market whose ``isoCode`` is ``code`` (case-insensitive), or a node reference."""
    want = code.strip().upper()
    hits = sorted(
        n
        for n, d in graph.nodes(data=True)
        if isinstance(d.get("isoCode"), str) and d["isoCode"].upper() == want
    )
    if hits:
        return hits[0]
    try:
        return find_node(graph, code)
    except InputError:
        known = sorted(
            {d["isoCode"] for _, d in graph.nodes(data=True) if isinstance(d.get("isoCode"), str)}
        )
        raise InputError(
            f"no market with ISO code {code!r}" + (f" (known: {', '.join(known)})" if known else "")
        ) from None


def _neighbours(graph: nx.MultiDiGraph, n: str) -> set[str]:
    return set(graph.successors(n)) | set(graph.predecessors(n))


def claim_closure(graph: nx.MultiDiGraph, seeds: Iterable[str]) -> set[str]:
    """The seeds, their neighbours, and around each claim among those its whole
    neighbourhood (the entities it relates and the claims it links to: partnerships a
    route depends on, restrictions that block it, conflicting claims). Claims reached
    that second way bring their entities but no further claims, so chains of
    corroborating or conflicting claims do not pull in the rest of the graph. Finally
    one outgoing hop from each entity to other entities (a service's provider and
    operator, a model's developer)."""
    keep = set(seeds)
    for s in list(keep):
        keep |= _neighbours(graph, s)
    first = [n for n in keep if graph.nodes[n].get("claim")]
    second: set[str] = set()
    for c in first:
        for m in _neighbours(graph, c):
            keep.add(m)
            if graph.nodes[m].get("claim") and m not in first:
                second.add(m)
    for c in second:
        keep |= {m for m in _neighbours(graph, c) if not graph.nodes[m].get("claim")}
    for n in list(keep):
        if graph.nodes[n].get("claim"):
            continue
        for m in graph.successors(n):
            if not graph.nodes[m].get("claim"):
                keep.add(m)
    return keep


def select_market(graph: nx.MultiDiGraph, code: str) -> set[str]:
    """The market, the claims about it (routes, restrictions, assessments) with everything
    they link to (models, services, sellers, partnerships and their parties, blocking
    restrictions), and the services' providers and operators."""
    market = find_market(graph, code)
    seeds = {market}
    seeds |= {s for s, _, k in graph.in_edges(market, keys=True) if k == "ckg:partOf"}
    return claim_closure(graph, seeds)


def select_provider(graph: nx.MultiDiGraph, org: str) -> set[str]:
    """The organization, what belongs to it (services, models, subsidiaries) and every
    claim about any of these (routes, partnerships, restrictions) with its links."""
    o = find_node(graph, org)
    seeds = {o} | {s for s in graph.predecessors(o) if not graph.nodes[s].get("claim")}
    return claim_closure(graph, seeds)


def select_around(graph: nx.MultiDiGraph, node: str, depth: int = 1) -> set[str]:
    """Every node within ``depth`` hops of ``node``, ignoring edge direction."""
    if depth < 0:
        raise InputError("--depth must be 0 or more")
    start = find_node(graph, node)
    seen = {start}
    frontier = {start}
    for _ in range(depth):
        nxt: set[str] = set()
        for n in frontier:
            nxt |= _neighbours(graph, n)
        frontier = nxt - seen
        seen |= frontier
    return seen


def resolve_class(graph: nx.MultiDiGraph, cls: str) -> str:
    """Accept ``ckg:AccessRoute``, ``AccessRoute`` or a full IRI; check the class is known."""
    schema = graph_schema(graph)
    c = cls.strip()
    if "://" in c:
        c = node_id(c.strip("<>"))
    elif ":" not in c:
        c = f"ckg:{c}"
    known = set(schema.parents) | set(schema.colors) | set(schema.labels)
    known |= {d.get("class") for _, d in graph.nodes(data=True)}
    if c not in known:
        import difflib

        classes = set(schema.parents) | set(schema.colors)
        classes |= {d.get("class") for _, d in graph.nodes(data=True)}
        # Compare local names case-blind: "accessroute" is ckg:AccessRoute.
        local = {k.rsplit(":", 1)[-1].casefold(): k for k in sorted(classes, key=str) if k}
        want = c.rsplit(":", 1)[-1].casefold()
        if want in local:
            return local[want]
        close = difflib.get_close_matches(want, sorted(local), n=3, cutoff=0.6)
        hint = (f" (did you mean {', '.join(local[k] for k in close)}?)" if close
                else f" (classes: {', '.join(sorted(local.values()))})")
        raise InputError(f"unknown class {cls!r}{hint}")
    return c


def select_classes(
    graph: nx.MultiDiGraph, classes: Iterable[str], within: set[str] | None = None
) -> set[str]:
    """Nodes of the classes (or their subclasses) and their direct neighbours."""
    schema = graph_schema(graph)
    wanted = [resolve_class(graph, c) for c in classes]
    pool = set(graph) if within is None else within
    core = {
        n
        for n in pool
        if graph.nodes[n].get("class")
        and any(schema.is_a(graph.nodes[n]["class"], w) for w in wanted)
    }
    out = set(core)
    for n in core:
        out |= _neighbours(graph, n) & pool
    return out


def select_query(
    kg: KnowledgeGraph, graph: nx.MultiDiGraph, spec: str, params: Mapping[str, str] | None = None
) -> tuple[set[str], list[tuple[str, str, str]] | None]:
    """Run a CONSTRUCT or SELECT and return the nodes to keep.

    For a CONSTRUCT the second value lists the constructed ``(s, p, o)`` links between
    kept nodes (only those are drawn); for a SELECT it is ``None`` and every IRI cell
    that is a node is kept, with the links between them.
    """
    from channelkg.sparql.query import query

    res = query(kg, spec, params or {})
    if res.kind == "SELECT":
        keep = {
            _term_id(v)
            for row in res.rows
            for v in row
            if isinstance(v, URIRef | BNode) and _term_id(v) in graph
        }
        return keep, None
    if res.kind == "GRAPH" and res.graph is not None:
        keep = set()
        triples = []
        for s, p, o in res.graph:
            sid = _term_id(s)
            if sid in graph:
                keep.add(sid)
            if isinstance(o, URIRef | BNode) and str(p) != _RDF_TYPE:
                oid = _term_id(o)
                if oid in graph:
                    keep.add(oid)
                triples.append((sid, node_id(str(p)), oid))
        return keep, [(s, p, o) for s, p, o in triples if s in keep and o in keep]
    raise InputError("--query needs a CONSTRUCT or a SELECT query (this one is an ASK)")


def subgraph(
    graph: nx.MultiDiGraph, nodes: Iterable[str], links: list[tuple[str, str, str]] | None = None
) -> nx.MultiDiGraph:
    """A copy of the induced subgraph; with ``links``, only those edges (added if new)."""
    keep = set(nodes)
    out_graph = graph.subgraph(keep).copy()
    if links is not None:
        schema = graph_schema(graph)
        out_graph.remove_edges_from(list(out_graph.edges(keys=True)))
        for s, p, o in links:
            data = graph.get_edge_data(s, o, key=p) or {
                "predicate": p,
                "label": schema.edge_label(p),
            }
            out_graph.add_edge(s, o, key=p, **data)
    out_graph.graph.update(graph.graph)
    return out_graph


# --------------------------------------------------------------------------- GraphML


def _scalar(v: Any) -> Any:
    if isinstance(v, bool | int | float | str):
        return v
    if isinstance(v, list):
        return " | ".join(_scalar_text(x) for x in v)
    return str(v)


def _scalar_text(v: Any) -> str:
    if isinstance(v, dict):
        return str(v.get("title") or v.get("id") or "")
    return str(v)


def _flatten(attrs: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in attrs.items():
        if v is None:
            continue
        if k == "sources" and isinstance(v, list):
            out["sources"] = " | ".join(
                " ".join(
                    x
                    for x in (
                        s.get("title", ""),
                        f"<{s['url']}>" if s.get("url") else "",
                        f"({s['date']})" if s.get("date") else "",
                    )
                    if x
                )
                for s in v
            )
            out["source_ids"] = " ".join(s["id"] for s in v)
            urls = [s["url"] for s in v if s.get("url")]
            if urls:
                out["source_urls"] = " ".join(urls)
            continue
        out[k] = _scalar(v)
    return out


def to_graphml_graph(graph: nx.MultiDiGraph) -> nx.MultiDiGraph:
    """A copy of ``graph`` with only scalar attributes (lists joined with `` | ``), ready for
    ``networkx.write_graphml``. An attribute with mixed types becomes text everywhere."""
    import networkx as nx

    out_graph = nx.MultiDiGraph()
    out_graph.graph.update(
        {k: v for k, v in graph.graph.items() if isinstance(v, bool | int | float | str)}
    )
    for n, d in graph.nodes(data=True):
        out_graph.add_node(n, **_flatten(d))
    for a, b, k, d in graph.edges(keys=True, data=True):
        out_graph.add_edge(a, b, key=k, **_flatten(d))
    for items in (
        [d for _, d in out_graph.nodes(data=True)],
        [d for _, _, d in out_graph.edges(data=True)],
    ):
        kinds: dict[str, set[type]] = defaultdict(set)
        for d in items:
            for k, v in d.items():
                kinds[k].add(type(v))
        mixed = {k for k, ts in kinds.items() if len(ts) > 1}
        for d in items:
            for k in mixed & set(d):
                d[k] = str(d[k])
    return out_graph


def write_graphml(graph: nx.MultiDiGraph, path: Path | str) -> Path:
    """Write ``graph`` as GraphML atomically (lists joined; readable by ``nx.read_graphml``)."""
    import io

    import networkx as nx

    from channelkg.rdf.fileio import atomic_write_bytes

    buf = io.BytesIO()
    nx.write_graphml(to_graphml_graph(graph), buf)
    path = Path(path)
    atomic_write_bytes(path, buf.getvalue())
    return path


# --------------------------------------------------------------------------- selections


@dataclass(frozen=True)
class Selection:
    """What to draw. Market, provider, around and query parts are united; ``classes``
    then keeps nodes of those classes (and subclasses) with their direct neighbours.
    Nothing selected means the whole graph."""

    market: str | None = None
    provider: str | None = None
    around: str | None = None
    depth: int = 1
    classes: tuple[str, ...] = ()
    query: str | None = None
    params: tuple[tuple[str, str], ...] = ()

    @property
    def empty(self) -> bool:
        return not (self.market or self.provider or self.around or self.classes or self.query)

    def slug(self) -> str:
        """A file-name stem: ``market-cn``, ``provider-microsoft``, ``around-gpt-d2`` …"""
        parts = []
        if self.market:
            parts.append(f"market-{self.market}")
        if self.provider:
            parts.append(f"provider-{self.provider}")
        if self.around:
            parts.append(f"around-{self.around}-d{self.depth}")
        if self.query:
            parts.append(f"query-{Path(self.query).stem}")
        if self.classes:
            parts.append("class-" + "-".join(local_name(c) for c in self.classes))
        text = "_".join(parts) or "all"
        text = re.sub(r"[^A-Za-z0-9_]+", "-", text.replace("kgid:", "")).strip("-")
        return text.lower()[:120] or "view"

    def title(self, around_label: str | None = None) -> str:
        """A human title for the page (``around_label`` names the --around node)."""
        parts = []
        if self.market:
            parts.append(f"market {self.market}")
        if self.provider:
            parts.append(f"provider {self.provider}")
        if self.around:
            parts.append(f"around {around_label or self.around} (depth {self.depth})")
        if self.query:
            parts.append(f"query {Path(self.query).name}")
        if self.classes:
            parts.append("classes " + ", ".join(self.classes))
        return "channelkg: " + ("; ".join(parts) if parts else "whole graph")


def select(
    graph: nx.MultiDiGraph, sel: Selection, kg: KnowledgeGraph | None = None
) -> nx.MultiDiGraph:
    """Apply a :class:`Selection` to a full (uncollapsed) projection.

    Raises:
        InputError: an unknown market, node or class, or an empty result.
    """
    if sel.empty:
        return graph
    keep: set[str] | None = None
    links: list[tuple[str, str, str]] | None = None

    def add(nodes: set[str]) -> None:
        nonlocal keep
        keep = nodes if keep is None else keep | nodes

    if sel.market:
        add(select_market(graph, sel.market))
    if sel.provider:
        add(select_provider(graph, sel.provider))
    if sel.around:
        add(select_around(graph, sel.around, sel.depth))
    if sel.query:
        if kg is None:
            raise InputError("--query needs the loaded graph")
        nodes, links = select_query(kg, graph, sel.query, dict(sel.params))
        add(nodes)
    if sel.classes:
        keep = select_classes(graph, sel.classes, within=keep)
    if not keep:
        raise InputError(f"the selection ({sel.title().removeprefix('channelkg: ')}) is empty")
    return subgraph(graph, keep, links if not (sel.market or sel.provider or sel.around) else None)


__all__ = [
    "CollapseRule",
    "Schema",
    "Selection",
    "select",
    "claim_closure",
    "collapse_claims",
    "find_market",
    "find_node",
    "graph_schema",
    "load_rules",
    "load_schema",
    "select_around",
    "select_classes",
    "select_market",
    "select_provider",
    "select_query",
    "subgraph",
    "to_graphml_graph",
    "to_networkx",
    "write_graphml",
]
