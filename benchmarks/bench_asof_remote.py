"""``--as-of`` on a SPARQL server without the keyed layout: the rewritten queries sent to
the server against the copying view, and the plain query as a reference.

A private Virtuoso 7 (``tests/virtuoso.py``, 127.0.0.1) gets the graph pushed without
``--keyed``; the store is ``sparql:URL?default-graph-uri=G``. Contenders, in one
process, interleaved:

* ``rewritten``: the view of ``channelkg.graph.asof`` sending each query rewritten
  (the form the server was probed to answer; Virtuoso gets the ``dates`` form,
  ``FILTER NOT EXISTS`` tests on each node's own dates);
* ``exists``: the same view sending the ``exists`` form (the list of every hidden fact,
  tested row by row), the form Virtuoso was sent before, where it was sent (at most
  ``MAX_TESTED`` hidden facts);
* ``copy``: the same view with ``rewrite=False``, which copies the visible triples into
  a local Oxigraph store on its first query (the behaviour before the rewrite was sent
  to servers);
* ``plain``: the query on the server without ``--as-of``.

``first`` is the first query of a fresh store and view (the rewritten view reads the
dates and the places of the hidden facts and probes the server then; the copying view
reads every triple), repeated ``--rounds`` times; ``later`` is the median of a query
on a view that already answered one. Parameters are bound once, before timing. The
rewritten view's rows are compared with those of the copying view of the files
(in memory). The server may sort 10,000,000 rows for the copy's ordered pages (its
default, 10,000, stops the copy at 20,000 triples). Data: the curated graph on 2024-07-09, and
``benchmarks/synthetic.py`` graphs (``30k``, ``100k``) on 2022-01-01 (hundreds to
thousands of hidden facts).

Usage: ``python benchmarks/bench_asof_remote.py [--sizes curated,30k,100k] [--rounds 3]``
(writes ``results/asof-remote.json`` and ``.md``).
"""

from __future__ import annotations

import argparse
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
sys.path.insert(0, str(HERE.parent / "tests"))
GRAPH = "https://w3id.org/channelkg/bench/as-of"
CURATED_DAY = dt.date(2024, 7, 9)
SYNTHETIC_DAY = dt.date(2022, 1, 1)
#: The queries of the synthetic graph (every shipped one on the curated graph).
SYNTHETIC_QUERIES = ("routes-into", "seed-table", "assessments", "status-summary")


def push(server: Any, graph: str, files: list[Path] | None) -> None:
    from channelkg.graph import remote

    remote.push(server.update, graph, files, method="update", user="dba", password="dba",
                auth="digest", chunk=2000, timeout=600)


def contenders(store: str, day: dt.date, old: bool) -> dict[str, Any]:
    """A fresh store and view per contender (nothing cached between them)."""
    from channelkg.graph import remote
    from channelkg.graph.asof import AsOfView
    from test_asof_filter import ExistsView

    out = {"rewritten": AsOfView(remote.open_store(store, timeout=300), day)}
    if old:
        out["exists"] = ExistsView(remote.open_store(store, timeout=300), day)
    out["copy"] = AsOfView(remote.open_store(store, timeout=300), day, rewrite=False)
    out["plain"] = remote.open_store(store, timeout=300)
    return out


def attempt(view: Any, text: str, values: Any) -> tuple[float, list[str] | str]:
    """Seconds, and the rows as text (or the error a server gave)."""
    from channelkg.errors import ChannelKGError
    from channelkg.sparql.query import run
    from test_asof_filter import norm

    start = time.perf_counter()
    try:
        out: list[str] | str = norm(run(view, text, values))
    except ChannelKGError as err:
        out = " ".join(str(err).split())[:160]
    return time.perf_counter() - start, out


def measure(store: str, files: list[Path] | None, day: dt.date, names: list[str],
            rounds: int) -> dict[str, Any]:
    from channelkg.graph import remote
    from channelkg.graph.asof import MAX_TESTED, AsOfView
    from channelkg.graph.memory import load
    from channelkg.sparql.query import bind, list_queries
    from test_asof_filter import PARAMS

    kg = remote.open_store(store, timeout=300)
    named = {nq.name: nq for nq in list_queries()}
    bound = {n: (named[n].text, bind(named[n], PARAMS.get(n, {}), kg)) for n in names}
    reference = AsOfView(load(files, engine="oxigraph"), day, rewrite=False)  # the files
    old = len(reference.hidden) <= MAX_TESTED  # where the exists form was sent
    first: dict[str, list[float]] = {}
    for _ in range(rounds):  # the first query of fresh views, in turn
        for label, view in contenders(store, day, old).items():
            first.setdefault(label, []).append(attempt(view, *bound[names[0]])[0])
    views = contenders(store, day, old)
    later: dict[str, dict[str, list[float]]] = {n: {k: [] for k in views} for n in names}
    rows: dict[str, dict[str, int | str]] = {}
    same: dict[str, bool] = {}
    for name in names:  # the answers, and the warm-up of each view
        got = {k: attempt(v, *bound[name])[1] for k, v in views.items()}
        want = attempt(reference, *bound[name])[1]
        rows[name] = {k: r if isinstance(r, str) else len(r) for k, r in got.items()}
        rows[name]["files"] = len(want)
        same[name] = got["rewritten"] == want and got.get("exists", want) == want
    for _ in range(rounds):
        for name in names:
            for label, view in views.items():
                later[name][label].append(attempt(view, *bound[name])[0])
    copy = views["copy"]._local
    return {
        "day": day.isoformat(), "hidden": len(views["rewritten"].hidden),
        "form": getattr(views["rewritten"].form(), "value", "none"), "first_query": names[0],
        "listed": views["rewritten"].date_test.listed,
        "first_s": {k: statistics.median(v) for k, v in first.items()},
        "later_ms": {n: {k: statistics.median(v) * 1000 for k, v in t.items()}
                     for n, t in later.items()},
        "rows": rows, "same_rows": same,
        "copied_triples": len(copy) if copy is not None else 0,
        "rewritten_made_a_copy": views["rewritten"]._local is not None,
    }


def markdown(doc: dict[str, Any]) -> str:
    lines = ["# --as-of on a SPARQL server without the keyed layout (Virtuoso 7)", "",
             f"Machine: {doc['machine']}; {doc['rounds']} rounds, medians, contenders "
             "interleaved in one process (`benchmarks/bench_asof_remote.py`).", ""]
    for label, res in doc["results"].items():
        first = res["first_s"]
        old = "exists" in first
        lines += [f"## {label}, {res['day']}: {res['hidden']} hidden facts, "
                  f"form `{res['form']}` ({res['listed']} nodes listed)", "",
                  f"First query (`{res['first_query']}`, fresh store and view): rewritten "
                  f"{first['rewritten']:.2f} s, "
                  + (f"exists form {first['exists']:.2f} s, " if old else "")
                  + f"copy {first['copy']:.2f} s "
                  f"({res['copied_triples']} triples copied), plain "
                  f"{first['plain']:.2f} s. The rewritten view made a copy: "
                  f"{'yes' if res['rewritten_made_a_copy'] else 'no'}."
                  + ("" if old else " (The exists form is not sent past "
                     "`MAX_TESTED` hidden facts, so it is not measured here.)"), "",
                  "| query | rows (files) | same rows | rewritten ms "
                  + ("| exists ms " if old else "") + "| copy ms | plain ms | rewritten / copy "
                  "| rewritten / plain |",
                  "|---|---:|:---:|---:|" + ("---:|" if old else "") + "---:|---:|---:|---:|"]
        for name, t in res["later_ms"].items():
            ratio = t["rewritten"] / t["copy"] if t["copy"] else float("nan")
            over = t["rewritten"] / t["plain"] if t["plain"] else float("nan")
            got = res["rows"][name]
            lines.append(f"| {name} | {got['files']} | "
                         f"{'yes' if res['same_rows'][name] else '**no**: ' + str(got)} | "
                         f"{t['rewritten']:.1f} | "
                         + (f"{t['exists']:.1f} | " if old else "")
                         + f"{t['copy']:.1f} | {t['plain']:.1f} | {ratio:.1f} | {over:.1f} |")
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    from synthetic import parse_size, write_ntriples

    import virtuoso
    from channelkg.sparql.query import list_queries

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="curated,30k,100k")
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args(argv)
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="ckg-asof-remote-") as tmp:
        # The copy reads every triple in ordered pages; Virtuoso sorts at most 10,000 rows
        # past the first page by default, which stops it at 20,000 triples.
        virtuoso.INI = virtuoso.INI.replace("[Parameters]\n",
                                            "[Parameters]\nMaxSortedTopRows = 10000000\n")
        server = virtuoso.start(Path(tmp) / "virtuoso")
        try:
            for size in args.sizes.split(","):
                graph = f"{GRAPH}/{size}"
                if size == "curated":
                    files = None
                    push(server, graph, files)
                    names = [nq.name for nq in list_queries()]
                    day = CURATED_DAY
                else:
                    data = Path(tmp) / f"{size}.nt"
                    write_ntriples(data, parse_size(size))
                    files = [data]
                    push(server, graph, files)
                    names, day = list(SYNTHETIC_QUERIES), SYNTHETIC_DAY
                store = f"sparql:{server.sparql}?default-graph-uri={graph}"
                results[size] = measure(store, files, day, names, args.rounds)
                print(json.dumps({size: results[size]["first_s"]}), flush=True)
        finally:
            server.stop()
    doc = {"machine": f"{platform.machine()}, {platform.python_version()}",
           "rounds": args.rounds, "results": results}
    out = HERE / "results"
    (out / "asof-remote.json").write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
    (out / "asof-remote.md").write_text(markdown(doc) + "\n", encoding="utf-8")
    print(markdown(doc))
    return 0


if __name__ == "__main__":
    sys.exit(main())
