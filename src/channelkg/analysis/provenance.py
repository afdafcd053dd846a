"""Explain a node: the chain of sourced facts behind a claim, an entity or a route.

:func:`explain` returns an :class:`Explanation`: the node itself (with its
status, dates and sources when it is a fact) and sections of related facts:

* for an access route: the partnerships it ``ckg:dependsOn``, the restrictions
  that ``ckg:blocks`` it or apply to its service or model (in its market, or
  everywhere), and the market-wide restrictions of its market;
* for any claim: the claims it conflicts with, that supersede it or that it
  supersedes, that corroborate it, and the routes that depend on it or that it blocks;
* for an entity (organization, model, service, market, source): every claim that
  names it.

With a ``limit`` (entity pages), a section lists its first facts (by IRI) and says how
many it holds and the SPARQL query that lists them all (:class:`Cut`); the facts of a
hub (a market named by thousands of claims) are then counted from the graph's index
without being described one by one.

Superseded and disputed facts are marked (``SUPERSEDED``, ``DISPUTED``) with the
claims that supersede or contradict them, and any other claim that a claim conflicts
with is marked ``CONFLICTS``, so an answer never hides a conflict.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import PROV, RDF, RDFS
from rdflib.term import Node

from channelkg.analysis.history import Dates, claim_classes, fact_info
from channelkg.errors import InputError
from channelkg.graph.memory import KnowledgeGraph
from channelkg.model.labels import explicit_label
from channelkg.rdf.namespaces import CKG, KGID
from channelkg.rdf.terms import display

#: Properties shown as "key: value" lines for a fact.
DETAIL_PROPS = (
    CKG.model, CKG.market, CKG.service, CKG.kind, CKG.seller, CKG.open, CKG.sanctioned,
    CKG.party, CKG.imposedBy, CKG.appliesTo, CKG.assessedEntity, CKG.level, CKG.about,
)


@dataclass(frozen=True)
class Fact:
    """One fact (or entity) in an explanation."""

    node: Node
    label: str
    classes: tuple[str, ...]
    status: str
    dates: Dates
    statement: str
    sources: tuple[str, ...]
    details: tuple[tuple[str, str], ...] = ()
    marks: tuple[str, ...] = ()
    fact_id: str = ""

    def to_json(self) -> dict[str, object]:
        d = self.dates
        return {
            "iri": str(self.node),
            "id": display(self.node),
            "label": self.label,
            "classes": list(self.classes),
            "status": self.status,
            "factId": self.fact_id,
            "statedOn": d.stated_on.isoformat() if d.stated_on else None,
            "validFrom": d.valid_from.isoformat() if d.valid_from else None,
            "validTo": d.valid_to.isoformat() if d.valid_to else None,
            "datePrecision": d.precision,
            "statement": self.statement,
            "details": dict(self.details),
            "sources": list(self.sources),
            "marks": list(self.marks),
        }


@dataclass(frozen=True)
class Cut:
    """A section cut at the limit: its title, how many facts it holds, and a SPARQL
    SELECT that lists them all (``?claim``, with its statuses), or ``None`` for a section
    no graph pattern finds (the restrictions on a route, the claims that dispute the facts
    above: they are gathered by walking the graph)."""

    title: str
    total: int
    query: str | None


@dataclass(frozen=True)
class Explanation:
    """The node and the sections of facts behind it (``cuts``: the sections cut at a limit)."""

    focus: Fact
    sections: tuple[tuple[str, tuple[Fact, ...]], ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)
    cuts: tuple[Cut, ...] = ()

    def cut(self, title: str) -> Cut | None:
        """The :class:`Cut` of section ``title``, if it was cut."""
        return next((c for c in self.cuts if c.title == title), None)

    def facts(self) -> list[Fact]:
        return [self.focus] + [f for _, fs in self.sections for f in fs]


def _label(graph: Graph, node: Node) -> str:
    """The label the graph states for ``node`` by the one label policy, or ``""``."""
    return explicit_label(graph.objects, node) or ""


def _name(graph: Graph, node: Node) -> str:
    label = _label(graph, node)
    return f"{display(node)} ({label})" if label else display(node)


def describe(graph: Graph, node: Node) -> Fact:
    """Describe one node as a :class:`Fact` with its marks."""
    info = fact_info(graph, node)
    marks: list[str] = []
    status = info.status
    if info.superseded_by or status == "superseded":
        by = ", ".join(display(n) for n in info.superseded_by) or "a later claim"
        marks.append(f"SUPERSEDED by {by}")
    supersedes = sorted(graph.subjects(CKG.supersededBy, node), key=str)
    if supersedes:
        marks.append("supersedes " + ", ".join(display(n) for n in supersedes))
    others = ", ".join(display(n) for n in info.conflicts_with)
    if status == "disputed":
        marks.append(f"DISPUTED: conflicts with {others or 'other sources'}")
    elif info.conflicts_with:
        marks.append(f"CONFLICTS with {others}")
    details = []
    for p in DETAIL_PROPS:
        vals = sorted(graph.objects(node, p), key=str)
        if vals:
            details.append((display(p).split(":", 1)[1], ", ".join(_name(graph, v) for v in vals)))
    note = next(iter(graph.objects(node, CKG.statusNote)), None)
    if note is not None:
        status = f"{status} ({note})" if status else str(note)
    return Fact(
        node,
        _label(graph, node),
        info.classes,
        status,
        info.dates,
        info.statement,
        info.sources,
        tuple(details),
        tuple(marks),
        info.extra.get("factId", ""),
    )


def resolve(graph: Graph, value: str) -> Node:
    """Find a node by IRI, CURIE, slug, fact id (``AZ-8``) or label (the one resolver)."""
    from channelkg.model.resolve import NameIndex
    from channelkg.model.resolve import resolve as resolve_name

    return resolve_name(NameIndex.from_triples(graph), value, "entity")


def _by_label(graph: Graph, text: str) -> Node | None:
    want = text.strip().lower()
    if not want:
        return None
    hits = sorted(
        {s for s, _, lbl in graph.triples((None, RDFS.label, None))
         if str(lbl).strip().lower() == want and str(s).startswith(str(KGID))},
        key=str,
    )
    return hits[0] if len(hits) == 1 else None


def _facts(graph: Graph, nodes: Iterable[Node], exclude: set[Node]) -> tuple[Fact, ...]:
    seen = sorted({n for n in nodes if n not in exclude}, key=str)
    return tuple(describe(graph, n) for n in seen)


def _route_restrictions(graph: Any, node: Node) -> tuple[list[Node], list[Node]]:
    """The restrictions on a route's service or model (in its market or everywhere), and
    those across its market that apply to nothing in particular: looked up by target and
    by market, not by a walk over every restriction."""
    markets = set(graph.objects(node, CKG.market))
    targets = set(graph.objects(node, CKG.service)) | set(graph.objects(node, CKG.model))
    applying: list[Node] = []
    market_wide: list[Node] = []
    near = {r for t in targets for r in graph.subjects(CKG.appliesTo, t)}
    near |= {r for m in markets for r in graph.subjects(CKG.market, m)}
    for r in sorted(near, key=str):
        if (r, RDF.type, CKG.Restriction) not in graph:
            continue
        r_markets = set(graph.objects(r, CKG.market))
        in_market = not r_markets or bool(r_markets & markets)
        applies = set(graph.objects(r, CKG.appliesTo))
        if applies & targets and in_market:
            applying.append(r)
        elif not applies and r_markets & markets:
            market_wide.append(r)
    return applying, market_wide


_PREFIXES = ("PREFIX ckg: <https://w3id.org/channelkg/ontology#>\n"
             "PREFIX prov: <http://www.w3.org/ns/prov#>\n"
             "PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>\n")


def _iri(n: Node) -> str:
    return f"<{n}>"


def list_query(node: Node, title: str, pattern: str, exclude: Iterable[Node] = ()) -> str:
    """A SELECT of every ``?claim`` that ``pattern`` finds (``<N>`` stands for the node),
    but those in ``exclude``: one row per claim, by IRI, with its statuses (their local
    names, space-separated: a claim may carry two)."""
    where = pattern.replace("<N>", _iri(node))
    skip = sorted(set(exclude), key=str)
    if skip:
        where += f"\n    FILTER(?claim NOT IN ({', '.join(_iri(n) for n in skip)}))"
    return (f"{_PREFIXES}# {title}: {display(node)}\n"
            "SELECT ?claim (GROUP_CONCAT(DISTINCT REPLACE(STR(?st), \"^.*[#/]\", \"\"); "
            "separator=\" \") AS ?status)\n"
            f"WHERE {{\n  {{ SELECT DISTINCT ?claim WHERE {{\n    {where}\n  }} }}\n"
            "  OPTIONAL { ?claim ckg:status ?st }\n} GROUP BY ?claim ORDER BY ?claim\n")


def _values(var: str, nodes: Iterable[Node]) -> str:
    return f"VALUES ?{var} {{ {' '.join(_iri(n) for n in sorted(set(nodes), key=str))} }}"


#: The graph pattern of each section of a claim's explanation (``<N>``: the claim).
_PATTERNS = {
    "depends on (partnerships)": "<N> ckg:dependsOn ?claim .",
    "blocked by": "?claim ckg:blocks <N> .",
    "conflicts with": "{ <N> ckg:conflictsWith ?claim } UNION { ?claim ckg:conflictsWith <N> }",
    "superseded by": "<N> ckg:supersededBy ?claim .",
    "supersedes": "?claim ckg:supersededBy <N> .",
    "corroborated by": "?claim ckg:corroborates <N> .",
    "corroborates": "<N> ckg:corroborates ?claim .",
    "routes that depend on it": "?claim ckg:dependsOn <N> .",
    "routes it blocks": "<N> ckg:blocks ?claim .",
    "sources": "<N> prov:wasDerivedFrom ?claim .",
}


class _Naming:
    """The claims that name a node, by main class (see :func:`_naming_claims`), with
    what a query needs to find the same ones: each class's IRI and every type they carry."""

    def __init__(self) -> None:
        self.by_class: dict[str, list[Node]] = {}
        self.iri: dict[str, Node] = {}
        self.types: dict[str, set[Node]] = {}  # every type the claims carry, by local name

    def pattern(self, name: str, claim_types: set[Node]) -> str:
        """The graph pattern of the claims of class ``name``: they name ``<N>``, carry the
        class and a claim class, and no type that sorts before it (the grouping rule)."""
        cls = self.iri[name]
        parts = ["?claim ?p <N> ; a " + _iri(cls) + " . FILTER(?p != rdf:type)"]
        if cls not in claim_types:
            parts.append("FILTER EXISTS { ?claim a ?ct . " + _values("ct", claim_types) + " }")
        earlier = {t for local, ts in self.types.items()
                   if local != "Claim" and (name == "Claim" or local < name) for t in ts}
        if earlier:
            parts.append("FILTER NOT EXISTS { ?claim a ?t . " + _values("t", earlier) + " }")
        return "\n    ".join(parts)


def _local(t: Node) -> str:
    """A class as :func:`~channelkg.analysis.history.fact_info` names it."""
    text = display(t)
    return text.split(":", 1)[1] if text.startswith("ckg:") else text


def _naming_claims(idx: Any, node: Node, claim_types: set[Node]) -> _Naming:
    """The claims that name ``node`` (any property but ``rdf:type``), by main class (the
    first of their classes by name, ``Claim`` last): read as pyoxigraph terms (the
    subjects and their types), so a hub's thousands of claims are sorted without reading
    every claim whole."""
    from channelkg.analysis.vocab import TYPE

    kg, term = idx.kg, idx._term
    type_ox = kg.ox_triples  # the pattern reader of the backend
    rdf_type = str(TYPE)
    subjects = dict.fromkeys(s for s, p, _ in type_ox(None, None, node) if p.value != rdf_type)
    out = _Naming()
    for s in subjects:
        types = [term(t) for _, _, t in type_ox(s, TYPE, None)]
        if not set(types) & claim_types:
            continue
        named = sorted((_local(t), t) for t in set(types))
        main, cls = next(((c, t) for c, t in named if c != "Claim"), named[0])
        out.by_class.setdefault(main, []).append(term(s))
        out.iri.setdefault(main, cls)
        for local, t in named:
            out.types.setdefault(local, set()).add(t)
    return out


def explain(kg: KnowledgeGraph, value: str, *, limit: int | None = None,
            index: Any = None) -> Explanation:
    """Explain a claim, fact id, route or entity (see the module docstring).

    The graph is read through the analysis index (only the triples about the node and
    what it links to), never copied whole; ``index`` is one already made for ``kg``
    (kept between calls, its answers are reused). With ``limit``, each section lists
    at most that many facts and the explanation's ``cuts`` say what was left out.
    """
    from channelkg.analysis.index import Index, IndexGraph
    from channelkg.model.resolve import resolve_in

    idx = index if index is not None else Index.of(kg)
    graph: Any = IndexGraph(idx)
    node = resolve_in(idx.kg, value, "entity")
    claim_types = claim_classes(graph)
    types = set(graph.objects(node, RDF.type))
    is_claim = bool(types & claim_types) or (node, CKG.status, None) in graph
    focus = describe(graph, node)
    sections: list[tuple[str, tuple[Fact, ...]]] = []
    cuts: list[Cut] = []
    done: set[Node] = {node}

    def add(title: str, nodes: Iterable[Node], pattern: str | None = None) -> None:
        nodes = list(nodes)
        seen = sorted({n for n in nodes if n not in done}, key=str)
        if not seen:
            return
        skipped = {n for n in nodes if n in done}  # shown in an earlier section
        shown = seen if limit is None else seen[:max(limit, 0)]
        sections.append((title, tuple(describe(graph, n) for n in shown)))
        done.update(seen)
        if len(shown) < len(seen):
            pattern = pattern or _PATTERNS.get(title)
            query = list_query(node, title, pattern, skipped) if pattern else None
            cuts.append(Cut(title, len(seen), query))

    market_wide: list[Node] = []
    if is_claim:
        if CKG.AccessRoute in types:
            add("depends on (partnerships)", graph.objects(node, CKG.dependsOn))
            add("blocked by", graph.subjects(CKG.blocks, node))
            applying, market_wide = _route_restrictions(graph, node)
            add("restrictions on its service or model", applying)
        add("conflicts with", [*graph.objects(node, CKG.conflictsWith),
                               *graph.subjects(CKG.conflictsWith, node)])
        add("superseded by", graph.objects(node, CKG.supersededBy))
        add("supersedes", graph.subjects(CKG.supersededBy, node))
        add("corroborated by", graph.subjects(CKG.corroborates, node))
        add("corroborates", graph.objects(node, CKG.corroborates))
        add("routes that depend on it", graph.subjects(CKG.dependsOn, node))
        add("routes it blocks", graph.objects(node, CKG.blocks))
        add("restrictions across its market", market_wide)
        # Conflicts of the related facts, one level deep, so no dispute is hidden.
        related = [f.node for _, fs in sections for f in fs]
        add("claims that dispute or supersede the facts above", [
            o
            for r in related
            for o in (
                *graph.objects(r, CKG.conflictsWith),
                *graph.subjects(CKG.conflictsWith, r),
                *graph.objects(r, CKG.supersededBy),
            )
        ])
    else:
        naming = _naming_claims(idx, node, claim_types)
        for name in sorted(naming.by_class):
            add(f"{name} facts that name it", naming.by_class[name],
                naming.pattern(name, claim_types))
        sources = [s for s in graph.objects(node, PROV.wasDerivedFrom)]
        if sources:
            add("sources", sources)
    notes = []
    if kg.as_of is not None:
        notes.append(
            f"as of {kg.as_of.isoformat()}: facts not valid on that day are left out; statuses are "
            "as recorded today (a claim marked superseded or disputed may not have been yet on "
            "that day: see `channelkg diff`)"
        )
    return Explanation(focus, tuple(sections), tuple(notes), tuple(cuts))


def explain_row(kg: KnowledgeGraph, spec: str, row: int,
                params: dict[str, str] | None = None) -> list[Explanation]:
    """Explain every ``kgid:`` IRI in row ``row`` (1-based) of a query's result.

    A cell holding a label instead of an IRI (e.g. the seed table's "Anthropic")
    is explained too when exactly one ``kgid:`` node carries that label.
    """
    from channelkg.sparql.query import query

    result = query(kg, spec, params or {})
    if result.kind != "SELECT":
        raise InputError("--query must be a SELECT query")
    if not 1 <= row <= len(result.rows):
        raise InputError(f"--row {row} is out of range: the query returned {len(result.rows)} "
                         "row(s) (rows count from 1)")
    from channelkg.analysis.index import Index, IndexGraph

    nodes: list[Node] = []
    graph: Any = IndexGraph(Index.of(kg))
    for term in result.rows[row - 1]:
        if isinstance(term, URIRef) and str(term).startswith(str(KGID)):
            node: Node | None = term
        elif isinstance(term, Literal):
            # A query that shows labels: explain the node whose label it is, if any.
            node = _by_label(graph, str(term))
        else:
            node = None
        if node is not None and node not in nodes:
            nodes.append(node)
    if not nodes:
        raise InputError(f"row {row} holds no kgid: IRI (nor a label of one) to explain")
    return [explain(kg, str(n)) for n in nodes]


# ---------------------------------------------------------------------------
# Rendering
# ---------------------------------------------------------------------------


def _alarm(mark: str) -> bool:
    """Marks that warn (SUPERSEDED, DISPUTED, CONFLICTS) start with a capitalised word."""
    return mark.split(" ", 1)[0].rstrip(":").isupper()


def _dates_text(d: Dates) -> str:
    bits = []
    if d.stated_on:
        bits.append(f"stated {d.show(d.stated_on)}")
    if d.valid_from:
        bits.append(f"valid from {d.show(d.valid_from)}")
    if d.valid_to:
        bits.append(f"until {d.show(d.valid_to)}")
    if bits and d.precision != "day":
        bits.append(f"{d.precision} precision")
    return ", ".join(bits)


def _fact_lines(f: Fact, indent: str) -> list[str]:
    head = display(f.node)
    cls = "/".join(c for c in f.classes if c != "Claim") or "/".join(f.classes)
    if cls:
        head += f"  [{cls}]"
    if f.fact_id:
        head += f"  {f.fact_id}"
    if f.status:
        head += f"  status: {f.status}"
    dates = _dates_text(f.dates)
    if dates:
        head += f"  ({dates})"
    lines = [indent + head]
    sub = indent + "    "
    for mark in f.marks:
        lines.append(f"{sub}!! {mark}" if _alarm(mark) else f"{sub}{mark}")
    if f.statement:
        lines.append(f"{sub}{f.statement}")
    elif f.label:
        lines.append(f"{sub}{f.label}")
    for k, v in f.details:
        lines.append(f"{sub}{k}: {v}")
    for s in f.sources:
        lines.append(f"{sub}source: {s}")
    return lines


def render_text(explanations: Iterable[Explanation]) -> str:
    """Plain-text rendering: the node, then each section indented."""
    out: list[str] = []
    for ex in explanations:
        if out:
            out.append("")
        out.extend(_fact_lines(ex.focus, ""))
        for title, facts in ex.sections:
            out.append(f"  {title}:")
            for f in facts:
                out.extend(_fact_lines(f, "    "))
            cut = ex.cut(title)
            if cut is not None:
                out.append(f"    ... {cut.total - len(facts)} more ({cut.total} in all)")
        out.extend(f"note: {n}" for n in ex.notes)
    return "\n".join(out) + "\n"


def render_markdown(explanations: Iterable[Explanation]) -> str:
    """Markdown rendering: one heading per node, one list per section."""
    out: list[str] = []

    def item(f: Fact, level: int) -> None:
        pad = "  " * level
        head = f"**{display(f.node)}**"
        cls = "/".join(c for c in f.classes if c != "Claim")
        bits = [b for b in (cls, f.fact_id, f"status: {f.status}" if f.status else "",
                            _dates_text(f.dates)) if b]
        out.append(f"{pad}- {head} " + " · ".join(bits))
        for mark in f.marks:
            out.append(f"{pad}  - ⚠ {mark}" if _alarm(mark) else f"{pad}  - {mark}")
        if f.statement or f.label:
            out.append(f"{pad}  - {f.statement or f.label}")
        for k, v in f.details:
            out.append(f"{pad}  - {k}: {v}")
        for s in f.sources:
            out.append(f"{pad}  - source: {s}")

    for ex in explanations:
        out.append(f"## {display(ex.focus.node)}")
        out.append("")
        item(ex.focus, 0)
        for title, facts in ex.sections:
            out.append("")
            out.append(f"### {title}")
            out.append("")
            for f in facts:
                item(f, 0)
            cut = ex.cut(title)
            if cut is not None:
                out.append(f"- … {cut.total - len(facts)} more ({cut.total} in all)")
        for n in ex.notes:
            out.append("")
            out.append(f"_{n}_")
        out.append("")
    return "\n".join(out)


def _section_json(ex: Explanation, title: str, facts: tuple[Fact, ...]) -> dict[str, object]:
    """A section as JSON; a section cut at a limit also says its ``total`` and, when a
    graph pattern finds its facts, the ``query`` that lists every one of them."""
    out: dict[str, object] = {"title": title, "facts": [f.to_json() for f in facts]}
    cut = ex.cut(title)
    if cut is not None:
        out["total"] = cut.total
        if cut.query is not None:
            out["query"] = cut.query
    return out


def render_json(explanations: Iterable[Explanation]) -> str:
    """JSON rendering: a list of ``{focus, sections: [{title, facts}], notes}``."""
    doc = [
        {
            "focus": ex.focus.to_json(),
            "sections": [_section_json(ex, t, fs) for t, fs in ex.sections],
            "notes": list(ex.notes),
        }
        for ex in explanations
    ]
    return json.dumps(doc, ensure_ascii=False, indent=1) + "\n"


RENDERERS = {"text": render_text, "md": render_markdown, "json": render_json}

__all__ = ["Cut", "Explanation", "Fact", "describe", "explain", "explain_row", "list_query",
           "resolve", "RENDERERS"]
