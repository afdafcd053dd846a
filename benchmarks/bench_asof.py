"""Benchmark ``--as-of``: a query on the as-of view against the same query on the plain backend.

For every size (synthetic graphs from benchmarks/synthetic.py plus the ontology) and
two kinds of dates:

* ``days``: the generator's dates, random days over 12 years (thousands of distinct
  validity intervals: the view rewrites each query, see ``graph/asof.py``);
* ``years``: the same graph with every date moved to 1 January of its year (tens of
  intervals, like the curated graph: the view rewrites each query, and keeps the keyed
  graphs for the rest);

and two backends, memory and ``oxigraph:PATH``, it measures in a fresh process
each time: the time to open the graph, the median time of the query (first run
separately, since a copying view copies on it), and the peak RSS of the process.
Contenders are interleaved and repeated; medians are reported.

Usage::

    python benchmarks/bench_asof.py                  # 100k and 1m
    python benchmarks/bench_asof.py --sizes 100k --repeat 3

Writes benchmarks/results/asof.json and asof.md and prints the Markdown.
"""

from __future__ import annotations

import argparse
import json
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
DAY = "2022-01-01"
QUERIES = ("routes-into", "seed-table")


def peak_rss_mb() -> float:
    """Peak resident set size of this process (VmHWM), in MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def child(backend: str, location: str, as_of: str | None, runs: int) -> dict[str, Any]:
    """One measurement, in this (fresh) process."""
    import datetime as dt

    from channelkg.graph.open import GraphSpec, open_graph
    from channelkg.sparql.query import query

    start = time.perf_counter()
    spec = (GraphSpec(data=(Path(location),)) if backend == "memory"
            else GraphSpec(store=f"oxigraph:{location}"))
    kg = open_graph(spec)
    if as_of:
        kg = kg.visible_on(dt.date.fromisoformat(as_of))
    opened = time.perf_counter() - start
    out: dict[str, Any] = {"open_s": opened, "kind": type(kg).__name__,
                           "graphs": len(getattr(kg, "graphs", [])) or None}
    for name in QUERIES:
        times, rows = [], 0
        for _ in range(runs):
            t = time.perf_counter()
            rows = len(query(kg, name).rows)
            times.append(time.perf_counter() - t)
        out[name] = {"first_s": times[0], "median_s": statistics.median(times[1:] or times),
                     "rows": rows}
    out["peak_rss_mb"] = peak_rss_mb()
    return out


def year_dates(src: Path, dst: Path) -> None:
    """Copy an N-Triples file with every ``YYYY-MM-DD`` date moved to ``YYYY-01-01``."""
    pat = re.compile(r'"(\d{4})-\d{2}-\d{2}"\^\^')
    with src.open(encoding="utf-8") as fin, dst.open("w", encoding="utf-8") as fout:
        for line in fin:
            fout.write(pat.sub(r'"\1-01-01"^^', line))


def run_child(backend: str, location: Path, as_of: str | None, runs: int) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--child", backend, str(location), as_of or "-", str(runs)]
    res = subprocess.run(cmd, capture_output=True, text=True, check=True)
    doc: dict[str, Any] = json.loads(res.stdout.strip().splitlines()[-1])
    return doc


def bench(sizes: list[str], repeat: int, runs: int, work: Path) -> dict[str, Any]:
    from synthetic import parse_size, write_ntriples

    from channelkg.graph.disk import load_into

    results: dict[str, Any] = {}
    for size in sizes:
        days = work / f"syn-{size}-days.nt"
        write_ntriples(days, parse_size(size))
        years = work / f"syn-{size}-years.nt"
        year_dates(days, years)
        for variant, data in (("days", days), ("years", years)):
            db = work / f"db-{size}-{variant}"
            load_into(db, [data])
            contenders = [(b, loc, a) for b, loc in (("memory", data), ("oxigraph:PATH", db))
                          for a in (None, DAY)]
            samples: dict[str, list[dict[str, Any]]] = {}
            for _ in range(repeat):  # interleaved: one of each contender per round
                for backend, loc, as_of in contenders:
                    key = f"{backend} {'as-of ' + as_of if as_of else 'plain'}"
                    samples.setdefault(key, []).append(run_child(backend, loc, as_of, runs))
                    print(f"{size} {variant} {key}: done", file=sys.stderr)
            results[f"{size} {variant}"] = {k: summarise(v) for k, v in samples.items()}
    return results


def summarise(samples: list[dict[str, Any]]) -> dict[str, Any]:
    med = statistics.median
    out: dict[str, Any] = {"open_s": med(s["open_s"] for s in samples),
                           "peak_rss_mb": med(s["peak_rss_mb"] for s in samples),
                           "kind": samples[0]["kind"], "graphs": samples[0]["graphs"]}
    for name in QUERIES:
        out[name] = {"first_s": med(s[name]["first_s"] for s in samples),
                     "median_s": med(s[name]["median_s"] for s in samples),
                     "rows": samples[0][name]["rows"]}
    return out


def markdown(doc: dict[str, Any]) -> str:
    lines = [
        "# `--as-of` view against the plain backend",
        "",
        f"Machine: {doc['machine']}; {doc['repeat']} interleaved rounds, each contender in a "
        f"fresh process, {doc['runs']} runs of each query per process; medians. As-of day "
        f"{DAY}. `first` is the first run of the query (a copying view copies then), "
        "`then` the median of the others. Peak RSS is the process's (VmHWM), load included.",
        "",
        "| data | backend | view | open (s) | " + " | ".join(
            f"{q} first / then (ms), rows" for q in QUERIES) + " | peak RSS (MiB) |",
        "|---|---|---|---:|" + "---:|" * len(QUERIES) + "---:|",
    ]
    for data, rows in doc["results"].items():
        for key, r in rows.items():
            backend, _, mode = key.partition(" ")
            view = mode if mode == "plain" else (
                f"{mode}: {r['kind']}" + (f", {r['graphs']} graphs" if r["graphs"] else ""))
            cells = [f"{r[q]['first_s'] * 1000:.0f} / {r[q]['median_s'] * 1000:.0f}, "
                     f"{r[q]['rows']}" for q in QUERIES]
            lines.append(f"| {data} | {backend} | {view} | {r['open_s']:.2f} | "
                         + " | ".join(cells) + f" | {r['peak_rss_mb']:.0f} |")
    lines += ["", doc["notes"], ""]
    return "\n".join(lines)


NOTES = (
    "Both as-of views run each query rewritten on the store (a filter per group that "
    "excludes the hidden facts, `graph/asof_filter.py`): nothing is copied, so their RSS "
    "is the plain backend's. A query the rewrite does not handle runs, in "
    "`OxigraphAsOfView` (at most `MAX_GRAPHS`, 256, validity intervals), on the graphs "
    "visible that day, and in `AsOfView` (the generator's random days give thousands of "
    "intervals) on a copy of the visible triples made on its first such query."
)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "--child":
        backend, location, as_of, runs = argv[1:5]
        print(json.dumps(child(backend, location, None if as_of == "-" else as_of, int(runs))))
        return 0
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="100k,1m")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="ckg-asof-") as tmp:
        results = bench(args.sizes.split(","), args.repeat, args.runs, Path(tmp))
    doc = {"machine": f"{platform.machine()}, {platform.python_version()}",
           "repeat": args.repeat, "runs": args.runs, "results": results, "notes": NOTES}
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    (out / "asof.json").write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
    text = markdown(doc)
    (out / "asof.md").write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
