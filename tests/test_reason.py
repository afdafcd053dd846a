"""Reasoning: RDFS/OWL-RL closures and CONSTRUCT rules, never mutating the input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib import Literal
from rdflib.namespace import OWL, PROV, RDF

from channelkg.check.validate import validate
from channelkg.cli import cli
from channelkg.errors import InputError
from channelkg.graph.memory import KnowledgeGraph, from_rdflib, load
from channelkg.rdf.namespaces import CKG, KGID
from channelkg.sparql.query import run
from channelkg.sparql.reason import (
    INFERRED_GRAPH,
    apply_rules,
    entailments,
    expand,
    inferred_of,
    is_inferred,
    list_rules,
)
from conftest import DATA

CHANNELS = DATA / "channels.ttl"
PREFIXES = "PREFIX ckg: <https://w3id.org/channelkg/ontology#>\n"


@pytest.fixture(scope="module", params=["oxigraph", "rdflib"])
def kg(request: pytest.FixtureRequest) -> KnowledgeGraph:
    return load([CHANNELS], engine=request.param)


def _triples(kg: KnowledgeGraph) -> set:
    return set(kg.triples())


@pytest.mark.parametrize("profile", ["rdfs", "owlrl", "rules", "owlrl+rules"])
def test_expand_returns_new_graph_of_same_engine_and_keeps_input(
    kg: KnowledgeGraph, profile: str
) -> None:
    before = _triples(kg)
    out = expand(kg, profile)
    assert _triples(kg) == before and len(kg) == len(before)
    assert out is not kg and out.engine == kg.engine
    inferred = inferred_of(out)
    assert len(inferred) > 0
    assert _triples(out) == before | set(inferred)
    assert len(out) == len(before) + len(inferred)
    assert not (set(inferred) & before)
    assert out.reason == profile


def test_rdfs_infers_superclasses(kg: KnowledgeGraph) -> None:
    out = expand(kg, "rdfs")
    for cls in (CKG.Organization, PROV.Agent):
        assert is_inferred(out, (KGID.microsoft, RDF.type, cls))
    assert (KGID["route-az-8"], RDF.type, CKG.Claim) in set(out.triples())
    ask = PREFIXES + "ASK { <https://w3id.org/channelkg/id/microsoft> a ckg:Organization }"
    assert run(out, ask).boolean is True
    assert run(kg, ask).boolean is False


def test_owlrl_symmetric_property_and_no_trivial_triples() -> None:
    g = load([CHANNELS], engine="rdflib").to_rdflib()
    g.add((KGID["route-az-8"], CKG.conflictsWith, KGID["route-seed-azure-china-gpt"]))
    out = entailments(from_rdflib(g, "oxigraph"), "owlrl")
    assert (KGID["route-seed-azure-china-gpt"], CKG.conflictsWith, KGID["route-az-8"]) in out
    assert not any(p == OWL.sameAs and s == o for s, p, o in out)
    assert not any(isinstance(s, Literal) for s, _, _ in out)
    assert (KGID.microsoft, RDF.type, OWL.Thing) not in out


def test_inferred_named_graph_on_oxigraph() -> None:
    out = expand(load([CHANNELS]), "rules")
    graph = f"GRAPH <{INFERRED_GRAPH}> "
    q = "SELECT (COUNT(*) AS ?n) WHERE { " + graph + "{ ?s ?p ?o } }"
    [[n]] = run(out, q).rows
    assert int(n) == len(inferred_of(out))
    asserted = run(out, q.replace(graph, "")).rows[0][0]
    assert int(asserted) == len(out)  # the copies in the named graph are not double counted


def test_rules_derive_availability_and_dependency(kg: KnowledgeGraph) -> None:
    derived = entailments(kg, "rules")
    assert (KGID.gpt, CKG.availableIn, KGID["mainland-china"]) in derived
    assert (KGID["gpt-4o"], CKG.availableIn, KGID["mainland-china"]) in derived
    assert (KGID.qwen3, CKG.availableIn, KGID["mainland-china"]) in derived
    assert (KGID.claude, CKG.availableIn, KGID["mainland-china"]) not in derived
    assert (KGID["mainland-china"], CKG.dependsOnOrganization, KGID.microsoft) in derived
    # ModelScope belongs to Qwen's developer: no dependency on a third party
    assert (KGID["mainland-china"], CKG.dependsOnOrganization, KGID.alibaba) not in derived
    assert (KGID["azure-china"], CKG.servesMarket, KGID["mainland-china"]) in derived


def test_dependency_rule_follows_the_data() -> None:
    """Open the direct route: OpenAI models no longer depend on Microsoft in China."""
    g = load([CHANNELS], engine="rdflib").to_rdflib()
    route = KGID["route-seed-openai-direct-cn"]
    g.set((route, CKG.open, Literal(True)))
    g.remove((KGID["fact-oai-1"], CKG.blocks, route))
    derived = entailments(from_rdflib(g, "rdflib"), "rules")
    assert (KGID["mainland-china"], CKG.dependsOnOrganization, KGID.microsoft) not in derived
    assert (KGID["hong-kong"], CKG.dependsOnOrganization, KGID.microsoft) in derived


def test_rules_have_headers_and_are_construct() -> None:
    rules = list_rules()
    assert {r.name for r in rules} >= {"available-in", "market-depends-on", "route-services"}
    assert all(r.title and r.description and "CONSTRUCT" in r.text for r in rules)


def test_bad_rules_and_profiles(tmp_path: Path) -> None:
    kg = load([CHANNELS])
    with pytest.raises(InputError, match="unknown reasoning profile"):
        expand(kg, "owl-dl")
    bad = tmp_path / "bad.rq"
    bad.write_text("# title: x\n# description: y\nSELECT * WHERE { ?s ?p ?o }\n")
    from channelkg.sparql.reason import load_rules

    with pytest.raises(InputError, match="must be a CONSTRUCT"):
        apply_rules(kg.to_rdflib(), load_rules([bad]))


def test_derived_terms_are_defined_in_the_ontology() -> None:
    """validate knows every term the rules write (else it reports an unknown term)."""
    kg = load([CHANNELS])
    report = validate([CHANNELS], extra=entailments(kg, "owlrl+rules"))
    assert report.conforms, report.text


def test_cli_reason_options(runner: CliRunner, tmp_path: Path) -> None:
    q = PREFIXES + "SELECT ?m WHERE { ?m ckg:availableIn ?k } ORDER BY ?m"
    res = runner.invoke(cli, ["query", q, "-d", str(CHANNELS), "--reason", "rules", "-f", "json"])
    assert res.exit_code == 0, res.output
    got = {b["m"]["value"] for b in json.loads(res.output)["results"]["bindings"]}
    assert got == {str(KGID.gpt), str(KGID["gpt-4o"]), str(KGID.qwen3)}
    res = runner.invoke(cli, ["query", q, "-d", str(CHANNELS), "-f", "json"])
    assert json.loads(res.output)["results"]["bindings"] == []
    res = runner.invoke(cli, ["validate", "--reason", "owlrl+rules", str(CHANNELS)])
    assert res.exit_code == 0, res.output
    res = runner.invoke(cli, ["infer", "-d", str(CHANNELS), "-f", "nt"])
    assert res.exit_code == 0
    assert (f"<{KGID.gpt}> <{CKG.availableIn}> <{KGID['mainland-china']}> ."
            in res.output.splitlines())
    rule = tmp_path / "mine.rq"
    rule.write_text("PREFIX ckg: <https://w3id.org/channelkg/ontology#>\n"
                    "CONSTRUCT { ?o ckg:servesMarket ?k } WHERE { ?r ckg:seller ?o ; "
                    "ckg:market ?k ; ckg:open true }\n")
    res = runner.invoke(cli, ["infer", "-d", str(CHANNELS), "--rules", str(rule), "-f", "nt"])
    assert res.exit_code == 0
    assert f"<{KGID.microsoft}> <{CKG.servesMarket}> <{KGID['hong-kong']}> ." in res.output
    res = runner.invoke(cli, ["rules"])
    assert "available-in" in res.output
    res = runner.invoke(cli, ["infer", "-d", str(CHANNELS), "--profile", "nope"])
    assert res.exit_code == 2 and "unknown reasoning profile" in res.output
    # --profile is infer's reasoning; there is no --reason to apply a second one.
    res = runner.invoke(cli, ["infer", "-d", str(CHANNELS), "--reason", "owlrl"])
    assert res.exit_code == 2 and "No such option '--reason'" in res.output


def test_spof_and_routes_unchanged_by_reasoning() -> None:
    from channelkg.analysis.routes import single_points_of_failure

    kg = load([CHANNELS])
    a = single_points_of_failure(kg, "CN", "gpt")[0]
    b = single_points_of_failure(expand(kg, "owlrl+rules"), "CN", "gpt")[0]
    assert [c.iri for c in a.critical] == [c.iri for c in b.critical]
