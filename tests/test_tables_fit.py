"""Terminal output that fits, and one JSON record shape per kind (issue 13, item 2)."""

from __future__ import annotations

import fcntl
import json
import os
import pty
import struct
import subprocess
import sys
import termios
from pathlib import Path

import pytest
from click.testing import CliRunner

from channelkg.cli import cli
from channelkg.render.fit import BOLD, column_widths, fit_table, fold_text, text_width, wrap

FITTED = [
    ["routes", "--model", "openai", "--market", "CN"],
    ["routes", "--market", "HK"],
    ["timeline", "--market", "CN"],
    ["diff", "--from", "2024-01-01", "--to", "2026-07-01"],
    ["spof", "--market", "CN", "--all"],
    ["whatif", "--end", "partnership-microsoft-openai", "--all"],
    ["explain", "route-seed-azure-china-gpt"],
    ["query", "sanctioned-channels"],
    ["queries"],
]


def _widest(text: str) -> int:
    return max(map(text_width, text.splitlines()))


@pytest.mark.parametrize("args", FITTED, ids=[" ".join(a[:2]) for a in FITTED])
def test_no_line_over_columns(runner: CliRunner, args: list[str]) -> None:
    res = runner.invoke(cli, args, env={"COLUMNS": "100"})
    assert res.exit_code == 0, res.output
    assert res.stdout.strip() and _widest(res.stdout) <= 100
    assert "\x1b[" not in res.stdout  # not a terminal: no colour


@pytest.mark.parametrize("args", FITTED[:4], ids=[" ".join(a[:2]) for a in FITTED[:4]])
def test_pipes_and_files_are_not_folded(runner: CliRunner, args: list[str],
                                        tmp_path: Path) -> None:
    """Without COLUMNS and without a terminal, rows stay one line each (grep-able)."""
    res = runner.invoke(cli, args, env={"COLUMNS": None})
    assert res.exit_code == 0, res.output
    assert _widest(res.stdout) > 100  # the data is wider than the test terminal
    out = tmp_path / "out.txt"
    assert runner.invoke(cli, [*args, "-o", str(out)], env={"COLUMNS": "60"}).exit_code == 0
    assert out.read_text(encoding="utf-8") == res.stdout


def test_fitted_table_keeps_every_character(runner: CliRunner) -> None:
    """Folding moves text, never drops it: the same characters, spaces and dashes aside."""
    args = ["timeline", "--market", "CN"]
    wide = runner.invoke(cli, args, env={"COLUMNS": None}).stdout
    narrow = runner.invoke(cli, args, env={"COLUMNS": "100"}).stdout
    assert _widest(narrow) <= 100 < _widest(wide)
    assert narrow.splitlines()[0].split() == ["date", "event", "claim", "class", "status",
                                              "statement", "source"]  # still a table

    def chars(text: str) -> list[str]:
        return sorted(c for c in text if not c.isspace() and c != "-")

    assert chars(narrow) == chars(wide)


def test_too_many_wide_columns_become_records(runner: CliRunner) -> None:
    """routes has eleven columns: at 80 characters each row becomes a record of
    ``header  value`` lines, and every cell is there in full."""
    args = ["routes", "--model", "openai", "--market", "CN"]
    narrow = runner.invoke(cli, args, env={"COLUMNS": "80"}).stdout
    assert _widest(narrow) <= 80
    lines = runner.invoke(cli, [*args, "-f", "tsv"]).stdout.splitlines()
    headers, rows = lines[0].split("\t"), [ln.split("\t") for ln in lines[1:]]
    flat = "".join(narrow.split())
    starts = [ln for ln in narrow.splitlines() if ln.startswith("route ")]
    assert len(starts) == len(rows) > 1
    for row in rows:
        for h, cell in zip(headers, row, strict=True):
            if cell:
                assert "".join((h + cell).split()) in flat


def test_wrap_and_widths() -> None:
    assert wrap("alpha beta gamma", 11) == ["alpha beta", "gamma"]
    assert wrap("x" * 10, 4) == ["xxxx", "xxxx", "xx"]
    assert wrap("中文中文", 5) == ["中文", "中文"]  # wide characters count two
    assert wrap("kgid:route-seed-azure", 12) == ["kgid:route-", "seed-azure"]  # after a hyphen
    assert column_widths([10, 50, 30], 60) == [10, 23, 23]  # 56 columns shared
    assert sum(column_widths([40] * 11, 100)) + 2 * 10 <= 100


def test_fit_table_folds_and_compacts() -> None:
    out = fit_table(["id", "text"], [["https://w3id.org/channelkg/id/gpt", "word " * 20],
                                     ["b", "short"]], 40)
    assert out.splitlines()[0].split() == ["id", "text"]  # two columns stay a table
    lines = out.splitlines()
    assert max(map(text_width, lines)) <= 40 and lines[2].startswith("kgid:gpt")
    assert "" in lines  # rows taking several lines are separated by a blank line
    assert fit_table(["a"], [["x"]], None) == "a\n-\nx\n"
    assert fit_table(["a"], [["x"]], 80, color=True).startswith(BOLD + "a")


def test_fold_text_keeps_indentation() -> None:
    out = fold_text("    source: " + "long words " * 20, 50)
    lines = out.splitlines()
    assert len(lines) > 1 and max(map(len, lines)) <= 50
    assert all(ln.startswith("    ") for ln in lines) and lines[1].startswith("      ")


# ----------------------------------------------------------------- JSON record shapes


def _json(runner: CliRunner, args: list[str]) -> object:
    res = runner.invoke(cli, [*args, "-f", "json"])
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


def test_route_records_share_one_shape(runner: CliRunner) -> None:
    routes = _json(runner, ["routes", "--market", "CN"])["routes"]  # type: ignore[index]
    spof = _json(runner, ["spof", "--market", "CN"])["results"]  # type: ignore[index]
    whatif = _json(runner, ["whatif", "--end", "partnership-microsoft-openai"])
    records = list(routes)
    records += [r for res in spof for r in res["openRoutes"]]
    records += [c["route"] for c in whatif["closedRoutes"]]  # type: ignore[index]
    assert len(routes) > 3 and len(records) > len(routes)
    keys = set(routes[0])
    assert {"route", "market", "service", "open", "status", "sources"} <= keys
    assert all(set(r) == keys for r in records)
    closed = {c["route"]["route"] for c in whatif["closedRoutes"]}  # type: ignore[index]
    assert "kgid:route-seed-azure-china-gpt" in closed


def test_fact_records_share_one_shape(runner: CliRunner) -> None:
    diff = _json(runner, ["diff", "--from", "2024-01-01", "--to", "2026-07-01"])
    timeline = _json(runner, ["timeline", "--market", "CN"])
    explain = _json(runner, ["explain", "route-seed-azure-china-gpt"])
    records = [c["fact"] for c in diff]  # type: ignore[union-attr]
    records += [e["fact"] for e in timeline]  # type: ignore[union-attr]
    explained = [x["focus"] for x in explain]  # type: ignore[union-attr]
    explained += [f for x in explain for s in x["sections"] for f in s["facts"]]  # type: ignore
    assert len(diff) > 3 and len(timeline) > 3 and len(explained) > 1  # type: ignore[arg-type]
    keys = set(explained[0])
    assert {"iri", "id", "classes", "status", "statement", "sources", "validFrom"} <= keys
    assert all(set(r) == keys for r in records + explained)
    assert {frozenset(c) for c in diff} == {  # type: ignore[union-attr]
        frozenset({"change", "date", "before", "after", "fact"})}
    assert {frozenset(e) for e in timeline} == {  # type: ignore[union-attr]
        frozenset({"date", "event", "fact"})}
    assert any(e["fact"]["id"] == "kgid:fact-oai-1" and e["date"] == "2024-07-09"  # type: ignore
               for e in timeline)


# ----------------------------------------------------------------- on a real terminal


def _on_terminal(args: list[str], columns: int, env: dict[str, str]) -> str:
    """What the command prints with standard output on a pseudo-terminal ``columns`` wide."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, columns, 0, 0))
    full = {k: v for k, v in os.environ.items() if k not in {"COLUMNS", "NO_COLOR"}}
    full.update(env, PYTHONPATH=str(Path(__file__).parent.parent / "src"))
    proc = subprocess.Popen([sys.executable, "-m", "channelkg", *args], env=full,
                            stdin=subprocess.DEVNULL, stdout=slave, stderr=subprocess.PIPE)
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # the terminal closes when the command exits
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    assert proc.wait(timeout=120) == 0, proc.stderr.read() if proc.stderr else ""
    return b"".join(chunks).decode().replace("\r\n", "\n")


def test_terminal_width_and_colour() -> None:
    args = ["timeline", "--market", "CN"]
    shown = _on_terminal(args, 90, {})
    assert BOLD in shown  # bold headers on a terminal
    plain = shown.replace(BOLD, "").replace("\x1b[0m", "")
    assert _widest(plain) <= 90 and "kgid:fact-az-6" in plain
    no_color = _on_terminal(args, 90, {"NO_COLOR": "1"})
    assert "\x1b[" not in no_color and no_color == plain
