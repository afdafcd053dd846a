"""Check RDF files: syntax (file:line:col), ill-typed literals, unknown ``ckg:`` terms, SHACL.

SHACL validation uses pySHACL (https://www.w3.org/TR/shacl/), see
:mod:`channelkg.check.shacl`.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import Graph, Literal, URIRef

from channelkg import resources
from channelkg.check.problems import LineIndex, Problem, sort_key
from channelkg.check.shacl import run_shacl
from channelkg.errors import InputError
from channelkg.graph.memory import expand_paths, new_rdflib_graph, parse_file
from channelkg.rdf.namespaces import CKG, KGID
from channelkg.rdf.terms import display, shorten, to_rdflib


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

    def _repr_html_(self) -> str:
        """An escaped HTML table of the problems and the verdict, for notebooks."""
        from channelkg.render.frames import report_html

        return report_html(self)


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

    index = LineIndex(list(files), always=list(locate))
    problems = graph_problems(data, onto, index, onto_path.name)
    if shacl:
        reported = {(p.focus, p.path) for p in problems if p.kind == "literal"}
        problems.extend(
            p for p in run_shacl(data, shape_graph, onto, index.node)
            if (p.focus, p.path) not in reported
        )
    if graph is not None and source:
        problems = [p if p.location else Problem(p.kind, p.message, source, p.focus, p.path)
                    for p in problems]
    problems.sort(key=sort_key)
    return Report(not problems, tuple(problems), tuple(files), len(data), data, source)


def graph_problems(data: Graph, onto: Graph, index: LineIndex, onto_name: str) -> list[Problem]:
    """Ill-typed literals and unknown ``ckg:`` terms in ``data`` (no SHACL), located."""
    problems: list[Problem] = []
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
                        f"unknown term {shorten(str(term))} (not defined in {onto_name})",
                        index.node(term),
                        node=term,
                    )
                )
            elif isinstance(term, URIRef) and term not in seen and near_ckg(str(term)):
                seen.add(term)
                problems.append(Problem(
                    "term", f"unknown term <{term}>: its namespace looks like a typo of "
                    f"ckg: <{CKG}>", index.node(term), node=term))
    return problems


def _namespace(iri: str) -> str:
    cut = max(iri.rfind("#"), iri.rfind("/"))
    return iri[: cut + 1] if cut >= 0 else iri


@functools.lru_cache(maxsize=4096)
def _near(namespace: str) -> bool:
    """Whether ``namespace`` is at most three edits away from the ckg: namespace (``http:``
    for ``https:``, ``/ontology/``, ``ontologie#``) without being it."""
    ckg, kgid = str(CKG), str(KGID)
    if namespace in (ckg, kgid) or namespace.startswith(kgid):
        return False
    return _edits(namespace, ckg, 3) <= 3


def _edits(a: str, b: str, cap: int) -> int:
    """The edit distance of ``a`` and ``b``, or ``cap + 1`` once it is known to pass ``cap``."""
    if abs(len(a) - len(b)) > cap:
        return cap + 1
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, cb in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (ca != cb))
        if min(row) > cap:
            return cap + 1
    return row[-1]


def near_ckg(iri: str) -> bool:
    """Whether ``iri`` is in a namespace that looks like a typo of the ckg: namespace
    (its terms would bypass every check of ckg: terms). A version IRI of the ontology
    (``…/ontology/0.1.0``) is none."""
    namespace = _namespace(iri)
    if _VERSION.fullmatch(iri[len(namespace):]) and namespace == str(CKG)[:-1] + "/":
        return False
    return _near(namespace)


_VERSION = re.compile(r"[0-9][0-9.]*")


__all__ = ["LineIndex", "Problem", "Report", "graph_problems", "near_ckg", "validate"]
