"""Every command at 100k and 1M triples: growth exponent and ratio to the load time.

For each size (a graph from benchmarks/synthetic.py, with hubs) every contender runs
as a command in a fresh process (``python -m channelkg ...``, wall time), rounds
interleaved: in each round every command of this checkout, then, with ``--baseline
SRC`` (a ``src`` folder of another revision, e.g. from ``git archive REV src``), the
same command on that code. ``load`` is the time to import channelkg and load the graph
(``channelkg.graph.memory.load``), the fixed cost every command on files pays; each
command's ratio to it is taken in the same run. The exponent is
``log(t_1M / t_100k) / log(10)`` (1 = linear).

Start-up (``--startup``): ``channelkg --help`` and ``channelkg query seed-table`` on the
bundled graph against ``python -c 'import pyoxigraph'``, as benchmarks/bench_startup.py
measures them (which also compares with a baseline and writes results/startup.md).

Usage::

    python benchmarks/bench_scale.py                           # 100k and 1m, 3 rounds
    python benchmarks/bench_scale.py --sizes 100k --repeat 3 --baseline /path/to/old/src \
        --baseline-name "main at abc1234"
    python benchmarks/bench_scale.py --startup-only

Writes benchmarks/results/scale.json and scale.md and prints the Markdown.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
SRC = HERE.parent / "src"
RESULTS = HERE / "results"
sys.path.insert(0, str(HERE))

#: (name, channelkg arguments); ``{out}`` is a scratch file.
COMMANDS: tuple[tuple[str, list[str]], ...] = (
    ("routes --market", ["routes", "--market", "CN"]),
    ("spof --model --market", ["spof", "--market", "CN", "--model", "syn-model-0"]),
    ("spof --market (all families)", ["spof", "--market", "CN"]),
    ("whatif --end", ["whatif", "--end", "syn-partnership-2"]),
    ("report --market", ["report", "--market", "CN", "-o", "{out}"]),
    ("explain", ["explain", "syn-route-1"]),
    ("validate", ["validate", "{data}"]),
    ("query routes-into", ["query", "routes-into", "-o", "{out}"]),
    ("query routes-into --as-of", ["query", "routes-into", "--as-of", "2024-01-01", "-o", "{out}"]),
    ("query status-summary", ["query", "status-summary", "-o", "{out}"]),
    ("view --market", ["view", "--market", "CN", "-o", "{out}"]),
    ("view --market --collapse", ["view", "--market", "CN", "--collapse", "-o", "{out}"]),
    ("view --channels --market", ["view", "--channels", "--market", "CN", "-o", "{out}"]),
    ("diff", ["diff", "--from", "2023-01-01", "--to", "2025-01-01", "-o", "{out}"]),
    ("diff --market", ["diff", "--from", "2023-01-01", "--to", "2025-01-01", "--market", "CN",
                       "-o", "{out}"]),
    ("timeline --market", ["timeline", "--market", "CN", "-o", "{out}"]),
)
LOAD = ("import sys; from pathlib import Path; from channelkg.graph.memory import load; "
        "load([Path(sys.argv[1])])")


def run(argv: list[str], src: Path, cap: float) -> float | None:
    """Wall time of one process (``None``: killed at ``cap`` seconds or failed)."""
    # Both contenders read this checkout's ontology: a ``git archive REV src`` has none.
    env = dict(os.environ, PYTHONPATH=str(src), CHANNELKG_HOME=str(HERE.parent))
    start = time.perf_counter()
    try:
        done = subprocess.run(argv, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, timeout=cap, check=False)
    except subprocess.TimeoutExpired:
        return None
    took = time.perf_counter() - start
    if done.returncode not in (0, 1):  # validate exits 1 on problems; anything else failed
        print(f"  failed ({done.returncode}): {' '.join(argv)}\n{done.stderr.decode()[-500:]}",
              file=sys.stderr)
        return None
    return took


def command_argv(args: list[str], data: Path, out: Path) -> list[str]:
    filled = [a.format(out=out, data=data) for a in args]
    extra = [] if args[0] == "validate" else ["--data", str(data)]
    return [sys.executable, "-m", "channelkg", *filled, *extra]


def median(xs: list[float | None]) -> float | None:
    done = [x for x in xs if x is not None]
    return statistics.median(done) if done and len(done) == len(xs) else None


def measure_size(size: str, data: Path, rounds: int, cap: float, src_new: Path,
                 baseline: Path | None, skip: set[str]) -> dict[str, Any]:
    """Every command (and load) on one graph, ``rounds`` interleaved rounds."""
    out = Path(tempfile.mkdtemp()) / "report.md"
    codes = [("new", src_new)] + ([("baseline", baseline)] if baseline else [])
    times: dict[str, dict[str, list[float | None]]] = {}
    for r in range(rounds):
        for name, args in (("load", []), *COMMANDS):
            if name in skip:
                continue
            for code, src in codes:
                if code == "baseline" and r > 0 and times[name][code][0] is None:
                    times[name][code].append(None)  # capped once: do not wait again
                    continue
                argv = ([sys.executable, "-c", LOAD, str(data)] if name == "load"
                        else command_argv(args, data, out))
                t = run(argv, src, cap)
                times.setdefault(name, {}).setdefault(code, []).append(t)
                shown = "capped" if t is None else f"{t:.2f} s"
                print(f"{size} round {r + 1} {code:8} {name}: {shown}", file=sys.stderr)
    return {name: {code: {"runs": ts, "median": median(ts)} for code, ts in by.items()}
            for name, by in times.items()}


def startup(repeat: int) -> dict[str, Any]:
    """Wall time of start-up commands against importing pyoxigraph (bench_startup.py)."""
    from bench_startup import measure

    return {name: by["new"] for name, by in measure(repeat).items()}


def _fmt(t: float | None, cap: float) -> str:
    return f"> {cap:.0f}" if t is None else f"{t:.2f}"


def markdown(res: dict[str, Any]) -> str:
    cap = res["cap"]
    sizes = list(res["sizes"])
    lines = ["# Every command at 100k and 1M triples" if sizes else "# Start-up", "",
             f"Machine: {res['machine']}; {res['rounds']} interleaved rounds, each command in a "
             "fresh process (wall time, import and load included); medians. `load` is importing "
             "channelkg and loading the graph; `ratio` is a command's time over `load` at the "
             "same size, in the same run. The exponent is log(t_1M / t_100k) / log(10) of the "
             "whole time (1 = linear); `exponent past load` the same of the time minus `load` (the "
             f"command's own work). `> {cap:.0f}` means killed at the cap.", ""]
    if res.get("baseline"):
        lines[-1:-1] = ["", f"Baseline: {res['baseline']}."]
    if res.get("loadavg"):
        lines[-1:-1] = ["", "Machine load (1-minute load average, start and end of each size): "
                        + "; ".join(f"{k} {a:.1f} to {b:.1f}" for k, (a, b)
                                    in res["loadavg"].items()) + "."]
    if res.get("note"):
        lines[-1:-1] = ["", res["note"]]
    sizes = list(res["sizes"])
    if len(sizes) >= 2:
        a, b = sizes[0], sizes[-1]
        lines += [f"| command | {a} (s) | {b} (s) | exponent | exponent past load | "
                  f"ratio to load at {b} | baseline {a} (s) | baseline {b} (s) | "
                  f"baseline ratio to its load at {b} |",
                  "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for name in (k for k in res["sizes"][b] if k != "n"):
            na, nb = (res["sizes"][s][name].get("new", {}).get("median") for s in (a, b))
            ba, bb = (res["sizes"][s][name].get("baseline", {}).get("median") for s in (a, b))
            load_b = res["sizes"][b]["load"]["new"]["median"]
            na_n, nb_n = res["sizes"][a]["n"], res["sizes"][b]["n"]
            expo = (math.log(nb / na) / math.log(nb_n / na_n)) if na and nb else None
            load_a = res["sizes"][a]["load"]["new"]["median"]
            wa, wb = (na or 0) - load_a, (nb or 0) - load_b  # the command's own work
            work = (math.log(wb / wa) / math.log(nb_n / na_n)) if (
                na and nb and wa > 0 and wb > 0 and name != "load") else None
            ratio = nb / load_b if nb and load_b else None
            base_a, base_b = ("baseline" in res["sizes"][s][name] for s in (a, b))
            base_load = res["sizes"][b]["load"].get("baseline", {}).get("median")
            base_ratio = bb / base_load if bb and base_load else None
            lines.append(
                f"| {name} | {_fmt(na, cap)} | {_fmt(nb, cap)} | "
                f"{'' if expo is None else f'{expo:.2f}'} | "
                f"{'' if work is None else f'{work:.2f}'} | "
                f"{'' if ratio is None else f'x{ratio:.2f}'} | "
                f"{_fmt(ba, cap) if base_a else 'not run'} | "
                f"{_fmt(bb, cap) if base_b else 'not run'} | "
                f"{'' if base_ratio is None else f'x{base_ratio:.2f}'} |")
    elif sizes:
        (a,) = sizes
        lines += [f"| command | {a} (s) | ratio to load | baseline (s) |", "|---|---:|---:|---:|"]
        load_a = res["sizes"][a]["load"]["new"]["median"]
        for name, by in res["sizes"][a].items():
            if name == "n":
                continue
            na = by.get("new", {}).get("median")
            ratio = f"x{na / load_a:.2f}" if na and load_a else ""
            lines.append(f"| {name} | {_fmt(na, cap)} | {ratio} | "
                         f"{_fmt(by['baseline']['median'], cap) if 'baseline' in by else ''} |")
    if res.get("startup"):
        lines += ["", "## Start-up", "", "| command | median (s) | ratio to import pyoxigraph |",
                  "|---|---:|---:|"]
        for name, v in res["startup"].items():
            ratio = "" if v["ratio"] is None else f"x{v['ratio']:.2f}"
            lines.append(f"| `{name}` | {_fmt(v['median'], 60)} | {ratio} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    from synthetic import parse_size, write_ntriples

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="100k,1m")
    ap.add_argument("--repeat", type=int, default=3, help="interleaved rounds")
    ap.add_argument("--cap", type=float, default=300, help="seconds before a run is killed")
    ap.add_argument("--baseline", type=Path, help="a src folder of the code to compare with")
    ap.add_argument("--src", type=Path, default=SRC,
                    help="the src folder measured as 'new' (default: this checkout's)")
    ap.add_argument("--baseline-name", default="",
                    help="what the baseline is (e.g. its revision), shown in the results")
    ap.add_argument("--baseline-sizes", default="",
                    help="sizes at which the baseline runs (default: all)")
    ap.add_argument("--data-dir", type=Path, help="where generated graphs are kept (reused)")
    ap.add_argument("--skip", default="", help="commands to leave out, comma-separated")
    ap.add_argument("--startup", action="store_true", help="also measure start-up")
    ap.add_argument("--startup-only", action="store_true")
    ap.add_argument("--startup-repeat", type=int, default=7)
    ap.add_argument("--name", default="scale", help="results file stem")
    ap.add_argument("--note", default="", help="a sentence shown in the results")
    ap.add_argument("--render-only", action="store_true",
                    help="only write the Markdown again from results/NAME.json (with --note)")
    args = ap.parse_args(argv)
    if args.render_only:
        done = json.loads((RESULTS / f"{args.name}.json").read_text())
        done["note"] = args.note or done.get("note", "")
        print(write(done, args.name))
        return 0
    res: dict[str, Any] = {"machine": f"{platform.machine()}, {platform.python_version()}, "
                                      f"{os.cpu_count()} CPUs",
                           "rounds": args.repeat, "cap": args.cap, "sizes": {},
                           "baseline": args.baseline_name if args.baseline else "",
                           "note": args.note}
    if not args.startup_only:
        folder = args.data_dir or Path(tempfile.mkdtemp())
        folder.mkdir(parents=True, exist_ok=True)
        for size in args.sizes.split(","):
            data = folder / f"synthetic-{size}.nt"
            if not data.exists():
                write_ntriples(data, parse_size(size))
            base = args.baseline if (not args.baseline_sizes
                                     or size in args.baseline_sizes.split(",")) else None
            before = os.getloadavg()[0]
            got = measure_size(size, data, args.repeat, args.cap, args.src, base,
                               set(filter(None, args.skip.split(","))))
            got["n"] = parse_size(size)
            res.setdefault("loadavg", {})[size] = (before, os.getloadavg()[0])
            res["sizes"][size] = got
            write(res, args.name)  # what is measured so far survives an interrupted run
    if args.startup or args.startup_only:
        res["startup"] = startup(args.startup_repeat)
    print(write(res, args.name))
    return 0


def write(res: dict[str, Any], name: str) -> str:
    """Write the results (json and md); return the Markdown."""
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(res, indent=1) + "\n")
    md = markdown(res)
    (RESULTS / f"{name}.md").write_text(md)
    return md


if __name__ == "__main__":
    sys.exit(main())
