"""Timings of channel maps: routes, layout and page, on the curated graph and on
synthetic graphs (market 0 of ``synthetic.py`` is CN).

For each graph it times, median of ``--repeat`` runs:

* ``routes``: :func:`channelkg.analysis.routes.routes` into CN for every model (the records
  the map is drawn from; also what ``channelkg routes --market CN`` costs);
* ``map``: :func:`channelkg.render.channels.channel_map` for every family into CN (routes,
  the projection of the triples it needs, the layout), given the graph's index;
* ``page``: :func:`channelkg.render.channel_page.render_channel_map` (the HTML);

and reports the map's routes, nodes, edges and bands. Results go to
``benchmarks/results/channels.json`` and are printed.

Run:  python benchmarks/bench_channels.py [--sizes 20k,100k] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

import synthetic  # noqa: E402

from channelkg.analysis.index import Index  # noqa: E402
from channelkg.analysis.routes import routes  # noqa: E402
from channelkg.graph.memory import KnowledgeGraph, load  # noqa: E402
from channelkg.rdf.fileio import atomic_write_text  # noqa: E402
from channelkg.render.channel_page import render_channel_map  # noqa: E402
from channelkg.render.channels import channel_map  # noqa: E402

RESULTS = Path(__file__).parent / "results" / "channels.json"


def _median(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def measure(name: str, kg: KnowledgeGraph, repeat: int) -> dict[str, Any]:
    """The timings of one graph."""
    t_index, idx = _median(lambda: Index.of(kg), 1)
    t_routes, res = _median(lambda: routes(idx, None, "CN"), repeat)
    t_map, cmap = _median(lambda: channel_map(kg, "CN", index=idx), repeat)
    t_page, html = _median(lambda: render_channel_map(cmap), repeat)
    row = {
        "graph": name,
        "triples": len(kg),
        "routes_into_cn": len(res.routes),
        "nodes": cmap.graph.number_of_nodes(),
        "edges": cmap.graph.number_of_edges(),
        "bands": len(cmap.channels["bands"]),
        "index_s": round(t_index, 3),
        "routes_s": round(t_routes, 3),
        "map_s": round(t_map, 3),
        "page_s": round(t_page, 3),
        "page_bytes": len(html.encode("utf-8")),
    }
    print(json.dumps(row))
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="20k,100k", help="synthetic sizes (comma-separated)")
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    rows = [measure("curated", load(), a.repeat)]
    with tempfile.TemporaryDirectory() as tmp:
        for size in a.sizes.split(","):
            path = Path(tmp) / f"synthetic-{size}.nt"
            synthetic.write_ntriples(path, synthetic.parse_size(size))
            rows.append(measure(f"synthetic-{size}", load([path]), a.repeat))
    out = {"python": platform.python_version(), "machine": platform.machine(),
           "repeat": a.repeat, "results": rows}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(RESULTS, json.dumps(out, indent=2) + "\n")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
