"""Loading RDF files into the engines: same triples everywhere, clear errors, no network."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
from rdflib import Literal, URIRef
from rdflib.compare import isomorphic

from channelkg import resources
from channelkg.errors import InputError
from channelkg.graph.memory import from_rdflib, load, parse_file
from channelkg.rdf.namespaces import CKG, KGID
from conftest import BAD, TINY


def test_both_engines_hold_the_same_triples() -> None:
    ox = load([TINY], engine="oxigraph")
    rl = load([TINY], engine="rdflib")
    assert len(ox) == len(rl) > 500  # the ontology is loaded too
    assert isomorphic(ox.to_rdflib(), rl.to_rdflib())


def test_ontology_can_be_left_out() -> None:
    kg = load([TINY], ontology=False)
    g = kg.to_rdflib()
    assert (KGID["t-market"], CKG.isoCode, Literal("TL")) in g
    assert not list(g.triples((CKG.Market, None, None)))


def test_default_is_the_bundled_graph() -> None:
    kg = load()
    assert set(kg.files) >= set(resources.default_data_files())
    assert resources.ontology_file() in kg.files


def test_folder_is_expanded(tmp_path: Path) -> None:
    (tmp_path / "a.ttl").write_text(TINY.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "notes.txt").write_text("not rdf", encoding="utf-8")
    kg = load([tmp_path])
    assert [f.name for f in kg.files] == ["channelkg.ttl", "a.ttl"]


def test_missing_file() -> None:
    with pytest.raises(InputError) as err:
        load(["no/such/file.ttl"])
    assert err.value.location == "no/such/file.ttl"
    assert "no such file" in err.value.message


def test_broken_turtle_reports_file_line_column() -> None:
    with pytest.raises(InputError) as err:
        parse_file(BAD / "broken-syntax.ttl")
    assert err.value.location == f"{BAD / 'broken-syntax.ttl'}:6:1"
    assert "dot is expected" in err.value.message


def test_unknown_prefix_reports_line() -> None:
    with pytest.raises(InputError) as err:
        parse_file(BAD / "unknown-prefix.ttl")
    assert err.value.location.endswith("unknown-prefix.ttl:3:8")
    assert "foo:" in err.value.message


def test_unknown_extension(tmp_path: Path) -> None:
    f = tmp_path / "data.csv"
    f.write_text("a,b\n", encoding="utf-8")
    with pytest.raises(InputError, match="unknown RDF file type"):
        parse_file(f)


def _refuse_connections(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    attempts: list[object] = []

    def guard(*args: object, **kwargs: object) -> None:
        attempts.append(args)
        raise OSError("network access attempted")

    monkeypatch.setattr(socket.socket, "connect", guard)
    monkeypatch.setattr(socket, "create_connection", guard)
    return attempts


def test_owl_imports_are_not_followed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    attempts = _refuse_connections(monkeypatch)
    f = tmp_path / "imports.ttl"
    f.write_text(
        "@prefix owl: <http://www.w3.org/2002/07/owl#> .\n"
        "<http://example.org/o> a owl:Ontology ; owl:imports <http://127.0.0.1:9/never.ttl> .\n",
        encoding="utf-8",
    )
    for engine in ("oxigraph", "rdflib"):
        kg = load([f], engine=engine, ontology=False)
        assert len(kg) == 2
    assert attempts == []


def test_jsonld_remote_context_is_not_fetched(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    attempts = _refuse_connections(monkeypatch)
    f = tmp_path / "remote.jsonld"
    f.write_text(
        json.dumps({"@context": "http://127.0.0.1:9/context.jsonld", "@id": "x", "name": "y"}),
        encoding="utf-8",
    )
    with pytest.raises(InputError):
        load([f], ontology=False)
    assert attempts == []


def test_jsonld_inline_context_loads(tmp_path: Path) -> None:
    f = tmp_path / "inline.jsonld"
    f.write_text(
        json.dumps(
            {
                "@context": {"label": "http://www.w3.org/2000/01/rdf-schema#label"},
                "@id": "https://w3id.org/channelkg/id/x",
                "label": "X",
            }
        ),
        encoding="utf-8",
    )
    g = load([f], ontology=False).to_rdflib()
    assert (URIRef(KGID["x"]), None, Literal("X")) in g


def test_from_rdflib_round_trip() -> None:
    g = load([TINY], engine="rdflib").to_rdflib()
    kg = from_rdflib(g, "oxigraph")
    assert len(kg) == len(g)
    assert isomorphic(kg.to_rdflib(), g)
