"""Research briefs: the seed comparison table from the data, sections, sources, escaping."""

from __future__ import annotations

import contextlib
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from channelkg.cli import cli
from channelkg.graph.memory import KnowledgeGraph, load
from channelkg.render.brief import build_report
from conftest import DATA, ROOT, chromium_context

CHANNELS = DATA / "channels.ttl"
XSS = "<img src=x onerror=\"document.title='pwned'\">"


@contextlib.contextmanager
def open_page(path: Path) -> Iterator:
    """Open a local HTML file in headless Chromium; fail on dialogs or network requests."""
    dialogs: list[str] = []
    requests: list[str] = []
    with tempfile.TemporaryDirectory() as profile, chromium_context(profile) as ctx:
        page = ctx.new_page()
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.on("request", lambda r: requests.append(r.url))
        page.goto(path.resolve().as_uri())
        page.wait_for_load_state("load")
        yield page
    assert dialogs == []
    assert [u for u in requests if not u.startswith(("file:", "data:", "about:"))] == []


@pytest.fixture(scope="module")
def kg() -> KnowledgeGraph:
    return load([CHANNELS])


def _xss_copy(tmp_path: Path) -> Path:
    text = CHANNELS.read_text(encoding="utf-8").replace(
        'rdfs:label "Microsoft"@en', f'rdfs:label "{XSS.replace(chr(34), chr(92) + chr(34))}"@en'
    )
    out = tmp_path / "xss.ttl"
    out.write_text(text, encoding="utf-8")
    return out


def test_market_brief_reproduces_the_seed_table(kg: KnowledgeGraph) -> None:
    md = build_report(kg, market="CN").to_markdown()
    assert "| Microsoft | Yes | Azure China | Lower |" in md
    assert "| OpenAI | No | None | High |" in md
    assert "| Anthropic | No | None | High |" in md


def test_market_brief_sections_and_sources(kg: KnowledgeGraph) -> None:
    brief = build_report(kg, market="Mainland China")
    md = brief.to_markdown()
    headings = re.findall(r"^## (.+)$", md, re.M)
    assert headings == ["Key findings", "Comparison table", "Access routes", "Restrictions",
                        "Single points of failure", "Assessments", "Timeline", "Sources"]
    # the computed finding names the partnership, with the data's assessment as corroboration
    finding = next(ln for ln in md.splitlines() if ln.startswith("- GPT → "))
    assert "Microsoft – OpenAI (model supply) (partnership)" in finding
    assert "Dependency on one provider increases" in finding
    assert "- No open route brings Claude into Mainland China" in md
    # every cited number has an entry with its URL, numbered in order
    cited = {int(n) for n in re.findall(r"\[(\d+)\]", md)}
    listed = re.findall(r"^(\d+)\. .*?<(https://[^>]+)>$", md, re.M)
    assert [int(n) for n, _ in listed] == list(range(1, len(listed) + 1))
    assert cited == set(range(1, len(listed) + 1))
    assert {u for _, u in listed} == {"https://example.org/seed", "https://example.org/register",
                                      "https://example.org/computerworld"}
    # timeline in date order, with the block's start date
    timeline = md.split("## Timeline")[1].split("## Sources")[0]
    dates = re.findall(r"^\| (\d{4}-\d{2}-\d{2}) \|", timeline, re.M)
    assert dates == sorted(dates) and "2024-07-09" in dates


def test_provider_brief(kg: KnowledgeGraph) -> None:
    md = build_report(kg, provider="microsoft").to_markdown()
    assert md.startswith("# Microsoft: channels, partnerships and restrictions")
    assert "Mainland China depends on Microsoft for GPT" in md
    assert "Hong Kong depends on Microsoft for GPT" in md
    assert "## Partnerships" in md and "operating agreement" in md


def test_dates_are_shown_at_their_precision_and_undated_is_said(tmp_path: Path) -> None:
    """A month-precision restriction shows ``2024-06``, not the day it is stored as; a
    claim whose source gives no date says ``undated`` instead of an empty cell."""
    text = CHANNELS.read_text(encoding="utf-8")
    block = 'ckg:statedOn "2024-06-25"^^xsd:date ; ckg:validFrom "2024-07-09"^^xsd:date ;'
    assert block in text
    month = tmp_path / "month.ttl"
    month.write_text(text.replace(block, 'ckg:statedOn "2024-06-01"^^xsd:date ; '
                                  'ckg:datePrecision "month" ;'), encoding="utf-8")
    undated = tmp_path / "undated.ttl"
    undated.write_text(text.replace(block, "ckg:snapshot true ;"), encoding="utf-8")

    def restriction_row(path: Path) -> str:
        md = build_report(load([path]), market="CN").to_markdown()
        section = md.split("## Restrictions")[1].split("## ")[0]
        return next(ln for ln in section.splitlines() if "OpenAI blocks API traffic" in ln)

    assert "| stated 2024-06 |" in restriction_row(month)
    assert "| undated |" in restriction_row(undated)
    assert "| from 2024-07-09, stated 2024-06-25 |" in restriction_row(CHANNELS)


def test_markdown_escapes_labels(tmp_path: Path) -> None:
    md = build_report(load([_xss_copy(tmp_path)]), market="CN").to_markdown()
    assert re.search(r"(?<!\\)<img", md) is None
    assert "\\<img src=x onerror=" in md


def test_report_cli_writes_markdown_and_html(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "briefs" / "cn.md"
    res = runner.invoke(cli, ["report", "-d", str(CHANNELS), "--market", "CN", "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert "| Microsoft | Yes | Azure China | Lower |" in out.read_text(encoding="utf-8")
    assert [p.name for p in out.parent.iterdir()] == ["cn.md"]  # no temp file left
    res = runner.invoke(cli, ["report", "-d", str(CHANNELS), "--provider", "openai", "-o", "-"])
    assert res.exit_code == 0 and res.output.startswith("# OpenAI:")
    res = runner.invoke(cli, ["report", "-d", str(CHANNELS)])
    assert res.exit_code == 2 and "exactly one" in res.output
    res = runner.invoke(cli, ["report", "-d", str(CHANNELS), "--market", "ZZ", "-o",
                              str(tmp_path / "zz.md")])
    assert res.exit_code == 2 and not (tmp_path / "zz.md").exists()


def test_an_output_name_picks_the_format_unless_format_is_given(
        runner: CliRunner, tmp_path: Path) -> None:
    for name, start in (("cn.html", "<!DOCTYPE html>"), ("cn.json", "{"), ("cn.md", "# ")):
        res = runner.invoke(cli, ["report", "-d", str(CHANNELS), "--market", "CN", "-o",
                                  str(tmp_path / name)])
        assert res.exit_code == 0, res.output
        assert (tmp_path / name).read_text(encoding="utf-8").startswith(start), name
    res = runner.invoke(cli, ["report", "-d", str(CHANNELS), "--market", "CN", "--format", "md",
                              "-o", str(tmp_path / "brief.html")])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "brief.html").read_text(encoding="utf-8").startswith("# ")


def test_the_committed_briefs_regenerate(runner: CliRunner, tmp_path: Path) -> None:
    """graphs/reports/* are what `report` writes from the bundled graph on the day each
    says its routes were judged."""
    committed = sorted((ROOT / "graphs" / "reports").iterdir())
    assert {p.suffix for p in committed} == {".md", ".html"}
    for path in committed:
        text = path.read_text(encoding="utf-8")
        found = re.search(r"judged as of (\d{4}-\d{2}-\d{2})", text)
        assert found, path.name
        out = tmp_path / path.name
        res = runner.invoke(cli, ["report", "--market", path.stem, "--on", found.group(1),
                                  "--format", path.suffix[1:], "-o", str(out)])
        assert res.exit_code == 0, res.output
        assert out.read_text(encoding="utf-8") == text, path.name


def test_a_brief_is_the_same_in_every_process() -> None:
    """Sources are numbered in the order the brief shows them, whatever the order of a set
    (string hashing, and so set order, differs between processes)."""
    import os
    import subprocess
    import sys

    outs = {subprocess.run(
        [sys.executable, "-m", "channelkg", "report", "--market", "CN", "--on", "2026-12-01",
         "-o", "-"], check=True, capture_output=True,
        env={**os.environ, "PYTHONHASHSEED": seed}).stdout for seed in ("1", "2", "3")}
    assert len(outs) == 1


@pytest.mark.browser
def test_html_brief_offline_escaped_in_browser(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "cn.html"
    res = runner.invoke(cli, ["report", "-d", str(_xss_copy(tmp_path)), "--market", "CN",
                              "--html", "-o", str(out)])
    assert res.exit_code == 0, res.output
    text = out.read_text(encoding="utf-8")
    assert "<script" not in text and "<img" not in text
    with open_page(out) as page:
        assert page.title() == "Access to AI models in Mainland China (CN)"
        assert page.locator("img").count() == 0
        cells = page.locator("table").first.locator("tbody tr").all_inner_texts()
        assert [c.split("\t") for c in cells] == [
            [XSS, "Yes", "Azure China", "Lower"],
            ["Anthropic", "No", "None", "High"],
            ["OpenAI", "No", "None", "High"],
        ]
        # citations link to the numbered sources
        href = page.locator("td a[href^='#src-']").first.get_attribute("href")
        assert page.locator(href).count() == 1
        assert page.locator("ol.sources a[href='https://example.org/seed']").count() == 1
        for h in page.locator("a[href^='#']").evaluate_all("els => els.map(e => e.hash)"):
            assert page.locator(f"[id='{h[1:]}']").count() == 1, h
        assert page.locator("nav.toc a").count() == page.locator("h2").count() == 8


def test_report_default_output_under_graphs_reports(runner: CliRunner, ckg_home: Path) -> None:
    res = runner.invoke(cli, ["report", "--market", "CN"])
    assert res.exit_code == 0, res.output
    out = ckg_home / "graphs" / "reports" / "mainland-china.md"
    assert out.read_text(encoding="utf-8").startswith("# Access to AI models in Mainland China")
    res = runner.invoke(cli, ["report", "--provider", "microsoft", "--html"])
    assert res.exit_code == 0, res.output
    assert (ckg_home / "graphs" / "reports" / "microsoft.html").is_file()


def test_bundled_brief_lists_each_conflict_once_with_fact_ids() -> None:
    md = build_report(load(), market="CN").to_markdown()
    section = md.split("## Disputed claims", 1)[1].split("\n## ", 1)[0]
    rows = [ln for ln in section.splitlines() if ln.startswith("| ") and not ln.startswith(
        ("| fact |", "|---"))]
    assert rows
    for row in rows:
        cells = [c.strip() for c in row.strip("|").split(" | ")]
        others = [part.split(":", 1)[0] for part in cells[3].split("; ")]
        assert others and len(others) == len(set(others)), row
        assert re.fullmatch(r"[A-Z]+-\d+", cells[0]), row
    assert "| date | event | claim | status | sources |" in md
    assert "route(s)" not in md
