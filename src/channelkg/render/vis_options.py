"""The vis-network options of a view page: physics and layout by size, interaction, edge
and node styling (split from :mod:`channelkg.render.page`)."""

from __future__ import annotations

from typing import Any

from channelkg.render.layout import PHYSICS_THRESHOLD

#: No label is drawn smaller than this many pixels on screen.
LABEL_MIN_PX = 10


def darker(color: str) -> str:
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
        "scaling": {"label": {"drawThreshold": LABEL_MIN_PX + 1}},
    }
    # Level of detail: vis-network skips a label drawn below drawThreshold - 1 px, so
    # no label is ever drawn smaller than LABEL_MIN_PX; the page draws the hovered and
    # focused nodes' labels itself when zoomed out that far.
    opts["nodes"] = {
        "font": {"size": 13, "color": "#222"},
        "borderWidth": 1.5,
        "size": 14,
        "scaling": {"label": {"drawThreshold": LABEL_MIN_PX + 1}},
    }
    opts["interaction"].update(
        {
            # Large views: hover and selection go through the page's overlay (one
            # vis-network redraw of thousands of nodes takes seconds).
            "hover": physics,
            "selectable": physics,
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



__all__ = ["LABEL_MIN_PX", "darker", "vis_options"]
