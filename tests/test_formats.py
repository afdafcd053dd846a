"""Rendering of results: table, CSV, TSV, SPARQL JSON, Markdown, Turtle, JSON-LD."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import XSD

from channelkg.errors import InputError
from channelkg.render.results import _width, render, table
from channelkg.sparql.query import QueryResult

ROWS = QueryResult(
    "SELECT",
    vars=("s", "label", "n"),
    rows=(
        (URIRef("https://w3id.org/channelkg/id/x"), Literal("中国大陆", lang="zh"), Literal(3)),
        (BNode("b1"), Literal('a "quoted",\ttab'), None),
    ),
)


def test_table_aligns_wide_characters() -> None:
    out = render(ROWS, "table").splitlines()
    assert out[0].split() == ["s", "label", "n"]
    # "中国大陆" is 4 characters but 8 columns wide: the next column starts aligned.
    assert _width(out[2][: out[2].index("3")]) == out[0].index("n")
    assert out[2].index("3") == out[0].index("n") - 4
    assert out[2].startswith("kgid:x")


def test_csv_follows_sparql_csv() -> None:
    rows = list(csv.reader(io.StringIO(render(ROWS, "csv"))))
    assert rows[0] == ["s", "label", "n"]
    assert rows[1] == ["https://w3id.org/channelkg/id/x", "中国大陆", "3"]
    assert rows[2] == ["_:b1", 'a "quoted",\ttab', ""]


def test_tsv_uses_rdf_terms() -> None:
    lines = render(ROWS, "tsv").splitlines()
    assert lines[0] == "?s\t?label\t?n"
    assert lines[1].split("\t")[0] == "<https://w3id.org/channelkg/id/x>"
    assert lines[1].split("\t")[1] == '"中国大陆"@zh'
    assert lines[2].count("\t") == 2


def test_json_follows_sparql_results_json() -> None:
    doc = json.loads(render(ROWS, "json"))
    assert doc["head"]["vars"] == ["s", "label", "n"]
    b = doc["results"]["bindings"]
    assert b[0]["s"] == {"type": "uri", "value": "https://w3id.org/channelkg/id/x"}
    assert b[0]["label"] == {"type": "literal", "value": "中国大陆", "xml:lang": "zh"}
    assert b[0]["n"]["datatype"] == str(XSD.integer)
    assert b[1]["s"]["type"] == "bnode" and "n" not in b[1]


def test_markdown_escapes_pipes() -> None:
    res = QueryResult("SELECT", vars=("a",), rows=((Literal("x|y"),),))
    assert render(res, "md").splitlines() == ["| a |", "|---|", "| x\\|y |"]


def test_ask_and_graph() -> None:
    assert render(QueryResult("ASK", boolean=True), "table") == "true\n"
    assert json.loads(render(QueryResult("ASK", boolean=False), "json")) == {
        "head": {},
        "boolean": False,
    }
    g = Graph()
    g.add((URIRef("https://e/s"), URIRef("https://e/p"), Literal("o")))
    res = QueryResult("GRAPH", graph=g)
    assert Graph().parse(data=render(res, "turtle"), format="turtle").__len__() == 1
    assert Graph().parse(data=render(res, "json-ld"), format="json-ld").__len__() == 1
    with pytest.raises(InputError, match="CONSTRUCT"):
        render(res, "csv")
    with pytest.raises(InputError, match="fits CONSTRUCT"):
        render(ROWS, "turtle")


def test_empty_table() -> None:
    assert table(["a", "b"], []) == "a  b\n-  -\n"


def test_pyoxigraph_terms_render_as_the_rdflib_terms_they_equal() -> None:
    import pyoxigraph as ox

    from channelkg.rdf.terms import to_oxigraph

    native = QueryResult("SELECT", vars=ROWS.vars, rows=tuple(
        tuple(None if t is None else to_oxigraph(t) for t in row) for row in ROWS.rows))
    assert isinstance(native.rows[0][0], ox.NamedNode)
    for fmt in ("table", "csv", "tsv", "json", "md"):
        assert render(native, fmt) == render(ROWS, fmt), fmt


def test_graph_turtle_keeps_every_lexical_form() -> None:
    """CONSTRUCT/DESCRIBE as Turtle: each literal reads back as the same term (rdflib's own
    writer turns "1500"^^xsd:double into 1.5e+03), blank nodes stay one node each."""
    import pyoxigraph as ox

    g = Graph()
    s, b = URIRef("http://e.example/s"), BNode()
    for o in (Literal("1500", datatype=XSD.double, normalize=False),
              Literal("01", datatype=XSD.integer, normalize=False),
              Literal("1.50", datatype=XSD.decimal, normalize=False),
              Literal("x", lang="en"), Literal("中国大陆"), b):
        g.add((s, URIRef("http://e.example/p"), o))
    g.add((b, URIRef("http://e.example/q"), Literal("2024-06", datatype=XSD.gYearMonth)))
    text = render(QueryResult("GRAPH", graph=g), "turtle")
    back = {(str(t.predicate), str(t.object) if not isinstance(t.object, ox.BlankNode) else "b")
            for t in ox.parse(text.encode(), format=ox.RdfFormat.TURTLE)}
    assert back == {
        ("<http://e.example/p>", '"1500"^^<http://www.w3.org/2001/XMLSchema#double>'),
        ("<http://e.example/p>", '"01"^^<http://www.w3.org/2001/XMLSchema#integer>'),
        ("<http://e.example/p>", '"1.50"^^<http://www.w3.org/2001/XMLSchema#decimal>'),
        ("<http://e.example/p>", '"x"@en'), ("<http://e.example/p>", '"中国大陆"'),
        ("<http://e.example/p>", "b"),
        ("<http://e.example/q>", '"2024-06"^^<http://www.w3.org/2001/XMLSchema#gYearMonth>')}
    assert text.startswith("@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n\n")
    assert render(QueryResult("GRAPH", graph=g), "turtle") == text


def test_graph_turtle_is_the_same_in_every_process(tmp_path: Path) -> None:
    """Blank nodes get labels from what surrounds them, not from the parse: two processes
    (other hash seeds, other rdflib blank-node ids) write the same bytes."""
    import os
    import subprocess
    import sys

    script = tmp_path / "bn.py"
    script.write_text(
        "import sys\nfrom rdflib import Graph\n"
        "from channelkg.render.results import turtle\n"
        "g = Graph().parse(data='@prefix e: <http://e.example/> . "
        "e:s e:p [ e:q [ e:r \"x\" ] ; e:q2 \"y\" ] , [ e:q \"z\" ] . e:t e:p ( 1 2 ) .', "
        "format='turtle')\nsys.stdout.write(turtle(g))\n", encoding="utf-8")
    outs = {subprocess.run([sys.executable, str(script)], capture_output=True, check=True,
                           env={**os.environ, "PYTHONHASHSEED": seed}).stdout
            for seed in ("1", "2", "3")}
    assert len(outs) == 1
    assert b"_:b0" in outs.pop()


def test_rdflib_construct_leaves_out_triples_that_are_not_rdf() -> None:
    """SPARQL 1.1 §16.2: a template triple with a literal subject is not in the answer
    (rdflib's engine would keep it; pyoxigraph and Turtle cannot hold it)."""
    import pyoxigraph as ox

    from channelkg.graph.memory import from_quads

    kg = from_quads([ox.Quad(ox.NamedNode("http://e.example/s"),
                             ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label"),
                             ox.Literal("x"))], engine="rdflib")
    res = kg.run("CONSTRUCT { ?o <http://e.example/p> ?s . ?s <http://e.example/q> ?o }"
                 " WHERE { ?s ?p ?o }")
    assert {(str(s), str(p)) for s, p, _ in res.graph} == {
        ("http://e.example/s", "http://e.example/q")}
    assert "<http://e.example/q> \"x\"" in render(res, "turtle")
