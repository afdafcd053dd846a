"""Run SHACL on a store: the compiled queries of :mod:`channelkg.check.compiled`, and
pySHACL for the shapes they do not cover (on their focus nodes' neighbourhood only).

:func:`store_shacl` is what ``validate`` runs on a large graph or a store and what
``validate --focus`` and ``add``/``import`` run on a few nodes; :func:`draw_sample` gives
``validate --sample`` its few nodes, drawn from every node the shapes target.
"""

from __future__ import annotations

import functools
import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS, SH
from rdflib.term import Node

from channelkg.check.compiled import FOCUS, TARGETS, Compiler, NotCompiledError, Select, iri_text
from channelkg.check.problems import Problem
from channelkg.check.shacl import run_shacl, shacl_problem
from channelkg.model.schema import reachable
from channelkg.sparql.binding import sparql_term

Progress = Callable[[str], None]


def target_shapes(shapes: Graph) -> list[Node]:
    """The shapes that select focus nodes themselves (targets, or implicit class targets)."""
    found: set[Node] = set()
    for p in TARGETS:
        found.update(shapes.subjects(p, None))
    for cls in (RDFS.Class, OWL.Class):
        found.update(s for s in shapes.subjects(RDF.type, cls)
                     if (s, RDF.type, SH.NodeShape) in shapes
                     or (s, RDF.type, SH.PropertyShape) in shapes)
    return sorted(found, key=str)


class Classes:
    """The subclass tree of the ontology plus the data, and the ontology's instances."""

    def __init__(self, select: Select, ontology: Graph) -> None:
        self.ontology = ontology
        rows = list(ontology.subject_objects(RDFS.subClassOf))
        rows += [(a, b) for a, b in select(
            f"SELECT DISTINCT ?a ?b WHERE {{ ?a <{RDFS.subClassOf}> ?b }}")
            if a is not None and b is not None]
        self.children: dict[Node, set[Node]] = {}
        for a, b in rows:
            if a is not None and b is not None:
                self.children.setdefault(b, set()).add(a)

    def subclasses(self, cls: Node) -> set[Node]:
        """``cls`` and every class below it (``rdfs:subClassOf*``)."""
        return reachable(self.children, cls)

    def instances(self, cls: Node) -> set[Node]:
        """The IRIs the ontology types as ``cls`` (or a subclass): vocabulary values."""
        return {s for c in self.subclasses(cls) for s in self.ontology.subjects(RDF.type, c)
                if isinstance(s, URIRef)}


#: The seed of :func:`draw_sample` when none is given (the same sample every run).
DEFAULT_SEED = 0


@dataclass(frozen=True)
class Sample:
    """Focus nodes drawn at random from every IRI the shapes target (blank nodes are
    not drawn)."""

    nodes: tuple[URIRef, ...]  # the nodes drawn, in IRI order
    total: int  # how many IRIs the shapes target (blank-node focus nodes not counted)
    seed: int


def targets_query(shapes: Graph, classes: Classes) -> str | None:
    """One SELECT of every node the active shapes target (``?f``): ``sh:targetClass``
    (with subclasses, and the ontology's instances), ``sh:targetNode``,
    ``sh:targetSubjectsOf``, ``sh:targetObjectsOf``, and implicit class targets (a
    shape that is a class targets its instances); ``None``: no shape has a target.

    The targets of all shapes are merged by kind (one ``VALUES`` of classes, one of
    predicates), so the store reads each typed node once, not once per shape. A node
    may come once per targeted type it has, and blank nodes come too: the caller keeps
    each IRI once, for less than a ``DISTINCT`` or ``FILTER(isIRI(?f))`` over every row
    costs the store (a third of the query's time at a million triples)."""
    types: set[Node] = set()
    nodes: set[Node] = set()
    subjects_of: set[Node] = set()
    objects_of: set[Node] = set()
    for shape in target_shapes(shapes):
        if shapes.value(shape, SH.deactivated) == Literal(True):
            continue  # as pySHACL: a deactivated shape has no focus nodes
        targeted = set(shapes.objects(shape, SH.targetClass))
        if any((shape, RDF.type, c) in shapes for c in (RDFS.Class, OWL.Class)):
            targeted.add(shape)
        for cls in targeted:
            types |= classes.subclasses(cls)
            nodes |= classes.instances(cls)
        nodes.update(shapes.objects(shape, SH.targetNode))
        subjects_of.update(shapes.objects(shape, SH.targetSubjectsOf))
        objects_of.update(shapes.objects(shape, SH.targetObjectsOf))

    def values(var: str, terms: set[Node]) -> str:
        iris = sorted((t for t in terms if isinstance(t, URIRef)), key=str)
        return f"VALUES {var} {{ {' '.join(sparql_term(t) for t in iris)} }}"

    parts = [pattern for pattern, terms in (
        (f"?f <{RDF.type}> ?t {values('?t', types)}", types),
        (values("?f", nodes), nodes),
        (f"SELECT DISTINCT ?f WHERE {{ ?f ?p ?o {values('?p', subjects_of)} }}", subjects_of),
        (f"SELECT DISTINCT ?f WHERE {{ ?s ?q ?f {values('?q', objects_of)} }}", objects_of),
    ) if terms]
    if not parts:
        return None
    union = " UNION ".join(f"{{ {p} }}" for p in parts)
    return f"SELECT ?f WHERE {{ {union} }}"


#: Runs a SELECT of one variable and gives the IRIs it binds, as strings (on a large
#: store, faster than making an rdflib node of each row).
IriColumn = Callable[[str], Iterable[str]]


def target_nodes(select: Select, shapes: Graph, ontology: Graph,
                 iris: IriColumn | None = None) -> list[URIRef]:
    """Every IRI the shapes target in the graph ``select`` queries, in IRI order (one
    query on the store, :func:`targets_query`; run by ``iris`` if given)."""
    return [URIRef(f) for f in _target_iris(select, shapes, ontology, iris)]


def _target_iris(select: Select, shapes: Graph, ontology: Graph,
                 iris: IriColumn | None) -> list[str]:
    query = targets_query(shapes, Classes(select, ontology))
    if query is None:
        return []
    found = iris(query) if iris is not None else (
        str(f) for (f,) in select(query) if isinstance(f, URIRef))
    return sorted(set(found))


def draw_sample(select: Select, shapes: Graph, ontology: Graph, size: int,
                seed: int = DEFAULT_SEED, iris: IriColumn | None = None) -> Sample:
    """``size`` focus nodes drawn at random (by ``seed``: the same graph and seed give
    the same nodes) from :func:`target_nodes`, the IRIs the shapes target; all of them
    when there are fewer. Blank-node focus nodes are never drawn."""
    nodes = _target_iris(select, shapes, ontology, iris)
    drawn = random.Random(seed).sample(nodes, min(max(size, 0), len(nodes)))
    return Sample(tuple(URIRef(f) for f in sorted(drawn)), len(nodes), seed)


def store_shacl(
    select: Select,
    shapes: Graph,
    ontology: Graph,
    locate: Callable[[Node | None], str],
    focus: Iterable[Node] | None = None,
    progress: Progress | None = None,
) -> list[Problem]:
    """Validate the graph ``select`` queries against ``shapes``, one query per constraint.

    Args:
        select: runs a SELECT on the data (the ontology need not be in it).
        shapes: the SHACL shapes.
        ontology: the ontology (its subclass axioms and vocabulary values count).
        locate: ``file:line`` of a focus node.
        focus: only these nodes (IRIs) are validated; ``None``: every target.
        progress: called with one line per shape.
    """
    only = None if focus is None else sorted({n for n in focus if isinstance(n, URIRef)}, key=str)
    if only is not None and not only:
        return []
    if only is not None and simple_paths(shapes):
        # A few nodes: their neighbourhood in a small store, where every query is cheap
        # (on the whole store, the hash joins of MINUS would read every candidate).
        from channelkg.graph.memory import from_rdflib

        local = from_rdflib(store_neighbourhood(select, only))

        def select(text: str) -> Sequence[tuple[Node | None, ...]]:
            return local.run(text).rows
    classes = Classes(select, ontology)
    compiler = Compiler(shapes, classes.subclasses, classes.instances)
    problems: list[Problem] = []
    left: list[Node] = []
    todo = target_shapes(shapes)
    for i, shape in enumerate(todo, 1):
        if progress is not None:
            label = shapes.value(shape, RDFS.label) or shape
            progress(f"SHACL shape {i}/{len(todo)}: {label}")
        try:
            compiled = compiler.compile(shape, only)
        except NotCompiledError:
            left.append(shape)
            continue
        for check in compiled.checks:
            for row in select(check.query):
                value = row[1] if check.with_value else None
                message = check.message
                if FOCUS in message:
                    message = message.replace(FOCUS, focus_text(row[0]))
                problems.append(shacl_problem(row[0], check.path, value, message,
                                              check.shape, check.severity, locate))
    if left:
        problems.extend(fallback(select, shapes, left, ontology, locate, only, compiler))
    return problems


def simple_paths(shapes: Graph) -> bool:
    """Whether every ``sh:path`` is an IRI or the inverse of one (then a node's results
    depend only on its own triples, what points at it and the types of its values)."""
    for path in shapes.objects(None, SH.path):
        inner = shapes.value(path, SH.inversePath) if isinstance(path, BNode) else path
        if not isinstance(inner, URIRef):
            return False
    return True


def store_neighbourhood(select: Select, nodes: Sequence[Node]) -> Graph:
    """:func:`neighbourhood` of IRIs in the graph ``select`` queries: each part one
    lookup by node (the nodes' triples, the triples that point at them, their values'
    types), and the subclass axioms."""
    from channelkg.graph.memory import new_rdflib_graph
    from channelkg.sparql.binding import sparql_term

    out = new_rdflib_graph()
    values = "VALUES ?f { " + " ".join(sparql_term(n) for n in nodes) + " }"
    sub = f"<{RDFS.subClassOf}>"
    queries = (f"SELECT ?s ?p ?o WHERE {{ ?s {sub} ?o BIND({sub} AS ?p) }}",
               f"SELECT ?s ?p ?o WHERE {{ {values} ?f ?p ?o BIND(?f AS ?s) }}",
               f"SELECT ?s ?p ?o WHERE {{ {values} ?s ?p ?f BIND(?f AS ?o) }}",
               f"SELECT ?s ?p ?o WHERE {{ {values} ?f ?q ?s . ?s <{RDF.type}> ?o "
               f"BIND(<{RDF.type}> AS ?p) }}",
               f"SELECT ?s ?p ?o WHERE {{ {values} ?s ?q ?f . ?s <{RDF.type}> ?o "
               f"BIND(<{RDF.type}> AS ?p) }}")
    for query in queries:
        for s, p, o in select(query):
            out.add((s, p, o))  # type: ignore[arg-type]
    return out


def neighbourhood(graphs: Sequence[Graph], nodes: Iterable[Node]) -> Graph:
    """What SHACL needs of ``graphs`` to validate ``nodes`` with :func:`simple_paths`
    shapes: the nodes' triples, their values' triples, the triples that point at the
    nodes, and every subclass axiom (the nodes' results are the same in it)."""
    from channelkg.graph.memory import new_rdflib_graph

    out = new_rdflib_graph()
    for g in graphs:
        for t in g.triples((None, RDFS.subClassOf, None)):
            out.add(t)
    values: set[Node] = set()
    for n in nodes:
        for g in graphs:
            for t in g.triples((n, None, None)):
                out.add(t)
                values.add(t[2])
            for t in g.triples((None, None, n)):
                out.add(t)
    for v in values:
        if not isinstance(v, Literal):
            for g in graphs:
                for t in g.triples((v, None, None)):
                    out.add(t)
    return out


def focus_text(node: Node | None) -> str:
    """A focus node as pySHACL writes it in a generic message (a prefixed name)."""
    if isinstance(node, URIRef):
        return iri_text(_data_names(), node)
    if node is None:
        return ""
    from pyshacl.rdfutil.stringify import stringify_node

    return str(stringify_node(_data_names(), node))


@functools.lru_cache(maxsize=1)
def _data_names() -> Graph:
    """An empty graph with the prefixes of the graph pySHACL validates (its messages')."""
    from channelkg.graph.memory import new_rdflib_graph

    return new_rdflib_graph()


def fallback(select: Select, shapes: Graph, left: Sequence[Node], ontology: Graph,
             locate: Callable[[Node | None], str], only: Sequence[Node] | None,
             compiler: Compiler) -> list[Problem]:
    """pySHACL on the shapes ``left`` only, over their focus nodes' neighbourhood: what
    the focus nodes say, what those values say, and what points at the focus nodes.
    Without a compiled target (or with blank focus nodes) it runs on the whole graph."""
    from channelkg.graph.memory import new_rdflib_graph

    subset = new_rdflib_graph()
    keep = set(left)
    for t in shapes:
        subset.add(t)
    for shape in target_shapes(shapes):
        if shape not in keep:
            subset.add((shape, SH.deactivated, Literal(True)))
    nodes: list[Node] | None = None
    try:
        nodes = sorted({r[0] for s in left for r in select(
            f"SELECT ?f WHERE {compiler.focus(s, only)}") if r[0] is not None}, key=str)
    except NotCompiledError:
        nodes = None
    data = new_rdflib_graph()
    if nodes is None or any(isinstance(n, BNode) for n in nodes):
        rows = select("SELECT DISTINCT ?s ?p ?o WHERE { ?s ?p ?o }")
    elif nodes:
        values = compiler.terms(nodes)
        rows = select(
            f"SELECT DISTINCT ?s ?p ?o WHERE {{ VALUES ?f {{ {values} }} "
            "{ ?f ?p ?o BIND(?f AS ?s) } UNION { ?f ?q ?s . ?s ?p ?o } "
            "UNION { ?s ?p ?f BIND(?f AS ?o) } }")
    else:
        return []
    for s, p, o in rows:
        data.add((s, p, o))  # type: ignore[arg-type]
    # Every target of the neighbourhood is validated (given focus nodes, pySHACL leaves
    # out the results of nested shapes, sh:node); with ``only``, the focus nodes' results
    # are kept, else all of them (the nested shapes' results too, as pySHACL reports them).
    found = run_shacl(data, subset, ontology, locate)
    return [p for p in found if only is None or nodes is None or p.node in set(nodes)]


__all__ = ["DEFAULT_SEED", "Classes", "IriColumn", "Sample", "draw_sample", "fallback",
           "neighbourhood", "simple_paths", "store_neighbourhood", "store_shacl",
           "target_nodes", "target_shapes", "targets_query"]
