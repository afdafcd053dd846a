"""Render a networkx projection as one self-contained, offline HTML page.

The page draws the graph with vis-network (the standalone build vendored, unmodified,
in ``assets/vendor/`` with its licence) and a small script of our own
(``assets/view.js``) for the legend, class and status filters, search, tooltips and
neighbourhood focus. Everything is inlined: the page loads nothing from any host and
writing it creates no file besides the page itself.

Safety: the graph data travels as JSON inside a ``<script type="application/json">``
element with ``<``, ``>``, ``&``, U+2028 and U+2029 escaped; the script builds every
text with DOM text nodes and only links ``http(s)`` URLs. A Content-Security-Policy
allows only the page's own two scripts (by hash) and no network access at all, so
even an injected event handler would not run.

Layout is computed in Python: a seeded spring layout for small graphs (physics stays
on to polish it), and for graphs above ``physics_threshold`` nodes a fast
force-directed layout (local repulsion via a k-d tree, a fixed number of iterations)
with physics switched off, so a 10,000-node view draws in seconds.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from channelkg.errors import ChannelKGError
from channelkg.render.layout import PHYSICS_THRESHOLD, compute_layout, fast_layout
from channelkg.render.network import ASSETS, Schema, graph_schema, load_schema
from channelkg.render.page_time import (
    edge_interval,
    events,
    mark,
    mark_spans,
    spans_of,
    validity_of,
)
from channelkg.render.vis_options import darker, vis_options

if TYPE_CHECKING:
    import networkx as nx  # type: ignore[import-untyped, unused-ignore]

DEFAULT_COLOR = "#97a3b6"
#: No label is drawn smaller than this many pixels on screen.
DEFAULT_SHAPE = "dot"
EDGE_COLOR = "#8a8f98"
_DASHED_STATUS = {"ckg:disputed", "ckg:superseded"}
_HIDDEN_KEYS = {
    "iri",
    "label",
    "class",
    "class_label",
    "classes",
    "claim",
    "sources",
    "predicate",
    "directed",
    "claim_label",
    "full_label",
}
_ROW_ORDER = [
    "comment",
    "status",
    "statusNote",
    "kind",
    "statedOn",
    "validFrom",
    "validTo",
    "snapshot",
    "datePrecision",
    "open",
    "sanctioned",
    "level",
    "quote",
    "factId",
    "isoCode",
    "related",
]


# --------------------------------------------------------------------------- payload


def _text(v: Any) -> str:
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, list):
        return "; ".join(_text(x) for x in v)
    return str(v)


def _rows(attrs: dict[str, Any], schema: Schema) -> list[list[str]]:
    keys = [k for k in attrs if k not in _HIDDEN_KEYS and not k.endswith("_iri")]
    keys.sort(key=lambda k: (_ROW_ORDER.index(k) if k in _ROW_ORDER else len(_ROW_ORDER), k))
    rows = []
    for k in keys:
        v = attrs[k]
        if v is None or v == "" or v == []:
            continue
        if k == "comment":
            name = "statement" if attrs.get("claim") or attrs.get("claim_label") else "comment"
        elif k.startswith("label_"):
            name = f"label ({k[6:]})"
        else:
            name = schema.labels.get(f"ckg:{k}") or k
        rows.append([name, _text(v)])
    return rows


def _sources(attrs: dict[str, Any]) -> list[dict[str, str]]:
    out = []
    for s in attrs.get("sources") or []:
        out.append({k: str(s[k]) for k in ("id", "title", "url", "date", "publisher") if s.get(k)})
    return out


def _dashed(attrs: dict[str, Any]) -> bool:
    status = attrs.get("status_iri")
    statuses = status if isinstance(status, list) else [status]  # a claim may have two
    return any(s in _DASHED_STATUS for s in statuses) or attrs.get("open") is False


@dataclass
class _Tally:
    """What the legend counts while nodes and edges are laid out."""

    classes: Counter[str] = field(default_factory=Counter)
    edge_classes: Counter[str] = field(default_factory=Counter)
    statuses: Counter[str] = field(default_factory=Counter)
    status_labels: dict[str, str] = field(default_factory=dict)

    def mark(self, item: dict[str, Any], d: dict[str, Any]) -> None:
        """Copy status and dashing of the node or edge attributes ``d`` onto ``item``."""
        if d.get("status"):
            status = d.get("status_iri") or d["status"]
            # a claim with two statuses is listed under the first (sorted); its label names both
            item["status"] = str(sorted(status)[0] if isinstance(status, list) else status)
            self.status_labels[item["status"]] = _text(d["status"])
            self.statuses[item["status"]] += 1
        if _dashed(d):
            item["dashed"] = True


def _node_payload(
    graph: nx.MultiDiGraph,
    ids: dict[Any, int],
    pos: dict[Any, tuple[float, float]],
    schema: Schema,
    tally: _Tally,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The page's nodes and their tooltips."""
    nodes: list[dict[str, Any]] = []
    ninfo: list[dict[str, Any]] = []
    validity, spans = validity_of(graph), spans_of(graph)
    for v, i in ids.items():
        d = graph.nodes[v]
        cls = d.get("class") or ""
        group = cls or "_none"
        tally.classes[group] += 1
        x, y = pos.get(v, (0.0, 0.0))
        node: dict[str, Any] = {
            "id": i,
            "key": str(v),
            "label": str(d.get("label", v)),
            "group": group,
            "cls": group,
            "x": round(x, 1),
            "y": round(y, 1),
        }
        tally.mark(node, d)
        mark(node, validity.get(str(v)))
        mark_spans(node, spans.get(str(v)))
        nodes.append(node)
        ninfo.append(
            {
                "t": str(d.get("full_label") or node["label"]),
                "c": d.get("class_label") or cls,
                "k": str(v),
                "rows": [["id", str(v)], *_rows(d, schema)],
                "src": _sources(d),
            }
        )
    return nodes, ninfo


def _edge_info(
    graph: nx.MultiDiGraph, a: Any, b: Any, d: dict[str, Any], label: str, claim_cls: str,
    schema: Schema,
) -> dict[str, Any]:
    """The tooltip of one edge."""
    src_label = graph.nodes[a].get("label", a)
    dst_label = graph.nodes[b].get("label", b)
    rows = [["from", str(src_label)], ["to", str(dst_label)]]
    if d.get("predicate"):
        rows.append(["property", str(d["predicate"])])
    if d.get("claim"):
        rows.append(["claim", f"{d.get('claim_label', '')} ({d['claim']})"])
    rows += _rows(d, schema)
    return {
        "t": label,
        "c": (d.get("class_label") or "") if claim_cls else "relation",
        "rows": rows,
        "src": _sources(d),
    }


def _edge_payload(
    graph: nx.MultiDiGraph, ids: dict[Any, int], schema: Schema, tally: _Tally
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The page's edges (parallel ones fanned out) and their tooltips."""
    edges: list[dict[str, Any]] = []
    einfo: list[dict[str, Any]] = []
    parallel: Counter[tuple[int, int]] = Counter()
    validity, spans = validity_of(graph), spans_of(graph)
    for j, (a, b, k, d) in enumerate(
        sorted(graph.edges(keys=True, data=True), key=lambda t: (str(t[0]), str(t[1]), str(t[2])))
    ):
        claim_cls = d.get("class") if d.get("claim") else ""
        color = EDGE_COLOR
        if claim_cls:
            color = schema.style(claim_cls)[0] or EDGE_COLOR
            tally.edge_classes[claim_cls] += 1
        edge: dict[str, Any] = {
            "id": j,
            "from": ids[a],
            "to": ids[b],
            "label": str(d.get("label", k)),
            "arrows": bool(d.get("directed", True)),
            "color": color,
            "key": str(k),
        }
        if claim_cls:
            edge["cls"] = claim_cls
        tally.mark(edge, d)
        mark(edge, edge_interval(validity, a, b, d.get("claim")))
        if d.get("claim"):
            mark_spans(edge, spans.get(str(d["claim"])))
        pair = (min(ids[a], ids[b]), max(ids[a], ids[b]))
        rank = parallel[pair]
        parallel[pair] += 1
        if rank:
            # Parallel edges (several routes model -> market) fan out instead of overlapping.
            edge["smooth"] = {
                "enabled": True,
                "type": "curvedCW" if rank % 2 else "curvedCCW",
                "roundness": 0.2 * ((rank + 1) // 2),
            }
        edges.append(edge)
        einfo.append(_edge_info(graph, a, b, d, edge["label"], claim_cls, schema))
    return edges, einfo


def _legend(
    schema: Schema, tally: _Tally
) -> tuple[dict[str, dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """vis-network groups (node styles), the legend's classes and its statuses."""
    groups: dict[str, dict[str, Any]] = {}
    classes: list[dict[str, Any]] = []
    for cls, count in sorted(tally.classes.items(), key=lambda t: (-t[1], t[0])):
        style_color, style_shape = schema.style(cls if cls != "_none" else None)
        color = style_color or DEFAULT_COLOR
        shape = style_shape or DEFAULT_SHAPE
        groups[cls] = {
            "color": {
                "background": color,
                "border": darker(color),
                "highlight": {"background": color, "border": "#222"},
                "hover": {"background": color, "border": "#222"},
            },
            "shape": shape,
        }
        classes.append(
            {
                "id": cls,
                "label": schema.label(cls) if cls != "_none" else "(no class)",
                "color": color,
                "shape": shape,
                "count": count,
                "edge": False,
                "styledBy": schema.styled_class(cls if cls != "_none" else None) or "",
            }
        )
    for cls, count in sorted(tally.edge_classes.items(), key=lambda t: (-t[1], t[0])):
        edge_color, _ = schema.style(cls)
        classes.append(
            {
                "id": cls,
                "label": schema.label(cls),
                "color": edge_color or EDGE_COLOR,
                "shape": "line",
                "count": count,
                "edge": True,
                "styledBy": schema.styled_class(cls) or "",
            }
        )
    labels = tally.status_labels
    statuses = [
        {"id": s, "label": labels[s], "count": c}
        for s, c in sorted(tally.statuses.items(), key=lambda t: (labels[t[0]], t[0]))
    ]
    return groups, classes, statuses


def view_payload(
    graph: nx.MultiDiGraph,
    *,
    title: str = "channelkg view",
    physics_threshold: int = PHYSICS_THRESHOLD,
    seed: int = 1,
    ontology: Path | str | None = None,
    positions: dict[Any, tuple[float, float]] | None = None,
    start: str | None = None,
    bundle: bool = True,
) -> dict[str, Any]:
    """The JSON the page's script draws: nodes, edges, styles, legend, tooltips, options.

    ``start``: the node a view was drawn around; the page selects it and shows its
    details when it opens. ``bundle``: draw the many claims of a hub (a market) behind
    one expandable node per class (:func:`~channelkg.render.collapse.hub_bundles`).

    Colours and shapes come from ``ckg:viewColor``/``ckg:viewShape`` of each node's
    class or its nearest styled superclass (``rdfs:subClassOf``), read from the
    projection's schema and, when given, from ``ontology``.
    """
    schema = graph_schema(graph)
    if ontology is not None:
        schema = schema.merge(load_schema(ontology))
    n = graph.number_of_nodes()
    physics = n <= physics_threshold
    pos = positions if positions is not None else compute_layout(graph, seed, physics_threshold)
    ids = {v: i for i, v in enumerate(sorted(graph, key=str))}
    tally = _Tally()
    nodes, ninfo = _node_payload(graph, ids, pos, schema, tally)
    edges, einfo = _edge_payload(graph, ids, schema, tally)
    groups, classes, statuses = _legend(schema, tally)
    return {
        "title": title,
        "physics": physics,
        "lazyEdgeLabels": not physics,
        "nodes": nodes,
        "edges": edges,
        "ninfo": ninfo,
        "einfo": einfo,
        "groups": groups,
        "classes": classes,
        "statuses": statuses,
        "options": vis_options(physics, n, graph.number_of_edges(), seed),
        "start": start if start is not None and start in graph else None,
        "events": events(nodes + edges),
        "bundles": _bundles(graph, ids, schema, start, bundle),
    }


def _bundles(
    graph: nx.MultiDiGraph, ids: dict[Any, int], schema: Schema, start: str | None,
    on: bool,
) -> list[dict[str, Any]]:
    """The page's expandable groups of claims around hubs (:func:`hub_bundles`)."""
    if not on:
        return []
    from channelkg.render.collapse import hub_bundles

    keep = frozenset([start]) if start else frozenset()
    return [
        {"hub": ids[hub], "cls": cls, "label": schema.label(cls) if cls else "claim",
         "members": [ids[m] for m in members]}
        for hub, cls, members in hub_bundles(graph, keep=keep)
    ]


def _vis_assets() -> tuple[str, str]:
    """vis-network's JS and CSS, vendored in ``assets/vendor/``."""
    from channelkg import resources

    vendor = resources.vendor_dir()
    js, css = vendor / "vis-network.min.js", vendor / "vis-network.css"
    if not js.is_file() or not css.is_file():
        raise ChannelKGError(f"vis-network is missing from {vendor}")
    return js.read_text(encoding="utf-8"), css.read_text(encoding="utf-8")


def script_json(obj: Any) -> str:
    """JSON safe to embed in an HTML ``<script>`` element.

    ``<``, ``>`` and ``&`` (so no ``</script>`` or ``<!--`` can appear) and the line
    separators U+2028/U+2029 are written as ``\\uXXXX`` escapes, which JSON.parse reads
    back unchanged.
    """
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
    return (
        text.replace("&", "\\u0026")
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def _sha256(text: str) -> str:
    return (
        "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode() + "'"
    )


def _check_script(text: str, what: str) -> None:
    low = text.lower()
    if "</script" in low or "<!--" in low:
        raise ChannelKGError(f"{what} cannot be inlined safely (contains </script or <!--)")


@dataclass(frozen=True)
class PageExtra:
    """What a kind of page adds to the standard one (e.g. a channel map's column headers).

    ``assets``: names of ``.js`` and ``.css`` files in ``assets/``, inlined after the
    page's own script and style (the scripts allowed by hash like the others);
    ``extend``: called with the payload before it is embedded, to add keys or restyle.
    """

    assets: tuple[str, ...] = ()
    extend: Callable[[dict[str, Any]], None] | None = None


def _extra_assets(extra: PageExtra | None) -> tuple[list[str], list[str]]:
    """The extra scripts and styles of ``extra``, checked for safe inlining."""
    scripts: list[str] = []
    styles: list[str] = []
    for name in extra.assets if extra else ():
        text = (ASSETS / name).read_text(encoding="utf-8")
        if name.endswith(".js"):
            _check_script(text, name)
            scripts.append(text)
        else:
            styles.append(text.replace("</", "<\\/"))
    return scripts, styles


def render_html(
    graph: nx.MultiDiGraph,
    *,
    title: str = "channelkg view",
    physics_threshold: int = PHYSICS_THRESHOLD,
    seed: int = 1,
    ontology: Path | str | None = None,
    positions: dict[Any, tuple[float, float]] | None = None,
    csp: bool = True,
    start: str | None = None,
    extra: PageExtra | None = None,
    bundle: bool = True,
) -> str:
    """Return the self-contained HTML page for ``graph`` (see the module docstring).

    Args:
        graph: a projection from :func:`channelkg.network.to_networkx` (or a selection of it).
        title: page title and heading (escaped).
        physics_threshold: above this many nodes physics is off and the fast layout is used.
        seed: layout seed (same graph and seed, same picture).
        ontology: extra ontology file for class styles and labels.
        positions: precomputed positions in pixels (skips the layout).
        csp: add the Content-Security-Policy (only tests turn it off).
        start: the node the view was drawn around (selected when the page opens).
        extra: scripts, styles and payload additions of a special kind of page.
        bundle: group a hub's many claims behind expandable nodes.
    """
    from channelkg import __version__

    payload = view_payload(
        graph,
        title=title,
        physics_threshold=physics_threshold,
        seed=seed,
        ontology=ontology,
        positions=positions,
        start=start,
        bundle=bundle,
    )
    if extra and extra.extend:
        extra.extend(payload)
    extra_js, extra_css = _extra_assets(extra)
    vis_js, vis_css = _vis_assets()
    view_js = (ASSETS / "view.js").read_text(encoding="utf-8")
    view_css = (ASSETS / "view.css").read_text(encoding="utf-8")
    _check_script(vis_js, "vis-network")
    _check_script(view_js, "view.js")
    policy = (
        "default-src 'none'; "
        f"script-src {' '.join(_sha256(t) for t in [vis_js, view_js, *extra_js])}; "
        "style-src 'unsafe-inline'; img-src data:; font-src data:; "
        "base-uri 'none'; form-action 'none'"
    )
    parts = {
        "CSP": html.escape(policy, quote=True),
        "VERSION": html.escape(str(__version__)),
        "TITLE": html.escape(title),
        "VIS_CSS": vis_css.replace("</", "<\\/"),
        "VIEW_CSS": view_css.replace("</", "<\\/"),
        "DATA": script_json(payload),
        "VIS_JS": vis_js,
        "VIEW_JS": view_js,
        "EXTRA_CSS": "".join(f"<style>{t}</style>\n" for t in extra_css),
        "EXTRA_JS": "".join(f"<script>{t}</script>\n" for t in extra_js),
    }
    template = (ASSETS / "view.html").read_text(encoding="utf-8")
    template = template.replace("</head>", "@@EXTRA_CSS@@</head>", 1).replace(
        "</body>", "@@EXTRA_JS@@</body>", 1)
    if not csp:
        template = "\n".join(
            line for line in template.splitlines() if "Content-Security-Policy" not in line
        )
    import re

    return re.sub(r"@@([A-Z_]+)@@", lambda m: parts[m.group(1)], template)


def write_html(graph: nx.MultiDiGraph, path: Path | str, **kwargs: Any) -> Path:
    """Render ``graph`` with :func:`render_html` and write it atomically to ``path``.

    Nothing else is written (no ``lib/`` folder, no asset files).
    """
    from channelkg.rdf.fileio import atomic_write_text

    path = Path(path)
    atomic_write_text(path, render_html(graph, **kwargs))
    return path


__all__ = [
    "PHYSICS_THRESHOLD",
    "PageExtra",
    "compute_layout",
    "fast_layout",
    "render_html",
    "script_json",
    "view_payload",
    "vis_options",
    "write_html",
]
