"""The curated graph is true to its sources: ids, statuses, sources and dates."""

from __future__ import annotations

import csv

from channelkg.graph.memory import KnowledgeGraph
from channelkg.sparql.query import query
from conftest import DATA

PREFIXES = """
PREFIX ckg: <https://w3id.org/channelkg/ontology#>
PREFIX kgid: <https://w3id.org/channelkg/id/>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX dcterms: <http://purl.org/dc/terms/>
"""


def rows(kg: KnowledgeGraph, text: str) -> list[tuple[str, ...]]:
    return [tuple("" if c is None else str(c) for c in r) for r in query(kg, PREFIXES + text).rows]


def test_at_least_100_sourced_claims(bundled_ox: KnowledgeGraph) -> None:
    [(n,)] = rows(
        bundled_ox,
        "SELECT (COUNT(DISTINCT ?c) AS ?n) WHERE { ?c ckg:factId ?id ; ckg:status ?s ;"
        " prov:wasDerivedFrom ?src . ?src dcterms:title ?t }",
    )
    assert int(n) >= 100


def test_every_fact_sheet_row_is_a_claim_with_its_status(bundled_ox: KnowledgeGraph) -> None:
    found: dict[str, list[tuple[str, str]]] = {}
    for fid, status, note in rows(
        bundled_ox,
        "SELECT ?id ?s ?note WHERE { ?c ckg:factId ?id ; ckg:status ?s ."
        " OPTIONAL { ?c ckg:statusNote ?note } }",
    ):
        found.setdefault(fid, []).append((status.rsplit("#", 1)[1], note))
    with (DATA / "fact-statuses.csv").open(encoding="utf-8") as fh:
        expected = list(csv.DictReader(fh))
    assert len(expected) == 110
    for row in expected:
        claims = found.get(row["factId"])
        assert claims and len(claims) == 1, f"{row['factId']}: {claims}"
        [(status, note)] = claims
        if status in ("superseded", "disputed"):
            # A later source overrides it; the status the fact sheet gave is kept in the note.
            assert row["status"].replace("confirmedAbsence", "confirmed") in note, row
        else:
            assert status == row["status"], row


def test_seed_claims_are_reported_and_sourced(bundled_ox: KnowledgeGraph) -> None:
    seed = rows(
        bundled_ox,
        "SELECT ?id ?s WHERE { ?c ckg:factId ?id ; ckg:status ?s ;"
        " prov:wasDerivedFrom kgid:source-seed FILTER(STRSTARTS(?id, 'SEED-')) }",
    )
    assert len(seed) >= 8
    statuses = {s.rsplit("#", 1)[1] for _, s in seed}
    assert statuses <= {"reported", "disputed"}
    # The article is undated: its source node has a title but no publication date.
    [(title,)] = rows(bundled_ox, "SELECT ?t WHERE { kgid:source-seed dcterms:title ?t }")
    assert title == "Microsoft Sells OpenAI Models in China"
    assert rows(bundled_ox, "SELECT ?d WHERE { kgid:source-seed dcterms:date ?d }") == []


def test_seed_hosting_claim_is_disputed_by_microsofts_statement(
    bundled_ox: KnowledgeGraph,
) -> None:
    disputed = rows(
        bundled_ox,
        "SELECT ?c WHERE { ?c ckg:status ckg:disputed ; prov:wasDerivedFrom kgid:source-seed ;"
        " ckg:conflictsWith kgid:fact-az-8 . kgid:fact-az-8 ckg:status ckg:confirmed }",
    )
    assert disputed


def test_dated_facts_name_source_and_date(bundled_ox: KnowledgeGraph) -> None:
    missing = rows(
        bundled_ox,
        """SELECT ?c WHERE {
          VALUES ?cls { ckg:Partnership ckg:AccessRoute ckg:Restriction ckg:Assessment }
          ?c a ?cls .
          FILTER(NOT EXISTS { ?c prov:wasDerivedFrom ?s }
                 || NOT EXISTS { { ?c ckg:statedOn ?d } UNION { ?c ckg:validFrom ?d }
                   # a route or restriction read off an undated list (and only
                   # undated sources) is an undated snapshot
                   UNION { ?c a ?k ; ckg:snapshot true ; ckg:status ckg:confirmedAbsence
                           VALUES ?k { ckg:AccessRoute ckg:Restriction }
                           FILTER NOT EXISTS { ?c prov:wasDerivedFrom/dcterms:date ?sd } } })
        }""",
    )
    assert missing == []


def test_chinese_labels(bundled_ox: KnowledgeGraph) -> None:
    labels = rows(
        bundled_ox,
        "SELECT ?e ?l WHERE { VALUES ?e { kgid:mainland-china kgid:hong-kong }"
        " ?e rdfs:label ?l FILTER(lang(?l) = 'zh') }",
    )
    assert {label for _, label in labels} >= {"中国大陆", "香港"}


def test_openai_block_dates(bundled_ox: KnowledgeGraph) -> None:
    [(stated, valid)] = rows(
        bundled_ox, "SELECT ?s ?v WHERE { kgid:fact-oai-1 ckg:statedOn ?s ; ckg:validFrom ?v }"
    )
    assert (stated, valid) == ("2024-06-25", "2024-07-09")


def test_a_route_is_never_dated_before_the_partnerships_it_depends_on(
    bundled_ox: KnowledgeGraph,
) -> None:
    """Otherwise --as-of would show a route while hiding the partnership it needs."""
    pairs = rows(bundled_ox, """
        SELECT ?r ?rs ?p ?ps WHERE {
          ?r ckg:dependsOn ?p .
          OPTIONAL { ?r ckg:validFrom ?rv } OPTIONAL { ?r ckg:statedOn ?rst }
          OPTIONAL { ?p ckg:validFrom ?pv } OPTIONAL { ?p ckg:statedOn ?pst }
          BIND (COALESCE(?rv, ?rst) AS ?rs) BIND (COALESCE(?pv, ?pst) AS ?ps)
        }""")
    assert len(pairs) >= 5
    assert all(rs and ps for _, rs, _, ps in pairs)
    assert [(r, rs, p, ps) for r, rs, p, ps in pairs if ps > rs] == []
