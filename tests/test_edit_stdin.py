"""`-` reads standard input for `import` and `format`; `format -o -` writes standard output;
`format --check` fails with exit 1 and one line."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from channelkg.cli import cli
from channelkg.graph.memory import load
from channelkg.sparql.query import query

KGID = "https://w3id.org/channelkg/id/"
CKG = "https://w3id.org/channelkg/ontology#"
PREFIXES = (
    "@prefix ckg: <https://w3id.org/channelkg/ontology#> .\n"
    "@prefix kgid: <https://w3id.org/channelkg/id/> .\n"
    "@prefix prov: <http://www.w3.org/ns/prov#> .\n"
    "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
    "@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n"
)
YAML = ("- type: claim\n  about: microsoft\n  comment: Read from standard input.\n"
        "  source: kgid:source-seed-2026\n  stated_on: 2026-06-19\n")
UNSORTED = PREFIXES + '\n# about b\nkgid:b ckg:isoCode "X" .\nkgid:a ckg:isoCode "Y" .\n'


def _claims(home: Path) -> set[str]:
    kg = load([home / "graphs"])
    return {str(r[0]) for r in query(kg, f"SELECT ?s WHERE {{ ?s a <{CKG}Claim> }}").rows}


def test_import_yaml_from_standard_input(ckg_home: Path, runner: CliRunner) -> None:
    res = runner.invoke(cli, ["import", "-", "--format", "yaml"], input=YAML)
    assert res.exit_code == 0, res.output
    assert f"{KGID}claim-read-from-standard-input-2026-06-19" in _claims(ckg_home)


def test_import_turtle_from_standard_input(ckg_home: Path, runner: CliRunner) -> None:
    ttl = PREFIXES + (
        'kgid:claim-stdin a ckg:Claim ; rdfs:comment "From stdin."@en ; '
        'ckg:status ckg:reported ;\n  ckg:statedOn "2026-06-19"^^xsd:date ; '
        "prov:wasDerivedFrom kgid:source-seed-2026 .\n")
    res = runner.invoke(cli, ["import", "-", "--format", "ttl"], input=ttl)
    assert res.exit_code == 0, res.output
    assert KGID + "claim-stdin" in _claims(ckg_home)
    bad = ttl.replace("kgid:source-seed-2026 .", "kgid:source-seed-2026")
    res = runner.invoke(cli, ["import", "-", "--format", "ttl"], input=bad)
    assert res.exit_code == 2
    assert "<stdin>:8:" in res.output and "syntax error" in res.output
    assert "Traceback" not in res.output


def test_import_from_standard_input_needs_a_format(ckg_home: Path, runner: CliRunner) -> None:
    res = runner.invoke(cli, ["import", "-"], input=YAML)
    assert res.exit_code == 2 and "needs --format" in res.output
    res = runner.invoke(cli, ["import", "-", "--format", "yaml"], input="- [unclosed\n")
    assert res.exit_code == 2 and "<stdin>:" in res.output and "YAML syntax error" in res.output


def test_format_reads_standard_input_and_writes_standard_output(runner: CliRunner) -> None:
    res = runner.invoke(cli, ["format", "-"], input=UNSORTED)
    assert res.exit_code == 0, res.output
    assert res.output.index("kgid:a") < res.output.index("# about b") < res.output.index("kgid:b")
    again = runner.invoke(cli, ["format", "-"], input=res.output)
    assert again.output == res.output  # canonical text is a fixed point
    assert runner.invoke(cli, ["format", "-", "--check"], input=res.output).exit_code == 0
    res = runner.invoke(cli, ["format", "-"], input=PREFIXES + "kgid:a ckg:isoCode\n")
    assert res.exit_code == 2 and "<stdin>:" in res.output and "syntax error" in res.output


def test_format_output_to_a_file_or_standard_output(runner: CliRunner, tmp_path: Path) -> None:
    src = tmp_path / "in.ttl"
    src.write_text(UNSORTED, encoding="utf-8")
    out = runner.invoke(cli, ["format", str(src), "-o", "-"])
    assert out.exit_code == 0, out.output
    assert src.read_text(encoding="utf-8") == UNSORTED  # the input is left alone
    assert not (tmp_path / "-").exists()
    target = tmp_path / "out.ttl"
    res = runner.invoke(cli, ["format", str(src), "-o", str(target)])
    assert res.exit_code == 0, res.output
    assert target.read_text(encoding="utf-8") == out.output


def test_format_check_fails_with_exit_1(runner: CliRunner, tmp_path: Path) -> None:
    src = tmp_path / "in.ttl"
    src.write_text(UNSORTED, encoding="utf-8")
    res = runner.invoke(cli, ["format", "--check", str(src)])
    assert res.exit_code == 1
    assert f"would reformat {src}" in res.output
    assert "Error: 1 of 1 file(s) not canonical" in res.output
    assert src.read_text(encoding="utf-8") == UNSORTED
    res = runner.invoke(cli, ["format", "-", "--check"], input=UNSORTED)
    assert res.exit_code == 1 and "would reformat <stdin>" in res.output
