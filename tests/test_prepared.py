"""rdflib's engine parses a SPARQL text once and reuses the parsed form."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import rdflib.plugins.sparql
from rdflib import Graph, Literal, URIRef

from channelkg.graph.base import CACHED_QUERY_TEXT, prepared_query
from channelkg.graph.memory import query_rdflib


def graph_with(prefix_ns: str, value: str) -> Graph:
    """A graph that binds ``ex:`` to ``prefix_ns`` and holds one ``ex:s ex:p value``."""
    g = Graph()
    g.bind("ex", prefix_ns, override=True)
    g.add((URIRef(prefix_ns + "s"), URIRef(prefix_ns + "p"), Literal(value)))
    return g


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The texts handed to rdflib's ``prepareQuery`` while the test runs."""
    seen: list[str] = []
    real = rdflib.plugins.sparql.prepareQuery

    def counting(text: str, *args: Any, **kwargs: Any) -> Any:
        seen.append(text)
        return real(text, *args, **kwargs)

    monkeypatch.setattr(rdflib.plugins.sparql, "prepareQuery", counting)
    return seen


def fresh(text: str) -> str:
    """``text`` with a comment no other test uses, so that it is not parsed already."""
    return f"# {uuid.uuid4()}\n{text}"


def test_a_text_run_again_is_not_parsed_again(parses: list[str]) -> None:
    g = graph_with("http://a.example/", "one")
    text = fresh("SELECT ?o WHERE { ex:s ex:p ?o }")
    first, again = query_rdflib(g, text), query_rdflib(g, text)
    assert first.rows == again.rows == ((Literal("one"),),)
    assert parses == [text]


def test_graphs_binding_a_prefix_differently_each_read_it_their_way(
        parses: list[str]) -> None:
    """An undeclared prefix is read with the graph's own binding: the parsed form of one
    graph is never used for a graph that binds the prefix to another namespace."""
    a, b = graph_with("http://a.example/", "one"), graph_with("http://b.example/", "two")
    text = fresh("SELECT ?o WHERE { ex:s ex:p ?o }")
    assert query_rdflib(a, text).rows == ((Literal("one"),),)
    assert query_rdflib(b, text).rows == ((Literal("two"),),)
    assert query_rdflib(a, text).rows == ((Literal("one"),),)
    assert parses == [text, text]  # one parse for each binding, none for the third run
    assert prepared_query(text, a) is prepared_query(text, a)
    assert prepared_query(text, a) is not prepared_query(text, b)


def test_a_long_text_is_parsed_afresh_and_answers(parses: list[str]) -> None:
    g = graph_with("http://a.example/", "one")
    text = fresh("SELECT ?o WHERE { ex:s ex:p ?o }") + "\n#" + "x" * CACHED_QUERY_TEXT
    assert prepared_query(text, g) == text
    assert query_rdflib(g, text).rows == ((Literal("one"),),)
    assert parses == []


def test_one_parsed_query_answers_on_many_graphs_from_many_threads() -> None:
    """The parsed form keeps no state of a run: 64 runs on 8 graphs from 8 threads each
    get the answer of their own graph."""
    graphs = [graph_with("http://a.example/", f"v{k}") for k in range(8)]
    text = fresh("SELECT ?o (COUNT(*) AS ?n) WHERE { ex:s ex:p ?o } GROUP BY ?o")
    with ThreadPoolExecutor(8) as pool:
        got = list(pool.map(lambda k: query_rdflib(graphs[k % 8], text).rows, range(64)))
    assert got == [((Literal(f"v{k % 8}"), Literal(1)),) for k in range(64)]
