"""Research briefs on a market or a provider, as Markdown or self-contained HTML.

A brief is built once as a small document model (:class:`Brief`: headings,
paragraphs, bullet lists, tables) and rendered to either format, so both say the
same thing. Sources are numbered in the order they are first cited; cells cite
them as ``[n]``, and the HTML turns those into links to the numbered list.

The HTML is one file with inline CSS, no script and no external asset; a
Content-Security-Policy forbids loading anything. Every text taken from the data
is escaped.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from rdflib import URIRef
from rdflib.namespace import RDFS

from channelkg.analysis.routes import (
    Index,
    Route,
    SourceRef,
    in_force,
    resolve,
    resolve_market,
    routes,
    single_points_of_failure,
    source_ref,
    source_refs,
)
from channelkg.errors import ChannelKGError
from channelkg.graph.memory import KnowledgeGraph
from channelkg.rdf.namespaces import CKG
from channelkg.rdf.terms import shorten

# ---------------------------------------------------------------------------
# Document model
# ---------------------------------------------------------------------------


@dataclass
class Block:
    """One block of a brief."""

    kind: str  # "h2" | "p" | "list" | "table"
    text: str = ""
    items: list[str] = field(default_factory=list)
    headers: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)


@dataclass
class Brief:
    """A research brief: title, blocks and numbered sources."""

    title: str
    subject: str
    subtitle: str = ""
    blocks: list[Block] = field(default_factory=list)
    sources: list[SourceRef] = field(default_factory=list)
    _numbers: dict[str, int] = field(default_factory=dict, repr=False)

    # -- building ---------------------------------------------------------
    def h2(self, text: str) -> None:
        self.blocks.append(Block("h2", text))

    def p(self, text: str) -> None:
        self.blocks.append(Block("p", text))

    def bullets(self, items: Iterable[str]) -> None:
        self.blocks.append(Block("list", items=list(items)))

    def table(self, headers: Sequence[str], rows: Iterable[Sequence[str]]) -> None:
        self.blocks.append(Block("table", headers=list(headers), rows=[list(r) for r in rows]))

    def cite(self, refs: Iterable[SourceRef]) -> str:
        """Number the sources (first citation first) and return ``[1][3]``."""
        out = []
        for ref in refs:
            if ref.iri not in self._numbers:
                self.sources.append(ref)
                self._numbers[ref.iri] = len(self.sources)
            out.append(f"[{self._numbers[ref.iri]}]")
        return "".join(sorted(set(out), key=lambda x: int(x[1:-1])))

    # -- rendering --------------------------------------------------------
    def to_markdown(self) -> str:
        """The brief as GitHub-flavoured Markdown."""
        lines = [f"# {_md_inline(self.title)}", ""]
        if self.subtitle:
            lines += [f"_{_md_inline(self.subtitle)}_", ""]
        for b in self.blocks:
            if b.kind == "h2":
                lines += [f"## {_md_inline(b.text)}", ""]
            elif b.kind == "p":
                lines += [_md_inline(b.text), ""]
            elif b.kind == "list":
                lines += [f"- {_md_inline(i)}" for i in b.items] + [""]
            elif b.kind == "table":
                lines.append("| " + " | ".join(map(_md_inline, b.headers)) + " |")
                lines.append("|" + "---|" * len(b.headers))
                lines += ["| " + " | ".join(map(_md_inline, r)) + " |" for r in b.rows]
                lines.append("")
        lines += ["## Sources", ""]
        for n, s in enumerate(self.sources, 1):
            lines.append(f"{n}. {_md_inline(_source_text(s))}" + (f" <{s.url}>" if s.url else ""))
        return "\n".join(lines).rstrip() + "\n"

    def to_html(self) -> str:
        """The brief as one self-contained HTML page (no script, no external asset)."""
        e = _html_inline
        parts = [
            "<!DOCTYPE html>",
            '<html lang="en"><head><meta charset="utf-8">',
            '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
            "style-src 'unsafe-inline'\">",
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{html.escape(self.title)}</title>",
            f"<style>{_CSS}</style></head><body><main>",
            f"<h1>{html.escape(self.title)}</h1>",
        ]
        if self.subtitle:
            parts.append(f'<p class="subtitle">{e(self.subtitle)}</p>')
        toc = [(_slug(b.text), b.text) for b in self.blocks if b.kind == "h2"]
        toc.append(("sources", "Sources"))
        parts.append('<nav class="toc">' + " · ".join(
            f'<a href="#{a}">{html.escape(t)}</a>' for a, t in toc) + "</nav>")
        for b in self.blocks:
            if b.kind == "h2":
                anchor = _slug(b.text)
                parts.append(f'<h2 id="{anchor}">{html.escape(b.text)}</h2>')
            elif b.kind == "p":
                parts.append(f"<p>{e(b.text)}</p>")
            elif b.kind == "list":
                parts.append("<ul>" + "".join(f"<li>{e(i)}</li>" for i in b.items) + "</ul>")
            elif b.kind == "table":
                head = "".join(f"<th>{html.escape(h)}</th>" for h in b.headers)
                body = "".join(
                    "<tr>" + "".join(
                        f'<td class="date">{e(c)}</td>' if _DATE.fullmatch(str(c))
                        else f"<td>{e(c)}</td>" for c in r) + "</tr>" for r in b.rows
                )
                parts.append(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
        parts.append('<h2 id="sources">Sources</h2><ol class="sources">')
        for n, s in enumerate(self.sources, 1):
            link = ""
            if s.url and re.match(r"^https?://", s.url):
                u = html.escape(s.url, quote=True)
                link = f' <a href="{u}" rel="noreferrer">{html.escape(s.url)}</a>'
            elif s.url:
                link = f" {html.escape(s.url)}"
            parts.append(f'<li id="src-{n}">{html.escape(_source_text(s))}{link}</li>')
        parts.append("</ol></main></body></html>")
        return "\n".join(parts) + "\n"


_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_CSS = (
    "td.date{white-space:nowrap}"
    "body{font:15px/1.5 system-ui,sans-serif;margin:0;background:#fafafa;color:#222}"
    "main{max-width:1100px;margin:0 auto;padding:1.5em 2em;background:#fff}"
    "h1{font-size:1.6em;margin-bottom:.2em}h2{margin-top:1.6em;border-bottom:1px solid #ddd}"
    ".subtitle{color:#666;margin-top:0}"
    "table{border-collapse:collapse;width:100%;margin:.6em 0;font-size:.9em}"
    "th,td{border:1px solid #ddd;padding:.3em .5em;text-align:left;vertical-align:top}"
    "th{background:#f0f0f0}tr:nth-child(even) td{background:#fcfcfc}"
    "a{color:#1a5fb4}.sources li{margin:.2em 0}.toc a{margin-right:.3em}"
)


def _n(count: int, noun: str) -> str:
    """``1 open route``, ``2 open routes``."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "section"


def _source_text(s: SourceRef) -> str:
    bits = [s.title]
    if s.publisher:
        bits.append(s.publisher)
    if s.date:
        bits.append(s.date)
    return ". ".join(b.rstrip(".") for b in bits) + "."


def _md_inline(text: str) -> str:
    """Escape what Markdown would treat as markup or raw HTML; keep citations ``[n]``."""
    out = re.sub(r"([\\`*_<>|#])", r"\\\1", text.replace("\n", " "))
    return re.sub(r"\[(?!\d+\])", r"\\[", out)


def _html_inline(text: str) -> str:
    """Escape, then link citations ``[n]`` to the numbered source list."""
    return re.sub(r"\[(\d+)\]", r'<a href="#src-\1">[\1]</a>', html.escape(text))


# ---------------------------------------------------------------------------
# Building briefs
# ---------------------------------------------------------------------------


def _dates(r: Any) -> str:
    bits = []
    if r.valid_from:
        bits.append(f"from {r.valid_from}")
    if r.valid_to:
        bits.append(f"until {r.valid_to}")
    if r.stated_on:
        bits.append(f"stated {r.stated_on}")
    return ", ".join(bits)


def _route_row(b: Brief, r: Route, with_market: bool = False) -> list[str]:
    state = r.state
    restr = "; ".join(
        f"{x.kind} by {x.imposed_by or '?'} ({x.relation}"
        f"{', from ' + x.valid_from if x.valid_from else ''}"
        f"{'' if x.in_force else ', not in force'}) {b.cite(x.sources)}".strip()
        for x in r.restrictions
    )
    row = [", ".join(r.name(m) for m in r.models)]
    if with_market:
        row.append(r.name(r.market))
    row += [
        r.name(r.kind),
        r.name(r.service),
        ", ".join(r.name(s) for s in r.sellers),
        r.name(r.operator) if r.operator else "",
        state + ("" if r.sanctioned is None else (", sanctioned" if r.sanctioned
                                                   else ", not sanctioned")),
        r.name(r.status),
        _dates(r),
        restr,
        b.cite(r.sources),
    ]
    return row


ROUTE_HEADERS = ["model", "kind", "service", "seller", "operator", "open", "status", "dates",
                 "restrictions", "sources"]


def _claim_date(idx: Index, c: Any) -> str:
    for p in (CKG.validFrom, CKG.statedOn):
        v = idx.value(c, p)
        if v is not None:
            return str(v)
    return ""


def _statement(idx: Index, c: Any) -> str:
    v = idx.value(c, RDFS.comment)
    return str(v) if v is not None else idx.label(c)


def _timeline(b: Brief, idx: Index, claims: Iterable[Any]) -> None:
    rows = []
    for c in set(claims):
        date = _claim_date(idx, c)
        if not date:
            continue
        what = "starts" if idx.value(c, CKG.validFrom) is not None else "stated"
        rows.append((date, what, _statement(idx, c), idx.label(idx.value(c, CKG.status)),
                     b.cite(source_refs(idx, c)), str(c)))
        end = idx.value(c, CKG.validTo)
        if end is not None:
            rows.append((str(end), "ends", _statement(idx, c),
                         idx.label(idx.value(c, CKG.status)), b.cite(source_refs(idx, c)),
                         str(c)))
    rows.sort()
    if rows:
        b.table(["date", "event", "claim", "status", "sources"], [list(r[:5]) for r in rows])
    else:
        b.p("No dated claims.")


def _assessment_rows(b: Brief, idx: Index, assessments: Iterable[Any]) -> list[list[str]]:
    out = []
    for a in sorted(set(assessments), key=str):
        out.append([
            ", ".join(idx.label(e) for e in idx.objects(a, CKG.assessedEntity)),
            idx.label(idx.value(a, CKG.kind)),
            str(idx.value(a, CKG.level) or ""),
            ", ".join(idx.label(m) for m in idx.objects(a, CKG.market)),
            _statement(idx, a),
            b.cite(source_refs(idx, a)),
        ])
    return out


def _restriction_rows(b: Brief, idx: Index, restrictions: Iterable[Any],
                      on: dt.date) -> list[list[str]]:
    out = []
    for x in sorted(set(restrictions), key=lambda n: (_claim_date(idx, n), str(n))):
        applies = [idx.label(a) for a in idx.objects(x, CKG.appliesTo)]
        blocks = [shorten(str(r)) for r in idx.objects(x, CKG.blocks)]
        out.append([
            idx.label(idx.value(x, CKG.kind)),
            ", ".join(idx.label(o) for o in idx.objects(x, CKG.imposedBy)),
            _statement(idx, x),
            ", ".join(applies + [f"blocks {r}" for r in blocks]),
            idx.label(idx.value(x, CKG.status)) + ("" if in_force(idx, x, on)
                                                   else " (not in force)"),
            ", ".join(f"{k} {v}" for k, v in (("from", idx.value(x, CKG.validFrom)),
                                              ("until", idx.value(x, CKG.validTo)),
                                              ("stated", idx.value(x, CKG.statedOn)))
                      if v is not None),
            b.cite(source_refs(idx, x)),
        ])
    return out


def _seed_table(b: Brief, kg: KnowledgeGraph, idx: Index, iso: str, source: str) -> bool:
    """Add the comparison table of ``source``; False if the data has none."""
    from channelkg.sparql.query import list_queries, query

    if "seed-table" not in {q.name for q in list_queries()}:
        return False
    try:
        res = query(kg, "seed-table", {"market": iso, "source": source})
    except ChannelKGError:
        return False
    if not res.rows:
        return False
    from channelkg.rdf.terms import expand

    src_node = expand(source)
    src = [source_ref(idx, src_node)] if idx.has_subject(src_node) else []
    b.p(f"Comparison as the source states it, reproduced from the graph {b.cite(src)}"
        .rstrip() + ":")
    headers = ["Provider", "Direct sales in market", "Model access route", "Geopolitical risk"]
    b.table(headers, [["" if c is None else str(c) for c in row] for row in res.rows])
    b.p("Each row is one provider's own channel: a developer whose models reach the market "
        "only through a partner shows \u201cNone\u201d in its own row; the partner's row and "
        "the routes below show how its models get in.")
    return True


def _market_brief(kg: KnowledgeGraph, idx: Index, market: str, source: str,
                  on: dt.date) -> Brief:
    m_iri, m_parts = resolve_market(idx, market)
    label = idx.label(m_iri)
    iso = str(idx.value(m_iri, CKG.isoCode) or "")
    b = Brief(
        title=f"Access to AI models in {label}" + (f" ({iso})" if iso else ""),
        subject=str(m_iri),
        subtitle=f"Brief generated from the channelkg graph; routes and restrictions judged "
        f"as of {on.isoformat()}.",
    )
    rres = routes(idx, None, str(m_iri), on=on)
    spofs = single_points_of_failure(idx, str(m_iri), on=on, include_cut_off=True)

    b.h2("Key findings")
    findings = []

    def weight(s: Any) -> tuple[int, str]:
        third_party = any(c.role != "service" for c in s.critical)
        rank = 0 if third_party else 1 if s.cut_off else 2 if s.critical else 3
        return rank, s.family_label.casefold()

    for s in sorted(spofs, key=weight):
        if s.cut_off:
            closed = [r for r in rres.routes if set(r.models) & _family_models(idx, s.family)]
            why = sorted({x.kind + " by " + x.imposed_by for r in closed for x in r.restrictions
                          if x.relation == "blocks" and x.in_force})
            findings.append(
                f"No open route brings {s.family_label} into {label}"
                + (f" ({'; '.join(why)})" if why else "") + "."
            )
        elif s.critical:
            names = ", ".join(f"{c.label} ({c.role})" for c in s.critical)
            corr = ""
            if s.assessments:
                corr = (" The data's own dependency-risk assessment agrees: "
                        + "; ".join(f"\u201c{a['statement']}\u201d" for a in s.assessments))
            findings.append(
                f"{s.family_label} → {label}: {_n(len(s.open_routes), 'open route')}, "
                f"and {'every one passes' if len(s.open_routes) > 1 else 'it passes'} through "
                f"{names}: {'single points' if len(s.critical) > 1 else 'a single point'} "
                f"of failure.{corr}"
            )
        else:
            cut = ", ".join(c.label for c in s.min_cut)
            findings.append(
                f"{s.family_label} → {label}: {_n(len(s.open_routes), 'open route')} and no "
                f"single point of failure (smallest cut: {cut})."
            )
    b.bullets(findings or [f"No access routes into {label} in the graph."])

    b.h2("Comparison table")
    if not (iso and _seed_table(b, kg, idx, iso, source)):
        b.p(f"The graph holds no comparison table from {shorten(source)} for this market.")

    b.h2("Access routes")
    b.p(f"{sum(r.open for r in rres.routes)} open and "
        f"{_n(sum(not r.open for r in rres.routes), 'closed route')}; open routes first.")
    if rres.routes:
        b.table(ROUTE_HEADERS, [_route_row(b, r) for r in rres.routes])

    b.h2("Restrictions")
    restr = {x for x in idx.instances(CKG.Restriction)
             if set(idx.objects(x, CKG.market)) & set(m_parts)}
    restr |= {URIRef(x.iri) for r in rres.routes for x in r.restrictions}
    rows = _restriction_rows(b, idx, restr, on)
    if rows:
        b.table(["kind", "imposed by", "statement", "applies to", "status", "dates", "sources"],
                rows)
    else:
        b.p("No restriction in the graph concerns this market.")

    b.h2("Single points of failure")
    b.p("Computed from the open routes: the organizations, partnerships and services that "
        "every open route of a model family into the market passes (dominators of the market "
        "in the channel graph). Removing any one of them cuts the market off the family.")
    spof_rows = []
    for s in spofs:
        spof_rows.append([
            s.family_label,
            str(len(s.open_routes)),
            "; ".join(f"{c.label} ({c.role})" for c in s.critical)
            or ("cut off already" if s.cut_off else "none"),
            "; ".join(c.label for c in s.min_cut),
            "; ".join(f"{a['level']}: {a['statement']}" for a in s.assessments),
        ])
    if spof_rows:
        b.table(["model family", "open routes", "single points of failure", "minimum cut",
                 "assessment in the data"], spof_rows)

    assessments = [a for a in idx.instances(CKG.Assessment)
                   if set(idx.objects(a, CKG.market)) & set(m_parts)]
    b.h2("Assessments")
    if assessments:
        b.table(["assessed", "kind", "level", "market", "statement", "sources"],
                _assessment_rows(b, idx, assessments))
    else:
        b.p("No assessment in the graph concerns this market.")

    _disputes(b, idx, [URIRef(r.iri) for r in rres.routes] + list(restr) + assessments)

    b.h2("Timeline")
    claims: set[Any] = {URIRef(r.iri) for r in rres.routes} | restr | set(assessments)
    claims |= {URIRef(p) for r in rres.routes for p in r.depends_on}
    _timeline(b, idx, claims)
    return b


def _family_models(idx: Index, family: str) -> set[str]:
    from channelkg.analysis.index import family_closure

    return {str(m) for m in family_closure(idx, URIRef(family), down=True)}


def _disputes(b: Brief, idx: Index, claims: Iterable[Any]) -> None:
    """One row per disputed claim (then per other claim in a conflict not yet shown),
    with the claims it conflicts with, each once."""
    def fact(c: Any) -> str:
        fid = idx.value(c, CKG.factId)
        return str(fid) if fid is not None else shorten(str(c))

    def others_of(c: Any) -> list[Any]:
        both = idx.objects(c, CKG.conflictsWith) + idx.subjects(CKG.conflictsWith, c)
        return sorted(set(both), key=fact)

    claims = list(claims)
    order = ([c for c in claims if idx.value(c, CKG.status) == CKG.disputed]
             + [c for c in claims if idx.value(c, CKG.status) != CKG.disputed and others_of(c)])
    rows = []
    shown: set[str] = set()
    for c in order:
        if str(c) in shown:
            continue
        others = others_of(c)
        shown.add(str(c))
        shown.update(str(o) for o in others)
        rows.append([
            fact(c),
            _statement(idx, c) + " " + b.cite(source_refs(idx, c)),
            idx.label(idx.value(c, CKG.status)),
            "; ".join(f"{fact(o)}: {_statement(idx, o)} {b.cite(source_refs(idx, o))}"
                      for o in others),
        ])
    if rows:
        b.h2("Disputed claims")
        b.p("Sources disagree on these claims; both sides are kept.")
        b.table(["fact", "claim", "status", "conflicts with"], rows)


def _provider_brief(kg: KnowledgeGraph, idx: Index, provider: str, on: dt.date) -> Brief:
    org = resolve(idx, provider, "organization")
    label = idx.label(org)
    b = Brief(
        title=f"{label}: channels, partnerships and restrictions",
        subject=str(org),
        subtitle=f"Brief generated from the channelkg graph; routes and restrictions judged "
        f"as of {on.isoformat()}.",
    )
    from channelkg.analysis.routes import all_routes

    models = {str(m) for m in idx.subjects(CKG.developer, org)}
    involved = []
    for r in all_routes(idx, on):
        roles = []
        if str(org) in r.sellers:
            roles.append("seller")
        if r.provider == str(org):
            roles.append("service provider")
        if r.operator == str(org):
            roles.append("operator")
        if models & set(r.models):
            roles.append("developer")
        if any(str(org) in map(str, idx.objects(URIRef(p), CKG.party)) for p in r.depends_on):
            roles.append("partner")
        if roles:
            involved.append((r, roles))
    involved.sort(key=lambda x: (x[0].name(x[0].market), not x[0].open, x[0].iri))

    markets = sorted({r.market for r, _ in involved})
    b.h2("Key findings")
    findings = []
    for mk in markets:
        for s in single_points_of_failure(idx, mk, on=on):
            if any(c.iri == str(org) for c in s.critical) or any(
                str(org) in map(str, idx.objects(URIRef(c.iri), CKG.party))
                for c in s.critical if c.role == "partnership"
            ):
                crit = ", ".join(c.label for c in s.critical)
                findings.append(f"{s.market_label} depends on {label} for {s.family_label}: "
                                f"every open route passes through {crit}.")
    n_open = sum(r.open for r, _ in involved)
    findings.append(f"{label} takes part in {_n(len(involved), 'access route')} ({n_open} open) "
                    f"into {_n(len(markets), 'market')}.")
    b.bullets(findings)

    b.h2("Access routes")
    if involved:
        headers = ["role", *ROUTE_HEADERS[:1], "market", *ROUTE_HEADERS[1:]]
        b.table(headers, [[", ".join(roles), *_route_row(b, r, with_market=True)]
                          for r, roles in involved])
    else:
        b.p(f"{label} takes part in no access route in the graph.")

    b.h2("Partnerships")
    parts = sorted(set(idx.subjects(CKG.party, org)), key=str)
    if parts:
        b.table(["partnership", "kind", "parties", "status", "dates", "sources"], [[
            _statement(idx, p),
            idx.label(idx.value(p, CKG.kind)),
            ", ".join(sorted(idx.label(x) for x in idx.objects(p, CKG.party))),
            idx.label(idx.value(p, CKG.status)),
            ", ".join(f"{k} {v}" for k, v in (("from", idx.value(p, CKG.validFrom)),
                                              ("until", idx.value(p, CKG.validTo)),
                                              ("stated", idx.value(p, CKG.statedOn)))
                      if v is not None),
            b.cite(source_refs(idx, p)),
        ] for p in parts])
    else:
        b.p("No partnership in the graph.")

    b.h2("Restrictions")
    targets = {org, *idx.subjects(CKG.provider, org), *idx.subjects(CKG.operator, org),
               *(URIRef(m) for m in models)}
    restr = set(idx.subjects(CKG.imposedBy, org))
    for t in targets:
        restr |= {x for x in idx.subjects(CKG.appliesTo, t) if idx.is_a(x, CKG.Restriction)}
    rows = _restriction_rows(b, idx, restr, on)
    if rows:
        b.table(["kind", "imposed by", "statement", "applies to", "status", "dates", "sources"],
                rows)
    else:
        b.p("No restriction in the graph is imposed by or applies to it.")

    assessments = [a for a in idx.instances(CKG.Assessment)
                   if set(idx.objects(a, CKG.assessedEntity)) & ({org} | set(parts))]
    b.h2("Assessments")
    if assessments:
        b.table(["assessed", "kind", "level", "market", "statement", "sources"],
                _assessment_rows(b, idx, assessments))
    else:
        b.p("No assessment in the graph concerns it.")

    _disputes(b, idx, [URIRef(r.iri) for r, _ in involved] + list(restr) + assessments + parts)

    b.h2("Timeline")
    _timeline(b, idx, {URIRef(r.iri) for r, _ in involved} | restr | set(assessments)
              | set(parts))
    return b


def build_report(
    kg: KnowledgeGraph,
    *,
    market: str | None = None,
    provider: str | None = None,
    source: str = "kgid:source-seed",
    on: dt.date | None = None,
) -> Brief:
    """Build the brief on a market or on a provider.

    Args:
        kg: the graph.
        market: ISO code, slug, CURIE, IRI or label of the market.
        provider: the organization (slug, CURIE, IRI or label); exclusive with ``market``.
        source: the source whose comparison table is reproduced (market briefs).
        on: the day routes and restrictions are judged on (default today).

    Raises:
        InputError: unknown market or organization.
    """
    if bool(market) == bool(provider):
        raise ChannelKGError("give exactly one of market or provider")
    idx = Index.of(kg)
    on = on or dt.date.today()
    if market:
        return _market_brief(kg, idx, market, source, on)
    assert provider is not None
    return _provider_brief(kg, idx, provider, on)


__all__ = ["Block", "Brief", "build_report"]
