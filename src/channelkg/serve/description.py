"""The endpoint's service description (SPARQL 1.1 Service Description, section 2).

A ``GET`` of ``/sparql`` with no ``query`` parameter answers with an RDF description of
the service, as the specification asks of every endpoint: what it is
(``sd:Service``), where it answers (``sd:endpoint``, the address the request was made
to), the language it takes (SPARQL 1.1 Query only: the endpoint is read-only) and the
result formats of :data:`~channelkg.serve.results.FORMATS`. The format is chosen like
a CONSTRUCT answer's (``format=`` or ``Accept``; Turtle when the client states no
preference). ``/`` keeps serving the query page.
"""

from __future__ import annotations

SD = "http://www.w3.org/ns/sparql-service-description#"
FORMATS_NS = "http://www.w3.org/ns/formats/"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
#: Format key of :data:`~channelkg.serve.results.FORMATS` -> its W3C format IRI.
FORMAT_IRIS = {
    "json": "SPARQL_Results_JSON",
    "xml": "SPARQL_Results_XML",
    "csv": "SPARQL_Results_CSV",
    "tsv": "SPARQL_Results_TSV",
    "turtle": "Turtle",
    "nt": "N-Triples",
    "jsonld": "JSON-LD",
    "rdfxml": "RDF_XML",
}


def triples(endpoint: str) -> list[tuple[str, str, str]]:
    """The description of the service answering at ``endpoint`` (IRIs as strings)."""
    from channelkg.serve.results import FORMATS

    out = [(endpoint, RDF_TYPE, SD + "Service"), (endpoint, SD + "endpoint", endpoint),
           (endpoint, SD + "supportedLanguage", SD + "SPARQL11Query")]
    out += [(endpoint, SD + "resultFormat", FORMATS_NS + FORMAT_IRIS[key]) for key in FORMATS]
    return out


def describe(endpoint: str, accept: str | None, fmt: str | None) -> tuple[str, bytes]:
    """``(media type, body)`` of the description, in the format the client asks for (an
    ``Accept`` that no RDF format fits gets Turtle, as a CONSTRUCT answer does)."""
    from rdflib import Graph, URIRef

    from channelkg.graph.base import QueryResult
    from channelkg.serve.results import FORMATS, ranked, render_negotiated

    graph = Graph()
    for s, p, o in triples(endpoint):
        graph.add((URIRef(s), URIRef(p), URIRef(o)))
    key, body = render_negotiated(QueryResult("GRAPH", graph=graph), ranked("GRAPH", accept, fmt))
    return FORMATS[key][0], body


__all__ = ["FORMAT_IRIS", "describe", "triples"]
