"""The one reader of what the ontology says: the class tree, labels and view styles.

:class:`ClassTree` answers subclass questions (``rdfs:subClassOf*``) for the resolver
and the analyses; :class:`Schema` adds the labels and the ``ckg:viewColor`` /
``ckg:viewShape`` / ``ckg:viewEdgeLabel`` annotations the network views draw with.
Both are read from the same triples as the data (a loaded graph includes the
ontology), so a class added to the ontology is known without code changes.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Iterable, Mapping
from pathlib import Path

from channelkg.model.labels import choose, local_name
from channelkg.rdf.namespaces import CKG_NS, RDFS_NS, SKOS_NS
from channelkg.record import Record

TYPE_CHECKING = False  # typing is not imported at run time
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any, ClassVar

    from rdflib import Literal

    from channelkg.typevars import T


def reachable(children: Mapping[T, Iterable[T]], start: T) -> set[T]:
    """``start`` and every node below it in ``children`` (e.g. a class and its
    subclasses, ``rdfs:subClassOf*`` read downwards)."""
    out = {start}
    todo = [start]
    while todo:
        for c in children.get(todo.pop(), ()):
            if c not in out:
                out.add(c)
                todo.append(c)
    return out


class ClassTree(Record):
    """``rdfs:subClassOf`` edges between classes, keyed by any string form of the IRI
    (a :class:`~channelkg.record.Record`, compared by its edges)."""

    __slots__ = ("parents", "children", "_up")
    UNCOMPARED = UNSHOWN = ("_up",)
    FACTORIES: ClassVar[dict[str, Callable[[], Any]]] = {
        "parents": lambda: defaultdict(set), "children": lambda: defaultdict(set),
        "_up": dict}

    parents: dict[str, set[str]]
    children: dict[str, set[str]]
    _up: dict[str, list[str]]

    def __init__(self, parents: dict[str, set[str]] | None = None,
                 children: dict[str, set[str]] | None = None,
                 _up: dict[str, list[str]] | None = None) -> None:
        self.set(parents=defaultdict(set) if parents is None else parents,
                 children=defaultdict(set) if children is None else children,
                 _up={} if _up is None else _up)

    def add(self, sub: str, sup: str) -> None:
        """Record ``sub rdfs:subClassOf sup``."""
        self.parents[sub].add(sup)
        self.children[sup].add(sub)
        self._up.clear()

    def ancestors(self, cls: str) -> list[str]:
        """``cls`` and its superclasses, nearest first (breadth-first, ties by name)."""
        cached = self._up.get(cls)
        if cached is not None:
            return cached
        seen = [cls]
        queue = deque([cls])
        while queue:
            for p in sorted(self.parents.get(queue.popleft(), ())):
                if p not in seen:
                    seen.append(p)
                    queue.append(p)
        self._up[cls] = seen
        return seen

    def descendants(self, cls: str) -> set[str]:
        """``cls`` and every class below it."""
        return reachable(self.children, cls)

    def is_a(self, cls: str, of: str) -> bool:
        """True if ``cls`` is ``of`` or one of its subclasses."""
        return of in self.ancestors(cls)

    def depth(self, cls: str) -> int:
        return len(self.ancestors(cls))


_VIEW_COLOR = CKG_NS + "viewColor"
_VIEW_SHAPE = CKG_NS + "viewShape"
_VIEW_EDGE_LABEL = CKG_NS + "viewEdgeLabel"
_NOTATION = SKOS_NS + "notation"
_SUBCLASS = RDFS_NS + "subClassOf"


class Schema(ClassTree):
    """What the ontology says about classes and properties, keyed by compact IRI."""

    __slots__ = ("labels", "colors", "shapes", "edge_labels", "notations")
    FACTORIES: ClassVar[dict[str, Callable[[], Any]]] = {
        **ClassTree.FACTORIES, "labels": dict, "colors": dict, "shapes": dict,
        "edge_labels": dict, "notations": dict}

    labels: dict[str, str]
    colors: dict[str, str]
    shapes: dict[str, str]
    edge_labels: dict[str, str]
    notations: dict[str, str]

    def __init__(self, parents: dict[str, set[str]] | None = None,  # noqa: PLR0913 (fields)
                 children: dict[str, set[str]] | None = None,
                 _up: dict[str, list[str]] | None = None,
                 labels: dict[str, str] | None = None, colors: dict[str, str] | None = None,
                 shapes: dict[str, str] | None = None,
                 edge_labels: dict[str, str] | None = None,
                 notations: dict[str, str] | None = None) -> None:
        super().__init__(parents, children, _up)
        self.set(labels={} if labels is None else labels,
                 colors={} if colors is None else colors,
                 shapes={} if shapes is None else shapes,
                 edge_labels={} if edge_labels is None else edge_labels,
                 notations={} if notations is None else notations)

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
                for p in v:
                    out.add(k, p)
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
            for p in v:
                s.add(k, p)
        s.labels.update(d.get("labels", {}))
        s.colors.update(d.get("colors", {}))
        s.shapes.update(d.get("shapes", {}))
        s.edge_labels.update(d.get("edge_labels", {}))
        s.notations.update(d.get("notations", {}))
        return s

    @classmethod
    def from_index(
        cls, subclass: Iterable[tuple[str, str]], lits: Mapping[str, list[tuple[str, Literal]]]
    ) -> Schema:
        """Build from subclass pairs and each term's ``(property, literal)`` pairs."""
        s = cls()
        for c, p in subclass:
            s.add(c, p)
        for subj, pairs in lits.items():
            for p, o in pairs:
                if p == _VIEW_COLOR:
                    s.colors[subj] = str(o).strip()
                elif p == _VIEW_SHAPE:
                    s.shapes[subj] = str(o).strip()
                elif p == _VIEW_EDGE_LABEL:
                    s.edge_labels[subj] = str(o)
                elif p == _NOTATION:
                    s.notations[subj] = str(o)
            best = choose(pairs)  # the one label policy
            if best:
                s.labels[subj] = best
        return s


def load_schema(ontology: Path | str | None = None) -> Schema:
    """Read class/property styling and labels from an ontology file (default: the shipped one)."""
    from rdflib import BNode, Literal

    from channelkg import resources
    from channelkg.graph.memory import parse_file
    from channelkg.rdf.terms import shorten, to_rdflib

    def term_id(t: Any) -> str:
        return f"_:{t}" if isinstance(t, BNode) else shorten(str(t))

    path = Path(ontology) if ontology else resources.ontology_file()
    subclass: list[tuple[str, str]] = []
    lits: dict[str, list[tuple[str, Literal]]] = defaultdict(list)
    for q in parse_file(path):
        s, p, o = (to_rdflib(t) for t in (q.subject, q.predicate, q.object))
        if isinstance(o, Literal):
            lits[term_id(s)].append((str(p), o))
        elif str(p) == _SUBCLASS:
            subclass.append((term_id(s), term_id(o)))
    return Schema.from_index(subclass, lits)


def value_range(ontology: Any, prop: Any) -> Any:
    """The datatype or class of a property's values: its ``ckg:valueDatatype`` (a datatype
    outside the OWL 2 datatype map, e.g. ``xsd:date``, whose ``rdfs:range`` the ontology
    gives as ``rdfs:Literal`` to stay OWL 2 DL), else its ``rdfs:range``; ``None`` if neither.

    ``ontology`` is anything with rdflib's ``value(s, p)``.
    """
    from rdflib import URIRef

    return (ontology.value(prop, URIRef(CKG_NS + "valueDatatype"))
            or ontology.value(prop, URIRef(RDFS_NS + "range")))


__all__ = ["ClassTree", "Schema", "load_schema", "reachable", "value_range"]
