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

from channelkg.cli.main import COMMANDS, cli, load_commands

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


def imported_by(tmp_path: Path, *args: str, columns: int = 100) -> tuple[set[str], str]:
    """The modules a fresh ``channelkg ARGS`` imports, and what it printed."""
    out = tmp_path / "modules.json"
    proc = subprocess.run([sys.executable, "-c", RUN, str(out), *args], capture_output=True,
                          text=True, check=True, env={**os.environ, "COLUMNS": str(columns)})
    return set(json.loads(out.read_text())), proc.stdout


def _tops(modules: set[str]) -> set[str]:
    return {m.partition(".")[0] for m in modules}


def test_help_imports_no_command_module_and_no_rdf_library(tmp_path: Path) -> None:
    modules, shown = imported_by(tmp_path, "--help")
    assert "Commands:" in shown and "export-graphml" in shown
    assert not _tops(modules) & {"rdflib", "pyoxigraph", *HEAVY}
    assert not modules & set(COMMAND_MODULES)
    assert not {m for m in modules if m.startswith(("channelkg.graph", "channelkg.sparql"))}
    assert not modules & {"importlib.metadata", "pathlib"}


def test_query_on_the_bundled_graph_imports_no_other_command(tmp_path: Path) -> None:
    modules, shown = imported_by(tmp_path, "query", "seed-table", "-f", "csv")
    assert shown.startswith("provider,")
    assert not _tops(modules) & set(HEAVY)
    assert not modules & set(COMMAND_MODULES)
    assert "channelkg.graph.remote" not in modules  # the built-in backend: no other


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
