"""The one name resolver: what a user typed -> a node of the graph, of the right kind.

Every command and every typed query parameter resolves names here, so these inputs
name the same market everywhere: its ISO code in any case (``CN``, ``cn``), a label
in any language and case (``Mainland China``, ``mainland china``, ``中国大陆``), its
slug (``mainland-china``), its CURIE (``kgid:mainland-china``) and its full IRI.
Fact ids (``AZ-8``) and alternative labels name nodes too.

A :class:`NameIndex` holds, per graph, the names, types and the class tree; it is
built by one SPARQL query (:meth:`NameIndex.of`, any backend) or from triples already
in hand (:meth:`NameIndex.from_triples`). :func:`resolve` restricts the answer to a
*kind* (``market``, ``organization``, ``model`` ...) and raises one
:class:`~channelkg.errors.InputError` line with close matches of that kind.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence

import pyoxigraph as ox

from channelkg.errors import InputError
from channelkg.model.labels import NAME_IRIS, choose
from channelkg.model.schema import ClassTree
from channelkg.rdf.namespaces import CKG_NS, KGID_NS, OWL_NS, RDF_NS, RDFS_NS, SKOS_NS
from channelkg.rdf.terms import (
    expand_iri,
    iri_term,
    is_blank,
    is_literal,
    literal_term,
    shorten,
    text_of,
)
from channelkg.record import Record

TYPE_CHECKING = False  # typing is not imported at run time
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any, ClassVar

    from rdflib import URIRef

    from channelkg.graph.memory import KnowledgeGraph

#: Kinds of node a name can be asked to resolve to, and the classes they stand for
#: (rdflib ``URIRef`` values, built on first use: :data:`KIND_IRIS` holds the IRIs).
KINDS: dict[str, tuple[URIRef, ...]]

#: Kinds of node a name can be asked to resolve to, and the IRIs of the classes they
#: stand for (as plain strings; :data:`KINDS` holds them as rdflib ``URIRef``).
KIND_IRIS: dict[str, tuple[str, ...]] = {
    "entity": (),
    "market": (CKG_NS + "Market",),
    "organization": (CKG_NS + "Organization",),
    "model": (CKG_NS + "Model",),
    "model, family or developer": (CKG_NS + "Model", CKG_NS + "Organization"),
    "service": (CKG_NS + "Service",),
    "partnership": (CKG_NS + "Partnership",),
    "restriction": (CKG_NS + "Restriction",),
    "route": (CKG_NS + "AccessRoute",),
    "restriction kind": (CKG_NS + "Kind",),
    "source": (CKG_NS + "Source",),
    "class": (OWL_NS + "Class", RDFS_NS + "Class"),
}

#: Other spellings of a kind (query parameter types, the ontology's spelling).
ALIASES = {"organisation": "organization", "org": "organization", "family": "model",
           "node": "entity", "kind": "restriction kind"}

_READ = (RDF_NS + "type", RDFS_NS + "subClassOf", *NAME_IRIS)
_QUERY = ("SELECT ?s ?p ?o WHERE { VALUES ?p { " + " ".join(f"<{p}>" for p in _READ)
          + " } ?s ?p ?o FILTER(isIRI(?s)) }")


def fold(text: str) -> str:
    """Compare names case-blind and width-blind (NFKC, casefold, blanks squeezed)."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def kind_iris(kind: str) -> tuple[str, ...]:
    """The IRIs of the classes a kind stands for; raise :class:`ValueError` on an
    unknown kind."""
    key = ALIASES.get(kind, kind)
    if key not in KIND_IRIS:
        raise ValueError(f"unknown kind {kind!r} (known: {', '.join(KIND_IRIS)})")
    return KIND_IRIS[key]


def kind_classes(kind: str) -> tuple[URIRef, ...]:
    """The classes a kind stands for, as rdflib ``URIRef`` (:func:`kind_iris` gives the
    IRIs without rdflib); raise :class:`ValueError` on an unknown kind."""
    from rdflib import URIRef

    return tuple(URIRef(i) for i in kind_iris(kind))


def __getattr__(name: str) -> Any:
    """:data:`KINDS`, built from :data:`KIND_IRIS` on first use (it needs rdflib)."""
    if name == "KINDS":
        from rdflib import URIRef

        kinds = {k: tuple(URIRef(i) for i in v) for k, v in KIND_IRIS.items()}
        globals()["KINDS"] = kinds
        return kinds
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class NameIndex(Record):
    """Names, types and the class tree of one graph.

    :attr:`types` maps a node's IRI to its classes' IRIs, :attr:`by_name` a
    :func:`fold`-ed name to the IRIs it names, and :attr:`names` an IRI to its
    ``(property IRI, literal)`` pairs. The literals are the terms the index was built
    from: ``pyoxigraph.Literal`` from an Oxigraph graph (:meth:`of`, :meth:`near`; so
    that no rdflib term is made), rdflib ``Literal`` from the rdflib engine or rdflib
    triples. Read them with :func:`channelkg.rdf.terms.text_of` and
    :func:`~channelkg.rdf.terms.language_of`, which take either.
    """

    __slots__ = ("types", "names", "by_name", "tree")
    FACTORIES: ClassVar[dict[str, Callable[[], Any]]] = {
        "types": lambda: defaultdict(set), "names": lambda: defaultdict(list),
        "by_name": lambda: defaultdict(set), "tree": ClassTree}

    types: dict[str, set[str]]
    names: dict[str, list[tuple[str, Any]]]
    by_name: dict[str, set[str]]
    tree: ClassTree

    def __init__(self, types: dict[str, set[str]] | None = None,
                 names: dict[str, list[tuple[str, Any]]] | None = None,
                 by_name: dict[str, set[str]] | None = None,
                 tree: ClassTree | None = None) -> None:
        self.set(types=defaultdict(set) if types is None else types,
                 names=defaultdict(list) if names is None else names,
                 by_name=defaultdict(set) if by_name is None else by_name,
                 tree=ClassTree() if tree is None else tree)

    @classmethod
    def of(cls, kg: KnowledgeGraph) -> NameIndex:
        """Index a loaded graph (any backend) with one SPARQL query."""
        from channelkg.sparql.query import run

        res = run(kg, _QUERY, native=True)
        return cls.from_triples((s, p, o) for s, p, o in res.rows)

    @classmethod
    def near(cls, kg: KnowledgeGraph, text: str) -> NameIndex:
        """A partial index: the nodes ``text`` can name, their names and types, the tree.

        On an ``--as-of`` view the candidates are found on the backend it views (a view
        only hides triples, so they include the view's own), and the view is asked only
        about them (:func:`_about_query`): the rows, so the index, are those of the whole
        query on the view, without matching every name of the graph through the view."""
        from channelkg.sparql.query import run

        query = _near_query(text)
        base = _viewed(kg)
        if base is not None:
            found = run(base, _candidates_query(text), native=True)
            pairs = [(text_of(s), text_of(p)) for s, p in found.rows]
            # An IRI that cannot be written into a query (a server may hold one) keeps
            # the whole query, as do many pairs (each branch costs the view a rewrite).
            if len(pairs) <= _MAX_ABOUT and all(_IRI_OK.match(n) for n, _p in pairs):
                query = _about_query(pairs)
        res = run(kg, query, native=True)
        return cls.from_triples((s, p, o) for s, p, o in res.rows)

    @classmethod
    def from_triples(cls, triples: Iterable[tuple[Any, Any, Any]]) -> NameIndex:
        """Index triples (pyoxigraph or rdflib terms; IRIs may be plain strings); others
        are skipped."""
        out = cls()
        wanted = set(_READ)
        for s, p, o in triples:
            ps = text_of(p)
            if ps not in wanted or s is None or o is None or _is_blank(s):
                continue
            out.add(text_of(s), ps, o)
        return out

    def add(self, s: str, p: str, o: Any) -> None:
        """Record one triple (``p`` one of the properties read)."""
        if p == _TYPE:
            self.types[s].add(text_of(o))
        elif p == _SUBCLASS:
            self.tree.add(s, text_of(o))
        elif is_literal(o):
            self.names[s].append((p, o))
            self.by_name[fold(text_of(o))].add(s)

    def known(self, iri: str) -> bool:
        """True if the node has a type, a name or is a class in the tree."""
        return iri in self.types or iri in self.names or iri in self.tree.parents

    def is_a(self, iri: str, classes: Sequence[str]) -> bool:
        """True if the node is an instance of one of ``classes`` (or of a subclass);
        an empty ``classes`` accepts any known node. Classes are instances of
        ``owl:Class`` by the tree alone."""
        if not classes:
            return self.known(iri)
        wanted = [str(c) for c in classes]
        if any(w in (OWL_NS + "Class", RDFS_NS + "Class") for w in wanted) and (
            iri in self.tree.parents or iri in self.tree.children
        ):
            return True
        return any(self.tree.is_a(t, w) for t in self.types.get(iri, ()) for w in wanted)

    def label(self, iri: str) -> str:
        """The node's label by :mod:`channelkg.model.labels` (its CURIE if unlabelled)."""
        text = choose(self.names.get(iri, []))
        return shorten(iri) if text is None else text

    def codes(self, iri: str) -> list[str]:
        return sorted(text_of(o) for p, o in self.names.get(iri, []) if p == _ISO)

    def members(self, classes: Sequence[str]) -> list[str]:
        """Every node of the kind, sorted (graph entities only when ``classes`` is empty)."""
        pool = set(self.types) | set(self.names) | set(self.tree.parents)
        if not classes:
            return sorted(n for n in pool if n.startswith(KGID_NS))
        return sorted(n for n in pool if self.is_a(n, classes))


_TYPE, _SUBCLASS, _ISO = RDF_NS + "type", RDFS_NS + "subClassOf", CKG_NS + "isoCode"


def _is_blank(term: Any) -> bool:
    return is_blank(term) or not isinstance(term, str | ox.NamedNode)


def resolve(index: NameIndex, text: str, kind: str = "entity") -> URIRef:
    """:func:`resolve_iri` as an rdflib ``URIRef``."""
    from rdflib import URIRef

    return URIRef(resolve_iri(index, text, kind))


def resolve_iri(index: NameIndex, text: str, kind: str = "entity") -> str:
    """Resolve what a user typed to (the IRI of) one node of the given kind.

    Tried in order: the text as an IRI (``<iri>``, full IRI, CURIE or bare ``kgid:``
    slug); then as a name (label in any language, alternative label, ISO code, fact
    id, slug), compared by :func:`fold`.

    Args:
        index: the graph's :class:`NameIndex`.
        text: what the user typed.
        kind: one of :data:`KIND_IRIS` (or an alias), named in messages.

    Raises:
        InputError: empty text, no node of the kind has that name (close matches of
            the kind are suggested), or several do.
    """
    classes = kind_iris(kind)
    what = ALIASES.get(kind, kind)
    raw = text.strip()
    if not raw:
        raise InputError(f"empty {what} name")
    iri, bad_prefix = _as_iri(raw)
    if what == "class" and iri is not None and not index.is_a(iri, classes):
        iri = CKG_NS + raw if re.fullmatch(r"[A-Za-z]\w*", raw) else iri
    if iri is not None and index.is_a(iri, classes):
        return iri
    key = fold(raw)
    hits = {n for n in index.by_name.get(key, ()) if index.is_a(n, classes)}
    hits |= {n for n in index.members(classes) if fold(_slug(n)) == key}
    if len(hits) == 1:
        return hits.pop()
    if hits:
        names = ", ".join(sorted(shorten(h) for h in hits))
        raise InputError(f"{what} {raw!r} is ambiguous: {names}")
    hint = suggest(index, raw, classes)
    if iri is not None and index.known(iri):
        raise InputError(f"{shorten(iri)} is not a {what}{hint}")
    why = f": {bad_prefix}" if bad_prefix else ""
    raise InputError(f"unknown {what} {raw!r}{why}{hint}")


def resolve_in(kg: KnowledgeGraph, text: str, kind: str = "entity") -> URIRef:
    """:func:`resolve` on a loaded graph, reading only what the name can match.

    One SPARQL query fetches the nodes whose IRI, slug or name equals the text (with
    their types) and the class tree; only when that finds no single node is the whole
    :class:`NameIndex` built, so the answer and the error (with its close matches) are
    exactly those of :func:`resolve` on the whole index, at a fraction of the cost on a
    large graph.
    """
    try:
        return resolve(NameIndex.near(kg, text), text, kind)
    except InputError:
        return resolve(NameIndex.of(kg), text, kind)


def _near_query(text: str) -> str:
    """The SPARQL of :meth:`NameIndex.near`: the name's candidates and the class tree.

    The candidates are found first (a sub-select), then their names and types are read
    by subject: joined the other way round, every type triple of the graph is read."""
    return ("SELECT ?s ?p ?o WHERE {"
            f" {{ {{ SELECT DISTINCT ?s WHERE {_found(text)} }}"
            f" VALUES ?p {{ <{_TYPE}> {_NAMES} }} ?s ?p ?o }}"
            f" UNION {{ VALUES ?p {{ <{_SUBCLASS}> }} ?s ?p ?o FILTER(isIRI(?s)) }} }}")


def _found(text: str) -> str:
    """The group of :func:`_near_query` that binds ``?s`` to each candidate: a node with a
    name equal to the text (case-blind), or the node the text is the IRI or slug of."""
    from channelkg.sparql.query import sparql_term

    raw = " ".join(text.split())
    iris = [i for i in (_as_iri(raw)[0], KGID_NS + raw.casefold()) if i is not None]
    cands = " ".join(sparql_term(iri_term(i)) for i in dict.fromkeys(iris) if _IRI_OK.match(i))
    key = sparql_term(literal_term(raw.casefold()))
    found = (f"{{ VALUES ?n {{ {_NAMES} }} ?s ?n ?v FILTER(isIRI(?s) && isLiteral(?v)"
             f" && LCASE(STR(?v)) = {key}) }}")
    if cands:
        found = f"{{ {found} UNION {{ VALUES ?s {{ {cands} }} }} }}"
    return found


def _candidates_query(text: str) -> str:
    """The candidates of :func:`_near_query`, each with the properties it has of those the
    query reads (run on the backend an as-of view views: :meth:`NameIndex.near`)."""
    return (f"SELECT DISTINCT ?s ?p WHERE {{ {{ SELECT DISTINCT ?s WHERE {_found(text)} }}"
            f" VALUES ?p {{ <{_TYPE}> {_NAMES} }} ?s ?p ?o }}")


def _about_query(pairs: Sequence[tuple[str, str]]) -> str:
    """:func:`_near_query` with its candidates given: the values of each ``(node,
    property)`` pair (IRIs) and the class tree, each pair in its own branch, so that on an
    as-of view (:mod:`channelkg.graph.asof_filter`) a hidden node's branches are dropped
    whole and the rest are tested only against the hidden nodes that stand in that place
    in the data, not against every hidden fact. On a view of a graph where the pairs are
    those :func:`_candidates_query` finds, the rows are those of :func:`_near_query`: a
    view hides whole triples, so its candidates are among the graph's, and it has no
    triple of a pair the graph lacks."""
    from channelkg.sparql.query import sparql_term

    branches = [f"{{ {s} {p} ?o BIND({s} AS ?s) BIND({p} AS ?p) }}"
                for s, p in ((sparql_term(iri_term(n)), sparql_term(iri_term(q)))
                             for n, q in pairs)]
    branches.append(f"{{ ?s <{_SUBCLASS}> ?o FILTER(isIRI(?s)) BIND(<{_SUBCLASS}> AS ?p) }}")
    return f"SELECT ?s ?p ?o WHERE {{ {' UNION '.join(branches)} }}"


def _viewed(kg: KnowledgeGraph) -> KnowledgeGraph | None:
    """The backend ``kg`` is the as-of view of, or ``None``."""
    import sys

    asof = sys.modules.get("channelkg.graph.asof")  # no view was made without it
    return kg.base if asof is not None and isinstance(kg, asof.AsOfView) else None


#: Most ``(candidate, property)`` pairs :meth:`NameIndex.near` asks an as-of view about
#: one by one; past it the whole query runs on the view. Each branch costs the view's
#: rewrite some milliseconds: on a small graph the whole query is cheaper past about
#: ten pairs, on a large one the whole query costs seconds (a name usually has a few).
_MAX_ABOUT = 16

_NAMES = " ".join(f"<{p}>" for p in NAME_IRIS)


_IRI_OK = re.compile(r"^[^\x00-\x20<>\"{}|^`\\]+$")


def _as_iri(text: str) -> tuple[str | None, str]:
    try:
        return expand_iri(text), ""
    except ValueError as err:
        return None, str(err)


def _slug(iri: str) -> str:
    return shorten(iri).split(":", 1)[-1]


def shown(index: NameIndex, iri: str) -> str:
    """How a suggestion is written: ``kgid:hong-kong (Hong Kong, HK)``."""
    curie, label = shorten(iri), index.label(iri)
    extra = [label] if fold(label) != fold(_slug(iri)) and label != curie else []
    extra += index.codes(iri)
    return f"{curie} ({', '.join(extra)})" if extra else curie


def suggest(index: NameIndex, text: str, classes: Sequence[str] = ()) -> str:
    """`` (did you mean A, B?)`` with up to three close nodes of the kind, or ``""``.

    Compared case-blind with slugs, labels (every language), the longer words of
    English labels, ISO codes and fact ids.
    """
    pool: dict[str, str] = {}
    members = index.members(classes)
    for node in members:  # whole names first: they win over a word of another label
        for k in (_slug(node), shorten(node), *(text_of(o) for _, o in index.names.get(node, []))):
            pool.setdefault(fold(k), node)
    for node in members:
        for p, o in index.names.get(node, []):
            if p in _WORDY:
                for w in re.split(r"[\s()/,–-]+", text_of(o)):
                    if len(w) >= 4:
                        pool.setdefault(fold(w), node)
    import difflib

    close = difflib.get_close_matches(fold(text), list(pool), n=8, cutoff=0.6)
    nodes = list(dict.fromkeys(pool[k] for k in close))[:3]
    if nodes:
        return f" (did you mean {', '.join(shown(index, n) for n in nodes)}?)"
    few = index.members(classes) if classes else []
    if 0 < len(few) <= _FEW:  # nothing close: a short kind is listed whole
        return f" (known: {', '.join(shown(index, n) for n in few)})"
    return ""


_FEW = 8


_WORDY = {RDFS_NS + "label", SKOS_NS + "prefLabel", SKOS_NS + "altLabel"}


__all__ = ["ALIASES", "KINDS", "KIND_IRIS", "NameIndex", "fold", "kind_classes", "kind_iris",
           "resolve", "resolve_in", "resolve_iri",
           "shown", "suggest"]
