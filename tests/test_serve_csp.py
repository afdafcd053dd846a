"""The query page of ``channelkg serve`` works under its own Content-Security-Policy.

Chromium runs with the policy enforced (no bypass): the page loads, runs a query and
shows its rows, and the browser reports no violation of the policy. The waits use
selectors only (playwright's text predicates would be evaluated in the page, which the
policy forbids, as it should).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from conftest import chromium_context
from test_serve import FILES, Server, start_server, stop_server

pytestmark = [pytest.mark.browser, pytest.mark.server]

RECORD = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", e => {
  window.__violations.push(e.violatedDirective + " " + e.blockedURI);
});
"""


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    srv = start_server(*[a for f in FILES for a in ("--data", str(f))])
    yield srv
    stop_server(srv)


def test_query_page_runs_under_the_policy(server: Server,
                                          tmp_path_factory: pytest.TempPathFactory) -> None:
    errors: list[str] = []
    with chromium_context(tmp_path_factory.mktemp("csp"), bypass_csp=False) as ctx:
        ctx.add_init_script(RECORD)
        page = ctx.new_page()
        page.on("pageerror", lambda e: errors.append(str(e)))
        response = page.goto(server.base + "/")
        assert response is not None
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
        page.wait_for_selector("#examples option >> nth=1", state="attached")
        page.fill("#editor", "PREFIX ckg: <https://w3id.org/channelkg/ontology#>\n"
                             "SELECT ?m ?code WHERE { ?m ckg:isoCode ?code } ORDER BY ?code")
        page.click("#run")
        page.wait_for_selector("#results tbody tr")
        cells: list[Any] = page.eval_on_selector_all(
            "#results tbody tr", "trs => trs.map(tr => tr.cells[1].textContent)")
        violations = page.evaluate("() => window.__violations")
        # pages of the endpoint linked from the results (e.g. entity pages) too
        links: list[str] = page.eval_on_selector_all(
            "#results a[href]", "as => as.map(a => a.href)")
        for url in [u for u in links if u.startswith(server.base + "/")][:3]:
            page.goto(url)
            page.wait_for_load_state("load")
            violations += page.evaluate("() => window.__violations")
    assert cells == ["CN", "HK", "TL"]
    assert violations == [] and errors == []
