"""Timings of the researcher's workbench: fitting tables, DataFrames, completion.

* ``fit_table``: laying out a ``diff``-shaped table (8 columns, long statements and
  sources) of N rows at 100 columns (records), at 200 (a folded table), and at its
  natural width (what pipes get), against the plain aligned table of
  :func:`channelkg.render.results.table` (the baseline; ratios compare across machines);
* ``to_dataframe``: a SELECT result of N rows with an IRI, a date, an integer, a decimal,
  a boolean and a text column, against ``pandas.DataFrame`` built from the same values
  as plain Python objects (the baseline);
* ``completion``: one Tab press, ``channelkg routes --market H<Tab>``, end to end in a
  new process (start-up, loading the bundled graph, the name index), the latency a user
  feels, and the same process printing ``--version`` (the start-up baseline).

Results go to ``benchmarks/results/workbench.json`` and ``workbench.md``, and are printed.

Run:  python benchmarks/bench_workbench.py [--rows 10000,100000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rdflib import Literal, URIRef
from rdflib.namespace import XSD

from channelkg.graph.base import QueryResult
from channelkg.render.fit import fit_table
from channelkg.render.results import table

RESULTS = Path(__file__).resolve().parent / "results"
KGID = "https://w3id.org/channelkg/id/"
WORDS = ("route", "market", "partnership", "Azure", "China", "restriction", "model", "the",
         "provider", "sells", "through", "operated", "by", "Shanghai", "Blue", "Cloud")


def _best(call: Callable[[], Any], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        call()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def _sentence(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n))


def diff_rows(n: int, seed: int = 7) -> list[list[str]]:
    rng = random.Random(seed)
    return [[rng.choice(("started", "ended", "status")), f"2024-{rng.randint(1, 12):02d}-01",
             f"kgid:fact-{i}", "AccessRoute", "absent", "confirmed",
             _sentence(rng, rng.randint(8, 40)),
             _sentence(rng, 6) + f" https://example.org/news/{i}/{_sentence(rng, 3)}"]
            for i in range(n)]


def select_rows(n: int, seed: int = 7) -> QueryResult:
    rng = random.Random(seed)
    rows = tuple(
        (URIRef(f"{KGID}route-{i}"), Literal(f"2024-{rng.randint(1, 12):02d}-0{rng.randint(1, 9)}",
                                             datatype=XSD.date),
         Literal(rng.randint(0, 100)), Literal(f"{rng.random():.3f}", datatype=XSD.decimal),
         Literal(rng.random() < 0.5), Literal(_sentence(rng, 5)))
        for i in range(n))
    return QueryResult("SELECT", vars=("route", "day", "count", "share", "open", "text"),
                       rows=rows)


def bench_tables(sizes: list[int], repeat: int) -> list[dict[str, Any]]:
    headers = ["change", "date", "fact", "class", "before", "after", "statement", "sources"]
    out = []
    for n in sizes:
        rows = diff_rows(n)
        base = _best(lambda rows=rows: table(headers, rows), repeat)
        row: dict[str, Any] = {"rows": n, "baseline_s": round(base, 4)}
        for name, width in (("natural", None), ("width_200", 200), ("width_100", 100)):
            t = _best(lambda rows=rows, width=width: fit_table(headers, rows, width), repeat)
            row[f"{name}_s"] = round(t, 4)
            row[f"{name}_ratio"] = round(t / base, 2)
        out.append(row)
    return out


def bench_frames(sizes: list[int], repeat: int) -> list[dict[str, Any]]:
    import pandas as pd

    out = []
    for n in sizes:
        res = select_rows(n)
        plain = [[t.toPython() if isinstance(t, Literal) else str(t) for t in r]
                 for r in res.rows]
        names = list(res.vars)
        base = _best(lambda plain=plain, names=names: pd.DataFrame(plain, columns=names), repeat)
        t = _best(res.to_dataframe, repeat)
        out.append({"rows": n, "baseline_s": round(base, 4), "to_dataframe_s": round(t, 4),
                    "ratio": round(t / base, 2)})
    return out


def bench_completion(repeat: int) -> dict[str, Any]:
    src = str(Path(__file__).resolve().parent.parent / "src")
    env = {**os.environ, "PYTHONPATH": src}
    tab = {**env, "_CHANNELKG_COMPLETE": "bash_complete",
           "COMP_WORDS": "channelkg routes --market H", "COMP_CWORD": "3"}
    cmd = [sys.executable, "-m", "channelkg"]

    def run(extra: list[str], e: dict[str, str]) -> None:
        subprocess.run([*cmd, *extra], env=e, capture_output=True, check=True, timeout=120)

    start = _best(lambda: run(["--version"], env), repeat)
    t = _best(lambda: run([], tab), repeat)
    return {"startup_s": round(start, 3), "tab_s": round(t, 3),
            "graph_and_index_s": round(t - start, 3)}


def summary(doc: dict[str, Any]) -> str:
    lines = ["# Workbench timings", "", f"Machine: {doc['machine']}; median of "
             f"{doc['repeat']} runs.", "", "## Fitting a diff-shaped table (8 columns)", "",
             "| rows | plain table | natural | 200 columns | 100 columns (records) |",
             "|---|---|---|---|---|"]
    for r in doc["fit_table"]:
        lines.append(f"| {r['rows']:,} | {r['baseline_s']} s | {r['natural_s']} s "
                     f"({r['natural_ratio']}x) | {r['width_200_s']} s ({r['width_200_ratio']}x) "
                     f"| {r['width_100_s']} s ({r['width_100_ratio']}x) |")
    lines += ["", "## QueryResult.to_dataframe() (6 typed columns)", "",
              "| rows | pandas from plain values | to_dataframe | ratio |", "|---|---|---|---|"]
    for r in doc["to_dataframe"]:
        lines.append(f"| {r['rows']:,} | {r['baseline_s']} s | {r['to_dataframe_s']} s "
                     f"| {r['ratio']}x |")
    c = doc["completion"]
    lines += ["", "## One Tab press (`channelkg routes --market H<Tab>`, bundled graph)", "",
              f"{c['tab_s']} s in all: {c['startup_s']} s of Python and channelkg start-up "
              f"(`--version`), {c['graph_and_index_s']} s loading the graph and its name index.",
              ""]
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", default="10000,100000")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    sizes = [int(s) for s in args.rows.split(",")]
    doc = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python "
                   f"{platform.python_version()}",
        "repeat": args.repeat,
        "fit_table": bench_tables([s // 10 for s in sizes], args.repeat),
        "to_dataframe": bench_frames(sizes, args.repeat),
        "completion": bench_completion(args.repeat),
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "workbench.json").write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
    text = summary(doc)
    (RESULTS / "workbench.md").write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
