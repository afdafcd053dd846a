"""W3C SPARQL 1.1 tests through ``channelkg query``: results formats and evaluation.

Data: ``tests/data/w3c/rdf-tests/sparql/`` (unchanged W3C files, see its LICENSE.md),
read through ``tests/w3c.py``.

* Results formats (``csv-tsv-res``, ``json-res``): ``channelkg query --data DATA
  --no-ontology Q.rq -f csv|tsv|json`` gives the suite's expected results (blank nodes
  compared up to renaming, numbers in TSV by value, as the TSV format lets them be
  abbreviated).
* Evaluation (a selection of query evaluation tests): wherever raw pyoxigraph (the data
  loaded into a store, the query run with its file as base) gives the expected results,
  ``channelkg query`` gives them too. Tests with named graphs (``qt:graphData``) are
  left out (channelkg reads one default graph), as are SELECT results written in the RDF
  result-set vocabulary (``.ttl``/``.rdf`` of a SELECT): the harness does not read it.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import re
from collections import Counter
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest
from click.testing import CliRunner

from channelkg.cli.main import cli
from w3c import Case, manifest, of_kind

XSD = "http://www.w3.org/2001/XMLSchema#"
NUMERIC = {XSD + t for t in ("integer", "decimal", "double", "float")}
RESULTS = manifest("sparql/sparql11/csv-tsv-res") + manifest("sparql/sparql11/json-res")
SELECTION = ("sparql10/basic", "sparql10/optional", "sparql10/distinct", "sparql10/sort",
             "sparql11/bind", "sparql11/construct", "sparql11/subquery", "sparql11/negation",
             "sparql11/project-expression", "sparql11/grouping", "sparql11/exists",
             "sparql11/aggregates")
GRAPH_FORMS = re.compile(r"^\s*(CONSTRUCT|DESCRIBE)\b", re.IGNORECASE | re.MULTILINE)


def channelkg(case: Case, fmt: str, tmp_path: Path, engine: str = "oxigraph") -> str:
    """The output of ``channelkg query`` for a case (an empty file when it has no data)."""
    assert case.action is not None
    data = list(case.data)
    if not data:
        (empty := tmp_path / "empty.ttl").write_text("", encoding="utf-8")
        data = [empty]
    args = ["query", str(case.action), "--no-ontology", "-f", fmt, "--engine", engine]
    for d in data:
        args += ["--data", str(d)]
    res = CliRunner().invoke(cli, args)
    assert res.exit_code in (0, 1), res.output  # 1: an ASK that answers false
    return res.stdout_bytes.decode("utf-8")  # as written: CRLF stays


# -- result sets, compared up to blank-node renaming -----------------------------------


def _key(term: Any, numbers: bool) -> object:
    if isinstance(term, ox.BlankNode):
        return ("bnode",)
    if isinstance(term, ox.Literal) and numbers and term.datatype.value in NUMERIC:
        try:
            return ("number", Decimal(term.value))
        except InvalidOperation:
            return ("literal", term.value, term.datatype.value)
    return ("term", str(term))


def same_rows(got: list[dict[str, Any]], want: list[dict[str, Any]], numbers: bool = False
              ) -> bool:
    """The same multiset of rows, blank nodes renamed consistently (one renaming)."""
    def shape(rows: list[dict[str, Any]]) -> Counter[object]:
        return Counter(tuple(sorted((k, _key(v, numbers)) for k, v in r.items())) for r in rows)

    if shape(got) != shape(want):
        return False
    mapping: dict[str, str] = {}
    for g, w in zip(sorted(got, key=repr), sorted(want, key=repr), strict=True):
        for k, v in g.items():
            if (isinstance(v, ox.BlankNode) and isinstance(w.get(k), ox.BlankNode)
                    and mapping.setdefault(v.value, w[k].value) != w[k].value):
                return False
    return len(set(mapping.values())) == len(mapping)


def rows_of(results: Any) -> tuple[list[str], list[dict[str, Any]]] | bool:
    """Rows (variable -> term) of parsed results, or the boolean of an ASK."""
    if isinstance(results, ox.QueryBoolean):
        return bool(results)
    names = [v.value for v in results.variables]
    return names, [{n: s[n] for n in names if s[n] is not None} for s in results]


def parse_results(data: bytes, suffix: str) -> Any:
    fmt = {".srx": ox.QueryResultsFormat.XML, ".srj": ox.QueryResultsFormat.JSON,
           ".tsv": ox.QueryResultsFormat.TSV, ".csv": ox.QueryResultsFormat.CSV}[suffix]
    return rows_of(ox.parse_query_results(data, format=fmt))


# -- results formats --------------------------------------------------------------------


def _csv_rows(text: str) -> tuple[list[str], list[list[str]]]:
    rows = list(csv.reader(io.StringIO(text)))
    labels: dict[str, str] = {}

    def cell(c: str) -> str:  # blank nodes renamed in order of appearance
        return labels.setdefault(c, f"_:{len(labels)}") if c.startswith("_:") else c

    return rows[0], [[cell(c) for c in r] for r in rows[1:]]


def _oxigraph_store_csv(case: Case) -> str:
    """The CSV cells of a case as a bare Oxigraph store keeps the data: it keeps numbers by
    value ("1.0E6"^^xsd:double reads back as "1000000"), which no writer can undo."""
    store = ox.Store()
    for d in case.data:
        store.load(path=str(d), format=ox.RdfFormat.TURTLE, base_iri=d.as_uri())
    assert case.action is not None
    res = store.query(case.action.read_text(encoding="utf-8"))
    data: bytes = res.serialize(format=ox.QueryResultsFormat.CSV)  # type: ignore[union-attr]
    return data.decode("utf-8")


@pytest.mark.parametrize("engine", ["rdflib", "oxigraph"])
@pytest.mark.parametrize("case", RESULTS, ids=lambda c: c.name.split(" ")[0])
def test_results_formats(case: Case, engine: str, tmp_path: Path) -> None:
    """Every case passes on the rdflib engine, which keeps every lexical form; on the
    Oxigraph engine every case whose data the Oxigraph store keeps as written."""
    assert case.result is not None
    suffix = case.result.suffix
    fmt = {".csv": "csv", ".tsv": "tsv", ".srj": "json"}[suffix]
    out = channelkg(case, fmt, tmp_path, engine)
    expected = case.result.read_bytes()
    if engine == "oxigraph" and case.data[0].name == "data2.ttl":  # csv03, tsv03
        assert _csv_rows(_oxigraph_store_csv(case)) != _csv_rows(expected.decode("utf-8"))
        cells = [c for row in _csv_rows(out if fmt == "csv" else channelkg(
            case, "csv", tmp_path, engine))[1] for c in row]
        store_cells = [c for r in _csv_rows(_oxigraph_store_csv(case))[1] for c in r]
        assert sorted(cells) == sorted(store_cells)
        return
    if fmt == "csv":
        assert out.endswith("\r\n")  # CRLF, as the CSV results format says
        assert _csv_rows(out) == _csv_rows(expected.decode("utf-8"))
        return
    got, want = parse_results(out.encode("utf-8"), suffix), parse_results(expected, suffix)
    if isinstance(want, bool):
        assert got is want
        return
    assert not isinstance(got, bool)
    assert got[0] == want[0]  # the variables, in order
    assert same_rows(got[1], want[1], numbers=fmt == "tsv")


def test_results_formats_keep_the_data_lexical_forms(tmp_path: Path) -> None:
    """``?o`` and ``STR(?o)`` give the same lexical form on both engines; the rdflib
    engine keeps the data's lexical forms and datatypes, the Oxigraph store its own."""
    data = tmp_path / "d.ttl"
    data.write_text('@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n'
                    '<http://x/a> <http://x/p> "2024-01-01T00:00:00Z"^^xsd:dateTime , '
                    '"1E0"^^xsd:double , "01"^^xsd:integer , "TRUE"^^xsd:boolean , '
                    '"7"^^xsd:byte .\n', encoding="utf-8")
    seen = {}
    for engine in ("oxigraph", "rdflib"):
        res = CliRunner().invoke(cli, [
            "query", "--data", str(data), "--no-ontology", "--engine", engine, "-f", "json",
            "SELECT ?o (STR(?o) AS ?s) WHERE { ?x ?p ?o }"])
        assert res.exit_code == 0, res.output
        rows = json.loads(res.stdout)["results"]["bindings"]
        assert len(rows) == 5
        assert all(r["o"]["value"] == r["s"]["value"] for r in rows), rows
        seen[engine] = {(r["o"]["value"], r["o"].get("datatype", "")[len(XSD):]) for r in rows}
    assert seen["rdflib"] == {("2024-01-01T00:00:00Z", "dateTime"), ("1E0", "double"),
                              ("01", "integer"), ("TRUE", "boolean"), ("7", "byte")}
    store = ox.Store()
    store.load(data.read_bytes(), format=ox.RdfFormat.TURTLE)
    assert seen["oxigraph"] == {(q.object.value, q.object.datatype.value[len(XSD):])
                                for q in store}


# -- evaluation ---------------------------------------------------------------------------


def _evaluation_cases() -> list[Case]:
    out = []
    for folder in SELECTION:
        for c in of_kind(manifest("sparql/" + folder), "QueryEvaluationTest"):
            if c.graph_data or c.result is None or c.action is None:
                continue
            graph_form = bool(GRAPH_FORMS.search(_strip_prologue(c.action)))
            if not graph_form and c.result.suffix not in (".srx", ".srj"):
                continue
            out.append(c)
    return out


def _strip_prologue(path: Path) -> str:
    text = path.read_text(encoding="utf-8")
    return re.sub(r"#[^\n]*", "", text)


EVALUATION = _evaluation_cases()
RDF = {".ttl": ox.RdfFormat.TURTLE, ".rdf": ox.RdfFormat.RDF_XML, ".nt": ox.RdfFormat.N_TRIPLES}


def _graph(data: bytes, fmt: ox.RdfFormat, base: str) -> ox.Store:
    store = ox.Store()
    store.load(data, format=fmt, base_iri=base)
    return store


def _isomorphic(a: ox.Store, b: ox.Store) -> bool:
    from rdflib import Graph
    from rdflib.compare import isomorphic

    from channelkg.rdf.terms import add_triples

    return isomorphic(add_triples(Graph(), a), add_triples(Graph(), b))


def _expected(case: Case) -> Any:
    assert case.result is not None
    if case.result.suffix in RDF:
        return _graph(case.result.read_bytes(), RDF[case.result.suffix],
                      case.result.as_uri())
    return parse_results(case.result.read_bytes(), case.result.suffix)


def _matches(got: Any, want: Any) -> bool:
    if isinstance(want, ox.Store):
        return isinstance(got, ox.Store) and _isomorphic(got, want)
    if isinstance(want, bool) or isinstance(got, bool):
        return got is want
    return sorted(got[0]) == sorted(want[0]) and same_rows(got[1], want[1])


def raw_pyoxigraph(case: Case) -> Any:
    """The case run on a bare pyoxigraph store: the reference channelkg must match."""
    assert case.action is not None
    store = ox.Store()
    for d in case.data:
        store.load(path=str(d), format=RDF.get(d.suffix, ox.RdfFormat.TURTLE),
                   base_iri=d.as_uri())
    res = store.query(case.action.read_text(encoding="utf-8"), base_iri=case.action.as_uri())
    if isinstance(res, ox.QueryTriples):
        out = ox.Store()
        out.extend(ox.Quad(t.subject, t.predicate, t.object) for t in res)
        return out
    return rows_of(res)


def channelkg_result(case: Case, tmp_path: Path) -> Any:
    assert case.action is not None and case.result is not None
    if case.result.suffix in RDF:
        return _graph(channelkg(case, "nt", tmp_path).encode("utf-8"),
                      ox.RdfFormat.N_TRIPLES, "http://x/")
    return parse_results(channelkg(case, "json", tmp_path).encode("utf-8"), ".srj")


@pytest.mark.parametrize("case", EVALUATION, ids=lambda c: c.name)
def test_evaluation_where_pyoxigraph_passes(case: Case, tmp_path: Path) -> None:
    want = _expected(case)
    try:
        reference = _matches(raw_pyoxigraph(case), want)
    except (SyntaxError, OSError, ValueError):
        reference = False
    if not reference:
        pytest.skip("raw pyoxigraph does not give the expected results either")
    assert _matches(channelkg_result(case, tmp_path), want)


def test_the_evaluation_selection_is_large_enough() -> None:
    assert len(EVALUATION) >= 120
    passing = 0
    for case in EVALUATION:
        with contextlib.suppress(SyntaxError, OSError, ValueError):
            passing += _matches(raw_pyoxigraph(case), _expected(case))
    assert passing >= 100, passing


# -- what channelkg adds to a query: base IRI, --param, --no-ontology -------------------


@pytest.fixture()
def foreign(tmp_path: Path) -> Path:
    data = tmp_path / "foreign.ttl"
    data.write_text('<http://x/a> <http://x/p> <http://x/b> .\n<http://x/b> <http://x/p> "c" .\n'
                    "<rel> <http://x/p> <http://x/a> .\n", encoding="utf-8")
    return data


def run_cli(*args: str) -> tuple[int, str]:
    res = CliRunner().invoke(cli, list(args))
    return res.exit_code, res.output


def test_no_ontology_reads_only_the_data(foreign: Path) -> None:
    code, out = run_cli("query", "--data", str(foreign), "--no-ontology", "-f", "csv",
                        "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
    assert code == 0 and out.splitlines()[1] == "3", out
    code, out = run_cli("query", "--data", str(foreign), "-f", "csv",
                        "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
    assert code == 0 and int(out.splitlines()[1]) > 100  # the ontology is added by default
    code, out = run_cli("query", "--store", "oxigraph:nowhere", "--no-ontology", "ASK {}")
    assert code == 2 and "--no-ontology applies to file data" in out


def test_a_query_file_is_its_own_base(foreign: Path, tmp_path: Path) -> None:
    (q := tmp_path / "q.rq").write_text("SELECT ?o WHERE { <rel> ?p ?o }", encoding="utf-8")
    # the data's <rel> is read against the data file's place, the query's against its own
    code, out = run_cli("query", "--data", str(foreign), "--no-ontology", "-f", "csv", str(q))
    assert code == 0 and out.splitlines()[1:] == ["http://x/a"], out
    # inline text has the documented default base
    code, out = run_cli("query", "--data", str(foreign), "--no-ontology", "-f", "csv",
                        "SELECT (STR(<x>) AS ?i) WHERE {}")
    assert code == 0 and out.splitlines()[1] == "https://w3id.org/channelkg/id/x", out
    code, out = run_cli("query", "--data", str(foreign), "--no-ontology", "-f", "csv",
                        "BASE <http://y/> SELECT (STR(<x>) AS ?i) WHERE {}")
    assert out.splitlines()[1] == "http://y/x", out  # the query's own BASE wins


@pytest.mark.parametrize("engine", ["oxigraph", "rdflib"])
@pytest.mark.parametrize(("query", "expected"), [
    ("SELECT * WHERE { SELECT ?s ?o WHERE { ?s <http://x/p> ?o } }", ["s,o", "http://x/a,http://x/b"]),
    ("SELECT ?o WHERE { { SELECT ?s ?o WHERE { ?s ?p ?o } } }", ["o", "http://x/b"]),
    ("CONSTRUCT WHERE { ?s <http://x/p> ?o }", ["<http://x/a> <http://x/p> <http://x/b> ."]),
    ("construct where { ?s ?p ?o . } LIMIT 5", ["<http://x/a> <http://x/p> <http://x/b> ."]),
])
def test_param_binds_into_sub_selects_and_construct_where(
        foreign: Path, engine: str, query: str, expected: list[str]) -> None:
    fmt = "nt" if "construct" in query.lower() else "csv"
    code, out = run_cli("query", "--data", str(foreign), "--no-ontology", "--engine", engine,
                        "-f", fmt, "-p", "s=<http://x/a>", query)
    assert code == 0, out
    assert [ln for ln in out.splitlines() if ln] == expected


def test_param_errors_are_one_line(foreign: Path) -> None:
    code, out = run_cli("query", "--data", str(foreign), "--no-ontology", "-p", "s=x",
                        "DESCRIBE <http://x/a>")
    assert code == 2 and len(out.strip().splitlines()) == 1, out
    assert "no WHERE" in out
    code, out = run_cli("query", "--data", str(foreign), "--no-ontology", "-p", "s=x",
                        "SELECT * WHERE { ?s ?p ?o")
    assert code == 2 and len(out.strip().splitlines()) == 1, out
    assert "syntax error" in out
