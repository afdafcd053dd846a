"""Query results in notebooks: typed DataFrames and escaped HTML (issue 13, item 1)."""

from __future__ import annotations

import sys

import pandas as pd
import pytest
from rdflib import BNode, Literal, URIRef
from rdflib.namespace import XSD

from channelkg.check.validate import validate
from channelkg.graph.base import QueryResult
from channelkg.graph.memory import KnowledgeGraph
from channelkg.rdf.namespaces import CKG, KGID
from channelkg.sparql.query import query
from conftest import BAD, TINY

ROWS = QueryResult(
    "SELECT",
    vars=("thing", "day", "count", "share", "open", "note"),
    rows=(
        (KGID["gpt"], Literal("2024-07-09", datatype=XSD.date), Literal(3),
         Literal("0.5", datatype=XSD.decimal), Literal(True), Literal("a <b> & c")),
        (URIRef("http://example.org/x"), None, None, Literal(2), Literal(False), None),
        (BNode("b1"), Literal("2025-01-31", datatype=XSD.date), Literal(7),
         Literal(1.25), None, Literal("中文", lang="zh")),
    ),
)


def test_columns_are_typed() -> None:
    df = ROWS.to_dataframe()
    assert list(df.columns) == list(ROWS.vars)
    assert pd.api.types.is_datetime64_any_dtype(df["day"])
    assert df["day"].iloc[0] == pd.Timestamp(2024, 7, 9) and pd.isna(df["day"].iloc[1])
    assert str(df["count"].dtype) == "Int64" and df["count"].sum() == 10
    assert pd.isna(df["count"].iloc[1])
    assert df["share"].dtype == "float64" and df["share"].tolist() == [0.5, 2.0, 1.25]
    assert str(df["open"].dtype) == "boolean" and df["open"].iloc[0] and not df["open"].iloc[1]
    assert pd.isna(df["open"].iloc[2])
    assert df["thing"].tolist() == ["kgid:gpt", "http://example.org/x", "_:b1"]
    assert df["note"].iloc[0] == "a <b> & c" and pd.isna(df["note"].iloc[1])


def test_times_with_zones_and_mixed_numbers() -> None:
    res = QueryResult("SELECT", vars=("at", "n"), rows=(
        (Literal("2024-07-09T10:00:00+02:00", datatype=XSD.dateTime), Literal(1)),
        (Literal("2024-07-09T08:30:00", datatype=XSD.dateTime), Literal(2.5)),
        (Literal("not a date", datatype=XSD.date), None),
    ))
    df = res.to_dataframe()
    assert str(df["at"].dtype) == "string"  # an ill-typed literal: the column is text
    df = QueryResult("SELECT", vars=res.vars, rows=res.rows[:2]).to_dataframe()
    assert df["at"].tolist() == [pd.Timestamp(2024, 7, 9, 8, 0), pd.Timestamp(2024, 7, 9, 8, 30)]
    assert df["n"].dtype == "float64" and df["n"].tolist() == [1.0, 2.5]


def test_rdflib_engine_gives_the_same_frame(bundled: KnowledgeGraph,
                                            bundled_ox: KnowledgeGraph) -> None:
    text = f"SELECT ?r ?from WHERE {{ ?r <{CKG.validFrom}> ?from }} ORDER BY ?r ?from"
    assert query(bundled, text).to_dataframe().equals(query(bundled_ox, text).to_dataframe())


def test_mixed_column_falls_back_to_text() -> None:
    res = QueryResult("SELECT", vars=("v",), rows=((Literal(1),), (KGID["gpt"],)))
    df = res.to_dataframe()
    assert str(df["v"].dtype) == "string" and df["v"].tolist() == ["1", "kgid:gpt"]


def test_real_query_dates_and_iris(bundled_ox: KnowledgeGraph) -> None:
    res = query(bundled_ox, f"""SELECT ?route ?from ?open WHERE {{
        ?route a <{CKG.AccessRoute}> ; <{CKG.open}> ?open ; <{CKG.validFrom}> ?from }}""")
    df = res.to_dataframe()
    assert len(df) == len(res.rows) > 0
    assert df["route"].str.startswith("kgid:").all()
    assert pd.api.types.is_datetime64_any_dtype(df["from"])
    assert (df["from"] > pd.Timestamp(2000, 1, 1)).all()
    assert str(df["open"].dtype) == "boolean"


def test_ask_and_graph_results(tiny_kg: KnowledgeGraph) -> None:
    assert QueryResult("ASK", boolean=True).to_dataframe()["boolean"].tolist() == [True]
    g = query(tiny_kg, "CONSTRUCT { ?s a ?c } WHERE { ?s a ?c }")
    df = g.to_dataframe()
    assert list(df.columns) == ["subject", "predicate", "object"] and len(df) == len(g.graph or ())
    assert (df["predicate"] == "rdf:type").all()


def test_missing_pandas_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(ImportError, match=r"needs pandas.*channelkg\[notebook\]"):
        ROWS.to_dataframe()


def test_result_html_is_escaped() -> None:
    out = ROWS._repr_html_()
    assert "<th>thing</th>" in out and "a &lt;b&gt; &amp; c" in out and "<b>" not in out
    assert "kgid:gpt" in out and "3 row(s)" in out
    assert "<td>true</td>" in QueryResult("ASK", boolean=True)._repr_html_()


def test_validation_report_html() -> None:
    bad = validate([BAD / "invalid-date.ttl", TINY])
    out = bad._repr_html_()
    assert not bad.conforms and "<th>message</th>" in out
    assert out.count("<tr>") == len(bad.problems) + 1 and "problem(s)" in out
    ok = validate([TINY])._repr_html_()
    assert "no problems" in ok and "<tbody></tbody>" in ok


def test_check_report_html(bundled_ox: KnowledgeGraph) -> None:
    from channelkg.check.quality import run_checks

    report = run_checks(bundled_ox)
    out = report._repr_html_()
    assert "<th>severity</th>" in out and report.summary in out
    assert out.count("<tr>") == len(report.findings) + 1
