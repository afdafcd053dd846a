"""Benchmark the entity pages of ``channelkg serve`` (built in a query worker).

For the bundled graph and synthetic graphs (benchmarks/synthetic.py), the time a worker
takes to build the page, the neighbourhood map and the JSON of a few nodes (a market, a
model, a service, an access route, a status): the first time (a fresh worker: its index
and vocabulary are read then), the median of ``--repeat`` runs after it, and the size of
the answer. With ``--baseline SRC`` the same is measured with another source tree (run in
a subprocess, one graph at a time, interleaved with this tree's run). A page must come
well within the endpoint's default time limit (10 s), or the server answers 503.

Usage::

    python benchmarks/bench_explorer.py                 # bundled graph and 10k
    python benchmarks/bench_explorer.py --sizes 10k,100k,1m --baseline old/src

Writes benchmarks/results/explorer.json and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

#: (what, reference) on the bundled graph; the synthetic graphs use their own names.
BUNDLED = (("market", "mainland-china"), ("model", "gpt"), ("service", "azure-china"),
           ("route", "route-seed-azure-china-gpt"), ("status", "ckg:reported"))


def _synthetic_refs(kg: Any) -> list[tuple[str, str]]:
    """One node of each kind in a synthetic graph (the first by IRI)."""
    out = []
    for what, cls in (("market", "Market"), ("model", "Model"), ("service", "Service"),
                      ("route", "AccessRoute")):
        res = kg.run("PREFIX ckg: <https://w3id.org/channelkg/ontology#> "
                     f"SELECT ?x WHERE {{ ?x a ckg:{cls} }} ORDER BY ?x LIMIT 1")
        if res.rows:
            out.append((what, str(res.rows[0][0])))
    out.append(("status", "ckg:reported"))
    return out


def measure(kg: Any, refs: list[tuple[str, str]], repeat: int) -> list[dict[str, Any]]:
    from channelkg.serve.entity import EntityJob

    rows = []
    for what, ref in refs:
        for part in ("page", "map", "json"):
            job = EntityJob(ref, part)
            t0 = time.perf_counter()
            reply = job.run(kg)  # the first: imports, the worker's copy and projection
            first = time.perf_counter() - t0
            times = []
            for _ in range(repeat):
                t0 = time.perf_counter()
                reply = job.run(kg)
                times.append(time.perf_counter() - t0)
            rows.append({"node": what, "ref": ref, "part": part, "status": reply.status,
                         "first": round(first, 4), "seconds": round(statistics.median(times), 4),
                         "bytes": len(reply.body)})
            print(f"  {what} {part}: first {first:.3f} s, then {rows[-1]['seconds']:.3f} s",
                  file=sys.stderr, flush=True)
    return rows


def one(graph: str, repeat: int) -> dict[str, Any]:
    """Measure one graph (``bundled`` or a synthetic N-Triples file) in this process."""
    from channelkg import resources
    from channelkg.graph.memory import load

    if graph == "bundled":
        kg = load(resources.default_data_files())
        return {"triples": len(kg), "rows": measure(kg, list(BUNDLED), repeat)}
    kg = load([Path(graph)])
    return {"triples": len(kg), "rows": measure(kg, _synthetic_refs(kg), repeat)}


def _run(src: str | None, graph: str, repeat: int) -> dict[str, Any]:
    """:func:`one` in a fresh process (a fresh worker) with ``src`` first on the path."""
    import os
    import subprocess

    env = dict(os.environ)
    if src:
        env["PYTHONPATH"] = src
    out = subprocess.run([sys.executable, __file__, "--one", graph, "--repeat", str(repeat)],
                         env=env, capture_output=True, text=True, check=True).stdout
    got: dict[str, Any] = json.loads(out)
    return got


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10k",
                        help="synthetic sizes, e.g. 10k,100k,1m ('' none)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--baseline", metavar="SRC", help="another source tree to compare")
    parser.add_argument("--baseline-sizes", default=None,
                        help="sizes to measure with the baseline too (default: --sizes)")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one(args.one, args.repeat)))
        return
    import os

    import synthetic

    here_src = str(HERE.parent / "src")
    sizes = [s for s in args.sizes.split(",") if s]
    base_sizes = sizes if args.baseline_sizes is None else [
        s for s in args.baseline_sizes.split(",") if s]
    results: dict[str, Any] = {"repeat": args.repeat, "load": os.getloadavg(), "graphs": []}
    with tempfile.TemporaryDirectory() as tmp:
        graphs = [("bundled", "bundled")]
        for size in sizes:
            path = Path(tmp) / f"synthetic-{size}.nt"
            synthetic.write_ntriples(path, synthetic.parse_size(size))
            graphs.append((f"synthetic {size}", str(path)))
        for name, graph in graphs:
            contenders = [("this", here_src)]
            if args.baseline and (name == "bundled" or name.split()[-1] in base_sizes):
                contenders.append(("baseline", args.baseline))
            for who, src in contenders:  # one after the other, per graph
                print(f"{name} ({who})", file=sys.stderr, flush=True)
                got = _run(src, graph, args.repeat)
                results["graphs"].append({"graph": name, "code": who, **got})
    results["load_after"] = os.getloadavg()
    out = HERE / "results" / "explorer.json"
    out.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    lines = [
        "# Entity pages of `channelkg serve`: time in a query worker",
        "",
        f"`python benchmarks/bench_explorer.py --sizes {args.sizes}`"
        + (" with a baseline" if args.baseline else "") + f"; median of {args.repeat} runs "
        "after the first (a fresh worker per graph and code). The machine was shared: load "
        f"average {results['load'][0]:.1f} before, {results['load_after'][0]:.1f} after "
        "(2 cores), so ratios matter more than absolute times. The endpoint's default time "
        "limit is 10 s.",
        "",
        "| graph | triples | node | part | code | HTTP | first s | then (median) s | bytes |",
        "|---|---:|---|---|---|---:|---:|---:|---:|",
    ]
    for g in results["graphs"]:
        for r in g["rows"]:
            lines.append(f"| {g['graph']} | {g['triples']} | {r['node']} | {r['part']} | "
                         f"{g['code']} | {r['status']} | {r['first']:.3f} | {r['seconds']:.3f} "
                         f"| {r['bytes']} |")
    md = HERE / "results" / "explorer.md"
    md.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))
    print(f"\nwritten: {out.relative_to(HERE.parent)}, {md.relative_to(HERE.parent)}")


if __name__ == "__main__":
    main()
