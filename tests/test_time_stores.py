"""--as-of on stores: a persistent Oxigraph store, and a SPARQL server (a real
`channelkg serve` on 127.0.0.1, started and stopped by the test)."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner

from channelkg.cli import cli

DATA = Path(__file__).parent / "data"
FIXTURE = DATA / "openai-cn.ttl"
QUERY = (
    "PREFIX ckg: <https://w3id.org/channelkg/ontology#> "
    "PREFIX kgid: <https://w3id.org/channelkg/id/> "
    "SELECT ?fact WHERE { { ?fact a ckg:AccessRoute ; ckg:market kgid:mainland-china } "
    "UNION { ?fact a ckg:Restriction ; ckg:market kgid:mainland-china } } ORDER BY ?fact"
)


def answers(runner: CliRunner, *opts: str) -> dict[str, str]:
    out = {}
    for day in ("2024-01-01", "2024-08-01", "2026-07-01"):
        res = runner.invoke(cli, ["query", QUERY, "-f", "csv", *opts, "--as-of", day])
        assert res.exit_code == 0, res.output
        out[day] = res.stdout
    return out


def test_as_of_on_a_persistent_store(tmp_path: Path, runner: CliRunner) -> None:
    db = tmp_path / "db"
    res = runner.invoke(cli, ["load", "--into", f"oxigraph:{db}", str(FIXTURE)])
    assert res.exit_code == 0, res.output
    on_store = answers(runner, "--store", f"oxigraph:{db}")
    on_files = answers(runner, "--data", str(FIXTURE))
    assert on_store == on_files
    assert "route-seed-azure-china-gpt" not in on_store["2024-08-01"]
    assert "route-seed-azure-china-gpt" in on_store["2026-07-01"]
    assert on_store["2024-01-01"].strip() == "fact"
    # The store itself is not changed by an as-of view.
    full = runner.invoke(cli, ["query", QUERY, "-f", "csv", "--store", f"oxigraph:{db}"])
    assert full.stdout == on_store["2026-07-01"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_as_of_against_a_sparql_server(runner: CliRunner) -> None:
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "channelkg", "serve", "--port", str(port), "--workers", "1",
         "--data", str(FIXTURE)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                err = proc.stderr.read().decode() if proc.stderr else ""
                pytest.fail(f"channelkg serve exited with {proc.returncode}: {err}")
            try:
                with urllib.request.urlopen(f"{base}/queries.json", timeout=2):
                    break
            except (urllib.error.URLError, OSError):
                pass
            if time.monotonic() > deadline:
                pytest.fail("channelkg serve did not answer within 60 s")
            time.sleep(0.1)
        on_server = answers(runner, "--store", f"sparql:{base}/sparql")
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
        if proc.stderr:
            proc.stderr.close()
    on_files = answers(runner, "--data", str(FIXTURE))
    assert on_server == on_files
    assert "fact-oai-1" not in on_server["2024-01-01"]
    assert "fact-oai-1" in on_server["2024-08-01"]
