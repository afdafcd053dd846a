"""Timings of channel analytics (networkx) and reasoning (owlrl, CONSTRUCT rules).

Generates synthetic graphs in the ontology's shape at several sizes, times each
operation, and writes ``benchmarks/results/analysis.json`` (also printed). Each
timing is reported with its ratio to a baseline measured in the same run on the
same graph: reading every triple into the analysis index (``Index.of``), which is
the fixed cost every analysis pays.

Run:  python benchmarks/bench_analysis.py [--sizes 1,4,16] [--repeat 3] [--owlrl-max 20000]
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rdflib import Graph, Literal
from rdflib.namespace import DCTERMS, PROV, RDF, RDFS, XSD

from channelkg import resources
from channelkg.analysis.routes import routes as analysis
from channelkg.graph.memory import KnowledgeGraph, from_rdflib, parse_file
from channelkg.rdf.fileio import atomic_write_text
from channelkg.rdf.namespaces import CKG, KGID, SCHEMA
from channelkg.rdf.terms import to_rdflib
from channelkg.sparql import reason

RESULTS = Path(__file__).resolve().parent / "results" / "analysis.json"


def synthetic(scale: int, seed: int = 1) -> Graph:
    """A graph in the ontology's shape: about 650 triples per unit of ``scale``.

    Per unit: 4 developers with 2 families of 3 models each, 2 cloud providers with a
    local operator, 6 markets, services, partnerships, about 30 routes (direct, cloud
    partner with operator, reseller, self-hosted), restrictions that block some routes,
    assessments, and sources.
    """
    rng = random.Random(seed)
    g = Graph()
    date = Literal("2025-01-01", datatype=XSD.date)

    def claim(node: Any, cls: Any, src: Any) -> None:
        g.add((node, RDF.type, cls))
        g.add((node, CKG.status, rng.choice([CKG.confirmed, CKG.reported])))
        g.add((node, CKG.statedOn, date))
        g.add((node, RDFS.comment, Literal(f"statement {node}")))
        g.add((node, PROV.wasDerivedFrom, src))

    markets = []
    for u in range(scale):
        sources = []
        for i in range(5):
            s = KGID[f"src-{u}-{i}"]
            g.add((s, RDF.type, CKG.Source))
            g.add((s, DCTERMS.title, Literal(f"Source {u}-{i}")))
            g.add((s, SCHEMA.url, KGID[f"url-{u}-{i}"]))
            sources.append(s)
        for i in range(6):
            m = KGID[f"market-{u}-{i}"]
            g.add((m, RDF.type, CKG.Market))
            g.add((m, RDFS.label, Literal(f"Market {u}-{i}", lang="en")))
            g.add((m, CKG.isoCode, Literal(f"{chr(65 + u % 26)}{chr(65 + i)}")))
            markets.append(m)
        clouds = []
        for i in range(2):
            c, op, svc = KGID[f"cloud-{u}-{i}"], KGID[f"op-{u}-{i}"], KGID[f"csvc-{u}-{i}"]
            g.add((c, RDF.type, CKG.CloudProvider))
            g.add((c, RDFS.label, Literal(f"Cloud {u}-{i}", lang="en")))
            g.add((op, RDF.type, CKG.LocalOperator))
            g.add((op, RDFS.label, Literal(f"Operator {u}-{i}", lang="en")))
            g.add((svc, RDF.type, CKG.Service))
            g.add((svc, RDFS.label, Literal(f"Cloud service {u}-{i}", lang="en")))
            g.add((svc, CKG.provider, c))
            g.add((svc, CKG.operator, op))
            p = KGID[f"op-agreement-{u}-{i}"]
            claim(p, CKG.Partnership, rng.choice(sources))
            g.add((p, CKG.kind, CKG.OperatingAgreement))
            g.add((p, CKG.party, c))
            g.add((p, CKG.party, op))
            clouds.append((c, op, svc, p))
        for d in range(4):
            dev, api = KGID[f"dev-{u}-{d}"], KGID[f"api-{u}-{d}"]
            g.add((dev, RDF.type, CKG.ModelDeveloper))
            g.add((dev, RDFS.label, Literal(f"Developer {u}-{d}", lang="en")))
            g.add((api, RDF.type, CKG.Service))
            g.add((api, RDFS.label, Literal(f"API {u}-{d}", lang="en")))
            g.add((api, CKG.provider, dev))
            supplies = []
            for c, op, svc, opp in clouds:
                p = KGID[f"supply-{u}-{d}-{c.split('-')[-1]}"]
                claim(p, CKG.Partnership, rng.choice(sources))
                g.add((p, CKG.kind, CKG.ModelSupply))
                g.add((p, CKG.party, dev))
                g.add((p, CKG.party, c))
                supplies.append((c, op, svc, opp, p))
            for f in range(2):
                fam = KGID[f"fam-{u}-{d}-{f}"]
                g.add((fam, RDF.type, CKG.Model))
                g.add((fam, RDFS.label, Literal(f"Family {u}-{d}-{f}", lang="en")))
                g.add((fam, CKG.developer, dev))
                members = [fam]
                for k in range(2):
                    m = KGID[f"model-{u}-{d}-{f}-{k}"]
                    g.add((m, RDF.type, CKG.Model))
                    g.add((m, RDFS.label, Literal(f"Model {u}-{d}-{f}-{k}", lang="en")))
                    g.add((m, CKG.family, fam))
                    g.add((m, CKG.developer, dev))
                    members.append(m)
                for mk in rng.sample(markets[-6:], 3):
                    model = rng.choice(members)
                    kind = rng.choice(["direct", "cloud", "cloud", "self"])
                    r = KGID[f"route-{u}-{d}-{f}-{mk.split('-')[-1]}"]
                    claim(r, CKG.AccessRoute, rng.choice(sources))
                    g.add((r, CKG.model, model))
                    g.add((r, CKG.market, mk))
                    g.add((r, CKG.sanctioned, Literal(True)))
                    is_open = rng.random() < 0.75
                    g.add((r, CKG.open, Literal(is_open)))
                    if kind == "cloud":
                        c, op, svc, opp, sup = rng.choice(supplies)
                        g.add((r, CKG.kind, CKG.CloudPartner))
                        g.add((r, CKG.service, svc))
                        g.add((r, CKG.seller, c))
                        g.add((r, CKG.dependsOn, sup))
                        g.add((r, CKG.dependsOn, opp))
                    else:
                        g.add((r, CKG.kind, CKG.Direct if kind == "direct" else CKG.SelfHosted))
                        g.add((r, CKG.service, api))
                        g.add((r, CKG.seller, dev))
                    if not is_open:
                        x = KGID[f"block-{r.split('/')[-1]}"]
                        claim(x, CKG.Restriction, rng.choice(sources))
                        g.add((x, CKG.kind, CKG.ProviderBlock))
                        g.add((x, CKG.imposedBy, dev))
                        g.add((x, CKG.market, mk))
                        g.add((x, CKG.blocks, r))
            a = KGID[f"risk-{u}-{d}"]
            claim(a, CKG.Assessment, rng.choice(sources))
            g.add((a, CKG.kind, CKG.GeopoliticalRisk))
            g.add((a, CKG.assessedEntity, dev))
            g.add((a, CKG.level, Literal(rng.choice(["High", "Lower"]))))
            g.add((a, CKG.market, markets[-1]))
    return g


def timed(fn: Callable[[], Any], repeat: int) -> float:
    """Median wall time of ``fn`` in seconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def bench(scale: int, repeat: int, owlrl_max: int) -> dict[str, Any]:
    g = synthetic(scale)
    for q in parse_file(resources.ontology_file()):
        g.add((to_rdflib(q.subject), to_rdflib(q.predicate), to_rdflib(q.object)))  # type: ignore[arg-type]
    kg: KnowledgeGraph = from_rdflib(g, "oxigraph")
    n = len(kg)
    market = "kgid:market-0-0"
    partnership = "kgid:supply-0-0-0"
    idx = analysis.Index.of(kg)
    ops: dict[str, Callable[[], Any]] = {
        "index (baseline)": lambda: analysis.Index.of(kg),
        "routes into a market": lambda: analysis.routes(idx, None, market),
        "spof, every family, one market": lambda: analysis.single_points_of_failure(idx, market),
        "whatif end one partnership": lambda: analysis.whatif(
            idx, analysis.Scenario(end=(partnership,))),
        "rules (CONSTRUCT, oxigraph)": lambda: reason.entailments(kg, "rules"),
        "rdfs closure (owlrl)": lambda: reason.entailments(kg, "rdfs"),
    }
    if n <= owlrl_max:
        ops["owl-rl closure (owlrl)"] = lambda: reason.entailments(kg, "owlrl")
    out: dict[str, Any] = {"scale": scale, "triples": n, "timings": {}}
    base = None
    for name, fn in ops.items():
        print(f"  scale {scale} ({n} triples): {name} …", file=sys.stderr, flush=True)
        t = timed(fn, 1 if "closure" in name else repeat)
        base = base or t
        out["timings"][name] = {"seconds": round(t, 5), "ratio_to_baseline": round(t / base, 2)}
    if n > owlrl_max:
        out["timings"]["owl-rl closure (owlrl)"] = {"skipped": f"more than {owlrl_max} triples"}
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1,4,16", help="comma-separated scales (default 1,4,16)")
    ap.add_argument("--repeat", type=int, default=3, help="repetitions (median; closures once)")
    ap.add_argument("--owlrl-max", type=int, default=20000,
                    help="skip OWL-RL above this many triples (default 20000)")
    ap.add_argument("--output", type=Path, default=RESULTS)
    args = ap.parse_args(argv)
    runs = [bench(int(s), args.repeat, args.owlrl_max) for s in args.sizes.split(",")]
    doc = {
        "benchmark": "analysis",
        "python": platform.python_version(),
        "machine": platform.machine(),
        "baseline": "index (baseline): reading every triple into analysis.Index",
        "runs": runs,
    }
    atomic_write_text(args.output, json.dumps(doc, indent=1) + "\n")
    width = max(len(k) for r in runs for k in r["timings"])
    for r in runs:
        print(f"scale {r['scale']}: {r['triples']} triples")
        for k, v in r["timings"].items():
            if "seconds" in v:
                print(f"  {k:<{width}}  {v['seconds']:>9.4f} s  x{v['ratio_to_baseline']}")
            else:
                print(f"  {k:<{width}}  {v['skipped']}")
    print(f"wrote {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
