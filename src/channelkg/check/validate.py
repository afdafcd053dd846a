"""Check RDF files: syntax (file:line:col), ill-typed literals, unknown ``ckg:`` terms, SHACL.

SHACL validation uses pySHACL (https://www.w3.org/TR/shacl/) with the ontology
mixed into the data graph, so ``sh:targetClass ckg:Claim`` also targets instances
of its subclasses (SHACL 1.0, section 2.1.3.3, "SHACL instance").
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, SH
from rdflib.term import Node

from channelkg import resources
from channelkg.errors import InputError
from channelkg.graph.memory import expand_paths, new_rdflib_graph, parse_file
from channelkg.rdf.namespaces import CKG
from channelkg.rdf.terms import display, shorten, to_rdflib


@dataclass(frozen=True)
class Problem:
    """One problem found by :func:`validate`."""

    kind: str  # "syntax" | "literal" | "term" | "shacl"
    message: str
    location: str = ""
    focus: str = ""
    path: str = ""

    def line(self) -> str:
        """One readable line: ``location: [kind] focus path: message``."""
        parts = [f"{self.location}:" if self.location else "", self.kind]
        if self.focus:
            parts.append(self.focus)
        if self.path:
            parts.append(self.path)
        return " ".join(p for p in parts if p) + f": {self.message}"


@dataclass(frozen=True)
class Report:
    """Outcome of :func:`validate`."""

    conforms: bool
    problems: tuple[Problem, ...]
    files: tuple[Path, ...]
    triples: int
    graph: Graph | None = field(default=None, compare=False, repr=False)
    source: str = ""  # what was validated when it was not files (e.g. a store)

    @property
    def text(self) -> str:
        what = self.source or f"{len(self.files)} file(s)"
        if self.conforms:
            return f"ok: {what}, {self.triples} triples, no problems\n"
        lines = [p.line() for p in self.problems]
        lines.append(f"{len(self.problems)} problem(s) in {what}")
        return "\n".join(lines) + "\n"


class _LineIndex:
    """Find the line that defines or first mentions a node in the source files."""

    def __init__(self, files: Sequence[Path], always: Sequence[Path] = ()) -> None:
        """Index ``files`` of a line-based RDF syntax, and ``always`` whatever their name."""
        self._texts = {
            f: f.read_text(encoding="utf-8", errors="replace").splitlines()
            for f in [*always, *files]
            if f in always or f.suffix.lower() in (".ttl", ".turtle", ".nt", ".n3")
        }

    def find(self, needles: Sequence[str]) -> str:
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
        if isinstance(node, URIRef):
            return self.find([shorten(str(node)), f"<{node}>"])
        if isinstance(node, Literal):
            return self.find([f'"{node}"'])
        return ""


def _known_terms(ontology: Graph) -> set[URIRef]:
    return {s for s in ontology.subjects() if isinstance(s, URIRef) and s.startswith(str(CKG))}


def validate(
    paths: Sequence[Path | str] | None = None,
    *,
    shapes: Path | None = None,
    ontology: Path | None = None,
    extra: Graph | None = None,
    shacl: bool = True,
    graph: Graph | None = None,
    source: str = "",
    locate: Sequence[Path] = (),
) -> Report:
    """Validate RDF files (default: the curated graph) and report every problem.

    Args:
        paths: files or folders; ``None`` validates ``graphs/*.ttl``.
        shapes: SHACL shapes file (default ``ontology/shapes.ttl``).
        ontology: ontology file (default ``ontology/channelkg.ttl``).
        extra: triples to validate together with the files (e.g. a fact about to be added).
        shacl: run SHACL (syntax, literal and term checks always run).
        graph: validate these triples instead of files (e.g. a store's graph); problems
            are located by ``source`` instead of file and line.
        source: the name of ``graph`` in the report (e.g. ``oxigraph:kg``).
        locate: more files to find problem lines in (e.g. the file ``extra`` came from).
    """
    files = [] if graph is not None else expand_paths(paths)
    for f in files:
        if not f.exists():
            raise InputError("no such file", str(f))
    onto_path = ontology or resources.ontology_file()
    shapes_path = shapes or resources.shapes_file()
    problems: list[Problem] = []
    data = new_rdflib_graph()
    if graph is not None:
        for t in graph:
            data.add(t)
    for f in files:
        try:
            quads = parse_file(f)
        except InputError as err:
            problems.append(
                Problem(
                    "syntax", err.message.removeprefix("syntax error: "), err.location or str(f)
                )
            )
            continue
        for q in quads:
            data.add((to_rdflib(q.subject), to_rdflib(q.predicate), to_rdflib(q.object)))  # type: ignore[arg-type]
    if extra is not None:
        for t in extra:
            data.add(t)
    onto = new_rdflib_graph()
    shape_graph = new_rdflib_graph()
    for path, graph in ((onto_path, onto), (shapes_path, shape_graph)):
        try:
            for q in parse_file(path):
                graph.add((to_rdflib(q.subject), to_rdflib(q.predicate), to_rdflib(q.object)))  # type: ignore[arg-type]
        except InputError as err:
            problems.append(
                Problem(
                    "syntax", err.message.removeprefix("syntax error: "), err.location or str(path)
                )
            )
    if problems:
        return Report(False, tuple(problems), tuple(files), len(data), data, source)

    index = _LineIndex(list(files), always=list(locate))
    # Ill-typed literals, e.g. "2024-02-30"^^xsd:date.
    for s, p, o in data:
        if isinstance(o, Literal) and o.datatype is not None and o.ill_typed:
            problems.append(
                Problem(
                    "literal",
                    f'invalid {display(o.datatype)} value "{o}"',
                    index.node(o) or index.node(s),
                    display(s),
                    display(p),
                )
            )
    # Unknown ckg: terms (typos) in any position.
    known = _known_terms(onto)
    seen: set[URIRef] = set()
    for triple in data:
        for term in triple:
            if (
                isinstance(term, URIRef)
                and term.startswith(str(CKG))
                and term not in known
                and term not in seen
            ):
                seen.add(term)
                problems.append(
                    Problem(
                        "term",
                        f"unknown term {shorten(str(term))} (not defined in {onto_path.name})",
                        index.node(term),
                    )
                )
    if shacl:
        reported = {(p.focus, p.path) for p in problems if p.kind == "literal"}
        problems.extend(
            p for p in _shacl(data, shape_graph, onto, index) if (p.focus, p.path) not in reported
        )
    if graph is not None and source:
        problems = [p if p.location else Problem(p.kind, p.message, source, p.focus, p.path)
                    for p in problems]
    problems.sort(key=_sort_key)
    return Report(not problems, tuple(problems), tuple(files), len(data), data, source)


def _sort_key(p: Problem) -> tuple[object, ...]:
    file, *nums = p.location.split(":") if p.location else ("",)
    return (file, [int(n) for n in nums if n.isdigit()], p.focus, p.path, p.message)


def _shacl(data: Graph, shapes: Graph, onto: Graph, index: _LineIndex) -> list[Problem]:
    import pyshacl

    mixed = new_rdflib_graph()
    for graph in (data, onto):
        for t in graph:
            mixed.add(t)
    _, results, _ = pyshacl.validate(
        mixed,
        shacl_graph=shapes,
        inference="none",
        advanced=True,
        allow_warnings=True,
    )
    out: list[Problem] = []
    for r in results.subjects(RDF.type, SH.ValidationResult):
        focus = results.value(r, SH.focusNode)
        path = results.value(r, SH.resultPath)
        msg = results.value(r, SH.resultMessage)
        value = results.value(r, SH.value)
        text = str(msg) if msg is not None else "violates a shape"
        if value is not None and not isinstance(value, BNode) and value != focus:
            text += f" (value: {display(value)})"
        out.append(
            Problem(
                "shacl",
                text,
                index.node(focus),
                display(focus),
                display(path) if isinstance(path, URIRef) else "",
            )
        )
    return out
