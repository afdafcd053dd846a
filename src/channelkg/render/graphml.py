"""GraphML export of a projection: the same graph with only scalar attributes.

GraphML holds one value of a simple type per attribute, so lists are joined with
`` | `` and a claim's sources become text (titles, addresses, dates), their ids and their
addresses (:func:`to_graphml_graph`); :func:`write_graphml` writes it atomically, readable
by ``networkx.read_graphml``. :mod:`channelkg.render.network` gives both too.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import networkx as nx  # type: ignore[import-untyped]


def _scalar(v: Any) -> Any:
    if isinstance(v, bool | int | float | str):
        return v
    if isinstance(v, list):
        return " | ".join(_scalar_text(x) for x in v)
    return str(v)


def _scalar_text(v: Any) -> str:
    if isinstance(v, dict):
        return str(v.get("title") or v.get("id") or "")
    return str(v)


def _flatten(attrs: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in attrs.items():
        if v is None:
            continue
        if k == "sources" and isinstance(v, list):
            out["sources"] = " | ".join(
                " ".join(
                    x
                    for x in (
                        s.get("title", ""),
                        f"<{s['url']}>" if s.get("url") else "",
                        f"({s['date']})" if s.get("date") else "",
                    )
                    if x
                )
                for s in v
            )
            out["source_ids"] = " ".join(s["id"] for s in v)
            urls = [s["url"] for s in v if s.get("url")]
            if urls:
                out["source_urls"] = " ".join(urls)
            continue
        out[k] = _scalar(v)
    return out


def to_graphml_graph(graph: nx.MultiDiGraph) -> nx.MultiDiGraph:
    """A copy of ``graph`` with only scalar attributes (lists joined with `` | ``), ready for
    ``networkx.write_graphml``. An attribute with mixed types becomes text everywhere."""
    import networkx as nx

    out_graph = nx.MultiDiGraph()
    out_graph.graph.update(
        {k: v for k, v in graph.graph.items() if isinstance(v, bool | int | float | str)}
    )
    for n, d in graph.nodes(data=True):
        out_graph.add_node(n, **_flatten(d))
    for a, b, k, d in graph.edges(keys=True, data=True):
        out_graph.add_edge(a, b, key=k, **_flatten(d))
    for items in (
        [d for _, d in out_graph.nodes(data=True)],
        [d for _, _, d in out_graph.edges(data=True)],
    ):
        kinds: dict[str, set[type]] = defaultdict(set)
        for d in items:
            for k, v in d.items():
                kinds[k].add(type(v))
        mixed = {k for k, ts in kinds.items() if len(ts) > 1}
        for d in items:
            for k in mixed & set(d):
                d[k] = str(d[k])
    return out_graph


def write_graphml(graph: nx.MultiDiGraph, path: Path | str) -> Path:
    """Write ``graph`` as GraphML atomically (lists joined; readable by ``nx.read_graphml``)."""
    import io

    import networkx as nx

    from channelkg.rdf.fileio import atomic_write_bytes

    buf = io.BytesIO()
    nx.write_graphml(to_graphml_graph(graph), buf)
    path = Path(path)
    atomic_write_bytes(path, buf.getvalue())
    return path


__all__ = ["to_graphml_graph", "write_graphml"]
