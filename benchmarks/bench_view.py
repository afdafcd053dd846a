"""Timings of HTML graph views: projection, layout, HTML writing, first draw in Chromium.

Generates synthetic graphs in the ontology's shape whose projection has about 1,000
and 10,000 nodes, then times:

* ``baseline``: building a plain ``networkx.MultiDiGraph`` from the same node and edge
  lists (the least any projection costs); every other timing is also given as a ratio
  to it, so runs on different machines compare;
* ``projection``: :func:`channelkg.network.to_networkx` on the loaded store;
* ``layout``: :func:`channelkg.view.compute_layout` (spring layout up to the physics
  threshold, the fast grid/k-d-tree layout above it);
* ``html``: rendering and writing the self-contained page (layout precomputed);
* ``first_draw``: in headless Chromium, from navigation start to vis-network's first
  ``afterDrawing`` event (``performance.now()`` in the page), and the wall time until
  the page reports ready (medians of ``--repeat`` page loads); the zoom the page opens
  at (fitted to the bulk of the nodes) and the zoom that fits every node;
* ``focus``: click-to-focus latency on seven well-connected nodes, from the call the
  page's click handler makes until the next frame has been produced.

Results go to ``benchmarks/results/view.json`` and are printed.

Run:  python benchmarks/bench_view.py [--sizes 1000,10000] [--repeat 3] [--no-browser]
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import networkx as nx
import pyoxigraph as ox

from channelkg.graph.memory import KnowledgeGraph, from_quads, parse_file
from channelkg.rdf.fileio import atomic_write_text
from channelkg.render.network import to_networkx
from channelkg.render.page import PHYSICS_THRESHOLD, compute_layout, render_html
from channelkg.resources import ontology_file

RESULTS = Path(__file__).resolve().parent / "results" / "view.json"
CKG = "https://w3id.org/channelkg/ontology#"
KGID = "https://w3id.org/channelkg/id/"
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
LABEL = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-quic",
    "--disable-sync",
]


def synthetic(nodes: int, seed: int = 1) -> KnowledgeGraph:
    """A store whose projection has about ``nodes`` nodes.

    Per block of 100 nodes: 4 markets, 3 developers, 2 cloud providers, 1 local
    operator, 8 models, 6 services, 60 access routes, 10 partnerships and 6
    restrictions, each claim with a status, dates and a source. Routes pick models
    and markets from the whole graph, so the graph is one connected component.
    """
    rng = random.Random(seed)
    quads: list[ox.Quad] = []
    dg = ox.DefaultGraph()

    def iri(local: str) -> ox.NamedNode:
        return ox.NamedNode(KGID + local)

    def ckg(local: str) -> ox.NamedNode:
        return ox.NamedNode(CKG + local)

    def add(s: ox.NamedNode, p: ox.NamedNode, o: Any) -> None:
        quads.append(ox.Quad(s, p, o, dg))

    def entity(local: str, cls: str, label: str) -> ox.NamedNode:
        node = iri(local)
        add(node, RDF_TYPE, ckg(cls))
        add(node, LABEL, ox.Literal(label, language="en"))
        return node

    date = ox.NamedNode("http://www.w3.org/2001/XMLSchema#date")
    blocks = max(1, nodes // 100)
    markets: list[ox.NamedNode] = []
    models: list[ox.NamedNode] = []
    orgs: list[ox.NamedNode] = []
    services: list[ox.NamedNode] = []
    routes: list[ox.NamedNode] = []
    source = entity("src", "Source", "Synthetic source")
    add(source, ox.NamedNode("https://schema.org/url"), ox.NamedNode("https://example.org/s"))

    def claim(local: str, cls: str) -> ox.NamedNode:
        node = iri(local)
        add(node, RDF_TYPE, ckg(cls))
        add(node, ckg("status"), ckg(rng.choice(["confirmed", "reported", "disputed"])))
        add(node, ckg("validFrom"), ox.Literal(f"20{rng.randint(10, 25)}-01-01", datatype=date))
        add(node, ox.NamedNode("http://www.w3.org/ns/prov#wasDerivedFrom"), source)
        return node

    for b in range(blocks):
        markets += [entity(f"m{b}-{i}", "Market", f"Market {b}.{i}") for i in range(4)]
        devs = [entity(f"d{b}-{i}", "ModelDeveloper", f"Dev {b}.{i}") for i in range(3)]
        clouds = [entity(f"c{b}-{i}", "CloudProvider", f"Cloud {b}.{i}") for i in range(2)]
        op = entity(f"o{b}", "LocalOperator", f"Operator {b}")
        orgs += devs + clouds + [op]
        for i in range(8):
            m = entity(f"x{b}-{i}", "Model", f"Model {b}.{i}")
            add(m, ckg("developer"), rng.choice(devs))
            models.append(m)
        for i in range(6):
            s = entity(f"s{b}-{i}", "Service", f"Service {b}.{i}")
            add(s, ckg("provider"), rng.choice(clouds + devs))
            if i % 3 == 0:
                add(s, ckg("operator"), op)
            add(s, ckg("offers"), rng.choice(models))
            services.append(s)
        for i in range(10):
            p = claim(f"p{b}-{i}", "Partnership")
            for party in rng.sample(orgs, 2):
                add(p, ckg("party"), party)
        for i in range(60):
            r = claim(f"r{b}-{i}", "AccessRoute")
            add(r, ckg("model"), rng.choice(models))
            add(r, ckg("market"), rng.choice(markets))
            add(r, ckg("service"), rng.choice(services))
            add(r, ckg("seller"), rng.choice(orgs))
            add(
                r,
                ckg("open"),
                ox.Literal(
                    "true" if rng.random() < 0.8 else "false",
                    datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#boolean"),
                ),
            )
            routes.append(r)
        for i in range(6):
            x = claim(f"b{b}-{i}", "Restriction")
            add(x, ckg("imposedBy"), rng.choice(orgs))
            add(x, ckg("market"), rng.choice(markets))
            add(x, ckg("blocks"), rng.choice(routes))
    quads.extend(parse_file(ontology_file()))
    return from_quads(quads)


def timed(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    """Median wall time over ``repeat`` runs, and the last result."""
    times = []
    result = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), result


FOCUS_REPEAT = 7

#: Click-to-focus as the page does it on a click (select, dim the rest, show the
#: details), timed from the call until the next frame has been produced (a redraw the
#: click scheduled runs in that frame, so it is counted). Pages older than
#: ``clickNode`` are timed through ``focusNode`` and their forced redraw.
FOCUS_JS = """async (key) => {
  const api = window.channelkg, net = api.network;
  const t0 = performance.now();
  if (api.clickNode) {
    api.clickNode(key);
  } else {
    const drawn = new Promise((resolve) => net.once("afterDrawing", resolve));
    api.focusNode(key, {scale: net.getScale()});
    net.redraw();
    await drawn;
  }
  await new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
  return performance.now() - t0;
}"""


def focus_latency(page: Any, repeat: int) -> list[float]:
    """Click-to-focus times (ms) on ``repeat`` different well-connected nodes."""
    keys = page.evaluate(
        """(n) => { const d = window.channelkg.data, deg = {};
        d.edges.forEach((e) => { deg[e.from] = (deg[e.from] || 0) + 1;
                                 deg[e.to] = (deg[e.to] || 0) + 1; });
        return d.nodes.slice().sort((a, b) => (deg[b.id] || 0) - (deg[a.id] || 0) || a.id - b.id)
          .slice(5, 5 + n).map((x) => x.key); }""",
        repeat,
    )
    return [page.evaluate(FOCUS_JS, k) for k in keys]


def _open(ctx: Any, path: Path) -> tuple[Any, float]:
    """A new tab on ``path``, once the page reports ready; and the wall time (ms)."""
    page = ctx.new_page()
    page.set_viewport_size({"width": 1280, "height": 800})
    t0 = time.perf_counter()
    page.goto(path.as_uri())
    page.wait_for_function("() => !!(window.channelkg && window.channelkg.ready)",
                           timeout=300_000)
    return page, (time.perf_counter() - t0) * 1000


def first_draw(path: Path, repeat: int = 3) -> dict[str, Any]:
    """Open the page ``repeat`` times in headless Chromium: medians of first-draw and
    ready times (ms), then click-to-focus latency on :data:`FOCUS_REPEAT` nodes."""
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as profile, sync_playwright() as p:
        ctx = p.chromium.launch_persistent_context(
            profile, executable_path=CHROMIUM, headless=True, args=ARGS
        )
        try:
            blocked: list[str] = []

            def route(r: Any) -> None:
                if r.request.url.startswith("file:"):
                    r.continue_()
                else:
                    blocked.append(r.request.url)
                    r.abort()

            ctx.route("**/*", route)
            draws, walls = [], []
            for i in range(repeat):
                page, wall = _open(ctx, path)
                draws.append(page.evaluate("() => window.channelkg.firstDrawMs"))
                walls.append(wall)
                if i < repeat - 1:
                    page.close()
            drawn = page.evaluate("() => window.channelkg.network.body.nodeIndices.length")
            scale = page.evaluate("() => window.channelkg.network.getScale()")
            focus = focus_latency(page, FOCUS_REPEAT)
            fit_all = page.evaluate("() => { const net = window.channelkg.network;"
                                    " net.fit({animation: false}); return net.getScale(); }")
            if blocked:
                raise RuntimeError(f"the page tried to load {blocked}")
            return {
                "first_draw_ms": round(statistics.median(draws), 1),
                "ready_wall_ms": round(statistics.median(walls), 1),
                "first_draw_ms_all": [round(t, 1) for t in draws],
                "drawn_nodes": drawn,
                "initial_scale": round(scale, 4),
                "fit_all_scale": round(fit_all, 4),
                "focus_ms_median": round(statistics.median(focus), 1),
                "focus_ms_all": [round(t, 1) for t in focus],
            }
        finally:
            ctx.close()


def bench(size: int, repeat: int, browser: bool) -> dict[str, Any]:
    kg = synthetic(size)
    t_proj, graph = timed(lambda: to_networkx(kg), repeat)
    nodes = list(graph)
    edges = [(a, b, k) for a, b, k in graph.edges(keys=True)]

    def plain() -> nx.MultiDiGraph:
        g = nx.MultiDiGraph()
        g.add_nodes_from(nodes)
        g.add_edges_from(edges)
        return g

    t_base, _ = timed(plain, max(repeat, 5))
    t_layout, pos = timed(lambda: compute_layout(graph, seed=1), repeat)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / f"bench-{size}.html"

        def write() -> int:
            # every node drawn (no groups of claims behind expandable nodes)
            text = render_html(graph, title=f"synthetic {size}", positions=pos, bundle=False)
            out.write_text(text, encoding="utf-8")
            return len(text.encode("utf-8"))

        t_html, size_bytes = timed(write, repeat)
        draw = first_draw(out, repeat) if browser else {}
    row: dict[str, Any] = {
        "nodes": graph.number_of_nodes(),
        "edges": graph.number_of_edges(),
        "triples": len(kg),
        "physics": graph.number_of_nodes() <= PHYSICS_THRESHOLD,
        "html_bytes": size_bytes,
        "seconds": {
            "baseline_plain_graph": round(t_base, 4),
            "projection": round(t_proj, 4),
            "layout": round(t_layout, 4),
            "html": round(t_html, 4),
        },
        "ratio_to_baseline": {
            "projection": round(t_proj / t_base, 1),
            "layout": round(t_layout / t_base, 1),
            "html": round(t_html / t_base, 1),
        },
    }
    if draw:
        row["browser"] = draw
        row["ratio_to_baseline"]["first_draw"] = round(draw["first_draw_ms"] / 1000 / t_base, 1)
    return row


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1000,10000", help="projection sizes (nodes)")
    ap.add_argument("--repeat", type=int, default=3, help="runs per timing (median)")
    ap.add_argument("--no-browser", action="store_true", help="skip the Chromium timing")
    ap.add_argument("--output", type=Path, default=RESULTS)
    args = ap.parse_args(argv)
    rows = []
    for size in (int(s) for s in args.sizes.split(",")):
        print(f"size {size}…", file=sys.stderr)
        rows.append(bench(size, args.repeat, not args.no_browser))
    result = {
        "benchmark": "view",
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": __import__("os").cpu_count(),
        "physics_threshold": PHYSICS_THRESHOLD,
        "repeat": args.repeat,
        "runs": rows,
    }
    atomic_write_text(args.output, json.dumps(result, indent=2) + "\n")
    header = (
        f"{'nodes':>6} {'edges':>6} {'base s':>7} {'proj s':>7} {'layout s':>8} "
        f"{'html s':>7} {'MB':>5} {'draw ms':>8} {'ready ms':>8} {'focus ms':>8}"
    )
    print(header)
    for r in rows:
        s = r["seconds"]
        b = r.get("browser", {})
        print(
            f"{r['nodes']:>6} {r['edges']:>6} {s['baseline_plain_graph']:>7.3f} "
            f"{s['projection']:>7.3f} {s['layout']:>8.3f} {s['html']:>7.3f} "
            f"{r['html_bytes'] / 1e6:>5.1f} {b.get('first_draw_ms', float('nan')):>8.0f} "
            f"{b.get('ready_wall_ms', float('nan')):>8.0f} "
            f"{b.get('focus_ms_median', float('nan')):>8.0f}"
        )
    print(f"wrote {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
