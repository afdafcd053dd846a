"""Start a private Virtuoso Open Source server for the tests (Debian ``virtuoso-opensource``).

The server runs in the foreground from a fresh database folder, listens on two free
ports of 127.0.0.1 only (SQL and HTTP), and is stopped by its PID. SPARQL UPDATE and
the Graph Store Protocol are used through the authenticated endpoints
``/sparql-auth`` and ``/sparql-graph-crud-auth`` (digest auth, user ``dba``, password
``dba``: the password of a fresh database).

Run ``python tests/virtuoso.py`` to start one by hand (Ctrl-C stops it).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BINARY_CANDIDATES = ("virtuoso-t", "/usr/bin/virtuoso-t")
USER = "dba"
PASSWORD = "dba"

INI = """\
[Database]
DatabaseFile = {db}/virtuoso.db
ErrorLogFile = {db}/virtuoso.log
LockFile = {db}/virtuoso.lck
TransactionFile = {db}/virtuoso.trx
xa_persistent_file = {db}/virtuoso.pxa
ErrorLogLevel = 7
FileExtend = 200
MaxCheckpointRemap = 2000
Striping = 0
TempStorage = TempDatabase

[TempDatabase]
DatabaseFile = {db}/virtuoso-temp.db
TransactionFile = {db}/virtuoso-temp.trx
MaxCheckpointRemap = 2000
Striping = 0

[Parameters]
ServerPort = 127.0.0.1:{sql_port}
DisableUnixSocket = 1
DisableTcpSocket = 0
MaxClientConnections = 10
CheckpointInterval = 60
CaseMode = 2
DirsAllowed = ., {db}
NumberOfBuffers = 10000
MaxDirtyBuffers = 6000
ThreadsPerQuery = 4

[HTTPServer]
ServerPort = 127.0.0.1:{http_port}
ServerRoot = {db}
MaxClientConnections = 10
ServerThreads = 10
Charset = UTF-8

[SPARQL]
ResultSetMaxRows = 100000
MaxQueryExecutionTime = 60
"""


def free_port() -> int:
    """A TCP port of 127.0.0.1 that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def binary() -> str:
    for cand in BINARY_CANDIDATES:
        found = shutil.which(cand)
        if found:
            return found
    raise RuntimeError(
        "virtuoso-t not found: install the Debian package virtuoso-opensource "
        "(see Scale out in README.md)"
    )


@dataclass
class Virtuoso:
    """A running server: its folder, ports and process."""

    folder: Path
    http_port: int
    sql_port: int
    proc: subprocess.Popen[bytes]

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def sparql(self) -> str:
        return f"{self.base}/sparql"

    @property
    def update(self) -> str:
        return f"{self.base}/sparql-auth"

    @property
    def gsp(self) -> str:
        return f"{self.base}/sparql-graph-crud-auth"

    def log(self) -> str:
        try:
            return (self.folder / "virtuoso.log").read_text(errors="replace")[-3000:]
        except OSError:
            return ""

    def stop(self) -> None:
        """Stop the server by its PID (TERM, then KILL after 20 s)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)


def start(folder: Path, timeout: float = 60.0, attempts: int = 3) -> Virtuoso:
    """Start ``virtuoso-t`` with a fresh database in ``folder``; wait until SPARQL answers.
    A server that exits at once or cannot listen on its HTTP port (a port taken between
    ``free_port`` and its start, e.g. by a test of another pytest-xdist worker) is started
    again on other ports, in a fresh folder, up to ``attempts`` times.

    Raises:
        RuntimeError: the binary is missing, the server exits or does not answer in time.
    """
    for attempt in range(1, attempts):
        with contextlib.suppress(_ExitedError):
            return _start_once(folder / f"try-{attempt}", timeout)
    return _start_once(folder / f"try-{attempts}", timeout)


class _ExitedError(RuntimeError):
    """The server process ended before it answered."""


def _start_once(folder: Path, timeout: float) -> Virtuoso:
    exe = binary()
    folder.mkdir(parents=True, exist_ok=True)
    http_port, sql_port = free_port(), free_port()
    while sql_port == http_port:
        sql_port = free_port()
    ini = folder / "virtuoso.ini"
    ini.write_text(INI.format(db=folder, sql_port=sql_port, http_port=http_port))
    out = (folder / "stdout.log").open("wb")
    proc = subprocess.Popen(
        [exe, "+foreground", "+configfile", str(ini)],
        cwd=folder, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
    )
    out.close()
    server = Virtuoso(folder, http_port, sql_port, proc)
    deadline = time.monotonic() + timeout
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    probe = f"{server.sparql}?query=ASK%20%7B%7D"
    while True:
        if proc.poll() is not None:
            raise _ExitedError(f"virtuoso-t exited with code {proc.returncode}:\n{server.log()}")
        if "Failed HTTP listen" in server.log():  # it runs on, without its HTTP port
            server.stop()
            raise _ExitedError(f"virtuoso-t could not listen on {http_port}:\n{server.log()}")
        try:
            with opener.open(probe, timeout=2) as resp:
                # Only Virtuoso's own answer: another server may hold the port meanwhile.
                if resp.status == 200 and "Virtuoso" in resp.headers.get("Server", ""):
                    return server
        except (urllib.error.URLError, OSError):
            pass
        if time.monotonic() > deadline:
            server.stop()
            raise RuntimeError(f"Virtuoso did not answer within {timeout:.0f} s:\n{server.log()}")
        time.sleep(0.2)


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        srv = start(Path(tmp))
        print(f"Virtuoso: SPARQL {srv.sparql}, UPDATE {srv.update}, GSP {srv.gsp} "
              f"(user {USER}, password {PASSWORD}); pid {srv.proc.pid}", flush=True)
        try:
            srv.proc.wait()
        except KeyboardInterrupt:
            srv.stop()
    os._exit(0)


def serving(factory: Any, name: str) -> Iterator[Virtuoso]:
    """A private server for one test module (the body of its module-scoped fixture): a
    server that cannot start fails the module, never skips it."""
    import pytest

    try:
        srv = start(factory.mktemp(name))
    except RuntimeError as err:
        pytest.fail(f"cannot start Virtuoso: {err}")
    try:
        yield srv
    finally:
        srv.stop()
