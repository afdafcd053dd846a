"""The query page of ``channelkg serve`` in headless Chromium: offline, examples, results."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from channelkg.graph.memory import load
from channelkg.sparql.query import query
from conftest import chromium_context
from test_serve import FILES, Server, start_server, stop_server

pytestmark = [pytest.mark.browser, pytest.mark.server]



@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    srv = start_server(*[a for f in FILES for a in ("--data", str(f))])
    yield srv
    stop_server(srv)


@pytest.fixture(scope="module")
def page(server: Server, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    elsewhere: list[str] = []
    errors: list[str] = []

    def route(r: Any) -> None:
        if r.request.url.startswith(server.base + "/"):
            r.continue_()
        else:
            elsewhere.append(r.request.url)
            r.abort()

    with chromium_context(tmp_path_factory.mktemp("chromium")) as ctx:
        ctx.route("**/*", route)
        pg = ctx.new_page()
        pg.on("pageerror", lambda e: errors.append(str(e)))
        pg.goto(server.base + "/")
        pg.wait_for_function("document.querySelectorAll('#examples option').length > 1")
        yield pg
    assert elsewhere == [], f"the page tried to load {elsewhere}"
    assert errors == []


def table_rows(page: Any) -> list[list[str]]:
    page.wait_for_function("document.querySelector('#status').textContent.includes('row')")
    return page.eval_on_selector_all(
        "#results tbody tr", "trs => trs.map(tr => [...tr.cells].map(td => td.textContent))")


def test_examples_list_every_named_query(page: Any) -> None:
    from channelkg.sparql.query import list_queries

    values = page.eval_on_selector_all("#examples option", "os => os.map(o => o.value)")
    assert set(values) - {""} == {nq.name for nq in list_queries()}


def test_run_a_named_query_with_a_parameter(page: Any) -> None:
    page.select_option("#examples", "routes-into")
    assert "routes-into" not in page.input_value("#editor")  # the query text, not its name
    assert "AccessRoute" in page.input_value("#editor")
    page.fill("#param-market", "HK")
    page.click("#run")
    rows = table_rows(page)
    want = query(load(FILES), "routes-into", {"market": "HK"})
    assert len(rows) == len(want.rows) > 0
    headers = page.eval_on_selector_all("#results th", "ths => ths.map(t => t.textContent)")
    assert headers == list(want.vars)


def test_edited_query_and_error_message(page: Any) -> None:
    page.select_option("#examples", "")
    page.fill("#editor", "PREFIX ckg: <https://w3id.org/channelkg/ontology#>\n"
                         "SELECT ?m ?code WHERE { ?m ckg:isoCode ?code } ORDER BY ?code")
    page.click("#run")
    rows = table_rows(page)
    assert [r[1] for r in rows] == ["CN", "HK", "TL"]
    assert rows[0][0] == "kgid:mainland-china"
    page.fill("#editor", "SELECT ?s WHERE { ?s ?p ")
    page.click("#run")
    page.wait_for_function("document.querySelector('#status').classList.contains('error')")
    assert "HTTP 400" in page.text_content("#status")
    page.fill("#editor", "DROP ALL")
    page.click("#run")
    page.wait_for_function("document.querySelector('#status').textContent.includes('403')")


def test_parameters_are_disabled_once_the_example_is_edited(page: Any) -> None:
    page.select_option("#examples", "routes-into")
    assert page.is_enabled("#param-market") and page.is_hidden("#params-note")
    page.focus("#editor")
    page.keyboard.press("End")
    page.keyboard.type("\n")
    assert page.is_disabled("#param-market") and page.is_visible("#params-note")
    page.select_option("#examples", "routes-into")  # picking it again restores it
    assert page.is_enabled("#param-market") and page.is_hidden("#params-note")
    page.select_option("#examples", "entity")
    page.click("#run")  # its required parameter is missing
    page.wait_for_function("document.querySelector('#status').classList.contains('error')")
    status = page.text_content("#status")
    assert "HTTP 400" in status and "URL parameter entity" in status and "--param" not in status
