"""validate: syntax with file:line:col, ill-typed literals, unknown terms, SHACL."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Graph, Literal
from rdflib.namespace import RDF, RDFS

from channelkg.check.validate import validate
from channelkg.errors import InputError
from channelkg.rdf.namespaces import CKG, KGID
from conftest import BAD, TINY


def test_fixture_is_valid() -> None:
    report = validate([TINY])
    assert report.conforms, report.text
    assert report.problems == ()
    assert "no problems" in report.text


def test_bundled_graph_is_valid() -> None:
    report = validate()
    assert report.conforms, report.text
    assert report.triples > 1000


def test_syntax_error_has_file_line_column() -> None:
    report = validate([BAD / "broken-syntax.ttl"])
    assert not report.conforms
    [p] = report.problems
    assert p.kind == "syntax"
    assert p.location == f"{BAD / 'broken-syntax.ttl'}:6:1"
    assert p.line().startswith(f"{BAD / 'broken-syntax.ttl'}:6:1: syntax")


def test_unknown_prefix() -> None:
    [p] = validate([BAD / "unknown-prefix.ttl"]).problems
    assert p.kind == "syntax" and "foo:" in p.message and p.location.endswith(":3:8")


def test_invalid_date_names_line_and_node() -> None:
    [p] = validate([BAD / "invalid-date.ttl"]).problems
    assert p.kind == "literal"
    assert p.location.endswith("invalid-date.ttl:8")
    assert p.focus == "kgid:s" and p.path == "dcterms:date"
    assert "2024-02-30" in p.message


def test_unknown_term_is_a_typo() -> None:
    [p] = validate([BAD / "unknown-term.ttl"]).problems
    assert p.kind == "term" and "ckg:isoKode" in p.message
    assert p.location.endswith("unknown-term.ttl:7")


def test_shacl_violations_one_line_each() -> None:
    report = validate([BAD / "no-source.ttl"])
    kinds = sorted(p.kind for p in report.problems)
    assert kinds == ["shacl", "shacl", "term"]
    shacl = {p.path: p for p in report.problems if p.kind == "shacl"}
    assert set(shacl) == {"prov:wasDerivedFrom", "ckg:status"}
    assert all(p.focus == "kgid:r" for p in shacl.values())
    assert shacl["prov:wasDerivedFrom"].location.endswith("no-source.ttl:6")
    lines = report.text.splitlines()
    assert len(lines) == 4 and lines[-1] == "3 problem(s) in 1 file(s)"


def test_missing_file_is_an_input_error() -> None:
    with pytest.raises(InputError, match="no such file"):
        validate(["missing.ttl"])


def test_extra_triples_are_validated_with_the_files() -> None:
    extra = Graph()
    r = KGID["t-new-route"]
    extra.add((r, RDF.type, CKG.AccessRoute))
    extra.add((r, RDFS.comment, Literal("An incomplete route.")))
    report = validate([TINY], extra=extra)
    paths = {p.path for p in report.problems}
    assert {"ckg:model", "ckg:market", "ckg:service", "prov:wasDerivedFrom"} <= paths


def test_partnership_needs_a_date(tmp_path: Path) -> None:
    text = TINY.read_text(encoding="utf-8").replace(
        'ckg:statedOn "2024-05-01"^^xsd:date ; ckg:validFrom "2023-01-01"^^xsd:date ;\n'
        "    prov:wasDerivedFrom kgid:t-source .\n\nkgid:t-route-cloud",
        "prov:wasDerivedFrom kgid:t-source .\n\nkgid:t-route-cloud",
    )
    assert text != TINY.read_text(encoding="utf-8")
    f = tmp_path / "undated.ttl"
    f.write_text(text, encoding="utf-8")
    report = validate([f])
    assert [p.focus for p in report.problems] == ["kgid:t-partnership"]
    assert "need a date" in report.problems[0].message


def test_ontology_validates_against_its_own_terms() -> None:
    assert validate([Path("ontology/channelkg.ttl")]).conforms
