"""Records (channelkg.record): plain classes that behave as the dataclasses they replaced."""

from __future__ import annotations

import copy
import dataclasses
import pickle
from pathlib import Path

import pytest

from channelkg.graph.base import QueryResult
from channelkg.graph.open import GraphSpec
from channelkg.model.resolve import NameIndex
from channelkg.model.schema import ClassTree, Schema
from channelkg.record import Record
from channelkg.render.tables import Table
from channelkg.sparql.query import NamedQuery, Param, get_query


def test_a_frozen_record_is_compared_hashed_shown_and_refuses_assignment() -> None:
    res = QueryResult("SELECT", vars=("a",), rows=(("x",),), meta={"truncated": True})
    assert repr(res) == ("QueryResult(kind='SELECT', vars=('a',), rows=(('x',),), "
                         "boolean=None, graph=None, meta={'truncated': True})")
    same = QueryResult("SELECT", vars=("a",), rows=(("x",),))  # meta is not compared
    assert res == same and hash(res) == hash(same) and len({res, same}) == 1
    assert res != QueryResult("SELECT", vars=("b",), rows=(("x",),))
    assert res != ("SELECT", ("a",))  # never equal to a tuple of its values
    with pytest.raises(AttributeError, match="frozen"):
        res.kind = "ASK"  # type: ignore[misc]
    with pytest.raises(AttributeError, match="frozen"):
        del res.rows
    with pytest.raises(AttributeError):
        res.other = 1  # type: ignore[attr-defined]  # no field of that name (slots)


@pytest.mark.parametrize("record", [
    QueryResult("ASK", boolean=True),
    GraphSpec(data=(Path("a.ttl"),), reason="rdfs"),
    Table.of(["h"], [["1"]], doc={"n": 1}),
    Param("market", "market", "the market", default="CN"),
], ids=lambda r: type(r).__name__)
def test_the_dataclass_protocol_works_on_a_record(record: Record) -> None:
    assert dataclasses.is_dataclass(record) and dataclasses.is_dataclass(type(record))
    names = [f.name for f in dataclasses.fields(type(record))]
    assert names == [f.name for f in dataclasses.fields(record)] == list(type(record).FIELDS)
    first = names[0]
    changed = dataclasses.replace(record, **{first: getattr(record, first)})
    assert changed == record and changed is not record
    assert dataclasses.asdict(record) == {n: getattr(record, n) for n in names}
    assert pickle.loads(pickle.dumps(record)) == record
    assert copy.deepcopy(record) == record == copy.copy(record)


def test_replace_keeps_what_is_not_changed_and_checks_as_init_does() -> None:
    spec = GraphSpec(data=(Path("a.ttl"),), engine="rdflib")
    assert dataclasses.replace(spec, reason="rdfs") == GraphSpec(
        data=(Path("a.ttl"),), engine="rdflib", reason="rdfs")
    assert spec.full() == spec and spec.replace(read_only=True).read_only
    with pytest.raises(TypeError):
        dataclasses.replace(spec, nope=1)
    from channelkg.errors import InputError

    with pytest.raises(InputError, match="either --data or --store"):
        dataclasses.replace(spec, store="oxigraph:x")


def test_fields_give_the_defaults_and_factories_of_the_dataclass() -> None:
    by_name = {f.name: f for f in dataclasses.fields(QueryResult)}
    assert by_name["vars"].default == () and by_name["boolean"].default is None
    assert by_name["kind"].default is dataclasses.MISSING
    assert by_name["meta"].default_factory() == {} and not by_name["meta"].compare
    tree = {f.name: f for f in dataclasses.fields(ClassTree)}
    assert not tree["_up"].repr and not tree["_up"].compare


def test_mutable_records_are_compared_by_value_and_unhashable() -> None:
    a, b = ClassTree(), ClassTree()
    a.add("x", "y")
    assert a != b
    b.add("x", "y")
    b.ancestors("x")  # fills the cache, which is neither compared nor shown
    assert a == b and "_up" not in repr(b)
    with pytest.raises(TypeError):
        hash(a)
    assert NameIndex() == NameIndex() and NameIndex().tree == ClassTree()
    index = NameIndex()
    index.types = {"x": {"y"}}  # a mutable record takes assignment
    assert index.types == {"x": {"y"}}


def test_a_subclass_record_has_its_bases_fields_first() -> None:
    schema = Schema(labels={"a": "A"})
    assert Schema.FIELDS[:3] == ClassTree.FIELDS
    assert [f.name for f in dataclasses.fields(schema)] == list(Schema.FIELDS)
    assert schema == Schema(labels={"a": "A"}) != Schema()
    schema.add("a", "b")
    assert schema.is_a("a", "b") and dataclasses.replace(schema).labels == {"a": "A"}


def test_a_named_query_read_alone_equals_the_one_in_the_listing() -> None:
    from channelkg.sparql.query import list_queries

    listed = {nq.name: nq for nq in list_queries()}
    nq = get_query("seed-table")
    assert isinstance(nq, NamedQuery) and nq == listed["seed-table"]
    assert [p.name for p in nq.params] == ["market", "source"]
