"""Turning records into triples: resolve references, read values, mint IRIs.

Each field is read the way :mod:`channelkg.edit.fields` derives from the shapes
(references, markets with ISO codes, vocabulary values, dates, booleans, text);
every problem is collected with its place, none stops the others.
"""

from __future__ import annotations

import difflib
import hashlib
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SKOS, XSD
from rdflib.term import Node

from channelkg.edit.fields import (
    LINKS,
    MISSING,
    SATISFIED_BY,
    Field,
    Schema,
    kebab,
    load_schema,
    read_graph,
)
from channelkg.edit.records import Problems, Record
from channelkg.errors import InputError
from channelkg.model.resolve import NameIndex
from channelkg.model.schema import value_range
from channelkg.rdf.namespaces import CKG, KGID, SCHEMA
from channelkg.rdf.terms import expand, shorten

Triples = list[tuple[Node, Node, Node]]

#: How IRIs of new facts are minted (``kgid:`` + the template, slugified).
IRI_TEMPLATES: dict[str, tuple[str, ...]] = {
    "route": ("route", "model", "market", "service", "DATE"),
    "partnership": ("partnership", "party", "kind", "DATE"),
    "restriction": ("restriction", "imposed-by", "kind", "market", "DATE"),
    "assessment": ("assessment", "assessed-entity", "kind", "market", "DATE"),
    "claim": ("claim", "comment", "DATE"),
}


def slugify(text: str, max_len: int = 60) -> str:
    """A readable ASCII slug: lowercase words joined by ``-`` (empty if none)."""
    norm = unicodedata.normalize("NFKD", text)
    ascii_text = norm.encode("ascii", "ignore").decode("ascii").lower()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")
    if len(slug) > max_len:
        cut = slug[:max_len]
        slug = cut.rsplit("-", 1)[0] if "-" in cut else cut
    return slug


def fold(text: str) -> str:
    """Lowercase letters and digits only: how vocabulary names are compared."""
    return re.sub(r"[^a-z0-9]", "", text.lower())


@dataclass
class Context:
    """The graph that new facts are checked against, with the ontology and the shapes.

    Attributes:
        graph: the triples of every graph file (each parsed once).
        schema: the ontology and the shapes.
        files: the graph files read.
        target_text: the target file's text (``""`` when new or not a file).
        target_graph: the target file's triples (part of ``graph``).
        target_prefixes: the target file's prefix declarations.
    """

    graph: Graph
    schema: Schema
    files: list[Path] = field(default_factory=list)
    target_text: str = ""
    target_graph: Graph | None = None
    target_prefixes: dict[str, str] = field(default_factory=dict)
    new_subjects: set[URIRef] = field(default_factory=set)
    names: NameIndex | None = None  # the resolver's index, built on the first reference
    key_index: dict[str, dict[Any, list[tuple[Node, set[Node]]]]] = field(default_factory=dict)

    @property
    def ontology(self) -> Graph:
        """The ontology graph."""
        return self.schema.ontology

    @property
    def shapes(self) -> Graph:
        """The shapes graph."""
        return self.schema.shapes

    def known(self, node: Node) -> bool:
        """Whether ``node`` is described in the graph, the ontology or this batch."""
        return (
            node in self.new_subjects
            or (node, None, None) in self.graph
            or (node, None, None) in self.ontology
        )


def load_context(files: Sequence[Path], target: Path | None = None) -> Context:
    """Parse each graph file once (the target's text kept for the write) into a :class:`Context`.

    Raises:
        InputError: a file cannot be read or parsed (with ``file:line:col``).
    """
    from channelkg.edit.records import read_text
    from channelkg.graph.memory import new_rdflib_graph
    from channelkg.rdf.turtle import parse_text

    graph = new_rdflib_graph()
    ctx = Context(graph, load_schema(), list(files))
    resolved = target.resolve() if target is not None and target.exists() else None
    for f in files:
        if resolved is not None and f.resolve() == resolved:
            ctx.target_text = read_text(f)
            one, ctx.target_prefixes = parse_text(ctx.target_text, str(f))
            ctx.target_graph = one
        else:
            one = read_graph(f)
        for t in one:
            graph.add(t)
    return ctx


def resolve_reference(ctx: Context, value: str, market: bool = False) -> tuple[Node | None, str]:
    """The node a reference names, by the one resolver (a market for ``market``), or a problem.

    A new fact's IRI (made earlier in the same batch) and, for an entity, any node the
    graph or ontology describes pass as they are. Returns ``(node, "")`` or
    ``(None, message)``: the one place ``add`` resolves names.
    """
    from itertools import chain

    from channelkg.model.resolve import NameIndex, resolve

    try:
        node: URIRef | None = expand(value)
    except ValueError:
        node = None
    if node is not None and (node in ctx.new_subjects or (not market and ctx.known(node))):
        return node, ""
    if ctx.names is None:
        ctx.names = NameIndex.from_triples(chain(ctx.graph, ctx.ontology))
    try:
        return resolve(ctx.names, value, "market" if market else "entity"), ""
    except InputError as err:
        return None, err.message


class Builder:
    """Turns records into triples, collecting every problem."""

    def __init__(self, ctx: Context, problems: Problems) -> None:
        """Build against ``ctx``; problems go to ``problems``."""
        self.ctx = ctx
        self.problems = problems
        self.fields: dict[str, dict[str, Field]] = {}

    def fields_of(self, kind: str) -> dict[str, Field]:
        """The fields of ``kind`` by name (read from the shapes once per batch)."""
        if kind not in self.fields:
            self.fields[kind] = {f.name: f for f in self.ctx.schema.fields(kind)}
        return self.fields[kind]

    # -- values -----------------------------------------------------------------
    def _suggest(self, value: str, candidates: Iterable[str]) -> str:
        close = difflib.get_close_matches(value, list(candidates), n=3, cutoff=0.6)
        return f" (did you mean {', '.join(close)}?)" if close else ""

    def ref(self, rec: Record, f: Field, value: str, market: bool = False) -> Node | None:
        """An entity reference (with ISO codes for a market)."""
        node, problem = resolve_reference(self.ctx, value, market)
        if problem:
            self.problems.add(rec.where(f.name), problem)
        return node

    def vocab(self, rec: Record, f: Field, value: str, options: Sequence[Node]) -> Node | None:
        """One of ``options``, by local name, notation or label (case and spaces ignored)."""
        want = fold(value.split(":", 1)[1] if value.startswith("ckg:") else value)
        for opt in options:
            names = [str(opt).rsplit("#", 1)[-1]]
            names += [str(x) for x in self.ctx.ontology.objects(opt, SKOS.notation)]
            names += [str(x) for x in self.ctx.ontology.objects(opt, SKOS.prefLabel)]
            if want in {fold(n) for n in names}:
                return opt
        listed = ", ".join(str(o).rsplit("#", 1)[-1] for o in options)
        self.problems.add(rec.where(f.name), f"unknown {f.name} {value!r} (known: {listed})")
        return None

    def date(self, rec: Record, f: Field, value: str) -> Literal | None:
        """An ``xsd:date``."""
        from channelkg.model.dates import parse_date

        try:
            return Literal(parse_date(value).isoformat(), datatype=XSD.date)
        except InputError as err:
            self.problems.add(rec.where(f.name), err.message)
            return None

    def boolean(self, rec: Record, f: Field, value: str) -> Literal | None:
        """An ``xsd:boolean`` (true/false, yes/no, 1/0)."""
        v = value.strip().lower()
        if v in ("true", "yes", "1"):
            return Literal(True)
        if v in ("false", "no", "0"):
            return Literal(False)
        self.problems.add(rec.where(f.name), f"expected true or false, not {value!r}")
        return None

    def classes(self) -> list[Node]:
        """The ontology's ``ckg:`` classes."""
        return sorted(
            (
                s
                for s in self.ctx.ontology.subjects(RDF.type, OWL.Class)
                if isinstance(s, URIRef) and str(s).startswith(str(CKG))
            ),
            key=str,
        )

    def label(self, rec: Record, f: Field, value: str) -> Literal | None:
        """A label: ``LANG=TEXT`` (or TEXT for a ``label:LANG`` field)."""
        if f.type.startswith("label:"):
            lang, text = f.type.split(":", 1)[1], value
        elif "=" in value and re.fullmatch(r"[A-Za-z]{2,3}(-[A-Za-z0-9]+)*",
                                           value.split("=", 1)[0].strip()):
            lang, text = (s.strip() for s in value.split("=", 1))
        else:
            self.problems.add(rec.where(f.name),
                              f"a label is LANG=TEXT (e.g. en=Azure China), not {value!r}")
            return None
        return Literal(text, lang=lang.lower())

    def value(self, rec: Record, f: Field, value: str) -> Node | None:
        """One value of field ``f``, read by its type."""
        t = f.type
        if t in ("ref", "refs", "link"):
            return self.ref(rec, f, value)
        if t in ("market", "markets"):
            return self.ref(rec, f, value, market=True)
        if t == "vocab":
            return self.vocab(rec, f, value, f.choices)
        if t == "class":  # the class of a claim: ckg:Claim or a subclass
            from channelkg.analysis.history import claim_classes

            subs = claim_classes(self.ctx.ontology)
            return self.vocab(rec, f, value, [c for c in self.classes() if c in subs])
        if t == "classes":
            return self.vocab(rec, f, value, self.classes())
        if t == "bool":
            return self.boolean(rec, f, value)
        if t == "date":
            return self.date(rec, f, value)
        if t == "text":
            return Literal(value, lang="en")
        if t == "labels" or t.startswith("label:"):
            return self.label(rec, f, value)
        return Literal(value)

    def objects(self, rec: Record, f: Field) -> list[Node]:
        """The values of field ``f`` in ``rec`` (problems noted, bad values left out)."""
        raw = rec.values.get(f.name, [])
        if len(raw) > 1 and not f.multiple:
            self.problems.add(rec.where(f.name), f"give one value, not {len(raw)}")
            return []
        out = [self.value(rec, f, v) for v in raw]
        return [n for n in out if n is not None]

    def pairs(self, rec: Record, f: Field | None) -> list[tuple[URIRef, Node]]:
        """``--set PROPERTY=VALUE``: the value is read by the property's declaration."""
        out: list[tuple[URIRef, Node]] = []
        if f is None:
            return out
        onto = self.ctx.ontology
        for raw in rec.values.get("set", []):
            text = raw.strip()
            cut = text.index(">") + 1 if text.startswith("<") and ">" in text else 0
            eq = text.find("=", cut)
            if eq <= 0:
                self.problems.add(rec.where("set"), f"expected PROPERTY=VALUE, not {raw!r}")
                continue
            name, value = text[:eq].strip(), text[eq + 1:].strip()
            try:
                pred = expand(name if ":" in name or name.startswith("<") else f"ckg:{name}")
            except ValueError as err:
                self.problems.add(rec.where("set"), f"bad property {name!r}: {err}")
                continue
            kinds = set(onto.objects(pred, RDF.type))
            if str(pred).startswith(str(CKG)) and not kinds & {
                OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty
            }:
                known = sorted(
                    shorten(str(x)) for k in (OWL.ObjectProperty, OWL.DatatypeProperty)
                    for x in onto.subjects(RDF.type, k)
                )
                hint = self._suggest(shorten(str(pred)), known)
                self.problems.add(rec.where("set"),
                                  f"unknown property {shorten(str(pred))}{hint}")
                continue
            rng = value_range(onto, pred)
            node: Node | None
            if OWL.ObjectProperty in kinds or value.startswith("<"):
                node = self.ref(rec, f, value.strip("<>") if value.startswith("<") else value,
                                market=rng == CKG.Market)
            elif rng == XSD.date:
                node = self.date(rec, f, value)
            elif rng == XSD.boolean:
                node = self.boolean(rec, f, value)
            elif isinstance(rng, URIRef) and rng in (XSD.integer, XSD.decimal, XSD.double):
                node = Literal(value, datatype=rng)
                if node.ill_typed:
                    self.problems.add(rec.where("set"), f"{name}: not a number: {value!r}")
                    node = None
            else:
                node = Literal(value)
            if node is not None:
                out.append((pred, node))
        return out

    # -- facts --------------------------------------------------------------------
    def source(self, rec: Record) -> tuple[URIRef | None, Triples]:
        """A new source from the ``source-*`` fields (or the one with the same URL)."""
        v = rec.values
        title = (v.get("source-title") or [""])[0].strip()
        extra = [k for k in ("source-url", "source-date", "source-publisher",
                             "source-reliability") if v.get(k)]
        if not title:
            if extra:
                self.problems.add(rec.where(extra[0]), "a new source needs --source-title")
            return None, []
        date = None
        if v.get("source-date"):
            date = self.date(rec, Field("source-date", "date", ""), v["source-date"][0])
        url = (v.get("source-url") or [""])[0].strip()
        if url and not re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://[^\s<>\"{}|\\^`]+$", url):
            self.problems.add(rec.where("source-url"), f"not a URL: {url!r}")
            url = ""
        if url:
            for s in self.ctx.graph.subjects(SCHEMA.url, URIRef(url)):
                if (s, RDF.type, CKG.Source) in self.ctx.graph:
                    return s, []  # type: ignore[return-value]
        slug = slugify(title) or "h" + hashlib.sha1(title.encode()).hexdigest()[:8]
        iri = KGID[f"source-{slug}" + (f"-{date}" if date is not None else "")]
        if (iri, RDF.type, CKG.Source) in self.ctx.graph:
            return iri, []
        triples: Triples = [
            (iri, RDF.type, CKG.Source),
            (iri, DCTERMS.title, Literal(title)),
        ]
        if date is not None:
            triples.append((iri, DCTERMS.date, date))
        if url:
            triples.append((iri, SCHEMA.url, URIRef(url)))
        for key, pred in (("source-publisher", DCTERMS.publisher),
                          ("source-reliability", CKG.reliability)):
            if v.get(key):
                triples.append((iri, pred, Literal(v[key][0])))
        return iri, triples

    def mint(self, rec: Record, kind: str, props: dict[str, list[Node]]) -> URIRef | None:
        """The IRI of the new fact: ``--id``, or minted from :data:`IRI_TEMPLATES`."""
        if rec.values.get("id"):
            slug = rec.values["id"][0].strip()
            try:
                node = expand(slug)
            except ValueError as err:
                self.problems.add(rec.where("id"), str(err))
                return None
            if not str(node).startswith(str(KGID)):
                self.problems.add(rec.where("id"), "new IRIs must be in the kgid: namespace")
                return None
            return node
        if kind == "entity":
            labels = [str(x) for x in props.get("label", []) if isinstance(x, Literal)]
            en = [str(x) for x in props.get("label", [])
                  if isinstance(x, Literal) and x.language == "en"]
            slug = slugify((en or labels or [""])[0])
            if not slug:
                self.problems.add(rec.where("id"), "give --id SLUG (no English label to mint it)")
                return None
            return KGID[slug]
        parts: list[str] = []
        for part in IRI_TEMPLATES.get(kind, (kind, "comment", "DATE")):
            if part == "DATE":
                d = props.get("stated-on") or props.get("valid-from") or []
                if d:
                    parts.append(str(d[0]))
            elif part == kind:
                parts.append(part)
            else:
                parts += [self._slug_of(n) for n in sorted(props.get(part, []), key=str)]
        slug = "-".join(p for p in parts if p)
        return KGID[slug]

    def _slug_of(self, node: Node) -> str:
        if isinstance(node, URIRef):
            codes = list(self.ctx.graph.objects(node, CKG.isoCode))
            if codes:
                return slugify(str(codes[0]))
            text = str(node)
            local = text[len(str(KGID)):] if text.startswith(str(KGID)) else text.rsplit("#", 1)[-1]
            return slugify(kebab(local) if text.startswith(str(CKG)) else local)
        return slugify(str(node), 40)

    def read_fields(self, rec: Record, fields: dict[str, Field]) -> dict[str, list[Node]]:
        """The values of every field of ``rec``; missing required fields are problems."""
        props: dict[str, list[Node]] = {}
        for f in fields.values():
            if f.type in ("id", "pairs") or f.type.startswith("source-"):
                continue
            vals = self.objects(rec, f)
            if vals:
                key = "label" if f.type.startswith("label") else f.name
                props.setdefault(key, []).extend(vals)
            given = rec.values.get(f.name) or rec.values.get(SATISFIED_BY.get(f.name, ""))
            if f.required and not given and not f.default:
                msg = MISSING.get(f.name) or f"missing required field {f.name!r} ({f.help})"
                self.problems.add(rec.where(f.name), msg)
            elif not given and f.default:
                props[f.name] = [expand(f.default)]
            elif f.min_count > 1 and 0 < len(rec.values.get(f.name, [])) < f.min_count:
                self.problems.add(rec.where(f.name),
                                  f"give at least {f.min_count} values, not "
                                  f"{len(rec.values[f.name])}")
        return props

    def fact_checks(self, rec: Record, props: dict[str, list[Node]]) -> None:
        """What the shapes say in ``sh:or`` (a date, or an undated claim's snapshot)."""
        if rec.kind == "entity":
            if not props.get("label"):
                self.problems.add(rec.where("label"), "an entity needs a label (--label en=TEXT)")
            return
        if not (props.get("stated-on") or props.get("valid-from")) and not (
            rec.kind == "claim" and props.get("snapshot") == [Literal(True)]
        ) and not (rec.values.get("stated-on") or rec.values.get("valid-from")):
            self.problems.add(
                rec.where("stated-on"),
                "missing date: give --stated-on YYYY-MM-DD (when the source said it) "
                "or --valid-from YYYY-MM-DD",
            )

    def build(self, rec: Record) -> tuple[URIRef | None, Triples, dict[str, list[Node]]]:
        """The IRI and triples of one record (``None`` and no triples on any problem)."""
        kind = rec.kind
        kinds = self.ctx.schema.kinds()
        if kind not in kinds and kind != "entity":
            names = ", ".join(self.ctx.schema.kind_names())
            self.problems.add(rec.where("type"),
                              f"unknown fact type {kind!r} (choose from {names})")
            return None, [], {}
        fields = self.fields_of(kind)
        for name in sorted(set(rec.values) - set(fields)):
            hint = self._suggest(name, fields)
            self.problems.add(rec.where(name), f"unknown field {name!r} for {kind}{hint}")
        n_before = len(self.problems.items)
        props = self.read_fields(rec, fields)
        extra = self.pairs(rec, fields.get("set"))
        src_iri, src_triples = (None, []) if kind == "entity" else self.source(rec)
        self.fact_checks(rec, props)
        if len(self.problems.items) > n_before:
            return None, [], props
        iri = self.mint(rec, kind, props)
        if iri is None:
            return None, [], props
        triples: Triples = list(src_triples)
        if kind in kinds:
            cls = kinds[kind]
            triples.append((iri, RDF.type, props.pop("class", [cls])[0]))
        if src_iri is not None:
            props.setdefault("source", []).append(src_iri)
        for name, vals in props.items():
            f = fields.get(name)
            if name in LINKS:
                triples += [(v, expand(LINKS[name]), iri) for v in vals]
            elif f is None or f.pred is not None:
                pred = f.pred if f is not None and f.pred is not None else RDFS.label
                triples += [(iri, pred, v) for v in vals]
        triples += [(iri, p, o) for p, o in extra]
        return iri, triples, props


__all__ = ["IRI_TEMPLATES", "Builder", "Context", "Triples", "load_context", "resolve_reference",
           "slugify"]
