"""Start-up: ``channelkg --help`` and ``channelkg query seed-table`` against importing pyoxigraph.

Issue 14's target: both within x2 of ``python -c 'import pyoxigraph'``. Every contender
runs in a fresh process (wall time, interpreter start-up included), ``--repeat`` rounds,
interleaved: each round runs every contender once, in an order rotated from round to round,
this checkout's code (``new``) and, with ``--baseline SRC`` (a ``src`` folder of another
revision, e.g. from ``git archive REV src``), the same command on that code. Medians;
every ratio is to the median of ``import pyoxigraph`` in the same run.

The commands run through the ``channelkg`` script next to the interpreter (what users
run; ``python -m channelkg`` where there is none), with ``PYTHONPATH`` set to the code
measured. Bytecode is cached as in an installed package, in a scratch folder
(``PYTHONPYCACHEPREFIX``), never in the source tree; one unrecorded warm-up run of each
contender fills it. Reference rows: the bare interpreter, ``import click`` (the CLI's
floor), ``import rdflib``, and the floor of ``query seed-table``: a script doing only what
the command cannot skip (``import re``, which the ``channelkg`` script itself does, then
pyoxigraph, a transactional ``Store.load`` of each bundled file (what channelkg does for
files up to 4 MiB), the query as channelkg binds it, the rows
printed).

``query seed-table`` runs three ways (channelkg.cli.cache): with the result cache off
(``CHANNELKG_CACHE_DIR=off``: the command itself), as a miss (a new, empty cache folder for
each run: the command, its key and storing the entry) and as a hit (a folder holding the
entry, stored by the warm-up run: what a repeated command line costs). Before the rounds,
the three must print the same bytes.

Usage::

    python benchmarks/bench_startup.py                              # 15 rounds
    python benchmarks/bench_startup.py --repeat 25 --baseline /path/to/old/src

Writes benchmarks/results/startup.json and startup.md and prints the Markdown.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
SRC = HERE.parent / "src"
RESULTS = HERE / "results"
BASE = "python -c 'import pyoxigraph'"
#: ``query seed-table`` with the result cache off, as its first run (a miss in a fresh
#: cache folder, the entry stored) and as a hit (channelkg.cli.cache).
SEED, SEED_MISS, SEED_HIT = ("channelkg query seed-table" + tail for tail in (
    " (cache off)", " (cache miss)", " (cache hit)"))
#: The value of CHANNELKG_CACHE_DIR that stands for a new, empty folder for each run.
FRESH = "<a new folder>"
#: The result cache's folder for each contender (None: the variable is not set).
CACHE: dict[str, str | None] = {SEED: "off", SEED_MISS: FRESH, SEED_HIT: "hit"}
FLOOR = "floor of query seed-table"
#: What ``query seed-table`` cannot do without (arguments: the files, then the query).
FLOOR_CODE = """
import re, sys  # the channelkg script imports re before channelkg
import pyoxigraph as ox
*files, text = sys.argv[1:]
store = ox.Store()
for f in files:  # as channelkg loads them: one transactional load per (small) file
    store.load(path=f, format=ox.RdfFormat.TURTLE)
rows = store.query(text, use_default_graph_as_union=True)
sys.stdout.write("".join("  ".join("" if t is None else t.value for t in row) + "\\n"
                         for row in rows))
"""


def channelkg_argv() -> list[str]:
    """How to run the ``channelkg`` script of this interpreter's environment."""
    script = Path(sys.executable).parent / "channelkg"
    return [str(script)] if script.is_file() else [sys.executable, "-m", "channelkg"]


def floor_args(src: Path) -> list[str]:
    """The bundled files and the text of ``seed-table`` with its defaults bound, as the
    code in ``src`` loads and binds them."""
    sys.path.insert(0, str(src))
    from channelkg.graph.memory import load
    from channelkg.sparql.binding import bind_values, query_base, with_base
    from channelkg.sparql.query import bind, resolve

    kg = load()
    text, nq = resolve("seed-table")
    full = with_base(bind_values(text, bind(nq, {}, kg, native=True)), query_base("seed-table"))
    return [*map(str, kg.files), full]


def contenders(src: Path = SRC) -> dict[str, list[str]]:
    py, ckg = sys.executable, channelkg_argv()
    return {
        BASE: [py, "-c", "import pyoxigraph"],
        "channelkg --help": [*ckg, "--help"],
        SEED: [*ckg, "query", "seed-table"],
        SEED_MISS: [*ckg, "query", "seed-table"],
        SEED_HIT: [*ckg, "query", "seed-table"],
        "python -c pass": [py, "-c", "pass"],
        "python -c 'import click'": [py, "-c", "import click"],
        "python -c 'import rdflib'": [py, "-c", "import rdflib"],
        FLOOR: [py, "-c", FLOOR_CODE, *floor_args(src)],
    }


def run(argv: list[str], env: dict[str, str], out: int | None = subprocess.DEVNULL
        ) -> tuple[float, float]:
    """Wall time and CPU time (user + system) of one process; a failure stops the benchmark.

    ``CHANNELKG_CACHE_DIR`` set to :data:`FRESH` becomes a new folder (made before the
    clock starts)."""
    if env.get("CHANNELKG_CACHE_DIR") == FRESH:
        env = dict(env, CHANNELKG_CACHE_DIR=tempfile.mkdtemp(dir=env["CHANNELKG_BENCH_DIR"]))
    start = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.PIPE)
    assert proc.stderr is not None
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    took = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        sys.exit(f"failed ({proc.returncode}): {' '.join(argv)}\n{err.decode()[-500:]}")
    return took, usage.ru_utime + usage.ru_stime


def measure(repeat: int, src: Path = SRC, baseline: Path | None = None) -> dict[str, Any]:
    """Median wall time of every contender (and of the baseline's channelkg commands)."""
    with tempfile.TemporaryDirectory(prefix="channelkg-bench-pycache-") as cache:
        return _measure(repeat, {"new": src, **({"baseline": baseline} if baseline else {})},
                        Path(cache))


def _measure(repeat: int, codes: dict[str, Path], cache: Path) -> dict[str, Any]:
    env0 = {k: v for k, v in os.environ.items()
            if k not in ("PYTHONDONTWRITEBYTECODE", "CHANNELKG_CACHE_DIR")}
    runs: list[tuple[str, str, list[str], dict[str, str]]] = []
    for name, argv in contenders(codes["new"]).items():
        for code, folder in codes.items():
            if code == "baseline" and (not name.startswith("channelkg") or name in CACHE
                                       and name != SEED):
                continue  # the same interpreter and libraries: measured once
            env = dict(env0, PYTHONPATH=str(folder), PYTHONPYCACHEPREFIX=str(cache / code),
                       CHANNELKG_BENCH_DIR=str(cache))
            where = CACHE.get(name)
            if where is not None:
                env["CHANNELKG_CACHE_DIR"] = where if where in ("off", FRESH) else str(
                    cache / f"results-{code}")
            runs.append((name, code, argv, env))
    for _, _, argv, env in runs:
        run(argv, env)  # warm-up: bytecode cache and file cache (and the hit's entry)
    check_hit(runs, cache)
    times: dict[tuple[str, str], list[tuple[float, float]]] = {(n, c): [] for n, c, _, _ in runs}
    for r in range(repeat):
        shift = r % len(runs)
        for name, code, argv, env in runs[shift:] + runs[:shift]:
            times[name, code].append(run(argv, env))
        print(f"round {r + 1}/{repeat}", file=sys.stderr)
    base = [statistics.median(t[i] for t in times[BASE, "new"]) for i in (0, 1)]
    out: dict[str, Any] = {}
    for (name, code), ts in times.items():
        wall, cpu = (statistics.median(t[i] for t in ts) for i in (0, 1))
        out.setdefault(name, {})[code] = {
            "runs": [t[0] for t in ts], "median": wall, "ratio": wall / base[0],
            "cpu_runs": [t[1] for t in ts], "cpu_median": cpu, "cpu_ratio": cpu / base[1]}
    return out


def check_hit(runs: list[tuple[str, str, list[str], dict[str, str]]], cache: Path) -> None:
    """Stop unless the hit prints what the command prints with the cache off, from the
    one entry of its folder."""
    shown = {}
    for name, code, argv, env in runs:
        if name in CACHE and code == "new":
            with tempfile.TemporaryFile(dir=cache) as fh:
                run(argv, env, fh.fileno())
                fh.seek(0)
                shown[name] = fh.read()
    hits = list((cache / "results-new").glob("*.out"))
    if len(set(shown.values())) != 1 or len(hits) != 1:
        sys.exit("the cache hit does not print what the command prints")


def bundled_load(repeat: int, src: Path = SRC) -> dict[str, float]:
    """Median milliseconds to get the bundled graph into a store, four ways, interleaved:
    what ``channelkg`` does (the Turtle files, with their checks), a bare bulk load of the
    same files, and what a cache could hold instead (one N-Quads dump; a read-only
    on-disk store), to tell whether caching the bundled graph is worth it."""
    sys.path.insert(0, str(src))
    import pyoxigraph as ox

    from channelkg.graph.memory import load

    files = [str(f) for f in load().files]
    with tempfile.TemporaryDirectory(prefix="channelkg-bench-cache-") as folder:
        dump, disk = Path(folder) / "graph.nq", Path(folder) / "store"
        load().store.dump(str(dump), format=ox.RdfFormat.N_QUADS)  # type: ignore[attr-defined]
        on_disk = ox.Store(str(disk))
        on_disk.bulk_load(path=str(dump), format=ox.RdfFormat.N_QUADS)
        on_disk.flush()
        del on_disk

        def turtle() -> None:
            store = ox.Store()
            for f in files:
                store.bulk_load(path=f, format=ox.RdfFormat.TURTLE)

        def transactional() -> None:
            store = ox.Store()
            for f in files:
                store.load(path=f, format=ox.RdfFormat.TURTLE)

        def nquads() -> None:
            ox.Store().bulk_load(path=str(dump), format=ox.RdfFormat.N_QUADS)

        ways: dict[str, Callable[[], object]] = {"channelkg load() of the Turtle files": load,
                "bulk load of the same Turtle files": turtle,
                "transactional load of the same Turtle files": transactional,
                "bulk load of one N-Quads dump": nquads,
                "open a read-only on-disk store": lambda: len(ox.Store.read_only(str(disk)))}
        times: dict[str, list[float]] = {k: [] for k in ways}
        for _ in range(repeat):
            for name, call in ways.items():
                start = time.perf_counter()
                call()
                times[name].append(time.perf_counter() - start)
    return {name: 1000 * statistics.median(ts) for name, ts in times.items()}


def markdown(res: dict[str, Any]) -> str:
    baseline = any("baseline" in v for v in res["contenders"].values())
    lines = ["# Start-up", "",
             f"Machine: {res['machine']}; {res['repeat']} interleaved rounds, each command in a "
             "fresh process (wall time, interpreter start-up included), bytecode cached; "
             "medians. The ratio is a command's median over the median of "
             f"`{BASE}` in the same run; issue 14's target is x2 or less for "
             "`channelkg --help` and `channelkg query seed-table`. The result cache "
             "(channelkg.cli.cache) gives `query seed-table` three rows: "
             f"`{SEED_HIT}` is a repeated run (the entry read, nothing loaded), "
             f"`{SEED_MISS}` a first run (a new, empty cache folder: the graph loaded, the "
             f"query run, the entry stored) and `{SEED}` the command itself "
             "(`CHANNELKG_CACHE_DIR=off`)."
             + (" Machine load (1-minute load average, before and after): "
                + " and ".join(f"{v:.1f}" for v in res["load_average"])
                + f" on {os.cpu_count()} CPUs: other work shared them, so the ratios "
                "matter more than the absolute times." if res.get("load_average") else ""),
             ""]
    head = "| command | median (s) | ratio | CPU median (s) | CPU ratio |"
    rule = "|---|---:|---:|---:|---:|"
    if baseline:
        head += " baseline median (s) | ratio | CPU median (s) | CPU ratio |"
        rule += "---:|---:|---:|---:|"
    lines += ["Wall time is what a user waits; CPU time (user + system, of the process) moves "
              "less when other work shares the machine. Ratios are to `import pyoxigraph`.",
              "", head, rule]
    for name, by in res["contenders"].items():
        row = f"| `{name}` |"
        for code in ("new", "baseline") if baseline else ("new",):
            v = by.get(code)
            row += (f" {v['median']:.3f} | x{v['ratio']:.2f} | {v['cpu_median']:.3f} | "
                    f"x{v['cpu_ratio']:.2f} |" if v else " | | | |")
        lines.append(row)
    if res.get("bundled_load_ms"):
        seed = res["contenders"][SEED]["new"]["median"]
        lines += ["", "## Loading the bundled graph (could a cache help?)", "",
                  "In one process, interleaved, medians; the share is of the whole "
                  f"`{SEED}` above.", "",
                  "| way | median (ms) | share of seed-table |", "|---|---:|---:|"]
        for name, ms in res["bundled_load_ms"].items():
            lines.append(f"| {name} | {ms:.1f} | {ms / 10 / seed:.0f}% |")
    return "\n".join(lines) + "\n"


def write(res: dict[str, Any], name: str = "startup") -> str:
    """Write the results (json and md); return the Markdown."""
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(res, indent=1) + "\n")
    md = markdown(res)
    (RESULTS / f"{name}.md").write_text(md)
    return md


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeat", type=int, default=15, help="interleaved rounds")
    ap.add_argument("--src", type=Path, default=SRC, help="the src folder measured as 'new'")
    ap.add_argument("--baseline", type=Path, help="a src folder of the code to compare with")
    ap.add_argument("--name", default="startup", help="results file stem")
    args = ap.parse_args(argv)
    load_before = os.getloadavg()[0]
    res = {"machine": f"{platform.machine()}, {platform.python_version()}, "
                      f"{os.cpu_count()} CPUs",
           "repeat": args.repeat,
           "contenders": measure(args.repeat, args.src.resolve(),
                                 args.baseline.resolve() if args.baseline else None),
           "bundled_load_ms": bundled_load(args.repeat, args.src.resolve())}
    res["load_average"] = [round(load_before, 2), round(os.getloadavg()[0], 2)]
    print(write(res, args.name))
    return 0


if __name__ == "__main__":
    sys.exit(main())
