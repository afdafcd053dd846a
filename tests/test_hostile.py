"""Hostile input: every command that reads it ends in one clear line, bounded.

The corpus (tests/data/hostile/corpus.py, generated at test time) runs through every
command that reads each input, in this process (fast); the inputs that once crashed
the process (memory, stack) also run in a subprocess with a memory cap. The table of
outcomes is written by benchmarks/hostile.py.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType

import pytest
from click.testing import CliRunner

from channelkg.cli.main import cli

DATA = Path(__file__).parent / "data"
TINY = DATA / "tiny.ttl"


def load_corpus() -> ModuleType:
    """tests/data/hostile/corpus.py as a module."""
    spec = importlib.util.spec_from_file_location("hostile_corpus", DATA / "hostile" / "corpus.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


corpus = load_corpus()


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    folder = tmp_path_factory.mktemp("hostile")
    # Nesting 2,000 deep is 20 times the limit: as refused as 100,000, and faster to read.
    return {"folder": folder, "cases": {c.name: c for c in corpus.build(folder, depth=2_000)}}


def _run(args: list[str], work: Path, src: Path) -> tuple[int, str, str, bool, bool]:
    """Run one command on a fresh target file (and, for format, a copy of the input);
    return exit code, stdout, stderr, whether it raised, whether a file changed."""
    graphs = work / "graphs"
    graphs.mkdir(parents=True, exist_ok=True)
    for f in graphs.iterdir():
        f.unlink()
    (graphs / "target.ttl").write_text(corpus.PREFIXES, encoding="utf-8")
    copy = graphs / src.name
    if "{copy}" in args:
        copy.write_bytes(src.read_bytes())
    before = {f.name: f.read_bytes() for f in graphs.iterdir()}
    argv = [a.replace("{target}", str(graphs / "target.ttl")).replace("{copy}", str(copy))
            .replace("{out}", str(work / "out")) for a in args]
    res = CliRunner().invoke(cli, argv)
    raised = res.exception is not None and not isinstance(res.exception, SystemExit)
    after = {f.name: f.read_bytes() for f in graphs.iterdir() if f.name != ".channelkg.lock"}
    return res.exit_code, res.stdout, res.stderr, raised, after != before


@pytest.mark.parametrize("name", corpus.NAMES)
def test_every_command_ends_in_one_clear_line(name: str, built: dict[str, object],
                                              tmp_path: Path) -> None:
    folder: Path = built["folder"]  # type: ignore[assignment]
    case = built["cases"][name]  # type: ignore[index]
    for label, args in corpus.commands(case, folder / name, TINY):
        if args[0] == "format":
            args = ["format", "{copy}"]
        code, out, err, raised, changed = _run(args, tmp_path, folder / name)
        where = f"{label} on {name}: exit {code}\n{err[-1500:]}\n{out[:500]}"
        assert not raised and "Traceback" not in err, where
        assert code in (0, 1, 2), where
        errors = [line for line in err.splitlines() if line.startswith("Error:")]
        if code == 2:
            assert len(errors) == 1 and len(errors[0]) < 400, where
        if corpus.must_refuse(case, label):
            assert code != 0, where
            assert errors or (label == "validate" and "problem" in out), where
        if code != 0:
            assert not changed, f"{where}\na file changed although the command failed"


@pytest.mark.parametrize("name", ["entity-bomb.rdf", "alias-bomb.yaml", "parens-10k.rq",
                                  "groups-10k.rq", "rows-1m.csv"])
def test_bombs_are_bounded_in_a_process_of_their_own(name: str, built: dict[str, object],
                                                     tmp_path: Path) -> None:
    """Run where a failure cannot take the test run with it: 1 GiB of memory at most."""
    folder: Path = built["folder"]  # type: ignore[assignment]
    case = built["cases"][name]  # type: ignore[index]
    label, args = next((label, args) for label, args in corpus.commands(case, folder / name, TINY)
                       if label in ("query", "import"))
    run = corpus.run_one(case, label, args, tmp_path, dict(os.environ), timeout=60,
                         memory_mb=1024)
    assert corpus.outcome(run) == "refused", run
    assert run.code == 2 and run.first_line.startswith("Error:") and not run.changed, run
