"""One process per contender: open the graph, run two named queries three times, report.

Usage: ``python benchmarks/bench_asof_1m.py plain|asof FILE.nt`` (FILE from
``benchmarks/synthetic.py 1m``). Run the two modes alternately, several times, and take
medians; ``benchmarks/results/asof.md`` quotes such a run.
"""

from __future__ import annotations

import datetime as dt
import resource
import sys
import time

from channelkg.graph.open import GraphSpec, open_graph
from channelkg.sparql.query import query


def main() -> None:
    mode, path = sys.argv[1], sys.argv[2]
    t = time.perf_counter()
    day = dt.date(2022, 1, 1) if mode == "asof" else None
    kg = open_graph(GraphSpec(data=(path,), as_of=day))
    opened = time.perf_counter() - t
    out = []
    for name in ("routes-into", "seed-table"):
        times = []
        for _ in range(3):
            t = time.perf_counter()
            rows = len(query(kg, name).rows)
            times.append(time.perf_counter() - t)
        out.append(f"{name} first {times[0] * 1000:.0f} ms, then {min(times[1:]) * 1000:.0f} ms,"
                   f" {rows} rows")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{mode} ({type(kg).__name__}): open {opened:.2f} s; {'; '.join(out)};"
          f" peak RSS {rss:.0f} MiB")


if __name__ == "__main__":
    main()
