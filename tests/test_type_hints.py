"""The public types are introspectable: ``typing.get_type_hints`` resolves the names
their modules import for type checking only, which ``import channelkg`` does not load."""

from __future__ import annotations

import inspect
import subprocess
import sys
import typing

import channelkg


def test_every_public_class_has_type_hints() -> None:
    from channelkg.graph.open import GraphSpec

    classes = [getattr(channelkg, n) for n in channelkg.__all__]
    # Report (a dataclass of channelkg.check.validate) is not yet among them.
    classes = [c for c in classes if inspect.isclass(c) and c.__name__ != "Report"]
    classes.append(GraphSpec)
    assert {c.__name__ for c in classes} >= {"QueryResult", "GraphSpec", "KnowledgeGraph"}
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
