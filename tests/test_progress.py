"""Progress of long work on standard error: on a terminal only (issue 13, item 3)."""

from __future__ import annotations

import io
import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

from channelkg.cli.progress import Progress

SRC = Path(__file__).parent.parent / "src"

RUNS = {
    "load": ["load", "--into", "oxigraph:kg.oxigraph"],
    "view": ["view", "--market", "CN", "-o", "cn.html", "--physics-threshold", "10"],
    "report": ["report", "--market", "CN", "-o", "brief.md"],
}


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"COLUMNS", "NO_COLOR"}}
    env["PYTHONPATH"] = str(SRC)
    return env


def _read_all(fd: int) -> bytes:
    chunks = []
    while True:
        try:
            data = os.read(fd, 65536)
        except OSError:  # the terminal closes when the child exits (EIO)
            break
        if not data:
            break
        chunks.append(data)
    return b"".join(chunks)


def _on_terminal(args: list[str], tmp: Path) -> tuple[int, str, str]:
    """Run with standard error on a pseudo-terminal and standard output on a pipe."""
    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "channelkg", *args], cwd=tmp,
                            env=_env(), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=slave)
    os.close(slave)
    err = _read_all(master)
    out, _ = proc.communicate(timeout=300)
    os.close(master)
    return proc.returncode, out.decode(), err.decode(errors="replace")


@pytest.mark.parametrize("name", RUNS)
def test_progress_shows_on_a_terminal(name: str, tmp_path: Path) -> None:
    code, out, err = _on_terminal(RUNS[name], tmp_path)
    assert code == 0, err
    assert ": done in " in err and " s" in err  # the step and its time
    assert "\x1b[K" in err  # the line is redrawn in place
    assert ": done in" not in out  # progress never goes to standard output


@pytest.mark.parametrize("name", RUNS)
def test_progress_is_silent_when_piped(name: str, tmp_path: Path) -> None:
    res = subprocess.run([sys.executable, "-m", "channelkg", *RUNS[name]], cwd=tmp_path,
                         env=_env(), stdin=subprocess.DEVNULL, capture_output=True,
                         text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    assert "done in" not in res.stderr and "\x1b" not in res.stderr + res.stdout
    assert "…" not in res.stderr and "projected" not in res.stderr


def test_quiet_load_is_silent_on_a_terminal(tmp_path: Path) -> None:
    code, out, err = _on_terminal([*RUNS["load"], "--quiet"], tmp_path)
    assert code == 0 and "added" in out and err == ""


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_step_ticks_while_work_runs() -> None:
    import time

    term = _Terminal()
    bar = Progress(term)
    bar.interval = 0.01
    with bar.step("crunching"):
        bar("half way")
        time.sleep(0.1)
    text = term.getvalue()
    assert "… half way\n" in text and "crunching: done in " in text
    assert any(f in text for f in "⠋⠙⠹⠸") and "crunching (0." in text


def test_not_a_terminal_writes_nothing() -> None:
    stream = io.StringIO()
    bar = Progress(stream)
    with bar.step("crunching"):
        bar("half way")
    assert stream.getvalue() == ""


def test_a_failing_step_says_so() -> None:
    term = _Terminal()
    with pytest.raises(RuntimeError), Progress(term).step("crunching"):
        raise RuntimeError("boom")
    assert "crunching: stopped in " in term.getvalue()
