"""render/views.py: a selection (or the shipped set) turned into pages, without the CLI."""

from __future__ import annotations

from pathlib import Path

import pytest

from channelkg.errors import InputError
from channelkg.graph.memory import load
from channelkg.render.selection import Selection
from channelkg.render.views import PageOptions, build_views, view_jobs
from conftest import DATA

VIEW = DATA / "view.ttl"


def test_shipped_jobs_are_named_by_collapse_and_date(tmp_path: Path) -> None:
    jobs = view_jobs(Selection(), output=tmp_path, all_shipped=True,
                     options=PageOptions(collapse=True, as_of="2025-01-01"))
    assert [p.name for _, p in jobs] == [
        "market-cn-collapsed-as-of-2025-01-01.html",
        "provider-microsoft-collapsed-as-of-2025-01-01.html",
        "all-collapsed-as-of-2025-01-01.html",
    ]
    assert [s.market for s, _ in jobs] == ["CN", None, None]
    with pytest.raises(InputError, match="--all-shipped draws fixed selections"):
        view_jobs(Selection(market="CN"), output=None, all_shipped=True, options=PageOptions())


def test_build_views_renders_without_writing(tmp_path: Path) -> None:
    kg = load([VIEW])
    out = tmp_path / "v.html"
    messages: list[str] = []
    (page,) = build_views(kg, Selection(), output=out, options=PageOptions(title="T"),
                          progress=messages.append)
    assert page.path == out and not out.exists()
    assert page.title == "T" and "<title>T</title>" in page.html
    assert page.graph.number_of_nodes() > 0
    assert messages and messages[0].startswith(f"projected {page.graph.number_of_nodes()} nodes")
    dated = build_views(kg, Selection(), output=out, options=PageOptions(as_of="2024-01-01"))
    assert dated[0].title.endswith(", as of 2024-01-01")
    with pytest.raises(InputError, match="no such file"):
        build_views(kg, Selection(), options=PageOptions(ontology=tmp_path / "none.ttl"))
