"""The SHACL shapes are the contract of `channelkg add`/`import`: edit a copy of the
shapes and the options, required fields and allowed values follow. One `add` parses
each file once and runs SHACL once."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from channelkg.cli import cli
from channelkg.graph.memory import load
from channelkg.sparql.query import query

KGID = "https://w3id.org/channelkg/id/"
CKG = "https://w3id.org/channelkg/ontology#"

SOURCE = ["--source-title", "Reseller sells GPT in China", "--source-date", "2026-06-20"]
ROUTE = [
    "add", "route", "--model", "gpt", "--market", "CN", "--service", "openai-api",
    "--kind", "Reseller", "--open", "true", "--stated-on", "2026-06-20",
    "--comment", "A reseller sells GPT access in China.", *SOURCE,
]

#: The route's service property in ontology/shapes.ttl, as shipped.
SERVICE_SHAPE = """        sh:path ckg:service ;
        sh:minCount 1 ;
        sh:maxCount 1 ;"""


def _without(args: list[str], option: str) -> list[str]:
    i = args.index(option)
    return args[:i] + args[i + 2:]


def _edit_shapes(home: Path, old: str, new: str) -> None:
    shapes = home / "ontology" / "shapes.ttl"
    text = shapes.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    shapes.write_text(text.replace(old, new), encoding="utf-8")


def _option_line(help_text: str, option: str) -> str:
    """The help of one option, its continuation lines joined."""
    lines = help_text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip().startswith(option + " "))
    out = [lines[start].strip()]
    for line in lines[start + 1:]:
        if line.strip().startswith("-"):
            break
        out.append(line.strip())
    return " ".join(out)


def test_removing_min_count_makes_the_service_optional(ckg_home: Path,
                                                       runner: CliRunner) -> None:
    no_service = _without(ROUTE, "--service")
    res = runner.invoke(cli, no_service)
    assert res.exit_code == 2
    assert "option --service: missing required field 'service'" in res.output
    assert "[required]" in _option_line(runner.invoke(cli, ["add", "route", "-h"]).output,
                                        "--service")
    _edit_shapes(ckg_home, SERVICE_SHAPE, SERVICE_SHAPE.replace("        sh:minCount 1 ;\n", ""))
    assert "[required]" not in _option_line(runner.invoke(cli, ["add", "route", "-h"]).output,
                                            "--service")
    res = runner.invoke(cli, no_service)
    assert res.exit_code == 0, res.output
    assert "added kgid:route-gpt-cn-2026-06-20" in res.output
    # Putting the constraint back makes it required again.
    _edit_shapes(ckg_home, SERVICE_SHAPE.replace("        sh:minCount 1 ;\n", ""), SERVICE_SHAPE)
    res = runner.invoke(cli, [*no_service, "--id", "route-other"])
    assert res.exit_code == 2
    assert "missing required field 'service'" in res.output


def test_a_new_required_property_becomes_a_required_option(ckg_home: Path,
                                                           runner: CliRunner) -> None:
    assert "--hosted-in" not in runner.invoke(cli, ["add", "route", "-h"]).output
    _edit_shapes(ckg_home, SERVICE_SHAPE, (
        "        sh:path ckg:hostedIn ;\n        sh:minCount 1 ;\n        sh:maxCount 1 ;\n"
        "        sh:class ckg:Market ;\n"
        '        sh:description "Where the route\'s service runs."@en ;\n'
        "    ] , [\n" + SERVICE_SHAPE))
    line = _option_line(runner.invoke(cli, ["add", "route", "-h"]).output, "--hosted-in")
    assert line.startswith("--hosted-in MARKET")
    assert "Where the route's service runs." in line and "[required]" in line
    assert "(repeatable)" not in line  # sh:maxCount 1
    res = runner.invoke(cli, ROUTE)
    assert res.exit_code == 2
    assert "option --hosted-in: missing required field 'hosted-in'" in res.output
    # A market is read as a market: by its ISO code.
    res = runner.invoke(cli, [*ROUTE, "--hosted-in", "CN"])
    assert res.exit_code == 0, res.output
    kg = load([ckg_home / "graphs"])
    rows = query(kg, f"SELECT ?m WHERE {{ <{KGID}route-gpt-cn-openai-api-2026-06-20> "
                     f"<{CKG}hostedIn> ?m }}").rows
    assert [str(r[0]) for r in rows] == [KGID + "mainland-china"]


def test_allowed_values_come_from_sh_in(ckg_home: Path, runner: CliRunner) -> None:
    kinds = "sh:in ( ckg:Direct ckg:CloudPartner ckg:Reseller ckg:SelfHosted ckg:Circumvention ) ;"
    assert runner.invoke(cli, [*ROUTE, "--dry-run"]).exit_code == 0
    _edit_shapes(ckg_home, kinds, "sh:in ( ckg:Direct ckg:SelfHosted ) ;")
    res = runner.invoke(cli, [*ROUTE, "--dry-run"])
    assert res.exit_code == 2
    assert "option --kind: unknown kind 'Reseller' (known: Direct, SelfHosted)" in res.output
    assert "One of: Direct, SelfHosted." in _option_line(
        runner.invoke(cli, ["add", "route", "-h"]).output, "--kind")


def test_import_follows_the_shapes_too(ckg_home: Path, runner: CliRunner,
                                       tmp_path: Path) -> None:
    facts = tmp_path / "routes.yaml"
    facts.write_text(
        "- type: route\n  model: gpt\n  market: CN\n  kind: Reseller\n  open: true\n"
        "  stated_on: 2026-06-20\n  comment: A reseller sells GPT access in China.\n"
        "  source: {title: Reseller report, date: 2026-06-20}\n", encoding="utf-8")
    res = runner.invoke(cli, ["import", str(facts), "--dry-run"])
    assert res.exit_code == 2
    assert f"{facts}:1 (fact 1), field 'service': missing required field" in res.output
    _edit_shapes(ckg_home, SERVICE_SHAPE, SERVICE_SHAPE.replace("        sh:minCount 1 ;\n", ""))
    res = runner.invoke(cli, ["import", str(facts), "--dry-run"])
    assert res.exit_code == 0, res.output


class _Counts:
    """Calls of the one RDF parse functions (by file) and of the SHACL engines (the
    compiled queries or pySHACL)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        import pyshacl

        from channelkg.check import engine
        from channelkg.graph import memory
        from channelkg.rdf import turtle

        self.parses: Counter[str] = Counter()
        self.shacl = 0
        parse_file, parse_text, validate = memory.parse_file, turtle.parse_text, pyshacl.validate
        store_shacl = engine.store_shacl

        def counted_file(path: Path, *args: Any, **kwargs: Any) -> Any:
            self.parses[Path(path).name] += 1
            return parse_file(path, *args, **kwargs)

        def counted_text(text: str, name: str = "<text>") -> Any:
            self.parses[Path(name).name] += 1
            return parse_text(text, name)

        def counted_shacl(*args: Any, **kwargs: Any) -> Any:
            self.shacl += 1
            return validate(*args, **kwargs)

        monkeypatch.setattr(memory, "parse_file", counted_file)
        monkeypatch.setattr(turtle, "parse_text", counted_text)
        def counted_store(*args: Any, **kwargs: Any) -> Any:
            self.shacl += 1
            return store_shacl(*args, **kwargs)

        monkeypatch.setattr(pyshacl, "validate", counted_shacl)
        monkeypatch.setattr(engine, "store_shacl", counted_store)


def test_one_add_parses_each_file_once_and_runs_shacl_once(
    ckg_home: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    counts = _Counts(monkeypatch)
    assert runner.invoke(cli, ROUTE).exit_code == 0
    assert counts.shacl == 1
    # The written text is parsed back once, to check it holds the same triples
    # before it replaces the file.
    assert counts.parses == {"openai-cn.ttl": 1, "channelkg.ttl": 1, "shapes.ttl": 1,
                             "additions.ttl": 1}
    other = ["--source-title", "Second report", "--source-date", "2026-06-21"]
    res = runner.invoke(cli, [*_without(_without(ROUTE, "--source-title"), "--source-date"),
                              *other])
    assert res.exit_code == 0, res.output
    assert counts.shacl == 2
    # Now the target is read too (once) and checked once; the unchanged ontology and
    # shapes are not parsed again in the same process.
    assert counts.parses == {"openai-cn.ttl": 2, "channelkg.ttl": 1, "shapes.ttl": 1,
                             "additions.ttl": 3}


def test_one_import_parses_each_file_once_and_runs_shacl_once(
    ckg_home: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    facts = tmp_path / "facts.yaml"
    facts.write_text("".join(
        f"- type: claim\n  about: microsoft\n  comment: Claim number {i}.\n"
        f"  source: kgid:source-seed-2026\n  stated_on: 2026-06-1{i}\n" for i in range(5)
    ), encoding="utf-8")
    counts = _Counts(monkeypatch)
    res = runner.invoke(cli, ["import", str(facts)])
    assert res.exit_code == 0, res.output
    assert "added kgid:claim-claim-number-4-2026-06-14" in res.output
    assert counts.shacl == 1
    assert counts.parses == {"openai-cn.ttl": 1, "channelkg.ttl": 1, "shapes.ttl": 1,
                             "additions.ttl": 1}


def _modules_after(args: list[str]) -> set[str]:
    code = (
        "import sys\nfrom click.testing import CliRunner\nfrom channelkg.cli import cli\n"
        f"res = CliRunner().invoke(cli, {args!r})\nassert res.exit_code == 0, res.output\n"
        "print(' '.join(sorted(m for m in ('rdflib', 'pyshacl') if m in sys.modules)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    return set(out.stdout.split())


def test_add_reads_the_shapes_only_when_used() -> None:
    assert _modules_after(["import", "--help"]) == set()
    assert _modules_after(["format", "--help"]) == set()
    assert "rdflib" in _modules_after(["add", "route", "--help"])


def test_entity_fields_read_references_as_iris(ckg_home: Path, runner: CliRunner) -> None:
    res = runner.invoke(cli, ["add", "entity", "--class", "CloudProvider", "--label",
                              "en=Example Cloud", "--subsidiary-of", "microsoft",
                              "--source", "source-seed-2026", "--source", "kgid:source-seed-2026"])
    assert res.exit_code == 0, res.output
    kg = load([ckg_home / "graphs"])
    rows = query(kg, f"SELECT ?p ?o WHERE {{ <{KGID}example-cloud> ?p ?o }} ORDER BY ?p").rows
    objects = {str(p).rsplit("/", 1)[-1].rsplit("#", 1)[-1]: o for p, o in rows}
    assert str(objects["wasDerivedFrom"]) == KGID + "source-seed-2026"
    assert not hasattr(objects["wasDerivedFrom"], "language")  # an IRI, not a literal
    assert str(objects["subsidiaryOf"]) == KGID + "microsoft"


OLD_ROUTE = """@prefix ckg: <https://w3id.org/channelkg/ontology#> .
@prefix kgid: <https://w3id.org/channelkg/id/> .
@prefix prov: <http://www.w3.org/ns/prov#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .

kgid:route-old a ckg:AccessRoute ;
    rdfs:comment "An old route that names a partnership nobody described."@en ;
    ckg:dependsOn kgid:partnership-later ;
    ckg:kind ckg:Reseller ;
    ckg:market kgid:mainland-china ;
    ckg:model kgid:gpt ;
    ckg:open true ;
    ckg:service kgid:openai-api ;
    ckg:statedOn "2026-01-01"^^xsd:date ;
    ckg:status ckg:reported ;
    prov:wasDerivedFrom kgid:source-seed-2026 .
"""


def test_a_problem_the_graph_had_before_does_not_block_a_new_fact(
    ckg_home: Path, runner: CliRunner
) -> None:
    (ckg_home / "graphs" / "old.ttl").write_text(OLD_ROUTE, encoding="utf-8")
    check = runner.invoke(cli, ["validate"])
    assert check.exit_code == 1 and "kgid:route-old ckg:dependsOn" in check.output
    res = runner.invoke(cli, ROUTE)
    assert res.exit_code == 0, res.output
    # A new problem on a node that was there before is the new fact's fault.
    res = runner.invoke(cli, ["add", "claim", "--about", "microsoft", "--comment", "New.",
                              "--source", "source-seed-2026", "--stated-on", "2026-06-19",
                              "--supersedes", "route-old"])
    assert res.exit_code == 2
    assert "shacl kgid:route-old ckg:status: a claim with ckg:supersededBy must have status " \
        "superseded" in res.output
    assert "dependsOn" not in res.output


def test_set_is_repeatable(ckg_home: Path, runner: CliRunner) -> None:
    res = runner.invoke(cli, [*ROUTE, "--set", "ckg:sanctioned=true",
                              "--set", "ckg:hostedIn=CN"])
    assert res.exit_code == 0, res.output
    kg = load([ckg_home / "graphs"])
    iri = f"<{KGID}route-gpt-cn-openai-api-2026-06-20>"
    rows = query(kg, f"SELECT ?s ?h WHERE {{ {iri} <{CKG}sanctioned> ?s ; "
                     f"<{CKG}hostedIn> ?h }}").rows
    assert [(str(s), str(h)) for s, h in rows] == [("true", KGID + "mainland-china")]


LAWSUIT_TERMS = """
ckg:Lawsuit a owl:Class ;
    rdfs:label "Lawsuit"@en ;
    rdfs:subClassOf ckg:Claim .

ckg:plaintiff a owl:ObjectProperty ;
    rdfs:label "plaintiff"@en ;
    skos:definition "The organization that brings the lawsuit."@en ;
    rdfs:domain ckg:Lawsuit ;
    rdfs:range ckg:Organization .
"""

LAWSUIT_SHAPE = """
ckgsh:LawsuitShape a sh:NodeShape ;
    sh:targetClass ckg:Lawsuit ;
    sh:property [
        sh:path ckg:plaintiff ;
        sh:minCount 1 ;
        sh:class ckg:Organization ;
    ] .
"""


def test_a_shape_on_a_new_claim_class_is_a_new_kind(ckg_home: Path, runner: CliRunner) -> None:
    assert "lawsuit" not in runner.invoke(cli, ["add", "--help"]).output
    onto = ckg_home / "ontology" / "channelkg.ttl"
    onto.write_text(onto.read_text(encoding="utf-8") + LAWSUIT_TERMS, encoding="utf-8")
    shapes = ckg_home / "ontology" / "shapes.ttl"
    shapes.write_text(shapes.read_text(encoding="utf-8") + LAWSUIT_SHAPE, encoding="utf-8")
    assert "lawsuit" in runner.invoke(cli, ["add", "--help"]).output
    line = _option_line(runner.invoke(cli, ["add", "lawsuit", "-h"]).output, "--plaintiff")
    assert "The organization that brings the lawsuit." in line and "[required]" in line
    args = ["add", "lawsuit", "--comment", "OpenAI is sued.", "--source", "source-seed-2026",
            "--stated-on", "2026-06-19"]
    res = runner.invoke(cli, args)
    assert res.exit_code == 2 and "missing required field 'plaintiff'" in res.output
    res = runner.invoke(cli, [*args, "--plaintiff", "microsoft"])
    assert res.exit_code == 0, res.output
    assert "added kgid:lawsuit-openai-is-sued-2026-06-19" in res.output
    kg = load([ckg_home / "graphs"])
    rows = query(kg, f"SELECT ?c WHERE {{ <{KGID}lawsuit-openai-is-sued-2026-06-19> a ?c }}").rows
    assert [str(r[0]) for r in rows] == [CKG + "Lawsuit"]
