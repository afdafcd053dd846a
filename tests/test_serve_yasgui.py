"""YASGUI, a SPARQL editor that runs in the browser, queries ``channelkg serve`` from
another origin in headless Chromium.

YASGUI is the npm package pinned in tests/browser/yasgui/package-lock.json, installed
by scripts/test.sh; this test fails (never skips) when it is missing. Its files are
served by a static server on 127.0.0.1 (another port: another origin); every request
to any other host is aborted. With ``--cors <that origin>`` the query's rows appear,
by GET and by POST; without ``--cors`` the browser blocks the answer and no row appears.
"""

from __future__ import annotations

import functools
import http.server
import shutil
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from conftest import ROOT, chromium_context
from test_serve import FILES, MARKETS, Server, free_port, local_rows, start_server, stop_server

pytestmark = [pytest.mark.browser, pytest.mark.server]

BUILD = ROOT / "tests" / "browser" / "yasgui" / "node_modules" / "@zazuko" / "yasgui" / "build"
PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>YASGUI</title>
<link rel="stylesheet" href="yasgui.min.css"><script src="yasgui.min.js"></script></head>
<body><div id="yasgui"></div>
<script>
const params = new URLSearchParams(location.search);
window.yasgui = new Yasgui(document.getElementById("yasgui"), {
  requestConfig: {endpoint: params.get("endpoint"), method: params.get("method")},
  copyEndpointOnNewTab: false, persistenceId: null,
});
</script></body></html>
"""


@pytest.fixture(scope="module")
def static_origin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """YASGUI's files and a page that starts it, served on 127.0.0.1 (its own origin)."""
    assert (BUILD / "yasgui.min.js").exists(), (
        f"YASGUI is missing ({BUILD}): run scripts/test.sh, which installs it with npm ci")
    root = tmp_path_factory.mktemp("yasgui")
    for name in ("yasgui.min.js", "yasgui.min.css"):
        shutil.copy(BUILD / name, root / name)
    (root / "index.html").write_text(PAGE, encoding="utf-8")

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass

    handler = functools.partial(Quiet, directory=str(root))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def _data() -> list[str]:
    return [a for f in FILES for a in ("--data", str(f))]


@pytest.fixture(scope="module")
def cors_server(static_origin: str) -> Iterator[Server]:
    srv = start_server(*_data(), "--cors", static_origin)
    yield srv
    stop_server(srv)


@pytest.fixture(scope="module")
def closed_server() -> Iterator[Server]:
    srv = start_server(*_data())
    yield srv
    stop_server(srv)


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    with chromium_context(tmp_path_factory.mktemp("profile")) as ctx:
        def only_loopback(route: Any) -> None:
            url = route.request.url
            if url.startswith(("http://127.0.0.1:", "data:", "blob:")):
                route.continue_()
            else:
                route.abort()

        ctx.route("**/*", only_loopback)
        yield ctx


def run_in_yasgui(browser: Any, origin: str, server: Server, method: str) -> tuple[int, str]:
    """Open YASGUI at ``origin``, run MARKETS against the server; (rows shown, page text)."""
    from urllib.parse import urlencode

    page = browser.new_page()
    try:
        page.goto(f"{origin}/index.html?" + urlencode({"endpoint": server.url,
                                                      "method": method}))
        page.wait_for_function("window.yasgui && window.yasgui.getTab()")
        page.evaluate("q => { const tab = window.yasgui.getTab(); tab.setQuery(q); "
                      "tab.query(); }", MARKETS)
        page.wait_for_function(
            "() => document.querySelectorAll('.yasr table tbody tr td').length > 0"
            " || /error|could not|failed/i.test(document.querySelector('.yasr')"
            "?.innerText || '')", timeout=20000)
        rows: int = page.evaluate(
            "() => Array.from(document.querySelectorAll('.yasr table tbody tr'))"
            ".filter(tr => tr.querySelectorAll('td').length > 1).length")
        text: str = page.evaluate("() => document.querySelector('.yasr').innerText")
        return rows, text
    finally:
        page.close()


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_yasgui_runs_a_query_against_serve_with_cors(
        browser: Any, static_origin: str, cors_server: Server, method: str) -> None:
    rows, text = run_in_yasgui(browser, static_origin, cors_server, method)
    want = local_rows(MARKETS)
    assert rows == len(want) == 3, text
    for _market, code in want:
        assert code in text


def test_yasgui_is_blocked_without_cors(browser: Any, static_origin: str,
                                        closed_server: Server) -> None:
    rows, text = run_in_yasgui(browser, static_origin, closed_server, "POST")
    print("without --cors:", " ".join(text.split())[:300])
    assert rows == 0 and "failed to fetch" in text.lower(), text
