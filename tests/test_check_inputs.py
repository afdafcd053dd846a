"""check/inputs.py: what `validate` points at (files, standard input, a store)."""

from __future__ import annotations

import pytest

from channelkg.check.inputs import validate_input
from channelkg.errors import InputError
from conftest import BAD, TINY


def test_turtle_text_is_validated_under_the_name_stdin() -> None:
    ok = validate_input(stdin_text=TINY.read_text(encoding="utf-8"))
    assert ok.conforms and ok.source == "<stdin>" and ok.triples > 0
    assert ok.text.startswith("ok: <stdin>,")


def test_a_syntax_error_on_stdin_names_line_and_column() -> None:
    bad = validate_input(stdin_text="@prefix x: <urn:x:> .\nx:a x:b x:c .\nx:c x:d .\n")
    assert not bad.conforms and [p.kind for p in bad.problems] == ["syntax"]
    assert bad.problems[0].location.startswith("<stdin>:3:"), bad.problems[0].location


def test_shacl_problems_on_stdin_are_found_too() -> None:
    text = (BAD / "no-source.ttl").read_text(encoding="utf-8")
    report = validate_input(stdin_text=text)
    assert not report.conforms
    assert any(p.kind == "shacl" for p in report.problems)


def test_one_kind_of_input_at_a_time() -> None:
    with pytest.raises(InputError, match="not both"):
        validate_input([TINY], stdin_text="")
