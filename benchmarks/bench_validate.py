"""``validate`` at 100k and 1M triples: pySHACL against the shapes compiled to SPARQL,
on files and on a store, and ``validate --focus`` on a store, each against ``load``.

For each size (a graph from benchmarks/synthetic.py, valid against the shapes) every
contender runs as a command in a fresh process (``python -m channelkg ...``, wall time
and peak RSS), rounds interleaved (each round runs every contender once), medians of
the rounds:

* ``load``: ``channelkg load --into oxigraph:TMP FILE`` (a new store each run), the
  yardstick of issue #14 (validate under 5x load);
* ``validate (pySHACL)``: ``validate FILE --shacl-engine pyshacl``: the rdflib copy and
  pySHACL (capped: reported as ``> CAP``);
* ``validate``: ``validate FILE``: the file loaded into Oxigraph, the compiled queries;
* ``validate --store``: the same on the store ``load`` built (kept for the round);
* ``validate --store --focus``: one route (``syn-route-1``) and the shapes that target it;
* ``validate --store --sample 100``: 100 focus nodes drawn from all that the shapes
  target (the draw: one query on the store), checked as ``--focus`` checks them.

``--only`` runs some contenders; without ``load`` among them the store is built once
before the rounds (untimed) or taken from ``--store-dir`` (``store-SIZE``, kept there).
``--merge`` keeps the results file's figures and adds this run to it as a later run,
its ratios to the ``--focus`` row of the same run (``--focus`` is run with it).

Usage::

    python benchmarks/bench_validate.py                     # 100k and 1m, 3 rounds
    python benchmarks/bench_validate.py --sizes 100k --repeat 3 --pyshacl-cap 120
    python benchmarks/bench_validate.py --only "validate --store --sample 100" \
        --merge --repeat 9 --data-dir DATA --store-dir DATA

Writes benchmarks/results/validate.json and validate.md and prints the Markdown.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
SRC = HERE.parent / "src"
RESULTS = HERE / "results"
sys.path.insert(0, str(HERE))

#: (name, channelkg arguments); ``{data}`` the N-Triples file, ``{store}`` the store.
CONTENDERS: tuple[tuple[str, list[str]], ...] = (
    ("load", ["load", "--into", "oxigraph:{fresh}", "{data}"]),
    ("validate (pySHACL)", ["validate", "{data}", "--shacl-engine", "pyshacl"]),
    ("validate", ["validate", "{data}"]),
    ("validate --store", ["validate", "--store", "oxigraph:{store}"]),
    ("validate --store --focus", ["validate", "--store", "oxigraph:{store}",
                                  "--focus", "syn-route-1"]),
    ("validate --store --sample 100", ["validate", "--store", "oxigraph:{store}",
                                       "--sample", "100"]),
)
#: What the rows of a later run (``--merge``) are measured against, in that run.
YARDSTICK = "validate --store --focus"


def run(argv: list[str], cap: float, src: Path = SRC) -> tuple[float | None, float | None]:
    """Wall time and peak RSS (MB) of one process; ``None`` when killed at ``cap`` or
    failed (validate exits 1 on problems: that counts as done)."""
    env = dict(os.environ, PYTHONPATH=str(src))
    killed = threading.Event()
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=err)

        def kill() -> None:
            killed.set()
            proc.kill()

        timer = threading.Timer(cap, kill)
        timer.start()
        _, status, usage = os.wait4(proc.pid, 0)  # reaps the child, with its peak RSS
        took = time.perf_counter() - start
        timer.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)
        if killed.is_set():
            return None, None
        if proc.returncode not in (0, 1):
            err.seek(0)
            print(f"  failed ({proc.returncode}): {' '.join(argv)}\n"
                  f"{err.read().decode()[-500:]}", file=sys.stderr)
            return None, None
    return took, usage.ru_maxrss / 1024


def median(xs: list[float | None]) -> float | None:
    done = [x for x in xs if x is not None]
    return statistics.median(done) if done and len(done) == len(xs) else None


def measure_size(size: str, data: Path, rounds: int, cap: float, old_cap: float,
                 src: Path = SRC, names: tuple[str, ...] | None = None,
                 store_dir: Path | None = None) -> dict[str, Any]:
    """The contenders ``names`` (default: all) on one graph, ``rounds`` interleaved rounds."""
    chosen = [(n, a) for n, a in CONTENDERS if names is None or n in names]
    work = Path(tempfile.mkdtemp(prefix="bench-validate-"))
    store = work / "store"
    if all(n != "load" for n, _ in chosen):
        store = _built_store(size, data, store_dir, work, src)
    times: dict[str, list[float | None]] = {}
    rss: dict[str, list[float | None]] = {}
    try:
        for r in range(rounds):
            for name, args in chosen:
                if name == "validate (pySHACL)" and r > 0 and times[name][0] is None:
                    times[name].append(None)  # capped once: do not wait again
                    rss[name].append(None)
                    continue
                fresh = work / f"fresh-{r}"
                argv = [sys.executable, "-m", "channelkg",
                        *(a.format(data=data, store=store, fresh=fresh) for a in args)]
                t, m = run(argv, old_cap if name == "validate (pySHACL)" else cap, src)
                if name == "load":
                    shutil.rmtree(store, ignore_errors=True)
                    fresh.rename(store)  # the store the --store contenders read
                times.setdefault(name, []).append(t)
                rss.setdefault(name, []).append(m)
                shown = "capped" if t is None else f"{t:.2f} s, {m or 0:.0f} MB"
                print(f"{size} round {r + 1} {name}: {shown}", file=sys.stderr)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return {name: {"runs": ts, "median": median(ts), "rss_mb": median(rss[name])}
            for name, ts in times.items()}


def _built_store(size: str, data: Path, store_dir: Path | None, work: Path,
                 src: Path) -> Path:
    """The store of ``data`` for contenders that only read it: ``store_dir/store-SIZE``
    if it is there, else built by ``channelkg load`` (untimed; kept in ``store_dir``)."""
    store = (store_dir or work) / f"store-{size}"
    if not store.exists():
        print(f"{size}: building the store {store}", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "channelkg", "load", "--into",
                        f"oxigraph:{store}", str(data)], check=True,
                       env=dict(os.environ, PYTHONPATH=str(src)), stdout=subprocess.DEVNULL)
    return store


def _fmt(t: float | None, cap: float) -> str:
    return f"> {cap:.0f}" if t is None else f"{t:.2f}"


def _ratio(t: float | None, base: float | None) -> str:
    if not (t and base):
        return ""
    return f"x{t / base:.2f}" if t / base >= 0.1 else f"x{t / base:.3f}"


def markdown(res: dict[str, Any]) -> str:
    cap = res["cap"]
    lines = ["# validate at 100k and 1M triples", "",
             f"Machine: {res['machine']}; {res['rounds']} interleaved rounds, each command in "
             "a fresh process (wall time, import included); medians, and the median peak RSS. "
             "`ratio` is a command's time over `load` (`channelkg load --into`) at the same "
             f"size, in the same run. `> {cap:.0f}` means killed at the cap (pySHACL, once "
             "capped, is not run again in later rounds). The graphs are "
             "benchmarks/synthetic.py's (valid: every contender reports no problem). The "
             "runs of each round are in the .json file.", "",
             "| command | size | time (s) | ratio to load | peak RSS (MB) |",
             "|---|---|---:|---:|---:|"]
    for size, by in res["sizes"].items():
        load = by["load"]["median"]
        for name, v in by.items():
            if name == "n":
                continue
            t = v["median"]
            mem = "" if v["rss_mb"] is None else f"{v['rss_mb']:.0f}"
            lines.append(f"| {name} | {size} | {_fmt(t, cap)} | {_ratio(t, load)} | {mem} |")
    for later in res.get("later", []):
        lines += ["", f"## {later['title']}", "",
                  f"Machine: {later['machine']}; a later run than the table above, of "
                  f"these rows only: {later['rounds']} interleaved rounds on the store "
                  "`load` builds from the same graph (built once, untimed), medians. "
                  f"`ratio` is a command's time over `{YARDSTICK}` in this run; a time "
                  "here and one above come from different runs (other jobs share the "
                  "machine), so compare rows within one table.", "",
                  "| command | size | time (s) | ratio to --focus | peak RSS (MB) |",
                  "|---|---|---:|---:|---:|"]
        for size, by in later["sizes"].items():
            base = by[YARDSTICK]["median"]
            for name, v in by.items():
                if name == "n":
                    continue
                t = v["median"]
                mem = "" if v["rss_mb"] is None else f"{v['rss_mb']:.0f}"
                lines.append(f"| {name} | {size} | {_fmt(t, cap)} | {_ratio(t, base)} | "
                             f"{mem} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    from synthetic import parse_size, write_ntriples

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="100k,1m")
    ap.add_argument("--repeat", type=int, default=3, help="interleaved rounds")
    ap.add_argument("--cap", type=float, default=900, help="seconds before a run is killed")
    ap.add_argument("--pyshacl-cap", type=float, default=300,
                    help="seconds before a pySHACL run is killed")
    ap.add_argument("--data-dir", type=Path, help="where generated graphs are kept (reused)")
    ap.add_argument("--store-dir", type=Path,
                    help="where stores built for --only runs without load are kept (reused)")
    ap.add_argument("--only", action="append", metavar="NAME",
                    help="run this contender only (repeatable; with --merge, "
                    f"{YARDSTICK!r} is run too)")
    ap.add_argument("--merge", action="store_true",
                    help="add this run to the results file as a later run (keep its figures)")
    ap.add_argument("--title", default="validate --sample",
                    help="the heading of a merged run")
    ap.add_argument("--name", default="validate", help="results file stem")
    ap.add_argument("--src", type=Path, default=SRC,
                    help="the src folder measured (default: this checkout's)")
    args = ap.parse_args(argv)
    known = [n for n, _ in CONTENDERS]
    names = None if not args.only else tuple(
        n for n in known if n in args.only or (args.merge and n == YARDSTICK))
    if args.only and set(args.only) - set(known):
        ap.error(f"unknown contender(s) {sorted(set(args.only) - set(known))}; "
                 f"choose from {known}")
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="bench-validate-data-"))
    data_dir.mkdir(parents=True, exist_ok=True)
    machine = f"{platform.machine()}, {platform.python_version()}, {os.cpu_count()} CPUs"
    run_res: dict[str, Any] = {"machine": machine, "rounds": args.repeat, "sizes": {}}
    for size in args.sizes.split(","):
        data = data_dir / f"synthetic-{size}.nt"
        if not data.exists():
            write_ntriples(data, parse_size(size))
        run_res["sizes"][size] = measure_size(size, data, args.repeat, args.cap,
                                              args.pyshacl_cap, args.src, names,
                                              args.store_dir)
        run_res["sizes"][size]["n"] = parse_size(size)
    path = RESULTS / f"{args.name}.json"
    if args.merge:
        res = json.loads(path.read_text(encoding="utf-8"))
        later = [x for x in res.get("later", []) if x.get("title") != args.title]
        res["later"] = [*later, {"title": args.title, **run_res}]
    else:
        res = {"machine": machine, "rounds": args.repeat, "cap": args.pyshacl_cap,
               "sizes": run_res["sizes"]}
    RESULTS.mkdir(exist_ok=True)
    path.write_text(json.dumps(res, indent=2) + "\n", encoding="utf-8")
    text = markdown(res)
    (RESULTS / f"{args.name}.md").write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
