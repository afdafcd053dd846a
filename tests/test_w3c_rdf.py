"""The W3C RDF 1.1 test suites (Turtle, N-Triples, TriG, N-Quads) through channelkg.

Data: ``tests/data/w3c/rdf-tests/`` (unchanged W3C files, see its LICENSE.md), read
through ``tests/w3c.py``.

* Turtle: every positive test (eval and positive syntax) is re-written by ``format``
  and reads back to an isomorphic graph (from the same place, so relative IRIs too);
  every eval test gives the suite's expected triples; every negative test is refused
  by ``format`` and by ``--data``/``validate`` with ``file:line:col`` in one line.
* N-Triples: positives read and re-written as N-Triples isomorphically; negatives
  refused with ``file:line:col``.
* TriG and N-Quads: quads in a named graph are refused with the documented message
  (channelkg reads one default graph); the other positives round-trip; every negative
  is refused with ``file:line:col``.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner
from rdflib import Graph
from rdflib.compare import isomorphic

from channelkg.cli.main import cli
from channelkg.errors import InputError
from channelkg.graph.memory import load, parse_file
from channelkg.rdf.terms import to_rdflib
from channelkg.rdf.turtle import reformat_files, serialize
from channelkg.render.results import ntriples
from w3c import Case, manifest, of_kind

TURTLE = manifest("rdf/rdf11/rdf-turtle")
NTRIPLES = manifest("rdf/rdf11/rdf-n-triples")
TRIG = manifest("rdf/rdf11/rdf-trig")
NQUADS = manifest("rdf/rdf11/rdf-n-quads")
NAMED_GRAPH = "holds quads in the named graph"


def graph(data: bytes, fmt: ox.RdfFormat, base: str) -> Graph:
    """The triples of ``data`` read against ``base`` (named graphs are not expected here)."""
    g = Graph()
    for q in ox.parse(data, format=fmt, base_iri=base):
        assert isinstance(q.graph_name, ox.DefaultGraph)
        g.add((to_rdflib(q.subject), to_rdflib(q.predicate), to_rdflib(q.object)))  # type: ignore[arg-type]
    return g


def copy(case: Case, folder: Path) -> Path:
    assert case.action is not None
    return Path(shutil.copy(case.action, folder / case.action.name))


def assert_located(err: InputError, path: Path) -> None:
    """One line, starting with the file, its line and its column."""
    text = str(err)
    assert "\n" not in text, text
    assert re.match(re.escape(str(path)) + r":\d+:\d+: ", text), text


def test_the_vendored_suites_are_complete() -> None:
    kinds = {c.kind for c in TURTLE}
    assert kinds == {"TestTurtleEval", "TestTurtlePositiveSyntax", "TestTurtleNegativeSyntax"}
    assert len(TURTLE) == 313 and len(NTRIPLES) == 70 and len(TRIG) == 356
    assert len(NQUADS) == 87
    assert all(c.action is not None and c.action.is_file() for c in TURTLE + NTRIPLES + TRIG
               + NQUADS)


# -- Turtle ---------------------------------------------------------------------------


@pytest.mark.parametrize("case", of_kind(TURTLE, "TestTurtleEval", "TestTurtlePositiveSyntax"),
                         ids=lambda c: c.name)
def test_turtle_positive_round_trips_through_format(case: Case, tmp_path: Path) -> None:
    assert case.action is not None
    path = copy(case, tmp_path)
    before = graph(case.action.read_bytes(), ox.RdfFormat.TURTLE, case.base)
    [(_, _, _)] = reformat_files([path])
    after = graph(path.read_bytes(), ox.RdfFormat.TURTLE, case.base)
    assert isomorphic(before, after), path.read_text(encoding="utf-8")
    if case.result is not None:  # eval: the suite's expected triples
        expected = graph(case.result.read_bytes(), ox.RdfFormat.N_TRIPLES, case.base)
        assert isomorphic(after, expected)
    # validate and --data read the formatted file as format read the original (on the
    # rdflib engine: Oxigraph's store keeps decimals by value, "1.0" and "1." as one)
    assert len(load([path], ontology=False, engine="rdflib")) == len(before)
    # and formatting is stable: a second run changes nothing
    assert reformat_files([path]) == [(path, False, 0)]


@pytest.mark.parametrize("case", of_kind(TURTLE, "TestTurtleNegativeSyntax"),
                         ids=lambda c: c.name)
def test_turtle_negative_is_refused_with_its_place(case: Case, tmp_path: Path) -> None:
    path = copy(case, tmp_path)
    original = path.read_bytes()
    with pytest.raises(InputError) as err:
        reformat_files([path])
    assert_located(err.value, path)
    assert path.read_bytes() == original
    with pytest.raises(InputError) as err:
        load([path], ontology=False)
    assert_located(err.value, path)


def test_format_cli_writes_relative_iris_and_unicode_prefixes(tmp_path: Path) -> None:
    names = ("turtle-subm-01", "prefix_with_non_leading_extras", "IRI_with_all_punctuation")
    cases = [c for c in TURTLE if c.name in names]
    assert len(cases) == 3
    paths = [copy(c, tmp_path) for c in cases]
    res = CliRunner().invoke(cli, ["format", *map(str, paths)])
    assert res.exit_code == 0, res.output
    texts = {p.stem: p.read_text(encoding="utf-8") for p in paths}
    assert "@prefix : <#> ." in texts["turtle-subm-01"]  # kept relative: no machine path
    assert "file:" not in "".join(texts.values())
    assert "@prefix a·̀ͯ‿.⁀: " in texts["prefix_with_non_leading_extras"]
    res = CliRunner().invoke(cli, ["validate", "--data", str(paths[0])])
    assert "syntax error" not in res.output


def test_format_cli_refuses_a_negative_test_in_one_line(tmp_path: Path) -> None:
    [case] = [c for c in TURTLE if c.name == "turtle-syntax-bad-prefix-01"]
    path = copy(case, tmp_path)
    res = CliRunner().invoke(cli, ["format", str(path)])
    assert res.exit_code == 2
    lines = [ln for ln in res.output.splitlines() if ln.strip()]
    assert len(lines) == 1, lines
    assert re.match("(Error: )?" + re.escape(str(path)) + r":\d+:\d+: ", lines[0]), lines


# -- N-Triples --------------------------------------------------------------------------


@pytest.mark.parametrize("case", NTRIPLES, ids=lambda c: c.name)
def test_ntriples(case: Case, tmp_path: Path) -> None:
    path = copy(case, tmp_path)
    if case.kind == "TestNTriplesNegativeSyntax":
        with pytest.raises(InputError) as err:
            load([path], ontology=False)
        assert_located(err.value, path)
        return
    assert case.kind == "TestNTriplesPositiveSyntax"
    before = graph(path.read_bytes(), ox.RdfFormat.N_TRIPLES, case.base)
    assert len(load([path], ontology=False)) == len(before)
    written = ntriples(before).encode("utf-8")
    assert isomorphic(graph(written, ox.RdfFormat.N_TRIPLES, case.base), before)


# -- TriG and N-Quads -----------------------------------------------------------------------


def _has_named_graph(path: Path, fmt: ox.RdfFormat) -> bool:
    return any(not isinstance(q.graph_name, ox.DefaultGraph)
               for q in ox.parse(path.read_bytes(), format=fmt, base_iri="http://x/"))


@pytest.mark.parametrize("case", TRIG + NQUADS, ids=lambda c: c.name)
def test_trig_and_nquads(case: Case, tmp_path: Path) -> None:
    path = copy(case, tmp_path)
    trig = path.suffix == ".trig"
    fmt = ox.RdfFormat.TRIG if trig else ox.RdfFormat.N_QUADS
    if "Negative" in case.kind:
        with pytest.raises(InputError) as err:
            parse_file(path)
        assert_located(err.value, path)
        with pytest.raises(InputError):
            load([path], ontology=False)
        return
    if _has_named_graph(path, fmt):
        with pytest.raises(InputError) as err:
            load([path], ontology=False)
        assert NAMED_GRAPH in str(err.value) and str(path) in str(err.value)
        assert "\n" not in str(err.value)
        return
    before = graph(path.read_bytes(), fmt, case.base)
    assert len(load([path], ontology=False, engine="rdflib")) == len(before)
    if trig:
        text = serialize(before, {}, base=case.base).encode("utf-8")
        after = graph(text, ox.RdfFormat.TURTLE, case.base)
    else:
        after = graph(ntriples(before).encode("utf-8"), ox.RdfFormat.N_TRIPLES, case.base)
    assert isomorphic(before, after)
    if case.result is not None:
        assert isomorphic(before, graph(case.result.read_bytes(), ox.RdfFormat.N_QUADS, case.base))


def test_format_keeps_comments_above_relative_subjects(tmp_path: Path) -> None:
    path = tmp_path / "rel.ttl"
    path.write_text('# head\n\n@prefix : <#> .\n\n# about b\n<b> :p "x" .\n\n'
                    '# about a\n<a> :p "y" .\n', encoding="utf-8")
    assert reformat_files([path]) == [(path, True, 0)]
    assert path.read_text(encoding="utf-8") == (
        '# head\n\n@prefix : <#> .\n\n# about a\n<a> :p "y" .\n\n# about b\n<b> :p "x" .\n')


def test_relative_iris_read_back_to_the_same_iris() -> None:
    base = "file:///srv/data/graph.ttl"
    iris = ["file:///srv/data/graph.ttl", "file:///srv/data/graph.ttl#x", "file:///srv/data/d",
            "file:///srv/data/s/d#e", "file:///srv/data//x", "file:///srv/data/x:y",
            "file:///srv/data/?q", "file:///srv/data/", "file:///srv/x", "http://a/b",
            "file:///srv/data/./x", "file:///srv/data/d?x=1"]
    text = "".join(f"<{i}> <http://x/p> <{i}> .\n" for i in iris)
    before = graph(text.encode("utf-8"), ox.RdfFormat.N_TRIPLES, base)
    written = serialize(before, {}, base=base)
    assert "<d>" in written and "<#x>" in written and "<>" in written
    assert isomorphic(graph(written.encode("utf-8"), ox.RdfFormat.TURTLE, base), before)
