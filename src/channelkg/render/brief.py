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
from collections.abc import Iterable, Sequence
from typing import Any

from rdflib import Literal, URIRef

from channelkg.analysis.records import all_routes, count_channels
from channelkg.analysis.routes import (
    Index,
    Route,
    SpofResult,
    in_force,
    resolve,
    resolve_market,
    routes,
    single_points_of_failure,
    source_ref,
    source_refs,
)
from channelkg.analysis.vocab import (
    APPLIES_TO,
    ASSESSED_ENTITY,
    ASSESSMENT,
    BLOCKS,
    COMMENT,
    CONFLICTS_WITH,
    DATE_PRECISION,
    DEVELOPER,
    DISPUTED,
    FACT_ID,
    IMPOSED_BY,
    ISO_CODE,
    KIND,
    LEVEL,
    MARKET,
    OPERATOR,
    PARTY,
    PROVIDER,
    RESTRICTION,
    STATED_ON,
    STATUS,
    VALID_FROM,
    VALID_TO,
)
from channelkg.errors import ChannelKGError
from channelkg.graph.memory import KnowledgeGraph
from channelkg.rdf.terms import shorten
from channelkg.render.document import Block, Brief


def _n(count: int, noun: str) -> str:
    """``1 open route``, ``2 open routes``."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _routes_told(rs: Sequence[Route], noun: str) -> str:
    """``2 open routes``, counted as channels: ``1 open route (told by 2 accounts)`` when
    route nodes are accounts of one channel (``ckg:sameChannelAs``)."""
    n = count_channels(rs)
    return _n(n, noun) + (f" (told by {len(rs)} accounts)" if len(rs) > n else "")


def _routes_paragraph(rs: Sequence[Route]) -> str:
    """How many open and closed routes (channels) the table lists, and how to read it."""
    open_rs = [r for r in rs if r.open]
    open_channels = {r.channel_key for r in open_rs}
    closed_rs = [r for r in rs if not r.open and r.channel_key not in open_channels]
    text = (f"{count_channels(open_rs)} open and "
            f"{_n(count_channels(closed_rs), 'closed route')}; open routes first.")
    if count_channels(rs) < len(rs):
        text += (" Two rows whose open column says \u201csame channel as\u201d the other are "
                 "two accounts of one channel, whose sources differ on its details; it "
                 "counts once.")
    return text


# ---------------------------------------------------------------------------
# Building briefs
# ---------------------------------------------------------------------------


def _dates(valid_from: Any, valid_to: Any, stated_on: Any, precision: str) -> str:
    """A route's or restriction's dates at its precision (``2024-06`` for a month);
    ``undated`` when its source gives no date (it then holds on every day)."""
    from channelkg.graph.validity import at_precision

    return ", ".join(f"{k} {at_precision(str(v), precision)}" for k, v in (
        ("from", valid_from), ("until", valid_to), ("stated", stated_on)) if v) or "undated"


def _route_row(b: Brief, r: Route, with_market: bool = False,
               by_iri: dict[str, Route] | None = None) -> list[str]:
    state = r.state + ("" if r.sanctioned is None else (", sanctioned" if r.sanctioned
                                                         else ", not sanctioned"))
    known = by_iri or {}
    others = [known[a] for a in r.accounts if a in known]
    if others:  # two accounts of one channel (ckg:sameChannelAs)
        state += "; same channel as the route via " + ", ".join(
            o.name(o.service) for o in others)
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
        state,
        r.name(r.status),
        _dates(r.valid_from, r.valid_to, r.stated_on, r.precision),
        restr,
        b.cite(r.sources),
    ]
    return row


ROUTE_HEADERS = ["model", "kind", "service", "seller", "operator", "open", "status", "dates",
                 "restrictions", "sources"]


def _claim_date(idx: Index, c: Any) -> str:
    for p in (VALID_FROM, STATED_ON):
        v = idx.value(c, p)
        if v is not None:
            return str(v)
    return ""


def _statement(idx: Index, c: Any) -> str:
    v = idx.value(c, COMMENT)
    return str(v) if v is not None else idx.label(c)


def _timeline(b: Brief, idx: Index, claims: Iterable[Any]) -> None:
    """Dated events in the order ``timeline`` gives them: a month or year date takes
    effect after its period and prints at its precision (graph.validity)."""
    from channelkg.graph.validity import as_date, at_precision, effective, precision_of

    rows = []
    shown: dict[tuple[str, str], tuple[str, str]] = {}  # (day, precision): (key, as printed)

    def when(day: str, precision: str) -> tuple[str, str]:
        got = shown.get((day, precision))
        if got is None:
            key = effective(as_date(Literal(day)), precision)
            got = shown[(day, precision)] = (key.isoformat() if key else day,
                                             at_precision(day, precision))
        return got

    for c in set(claims):
        date = _claim_date(idx, c)
        if not date:
            continue
        precision = precision_of(idx.value(c, DATE_PRECISION))
        what = "starts" if idx.value(c, VALID_FROM) is not None else "stated"
        end = idx.value(c, VALID_TO)
        for day, event in ((date, what), *(((str(end), "ends"),) if end is not None else ())):
            rows.append((*when(day, precision), event,
                         _statement(idx, c), idx.label(idx.value(c, STATUS)), str(c), c))
    # Sorted before the sources are cited, so that they are numbered in the order shown
    # (a set's order differs between processes).
    rows.sort(key=lambda r: r[:6])
    if rows:
        b.table(["date", "event", "claim", "status", "sources"],
                [[*r[1:5], b.cite(source_refs(idx, r[6]))] for r in rows])
    else:
        b.p("No dated claims.")


def _assessment_rows(b: Brief, idx: Index, assessments: Iterable[Any]) -> list[list[str]]:
    out = []
    for a in sorted(set(assessments), key=str):
        out.append([
            ", ".join(idx.label(e) for e in idx.objects(a, ASSESSED_ENTITY)),
            idx.label(idx.value(a, KIND)),
            str(idx.value(a, LEVEL) or ""),
            ", ".join(idx.label(m) for m in idx.objects(a, MARKET)),
            _statement(idx, a),
            b.cite(source_refs(idx, a)),
        ])
    return out


def _restriction_rows(b: Brief, idx: Index, restrictions: Iterable[Any],
                      on: dt.date) -> list[list[str]]:
    from channelkg.graph.validity import precision_of

    out = []
    for x in sorted(set(restrictions), key=lambda n: (_claim_date(idx, n), str(n))):
        applies = [idx.label(a) for a in idx.objects(x, APPLIES_TO)]
        blocks = [shorten(str(r)) for r in idx.objects(x, BLOCKS)]
        out.append([
            idx.label(idx.value(x, KIND)),
            ", ".join(idx.label(o) for o in idx.objects(x, IMPOSED_BY)),
            _statement(idx, x),
            ", ".join(applies + [f"blocks {r}" for r in blocks]),
            idx.label(idx.value(x, STATUS)) + ("" if in_force(idx, x, on)
                                                   else " (not in force)"),
            _dates(idx.value(x, VALID_FROM), idx.value(x, VALID_TO), idx.value(x, STATED_ON),
                   precision_of(idx.value(x, DATE_PRECISION))),
            b.cite(source_refs(idx, x)),
        ])
    return out


def _seed_table(b: Brief, kg: KnowledgeGraph, idx: Index, iso: str, source: str) -> bool:
    """Add the comparison table of ``source``; False if the data has none."""
    from channelkg.sparql.query import convert_param, list_queries, query_base, run
    from channelkg.sparql.query import resolve as named_query

    if "seed-table" not in {q.name for q in list_queries()}:
        return False
    try:
        # The market is resolved by the index (the brief's own market when the ISO code is
        # what it was asked for: no second name lookup); a code that names no single
        # market would bind as a literal and match nothing.
        text, nq = named_query("seed-table")
        declared = {p.name: p for p in nq.params} if nq is not None else {}
        bound = {"market": resolve(idx, iso, "market"),
                 "source": convert_param(declared["source"], source)}
        res = run(kg, text, bound, base=query_base("seed-table"))
    except (ChannelKGError, KeyError):
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


def _market_findings(idx: Index, label: str, all_routes: Sequence[Route],
                     spofs: Sequence[SpofResult]) -> list[str]:
    """One finding per model family: cut off, single points of failure, or none."""
    findings: list[str] = []

    def weight(s: Any) -> tuple[int, str]:
        third_party = any(c.role != "service" for c in s.critical)
        rank = 0 if third_party else 1 if s.cut_off else 2 if s.critical else 3
        return rank, s.family_label.casefold()

    for s in sorted(spofs, key=weight):
        if s.cut_off:
            closed = [r for r in all_routes if set(r.models) & _family_models(idx, s.family)]
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
                f"{s.family_label} → {label}: {_routes_told(s.open_routes, 'open route')}, "
                f"and {'every one passes' if s.channels > 1 else 'it passes'} through "
                f"{names}: {'single points' if len(s.critical) > 1 else 'a single point'} "
                f"of failure.{corr}"
            )
        else:
            cut = ", ".join(c.label for c in s.min_cut)
            findings.append(
                f"{s.family_label} → {label}: {_routes_told(s.open_routes, 'open route')} and no "
                f"single point of failure (smallest cut: {cut})."
            )
    return findings


def _spof_table(b: Brief, spofs: Sequence[SpofResult]) -> None:
    """The single points of failure of each family, with the minimum cut and assessments."""
    spof_rows = []
    for s in spofs:
        spof_rows.append([
            s.family_label,
            str(s.channels),
            "; ".join(f"{c.label} ({c.role})" for c in s.critical)
            or ("cut off already" if s.cut_off else "none"),
            "; ".join(c.label for c in s.min_cut),
            "; ".join(f"{a['level']}: {a['statement']}" for a in s.assessments),
        ])
    if spof_rows:
        b.table(["model family", "open routes", "single points of failure", "minimum cut",
                 "assessment in the data"], spof_rows)


def _market_brief(kg: KnowledgeGraph, idx: Index, market: str, source: str,
                  on: dt.date) -> Brief:
    m_iri, m_parts = resolve_market(idx, market)
    label = idx.label(m_iri)
    iso = str(idx.value(m_iri, ISO_CODE) or "")
    b = Brief(
        title=f"Access to AI models in {label}" + (f" ({iso})" if iso else ""),
        subject=str(m_iri),
        subtitle=f"Brief generated from the channelkg graph; routes and restrictions judged "
        f"as of {on.isoformat()}.",
    )
    rres = routes(idx, None, str(m_iri), on=on)
    spofs = single_points_of_failure(idx, str(m_iri), on=on, include_cut_off=True)

    b.h2("Key findings")
    findings = _market_findings(idx, label, rres.routes, spofs)
    b.bullets(findings or [f"No access routes into {label} in the graph."])

    b.h2("Comparison table")
    if not (iso and _seed_table(b, kg, idx, iso, source)):
        b.p(f"The graph holds no comparison table from {shorten(source)} for this market.")

    b.h2("Access routes")
    b.p(_routes_paragraph(rres.routes))
    if rres.routes:
        by_iri = {r.iri: r for r in rres.routes}
        b.table(ROUTE_HEADERS, [_route_row(b, r, by_iri=by_iri) for r in rres.routes])

    b.h2("Restrictions")
    in_market = sorted({x for m in m_parts for x in idx.subjects(MARKET, m)}, key=str)
    restr = {x for x in in_market if idx.is_a(x, RESTRICTION)}
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
    _spof_table(b, spofs)

    assessments = [a for a in in_market if idx.is_a(a, ASSESSMENT)]
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
        fid = idx.value(c, FACT_ID)
        return str(fid) if fid is not None else shorten(str(c))

    def others_of(c: Any) -> list[Any]:
        both = idx.objects(c, CONFLICTS_WITH) + idx.subjects(CONFLICTS_WITH, c)
        return sorted(set(both), key=fact)

    # By fact id: the claims come partly from sets, whose order differs between processes.
    claims = sorted(set(claims), key=lambda c: (fact(c), str(c)))
    order = ([c for c in claims if idx.value(c, STATUS) == DISPUTED]
             + [c for c in claims if idx.value(c, STATUS) != DISPUTED and others_of(c)])
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
            idx.label(idx.value(c, STATUS)),
            "; ".join(f"{fact(o)}: {_statement(idx, o)} {b.cite(source_refs(idx, o))}"
                      for o in others),
        ])
    if rows:
        b.h2("Disputed claims")
        b.p("Sources disagree on these claims; both sides are kept.")
        b.table(["fact", "claim", "status", "conflicts with"], rows)


def _involvement(idx: Index, org: URIRef, models: set[str],
                 on: dt.date) -> list[tuple[Route, list[str]]]:
    """The routes the organization takes part in, with its roles, by market."""
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
        if any(str(org) in map(str, idx.objects(URIRef(p), PARTY)) for p in r.depends_on):
            roles.append("partner")
        if roles:
            involved.append((r, roles))
    involved.sort(key=lambda x: (x[0].name(x[0].market), not x[0].open, x[0].iri))
    return involved


def _partnership_table(b: Brief, idx: Index, parts: Sequence[Any]) -> None:
    """The partnerships with kind, parties, status, dates and sources."""
    if parts:
        b.table(["partnership", "kind", "parties", "status", "dates", "sources"], [[
            _statement(idx, p),
            idx.label(idx.value(p, KIND)),
            ", ".join(sorted(idx.label(x) for x in idx.objects(p, PARTY))),
            idx.label(idx.value(p, STATUS)),
            ", ".join(f"{k} {v}" for k, v in (("from", idx.value(p, VALID_FROM)),
                                              ("until", idx.value(p, VALID_TO)),
                                              ("stated", idx.value(p, STATED_ON)))
                      if v is not None),
            b.cite(source_refs(idx, p)),
        ] for p in parts])
    else:
        b.p("No partnership in the graph.")


def _provider_brief(kg: KnowledgeGraph, idx: Index, provider: str, on: dt.date) -> Brief:
    org = resolve(idx, provider, "organization")
    label = idx.label(org)
    b = Brief(
        title=f"{label}: channels, partnerships and restrictions",
        subject=str(org),
        subtitle=f"Brief generated from the channelkg graph; routes and restrictions judged "
        f"as of {on.isoformat()}.",
    )
    models = {str(m) for m in idx.subjects(DEVELOPER, org)}
    involved = _involvement(idx, org, models, on)

    markets = sorted({r.market for r, _ in involved})
    b.h2("Key findings")
    findings = []
    for mk in markets:
        for s in single_points_of_failure(idx, mk, on=on):
            if any(c.iri == str(org) for c in s.critical) or any(
                str(org) in map(str, idx.objects(URIRef(c.iri), PARTY))
                for c in s.critical if c.role == "partnership"
            ):
                crit = ", ".join(c.label for c in s.critical)
                findings.append(f"{s.market_label} depends on {label} for {s.family_label}: "
                                f"every open route passes through {crit}.")
    taken = [r for r, _ in involved]
    n_open = count_channels(r for r in taken if r.open)
    findings.append(f"{label} takes part in {_routes_told(taken, 'access route')} "
                    f"({n_open} open) into {_n(len(markets), 'market')}.")
    b.bullets(findings)

    b.h2("Access routes")
    if involved:
        headers = ["role", *ROUTE_HEADERS[:1], "market", *ROUTE_HEADERS[1:]]
        by_iri = {r.iri: r for r in taken}
        b.table(headers, [[", ".join(roles), *_route_row(b, r, with_market=True, by_iri=by_iri)]
                          for r, roles in involved])
    else:
        b.p(f"{label} takes part in no access route in the graph.")

    b.h2("Partnerships")
    parts = sorted(set(idx.subjects(PARTY, org)), key=str)
    _partnership_table(b, idx, parts)

    b.h2("Restrictions")
    targets = {org, *idx.subjects(PROVIDER, org), *idx.subjects(OPERATOR, org),
               *(URIRef(m) for m in models)}
    restr = set(idx.subjects(IMPOSED_BY, org))
    for t in targets:
        restr |= {x for x in idx.subjects(APPLIES_TO, t) if idx.is_a(x, RESTRICTION)}
    rows = _restriction_rows(b, idx, restr, on)
    if rows:
        b.table(["kind", "imposed by", "statement", "applies to", "status", "dates", "sources"],
                rows)
    else:
        b.p("No restriction in the graph is imposed by or applies to it.")

    assessments = [a for a in idx.instances(ASSESSMENT)
                   if set(idx.objects(a, ASSESSED_ENTITY)) & ({org} | set(parts))]
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
