"""A canonical Turtle writer: the same graph always gives the same bytes.

The curated files in ``graphs/`` are reviewed in git, so their text must change
only where the facts change. :func:`serialize` writes Turtle 1.1
(https://www.w3.org/TR/turtle/) in one fixed layout:

* ``@prefix`` lines sorted by prefix name (the file's own prefixes are kept);
* subjects sorted by IRI, then top-level blank nodes sorted by their text;
* predicates in a fixed order: ``rdf:type`` (written ``a``) first, then labels
  (``rdfs:label``, ``skos:prefLabel``, ``skos:altLabel``), then the rest sorted
  by their written form; one predicate per line, ``;`` between predicates;
* objects sorted by their written form, separated by `` , ``;
* literals escaped (``\\``, ``"``, control characters); text with line breaks is
  written as a long string (``\"\"\"…\"\"\"``); other Unicode is written as is;
* blank nodes never get a label: a blank node used once as an object is written
  inline as ``[ … ]`` (and an RDF list as ``( … )``), in a canonical order that
  does not depend on parser-generated ids. A blank node used twice, or in a
  cycle, cannot be written without a label and is refused.

:func:`format_text` keeps the file's comments where it can (the header first, a
block right above a subject with that subject, trailing ones last), so re-formatting
a formatted file changes no byte.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from pathlib import Path

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS, SKOS, XSD
from rdflib.term import Node

from channelkg.errors import InputError
from channelkg.rdf.comments import (
    Comments,
    comment_layout,
    dropped_comments,
    leading_comments,
    scan_comments,
)

Triple = tuple[Node, Node, Node]

LABEL_PREDICATES = (RDFS.label, SKOS.prefLabel, SKOS.altLabel)
INDENT = "    "

# PN_LOCAL of Turtle 1.1, restricted to the characters we are sure every
# parser accepts unescaped (ASCII letters, digits, '_', '-', '.', not last '.').
_LOCAL = re.compile(r"^[A-Za-z0-9_]([A-Za-z0-9_.-]*[A-Za-z0-9_-])?$")
# PN_PREFIX of Turtle 1.1 (https://www.w3.org/TR/turtle/#grammar-production-PN_PREFIX):
# PN_CHARS_BASE first, then PN_CHARS or '.', not '.' last; or empty.
_PN_CHARS_BASE = (
    "A-Za-z\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u02FF\u0370-\u037D\u037F-\u1FFF"
    "\u200C-\u200D\u2070-\u218F\u2C00-\u2FEF\u3001-\uD7FF\uF900-\uFDCF\uFDF0-\uFFFD"
    "\U00010000-\U000EFFFF"
)
_PN_CHARS = _PN_CHARS_BASE + "_\\-0-9\u00B7\u0300-\u036F\u203F-\u2040"
_PREFIX = re.compile(f"^([{_PN_CHARS_BASE}]([{_PN_CHARS}.]*[{_PN_CHARS}])?)?$")
_INTEGER = re.compile(r"^[+-]?[0-9]+$")
_DECIMAL = re.compile(r"^[+-]?[0-9]*\.[0-9]+$")
_DOUBLE = re.compile(r"^[+-]?([0-9]+\.[0-9]*|\.?[0-9]+)[eE][+-]?[0-9]+$")
_IRI_BAD = set('<>"{}|^`\\') | {chr(c) for c in range(0x21)}


def _escape_iri(iri: str) -> str:
    bad = sorted({ch for ch in iri if ch in _IRI_BAD})
    if bad:
        raise InputError(f"cannot write IRI {iri!r}: it holds {', '.join(map(repr, bad))}")
    return iri


def _escape_short(text: str, newline: str = "\\n") -> str:
    out = []
    for ch in text:
        code = ord(ch)
        if ch == "\\":
            out.append("\\\\")
        elif ch == '"':
            out.append('\\"')
        elif ch == "\n":
            out.append(newline)
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif code < 0x20 or code == 0x7F or 0xFFFE <= code <= 0xFFFF or 0xD800 <= code <= 0xDFFF:
            out.append(f"\\u{code:04X}")
        else:
            out.append(ch)
    return "".join(out)


def _escape_long(text: str) -> str:
    # Inside """…""" a newline stands for itself; every quote is escaped so that
    # no run of quotes can end the string early.
    return _escape_short(text, newline="\n")


def relative_iri(iri: str, base: str) -> str | None:
    """``iri`` as a reference relative to ``base`` that resolves back to it, or ``None``.

    Only the simple cases: the base itself (``<>``), a fragment of it (``<#x>``), and a
    path below the base's folder with no dot segments (``<x.ttl>``, ``<sub/x#y>``).
    """
    if iri == base:
        return ""
    if iri.startswith(base + "#"):
        return iri[len(base):]
    folder = base[: base.rfind("/") + 1]
    if "/" not in folder.split("://", 1)[-1] or not iri.startswith(folder):
        return None
    rest = iri[len(folder):]
    path = re.split(r"[?#]", rest, maxsplit=1)[0]
    if not rest or rest[0] in "/?#" or ":" in path.split("/", 1)[0]:
        return None
    if any(seg in (".", "..") for seg in path.split("/")):
        return None
    return rest


class _Writer:
    def __init__(self, graph: Graph, prefixes: Mapping[str, str], base: str | None = None
                 ) -> None:
        self.graph = graph
        self.base = base
        # Longest namespace first, so the most specific prefix wins.
        self.prefixes = sorted(prefixes.items(), key=lambda kv: (-len(kv[1]), kv[0]))
        self.used: set[str] = set()
        self.bnode_text: dict[BNode, str] = {}
        self.list_cells: set[BNode] = set()
        self.refs: dict[BNode, int] = defaultdict(int)
        for _, _, o in graph:
            if isinstance(o, BNode):
                self.refs[o] += 1

    # -- terms ------------------------------------------------------------------
    def iri(self, iri: URIRef) -> str:
        s = str(iri)
        for prefix, ns in self.prefixes:
            if s.startswith(ns):
                local = s[len(ns) :]
                if local == "" or _LOCAL.match(local):
                    self.used.add(prefix)
                    return f"{prefix}:{local}"
        rel = relative_iri(s, self.base) if self.base else None
        return f"<{_escape_iri(s if rel is None else rel)}>"

    def namespace(self, ns: str) -> str:
        """A prefix's namespace IRI, written relative to the base where it can be."""
        rel = relative_iri(ns, self.base) if self.base else None
        return f"<{_escape_iri(ns if rel is None else rel)}>"

    def literal(self, lit: Literal) -> str:
        text = str(lit)
        dt = lit.datatype
        if lit.language is None and dt is not None:
            if dt == XSD.boolean and text in ("true", "false"):
                return text
            if dt == XSD.integer and _INTEGER.match(text):
                return text
            if dt == XSD.decimal and _DECIMAL.match(text):
                return text
            if dt == XSD.double and _DOUBLE.match(text):
                return text
        body = f'"""{_escape_long(text)}"""' if "\n" in text else f'"{_escape_short(text)}"'
        if lit.language:
            return f"{body}@{lit.language.lower()}"
        if dt is not None and dt != XSD.string:
            return f"{body}^^{self.iri(dt)}"
        return body

    def term(self, node: Node, stack: tuple[BNode, ...] = ()) -> str:
        if isinstance(node, URIRef):
            return "a" if node == RDF.type else self.iri(node)
        if isinstance(node, Literal):
            return self.literal(node)
        if isinstance(node, BNode):
            return self.inline(node, stack)
        raise InputError(f"cannot write term {node!r} as Turtle")

    # -- blank nodes ------------------------------------------------------------
    def _list_items(self, node: BNode) -> list[Node] | None:
        """Items of a well-formed RDF list starting at ``node``, else ``None``."""
        items: list[Node] = []
        seen: set[Node] = set()
        cur: Node = node
        while cur != RDF.nil:
            if not isinstance(cur, BNode) or cur in seen:
                return None
            seen.add(cur)
            preds = list(self.graph.predicate_objects(cur))
            firsts = [o for p, o in preds if p == RDF.first]
            rests = [o for p, o in preds if p == RDF.rest]
            if len(preds) != 2 or len(firsts) != 1 or len(rests) != 1:
                return None
            if cur != node and self.refs[cur] != 1:
                return None
            items.append(firsts[0])
            cur = rests[0]
        self.list_cells |= seen  # type: ignore[arg-type]
        return items

    def inline(self, node: BNode, stack: tuple[BNode, ...]) -> str:
        if node in stack:
            raise InputError("a blank node refers to itself (a cycle); give it an IRI")
        if node in self.bnode_text:
            return self.bnode_text[node]
        items = self._list_items(node)
        if items is not None:
            inner = " ".join(self.term(i, (*stack, node)) for i in items)
            text = f"( {inner} )" if inner else "()"
        else:
            body = self.predicate_lines(node, (*stack, node), depth=len(stack) + 2)
            if not body:
                text = "[]"
            else:
                pad = INDENT * (len(stack) + 1)
                text = "[\n" + " ;\n".join(body) + f"\n{pad}]"
        self.bnode_text[node] = text
        return text

    # -- statements -------------------------------------------------------------
    def predicate_order(self, pred: URIRef) -> tuple[int, int, str]:
        if pred == RDF.type:
            return (0, 0, "")
        if pred in LABEL_PREDICATES:
            return (1, LABEL_PREDICATES.index(pred), "")
        return (2, 0, self.iri(pred))

    def predicate_lines(self, subject: Node, stack: tuple[BNode, ...], depth: int) -> list[str]:
        by_pred: dict[URIRef, list[Node]] = defaultdict(list)
        for p, o in self.graph.predicate_objects(subject):
            by_pred[p].append(o)  # type: ignore[index]
        lines = []
        pad = INDENT * depth
        for pred in sorted(by_pred, key=self.predicate_order):
            objs = sorted(self.term(o, stack) for o in by_pred[pred])
            lines.append(f"{pad}{self.term(pred)} {' , '.join(objs)}")
        return lines

    def statement(self, subject: Node) -> str:
        lines = self.predicate_lines(subject, (subject,) if isinstance(subject, BNode) else (), 1)
        if isinstance(subject, BNode):
            head = "[]" if not lines else "[\n" + " ;\n".join(lines) + "\n]"
            return head + " ."
        first, *rest = lines
        text = self.term(subject) + " " + first.lstrip()
        if rest:
            text += " ;\n" + " ;\n".join(rest)
        return text + " ."


def serialize(
    graph: Graph | Iterable[Triple],
    prefixes: Mapping[str, str] | None = None,
    header: str = "",
    *,
    optional: Mapping[str, str] | None = None,
    known: Mapping[str, str] | None = None,
    comments: Mapping[str, str] | None = None,
    footer: str = "",
    base: str | None = None,
) -> str:
    """Write triples as canonical Turtle.

    Args:
        graph: an rdflib graph or any iterable of triples.
        prefixes: prefix → namespace; all are declared (sorted), whether used or not.
            Default: none always declared, and the project's
            :data:`channelkg.namespaces.PREFIXES` declared when used.
        header: comment lines to put first (each must start with ``#``).
        optional: more prefixes, declared only when used.
        known: prefixes that may be used but are declared elsewhere (never declared here).
        comments: subject IRI -> comment lines to put right above its statement.
        footer: comment lines to put last.
        base: the IRI the text will be read against (a file's ``file:`` URI): IRIs
            below its folder are written relative to it (``<x>``, ``<#y>``, ``<>``), so
            the text reads back to the same IRIs from that place. No ``@base`` is written.

    Returns:
        The Turtle text, ending with one newline.

    Raises:
        InputError: a blank node cannot be written without a label (shared or cyclic).

    Examples:
        >>> from rdflib import Graph
        >>> g = Graph().parse(data='<http://x/b> <http://x/p> "b", "a" .', format="turtle")
        >>> print(serialize(g, {"x": "http://x/"}), end="")
        @prefix x: <http://x/> .
        <BLANKLINE>
        x:b x:p "a" , "b" .
    """
    graph = _as_graph(graph)
    if prefixes is None:
        from channelkg.rdf.namespaces import PREFIXES

        prefixes, optional = {}, {**PREFIXES, **(optional or {})}
    usable = {**(known or {}), **(optional or {}), **prefixes}
    for name in usable:
        if not _PREFIX.match(name):
            raise InputError(f"bad prefix name {name!r}")
    writer = _Writer(graph, usable, base)
    above = comments or {}
    iris, blocks = _statement_blocks(writer, above)
    declared = set(prefixes) | {n for n in writer.used if n in (optional or {})}
    names = sorted(n for n in declared if n not in (known or {}) or n in prefixes)
    if not names and iris and str(iris[0]) in above:
        # With no prefix lines, comments above the first statement read back as the
        # header: write them there, so that formatting twice changes nothing.
        header = (header.rstrip("\n") + "\n\n" if header.strip() else "") + above[str(iris[0])]
        blocks[0] = writer.statement(iris[0])
    prefix_lines = "".join(f"@prefix {n}: {writer.namespace(usable[n])} .\n" for n in names)
    return _assemble(header, prefix_lines, blocks, footer)


def _as_graph(graph: Graph | Iterable[Triple]) -> Graph:
    """``graph`` itself if it is an rdflib graph, else a new graph of its triples."""
    if isinstance(graph, Graph):
        return graph
    g = Graph()
    for t in graph:
        g.add(t)
    return g


def _check_subjects(writer: _Writer, subjects: set[Node]) -> None:
    """Refuse shared blank nodes and literal subjects, which Turtle cannot write unlabelled."""
    for s in subjects | set(writer.refs):
        if isinstance(s, BNode) and writer.refs.get(s, 0) > 1:
            raise InputError(
                "a blank node is the object of more than one triple; "
                "it cannot be written without a label (give it an IRI)"
            )
        if not isinstance(s, URIRef | BNode):
            raise InputError(f"a literal cannot be a subject: {s!r}")


def _statement_blocks(writer: _Writer, above: Mapping[str, str]) -> tuple[list[URIRef], list[str]]:
    """The IRI subjects in order, and one text block per statement (comments above first).

    IRI subjects come first, sorted by IRI, each with its comment block from ``above``;
    then the top-level blank nodes, sorted by their text.

    Raises:
        InputError: a blank node is shared, in a cycle, or a literal is a subject.
    """
    subjects = set(writer.graph.subjects())
    _check_subjects(writer, subjects)
    iris = sorted((s for s in subjects if isinstance(s, URIRef)), key=str)
    blocks = [(above[str(s)].rstrip("\n") + "\n" if str(s) in above else "")
              + writer.statement(s) for s in iris]
    top_bnodes = [s for s in subjects if isinstance(s, BNode) and writer.refs.get(s, 0) == 0]
    blocks += sorted(writer.statement(s) for s in top_bnodes)
    # Every blank-node subject must have been written exactly once, inline or on top.
    written = set(writer.bnode_text) | writer.list_cells | set(top_bnodes)
    orphans = [s for s in subjects if isinstance(s, BNode) and s not in written]
    if orphans:
        raise InputError("blank nodes form a cycle that cannot be written inline; give them IRIs")
    return iris, blocks


def _assemble(header: str, prefix_lines: str, blocks: list[str], footer: str) -> str:
    """The file's parts (header, prefixes, statements, footer), one blank line apart."""
    out: list[str] = []
    if header:
        out.append(header.rstrip("\n") + "\n")
    if prefix_lines:
        out.append(prefix_lines)
    if blocks:
        out.append("\n\n".join(blocks) + "\n")
    if footer.strip():
        out.append(footer.rstrip("\n") + "\n")
    return "\n".join(out)


def parse_text(text: str, name: str = "<text>", base: str | None = None
               ) -> tuple[Graph, dict[str, str]]:
    """Parse Turtle text with pyoxigraph; return the triples and the declared prefixes.

    Relative IRIs are resolved against the text's ``@base``, else ``base`` (a file's
    ``file:`` URI, as ``validate`` reads it); with neither they are a syntax error.
    """
    import io

    import pyoxigraph as ox

    from channelkg.graph.memory import new_rdflib_graph, parse_error_location
    from channelkg.rdf.limits import check_blank_depth, check_nesting
    from channelkg.rdf.terms import add_triples

    check_nesting(text, name, "blank nodes or lists")  # before any triple is made
    g = new_rdflib_graph()
    try:
        parser = ox.parse(io.BytesIO(text.encode("utf-8")), format=ox.RdfFormat.TURTLE,
                          base_iri=base)
        add_triples(g, parser)
        prefixes = dict(parser.prefixes)
    except SyntaxError as err:
        loc, msg = parse_error_location(Path(name), err)
        raise InputError(f"syntax error: {msg}", loc) from None
    except InputError as err:
        raise InputError(err.message, err.location or name) from None
    except MemoryError:
        from channelkg.graph.memory import TERM_TOO_LONG

        raise InputError(TERM_TOO_LONG, name) from None
    check_blank_depth(g, name)  # the writer nests as deep as the blank nodes do
    return g, prefixes


def format_text(text: str, name: str = "<text>") -> str:
    """Re-write Turtle text canonically, keeping its prefixes and comments.

    The comments above the first statement stay first, a comment block right above a
    subject's statement moves with that subject, comments after the last statement stay
    last; comments inside a statement or above a blank-node subject are dropped
    (:func:`dropped_comments` counts them).
    """
    return _reformat(text, name)[0]


def _reformat(text: str, name: str, base: str | None = None) -> tuple[str, int]:
    """The canonical text, and how many comment lines it drops (one parse for both)."""
    graph, prefixes = parse_text(text, name, base)
    layout = comment_layout(text, graph, base)
    out = serialize(graph, prefixes, layout.header, comments=layout.attached,
                    footer=layout.footer, base=base)
    return out, layout.dropped


def reformat_file(path: Path, *, check: bool = False) -> tuple[bool, int]:
    """Re-write a Turtle file canonically (atomically).

    Returns whether it changed and how many comment lines the new text drops. With
    ``check`` nothing is written; the values say what a re-write would do.
    """
    return reformat_files([path], check=check)[0][1:]


def _planned(path: Path) -> tuple[str, str, int]:
    """A Turtle file's text, its canonical text and the comment lines that drops."""
    from channelkg.rdf.fileio import read_text

    if path.suffix.lower() not in (".ttl", ".turtle"):
        raise InputError("only Turtle files (.ttl) can be formatted", str(path))
    if not path.is_file():
        raise InputError("no such file", str(path))
    old = read_text(path)  # bytes as stored: a CR inside a literal stays a CR
    # Relative IRIs are read against the file's own place (as `validate` reads them) and
    # written back relative to it, so the file keeps meaning the same from where it is.
    new, dropped = _reformat(old, str(path), path.resolve().as_uri())
    return old, new, dropped


def reformat_files(paths: Iterable[Path], *, check: bool = False,
                   lock_timeout: float = 60.0) -> list[tuple[Path, bool, int]]:
    """Re-write Turtle files canonically: all of them, or (on any error) none.

    Every file is read and re-written in memory first, under the write lock of its
    folder (the one ``add`` and ``import`` take); only when all succeed are the changed
    ones written, each atomically. With ``check`` nothing is written.

    Returns:
        For each file: its path, whether it changes, how many comment lines that drops.

    Raises:
        InputError: a file is missing, not Turtle, or does not parse (nothing written).
    """
    import contextlib

    from channelkg.rdf.fileio import atomic_write_text, write_lock

    paths = [Path(p) for p in paths]
    with contextlib.ExitStack() as stack:
        if not check:
            for folder in sorted({p.parent.resolve() for p in paths if p.exists()}):
                stack.enter_context(write_lock(folder, lock_timeout))
        plans = [(p, *_planned(p)) for p in paths]
        if not check:
            for p, old, new, _ in plans:
                if new != old:
                    atomic_write_text(p, new)
    return [(p, new != old, dropped if new != old else 0) for p, old, new, dropped in plans]


def format_file(path: Path, *, check: bool = False) -> bool:
    """Re-write a Turtle file canonically (atomically); return True if it changed.

    With ``check`` nothing is written; the return value says whether it would change.
    """
    return reformat_file(path, check=check)[0]


__all__ = [
    "Comments",
    "comment_layout",
    "dropped_comments",
    "format_file",
    "format_text",
    "leading_comments",
    "parse_text",
    "reformat_file",
    "reformat_files",
    "scan_comments",
    "serialize",
]
