"""`channelkg add` and `channelkg import`: validation first, atomic writes, duplicates,
clear messages, nothing written on failure, concurrent writers lose nothing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from channelkg.check.validate import validate
from channelkg.cli import cli
from channelkg.edit.core import slugify
from channelkg.graph.memory import load
from channelkg.sparql.query import query

ROOT = Path(__file__).parent.parent
EXAMPLES = ROOT / "docs" / "examples"
KGID = "https://w3id.org/channelkg/id/"
CKG = "https://w3id.org/channelkg/ontology#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
PROV = "http://www.w3.org/ns/prov#"

SOURCE = [
    "--source-title", "Reseller sells GPT in China",
    "--source-url", "https://example.org/reseller-gpt",
    "--source-date", "2026-06-20",
]
ROUTE = [
    "add", "route", "--model", "gpt", "--market", "CN", "--service", "openai-api",
    "--kind", "Reseller", "--seller", "microsoft", "--open", "true", "--status", "reported",
    "--stated-on", "2026-06-20", "--comment", "A reseller sells GPT access in China.",
]
ROUTE_IRI = KGID + "route-gpt-cn-openai-api-2026-06-20"


def snapshot(home: Path) -> dict[str, bytes]:
    """Every file under graphs/ (except the lock file) with its bytes."""
    return {
        p.name: p.read_bytes()
        for p in sorted((home / "graphs").iterdir())
        if p.is_file() and p.name != ".channelkg.lock"
    }


def subjects_of(home: Path, cls: str) -> set[str]:
    kg = load([home / "graphs"])
    res = query(kg, f"SELECT ?s WHERE {{ ?s a <{CKG}{cls}> }}")
    return {str(r[0]) for r in res.rows}


def test_add_route_then_query_explain_and_validate(ckg_home: Path, runner: CliRunner) -> None:
    res = runner.invoke(cli, [*ROUTE, *SOURCE, "--label", "en=GPT via a reseller",
                              "--label", "zh=经销商渠道"])
    assert res.exit_code == 0, res.output
    assert "added kgid:route-gpt-cn-openai-api-2026-06-20" in res.output
    target = ckg_home / "graphs" / "additions.ttl"
    assert target.is_file()
    assert ROUTE_IRI in subjects_of(ckg_home, "AccessRoute")
    # Labels in two languages, the source minted from its title and date.
    kg = load([ckg_home / "graphs"])
    labels = query(kg, f"SELECT ?l WHERE {{ <{ROUTE_IRI}> <{RDFS}label> ?l }}")
    assert {(str(r[0]), r[0].language) for r in labels.rows} == {
        ("GPT via a reseller", "en"), ("经销商渠道", "zh")}
    src = query(kg, f"SELECT ?s WHERE {{ <{ROUTE_IRI}> <{PROV}wasDerivedFrom> ?s }}")
    assert [str(r[0]) for r in src.rows] == [KGID + "source-reseller-sells-gpt-in-china-2026-06-20"]
    # It shows up in query (CLI) and explain, and the whole graph still validates.
    out = runner.invoke(cli, ["query", f"SELECT ?r WHERE {{ ?r a <{CKG}AccessRoute> }}"])
    assert "kgid:route-gpt-cn-openai-api-2026-06-20" in out.output
    ex = runner.invoke(cli, ["explain", "route-gpt-cn-openai-api-2026-06-20"])
    assert ex.exit_code == 0, ex.output
    assert "Reseller sells GPT in China (2026-06-20) https://example.org/reseller-gpt" in ex.output
    assert "kgid:fact-oai-1" in ex.output  # the block on the OpenAI API applies to this route
    assert validate([ckg_home / "graphs"]).conforms
    # The file is written canonically: format --check has nothing to do.
    chk = runner.invoke(cli, ["format", "--check", str(target)])
    assert chk.exit_code == 0, chk.output


def test_market_by_iso_code_curie_and_iri_give_the_same_fact(
    ckg_home: Path, runner: CliRunner
) -> None:
    outputs = []
    for market in ("CN", "kgid:mainland-china", KGID + "mainland-china"):
        res = runner.invoke(cli, [*ROUTE[:5], market, *ROUTE[6:], *SOURCE, "--dry-run"])
        assert res.exit_code == 0, res.output
        outputs.append(res.output)
    assert outputs[0] == outputs[1] == outputs[2]
    assert "would write" in outputs[0]
    assert "would add kgid:route-gpt-cn-openai-api-2026-06-20" in outputs[0]
    assert "\nadded" not in "\n" + outputs[0]
    assert not (ckg_home / "graphs" / "additions.ttl").exists()


def test_same_iri_is_refused_then_skipped(ckg_home: Path, runner: CliRunner) -> None:
    assert runner.invoke(cli, [*ROUTE, *SOURCE]).exit_code == 0
    before = snapshot(ckg_home)
    again = runner.invoke(cli, [*ROUTE, *SOURCE])
    assert again.exit_code == 2
    assert "duplicate: kgid:route-gpt-cn-openai-api-2026-06-20 already states the same route" \
        in again.output
    assert snapshot(ckg_home) == before
    skipped = runner.invoke(cli, [*ROUTE, *SOURCE, "--skip-duplicates"])
    assert skipped.exit_code == 0, skipped.output
    assert "skipped kgid:route-gpt-cn-openai-api-2026-06-20" in skipped.output
    assert snapshot(ckg_home) == before


def test_same_key_and_source_under_another_id_is_a_duplicate(
    ckg_home: Path, runner: CliRunner
) -> None:
    assert runner.invoke(cli, [*ROUTE, *SOURCE]).exit_code == 0
    before = snapshot(ckg_home)
    res = runner.invoke(cli, [*ROUTE, *SOURCE, "--id", "another-name"])
    assert res.exit_code == 2
    assert "already states the same route" in res.output
    assert snapshot(ckg_home) == before
    # Another source for the same route is a new, corroborating fact, not a duplicate.
    other = ["--source-title", "Second report", "--source-date", "2026-06-21"]
    res = runner.invoke(cli, [*ROUTE, *other, "--id", "route-second-report"])
    assert res.exit_code == 0, res.output
    # Without --id it gets the next free IRI.
    third = ["--source-title", "Third report", "--source-date", "2026-06-22"]
    res = runner.invoke(cli, [*ROUTE, *third])
    assert res.exit_code == 0, res.output
    assert "added kgid:route-gpt-cn-openai-api-2026-06-20-2" in res.output
    assert validate([ckg_home / "graphs"]).conforms


def _without(args: list[str], *options: str) -> list[str]:
    out, skip = [], False
    for a in args:
        if skip:
            skip = False
            continue
        if a in options:
            skip = True
            continue
        out.append(a)
    return out


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (_without(ROUTE, "--stated-on"), "option --stated-on: missing date"),
        (ROUTE, "option --source: missing source"),
        ([*_without(ROUTE, "--stated-on"), "--stated-on", "2026-02-30"],
         "option --stated-on: bad date '2026-02-30'"),
        ([*_without(ROUTE, "--stated-on"), "--stated-on", "20 June 2026"],
         "option --stated-on: bad date"),
        ([*_without(ROUTE, "--kind"), "--kind", "Resaler"],
         "option --kind: unknown kind 'Resaler'"),
        ([*_without(ROUTE, "--kind"), "--kind", "ProviderBlock"],
         "(known: Direct, CloudPartner, Reseller, SelfHosted, Circumvention)"),
        ([*_without(ROUTE, "--status"), "--status", "rumoured"], "option --status: unknown status"),
        ([*_without(ROUTE, "--model"), "--model", "gtp"],
         "option --model: unknown entity 'gtp' (did you mean kgid:gpt"),
        ([*_without(ROUTE, "--market"), "--market", "XX"], "option --market: unknown market"),
        ([*_without(ROUTE, "--market"), "--market", "nope:cn"], "unknown prefix 'nope'"),
        ([*_without(ROUTE, "--open"), "--open", "maybe"], "option --open: expected true or false"),
        (_without(ROUTE, "--comment"), "option --comment: missing statement"),
        ([*ROUTE, "--set", "ckg:sanctionned=true"],
         "option --set: unknown property ckg:sanctionned (did you mean ckg:sanctioned"),
        ([*ROUTE, "--set", "ckg:sanctioned"], "expected PROPERTY=VALUE"),
        ([*ROUTE, "--set", "ckg:sanctioned=perhaps"], "expected true or false"),
        ([*ROUTE, "--label", "GPT"], "a label is LANG=TEXT"),
        (["add", "claim", "--class", "Organization", "--comment", "x", "--stated-on",
          "2026-06-01"], "option --class: unknown class 'Organization' (known: "),
        # Passes the field checks but fails SHACL: dates in the wrong order.
        ([*ROUTE, "--valid-from", "2026-07-01", "--valid-to", "2026-01-01"],
         "validFrom must be before validTo"),
        # Passes the field checks but fails SHACL: the service is not a ckg:Service.
        ([*_without(ROUTE, "--service"), "--service", "microsoft"],
         "a route names exactly one service"),
    ],
)
def test_bad_input_changes_no_file(
    ckg_home: Path, runner: CliRunner, args: list[str], expected: str
) -> None:
    if "--source" not in args and "missing source" not in expected:
        args = [*args, *SOURCE]
    before = snapshot(ckg_home)
    res = runner.invoke(cli, args)
    assert res.exit_code == 2, res.output
    assert "nothing was written" in res.output
    assert expected in res.output
    assert snapshot(ckg_home) == before
    assert not (ckg_home / "graphs" / "additions.ttl").exists()


def test_target_must_be_a_turtle_file(ckg_home: Path, runner: CliRunner) -> None:
    res = runner.invoke(cli, [*ROUTE, *SOURCE, "--file", str(ckg_home / "graphs" / "new.nt")])
    assert res.exit_code == 2 and "only be added to a Turtle (.ttl) file" in res.output
    assert not (ckg_home / "graphs" / "new.nt").exists()


def test_failure_leaves_an_existing_target_byte_identical(
    ckg_home: Path, runner: CliRunner
) -> None:
    assert runner.invoke(cli, [*ROUTE, *SOURCE]).exit_code == 0
    before = snapshot(ckg_home)
    bad = [*_without(ROUTE, "--stated-on"), "--stated-on", "2026-06-31", *SOURCE, "--id", "x"]
    assert runner.invoke(cli, bad).exit_code == 2
    assert snapshot(ckg_home) == before


def test_add_partnership_restriction_assessment_claim_entity(
    ckg_home: Path, runner: CliRunner
) -> None:
    src = ["--source", "kgid:source-seed-2026", "--stated-on", "2026-06-18"]
    steps = [
        ["add", "entity", "--class", "Customer", "--label", "en=Meituan", "--label", "zh=美团"],
        ["add", "partnership", "--party", "microsoft", "--party", "meituan", "--kind",
         "customer-relation", "--comment", "Meituan buys OpenAI models from Microsoft.", *src],
        ["add", "restriction", "--imposed-by", "openai", "--kind", "ProviderBlock", "--market",
         "HK", "--applies-to", "openai-api", "--comment", "OpenAI blocks Hong Kong.", *src],
        ["add", "assessment", "--assessed-entity", "microsoft", "--level", "High", "--kind",
         "GeopoliticalRisk", "--market", "CN", "--comment", "High risk.", *src],
        ["add", "claim", "--about", "microsoft", "--comment", "An older claim.",
         "--status", "superseded", "--superseded-by", "fact-az-14", *src, "--id", "old-claim"],
    ]
    for step in steps:
        res = runner.invoke(cli, step)
        assert res.exit_code == 0, (step, res.output)
    graph = ckg_home / "graphs"
    assert KGID + "meituan" in subjects_of(ckg_home, "Customer")
    assert KGID + "partnership-meituan-microsoft-customer-relation-2026-06-18" in subjects_of(
        ckg_home, "Partnership")
    assert KGID + "restriction-openai-provider-block-hk-2026-06-18" in subjects_of(
        ckg_home, "Restriction")
    assert KGID + "assessment-microsoft-geopolitical-risk-cn-2026-06-18" in subjects_of(
        ckg_home, "Assessment")
    assert KGID + "old-claim" in subjects_of(ckg_home, "Claim")
    assert validate([graph]).conforms
    ex = runner.invoke(cli, ["explain", "old-claim"])
    assert "SUPERSEDED by kgid:fact-az-14" in ex.output


def test_a_superseding_fact_needs_the_old_status_changed(
    ckg_home: Path, runner: CliRunner
) -> None:
    """--supersedes links an existing claim; SHACL then demands it says superseded."""
    res = runner.invoke(cli, ["add", "claim", "--about", "microsoft", "--comment", "New.",
                              "--source", "source-seed-2026", "--stated-on", "2026-06-19",
                              "--supersedes", "fact-az-8"])
    assert res.exit_code == 2
    assert "must have status superseded" in res.output


# -- import ----------------------------------------------------------------------


def test_import_yaml_example(ckg_home: Path, runner: CliRunner) -> None:
    res = runner.invoke(cli, ["import", str(EXAMPLES / "facts.yaml")])
    assert res.exit_code == 0, res.output
    assert KGID + "partnership-example-bytedance-microsoft" in subjects_of(ckg_home, "Partnership")
    assert KGID + "route-example-gpt-hk-azure-china" in subjects_of(ckg_home, "AccessRoute")
    # The multi-line statement survives the round trip through the canonical writer.
    kg = load([ckg_home / "graphs"])
    res = query(kg, f"SELECT ?c WHERE {{ <{KGID}route-example-gpt-hk-azure-china> "
                f"<{RDFS}comment> ?c }}")
    assert str(res.rows[0][0]) == (
        "Example of a closed route:\nthe sample says the China cloud does not serve Hong Kong."
    )
    # Importing again: duplicates refused, or skipped on request.
    again = runner.invoke(cli, ["import", str(EXAMPLES / "facts.yaml")])
    assert again.exit_code == 2 and "duplicate" in again.output
    skip = runner.invoke(cli, ["import", str(EXAMPLES / "facts.yaml"), "--skip-duplicates"])
    assert skip.exit_code == 0 and skip.output.count("skipped") == 2


def test_import_csv_example(ckg_home: Path, runner: CliRunner) -> None:
    res = runner.invoke(cli, ["import", str(EXAMPLES / "facts.csv"), "--file",
                              str(ckg_home / "graphs" / "resellers.ttl")])
    assert res.exit_code == 0, res.output
    assert (ckg_home / "graphs" / "resellers.ttl").is_file()
    assert KGID + "restriction-example-block" in subjects_of(ckg_home, "Restriction")
    assert validate([ckg_home / "graphs"]).conforms


def test_bad_csv_row_names_row_and_field(
    ckg_home: Path, runner: CliRunner, tmp_path: Path
) -> None:
    lines = (EXAMPLES / "facts.csv").read_text(encoding="utf-8").splitlines()
    header, good = lines[0], lines[1]
    bad = good.replace("route-example-gpt-cn-reseller", "route-bad").replace(",true,", ",perhaps,")
    csv_file = tmp_path / "facts.csv"
    csv_file.write_text("\n".join([header, good, bad]) + "\n", encoding="utf-8")
    before = snapshot(ckg_home)
    res = runner.invoke(cli, ["import", str(csv_file)])
    assert res.exit_code == 2
    want = f"{csv_file}:3 (row 2), field 'open': expected true or false, not 'perhaps'"
    assert want in res.output
    assert "row 1" not in res.output  # the good row has no problem
    assert snapshot(ckg_home) == before


def test_bad_yaml_names_line_and_field(ckg_home: Path, runner: CliRunner, tmp_path: Path) -> None:
    y = tmp_path / "f.yaml"
    y.write_text(
        "- type: route\n  model: gpt\n  market: CN\n  service: azure-china\n"
        "  kind: CloudPartner\n  open: true\n  stated_on: 2026-06-40\n"
        "  comment: x\n  source: {title: T, date: 2026-06-01}\n"
        "- type: rumour\n  comment: y\n",
        encoding="utf-8",
    )
    res = runner.invoke(cli, ["import", str(y)])
    assert res.exit_code == 2
    assert f"{y}:7 (fact 1), field 'stated-on': bad date '2026-06-40'" in res.output
    assert f"{y}:10 (fact 2), field 'type': unknown fact type 'rumour'" in res.output
    broken = tmp_path / "broken.yaml"
    broken.write_text("- type: route\n  model: [gpt\n", encoding="utf-8")
    res = runner.invoke(cli, ["import", str(broken)])
    assert res.exit_code == 2 and "YAML syntax error" in res.output
    assert not (ckg_home / "graphs" / "additions.ttl").exists()


def test_import_turtle(ckg_home: Path, runner: CliRunner, tmp_path: Path) -> None:
    prefixes = (
        "@prefix ckg: <https://w3id.org/channelkg/ontology#> .\n"
        "@prefix kgid: <https://w3id.org/channelkg/id/> .\n"
        "@prefix prov: <http://www.w3.org/ns/prov#> .\n"
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
        "@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n"
    )
    good = tmp_path / "good.ttl"
    good.write_text(prefixes + (
        'kgid:claim-ttl a ckg:Claim ; rdfs:comment "From Turtle."@en ; ckg:status ckg:reported ;\n'
        '  ckg:statedOn "2026-06-19"^^xsd:date ; prov:wasDerivedFrom kgid:source-seed-2026 .\n'
    ), encoding="utf-8")
    res = runner.invoke(cli, ["import", str(good)])
    assert res.exit_code == 0, res.output
    assert KGID + "claim-ttl" in subjects_of(ckg_home, "Claim")
    before = snapshot(ckg_home)
    # Same subject again: duplicate.
    assert runner.invoke(cli, ["import", str(good)]).exit_code == 2
    # A claim without a source, and a reference to an unknown entity.
    bad = tmp_path / "bad.ttl"

    def import_unsourced(date: str, about: str) -> str:
        bad.write_text(prefixes + (
            'kgid:claim-bad a ckg:Claim ; rdfs:comment "No source."@en ;'
            ' ckg:status ckg:reported ;\n'
            f'  ckg:statedOn "{date}"^^xsd:date ; ckg:about {about} .\n'
        ), encoding="utf-8")
        res = runner.invoke(cli, ["import", str(bad)])
        assert res.exit_code == 2
        return res.output

    assert "unknown entity reference kgid:nobody" in import_unsourced("2026-06-19", "kgid:nobody")
    out = import_unsourced("2026-06-19", "kgid:openai")
    assert f"{bad}:6: shacl kgid:claim-bad prov:wasDerivedFrom: every claim needs at least " \
        "one source" in out
    # A bad date and a missing source are reported together, each with its line.
    out = import_unsourced("2026-02-30", "kgid:openai")
    assert f'{bad}:7: literal kgid:claim-bad ckg:statedOn: invalid xsd:date value "2026-02-30"' \
        in out
    assert f"{bad}:6: shacl kgid:claim-bad prov:wasDerivedFrom" in out
    assert out.count("2026-02-30") == 1
    # A file whose name does not tell its syntax: --format says it.
    txt = tmp_path / "bad.txt"
    txt.write_bytes(bad.read_bytes())
    res = runner.invoke(cli, ["import", str(txt)])
    assert res.exit_code == 2 and "give --format" in res.output
    res = runner.invoke(cli, ["import", str(txt), "--format", "ttl"])
    assert res.exit_code == 2 and f"{txt}:7: literal kgid:claim-bad" in res.output
    typo = tmp_path / "typo.ttl"
    typo.write_text(prefixes + "kgid:openai ckg:isoKode \"US\" .\n", encoding="utf-8")
    res = runner.invoke(cli, ["import", str(typo)])
    assert res.exit_code == 2 and "unknown term ckg:isoKode" in res.output
    syntax = tmp_path / "syntax.ttl"
    syntax.write_text(prefixes + "kgid:openai ckg:isoCode \"US\"\n", encoding="utf-8")
    res = runner.invoke(cli, ["import", str(syntax)])
    assert res.exit_code == 2 and "syntax error" in res.output
    assert snapshot(ckg_home) == before


def test_adding_to_a_hand_edited_file_keeps_its_text(ckg_home: Path, runner: CliRunner) -> None:
    """A file that is not in canonical form is appended to, so its comments survive."""
    target = ckg_home / "graphs" / "openai-cn.ttl"
    before = target.read_text(encoding="utf-8")
    res = runner.invoke(cli, [*ROUTE, *SOURCE, "--file", str(target)])
    assert res.exit_code == 0, res.output
    after = target.read_text(encoding="utf-8")
    assert after.startswith(before.rstrip("\n"))
    assert "kgid:route-gpt-cn-openai-api-2026-06-20 a ckg:AccessRoute" in after
    assert validate([ckg_home / "graphs"]).conforms


def test_adding_to_a_canonical_file_keeps_comments_above_subjects(
    ckg_home: Path, runner: CliRunner
) -> None:
    target = ckg_home / "graphs" / "notes.ttl"
    target.write_text(
        "# Notes kept by hand.\n\n@prefix kgid: <https://w3id.org/channelkg/id/> .\n"
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n\n"
        "# Why this label: see the seed article.\n"
        "kgid:zz-note rdfs:label \"a note\" .\n", encoding="utf-8")
    chk = runner.invoke(cli, ["format", "--check", str(target)])
    assert chk.exit_code == 0, chk.output  # canonical, comments and all
    res = runner.invoke(cli, [*ROUTE, *SOURCE, "--file", str(target)])
    assert res.exit_code == 0, res.output
    after = target.read_text(encoding="utf-8")
    assert after.startswith("# Notes kept by hand.\n")
    assert "# Why this label: see the seed article.\nkgid:zz-note rdfs:label" in after
    assert "kgid:route-gpt-cn-openai-api-2026-06-20 a ckg:AccessRoute" in after
    assert runner.invoke(cli, ["format", "--check", str(target)]).exit_code == 0


def test_slugify() -> None:
    assert slugify("OpenAI to pull plug on 'unsupported' nations – cough, China") == (
        "openai-to-pull-plug-on-unsupported-nations-cough-china")
    assert slugify("Café Zürich") == "cafe-zurich"
    assert slugify("微软") == ""
    assert len(slugify("word " * 40)) <= 60


# -- concurrency -----------------------------------------------------------------------


def test_concurrent_adds_lose_nothing(ckg_home: Path) -> None:
    env = {**os.environ, "CHANNELKG_HOME": str(ckg_home)}
    n = 5
    procs = []
    for i in range(n):
        args = [sys.executable, "-m", "channelkg", "add", "claim", "--about", "microsoft",
                "--comment", f"Parallel claim number {i}.", "--source", "source-seed-2026",
                "--stated-on", "2026-06-19"]
        procs.append(subprocess.Popen(args, env=env, stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE, text=True))
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, (out, err)
    claims = subjects_of(ckg_home, "Claim")
    for i in range(n):
        assert f"{KGID}claim-parallel-claim-number-{i}-2026-06-19" in claims
    assert validate([ckg_home / "graphs"]).conforms


def test_library_add_and_view(ckg_home: Path, runner: CliRunner) -> None:
    from channelkg.edit.core import EditError, add_records, record_from_mapping

    rec = record_from_mapping({"type": "partnership", "party": ["microsoft", "bytedance"],
                               "kind": "customer relation", "comment": "ByteDance buys via Azure.",
                               "source": "kgid:source-seed-2026", "stated_on": "2026-06-18"})
    result = add_records([rec])
    assert result.written and len(result.added) == 1
    iri = str(result.added[0])
    assert iri == KGID + "partnership-bytedance-microsoft-customer-relation-2026-06-18"
    with pytest.raises(EditError, match="duplicate"):
        add_records([rec])
    # The new fact appears in a view around it.
    out = ckg_home / "view.html"
    res = runner.invoke(cli, ["view", "--around", "kgid:bytedance", "-o", str(out)])
    assert res.exit_code == 0, res.output
    html = out.read_text(encoding="utf-8")
    assert "kgid:partnership-bytedance-microsoft-customer-relation-2026-06-18" in html
    assert "ByteDance buys via Azure." in html


def test_the_same_fact_twice_in_one_import_is_a_duplicate(
    ckg_home: Path, runner: CliRunner, tmp_path: Path
) -> None:
    y = tmp_path / "twice.yaml"
    fact = ("- type: claim\n  id: {id}\n  about: microsoft\n  comment: Said twice.\n"
            "  source: source-seed-2026\n  stated_on: 2026-06-19\n")
    y.write_text(fact.format(id="first") + fact.format(id="second"), encoding="utf-8")
    res = runner.invoke(cli, ["import", str(y)])
    assert res.exit_code == 2
    assert f"{y}:7 (fact 2): duplicate: kgid:first already states the same claim" in res.output
    res = runner.invoke(cli, ["import", str(y), "--skip-duplicates"])
    assert res.exit_code == 0, res.output
    assert "added kgid:first" in res.output and "skipped kgid:second" in res.output


def test_import_json_ld_without_fetching(ckg_home: Path, runner: CliRunner, tmp_path: Path) -> None:
    doc = tmp_path / "claim.jsonld"
    doc.write_text(
        '{"@context": {"ckg": "https://w3id.org/channelkg/ontology#",'
        ' "kgid": "https://w3id.org/channelkg/id/", "prov": "http://www.w3.org/ns/prov#",'
        ' "rdfs": "http://www.w3.org/2000/01/rdf-schema#",'
        ' "xsd": "http://www.w3.org/2001/XMLSchema#"},'
        ' "@id": "kgid:claim-jsonld", "@type": "ckg:Claim",'
        ' "rdfs:comment": {"@value": "From JSON-LD.", "@language": "en"},'
        ' "ckg:status": {"@id": "ckg:reported"},'
        ' "ckg:statedOn": {"@value": "2026-06-19", "@type": "xsd:date"},'
        ' "prov:wasDerivedFrom": {"@id": "kgid:source-seed-2026"}}',
        encoding="utf-8",
    )
    res = runner.invoke(cli, ["import", str(doc)])
    assert res.exit_code == 0, res.output
    assert KGID + "claim-jsonld" in subjects_of(ckg_home, "Claim")
    remote = tmp_path / "remote.jsonld"
    remote.write_text('{"@context": "https://example.org/ctx.jsonld", "@id": "x"}')
    before = snapshot(ckg_home)
    res = runner.invoke(cli, ["import", str(remote)])
    assert res.exit_code == 2 and "remote contexts" in res.output
    assert snapshot(ckg_home) == before


def test_a_writer_waits_for_the_lock(ckg_home: Path, runner: CliRunner) -> None:
    """While another process holds the lock, add/import wait for it (here: give up
    after a short timeout, with a clear message and nothing written)."""
    from filelock import FileLock

    lock = FileLock(str(ckg_home / "graphs" / ".channelkg.lock"))
    env = {**os.environ, "CHANNELKG_HOME": str(ckg_home)}
    before = snapshot(ckg_home)
    with lock:
        proc = subprocess.run(
            [sys.executable, "-m", "channelkg", *ROUTE, *SOURCE, "--lock-timeout", "0.5"],
            env=env, capture_output=True, text=True, timeout=120,
        )
        assert proc.returncode == 2, proc.stderr
        assert "another channelkg add/import/format is writing" in proc.stderr
        assert snapshot(ckg_home) == before
        res = runner.invoke(cli, ["import", str(EXAMPLES / "facts.yaml"), "--lock-timeout", "0"])
        assert res.exit_code == 2 and "another channelkg add/import" in res.output
    # Released: the same command now goes through.
    proc = subprocess.run([sys.executable, "-m", "channelkg", *ROUTE, *SOURCE], env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert ROUTE_IRI in subjects_of(ckg_home, "AccessRoute")


def test_yaml_set_mapping_and_bad_structure(
    ckg_home: Path, runner: CliRunner, tmp_path: Path
) -> None:
    y = tmp_path / "set.yaml"
    y.write_text("- type: entity\n  class: Customer\n  label: {en: Example Bank}\n"
                 "  set: {skos:altLabel: ExBank, ckg:subsidiaryOf: bytedance}\n",
                 encoding="utf-8")
    res = runner.invoke(cli, ["import", str(y)])
    assert res.exit_code == 0, res.output
    kg = load([ckg_home / "graphs"])
    ask = (f"ASK {{ <{KGID}example-bank> <http://www.w3.org/2004/02/skos/core#altLabel> "
           f"'ExBank' ; <{CKG}subsidiaryOf> <{KGID}bytedance> }}")
    assert query(kg, ask).boolean
    bad = tmp_path / "bad.yaml"
    bad.write_text("- type: claim\n  about: {id: microsoft}\n", encoding="utf-8")
    res = runner.invoke(cli, ["import", str(bad)])
    assert res.exit_code == 2
    assert f"{bad}:2 (fact 1): field 'about': expected a value or a list, not a mapping" in (
        res.output)


def test_problems_the_graph_already_has_do_not_block_new_facts(
    ckg_home: Path, runner: CliRunner
) -> None:
    (ckg_home / "graphs" / "draft.ttl").write_text(
        "@prefix ckg: <https://w3id.org/channelkg/ontology#> .\n"
        "@prefix kgid: <https://w3id.org/channelkg/id/> .\n"
        "kgid:draft-claim a ckg:Claim ; ckg:status ckg:reported .\n",  # no source, date, text
        encoding="utf-8",
    )
    assert not validate([ckg_home / "graphs"]).conforms
    res = runner.invoke(cli, [*ROUTE, *SOURCE])
    assert res.exit_code == 0, res.output
    bad = runner.invoke(cli, [*_without(ROUTE, "--open"), "--open", "false", *SOURCE,
                              "--id", "r2", "--valid-from", "2027-01-01",
                              "--valid-to", "2026-01-01"])
    assert bad.exit_code == 2
    assert "validFrom must be before validTo" in bad.output
    assert "draft-claim" not in bad.output
