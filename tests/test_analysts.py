"""What analysts ask next: markets within markets, hosting and data flow, customers and
their routes, model versions, eligibility and grey-market routes. Each shipped query is
checked against the graph read directly (rdflib), and the shapes against bad data."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib import Graph, Literal, URIRef

from channelkg import resources
from channelkg.cli import cli
from channelkg.graph.memory import KnowledgeGraph, load
from channelkg.rdf.namespaces import CKG
from channelkg.sparql.query import query

KGID = "https://w3id.org/channelkg/id/"


@pytest.fixture(scope="module")
def kg() -> KnowledgeGraph:
    return load(resources.default_data_files())


@pytest.fixture(scope="module")
def raw() -> Graph:
    g = Graph()
    for f in resources.default_data_files():
        g.parse(f, format="turtle")
    return g


def _col(res: object, name: str) -> list[str]:
    i = res.vars.index(name)  # type: ignore[attr-defined]
    return [str(r[i]) for r in res.rows]  # type: ignore[attr-defined]


def test_unsanctioned_routes_are_exactly_the_unsanctioned(kg: KnowledgeGraph, raw: Graph) -> None:
    want = {str(r) for r in raw.subjects(CKG.sanctioned, Literal(False))}
    assert want  # the graph records grey-market routes
    got = set(_col(query(kg, "unsanctioned-routes"), "route"))
    assert got == want
    hk = set(_col(query(kg, "unsanctioned-routes", {"market": "HK"}), "route"))
    assert hk == {r for r in want if (URIRef(r), CKG.market, URIRef(KGID + "hong-kong")) in raw}
    for r in want:  # every one says it is not a sanctioned channel and how
        assert (URIRef(r), CKG.kind, CKG.Circumvention) in raw


def test_sanctioned_channels_never_list_an_unsanctioned_route(kg: KnowledgeGraph,
                                                               raw: Graph) -> None:
    for market in ("HK", "CN"):
        rows = _col(query(kg, "sanctioned-channels", {"market": market, "family": "kgid:gpt"}),
                    "route")
        assert rows  # GPT has sanctioned channels into both
        for r in rows:
            assert (URIRef(r), CKG.sanctioned, Literal(False)) not in raw
    # Claude's only open route into Hong Kong is unsanctioned: no sanctioned channel.
    assert not query(kg, "sanctioned-channels", {"market": "HK", "family": "kgid:claude"}).rows


def test_market_regions_have_sourced_statements(kg: KnowledgeGraph, raw: Graph) -> None:
    parts = {(str(s), str(o)) for s, o in raw.subject_objects(CKG.partOf)}
    assert {KGID + "hong-kong", KGID + "macau"} <= {s for s, _ in parts}
    res = query(kg, "market-regions")
    assert len(res.rows) == len(parts)
    assert set(_col(res, "status")) == {"reported"}  # an inference, never confirmed
    assert all(_col(res, "inference")) and all(_col(res, "sourceTitle"))
    # CN still names Mainland China: the state has no ISO code of its own.
    assert (URIRef(KGID + "peoples-republic-of-china"), CKG.isoCode, None) not in raw


def test_hosting_claims_are_listed_with_their_status(kg: KnowledgeGraph, raw: Graph) -> None:
    res = query(kg, "hosting-and-data-flow")
    rows = set(zip(_col(res, "route"), _col(res, "says"), _col(res, "claim"),
                   _col(res, "status"), strict=True))
    az8 = KGID + "fact-az-8"
    assert (az8, "hosted outside", az8, "confirmed") in rows
    assert (az8, "data leaves", KGID + "fact-az-9", "reported") in rows
    # The dispute shows on the seed's route: in China (disputed) and outside (reported).
    seed = {(s, st) for r, s, _, st in rows if r == KGID + "route-seed-azure-china-gpt"}
    assert ("hosted in", "disputed") in seed and ("hosted outside", "reported") in seed
    # Every claim with a hosting or data-flow property is listed for some route it bears on.
    said = {str(s) for p in (CKG.hostedOutside, CKG.dataLeaves) for s in raw.subjects(p, None)}
    cn = {s for s in said if (URIRef(s), CKG.market, URIRef(KGID + "mainland-china")) in raw}
    assert cn <= {c for _, _, c, _ in rows}


def test_customer_routes(kg: KnowledgeGraph, raw: Graph) -> None:
    res = query(kg, "customer-routes")
    customers = set(_col(res, "customerLabel"))
    assert {"ByteDance", "Ant Group", "Meituan", "Tencent"} <= customers
    via = {str(o) for o in raw.objects(None, CKG.viaRoute)}
    assert set(_col(res, "route")) == via
    assert all(_col(res, "inference"))  # the sources do not name the route: said so


def test_model_versions_cover_every_family_member(kg: KnowledgeGraph, raw: Graph) -> None:
    members = set(raw.subjects(CKG.family, None))
    res = query(kg, "model-versions")
    assert len(res.rows) == len(members)
    qwen = query(kg, "model-versions", {"family": "kgid:qwen"})
    assert set(_col(qwen, "familyLabel")) == {"Qwen"}
    assert len(qwen.rows) == len(set(raw.subjects(CKG.family, URIRef(KGID + "qwen"))))


def test_route_eligibility(kg: KnowledgeGraph, raw: Graph) -> None:
    res = query(kg, "route-eligibility")
    conditions = dict(zip(_col(res, "claim"), _col(res, "condition"), strict=True))
    assert conditions[KGID + "fact-az-14"] == "established corporate customers"
    cn = {str(s) for s in raw.subjects(CKG.eligibility, None)
          if (s, CKG.market, URIRef(KGID + "mainland-china")) in raw}
    assert set(conditions) == cn
    hk = _col(query(kg, "route-eligibility", {"market": "HK"}), "claim")
    assert hk == [KGID + "fact-az-10"]


SHAPES_CASES = {
    "a circumvention route": ("ckg:kind ckg:Circumvention ; ckg:sanctioned false", True),
    "an unknown route kind": ("ckg:kind ckg:Smuggling", False),
    "hostedOutside a service": ("ckg:kind ckg:Direct ; ckg:hostedOutside kgid:svc", False),
    "eligibility as text": ('ckg:kind ckg:Direct ; ckg:eligibility "corporate customers"', True),
}
ROUTE = """@prefix ckg: <https://w3id.org/channelkg/ontology#> .
@prefix kgid: <https://w3id.org/channelkg/id/> .
@prefix prov: <http://www.w3.org/ns/prov#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
kgid:m a ckg:Model ; rdfs:label "M"@en .
kgid:mk a ckg:Market ; rdfs:label "Mk"@en .
kgid:svc a ckg:Service ; rdfs:label "Svc"@en .
kgid:src a ckg:Source ; rdfs:label "Src"@en ; dcterms:title "Src" .
kgid:r a ckg:AccessRoute ; ckg:model kgid:m ; ckg:market kgid:mk ; ckg:service kgid:svc ;
    ckg:open true ; ckg:status ckg:reported ; rdfs:comment "A route." ;
    ckg:statedOn "2026-03-16"^^xsd:date ; prov:wasDerivedFrom kgid:src ; EXTRA .
"""


@pytest.mark.parametrize("case", sorted(SHAPES_CASES))
def test_shapes_check_the_new_properties(tmp_path: Path, runner: CliRunner, case: str) -> None:
    extra, ok = SHAPES_CASES[case]
    path = tmp_path / "route.ttl"
    path.write_text(ROUTE.replace("EXTRA", extra), encoding="utf-8")
    res = runner.invoke(cli, ["validate", str(path)])
    assert (res.exit_code == 0) is ok, res.output


def test_an_unsanctioned_route_is_a_channel_of_its_own(tmp_path: Path, raw: Graph) -> None:
    from channelkg.check.quality import run_checks

    def duplicates(*extra: Path) -> set[str]:
        found = run_checks(load([*resources.default_data_files(), *extra])).findings
        return {f"{f.focus} {f.value}" for f in found if f.rule == "duplicate-channel"}

    assert not duplicates()
    for r in raw.subjects(CKG.kind, CKG.Circumvention):
        service, market = raw.value(r, CKG.service), raw.value(r, CKG.market)
        blocked = [o for o in raw.subjects(CKG.service, service)
                   if (o, CKG.market, market) in raw and (o, CKG.open, Literal(False)) in raw]
        assert blocked  # it goes around a closed route on the same service
    # The same channel recorded as sanctioned is a duplicate of the blocked direct route.
    copy = tmp_path / "copy.ttl"
    copy.write_text(
        "@prefix ckg: <https://w3id.org/channelkg/ontology#> .\n"
        "@prefix kgid: <https://w3id.org/channelkg/id/> .\n"
        "kgid:route-copy a ckg:AccessRoute ; ckg:model kgid:gpt ; ckg:market kgid:hong-kong ;\n"
        "    ckg:service kgid:openai-api ; ckg:kind ckg:Circumvention ; ckg:open true .\n",
        encoding="utf-8")
    assert any("route-copy" in d and "route-openai-api-hk" in d for d in duplicates(copy))


def test_grey_market_routes_are_not_counted_as_access(kg: KnowledgeGraph, raw: Graph) -> None:
    """whatif and spof judge the sanctioned supply: the open circumvention route into Hong
    Kong does not keep GPT there when Microsoft's partnership with OpenAI ends."""
    from channelkg.analysis.routes import routes
    from channelkg.analysis.spof import single_points_of_failure
    from channelkg.analysis.whatif import Scenario, whatif

    grey = {str(r) for r in raw.subjects(CKG.sanctioned, Literal(False))
            if (r, CKG.market, URIRef(KGID + "hong-kong")) in raw
            and (r, CKG.model, URIRef(KGID + "gpt")) in raw}
    listed = {r.iri: r for r in routes(kg, market="HK", model="gpt").routes}
    assert grey and all(listed[g].open for g in grey)  # open, and listed by routes
    res = whatif(kg, Scenario(end=("partnership-microsoft-openai",)))
    hk = [c for c in res.changes if c.market == KGID + "hong-kong" and c.model == KGID + "gpt"]
    assert len(hk) == 1 and hk[0].before and not hk[0].after
    assert not grey & set(hk[0].before)
    [spof] = single_points_of_failure(kg, "HK", "gpt")
    assert not grey & {r.iri for r in spof.open_routes}
    assert KGID + "partnership-microsoft-openai" in {c.iri for c in spof.critical}
