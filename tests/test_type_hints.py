"""The public types are introspectable: ``typing.get_type_hints`` resolves the names
their modules import for type checking only, which ``import channelkg`` does not load."""

from __future__ import annotations

import inspect
import subprocess
import sys
import typing
from pathlib import Path

import pytest

import channelkg


def test_every_public_class_has_type_hints() -> None:
    from channelkg.graph.open import GraphSpec

    classes = [getattr(channelkg, n) for n in channelkg.__all__]
    classes = [c for c in classes if inspect.isclass(c)]
    classes.append(GraphSpec)
    assert {c.__name__ for c in classes} >= {"QueryResult", "GraphSpec", "KnowledgeGraph",
                                             "Report"}
    for cls in classes:
        hints = typing.get_type_hints(cls)
        assert all(not isinstance(h, str | typing.ForwardRef) for h in hints.values()), cls
    from rdflib import Graph

    assert typing.get_type_hints(channelkg.QueryResult)["graph"] == Graph | None
    assert str(typing.get_type_hints(GraphSpec)["as_of"]) == "datetime.date | None"


def test_the_query_result_module_still_imports_no_rdflib_nor_typing() -> None:
    code = ("import sys, channelkg.graph.open, channelkg.graph.base; "
            "print(sorted({'rdflib', 'typing', 'datetime', 'ast'} & set(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"


def test_annotations_of_a_record_survive_a_missing_optional_package(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A module whose type-checking block imports a package that is not installed: its
    record's annotations can still be read (the other names resolve)."""
    (tmp_path / "ckg_hints_probe.py").write_text(
        "from __future__ import annotations\n"
        "from channelkg.record import Record\n"
        "TYPE_CHECKING = False\n"
        "if TYPE_CHECKING:\n"
        "    import no_such_package_for_channelkg\n"
        "    from pathlib import Path\n"
        "class Probe(Record):\n"
        "    FIELDS = ('where',)\n"
        "    where: Path\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    import ckg_hints_probe

    assert list(ckg_hints_probe.Probe.__annotations__) == ["where"]
    assert typing.get_type_hints(ckg_hints_probe.Probe)["where"] is Path
