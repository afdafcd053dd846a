"""The networkx projection: nodes, edges, attributes, collapse, selections, GraphML."""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import pytest
from click.testing import CliRunner
from rdflib import RDF, URIRef

from channelkg.cli import cli
from channelkg.errors import InputError
from channelkg.graph.memory import KnowledgeGraph, load
from channelkg.rdf.namespaces import CKG, KGID
from channelkg.rdf.terms import shorten
from channelkg.render.collapse import CollapseRule, collapse_claims, load_rules
from channelkg.render.network import graph_schema, to_networkx, write_graphml
from channelkg.render.selection import Selection, select
from conftest import DATA, ROOT, TINY

VIEW = DATA / "view.ttl"


@pytest.fixture(scope="module")
def tiny() -> KnowledgeGraph:
    return load([TINY])


@pytest.fixture(scope="module")
def view_kg() -> KnowledgeGraph:
    return load([VIEW])


def _expected_nodes(kg: KnowledgeGraph) -> set[str]:
    """Typed data resources (kgid:) that are not sources, straight from the RDF."""
    g = kg.to_rdflib()
    out = set()
    for s in g.subjects(RDF.type, None):
        if str(s).startswith(str(KGID)) and (s, RDF.type, CKG.Source) not in g:
            out.add(shorten(str(s)))
    return out


def test_nodes_are_the_typed_entities_and_claims(tiny: KnowledgeGraph) -> None:
    graph = to_networkx(tiny)
    assert set(graph) == _expected_nodes(tiny)
    # no ontology terms, statuses, kinds or sources became nodes
    assert not any(n.startswith("ckg:") for n in graph)
    assert "kgid:t-source" not in graph


def test_edges_are_the_links_between_nodes(tiny: KnowledgeGraph) -> None:
    graph = to_networkx(tiny)
    g = tiny.to_rdflib()
    nodes = set(graph)
    expected = {
        (shorten(str(s)), shorten(str(o)), shorten(str(p)))
        for s, p, o in g
        if p != RDF.type
        and shorten(str(s)) in nodes
        and isinstance(o, URIRef)
        and shorten(str(o)) in nodes
    }
    assert set(graph.edges(keys=True)) == expected
    assert graph.number_of_edges() == len(expected)


def test_direction_and_edge_labels_follow_the_ontology(tiny: KnowledgeGraph) -> None:
    graph = to_networkx(tiny)
    assert graph.has_edge("kgid:t-route-cloud", "kgid:t-market", key="ckg:market")
    assert not graph.has_edge("kgid:t-market", "kgid:t-route-cloud")
    via = graph.edges["kgid:t-route-cloud", "kgid:t-cloud-svc", "ckg:service"]
    schema = graph_schema(graph)
    assert via["label"] == schema.edge_labels["ckg:service"]
    assert via["label"] != "service"  # the ckg:viewEdgeLabel, not the local name


def test_node_attributes_carry_class_dates_status_sources(tiny: KnowledgeGraph) -> None:
    graph = to_networkx(tiny)
    dev = graph.nodes["kgid:t-dev"]
    assert dev["label"] == "DevCo"
    assert dev["class"] == "ckg:ModelDeveloper"  # most specific of its two classes
    assert dev["claim"] is False
    market = graph.nodes["kgid:t-market"]
    assert market["isoCode"] == "TL"
    assert market["label_zh"] == "测试国"
    route = graph.nodes["kgid:t-route-cloud"]
    assert route["claim"] is True and route["class"] == "ckg:AccessRoute"
    assert route["status"] == "confirmed" and route["status_iri"] == "ckg:confirmed"
    assert route["validFrom"] == "2023-01-01"
    assert route["open"] is True
    assert route["kind_iri"] == "ckg:CloudPartner"
    assert route["sources"] == [
        {
            "id": "kgid:t-source",
            "title": "Test report",
            "date": "2024-05-01",
            "url": "https://example.org/report",
        }
    ]
    block = graph.nodes["kgid:t-block"]
    assert block["statedOn"] == "2024-04-01" and block["validFrom"] == "2024-04-15"


def test_sources_can_be_nodes(tiny: KnowledgeGraph) -> None:
    graph = to_networkx(tiny, sources=True)
    assert graph.nodes["kgid:t-source"]["class"] == "ckg:Source"
    assert graph.has_edge("kgid:t-block", "kgid:t-source", key="prov:wasDerivedFrom")


def test_collapse_turns_claims_into_labelled_edges(tiny: KnowledgeGraph) -> None:
    full = to_networkx(tiny)
    graph = to_networkx(tiny, collapse=True)
    claims = {n for n, d in full.nodes(data=True) if d["claim"]}
    assert claims and not any(d["claim"] for _, d in graph.nodes(data=True))
    assert set(graph) == set(full) - claims
    route = graph.edges["kgid:t-model", "kgid:t-market", "kgid:t-route-cloud"]
    assert route["label"] == "via CloudCo AI"
    assert route["status"] == "confirmed" and route["validFrom"] == "2023-01-01"
    assert route["sources"][0]["url"] == "https://example.org/report"
    assert route["claim"] == "kgid:t-route-cloud" and route["directed"] is True
    assert any("depends on" in r for r in route["related"])
    deal = graph.get_edge_data("kgid:t-cloud", "kgid:t-dev", key="kgid:t-partnership")
    assert deal is not None and deal["directed"] is False
    assert deal["label"] == full.nodes["kgid:t-partnership"]["kind"]
    # entity-to-entity edges are untouched
    assert graph.has_edge("kgid:t-model", "kgid:t-dev", key="ckg:developer")


def test_claim_without_rule_stays_a_node(tiny: KnowledgeGraph) -> None:
    full = to_networkx(tiny)
    only_routes = [CollapseRule(cls="ckg:AccessRoute", frm=("ckg:model",), to=("ckg:market",))]
    graph = collapse_claims(full, only_routes)
    assert "kgid:t-partnership" in graph and "kgid:t-route-cloud" not in graph


def test_bad_rules_file_is_an_input_error(tmp_path: Path) -> None:
    bad = tmp_path / "rules.toml"
    bad.write_text('[[rule]]\nclass = "ckg:AccessRoute"\n', encoding="utf-8")
    with pytest.raises(InputError, match="rule 1"):
        load_rules(bad)


def test_graphml_round_trip(tiny: KnowledgeGraph, tmp_path: Path) -> None:
    for collapse in (False, True):
        graph = to_networkx(tiny, collapse=collapse)
        path = write_graphml(graph, tmp_path / f"g{collapse}.graphml")
        back = nx.read_graphml(path, force_multigraph=True)
        assert set(back) == set(graph)
        assert back.number_of_edges() == graph.number_of_edges()
        assert back.is_directed()
        for n, d in graph.nodes(data=True):
            assert back.nodes[n]["label"] == d["label"]
            assert back.nodes[n]["class"] == d["class"]
            if d.get("sources"):
                assert back.nodes[n]["source_urls"] == " ".join(
                    s["url"] for s in d["sources"] if s.get("url")
                )
                assert d["sources"][0]["title"] in back.nodes[n]["sources"]
            if "open" in d:
                assert back.nodes[n]["open"] is d["open"]
        labels = sorted(d["label"] for *_, d in graph.edges(data=True))
        assert sorted(d["label"] for *_, d in back.edges(data=True)) == labels


# --------------------------------------------------------------------------- selections


def test_market_selection(view_kg: KnowledgeGraph) -> None:
    graph = to_networkx(view_kg)
    cn = set(select(graph, Selection(market="cn")))
    routes_into_cn = {
        a for a, b, k in graph.edges(keys=True) if k == "ckg:market" and b == "kgid:v-cn"
    }
    assert routes_into_cn <= cn
    # models, services, sellers, operators, partnerships the routes depend on, blockers
    assert {
        "kgid:v-model",
        "kgid:v-svc",
        "kgid:v-op",
        "kgid:v-p1",
        "kgid:v-p2",
        "kgid:v-block",
        "kgid:v-cloud",
    } <= cn
    # the route into another market and an unrelated deal stay out
    assert not {"kgid:v-r4", "kgid:v-deal", "kgid:v-other"} & cn


def test_provider_around_class_selections(view_kg: KnowledgeGraph) -> None:
    graph = to_networkx(view_kg)
    cloud = set(select(graph, Selection(provider="v-cloud")))
    assert {"kgid:v-svc", "kgid:v-svc-intl", "kgid:v-p1", "kgid:v-r1", "kgid:v-r2"} <= cloud
    assert "kgid:v-r3" not in cloud
    assert set(select(graph, Selection(provider="kgid:v-cloud"))) == cloud
    around = set(select(graph, Selection(around="kgid:v-op", depth=1)))
    assert around == {"kgid:v-op"} | set(graph.successors("kgid:v-op")) | set(
        graph.predecessors("kgid:v-op")
    )
    wider = set(select(graph, Selection(around="kgid:v-op", depth=2)))
    assert around < wider
    blocks = set(select(graph, Selection(classes=("ckg:Restriction",))))
    assert blocks == {"kgid:v-block"} | set(graph.successors("kgid:v-block"))
    orgs = set(select(graph, Selection(classes=("Organization",))))
    assert {"kgid:v-dev", "kgid:v-cloud", "kgid:v-op", "kgid:v-other"} <= orgs


def test_bad_selections_are_input_errors(view_kg: KnowledgeGraph) -> None:
    graph = to_networkx(view_kg)
    with pytest.raises(InputError, match=r"unknown market 'XX' \(known: kgid:v-cn \(Mainland "
                                         r"China, CN\), kgid:v-sg \(Singapore, SG\)\)"):
        select(graph, Selection(market="XX"))
    with pytest.raises(InputError, match="unknown organization 'nobody'"):
        select(graph, Selection(provider="nobody"))
    with pytest.raises(InputError, match="unknown class"):
        select(graph, Selection(classes=("ckg:AccessRoot",)))


def test_query_selection_construct_and_select(view_kg: KnowledgeGraph, tmp_path: Path) -> None:
    graph = to_networkx(view_kg)
    construct = tmp_path / "c.rq"
    construct.write_text(
        "PREFIX ckg: <https://w3id.org/channelkg/ontology#>\n"
        "CONSTRUCT { ?r ckg:model ?m . ?r ckg:market ?k } WHERE {\n"
        "  ?r a ckg:AccessRoute ; ckg:model ?m ; ckg:market ?k ; ckg:open true }",
        encoding="utf-8",
    )
    sub = select(graph, Selection(query=str(construct)), view_kg)
    open_routes = {
        n
        for n, d in graph.nodes(data=True)
        if d["class"] == "ckg:AccessRoute" and d.get("open") is True
    }
    assert open_routes <= set(sub)
    assert {k for *_, k in sub.edges(keys=True)} == {"ckg:model", "ckg:market"}
    assert sub.number_of_edges() == 2 * len(open_routes)
    chosen = tmp_path / "s.rq"
    chosen.write_text(
        "PREFIX ckg: <https://w3id.org/channelkg/ontology#>\n"
        "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
        "SELECT ?o ?name WHERE { ?o a ckg:Organization ; rdfs:label ?name }",
        encoding="utf-8",
    )
    orgs = select(graph, Selection(query=str(chosen)), view_kg)
    assert set(orgs) == {"kgid:v-dev", "kgid:v-cloud", "kgid:v-op", "kgid:v-other"}
    assert set(orgs.edges()) == {(a, b) for a, b in graph.edges() if a in orgs and b in orgs}


def test_selection_names() -> None:
    assert Selection(market="CN").slug() == "market-cn"
    assert Selection(provider="kgid:microsoft").slug() == "provider-microsoft"
    assert Selection(around="gpt", depth=2).slug() == "around-gpt-d2"
    assert Selection(classes=("ckg:AccessRoute",)).slug() == "class-accessroute"
    assert Selection().slug() == "all"
    assert Selection(market="../../x").slug() == "market-x"


# --------------------------------------------------------------------------- CLI


def test_export_graphml_command(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "cn.graphml"
    res = runner.invoke(
        cli, ["export-graphml", "-d", str(VIEW), "--market", "CN", "--collapse", "-o", str(out)]
    )
    assert res.exit_code == 0, res.output
    back = nx.read_graphml(out, force_multigraph=True)
    expected = collapse_claims(select(to_networkx(load([VIEW])), Selection(market="CN")))
    assert set(back) == set(expected)
    assert back.number_of_edges() == expected.number_of_edges()
    res = runner.invoke(cli, ["export-graphml", "-d", str(TINY)])
    assert res.exit_code == 0 and res.stdout.startswith("<?xml")


def test_view_command_errors_are_one_line(runner: CliRunner, tmp_path: Path) -> None:
    res = runner.invoke(
        cli, ["view", "-d", str(VIEW), "--market", "XX", "-o", str(tmp_path / "x.html")]
    )
    assert res.exit_code == 2
    assert "unknown market 'XX' (known: " in res.output
    assert "Traceback" not in res.output
    assert not (tmp_path / "x.html").exists()
    res = runner.invoke(cli, ["view", "-d", str(VIEW), "--query", str(tmp_path / "none.rq")])
    assert res.exit_code == 2 and "no such query file" in res.output
    res = runner.invoke(cli, ["view", "--all-shipped", "--market", "CN"])
    assert res.exit_code == 2


def test_both_engines_give_the_same_projection() -> None:
    a = to_networkx(load([VIEW], engine="oxigraph"))
    b = to_networkx(load([VIEW], engine="rdflib"))
    assert dict(a.nodes(data=True)) == dict(b.nodes(data=True))
    assert sorted(a.edges(keys=True, data=True)) == sorted(b.edges(keys=True, data=True))


def test_rules_are_inherited_along_subclass_of() -> None:
    """ckg:Release has no rule of its own: it uses ckg:Claim's (about -> market)."""
    from rdflib import Graph

    g = Graph().parse(TINY)
    g.parse(
        format="turtle",
        data="""
        @prefix ckg: <https://w3id.org/channelkg/ontology#> .
        @prefix kgid: <https://w3id.org/channelkg/id/> .
        kgid:t-launch a ckg:Release ; ckg:factId "T-9" ; ckg:about kgid:t-model ;
            ckg:market kgid:t-market ; ckg:status ckg:confirmed .
        kgid:t-note a ckg:Claim ; ckg:factId "T-10" ; ckg:about kgid:t-model ;
            ckg:status ckg:reported .
        """,
    )
    g.parse(str(ROOT / "ontology" / "channelkg.ttl"))
    graph = to_networkx(g, collapse=True)
    launch = graph.get_edge_data("kgid:t-model", "kgid:t-market", key="kgid:t-launch")
    assert launch is not None and launch["label"] == "T-9" and launch["status"] == "confirmed"
    assert "kgid:t-launch" not in graph
    assert "kgid:t-note" in graph  # no market: nothing to draw an edge to, stays a node


def test_reading_the_store_lazily_projects_what_rdflib_triples_project(tmp_path: Path) -> None:
    """The store is read with pyoxigraph terms (literals converted when a node is looked
    up); the projection equals the one of the same triples as rdflib terms."""
    extra = tmp_path / "extra.ttl"
    extra.write_text(
        "@prefix ckg: <https://w3id.org/channelkg/ontology#> .\n"
        "@prefix kgid: <https://w3id.org/channelkg/id/> .\n"
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
        'kgid:v-cn ckg:note "Zhongguo"@zh-latn , 3 ,\n'
        '    "2.5"^^<http://www.w3.org/2001/XMLSchema#decimal> ;\n'
        '    ckg:blank [ rdfs:label "a blank node" ] .\n',
        encoding="utf-8",
    )
    kg = load([VIEW, extra])
    from channelkg.rdf.terms import to_rdflib

    as_rdflib = [(to_rdflib(s), to_rdflib(p), to_rdflib(o)) for s, p, o in kg.ox_triples()]
    lazy, plain = to_networkx(kg), to_networkx(as_rdflib)
    assert list(lazy.nodes(data=True)) == list(plain.nodes(data=True))
    assert list(lazy.edges(keys=True, data=True)) == list(plain.edges(keys=True, data=True))
    assert lazy.graph["schema"] == plain.graph["schema"]
    assert lazy.graph["validity"] == plain.graph["validity"]
    assert lazy.nodes["kgid:v-cn"]["note"] == sorted([2.5, 3, "Zhongguo"], key=str)
    from rdflib import Literal

    from channelkg.render.network import Triples

    read = Triples.read(kg)
    assert "kgid:v-cn" in read.lits.raw  # not converted yet
    assert all(isinstance(o, Literal) for _, o in read.lits.get("kgid:v-cn", ()))
    assert "kgid:v-cn" not in read.lits.raw
