"""validate --sample: focus nodes drawn at random (reproducibly) from every node the
shapes target, checked as --focus checks them."""

from __future__ import annotations

import json
import random
import re
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib import Graph, URIRef
from rdflib.term import Node

from channelkg import resources
from channelkg.check.engine import target_nodes
from channelkg.check.inputs import validate_input
from channelkg.check.problems import Problem
from channelkg.check.validate import Report
from channelkg.cli.main import cli
from channelkg.graph.memory import expand_paths, from_rdflib, new_rdflib_graph, parse_file
from channelkg.rdf.terms import add_triples, display
from conftest import BAD, DATA

SHACL = DATA / "shacl"
FAILING = [*sorted(SHACL.glob("*-fail.ttl")), BAD / "no-source.ttl", BAD / "invalid-date.ttl",
           BAD / "unknown-term.ttl"]


def _graph(paths: Sequence[Path]) -> Graph:
    g = new_rdflib_graph()
    for f in paths:
        add_triples(g, parse_file(f))
    return g


def _pyshacl_targets(data: Graph, shapes: Graph) -> list[str]:
    """The IRIs pySHACL takes for focus nodes (the ontology mixed in, as validate does),
    in IRI order: the independent count of what --sample draws from."""
    from pyshacl.shapes_graph import ShapesGraph

    mixed = new_rdflib_graph()
    for g in (data, _graph([resources.ontology_file()])):
        for t in g:
            mixed.add(t)
    found: set[Node] = set()
    for shape in ShapesGraph(shapes).shapes:
        if not shape.deactivated:
            found |= set(shape.focus_nodes(mixed))
    return sorted(str(n) for n in found if isinstance(n, URIRef))


def _ours(data: Graph, shapes: Graph) -> list[str]:
    kg = from_rdflib(data)
    onto = _graph([resources.ontology_file()])
    return [str(n) for n in target_nodes(lambda q: kg.run(q).rows, shapes, onto)]


EVERY_TARGET = """@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <http://x/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix ckg: <https://w3id.org/channelkg/ontology#> .
ex:Nodes a sh:NodeShape ; sh:targetNode ex:a , ex:absent ;
    sh:property [ sh:path ex:p ; sh:minCount 1 ] .
ex:Objects a sh:NodeShape ; sh:targetObjectsOf ex:p ; sh:nodeKind sh:IRI .
ex:Subjects a sh:NodeShape ; sh:targetSubjectsOf ex:q ; sh:nodeKind sh:IRI .
ex:C a sh:NodeShape , rdfs:Class ; sh:property [ sh:path ex:p ; sh:maxCount 1 ] .
ex:Claims a sh:NodeShape ; sh:targetClass ckg:Claim ; sh:nodeKind sh:IRI .
ex:Off a sh:NodeShape ; sh:targetClass ex:Off ; sh:deactivated true .
ex:Untargeted a sh:NodeShape ; sh:property [ sh:path ex:p ; sh:minCount 1 ] .
"""
EVERY_TARGET_DATA = """@prefix ex: <http://x/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix ckg: <https://w3id.org/channelkg/ontology#> .
ex:a ex:p ex:b . ex:b ex:p [ ex:q ex:c ] . ex:d ex:q ex:e , ex:f .
ex:g a ex:D . ex:D rdfs:subClassOf ex:C . ex:h a ex:C . ex:i a ckg:AccessRoute .
ex:j a ex:Off . ex:k a ex:Untargeted .
"""


@pytest.mark.parametrize("case", ["curated graph", "every kind of target"])
def test_the_nodes_drawn_from_are_pyshacls_focus_nodes(case: str) -> None:
    if case == "curated graph":
        data, shapes = _graph(expand_paths(None)), _graph([resources.shapes_file()])
    else:
        data, shapes = new_rdflib_graph(), new_rdflib_graph()
        data.parse(data=EVERY_TARGET_DATA, format="turtle")
        shapes.parse(data=EVERY_TARGET, format="turtle")
    ours, theirs = _ours(data, shapes), _pyshacl_targets(data, shapes)
    assert ours == theirs
    if case == "curated graph":
        assert len(ours) > 300, ours
    else:  # blank nodes are never focus nodes of --focus; ex:j, ex:k: no active target
        assert ours == [f"http://x/{n}" for n in ("a", "absent", "b", "d", "g", "h", "i")]


def _lines(problems: Sequence[Problem], nodes: Sequence[Node] | None = None) -> Counter[str]:
    """The problems about ``nodes`` (all when ``None``) that a node is checked for: its
    SHACL results and its ill-typed literals."""
    names = None if nodes is None else {display(n) for n in nodes}
    return Counter(p.line() for p in problems if p.kind in ("shacl", "literal")
                   and (names is None or p.focus in names))


def _assert_sample_is_full(sample: Report, full: Report) -> None:
    assert sample.sample is not None
    nodes = sample.sample.nodes
    assert _lines(sample.problems) == _lines(full.problems, nodes)
    terms = {p.line() for p in full.problems if p.kind == "term"}
    assert {p.line() for p in sample.problems if p.kind == "term"} <= terms


def test_sampled_problems_are_the_full_reports_on_failing_fixtures() -> None:
    full = validate_input(FAILING)
    total = len(_pyshacl_targets(_graph(FAILING), _graph([resources.shapes_file()])))
    for seed in range(4):
        sample = validate_input(FAILING, sample=total // 2, seed=seed)
        assert sample.sample is not None and len(sample.sample.nodes) == total // 2
        _assert_sample_is_full(sample, full)
        assert _lines(sample.problems), "no failing node drawn: the test proves little"


def test_sampled_problems_are_the_full_reports_on_the_curated_graph(tmp_path: Path) -> None:
    """On a copy of the curated graph with some claims broken: their statement date
    removed, their start date made ill-typed."""
    rnd = random.Random(11)
    lines = []
    for line in "\n".join(f.read_text(encoding="utf-8") for f in expand_paths(None)).splitlines():
        if line.startswith(" ") and line.endswith(";") and "ckg:statedOn" in line:
            if rnd.random() < 0.3:
                continue
        elif line.startswith(" ") and "ckg:validFrom" in line and rnd.random() < 0.3:
            line = re.sub(r'"(\d{4})-\d\d-\d\d"', r'"\1-02-30"', line)
        lines.append(line)
    broken = tmp_path / "curated.ttl"
    broken.write_text("\n".join(lines) + "\n", encoding="utf-8")
    full = validate_input([broken])
    kinds = {p.kind for p in full.problems}
    assert {"shacl", "literal"} <= kinds, full.text
    total = len(_pyshacl_targets(_graph([broken]), _graph([resources.shapes_file()])))
    for seed in (0, 1):
        sample = validate_input([broken], sample=total // 3, seed=seed)
        _assert_sample_is_full(sample, full)
        assert {p.kind for p in sample.problems} >= {"shacl", "literal"}, sample.text


def test_the_draw_is_reproducible_and_is_the_seeds() -> None:
    """The same seed draws the same nodes, another seed others; the draw is
    random.Random(seed).sample of the focus nodes in IRI order."""
    data, shapes = _graph(expand_paths(None)), _graph([resources.shapes_file()])
    every = _pyshacl_targets(data, shapes)
    drawn = {}
    for seed in (0, 0, 1, 2):
        report = validate_input([], sample=25, seed=seed)
        assert report.sample is not None and report.sample.total == len(every)
        nodes = [str(n) for n in report.sample.nodes]
        assert nodes == sorted(random.Random(seed).sample(every, 25))
        drawn.setdefault(seed, []).append(nodes)
    assert drawn[0][0] == drawn[0][1]
    assert len({tuple(v[0]) for v in drawn.values()}) == 3
    default = validate_input([], sample=25)
    assert default.sample is not None and [str(n) for n in default.sample.nodes] == drawn[0][0]


def test_more_than_there_are_checks_all(tmp_path: Path) -> None:
    full = validate_input(FAILING)
    every = validate_input(FAILING, sample=10**6)
    assert every.sample is not None
    total = every.sample.total
    assert len(every.sample.nodes) == total
    assert [str(n) for n in every.sample.nodes] == _pyshacl_targets(
        _graph(FAILING), _graph([resources.shapes_file()]))
    assert _lines(every.problems) == _lines(full.problems)
    assert every.text.splitlines()[-1] == (
        f"{len(every.problems)} problem(s) in {len(FAILING)} file(s), "
        f"{total} of {total} focus IRIs checked (sample, seed 0; blank nodes not sampled)")


def _store(tmp_path: Path, *files: Path) -> str:
    from channelkg.graph import disk

    db = tmp_path / "db"
    disk.load_into(db, list(files))
    return f"oxigraph:{db}"


def _synthetic_with_drops(path: Path, size: int, drop: int) -> Path:
    from benchmarks.synthetic import triples

    rnd = random.Random(5)
    lines = sorted(f"{s} {p} {o} .\n" for s, p, o in triples(size))
    path.write_text("".join(ln for ln in lines if rnd.randrange(drop)), encoding="utf-8")
    return path


def test_cli_sample_of_a_store_text_and_json(tmp_path: Path) -> None:
    spec = _store(tmp_path, _synthetic_with_drops(tmp_path / "syn.nt", 1500, 12))
    run = CliRunner().invoke
    full = run(cli, ["validate", "--store", spec, "-f", "json"])
    text = run(cli, ["validate", "--store", spec, "--sample", "40", "--seed", "9"])
    doc = run(cli, ["validate", "--store", spec, "--sample", "40", "--seed", "9", "-f", "json"])
    assert {full.exit_code, text.exit_code, doc.exit_code} == {1}, text.output
    whole, got = json.loads(full.output), json.loads(doc.output)
    assert "sample" not in whole
    sample = got["sample"]
    assert sample["checked"] == 40 == len(sample["nodes"]) and sample["seed"] == 9
    assert sample["total"] > 40
    mine = {display(URIRef(n)) for n in sample["nodes"]}

    def keyed(problems: list[dict[str, str]]) -> Counter[tuple[str, ...]]:
        return Counter((p["kind"], p["focus"], p["path"], p["message"]) for p in problems
                       if p["kind"] in ("shacl", "literal") and p["focus"] in mine)
    assert keyed(got["problems"]) == keyed(whole["problems"]) and keyed(got["problems"])
    assert len(text.output.splitlines()) == len(got["problems"]) + 1
    assert text.output.splitlines()[-1] == (
        f"{len(got['problems'])} problem(s) in {spec}, 40 of {sample['total']} focus IRIs "
        "checked (sample, seed 9; blank nodes not sampled)")


@pytest.mark.parametrize(("args", "message"), [
    (["--sample", "3", "--focus", "kgid:c"], "Error: --sample and --focus cannot be combined"),
    (["--seed", "3"], "Error: --seed needs --sample"),
    (["--sample", "0"], "Error: Invalid value for '--sample': 0 is not in the range x>=1."),
])
def test_usage_errors_are_one_line(args: list[str], message: str) -> None:
    res = CliRunner().invoke(cli, ["validate", str(SHACL / "or-fail.ttl"), *args])
    assert res.exit_code == 2
    assert res.output.strip().splitlines()[-1] == message, res.output
    assert "Traceback" not in res.output


def test_help_shows_sample_with_an_example() -> None:
    res = CliRunner().invoke(cli, ["validate", "--help"])
    assert res.exit_code == 0
    assert "--sample N" in res.output and "--seed S" in res.output
    example = "channelkg validate --store oxigraph:kg.oxigraph --sample 100 --seed 7"
    assert example in res.output


def test_the_help_example_runs(tmp_path: Path) -> None:
    spec = _store(tmp_path, *expand_paths(None))
    res = CliRunner().invoke(cli, ["validate", "--store", spec, "--sample", "100", "--seed", "7"])
    assert res.exit_code == 0, res.output
    total = len(_pyshacl_targets(_graph(expand_paths(None)), _graph([resources.shapes_file()])))
    assert re.fullmatch(f"ok: {re.escape(spec)}, 100 of {total} focus IRIs checked "
                        r"\(sample, seed 7; blank nodes not sampled\), \d+ triples, "
                        r"no problems\n", res.output), res.output


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"sample": 3, "focus": [URIRef("http://x/a")]}, "--sample and --focus cannot be combined"),
    ({"sample": 3, "focus": []}, "--sample and --focus cannot be combined"),
    ({"seed": 3}, "--seed needs --sample"),
])
def test_the_library_refuses_what_the_command_refuses(kwargs: dict, message: str) -> None:
    from channelkg.check.validate import validate
    from channelkg.errors import InputError

    with pytest.raises(InputError) as err:
        validate([SHACL / "or-fail.ttl"], **kwargs)
    assert str(err.value) == message
    res = CliRunner().invoke(cli, ["validate", str(SHACL / "or-fail.ttl"), "--sample", "3",
                                   "--focus", "kgid:c"])
    assert res.output.strip().splitlines()[-1] == "Error: --sample and --focus cannot be combined"
    with pytest.raises(InputError, match="^--sample and --focus cannot be combined$"):
        validate_input([SHACL / "or-fail.ttl"], sample=3, focus=("kgid:no-such-node",))


BLANK_SHAPES = """@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <http://x/> .
ex:S a sh:NodeShape ; sh:targetClass ex:C ; sh:property [ sh:path ex:p ; sh:minCount 1 ] .
"""


@pytest.mark.parametrize("engine", ["auto", "pyshacl"])
def test_blank_focus_nodes_are_not_sampled_and_the_summary_says_so(
    engine: str, tmp_path: Path,
) -> None:
    from channelkg.check.validate import validate

    shapes, data = tmp_path / "shapes.ttl", tmp_path / "data.ttl"
    shapes.write_text(BLANK_SHAPES)
    data.write_text("@prefix ex: <http://x/> .\nex:a a ex:C .\nex:b a ex:C .\n[] a ex:C .\n")
    full = validate([data], shapes=shapes, engine=engine)
    failing = {p.focus for p in full.problems if p.kind == "shacl"}
    assert len(failing) == 3 and sum(f.startswith("_:") for f in failing) == 1, failing
    drawn = validate([data], shapes=shapes, engine=engine, sample=10)
    assert drawn.sample is not None and drawn.sample.total == 2
    assert {str(n) for n in drawn.sample.nodes} == {"http://x/a", "http://x/b"}
    assert {p.focus for p in drawn.problems if p.kind == "shacl"} == failing - {
        f for f in failing if f.startswith("_:")}
    assert drawn.text.splitlines()[-1].endswith(
        "2 of 2 focus IRIs checked (sample, seed 0; blank nodes not sampled)")


def test_help_says_blank_focus_nodes_are_not_sampled() -> None:
    res = CliRunner().invoke(cli, ["validate", "--help"], terminal_width=400)
    assert "drawn at random from the IRIs the shapes target" in " ".join(res.output.split())
    assert "Blank-node focus nodes are not sampled" in " ".join(res.output.split())
