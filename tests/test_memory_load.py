"""How the ``memory`` backend reads files: one transactional load for a small file, the
bulk loader for a large one, the same triples and errors either way, and base IRIs from
each file's resolved path."""

from __future__ import annotations

import gc
import weakref
from pathlib import Path

import pytest

from channelkg.errors import InputError
from channelkg.graph import memory
from channelkg.graph.memory import load, real_paths
from channelkg.sparql.query import time_limited
from conftest import TINY

BOM = b"\xef\xbb\xbf"
RELATIVE = b'@prefix ex: <http://example.org/> .\n<a> ex:p "1" .\nex:b ex:p <c> .\n'


def _triples(kg: memory.KnowledgeGraph) -> set[tuple[str, str, str]]:
    return {(str(s), str(p), str(o)) for s, p, o in kg.ox_triples()}  # type: ignore[attr-defined]


@pytest.mark.parametrize("bulk_from", [0, memory.BULK_FROM])
def test_both_loaders_read_the_same_triples(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                            bulk_from: int) -> None:
    small = _triples(load([TINY], ontology=False))
    with_bom = tmp_path / "bom.ttl"
    with_bom.write_bytes(BOM + TINY.read_bytes())
    monkeypatch.setattr(memory, "BULK_FROM", bulk_from)
    assert _triples(load([TINY], ontology=False)) == small
    assert _triples(load([with_bom], ontology=False)) == small
    bundled = load()
    assert len(bundled) > 4000 and not list(bundled.store.named_graphs())  # type: ignore[attr-defined]


@pytest.mark.parametrize("bulk_from", [0, memory.BULK_FROM])
def test_both_loaders_report_a_syntax_error_at_its_line(monkeypatch: pytest.MonkeyPatch,
                                                        tmp_path: Path, bulk_from: int) -> None:
    bad = tmp_path / "bad.ttl"
    bad.write_bytes(b"@prefix ex: <http://example.org/> .\nex:a ex:p ex:b .\nex:a ex:p .\n")
    monkeypatch.setattr(memory, "BULK_FROM", bulk_from)
    with pytest.raises(InputError) as err:
        load([bad], ontology=False)
    assert (err.value.location or "").startswith(f"{bad}:3")
    assert "syntax error" in err.value.message


def test_relative_iris_resolve_against_the_files_real_path(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    (real / "data.ttl").write_bytes(RELATIVE)
    (tmp_path / "linked").symlink_to(real, target_is_directory=True)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "file-link.ttl").symlink_to(real / "data.ttl")
    paths = [tmp_path / "linked" / "data.ttl", elsewhere / "file-link.ttl",
             real / "." / "data.ttl", tmp_path / "linked" / ".." / "real" / "data.ttl"]
    assert real_paths(paths) == [p.resolve() for p in paths]
    for path in paths:
        subjects = {s for s, _, _ in _triples(load([path], ontology=False))}
        assert "<" + (real / "a").as_uri() + ">" in subjects  # the real folder's


def test_the_ontology_linked_into_the_data_is_read_once(tmp_path: Path) -> None:
    from channelkg import resources

    link = tmp_path / "onto.ttl"
    link.symlink_to(resources.ontology_file())
    kg = load([link])
    assert kg.files == (link,)
    assert len(kg) == len(load([resources.ontology_file()], ontology=False))


def test_time_limited_keeps_nothing_of_the_call_once_it_returns() -> None:
    class Big:
        value = 42

    held = [Big()]
    ref = weakref.ref(held[0])
    assert time_limited(lambda: held[0].value, 5) == 42
    held.clear()
    gc.collect()
    assert ref() is None
