"""Shell completion of commands, named queries, markets and organizations (issue 13.2)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from channelkg.cli import cli
from channelkg.sparql.query import list_queries
from conftest import DATA

SRC = Path(__file__).parent.parent / "src"


def _complete(runner: CliRunner, line: str, shell: str = "bash") -> list[str]:
    words = line.split()
    cword = len(words) if line.endswith(" ") else len(words) - 1
    env = {"_CHANNELKG_COMPLETE": f"{shell}_complete", "COMP_WORDS": line,
           "COMP_CWORD": str(cword)}
    res = runner.invoke(cli, [], prog_name="channelkg", env=env)
    assert res.exit_code == 0, res.output
    return [ln for ln in res.stdout.splitlines() if ln]


def _values(lines: list[str]) -> list[str]:
    return [ln.split(",", 1)[1] for ln in lines]


def test_commands_complete(runner: CliRunner) -> None:
    assert _values(_complete(runner, "channelkg ti")) == ["timeline"]
    assert {"routes", "rules"} <= set(_values(_complete(runner, "channelkg r")))


def test_named_queries_complete(runner: CliRunner) -> None:
    names = sorted(q.name for q in list_queries() if q.name.startswith("rout"))
    assert len(names) >= 2 and _values(_complete(runner, "channelkg query rout")) == names
    assert "seed-table" in _values(_complete(runner, "channelkg explain --query s"))


def test_markets_complete_by_code_and_slug(runner: CliRunner) -> None:
    assert _values(_complete(runner, "channelkg routes --market H")) == ["HK", "hong-kong"]
    assert "CN" in _values(_complete(runner, "channelkg spof -k "))
    assert _values(_complete(runner, "channelkg timeline --market h")) == ["HK", "hong-kong"]


def test_organizations_and_partnerships_complete(runner: CliRunner) -> None:
    assert _values(_complete(runner, "channelkg timeline --provider micro")) == ["microsoft"]
    assert _values(_complete(runner, "channelkg whatif --end partnership-microsoft-o")) == [
        "partnership-microsoft-openai"]
    assert "microsoft" in _values(_complete(runner, "channelkg report --provider mi"))
    assert _values(_complete(runner, "channelkg view --provider micro")) == ["microsoft"]
    assert _values(_complete(runner, "channelkg view --market H")) == ["HK", "hong-kong"]


def test_completion_reads_the_data_given(runner: CliRunner) -> None:
    tiny = DATA / "tiny.ttl"
    bundled = _values(_complete(runner, "channelkg routes --market "))
    small = _values(_complete(runner, f"channelkg routes -d {tiny} --market "))
    assert small and set(small) != set(bundled)
    assert _complete(runner, "channelkg routes -d no-such-file.ttl --market ") == []


def test_zsh_completion_carries_labels(runner: CliRunner) -> None:
    lines = _complete(runner, "channelkg routes --market H", shell="zsh")
    assert "HK" in lines and "Hong Kong" in lines


def test_completion_through_the_script() -> None:
    env = {**os.environ, "PYTHONPATH": str(SRC), "_CHANNELKG_COMPLETE": "bash_complete",
           "COMP_WORDS": "channelkg query seed", "COMP_CWORD": "2"}
    out = subprocess.run([sys.executable, "-m", "channelkg"], env=env, capture_output=True,
                         text=True, timeout=120, check=True)
    assert out.stdout.splitlines() == ["plain,seed-table"]
    env["_CHANNELKG_COMPLETE"] = "bash_source"
    script = subprocess.run([sys.executable, "-m", "channelkg"], env=env, capture_output=True,
                            text=True, timeout=120, check=True).stdout
    assert "_CHANNELKG_COMPLETE=bash_complete" in script and "complete " in script
