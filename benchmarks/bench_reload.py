"""Reloading an on-disk store after a one-triple edit, against parsing the changed file.

One store per code under test (this checkout's ``src``, and with ``--baseline SRC``
another revision's), built once from a synthetic graph (its build timed); then, rounds
interleaved, the file gets one more triple at its end and each code reloads its store
(``load_into``) in a fresh process, then one more in its middle and again; ``parse`` is
parsing the changed file alone (``parse_file``), and ``open`` is opening the store
with nothing changed (``open_disk``). ``floor`` is the least any reload of a store on
disk pays: import pyoxigraph, open the store read-write, read the changed file, close
the store. Each code's modules are compiled to bytecode first,
as in an installed package, so no step pays for compiling them. Medians. With
``--turtle`` the edited file is Turtle with prefixes (``ckg:``, ``id:``), not N-Triples.

Usage::

    python benchmarks/bench_reload.py --size 100k --files 10 --repeat 3 --baseline OLD/src

Writes benchmarks/results/reload-SIZE.json and reload-SIZE.md (``reload-SIZE-1file`` for one
file, ``-turtle`` added with ``--turtle``).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

TIMED = """
import sys, time
from pathlib import Path
start = time.perf_counter()
what, store, data = sys.argv[1], sys.argv[2], Path(sys.argv[3])
if what == "parse":
    from channelkg.graph.memory import parse_file
    parse_file(data)
elif what == "open":
    from channelkg.graph.disk import open_disk
    open_disk(store).close()
elif what == "floor":
    import pyoxigraph
    opened = pyoxigraph.Store(store)
    data.read_bytes()
    del opened
else:
    from channelkg.graph.disk import load_into
    load_into(store, [data.parent] if data.parent.name == "files" else [data])
print(time.perf_counter() - start)
"""


def child_env(src: Path) -> dict[str, str]:
    """The environment of a timed step: ``src`` first on the path, its bytecode read from
    ``__pycache__`` (compiled up front by :func:`compile_code`, as an installed package has it)."""
    env = dict(os.environ, PYTHONPATH=str(src))
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def compile_code(src: Path) -> None:
    """Compile a code's modules to bytecode once, so that no step pays for it."""
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(src)], env=child_env(src),
                   check=True, stdout=subprocess.DEVNULL)


def timed(what: str, src: Path, store: Path, data: Path) -> float:
    env = child_env(src)
    out = subprocess.run([sys.executable, "-c", TIMED, what, str(store), str(data)],
                         env=env, capture_output=True, text=True, check=True).stdout
    return float(out.split()[-1])


def split(path: Path, n: int) -> Path:
    """Split an N-Triples file into ``n`` files under ``files/``; return the last one."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    folder = path.parent / "files"
    folder.mkdir()
    step = -(-len(lines) // n)
    parts = [folder / f"part-{i:02d}.ttl" for i in range(n)]  # N-Triples is Turtle
    for i, part in enumerate(parts):
        part.write_text("".join(lines[i * step:(i + 1) * step]), encoding="utf-8")
    return parts[-1]


def to_turtle(path: Path) -> None:
    """Rewrite an N-Triples file as Turtle with prefixes (one triple a line still)."""
    ns = {"id": "https://w3id.org/channelkg/id/", "ckg": "https://w3id.org/channelkg/ontology#"}
    text = path.read_text(encoding="utf-8")
    for name, iri in ns.items():
        text = re.sub("<" + re.escape(iri) + r"([A-Za-z0-9_]+(?:-[A-Za-z0-9_]+)*)>",
                      name + r":\1", text)
    head = "".join(f"@prefix {name}: <{iri}> .\n" for name, iri in ns.items())
    path.write_text(head + "\n" + text, encoding="utf-8")


def edit_middle(path: Path, line: str) -> None:
    """Insert ``line`` at the start of the line nearest the middle of the file."""
    data = path.read_bytes()
    at = data.index(b"\n", len(data) // 2) + 1
    path.write_bytes(data[:at] + line.encode("utf-8") + data[at:])


def main(argv: list[str] | None = None) -> int:
    from synthetic import parse_size, write_ntriples

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--size", default="100k")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--src", type=Path, default=HERE.parent / "src")
    ap.add_argument("--baseline", type=Path)
    ap.add_argument("--files", type=int, default=1,
                    help="split the graph into this many files; the last one is edited")
    ap.add_argument("--turtle", action="store_true",
                    help="the edited file is Turtle with prefixes")
    args = ap.parse_args(argv)
    load_before = os.getloadavg()[0]
    work = Path(tempfile.mkdtemp())
    codes = {"new": args.src, **({"baseline": args.baseline} if args.baseline else {})}
    data = {c: work / c / f"synthetic-{args.size}.nt" for c in codes}
    stores = {c: work / c / "store" for c in codes}
    builds: dict[str, float] = {}
    for c, src in codes.items():
        compile_code(src)
        data[c].parent.mkdir()
        write_ntriples(data[c], parse_size(args.size))
        if args.files > 1:
            data[c] = split(data[c], args.files)
        if args.turtle:
            to_turtle(data[c])
        builds[c] = timed("load", src, stores[c], data[c])
        print(f"{c}: built in {builds[c]:.2f} s", file=sys.stderr)
    times: dict[str, dict[str, list[float]]] = {
        c: {"reload": [], "reload-middle": [], "parse": [], "open": [], "floor": []} for c in codes}
    label = "<http://www.w3.org/2000/01/rdf-schema#label>"
    for r in range(args.repeat):
        for c, src in codes.items():
            with data[c].open("a", encoding="utf-8") as fh:
                fh.write(f'<urn:edit:{r}> {label} "{r}" .\n')
            times[c]["reload"].append(timed("load", src, stores[c], data[c]))
            edit_middle(data[c], f'<urn:edit:mid-{r}> {label} "{r}" .\n')
            for what in ("reload-middle", "parse", "open", "floor"):
                times[c][what].append(timed("load" if what.startswith("reload") else what,
                                            src, stores[c], data[c]))
            print(f"round {r + 1} {c}: " + ", ".join(
                f"{k} {v[-1]:.2f} s" for k, v in times[c].items()), file=sys.stderr)
    shutil.rmtree(work, ignore_errors=True)
    load = (load_before, os.getloadavg()[0])
    kind = "-turtle" if args.turtle else ""
    res: dict[str, Any] = {"size": args.size, "rounds": args.repeat, "turtle": args.turtle,
                           "build": builds, "cores": os.cpu_count(), "load": load,
                           "times": {c: {k: {"runs": v, "median": statistics.median(v)}
                                         for k, v in by.items()} for c, by in times.items()}}
    what = "Turtle with prefixes" if args.turtle else "N-Triples"
    lines = [f"# Store reload after a one-triple edit ({args.size} triples in {args.files} "
             f"file(s), the last one edited, in {what})", "",
             f"{args.repeat} interleaved rounds, each step in a fresh process (import included, "
             "the modules compiled to bytecode up front as in an installed package); "
             "medians in seconds. `reload / parse` is the reload's time over parsing the "
             "changed file alone; the edit is one triple more at the file's end, then one "
             "more in its middle; the build is the first load of the store. The floor is "
             "the least any reload of a store on disk pays: import pyoxigraph, open the "
             "store read-write, read the changed file and close the store.", "",
             f"Machine: {os.cpu_count()} cores, load average (1 min) {load[0]:.1f} at the "
             f"start and {load[1]:.1f} at the end"
             + (": other work shared the cores, so the ratios matter more than the "
                "absolute times." if max(load) > 0.75 * (os.cpu_count() or 1) else "."), "",
             "| code | reload (end) | reload (middle) | parse the file | reload / parse "
             "(end, middle) | floor | floor / parse | open (nothing changed) | build |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for c, by in res["times"].items():
        rl, rm, pa, op, fl = (by[k]["median"]
                              for k in ("reload", "reload-middle", "parse", "open", "floor"))
        lines.append(f"| {c} | {rl:.3f} | {rm:.3f} | {pa:.3f} | x{rl / pa:.2f}, x{rm / pa:.2f} "
                     f"| {fl:.3f} | x{fl / pa:.2f} | {op:.3f} | {builds[c]:.1f} |")
    md = "\n".join(lines) + "\n"
    res["files"] = args.files
    out = HERE / "results" / f"reload-{args.size}{'' if args.files > 1 else '-1file'}{kind}"
    out.with_suffix(".json").write_text(json.dumps(res, indent=1) + "\n")
    out.with_suffix(".md").write_text(md)
    print(md)
    return 0


if __name__ == "__main__":
    sys.exit(main())
