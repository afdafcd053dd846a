"""Node positions for the view page, computed in Python.

A seeded spring layout for small graphs (the page's physics then polishes it), and
for graphs above the physics threshold a fast force-directed layout (local
repulsion via a k-d tree, a fixed number of iterations), so a 10,000-node view
draws in seconds. Same graph and seed, same picture.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import networkx as nx  # type: ignore[import-untyped, unused-ignore]

#: Above this many nodes the page uses the fast layout and switches physics off.
PHYSICS_THRESHOLD = 300


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

    # A fixed node order (not the projection's, which follows string hashing): the same
    # graph gives the same positions in every process.
    nodes = sorted(graph, key=str)
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
            far = _far_field(pos, cells_per_side, radius, k)
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


def _far_field(pos: Any, cells_per_side: int, radius: float, k: float) -> Any:
    """Repulsion of every node from the centres of mass of a grid of cells."""
    import numpy as np

    n = len(pos)
    far = np.zeros((n, 2))
    lo = pos.min(axis=0)
    span = np.maximum(pos.max(axis=0) - lo, 1e-9)
    cell_xy = np.minimum((pos - lo) / span * cells_per_side, cells_per_side - 1)
    cell = cell_xy[:, 0].astype(np.int64) * cells_per_side + cell_xy[:, 1].astype(np.int64)
    mass = np.bincount(cell, minlength=cells_per_side**2).astype(float)
    used = mass > 0
    centre = np.stack(
        [np.bincount(cell, pos[:, axis], cells_per_side**2)[used] / mass[used] for axis in (0, 1)],
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
    return far


def _bfs_order(graph: nx.Graph, nodes: list[Any]) -> list[Any]:
    seen: set[Any] = set()
    order: list[Any] = []
    adj = {
        v: set(graph.successors(v)) | set(graph.predecessors(v))
        if graph.is_directed()
        else set(graph[v])
        for v in nodes
    }
    for start in sorted(nodes, key=lambda v: (-len(adj[v]), str(v))):
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


__all__ = ["PHYSICS_THRESHOLD", "compute_layout", "fast_layout"]
