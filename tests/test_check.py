"""The data-quality gate: rules in check/rules/*.rq, run_checks, and `channelkg check`."""

from __future__ import annotations

import dataclasses
import json
import re
import shutil
from collections import defaultdict
from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib import OWL, RDF, Graph, Literal, URIRef

from channelkg import resources
from channelkg.check.quality import (
    SEVERITIES,
    CheckReport,
    Finding,
    load_rules,
    parse_rule,
    render_report,
    run_checks,
)
from channelkg.cli import cli
from channelkg.errors import InputError, QueryError
from channelkg.graph.base import CACHED_QUERY_TEXT
from channelkg.graph.memory import KnowledgeGraph, load
from channelkg.rdf.namespaces import CKG

FIXTURES = Path(__file__).parent / "data" / "check"
RULES = load_rules()
RULE_NAMES = [r.name for r in RULES]
KGID = "https://w3id.org/channelkg/id/"


def _rules_found(path: Path, engine: str = "oxigraph") -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for f in run_checks(load([path], engine=engine)).findings:
        counts[f.rule] += 1
    return dict(counts)


# --- the rules and their fixtures ---------------------------------------------------


def test_every_rule_has_a_failing_and_a_passing_fixture() -> None:
    for name in RULE_NAMES:
        assert (FIXTURES / f"{name}-fail.ttl").is_file(), name
        assert (FIXTURES / f"{name}-pass.ttl").is_file(), name
    stems = {p.name.rsplit("-", 1)[0] for p in FIXTURES.glob("*.ttl")}
    assert stems == set(RULE_NAMES)


def test_the_rules_cover_every_defect_class_of_the_issue() -> None:
    assert set(RULE_NAMES) >= {
        "entity-fact-without-source", "duplicate-channel", "date-before-event",
        "unlinked-conflict", "restriction-without-market", "entity-without-claim",
        "source-mirror-only", "claim-without-quote", "claim-without-status",
        "claim-without-source",
    }


@pytest.mark.parametrize("engine", ["oxigraph", "rdflib"])
@pytest.mark.parametrize("name", RULE_NAMES)
def test_failing_fixture_triggers_exactly_its_rule(name: str, engine: str) -> None:
    found = _rules_found(FIXTURES / f"{name}-fail.ttl", engine)
    assert list(found) == [name]
    assert found[name] >= 1


@pytest.mark.parametrize("name", RULE_NAMES)
def test_passing_fixture_triggers_no_rule(name: str) -> None:
    assert _rules_found(FIXTURES / f"{name}-pass.ttl") == {}


@pytest.mark.parametrize(("fixture", "rule"), [
    ("restriction-without-market-licence", "restriction-without-market"),
    ("source-mirror-only-original", "source-mirror-only"),
])
def test_cases_a_rule_once_flagged_wrongly(fixture: str, rule: str, tmp_path: Path) -> None:
    """A licence term found through its model; a copy that names its address-less original."""
    path = FIXTURES / f"{fixture}.ttl"
    assert _rules_found(path) == {}
    # The same file with the one triple that makes it right removed fails on that rule.
    text = path.read_text(encoding="utf-8")
    broken = text.replace("ckg:kind ckg:LicenceTerm", "ckg:kind ckg:ProviderBlock").replace(
        " ; prov:wasDerivedFrom kgid:x-original .", " .")
    assert broken != text
    out = tmp_path / "broken.ttl"
    out.write_text(broken, encoding="utf-8")
    assert _rules_found(out) == {rule: 1}


def test_rule_headers() -> None:
    for rule in RULES:
        assert rule.severity in SEVERITIES
        assert rule.title and len(rule.description) > 30
        body = "\n".join(ln for ln in rule.text.splitlines() if not ln.lstrip().startswith("#"))
        used = set(re.findall(r"\b([a-z]+):[A-Za-z]", re.sub(r"<[^>]*>|\"[^\"]*\"", "", body)))
        declared = set(re.findall(r"PREFIX\s+([a-z]+):", body))
        assert used <= declared, (rule.name, used - declared)


def test_rules_avoid_filter_not_exists() -> None:
    """Oxigraph evaluates NOT EXISTS per row: the rules use MINUS or OPTIONAL + !BOUND."""
    for rule in RULES:
        body = "\n".join(ln.split("#", 1)[0] for ln in rule.text.splitlines())
        assert not re.search(r"NOT\s+EXISTS", body, re.IGNORECASE), rule.name


def test_real_defects_are_error_or_warn() -> None:
    severities = {r.name: r.severity for r in RULES}
    for name in ("claim-without-source", "claim-without-status", "entity-fact-without-source",
                 "duplicate-channel", "date-before-event", "same-channel-link"):
        assert severities[name] == "ERROR", name
    assert all(s in ("ERROR", "WARN") for s in severities.values())


def test_rules_are_parsed_for_service_once_per_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """The SERVICE check parses a rule's text once: checking again parses nothing."""
    import rdflib.plugins.sparql.parser as parser

    kg = load([FIXTURES / "duplicate-channel-fail.ttl"])
    run_checks(kg)
    calls: list[str] = []
    real = parser.parseQuery

    def counting(text: str) -> object:
        calls.append(text)
        return real(text)

    monkeypatch.setattr(parser, "parseQuery", counting)
    assert [f.rule for f in run_checks(kg).findings] == [
        f.rule for f in run_checks(kg).findings]
    assert calls == []


# --- dates and their precision, on both sides of the month --------------------------

_EVENT = "2024-06-25"


def _dated_route(tmp_path: Path, date: str, precision: str | None) -> Path:
    text = (FIXTURES.parent / "dated-route.ttl").read_text(encoding="utf-8")
    text = text.replace('ckg:datePrecision "month" ; ', "" if precision is None
                        else f'ckg:datePrecision "{precision}" ; ')
    text = text.replace('ckg:statedOn "2024-06-01"', f'ckg:statedOn "{date}"')
    assert f'ckg:statedOn "{_EVENT}"' in text  # the block that closes the route
    out = tmp_path / "dated.ttl"
    out.write_text(text, encoding="utf-8")
    return out


@pytest.mark.parametrize(
    ("date", "precision", "expected"),
    [
        ("2024-05-01", "month", "date-before-event"),  # May: before June 25 even at its end
        ("2024-06-01", "month", None),  # June: counts from July 1, after June 25
        ("2024-07-01", "month", None),  # July: after
        ("2024-06-24", "day", "date-before-event"),
        ("2024-06-24", None, "date-before-event"),  # no precision given: a day
        ("2024-06-25", "day", None),
        ("2024-01-01", "year", None),  # 2024: counts from 2025-01-01
        ("2023-01-01", "year", "date-before-event"),
        ("2025-01-01", "year", None),
    ],
)
def test_date_precision_on_both_sides_of_the_event(
    tmp_path: Path, date: str, precision: str | None, expected: str | None
) -> None:
    found = _rules_found(_dated_route(tmp_path, date, precision))
    assert set(found) == ({expected} if expected else set())


def test_stated_before_its_source(tmp_path: Path) -> None:
    text = (FIXTURES / "claim-without-source-pass.ttl").read_text(encoding="utf-8")
    early = text.replace('kgid:x-claim a ckg:Claim ; ckg:factId "X-2" ;',
                         'kgid:x-claim a ckg:Claim ; ckg:factId "X-2" ; '
                         'ckg:statedOn "2024-04-30"^^xsd:date ;')
    path = tmp_path / "early.ttl"
    path.write_text(early, encoding="utf-8")
    # Stated on 2024-04-30 and 2024-05-01: the earlier date precedes the source (2024-05-01).
    assert _rules_found(path) == {"date-before-event": 1}
    # A second, undated source could have stated it earlier: no finding.
    path.write_text(early + "kgid:x-other-source a ckg:Source ; dcterms:title \"Other\" ; "
                    "schema:url <https://example.org/other> .\n"
                    "kgid:x-claim prov:wasDerivedFrom kgid:x-other-source .\n", encoding="utf-8")
    assert _rules_found(path) == {}


# --- finer points of single rules ---------------------------------------------------


def test_disputed_claim_does_not_source_an_entity_fact(tmp_path: Path) -> None:
    base = (FIXTURES / "entity-fact-without-source-fail.ttl").read_text(encoding="utf-8")
    claim = ('kgid:x-weights a ckg:Claim ; ckg:factId "X-2" ; rdfs:comment "Open weights."@en ;'
             ' ckg:about kgid:x-model ; ckg:openWeights true ; ckg:quote "weights are out" ;'
             ' ckg:statedOn "2024-05-01"^^xsd:date ; ckg:status ckg:{status} ;'
             ' prov:wasDerivedFrom kgid:x-source .\n')
    path = tmp_path / "weights.ttl"
    path.write_text(base + claim.replace("{status}", "confirmed"), encoding="utf-8")
    assert _rules_found(path) == {}
    path.write_text(base + claim.replace("{status}", "disputed")
                    + "kgid:x-weights ckg:conflictsWith kgid:x-route .\n", encoding="utf-8")
    assert _rules_found(path) == {"entity-fact-without-source": 1}


@pytest.mark.parametrize(
    ("status", "expected"),
    [("confirmed", {}), ("reported", {}), ("superseded", {"entity-fact-without-source": 1})],
)
def test_statement_node_sources_an_entity_fact_unless_superseded(
    tmp_path: Path, status: str, expected: dict[str, int]
) -> None:
    text = (FIXTURES / "entity-fact-without-source-pass.ttl").read_text(encoding="utf-8")
    path = tmp_path / "statement.ttl"
    path.write_text(text + f"kgid:x-weights-statement ckg:status ckg:{status} .\n",
                    encoding="utf-8")
    assert _rules_found(path) == expected


def test_successive_routes_are_not_duplicates(tmp_path: Path) -> None:
    text = (FIXTURES / "duplicate-channel-fail.ttl").read_text(encoding="utf-8")
    path = tmp_path / "successive.ttl"
    path.write_text(text + 'kgid:x-route ckg:validTo "2024-09-01"^^xsd:date .\n'
                    'kgid:x-route-2 ckg:validFrom "2024-09-01"^^xsd:date .\n', encoding="utf-8")
    assert _rules_found(path) == {}
    path.write_text(text + 'kgid:x-route ckg:validTo "2024-09-02"^^xsd:date .\n'
                    'kgid:x-route-2 ckg:validFrom "2024-09-01"^^xsd:date .\n', encoding="utf-8")
    assert _rules_found(path) == {"duplicate-channel": 1}


def test_accounts_of_one_channel_are_not_duplicates(tmp_path: Path) -> None:
    """Two routes on one service linked by ckg:sameChannelAs, with the claim that states the
    link, are not a duplicate; without the link they are."""
    text = (FIXTURES / "duplicate-channel-fail.ttl").read_text(encoding="utf-8")
    basis = (FIXTURES / "same-channel-link-pass.ttl").read_text(encoding="utf-8")
    basis = basis[basis.index("kgid:x-same-channel a"):]
    path = tmp_path / "accounts.ttl"
    path.write_text(text + basis + "kgid:x-route-2 ckg:sameChannelAs kgid:x-route .\n",
                    encoding="utf-8")
    assert _rules_found(path) == {}
    path.write_text(text + basis, encoding="utf-8")
    assert _rules_found(path) == {"duplicate-channel": 1}


@pytest.mark.parametrize(("change", "message"), [
    ("ckg:market kgid:x-market ; ckg:service kgid:x-cloud",
     "names another market than"),
    ("ckg:model kgid:x-model ; ckg:market kgid:x-market ; ckg:service kgid:x-cloud",
     "carries a model that is not carried by"),
])
def test_accounts_of_one_channel_carry_one_model_into_one_market(
    tmp_path: Path, change: str, message: str,
) -> None:
    text = (FIXTURES / "same-channel-link-pass.ttl").read_text(encoding="utf-8")
    assert change in text
    if "model" in change:
        other = change.replace("kgid:x-model", "kgid:x-model-2")
        extra = ('kgid:x-model-2 a ckg:Model ; rdfs:label "Model Y"@en ; '
                 'ckg:developer kgid:x-dev .\n')
    else:
        other = change.replace("kgid:x-market", "kgid:x-elsewhere")
        extra = 'kgid:x-elsewhere a ckg:Market ; rdfs:label "Otherland"@en .\n'
    path = tmp_path / "mismatch.ttl"
    path.write_text(text.replace(change, other) + extra, encoding="utf-8")
    found = [f for f in run_checks(load([path])).findings]
    assert {f.rule for f in found} == {"same-channel-link"}
    assert any(message in f.text for f in found), [f.text for f in found]


def test_accounts_of_one_channel_are_linked_pairwise(tmp_path: Path) -> None:
    """A third account linked to X-2 only must be linked to X-1 too."""
    text = (FIXTURES / "same-channel-link-pass.ttl").read_text(encoding="utf-8")
    third = ('kgid:x-route-3 a ckg:AccessRoute ; ckg:factId "X-4" ; rdfs:comment "X-4."@en ;\n'
             '    ckg:kind ckg:Reseller ; ckg:model kgid:x-model ; ckg:market kgid:x-market ;\n'
             '    ckg:service kgid:x-cloud-3 ; ckg:open true ; ckg:quote "Model X resold." ;\n'
             '    ckg:status ckg:reported ; ckg:statedOn "2024-05-01"^^xsd:date ;\n'
             '    prov:wasDerivedFrom kgid:x-source .\n'
             'kgid:x-cloud-3 a ckg:Service ; rdfs:label "Third Cloud"@en ;\n'
             '    ckg:provider kgid:x-reseller .\n')

    def link(a: str, b: str, n: int) -> str:
        return (f"kgid:{a} ckg:sameChannelAs kgid:{b} .\n"
                f'kgid:x-link-{n} a ckg:Claim , rdf:Statement ; ckg:factId "X-L{n}" ;\n'
                f'    rdfs:comment "one channel"@en ; ckg:quote "the same offering" ;\n'
                f'    ckg:about kgid:{a} , kgid:{b} ; ckg:inference "inferred from the report" ;\n'
                f'    ckg:status ckg:reported ; ckg:statedOn "2024-05-01"^^xsd:date ;\n'
                f"    prov:wasDerivedFrom kgid:x-source ; rdf:subject kgid:{a} ;\n"
                f"    rdf:predicate ckg:sameChannelAs ; rdf:object kgid:{b} .\n")

    path = tmp_path / "three.ttl"
    path.write_text(text + third + link("x-route-3", "x-route-2", 1), encoding="utf-8")
    found = run_checks(load([path])).findings
    assert [(f.rule, f.focus, f.value) for f in found] == [
        ("same-channel-link", URIRef(KGID + "x-route"), URIRef(KGID + "x-route-3"))]
    assert "not directly" in found[0].text
    path.write_text(text + third + link("x-route-3", "x-route-2", 1)
                    + link("x-route-3", "x-route", 2), encoding="utf-8")
    assert _rules_found(path) == {}


def test_note_naming_a_contradicting_claim_needs_a_link(tmp_path: Path) -> None:
    text = (FIXTURES / "claim-without-source-pass.ttl").read_text(encoding="utf-8")
    note = 'kgid:x-claim ckg:statusNote "its wording is not supported by X-1" .\n'
    path = tmp_path / "note.ttl"
    path.write_text(text + note, encoding="utf-8")
    found = run_checks(load([path])).findings
    assert [(f.rule, f.focus, f.value) for f in found] == [
        ("unlinked-conflict", URIRef(KGID + "x-claim"), URIRef(KGID + "x-route"))]
    path.write_text(text + note + "kgid:x-route ckg:conflictsWith kgid:x-claim .\n",
                    encoding="utf-8")
    assert _rules_found(path) == {}
    # X-10 is not X-1: a fact id must match whole.
    path.write_text(text + note.replace("X-1", "X-10"), encoding="utf-8")
    assert _rules_found(path) == {}
    # A note that only reports a dispute between other claims links nothing.
    path.write_text(text + 'kgid:x-claim ckg:statusNote "where it is sold is disputed: '
                    'X-1 says Testland" .\n', encoding="utf-8")
    assert _rules_found(path) == {}


# --- the bundled graph ----------------------------------------------------------------


def _python_duplicate_pairs(graph: Graph) -> set[tuple[URIRef, URIRef]]:
    """Routes with the same model, market and service, both sanctioned or both not,
    computed without SPARQL."""
    keys: dict[tuple[object, ...], set[URIRef]] = defaultdict(set)
    for route in graph.subjects(RDF.type, CKG.AccessRoute):
        assert isinstance(route, URIRef)
        sanctioned = graph.value(route, CKG.sanctioned) != Literal(False)
        for model in graph.objects(route, CKG.model):
            for market in graph.objects(route, CKG.market):
                for service in graph.objects(route, CKG.service):
                    keys[(model, market, service, sanctioned)].add(route)
    pairs = set()
    for routes in keys.values():
        for a in routes:
            for b in routes:
                if str(a) < str(b) and not any(
                    (x, p, y) in graph for x, y in ((a, b), (b, a))
                    for p in (OWL.sameAs, CKG.supersededBy)
                ) and not _successive(graph, a, b) and b not in _accounts(graph, a):
                    pairs.add((a, b))
    return pairs


def _accounts(graph: Graph, route: URIRef) -> set[object]:
    """The routes ckg:sameChannelAs links reach from ``route``, either way."""
    seen: set[object] = {route}
    todo: list[object] = [route]
    while todo:
        n = todo.pop()
        for m in [*graph.objects(n, CKG.sameChannelAs), *graph.subjects(CKG.sameChannelAs, n)]:
            if m not in seen:
                seen.add(m)
                todo.append(m)
    return seen


def _successive(graph: Graph, a: URIRef, b: URIRef) -> bool:
    def ends_before(x: URIRef, y: URIRef) -> bool:
        end, start = graph.value(x, CKG.validTo), graph.value(y, CKG.validFrom)
        return isinstance(end, Literal) and isinstance(start, Literal) and \
            end.toPython() <= start.toPython()
    return ends_before(a, b) or ends_before(b, a)


@pytest.fixture(scope="session")
def bundled_report(bundled_ox: KnowledgeGraph) -> CheckReport:
    """run_checks on the bundled graph (Oxigraph), run once for the tests that read it."""
    return run_checks(bundled_ox)


def test_duplicate_channels_on_the_bundled_graph_match_a_plain_count(
    bundled_ox: KnowledgeGraph, bundled_report: CheckReport,
) -> None:
    report = bundled_report
    found = {(f.focus, f.value) for f in report.findings if f.rule == "duplicate-channel"}
    assert found == _python_duplicate_pairs(bundled_ox.to_rdflib())


def test_claims_without_source_or_status_match_a_plain_count(
    bundled_ox: KnowledgeGraph, bundled_report: CheckReport,
) -> None:
    graph = bundled_ox.to_rdflib()
    prov = URIRef("http://www.w3.org/ns/prov#wasDerivedFrom")
    claims = set(graph.subjects(CKG.factId, None))
    unsourced = {c for c in claims
                 if not any((s, RDF.type, CKG.Source) in graph for s in graph.objects(c, prov))}
    no_status = {c for c in claims if graph.value(c, CKG.status) is None}
    report = bundled_report
    assert {f.focus for f in report.findings if f.rule == "claim-without-source"} >= unsourced
    assert {f.focus for f in report.findings if f.rule == "claim-without-status"} >= no_status


def test_both_engines_find_the_same_on_the_bundled_graph(
    bundled_report: CheckReport, bundled_rdflib: KnowledgeGraph
) -> None:
    def key(report: CheckReport) -> list[tuple[str, str, str]]:
        return sorted((f.rule, f.focus_name, f.text) for f in report.findings)

    assert key(bundled_report) == key(run_checks(bundled_rdflib))


def test_rules_run_on_the_engine_without_a_copy(
    bundled_ox: KnowledgeGraph, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_copy(self: KnowledgeGraph) -> Graph:
        raise AssertionError("the graph was copied into rdflib")

    monkeypatch.setattr(KnowledgeGraph, "to_rdflib", no_copy)
    assert run_checks(bundled_ox).rules == tuple(RULES)


def test_every_rule_runs_on_the_bundled_graph(bundled_report: CheckReport) -> None:
    # (How long the gate takes is measured by the benchmarks, not asserted here.)
    report = bundled_report
    assert set(report.rule_counts) == set(RULE_NAMES)


# --- the report -----------------------------------------------------------------------


def test_report_is_frozen_and_counts() -> None:
    report = run_checks(load([FIXTURES / "duplicate-channel-fail.ttl"]))
    assert report.counts == {"ERROR": 1, "WARN": 0, "INFO": 0}
    assert report.rule_counts["duplicate-channel"] == 1
    assert sum(report.rule_counts.values()) == len(report.findings)
    assert report.failed("error") and report.failed("warn") and report.failed("info")
    assert not report.failed("never") and report.at_or_above("never") == ()
    assert report.at_or_above("warn") == report.findings
    with pytest.raises(dataclasses.FrozenInstanceError):
        report.findings = ()  # type: ignore[misc]
    with pytest.raises(InputError):
        report.failed("fatal")


def test_warn_fails_only_at_warn_or_below() -> None:
    report = run_checks(load([FIXTURES / "restriction-without-market-fail.ttl"]))
    assert report.counts["WARN"] == 1
    assert not report.failed("error")
    assert report.failed("warn") and report.failed("info")


def test_repr_html_escapes() -> None:
    finding = Finding("WARN", "r", URIRef(KGID + "x"), "<script>alert(1)</script>")
    html = CheckReport((finding,))._repr_html_()
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "kgid:x" in html and "1 finding(s)" in html


def test_findings_sorted_by_severity(bundled_ox: KnowledgeGraph) -> None:
    report = run_checks(bundled_ox, resources.check_rules_dir())
    ranks = [SEVERITIES.index(f.severity) for f in report.findings]
    assert ranks == sorted(ranks)


def test_render_formats() -> None:
    report = run_checks(load([FIXTURES / "duplicate-channel-fail.ttl"]))
    table = render_report(report, "table")
    assert table.splitlines()[0].split() == ["severity", "rule", "focus", "message"]
    assert "kgid:x-route" in table and "kgid:x-route-2" in table
    assert table.rstrip().endswith(report.summary)
    md = render_report(report, "md")
    assert md.startswith("| severity | rule | focus | message |")
    records = json.loads(render_report(report, "json"))
    assert len(records) == len(report.findings) == 1
    assert records[0]["focus"] == KGID + "x-route"
    assert records[0]["value"] == KGID + "x-route-2"
    assert records[0]["severity"] == "ERROR" and records[0]["rule"] == "duplicate-channel"
    with pytest.raises(InputError):
        render_report(report, "csv")


# --- rule files: new, malformed ---------------------------------------------------------


def _copy_rules(tmp_path: Path) -> Path:
    folder = tmp_path / "rules"
    shutil.copytree(resources.check_rules_dir(), folder)
    return folder


_NEW_RULE = """# title: Claim without a status note
# description: A claim that carries no ckg:statusNote qualifying its status.
# severity: INFO
PREFIX ckg: <https://w3id.org/channelkg/ontology#>
SELECT ?focus ?message WHERE {
  ?focus ckg:factId ?id .
  OPTIONAL { ?focus ckg:statusNote ?note }
  FILTER(!BOUND(?note))
  BIND("claim has no ckg:statusNote" AS ?message)
}
"""


def test_a_new_rule_needs_no_code(runner: CliRunner, ckg_home: Path, tmp_path: Path) -> None:
    folder = _copy_rules(tmp_path)
    (folder / "claim-without-status-note.rq").write_text(_NEW_RULE, encoding="utf-8")
    graph = Graph().parse(ckg_home / "graphs" / "openai-cn.ttl")
    expected = {s for s in graph.subjects(CKG.factId, None)
                if graph.value(s, CKG.statusNote) is None}
    assert expected  # the graph of the home has claims without a status note
    res = runner.invoke(cli, ["check", "--rules", str(folder), "--fail-on", "never",
                              "-f", "json"])
    assert res.exit_code == 0, res.output
    records = json.loads(res.stdout)
    new = {URIRef(r["focus"]) for r in records if r["rule"] == "claim-without-status-note"}
    assert new == expected
    assert {r["severity"] for r in records if r["rule"] == "claim-without-status-note"} == {"INFO"}
    only_info = runner.invoke(cli, ["check", "--rules", str(folder), "--fail-on", "info"])
    assert only_info.exit_code == 1


def test_bad_severity_is_one_line_with_file_and_line(runner: CliRunner, tmp_path: Path) -> None:
    folder = tmp_path / "rules"
    folder.mkdir()
    (folder / "bad.rq").write_text(_NEW_RULE.replace("INFO", "FATAL"), encoding="utf-8")
    res = runner.invoke(cli, ["check", "--rules", str(folder), "--data",
                              str(FIXTURES / "duplicate-channel-pass.ttl")])
    assert res.exit_code == 2
    assert f"{folder / 'bad.rq'}:3:" in res.output and "FATAL" in res.output
    assert "Traceback" not in res.output and len(res.output.strip().splitlines()) == 1


def test_missing_header_line(tmp_path: Path) -> None:
    path = tmp_path / "nosev.rq"
    path.write_text(_NEW_RULE.replace("# severity: INFO\n", ""), encoding="utf-8")
    with pytest.raises(InputError, match="severity"):
        parse_rule(path)


def test_broken_rules_name_their_file(runner: CliRunner, tmp_path: Path) -> None:
    data = ["--data", str(FIXTURES / "duplicate-channel-pass.ttl")]
    folder = tmp_path / "rules"
    folder.mkdir()
    for body, why in (("SELECT ?focus WHERE { ?focus ?p ?o ", "syntax"),
                      ("SELECT ?x WHERE { ?x ?p ?o }", "?focus and ?message"),
                      ("ASK { ?x ?p ?o }", "?focus and ?message")):
        rule = folder / "broken.rq"
        rule.write_text(_NEW_RULE.split("PREFIX", 1)[0] + body + "\n", encoding="utf-8")
        with pytest.raises(QueryError, match=re.escape(str(rule))):
            run_checks(load([FIXTURES / "duplicate-channel-pass.ttl"]), folder)
        res = runner.invoke(cli, ["check", "--rules", str(folder), *data])
        assert res.exit_code == 2 and str(rule) in res.output and why in res.output, res.output
        assert "Traceback" not in res.output


def test_missing_or_empty_rules_folder(runner: CliRunner, tmp_path: Path) -> None:
    for folder in (tmp_path / "absent", tmp_path):
        res = runner.invoke(cli, ["check", "--rules", str(folder)])
        assert res.exit_code == 2 and str(folder) in res.output


# --- the command ----------------------------------------------------------------------


def test_cli_exit_codes_follow_fail_on(runner: CliRunner) -> None:
    error = str(FIXTURES / "claim-without-source-fail.ttl")
    warn = str(FIXTURES / "restriction-without-market-fail.ttl")
    clean = str(FIXTURES / "restriction-without-market-pass.ttl")
    cases = [
        (error, [], 1), (error, ["--fail-on", "never"], 0),
        (warn, [], 0), (warn, ["--fail-on", "warn"], 1), (warn, ["--fail-on", "INFO"], 1),
        (clean, ["--fail-on", "info"], 0),
    ]
    for data, extra, code in cases:
        res = runner.invoke(cli, ["check", "--data", data, *extra])
        assert res.exit_code == code, (data, extra, res.output)
        assert "Traceback" not in res.output


def test_the_shipped_graph_passes_at_warn(runner: CliRunner) -> None:
    """The gate of scripts/test.sh: no ERROR or WARN finding on graphs/ (a failure prints them)."""
    res = runner.invoke(cli, ["check", "--fail-on", "warn"])
    assert res.exit_code == 0, res.output
    summary = f"0 finding(s) (0 ERROR, 0 WARN, 0 INFO) from {len(RULES)} rule(s)"
    assert res.stdout.splitlines()[-1] == summary


def test_cli_table_rows_and_summary(runner: CliRunner) -> None:
    res = runner.invoke(cli, ["check", "--data", str(FIXTURES / "claim-without-source-fail.ttl")])
    assert res.exit_code == 1
    lines = res.stdout.splitlines()
    assert lines[0].split() == ["severity", "rule", "focus", "message"]
    row = lines[2].split()
    assert row[:3] == ["ERROR", "claim-without-source", "kgid:x-claim"]
    assert lines[-1].startswith("1 finding(s) (1 ERROR, 0 WARN, 0 INFO)")
    assert res.stderr.strip() == "Error: check failed: 1 finding(s) at or above ERROR"


def test_cli_clean_graph(runner: CliRunner) -> None:
    res = runner.invoke(cli, ["check", "--data", str(FIXTURES / "duplicate-channel-pass.ttl"),
                              "--fail-on", "info"])
    assert res.exit_code == 0
    assert res.stdout.startswith("0 finding(s)")


def test_cli_json_to_a_file(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "findings.json"
    res = runner.invoke(cli, ["check", "--data", str(FIXTURES / "duplicate-channel-fail.ttl"),
                              "-f", "json", "-o", str(out), "--fail-on", "never"])
    assert res.exit_code == 0, res.output
    records = json.loads(out.read_text(encoding="utf-8"))
    assert [r["rule"] for r in records] == ["duplicate-channel"]
    assert "1 finding(s)" in res.stderr


def test_cli_dash_output_is_standard_output(runner: CliRunner, tmp_path: Path) -> None:
    """``-o -`` prints like no ``-o``: the table once, its summary once, and no file."""
    data = ["--data", str(FIXTURES / "duplicate-channel-fail.ttl"), "--fail-on", "never"]
    plain = runner.invoke(cli, ["check", *data])
    dash = runner.invoke(cli, ["check", *data, "-o", "-"])
    assert dash.exit_code == plain.exit_code == 0, dash.output
    assert dash.stdout == plain.stdout and "duplicate-channel" in dash.stdout
    assert dash.stdout.count("1 finding(s)") == 1 and dash.stderr == ""
    assert not Path("-").exists()


def test_cli_bad_data_is_one_line(runner: CliRunner, tmp_path: Path) -> None:
    bad = Path(__file__).parent / "data" / "bad" / "broken-syntax.ttl"
    res = runner.invoke(cli, ["check", "--data", str(bad)])
    assert res.exit_code == 2
    assert "broken-syntax.ttl:6" in res.output and "Traceback" not in res.output


def test_cli_reads_a_store(runner: CliRunner, tmp_path: Path) -> None:
    fixture = FIXTURES / "duplicate-channel-fail.ttl"
    store = f"oxigraph:{tmp_path / 'kg.oxigraph'}"
    loaded = runner.invoke(cli, ["load", str(fixture), "--into", store, "-q"])
    assert loaded.exit_code == 0, loaded.output
    res = runner.invoke(cli, ["check", "--store", store, "-f", "json", "--fail-on", "never"])
    assert res.exit_code == 0, res.output
    from_store = sorted((r["rule"], r["focus"], r["value"]) for r in json.loads(res.stdout))
    from_file = sorted((f.rule, str(f.focus), str(f.value) if f.value is not None else None)
                       for f in run_checks(load([fixture])).findings)
    assert from_store == from_file and from_store



def test_a_long_query_text_is_not_kept_for_the_service_check() -> None:
    from channelkg.sparql import query as sparql_query

    long = "SELECT * WHERE { ?s ?p ?o } # service\n" + "#" * CACHED_QUERY_TEXT
    before = sparql_query._uses_service.cache_info().currsize
    assert not sparql_query.uses_service(long)
    assert sparql_query._uses_service.cache_info().currsize == before
    short = "SELECT * WHERE { ?s ?p ?o } # service, a short one\n"
    assert not sparql_query.uses_service(short)
    assert sparql_query._uses_service.cache_info().currsize in (before + 1, 256)
