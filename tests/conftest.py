"""Shared fixtures. Data lives in tests/data (see its README)."""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from channelkg.graph.memory import KnowledgeGraph, load

DATA = Path(__file__).parent / "data"
ROOT = Path(__file__).parent.parent
TINY = DATA / "tiny.ttl"
BAD = DATA / "bad"


#: The result cache of ``channelkg query NAME`` (channelkg.cli.cache) stays on, as users
#: have it, so that every test (and README example) running a command line sees what it
#: does; but in a folder of this run, never the real home's cache.
os.environ["CHANNELKG_CACHE_DIR"] = tempfile.mkdtemp(prefix="channelkg-test-cache-")
atexit.register(shutil.rmtree, os.environ["CHANNELKG_CACHE_DIR"], True)

#: The controller's terminal size variables: in pytest-xdist's workers an unset COLUMNS
#: becomes 80, and the CLI folds tables to COLUMNS when it is set.
TERMINAL_VARS = ("COLUMNS", "LINES")


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    node.workerinput["terminal_vars"] = {k: os.environ.get(k) for k in TERMINAL_VARS}


def pytest_configure(config: pytest.Config) -> None:
    given = getattr(config, "workerinput", {}).get("terminal_vars")
    for key, value in (given or {}).items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under pytest-xdist (``scripts/test.sh`` runs ``-n auto --dist loadgroup``), the
    tests of a module that use one of its module-scoped fixtures (a server, a browser, a
    built store, the README's shell sessions) run in one worker, so that the fixture is
    built once and they run in file order; every other test goes to whichever worker is
    free. Session-scoped fixtures are built once per worker.

    pytest-xdist tells its controller a test's group by a suffix ``@GROUP`` of the test's
    id, which its own hook of this name adds in each worker from the ``xdist_group``
    marks. This hook runs first, so that the marks are there; and since pytest 9.2 keeps
    a test's id in a structured ``_id`` that pytest-xdist 3.8 does not write (it writes
    the former ``_nodeid``, pytest-xdist issue 1386), the suffix is added here too. Without
    both, no test was grouped: each module's fixtures were built in both workers."""
    grouping = bool(getattr(config.option, "loadgroup", False))  # set in xdist's workers
    for item in items:
        info = getattr(item, "_fixtureinfo", None)
        defs = info.name2fixturedefs.values() if info is not None else ()
        if any(d[-1].scope == "module" for d in defs if d):
            group = item.nodeid.split("::", 1)[0]
            item.add_marker(pytest.mark.xdist_group(group))
            if grouping and hasattr(item, "_id") and "@" not in item.nodeid:
                item._id = type(item._id).parse(f"{item.nodeid}@{group}")


#: Under pytest-xdist, in the controller: the summed durations (set-up, call and
#: tear-down) of each group of tests and of each worker, for the summary below.
GROUP_SECONDS: dict[str, float] = {}
WORKER_SECONDS: dict[str, float] = {}
GROUPS_SHOWN = 12


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    worker = getattr(report, "node", None)
    if worker is None:  # not a worker's report: no pytest-xdist, or in a worker
        return
    nodeid = report.nodeid
    group = nodeid.rsplit("@", 1)[1] if "@" in nodeid.rsplit("]", 1)[-1] else "(ungrouped)"
    GROUP_SECONDS[group] = GROUP_SECONDS.get(group, 0.0) + report.duration
    name = str(worker.gateway.id)
    WORKER_SECONDS[name] = WORKER_SECONDS.get(name, 0.0) + report.duration


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """The longest groups of tests that one worker runs (each group's summed durations)
    and each worker's summed durations: a group that ends long after the others leaves
    the other worker idle (tests/conftest.py groups the tests)."""
    if not GROUP_SECONDS:
        return
    terminalreporter.section("test groups (summed durations)")
    ranked = sorted(GROUP_SECONDS.items(), key=lambda kv: -kv[1])
    for group, seconds in ranked[:GROUPS_SHOWN]:
        terminalreporter.write_line(f"{seconds:8.1f}s {group}")
    workers = ", ".join(f"{w} {s:.1f}s" for w, s in sorted(WORKER_SECONDS.items()))
    terminalreporter.write_line(f"workers: {workers}")


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture(scope="session")
def tiny_kg() -> KnowledgeGraph:
    return load([TINY])


@pytest.fixture(scope="session", params=["oxigraph", "rdflib"])
def bundled(request: pytest.FixtureRequest) -> KnowledgeGraph:
    """The curated graph (graphs/*.ttl + ontology) on each engine."""
    return load(engine=request.param)


@pytest.fixture(scope="session")
def bundled_ox() -> KnowledgeGraph:
    return load(engine="oxigraph")


@pytest.fixture(scope="session")
def bundled_rdflib() -> KnowledgeGraph:
    return load(engine="rdflib")


@pytest.fixture
def ckg_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> Path:
    """A project root in tmp_path: a copy of ontology/ and a graphs/ folder holding a
    copy of tests/data/openai-cn.ttl. CHANNELKG_HOME points at it (also for subprocesses)."""
    import shutil

    from channelkg import resources

    root = tmp_path / "home"
    shutil.copytree(ROOT / "ontology", root / "ontology")
    (root / "graphs").mkdir()
    shutil.copy(DATA / "openai-cn.ttl", root / "graphs" / "openai-cn.ttl")
    monkeypatch.setenv("CHANNELKG_HOME", str(root))
    resources.project_root.cache_clear()
    request.addfinalizer(resources.project_root.cache_clear)
    return root


CHROMIUM = "/usr/bin/chromium"
#: Flags that let Debian's Chromium run headless as root with no network.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-quic",
    "--disable-sync",
]


@contextlib.contextmanager
def chromium_context(profile: Path | str, *, bypass_csp: bool = True) -> Iterator[Any]:
    """A headless Chromium (the Debian package, driven by playwright) with a fresh
    profile. Fails, never skips, when Chromium is missing.

    ``bypass_csp``: playwright's ``wait_for_function`` evaluates its text in the page,
    which a page's Content-Security-Policy (``channelkg serve`` sends one) forbids; the
    test of the policy itself (tests/test_serve_csp.py) passes False."""
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: install the chromium package"
    with sync_playwright() as p:
        ctx = p.chromium.launch_persistent_context(
            str(profile), executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS,
            bypass_csp=bypass_csp,
        )
        try:
            yield ctx
        finally:
            ctx.close()


@contextlib.contextmanager
def loopback_server(handler: Any) -> Iterator[str]:
    """A threading HTTP server on 127.0.0.1 with ``handler`` (a
    ``http.server.BaseHTTPRequestHandler`` class), as its base URL; shut down after."""
    import http.server
    import threading

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
