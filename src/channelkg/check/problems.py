"""Problems found by the checks, and the one way they are located and written."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import Literal, URIRef
from rdflib.term import Node

from channelkg.rdf.terms import shorten


@dataclass(frozen=True)
class Problem:
    """One problem found by :func:`validate`."""

    kind: str  # "syntax" | "literal" | "term" | "shacl"
    message: str
    location: str = ""
    focus: str = ""
    path: str = ""
    value: Node | None = field(default=None, compare=False, repr=False)
    node: Node | None = field(default=None, compare=False, repr=False)
    shape: Node | None = field(default=None, compare=False, repr=False)
    predicate: Node | None = field(default=None, compare=False, repr=False)
    severity: Node | None = field(default=None, compare=False, repr=False)

    def line(self) -> str:
        """One readable line: ``location: [kind] focus path: message``."""
        parts = [f"{self.location}:" if self.location else "", self.kind]
        if self.focus:
            parts.append(self.focus)
        if self.path:
            parts.append(self.path)
        return " ".join(p for p in parts if p) + f": {self.message}"


#: The needles :meth:`LineIndex.find` indexes: IRIs in angle brackets, and prefixed names
#: (as :func:`~channelkg.rdf.terms.shorten` writes them) where a needle could start.
_IRI = re.compile(r"<[^<>\s]*>")
_CURIE = re.compile(r"(?<![\w:/#-])[A-Za-z][\w-]*:[\w.-]*")


class LineIndex:
    """Find the line that defines or first mentions a node in the source files.

    Each file is read once into an index of the tokens its lines hold (IRIs, prefixed
    names, quoted strings): locating a problem looks its needles up there and checks
    only the lines that hold them, so locating every problem costs the files once, not
    problems x lines. A needle that is no token is looked for line by line, as before.
    """

    def __init__(self, files: Sequence[Path], always: Sequence[Path] = ()) -> None:
        """Index ``files`` of a line-based RDF syntax, and ``always`` whatever their name."""
        self._texts = {
            f: f.read_text(encoding="utf-8", errors="replace").splitlines()
            for f in [*always, *files]
            if f in always or f.suffix.lower() in (".ttl", ".turtle", ".nt", ".n3")
        }
        self._tokens: dict[Path, dict[str, list[int]]] = {}
        self._found: dict[tuple[str, ...], str] = {}

    def _lines_with(self, f: Path, needle: str) -> list[int] | None:
        """Line numbers (from 1, in order) that may hold ``needle``; ``None`` when it is
        not an IRI or prefixed name (then every line is a candidate)."""
        kind = "<" if _IRI.fullmatch(needle) else ":" if _CURIE.fullmatch(needle) else ""
        if not kind:
            return None
        index = self._tokens.get(f)
        if index is None:
            index = self._tokens[f] = {}
            for i, line in enumerate(self._texts[f], 1):
                for m in _IRI.finditer(line):
                    _note(index, m.group(), i)
                for m in _CURIE.finditer(line):
                    tok = m.group()  # a needle may end before any "." of the token
                    for j, c in enumerate(tok):
                        if c == ".":
                            _note(index, tok[:j], i)
                    _note(index, tok, i)
        return index.get(needle, [])

    def find(self, needles: Sequence[str]) -> str:
        """``file:line`` of the first line that starts with a needle, else that mentions one."""
        key = tuple(needles)
        got = self._found.get(key)
        if got is None:
            got = self._found[key] = self._find(needles)
        return got

    def _find(self, needles: Sequence[str]) -> str:
        best = ""
        for f, lines in self._texts.items():
            for n in needles:
                pat = re.compile(r"(?<![\w:/#-])" + re.escape(n) + r"(?![\w/#-])")
                first = None
                rows = self._lines_with(f, n)
                for i in rows if rows is not None else range(1, len(lines) + 1):
                    line = lines[i - 1]
                    if pat.search(line):
                        if line.lstrip().startswith(n):
                            return f"{f}:{i}"
                        first = first or i
                if first and not best:
                    best = f"{f}:{first}"
        return best

    def node(self, node: Node | None) -> str:
        """``file:line`` of a node (``""`` when not found or a blank node)."""
        if isinstance(node, URIRef):
            return self.find([shorten(str(node)), f"<{node}>"])
        if isinstance(node, Literal):
            return self.find([f'"{node}"'])
        return ""


def _note(index: dict[str, list[int]], token: str, line: int) -> None:
    rows = index.setdefault(token, [])
    if not rows or rows[-1] != line:
        rows.append(line)


def sort_key(p: Problem) -> tuple[object, ...]:
    """Problems by file, line and column, then focus, path and message."""
    file, *nums = p.location.split(":") if p.location else ("",)
    return (file, [int(n) for n in nums if n.isdigit()], p.focus, p.path, p.message)


__all__ = ["LineIndex", "Problem", "sort_key"]
