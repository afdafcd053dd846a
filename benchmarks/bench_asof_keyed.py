"""``--as-of`` on a keyed Oxigraph store: the query on the visible graphs against the
rewritten query on the whole store, and the plain query.

Data: the curated graph (67 validity intervals) and ``benchmarks/synthetic.py 100k`` with
every date moved to 1 January of its year (17 intervals visible on the day), both in
memory. One process, one store; the three contenders run in turn, five rounds per
query, after one warm-up run each; medians. Nothing is copied by either view, so RSS is
not compared here (see ``bench_asof_1m.py``).

Usage: ``python benchmarks/bench_asof_keyed.py`` (writes ``results/asof-keyed.json``).
"""

from __future__ import annotations

import datetime as dt
import json
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
DAY = dt.date(2022, 1, 1)
QUERIES = ("routes-into", "seed-table")


def measure(kg: Any, day: dt.date, rounds: int = 5) -> dict[str, Any]:
    from channelkg.graph.asof import OxigraphAsOfView, view
    from channelkg.sparql.query import query

    keyed = view(kg, day)
    assert isinstance(keyed, OxigraphAsOfView)
    contenders = {"plain": kg, "keyed graphs": OxigraphAsOfView(kg, day, rewrite=False),
                  "rewritten": keyed}
    out: dict[str, Any] = {"graphs": len(keyed.graphs)}
    for name in QUERIES:
        times: dict[str, list[float]] = {k: [] for k in contenders}
        rows = {k: len(query(v, name).rows) for k, v in contenders.items()}  # warm-up
        for _ in range(rounds):
            for label, k in contenders.items():
                t = time.perf_counter()
                query(k, name)
                times[label].append(time.perf_counter() - t)
        out[name] = {k: {"median_ms": statistics.median(v) * 1000, "rows": rows[k]}
                     for k, v in times.items()}
    return out


def main() -> int:
    from bench_asof import year_dates
    from synthetic import parse_size, write_ntriples

    from channelkg.graph.memory import load

    results = {"curated, 2024-07-09": measure(load(), dt.date(2024, 7, 9))}
    with tempfile.TemporaryDirectory(prefix="ckg-asof-") as tmp:
        days, years = Path(tmp) / "days.nt", Path(tmp) / "years.nt"
        write_ntriples(days, parse_size("100k"))
        year_dates(days, years)
        results[f"100k years, {DAY}"] = measure(load([years]), DAY)
    doc = {"machine": f"{platform.machine()}, {platform.python_version()}",
           "results": results}
    (HERE / "results" / "asof-keyed.json").write_text(json.dumps(doc, indent=1) + "\n",
                                                      encoding="utf-8")
    print(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
