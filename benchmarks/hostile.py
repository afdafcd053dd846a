"""The hostile-input table: every input of the corpus through every command that reads it.

Builds the corpus of tests/data/hostile/corpus.py (at full size: 100,000-deep nesting,
20 MB literal and comment, a 1,000,000-row CSV) in a temporary folder, runs each
(input, command) pair in its own process with 3 GiB of address space at most and a
time limit, and writes benchmarks/results/hostile.md: the counts, then one row per run
(exit code, seconds, outcome, the line the command printed).

    python benchmarks/hostile.py                 # the whole corpus (several minutes)
    python benchmarks/hostile.py alias-bomb.yaml # some inputs only
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results" / "hostile.md"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("only", nargs="*", help="input names (default: all)")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds per run")
    parser.add_argument("-o", "--output", type=Path, default=RESULTS)
    args = parser.parse_args()
    spec = importlib.util.spec_from_file_location(
        "hostile_corpus", ROOT / "tests" / "data" / "hostile" / "corpus.py")
    assert spec is not None and spec.loader is not None
    corpus = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = corpus
    spec.loader.exec_module(corpus)
    with tempfile.TemporaryDirectory(prefix="channelkg-hostile-") as tmp:
        work = Path(tmp)
        runs = corpus.run_all(work / "corpus", ROOT / "tests" / "data" / "tiny.ttl", work,
                              only=args.only, timeout=args.timeout)
        text = corpus.table(runs, hide=str(work) + "/").replace(str(ROOT) + "/", "")
    from channelkg.rdf.fileio import atomic_write_text

    head = ("# Hostile input: outcomes\n\nWritten by `python benchmarks/hostile.py` "
            "(inputs: tests/data/hostile/corpus.py; limits: docs/limits.md).\n\n")
    atomic_write_text(args.output, head + text)
    print(text.splitlines()[0])


if __name__ == "__main__":
    main()
