"""The curated graph says no more than its sources (issue 12): a regression test per defect."""

from __future__ import annotations

import datetime as dt

import pytest

from channelkg.analysis.history import as_of
from channelkg.graph.memory import KnowledgeGraph
from channelkg.graph.validity import effective
from channelkg.sparql.query import query

PREFIXES = """
PREFIX ckg: <https://w3id.org/channelkg/ontology#>
PREFIX kgid: <https://w3id.org/channelkg/id/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX schema: <https://schema.org/>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
"""


def rows(kg: KnowledgeGraph, text: str) -> list[tuple[str, ...]]:
    return [tuple("" if c is None else str(c) for c in r) for r in query(kg, PREFIXES + text).rows]


def ask(kg: KnowledgeGraph, text: str) -> bool:
    return bool(query(kg, PREFIXES + text).boolean)


def short(iri: str) -> str:
    return iri.rsplit("/", 1)[-1]


# -- 1. Says more than its source ---------------------------------------------------------

def test_a_restriction_names_only_markets_its_sources_name(bundled_ox: KnowledgeGraph) -> None:
    """The Register (OAI-1's only source) names no Hong Kong; the HK block rests on OAI-6/OAI-7."""
    markets = {short(m) for (m,) in rows(bundled_ox, "SELECT ?m { kgid:fact-oai-1 ckg:market ?m }")}
    assert "hong-kong" not in markets and "mainland-china" in markets
    blocked = {short(r) for (r,) in rows(bundled_ox, "SELECT ?r { kgid:fact-oai-1 ckg:blocks ?r }")}
    assert "route-openai-api-hk" not in blocked
    # Every blocked route's market is one of the restriction's markets, for every restriction.
    stray = rows(bundled_ox, """SELECT ?x ?r ?m {
        ?x a ckg:Restriction ; ckg:blocks ?r . ?r ckg:market ?m
        FILTER NOT EXISTS { ?x ckg:market ?m } }""")
    assert stray == []
    [(src,)] = rows(bundled_ox, """SELECT (GROUP_CONCAT(STR(?s); separator=' ') AS ?src) {
        ?x ckg:blocks kgid:route-openai-api-hk ; ckg:imposedBy kgid:openai ;
           prov:wasDerivedFrom ?s }""")
    assert "source-scmp-microsoft-hong-kong" in src and "register" not in src


def test_azure_china_routes_are_sold_by_its_operator(bundled_ox: KnowledgeGraph) -> None:
    """AZ-1: Azure China is 'independently operated and transacted by' Shanghai Blue Cloud."""
    sellers = rows(bundled_ox, """SELECT DISTINCT ?r ?seller {
        ?r a ckg:AccessRoute ; ckg:service kgid:azure-china ; ckg:open true ;
           ckg:seller ?seller }""")
    assert sellers
    assert {short(s) for _, s in sellers} == {"shanghai-blue-cloud"}


def test_a_dependency_the_seed_does_not_name_says_it_is_inferred(
    bundled_ox: KnowledgeGraph,
) -> None:
    [(note,)] = rows(bundled_ox, """SELECT ?n {
        ?r prov:wasDerivedFrom kgid:source-seed ;
           ckg:dependsOn kgid:partnership-microsoft-21vianet ; ckg:inference ?n }""")
    assert "inferred" in note and "21Vianet" in note


def _visible_from(kg: KnowledgeGraph, node: str) -> dt.date:
    """The first day ``--as-of`` shows the node: its validFrom, else its statedOn, taken at
    its date precision (a June date counts from July 1)."""
    [(d, precision)] = rows(kg, f"SELECT (COALESCE(?v, ?s) AS ?d) ?p {{"
                                f" OPTIONAL {{ kgid:{node} ckg:validFrom ?v }}"
                                f" OPTIONAL {{ kgid:{node} ckg:statedOn ?s }}"
                                f" OPTIONAL {{ kgid:{node} ckg:datePrecision ?p }} }}")
    day = effective(dt.date.fromisoformat(d), precision or "day")
    assert day is not None
    return day


@pytest.mark.parametrize("node", [
    "partnership-microsoft-openai", "route-openai-api-hk", "fact-az-10", "restriction-openai-hk"])
def test_nothing_resting_on_the_openai_notice_predates_it(
    bundled_ox: KnowledgeGraph, node: str
) -> None:
    """The June 2024 SCMP report postdates OpenAI's 2024-06-25 notice: nothing resting on it
    is visible before the notice, and none claims a day the month-only report does not give."""
    [(notice,)] = rows(bundled_ox, "SELECT ?s { kgid:fact-oai-1 ckg:statedOn ?s }")
    assert notice == "2024-06-25"
    assert _visible_from(bundled_ox, node) >= dt.date.fromisoformat(notice)
    [(basis,)] = rows(bundled_ox, f"SELECT ?b {{ kgid:{node} ckg:dateBasis ?b }}")
    assert "2024-06-25" in basis
    [(precision,)] = rows(bundled_ox, f"SELECT ?p {{ kgid:{node} ckg:datePrecision ?p }}")
    assert precision == "month"
    seen = f"ASK {{ kgid:{node} ckg:status ?s }}"
    assert not ask(as_of(bundled_ox, "2024-06-30"), seen)
    assert ask(as_of(bundled_ox, "2024-07-01"), seen)


def test_art_20_applies_from_the_day_the_measures_took_effect(bundled_ox: KnowledgeGraph) -> None:
    """REG-1: issued 2023-07-13, effective 2023-08-15; REG-3 summarises its Art. 20."""
    seen = "ASK { kgid:fact-reg-3 ckg:status ?s }"
    assert not ask(as_of(bundled_ox, "2023-08-14"), seen)
    assert ask(as_of(bundled_ox, "2023-08-15"), seen)
    [(inference,)] = rows(bundled_ox, "SELECT ?i { kgid:fact-reg-3 ckg:inference ?i }")
    assert "REG-1" in inference


def test_a_count_is_stated_on_the_day_it_was_announced(bundled_ox: KnowledgeGraph) -> None:
    """REG-5: the count is as of 2025-03-31, announced with REG-6 on 2025-04-08."""
    [(stated, since)] = rows(bundled_ox, "SELECT ?s ?v { kgid:fact-reg-5 ckg:statedOn ?s ;"
                                         " ckg:validFrom ?v }")
    [(announced,)] = rows(bundled_ox, "SELECT ?s { kgid:fact-reg-6 ckg:statedOn ?s }")
    assert (stated, since) == (announced, "2025-03-31")
    seen = "ASK { kgid:fact-reg-5 ckg:status ?s }"
    assert not ask(as_of(bundled_ox, "2025-04-07", known=True), seen)
    assert ask(as_of(bundled_ox, "2025-04-08", known=True), seen)


def test_the_undated_seed_has_no_publication_date(bundled_ox: KnowledgeGraph) -> None:
    """The seed gives only the day the move was first reported: its claims say so, and the
    source carries no dcterms:date."""
    assert rows(bundled_ox, "SELECT ?d { kgid:source-seed dcterms:date ?d }") == []
    bases = rows(bundled_ox, """SELECT ?c ?b {
        ?c prov:wasDerivedFrom kgid:source-seed ; ckg:statedOn '2026-06-18'^^xsd:date
        OPTIONAL { ?c ckg:dateBasis ?b } }""")
    assert len(bases) >= 15
    assert [c for c, b in bases if "first reported on 2026-06-18" not in b] == []


def test_a_claim_is_not_dated_before_its_named_source(bundled_ox: KnowledgeGraph) -> None:
    """AZ-12's only source is the Techmeme page of 2026-06-18, not Bloomberg's of 2026-06-17."""
    [(stated, published)] = rows(bundled_ox, """SELECT ?s ?d { kgid:fact-az-12 ckg:statedOn ?s ;
        prov:wasDerivedFrom ?src . ?src dcterms:date ?d }""")
    assert stated == published == "2026-06-18"


def test_an_inference_is_marked_where_the_ontology_puts_it(bundled_ox: KnowledgeGraph) -> None:
    """A claim whose status note says part of it is inferred carries ckg:inference."""
    unmarked = rows(bundled_ox, """SELECT ?c { ?c ckg:statusNote ?n
        FILTER(REGEX(?n, "infer", "i"))
        OPTIONAL { ?c ckg:inference ?i } FILTER(!BOUND(?i)) }""")
    assert unmarked == []


@pytest.mark.parametrize(("node", "fact"), [
    ("route-deepseek-v3-self-hosted-cn", "CN-8"), ("route-kimi-k2-self-hosted-cn", "CN-13"),
    ("fact-oth-3", "OTH-3"), ("fact-az-16", "AZ-16"), ("fact-oai-1", "OAI-1")])
def test_what_a_source_does_not_say_is_an_inference(
    bundled_ox: KnowledgeGraph, node: str, fact: str
) -> None:
    """CN-8 and CN-13 say nothing of users in China; OTH-3 says only 'OpenAI-backed'; AZ-16
    does not say which Azure; OAI-1's notice names no market (OAI-3 does)."""
    [(got, inference)] = rows(bundled_ox, f"SELECT ?f ?i {{ kgid:{node} ckg:factId ?f ;"
                                          f" ckg:inference ?i }}")
    assert fact in got or got.startswith("DER-")
    assert "inferred" in inference or "OAI-3" in inference


def test_an_azure_china_route_is_sold_by_its_operator_even_when_closed(
    bundled_ox: KnowledgeGraph,
) -> None:
    """AZ-16 follows AZ-1 like the open Azure China routes: its seller is the operator."""
    sellers = {short(s) for (s,) in rows(bundled_ox, """SELECT DISTINCT ?s {
        ?r a ckg:AccessRoute ; ckg:service kgid:azure-china ; ckg:seller ?s }""")}
    assert sellers == {"shanghai-blue-cloud"}


def test_no_text_ends_in_a_double_full_stop(bundled_ox: KnowledgeGraph) -> None:
    assert rows(bundled_ox, """SELECT ?s { ?s rdfs:comment|rdfs:label ?c
        FILTER(REGEX(STR(?c), "[.][.]$")) }""") == []


def test_a_service_is_named_as_its_sources_name_it(bundled_ox: KnowledgeGraph) -> None:
    """OAI-9 names only Alibaba Cloud: no source gives "Model Studio"."""
    [(label,)] = rows(bundled_ox, "SELECT ?l { kgid:alibaba-model-studio rdfs:label ?l }")
    assert label == "Alibaba Cloud (Qwen API)"
    assert rows(bundled_ox, """SELECT ?s { ?s rdfs:label|skos:altLabel|rdfs:comment ?l
        FILTER(CONTAINS(STR(?l), "Model Studio")) }""") == []


def test_a_reading_wider_than_its_sources_says_so(bundled_ox: KnowledgeGraph) -> None:
    """The Llama licence rests on the Llama 3 licence (OW-1, OW-2), but is stated of the
    whole family; the Bard restriction is confirmed, but its end rests on reported GOO-6;
    CN-10 does not name DeepSeek-V3, so V3's licence is not ended, and its note says why."""
    [(inference,)] = rows(bundled_ox, """SELECT ?i { ?f rdf:subject kgid:llama ;
        rdf:predicate ckg:licence ; ckg:inference ?i }""")
    assert "Llama 3" in inference and "inferred" in inference
    [(note,)] = rows(bundled_ox, "SELECT ?n { kgid:restriction-google-bard-hk-2023"
                                 " ckg:statusNote ?n }")
    assert "GOO-6" in note and "reported" in note
    [(v3,)] = rows(bundled_ox, "SELECT ?n { kgid:stmt-deepseek-v3-licence ckg:statusNote ?n }")
    assert "CN-10" in v3
    assert rows(bundled_ox, "SELECT ?e { kgid:stmt-deepseek-v3-licence ckg:validTo ?e }") == []


def test_gemini_china_block_rests_on_googles_undated_list(bundled_ox: KnowledgeGraph) -> None:
    """Dated from a 2026 tutorial, the block was invisible in every earlier --as-of."""
    dates = "SELECT ?d { kgid:route-gemini-api-cn ckg:statedOn|ckg:validFrom ?d }"
    assert rows(bundled_ox, dates) == []
    assert ask(bundled_ox, """ASK { kgid:route-gemini-api-cn ckg:snapshot true ;
        ckg:status ckg:confirmedAbsence ;
        prov:wasDerivedFrom kgid:source-gemini-available-regions }""")
    early = as_of(bundled_ox, "2024-01-01")
    assert ask(early, "ASK { kgid:route-gemini-api-cn ckg:open false }")


def test_an_example_is_not_stored_as_a_hosting_location(bundled_ox: KnowledgeGraph) -> None:
    """AZ-14 says 'outside China, such as Singapore': no definite hostedIn Singapore."""
    assert rows(bundled_ox, "SELECT ?x { ?x ckg:hostedIn kgid:singapore }") == []
    assert ask(bundled_ox, "ASK { kgid:fact-az-14 ckg:about kgid:singapore }")


# -- 2. Rows ------------------------------------------------------------------------------

def test_superseded_and_disputed_claims_keep_the_status_their_sources_give(
    bundled_ox: KnowledgeGraph,
) -> None:
    later = rows(bundled_ox, """SELECT ?c ?own { ?c ckg:status ?s
        VALUES ?s { ckg:superseded ckg:disputed } OPTIONAL { ?c ckg:sourceStatus ?own } }""")
    assert later
    assert [c for c, own in later if not own] == []
    [(own,)] = rows(bundled_ox, "SELECT ?o { kgid:fact-exp-6 ckg:sourceStatus ?o }")
    assert own.endswith("#confirmed")  # the fact list's status; EXP-7 supersedes it
    assert ask(bundled_ox, "ASK { kgid:fact-exp-6 ckg:supersededBy kgid:fact-exp-7 ;"
                           " ckg:validTo '2025-05-13'^^xsd:date }")


@pytest.mark.parametrize(("fact", "qualifier"), [
    ("ANT-7", "the original page is not in the store"),
    ("OW-2", "licence text seen in a code-index copy; the HF page excerpt shows only the header"),
])
def test_status_qualifiers_are_the_fact_lists_words(
    bundled_ox: KnowledgeGraph, fact: str, qualifier: str
) -> None:
    [(note,)] = rows(bundled_ox, f"SELECT ?n {{ ?c ckg:factId '{fact}' ; ckg:statusNote ?n }}")
    assert note == qualifier


def test_a_licence_term_cites_the_licence_text(bundled_ox: KnowledgeGraph) -> None:
    titles = {t for (t,) in rows(bundled_ox, """SELECT ?t {
        kgid:fact-ow-2 prov:wasDerivedFrom ?s . ?s dcterms:title ?t }""")}
    assert "Meta Llama 3 Community License text" in titles


def test_a_fiscal_year_figure_stores_its_period(bundled_ox: KnowledgeGraph) -> None:
    [(start, end, quote)] = rows(bundled_ox, """SELECT ?a ?b ?q {
        kgid:fact-az-17 ckg:periodStart ?a ; ckg:periodEnd ?b ; ckg:quote ?q }""")
    assert "fiscal year ending June 2025" in quote
    assert (start, end) == ("2024-07-01", "2025-06-30")


def test_a_date_names_the_source_that_gives_it(bundled_ox: KnowledgeGraph) -> None:
    """CN-11's 2025-07-28 is apxml.com's, not the README's."""
    dated = rows(bundled_ox, """SELECT ?c ?pub {
        ?c ckg:validFrom '2025-07-28'^^xsd:date ; ckg:dateBasis ?b ;
           prov:wasDerivedFrom ?s . ?s dcterms:publisher ?pub
        FILTER(CONTAINS(?b, 'apxml.com')) }""")
    assert {short(c) for c, pub in dated if pub == "apxml.com"} >= {
        "fact-cn-11", "route-glm-4-5-bigmodel-cn", "route-glm-4-5-self-hosted-cn"}


# -- 3. Seed ------------------------------------------------------------------------------

def test_seed_disputes_stay_marked_and_reported(bundled_ox: KnowledgeGraph) -> None:
    """SEED-2 and SEED-6 are disputed, and a query for reported claims still finds them."""
    reported = {i for (i,) in rows(bundled_ox, """SELECT ?i {
        ?c ckg:factId ?i ; ckg:status|ckg:sourceStatus ckg:reported }""")}
    disputed = {i for (i,) in rows(bundled_ox, """SELECT ?i {
        ?c ckg:factId ?i ; ckg:status ckg:disputed ; ckg:conflictsWith ?o }""")}
    assert {"SEED-2", "SEED-6"} <= reported & disputed


@pytest.mark.parametrize(("seed", "others"), [
    ("fact-seed-9", {"fact-az-3"}),
    ("fact-seed-1", {"fact-az-1", "fact-az-7", "fact-az-8", "fact-az-11"}),
])
def test_seed_conflicts_are_linked_both_ways(
    bundled_ox: KnowledgeGraph, seed: str, others: set[str]
) -> None:
    fwd = f"SELECT ?o {{ kgid:{seed} ckg:conflictsWith ?o }}"
    rev = f"SELECT ?o {{ ?o ckg:conflictsWith kgid:{seed} }}"
    out = {short(o) for (o,) in rows(bundled_ox, fwd)}
    back = {short(o) for (o,) in rows(bundled_ox, rev)}
    assert others <= out and others <= back


@pytest.mark.parametrize("phrase", [
    "without direct OpenAI branding",
    "Microsoft gains revenue from a large market while competitors stay out."])
def test_seed_phrases_are_claims_of_the_seed(bundled_ox: KnowledgeGraph, phrase: str) -> None:
    assert ask(bundled_ox, f"""ASK {{ ?c ckg:quote "{phrase}" ; ckg:status ckg:reported ;
        prov:wasDerivedFrom kgid:source-seed ; ckg:factId ?i }}""")


# -- 4. Unsourced entity facts ------------------------------------------------------------

ENTITY_PROPS = ("ckg:releaseDate ckg:licence ckg:openWeights ckg:servesMarket ckg:operator"
                " ckg:hostedIn ckg:subsidiaryOf")


def test_every_entity_fact_has_a_source_a_status_and_a_date(bundled_ox: KnowledgeGraph) -> None:
    facts = rows(bundled_ox, f"""SELECT ?s ?p ?o (COUNT(DISTINCT ?f) AS ?n) {{
        VALUES ?p {{ {ENTITY_PROPS} }} ?s ?p ?o
        FILTER NOT EXISTS {{ ?s a/rdfs:subClassOf* ckg:Claim }}
        OPTIONAL {{ ?f a ckg:EntityFact ; rdf:subject ?s ; rdf:predicate ?p ; rdf:object ?o ;
                    ckg:status ?st ; prov:wasDerivedFrom/dcterms:title ?t ;
                    ckg:statedOn|ckg:validFrom|ckg:snapshot ?d }}
    }} GROUP BY ?s ?p ?o""")
    assert len(facts) >= 55
    assert [(s, p, o) for s, p, o, n in facts if n != "1"] == []


def test_azure_china_hosting_does_not_take_the_seeds_side(bundled_ox: KnowledgeGraph) -> None:
    [(status, note)] = rows(bundled_ox, """
        SELECT ?s ?n { ?f rdf:subject kgid:azure-china ; rdf:predicate ckg:hostedIn ;
                        rdf:object kgid:mainland-china ; ckg:status ?s ; ckg:statusNote ?n }""")
    assert status.endswith("#confirmed") and "AZ-1" in note
    assert "disputed" in note and "SEED-2" in note and "AZ-8" in note


@pytest.mark.parametrize(("name", "pairs"), [
    ("open-weight-models", [("modelLabel", "openWeightsStatus"), ("licence", "licenceStatus"),
                            ("releaseDate", "releaseDateStatus")]),
    ("local-operators", [("operatorLabel", "operatorStatus"), ("parentLabel", "parentStatus"),
                         ("marketLabel", "marketStatus")]),
])
def test_entity_fact_queries_show_the_status(
    bundled_ox: KnowledgeGraph, name: str, pairs: list[tuple[str, str]]
) -> None:
    res = query(bundled_ox, name)
    statuses = []
    for row in res.rows:
        cell = dict(zip(res.vars, row, strict=True))
        for value, status in pairs:
            assert (cell[value] is None) == (cell[status] is None), (name, row)
            statuses.append(str(cell[status]))
    assert "reported" in statuses and "confirmed" in statuses


def test_reported_rows_print_as_reported_in_open_weight_models(bundled_ox: KnowledgeGraph) -> None:
    """Kimi K2's open weights rest on CN-13 (reported); its licence text on CN-14 (confirmed)."""
    res = query(bundled_ox, "open-weight-models")
    kimi = next(dict(zip(res.vars, r, strict=True)) for r in res.rows if str(r[0]) == "Kimi K2")
    assert (str(kimi["openWeightsStatus"]), str(kimi["licenceStatus"])) == ("reported", "confirmed")


# -- 5. Duplicate channels ----------------------------------------------------------------

def test_one_channel_is_one_route_node(bundled_ox: KnowledgeGraph) -> None:
    """Routes with the same model, market, service and state are one channel."""
    dups = rows(bundled_ox, """SELECT ?model ?m ?svc ?open (COUNT(DISTINCT ?r) AS ?n) {
        ?r a ckg:AccessRoute ; ckg:model ?model ; ckg:market ?m ; ckg:service ?svc ;
           ckg:open ?open }
        GROUP BY ?model ?m ?svc ?open HAVING (COUNT(DISTINCT ?r) > 1)""")
    assert dups == []
    # The merged channels keep every source: AZ-7 and the seed on the Azure China route.
    srcs = {short(s) for (s,) in rows(bundled_ox, """SELECT ?s {
        kgid:route-seed-azure-china-gpt prov:wasDerivedFrom ?s }""")}
    assert {"source-seed", "source-tomshardware-azure-china-loophole"} <= srcs
    for row, route in (("fact-az-7", "route-seed-azure-china-gpt"), ("fact-az-14", "fact-az-8")):
        assert ask(bundled_ox, f"ASK {{ kgid:{row} ckg:corroborates kgid:{route} }}")
        assert not ask(bundled_ox, f"ASK {{ kgid:{row} a ckg:AccessRoute }}")


def _channels(kg: KnowledgeGraph, market: str) -> dict[str, dict[str, bool]]:
    """model label -> {channel -> open}, computed in Python: a channel is a route node or the
    route nodes ckg:sameChannelAs links join (either way), open when any is."""
    links = rows(kg, "SELECT ?a ?b { ?a ckg:sameChannelAs ?b }")
    parent: dict[str, str] = {}

    def root(x: str) -> str:
        while parent.get(x, x) != x:
            x = parent[x]
        return x

    for a, b in links:
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    out: dict[str, dict[str, bool]] = {}
    for r, label, is_open in rows(kg, f"""SELECT ?r ?l ?o {{
            ?r a ckg:AccessRoute ; ckg:market kgid:{market} ; ckg:model ?mo ; ckg:open ?o .
            ?mo rdfs:label ?l FILTER(lang(?l) = 'en') }}"""):
        by = out.setdefault(label, {})
        by[root(r)] = by.get(root(r), False) or is_open == "true"
    return out


def test_model_availability_counts_distinct_channels(bundled_ox: KnowledgeGraph) -> None:
    res = query(bundled_ox, "model-availability", {"market": "CN"})
    got = {str(r[0]): (int(r[1]), int(r[2])) for r in res.rows}
    want = {label: (sum(c.values()), sum(not o for o in c.values()))
            for label, c in _channels(bundled_ox, "mainland-china").items()}
    assert got == want
    # The link matters: counted by route node, GPT would have one more open route.
    [(nodes,)] = rows(bundled_ox, """SELECT (COUNT(DISTINCT ?r) AS ?n) {
        ?r a ckg:AccessRoute ; ckg:market kgid:mainland-china ; ckg:model kgid:gpt ;
           ckg:open true }""")
    assert got["OpenAI GPT models"][0] == int(nodes) - 1


def test_the_two_azure_accounts_of_gpt_are_one_channel(bundled_ox: KnowledgeGraph) -> None:
    """AZ-9 ties AZ-7's Azure China route to AZ-8's Azure OpenAI route; the link is an
    inference, reported, with its sources, and never dated before AZ-9's page."""
    for a, b in (("route-seed-azure-china-gpt", "fact-az-8"),
                 ("fact-az-8", "route-seed-azure-china-gpt")):
        assert ask(bundled_ox, f"ASK {{ kgid:{a} ckg:sameChannelAs kgid:{b} }}")
    [(stmt, why, status, stated, src_date)] = rows(bundled_ox, """SELECT ?st ?why ?s ?d ?sd {
        ?st rdf:predicate ckg:sameChannelAs ; rdf:subject kgid:route-seed-azure-china-gpt ;
            rdf:object kgid:fact-az-8 ; ckg:inference ?why ; ckg:status ?s ; ckg:statedOn ?d ;
            prov:wasDerivedFrom kgid:source-qq-information-translation .
        kgid:source-qq-information-translation dcterms:date ?sd }""")
    assert status.endswith("#reported") and stated >= src_date
    assert all(f"AZ-{n}" in why for n in (9, 1, 8)) and "inferred" in why
    # Each account keeps its own seller and service (the sources disagree on them).
    sellers = {short(r): short(s) for r, s in rows(bundled_ox, """SELECT ?r ?s {
        ?r ckg:sameChannelAs ?o ; ckg:seller ?s }""")}
    assert sellers == {"route-seed-azure-china-gpt": "shanghai-blue-cloud",
                       "fact-az-8": "microsoft"}


def test_the_brief_counts_distinct_channels(bundled_ox: KnowledgeGraph) -> None:
    from channelkg.render.brief import build_report
    md = build_report(bundled_ox, market="CN").to_markdown()
    gpt = _channels(bundled_ox, "mainland-china")["OpenAI GPT models"]
    n = sum(gpt.values())
    assert f"OpenAI GPT models → Mainland China: {n} open route{'s' * (n != 1)} " in md
    opened = sum(sum(c.values()) for c in _channels(bundled_ox, "mainland-china").values())
    assert f"\n{opened} open and " in md


# -- 6. Queries ---------------------------------------------------------------------------

def test_status_summary_totals_equal_the_number_of_claims(bundled_ox: KnowledgeGraph) -> None:
    res = query(bundled_ox, "status-summary")
    total = sum(int(r[2]) for r in res.rows)
    [(n,)] = rows(bundled_ox,
                  "SELECT (COUNT(DISTINCT ?c) AS ?n) { ?c a/rdfs:subClassOf* ckg:Claim }")
    assert total == int(n)
    statuses = {str(r[1]) for r in res.rows}
    assert {"confirmed", "confirmed (absence)", "reported", "disputed", "superseded"} <= statuses


def test_timeline_keeps_dated_plain_claims(bundled_ox: KnowledgeGraph) -> None:
    res = query(bundled_ox, "timeline")
    col = res.vars.index("claim")
    listed = {short(str(r[col])) for r in res.rows}
    dated_plain = {short(c) for (c,) in rows(bundled_ox, """SELECT ?c {
        ?c a ckg:Claim ; ckg:factId ?i ; ckg:statedOn|ckg:validFrom ?d }""")}
    assert dated_plain and dated_plain <= listed
    assert {"fact-oai-8", "fact-seed-2"} <= listed


def test_disputed_claims_has_its_source_column(bundled_ox: KnowledgeGraph) -> None:
    res = query(bundled_ox, "disputed-claims")
    assert "sources" in res.vars and "sourceStatus" in res.vars
    by = {(short(str(r[0])), short(str(r[res.vars.index("conflictsWith")]))):
          dict(zip(res.vars, r, strict=True)) for r in res.rows}
    seed2 = by[("fact-seed-2", "fact-az-8")]
    assert str(seed2["sources"]) == "Microsoft Sells OpenAI Models in China"
    assert (str(seed2["status"]), str(seed2["sourceStatus"])) == ("disputed", "reported")
    assert all(r[res.vars.index("sources")] for r in res.rows)


def test_china_restrictions_include_the_zhipu_listing(bundled_ox: KnowledgeGraph) -> None:
    res = query(bundled_ox, "restrictions", {"market": "CN"})
    assert "fact-exp-5" in {short(str(r[0])) for r in res.rows}
    inferred = rows(bundled_ox, """SELECT ?r {
        ?r a ckg:Restriction ; ckg:market ?m ; ckg:inference ?n
        FILTER(CONTAINS(?n, 'market is inferred')) }""")
    assert {short(r) for (r,) in inferred} >= {"fact-exp-5"}


def test_parallel_provisions_name_the_same_issuer(bundled_ox: KnowledgeGraph) -> None:
    """REG-8 (algorithmic recommendation) and REG-9 (deep synthesis) are both CAC rules."""
    by = dict(rows(bundled_ox, """SELECT ?i ?by { ?r ckg:factId ?i ; ckg:imposedBy ?by
        VALUES ?i { 'REG-8' 'REG-9' } }"""))
    assert short(by["REG-8"]) == short(by["REG-9"]) == "cac"
    assert ask(bundled_ox, """ASK { kgid:fact-reg-8 prov:wasDerivedFrom ?s .
        ?s schema:url ?u FILTER(CONTAINS(STR(?u), 'saidot')) }""")


# -- 7. Sources and labels ----------------------------------------------------------------

#: The copies that were read, as the fact sheet gives their addresses (GOO-4, AZ-8, AWS-8,
#: CN-11, CN-8, CN-17, AZ-7).
READ_COPIES = {
    "source-android-studio-gemini-availability":
        "https://developer.android.google.cn/studio/gemini/availability",
    "source-computerworld-azure-china": "https://gamestartup.netlify.app/host-https-www."
        "computerworld.com/article/2515144/openai-models-still-available-in-china-via-azure-"
        "cloud-despite-company-ban.html",
    "source-github-gateway-china-regions": "https://hy2-jp.xxoo.xxx/aws-solutions-library-"
        "samples/guidance-for-multi-provider-generative-ai-gateway-on-aws/issues/138",
    "source-glm-4-5-readme": "http://krarm.kinzhi.net/zai-org/GLM-4.5",
    "source-redlib-deepseek-v3": "https://redlib.ssps.io/r/LocalLLaMA/comments/1hmmtt3/"
        "deepseek_v3_is_officially_released_code_paper/m3vc977/?context=3",
    "source-seed-oss-model-card":
        "https://hf-mirror.492719920.workers.dev/ByteDance-Seed/Seed-OSS-36B-Base-woSyn",
    "source-tomshardware-azure-china-loophole": "https://gamecytus.netlify.app/host-https-www."
        "tomshardware.com/tech-industry/artificial-intelligence/microsoft-azure-china-offers-"
        "chinese-businesses-a-loophole-to-openais-departure",
}


@pytest.mark.parametrize(("source", "url"), sorted(READ_COPIES.items()))
def test_a_source_url_is_the_copy_that_was_read(
    bundled_ox: KnowledgeGraph, source: str, url: str
) -> None:
    """schema:url is the address the fact sheet gives; the original's address is only
    presumed from the mirror's, so it is kept apart (rdfs:seeAlso on the original) and
    says that it was not read."""
    assert rows(bundled_ox, f"SELECT ?u {{ kgid:{source} schema:url ?u }}") == [(url,)]
    assert rows(bundled_ox, f"SELECT ?a {{ kgid:{source} schema:archivedAt ?a }}") == []
    [(original, address, note)] = rows(bundled_ox, f"""SELECT ?o ?a ?c {{
        kgid:{source} prov:wasDerivedFrom ?o . ?o a ckg:Source ; rdfs:seeAlso ?a ;
        rdfs:comment ?c }}""")
    assert address != url and "presumed" in note and "not read" in note
    assert rows(bundled_ox, f"SELECT ?u {{ <{original}> schema:url ?u }}") == []
    [(comment,)] = rows(bundled_ox, f"SELECT ?c {{ kgid:{source} rdfs:comment ?c }}")
    assert "same list" not in comment


@pytest.mark.parametrize(("entity", "label", "fact"), [
    ("alibaba", "阿里", "CN-6"),
    ("gemini-in-android-studio", "Android Studio 中的 Gemini", "GOO-4"),
    ("bytedance", "字节跳动", "CN-15"), ("ernie-bot", "文心一言", "CN-1"),
    ("21vianet", "世纪互联", "DER-CLAIM-21VIANET-CHINESE-NAME"),
    ("microsoft", "微软", "DER-CLAIM-MICROSOFT-CHINESE-NAME"),
    ("doubao", "豆包", "DER-CLAIM-DOUBAO-CHINESE-NAME")])
def test_chinese_names_are_quoted_by_a_source(
    bundled_ox: KnowledgeGraph, entity: str, label: str, fact: str
) -> None:
    assert ask(bundled_ox, f"""ASK {{ kgid:{entity} rdfs:label|skos:altLabel "{label}"@zh .
        ?c ckg:factId '{fact}' ; ckg:quote|rdfs:comment ?q
        FILTER(CONTAINS(STR(?q), "{label}")) }}""")


# -- 7. Refusals over time ----------------------------------------------------------------

def _refusers(kg: KnowledgeGraph, market: str) -> set[str]:
    return {str(r[0]) for r in query(kg, "provider-refusals", {"market": market}).rows}


def test_refusals_before_the_2024_block(bundled_ox: KnowledgeGraph) -> None:
    """OAI-8 (2023) and the undated supported-country lists answer for early dates."""
    early = as_of(bundled_ox, "2024-01-01")
    assert _refusers(early, "CN") == {"OpenAI", "Anthropic", "Google"}
    res = query(early, "provider-refusals", {"market": "CN"})
    undated = {short(str(r[1])) for r in res.rows if r[res.vars.index("undated")] is not None}
    assert "restriction-openai-not-listed-cn" in undated
    assert "restriction-openai-unlisted-2023" in {short(str(r[1])) for r in res.rows}


def test_hong_kong_refusals_name_every_provider_with_their_dates(
    bundled_ox: KnowledgeGraph,
) -> None:
    assert _refusers(bundled_ox, "HK") == {"OpenAI", "Anthropic", "Google"}
    # Bard's 2023 absence from Hong Kong ends with the 2026 roll-out (GOO-6).
    late = as_of(bundled_ox, "2026-07-01")
    res = query(late, "provider-refusals", {"market": "HK"})
    assert "restriction-google-bard-hk-2023" not in {short(str(r[1])) for r in res.rows}
    assert "restriction-google-bard-hk-2023" in {
        short(str(r[1])) for r in query(as_of(bundled_ox, "2024-01-01"), "provider-refusals",
                                        {"market": "HK"}).rows}
