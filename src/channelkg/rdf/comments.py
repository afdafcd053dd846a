"""Where a Turtle file's comments sit, so that a canonical rewrite can keep them.

A small scanner, not a parser (:func:`scan_comments`), finds the file's header, the
comment blocks right above subjects and the trailing comments; :func:`comment_layout`
keeps the blocks whose subject the graph has. Used by :mod:`channelkg.rdf.turtle`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from rdflib import Graph, URIRef


def leading_comments(text: str) -> str:
    """The file's leading block of comment lines (blank lines inside it kept)."""
    lines: list[str] = []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("#") or (stripped == "" and lines):
            lines.append(line.rstrip())
        elif stripped == "":
            continue
        else:
            break
    while lines and lines[-1] == "":
        lines.pop()
    return "\n".join(lines) + ("\n" if lines else "")


@dataclass
class Comments:
    """Where a Turtle file's comments sit, so that a reformat can keep them.

    ``header``: the comment lines above the first statement; ``attached``: subject IRI
    -> the comment lines right above that subject's statement; ``footer``: comments
    after the last statement; ``dropped``: how many comment lines a reformat cannot
    keep (inside a statement, above a directive, or above a blank-node subject).
    """

    header: str = ""
    attached: dict[str, str] = field(default_factory=dict)
    footer: str = ""
    dropped: int = 0


# A Turtle word outside strings and IRIs; a backslash escapes the next character.
_TOKEN = re.compile(r"(?:[^\s;,()\[\]\"'<>#\\]|\\.)+")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
_LOCAL_ESCAPE = re.compile(r"\\([_~.\-!$&'()*+,;=/?#@%])")
_UCHAR = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")
_PREFIX_LINE = re.compile(r"(@?prefix)\s+([^\s:]*):\s*<([^>]*)>", re.IGNORECASE)
_BASE_LINE = re.compile(r"(@?base)\s+<([^>]*)>", re.IGNORECASE)


def _block(lines: list[str]) -> str:
    while lines and lines[0] == "":
        lines = lines[1:]
    while lines and lines[-1] == "":
        lines = lines[:-1]
    return "\n".join(lines)


def _iri(text: str, base: str) -> str | None:
    from urllib.parse import urljoin

    iri = _UCHAR.sub(lambda m: chr(int(m.group(1) or m.group(2), 16)), text)
    if _SCHEME.match(iri):
        return iri
    return urljoin(base, iri) if base else None


def _subject_iri(token: str, prefixes: Mapping[str, str], base: str) -> str | None:
    if token.startswith("<"):
        return _iri(token[1:-1], base)
    prefix, sep, local = token.partition(":")
    if not sep or prefix not in prefixes:
        return None
    return prefixes[prefix] + _LOCAL_ESCAPE.sub(r"\1", local)


def _ends_statement(word: str) -> bool:
    """True if a word ends with an unescaped dot (a name never ends with one)."""
    if not word.endswith("."):
        return False
    body = word[:-1]
    return (len(body) - len(body.rstrip("\\"))) % 2 == 0


def _line_before(text: str, i: int) -> str:
    """The text of the line that ends at position ``i`` (a line break)."""
    end = i - 1 if text[i] == "\n" and i > 0 and text[i - 1] == "\r" else i
    start = max(text.rfind("\n", 0, end), text.rfind("\r", 0, end)) + 1
    return text[start:end]


class _Scanner:
    """The state of :func:`scan_comments` while it walks the text, one token at a time."""

    def __init__(self, text: str, prefixes: Mapping[str, str] | None, base: str = "") -> None:
        self.text = text
        self.out = Comments()
        self.known = dict(prefixes or {})
        self.base = base
        self.depth = 0
        self.in_statement = False
        self.directive = ""  # "." for @prefix/@base, ">" for SPARQL-style PREFIX/BASE
        self.pending: list[str] = []  # comment lines not yet placed; "" for a blank line
        self.first = True
        self.last_subject: str | None = None  # IRI of the statement that ended last
        self.same_line = False  # no line break since that statement ended

    def attach(self, iri: str, block: str) -> None:
        """Add a comment block above the statement of ``iri``."""
        attached = self.out.attached
        attached[iri] = attached[iri] + "\n" + block if iri in attached else block

    def comment(self, i: int) -> int:
        """Take the comment starting at ``i``; return where it ends."""
        text = self.text
        j = i
        while j < len(text) and text[j] not in "\r\n":
            j += 1
        line = text[i:j].rstrip()
        if self.in_statement:
            self.out.dropped += 1
        elif self.same_line and not self.pending:
            if self.last_subject is not None:
                self.attach(self.last_subject, line)
            else:
                self.out.dropped += 1
        else:
            self.pending.append(line)
        return j

    def line_break(self, i: int) -> None:
        """Note the line break at ``i`` (a blank line separates comment blocks)."""
        text = self.text
        self.same_line = False
        crlf = text[i] == "\r" and text.startswith("\r\n", i)
        if (not crlf and not self.in_statement and self.pending
                and _line_before(text, i).strip() == ""):
            self.pending.append("")

    def first_token(self, i: int) -> str | None:
        """The statement's first token at ``i``, or None for a blank node or a list."""
        text, c = self.text, self.text[i]
        if c in "[(" or text.startswith("_:", i):
            return None
        if c == "<":
            return text[i : text.find(">", i) + 1]
        m = _TOKEN.match(text, i)
        return m.group(0) if m else None

    def follow_directive(self, i: int) -> None:
        """Learn the prefix or base that a directive at ``i`` declares."""
        pm = _PREFIX_LINE.match(self.text, i)
        bm = _BASE_LINE.match(self.text, i)
        if pm:
            self.known[pm.group(2)] = _iri(pm.group(3), self.base) or pm.group(3)
        elif bm:
            self.base = _iri(bm.group(2), self.base) or bm.group(2)

    def start_statement(self, i: int) -> None:
        """A statement starts at ``i``: place the comments above it."""
        token = self.first_token(i)
        word = (token or "").lower()
        self.directive = ("." if word in ("@prefix", "@base")
                          else ">" if word in ("prefix", "base") else "")
        if self.directive:
            self.follow_directive(i)
        if self.first:
            # Every comment above the first statement is the file's header.
            self.out.header = _block(self.pending)
            self.pending = []
        kept = [ln for ln in self.pending if ln != ""]
        iri = (_subject_iri(token, self.known, self.base)
               if token and not self.directive else None)
        if kept and iri is not None:
            self.attach(iri, _block(self.pending))
        else:
            self.out.dropped += len(kept)
        self.pending = []
        self.first = False
        self.in_statement = True
        self.last_subject = iri

    def end_statement(self) -> None:
        """The statement ended here (a comment on this line still goes above it)."""
        self.in_statement = False
        self.same_line = True

    def skip(self, i: int) -> int:
        """Step over the string, IRI, bracket or word at ``i``; return where it ends."""
        text, n, c = self.text, len(self.text), self.text[i]
        if text.startswith('"""', i) or text.startswith("'''", i):
            quote = text[i : i + 3]
            j = i + 3
            while j < n and not text.startswith(quote, j):
                j += 2 if text[j] == "\\" else 1
            return j + 3
        if c in "\"'":
            j = i + 1
            while j < n and text[j] not in (c, "\n", "\r"):
                j += 2 if text[j] == "\\" else 1
            return j + 1
        if c == "<":
            j = text.find(">", i)
            if self.directive == ">" and self.depth == 0:
                self.end_statement()  # PREFIX p: <iri> has no closing dot
            return n if j < 0 else j + 1
        if c in "[(":
            self.depth += 1
            return i + 1
        if c in "])":
            self.depth -= 1
            return i + 1
        m = _TOKEN.match(text, i)
        word = m.group(0) if m else c
        if self.depth == 0 and (word == "." or _ends_statement(word)):
            self.end_statement()
        return i + len(word)

    def finish(self) -> Comments:
        """The comments found: what is still pending is the header or the footer."""
        if self.first:
            self.out.header = _block(self.pending)
        else:
            self.out.footer = _block(self.pending)
        return self.out


def scan_comments(text: str, prefixes: Mapping[str, str] | None = None, base: str = ""
                  ) -> Comments:
    """Find the comments of Turtle ``text`` and the subjects they stand above.

    A small scanner, not a parser, for text that parses: it skips strings and IRIs,
    counts brackets, follows ``@prefix`` and ``@base`` lines (``prefixes``: the ones
    known before the text), and ends a statement at a ``.`` outside them (a name never
    ends with an unescaped dot). A comment on the line where a statement ends goes
    above that statement. ``base`` resolves relative IRIs before any ``@base``.
    """
    scanner = _Scanner(text, prefixes, base)
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == "#":
            i = scanner.comment(i)
            continue
        if c in "\r\n":
            scanner.line_break(i)
            i += 1
            continue
        if c.isspace():
            i += 1
            continue
        if not scanner.in_statement:
            scanner.start_statement(i)
        i = scanner.skip(i)
    return scanner.finish()


def comment_layout(text: str, graph: Graph, base: str | None = None) -> Comments:
    """:func:`scan_comments`, keeping only blocks above subjects that ``graph`` has
    (relative subject IRIs read against ``base``, as the graph was parsed)."""
    layout = scan_comments(text, base=base or "")
    subjects = {str(x) for x in graph.subjects() if isinstance(x, URIRef)}
    for iri in [k for k in layout.attached if k not in subjects]:
        block = layout.attached.pop(iri)
        layout.dropped += sum(1 for ln in block.split("\n") if ln.strip())
    return layout


def dropped_comments(text: str) -> int:
    """How many comment lines a reformat of Turtle ``text`` would drop."""
    from channelkg.rdf.turtle import parse_text

    graph, _ = parse_text(text)
    return comment_layout(text, graph).dropped


__all__ = ["Comments", "comment_layout", "dropped_comments", "leading_comments",
           "scan_comments"]
