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

    def line(self) -> str:
        """One readable line: ``location: [kind] focus path: message``."""
        parts = [f"{self.location}:" if self.location else "", self.kind]
        if self.focus:
            parts.append(self.focus)
        if self.path:
            parts.append(self.path)
        return " ".join(p for p in parts if p) + f": {self.message}"


class LineIndex:
    """Find the line that defines or first mentions a node in the source files."""

    def __init__(self, files: Sequence[Path], always: Sequence[Path] = ()) -> None:
        """Index ``files`` of a line-based RDF syntax, and ``always`` whatever their name."""
        self._texts = {
            f: f.read_text(encoding="utf-8", errors="replace").splitlines()
            for f in [*always, *files]
            if f in always or f.suffix.lower() in (".ttl", ".turtle", ".nt", ".n3")
        }

    def find(self, needles: Sequence[str]) -> str:
        """``file:line`` of the first line that starts with a needle, else that mentions one."""
        best = ""
        for f, lines in self._texts.items():
            for n in needles:
                pat = re.compile(r"(?<![\w:/#-])" + re.escape(n) + r"(?![\w/#-])")
                first = None
                for i, line in enumerate(lines, 1):
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


def sort_key(p: Problem) -> tuple[object, ...]:
    """Problems by file, line and column, then focus, path and message."""
    file, *nums = p.location.split(":") if p.location else ("",)
    return (file, [int(n) for n in nums if n.isdigit()], p.focus, p.path, p.message)


__all__ = ["LineIndex", "Problem", "sort_key"]
