"""``run_native`` answers over the same dataset as ``run`` on every kind of graph: the
backends, a persistent store, reasoned graphs (whose named graph copies the inferred
triples) and as-of views."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest

from channelkg.graph.base import KnowledgeGraph
from channelkg.graph.disk import load_into, open_disk
from channelkg.graph.memory import load
from channelkg.render.results import render
from channelkg.sparql.reason import expand
from conftest import DATA

FIXTURE = DATA / "openai-cn.ttl"
DAY = dt.date(2024, 8, 1)
QUERIES = (
    "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
    "SELECT ?s ?p ?o WHERE { ?s ?p ?o }",
    "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g",
    "ASK { ?s a <https://w3id.org/channelkg/ontology#AccessRoute> }",
)


def _disk(tmp: Path) -> KnowledgeGraph:
    load_into(tmp / "db", [FIXTURE])
    return open_disk(tmp / "db", read_only=True)


KINDS: dict[str, Callable[[Path], KnowledgeGraph]] = {
    "oxigraph": lambda _: load([FIXTURE]),
    "rdflib": lambda _: load([FIXTURE], engine="rdflib"),
    "disk": _disk,
    "reasoned-rules": lambda _: expand(load([FIXTURE]), "rules"),
    "reasoned-rdfs": lambda _: expand(load([FIXTURE]), "rdfs"),
    "reasoned-rdflib": lambda _: expand(load([FIXTURE], engine="rdflib"), "rdfs"),
    "reasoned-disk": lambda tmp: expand(_disk(tmp), "rules"),
    "as-of-oxigraph": lambda _: load([FIXTURE]).visible_on(DAY),
    "as-of-known": lambda _: load([FIXTURE]).visible_on(DAY, known=True),
    "as-of-rdflib": lambda _: load([FIXTURE], engine="rdflib").visible_on(DAY),
    "as-of-disk": lambda tmp: _disk(tmp).visible_on(DAY),
    "reasoned-as-of": lambda _: expand(load([FIXTURE]).visible_on(DAY), "rules"),
}


def _rows(kg: KnowledgeGraph, text: str, *, native: bool) -> list[str]:
    try:
        res = kg.run_native(text) if native else kg.run(text)
    except Exception as err:  # rdflib's engine refuses GRAPH on a plain graph: both must
        return [type(err).__name__]
    if res.kind == "ASK":
        return [str(res.boolean)]
    return sorted(render(res, "csv").splitlines())


def _count(term: object) -> int:
    return int(getattr(term, "value", term))  # type: ignore[call-overload]


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_run_native_gives_the_rows_of_run(kind: str, tmp_path: Path) -> None:
    kg = KINDS[kind](tmp_path)
    for text in QUERIES:
        assert _rows(kg, text, native=True) == _rows(kg, text, native=False), (kind, text)
    assert _count(kg.run_native(QUERIES[0]).rows[0][0]) == len(kg), kind


def test_reasoned_rows_are_not_doubled() -> None:
    base = load([FIXTURE])
    reasoned = expand(base, "rules")
    assert reasoned.inferred is not None and len(reasoned.inferred) > 0
    n = _count(reasoned.run_native(QUERIES[0]).rows[0][0])
    assert n == len(base) + sum(1 for t in reasoned.inferred if t not in set(base.triples()))
