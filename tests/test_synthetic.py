"""The benchmark generator (benchmarks/synthetic.py): valid against the shapes, with hubs."""

from __future__ import annotations

import importlib.util
import statistics
import sys
from collections import Counter
from pathlib import Path
from types import ModuleType

import pytest

from channelkg.check.validate import validate

ROOT = Path(__file__).parent.parent
CKG = "https://w3id.org/channelkg/ontology#"


@pytest.fixture(scope="module")
def synthetic() -> ModuleType:
    spec = importlib.util.spec_from_file_location("synthetic", ROOT / "benchmarks" / "synthetic.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules["synthetic"] = mod
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def generated(synthetic: ModuleType, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("syn") / "synthetic.nt"
    synthetic.write_ntriples(path, 6000)
    return path


def test_generated_graph_conforms_to_the_shapes(generated: Path) -> None:
    report = validate([generated])
    assert report.conforms, report.text
    assert report.triples >= 5_000


def _objects(path: Path, predicate: str, subject_part: str) -> Counter[str]:
    out: Counter[str] = Counter()
    for line in path.read_text(encoding="utf-8").splitlines():
        s, p, o = line.split(" ", 2)
        if p == f"<{CKG}{predicate}>" and subject_part in s:
            out[o.removesuffix(" .")] += 1
    return out


@pytest.mark.parametrize("predicate", ["market", "service", "seller"])
def test_routes_concentrate_on_hubs(generated: Path, predicate: str) -> None:
    counts = _objects(generated, predicate, "syn-route-")
    assert len(counts) >= 5
    top = counts.most_common(1)[0][1]
    # The busiest node carries many times the routes of a typical one.
    assert top >= 3 * statistics.median(counts.values())


def test_iso_codes_are_unique_and_iso_shaped(synthetic: ModuleType) -> None:
    import itertools

    first = itertools.islice(synthetic.triples(300_000), 5_000)  # markets come first
    codes = [o for s, p, o in first if p == f"<{CKG}isoCode>"]
    assert len(codes) == len(set(codes)) > 100
    assert codes.count('"CN"') == 1


def test_big_market_counts_get_iso_3166_2_shaped_codes(synthetic: ModuleType) -> None:
    import re

    codes = [o.strip('"') for s, p, o in synthetic.triples(2_000, n_markets=800)
             if p == f"<{CKG}isoCode>"]
    assert len(codes) == len(set(codes)) == 800
    assert all(re.fullmatch(r"[A-Z]{2}(-[A-Z0-9]{1,3})?", c) for c in codes)
