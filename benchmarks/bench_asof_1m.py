"""``--as-of`` at 1M triples: the plain backend, the rewritten query, the copying view.

Each contender runs in its own process: open the graph (an as-of view on 2022-01-01
for ``rewrite`` and ``copy``), run two named queries three times, report times, rows
and peak RSS as one JSON line. The driver interleaves the contenders over rounds and
writes the medians to ``benchmarks/results/asof-1m.json``.

Usage::

    python benchmarks/synthetic.py 1m -o syn-1m.nt
    python benchmarks/bench_asof_1m.py syn-1m.nt --rounds 2
    python benchmarks/bench_asof_1m.py --child plain|rewrite|copy syn-1m.nt   # one run
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from bench_asof import peak_rss_mb  # noqa: E402

DAY = dt.date(2022, 1, 1)
MODES = ("plain", "rewrite", "copy")
QUERIES = ("routes-into", "seed-table")




def child(mode: str, path: str) -> dict[str, Any]:
    from channelkg.graph.asof import AsOfView
    from channelkg.graph.open import GraphSpec, open_graph
    from channelkg.sparql.query import query

    t = time.perf_counter()
    kg = open_graph(GraphSpec(data=(Path(path),)))
    if mode != "plain":  # past MAX_GRAPHS intervals: the view kind the store gets
        kg = AsOfView(kg, DAY, rewrite=mode == "rewrite")
        len(kg.hidden)  # type: ignore[attr-defined]
    out: dict[str, Any] = {"mode": mode, "open_s": time.perf_counter() - t}
    for name in QUERIES:
        times, rows = [], 0
        for _ in range(3):
            t = time.perf_counter()
            rows = len(query(kg, name).rows)
            times.append(time.perf_counter() - t)
        out[name] = {"first_s": times[0], "then_s": min(times[1:]), "rows": rows}
    out["peak_rss_mb"] = peak_rss_mb()
    return out


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "--child":
        print(json.dumps(child(argv[1], argv[2])))
        return 0
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("data")
    ap.add_argument("--rounds", type=int, default=2)
    args = ap.parse_args(argv)
    samples: dict[str, list[dict[str, Any]]] = {m: [] for m in MODES}
    for _ in range(args.rounds):  # interleaved: one of each contender per round
        for mode in MODES:
            res = subprocess.run([sys.executable, __file__, "--child", mode, args.data],
                                 capture_output=True, text=True, check=True)
            samples[mode].append(json.loads(res.stdout.strip().splitlines()[-1]))
            print(json.dumps(samples[mode][-1]), file=sys.stderr)
    med = statistics.median
    summary = {m: {"open_s": med(s["open_s"] for s in v),
                   "peak_rss_mb": med(s["peak_rss_mb"] for s in v),
                   **{q: {k: med(s[q][k] for s in v) for k in ("first_s", "then_s", "rows")}
                      for q in QUERIES}}
               for m, v in samples.items()}
    doc = {"machine": f"{platform.machine()}, {platform.python_version()}",
           "day": DAY.isoformat(), "rounds": args.rounds, "results": summary,
           "samples": samples}
    out = HERE / "results" / "asof-1m.json"
    out.write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(summary, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
