"""Synthetic graphs in the shape of the channelkg ontology, for benchmarks.

Organisations (developers, cloud providers, local operators, regulators), models,
services, markets, sources, and the claims between them (access routes,
partnerships, restrictions, assessments), each claim with a status, dates and
sources, like the curated graph. The same seed and size give the same triples.

Market 0 is ``kgid:syn-market-0`` with ISO code ``CN`` and source 0 is
``kgid:source-seed``, so the shipped named queries have answers with their defaults.

Usage::

    python benchmarks/synthetic.py 100k -o synthetic-100k.nt
"""

from __future__ import annotations

import argparse
import bisect
import itertools
import random
import sys
from collections.abc import Iterator
from pathlib import Path

CKG = "https://w3id.org/channelkg/ontology#"
KGID = "https://w3id.org/channelkg/id/"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
RDFS_COMMENT = "http://www.w3.org/2000/01/rdf-schema#comment"
XSD = "http://www.w3.org/2001/XMLSchema#"
DCT = "http://purl.org/dc/terms/"
PROV_DERIVED = "http://www.w3.org/ns/prov#wasDerivedFrom"
SCHEMA_URL = "https://schema.org/url"

STATUSES = ["confirmed", "confirmed", "confirmed", "reported", "reported", "disputed",
            "superseded", "confirmedAbsence"]
ROUTE_KINDS = ["Direct", "CloudPartner", "CloudPartner", "Reseller", "SelfHosted"]
PARTNERSHIP_KINDS = ["OperatingAgreement", "ModelSupply", "JointVenture", "Licence",
                     "Investment", "CustomerRelation", "Ownership"]
RESTRICTION_KINDS = ["ProviderBlock", "ExportControl", "LicensingRequirement", "DataResidency",
                     "NetworkBlock", "LicenceTerm"]
LEVELS = ["High", "Medium", "Lower", "Low"]
ROLES = ["ModelDeveloper", "CloudProvider", "LocalOperator", "Regulator"]


def parse_size(text: str) -> int:
    """``10k`` -> 10000, ``1m`` -> 1000000, ``2500`` -> 2500."""
    t = text.strip().lower().replace("_", "")
    mult = {"k": 1_000, "m": 1_000_000}.get(t[-1:], 1)
    return int(float(t[:-1] if mult > 1 else t) * mult)


def _iri(v: str) -> str:
    return f"<{v}>"


def _lit(v: str, lang: str | None = None, dtype: str | None = None) -> str:
    s = '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if lang:
        return s + "@" + lang
    if dtype:
        return s + "^^<" + XSD + dtype + ">"
    return s


class Zipf:
    """Draw ``0 .. n-1`` with weight ``1 / (rank + 1) ** s``: a few hubs carry most draws."""

    def __init__(self, rnd: random.Random, n: int, s: float = 1.1) -> None:
        self.rnd = rnd
        self.cum = list(itertools.accumulate(1 / (i + 1) ** s for i in range(n)))

    def __call__(self) -> int:
        return bisect.bisect_left(self.cum, self.rnd.random() * self.cum[-1])


def triples(size: int, seed: int = 7,
            n_markets: int | None = None) -> Iterator[tuple[str, str, str]]:
    """Yield about ``size`` triples as N-Triples terms (subject, predicate, object).

    Markets, providers (sellers and service providers), services and models are drawn
    Zipf-distributed (:class:`Zipf`), so, as in the curated graph, a few markets,
    providers and services carry most routes.
    """
    rnd = random.Random(seed)
    n_markets = n_markets or max(4, min(250, size // 400))
    n_orgs = max(8, size // 200)
    n_models = max(6, size // 150)
    n_services = max(6, size // 150)
    n_sources = max(4, size // 100)

    def k(name: str) -> str:
        return _iri(KGID + name)

    def c(name: str) -> str:
        return _iri(CKG + name)

    def date() -> str:
        return _lit(f"{rnd.randint(2015, 2026)}-{rnd.randint(1, 12):02d}-{rnd.randint(1, 28):02d}",
                    dtype="date")

    count = 0
    a = _iri(RDF_TYPE)
    label = _iri(RDFS_LABEL)

    def market(i: int) -> str:
        return k(f"syn-market-{i}")

    def org(i: int) -> str:
        return k(f"syn-org-{i}")

    def model(i: int) -> str:
        return k(f"syn-model-{i}")

    def service(i: int) -> str:
        return k(f"syn-service-{i}")

    def source(i: int) -> str:
        return k("source-seed") if i == 0 else k(f"syn-source-{i}")

    hub_market = Zipf(rnd, n_markets)
    hub_provider = Zipf(rnd, max(1, n_orgs // 4))
    hub_service = Zipf(rnd, n_services)
    hub_model = Zipf(rnd, n_models, 0.9)

    def provider_org() -> str:  # cloud providers are role 1
        return org((hub_provider() * 4 + 1) % n_orgs)

    out: list[tuple[str, str, str]] = []
    # Unique codes: CN for market 0, then AA, AB … (never CN again), then AA-1, AB-1 …
    # (ISO 3166-2 shaped) once the 675 other pairs are used up.
    pairs = [f"{chr(65 + a)}{chr(65 + b)}" for a in range(26) for b in range(26)]
    pairs.remove("CN")
    for i in range(n_markets):
        j = i - 1
        suffix = f"-{j // len(pairs)}" if j >= len(pairs) else ""
        code = "CN" if i == 0 else pairs[j % len(pairs)] + suffix
        out += [(market(i), a, c("Market")), (market(i), label, _lit(f"Market {i}", "en")),
                (market(i), label, _lit(f"市场 {i}", "zh")),
                (market(i), c("isoCode"), _lit(code))]
    for i in range(n_orgs):
        role = ROLES[i % len(ROLES)]
        out += [(org(i), a, c("Organization")), (org(i), a, c(role)),
                (org(i), label, _lit(f"Organisation {i}", "en"))]
    for i in range(n_models):
        dev = (rnd.randrange(n_orgs // 4) * 4) % n_orgs  # developers are role 0
        out += [(model(i), a, c("Model")), (model(i), label, _lit(f"Model {i}", "en")),
                (model(i), c("developer"), org(dev)),
                (model(i), c("openWeights"), _lit("true" if i % 5 == 0 else "false",
                                                  dtype="boolean"))]
        if i >= 6:
            out.append((model(i), c("family"), model(i % 6)))
    for i in range(n_services):
        provider = provider_org()
        operator = org((rnd.randrange(n_orgs // 4) * 4 + 2) % n_orgs)
        out += [(service(i), a, c("Service")), (service(i), label, _lit(f"Service {i}", "en")),
                (service(i), c("provider"), provider), (service(i), c("operator"), operator),
                (service(i), c("servesMarket"), market(rnd.randrange(n_markets)))]
        for _ in range(3):
            out.append((service(i), c("offers"), model(rnd.randrange(n_models))))
    for i in range(n_sources):
        out += [(source(i), a, c("Source")), (source(i), _iri(DCT + "title"),
                                              _lit(f"Report {i}", "en")),
                (source(i), _iri(DCT + "date"), date()),
                (source(i), _iri(SCHEMA_URL), _iri(f"https://example.org/report/{i}")),
                (source(i), _iri(DCT + "publisher"), _lit(f"Publisher {i % 50}"))]
    for t in out:
        yield t
    count = len(out)

    def claim(node: str, cls: str, n: int) -> list[tuple[str, str, str]]:
        rows = [(node, a, c(cls)), (node, c("status"), c(rnd.choice(STATUSES))),
                (node, c("factId"), _lit(f"SYN-{n}")),
                (node, _iri(RDFS_COMMENT), _lit(f"Synthetic claim {n}.", "en")),
                (node, c("validFrom"), date()), (node, c("statedOn"), date()),
                (node, _iri(PROV_DERIVED), source(rnd.randrange(n_sources)))]
        if n % 7 == 0:
            rows.append((node, c("validTo"), _lit("2027-01-01", dtype="date")))
        return rows

    n = 0
    partnerships: list[str] = []
    routes: list[str] = []
    while count < size:
        n += 1
        pick = n % 10
        if pick in (1, 4, 7, 9):  # routes are the bulk of the graph
            node = k(f"syn-route-{n}")
            m = hub_model()
            svc = hub_service()
            rows = claim(node, "AccessRoute", n) + [
                (node, c("model"), model(m)),
                (node, c("market"), market(0 if n % 25 == 1 else hub_market())),
                (node, c("service"), service(svc)), (node, c("kind"), c(rnd.choice(ROUTE_KINDS))),
                (node, c("seller"), provider_org()),
                (node, c("open"), _lit("true" if n % 3 else "false", dtype="boolean")),
                (node, c("sanctioned"), _lit("true" if n % 4 else "false", dtype="boolean")),
            ]
            if partnerships:
                rows.append((node, c("dependsOn"), rnd.choice(partnerships)))
            routes.append(node)
            if n % 25 == 1:  # routes into market 0 cite source 0
                rows[6] = (node, _iri(PROV_DERIVED), source(0))
        elif pick in (2, 5):
            node = k(f"syn-partnership-{n}")
            partnerships.append(node)
            first = rnd.randrange(n_orgs)  # two distinct parties (the shapes ask for two)
            second = (first + 1 + rnd.randrange(n_orgs - 1)) % n_orgs
            rows = claim(node, "Partnership", n) + [
                (node, c("kind"), c(rnd.choice(PARTNERSHIP_KINDS))),
                (node, c("party"), org(first)),
                (node, c("party"), org(second)),
            ]
        elif pick in (3, 6):
            node = k(f"syn-restriction-{n}")
            rows = claim(node, "Restriction", n) + [
                (node, c("kind"), c(rnd.choice(RESTRICTION_KINDS))),
                (node, c("imposedBy"), org(rnd.randrange(n_orgs))),
                # A restriction is about one target in one market: their number per
                # (target, market) pair stays small as the graph grows, hubs or not.
                (node, c("appliesTo"), service(rnd.randrange(n_services))),
                (node, c("market"), market(rnd.randrange(n_markets))),
            ]
            if routes and n % 4 == 0:  # some restrictions block a route outright
                rows.append((node, c("blocks"), rnd.choice(routes)))
        else:
            node = k(f"syn-assessment-{n}")
            rows = claim(node, "Assessment", n) + [
                (node, c("kind"), c("DependencyRisk" if n % 3 == 0 else "GeopoliticalRisk")),
                (node, c("assessedEntity"), provider_org() if n % 3 == 0
                 else org(rnd.randrange(n_orgs))),
                (node, c("market"), market(0 if n % 5 == 0 else rnd.randrange(n_markets))),
                (node, c("level"), _lit(rnd.choice(LEVELS))),
            ]
            if n % 5 == 0:  # the seed's risk table: market 0, source 0
                rows[6] = (node, _iri(PROV_DERIVED), source(0))
        for t in rows:
            yield t
        count += len(rows)


def write_ntriples(path: Path, size: int, seed: int = 7) -> int:
    """Write the synthetic graph as N-Triples; return the number of triples."""
    n = 0
    with path.open("w", encoding="utf-8") as fh:
        buf = []
        for s, p, o in triples(size, seed):
            buf.append(f"{s} {p} {o} .\n")
            n += 1
            if len(buf) >= 10000:
                fh.write("".join(buf))
                buf.clear()
        fh.write("".join(buf))
    return n


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("size", help="number of triples: 10k, 100k, 1m …")
    ap.add_argument("-o", "--output", type=Path, required=True, help="N-Triples file to write")
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args(argv)
    n = write_ntriples(args.output, parse_size(args.size), args.seed)
    print(f"wrote {n} triples to {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
