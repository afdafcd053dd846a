"""Benchmark ``channelkg serve`` against a minimal pyoxigraph HTTP server and Virtuoso.

The same synthetic graph (benchmarks/synthetic.py, default 20k triples, plus the
ontology) is served by three contenders, each in its own processes on 127.0.0.1:

* ``channelkg serve --data FILE`` (its default options: 2 workers);
* a minimal pyoxigraph server written here: ``http.server`` with HTTP/1.1 keep-alive,
  one in-memory store, answers serialized by pyoxigraph (the floor any Python endpoint
  on pyoxigraph pays);
* Virtuoso 7 (started as the tests start it, tests/virtuoso.py; the graph pushed by the
  Graph Store Protocol, queried with ``default-graph-uri``);
* with ``--before SRC``: ``channelkg serve`` run from another ``src`` folder (the main
  branch's, say), to compare a change with the code before it in the same run.

Two queries, each answered as SPARQL JSON: a small one (the markets with their ISO
codes, ``LIMIT 10``) and a 1,000-row one (``SELECT ?s ?p ?o … LIMIT 1000``). Clients
keep their connection alive (one ``http.client`` connection per client thread) and
send GET requests for ``--seconds`` each, at concurrency 1 and 16. Contenders are
interleaved, round by round (the order rotates), and the medians of ``--rounds``
rounds are reported, with the CPU time the server's processes spent per request (from
/proc; not for Virtuoso).

Usage::

    python benchmarks/bench_serve.py               # 20k triples, 3 rounds of 2 s
    python benchmarks/bench_serve.py --size 100k --rounds 5 --seconds 3
    python benchmarks/bench_serve.py --before ../main/src   # and the code before a change

Writes benchmarks/results/serve.json and serve.md and prints the Markdown.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing as mp
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT / "tests"))

from synthetic import parse_size, write_ntriples  # noqa: E402

from channelkg.resources import ontology_file  # noqa: E402

CKG = "PREFIX ckg: <https://w3id.org/channelkg/ontology#>\n"
QUERIES = {
    "small": CKG + "SELECT ?m ?code WHERE { ?m a ckg:Market ; ckg:isoCode ?code } "
                   "ORDER BY ?code LIMIT 10",
    "1000 rows": "SELECT ?s ?p ?o WHERE { ?s ?p ?o } LIMIT 1000",
}
CONCURRENCY = (1, 16)
GRAPH = "https://w3id.org/channelkg/bench/serve"
ACCEPT = "application/sparql-results+json"
BEFORE = "channelkg serve (before)"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# ------------------------------------------------------------------ the minimal server


def minimal_server(files: list[str], port: int, ready: Any) -> None:
    """A minimal SPARQL endpoint on pyoxigraph (runs in its own process)."""
    import http.server

    import pyoxigraph as ox

    store = ox.Store()
    for f in files:
        store.bulk_load(path=f, format=ox.RdfFormat.from_extension(Path(f).suffix[1:]))

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body go out as separate writes

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass

        def do_GET(self) -> None:  # noqa: N802
            qs = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
            try:
                res = store.query(qs["query"][0])
                body = res.serialize(format=ox.QueryResultsFormat.JSON)
                status = 200
            except (KeyError, SyntaxError, ValueError) as err:
                body, status = str(err).encode(), 400
            self.send_response(status)
            self.send_header("Content-Type", ACCEPT)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    ready.set()
    server.serve_forever()


# ------------------------------------------------------------------ contenders


class Contender:
    def __init__(self, name: str, url: str, stop: Callable[[], None], pid: int = 0) -> None:
        self.name, self.url, self.stop, self.pid = name, url, stop, pid


def wait_until_answers(url: str, timeout: float = 300.0) -> None:
    deadline = time.monotonic() + timeout
    split = urllib.parse.urlsplit(url)
    path = split.path + "?" + urllib.parse.urlencode(
        [*urllib.parse.parse_qsl(split.query), ("query", "ASK {}")])
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection(split.hostname, split.port, timeout=5)
            conn.request("GET", path, headers={"Accept": ACCEPT})
            if conn.getresponse().status == 200:
                conn.close()
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {timeout:.0f} s")


def start_channelkg(files: list[str], source: str | None = None) -> Contender:
    """``channelkg serve`` of this checkout, or of the ``src`` folder ``source``."""
    port = free_port()
    cmd = [sys.executable, "-m", "channelkg", "serve", "--port", str(port)]
    for f in files[1:]:  # channelkg reads the ontology (files[0]) with file data itself
        cmd += ["--data", f]
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([source or str(ROOT / "src"),
                                         *filter(None, [env.get("PYTHONPATH")])])
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    url = f"http://127.0.0.1:{port}/sparql"
    wait_until_answers(url)

    def stop() -> None:
        proc.terminate()
        proc.wait(30)

    return Contender(BEFORE if source else "channelkg serve", url, stop, proc.pid)


def start_minimal(files: list[str]) -> Contender:
    ctx = mp.get_context("spawn")
    ready = ctx.Event()
    port = free_port()
    proc = ctx.Process(target=minimal_server, args=(files, port, ready), daemon=True)
    proc.start()
    ready.wait(300)
    url = f"http://127.0.0.1:{port}/sparql"
    wait_until_answers(url)

    def stop() -> None:
        proc.terminate()
        proc.join(10)

    return Contender("minimal pyoxigraph server", url, stop, proc.pid or 0)


def start_virtuoso(files: list[str], folder: Path) -> Contender:
    import virtuoso
    from channelkg.graph.remote import push

    srv = virtuoso.start(folder)
    push(srv.gsp, GRAPH, files, ontology=False, user=virtuoso.USER,
         password=virtuoso.PASSWORD)
    url = f"{srv.sparql}?{urllib.parse.urlencode({'default-graph-uri': GRAPH})}"
    wait_until_answers(url)
    return Contender("Virtuoso 7", url, srv.stop)


# ------------------------------------------------------------------ clients


def cpu_seconds(pid: int) -> float:
    """CPU time (user and system) of a process and its children, from /proc (0: unknown)."""
    if not pid:
        return 0.0
    try:
        kids = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        kids = []
    total = 0
    for p in [pid, *map(int, kids)]:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def measure(url: str, query: str, concurrency: int, seconds: float,
            pid: int = 0) -> dict[str, float]:
    """Requests/s of ``concurrency`` keep-alive clients sending GET for ``seconds``
    (and the server's CPU time per request, when its process ``pid`` is given)."""
    split = urllib.parse.urlsplit(url)
    path = split.path + "?" + urllib.parse.urlencode(
        [*urllib.parse.parse_qsl(split.query), ("query", query)])
    counts = [0] * concurrency
    errors = [0] * concurrency
    latencies: list[list[float]] = [[] for _ in range(concurrency)]
    stop_at = time.monotonic() + seconds
    barrier = threading.Barrier(concurrency)

    def client(i: int) -> None:
        conn = http.client.HTTPConnection(split.hostname, split.port, timeout=60)
        barrier.wait()
        while time.monotonic() < stop_at:
            start = time.perf_counter()
            try:
                conn.request("GET", path, headers={"Accept": ACCEPT})
                resp = conn.getresponse()
                body = resp.read()
                if resp.status != 200 or not body:
                    errors[i] += 1
                else:
                    counts[i] += 1
            except (OSError, http.client.HTTPException):
                errors[i] += 1
                conn.close()
                conn = http.client.HTTPConnection(split.hostname, split.port, timeout=60)
            latencies[i].append(time.perf_counter() - start)
        conn.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(concurrency)]
    cpu = cpu_seconds(pid)
    begin = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - begin
    cpu = cpu_seconds(pid) - cpu
    lat = sorted(x for xs in latencies for x in xs)
    return {"requests_per_s": sum(counts) / elapsed, "errors": float(sum(errors)),
            "p50_ms": 1000 * lat[len(lat) // 2] if lat else 0.0,
            "cpu_ms_per_request": 1000 * cpu / max(1, sum(counts))}


def check_rows(contenders: list[Contender]) -> dict[str, dict[str, int]]:
    """Each contender's row count per query (they must agree)."""
    out: dict[str, dict[str, int]] = {}
    for c in contenders:
        split = urllib.parse.urlsplit(c.url)
        out[c.name] = {}
        for name, q in QUERIES.items():
            path = split.path + "?" + urllib.parse.urlencode(
                [*urllib.parse.parse_qsl(split.query), ("query", q)])
            conn = http.client.HTTPConnection(split.hostname, split.port, timeout=60)
            conn.request("GET", path, headers={"Accept": ACCEPT})
            out[c.name][name] = len(json.loads(conn.getresponse().read())["results"]
                                    ["bindings"])
            conn.close()
    return out


# ------------------------------------------------------------------ report


def markdown(doc: dict[str, Any]) -> str:
    names = [c for c in doc["contenders"]]
    lines = [
        f"# serve benchmark: requests/s (median of {doc['rounds']} interleaved rounds of "
        f"{doc['seconds']:g} s; keep-alive GET, SPARQL JSON)",
        "",
        f"{doc['triples']} triples; {doc['machine']}.",
        "",
        "| query | clients | " + " | ".join(names) + " | channelkg / minimal | "
        "channelkg / Virtuoso |" + (" before / minimal |" if BEFORE in names else ""),
        "|---|---|" + "---|" * len(names) + "---|---|" + ("---|" if BEFORE in names else ""),
    ]
    for key, cell in doc["results"].items():
        query, conc = key.rsplit(" @", 1)
        med = {n: cell[n]["median_rps"] for n in names if n in cell}
        ck = med.get("channelkg serve")

        def ratio(other: str, med: dict[str, float] = med, base: float | None = ck) -> str:
            o = med.get(other)
            return f"{base / o:.2f}" if base and o else "-"

        before = ""
        if BEFORE in names:
            before = f" {ratio('minimal pyoxigraph server', base=med.get(BEFORE))} |"
        lines.append(f"| {query} | {conc} | " + " | ".join(
            f"{med[n]:.0f} (p50 {cell[n]['median_p50_ms']:.1f} ms)" if n in med else "-"
            for n in names) + f" | {ratio('minimal pyoxigraph server')} | "
            f"{ratio('Virtuoso 7')} |" + before)
    timed = [n for n in names if n != "Virtuoso 7"]
    lines += ["", "Server CPU time per request (ms, all its processes; median of the rounds):",
              "", "| query | clients | " + " | ".join(timed) + " |",
              "|---|---|" + "---|" * len(timed)]
    for key, cell in doc["results"].items():
        query, conc = key.rsplit(" @", 1)
        lines.append(f"| {query} | {conc} | " + " | ".join(
            f"{cell[n]['median_cpu_ms']:.2f}" if n in cell else "-" for n in timed) + " |")
    lines += ["", "Rows per answer: " + json.dumps(doc["rows"]), ""]
    if doc.get("notes"):
        lines += [f"* {n}" for n in doc["notes"]] + [""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--size", default="20k")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seconds", type=float, default=2.0)
    ap.add_argument("--no-virtuoso", action="store_true")
    ap.add_argument("--before", metavar="SRC",
                    help="also measure channelkg serve from this src folder (e.g. of the main "
                         "branch's checkout), interleaved with the others")
    ap.add_argument("--out", type=Path, default=HERE / "results")
    args = ap.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="bench-serve-"))
    data = work / "synthetic.nt"
    n = write_ntriples(data, parse_size(args.size))
    files = [str(ontology_file()), str(data)]
    notes: list[str] = []
    load = os.getloadavg()[0]
    contenders = [start_channelkg(files), start_minimal(files)]
    if args.before:
        contenders.insert(1, start_channelkg(files, args.before))
    if not args.no_virtuoso:
        try:
            contenders.append(start_virtuoso(files, work / "virtuoso"))
        except (RuntimeError, OSError) as err:
            notes.append(f"Virtuoso not measured: {err}")
    try:
        rows = check_rows(contenders)
        samples: dict[str, dict[str, list[dict[str, float]]]] = {}
        for r in range(args.rounds):
            order = contenders[r % len(contenders):] + contenders[:r % len(contenders)]
            for qname, q in QUERIES.items():
                for conc in CONCURRENCY:
                    key = f"{qname} @{conc}"
                    for c in order:
                        print(f"round {r + 1}: {c.name}, {key}", file=sys.stderr)
                        samples.setdefault(key, {}).setdefault(c.name, []).append(
                            measure(c.url, q, conc, args.seconds, c.pid))
    finally:
        for c in contenders:
            c.stop()
    notes.append(f"machine load (1-minute load average, other work included) at the start "
                 f"and the end: {load:.1f} / {os.getloadavg()[0]:.1f}")
    results = {
        key: {name: {"median_rps": statistics.median(s["requests_per_s"] for s in runs),
                     "median_p50_ms": statistics.median(s["p50_ms"] for s in runs),
                     "median_cpu_ms": statistics.median(s["cpu_ms_per_request"]
                                                        for s in runs),
                     "errors": sum(s["errors"] for s in runs), "runs": runs}
              for name, runs in by.items()}
        for key, by in samples.items()
    }
    doc = {"triples": n, "rounds": args.rounds, "seconds": args.seconds,
           "machine": f"{platform.machine()}, {mp.cpu_count()} CPUs, Python "
                      f"{platform.python_version()}",
           "contenders": [c.name for c in contenders], "rows": rows, "results": results,
           "notes": notes + ["the client runs in this process (Python threads): at 16 "
                             "clients it shares the 2 CPUs with the servers"]}
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "serve.json").write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
    md = markdown(doc)
    (args.out / "serve.md").write_text(md, encoding="utf-8")
    print(md)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
