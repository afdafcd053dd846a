"""The bounds and guards behind the hostile-input corpus, one at a time."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from channelkg.cli.main import cli, load_commands
from channelkg.errors import InputError
from channelkg.rdf import limits
from channelkg.render.terminal import for_terminal

DATA = Path(__file__).parent / "data"
TINY = DATA / "tiny.ttl"
PREFIXES = ("@prefix kgid: <https://w3id.org/channelkg/id/> .\n"
            "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n")


def _invoke(*args: str) -> tuple[int, str, str]:
    res = CliRunner().invoke(cli, list(args))
    assert res.exception is None or isinstance(res.exception, SystemExit), res.exception
    return res.exit_code, res.stdout, res.stderr


# -- import of triples without a type ----------------------------------------------------


def test_import_of_untyped_triples_says_what_it_wrote(tmp_path: Path) -> None:
    src = tmp_path / "untyped.ttl"
    src.write_text(PREFIXES + 'kgid:t-market rdfs:comment "No type here."@en .\n',
                   encoding="utf-8")
    target = tmp_path / "target.ttl"
    code, out, err = _invoke("import", str(src), "--data", str(TINY), "--file", str(target))
    assert code == 0, err
    assert f"wrote 1 new triple(s) to {target}" in out and "nothing to add" not in out
    assert '"No type here."@en' in target.read_text(encoding="utf-8")
    before = target.read_bytes()
    code, out, err = _invoke("import", str(src), "--data", str(TINY), "--file", str(target))
    assert code == 0 and f"nothing to add; {target} unchanged" in out
    assert target.read_bytes() == before


# -- the limits and their variables ------------------------------------------------------


def test_nesting_counts_brackets_outside_strings_iris_and_comments() -> None:
    assert limits.nesting_depth('SELECT * { "((((" <http://x/(> # ((((\n ( ) }')[0] == 2
    assert limits.nesting_depth("a\n((\n(\n)))", 2) == (3, 3)


def test_every_limit_has_its_variable(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    q = "SELECT * WHERE { " + "{ " * 5 + "?s ?p ?o" + " }" * 5 + " }"
    assert _invoke("query", q, "--data", str(TINY))[0] == 0
    monkeypatch.setenv("CHANNELKG_MAX_NESTING", "4")
    code, _, err = _invoke("query", q, "--data", str(TINY))
    assert code == 2 and "nests brackets 6 deep" in err and "CHANNELKG_MAX_NESTING" in err
    monkeypatch.setenv("CHANNELKG_MAX_NESTING", "lots")
    code, _, err = _invoke("query", q, "--data", str(TINY))
    assert code == 2 and "CHANNELKG_MAX_NESTING='lots': give a positive whole number" in err
    monkeypatch.delenv("CHANNELKG_MAX_NESTING")
    rows = tmp_path / "rows.csv"
    rows.write_text("type,class,id,label_en,iso_code\n" + "".join(
        f"entity,Market,m{i},Market {i},X{'ABCD'[i]}\n" for i in range(4)), encoding="utf-8")
    monkeypatch.setenv("CHANNELKG_MAX_FACTS", "3")
    code, _, err = _invoke("import", str(rows), "--data", str(TINY), "--dry-run")
    assert code == 2 and f"{rows}:5: more than 3 rows" in err
    monkeypatch.setenv("CHANNELKG_MAX_FACTS", "4")
    assert _invoke("import", str(rows), "--data", str(TINY), "--dry-run")[0] == 0
    for limit in limits.ALL:
        assert limit.env in (Path(__file__).parent.parent / "docs" / "limits.md").read_text(
            encoding="utf-8")


def test_rdfxml_internal_entities_are_read_up_to_the_limit(tmp_path: Path) -> None:
    doc = ('<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF [<!ENTITY kgid '
           '"https://w3id.org/channelkg/id/">]>\n<rdf:RDF xmlns:rdf='
           '"http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:rdfs='
           '"http://www.w3.org/2000/01/rdf-schema#"><rdf:Description rdf:about="&kgid;t-market">'
           "<rdfs:comment>via an entity</rdfs:comment></rdf:Description></rdf:RDF>\n")
    f = tmp_path / "ok.rdf"
    f.write_text(doc, encoding="utf-8")
    code, out, _ = _invoke("query", "SELECT ?c WHERE { <https://w3id.org/channelkg/id/t-market> "
                           "<http://www.w3.org/2000/01/rdf-schema#comment> ?c }", "--data", str(f))
    assert code == 0 and "via an entity" in out
    with pytest.raises(InputError, match="refer to themselves"):
        limits.check_xml_entities(b'<!DOCTYPE r [<!ENTITY a "&b;"><!ENTITY b "&a;">]><r/>', "x")
    with pytest.raises(InputError, match="a parameter entity"):
        limits.check_xml_entities(b'<!DOCTYPE r [<!ENTITY % p "x">]><r/>', "x")
    many = b'<!DOCTYPE r [<!ENTITY a "' + b"x" * 1000 + b'">]><r>' + b"&a;" * 2000 + b"</r>"
    with pytest.raises(InputError, match="expand to 2,000,000 characters"):
        limits.check_xml_entities(many, "x")


def test_a_long_list_is_one_level(tmp_path: Path) -> None:
    f = tmp_path / "list.ttl"
    f.write_text(PREFIXES + "kgid:x rdfs:seeAlso ( " + " ".join(map(str, range(500)))
                 + " ) .\n", encoding="utf-8")
    code, _, err = _invoke("format", str(f))
    assert code == 0, err
    chain = "".join(f"_:b{i} rdfs:seeAlso _:b{i + 1} .\n" for i in range(150))
    f.write_text(PREFIXES + "kgid:x rdfs:seeAlso _:b0 .\n" + chain, encoding="utf-8")
    code, _, err = _invoke("format", str(f))
    assert code == 2 and "blank nodes or lists nested more than 100 deep" in err


# -- terminal, briefs, namespaces, dates -------------------------------------------------


def test_control_characters_never_reach_a_terminal() -> None:
    assert for_terminal("a\x1b[2J\x07b\rc\u202ed\u0085\ttab\nline") == (
        "a\\x1b[2J\\x07b\\rc\\u202ed\\x85\ttab\nline")
    assert for_terminal("日本語 é") == "日本語 é"


def test_cli_sanitises_messages_and_a_terminal_but_not_a_pipe(tmp_path: Path) -> None:
    f = tmp_path / "esc.ttl"
    f.write_text(PREFIXES + 'kgid:x rdfs:label "\\u001B]0;pwned\\u0007" .\n', encoding="utf-8")
    q = "SELECT ?l WHERE { ?s <http://www.w3.org/2000/01/rdf-schema#label> ?l }"
    args = [sys.executable, "-m", "channelkg", "query", q, "--data", str(f), "-f", "csv"]
    piped = subprocess.run(args, capture_output=True, check=True)
    assert b"\x1b]0;pwned\x07" in piped.stdout  # a pipe gets the exact data
    leader, follower = pty.openpty()
    try:
        proc = subprocess.run(args, stdout=follower, stderr=subprocess.PIPE, timeout=120)
        os.close(follower)
        shown = b""
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:
                break
            if not chunk:
                break
            shown += chunk
    finally:
        os.close(leader)
    assert proc.returncode == 0, proc.stderr
    assert b"\x1b" not in shown and b"\\x1b]0;pwned\\x07" in shown
    code, _, err = _invoke("explain", "kgid:\x1b[2Jx", "--data", str(TINY))
    assert code == 2 and "\x1b" not in err and "\\x1b[2J" in err


def test_briefs_link_only_http_urls() -> None:
    from channelkg.analysis.records import SourceRef
    from channelkg.render.document import Brief

    brief = Brief("T", "test")
    brief.p("cited " + brief.cite([SourceRef("s1", "Evil", "javascript:alert(1)"),
                                   SourceRef("s2", "Data", "data:text/html,<b>x</b>"),
                                   SourceRef("s3", "Good", "https://example.org/r")]))
    md, page = brief.to_markdown(), brief.to_html()
    assert "<https://example.org/r>" in md
    assert "<javascript:" not in md and "](javascript" not in md and "<data:" not in md
    assert 'href="javascript' not in page and 'href="data:' not in page
    assert 'href="https://example.org/r"' in page


def test_a_typo_in_the_ckg_namespace_is_reported(tmp_path: Path) -> None:
    f = tmp_path / "typo.ttl"
    f.write_text("@prefix ckg: <http://w3id.org/channelkg/ontology#> .\n"
                 "<https://w3id.org/channelkg/id/x> ckg:isoCode \"XX\" .\n", encoding="utf-8")
    code, out, _ = _invoke("validate", str(f))
    assert code == 1 and "looks like a typo of ckg:" in out
    code, _, err = _invoke("import", str(f), "--data", str(TINY), "--dry-run")
    assert code == 2 and "looks like a typo of ckg:" in err
    assert _invoke("validate", str(TINY))[0] == 0


def test_an_empty_as_of_is_refused_by_every_command() -> None:
    commands = [name for name, cmd in load_commands().items()
                if any("--as-of" in p.opts for p in getattr(cmd, "params", []))]
    assert {"query", "view", "routes", "timeline", "explain", "check"} <= set(commands)
    for name in commands:
        args = {"explain": ["kgid:t-market"], "query": ["seed-table"],
                "routes": ["--market", "TL"], "spof": ["--market", "TL"],
                "report": ["--market", "TL"],
                "whatif": ["--block-service", "kgid:t-api"]}.get(name, [])
        code, _, err = _invoke(name, *args, "--as-of", "", "--data", str(TINY))
        assert code == 2 and "bad date --as-of ''" in err, (name, err)


# -- CSV for spreadsheets ----------------------------------------------------------------


def test_safe_csv_neutralises_formulas_only_when_asked(tmp_path: Path) -> None:
    f = tmp_path / "f.ttl"
    f.write_text(PREFIXES + 'kgid:x rdfs:label "=HYPERLINK(1)" , "+1" , "@a" , "-2" , "ok" .\n',
                 encoding="utf-8")
    q = ("SELECT ?l WHERE { <https://w3id.org/channelkg/id/x> "
         "<http://www.w3.org/2000/01/rdf-schema#label> ?l } ORDER BY ?l")
    code, exact, _ = _invoke("query", q, "--data", str(f), "-f", "csv")
    assert code == 0 and "=HYPERLINK(1)" in exact.splitlines()
    code, safe, _ = _invoke("query", q, "--data", str(f), "-f", "csv", "--safe-csv")
    lines = safe.splitlines()
    assert code == 0 and {"'+1", "'-2", "'=HYPERLINK(1)", "'@a", "ok"} <= set(lines)
    code, out, _ = _invoke("timeline", "--data", str(TINY), "-f", "csv", "--safe-csv")
    assert code == 0 and out.startswith("date,")


def test_the_endpoint_refuses_a_deep_query_before_the_engine() -> None:
    """10,000 nested parentheses once killed a worker of `serve` (a stack overflow)."""
    from channelkg.graph.memory import load
    from channelkg.serve.app import Job, execute

    kg = load([TINY])
    for q in ("SELECT ?x WHERE { BIND(" + "(" * 10_000 + "1" + ")" * 10_000 + " AS ?x) }",
              "SELECT * WHERE " + "{ " * 10_000 + "?s ?p ?o" + " }" * 10_000):
        reply = execute(kg, Job(text=q))
        assert reply.status == 400 and b"nests brackets" in reply.body
    assert execute(kg, Job(text="ASK { ?s ?p ?o }")).status == 200
