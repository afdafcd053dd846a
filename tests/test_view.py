"""The HTML page without a browser: offline assets, escaping, styles, layout."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import networkx as nx
import pytest
from click.testing import CliRunner

from channelkg import resources
from channelkg.cli import cli
from channelkg.graph.memory import load
from channelkg.render.network import to_networkx
from channelkg.render.page import (
    compute_layout,
    fast_layout,
    render_html,
    script_json,
    view_payload,
)
from channelkg.render.selection import Selection, select
from conftest import DATA, ROOT, TINY

VIEW = DATA / "view.ttl"

REMOTE = [
    re.compile(r"<script[^>]*\bsrc\s*=\s*[\"']?\s*(https?:)?//", re.I),
    re.compile(r"<link[^>]*\bhref\s*=\s*[\"']?\s*(https?:)?//", re.I),
    re.compile(r"@import\s+(url\()?\s*[\"']?\s*(https?:)?//", re.I),
    re.compile(r"url\(\s*[\"']?\s*(https?:)?//", re.I),
]


def _data_json(page: str) -> dict:
    m = re.search(r'<script type="application/json" id="ckg-data">(.*?)</script>', page, re.S)
    assert m
    return json.loads(m.group(1))


def test_page_is_self_contained_and_writes_nothing_else(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    work = tmp_path / "cwd"
    work.mkdir()
    monkeypatch.chdir(work)
    out = tmp_path / "out" / "cn.html"
    res = runner.invoke(cli, ["view", "-d", str(VIEW), "--market", "CN", "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert list(work.iterdir()) == []  # no lib/ or anything else in the working directory
    assert sorted(p.name for p in out.parent.iterdir()) == ["cn.html"]
    page = out.read_text(encoding="utf-8")
    for pattern in REMOTE:
        assert not pattern.search(page), pattern.pattern
    assert "<script src" not in page and "<link" not in page
    assert "vis.Network" in page and "window.channelkg" in page
    # every script is inline and allowed by hash in the Content-Security-Policy
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page)
    assert csp and "default-src &#x27;none&#x27;" in csp.group(1)


def test_default_output_goes_to_graphs_views(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    shutil.copytree(ROOT / "ontology", home / "ontology")
    (home / "graphs").mkdir()
    shutil.copy(VIEW, home / "graphs" / "view.ttl")
    monkeypatch.setenv("CHANNELKG_HOME", str(home))
    resources.project_root.cache_clear()
    try:
        res = runner.invoke(cli, ["view", "--market", "CN", "--collapse"])
        assert res.exit_code == 0, res.output
        assert (home / "graphs" / "views" / "market-cn-collapsed.html").is_file()
        res = runner.invoke(
            cli, ["view", "--provider", "v-cloud", "--graphml", str(tmp_path / "p.graphml")]
        )
        assert res.exit_code == 0, res.output
        assert (home / "graphs" / "views" / "provider-v-cloud.html").is_file()
        assert nx.read_graphml(tmp_path / "p.graphml").number_of_nodes() > 0
    finally:
        resources.project_root.cache_clear()


def test_all_shipped_writes_the_three_views(runner: CliRunner, tmp_path: Path) -> None:
    data = tmp_path / "data.ttl"
    data.write_text(
        VIEW.read_text(encoding="utf-8")
        + '\nkgid:microsoft a ckg:CloudProvider ; rdfs:label "Microsoft"@en .\n'
        "kgid:v-svc ckg:operator kgid:microsoft .\n",
        encoding="utf-8",
    )
    res = runner.invoke(cli, ["view", "--all-shipped", "-d", str(data), "-o", str(tmp_path / "v")])
    assert res.exit_code == 0, res.output
    assert sorted(p.name for p in (tmp_path / "v").iterdir()) == [
        "all.html",
        "market-cn.html",
        "provider-microsoft.html",
    ]


def test_script_json_escapes_markup_and_line_separators() -> None:
    value = {"label": '</script><script>x=1</script><!-- & \u2028\u2029 "q"'}
    text = script_json(value)
    for bad in ("<", ">", "&", "\u2028", "\u2029"):
        assert bad not in text
    assert json.loads(text) == value


def test_data_is_escaped_in_the_page() -> None:
    graph = to_networkx(load([VIEW]))
    page = render_html(graph, title="<b>t</b>")
    assert "<title>&lt;b&gt;t&lt;/b&gt;</title>" in page
    # the markup from the data appears only in escaped form
    assert "<img src=x" not in page
    assert "<script>window.__xss" not in page
    data = _data_json(page)
    labels = {n["label"] for n in data["nodes"]}
    assert '<img src=x onerror="window.__xss=1">' in labels


def test_styles_come_from_the_ontology() -> None:
    from rdflib import Graph, Literal, URIRef

    onto = Graph().parse(resources.ontology_file())
    ckg = "https://w3id.org/channelkg/ontology#"
    graph = to_networkx(load([TINY]))
    data = view_payload(graph)
    for entry in data["classes"]:
        cls = URIRef(ckg + entry["id"].split(":", 1)[1])
        colour = onto.value(cls, URIRef(ckg + "viewColor"))
        if colour is None:  # styled by a superclass
            parent = URIRef(ckg + entry["styledBy"].split(":", 1)[1])
            colour = onto.value(parent, URIRef(ckg + "viewColor"))
        assert Literal(entry["color"]) == colour
        assert data["groups"][entry["id"]]["color"]["background"] == entry["color"]
    counts = {e["id"]: e["count"] for e in data["classes"]}
    assert sum(counts.values()) == graph.number_of_nodes()


def test_new_class_gets_its_colour_without_code_changes(tmp_path: Path) -> None:
    onto = tmp_path / "channelkg.ttl"
    onto.write_text(
        (ROOT / "ontology" / "channelkg.ttl").read_text(encoding="utf-8")
        + '\nckg:Distributor a owl:Class ; rdfs:label "Distributor"@en ;\n'
        '    rdfs:subClassOf ckg:Organization ; ckg:viewColor "#123456" ; ckg:viewShape "star" .\n'
        "ckg:SubDistributor a owl:Class ; rdfs:subClassOf ckg:Distributor .\n",
        encoding="utf-8",
    )
    data_file = tmp_path / "d.ttl"
    data_file.write_text(
        "@prefix ckg: <https://w3id.org/channelkg/ontology#> .\n"
        "@prefix kgid: <https://w3id.org/channelkg/id/> .\n"
        "kgid:d1 a ckg:Distributor . kgid:d2 a ckg:SubDistributor ; ckg:subsidiaryOf kgid:d1 .\n",
        encoding="utf-8",
    )
    graph = to_networkx(load([onto, data_file], ontology=False))
    data = view_payload(graph)
    entries = {e["id"]: e for e in data["classes"]}
    assert entries["ckg:Distributor"]["color"] == "#123456"
    assert entries["ckg:Distributor"]["shape"] == "star"
    assert entries["ckg:SubDistributor"]["color"] == "#123456"  # inherited
    assert entries["ckg:SubDistributor"]["styledBy"] == "ckg:Distributor"


def test_physics_off_and_fixed_layout_above_threshold() -> None:
    graph = to_networkx(load([VIEW]))
    small = view_payload(graph, physics_threshold=300)
    big = view_payload(graph, physics_threshold=5)
    assert small["physics"] is True and small["options"]["physics"]["enabled"] is True
    assert big["physics"] is False and big["options"]["physics"]["enabled"] is False
    assert big["options"]["edges"]["smooth"] is False


def test_fast_layout_is_deterministic_and_spreads_nodes() -> None:
    g = nx.barabasi_albert_graph(2000, 2, seed=3)
    a = fast_layout(g, seed=7)
    b = fast_layout(g, seed=7)
    assert a == b
    xs = [p[0] for p in a.values()]
    ys = [p[1] for p in a.values()]
    assert all(map(lambda v: v == v and abs(v) < 1e6, xs + ys))  # finite
    # nodes do not collapse onto each other: few exact duplicates
    assert len({(round(x, 2), round(y, 2)) for x, y in a.values()}) > 0.99 * len(a)
    # neighbours end up closer than random pairs on average
    import random

    rnd = random.Random(1)
    nodes = list(g)

    def dist(u: int, v: int) -> float:
        return ((a[u][0] - a[v][0]) ** 2 + (a[u][1] - a[v][1]) ** 2) ** 0.5

    edge_mean = sum(dist(u, v) for u, v in g.edges()) / g.number_of_edges()
    rand_mean = sum(dist(rnd.choice(nodes), rnd.choice(nodes)) for _ in range(2000)) / 2000
    assert edge_mean < rand_mean / 1.6  # a random layout gives about 1


def test_fast_layout_does_not_depend_on_the_order_nodes_were_added() -> None:
    """The projection adds nodes in an order that can follow string hashing: the same graph
    built in another order gets the same positions."""
    import random

    g = nx.barabasi_albert_graph(600, 2, seed=5)
    names = {v: f"kgid:n{v}" for v in g}
    nodes, edges = [names[v] for v in g], [(names[u], names[v]) for u, v in g.edges()]
    shuffled = nx.MultiDiGraph()
    rnd = random.Random(2)
    rnd.shuffle(nodes)
    rnd.shuffle(edges)
    shuffled.add_nodes_from(nodes)
    shuffled.add_edges_from(edges)
    ordered = nx.MultiDiGraph()
    ordered.add_nodes_from(sorted(nodes))
    ordered.add_edges_from(sorted(edges))
    assert fast_layout(shuffled, seed=3) == fast_layout(ordered, seed=3)


def test_layout_switches_at_threshold() -> None:
    graph = to_networkx(load([VIEW]))
    sub = select(graph, Selection(market="CN"))
    pos = compute_layout(sub, seed=1)
    assert set(pos) == set(sub)
    assert compute_layout(sub, seed=1) == pos
    assert set(compute_layout(sub, seed=1, threshold=2)) == set(sub)


def test_regenerating_a_view_changes_no_byte(runner: CliRunner, tmp_path: Path) -> None:
    """Views are committed under graphs/views: the same data gives the same file in every
    process (string hashing, and so set order, differs between processes): two fresh
    processes with other hash seeds than this one, and this process."""
    import os
    import subprocess
    import sys

    here = tmp_path / "view-here.html"
    res = runner.invoke(cli, ["view", "--provider", "microsoft", "-o", str(here)])
    assert res.exit_code == 0, res.output
    outs = [here.read_bytes()]
    seeds = [s for s in ("1", "2", "3") if s != os.environ.get("PYTHONHASHSEED")][:2]
    for seed in seeds:
        out = tmp_path / f"view-{seed}.html"
        subprocess.run(
            [sys.executable, "-m", "channelkg", "view", "--provider", "microsoft",
             "-o", str(out)],
            check=True, capture_output=True, env={**os.environ, "PYTHONHASHSEED": seed},
        )
        outs.append(out.read_bytes())
    assert outs[0] == outs[1] == outs[2]


#: A node position in a page's data. Above the spring-layout threshold the positions come
#: from an iterative force layout in NumPy/SciPy whose last digits, amplified over its
#: iterations, depend on those libraries' versions: the committed whole-graph view is compared
#: with its positions masked (``test_fast_layout_is_deterministic_and_spreads_nodes`` and
#: ``test_regenerating_a_view_changes_no_byte`` check that one environment always
#: writes the same positions).
_POSITION = re.compile(rb'"x":-?[0-9.eE+-]+,"y":-?[0-9.eE+-]+')


def _first_difference(a: bytes, b: bytes) -> str:
    """Where two pages first differ, with a little context (pytest's diff of two 1 MB
    pages takes hours)."""
    i = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))
    return f"first difference at byte {i}: {a[i - 80:i + 80]!r} != {b[i - 80:i + 80]!r}"


def test_the_committed_views_regenerate_byte_for_byte(runner: CliRunner, tmp_path: Path) -> None:
    """graphs/views/*.html are what `view --all-shipped` writes from the bundled graph, byte
    for byte but for the force layout's positions (see :data:`_POSITION`)."""
    res = runner.invoke(cli, ["view", "--all-shipped", "-o", str(tmp_path)])
    assert res.exit_code == 0, res.output
    committed = sorted((ROOT / "graphs" / "views").glob("*.html"))
    assert [p.name for p in committed] == sorted(p.name for p in tmp_path.iterdir())
    for path in committed:
        written, shipped = (tmp_path / path.name).read_bytes(), path.read_bytes()
        if written != shipped:
            written = _POSITION.sub(b'"x":0,"y":0', written)
            shipped = _POSITION.sub(b'"x":0,"y":0', shipped)
        assert written == shipped, f"{path.name}: {_first_difference(written, shipped)}"


def test_vis_network_is_vendored_with_its_licence() -> None:
    """The page's vis-network comes from assets/vendor/ (with its licence), nowhere else."""
    import hashlib

    vendor = resources.vendor_dir()
    readme = (vendor / "README.md").read_text(encoding="utf-8")
    for name in ("vis-network.min.js", "vis-network.css"):
        digest = hashlib.sha256((vendor / name).read_bytes()).hexdigest()
        assert f"{digest}  {name}" in readme
    assert "Apache License" in (vendor / "LICENSE-APACHE-2.0.txt").read_text(encoding="utf-8")
    assert "MIT License" in (vendor / "LICENSE-MIT.txt").read_text(encoding="utf-8")
    js = (vendor / "vis-network.min.js").read_text(encoding="utf-8")
    page = render_html(nx.MultiDiGraph(), title="t")
    assert js in page
    source = (ROOT / "src" / "channelkg" / "render" / "page.py").read_text(encoding="utf-8")
    assert not re.search(r"^\s*(import|from) pyvis", source, re.M)


def test_view_of_a_named_query(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "q.html"
    res = runner.invoke(cli, ["view", "--query", "routes-into", "-p", "market=CN", "-o", str(out)])
    assert res.exit_code == 0, res.output
    keys = {n["key"] for n in _data_json(out.read_text(encoding="utf-8"))["nodes"]}
    assert "kgid:route-seed-azure-china-gpt" in keys
    bad = runner.invoke(cli, ["view", "--query", "no-such-query", "-o", str(tmp_path / "x.html")])
    assert bad.exit_code == 2 and "unknown named query" in bad.output
    assert not (tmp_path / "x.html").exists()


def test_class_names_are_case_blind(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "routes.html"
    res = runner.invoke(cli, ["view", "--class", "accessroute", "-o", str(out)])
    assert res.exit_code == 0, res.output
    classes = {n["cls"] for n in _data_json(out.read_text(encoding="utf-8"))["nodes"]}
    assert "ckg:AccessRoute" in classes


def test_max_nodes_caps_the_page_and_says_so_on_stderr(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "cn.html"
    res = runner.invoke(cli, ["view", "-d", str(VIEW), "--market", "CN", "--max-nodes", "3",
                              "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert f"{out}: 3 of " in res.stderr and "nodes drawn (the most connected" in res.stderr
    assert len(_data_json(out.read_text(encoding="utf-8"))["nodes"]) == 3
    bad = runner.invoke(cli, ["view", "-d", str(VIEW), "--max-nodes", "0", "-o", str(out)])
    assert bad.exit_code == 2 and "Traceback" not in bad.output
