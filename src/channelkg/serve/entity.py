"""Entity pages of ``channelkg serve``: ``/entity/<slug>``.

A page names the node (the one label policy), its classes, every claim about it with
status, dates and sources (the explanation of :func:`channelkg.analysis.provenance.explain`),
a timeline of its dated claims (drawn by the static ``charts.js`` from a JSON data block)
and its neighbourhood map (``/entity/<slug>?part=map``: the page ``channelkg view
--around`` draws, shown in a sandboxed frame, but that a hub's map stops at
:data:`MAP_LIMIT` neighbours and its time slider is worked out from the map's own
dates). ``?part=json`` gives the explanation as JSON (the shape of ``channelkg explain
--format json``).

Nothing is copied from the worker's graph: the explanation reads the node's triples and
those of what it links to through the worker's analysis index, and the map projects the
node's neighbourhood only. A section lists at most :data:`PAGE_LIMIT` facts (the first
by IRI) and says how many more there are, with a link to the query that lists exactly
them (the JSON gives the section's ``total`` and that ``query``; a section no graph pattern
finds has neither link nor ``query``); a map draws at most :data:`MAP_LIMIT` neighbours and
says how many it draws of how many the node has.

The slug is anything the one resolver accepts: the local name of a ``kgid:`` IRI
(``azure-china``), a CURIE (``ckg:CloudPartner``), a fact id (``AZ-16``) or a full IRI.
Every text is HTML-escaped; only ``http(s)`` URLs become outbound links, and links to
other entities are relative, so no value of the graph can add a script or a
``javascript:`` link. The page runs no inline script (its scripts are static files).

A page is built in a query worker (which holds the graph): :class:`EntityJob` is sent
through the worker pool like a query.
"""

from __future__ import annotations

import html
import re
import urllib.parse
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from channelkg.errors import ChannelKGError, InputError
from channelkg.rdf.namespaces import CKG, KGID

if TYPE_CHECKING:
    from rdflib.term import Node

    from channelkg.analysis.provenance import Explanation, Fact
    from channelkg.graph.base import KnowledgeGraph
    from channelkg.serve.app import Reply

PARTS = ("page", "map", "json")
_CURIE = re.compile(r"\b((?:kgid|ckg):[A-Za-z0-9_][A-Za-z0-9_.-]*[A-Za-z0-9_])")
_URL = re.compile(r"https?://[^\s<>\"']+")


def slug(iri: str) -> str:
    """The path segment of an entity page: ``kgid:`` local name, ``ckg:`` CURIE, else the IRI.

    Percent-encoded (``/`` and ``:`` too), so it is one relative path segment.
    """
    if iri.startswith(str(KGID)):
        text = iri[len(str(KGID)):]
    elif iri.startswith(str(CKG)):
        text = "ckg:" + iri[len(str(CKG)):]
    else:
        text = iri
    return urllib.parse.quote(text, safe="")


def _esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def _link_curies(text: str) -> str:
    """Escaped text with every ``kgid:``/``ckg:`` name linked to its entity page."""
    from channelkg.rdf.terms import expand

    out, at = [], 0
    for m in _CURIE.finditer(text):
        out.append(_esc(text[at:m.start()]))
        out.append(f'<a href="{slug(str(expand(m.group(1))))}">{_esc(m.group(1))}</a>')
        at = m.end()
    out.append(_esc(text[at:]))
    return "".join(out)


def _link_urls(text: str) -> str:
    """Escaped text with ``http(s)`` URLs as outbound links (nothing else is linked)."""
    out, at = [], 0
    for m in _URL.finditer(text):
        out.append(_esc(text[at:m.start()]))
        url = m.group(0)
        out.append(f'<a href="{_esc(url)}" rel="noopener noreferrer" target="_blank">'
                   f'{_esc(url)}</a>')
        at = m.end()
    out.append(_esc(text[at:]))
    return "".join(out)


def _dates(f: Fact) -> dict[str, str]:
    d = f.dates
    pairs = (("stated", d.stated_on), ("from", d.valid_from), ("to", d.valid_to))
    return {k: v.isoformat() for k, v in pairs if v is not None}


def timeline_items(ex: Explanation) -> list[dict[str, Any]]:
    """The dated facts of an explanation as timeline items (start, end, label, link)."""
    items = []
    for f in ex.facts():
        d = _dates(f)
        start = d.get("from") or d.get("stated")
        if not start:
            continue
        text = f.statement or f.label or f.fact_id
        items.append({
            "start": start,
            "end": d.get("to"),
            "label": (f.fact_id + ": " if f.fact_id else "") + text,
            "href": slug(str(f.node)),
            "status": f.status.split(" (", 1)[0],
        })
    items.sort(key=lambda i: (i["start"], i["label"]))
    return items


def _status(status: str) -> str:
    """The status word, then its note (``reported (one channel, two sources ...)``) smaller."""
    word, sep, note = status.partition(" (")
    small = f"<small>{_esc(sep + note)}</small>" if sep else ""
    return f"<div class=st><b>{_esc(word)}</b>{small}</div>"


def _fact_row(f: Fact) -> str:
    from channelkg.rdf.terms import display

    d = _dates(f)
    cls = "/".join(c for c in f.classes if c != "Claim") or "/".join(f.classes)
    marks = "".join(
        f'<div class="{"alarm" if m.split(" ", 1)[0].rstrip(":").isupper() else "mark"}">'
        f"{_link_curies(m)}</div>"
        for m in f.marks
    )
    details = "".join(f"<div><span class=key>{_esc(k)}:</span> {_link_curies(v)}</div>"
                      for k, v in f.details)
    sources = "".join(f"<li>{_link_urls(s)}</li>" for s in f.sources)
    fact_id = f"<div class=factid>{_esc(f.fact_id)}</div>" if f.fact_id else ""
    return (
        f'<tr><td><a class=claim href="{slug(str(f.node))}">{_esc(display(f.node))}</a>'
        f"{fact_id}</td><td>{_esc(cls)}</td>"
        f"<td class=status>{_status(f.status)}{marks}</td>"
        + "<td class=dates>" + "".join(f"<div>{k} {_esc(v)}</div>" for k, v in d.items())
        + "</td>"
        + f"<td>{_esc(f.statement or f.label)}{details}</td>"
        f'<td><ul class=sources>{sources}</ul></td></tr>'
    )


_HEAD = ("<colgroup><col class=c-claim><col class=c-class><col class=c-status>"
         "<col class=c-dates><col><col class=c-sources></colgroup><thead><tr><th>claim</th>"
         "<th>class</th><th>status</th><th>dates</th><th>statement</th><th>sources</th>"
         "</tr></thead>")


def _facts_table(facts: Iterable[Fact]) -> str:
    rows = "".join(_fact_row(f) for f in facts)
    return f"<table class=claims>{_HEAD}<tbody>{rows}</tbody></table>"


def _classes(graph: Any, node: Node) -> str:
    from rdflib.namespace import RDF

    from channelkg.model.labels import label
    from channelkg.rdf.terms import display

    links = [
        f'<a href="{slug(str(c))}">{_esc(label(graph.objects, c))}</a>'
        if str(c).startswith((str(CKG), str(KGID))) else f"<code>{_esc(display(c))}</code>"
        for c in sorted(graph.objects(node, RDF.type), key=str)
    ]
    return ", ".join(links) or "(none)"


def _more(ex: Explanation, title: str, shown: int) -> str:
    """The line under a section cut at the limit: how many more, and the query that
    lists them all (opened in the query page, as a table)."""
    cut = ex.cut(title)
    if cut is None:
        return ""
    link = ""
    if cut.query:
        fragment = urllib.parse.urlencode({"query": cut.query, "view": "table"})
        link = (f' <a class=as-query href="../#{_esc(fragment)}">List all {cut.total} as a '
                "query</a>.")
    return (f"<p class=more>{cut.total - shown} more not listed here (the first {shown} by "
            f"IRI are).{link}</p>")


def _section(ex: Explanation, title: str, facts: tuple[Fact, ...]) -> str:
    cut = ex.cut(title)
    count = f"{len(facts)} of {cut.total}" if cut is not None else str(len(facts))
    return (f"<section class=facts><h3>{_esc(title)} ({count})</h3>{_facts_table(facts)}"
            f"{_more(ex, title, len(facts))}</section>")


def entity_html(kg: KnowledgeGraph, ex: Explanation, *, title: str, index: Any = None) -> str:
    """The entity page of an explanation (see the module docstring); ``index``: the
    worker's analysis index of ``kg`` (made if not given)."""
    from channelkg.analysis.index import Index, IndexGraph
    from channelkg.model.labels import label
    from channelkg.rdf.terms import display
    from channelkg.render.page import script_json

    graph = IndexGraph(index if index is not None else Index.of(kg))
    f = ex.focus
    name = label(graph.objects, f.node)
    head = [("IRI", f"<code>{_esc(str(f.node))}</code>"), ("class", _classes(graph, f.node))]
    if f.status or f.fact_id:
        head.append(("status", _status(f.status)))
        head += [(k, _esc(v)) for k, v in _dates(f).items()]
    if f.statement and f.statement != name:
        head.append(("statement", _esc(f.statement)))
    head += [(k, _link_curies(v)) for k, v in f.details]
    head += [("source", _link_urls(s)) for s in f.sources]
    head += [("note", _link_curies(m)) for m in f.marks]
    here = slug(str(f.node))
    fragment = urllib.parse.urlencode({"named": "entity", "p.entity": display(f.node),
                                       "view": "graph"})
    head.append(("see also", f'<a id="as-query" href="../#{_esc(fragment)}">its triples as a '
                 f'query</a> · <a id="as-json" href="{here}?part=json">this page as JSON</a>'))
    dl = "".join(f"<dt>{_esc(k)}</dt><dd>{v}</dd>" for k, v in head)
    sections = "".join(_section(ex, t, fs) for t, fs in ex.sections
                       ) or "<p class=note>No claim names it.</p>"
    notes = "".join(f"<p class=note>{_esc(n)}</p>" for n in ex.notes)
    items = timeline_items(ex)
    listed = " listed below" if ex.cuts else ""
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_esc(name)} · {_esc(title)}</title>
<link rel="stylesheet" href="../static/style.css">
</head>
<body class="entity-page">
<header>
  <h1><a href="../">{_esc(title)}</a> <span>entity</span></h1>
</header>
<main>
<h2 id="entity-label">{_esc(name)}</h2>
<dl class="entity-head">{dl}</dl>
{notes}
<section class="timeline"><h3>Timeline of its dated claims{listed} ({len(items)})</h3>
<div id="timeline" class="chart"></div></section>
<section class="map"><h3>Neighbourhood</h3>
<iframe id="map" src="{here}?part=map" sandbox="allow-scripts allow-popups"
 title="neighbourhood of {_esc(name)}"></iframe></section>
{sections}
</main>
<script type="application/json" id="timeline-data">{script_json(items)}</script>
<script src="../static/charts.js"></script>
<script src="../static/entity.js"></script>
</body>
</html>
"""


def map_html(kg: KnowledgeGraph, node: Node, reader: Any = None) -> str:
    """The neighbourhood view around ``node``: the page ``channelkg view --around NODE``
    draws (sources drawn when it is one), projected from the node's neighbourhood only
    (:mod:`channelkg.serve.neighbourhood`); a hub draws its first neighbours and its
    title says how many of how many. Its time slider is worked out from the map's own
    dates, so it has one where the view (which reckons over the whole graph's dates and
    gives up past :data:`~channelkg.render.page_time.MAX_STRETCHES` stretches) has none."""
    from channelkg.render.page import render_html
    from channelkg.render.selection import Selection
    from channelkg.serve.neighbourhood import Reader, neighbourhood_graph

    sel = Selection(around=str(node), depth=1)
    try:
        graph, start, total = neighbourhood_graph(reader or Reader(kg), node, MAP_LIMIT)
    except InputError as err:
        return ('<!doctype html><html lang="en"><head><meta charset="utf-8"><title>map</title>'
                '<link rel="stylesheet" href="../static/style.css"></head><body>'
                f'<p class="note" id="no-map">No map: {_esc(err.message)}.</p></body></html>\n')
    label = str(graph.nodes[start].get("label") or start)
    title = sel.title(label)
    drawn = len(set(graph.predecessors(start)) | set(graph.successors(start)))
    if drawn < total:
        title += f": {drawn} of its {total} neighbours drawn (the first by key)"
    return render_html(graph, title=title, start=start)


#: The most facts an entity page (and its JSON) lists per section (the bundled graph's
#: largest section has 45); the rest are counted and listed by a query.
PAGE_LIMIT = 100
#: The most neighbours a map draws (see :mod:`channelkg.serve.neighbourhood`).
MAP_LIMIT = 150

#: The worker's graph with its analysis index and its map reader (see :func:`worker_index`).
_KEPT: list[tuple[KnowledgeGraph, Any, Any]] = []


def worker_index(kg: KnowledgeGraph) -> tuple[Any, Any]:
    """The analysis index and the map reader of the worker's graph, made once and then
    reused: a worker's graph is read-only, so what they read stays true to it. Neither
    copies the graph: both read it one pattern at a time, as pyoxigraph terms (a
    backend without an Oxigraph store is copied once into one by the index)."""
    from channelkg.analysis.index import Index
    from channelkg.serve.neighbourhood import Reader

    if not _KEPT or _KEPT[0][0] is not kg:
        idx = Index.of(kg)
        _KEPT[:] = [(kg, idx, Reader(idx.kg))]
    return _KEPT[0][1], _KEPT[0][2]


@dataclass(frozen=True)
class EntityJob:
    """A request for an entity page, answered by a query worker (see :meth:`run`)."""

    ref: str
    part: str = "page"
    title: str = "channelkg"

    def run(self, kg: KnowledgeGraph) -> Reply:
        """Build the page (or map, or JSON); 404 with the resolver's message if unknown."""
        from channelkg.analysis.provenance import explain, render_json
        from channelkg.model.resolve import resolve_in
        from channelkg.serve.app import Reply

        idx, reader = worker_index(kg)
        try:
            if self.part == "map":  # the map needs the node, not its explanation
                node = resolve_in(idx.kg, self.ref, "entity")
            else:
                ex = explain(kg, self.ref, limit=PAGE_LIMIT, index=idx)
        except InputError as err:
            return _not_found(self.ref, err.message, self.title)
        try:
            if self.part == "json":
                return Reply(200, "application/json", render_json([ex]).encode("utf-8"))
            if self.part == "map":
                body = map_html(kg, node, reader)
            else:
                body = entity_html(kg, ex, title=self.title, index=idx)
        except ChannelKGError as err:
            return Reply(500, "text/plain; charset=utf-8", f"{err}\n".encode())
        # The map is framed by its entity page: its own policy (the page's meta policy
        # allows its inline scripts by hash) and frames from the same origin only.
        headers = {"Content-Security-Policy": MAP_POLICY, "X-Frame-Options": "SAMEORIGIN"} if (
            self.part == "map") else {}
        return Reply(200, "text/html; charset=utf-8", body.encode("utf-8"), headers)


#: The header policy of a map part (its scripts are governed by the page's meta policy).
MAP_POLICY = "frame-ancestors 'self'; object-src 'none'; base-uri 'none'; form-action 'none'"


def _not_found(ref: str, message: str, title: str) -> Reply:
    from channelkg.serve.app import Reply

    body = (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>not found · '
            f'{_esc(title)}</title><link rel="stylesheet" href="../static/style.css"></head>'
            f'<body class="entity-page"><header><h1><a href="../">{_esc(title)}</a> '
            f'<span>entity</span></h1></header><main><h2>Not found</h2>'
            f'<p id="not-found">{_esc(ref)}: {_esc(message)}</p></main></body></html>\n')
    return Reply(404, "text/html; charset=utf-8", body.encode("utf-8"))


__all__ = ["MAP_LIMIT", "PAGE_LIMIT", "PARTS", "EntityJob", "entity_html", "map_html", "slug",
           "timeline_items", "worker_index"]
