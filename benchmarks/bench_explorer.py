"""Benchmark the entity pages of ``channelkg serve`` (built in a query worker).

For the bundled graph and synthetic graphs (benchmarks/synthetic.py), the time a worker
takes to build the page, the neighbourhood map and the JSON of a few nodes (a market, a
model, a service, an access route, a status): the first time (the first page of a worker
makes its rdflib copy of the graph, the first map its network projection), the median of
``--repeat`` runs after it, and the size of the answer. A page must come well within the
endpoint's default time limit (10 s), or the server answers 503.

Usage::

    python benchmarks/bench_explorer.py                 # bundled graph and 10k
    python benchmarks/bench_explorer.py --sizes 10k,100k

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


def main() -> None:
    from channelkg import resources
    from channelkg.graph.memory import load

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10k", help="synthetic sizes, e.g. 10k,100k ('' none)")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    results: dict[str, Any] = {"repeat": args.repeat, "graphs": []}
    kg = load(resources.default_data_files())
    results["graphs"].append({"graph": "bundled", "triples": len(kg),
                              "rows": measure(kg, list(BUNDLED), args.repeat)})
    import synthetic

    for size in [s for s in args.sizes.split(",") if s]:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "synthetic.nt"
            synthetic.write_ntriples(path, synthetic.parse_size(size))
            kg = load([path])
            results["graphs"].append({"graph": f"synthetic {size}", "triples": len(kg),
                                      "rows": measure(kg, _synthetic_refs(kg), args.repeat)})
    out = HERE / "results" / "explorer.json"
    out.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    print("| graph | triples | node | part | HTTP | first s | then (median) s | bytes |")
    print("|---|---:|---|---|---:|---:|---:|---:|")
    for g in results["graphs"]:
        for r in g["rows"]:
            print(f"| {g['graph']} | {g['triples']} | {r['node']} | {r['part']} | {r['status']} "
                  f"| {r['first']:.3f} | {r['seconds']:.3f} | {r['bytes']} |")
    print(f"\nwritten: {out.relative_to(HERE.parent)}")


if __name__ == "__main__":
    main()
