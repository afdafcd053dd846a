"""One resolver, one date parser: the same input means the same node (or day) everywhere.

The matrix runs every command that takes a market with every way of naming one and
checks the outputs are those of the canonical CURIE; an unknown name gets the
resolver's one error line, with close matches of the right kind, in every command.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from channelkg.cli import cli
from channelkg.errors import InputError
from channelkg.graph.memory import load
from channelkg.model.dates import parse_date
from channelkg.model.resolve import NameIndex, resolve
from conftest import DATA

CHANNELS = DATA / "channels.ttl"
IRI = "https://w3id.org/channelkg/id/mainland-china"
CANONICAL = "kgid:mainland-china"
NAMES = ["CN", "cn", "Mainland China", "mainland china", "中国大陆", "mainland-china",
         IRI, f"<{IRI}>"]
ON = "2026-11-01"
ADD = ["add", "route", "--model", "gpt", "--service", "azure-china", "--kind", "Reseller",
       "--seller", "microsoft", "--open", "true", "--stated-on", "2026-06-20",
       "--comment", "A reseller sells GPT access in China.", "--source-title", "T",
       "--source-url", "https://example.org/t", "--source-date", "2026-06-20", "--dry-run"]


def command(name: str, market: str, tmp: Path) -> list[str]:
    """The command line of one matrix column, naming the market ``market``."""
    d = ["-d", str(CHANNELS)]
    return {
        "query": ["query", "routes-into", "-p", f"market={market}", "-f", "csv", *d],
        "view": ["view", "--market", market, "--title", "T", "-o", str(tmp / "v.html"), *d],
        "routes": ["routes", "--market", market, "--on", ON, "-f", "json", *d],
        "spof": ["spof", "--market", market, "--on", ON, "-f", "json", *d],
        "report": ["report", "--market", market, "--on", ON, "-o", "-", *d],
        "timeline": ["timeline", "--market", market, "-f", "csv", *d],
        "diff": ["diff", "--from", "2020-01-01", "--to", ON, "--market", market, "-f", "csv", *d],
        "explain": ["explain", market, "-f", "json", *d],
        "add": [*ADD, "--market", market, "--file", str(tmp / "additions.ttl"), *d],
    }[name]


COMMANDS = ["query", "view", "routes", "spof", "report", "timeline", "diff", "explain", "add"]


def output(runner: CliRunner, name: str, market: str, tmp: Path) -> str:
    """What the command says (the page it wrote for ``view``), exit code checked."""
    res = runner.invoke(cli, command(name, market, tmp))
    assert res.exit_code == 0, (name, market, res.output)
    if name == "view":
        return (tmp / "v.html").read_text(encoding="utf-8")
    if name == "spof":  # the echo of what was typed aside, the answer must be the same
        return json.dumps(json.loads(res.stdout)["results"])
    return res.stdout


@pytest.fixture(scope="module")
def names() -> NameIndex:
    return NameIndex.of(load([CHANNELS]))


@pytest.mark.parametrize("name", COMMANDS)
def test_every_way_of_naming_a_market_is_the_same_market(
    name: str, runner: CliRunner, tmp_path: Path
) -> None:
    want = output(runner, name, CANONICAL, tmp_path)
    assert want.strip()
    if name in ("routes", "explain"):
        assert CANONICAL in want
    for market in NAMES:
        assert output(runner, name, market, tmp_path) == want, (name, market)


def test_the_library_resolves_each_name_to_the_market(names: NameIndex) -> None:
    for market in [*NAMES, CANONICAL, "  MAINLAND CHINA  ", "ｍａｉｎｌａｎｄ china"]:
        assert str(resolve(names, market, "market")) == IRI, market


def error_line(names: NameIndex, text: str, kind: str) -> str:
    with pytest.raises(InputError) as info:
        resolve(names, text, kind)
    return info.value.message


@pytest.mark.parametrize("unknown", ["Narnia", "chna"])
def test_an_unknown_market_is_the_same_error_everywhere(
    unknown: str, names: NameIndex, runner: CliRunner, tmp_path: Path
) -> None:
    market_error = error_line(names, unknown, "market")
    assert market_error.startswith(f"unknown market {unknown!r}")
    if unknown == "chna":
        assert "(did you mean kgid:mainland-china (Mainland China, CN)" in market_error
    for name in COMMANDS:
        res = runner.invoke(cli, command(name, unknown, tmp_path))
        assert res.exit_code == 2, (name, res.output)
        assert "Traceback" not in res.output
        # explain takes any node: its right kind is "entity"
        want = error_line(names, unknown, "entity") if name == "explain" else market_error
        assert want in res.output, (name, res.output)
    assert not (tmp_path / "v.html").exists()
    assert not (tmp_path / "additions.ttl").exists()


def test_close_matches_are_of_the_right_kind(names: NameIndex, runner: CliRunner,
                                             tmp_path: Path) -> None:
    res = runner.invoke(cli, command("add", "china", tmp_path))
    assert res.exit_code == 2
    assert "unknown market 'china' (did you mean kgid:mainland-china (Mainland China, CN)" in (
        res.output)
    assert "azure-china" not in res.output  # a service, though its slug is closer
    assert "azure-china" in error_line(names, "azurechina", "service")
    res = runner.invoke(cli, command("routes", "kgid:azure-china", tmp_path))
    assert res.exit_code == 2 and "kgid:azure-china is not a market" in res.output


def test_a_query_file_run_by_path_is_typed_by_its_header(runner: CliRunner,
                                                         tmp_path: Path) -> None:
    rq = tmp_path / "routes.rq"
    rq.write_text("# param: market (market, required): the market, e.g. CN\n"
                  "PREFIX ckg: <https://w3id.org/channelkg/ontology#>\n"
                  "SELECT ?r WHERE { ?r ckg:market ?market } ORDER BY ?r\n", encoding="utf-8")
    base = ["query", str(rq), "-d", str(CHANNELS), "-f", "csv"]
    outs = {m: runner.invoke(cli, [*base, "-p", f"market={m}"]) for m in NAMES}
    assert all(r.exit_code == 0 for r in outs.values())
    assert len({r.output for r in outs.values()}) == 1
    assert "route-az-8" in outs["CN"].output
    res = runner.invoke(cli, [*base, "-p", "market=chna"])
    assert res.exit_code == 2 and "did you mean kgid:mainland-china" in res.output


# --------------------------------------------------------------------------- dates


@pytest.mark.parametrize("text", ["2024-07-09", "20240709", " 2024-07-09 "])
def test_the_date_forms_accepted(text: str) -> None:
    assert parse_date(text, "--on") == dt.date(2024, 7, 9)


@pytest.mark.parametrize(("text", "why"), [
    ("", "empty"), ("2024-13-01", "month must be in 1..12"), ("20240230", "day is out of range"),
    ("2024-7-9", "not a date"), ("09/07/2024", "not a date"), ("yesterday", "not a date"),
])
def test_the_date_forms_refused(text: str, why: str) -> None:
    with pytest.raises(InputError) as info:
        parse_date(text, "--as-of")
    assert info.value.message.startswith(f"bad date --as-of {text!r}: {why}")
    assert info.value.message.endswith("(use YYYY-MM-DD or YYYYMMDD, e.g. 2024-07-09)")


DATE_OPTIONS = [
    ("--as-of", ["routes", "--market", "CN"]),
    ("--on", ["routes", "--market", "CN"]),
    ("--on", ["spof", "--market", "CN"]),
    ("--on", ["whatif", "--remove", "microsoft"]),
    ("--on", ["report", "--market", "CN", "-o", "-"]),
    ("--as-of", ["query", "routes-into"]),
    ("--from", ["timeline"]),
    ("--to", ["timeline"]),
    ("--from", ["diff", "--to", "2027-01-01"]),
    ("--to", ["diff", "--from", "2024-01-01"]),
]


@pytest.mark.parametrize(("option", "args"), DATE_OPTIONS)
def test_every_date_option_takes_the_same_forms(option: str, args: list[str],
                                                runner: CliRunner) -> None:
    base = [*args, "-d", str(CHANNELS)]
    for good in ("2025-01-01", "20250101"):
        res = runner.invoke(cli, [*base, option, good])
        assert res.exit_code == 0, (option, args, good, res.output)
    for bad in ("", "2025-13-01", "1 Jan 2025"):
        res = runner.invoke(cli, [*base, option, bad])
        assert res.exit_code == 2, (option, args, bad, res.output)
        assert f"bad date {option} {bad!r}: " in res.output, res.output
        assert "Traceback" not in res.output


def test_add_date_fields_and_date_parameters_take_the_same_forms(runner: CliRunner,
                                                                 tmp_path: Path) -> None:
    i = ADD.index("--stated-on")
    base = ADD[:i] + ADD[i + 2:]
    base += ["--market", "CN", "--file", str(tmp_path / "a.ttl"), "-d", str(CHANNELS)]
    ok = runner.invoke(cli, [*base, "--stated-on", "20260620"])
    assert ok.exit_code == 0, ok.output
    assert ok.output == runner.invoke(cli, [*base, "--stated-on", "2026-06-20"]).output
    bad = runner.invoke(cli, [*base, "--stated-on", "2026-06-31"])
    assert bad.exit_code == 2 and "option --stated-on: bad date '2026-06-31'" in bad.output
    rq = tmp_path / "since.rq"
    rq.write_text("# param: since (date, required): a day, e.g. 2024-01-01\n"
                  "PREFIX ckg: <https://w3id.org/channelkg/ontology#>\n"
                  "SELECT ?c WHERE { ?c ckg:statedOn ?d FILTER(?d >= ?since) } ORDER BY ?c\n",
                  encoding="utf-8")
    q = ["query", str(rq), "-d", str(CHANNELS), "-f", "csv"]
    a = runner.invoke(cli, [*q, "-p", "since=2024-07-09"])
    assert a.exit_code == 0 and "route-az-8" in a.output, a.output
    assert runner.invoke(cli, [*q, "-p", "since=20240709"]).output == a.output
    bad = runner.invoke(cli, [*q, "-p", "since=2024-7-9"])
    assert bad.exit_code == 2 and "bad date --param since '2024-7-9'" in bad.output


# --------------------------------------------------------------------------- labels

LABELLED = """\
@prefix ckg: <https://w3id.org/channelkg/ontology#> .
@prefix kgid: <https://w3id.org/channelkg/id/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix schema: <https://schema.org/> .
kgid:nl a ckg:Market ; rdfs:label "纳尼亚"@zh ; skos:prefLabel "Narnia"@en ;
    schema:name "Narnia (the land)" ; ckg:isoCode "NL" .
kgid:pl a ckg:Market ; schema:name "Plainland" .
"""


def test_the_label_policy_orders_languages_then_properties() -> None:
    from rdflib import Graph, URIRef

    from channelkg.model.labels import label

    g = Graph().parse(data=LABELLED, format="turtle")
    kgid = "https://w3id.org/channelkg/id/"
    assert label(g.objects, URIRef(kgid + "nl")) == "Narnia"  # English before property order
    assert label(g.objects, URIRef(kgid + "nl"), "zh") == "纳尼亚"
    assert label(g.objects, URIRef(kgid + "pl")) == "Plainland"
    assert label(g.objects, URIRef(kgid + "nowhere")) == "nowhere"  # the local name


def test_a_node_is_labelled_the_same_by_every_command(runner: CliRunner, tmp_path: Path) -> None:
    data = tmp_path / "labels.ttl"
    data.write_text(LABELLED, encoding="utf-8")
    d = ["-d", str(data)]
    res = runner.invoke(cli, ["explain", "纳尼亚", "-f", "json", *d])
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)[0]["focus"]["label"] == "Narnia"
    res = runner.invoke(cli, ["report", "--market", "nl", "-o", "-", *d])
    assert res.exit_code == 0, res.output
    assert res.output.startswith("# Access to AI models in Narnia (NL)")
    res = runner.invoke(cli, ["export-graphml", "--market", "Narnia", "-o",
                              str(tmp_path / "g.graphml"), *d])
    assert res.exit_code == 0, res.output
    import networkx as nx

    g = nx.read_graphml(tmp_path / "g.graphml")
    assert g.nodes["kgid:nl"]["label"] == "Narnia"
    res = runner.invoke(cli, ["routes", "--market", "plainland", "-f", "json", *d])
    assert res.exit_code == 0 and json.loads(res.output)["market"] == "kgid:pl"


def test_kinds_hold_rdflib_classes_and_kind_iris_their_iris() -> None:
    from rdflib import URIRef
    from rdflib.namespace import OWL

    from channelkg.model import resolve as mod
    from channelkg.rdf.namespaces import CKG

    assert CKG.Market in mod.KINDS["market"]
    assert OWL.Class in mod.KINDS["class"]
    assert set(mod.KINDS) == set(mod.KIND_IRIS)
    for kind, classes in mod.KINDS.items():
        assert all(type(c) is URIRef for c in classes), kind
        assert tuple(str(c) for c in classes) == mod.KIND_IRIS[kind] == mod.kind_iris(kind)
        assert mod.kind_classes(kind) == classes
    assert mod.kind_classes("org") == (CKG.Organization,)
    assert mod.KINDS is mod.KINDS
    with pytest.raises(ValueError, match="unknown kind"):
        mod.kind_classes("planet")
    with pytest.raises(AttributeError):
        mod.KINDZ  # noqa: B018


def test_name_index_literals_are_the_backends_terms() -> None:
    import pyoxigraph as ox
    from rdflib import Literal

    from channelkg.rdf.terms import text_of

    on_ox = NameIndex.of(load([CHANNELS]))
    on_rdflib = NameIndex.of(load([CHANNELS], engine="rdflib"))
    assert all(isinstance(o, ox.Literal) for v in on_ox.names.values() for _, o in v)
    assert all(isinstance(o, Literal) for v in on_rdflib.names.values() for _, o in v)
    assert ({s: sorted((p, text_of(o)) for p, o in v) for s, v in on_ox.names.items()}
            == {s: sorted((p, text_of(o)) for p, o in v) for s, v in on_rdflib.names.items()})
