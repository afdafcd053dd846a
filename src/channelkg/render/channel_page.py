"""The page of a channel map, and the channel map files ``view`` writes.

A channel map is drawn by the standard page (:func:`channelkg.render.page.render_html`,
the same node and edge payload, offline single file, CSP and escaping): this module
restyles the payload (boxes with the label inside, route colours by state) and adds
``assets/channels.js`` and ``channels.css`` (column headers that follow pan and zoom,
family bands, the route legend) through :class:`channelkg.render.page.PageExtra`.
The layout itself is :mod:`channelkg.render.channels`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from channelkg.analysis.index import Index
from channelkg.analysis.routes import resolve_market, resolve_models
from channelkg.collect import paused_gc
from channelkg.render.channels import (
    BOX_WIDTH,
    FAN,
    FONT,
    MARGIN,
    ChannelMap,
    channel_map,
)
from channelkg.render.views import MAX_NODES

if TYPE_CHECKING:
    from pathlib import Path

    from channelkg.graph.memory import KnowledgeGraph
    from channelkg.render.views import RenderedView

#: The channel maps ``view --all-shipped`` writes: (file stem, model, market).
SHIPPED_CHANNEL_MAPS: tuple[tuple[str, str, str], ...] = (
    ("channels-gpt-cn", "gpt", "CN"),
    ("channels-gpt-hk", "gpt", "HK"),
    ("channels-claude-cn", "claude", "CN"),
    ("channels-claude-hk", "claude", "HK"),
    ("channels-gemini-cn", "gemini", "CN"),
    ("channels-gemini-hk", "gemini", "HK"),
    ("channels-qwen-cn", "qwen", "CN"),
    ("channels-qwen-hk", "qwen", "HK"),
)


def _restyle(payload: dict[str, Any], channels: dict[str, Any]) -> None:
    """Boxes with the label inside, route colours by state, fixed positions."""
    for group in payload["groups"].values():
        colour = group["color"]["background"]
        group["shape"] = "box"
        group["color"] = {
            "background": _tint(colour),
            "border": colour,
            "highlight": {"background": _tint(colour, 0.7), "border": "#222"},
            "hover": {"background": _tint(colour, 0.7), "border": "#222"},
        }
    payload["landmarks"] = False  # every label is legible at fit: no landmark overlay
    opts = payload["options"]
    opts["nodes"] = {
        "shape": "box",
        "font": {"size": FONT, "color": "#111", "face": "system-ui, sans-serif"},
        "margin": MARGIN,
        "widthConstraint": {"maximum": BOX_WIDTH},
        "borderWidth": 2,
    }
    opts["edges"] = {
        "smooth": {"enabled": True, "type": "cubicBezier", "forceDirection": "horizontal",
                   "roundness": 0.45},
        "width": 3,
        "selectionWidth": 2,
        "arrows": {"to": {"enabled": True, "scaleFactor": 0.6}},
    }
    opts["interaction"]["dragNodes"] = False
    opts["interaction"]["hideEdgesOnDrag"] = False
    opts["interaction"]["hideEdgesOnZoom"] = False
    colour = {s["id"]: s["color"] for s in channels["states"]}
    state_of = {k: r["state"] for r in channels["routes"] for k in r["edges"]}
    title = {k: r["label"] for r in channels["routes"] for k in r["edges"]}
    einfo = payload.get("einfo") or []
    for e in payload["edges"]:
        state = state_of.get(str(e.get("key")))
        if state and isinstance(e.get("id"), int) and e["id"] < len(einfo):
            einfo[e["id"]]["t"] = title[e["key"]]  # the tooltip names the route
        if state:
            e["color"] = colour[state]
            e["route"] = e["key"].split("#")[0]
            e["state"] = state
            e["dashed"] = state in ("disputed", "closed")
            if e.get("smooth"):  # parallel routes fan out a little, each hoverable
                e["smooth"] = dict(e["smooth"], roundness=round(
                    e["smooth"]["roundness"] * FAN, 3))
    payload["channels"] = channels


def _tint(colour: str, keep: float = 0.2) -> str:
    """``colour`` mixed with white (``keep`` of the colour)."""
    c = colour.strip()
    if len(c) != 7 or not c.startswith("#"):
        return "#ffffff"
    try:
        rgb = [int(c[i : i + 2], 16) for i in (1, 3, 5)]
    except ValueError:
        return "#ffffff"
    return "#" + "".join(f"{round(255 - (255 - v) * keep):02x}" for v in rgb)


def render_channel_map(cmap: ChannelMap, *, title: str | None = None, csp: bool = True) -> str:
    """The self-contained HTML page of a channel map (the standard page and payload,
    plus ``channels.js``/``channels.css``)."""
    from channelkg.render.page import PageExtra, render_html

    extra = PageExtra(assets=("channels.css", "channels.js"),
                      extend=lambda p: _restyle(p, cmap.channels))
    return render_html(cmap.graph, title=title or cmap.title, positions=cmap.positions,
                       physics_threshold=0, csp=csp, extra=extra)


def channel_slug(market: str, model: str | None = None) -> str:
    """File stem of a channel map: ``channels-gpt-cn``, ``channels-cn``."""
    import re

    text = "-".join(["channels", *([model] if model else []), market]).replace("kgid:", "")
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower()[:120]


def channel_view(
    kg: KnowledgeGraph,
    market: str,
    model: str | None = None,
    *,
    path: Path | None = None,
    title: str | None = None,
    as_of: str | None = None,
    index: Index | None = None,
    max_nodes: int | None = MAX_NODES,
) -> RenderedView:
    """The page of one channel map and the file it belongs in (default
    ``graphs/views/channels-<model>-<market>.html``, ``-as-of-DATE`` appended with ``as_of``).

    Routes are judged on ``as_of`` (else today), as ``channelkg routes`` judges them;
    ``index``: the :class:`Index` of ``kg`` if already made. ``max_nodes``: draw at most
    this many nodes, whole routes only, open routes first (``None``: every route); the
    page title and ``graph.graph["drawn_routes"]`` then say how many routes are drawn.
    """
    from channelkg import resources
    from channelkg.model.dates import option_day
    from channelkg.render.selection import Selection
    from channelkg.render.views import RenderedView

    with paused_gc():
        cmap = channel_map(kg, market, model, on=option_day(None, as_of), as_of=as_of,
                           index=index, max_nodes=max_nodes)
        page_title = title + (f" ({cmap.note})" if cmap.note else "") if title else cmap.title
        html = render_channel_map(cmap, title=page_title)
    stem = channel_slug(market, model) + (f"-as-of-{as_of}" if as_of else "")
    path = path or resources.output_dir("views") / f"{stem}.html"
    return RenderedView(Selection(market=market), path, cmap.graph, html, page_title)


def shipped_channel_views(
    kg: KnowledgeGraph, folder: Path, as_of: str | None = None,
    progress: Callable[[str], None] | None = None, max_nodes: int | None = MAX_NODES,
) -> list[RenderedView]:
    """The channel maps of :data:`SHIPPED_CHANNEL_MAPS`, into ``folder``, each of at most
    ``max_nodes`` nodes (see :func:`channel_view`); a map whose model or market the graph
    does not know is left out (and reported to ``progress``)."""
    from channelkg.errors import InputError

    suffix = f"-as-of-{as_of}" if as_of else ""
    idx = Index.of(kg)
    out = []
    for stem, model, market in SHIPPED_CHANNEL_MAPS:
        try:
            resolve_market(idx, market)
            resolve_models(idx, model)
        except InputError as e:
            if progress:
                progress(f"left out {stem}: {e}")
            continue
        out.append(channel_view(kg, market, model, path=folder / f"{stem}{suffix}.html",
                                as_of=as_of, index=idx, max_nodes=max_nodes))
    return out


__all__ = [
    "SHIPPED_CHANNEL_MAPS",
    "channel_slug",
    "channel_view",
    "render_channel_map",
    "shipped_channel_views",
]
