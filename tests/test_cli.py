"""The command line: output formats, exit codes, one-line errors without tracebacks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from channelkg.cli import cli
from conftest import BAD, TINY


def invoke(runner: CliRunner, *args: str) -> tuple[int, str, str]:
    res = runner.invoke(cli, list(args))
    assert not isinstance(res.exception, Exception) or isinstance(res.exception, SystemExit), (
        res.exception
    )
    return res.exit_code, res.stdout, res.stderr


def test_queries_lists_named_queries(runner: CliRunner) -> None:
    code, out, _ = invoke(runner, "queries")
    assert code == 0
    lines = out.splitlines()[2:]
    assert len(lines) >= 10
    assert any(line.startswith("seed-table ") for line in lines)
    assert 'market (market, default "CN")' in out


def test_query_seed_table_prints_the_seed(runner: CliRunner) -> None:
    code, out, _ = invoke(runner, "query", "seed-table")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["provider", "directSales", "accessRoute", "geopoliticalRisk"]
    assert lines[2].split() == ["Microsoft", "Yes", "Azure", "China", "Lower"]
    assert sorted(line.split() for line in lines[3:]) == [
        ["Anthropic", "No", "None", "High"],
        ["OpenAI", "No", "None", "High"],
    ]


def test_query_json_and_csv(runner: CliRunner) -> None:
    code, out, _ = invoke(
        runner, "query", "routes-into", "-d", str(TINY), "-p", "market=TL", "-f", "json"
    )
    assert code == 0
    doc = json.loads(out)
    assert len(doc["results"]["bindings"]) == 2
    code, out, _ = invoke(
        runner, "query", "routes-into", "-d", str(TINY), "-p", "market=TL", "--format", "csv"
    )
    assert out.splitlines()[0].startswith("route,modelLabel,serviceLabel")
    assert len(out.splitlines()) == 3


def test_query_inline_and_file(runner: CliRunner, tmp_path: Path) -> None:
    q = tmp_path / "markets.rq"
    q.write_text(
        "PREFIX ckg: <https://w3id.org/channelkg/ontology#>\n"
        "SELECT ?code WHERE { ?m ckg:isoCode ?code } ORDER BY ?code\n",
        encoding="utf-8",
    )
    code, out, _ = invoke(runner, "query", str(q), "-d", str(TINY), "-f", "tsv")
    assert (code, out) == (0, '?code\n"TL"\n')
    code, out, _ = invoke(
        runner,
        "query",
        "-d",
        str(TINY),
        "-f",
        "csv",
        "SELECT ?code WHERE { ?m <https://w3id.org/channelkg/ontology#isoCode> ?code }",
    )
    assert out.splitlines() == ["code", "TL"]


def test_construct_as_turtle(runner: CliRunner) -> None:
    code, out, _ = invoke(
        runner, "query", "entity", "-d", str(TINY), "-p", "entity=t-market", "-f", "turtle"
    )
    assert code == 0 and "kgid:t-market" in out and "测试国" in out


def test_output_file_is_written(runner: CliRunner, tmp_path: Path) -> None:
    out_file = tmp_path / "table.md"
    code, _, err = invoke(runner, "query", "seed-table", "-f", "md", "-o", str(out_file))
    assert code == 0 and "wrote" in err
    assert out_file.read_text(encoding="utf-8").startswith("| provider | directSales |")


def test_ask_false_exits_1(runner: CliRunner) -> None:
    code, out, _ = invoke(runner, "query", "-d", str(TINY), "ASK { ?s <urn:x:none> ?o }")
    assert (code, out) == (1, "false\n")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["query", "seed-tabel"], "unknown named query 'seed-tabel'"),
        (["query", "routes-into", "-p", "country=CN"], "unknown parameter 'country'"),
        (["query", "routes-into", "-p", "market"], "is not NAME=VALUE"),
        (["query", "SELECT ?s WHERE { ?s ?p }"], "SPARQL syntax error"),
        (["query", "seed-table", "-d", "missing.ttl"], "missing.ttl: no such file"),
        (["query", "seed-table", "-d", str(BAD / "broken-syntax.ttl")], "broken-syntax.ttl:6:1"),
        (["query", "seed-table", "-d", str(BAD / "unknown-prefix.ttl")], "foo: has not been"),
        (["query", "missing.rq"], "missing.rq: no such query file"),
        (
            ["query", "SELECT * WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }"],
            "--allow-service",
        ),
        (["query", "entity"], "needs --param entity"),
        (["validate", "missing.ttl"], "missing.ttl: no such file"),
    ],
)
def test_bad_input_gives_one_message_and_exit_2(
    runner: CliRunner, args: list[str], message: str
) -> None:
    code, out, err = invoke(runner, *args)
    assert code == 2
    assert message in err
    assert "Traceback" not in err + out


def test_validate_exit_codes(runner: CliRunner) -> None:
    code, out, _ = invoke(runner, "validate", str(TINY))
    assert code == 0 and out.startswith("ok: 1 file(s)")
    code, out, _ = invoke(runner, "validate", str(BAD / "invalid-date.ttl"), str(TINY))
    assert code == 1
    assert "invalid-date.ttl:8: literal kgid:s dcterms:date" in out


def test_validate_bundled_graph_is_clean(runner: CliRunner) -> None:
    code, out, _ = invoke(runner, "validate")
    assert code == 0, out


def test_script_entry_points() -> None:
    """The installed script and `python -m channelkg` run the same CLI, without tracebacks."""
    for cmd in (["channelkg"], [sys.executable, "-m", "channelkg"]):
        ok = subprocess.run(
            [*cmd, "query", "seed-table", "-f", "csv"], capture_output=True, text=True, check=False
        )
        assert ok.returncode == 0, ok.stderr
        assert "Microsoft,Yes,Azure China,Lower" in ok.stdout
        bad = subprocess.run([*cmd, "query", "nope"], capture_output=True, text=True, check=False)
        assert bad.returncode == 2
        assert bad.stderr.startswith("Error: unknown named query 'nope'")
        assert "Traceback" not in bad.stderr


def test_library_api_can_be_called_again_and_in_any_order() -> None:
    """channelkg.query / channelkg.validate stay callable after their modules load."""
    code = (
        "import channelkg\n"
        "import channelkg.sparql.query as module\n"  # the module loads before the function is used
        "kg = channelkg.load()\n"
        "a = channelkg.query(kg, 'seed-table')\n"
        "b = channelkg.query(kg, 'routes-into', {'market': 'CN'})\n"
        "r1 = channelkg.validate(); r2 = channelkg.validate()\n"
        "print(len(a.rows), len(b.rows), r1.conforms, r2.conforms, len(module.list_queries()))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=False)
    assert out.returncode == 0, out.stderr
    n_seed, n_routes, ok1, ok2, n_queries = out.stdout.split()
    assert int(n_seed) >= 3 and int(n_routes) >= 1 and int(n_queries) >= 10
    assert ok1 == ok2 == "True"


@pytest.mark.parametrize("args", [
    ["query", "seed-table"],
    ["view", "--market", "CN"],
    ["report", "--market", "CN"],
    ["docs"],
])
def test_output_to_a_folder_is_a_clear_error(
    runner: CliRunner, tmp_path: Path, args: list[str]
) -> None:
    res = runner.invoke(cli, [*args, "-o", str(tmp_path)])
    assert res.exit_code == 2, res.output
    assert f"{tmp_path}: is a folder" in res.output
    assert "Traceback" not in res.output
    assert list(tmp_path.iterdir()) == []  # no temporary file left behind


@pytest.mark.parametrize(("param", "message"), [
    ("market=XX", "unknown market 'XX'"),
    ("market=chna", "unknown market 'chna' (did you mean kgid:mainland-china (Mainland China, CN)"),
    ("market=kgid:gpt", "kgid:gpt is not a market"),
    ("model=kgid:no-such-model", "unknown model 'kgid:no-such-model'"),
])
def test_a_parameter_that_matches_nothing_is_named(
    runner: CliRunner, param: str, message: str
) -> None:
    res = runner.invoke(cli, ["query", "routes-into", "-p", param])
    assert res.exit_code == 2, res.output
    assert "empty result: --param " + param in res.output and message in res.output


def test_an_empty_answer_with_known_values_is_not_an_error(runner: CliRunner) -> None:
    # North Korea and GPT are both in the graph; no route joins them: a true "none".
    res = runner.invoke(cli, ["query", "routes-into", "-p", "market=KP", "-p", "model=kgid:gpt",
                              "-f", "csv"])
    assert res.exit_code == 0, res.output
    assert res.output.splitlines()[0].startswith("route,") and len(res.output.splitlines()) == 1


def test_a_value_that_exists_but_not_on_the_as_of_date_is_a_true_none(
    runner: CliRunner,
) -> None:
    res = runner.invoke(cli, ["query", "route-dependencies", "-p",
                              "partnership=kgid:partnership-microsoft-openai",
                              "--as-of", "2020-01-01", "-f", "csv"])
    assert res.exit_code == 0, res.output
    assert len(res.output.splitlines()) == 1  # the header only


def test_output_to_a_special_file_is_refused(runner: CliRunner, tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    res = runner.invoke(cli, ["query", "seed-table", "-o", str(fifo)])
    assert res.exit_code == 2 and "is not a regular file" in res.output
    assert fifo.is_fifo()


def test_a_mistyped_command_gets_close_matches_from_every_command() -> None:
    """Commands are imported when they run, yet a typo is matched against all of them
    (in a new process, where no command module is imported yet)."""
    res = subprocess.run([sys.executable, "-m", "channelkg", "rute"], capture_output=True,
                         text=True)
    assert res.returncode == 2
    assert res.stderr.strip().splitlines()[-1] == (
        "Error: No such command 'rute'. (Did you mean one of: 'routes', 'rules'?)")
