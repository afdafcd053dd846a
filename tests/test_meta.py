"""Project hygiene: help on every command, documented queries and terms, README in sync."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from rdflib import Graph

from channelkg import resources
from channelkg.cli import cli
from channelkg.graph.memory import load
from channelkg.rdf.namespaces import CKG
from channelkg.sparql.query import list_queries, query

ROOT = Path(__file__).parent.parent
COMMANDS = sorted(cli.commands)


def _ontology_terms() -> set[str]:
    g = Graph().parse(resources.ontology_file())
    return {str(s)[len(str(CKG)) :] for s in g.subjects() if str(s).startswith(str(CKG))}


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_has_help(name: str) -> None:
    res = CliRunner().invoke(cli, [name, "--help"])
    assert res.exit_code == 0, res.output
    cmd = cli.commands[name]
    assert cmd.help and len(cmd.help.strip()) > 20
    for param in cmd.params:
        if isinstance(param, click.Option) and not param.hidden:
            assert param.help, f"{name} {param.opts} has no help"


def test_readme_documents_every_command() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name in COMMANDS:
        assert f"`channelkg {name}" in readme, f"README does not mention channelkg {name}"


def test_readme_test_command_is_what_ci_runs() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "bash scripts/test.sh" in readme
    assert "exec bash scripts/test.sh" in ci


def test_every_ontology_term_has_label_and_definition() -> None:
    kg = load([resources.ontology_file()])
    assert query(kg, "ontology-hygiene").rows == ()


def test_ckg_terms_used_in_code_and_queries_exist() -> None:
    known = _ontology_terms()
    used: dict[str, str] = {}
    for f in [*ROOT.glob("src/channelkg/**/*.py"), *ROOT.glob("src/channelkg/**/*.rq")]:
        text = f.read_text(encoding="utf-8")
        for m in re.finditer(r"\bckg:([A-Za-z][A-Za-z0-9]*)|\bCKG\.([A-Za-z][A-Za-z0-9]*)", text):
            used.setdefault(m.group(1) or m.group(2), str(f.relative_to(ROOT)))
    unknown = {t: f for t, f in used.items() if t not in known}
    assert unknown == {}


def test_named_query_prefixes_are_declared_in_each_file() -> None:
    for nq in list_queries():
        body = "\n".join(line for line in nq.text.splitlines() if not line.startswith("#"))
        used = set(re.findall(r"\b([a-z]+):[A-Za-z]", re.sub(r"<[^>]*>|\"[^\"]*\"", "", body)))
        declared = set(re.findall(r"PREFIX\s+([a-z]+):", body))
        assert used <= declared, (nq.name, used - declared)


def test_shipped_paths_exist() -> None:
    assert resources.ontology_file().is_file()
    assert resources.shapes_file().is_file()
    assert len(resources.default_data_files()) >= 5


def test_curated_graph_is_in_canonical_form() -> None:
    """graphs/*.ttl is kept sorted and canonical, so diffs review well."""
    res = CliRunner().invoke(cli, ["format", "--check", *map(str, resources.default_data_files())])
    assert res.exit_code == 0, res.output
