"""Check RDF files: syntax (file:line:col), ill-typed literals, unknown ``ckg:`` terms, SHACL.

SHACL validation uses pySHACL (https://www.w3.org/TR/shacl/), see
:mod:`channelkg.check.shacl`.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from rdflib import Graph, Literal, URIRef
from rdflib.term import Node

from channelkg import resources
from channelkg.check.engine import Sample
from channelkg.check.problems import LineIndex, Problem, sort_key
from channelkg.check.shacl import run_shacl
from channelkg.errors import InputError, QueryError
from channelkg.graph.memory import expand_paths, new_rdflib_graph, parse_file
from channelkg.rdf.namespaces import CKG, KGID
from channelkg.rdf.terms import add_triples, display, shorten

if TYPE_CHECKING:
    from channelkg.graph.base import KnowledgeGraph


@dataclass(frozen=True)
class Report:
    """Outcome of :func:`validate`."""

    conforms: bool
    problems: tuple[Problem, ...]
    files: tuple[Path, ...]
    triples: int
    graph: Graph | None = field(default=None, compare=False, repr=False)
    source: str = ""  # what was validated when it was not files (e.g. a store)
    sample: Sample | None = None  # the focus nodes checked, when drawn at random

    @property
    def text(self) -> str:
        what = self.source or f"{len(self.files)} file(s)"
        if self.sample is not None:
            s = self.sample
            what += (f", {len(s.nodes)} of {s.total} focus IRIs checked "
                     f"(sample, seed {s.seed}; blank nodes not sampled)")
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


#: The SHACL engines of :func:`validate`: ``sparql`` (the shapes compiled to SPARQL and
#: run on an Oxigraph store, :mod:`channelkg.check.engine`), ``pyshacl`` (pySHACL on an
#: rdflib copy, :mod:`channelkg.check.shacl`); ``auto`` is ``sparql`` but for a remote
#: store (a SPARQL server), whose triples are copied and checked by pySHACL.
ENGINES = ("auto", "sparql", "pyshacl")


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
    store: KnowledgeGraph | None = None,
    focus: Sequence[Node] | None = None,
    engine: str = "auto",
    progress: Callable[[str], None] | None = None,
    sample: int | None = None,
    seed: int | None = None,
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
        source: the name of ``graph`` or ``store`` in the report (e.g. ``oxigraph:kg``).
        locate: more files to find problem lines in (e.g. the file ``extra`` came from).
        store: validate this loaded graph in place instead of files (not copied);
            ``paths``, if given, are the files it holds (to name problem lines).
        focus: validate only these nodes (their literals and terms, and the shapes that
            target them; the report counts their triples); ``None``: everything.
        engine: the SHACL engine, one of :data:`ENGINES`.
        progress: called with one line per step (per shape).
        sample: validate this many focus nodes drawn at random from the IRIs the shapes
            target (as ``focus``; all of them when there are fewer; blank-node focus
            nodes are not drawn, so not checked); the report says so.
        seed: the seed of the draw (default :data:`channelkg.check.engine.DEFAULT_SEED`).

    Raises:
        InputError: an unknown engine, a missing file, or ``sample`` with ``focus``
            (or ``seed`` without ``sample``).
    """
    _check_options(engine, focus, sample, seed)
    files = [] if graph is not None or (store is not None and not paths) else expand_paths(paths)
    for f in files:
        if not f.exists():
            raise InputError("no such file", str(f))
    onto_path = ontology or resources.ontology_file()
    shapes_path = shapes or resources.shapes_file()
    problems: list[Problem] = []
    onto, shape_graph = (_read_schema(p, problems) for p in (onto_path, shapes_path))
    drawn = None
    if sample is not None and not problems:
        drawn = _draw(store, files, graph, extra, shape_graph, onto, sample, seed, problems)
        if drawn is None:  # the files' syntax errors
            return Report(False, tuple(problems), tuple(files), 0, None, source)
        focus = list(drawn.nodes)
    if store is not None and engine == "auto" and not _oxigraph(store):
        graph, store = store.to_rdflib(), None
    if engine == "pyshacl" and store is not None:
        graph, store = store.to_rdflib(), None
    if engine == "auto" and graph is None and files and not _stored_as_written(files):
        engine, store = "pyshacl", None  # pySHACL on the files' own terms
    if engine == "pyshacl":
        return _sampled(_validate_rdflib(files, graph, extra, onto, shape_graph, problems,
                                         shacl, source, locate, onto_path.name, focus), drawn)
    if store is None:
        store = _load_store(files, graph, extra, problems)
    elif extra is not None:
        from channelkg.graph.memory import from_rdflib

        both = from_rdflib(store.to_rdflib())
        both.store.extend(from_rdflib(extra).store)  # type: ignore[attr-defined]
        store = both
    if problems or store is None:
        return Report(False, tuple(problems), tuple(files), 0, None, source)
    return _sampled(_validate_store(store, files, onto, shape_graph, shacl, source, locate,
                                    onto_path.name, focus, progress), drawn)


def _check_options(engine: str, focus: Sequence[Node] | None, sample: int | None,
                   seed: int | None) -> None:
    """The usage errors of :func:`validate`, worded as the command line's."""
    if sample is not None and focus is not None:
        raise InputError("--sample and --focus cannot be combined")
    if seed is not None and sample is None:
        raise InputError("--seed needs --sample")
    if engine not in ENGINES:
        raise InputError(f"unknown SHACL engine {engine!r} (choose from {', '.join(ENGINES)})")


def _draw(store: KnowledgeGraph | None, files: Sequence[Path], graph: Graph | None,
          extra: Graph | None, shapes: Graph, onto: Graph, size: int, seed: int | None,
          problems: list[Problem]) -> Sample | None:
    """``size`` focus IRIs drawn from the graph to validate (the store, else the files or
    ``graph`` loaded into one; with ``extra``); ``None`` after a syntax error (in
    ``problems``)."""
    from channelkg.check.engine import DEFAULT_SEED, draw_sample

    kg = store if store is not None and extra is None else _load_store(
        files, graph if store is None else store.to_rdflib(), extra, problems)
    if kg is None:
        return None
    return draw_sample(lambda q: kg.run(q).rows, shapes, onto, size,
                       DEFAULT_SEED if seed is None else seed, _iri_column(kg))


def _iri_column(kg: KnowledgeGraph) -> Callable[[str], list[str]] | None:
    """On an Oxigraph store, the IRIs of a one-variable SELECT as strings, read from the
    store's own results (no rdflib node per row); ``None`` elsewhere."""
    if not _oxigraph(kg):
        return None
    import pyoxigraph as ox

    store: ox.Store = kg.store  # type: ignore[attr-defined]

    def column(query: str) -> list[str]:
        try:
            rows = store.query(query, use_default_graph_as_union=True)
        except (OSError, ValueError, RuntimeError) as err:
            raise QueryError(f"query failed: {err}") from None
        if not isinstance(rows, ox.QuerySolutions):
            raise QueryError("query failed: not a SELECT")
        iri = ox.NamedNode
        return [f.value for (f,) in rows if type(f) is iri]  # blank nodes left out
    return column


def _sampled(report: Report, drawn: Sample | None) -> Report:
    return report if drawn is None else dataclasses.replace(report, sample=drawn)


def _stored_as_written(files: Sequence[Path]) -> bool:
    """Whether an Oxigraph store keeps every typed literal of ``files`` as written. It
    keeps numbers, booleans and some other values in canonical form (``01`` and ``1``
    become one term), where SHACL compares terms as written: files that have such a
    literal are validated by pySHACL on their own terms. (A file that does not parse:
    ``True``, its syntax error is reported as usual.)"""
    import pyoxigraph as ox

    from channelkg.graph.memory import typed_literals

    written: set[ox.Literal] = set()
    try:
        for f in files:
            written |= typed_literals(f)
    except InputError:
        return True
    if not written:
        return True
    literals = sorted(written, key=str)
    store, p = ox.Store(), ox.NamedNode("urn:channelkg:literal")
    store.extend(ox.Quad(ox.NamedNode(f"urn:channelkg:literal:{i}"), p, o)
                 for i, o in enumerate(literals))
    return all(q.object == literals[int(str(q.subject)[1:-1].rsplit(":", 1)[1])]
               for q in store.quads_for_pattern(None, p, None))


def _oxigraph(kg: KnowledgeGraph) -> bool:
    from channelkg.graph.memory import OxigraphGraph

    return isinstance(kg, OxigraphGraph)


def _read_schema(path: Path, problems: list[Problem]) -> Graph:
    """The ontology or shapes file as an rdflib graph (a syntax error goes to ``problems``)."""
    graph = new_rdflib_graph()
    try:
        add_triples(graph, parse_file(path))
    except InputError as err:
        problems.append(_syntax(err, path))
    return graph


def _syntax(err: InputError, path: Path) -> Problem:
    return Problem("syntax", err.message.removeprefix("syntax error: "), err.location or str(path))


#: The triples that nest one blank node in another.
_NESTED = "SELECT ?s ?p ?o WHERE { ?s ?p ?o FILTER(isBlank(?s) && isBlank(?o)) }"


def _load_store(files: Sequence[Path], graph: Graph | None, extra: Graph | None,
                problems: list[Problem]) -> KnowledgeGraph | None:
    """Files (or ``graph``) and ``extra`` in one in-memory Oxigraph store; ``None`` after
    a syntax error (every file's error is in ``problems``)."""
    from channelkg.graph.memory import from_rdflib, load
    from channelkg.rdf.limits import check_blank_depth

    if graph is not None:
        kg = from_rdflib(graph)
    else:
        try:
            kg = load(list(files), ontology=False) if files else from_rdflib(new_rdflib_graph())
            # Refused as parse_file refuses them: blank nodes nested deeper than the limit.
            check_blank_depth(((s, p, o) for s, p, o in kg.run(_NESTED).rows), "")
        except InputError:
            for f in files:  # each file's own error, with its place
                try:
                    parse_file(f)
                except InputError as err:
                    problems.append(_syntax(err, f))
            return None
    if extra is not None:
        kg.store.extend(from_rdflib(extra).store)  # type: ignore[attr-defined]
    return kg


def _validate_store(kg: KnowledgeGraph, files: Sequence[Path], onto: Graph, shapes: Graph,
                    shacl: bool, source: str, locate: Sequence[Path], onto_name: str,
                    focus: Sequence[Node] | None,
                    progress: Callable[[str], None] | None) -> Report:
    """The checks on a store, by queries: no copy of the graph is made."""
    from channelkg.check.engine import store_shacl
    from channelkg.check.static import focus_graph, store_graph_problems

    def select(text: str) -> Sequence[tuple[Node | None, ...]]:
        return kg.run(text).rows

    index = LineIndex(list(files), always=list(locate))
    if focus is None:
        problems = store_graph_problems(select, onto, index, onto_name)
        triples = len(kg)
    else:  # the triples counted are the focus nodes' (counting a large store takes long)
        about = focus_graph(select, focus)
        problems = graph_problems(about, onto, index, onto_name)
        triples = len(about)
    if shacl:
        reported = {(p.focus, p.path) for p in problems if p.kind == "literal"}
        problems.extend(p for p in store_shacl(select, shapes, onto, index.node, focus, progress)
                        if (p.focus, p.path) not in reported)
    return _report(problems, files, triples, None, source)


def _report(problems: list[Problem], files: Sequence[Path], triples: int, data: Graph | None,
            source: str) -> Report:
    if source:
        problems = [p if p.location else Problem(p.kind, p.message, source, p.focus, p.path)
                    for p in problems]
    problems.sort(key=sort_key)
    return Report(not problems, tuple(problems), tuple(files), triples, data, source)


def _validate_rdflib(files: Sequence[Path], graph: Graph | None, extra: Graph | None,
                     onto: Graph, shapes: Graph, problems: list[Problem], shacl: bool,
                     source: str, locate: Sequence[Path], onto_name: str,
                     focus: Sequence[Node] | None) -> Report:
    """The checks on an rdflib copy of the graph, SHACL by pySHACL."""
    data = new_rdflib_graph()
    if graph is not None:
        for t in graph:
            data.add(t)
    for f in files:
        try:
            quads = parse_file(f)
        except InputError as err:
            problems.append(_syntax(err, f))
            continue
        add_triples(data, quads)
    if extra is not None:
        for t in extra:
            data.add(t)
    if problems:
        return Report(False, tuple(problems), tuple(files), len(data), data, source)
    index = LineIndex(list(files), always=list(locate))
    checked = data if focus is None else _about(data, focus)
    problems = graph_problems(checked, onto, index, onto_name)
    if shacl:
        reported = {(p.focus, p.path) for p in problems if p.kind == "literal"}
        problems.extend(
            p for p in run_shacl(data, shapes, onto, index.node, focus)
            if (p.focus, p.path) not in reported
        )
    return _report(problems, files, len(checked), data, source if graph is not None else "")


def _about(data: Graph, nodes: Sequence[Node]) -> Graph:
    out = new_rdflib_graph()
    for n in nodes:
        for t in data.triples((n, None, None)):
            out.add(t)
    return out


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


__all__ = ["ENGINES", "LineIndex", "Problem", "Report", "graph_problems", "near_ckg", "validate"]
