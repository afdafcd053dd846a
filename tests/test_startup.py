"""Start-up: a command imports what it uses and nothing else (issue 14).

Each command runs in a fresh interpreter, which then reports the modules it imported;
the time it takes is measured in benchmarks/bench_startup.py, not here.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import click
import pytest

from channelkg.cli.entry import OPTIONS, group_help, query_line, short_help
from channelkg.cli.main import COMMANDS, cli, load_commands
from channelkg.sparql.query import list_queries

#: Libraries that ``--help`` and a query on files never use.
HEAVY = ("networkx", "starlette", "uvicorn", "pyshacl", "owlrl", "yaml", "numpy", "scipy")
#: The modules of commands other than ``query``, ``queries`` and ``validate``.
COMMAND_MODULES = sorted({module for module, _ in COMMANDS.values()} - {"channelkg.cli.main"})

# Runs the command-line entry point as the ``channelkg`` script does, then writes the
# names of the imported modules to the file named by the first argument.
RUN = """
import json, sys
from channelkg.cli import main
out, sys.argv = sys.argv[1], ["channelkg", *sys.argv[2:]]
try:
    main()
except SystemExit:
    pass
with open(out, "w") as fh:
    json.dump(sorted(sys.modules), fh)
"""


# The click group's own entry point, for the same command lines.
RUN_CLICK = RUN.replace("from channelkg.cli import main", "from channelkg.cli.main import main")


def imported_by(tmp_path: Path, *args: str, columns: int = 100) -> tuple[set[str], str]:
    """The modules a fresh ``channelkg ARGS`` imports, and what it printed (with the result
    cache off: what the command itself imports; tests/test_result_cache.py has a hit's)."""
    out = tmp_path / "modules.json"
    proc = subprocess.run([sys.executable, "-c", RUN, str(out), *args], capture_output=True,
                          text=True, check=True, env={**os.environ, "COLUMNS": str(columns),
                                                      "CHANNELKG_CACHE_DIR": "off"})
    return set(json.loads(out.read_text())), proc.stdout


def both_paths(tmp_path: Path, *args: str, env: dict[str, str] | None = None
               ) -> tuple[tuple[str, str, int], tuple[str, str, int], set[str]]:
    """``channelkg ARGS`` through the entry point and through the click group, each in a
    fresh process: (stdout, stderr, exit code) of each, and the entry point's modules."""
    out = tmp_path / "modules.json"
    runs = []
    for script in (RUN, RUN_CLICK):
        code = script.replace("except SystemExit:\n    pass",
                              "except SystemExit as e:\n    sys.stdout.flush()\n"
                              "    open(out + '.rc', 'w').write(str(e.code or 0))")
        proc = subprocess.run([sys.executable, "-c", code, str(out), *args], capture_output=True,
                              env={**os.environ, **(env or {})})
        rc = Path(str(out) + ".rc")
        runs.append((proc.stdout.decode(), proc.stderr.decode(),
                     int(rc.read_text()) if rc.exists() else proc.returncode))
        rc.unlink(missing_ok=True)
        if script is RUN:
            modules = set(json.loads(out.read_text()))
    return runs[0], runs[1], modules


def fast_and_click(tmp_path: Path, *args: str, columns: str
                   ) -> tuple[tuple[str, str, int], tuple[str, str, int], set[str]]:
    """``channelkg ARGS`` through the entry point in a fresh process (what it prints and
    the modules it imports) and through the click group in this process (what it prints):
    for query command lines, whose output does not depend on the process (``--help``
    compares two fresh processes, see :func:`both_paths`)."""
    from click.testing import CliRunner

    out = tmp_path / "modules.json"
    code = RUN.replace("except SystemExit:\n    pass",
                       "except SystemExit as e:\n    sys.stdout.flush()\n"
                       "    open(out + '.rc', 'w').write(str(e.code or 0))")
    proc = subprocess.run([sys.executable, "-c", code, str(out), *args], capture_output=True,
                          env={**os.environ, "COLUMNS": columns, "CHANNELKG_CACHE_DIR": "off"})
    rc = Path(str(out) + ".rc")
    fast = (proc.stdout.decode(), proc.stderr.decode(),
            int(rc.read_text()) if rc.exists() else proc.returncode)
    res = CliRunner().invoke(cli, list(args), prog_name="channelkg", env={"COLUMNS": columns})
    assert res.exception is None or isinstance(res.exception, SystemExit), res.exception
    slow = (res.stdout_bytes.decode(), (res.stderr_bytes or b"").decode(), res.exit_code)
    return fast, slow, set(json.loads(out.read_text()))


def _tops(modules: set[str]) -> set[str]:
    return {m.partition(".")[0] for m in modules}


def test_help_imports_no_command_module_and_no_rdf_library(tmp_path: Path) -> None:
    modules, shown = imported_by(tmp_path, "--help")
    assert "Commands:" in shown and "export-graphml" in shown
    assert not _tops(modules) & {"click", "rdflib", "pyoxigraph", "typing", "shutil", *HEAVY}
    assert not modules & set(COMMAND_MODULES)
    assert not {m for m in modules if m.startswith(("channelkg.graph", "channelkg.sparql"))}
    assert not modules & {"importlib.metadata", "pathlib"}


def test_query_on_the_bundled_graph_imports_no_other_command_nor_click_nor_rdflib(
    tmp_path: Path,
) -> None:
    modules, shown = imported_by(tmp_path, "query", "seed-table", "-f", "csv")
    assert shown.startswith("provider,")
    assert not _tops(modules) & {"click", "rdflib", *HEAVY}
    assert not modules & set(COMMAND_MODULES)
    assert "channelkg.graph.remote" not in modules  # the built-in backend: no other
    modules, shown = imported_by(tmp_path, "query", "seed-table")  # a table for a terminal
    assert shown.startswith("provider ") and not _tops(modules) & {"click", "rdflib"}
    # What the standard library costs most on this path (records, not dataclasses; the
    # rdflib logger silenced without logging while rdflib is not loaded; no date parsed).
    assert not modules & {"dataclasses", "inspect", "logging", "datetime", "typing"}
    # The query's worker is a bare thread, rdflib is silenced without contextlib, and a
    # table needs none of the other result formats.
    assert not modules & {"threading", "contextlib", "channelkg.render.results"}


# Builds an ill-typed rdflib literal inside quiet_rdflib() (rdflib and logging loaded by
# the block, or before it) and after it; rdflib logs to standard error when not silenced.
QUIET = """
import sys
if sys.argv[1] == "before":
    import logging
from channelkg.rdf.quiet import quiet_rdflib

def bad_literal():
    from rdflib import Literal, XSD
    return Literal("2024-13-01", datatype=XSD.date)

with quiet_rdflib():
    with quiet_rdflib():
        pass
    bad_literal()
    sys.stderr.write("inside-done\\n")
    sys.stderr.flush()
assert not any(type(f).__name__ == "RdflibWatch" for f in sys.meta_path)
bad_literal()
"""


@pytest.mark.parametrize("loaded", ["by-the-block", "before"])
def test_quiet_rdflib_silences_rdflib_loaded_inside_the_block_and_restores_it(
    loaded: str,
) -> None:
    proc = subprocess.run([sys.executable, "-c", QUIET, loaded], capture_output=True,
                          text=True, check=True)
    inside, _, after = proc.stderr.partition("inside-done\n")
    assert inside == ""  # nothing logged while silenced
    assert "Failed to convert Literal" in after  # the logger works again after the block


def test_a_subcommand_help_imports_only_its_module(tmp_path: Path) -> None:
    modules, shown = imported_by(tmp_path, "routes", "--help")
    assert "Usage: channelkg routes" in shown
    assert modules & set(COMMAND_MODULES) == {"channelkg.cli.analysis"}
    assert not _tops(modules) & {"rdflib", *HEAVY}


def test_the_command_table_is_every_command_with_its_summary() -> None:
    commands = load_commands()
    assert list(commands) == list(COMMANDS)
    for name, command in commands.items():
        module, summary = COMMANDS[name]
        assert command.callback is not None and command.callback.__module__ == module, name
        assert command.get_short_help_str(10**6) == summary, (
            f"COMMANDS[{name!r}] in channelkg/cli/main.py: the summary must be the first "
            "sentence of the command's help")
        assert not command.hidden and not command.deprecated, name


def test_help_from_the_summaries_is_the_help_of_the_loaded_commands(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    commands = load_commands()
    for columns in (60, 100):
        modules, lazy = imported_by(tmp_path, "--help", columns=columns)
        monkeypatch.setenv("COLUMNS", str(columns))
        cli.main(["--help"], prog_name="channelkg", standalone_mode=False)
        assert lazy == capsys.readouterr().out
        assert not modules & set(COMMAND_MODULES)
    for name, (_, summary) in COMMANDS.items():  # the same at every width
        stub = click.Command(name, help=summary)
        for limit in range(0, 120):
            assert stub.get_short_help_str(limit) == commands[name].get_short_help_str(limit)


def test_every_module_that_defines_commands_is_in_the_table() -> None:
    folder = Path(load_commands.__code__.co_filename).parent  # channelkg/cli
    defining = {f"channelkg.cli.{p.stem}" for p in folder.glob("*.py")
                if any(mark in p.read_text(encoding="utf-8")
                       for mark in ("@cli.command", "@cli.group", "cli.add_command"))}
    assert defining == {module for module, _ in COMMANDS.values()}


@pytest.mark.parametrize("args", [["--help"], ["-h"], []], ids=["--help", "-h", "none"])
@pytest.mark.parametrize("env", [{"COLUMNS": "40"}, {"COLUMNS": "80", "NO_COLOR": "1"},
                                 {"COLUMNS": "200"}, {"COLUMNS": "0"}, {"COLUMNS": "x"}],
                         ids=["40", "80-no-color", "200", "zero", "not-a-number"])
def test_the_entry_points_help_is_clicks(tmp_path: Path, args: list[str],
                                         env: dict[str, str]) -> None:
    fast, slow, modules = both_paths(tmp_path, *args, env=env)
    assert fast == slow
    assert "Commands:" in fast[0] + fast[1] and fast[2] == (0 if args else 2)
    assert "click" not in _tops(modules)


def test_the_help_formatter_is_clicks_at_every_width() -> None:
    for width in range(50, 130):
        ctx = click.Context(cli, info_name="channelkg", terminal_width=width,
                            help_option_names=["-h", "--help"])
        assert group_help(width=width) == cli.get_help(ctx), width
    help_options = [o.get_help_record(ctx) for o in cli.get_params(ctx)]
    assert tuple(help_options) == OPTIONS
    for name, (_, summary) in COMMANDS.items():
        for limit in range(0, 120):
            assert short_help(summary, limit) == click.Command(name, help=summary
                                                               ).get_short_help_str(limit)


NAMED = [nq.name for nq in list_queries()]


@pytest.mark.parametrize("name", NAMED)
def test_a_shipped_query_gives_what_the_click_command_gives(tmp_path: Path, name: str) -> None:
    for columns in ("50", "120"):
        fast, slow, modules = fast_and_click(tmp_path, "query", name, columns=columns)
        assert fast == slow, (name, columns)
        assert "click" not in _tops(modules)


@pytest.mark.parametrize("args", [
    ["query", "seed-table", "-f", "csv"],
    ["query", "--format=json", "seed-table", "--param", "market=HK"],
    ["query", "routes-into", "-p", "market=Hong Kong", "-p", "model=kgid:gpt", "-f", "md"],
    ["query", "seed-table", "-p", "market=Atlantis"],  # an error naming the value
    ["query", "seed-table", "-p", "nope=1"],  # an unknown parameter
    ["query", "entity"],  # a required parameter missing
    ["query", "entity", "-p", "entity=kgid:gpt", "-f", "nt"],
], ids=lambda a: " ".join(a))
def test_query_options_give_what_the_click_command_gives(tmp_path: Path, args: list[str]) -> None:
    fast, slow, modules = fast_and_click(tmp_path, *args, columns="80")
    assert fast == slow
    assert "click" not in _tops(modules)


def test_other_query_command_lines_go_to_click() -> None:
    assert query_line(["query", "seed-table", "-p", "market=HK", "-f", "csv"]) == (
        "seed-table", ["market=HK"], "csv")
    for args in (["query", "seed-table", "-o", "x.csv"], ["query", "SELECT * {}"],
                 ["query", "seed-table", "-f", "csv", "-f", "md"], ["query", "-"],
                 ["query", "seed-table", "-p", "market"], ["query", "seed-table", "-fcsv"],
                 ["query", "seed-table", "-f", "xml"], ["query", "no-such-query"],
                 ["query", "seed-table", "--", "x"], ["query", "seed-table", "extra"],
                 ["queries"], ["query"], ["query", "seed-table", "-p"]):
        assert query_line(args) is None, args
