"""Add facts to the curated graph: from options, YAML, CSV, Turtle or JSON-LD.

Every addition goes through the same steps, under a file lock held from the
first read to the last write (so that concurrent ``add``/``import`` processes
lose nothing):

1. read the graph (``graphs/*.ttl`` or the given files, plus the target file);
2. turn each fact into triples: resolve entity references (slug, CURIE, IRI, or
   an ISO code for markets), vocabulary values (kinds, statuses, classes), dates
   and booleans, and mint a readable IRI (see :data:`IRI_TEMPLATES`);
3. refuse duplicates (same IRI already present, or a fact with the same key
   properties derived from the same source), or skip them when asked;
4. validate the graph plus the new triples (Turtle syntax, known ``ckg:``
   terms, literals, SHACL) and refuse on any *new* problem;
5. write the target file atomically in canonical Turtle (see :mod:`channelkg.serialize`),
   or, for a SPARQL server (:class:`RemoteTarget`), send the new triples in one
   SPARQL 1.1 ``INSERT DATA`` (the server's graph is read in step 1 instead of files).

On any error nothing is written and :class:`EditError` lists every problem with
its location (``file:row N`` / ``file:line N`` and field).
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import difflib
import hashlib
import io
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, PROV, RDF, RDFS, SH, SKOS, XSD
from rdflib.term import Node

from channelkg import resources
from channelkg.errors import InputError
from channelkg.rdf.namespaces import CKG, KGID, PREFIXES, SCHEMA
from channelkg.rdf.terms import display, expand, shorten

LOCK_NAME = ".channelkg.lock"
DEFAULT_FILE = "additions.ttl"
NEW_FILE_HEADER = (
    "# Facts added with `channelkg add` and `channelkg import`.\n"
    "# Written in canonical order by channelkg; edit freely, then run `channelkg format`.\n"
)


class EditError(InputError):
    """One or more problems with the facts to add; nothing was written."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        head = "nothing was written; " + (
            "1 problem" if len(self.problems) == 1 else f"{len(self.problems)} problems"
        )
        super().__init__(head + ":\n  " + "\n  ".join(self.problems))


# ---------------------------------------------------------------------------
# Field specifications: one table drives the CLI options, YAML and CSV columns.
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Field:
    """One option of ``channelkg add KIND`` (and a YAML key / CSV column).

    ``type`` is one of: ``ref``/``refs`` (entity references), ``market``/``markets``
    (also ISO codes), ``kind``, ``status``, ``class``, ``bool``, ``date``, ``text``
    (English text), ``plain`` (string without language), ``labels`` (``lang=text``),
    ``url``, ``id``, and ``source-*`` for the fields of a new source.
    """

    name: str
    type: str
    help: str
    pred: URIRef | None = None
    required: bool = False

    @property
    def multiple(self) -> bool:
        return self.type in ("refs", "markets", "labels", "classes", "pairs")


COMMON = (
    Field("status", "status", "confirmed, confirmedAbsence, reported, disputed or superseded.",
          CKG.status),
    Field("status-note", "plain", "Qualifier of the status, e.g. 'company statement'.",
          CKG.statusNote),
    Field("comment", "text", "The statement in one sentence (English).", RDFS.comment, True),
    Field("label", "labels", "A label as LANG=TEXT, e.g. en=... or zh=... (repeatable).",
          RDFS.label),
    Field("label-en", "label:en", "Shortcut for --label en=TEXT.", RDFS.label),
    Field("label-zh", "label:zh", "Shortcut for --label zh=TEXT.", RDFS.label),
    Field("fact-id", "plain", "Identifier in the fact sheet, e.g. AZ-8.", CKG.factId),
    Field("quote", "plain", "A short quote from the source.", CKG.quote),
    Field("stated-on", "date", "Date the source made the claim (YYYY-MM-DD).", CKG.statedOn),
    Field("valid-from", "date", "First day the fact holds (YYYY-MM-DD).", CKG.validFrom),
    Field("valid-to", "date", "First day the fact no longer holds (exclusive).", CKG.validTo),
    Field("date-precision", "plain", "day, month or year.", CKG.datePrecision),
    Field("conflicts-with", "refs", "A claim this one contradicts (repeatable).",
          CKG.conflictsWith),
    Field("superseded-by", "refs", "A later claim that replaces this one (repeatable).",
          CKG.supersededBy),
    Field("supersedes", "refs", "An earlier claim this one replaces (repeatable; that claim "
          "gets ckg:supersededBy and must already say status superseded).", None),
    Field("corroborates", "refs", "A claim this one supports (repeatable).", CKG.corroborates),
    Field("source", "refs", "An existing source (slug, CURIE or IRI; repeatable).",
          PROV.wasDerivedFrom),
    Field("source-title", "source-title", "Title of a new source.", None),
    Field("source-url", "source-url", "URL of the new source.", None),
    Field("source-date", "source-date", "Date of the new source (YYYY-MM-DD).", None),
    Field("source-publisher", "source-publisher", "Publisher of the new source.", None),
    Field("source-reliability", "source-reliability",
          "primary, law-firm, press, secondary or community.", None),
    Field("id", "id", "Slug of the new fact's IRI (default: minted from its key fields).", None),
    Field("set", "pairs", "Any other property as PROPERTY=VALUE, e.g. ckg:hostedIn=SG "
          "(repeatable; the property must be defined in the ontology).", None),
)

KIND_FIELDS: dict[str, tuple[Field, ...]] = {
    "route": (
        Field("model", "refs", "The model or family the route carries.", CKG.model, True),
        Field("market", "market", "The market reached (ISO code, slug, CURIE or IRI).",
              CKG.market, True),
        Field("service", "ref", "The service the route goes through.", CKG.service, True),
        Field("kind", "kind", "Direct, CloudPartner, Reseller or SelfHosted.", CKG.kind, True),
        Field("seller", "refs", "The organization that sells access.", CKG.seller),
        Field("open", "bool", "true if the route gives access, false if blocked.", CKG.open,
              True),
        Field("sanctioned", "bool", "true if the developer sanctions the route.",
              CKG.sanctioned),
        Field("depends-on", "refs", "A partnership the route needs (repeatable).",
              CKG.dependsOn),
    ),
    "partnership": (
        Field("party", "refs", "An organization party to it (give two or more).", CKG.party,
              True),
        Field("kind", "kind", "JointVenture, OperatingAgreement, Licence, Investment, "
              "ModelSupply, CustomerRelation or Ownership.", CKG.kind, True),
        Field("about", "refs", "Another entity the partnership is about.", CKG.about),
    ),
    "restriction": (
        Field("imposed-by", "ref", "The organization that imposes it.", CKG.imposedBy, True),
        Field("kind", "kind", "ProviderBlock, ExportControl, LicensingRequirement, "
              "DataResidency, NetworkBlock or LicenceTerm.", CKG.kind, True),
        Field("applies-to", "refs", "What it applies to: organization, model, service.",
              CKG.appliesTo),
        Field("market", "markets", "The market it applies in (ISO code, slug, CURIE, IRI).",
              CKG.market),
        Field("blocks", "refs", "An access route it closes (repeatable).", CKG.blocks),
    ),
    "assessment": (
        Field("assessed-entity", "ref", "What the assessment judges.", CKG.assessedEntity,
              True),
        Field("level", "plain", "The level in the source's words, e.g. High.", CKG.level, True),
        Field("kind", "kind", "GeopoliticalRisk or DependencyRisk.", CKG.kind, True),
        Field("market", "markets", "The market concerned.", CKG.market),
    ),
    "claim": (
        Field("class", "class", "Class of the claim (default ckg:Claim; e.g. Release).", None),
        Field("about", "refs", "An entity the claim is about (repeatable).", CKG.about),
        Field("model", "refs", "A model the claim concerns.", CKG.model),
        Field("market", "markets", "A market the claim concerns.", CKG.market),
        Field("service", "refs", "A service the claim concerns.", CKG.service),
        Field("snapshot", "bool", "true when the source has no date (then no date needed).",
              CKG.snapshot),
    ),
}

ENTITY_FIELDS: tuple[Field, ...] = (
    Field("id", "id", "Slug of the new entity's IRI (default: from its English label).", None),
    Field("class", "classes", "Its class, e.g. CloudProvider, Model, Service, Market "
          "(repeatable).", RDF.type, True),
    Field("label", "labels", "A label as LANG=TEXT (repeatable; give at least one).",
          RDFS.label),
    Field("label-en", "label:en", "Shortcut for --label en=TEXT.", RDFS.label),
    Field("label-zh", "label:zh", "Shortcut for --label zh=TEXT.", RDFS.label),
    Field("comment", "text", "A description (English).", RDFS.comment),
    Field("iso-code", "plain", "ISO 3166 code (markets).", CKG.isoCode),
    Field("developer", "refs", "Developer of a model.", CKG.developer),
    Field("family", "refs", "Model family of a model.", CKG.family),
    Field("open-weights", "bool", "Whether a model's weights are published.", CKG.openWeights),
    Field("licence", "plain", "Licence name of a model.", CKG.licence),
    Field("provider", "refs", "Provider of a service.", CKG.provider),
    Field("operator", "refs", "Operator of a service.", CKG.operator),
    Field("offers", "refs", "A model a service offers.", CKG.offers),
    Field("serves-market", "markets", "A market a service serves.", CKG.servesMarket),
    Field("hosted-in", "markets", "Where a service is hosted.", CKG.hostedIn),
    Field("subsidiary-of", "refs", "Parent organization.", CKG.subsidiaryOf),
    Field("part-of", "markets", "A market this market lies within.", CKG.partOf),
    Field("source", "refs", "An existing source describing the entity.", PROV.wasDerivedFrom),
    Field("set", "pairs", "Any other property as PROPERTY=VALUE, e.g. skos:altLabel=AWS "
          "(repeatable; ckg: properties must be defined in the ontology).", None),
)

FACT_CLASSES: dict[str, URIRef] = {
    "route": CKG.AccessRoute,
    "partnership": CKG.Partnership,
    "restriction": CKG.Restriction,
    "assessment": CKG.Assessment,
    "claim": CKG.Claim,
}

#: How IRIs of new facts are minted (``kgid:`` + the template, slugified).
IRI_TEMPLATES: dict[str, tuple[str, ...]] = {
    "route": ("route", "model", "market", "service", "DATE"),
    "partnership": ("partnership", "party", "kind", "DATE"),
    "restriction": ("restriction", "imposed-by", "kind", "market", "DATE"),
    "assessment": ("assessment", "assessed-entity", "kind", "market", "DATE"),
    "claim": ("claim", "comment", "DATE"),
}

#: Key fields: a fact with the same values and a shared source is a duplicate.
KEY_FIELDS: dict[str, tuple[str, ...]] = {
    "route": ("model", "market", "service", "kind", "open"),
    "partnership": ("party", "kind"),
    "restriction": ("imposed-by", "kind", "market", "applies-to", "blocks"),
    "assessment": ("assessed-entity", "kind", "market", "level"),
    "claim": ("comment",),
}

KINDS = (*FACT_CLASSES, "entity")


def fields_of(kind: str) -> tuple[Field, ...]:
    """The fields of a fact kind (``route`` …) or of ``entity``."""
    if kind == "entity":
        return ENTITY_FIELDS
    if kind not in KIND_FIELDS:
        raise InputError(f"unknown fact type {kind!r} (choose from {', '.join(KINDS)})")
    specific = KIND_FIELDS[kind]
    names = {f.name for f in specific}
    return specific + tuple(f for f in COMMON if f.name not in names)


# ---------------------------------------------------------------------------
# Records: one fact as given by the user, with where it came from.
# ---------------------------------------------------------------------------


@dataclass
class Record:
    """One fact to add: its type, raw field values and source location."""

    kind: str
    values: dict[str, list[str]]
    location: str = "command line"
    field_locations: dict[str, str] = field(default_factory=dict)

    def where(self, name: str | None = None) -> str:
        if name and self.location == "command line":
            return f"option --{name}"
        if name and name in self.field_locations:
            return f"{self.field_locations[name]}, field {name!r}"
        return f"{self.location}, field {name!r}" if name else self.location


class _Problems:
    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, where: str, message: str) -> None:
        self.items.append(f"{where}: {message}")


def _norm_key(key: str) -> str:
    return key.strip().lower().replace("_", "-")


def _raw_values(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list | tuple):
        out: list[str] = []
        for v in value:
            out.extend(_raw_values(v))
        return out
    if isinstance(value, bool):
        return ["true" if value else "false"]
    if isinstance(value, dt.datetime):
        return [value.date().isoformat()]
    if isinstance(value, dt.date):
        return [value.isoformat()]
    return [str(value)]


def record_from_mapping(
    data: Mapping[str, Any],
    location: str = "command line",
    field_locations: Mapping[str, str] | None = None,
    kind: str | None = None,
) -> Record:
    """Build a :class:`Record` from a mapping (CLI options, a YAML item, a CSV row).

    Keys may use dashes or underscores. ``type`` names the fact kind.
    ``source`` may be a mapping (``title``, ``url``, ``date``, ``publisher``,
    ``reliability``); ``label`` may be a mapping ``{lang: text}``, ``set`` a
    mapping ``{property: value}``; ``label_<lang>`` keys are labels in that language.
    """
    values: dict[str, list[str]] = {}
    locs = dict(field_locations or {})
    kind = kind or str(data.get("type", "") or "").strip()
    for key, value in data.items():
        name = _norm_key(str(key))
        if name == "type":
            continue
        if name == "source" and isinstance(value, Mapping):
            for k, v in value.items():
                sub = f"source-{_norm_key(str(k))}"
                values.setdefault(sub, []).extend(_raw_values(v))
                locs.setdefault(sub, locs.get(name, location))
            continue
        if name == "label" and isinstance(value, Mapping):
            for lang, text in value.items():
                values.setdefault("label", []).extend(f"{lang}={t}" for t in _raw_values(text))
            continue
        if name == "set" and isinstance(value, Mapping):
            for k, v in value.items():
                values.setdefault("set", []).extend(f"{k}={t}" for t in _raw_values(v))
            continue
        if isinstance(value, Mapping):
            raise InputError(f"field {name!r}: expected a value or a list, not a mapping",
                             locs.get(name, location))
        m = re.fullmatch(r"label-([a-z]{2,3}(?:-[a-z0-9]+)*)", name)
        if m and m.group(1) not in ("en", "zh"):
            values.setdefault("label", []).extend(f"{m.group(1)}={t}" for t in _raw_values(value))
            locs.setdefault("label", locs.get(name, location))
            continue
        raw = _raw_values(value)
        if raw:
            values.setdefault(name, []).extend(raw)
    return Record(kind, values, location, locs)


# ---------------------------------------------------------------------------
# Reading YAML and CSV
# ---------------------------------------------------------------------------


def read_yaml(path: Path) -> list[Record]:
    """Read facts from YAML: a list of mappings, or ``{facts: [...]}``.

    Raises:
        InputError: bad YAML or bad structure, with the line number.
    """
    import yaml

    class Loader(yaml.SafeLoader):
        """Safe loader that keeps dates as text, so a bad date is reported, not a crash."""

    Loader.yaml_implicit_resolvers = {
        k: [r for r in v if r[0] != "tag:yaml.org,2002:timestamp"]
        for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    text = _read_text(path)
    try:
        root = yaml.compose(text, Loader=Loader)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        loc = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        raise InputError(f"YAML syntax error: {getattr(err, 'problem', err)}", loc) from None
    if root is None:
        return []
    if isinstance(root, yaml.MappingNode):
        items = {k.value: v for k, v in root.value if isinstance(k, yaml.ScalarNode)}
        if "facts" not in items:
            raise InputError("expected a list of facts or a mapping with 'facts:'", f"{path}:1")
        root = items["facts"]
    if not isinstance(root, yaml.SequenceNode):
        line = root.start_mark.line + 1
        raise InputError("expected a list of facts", f"{path}:{line}")
    records = []
    for i, item in enumerate(root.value, 1):
        line = item.start_mark.line + 1
        loc = f"{path}:{line} (fact {i})"
        if not isinstance(item, yaml.MappingNode):
            raise InputError(f"fact {i} is not a mapping of field: value", f"{path}:{line}")
        data = yaml.load(yaml.serialize(item), Loader=Loader)  # noqa: S506 (a safe loader)
        locs = {}
        for k, v in item.value:
            name = _norm_key(str(k.value))
            locs[name] = f"{path}:{v.start_mark.line + 1} (fact {i})"
            if name == "source" and isinstance(v, yaml.MappingNode):
                for sk, sv in v.value:
                    locs[f"source-{_norm_key(str(sk.value))}"] = (
                        f"{path}:{sv.start_mark.line + 1} (fact {i})"
                    )
        records.append(record_from_mapping(data, loc, locs))
    return records


MULTI_SEPARATOR = ";"
#: CSV columns never split on ``;`` (free text and the fact type).
SINGLE_TEXT_COLUMNS = frozenset(
    {"type", "id", "comment", "quote", "status-note", "source-title", "source-publisher",
     "level", "label-en", "label-zh"}
)


def read_csv(path: Path) -> list[Record]:
    """Read facts from CSV: a header row of field names (``type`` first), one fact per row.

    Multi-valued fields (``party``, ``depends_on``, ``label`` …) hold values
    separated by ``;``. ``label_en``, ``label_zh`` … columns give labels.
    """
    text = _read_text(path)
    reader = csv.reader(io.StringIO(text))
    try:
        header = next(reader)
    except StopIteration:
        return []
    header = [h.strip() for h in header]
    if "type" not in [_norm_key(h) for h in header]:
        raise InputError("the header row needs a 'type' column", f"{path}:1")
    records = []
    row_no = 0
    for row in reader:
        line = reader.line_num
        if not any(c.strip() for c in row):
            continue
        row_no += 1
        loc = f"{path}:{line} (row {row_no})"
        if len(row) > len(header):
            raise InputError(f"row {row_no} has {len(row)} cells but the header has "
                             f"{len(header)}", f"{path}:{line}")
        data: dict[str, Any] = {}
        for name, cell in zip(header, row, strict=False):
            cell = cell.strip()
            if not cell:
                continue
            key = _norm_key(name)
            if key in SINGLE_TEXT_COLUMNS:
                data[name] = cell
            else:
                data[name] = [p.strip() for p in cell.split(MULTI_SEPARATOR) if p.strip()]
        locs = {_norm_key(h): loc for h in header}
        records.append(record_from_mapping(data, loc, locs))
    return records


def _read_text(path: Path) -> str:
    path = Path(path)
    if not path.is_file():
        raise InputError("no such file", str(path))
    try:
        return path.read_bytes().decode("utf-8")  # a CR stays a CR
    except (OSError, UnicodeDecodeError) as err:
        raise InputError(f"cannot read: {err}", str(path)) from None


# ---------------------------------------------------------------------------
# Building triples
# ---------------------------------------------------------------------------


def slugify(text: str, max_len: int = 60) -> str:
    """A readable ASCII slug: lowercase words joined by ``-`` (empty if none)."""
    norm = unicodedata.normalize("NFKD", text)
    ascii_text = norm.encode("ascii", "ignore").decode("ascii").lower()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")
    if len(slug) > max_len:
        cut = slug[:max_len]
        slug = cut.rsplit("-", 1)[0] if "-" in cut else cut
    return slug


def _kebab(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "-", name).lower()


def _fold(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


@dataclass
class Context:
    """The graph that new facts are checked against (files plus ontology and shapes)."""

    graph: Graph
    ontology: Graph
    shapes: Graph
    new_subjects: set[URIRef] = field(default_factory=set)
    key_index: dict[str, dict[Any, list[tuple[Node, set[Node]]]]] = field(default_factory=dict)

    def known(self, node: Node) -> bool:
        return (
            node in self.new_subjects
            or (node, None, None) in self.graph
            or (node, None, None) in self.ontology
        )

    def vocabulary(self, cls: URIRef) -> list[URIRef]:
        return sorted(
            (s for s in self.ontology.subjects(RDF.type, cls) if isinstance(s, URIRef)), key=str
        )

    def allowed_kinds(self, fact_class: URIRef) -> list[URIRef]:
        """Kinds allowed for a class, read from the SHACL shapes (``sh:in`` on ckg:kind)."""
        for shape in self.shapes.subjects(SH.targetClass, fact_class):
            for prop in self.shapes.objects(shape, SH.property):
                if (prop, SH.path, CKG.kind) in self.shapes:
                    lst = self.shapes.value(prop, SH["in"])
                    if lst is not None:
                        from rdflib.collection import Collection

                        return [u for u in Collection(self.shapes, lst) if isinstance(u, URIRef)]
        return self.vocabulary(CKG.Kind)


def load_context(files: Sequence[Path]) -> Context:
    """Parse the graph files, the ontology and the shapes into a :class:`Context`."""
    from channelkg.graph.memory import new_rdflib_graph, parse_file
    from channelkg.rdf.terms import to_rdflib

    def read(paths: Iterable[Path]) -> Graph:
        g = new_rdflib_graph()
        for f in paths:
            for q in parse_file(f):
                g.add((to_rdflib(q.subject), to_rdflib(q.predicate), to_rdflib(q.object)))  # type: ignore[arg-type]
        return g

    return Context(
        read(files), read([resources.ontology_file()]), read([resources.shapes_file()])
    )


class _Builder:
    """Turns records into triples, collecting every problem."""

    def __init__(self, ctx: Context, problems: _Problems) -> None:
        self.ctx = ctx
        self.problems = problems

    # -- values -----------------------------------------------------------------
    def _suggest(self, value: str, candidates: Iterable[str]) -> str:
        close = difflib.get_close_matches(value, list(candidates), n=3, cutoff=0.6)
        return f" (did you mean {', '.join(close)}?)" if close else ""

    def ref(self, rec: Record, f: Field, value: str, market: bool = False) -> URIRef | None:
        g = self.ctx.graph
        if market and re.fullmatch(r"[A-Za-z]{2}(-[A-Za-z0-9]{1,3})?", value.strip()):
            code = value.strip().upper()
            hits = sorted(g.subjects(CKG.isoCode, Literal(code)), key=str)
            if hits:
                return hits[0]  # type: ignore[return-value]
        try:
            node = expand(value)
        except ValueError as err:
            self.problems.add(rec.where(f.name), f"bad reference {value!r}: {err}")
            return None
        if not self.ctx.known(node):
            names = {
                str(s)[len(str(KGID)):]: shorten(str(s))
                for s in g.subjects(RDF.type, None)
                if isinstance(s, URIRef) and str(s).startswith(str(KGID))
            }
            local = str(node)[len(str(KGID)):] if str(node).startswith(str(KGID)) else str(node)
            close = difflib.get_close_matches(local, list(names), n=3, cutoff=0.6)
            hint = f" (did you mean {', '.join(names[c] for c in close)}?)" if close else ""
            what = "market (no such ISO code or entity)" if market else "entity"
            self.problems.add(
                rec.where(f.name),
                f"unknown {what} {value!r}: {shorten(str(node))} is not in the graph{hint}",
            )
            return None
        return node

    def vocab(self, rec: Record, f: Field, value: str, options: list[URIRef]) -> URIRef | None:
        want = _fold(value.split(":", 1)[1] if value.startswith("ckg:") else value)
        for opt in options:
            names = [str(opt).rsplit("#", 1)[-1]]
            names += [str(x) for x in self.ctx.ontology.objects(opt, SKOS.notation)]
            names += [str(x) for x in self.ctx.ontology.objects(opt, SKOS.prefLabel)]
            if want in {_fold(n) for n in names}:
                return opt
        listed = ", ".join(str(o).rsplit("#", 1)[-1] for o in options)
        self.problems.add(rec.where(f.name), f"unknown {f.name} {value!r} (known: {listed})")
        return None

    def date(self, rec: Record, f: Field, value: str) -> Literal | None:
        from channelkg.analysis.history import parse_date

        try:
            return Literal(parse_date(value).isoformat(), datatype=XSD.date)
        except InputError as err:
            self.problems.add(rec.where(f.name), err.message)
            return None

    def boolean(self, rec: Record, f: Field, value: str) -> Literal | None:
        v = value.strip().lower()
        if v in ("true", "yes", "1"):
            return Literal(True)
        if v in ("false", "no", "0"):
            return Literal(False)
        self.problems.add(rec.where(f.name), f"expected true or false, not {value!r}")
        return None

    def classes(self) -> list[URIRef]:
        return sorted(
            (
                s
                for s in self.ctx.ontology.subjects(RDF.type, OWL.Class)
                if isinstance(s, URIRef) and str(s).startswith(str(CKG))
            ),
            key=str,
        )

    def objects(self, rec: Record, f: Field, kind_class: URIRef | None) -> list[Node]:
        out: list[Node] = []
        raw = rec.values.get(f.name, [])
        if len(raw) > 1 and not f.multiple:
            self.problems.add(rec.where(f.name), f"give one value, not {len(raw)}")
            return out
        for value in raw:
            t = f.type
            node: Node | None = None
            if t in ("ref", "refs"):
                node = self.ref(rec, f, value)
            elif t in ("market", "markets"):
                node = self.ref(rec, f, value, market=True)
            elif t == "kind":
                opts = self.ctx.allowed_kinds(kind_class) if kind_class else []
                node = self.vocab(rec, f, value, opts or self.ctx.vocabulary(CKG.Kind))
            elif t == "status":
                node = self.vocab(rec, f, value, self.ctx.vocabulary(CKG.Status))
            elif t == "class":  # the class of a claim: ckg:Claim or a subclass
                from channelkg.analysis.history import claim_classes

                subs = claim_classes(self.ctx.ontology)
                node = self.vocab(rec, f, value, [c for c in self.classes() if c in subs])
            elif t == "classes":
                node = self.vocab(rec, f, value, self.classes())
            elif t == "bool":
                node = self.boolean(rec, f, value)
            elif t == "date":
                node = self.date(rec, f, value)
            elif t == "text":
                node = Literal(value, lang="en")
            elif t == "plain":
                node = Literal(value)
            elif t == "labels" or t.startswith("label:"):
                if t.startswith("label:"):
                    lang, text = t.split(":", 1)[1], value
                elif "=" in value and re.fullmatch(r"[A-Za-z]{2,3}(-[A-Za-z0-9]+)*",
                                                   value.split("=", 1)[0].strip()):
                    lang, text = (s.strip() for s in value.split("=", 1))
                else:
                    self.problems.add(rec.where(f.name),
                                      f"a label is LANG=TEXT (e.g. en=Azure China), not {value!r}")
                    continue
                node = Literal(text, lang=lang.lower())
            if node is not None:
                out.append(node)
        return out

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
            rng = onto.value(pred, RDFS.range)
            node: Node | None
            if OWL.ObjectProperty in kinds or value.startswith("<"):
                node = self.ref(rec, f, value.strip("<>") if value.startswith("<") else value,
                                market=rng == CKG.Market)
            elif rng == XSD.date:
                node = self.date(rec, f, value)
            elif rng == XSD.boolean:
                node = self.boolean(rec, f, value)
            elif rng in (XSD.integer, XSD.decimal, XSD.double):
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
    def source(self, rec: Record) -> tuple[URIRef | None, list[tuple[Node, Node, Node]]]:
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
        triples: list[tuple[Node, Node, Node]] = [
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
        for part in IRI_TEMPLATES[kind]:
            if part == "DATE":
                d = props.get("stated-on") or props.get("valid-from") or []
                if d:
                    parts.append(str(d[0]))
            elif part in FACT_CLASSES:
                parts.append(part)
            else:
                for node in sorted(props.get(part, []), key=str):
                    parts.append(self._slug_of(node))
        slug = "-".join(p for p in parts if p)
        return KGID[slug]

    def _slug_of(self, node: Node) -> str:
        if isinstance(node, URIRef):
            codes = list(self.ctx.graph.objects(node, CKG.isoCode))
            if codes:
                return slugify(str(codes[0]))
            text = str(node)
            local = text[len(str(KGID)):] if text.startswith(str(KGID)) else text.rsplit("#", 1)[-1]
            return slugify(_kebab(local) if text.startswith(str(CKG)) else local)
        return slugify(str(node), 40)

    def build(self, rec: Record) -> tuple[URIRef | None, list[tuple[Node, Node, Node]],
                                          dict[str, list[Node]]]:
        kind = rec.kind
        if kind not in KINDS:
            self.problems.add(rec.where("type"),
                              f"unknown fact type {kind!r} (choose from {', '.join(KINDS)})")
            return None, [], {}
        fields = {f.name: f for f in fields_of(kind)}
        unknown = sorted(set(rec.values) - set(fields))
        for name in unknown:
            hint = self._suggest(name, fields)
            self.problems.add(rec.where(name), f"unknown field {name!r} for {kind}{hint}")
        n_before = len(self.problems.items)
        cls = FACT_CLASSES.get(kind)
        props: dict[str, list[Node]] = {}
        for f in fields.values():
            if f.type in ("id", "pairs") or f.type.startswith("source-"):
                continue
            vals = self.objects(rec, f, cls)
            if vals:
                key = "label" if f.type.startswith("label") else f.name
                props.setdefault(key, []).extend(vals)
            elif f.required and not rec.values.get(f.name):
                if f.name == "comment":
                    msg = "missing statement: give --comment TEXT"
                else:
                    msg = f"missing required field {f.name!r} ({f.help})"
                self.problems.add(rec.where(f.name), msg)
        extra = self.pairs(rec, fields.get("set"))
        src_iri, src_triples = (None, []) if kind == "entity" else self.source(rec)
        if kind != "entity":
            if src_iri is None and not props.get("source") and not rec.values.get("source"):
                self.problems.add(
                    rec.where("source"),
                    "missing source: give --source-title (with --source-url and "
                    "--source-date) or --source REF of an existing source",
                )
            if not (props.get("stated-on") or props.get("valid-from")) and not (
                kind == "claim" and props.get("snapshot") == [Literal(True)]
            ) and not (rec.values.get("stated-on") or rec.values.get("valid-from")):
                self.problems.add(
                    rec.where("stated-on"),
                    "missing date: give --stated-on YYYY-MM-DD (when the source said it) "
                    "or --valid-from YYYY-MM-DD",
                )
            if not rec.values.get("status"):
                props["status"] = [CKG.reported]
        if kind == "entity" and not props.get("label"):
            self.problems.add(rec.where("label"), "an entity needs a label (--label en=TEXT)")
        if kind == "partnership" and len(rec.values.get("party", [])) == 1:
            self.problems.add(rec.where("party"), "a partnership needs at least two parties")
        if len(self.problems.items) > n_before:
            return None, [], props
        iri = self.mint(rec, kind, props)
        if iri is None:
            return None, [], props
        triples: list[tuple[Node, Node, Node]] = list(src_triples)
        if cls is not None:
            claim_class = props.pop("class", [cls])[0] if kind == "claim" else cls
            triples.append((iri, RDF.type, claim_class))
        if src_iri is not None:
            props.setdefault("source", []).append(src_iri)
        for name, vals in props.items():
            f = fields.get(name)
            if name == "supersedes":
                triples += [(v, CKG.supersededBy, iri) for v in vals]
                continue
            pred = f.pred if f is not None else RDFS.label
            if pred is None:
                continue
            triples += [(iri, pred, v) for v in vals]
        triples += [(iri, p, o) for p, o in extra]
        return iri, triples, props


# ---------------------------------------------------------------------------
# Duplicates
# ---------------------------------------------------------------------------


def _key(graph: Graph, node: Node, kind: str) -> tuple[Any, ...]:
    fields = {f.name: f for f in fields_of(kind)}
    out = []
    for name in KEY_FIELDS[kind]:
        pred = fields[name].pred
        vals = sorted(str(v) for v in graph.objects(node, pred)) if pred is not None else []
        out.append(tuple(vals))
    return tuple(out)


_Triples = list[tuple[Node, Node, Node]]


def _free_iri(ctx: Context, iri: URIRef, triples: _Triples) -> tuple[URIRef, _Triples]:
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
    index = ctx.key_index.get(kind)
    if index is None:
        index = {}
        for other in ctx.graph.subjects(RDF.type, FACT_CLASSES[kind]):
            index.setdefault(_key(ctx.graph, other, kind), []).append(
                (other, set(ctx.graph.objects(other, PROV.wasDerivedFrom))))
        ctx.key_index[kind] = index
    key = _key(new, iri, kind)
    sources = set(new.objects(iri, PROV.wasDerivedFrom))
    for other, other_sources in index.get(key, []):
        if sources & other_sources:
            return (
                f"{shorten(str(other))} already states the same {kind} "
                f"({', '.join(KEY_FIELDS[kind])}) from the same source"
            )
    index.setdefault(key, []).append((iri, sources))
    return None


# ---------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class AddResult:
    """What :func:`add_records` / :func:`import_file` did."""

    file: Path | str
    added: tuple[URIRef, ...]
    skipped: tuple[tuple[URIRef, str], ...]
    triples: int
    written: bool

    @property
    def text(self) -> str:
        lines = [f"{'added' if self.written else 'would add'} {shorten(str(n))}"
                 for n in self.added]
        lines += [f"skipped {shorten(str(n))}: duplicate: {why}" for n, why in self.skipped]
        verb = "wrote" if self.written else "would write"
        if self.added:
            lines.append(f"{verb} {self.triples} new triple(s) to {self.file}")
        else:
            lines.append(f"nothing to add; {self.file} unchanged")
        return "\n".join(lines) + "\n"


def default_target() -> Path:
    """``graphs/additions.ttl`` of the project (``CHANNELKG_HOME`` respected)."""
    return resources.graphs_dir() / DEFAULT_FILE


def _context_files(target: Path, data: Sequence[Path | str] | None) -> list[Path]:
    from channelkg.graph.memory import expand_paths

    files = expand_paths(list(data) if data else None)
    if target.exists() and target.resolve() not in {f.resolve() for f in files}:
        files.append(target)
    return files


@contextlib.contextmanager
def _lock(target: Path, timeout: float) -> Iterator[None]:
    """Hold the lock file beside the graphs (``.channelkg.lock``) for a whole add/import."""
    from filelock import FileLock, Timeout

    if target.suffix.lower() not in (".ttl", ".turtle"):
        raise InputError("facts can only be added to a Turtle (.ttl) file", str(target))
    if target.exists() and not target.is_file():
        raise InputError("not a file", str(target))

    target.parent.mkdir(parents=True, exist_ok=True)
    path = target.parent / LOCK_NAME
    lock = FileLock(str(path), timeout=timeout)
    try:
        lock.acquire()
    except Timeout:
        raise InputError(
            f"another channelkg add/import is writing (lock held for more than {timeout:g} s); "
            "nothing was written, try again",
            str(path),
        ) from None
    try:
        yield
    finally:
        lock.release()


@dataclass(frozen=True)
class RemoteTarget:
    """A SPARQL 1.1 server to add facts to instead of a Turtle file.

    Attributes:
        store: ``sparql:QUERY_URL`` (or a bare ``http(s)://`` URL) read as the graph the
            facts are checked against.
        update_url: the SPARQL UPDATE endpoint the new triples are sent to.
        graph: the named graph to read and write (``GRAPH <IRI>``); when the query URL
            has no ``default-graph-uri``, it is added so that only this graph is read.
            Without it, the server's default graph.
        user: HTTP user (default ``$CHANNELKG_SPARQL_USER``).
        password: HTTP password (default ``$CHANNELKG_SPARQL_PASSWORD``).
        auth: ``basic``, ``digest`` or ``auto``.
        timeout: seconds per request.
    """

    store: str
    update_url: str
    graph: str | None = None
    user: str | None = None
    password: str | None = None
    auth: str = "auto"
    timeout: float = 60.0

    @property
    def query_url(self) -> str:
        import urllib.parse

        kind, _, rest = self.store.partition(":")
        if kind in ("http", "https"):
            rest = self.store
        elif kind != "sparql" or not rest:
            raise InputError(f"facts can only be sent to a sparql:URL store, not {self.store!r}")
        split = urllib.parse.urlsplit(rest)
        params = urllib.parse.parse_qsl(split.query)
        if self.graph and not any(k in ("default-graph-uri", "named-graph-uri")
                                  for k, _ in params):
            params.append(("default-graph-uri", self.graph))
            rest = urllib.parse.urlunsplit(split._replace(query=urllib.parse.urlencode(params)))
        return rest

    def __str__(self) -> str:
        return (f"graph <{self.graph}> at {self.update_url}" if self.graph
                else self.update_url)


Writer = Callable[[Graph, bool], None]


def _remote_files(remote: RemoteTarget, folder: Path, say: Callable[[str], None]) -> Path:
    """Pull the server's graph into an N-Triples file in ``folder`` (blank nodes relabelled)."""
    from channelkg.graph.remote import _IRI_BAD, open_store

    url = remote.query_url
    if not re.match(r"^https?://", remote.update_url):
        raise InputError(f"--update-url is not an http(s) URL: {remote.update_url!r}")
    if remote.graph is not None and (_IRI_BAD.search(remote.graph) or ":" not in remote.graph):
        raise InputError(f"--graph is not an IRI: {remote.graph!r}")
    kg = open_store(f"sparql:{url}", update_url=remote.update_url, user=remote.user,
                    password=remote.password, auth=remote.auth, timeout=remote.timeout)
    say(f"reading the graph at {url}")
    labels: dict[Node, str] = {}

    def nt(term: Node) -> str:
        if isinstance(term, BNode):
            return labels.setdefault(term, f"_:b{len(labels)}")
        return term.n3()

    path = folder / "remote-graph.nt"
    with path.open("w", encoding="utf-8") as out:
        for t in kg.triples():
            out.write(" ".join(nt(x) for x in t) + " .\n")  # type: ignore[arg-type]
    return path


@contextlib.contextmanager
def _session(
    file: Path | str | None,
    data: Sequence[Path | str] | None,
    lock_timeout: float,
    remote: RemoteTarget | None,
    say: Callable[[str], None],
) -> Iterator[tuple[list[Path], Path | str, Writer]]:
    """Where facts are read from and written to: ``(context files, target label, writer)``.

    Files: the lock is held throughout, the writer merges into the target Turtle file.
    A SPARQL server: its graph is pulled into a temporary file, the writer sends
    ``INSERT DATA`` (see :func:`channelkg.remote.insert_data`).
    """
    if remote is None:
        target = Path(file) if file else default_target()
        with _lock(target, lock_timeout):
            files = _context_files(target, data)
            say(f"reading {len(files)} graph file(s)")
            yield files, target, lambda new, dry_run: _merge_and_write(target, new, dry_run)
        return
    if file is not None or data:
        raise InputError("--file and --data do not apply when adding to a sparql: store")
    import tempfile

    def send(new: Graph, dry_run: bool) -> None:
        from channelkg.graph.remote import insert_data

        if not dry_run:
            insert_data(remote.update_url, sorted(new), remote.graph, user=remote.user,
                        password=remote.password, auth=remote.auth, timeout=remote.timeout,
                        progress=say)

    with tempfile.TemporaryDirectory(prefix="channelkg-") as tmp:
        path = _remote_files(remote, Path(tmp), say)
        try:
            yield [path], str(remote), send
        except EditError as err:
            url = remote.query_url
            raise EditError([p.replace(str(path), url) for p in err.problems]) from None


def _new_problems(files: list[Path], extra: Graph, ctx: Context,
                  source: Path | None = None) -> list[str]:
    """Problems that the new triples bring: syntax, literals and ``ckg:`` terms over the
    whole graph, SHACL on the nodes the new triples touch. Problems the graph had
    before are not the new facts' fault and do not block them. ``source``: the file the
    new triples come from, to name the line of each problem in it."""
    from channelkg.check.validate import validate

    locate = [source] if source is not None else []
    report = validate(files, extra=extra, shacl=False, locate=locate)
    out: list[str] = []
    if not report.conforms:
        old = {(p.kind, p.message, p.focus, p.path)
               for p in validate(files, shacl=False).problems}
        out = [p.line() for p in report.problems
               if (p.kind, p.message, p.focus, p.path) not in old]
        if any(p.kind == "syntax" for p in report.problems):
            return out
    assert report.graph is not None
    data = report.graph
    subjects = {s for s, _, _ in extra}
    focus = subjects | {s for n in subjects for s in data.subjects(None, n)}
    found = _shacl_lines(data, ctx, focus, source)
    if found:
        before = new_graph_without(data, extra)
        old_lines = set(_shacl_lines(before, ctx,
                                     {n for n in focus if (n, None, None) in before}, source))
        # An ill-typed literal is already reported as such; its shape violation is not news.
        literal = {f"[shacl] {p.focus} {p.path}:" for p in report.problems
                   if p.kind == "literal"}
        out += [line for line in found if line not in old_lines
                and not any(key in line for key in literal)]
    return out


def new_graph_without(data: Graph, extra: Graph) -> Graph:
    """A copy of ``data`` without the triples of ``extra``."""
    out = Graph()
    for t in data:
        if t not in extra:
            out.add(t)
    return out


def _shacl_lines(data: Graph, ctx: Context, focus: set[Node],
                 source: Path | None = None) -> list[str]:
    """SHACL (pySHACL) on the given focus nodes, as ``[shacl] focus path: message`` lines
    (with ``file:line:`` first when the focus node is found in ``source``)."""
    if not focus:
        return []
    import pyshacl

    from channelkg.check.validate import _LineIndex

    index = _LineIndex([], always=[source]) if source is not None else None

    mixed = Graph()
    for graph in (data, ctx.ontology):
        for t in graph:
            mixed.add(t)
    _, results, _ = pyshacl.validate(
        mixed,
        shacl_graph=ctx.shapes,
        inference="none",
        advanced=True,
        allow_warnings=True,
        focus_nodes=sorted((n for n in focus if isinstance(n, URIRef)), key=str),
    )
    lines = []
    for r in results.subjects(RDF.type, SH.ValidationResult):
        node = results.value(r, SH.focusNode)
        path = results.value(r, SH.resultPath)
        msg = results.value(r, SH.resultMessage)
        value = results.value(r, SH.value)
        text = str(msg) if msg is not None else "violates a shape"
        if value is not None and not isinstance(value, BNode) and value != node:
            text += f" (value: {display(value)})"
        where = display(node) + (f" {display(path)}" if isinstance(path, URIRef) else "")
        loc = index.node(node) if index is not None else ""
        lines.append((f"{loc}: " if loc else "") + f"[shacl] {where}: {text}")
    return sorted(set(lines))


def _merge_and_write(target: Path, new: Graph, dry_run: bool) -> None:
    from channelkg.rdf.fileio import atomic_write_text
    from channelkg.rdf.turtle import Comments, comment_layout, format_text, parse_text, serialize

    project = dict(PREFIXES)
    if target.exists():
        old_text = _read_text(target)
        old_graph, prefixes = parse_text(old_text, str(target))
        canonical = format_text(old_text, str(target)) == old_text
    else:
        old_text, old_graph, prefixes, canonical = "", Graph(), {}, True
    merged = Graph()
    for t in old_graph:
        merged.add(t)
    for t in new:
        merged.add(t)
    if canonical:
        layout = (comment_layout(old_text, old_graph) if old_text
                  else Comments(header=NEW_FILE_HEADER))
        text = serialize(merged, prefixes, layout.header, optional=project,
                         comments=layout.attached, footer=layout.footer)
    else:
        # Keep a hand-edited file's text (and comments) as it is: append a block.
        known = {k: v for k, v in prefixes.items()}
        optional = {k: v for k, v in project.items() if k not in known}
        block = serialize(new, {}, "", optional=optional, known=known)
        text = old_text.rstrip("\n") + "\n\n" + block
    check, _ = parse_text(text, str(target))
    if len(check) != len(merged):
        raise InputError("internal error: the written text would not hold the same triples; "
                         "nothing was written", str(target))
    if not dry_run:
        atomic_write_text(target, text)


def add_records(
    records: Sequence[Record],
    *,
    file: Path | str | None = None,
    data: Sequence[Path | str] | None = None,
    skip_duplicates: bool = False,
    dry_run: bool = False,
    lock_timeout: float = 120.0,
    progress: Callable[[str], None] | None = None,
    remote: RemoteTarget | None = None,
) -> AddResult:
    """Validate and add facts to a Turtle file, atomically and under a file lock.

    Args:
        records: facts, e.g. from :func:`record_from_mapping`, :func:`read_yaml`,
            :func:`read_csv`.
        file: the theme file to add to (default ``graphs/additions.ttl``).
        data: the graph the facts are checked against (default ``graphs/*.ttl``);
            the target file is always included.
        skip_duplicates: skip duplicate facts instead of refusing the whole batch.
        dry_run: check everything but write nothing.
        lock_timeout: seconds to wait for another writer.
        progress: called with a line of text at each step (e.g. print to stderr).
        remote: a SPARQL server to check against and send the new triples to, instead
            of ``file`` and ``data``.

    Raises:
        EditError: any problem (every one listed); no file is changed, nothing is sent.
    """
    problems = _Problems()
    say = progress or (lambda _msg: None)
    with _session(file, data, lock_timeout, remote, say) as (files, target, write):
        ctx = load_context(files)
        say(f"checking {len(records)} fact(s)")
        builder = _Builder(ctx, problems)
        new = Graph()
        added: list[URIRef] = []
        skipped: list[tuple[URIRef, str]] = []
        focus: dict[str, str] = {}
        for rec in records:
            iri, triples, _ = builder.build(rec)
            if iri is None:
                continue
            minted = rec.kind != "entity" and not rec.values.get("id")
            # A minted IRI that is taken (the same fact from another source, say) gets
            # a number; the same fact from the same source is still a duplicate, by
            # its key properties, and is reported under the IRI it was minted as.
            free, free_triples = _free_iri(ctx, iri, triples) if minted else (iri, triples)
            one = Graph()
            for t in free_triples:
                one.add(t)
            dup = find_duplicate(ctx, rec.kind, free, one)
            if dup is None:
                iri, triples = free, free_triples
            if dup is None and iri in ctx.new_subjects:
                dup = f"{shorten(str(iri))} is given twice in this input"
            if dup is not None:
                if skip_duplicates:
                    skipped.append((iri, dup))
                    continue
                problems.add(rec.location, f"duplicate: {dup} (use --skip-duplicates to skip it, "
                             "or --id to name a different fact)")
                continue
            ctx.new_subjects.add(iri)
            focus[display(iri)] = rec.location
            added.append(iri)
            for t in triples:
                new.add(t)
        if problems.items:
            raise EditError(problems.items)
        if not added:
            return AddResult(target, (), tuple(skipped), 0, False)
        say(f"validating {len(new)} new triple(s) with the graph")
        found = _new_problems(files, new, ctx)
        if found:
            raise EditError([_with_record(p, focus) for p in found])
        if not dry_run:
            say(f"writing {target}")
        write(new, dry_run)
        return AddResult(target, tuple(added), tuple(skipped), len(new), not dry_run)


def _with_record(line: str, focus: Mapping[str, str]) -> str:
    for name, loc in focus.items():
        if f" {name} " in line or f" {name}:" in line:
            return f"{loc}: {line}"
    return line


def import_file(
    path: Path | str,
    *,
    file: Path | str | None = None,
    data: Sequence[Path | str] | None = None,
    skip_duplicates: bool = False,
    dry_run: bool = False,
    fmt: str | None = None,
    lock_timeout: float = 120.0,
    progress: Callable[[str], None] | None = None,
    remote: RemoteTarget | None = None,
) -> AddResult:
    """Import facts from YAML (``.yaml``/``.yml``), CSV (``.csv``) or RDF (Turtle, JSON-LD …).

    YAML and CSV rows use the fields of ``channelkg add`` (see :func:`fields_of`).
    RDF files are taken as they are: their triples are validated with the graph
    and merged into the target file (or sent to ``remote``, see :func:`add_records`).
    """
    from channelkg.graph.memory import FORMATS

    path = Path(path)
    kind = (fmt or path.suffix.lstrip(".")).lower()
    if kind in ("yaml", "yml"):
        records = read_yaml(path)
    elif kind == "csv":
        records = read_csv(path)
    elif f".{kind}" in FORMATS:
        return import_rdf(path, file=file, data=data, skip_duplicates=skip_duplicates,
                          dry_run=dry_run, lock_timeout=lock_timeout, progress=progress,
                          remote=remote, suffix=f".{kind}")
    else:
        what = f"{path.suffix} file" if path.suffix else "file without an extension"
        raise InputError(f"cannot tell the format of a {what}: give --format yaml, csv, ttl, "
                         "jsonld or nt", str(path))
    if not records:
        raise InputError("no facts found", str(path))
    return add_records(records, file=file, data=data, skip_duplicates=skip_duplicates,
                       dry_run=dry_run, lock_timeout=lock_timeout, progress=progress,
                       remote=remote)


def import_rdf(
    path: Path,
    *,
    suffix: str | None = None,
    file: Path | str | None = None,
    data: Sequence[Path | str] | None = None,
    skip_duplicates: bool = False,
    dry_run: bool = False,
    lock_timeout: float = 120.0,
    progress: Callable[[str], None] | None = None,
    remote: RemoteTarget | None = None,
) -> AddResult:
    """Merge an RDF file's triples into the target file after validation.

    A subject that has a type in both the file and the graph is a duplicate.
    Every ``kgid:`` IRI used as an object must be described in the graph or the file.
    ``suffix`` (e.g. ``.ttl``) gives the file's syntax when its name does not.
    """
    from channelkg.graph.memory import parse_file
    from channelkg.rdf.terms import to_rdflib

    incoming = Graph()
    for q in parse_file(path, suffix):
        incoming.add((to_rdflib(q.subject), to_rdflib(q.predicate), to_rdflib(q.object)))  # type: ignore[arg-type]
    problems = _Problems()
    say = progress or (lambda _msg: None)
    with _session(file, data, lock_timeout, remote, say) as (files, target, write):
        ctx = load_context(files)
        typed = {s for s in incoming.subjects(RDF.type, None)}
        skipped: list[tuple[URIRef, str]] = []
        drop: set[Node] = set()
        for s in sorted(typed, key=str):
            if (s, RDF.type, None) in ctx.graph:
                if skip_duplicates:
                    skipped.append((s, f"{shorten(str(s))} already exists"))  # type: ignore[arg-type]
                    drop.add(s)
                else:
                    problems.add(str(path), f"duplicate: {shorten(str(s))} already exists "
                                 "(use --skip-duplicates to skip it)")
        new = Graph()
        for t in incoming:
            if t[0] not in drop:
                new.add(t)
        described = set(ctx.graph.subjects()) | set(new.subjects()) | set(ctx.ontology.subjects())
        for s, p, o in new:
            if isinstance(o, URIRef) and str(o).startswith(str(KGID)) and o not in described:
                problems.add(str(path), f"unknown entity reference {shorten(str(o))} "
                             f"(object of {shorten(str(s))} {shorten(str(p))})")
            if isinstance(s, BNode) and p == RDF.type and o in FACT_CLASSES.values():
                problems.add(str(path), "facts need an IRI, not a blank node")
        if problems.items:
            raise EditError(problems.items)
        added = tuple(sorted((s for s in typed if s not in drop and isinstance(s, URIRef)),
                             key=str))
        if len(new) == 0:
            return AddResult(target, (), tuple(skipped), 0, False)
        say(f"validating {len(new)} new triple(s) with the graph")
        found = _new_problems(files, new, ctx, source=Path(path))
        if found:
            raise EditError([p if p.startswith(f"{path}:") else f"{path}: {p}" for p in found])
        if not dry_run:
            say(f"writing {target}")
        write(new, dry_run)
        return AddResult(target, added, tuple(skipped), len(new), not dry_run)


__all__ = [
    "AddResult",
    "EditError",
    "Field",
    "Record",
    "RemoteTarget",
    "add_records",
    "default_target",
    "fields_of",
    "import_file",
    "import_rdf",
    "read_csv",
    "read_yaml",
    "record_from_mapping",
    "slugify",
]
