"""Extending the ontology: a new class and property, added to a copy of ontology/ as
ontology/README.md describes, are picked up by add, validate, query, explain and the
view styling without any code change."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from channelkg.check.validate import validate
from channelkg.cli import cli
from channelkg.graph.memory import load
from channelkg.render.network import load_schema
from channelkg.sparql.query import query

KGID = "https://w3id.org/channelkg/id/"

NEW_TERMS = """

ckg:Lawsuit a owl:Class ;
    rdfs:label "Lawsuit"@en , "诉讼"@zh ;
    skos:definition "A claim that one party has sued another."@en ;
    rdfs:subClassOf ckg:Claim ;
    ckg:viewColor "#123456" ;
    ckg:viewShape "star" .

ckg:plaintiff a owl:ObjectProperty ;
    rdfs:label "plaintiff"@en ;
    skos:definition "The organization that brings the lawsuit."@en ;
    rdfs:domain ckg:Lawsuit ;
    rdfs:range ckg:Organization ;
    ckg:viewEdgeLabel "sued by" .
"""

LAWSUIT = """@prefix ckg: <https://w3id.org/channelkg/ontology#> .
@prefix kgid: <https://w3id.org/channelkg/id/> .
@prefix prov: <http://www.w3.org/ns/prov#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .

kgid:lawsuit-example a ckg:Lawsuit ;
    rdfs:comment "An example lawsuit."@en ;
    ckg:plaintiff kgid:openai ;
    ckg:status ckg:reported ;
    ckg:statedOn "2026-06-19"^^xsd:date{source} .
"""


def test_new_class_needs_no_code_change(ckg_home: Path, runner: CliRunner) -> None:
    graphs = ckg_home / "graphs"
    data = graphs / "lawsuits.ttl"
    data.write_text(LAWSUIT.format(source=" ;\n    prov:wasDerivedFrom kgid:source-seed-2026"),
                    encoding="utf-8")
    # Before the ontology knows the terms, validate flags them.
    report = validate([graphs])
    assert not report.conforms
    assert {p.message.split(" (")[0] for p in report.problems if p.kind == "term"} == {
        "unknown term ckg:Lawsuit", "unknown term ckg:plaintiff"}

    onto = ckg_home / "ontology" / "channelkg.ttl"
    onto.write_text(onto.read_text(encoding="utf-8") + NEW_TERMS, encoding="utf-8")

    # validate: the new class is a ckg:Claim, so the claim shape applies to it.
    assert validate([graphs]).conforms
    data.write_text(LAWSUIT.format(source=""), encoding="utf-8")
    report = validate([graphs])
    assert any(p.focus == "kgid:lawsuit-example" and "needs at least one source" in p.message
               for p in report.problems), report.text
    data.unlink()

    # add: `--class Lawsuit` and `--set plaintiff=…` are found in the ontology.
    res = runner.invoke(cli, ["add", "claim", "--class", "Lawsuit", "--comment", "A lawsuit.",
                              "--about", "openai", "--source", "source-seed-2026",
                              "--set", "ckg:plaintiff=microsoft",
                              "--stated-on", "2026-06-19", "--id", "lawsuit-added"])
    assert res.exit_code == 0, res.output
    assert validate([graphs]).conforms
    asked = query(load(), f"ASK {{ <{KGID}lawsuit-added> "
                  f"<https://w3id.org/channelkg/ontology#plaintiff> <{KGID}microsoft> }}")
    assert asked.boolean

    # query: found as a Claim through rdfs:subClassOf, on both engines.
    q = ("PREFIX ckg: <https://w3id.org/channelkg/ontology#> "
         "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> "
         "SELECT ?c WHERE { ?c a/rdfs:subClassOf* ckg:Claim ; a ckg:Lawsuit }")
    for engine in ("oxigraph", "rdflib"):
        rows = query(load(engine=engine), q).rows
        assert [str(r[0]) for r in rows] == [KGID + "lawsuit-added"], engine

    # explain, timeline: the class shows by name.
    ex = runner.invoke(cli, ["explain", "lawsuit-added"])
    assert "[Lawsuit]" in ex.output
    tl = runner.invoke(cli, ["timeline", "--provider", "openai", "-f", "csv"])
    assert "kgid:lawsuit-added,Lawsuit," in tl.output

    # view styling: colour and shape come from the annotations on the new class.
    schema = load_schema(onto)
    assert schema.style("ckg:Lawsuit") == ("#123456", "star")
    assert schema.edge_label("ckg:plaintiff") == "sued by"
    assert schema.is_a("ckg:Lawsuit", "ckg:Claim")
