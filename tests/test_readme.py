"""The manuals are tested: every console example and Python snippet in README.md and
ontology/README.md runs here, in document order, in a copy of the project, and its output
is compared with what the document shows.

Conventions (stated in the README's "About the examples"):

- a fenced ``console`` block holds commands, each on a line starting with ``$ `` (a command
  continues on the next line after a trailing backslash or inside an open quote), followed
  by the output it prints (standard output and standard error, in order);
- a line that is only ``…`` stands for any number of lines, ``…`` inside a line for any
  text; trailing spaces and trailing blank lines are ignored; no output lines means the
  command prints nothing;
- a last output line ``(exit status N)`` says the command exits with N; otherwise it
  must exit 0;
- a fenced ``python`` block is run as a script and must exit 0;
- ``<!-- xfail: REASON -->`` on the line before a fence marks a known failure (strict:
  once it passes, the marker must go).
"""

from __future__ import annotations

import hashlib
import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
DOCS = ("README.md", "ontology/README.md")
ELLIPSIS = "…"
EXIT_RE = re.compile(r"^\(exit status (\d+)\)$")
TIMEOUT = 600


@dataclass(frozen=True)
class Example:
    """One command of a console block, or one Python block."""

    doc: str
    line: int
    kind: str  # "console" or "python"
    text: str
    expected: tuple[str, ...] = ()
    status: int = 0
    xfail: str | None = None

    @property
    def id(self) -> str:
        return f"{self.doc}:{self.line}"


def _complete(command: str) -> bool:
    if command.endswith("\\"):
        return False
    try:
        shlex.split(command, comments=True)
    except ValueError:
        return False
    return True


def _console_examples(doc: str, start: int, lines: list[str], xfail: str | None) -> list[Example]:
    """Split a console block (its lines, the first at line ``start``) into commands."""
    out: list[Example] = []
    i = 0
    while i < len(lines):
        if not lines[i].startswith("$ "):
            raise AssertionError(f"{doc}:{start + i}: console block line is not a '$ ' command")
        first = i
        command = lines[i][2:]
        while not _complete(command) and i + 1 < len(lines):
            i += 1
            command += "\n" + lines[i]
        i += 1
        expected: list[str] = []
        while i < len(lines) and not lines[i].startswith("$ "):
            expected.append(lines[i].rstrip())
            i += 1
        while expected and not expected[-1]:
            expected.pop()
        status = 0
        if expected and (m := EXIT_RE.match(expected[-1])):
            status = int(m.group(1))
            expected.pop()
        out.append(Example(doc, start + first, "console", command, tuple(expected), status, xfail))
    return out


def parse(doc: str) -> list[Example]:
    """Every console command and Python block of ``doc``, in document order."""
    lines = (ROOT / doc).read_text(encoding="utf-8").splitlines()
    examples: list[Example] = []
    i = 0
    while i < len(lines):
        fence = re.match(r"^(\s*)```(console|python)\s*$", lines[i])
        if not fence:
            i += 1
            continue
        indent = len(fence.group(1))
        before = lines[i - 1].strip() if i else ""
        mark = re.match(r"<!-- xfail: (.+?) -->", before)
        xfail = mark.group(1) if mark else None
        end = next(j for j in range(i + 1, len(lines)) if lines[j].strip() == "```")
        body = [line[indent:] for line in lines[i + 1 : end]]
        if fence.group(2) == "console":
            examples += _console_examples(doc, i + 2, body, xfail)
        else:
            examples.append(Example(doc, i + 2, "python", "\n".join(body), xfail=xfail))
        i = end + 1
    return examples


def output_matches(expected: tuple[str, ...], actual: str) -> bool:
    """Whether ``actual`` is what ``expected`` shows, ``…`` standing for elided text."""
    lines = [line.rstrip() for line in actual.splitlines()]
    while lines and not lines[-1]:
        lines.pop()
    text = "".join(line + "\n" for line in lines)
    parts = []
    for line in expected:
        if line.strip() == ELLIPSIS:
            parts.append(r"(?:[^\n]*\n)*?")
        else:
            parts.append(".*?".join(map(re.escape, line.split(ELLIPSIS))) + r"\n")
    return re.fullmatch("".join(parts), text) is not None


@dataclass
class Session:
    """A copy of the project in which one document's examples run, in order."""

    root: Path
    env: dict[str, str]
    results: dict[str, tuple[int, str]] = field(default_factory=dict)
    done: int = 0

    def run(self, ex: Example) -> tuple[int, str]:
        argv = ["bash", "-c", ex.text] if ex.kind == "console" else [sys.executable, "-c", ex.text]
        proc = subprocess.run(
            argv,
            cwd=self.root,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=TIMEOUT,
        )
        return proc.returncode, proc.stdout


def _make_session(tmp: Path) -> Session:
    root = tmp / "project"
    for name in ("ontology", "graphs", "docs/examples"):
        shutil.copytree(ROOT / name, root / name)
    bindir = tmp / "bin"
    bindir.mkdir()
    shim = bindir / "channelkg"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m channelkg "$@"\n', encoding="utf-8")
    shim.chmod(0o755)
    (bindir / "python").symlink_to(sys.executable)
    env = {k: v for k, v in os.environ.items() if k not in {"COLUMNS", "LINES", "VIRTUAL_ENV"}}
    env["PATH"] = f"{bindir}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(ROOT / "src"), env.get("PYTHONPATH", "")) if p
    )
    env["CHANNELKG_HOME"] = str(root)
    env["NO_COLOR"] = "1"
    return Session(root, env)


EXAMPLES = {doc: parse(doc) for doc in DOCS}
ALL = [ex for doc in DOCS for ex in EXAMPLES[doc]]


def _digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def sessions(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Session]]:
    before = _digest(ROOT / "graphs")
    made = {doc: _make_session(tmp_path_factory.mktemp("doc")) for doc in DOCS}
    yield made
    assert _digest(ROOT / "graphs") == before, "an example wrote into the real graphs/"


def _params() -> list[object]:
    out: list[object] = []
    for ex in ALL:
        marks = [pytest.mark.xfail(reason=ex.xfail, strict=True)] if ex.xfail else []
        out.append(pytest.param(ex, id=ex.id, marks=marks))
    return out


@pytest.mark.parametrize("ex", _params())
def test_example(ex: Example, sessions: dict[str, Session]) -> None:
    session = sessions[ex.doc]
    examples = EXAMPLES[ex.doc]
    index = examples.index(ex)
    while session.done <= index:
        prior = examples[session.done]
        session.results[prior.id] = session.run(prior)
        session.done += 1
    status, output = session.results[ex.id]
    shown = "\n".join(ex.expected)
    assert status == ex.status, f"{ex.id}: exit status {status}, output:\n{output}"
    if ex.kind == "console":
        assert output_matches(ex.expected, output), (
            f"{ex.id}: `{ex.text}` printed\n{output}\n--- the document shows ---\n{shown}"
        )


def test_conventions_are_strict() -> None:
    """The matcher refuses what the document does not show."""
    assert output_matches(("a", ELLIPSIS, "z"), "a\nb\nc\nz\n")
    assert output_matches(("a", ELLIPSIS, "z"), "a\nz\n")
    assert output_matches(("took … s",), "took 0.13 s\n")
    assert not output_matches(("a", "z"), "a\nb\nz\n")
    assert not output_matches((), "something\n")
    assert not output_matches(("took … s",), "took 0.13 s\nmore\n")
    ex = _console_examples("d", 1, ["$ false \\", "  x", "oops", "(exit status 1)"], None)
    assert ex == [Example("d", 1, "console", "false \\\n  x", ("oops",), 1)]


def test_every_document_has_examples() -> None:
    for doc in DOCS:
        assert any(ex.kind == "console" for ex in EXAMPLES[doc]), doc


def test_setup_commands_are_what_ci_runs() -> None:
    """The README's set-up block: a clone line, then setup.sh, then the test command that
    .ci/run executes."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```sh\n(git clone .*?)```", readme, re.S)
    assert block, "README has no set-up block starting with git clone"
    commands = [ln for ln in block.group(1).splitlines() if ln and not ln.startswith("#")]
    assert commands[1:] == ["bash scripts/setup.sh", "bash scripts/test.sh"]
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert "exec bash scripts/test.sh" in ci


def _ensure_python(cwd: Path, env: dict[str, str]) -> str:
    script = f'set -euo pipefail; . "{ROOT}/scripts/venv.sh"; ensure_python; echo "$PY"'
    proc = subprocess.run(
        ["bash", "-c", script], cwd=cwd, env=env, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


def _fake_python(path: Path) -> None:
    path.parent.mkdir(parents=True)
    path.write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n', encoding="utf-8")
    path.chmod(0o755)


def test_setup_uses_the_active_virtual_environment(tmp_path: Path) -> None:
    venv = tmp_path / "active"
    _fake_python(venv / "bin" / "python")
    env = {**os.environ, "VIRTUAL_ENV": str(venv)}
    assert _ensure_python(tmp_path, env) == str(venv / "bin" / "python")
    assert not (tmp_path / ".venv").exists()


def test_setup_reuses_the_checkouts_venv(tmp_path: Path) -> None:
    python = tmp_path / ".venv" / "bin" / "python"
    _fake_python(python)
    before = python.read_bytes()
    env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    assert _ensure_python(tmp_path, env) == str(python)
    assert python.read_bytes() == before  # used as it is, not created again


def test_default_outputs_never_go_into_the_installed_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A packaged install writes views and briefs under the working directory; a checkout
    (or CHANNELKG_HOME) under its own graphs/."""
    from channelkg import resources

    packaged = Path(resources.__file__).resolve().parent / "_data"
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(resources, "project_root", lambda: packaged)
    assert resources.output_dir("views") == tmp_path / "graphs" / "views"
    home = tmp_path / "home"
    monkeypatch.setattr(resources, "project_root", lambda: home)
    assert resources.output_dir("reports") == home / "graphs" / "reports"


def test_setup_replaces_a_broken_venv(tmp_path: Path) -> None:
    """A .venv whose python cannot run pip (a half-made one) is created again."""
    python = tmp_path / ".venv" / "bin" / "python"
    python.parent.mkdir(parents=True)
    python.write_text("#!/bin/sh\nexit 1\n", encoding="utf-8")
    python.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    assert _ensure_python(tmp_path, env) == str(python)
    pip = subprocess.run([python, "-m", "pip", "--version"], capture_output=True, timeout=60)
    assert pip.returncode == 0, pip.stderr
