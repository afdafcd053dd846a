"""The SHACL shapes compiled to SPARQL (check/compiled.py, check/engine.py): the same
results as pySHACL, a failing fixture per compiled component, focus mode, progress."""

from __future__ import annotations

import io
import random
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib import Graph
from rdflib.term import Node

from channelkg import resources
from channelkg.check.engine import store_shacl
from channelkg.check.inputs import validate_input
from channelkg.check.problems import Problem
from channelkg.check.shacl import run_shacl
from channelkg.check.validate import validate
from channelkg.cli.main import cli
from channelkg.cli.progress import Progress
from channelkg.graph.memory import expand_paths, from_rdflib, new_rdflib_graph, parse_file
from channelkg.rdf.namespaces import KGID
from channelkg.rdf.terms import add_triples
from conftest import BAD, DATA

SHACL = DATA / "shacl"
FIXTURES = sorted(SHACL.glob("*-fail.ttl"))

#: What each failing fixture must bring (a message part per expected result).
EXPECTED = {
    "mincount": ["every claim needs a statement text"],
    "maxcount": ["status must be exactly one of",
                 "More than 1 values on kgid:c->ckg:snapshot"],
    "class": ["every claim needs at least one source",
              "Value does not have class ckg:Organization"],
    "datatype": ["statedOn must be one valid xsd:date", "validTo must be one valid xsd:date",
                 "Value is not Literal with datatype xsd:boolean"],
    "in": ["status must be exactly one of", "datePrecision must be day, month or year"],
    "hasvalue": ["a claim with ckg:supersededBy must have status superseded"],
    "nodekind": ["a source URL must be an IRI"],
    "pattern": ["isoCode must be an ISO 3166 code"],
    "lessthan": ["validFrom must be before validTo"],
    "or": ["every claim needs a date", "every claim needs a date"],
}


def _graph(paths: Sequence[Path]) -> Graph:
    g = new_rdflib_graph()
    for f in paths:
        add_triples(g, parse_file(f))
    return g


def _key(p: Problem) -> tuple[str, ...]:
    return (str(p.node), str(p.predicate), str(p.value), p.message, str(p.severity),
            str(p.shape))


def _both(data: Graph, shapes: Graph | None = None,
          focus: list[Node] | None = None) -> tuple[list[Problem], list[Problem]]:
    shapes = shapes if shapes is not None else _graph([resources.shapes_file()])
    onto = _graph([resources.ontology_file()])
    kg = from_rdflib(data)
    # Both read the same terms (blank nodes included): those the store gives back.
    same = new_rdflib_graph()
    for t in kg.triples():
        same.add(t)
    old = run_shacl(same, shapes, onto, lambda n: "", focus)
    new = store_shacl(lambda q: kg.run(q).rows, shapes, onto, lambda n: "", focus)
    return old, new


def _assert_same(old: list[Problem], new: list[Problem]) -> None:
    a, b = Counter(map(_key, old)), Counter(map(_key, new))
    assert a == b, (sorted(a - b), sorted(b - a))


def _synthetic(size: int, drop: int) -> Graph:
    """A synthetic hub graph with every ``drop``-th triple removed (seeded): many results."""
    from benchmarks.synthetic import triples

    text = "".join(f"{s} {p} {o} .\n" for s, p, o in triples(size))
    g = new_rdflib_graph()
    g.parse(data=text, format="nt")
    rnd = random.Random(5)
    for t in sorted(g):
        if rnd.randrange(drop) == 0:
            g.remove(t)
    return g


CASES: dict[str, Callable[[], Graph]] = {
    "shipped graph": lambda: _graph(expand_paths(None)),
    "fixtures of validate, add and import": lambda: _graph(
        [*sorted(DATA.glob("*.ttl")), BAD / "invalid-date.ttl", BAD / "no-source.ttl",
         BAD / "unknown-term.ttl"]),
    "fixtures of the quality rules": lambda: _graph(sorted((DATA / "check").glob("*.ttl"))),
    "every failing fixture together": lambda: _graph(FIXTURES),
    "synthetic, 1 triple in 12 dropped": lambda: _synthetic(1500, 12),
}


@pytest.mark.parametrize("name", CASES)
def test_compiled_results_are_pyshacls(name: str) -> None:
    old, new = _both(CASES[name]())
    _assert_same(old, new)
    if name.startswith(("synthetic", "every")):
        assert len(new) > 10  # the comparison is not between two empty lists


@pytest.mark.parametrize("fixture", FIXTURES, ids=lambda f: f.name)
def test_each_failing_fixture_fails_alike(fixture: Path) -> None:
    old, new = _both(_graph([fixture]))
    _assert_same(old, new)
    want = EXPECTED[fixture.name.removesuffix("-fail.ttl")]
    got = sorted(p.message for p in new)
    assert len(got) == len(want), got
    for part in want:
        assert any(part in m for m in got), (part, got)


def test_focus_results_are_pyshacls() -> None:
    data = _graph(FIXTURES[:4])
    focus: list[Node] = [KGID.c, KGID.r]
    old, new = _both(data, focus=focus)
    _assert_same(old, new)
    assert {p.node for p in new} <= set(focus) and new


PATHS = """
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix ckg: <https://w3id.org/channelkg/ontology#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
@prefix prov: <http://www.w3.org/ns/prov#> .
@prefix x: <https://example.org/shapes#> .
x:Sources a sh:NodeShape ; sh:targetClass ckg:Source ;
    sh:property [ sh:path [ sh:inversePath prov:wasDerivedFrom ] ; sh:minCount 1 ;
                  sh:message "a source backs a claim" ] .
x:Titles a sh:NodeShape ; sh:targetClass ckg:Claim ;
    sh:property [ sh:path ( prov:wasDerivedFrom <http://purl.org/dc/terms/title> ) ;
                  sh:minCount 1 ; sh:maxCount 1 ; sh:message "one source title" ] .
x:Either a sh:NodeShape ; sh:targetClass ckg:Organization ; sh:message "two labels or no model" ;
    sh:or ( [ sh:path rdfs:label ; sh:minCount 2 ]
            [ sh:not [ sh:path rdfs:label ; sh:minCount 1 ; sh:datatype rdf:langString ] ]
            [ sh:not [ sh:class ckg:ModelDeveloper ] ] ) .
x:Labels a sh:NodeShape ; sh:targetClass ckg:Organization ;
    sh:property [ sh:path rdfs:label ; sh:minLength 4 ; sh:message "a long label" ] .
"""


def test_paths_and_a_shape_left_to_pyshacl() -> None:
    shapes = new_rdflib_graph()
    shapes.parse(data=PATHS, format="turtle")
    data = _graph([*FIXTURES, DATA / "tiny.ttl"])
    data.parse(data="@prefix kgid: <https://w3id.org/channelkg/id/> . "
               "kgid:s <http://purl.org/dc/terms/title> \"A second title\" . "
               "kgid:lonely a <https://w3id.org/channelkg/ontology#Source> .", format="turtle")
    old, new = _both(data, shapes)
    _assert_same(old, new)
    kinds = ("a long label", "one source title", "a source backs", "two labels")
    found = {m for p in new for m in kinds if p.message.startswith(m)}
    # x:Labels (sh:minLength is not compiled) runs in pySHACL: it is not skipped.
    assert found == set(kinds), new


def test_validate_engines_report_alike() -> None:
    files = [BAD / "no-source.ttl", SHACL / "or-fail.ttl"]
    a, b = validate(files, engine="sparql"), validate(files, engine="pyshacl")
    assert a.text == b.text and not a.conforms


def _store_with(tmp_path: Path, *files: Path) -> str:
    from channelkg.graph import disk

    db = tmp_path / "db"
    disk.load_into(db, list(files))
    return f"oxigraph:{db}"


def test_focus_finds_the_added_violation_and_only_that(tmp_path: Path) -> None:
    """A graph with a violation (kgid:c, no date), then a new claim with another one:
    validating the new claim reports its problem and not the old one."""
    before = tmp_path / "graph.ttl"
    before.write_text((SHACL / "or-fail.ttl").read_text(encoding="utf-8"), encoding="utf-8")
    added = tmp_path / "added.ttl"
    added.write_text(
        "@prefix ckg: <https://w3id.org/channelkg/ontology#> .\n"
        "@prefix kgid: <https://w3id.org/channelkg/id/> .\n"
        '@prefix prov: <http://www.w3.org/ns/prov#> .\n'
        'kgid:new a ckg:Claim ; <http://www.w3.org/2000/01/rdf-schema#comment> "N." ;\n'
        '    ckg:status ckg:confirmed ; ckg:statedOn "2024-01-01"^^'
        "<http://www.w3.org/2001/XMLSchema#date> ; prov:wasDerivedFrom kgid:o .\n",
        encoding="utf-8")
    spec = _store_with(tmp_path, before, added)
    whole = CliRunner().invoke(cli, ["validate", "--store", spec])
    assert "kgid:c" in whole.output and "kgid:new" in whole.output, whole.output
    res = CliRunner().invoke(cli, ["validate", "--store", spec, "--focus", "kgid:new"])
    assert res.exit_code == 1
    lines = res.output.splitlines()
    assert lines[-1] == f"1 problem(s) in {spec}", res.output
    assert "kgid:new prov:wasDerivedFrom: every claim needs at least one source" in lines[0]
    files = CliRunner().invoke(cli, ["validate", str(before), str(added), "--focus", "new"])
    assert files.output.splitlines()[0].startswith(f"{added}:4: shacl kgid:new"), files.output


def test_bad_focus_name_is_one_line(tmp_path: Path) -> None:
    res = CliRunner().invoke(cli, ["validate", str(SHACL / "or-fail.ttl"), "--focus", "nowhere"])
    assert res.exit_code == 2
    assert res.output.strip().splitlines() == ["Error: unknown entity 'nowhere'"]
    assert "Traceback" not in res.output


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_line_per_shape_on_a_terminal_only() -> None:
    tty = _Terminal()
    report = validate_input([SHACL / "pattern-fail.ttl"], progress=Progress(tty))
    assert not report.conforms
    lines = [ln for ln in tty.getvalue().split("\n") if "SHACL shape" in ln]
    assert len(lines) == 13 and "SHACL shape 13/13" in lines[-1], tty.getvalue()
    pipe = io.StringIO()
    validate_input([SHACL / "pattern-fail.ttl"], progress=Progress(pipe))
    assert pipe.getvalue() == ""
    res = CliRunner().invoke(cli, ["validate", str(SHACL / "pattern-fail.ttl")])
    assert "SHACL shape" not in res.output and res.exit_code == 1


EX_SHAPES = """@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <http://x/> .
ex:S a sh:NodeShape ; sh:targetClass ex:C ;
    sh:property [ sh:path ex:p ; sh:node ex:N ] , [ sh:path ex:n ; sh:maxCount 1 ] .
ex:N a sh:NodeShape ; sh:property [ sh:path ex:q ; sh:minCount 1 ] .
ex:U a sh:NodeShape ; sh:targetNode ex:a ; sh:message "U" ; sh:not [ sh:not [ ] ] .
"""


@pytest.mark.parametrize("data", [
    "ex:a a ex:C ; ex:p ex:b . ex:b a ex:D .",  # a nested shape (pySHACL fallback)
    "ex:a a ex:C ; ex:n 01 , 1 .",  # two terms a store would keep as one
    'ex:a a ex:C ; ex:n "+1"^^<http://www.w3.org/2001/XMLSchema#integer> .',
    "ex:a a ex:C .",  # sh:not of sh:not of the empty shape: conforms
])
def test_files_report_what_pyshacl_reports(tmp_path: Path, data: str) -> None:
    """Files are validated on their own terms: an Oxigraph store writes numbers in
    canonical form, so such files go to pySHACL; nested shapes left to pySHACL keep
    their results; an empty shape conforms."""
    shapes, path = tmp_path / "shapes.ttl", tmp_path / "data.ttl"
    shapes.write_text(EX_SHAPES, encoding="utf-8")
    path.write_text("@prefix ex: <http://x/> . " + data, encoding="utf-8")
    auto, old = (validate([path], shapes=shapes, engine=e) for e in ("auto", "pyshacl"))
    assert auto.text == old.text
    focus = validate_input([path], shapes=shapes, focus=("http://x/a",))
    assert [p.line() for p in focus.problems] == [
        p.line() for p in old.problems if p.focus == "http://x/a"]


def test_focus_on_the_bundled_graph_names_the_file_and_line(tmp_path: Path) -> None:
    shapes = tmp_path / "shapes.ttl"
    shapes.write_text("@prefix sh: <http://www.w3.org/ns/shacl#> . "
                      "@prefix kgid: <https://w3id.org/channelkg/id/> . "
                      "[] a sh:NodeShape ; sh:targetNode kgid:fact-az-8 ; sh:property "
                      "[ sh:path <http://x/nope> ; sh:minCount 1 ; sh:message \"need nope\" ] .",
                      encoding="utf-8")
    full = validate_input([], shapes=shapes)
    focus = validate_input([], shapes=shapes, focus=("fact-az-8",))
    assert "azure-china.ttl:" in focus.text and focus.text == full.text, focus.text
