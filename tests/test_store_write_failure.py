"""A write that fails while a changed file is applied to an ``oxigraph:`` store (here the
N-Triples copy the store keeps of the file cannot replace its old one): the command ends
with one line, the file stays marked pending, each later open fails the same way while
the cause is there (never a half-made copy used, never a wait), and once it is gone the
next open applies the file again and answers as the files do."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from click.testing import CliRunner

from channelkg.cli import cli
from channelkg.graph.delta import copy_path
from channelkg.resources import default_data_files

QUERY = "SELECT ?s ?l WHERE { ?s <http://www.w3.org/2000/01/rdf-schema#label> ?l }"


def _pending(store: Path) -> list[str]:
    files = json.loads((store / "channelkg-manifest.json").read_text())["files"]
    return [k for k, rec in files.items() if rec.get("pending")]


def _blocked(tmp_path: Path) -> tuple[Path, Path, Path, Path]:
    """A store built from three bundled files, the last of them edited, and the store's
    copy of it replaced by a folder, so that the new copy cannot be written: the data
    folder, the store, the edited file and its copy."""
    data = tmp_path / "g"
    data.mkdir()
    for f in default_data_files()[:3]:
        shutil.copy(f, data / f.name)
    store = tmp_path / "s"
    built = CliRunner().invoke(cli, ["load", "--into", f"oxigraph:{store}", "--quiet",
                                     str(data)])
    assert built.exit_code == 0, built.output
    changed = sorted(data.glob("*.ttl"))[-1]
    manifest = json.loads((store / "channelkg-manifest.json").read_text())
    copy = copy_path(store, manifest["files"][str(changed.resolve())]["graph"])
    copy.unlink()
    (copy / "in-the-way").mkdir(parents=True)  # the new copy cannot replace it
    changed.write_text(changed.read_text(encoding="utf-8")
                       + '\n<https://example.org/x> <http://www.w3.org/2000/01/rdf-schema#label>'
                       ' "added" .\n', encoding="utf-8")
    return data, store, changed, copy


def test_a_failed_copy_write_is_one_line_and_the_next_open_repairs(tmp_path: Path) -> None:
    data, store, changed, copy = _blocked(tmp_path)
    runner = CliRunner()
    args = ["query", QUERY, "-f", "csv", "--store", f"oxigraph:{store}", "--as-of",
            "2024-07-09"]
    for _ in range(2):
        res = runner.invoke(cli, args)
        assert res.exit_code == 2, (res.output, res.exception)
        lines = res.output.strip().splitlines()
        assert len(lines) == 1 and "Traceback" not in res.output, res.output
        assert str(store) in lines[0] and "cannot bring the store up to date" in lines[0]
        assert _pending(store) == [str(changed.resolve())]
    shutil.rmtree(copy)
    res = runner.invoke(cli, args)
    want = runner.invoke(cli, ["query", QUERY, "-f", "csv", "--data", str(data), "--as-of",
                               "2024-07-09"])
    assert res.exit_code == want.exit_code == 0, res.output
    assert "added" in res.stdout
    assert sorted(res.stdout.splitlines()) == sorted(want.stdout.splitlines())
    assert _pending(store) == [] and copy.is_file()


def test_a_failed_copy_write_during_load_into_is_one_line(tmp_path: Path) -> None:
    data, store, changed, copy = _blocked(tmp_path)
    runner = CliRunner()
    load = ["load", "--into", f"oxigraph:{store}", "--quiet", str(data)]
    res = runner.invoke(cli, load)
    assert res.exit_code == 2, (res.output, res.exception)
    lines = res.output.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in res.output, res.output
    assert str(store) in lines[0] and "pending" in lines[0]
    assert _pending(store) == [str(changed.resolve())]
    shutil.rmtree(copy)
    assert runner.invoke(cli, load).exit_code == 0
    assert _pending(store) == [] and copy.is_file()
