"""Entailment: RDFS and OWL-RL closures (owlrl) and the CONSTRUCT rules of ``rules/``.

:func:`expand` never changes its input: it returns a new
:class:`~channelkg.store.KnowledgeGraph` of the same engine that holds the
original triples plus the inferred ones.

Inferred triples stay distinguishable:

* in the default graph they sit next to the asserted triples, so every query,
  view and analysis sees them;
* on the oxigraph engine they are *also* copied into the named graph
  :data:`INFERRED_GRAPH` (``<https://w3id.org/channelkg/id/graph/inferred>``), so a
  query can ask ``GRAPH <…/graph/inferred> { ?s ?p ?o }`` for the derived part only;
* on every engine ``kg.inferred`` holds them as an rdflib ``Graph`` and
  ``kg.reason`` names the profile; ``channelkg infer`` prints just them.

Profiles:

* ``rdfs``: RDFS entailment (https://www.w3.org/TR/rdf11-mt/#rdfs-entailment).
* ``owlrl``: OWL 2 RL rules (https://www.w3.org/TR/owl2-profiles/#OWL_2_RL), which
  include RDFS-style class and property reasoning plus ``owl:SymmetricProperty`` etc.
* ``rules``: the SPARQL CONSTRUCT rules shipped in ``src/channelkg/rules/*.rq``
  (e.g. ``ckg:availableIn``), applied until nothing new is derived.
* combinations joined by ``+``, e.g. ``owlrl+rules``.

Trivial entailments are dropped (triples about literals, ``x owl:sameAs x``,
``x a rdfs:Resource`` / ``owl:Thing``, reflexive ``subClassOf``/``subPropertyOf``/
``equivalent*``) because they add bulk and no information.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS

from channelkg import resources
from channelkg.errors import InputError
from channelkg.graph.base import KnowledgeGraph, new_rdflib_graph
from channelkg.graph.memory import OxigraphGraph, RdflibGraph

INFERRED_GRAPH = URIRef("https://w3id.org/channelkg/id/graph/inferred")
PROFILES = ("rdfs", "owlrl", "rules")
RULES_DIR = resources.rules_dir()
MAX_ROUNDS = 10

_REFLEXIVE = {OWL.sameAs, RDFS.subClassOf, RDFS.subPropertyOf, OWL.equivalentClass,
              OWL.equivalentProperty}
_TRIVIAL_TYPES = {RDFS.Resource, OWL.Thing}


class ReasonedGraph(OxigraphGraph):
    """An Oxigraph graph returned by :func:`expand`: the default graph holds asserted and
    inferred triples, :data:`INFERRED_GRAPH` a copy of the inferred ones. Queries and
    its length see the default graph only."""

    keyed_by_dates = False
    union_default = False

    def ox_triples(self, s: Any = None, p: Any = None, o: Any = None) -> Iterator[Any]:
        """The triples of the default graph (not the copies in :data:`INFERRED_GRAPH`)."""
        import pyoxigraph as ox

        from channelkg.rdf.terms import to_oxigraph

        pattern = [None if t is None else to_oxigraph(t) for t in (s, p, o)]
        for q in self.store.quads_for_pattern(*pattern, ox.DefaultGraph()):  # type: ignore[arg-type,call-arg]
            yield q.subject, q.predicate, q.object

    def __len__(self) -> int:
        import pyoxigraph as ox

        return sum(1 for _ in self.store.quads_for_pattern(None, None, None, ox.DefaultGraph()))


@dataclass(frozen=True)
class Rule:
    """A CONSTRUCT rule file with its header."""

    name: str
    title: str
    description: str
    text: str
    path: Path


@cache
def _rules(folder: str) -> tuple[Rule, ...]:
    from channelkg.sparql.query import parse_header

    out = []
    for p in sorted(Path(folder).glob("*.rq")):
        nq = parse_header(p)
        out.append(Rule(nq.name, nq.title, nq.description, nq.text, p))
    return tuple(out)


def list_rules(folder: Path | None = None) -> list[Rule]:
    """The CONSTRUCT rules (``rules/*.rq``, or the ``.rq`` files of ``folder``)."""
    return list(_rules(str(folder or RULES_DIR)))


def load_rules(paths: Sequence[Path | str]) -> list[Rule]:
    """Read user rule files (``.rq`` files or folders of them)."""
    from channelkg.sparql.query import parse_header

    out: list[Rule] = []
    for p in map(Path, paths):
        files = sorted(p.glob("*.rq")) if p.is_dir() else [p]
        for f in files:
            if not f.is_file():
                raise InputError("no such rule file", str(f))
            text = f.read_text(encoding="utf-8")
            try:
                nq = parse_header(f)
                out.append(Rule(nq.name, nq.title, nq.description, nq.text, f))
            except Exception:  # a rule without header is still a rule
                out.append(Rule(f.stem, f.stem, "", text, f))
    return out


def parse_profile(profile: str) -> tuple[str, ...]:
    """Split ``"owlrl+rules"`` into its parts; raise :class:`InputError` on unknown ones."""
    parts = tuple(p.strip().lower() for p in profile.split("+") if p.strip())
    bad = [p for p in parts if p not in PROFILES]
    if not parts or bad:
        raise InputError(
            f"unknown reasoning profile {profile!r} (choose {', '.join(PROFILES)}, "
            "or join them with '+', e.g. owlrl+rules)"
        )
    return parts


def _trivial(s: object, p: object, o: object) -> bool:
    if isinstance(s, Literal) or not isinstance(p, URIRef):
        return True
    if p in _REFLEXIVE and s == o:
        return True
    return p == RDF.type and o in _TRIVIAL_TYPES


def closure(graph: Graph, profile: str) -> Graph:
    """The triples that RDFS or OWL-RL entail from ``graph`` and that it does not hold.

    ``graph`` is not changed (the closure is computed on a copy).
    """
    import owlrl  # type: ignore[import-untyped]

    semantics = {"rdfs": owlrl.RDFS_Semantics, "owlrl": owlrl.OWLRL_Semantics}[profile]
    work = Graph()
    for t in graph:
        work.add(t)
    owlrl.DeductiveClosure(
        semantics, axiomatic_triples=False, datatype_axioms=False
    ).expand(work)
    out = new_rdflib_graph()
    for t in work:
        if t not in graph and not _trivial(*t):
            out.add(t)
    return out


def apply_rules(graph: Graph, rules: Sequence[Rule] | None = None) -> Graph:
    """Apply CONSTRUCT rules to ``graph`` until no rule derives anything new.

    Returns only the derived triples (``graph`` is not changed). Rules run on an
    embedded Oxigraph copy; rule output feeds the next round (at most
    :data:`MAX_ROUNDS` rounds).

    Raises:
        InputError: a rule is not a CONSTRUCT query or cannot be run.
    """
    import pyoxigraph as ox

    from channelkg.rdf.terms import to_oxigraph, to_rdflib

    rules = list_rules() if rules is None else list(rules)
    store = ox.Store()
    store.bulk_extend(
        ox.Quad(to_oxigraph(s), to_oxigraph(p), to_oxigraph(o), ox.DefaultGraph())  # type: ignore[arg-type]
        for s, p, o in graph
    )
    derived = new_rdflib_graph()
    for _ in range(MAX_ROUNDS):
        new: list[ox.Triple] = []
        for rule in rules:
            try:
                res = store.query(rule.text)
            except SyntaxError as err:
                raise InputError(f"rule syntax error: {err}", str(rule.path)) from None
            if not isinstance(res, ox.QueryTriples):
                raise InputError("a rule must be a CONSTRUCT query", str(rule.path))
            for t in res:
                if ox.Quad(t.subject, t.predicate, t.object, ox.DefaultGraph()) not in store:
                    new.append(t)
        if not new:
            break
        for t in new:
            store.add(ox.Quad(t.subject, t.predicate, t.object, ox.DefaultGraph()))
            triple = (to_rdflib(t.subject), to_rdflib(t.predicate), to_rdflib(t.object))
            if not _trivial(*triple):
                derived.add(triple)  # type: ignore[arg-type]
    return derived


def entailments(
    kg: KnowledgeGraph,
    profile: str,
    *,
    rules: Sequence[Rule] | None = None,
    progress: bool = False,
) -> Graph:
    """Only the triples that ``profile`` adds to ``kg`` (nothing is changed).

    Args:
        kg: the graph.
        profile: ``rdfs``, ``owlrl``, ``rules`` or a ``+`` combination (applied in order).
        rules: rules to use for the ``rules`` part (default: the shipped ones).
        progress: report each step and its duration on stderr.
    """
    parts = parse_profile(profile)
    base = new_rdflib_graph()
    for t in kg.triples():
        base.add(t)
    inferred = new_rdflib_graph()
    current = base
    for part in parts:
        start = time.perf_counter()
        new = apply_rules(current, rules) if part == "rules" else closure(current, part)
        if progress:
            print(f"reason: {part}: {len(new)} new triples in "
                  f"{time.perf_counter() - start:.2f} s", file=sys.stderr)
        if not new:
            continue
        if current is base:
            current = new_rdflib_graph()
            for t in base:
                current.add(t)
        for t in new:
            if t not in base:
                inferred.add(t)
            current.add(t)
    return inferred


def expand(kg: KnowledgeGraph, profile: str = "rdfs", *, rules: Sequence[Rule] | None = None,
           progress: bool = False) -> KnowledgeGraph:
    """Return a new graph of the same engine with the entailments of ``profile`` added.

    The input is never mutated. Inferred triples are in the default graph, in
    ``inferred`` and, on oxigraph, also in the named graph
    :data:`INFERRED_GRAPH`. A remote (``sparql:``) graph is read once and
    returned as an embedded oxigraph graph, since the server is read-only.

    Args:
        kg: the graph to reason over.
        profile: ``rdfs``, ``owlrl``, ``rules`` or a combination such as ``owlrl+rules``.
        rules: rules for the ``rules`` profile (default: the shipped ``rules/*.rq``).
        progress: report each step on stderr.

    Raises:
        InputError: unknown profile or a broken rule.
    """
    inferred = entailments(kg, profile, rules=rules, progress=progress)
    out: KnowledgeGraph
    if kg.engine == "rdflib":
        g = new_rdflib_graph()
        for t in kg.triples():
            g.add(t)
        for t in inferred:
            g.add(t)
        out = RdflibGraph(g, kg.files)
    else:
        out = ReasonedGraph(_reasoned_store(kg, inferred), kg.files)
    out.reason, out.inferred, out.as_of = profile, inferred, kg.as_of
    return out


def _reasoned_store(kg: KnowledgeGraph, inferred: Graph) -> Any:
    """An Oxigraph store with ``kg``'s and the inferred triples, and the inferred graph."""
    import pyoxigraph as ox

    from channelkg.rdf.terms import to_oxigraph

    def quads(triples: Iterable[tuple[object, object, object]], graph: object) -> Iterable[ox.Quad]:
        for s, p, o in triples:
            yield ox.Quad(to_oxigraph(s), to_oxigraph(p), to_oxigraph(o), graph)  # type: ignore[arg-type]

    store = ox.Store()
    store.bulk_extend(quads(kg.triples(), ox.DefaultGraph()))
    store.bulk_extend(quads(inferred, ox.DefaultGraph()))
    store.bulk_extend(quads(inferred, ox.NamedNode(str(INFERRED_GRAPH))))
    return store


def inferred_of(kg: KnowledgeGraph) -> Graph:
    """The inferred triples of a graph returned by :func:`expand` (empty otherwise)."""
    return kg.inferred if kg.inferred is not None else new_rdflib_graph()


def is_inferred(kg: KnowledgeGraph, triple: tuple[object, object, object]) -> bool:
    """True if ``triple`` was added by reasoning, not asserted."""
    return triple in inferred_of(kg)  # type: ignore[operator]


__all__ = [
    "INFERRED_GRAPH",
    "PROFILES",
    "ReasonedGraph",
    "Rule",
    "apply_rules",
    "closure",
    "entailments",
    "expand",
    "inferred_of",
    "is_inferred",
    "list_rules",
    "load_rules",
    "parse_profile",
]
