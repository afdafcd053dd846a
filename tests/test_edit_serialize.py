"""The canonical Turtle writer and `channelkg format`."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.compare import graph_diff, isomorphic, to_isomorphic

from channelkg.cli import cli
from channelkg.errors import InputError
from channelkg.rdf.turtle import (
    dropped_comments,
    format_text,
    leading_comments,
    parse_text,
    serialize,
)
from channelkg.resources import default_data_files

ROOT = Path(__file__).parent.parent
DATA = Path(__file__).parent / "data"
FILES = [
    DATA / "tiny.ttl",
    DATA / "openai-cn.ttl",
    ROOT / "ontology" / "channelkg.ttl",
    ROOT / "ontology" / "shapes.ttl",
]
EX = "http://example.org/"


def parse(text: str) -> Graph:
    return Graph().parse(data=text, format="turtle")


def assert_isomorphic(a: Graph, b: Graph) -> None:
    if not isomorphic(a, b):
        _, only_a, only_b = graph_diff(to_isomorphic(a), to_isomorphic(b))
        pytest.fail(
            "graphs differ:\nonly before:\n"
            + only_a.serialize(format="nt")
            + "\nonly after:\n"
            + only_b.serialize(format="nt")
        )


@pytest.mark.parametrize("path", FILES + default_data_files(), ids=lambda p: p.name)
def test_format_is_idempotent_and_lossless(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    once = format_text(text, str(path))
    twice = format_text(once, str(path))
    assert once == twice
    assert_isomorphic(parse(text), parse(once))
    assert once.startswith(leading_comments(text))


def test_layout() -> None:
    text = format_text(
        "@prefix ex: <http://example.org/> .\n"
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
        "@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .\n"
        "ex:b ex:z 2 ; ex:a ex:y , ex:x ; rdfs:label \"B\" ; a ex:T .\n"
        "ex:a rdfs:comment \"A\" ; a ex:U , ex:T .\n"
    )
    assert text == (
        "@prefix ex: <http://example.org/> .\n"
        "@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .\n"
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
        "\n"
        "ex:a a ex:T , ex:U ;\n"
        "    rdfs:comment \"A\" .\n"
        "\n"
        "ex:b a ex:T ;\n"
        "    rdfs:label \"B\" ;\n"
        "    ex:a ex:x , ex:y ;\n"
        "    ex:z 2 .\n"
    )


@pytest.mark.parametrize(
    "value",
    [
        'say "hi" \\ then',
        "line one\nline two\n",
        "ends with a quote\"",
        'ends with three quotes"""',
        "tab\tand return\r and bell \x07 and nul \x00",
        "中文 ünïcödé 😀 and \u2028 separator",
        "",
    ],
)
def test_literals_round_trip(value: str) -> None:
    g = Graph()
    s = URIRef(EX + "s")
    g.add((s, URIRef(EX + "p"), Literal(value)))
    g.add((s, URIRef(EX + "q"), Literal(value, lang="zh-hans")))
    g.add((s, URIRef(EX + "r"), Literal(value, datatype=URIRef(EX + "dt"))))
    text = serialize(g, {"ex": EX})
    assert_isomorphic(g, parse(text))
    assert format_text(text) == text


def test_typed_literals_and_iris() -> None:
    g = Graph()
    s = URIRef(EX + "s")
    xsd = "http://www.w3.org/2001/XMLSchema#"
    values = [
        Literal(True),
        Literal(7),
        Literal("3.50", datatype=URIRef(xsd + "decimal")),
        Literal("2024-07-09", datatype=URIRef(xsd + "date")),
        URIRef("urn:isbn:123"),
        URIRef(EX + "a.b"),
        URIRef(EX + "trailing."),
    ]
    for v in values:
        g.add((s, URIRef(EX + "p"), v))
    text = serialize(g, {"ex": EX})
    assert " true" in text and " 7" in text and "<urn:isbn:123>" in text
    assert "ex:a.b" in text and "<http://example.org/trailing.>" in text
    assert_isomorphic(g, parse(text))
    g.add((s, URIRef(EX + "p"), URIRef(EX + "with space")))
    with pytest.raises(InputError, match="cannot write IRI"):
        serialize(g)


def test_blank_nodes_are_inline_and_independent_of_their_ids() -> None:
    src = (
        "@prefix ex: <http://example.org/> .\n"
        "ex:s ex:p [ ex:q 1 ; ex:r [ ex:t 2 ] ] , [ ex:q 0 ] ;\n"
        "  ex:list ( 1 [ ex:u 3 ] ex:o ) .\n"
        "[ ex:top 1 ] .\n"
    )
    a = format_text(src)
    # Same graph, blank nodes created in another order with other ids.
    g = parse(src)
    renamed = Graph()
    mapping: dict[BNode, BNode] = {}
    for s, p, o in sorted(g, key=lambda t: str(t[2]), reverse=True):
        s2 = mapping.setdefault(s, BNode()) if isinstance(s, BNode) else s
        o2 = mapping.setdefault(o, BNode()) if isinstance(o, BNode) else o
        renamed.add((s2, p, o2))
    b = serialize(renamed, {"ex": EX})
    assert a == b
    assert "_:" not in a
    assert "( 1 [" in a
    assert_isomorphic(g, parse(a))


def test_shared_blank_node_is_refused() -> None:
    g = parse("@prefix ex: <http://example.org/> . _:x ex:q 1 . ex:a ex:p _:x . ex:b ex:p _:x .")
    with pytest.raises(InputError, match="more than one triple"):
        serialize(g)
    cyc = parse("@prefix ex: <http://example.org/> . _:x ex:p _:y . _:y ex:p _:x .")
    with pytest.raises(InputError, match="cycle"):
        serialize(cyc)


def test_format_command(tmp_path: Path, runner: CliRunner) -> None:
    f = tmp_path / "tiny.ttl"
    shutil.copy(DATA / "tiny.ttl", f)
    original = f.read_bytes()
    res = runner.invoke(cli, ["format", "--check", str(f)])
    assert res.exit_code == 1
    assert f"would reformat {f}" in res.output
    assert f.read_bytes() == original
    res = runner.invoke(cli, ["format", str(f)])
    assert res.exit_code == 0, res.output
    once = f.read_bytes()
    assert once != original
    assert once.decode().startswith("# Smallest graph in the shape of the ontology")
    assert_isomorphic(parse(original.decode()), parse(once.decode()))
    res = runner.invoke(cli, ["format", str(f)])
    assert res.exit_code == 0
    assert f.read_bytes() == once
    res = runner.invoke(cli, ["format", "--check", str(f)])
    assert res.exit_code == 0, res.output


COMMENTED = """# head line
# second head line

@prefix ex: <http://example.org/> .
# above a prefix line: dropped
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .

# About zeta,
# in two lines.
ex:zeta rdfs:label "z # not a comment" ; # inside a statement: dropped
    ex:p ex:o.

# About alpha.
ex:alpha ex:p \"\"\"two
# lines\"\"\" , 1.5 .
# above a blank node: dropped
[] ex:p ex:a.b .
<http://example.org/beta> ex:q "x" .

# the end
"""


def test_format_keeps_comments_with_their_subjects() -> None:
    out = format_text(COMMENTED)
    assert format_text(out) == out
    assert_isomorphic(parse(COMMENTED), parse(out))
    lines = out.splitlines()
    assert lines[:2] == ["# head line", "# second head line"]
    zeta = lines.index('ex:zeta rdfs:label "z # not a comment" ;')
    assert lines[zeta - 2 : zeta] == ["# About zeta,", "# in two lines."]
    alpha = next(k for k, ln in enumerate(lines) if ln.startswith("ex:alpha "))
    assert lines[alpha - 1] == "# About alpha."
    assert alpha < zeta  # subjects are sorted, and the comments moved with them
    beta = lines.index('ex:beta ex:q "x" .')
    assert not lines[beta - 1].startswith("#")
    assert lines[-1] == "# the end"
    assert "# lines" in out  # inside a string, untouched
    assert "dropped" not in out
    assert dropped_comments(COMMENTED) == 3
    assert dropped_comments(out) == 0


def test_format_reports_dropped_comments_and_bad_files(tmp_path: Path, runner: CliRunner) -> None:
    f = tmp_path / "c.ttl"
    f.write_text("# head\n@prefix ex: <http://example.org/> .\n# kept\n"
                 "ex:a ex:b ex:c ; # inner\n ex:d ex:e .\n")
    res = runner.invoke(cli, ["format", str(f)])
    assert res.exit_code == 0
    assert "dropped 1 comment line(s)" in res.output
    assert "# kept\nex:a ex:b ex:c ;" in f.read_text()
    assert "# inner" not in f.read_text()
    bad = tmp_path / "bad.ttl"
    bad.write_text("@prefix ex: <http://example.org/> .\nex:a ex:b .\n")
    before = bad.read_bytes()
    res = runner.invoke(cli, ["format", str(bad)])
    assert res.exit_code == 2
    assert f"{bad}:2" in res.output and "syntax error" in res.output
    assert bad.read_bytes() == before


P = "@prefix ex: <http://example.org/> .\n"
# With no prefix line to stand between them, a comment above the subject that sorts
# first is the header of the formatted file.
HEADER = "header"


@pytest.mark.parametrize(
    ("text", "above", "dropped"),
    [
        # escaped characters in names are part of the name
        (P + "ex:s ex:p ex:o\\#x .\n#C1\nex:a ex:p 2 .\n", "ex:a ex:p 2 .", 0),
        (P + "ex:s ex:p ex:o\\( .\n#C1\nex:a ex:p 2 .\n", "ex:a ex:p 2 .", 0),
        (P + "ex:s ex:p ex:it\\'s , \"x' a. # not a comment\" .\n#C1\nex:b ex:p 2 .\n",
         "ex:b ex:p 2 .", 0),
        (P + "ex:s ex:p ( ex:a\\)\\.\n#C1 inside\nex:b ) .\nex:b ex:p 2 .\n", None, 1),
        (P + "#C1\n<http://example.org/\\u0062> ex:p 1 .\n", "ex:b ex:p 1 .", 0),
        # @base and a redefined prefix are followed
        ("@base <http://example.org/> .\n#C1\n<a> <p> 1 .\n", HEADER, 0),
        ("@prefix ex: <http://old.example/> .\n#C1\nex:a ex:p 1 .\n" + P + "ex:a ex:p 2 .\n",
         "<http://old.example/a> <http://old.example/p> 1 .", 0),
        # a lone CR ends a comment; a comment after a statement goes above it
        ("<http://x.example/z> <http://x.example/p> 0 .\n#C1\r<http://x.example/a>"
         " <http://x.example/p> 1 .\n", HEADER, 0),
        (P + "<http://x.example/z> <http://x.example/p> 0 .\n#C1\r<http://x.example/a>"
         " <http://x.example/p> 1 .\n", "<http://x.example/a> <http://x.example/p> 1 .", 0),
        (P + "ex:a ex:p 1 . #C1\nex:b ex:p 2 .\n", "ex:a ex:p 1 .", 0),
        (P + "#C1\n[] ex:p 1 .\n", None, 1),
    ],
)
def test_comment_placement_edge_cases(text: str, above: str | None, dropped: int) -> None:
    out = format_text(text)
    assert format_text(out) == out
    # pyoxigraph reads them as format does (rdflib ends a comment only at LF).
    assert_isomorphic(parse_text(text)[0], parse_text(out)[0])
    assert dropped_comments(text) == dropped
    lines = out.splitlines()
    if above is None:
        assert "#C1" not in out
    elif above == HEADER:
        assert lines[0].startswith("#C1") and lines[1] == ""
    else:
        assert lines[lines.index(above) - 1].startswith("#C1")


def test_leading_comments_stay_first_without_prefix_lines() -> None:
    text = "# Copyright line\n<http://x.example/z> <http://x.example/p> 1 .\n" \
        "<http://x.example/a> <http://x.example/p> 2 .\n"
    out = format_text(text)
    assert out.startswith("# Copyright line\n\n<http://x.example/a> ")
    assert format_text(out) == out
    assert format_text("# only\n[] <http://x.example/p> 1 .\n").startswith("# only\n")


def test_long_string_with_backslash_n_and_newline_round_trips() -> None:
    g = Graph()
    g.add((URIRef(EX + "a"), URIRef(EX + "p"), Literal("a\\nb\nc")))
    text = serialize(g, {"ex": EX})
    assert_isomorphic(g, parse(text))


def test_shared_blank_node_object_without_properties_is_refused() -> None:
    with pytest.raises(InputError, match="blank node"):
        format_text(P + "ex:a ex:p _:b .\nex:c ex:p _:b .\n")


def test_unicode_prefix_names_are_kept() -> None:
    text = "@prefix é: <http://example.org/> .\n\né:a é:p 1 .\n"
    assert format_text(text) == text
