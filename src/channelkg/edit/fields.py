"""The fields of ``channelkg add KIND``, read from the SHACL shapes and the ontology.

The shapes (``ontology/shapes.ttl``) are the contract: which fields a fact kind
requires (``sh:minCount``), how many values it takes (``sh:maxCount``), their
datatypes (``sh:datatype`` or the property's ``rdfs:range``), the IRIs of a class
(``sh:class``), the allowed values (``sh:in``) and the help text (``sh:description``,
else the property's ``skos:definition`` or ``rdfs:comment``). Edit a shape and
``add``/``import`` follow.

What the shapes cannot say is data in this module: which class each ``add`` kind
makes (:data:`FACT_CLASSES`), which properties it offers besides those the shapes
constrain, in which order (:data:`KIND_PROPERTIES`), the option name of a property
whose local name does not give it (:data:`OPTION_NAMES`) and the options that are
not one property (:data:`PSEUDO_FIELDS`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from dataclasses import field as dc_field
from pathlib import Path
from typing import TYPE_CHECKING

from channelkg.errors import InputError

if TYPE_CHECKING:
    from rdflib import Graph, URIRef
    from rdflib.term import Node


@dataclass(frozen=True)
class Field:
    """One option of ``channelkg add KIND`` (and a YAML key / CSV column).

    ``type`` is one of: ``ref``/``refs`` (entity references), ``market``/``markets``
    (also ISO codes), ``vocab`` (a value of :attr:`choices`), ``class`` (the class of a
    claim), ``classes``, ``bool``, ``date``, ``text`` (English text), ``plain`` (string
    without language), ``labels`` (``lang=text``), ``label:LANG``, ``id``, ``pairs``,
    ``link`` (the reverse of a property) and ``source-*`` for the fields of a new source.

    Attributes:
        name: the option name (``--name``), YAML key and CSV column.
        type: how a value is read (see above).
        help: the help text.
        pred: the property the values become objects of (``None`` for pseudo fields).
        required: the shapes require a value (``sh:minCount`` at least 1).
        multiple: more than one value is allowed.
        choices: the allowed values (``sh:in``), in the shapes' order.
        min_count: the least number of values the shapes allow.
        default: the value used when none is given (a CURIE), or ``""``.
    """

    name: str
    type: str
    help: str
    pred: URIRef | None = None
    required: bool = False
    multiple: bool = False
    choices: tuple[Node, ...] = ()
    min_count: int = 0
    default: str = ""


#: The name of the ``add`` kind of each class a shape targets (``ckg:Claim`` or below
#: it); another such class gets the kebab-case of its local name (a class Lawsuit: lawsuit).
FACT_CLASSES: dict[str, str] = {
    "route": "ckg:AccessRoute",
    "partnership": "ckg:Partnership",
    "restriction": "ckg:Restriction",
    "assessment": "ckg:Assessment",
    "claim": "ckg:Claim",
}

#: The kinds of ``add`` with the shipped shapes (see :meth:`Schema.kinds`).
KINDS = (*FACT_CLASSES, "entity")

#: Properties each kind offers, first in this order; any other property the shapes
#: constrain on the kind's class (or a superclass) follows, so a new shape property
#: becomes a new option.
KIND_PROPERTIES: dict[str, tuple[str, ...]] = {
    "route": ("ckg:model", "ckg:market", "ckg:service", "ckg:kind", "ckg:seller", "ckg:open",
              "ckg:sanctioned", "ckg:dependsOn"),
    "partnership": ("ckg:party", "ckg:kind", "ckg:about"),
    "restriction": ("ckg:imposedBy", "ckg:kind", "ckg:appliesTo", "ckg:market", "ckg:blocks"),
    "assessment": ("ckg:assessedEntity", "ckg:level", "ckg:kind", "ckg:market"),
    "claim": ("ckg:about", "ckg:model", "ckg:market", "ckg:service", "ckg:snapshot"),
}

#: Properties of every fact (after the kind's own).
CLAIM_PROPERTIES = (
    "ckg:status", "ckg:statusNote", "rdfs:comment", "rdfs:label", "ckg:factId", "ckg:quote",
    "ckg:statedOn", "ckg:validFrom", "ckg:validTo", "ckg:datePrecision", "ckg:conflictsWith",
    "ckg:supersededBy", "ckg:corroborates", "prov:wasDerivedFrom",
)

#: Properties of ``add entity``.
ENTITY_PROPERTIES = (
    "rdf:type", "rdfs:label", "rdfs:comment", "ckg:isoCode", "ckg:developer", "ckg:family",
    "ckg:openWeights", "ckg:licence", "ckg:provider", "ckg:operator", "ckg:offers",
    "ckg:servesMarket", "ckg:hostedIn", "ckg:subsidiaryOf", "ckg:partOf",
    "prov:wasDerivedFrom",
)

#: Option names that are not the property's local name in kebab case.
OPTION_NAMES: dict[str, str] = {"prov:wasDerivedFrom": "source", "rdf:type": "class"}

#: How values of these properties are read, whatever their declaration.
PROPERTY_TYPES: dict[str, str] = {
    "rdfs:comment": "text", "rdfs:label": "labels", "rdf:type": "classes",
    "prov:wasDerivedFrom": "ref",
}

#: Help of properties the ontology does not describe (the ``add`` words).
PROPERTY_HELP: dict[str, str] = {
    "rdfs:comment": "The statement in one sentence (English).",
    "rdfs:label": "A label as LANG=TEXT, e.g. en=... or zh=....",
    "rdf:type": "Its class, e.g. CloudProvider, Model, Service, Market.",
    "prov:wasDerivedFrom": "An existing source (slug, CURIE or IRI).",
}

#: Another field that gives what a required field asks for (a new source).
SATISFIED_BY: dict[str, str] = {"source": "source-title"}

#: What a missing required field says, where the generic message is not enough.
MISSING: dict[str, str] = {
    "comment": "missing statement: give --comment TEXT",
    "source": "missing source: give --source-title (with --source-url and --source-date) "
              "or --source REF of an existing source",
}

#: Values used when a field is not given.
DEFAULTS: dict[str, str] = {"ckg:status": "ckg:reported"}

#: Options that are not one property: (name, type, help), inserted after the field
#: named by the key ("" = at the end).
PSEUDO_FIELDS: dict[str, tuple[tuple[str, str, str], ...]] = {
    "label": (
        ("label-en", "label:en", "Shortcut for --label en=TEXT."),
        ("label-zh", "label:zh", "Shortcut for --label zh=TEXT."),
    ),
    "superseded-by": (
        ("supersedes", "link", "An earlier claim this one replaces (that claim gets "
         "ckg:supersededBy and must already say status superseded)."),
    ),
    "": (
        ("source-title", "source-title", "Title of a new source."),
        ("source-url", "source-url", "URL of the new source."),
        ("source-date", "source-date", "Date of the new source (YYYY-MM-DD)."),
        ("source-publisher", "source-publisher", "Publisher of the new source."),
        ("source-reliability", "source-reliability",
         "primary, law-firm, press, secondary or community."),
        ("id", "id", "Slug of the new fact's IRI (default: minted from its key fields)."),
        ("set", "pairs", "Any other property as PROPERTY=VALUE, e.g. ckg:hostedIn=SG "
         "(the property must be defined in the ontology)."),
    ),
}

#: Pseudo fields only some kinds have: kind -> (name, type, help), put first.
KIND_PSEUDO_FIELDS: dict[str, tuple[tuple[str, str, str], ...]] = {
    "claim": (("class", "class", "Class of the claim (default ckg:Claim; e.g. Release)."),),
}

#: The field a ``link`` pseudo field sets on the other node.
LINKS: dict[str, str] = {"supersedes": "ckg:supersededBy"}

#: Fields not offered by ``add entity`` among the pseudo fields.
ENTITY_SKIPS = frozenset({"supersedes", "source-title", "source-url", "source-date",
                          "source-publisher", "source-reliability"})


def kebab(name: str) -> str:
    """``assessedEntity`` -> ``assessed-entity``."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "-", name).lower()


def option_name(curie: str) -> str:
    """The option name of a property given as a CURIE (see :data:`OPTION_NAMES`)."""
    return OPTION_NAMES.get(curie) or kebab(curie.split(":", 1)[1])


# ---------------------------------------------------------------------------
# Reading the shapes
# ---------------------------------------------------------------------------


@dataclass
class _Constraint:
    min_count: int = 0
    max_count: int | None = None
    datatype: Node | None = None
    cls: Node | None = None
    choices: tuple[Node, ...] | None = None
    iri: bool = False  # sh:nodeKind sh:IRI: the value is a node, not a literal
    help: str = ""


def _english(graph: Graph, node: Node, preds: tuple[URIRef, ...]) -> str:
    from rdflib import Literal

    for pred in preds:
        values = [v for v in graph.objects(node, pred) if isinstance(v, Literal)]
        values.sort(key=lambda v: (v.language not in (None, "en"), str(v)))
        if values:
            return str(values[0])
    return ""


def _constraints(shapes: Graph, classes: set[Node]) -> dict[Node, _Constraint]:
    """Every property the shapes constrain on nodes of ``classes``, merged."""
    from rdflib.collection import Collection
    from rdflib.namespace import SH

    out: dict[Node, _Constraint] = {}
    shape_nodes = sorted({s for c in classes for s in shapes.subjects(SH.targetClass, c)}, key=str)
    for shape in shape_nodes:
        for prop in shapes.objects(shape, SH.property):
            path = shapes.value(prop, SH.path)
            if path is None or not hasattr(path, "startswith"):
                continue
            c = out.setdefault(path, _Constraint())
            low = shapes.value(prop, SH.minCount)
            high = shapes.value(prop, SH.maxCount)
            if low is not None:
                c.min_count = max(c.min_count, int(low))  # type: ignore[call-overload]
            if high is not None:
                c.max_count = min(c.max_count or int(high), int(high))  # type: ignore[call-overload]
            c.datatype = shapes.value(prop, SH.datatype) or c.datatype
            c.cls = shapes.value(prop, SH["class"]) or c.cls
            c.iri = c.iri or shapes.value(prop, SH.nodeKind) == SH.IRI
            listed = shapes.value(prop, SH["in"])
            if listed is not None:
                values = tuple(Collection(shapes, listed))
                c.choices = (values if c.choices is None
                             else tuple(v for v in c.choices if v in values))
            c.help = c.help or _english(shapes, prop, (SH.description, SH.name))
    return out


@dataclass(frozen=True)
class Schema:
    """The ontology and the shapes, as ``add`` reads them."""

    ontology: Graph
    shapes: Graph
    cache: dict[str, tuple[Field, ...]] = dc_field(default_factory=dict, compare=False)
    kind_cache: dict[str, URIRef] = dc_field(default_factory=dict, compare=False)

    def iri(self, curie: str) -> URIRef:
        """The IRI of a CURIE of the project's prefixes."""
        from channelkg.rdf.terms import expand

        return expand(curie)

    def superclasses(self, cls: Node) -> set[Node]:
        """``cls`` and every class above it (``rdfs:subClassOf``)."""
        from channelkg.rdf.terms import subclass_closure

        return subclass_closure(self.ontology, cls, up=True)

    def instances(self, cls: Node) -> tuple[Node, ...]:
        """The ontology's individuals of ``cls`` (a vocabulary), sorted."""
        from rdflib.namespace import RDF

        return tuple(sorted(self.ontology.subjects(RDF.type, cls), key=str))

    def kinds(self) -> dict[str, URIRef]:
        """The fact kinds of ``add``, name -> class: each class a shape targets that is
        ``ckg:Claim`` or a subclass of it (``entity`` is not among them)."""
        from rdflib import URIRef
        from rdflib.namespace import SH

        if self.kind_cache:
            return self.kind_cache
        claim = self.iri("ckg:Claim")
        targeted = {c for c in self.shapes.objects(None, SH.targetClass)
                    if isinstance(c, URIRef) and claim in self.superclasses(c)}
        out = {name: self.iri(c) for name, c in FACT_CLASSES.items()
               if self.iri(c) in targeted or self.iri(c) == claim}
        named = set(out.values())
        for c in sorted(targeted - named, key=str):
            out.setdefault(kebab(local_name(c)), c)
        self.kind_cache.update(out)
        return out

    def kind_names(self) -> tuple[str, ...]:
        """Every kind ``add`` offers: the fact kinds, then ``entity``."""
        return (*self.kinds(), "entity")

    def field(self, curie: str, c: _Constraint | None) -> Field:
        """The field of one property under the constraints ``c`` (``None``: no shape)."""
        from rdflib.namespace import OWL, RDF, RDFS, SKOS, XSD

        from channelkg.model.schema import value_range

        pred = self.iri(curie)
        c = c or _Constraint()
        rng = c.cls or c.datatype or value_range(self.ontology, pred)
        kind = PROPERTY_TYPES.get(curie)
        choices: tuple[Node, ...] = ()
        if kind is None:
            is_object = (OWL.ObjectProperty in set(self.ontology.objects(pred, RDF.type))
                         or c.cls is not None or c.iri
                         or bool(c.choices) and not any(hasattr(v, "language")
                                                       for v in c.choices or ()))
            vocab = c.choices or (self.instances(rng) if rng is not None else ())
            if c.choices and all(hasattr(v, "language") for v in c.choices):
                kind = "plain"  # literal values: SHACL checks them
            elif vocab and is_object:
                kind, choices = "vocab", vocab
            elif rng == XSD.date:
                kind = "date"
            elif rng == XSD.boolean:
                kind = "bool"
            elif is_object:
                kind = "market" if rng == self.iri("ckg:Market") else "ref"
            else:
                kind = "plain"
        multiple = kind in ("labels", "classes") or (
            kind in ("ref", "market") and c.max_count != 1)
        if multiple and kind in ("ref", "market"):
            kind += "s"
        help_text = (c.help or PROPERTY_HELP.get(curie)
                     or _english(self.ontology, pred, (SKOS.definition, RDFS.comment)))
        if choices or c.choices:
            help_text = help_text.rstrip(".") + ". One of: " + ", ".join(
                local_name(v) for v in (choices or c.choices or ())) + "."
        return Field(option_name(curie), kind, help_text, pred, c.min_count > 0, multiple,
                     choices, c.min_count, DEFAULTS.get(curie, ""))

    def fields(self, kind: str) -> tuple[Field, ...]:
        """The fields of a fact kind (``route`` …) or of ``entity``, in option order."""
        from channelkg.rdf.terms import shorten

        if kind in self.cache:
            return self.cache[kind]
        kinds = self.kinds()
        if kind not in kinds and kind != "entity":
            raise InputError(f"unknown fact type {kind!r} "
                             f"(choose from {', '.join(self.kind_names())})")
        if kind == "entity":
            constraints: dict[Node, _Constraint] = {}
            curies: list[str] = list(ENTITY_PROPERTIES)
        else:
            constraints = _constraints(self.shapes, self.superclasses(kinds[kind]))
            curies = [*KIND_PROPERTIES.get(kind, ()), *CLAIM_PROPERTIES]
            listed = {self.iri(x) for x in curies}
            curies += sorted(shorten(str(p)) for p in constraints if p not in listed)
        out = [_pseudo(*spec) for spec in KIND_PSEUDO_FIELDS.get(kind, ())]
        for curie in curies:
            f = self.field(curie, constraints.get(self.iri(curie)))
            out.append(f)
            out += [_pseudo(*spec) for spec in PSEUDO_FIELDS.get(f.name, ())
                    if not (kind == "entity" and spec[0] in ENTITY_SKIPS)]
        out += [_pseudo(*spec) for spec in PSEUDO_FIELDS[""]
                if not (kind == "entity" and spec[0] in ENTITY_SKIPS)]
        if kind == "entity":
            out = [_entity_help(f) for f in out]
        self.cache[kind] = tuple(out)
        return self.cache[kind]


#: Pseudo field types that take several values.
MULTIPLE_PSEUDO_TYPES = frozenset({"link", "pairs"})


def _pseudo(name: str, type_: str, help_text: str) -> Field:
    return Field(name, type_, help_text, multiple=type_ in MULTIPLE_PSEUDO_TYPES)


def _entity_help(f: Field) -> Field:
    if f.name == "id":
        return replace(f, help="Slug of the new entity's IRI (default: from its English label).")
    if f.name == "class":
        return replace(f, required=True, min_count=1)
    if f.name == "comment":
        return replace(f, help="A description (English).")
    if f.name == "label":
        return replace(f, help=f.help + " Give at least one.")
    return f


def local_name(node: Node) -> str:
    """The name after ``#`` or the last ``/`` (literals: their text)."""
    text = str(node)
    return re.split(r"[#/]", text)[-1] if hasattr(node, "n3") and "://" in text else text


# ---------------------------------------------------------------------------
# One parse of the ontology and the shapes per process (while the files stay the same)
# ---------------------------------------------------------------------------

_CACHE: dict[tuple[str, str], tuple[tuple[float, int, float, int], Schema]] = {}


def _stamp(path: Path) -> tuple[float, int]:
    st = path.stat()
    return st.st_mtime, st.st_size


def read_graph(path: Path, suffix: str | None = None) -> Graph:
    """Parse one RDF file into an rdflib graph (the one parse of :mod:`channelkg.edit`).

    ``suffix`` (e.g. ``.ttl``) gives the syntax when the file's name does not.
    """
    from channelkg.graph.memory import new_rdflib_graph, parse_file
    from channelkg.rdf.terms import add_triples

    return add_triples(new_rdflib_graph(), parse_file(path, suffix))


def load_schema(ontology: Path | None = None, shapes: Path | None = None) -> Schema:
    """The project's ontology and shapes (``CHANNELKG_HOME`` respected), parsed once."""
    from channelkg import resources

    onto_path = ontology or resources.ontology_file()
    shapes_path = shapes or resources.shapes_file()
    key = (str(onto_path.resolve()), str(shapes_path.resolve()))
    stamp = (*_stamp(onto_path), *_stamp(shapes_path))
    hit = _CACHE.get(key)
    if hit is not None and hit[0] == stamp:
        return hit[1]
    schema = Schema(read_graph(onto_path), read_graph(shapes_path))
    _CACHE[key] = (stamp, schema)
    return schema


def fields_of(kind: str, schema: Schema | None = None) -> tuple[Field, ...]:
    """The fields of a fact kind (``route`` …) or of ``entity``, read from the shapes."""
    return (schema or load_schema()).fields(kind)


def fields_by_name(kind: str, schema: Schema | None = None) -> Mapping[str, Field]:
    """:func:`fields_of` by option name."""
    return {f.name: f for f in fields_of(kind, schema)}
