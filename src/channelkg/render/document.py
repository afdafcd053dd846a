"""The document model of a brief: headings, paragraphs, bullets, tables, cited sources.

A :class:`Brief` is built once and rendered to Markdown or to self-contained HTML, so
both say the same thing. Sources are numbered in the order they are first cited;
cells cite them as ``[n]``, and the HTML turns those into links to the numbered list.
The HTML has inline CSS, no script and no external asset; a Content-Security-Policy
forbids loading anything. Every text taken from the data is escaped.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from channelkg.analysis.records import SourceRef


@dataclass
class Block:
    """One block of a brief."""

    kind: str  # "h2" | "p" | "list" | "table"
    text: str = ""
    items: list[str] = field(default_factory=list)
    headers: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)


@dataclass
class Brief:
    """A research brief: title, blocks and numbered sources."""

    title: str
    subject: str
    subtitle: str = ""
    blocks: list[Block] = field(default_factory=list)
    sources: list[SourceRef] = field(default_factory=list)
    _numbers: dict[str, int] = field(default_factory=dict, repr=False)

    # -- building ---------------------------------------------------------
    def h2(self, text: str) -> None:
        self.blocks.append(Block("h2", text))

    def p(self, text: str) -> None:
        self.blocks.append(Block("p", text))

    def bullets(self, items: Iterable[str]) -> None:
        self.blocks.append(Block("list", items=list(items)))

    def table(self, headers: Sequence[str], rows: Iterable[Sequence[str]]) -> None:
        self.blocks.append(Block("table", headers=list(headers), rows=[list(r) for r in rows]))

    def cite(self, refs: Iterable[SourceRef]) -> str:
        """Number the sources (first citation first) and return ``[1][3]``."""
        out = []
        for ref in refs:
            if ref.iri not in self._numbers:
                self.sources.append(ref)
                self._numbers[ref.iri] = len(self.sources)
            out.append(f"[{self._numbers[ref.iri]}]")
        return "".join(sorted(set(out), key=lambda x: int(x[1:-1])))

    # -- rendering --------------------------------------------------------
    def to_markdown(self) -> str:
        """The brief as GitHub-flavoured Markdown."""
        lines = [f"# {_md_inline(self.title)}", ""]
        if self.subtitle:
            lines += [f"_{_md_inline(self.subtitle)}_", ""]
        for b in self.blocks:
            if b.kind == "h2":
                lines += [f"## {_md_inline(b.text)}", ""]
            elif b.kind == "p":
                lines += [_md_inline(b.text), ""]
            elif b.kind == "list":
                lines += [f"- {_md_inline(i)}" for i in b.items] + [""]
            elif b.kind == "table":
                lines.append("| " + " | ".join(map(_md_inline, b.headers)) + " |")
                lines.append("|" + "---|" * len(b.headers))
                lines += ["| " + " | ".join(map(_md_inline, r)) + " |" for r in b.rows]
                lines.append("")
        lines += ["## Sources", ""]
        for n, s in enumerate(self.sources, 1):
            lines.append(f"{n}. {_md_inline(_source_text(s))}" + _md_url(s.url))
        return "\n".join(lines).rstrip() + "\n"

    def to_html(self) -> str:
        """The brief as one self-contained HTML page (no script, no external asset)."""
        e = _html_inline
        parts = [
            "<!DOCTYPE html>",
            '<html lang="en"><head><meta charset="utf-8">',
            '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
            "style-src 'unsafe-inline'\">",
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{html.escape(self.title)}</title>",
            f"<style>{_CSS}</style></head><body><main>",
            f"<h1>{html.escape(self.title)}</h1>",
        ]
        if self.subtitle:
            parts.append(f'<p class="subtitle">{e(self.subtitle)}</p>')
        toc = [(_slug(b.text), b.text) for b in self.blocks if b.kind == "h2"]
        toc.append(("sources", "Sources"))
        parts.append('<nav class="toc">' + " · ".join(
            f'<a href="#{a}">{html.escape(t)}</a>' for a, t in toc) + "</nav>")
        for b in self.blocks:
            if b.kind == "h2":
                anchor = _slug(b.text)
                parts.append(f'<h2 id="{anchor}">{html.escape(b.text)}</h2>')
            elif b.kind == "p":
                parts.append(f"<p>{e(b.text)}</p>")
            elif b.kind == "list":
                parts.append("<ul>" + "".join(f"<li>{e(i)}</li>" for i in b.items) + "</ul>")
            elif b.kind == "table":
                head = "".join(f"<th>{html.escape(h)}</th>" for h in b.headers)
                body = "".join(
                    "<tr>" + "".join(
                        f'<td class="date">{e(c)}</td>' if _DATE.fullmatch(str(c))
                        else f"<td>{e(c)}</td>" for c in r) + "</tr>" for r in b.rows
                )
                parts.append(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
        parts.append('<h2 id="sources">Sources</h2><ol class="sources">')
        for n, s in enumerate(self.sources, 1):
            link = ""
            if s.url and _LINKABLE.match(s.url):
                u = html.escape(s.url, quote=True)
                link = f' <a href="{u}" rel="noreferrer">{html.escape(s.url)}</a>'
            elif s.url:
                link = f" {html.escape(s.url)}"
            parts.append(f'<li id="src-{n}">{html.escape(_source_text(s))}{link}</li>')
        parts.append("</ol></main></body></html>")
        return "\n".join(parts) + "\n"


_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_CSS = (
    "td.date{white-space:nowrap}"
    "body{font:15px/1.5 system-ui,sans-serif;margin:0;background:#fafafa;color:#222}"
    "main{max-width:1100px;margin:0 auto;padding:1.5em 2em;background:#fff}"
    "h1{font-size:1.6em;margin-bottom:.2em}h2{margin-top:1.6em;border-bottom:1px solid #ddd}"
    ".subtitle{color:#666;margin-top:0}"
    "table{border-collapse:collapse;width:100%;margin:.6em 0;font-size:.9em}"
    "th,td{border:1px solid #ddd;padding:.3em .5em;text-align:left;vertical-align:top}"
    "th{background:#f0f0f0}tr:nth-child(even) td{background:#fcfcfc}"
    "a{color:#1a5fb4}.sources li{margin:.2em 0}.toc a{margin-right:.3em}"
)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "section"


def _source_text(s: SourceRef) -> str:
    bits = [s.title]
    if s.publisher:
        bits.append(s.publisher)
    if s.date:
        bits.append(s.date)
    return ". ".join(b.rstrip(".") for b in bits) + "."


def _md_inline(text: str) -> str:
    """Escape what Markdown would treat as markup or raw HTML; keep citations ``[n]``."""
    out = re.sub(r"([\\`*_<>|#])", r"\\\1", text.replace("\n", " "))
    return re.sub(r"\[(?!\d+\])", r"\\[", out)


#: The URLs a brief links to: http(s) only, nothing that ends an autolink early.
_LINKABLE = re.compile(r"^https?://[^\s<>\x00-\x1f\x7f]+$", re.IGNORECASE)


def _md_url(url: str | None) -> str:
    """A source URL for Markdown: an autolink for http(s), else plain escaped text, so a
    ``javascript:`` or ``data:`` URL never becomes a link."""
    if not url:
        return ""
    if _LINKABLE.match(url):
        return f" <{url}>"
    return f" {_md_inline(url).replace(':', '&#58;')}"


def _html_inline(text: str) -> str:
    """Escape, then link citations ``[n]`` to the numbered source list."""
    return re.sub(r"\[(\d+)\]", r'<a href="#src-\1">[\1]</a>', html.escape(text))


__all__ = ["Block", "Brief"]
