"""The checks of :func:`channelkg.check.validate.graph_problems` (ill-typed literals,
unknown ``ckg:`` terms) on a store: the store lists its distinct typed literals and
IRIs, Python judges each once (a graph of a million triples has far fewer of them).
"""

from __future__ import annotations

from collections.abc import Sequence

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, XSD
from rdflib.term import Node

from channelkg.check.compiled import Select
from channelkg.check.problems import LineIndex, Problem
from channelkg.check.validate import graph_problems
from channelkg.graph.memory import new_rdflib_graph
from channelkg.rdf.namespaces import CKG

_TYPED = (f"SELECT DISTINCT ?o WHERE {{ ?s ?p ?o FILTER(isLiteral(?o) && "
          f"!sameTerm(datatype(?o), <{XSD.string}>) && "
          f"!sameTerm(datatype(?o), <{RDF.langString}>)) }}")
_IRIS = ("SELECT DISTINCT ?t WHERE { { ?t ?p ?o FILTER(isIRI(?t)) } UNION { ?s ?t ?o } "
         "UNION { ?s ?p ?t FILTER(isIRI(?t)) } }")


def store_graph_problems(select: Select, onto: Graph, index: LineIndex,
                         onto_name: str) -> list[Problem]:
    """:func:`graph_problems` of the graph ``select`` queries, without copying it: the
    triples that hold an ill-typed literal or a suspect IRI are fetched and judged by
    :func:`graph_problems` itself (so the two report alike)."""
    from channelkg.check.validate import near_ckg
    from channelkg.sparql.binding import sparql_term

    suspects = new_rdflib_graph()
    bad = [o for (o,) in select(_TYPED) if isinstance(o, Literal) and o.ill_typed]
    for lit in bad:
        for s, p in select(f"SELECT ?s ?p WHERE {{ ?s ?p {sparql_term(lit)} }}"):
            suspects.add((s, p, lit))  # type: ignore[arg-type]
    known = {s for s in onto.subjects() if isinstance(s, URIRef)}
    odd = [t for (t,) in select(_IRIS) if isinstance(t, URIRef) and t not in known
           and (t.startswith(str(CKG)) or near_ckg(str(t)))]
    for t in odd:
        term = sparql_term(t)
        rows = select(f"SELECT ?s ?p ?o WHERE {{ {{ BIND({term} AS ?s) ?s ?p ?o }} UNION "
                      f"{{ BIND({term} AS ?p) ?s ?p ?o }} UNION {{ BIND({term} AS ?o) ?s ?p ?o }} "
                      "} LIMIT 1")
        for s, p, o in rows:
            suspects.add((s, p, o))  # type: ignore[arg-type]
    return graph_problems(suspects, onto, index, onto_name)


def focus_graph(select: Select, nodes: Sequence[Node]) -> Graph:
    """The triples whose subject is one of ``nodes`` (IRIs), as an rdflib graph."""
    from channelkg.sparql.binding import sparql_term

    out = new_rdflib_graph()
    iris = sorted({n for n in nodes if isinstance(n, URIRef)}, key=str)
    if iris:
        values = " ".join(sparql_term(n) for n in iris)
        for s, p, o in select(f"SELECT ?s ?p ?o WHERE {{ VALUES ?s {{ {values} }} ?s ?p ?o }}"):
            out.add((s, p, o))  # type: ignore[arg-type]
    return out


__all__ = ["focus_graph", "store_graph_problems"]
