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
import math
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

from channelkg.errors import ChannelKGError
from channelkg.render.network import ASSETS, Schema, graph_schema, load_schema

if TYPE_CHECKING:
    import networkx as nx  # type: ignore[import-untyped, unused-ignore]

PHYSICS_THRESHOLD = 300
DEFAULT_COLOR = "#97a3b6"
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


# --------------------------------------------------------------------------- layout


def fast_layout(
    graph: nx.Graph, seed: int = 1, iterations: int = 40
) -> dict[Any, tuple[float, float]]:
    """Force-directed layout in about O(n log n) per iteration, for large graphs.

    Fruchterman-Reingold forces with two approximations: exact repulsion only from
    the few nearest nodes (k-d tree), and the rest of the repulsion from the centres
    of mass of a coarse grid (as Barnes-Hut does with a quadtree). Springs pull along
    edges; a cooling cap limits each step. Positions start from a breadth-first
    spiral, so connected nodes start close together. Deterministic for a given seed.
    Units: one ideal edge length.
    """
    import numpy as np
    from scipy.spatial import cKDTree  # type: ignore[import-untyped, unused-ignore]

    nodes = list(graph)
    n = len(nodes)
    if n == 0:
        return {}
    index = {v: i for i, v in enumerate(nodes)}
    pairs = {(index[a], index[b]) for a, b in graph.edges() if a != b}
    e = np.array(sorted({(min(a, b), max(a, b)) for a, b in pairs}), dtype=np.int64).reshape(-1, 2)
    rng = np.random.default_rng(seed)
    side = math.sqrt(n)
    # Start: nodes in breadth-first order on a jittered spiral, so neighbours start near.
    order = _bfs_order(graph, nodes)
    r = np.sqrt(np.arange(n) + 0.5) * 0.9
    theta = np.arange(n) * 2.399963  # golden angle
    pos = np.empty((n, 2))
    idx = np.array([index[v] for v in order])
    pos[idx, 0] = r * np.cos(theta)
    pos[idx, 1] = r * np.sin(theta)
    pos += rng.normal(scale=0.3, size=(n, 2))
    k = 1.0
    radius = 2.0 * k
    t = side / 10.0
    cool = (0.05 / t) ** (1.0 / max(1, iterations)) if t > 0.05 else 1.0
    cells_per_side = int(min(12, max(4, math.sqrt(n) / 4)))
    far = np.zeros((n, 2))
    for it in range(iterations):
        disp = np.zeros((n, 2))
        # Near field: repulsion from the (at most 8) nearest nodes within `radius`.
        tree = cKDTree(pos, balanced_tree=False, compact_nodes=False)
        dist, near = tree.query(pos, k=9, distance_upper_bound=radius, workers=-1)
        dist, near = dist[:, 1:], near[:, 1:]
        found = near < n
        padded = np.vstack([pos, np.zeros((1, 2))])
        d = pos[:, None, :] - padded[near]
        dist2 = np.maximum(dist * dist, 1e-4)
        w = np.where(found, k * k / np.where(found, dist2, 1.0), 0.0)
        disp += (w[:, :, None] * d).sum(axis=1)
        # Far field: repulsion from the centres of mass of grid cells (Barnes-Hut-like),
        # recomputed every other iteration (it changes slowly).
        if it % 2 == 0:
            lo = pos.min(axis=0)
            span = np.maximum(pos.max(axis=0) - lo, 1e-9)
            cell_xy = np.minimum((pos - lo) / span * cells_per_side, cells_per_side - 1)
            cell = cell_xy[:, 0].astype(np.int64) * cells_per_side + cell_xy[:, 1].astype(np.int64)
            mass = np.bincount(cell, minlength=cells_per_side**2).astype(float)
            used = mass > 0
            centre = np.stack(
                [
                    np.bincount(cell, pos[:, axis], cells_per_side**2)[used] / mass[used]
                    for axis in (0, 1)
                ],
                axis=1,
            )
            mass = mass[used]
            min_d2 = max(radius * radius, float((span / cells_per_side).max() ** 2))
            c2 = (centre * centre).sum(axis=1)[None, :]
            for start in range(0, n, 4096):
                chunk = pos[start : start + 4096]
                dist2 = (chunk * chunk).sum(axis=1)[:, None] + c2 - 2.0 * (chunk @ centre.T)
                w = np.where(dist2 >= min_d2, k * k * mass[None, :] / np.maximum(dist2, 1e-9), 0.0)
                far[start : start + 4096] = chunk * w.sum(axis=1)[:, None] - w @ centre
        disp += far
        # Springs along edges.
        if len(e):
            a, b = e[:, 0], e[:, 1]
            d = pos[a] - pos[b]
            dist = np.sqrt(np.maximum((d * d).sum(axis=1), 1e-8))
            f = (dist / k)[:, None] * d
            for axis in (0, 1):
                disp[:, axis] += np.bincount(b, f[:, axis], n) - np.bincount(a, f[:, axis], n)
        length = np.sqrt(np.maximum((disp * disp).sum(axis=1), 1e-12))
        pos += disp * (np.minimum(length, t) / length)[:, None]
        t *= cool
    pos -= pos.mean(axis=0)
    return {v: (float(pos[i, 0]), float(pos[i, 1])) for i, v in enumerate(nodes)}


def _bfs_order(graph: nx.Graph, nodes: list[Any]) -> list[Any]:
    seen: set[Any] = set()
    order: list[Any] = []
    adj = {
        v: set(graph.successors(v)) | set(graph.predecessors(v))
        if graph.is_directed()
        else set(graph[v])
        for v in nodes
    }
    for start in sorted(nodes, key=lambda v: -len(adj[v])):
        if start in seen:
            continue
        seen.add(start)
        queue = [start]
        while queue:
            nxt = []
            for v in queue:
                order.append(v)
                for w in sorted(adj[v], key=str):
                    if w not in seen:
                        seen.add(w)
                        nxt.append(w)
            queue = nxt
    return order


def compute_layout(
    graph: nx.MultiDiGraph, seed: int = 1, threshold: int = PHYSICS_THRESHOLD
) -> dict[Any, tuple[float, float]]:
    """Positions in screen pixels: seeded spring layout up to ``threshold`` nodes, else
    :func:`fast_layout`."""
    import networkx as nx

    n = graph.number_of_nodes()
    if n == 0:
        return {}
    if n <= threshold:
        # Insert nodes and edges in a fixed order: the seeded layout is then the same
        # on every run, whatever order the projection produced them in.
        simple = nx.Graph()
        simple.add_nodes_from(sorted(graph.nodes, key=str))
        simple.add_edges_from(sorted((tuple(sorted((u, v), key=str)) for u, v in graph.edges()),
                                     key=lambda e: (str(e[0]), str(e[1]))))
        raw = nx.spring_layout(simple, seed=seed, iterations=80)
        scale = max(250.0, math.sqrt(n) * 90.0)
        return {v: (float(p[0]) * scale, float(p[1]) * scale) for v, p in raw.items()}
    pos = fast_layout(graph, seed=seed)
    scale = _spacing_scale(pos)
    return {v: (x * scale, y * scale) for v, (x, y) in pos.items()}


def _spacing_scale(pos: dict[Any, tuple[float, float]], target: float = 70.0) -> float:
    """Pixels per layout unit so that the median nearest-neighbour gap is ``target`` px."""
    import numpy as np
    from scipy.spatial import cKDTree  # type: ignore[import-untyped, unused-ignore]

    pts = np.array(list(pos.values()))
    if len(pts) < 2:
        return target
    dist, _ = cKDTree(pts).query(pts, k=2)
    median = float(np.median(dist[:, 1]))
    return target / median if median > 1e-9 else target


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
    return attrs.get("status_iri") in _DASHED_STATUS or attrs.get("open") is False


def view_payload(
    graph: nx.MultiDiGraph,
    *,
    title: str = "channelkg view",
    physics_threshold: int = PHYSICS_THRESHOLD,
    seed: int = 1,
    ontology: Path | str | None = None,
    positions: dict[Any, tuple[float, float]] | None = None,
    start: str | None = None,
) -> dict[str, Any]:
    """The JSON the page's script draws: nodes, edges, styles, legend, tooltips, options.

    ``start``: the node a view was drawn around; the page selects it and shows its
    details when it opens.

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
    nodes: list[dict[str, Any]] = []
    ninfo: list[dict[str, Any]] = []
    class_counts: Counter[str] = Counter()
    edge_class_counts: Counter[str] = Counter()
    status_counts: Counter[str] = Counter()
    status_labels: dict[str, str] = {}
    for v, i in ids.items():
        d = graph.nodes[v]
        cls = d.get("class") or ""
        group = cls or "_none"
        class_counts[group] += 1
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
        if d.get("status"):
            node["status"] = str(d.get("status_iri") or d["status"])
            status_labels[node["status"]] = _text(d["status"])
            status_counts[node["status"]] += 1
        if _dashed(d):
            node["dashed"] = True
        nodes.append(node)
        ninfo.append(
            {
                "t": node["label"],
                "c": d.get("class_label") or cls,
                "k": str(v),
                "rows": [["id", str(v)], *_rows(d, schema)],
                "src": _sources(d),
            }
        )

    edges: list[dict[str, Any]] = []
    einfo: list[dict[str, Any]] = []
    parallel: Counter[tuple[int, int]] = Counter()
    for j, (a, b, k, d) in enumerate(
        sorted(graph.edges(keys=True, data=True), key=lambda t: (str(t[0]), str(t[1]), str(t[2])))
    ):
        claim_cls = d.get("class") if d.get("claim") else ""
        color = EDGE_COLOR
        if claim_cls:
            color = schema.style(claim_cls)[0] or EDGE_COLOR
            edge_class_counts[claim_cls] += 1
        edge: dict[str, Any] = {
            "id": j,
            "from": ids[a],
            "to": ids[b],
            "label": str(d.get("label", k)),
            "arrows": bool(d.get("directed", True)),
            "color": color,
        }
        if claim_cls:
            edge["cls"] = claim_cls
        if d.get("status"):
            edge["status"] = str(d.get("status_iri") or d["status"])
            status_labels[edge["status"]] = _text(d["status"])
            status_counts[edge["status"]] += 1
        if _dashed(d):
            edge["dashed"] = True
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
        src_label = graph.nodes[a].get("label", a)
        dst_label = graph.nodes[b].get("label", b)
        rows = [["from", str(src_label)], ["to", str(dst_label)]]
        if d.get("predicate"):
            rows.append(["property", str(d["predicate"])])
        if d.get("claim"):
            rows.append(["claim", f"{d.get('claim_label', '')} ({d['claim']})"])
        rows += _rows(d, schema)
        einfo.append(
            {
                "t": edge["label"],
                "c": (d.get("class_label") or "") if claim_cls else "relation",
                "rows": rows,
                "src": _sources(d),
            }
        )

    groups: dict[str, dict[str, Any]] = {}
    classes: list[dict[str, Any]] = []
    for cls, count in sorted(class_counts.items(), key=lambda t: (-t[1], t[0])):
        style_color, style_shape = schema.style(cls if cls != "_none" else None)
        color = style_color or DEFAULT_COLOR
        shape = style_shape or DEFAULT_SHAPE
        groups[cls] = {
            "color": {
                "background": color,
                "border": _darker(color),
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
    for cls, count in sorted(edge_class_counts.items(), key=lambda t: (-t[1], t[0])):
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
    statuses = [
        {"id": s, "label": status_labels[s], "count": c}
        for s, c in sorted(status_counts.items(), key=lambda t: (status_labels[t[0]], t[0]))
    ]
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
    }


def _darker(color: str) -> str:
    c = color.strip()
    if len(c) == 7 and c.startswith("#"):
        try:
            r, g, b = (int(c[i : i + 2], 16) for i in (1, 3, 5))
        except ValueError:
            return color
        return "#{:02x}{:02x}{:02x}".format(*(int(v * 0.7) for v in (r, g, b)))
    return color


def vis_options(physics: bool, n_nodes: int, n_edges: int, seed: int = 1) -> dict[str, Any]:
    """vis-network options for a directed network (pyvis' defaults, then ours)."""
    opts: dict[str, Any] = {
        "configure": {"enabled": False},
        "edges": {"color": {"inherit": True}, "smooth": {"enabled": True, "type": "dynamic"}},
        "interaction": {
            "dragNodes": True,
            "hideEdgesOnDrag": not physics,
            "hideNodesOnDrag": False,
        },
        "physics": {},
    }
    big = n_nodes > PHYSICS_THRESHOLD or n_edges > 2 * PHYSICS_THRESHOLD
    opts["edges"] = {
        "smooth": {"enabled": True, "type": "continuous", "roundness": 0.3}
        if physics and not big
        else False,
        "font": {
            "size": 10,
            "align": "middle",
            "color": "#333",
            "strokeWidth": 3,
            "strokeColor": "#ffffff",
        },
        "width": 1.2,
        "selectionWidth": 2,
    }
    opts["nodes"] = {"font": {"size": 13, "color": "#222"}, "borderWidth": 1.5, "size": 14}
    opts["interaction"].update(
        {
            "hover": True,
            "tooltipDelay": 3600000,
            "hideEdgesOnZoom": big,
            "navigationButtons": False,
            "keyboard": False,
            "multiselect": False,
        }
    )
    opts["layout"] = {"improvedLayout": False, "randomSeed": seed}
    opts["physics"] = {
        "enabled": physics,
        "solver": "forceAtlas2Based",
        "forceAtlas2Based": {
            "gravitationalConstant": -60,
            "springLength": 110,
            "avoidOverlap": 0.3,
        },
        "stabilization": {"enabled": physics, "iterations": 120, "fit": True, "updateInterval": 50},
    }
    return opts


# --------------------------------------------------------------------------- HTML


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
    )
    vis_js, vis_css = _vis_assets()
    view_js = (ASSETS / "view.js").read_text(encoding="utf-8")
    view_css = (ASSETS / "view.css").read_text(encoding="utf-8")
    _check_script(vis_js, "vis-network")
    _check_script(view_js, "view.js")
    policy = (
        "default-src 'none'; "
        f"script-src {_sha256(vis_js)} {_sha256(view_js)}; "
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
    }
    template = (ASSETS / "view.html").read_text(encoding="utf-8")
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
    "compute_layout",
    "fast_layout",
    "render_html",
    "script_json",
    "view_payload",
    "vis_options",
    "write_html",
]
