"""docs/tutorial.ipynb runs from top to bottom and answers its three questions (issue 13.1).

The notebook is executed in a fresh kernel; each answer is checked against the library
computed here (not against text copied from the notebook's output).
"""

from __future__ import annotations

import base64
import os
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbclient import NotebookClient

import channelkg
from channelkg.analysis.routes import routes
from channelkg.analysis.whatif import Scenario, whatif
from channelkg.graph.memory import KnowledgeGraph
from channelkg.rdf.terms import shorten
from channelkg.sparql.query import query

NOTEBOOK = Path(__file__).parent.parent / "docs" / "tutorial.ipynb"
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def executed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[dict[str, Any]]]:
    """The outputs of every tagged cell, by tag, after running the whole notebook."""
    nb = nbformat.read(NOTEBOOK, as_version=4)
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code"), (
        "the notebook is stored without outputs")
    folder = tmp_path_factory.mktemp("notebook")
    # The kernel imports the channelkg under test, wherever the suite runs from.
    src = str(Path(channelkg.__file__).resolve().parents[1])
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PYTHONPATH", os.pathsep.join(p for p in (src, os.environ.get("PYTHONPATH"))
                                                if p))
        mp.delenv("MPLBACKEND", raising=False)
        NotebookClient(nb, timeout=300, kernel_name="python3",
                       resources={"metadata": {"path": str(folder)}}).execute()
    out: dict[str, list[dict[str, Any]]] = {}
    for cell in nb.cells:
        for tag in cell.metadata.get("tags", []):
            out[tag] = [dict(o.get("data", {})) for o in cell.outputs]
    return out


def _html(outputs: list[dict[str, Any]]) -> str:
    return "".join(o.get("text/html", "") for o in outputs)


@pytest.mark.parametrize("question", ["q1", "q2", "q3"])
def test_each_question_has_a_table_a_chart_and_a_view(
        executed: dict[str, list[dict[str, Any]]], question: str) -> None:
    table = _html(executed[f"{question}-table"])
    assert "<table" in table and table.count("<tr") >= 3  # a header and two rows at least
    pngs = [base64.b64decode(o["image/png"]) for o in executed[f"{question}-chart"]
            if "image/png" in o]
    assert len(pngs) == 1 and pngs[0].startswith(PNG) and len(pngs[0]) > 5000
    view = _html(executed[f"{question}-view"])
    assert '<iframe srcdoc="' in view and "&lt;script" in view and "<script" not in view


def test_query_results_show_as_tables(executed: dict[str, list[dict[str, Any]]],
                                      bundled_ox: KnowledgeGraph) -> None:
    shown = _html(executed["result-html"])
    rows = query(bundled_ox, "seed-table").rows
    assert shown.startswith('<table class="channelkg">') and shown.count("<tr>") == len(rows) + 1
    assert all(str(r[0]) in shown for r in rows)


def test_sanctioned_gpt_channels_into_china(executed: dict[str, list[dict[str, Any]]],
                                            bundled_ox: KnowledgeGraph) -> None:
    table = _html(executed["q1-table"])
    for column in ("route", "serviceLabel", "sellerLabel", "since", "sources"):
        assert f"<th>{column}</th>" in table
    expected = {shorten(r.iri) for r in routes(bundled_ox, "gpt", "CN").routes
                if r.open and r.sanctioned}
    assert expected and all(iri in table for iri in expected)
    assert "2024-07-0" in table  # "since when": the dates are there
    assert "Azure China" in _html(executed["q1-view"])


def test_who_refuses_which_market(executed: dict[str, list[dict[str, Any]]],
                                  bundled_ox: KnowledgeGraph) -> None:
    table = _html(executed["q2-table"])
    refusing_cn = {str(r[0]) for r in query(bundled_ox, "provider-refusals",
                                            {"market": "CN"}).rows}
    assert refusing_cn and all(p in table for p in refusing_cn)
    assert "Mainland China" in table and "Hong Kong" in table


def test_what_if_the_partnership_ends(executed: dict[str, list[dict[str, Any]]],
                                      bundled_ox: KnowledgeGraph) -> None:
    table = _html(executed["q3-table"])
    res = whatif(bundled_ox, Scenario(end=("partnership-microsoft-openai",)))
    lost = {c.market_label for c in res.changes if c.effect == "loses access"}
    assert "Mainland China" in lost and all(m in table for m in lost)
    assert "loses access" in table
    view = _html(executed["q3-view"])
    assert all(shorten(r).split(":")[1] in view for r, _ in res.closed)
