"""Answers of the endpoint's workers, in process: content negotiation, pyoxigraph's own
serializers where they give the same answer, the row limit elsewhere."""

from __future__ import annotations

import json

import pyoxigraph as ox
import pytest

from channelkg.graph.memory import load
from channelkg.serve.results import ranked
from channelkg.serve.workers import Job, execute
from conftest import TINY

ALL = "SELECT ?s ?p ?o WHERE { ?s ?p ?o } ORDER BY ?s ?p ?o"


@pytest.fixture(scope="module")
def kg() -> object:
    return load([TINY])


@pytest.mark.parametrize(("accept", "fmt", "want"), [
    (None, None, ["json", "xml", "csv", "tsv"]),
    ("text/csv", None, ["csv"]),
    ("text/csv;q=0.5, application/sparql-results+xml", None, ["xml", "csv"]),
    ("text/html, */*;q=0.1", None, ["json", "xml", "csv", "tsv"]),
    ("application/sparql-results+json;q=0, text/tab-separated-values", None, ["tsv"]),
    ("text/csv", "xml", ["xml"]),
    ("text/csv", "application/sparql-results+json", ["json"]),
])
def test_ranked_formats(accept: str | None, fmt: str | None, want: list[str]) -> None:
    assert ranked("SELECT", accept, fmt) == want


@pytest.mark.parametrize("fmt", ["json", "xml", "csv", "tsv"])
def test_a_query_with_a_small_limit_is_serialized_by_pyoxigraph(kg: object, fmt: str) -> None:
    text = ALL + " LIMIT 5"
    reply = execute(kg, Job(text=text, fmt=fmt, max_rows=10))
    assert reply.status == 200
    store = kg.store  # type: ignore[attr-defined]
    res = store.query(text, use_default_graph_as_union=True)
    fmt_enum = getattr(ox.QueryResultsFormat, fmt.upper())
    assert reply.body == res.serialize(format=fmt_enum)


def test_without_a_limit_the_row_limit_applies(kg: object) -> None:
    reply = execute(kg, Job(text=ALL, fmt="json", max_rows=3))
    assert reply.status == 200 and reply.headers.get("X-Channelkg-Truncated") == "true"
    assert len(json.loads(reply.body)["results"]["bindings"]) == 3
    # a LIMIT above the row limit cannot be trusted to stay under it either
    reply = execute(kg, Job(text=ALL + " LIMIT 50", fmt="json", max_rows=3))
    assert len(json.loads(reply.body)["results"]["bindings"]) == 3
    # a LIMIT inside a sub-select bounds nothing outside it
    text = "SELECT * WHERE { { SELECT ?s WHERE { ?s ?p ?o } LIMIT 2 } ?s ?q ?v }"
    reply = execute(kg, Job(text=text, fmt="json", max_rows=3))
    assert len(json.loads(reply.body)["results"]["bindings"]) == 3


def test_ask_and_errors_by_either_way(kg: object) -> None:
    reply = execute(kg, Job(text="ASK { ?s ?p ?o }", fmt="xml"))
    assert reply.status == 200 and b"<boolean>true</boolean>" in reply.body
    reply = execute(kg, Job(text="SELECT * WHERE { ?s ?p } LIMIT 1"))
    assert reply.status == 400 and reply.body.startswith(b"SPARQL syntax error")
