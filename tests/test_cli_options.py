"""One option vocabulary across commands: -p, --format, -o -, standard input, exit codes,
help texts, and the generated CLI reference (docs/cli.md)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from channelkg.cli import cli
from channelkg.cli.main import load_commands
from channelkg.cli.options import TABLE_FORMATS
from channelkg.cli.reference import REGENERATE, check, render_reference, walk
from channelkg.errors import CheckFailedError
from conftest import BAD, DATA, ROOT, TINY

CHANNELS = DATA / "channels.ttl"
COMMANDS = [(" ".join(path), cmd) for path, cmd in walk(cli)]


def _option(cmd: click.Command, flag: str) -> click.Option | None:
    return next((p for p in cmd.params if isinstance(p, click.Option) and flag in p.opts), None)


@pytest.mark.parametrize(("name", "cmd"), COMMANDS, ids=[n for n, _ in COMMANDS])
def test_p_is_only_ever_param(name: str, cmd: click.Command) -> None:
    opt = _option(cmd, "-p")
    if opt is not None:
        assert opt.opts == ["--param", "-p"] and opt.name == "params", name
        assert opt.multiple
    for p in cmd.params:
        if "--param" in getattr(p, "opts", []):
            assert "-p" in p.opts, name


def test_report_provider_has_no_short_p(runner: CliRunner) -> None:
    assert _option(load_commands()["report"], "--provider") is not None
    res = runner.invoke(cli, ["report", "-d", str(CHANNELS), "-p", "openai", "-o", "-"])
    assert res.exit_code == 2 and "No such option '-p'" in res.output


TABLE_COMMANDS = ["routes", "spof", "whatif", "timeline", "diff", "queries", "rules", "validate"]


@pytest.mark.parametrize("name", TABLE_COMMANDS)
def test_every_table_offers_the_same_formats(name: str) -> None:
    opt = _option(load_commands()[name], "--format")
    assert opt is not None and opt.opts == ["--format", "-f"]
    assert isinstance(opt.type, click.Choice)
    assert set(TABLE_FORMATS) <= set(opt.type.choices)


JSON_RUNS = [
    ["routes", "-d", str(CHANNELS), "--market", "CN"],
    ["spof", "-d", str(CHANNELS), "--market", "CN"],
    ["whatif", "-d", str(CHANNELS), "--end", "partnership-microsoft-openai"],
    ["timeline", "-d", str(CHANNELS), "--market", "CN"],
    ["diff", "-d", str(CHANNELS), "--from", "2020-01-01", "--to", "2026-07-01"],
    ["explain", "-d", str(CHANNELS), "partnership-microsoft-openai"],
    ["queries"],
    ["rules"],
    ["validate", str(TINY)],
    ["report", "-d", str(CHANNELS), "--market", "CN", "-o", "-"],
    ["query", "-d", str(TINY), "routes-into", "-p", "market=TL"],
]


@pytest.mark.parametrize("args", JSON_RUNS, ids=[a[0] for a in JSON_RUNS])
def test_format_json_on_every_command_that_prints_data(runner: CliRunner, args: list[str]) -> None:
    res = runner.invoke(cli, [*args, "--format", "json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc  # not an empty document


def test_tsv_tables(runner: CliRunner) -> None:
    res = runner.invoke(cli, ["routes", "-d", str(CHANNELS), "--market", "CN", "-f", "tsv"])
    assert res.exit_code == 0, res.output
    lines = res.stdout.splitlines()
    assert lines[0].split("\t")[:2] == ["route", "model"]
    assert len(lines) > 1 and all(ln.count("\t") == lines[0].count("\t") for ln in lines)


def test_validate_json_lists_the_problems(runner: CliRunner) -> None:
    res = runner.invoke(cli, ["validate", str(BAD / "invalid-date.ttl"), str(TINY), "-f", "json"])
    assert res.exit_code == 1
    doc = json.loads(res.stdout)
    assert doc["conforms"] is False
    assert any(p["kind"] == "literal" and p["location"].endswith("invalid-date.ttl:8")
               for p in doc["problems"])


WRITERS = [
    ["query", "-d", str(TINY), "seed-table"],
    ["queries"],
    ["validate", str(TINY)],
    ["view", "-d", str(TINY), "--market", "TL"],
    ["export-graphml", "-d", str(TINY)],
    ["routes", "-d", str(TINY), "--market", "TL"],
    ["spof", "-d", str(TINY), "--market", "TL"],
    ["whatif", "-d", str(TINY), "--end", "t-partnership"],
    ["report", "-d", str(CHANNELS), "--market", "CN"],
    ["docs", "--no-examples"],
    ["infer", "-d", str(TINY)],
    ["rules"],
    ["diff", "-d", str(TINY), "--from", "2020-01-01", "--to", "2025-01-01"],
    ["timeline", "-d", str(TINY)],
    ["explain", "-d", str(TINY), "t-route-cloud"],
]


@pytest.mark.parametrize("args", WRITERS, ids=[a[0] for a in WRITERS])
def test_dash_output_is_standard_output(runner: CliRunner, args: list[str],
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    # A table on standard output fits COLUMNS when it is set (tests/test_tables_fit.py):
    # compare with the file as printed for no particular terminal.
    monkeypatch.delenv("COLUMNS", raising=False)
    opt = _option(load_commands()[args[0]], "-o")
    assert opt is not None and opt.opts == ["--output", "-o"]
    with runner.isolated_filesystem() as cwd:
        to_file = runner.invoke(cli, [*args, "-o", "out.txt"])
        assert to_file.exit_code == 0, to_file.output
        written = (Path(cwd) / "out.txt").read_bytes()
        res = runner.invoke(cli, [*args, "-o", "-"])
        assert res.exit_code == 0, res.output
        assert res.stdout_bytes == written and written
        assert not (Path(cwd) / "-").exists()


def test_query_reads_standard_input(runner: CliRunner) -> None:
    text = "SELECT ?code WHERE { ?m <https://w3id.org/channelkg/ontology#isoCode> ?code }"
    res = runner.invoke(cli, ["query", "-", "-d", str(TINY), "-f", "csv"], input=text)
    assert res.exit_code == 0, res.output
    assert res.stdout.splitlines() == ["code", "TL"]


def test_validate_reads_standard_input(runner: CliRunner) -> None:
    res = runner.invoke(cli, ["validate", "-"], input=TINY.read_text(encoding="utf-8"))
    assert res.exit_code == 0, res.output
    assert res.stdout.startswith("ok: <stdin>,")
    broken = (BAD / "broken-syntax.ttl").read_text(encoding="utf-8")
    res = runner.invoke(cli, ["validate", "-"], input=broken)
    assert res.exit_code == 1
    assert re.match(r"<stdin>:\d+:\d+: syntax", res.stdout), res.stdout
    assert "Traceback" not in res.output
    res = runner.invoke(cli, ["validate", "-", str(TINY)], input="")
    assert res.exit_code == 2 and "cannot be combined" in res.output


def test_failed_checks_exit_1_through_check_failed_error(runner: CliRunner) -> None:
    res = runner.invoke(cli, ["query", "-d", str(TINY), "ASK { ?s <urn:x:none> ?o }"])
    assert (res.exit_code, res.stdout, res.stderr) == (1, "false\n", "")
    res = runner.invoke(cli, ["validate", str(BAD / "unknown-term.ttl")])
    assert res.exit_code == 1 and res.stdout.endswith("problem(s) in 1 file(s)\n")
    assert res.stderr == "" and not isinstance(res.exception, CheckFailedError)
    sources = {p.name: p.read_text(encoding="utf-8")
               for p in (ROOT / "src" / "channelkg" / "cli").glob("*.py")}
    exits = {name for name, text in sources.items() if re.search(r"\bsys\.exit\(", text)}
    # the entry point, the click group's main() and the reference script's __main__ only
    assert exits <= {"entry.py", "main.py", "reference.py"}


@pytest.mark.parametrize(("name", "cmd"), COMMANDS, ids=[n for n, _ in COMMANDS])
def test_every_help_has_summary_description_and_examples(name: str, cmd: click.Command) -> None:
    text = cmd.help or ""
    paragraphs = [p for p in text.split("\n\n") if p.strip()]
    summary = paragraphs[0].strip()
    assert "\n" not in summary and summary.endswith("."), name
    assert len(paragraphs) >= 3, f"{name}: needs a description and examples"
    examples = text[text.index("Examples"):] if "Examples" in text else ""
    assert re.search(r"^\s*Examples[^\n]*:\s*$", examples, re.M), name
    assert re.search(r"^\s+channelkg ", examples, re.M), name


def test_cli_reference_is_up_to_date() -> None:
    problem = check(ROOT / "docs" / "cli.md")
    assert problem is None, problem


def test_a_stale_reference_is_caught_and_says_how_to_regenerate(tmp_path: Path) -> None:
    current = render_reference()
    for name, _ in COMMANDS:
        assert f"## {name}\n" in current
    stale = tmp_path / "cli.md"
    stale.write_text(current.replace("Examples:", "Example:", 1), encoding="utf-8")
    assert check(stale) == f"{stale} is stale: regenerate it with `{REGENERATE}`"
    missing = check(tmp_path / "none.md")
    assert missing is not None and REGENERATE in missing
    stale.write_text(current, encoding="utf-8")
    assert check(stale) is None
