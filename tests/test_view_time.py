"""What a page carries for its time slider and its claim labels (no browser)."""

from __future__ import annotations

import datetime as dt

from rdflib import Graph, URIRef

from channelkg.graph.validity import fact_dates
from channelkg.model.labels import claim_label, graph_objects, short_text
from channelkg.render.network import to_networkx
from channelkg.render.page import view_payload
from channelkg.render.page_time import selection_spans
from channelkg.render.selection import Selection, select

TTL = """
@prefix ckg: <https://w3id.org/channelkg/ontology#> .
@prefix kgid: <https://w3id.org/channelkg/id/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
kgid:cn a ckg:Market ; rdfs:label "Mainland China"@en ; ckg:isoCode "CN" .
kgid:m1 a ckg:Model ; rdfs:label "Model one"@en .
kgid:m2 a ckg:Model ; rdfs:label "Model two"@en .
kgid:r1 a ckg:AccessRoute ; rdfs:label "Model one to China via a cloud, resold"@en ;
    ckg:model kgid:m1 ; ckg:market kgid:cn ;
    ckg:validFrom "2024-03-01"^^xsd:date ; ckg:validTo "2025-01-01"^^xsd:date .
kgid:r2 a ckg:AccessRoute ; ckg:model kgid:m2 ; ckg:market kgid:cn ; ckg:factId "X-2" ;
    rdfs:comment "Model two reaches China through a partner. More text follows."@en ;
    ckg:statedOn "2023-05-02"^^xsd:date .
kgid:r3 a ckg:AccessRoute ; ckg:model kgid:m2 ; ckg:market kgid:cn ; ckg:factId "X-3" ;
    rdfs:comment "Undated."@en .
"""


def _graph() -> Graph:
    return Graph().parse(data=TTL, format="turtle")


def test_claims_are_labelled_by_what_they_say_and_their_date() -> None:
    g = _graph()
    objects = graph_objects(g)
    kgid = "https://w3id.org/channelkg/id/"
    assert claim_label(objects, URIRef(kgid + "r1")) == \
        "Model one to China via a cloud · 2024-03-01"
    assert claim_label(objects, URIRef(kgid + "r2")) == \
        "Model two reaches China through a partner · 2023-05-02"
    assert claim_label(objects, URIRef(kgid + "r3")) == "Undated."
    assert short_text("word " * 30).endswith("…") and len(short_text("word " * 30)) <= 49
    proj = to_networkx(g)
    assert proj.nodes["kgid:r2"]["label"] == \
        "Model two reaches China through a partner · 2023-05-02"
    assert proj.nodes["kgid:r1"]["full_label"] == "Model one to China via a cloud, resold"
    info = view_payload(proj)["ninfo"]
    assert "Model one to China via a cloud, resold" in [i["t"] for i in info]


def test_page_intervals_are_those_of_the_validity_rule() -> None:
    g = _graph()
    proj = to_networkx(g)
    want = {str(s).rsplit("/", 1)[-1]: d.interval() for s, d in fact_dates(g).items()}
    iso = {k: tuple(d.isoformat() if d else None for d in iv) for k, iv in want.items()}
    assert proj.graph["validity"] == {f"kgid:{k}": v for k, v in iso.items()}
    data = view_payload(proj)
    by_key = {n["key"]: n for n in data["nodes"]}
    assert (by_key["kgid:r1"]["vf"], by_key["kgid:r1"]["vt"]) == ("2024-03-01", "2025-01-01")
    assert by_key["kgid:r2"]["vf"] == "2023-05-02" and "vt" not in by_key["kgid:r2"]
    assert "vf" not in by_key["kgid:m1"] and "vf" not in by_key["kgid:r3"]
    # an edge is visible when both its ends are
    keys = {n["id"]: n["key"] for n in data["nodes"]}
    edge = next(e for e in data["edges"] if keys[e["from"]] == "kgid:r1")
    assert (edge["vf"], edge["vt"]) == ("2024-03-01", "2025-01-01")
    assert data["events"] == ["2023-05-02", "2024-03-01", "2025-01-01"]


def test_a_selection_reaches_a_node_only_while_a_visible_fact_leads_to_it() -> None:
    proj = to_networkx(_graph())
    sel = Selection(market="CN")
    chosen = select(proj, sel)
    spans = selection_spans(proj, sel, chosen)
    assert spans is not None
    # model one is reached only through r1 (2024-03-01 to 2025-01-01)
    assert spans["kgid:m1"] == [("2024-03-01", "2025-01-01")]
    # model two is reached through the undated r3 on every day: no span
    assert "kgid:m2" not in spans and "kgid:cn" not in spans
    for day in ("2024-02-29", "2024-03-01", "2024-12-31", "2025-01-01"):
        d = dt.date.fromisoformat(day)
        inside = any((a is None or a <= day) and (b is None or day < b)
                     for a, b in spans["kgid:m1"])
        hidden = {f"kgid:{k}" for k in ("r1",) if not (dt.date(2024, 3, 1) <= d
                                                         < dt.date(2025, 1, 1))}
        assert inside == ("kgid:m1" in select(proj.subgraph(set(proj) - hidden), sel))
    assert selection_spans(proj, Selection(), proj) is None
