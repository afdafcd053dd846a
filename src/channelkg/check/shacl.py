"""SHACL with pySHACL: one run, its results as :class:`~channelkg.check.problems.Problem`.

The ontology is mixed into the data graph, so ``sh:targetClass ckg:Claim`` also targets
instances of its subclasses (SHACL 1.0, section 2.1.3.3, "SHACL instance").
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from rdflib import BNode, Graph, URIRef
from rdflib.namespace import RDF, SH
from rdflib.term import Node

from channelkg.check.problems import Problem
from channelkg.rdf.terms import display


def result_problems(results: Graph, locate: Callable[[Node | None], str]) -> list[Problem]:
    """The validation results of a SHACL report graph, one :class:`Problem` each.

    The one formatter of SHACL results: ``validate``, ``add`` and ``import`` all write
    them this way (the message, the offending value when it is not the focus node).
    """
    out: list[Problem] = []
    for r in results.subjects(RDF.type, SH.ValidationResult):
        msg = results.value(r, SH.resultMessage)
        out.append(shacl_problem(
            results.value(r, SH.focusNode), results.value(r, SH.resultPath),
            results.value(r, SH.value), str(msg) if msg is not None else "violates a shape",
            results.value(r, SH.sourceShape), results.value(r, SH.resultSeverity), locate))
    return out


def shacl_problem(focus: Node | None, path: Node | None, value: Node | None, message: str,
                  shape: Node | None, severity: Node | None,
                  locate: Callable[[Node | None], str]) -> Problem:
    """One SHACL result as a :class:`Problem`: the message, then the offending value when
    it is not the focus node (the one way pySHACL's and the compiled results read)."""
    text = message
    if value is not None and not isinstance(value, BNode) and value != focus:
        text += f" (value: {display(value)})"
    return Problem("shacl", text, locate(focus), display(focus),
                   display(path) if isinstance(path, URIRef) else "",
                   value=value, node=focus, shape=shape, predicate=path, severity=severity)


#: The IRI schemes pySHACL takes a focus node in as an IRI.
_FOCUS_SCHEMES = ("http:", "https:", "urn:", "file:")


def run_shacl(
    data: Graph,
    shapes: Graph,
    ontology: Graph,
    locate: Callable[[Node | None], str],
    focus: Iterable[Node] | None = None,
) -> list[Problem]:
    """Validate ``data`` (with ``ontology`` mixed in) against ``shapes``: one pySHACL run.

    Args:
        data: the triples to check.
        shapes: the SHACL shapes.
        ontology: the ontology (its subclass axioms make subclass instances targets).
        locate: ``file:line`` of a focus node (``""`` when unknown).
        focus: only these nodes (IRIs) are validated; ``None``: every target.
    """
    import pyshacl

    from channelkg.graph.memory import new_rdflib_graph

    nodes: list[str | URIRef] | None = None
    if focus is not None:
        nodes = [n for n in sorted(focus, key=str) if isinstance(n, URIRef)]
        if not nodes:
            return []
        if not all(n.lower().startswith(_FOCUS_SCHEMES) for n in nodes):
            # pySHACL reads any other focus node as a prefixed name (<kgid:x> as kgid:x):
            # validate every target instead.
            nodes = None
    mixed = new_rdflib_graph()
    for graph in (data, ontology):
        for t in graph:
            mixed.add(t)
    _, results, _ = pyshacl.validate(
        mixed,
        shacl_graph=shapes,
        inference="none",
        advanced=True,
        allow_warnings=True,
        focus_nodes=nodes,
    )
    return result_problems(results, locate)


__all__ = ["result_problems", "run_shacl", "shacl_problem"]
