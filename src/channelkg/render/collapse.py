"""Collapse claims of a network projection into labelled edges between entities.

Rules (``assets/collapse.toml``) say, per claim class, which entities an edge joins
and how it is labelled: an access route becomes an edge model → market labelled
``via <service>``, a partnership an edge between each two parties, and so on.
"""

from __future__ import annotations

import re
import tomllib
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from channelkg.errors import InputError
from channelkg.model.labels import local_name
from channelkg.render.network import ASSETS, graph_schema

if TYPE_CHECKING:
    import networkx as nx  # type: ignore[import-untyped]

    from channelkg.model.schema import Schema

COLLAPSE_RULES = ASSETS / "collapse.toml"


@dataclass(frozen=True)
class CollapseRule:
    """How the claims of one class become edges (see ``assets/collapse.toml``)."""

    cls: str
    frm: tuple[str, ...] = ()
    to: tuple[str, ...] = ()
    pairs: str | None = None
    label: tuple[str, ...] = ()


def load_rules(path: Path | str | None = None) -> list[CollapseRule]:
    """Read collapse rules from a TOML file (default: the shipped ``collapse.toml``)."""
    p = Path(path) if path else COLLAPSE_RULES
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as err:
        raise InputError(f"cannot read collapse rules: {err}", str(p)) from None
    rules = []
    for i, r in enumerate(data.get("rule", []), 1):
        if "class" not in r or not (r.get("pairs") or (r.get("from") and r.get("to"))):
            raise InputError(
                f"rule {i} needs 'class' and either 'pairs' or 'from' and 'to'", str(p)
            )
        rules.append(
            CollapseRule(
                cls=str(r["class"]),
                frm=tuple(r.get("from", ())),
                to=tuple(r.get("to", ())),
                pairs=r.get("pairs"),
                label=tuple(r.get("label", ())),
            )
        )
    return rules


_PLACEHOLDER = re.compile(r"\{([^{}]+)\}")


def _fill(template: str, values: dict[str, list[str]]) -> str:
    """The template with each ``{name}`` replaced by its values, comma-joined."""
    return _PLACEHOLDER.sub(lambda m: ", ".join(values[m.group(1)]), template)


def _edge_label(graph: nx.MultiDiGraph, default: str, rule: CollapseRule,
                out: dict[str, list[str]], attrs: dict[str, Any]) -> str:
    """The first of the rule's label templates whose placeholders all have values (the
    labels of the claim's linked nodes, else its attribute of that local name)."""

    def values_of(prop: str) -> list[str]:
        if out.get(prop):
            return [str(graph.nodes[o]["label"]) for o in out[prop]]
        v = attrs.get(local_name(prop))
        if v is None or v == "":
            return []
        return [str(x) for x in v] if isinstance(v, list) else [str(v)]

    for tmpl in rule.label:
        vals = {n: values_of(n) for n in _PLACEHOLDER.findall(tmpl)}
        if all(vals.values()):
            return _fill(tmpl, vals)
    return default


def collapse_claims(
    graph: nx.MultiDiGraph, rules: list[CollapseRule] | None = None, *, labels: bool = True
) -> nx.MultiDiGraph:
    """Return a copy of ``graph`` where claims with a rule are replaced by labelled edges.

    An access route becomes an edge model → market labelled ``via <service>``; a
    partnership an edge between each two parties; a restriction imposer → target; an
    assessment assessed entity → market. Each new edge has the claim's key as edge key
    and carries all the claim's attributes (``status``, dates, ``sources`` …) plus
    ``claim`` (its key), ``claim_label``, ``directed`` and ``related`` (the claim's
    other links, as text). Claims without a rule, or missing the rule's properties,
    stay nodes. Entity nodes are all kept.

    With ``labels=False`` only the shape is worked out (which claims become which edges),
    from the nodes' ``class`` and ``claim`` alone: a new edge carries only ``claim``
    (:func:`collapsed_shape` works the shape out without a graph).
    """
    rules = load_rules() if rules is None else rules
    schema = graph_schema(graph)
    by_class = {r.cls: r for r in rules}
    new_edges: list[tuple[str, str, str, dict[str, Any]]] = []
    collapsed: list[str] = []
    for c, attrs in graph.nodes(data=True):
        if not attrs.get("claim"):
            continue
        out: dict[str, list[str]] = defaultdict(list)
        for _, o, k in graph.out_edges(c, keys=True):
            out[k].append(o)
        found = _claim_ends(schema, by_class, attrs["class"], out)
        if found is None:
            continue
        rule, ends, used = found
        if not labels:
            new_edges.extend((a, b, c, {"claim": c}) for a, b in ends)
            collapsed.append(c)
            continue
        label = _edge_label(graph, schema.label(attrs["class"]), rule, out, attrs)
        related = []
        for _, o, k in sorted(graph.out_edges(c, keys=True)):
            if k not in used:
                related.append(f"{schema.edge_label(k)}: {graph.nodes[o]['label']}")
        for s, _, k in sorted(graph.in_edges(c, keys=True)):
            related.append(f"{graph.nodes[s]['label']} {schema.edge_label(k)} this")
        data = {k: v for k, v in attrs.items() if k not in ("label", "claim")}
        data.update(
            label=label,
            predicate="",
            claim=c,
            claim_label=attrs.get("full_label") or attrs["label"],
            directed=not rule.pairs,
        )
        if related:
            data["related"] = related
        for a, b in ends:
            new_edges.append((a, b, c, dict(data)))
        collapsed.append(c)
    out_graph = _without(graph, set(collapsed))
    for a, b, k, d in new_edges:
        if a in out_graph and b in out_graph:
            out_graph.add_edge(a, b, key=k, **d)
    out_graph.graph["collapsed"] = True
    return out_graph


def _claim_ends(schema: Schema, by_class: dict[str, CollapseRule], cls: str,
                out: dict[str, list[str]]
                ) -> tuple[CollapseRule, list[tuple[str, str]], set[str]] | None:
    """The rule a claim of class ``cls`` collapses by (that of its class or nearest
    superclass), the ``(from, to)`` ends of its edges and the properties they use, from
    ``out`` (its links by edge key; the lists are sorted in place); ``None``: the claim
    stays a node."""
    rule = next((by_class[a] for a in schema.ancestors(cls) if a in by_class), None)
    if rule is None:
        return None
    for v in out.values():
        v.sort()
    if rule.pairs:
        parties = out.get(rule.pairs, [])
        if len(parties) < 2:
            return None
        return rule, [(a, b) for i, a in enumerate(parties) for b in parties[i + 1 :]], {
            rule.pairs}
    fp = next((p for p in rule.frm if out.get(p)), None)
    tp = next((p for p in rule.to if out.get(p)), None)
    if fp is None or tp is None:
        return None
    ends = [(a, b) for a in out[fp] for b in out[tp] if a != b]
    if not ends:
        return None
    return rule, ends, {fp, tp}


def collapsed_shape(
    nodes: Mapping[str, tuple[str, bool]], links: Mapping[str, Iterable[tuple[str, str]]],
    schema: Schema, rules: list[CollapseRule] | None = None,
) -> tuple[dict[str, int], list[tuple[str, str, str]]]:
    """The shape of :func:`collapse_claims` of a graph given as plain data, without
    building it: ``nodes`` maps each node to its ``(class, claim)``, ``links`` each
    node to its ``(edge key, node)`` edges (a repeated one is one edge, as in the
    graph). Returns each node of the collapsed graph with its degree there, and the
    ``(from, to, claim)`` edges the claims became."""
    rules = load_rules() if rules is None else rules
    by_class = {r.cls: r for r in rules}
    new_edges: list[tuple[str, str, str]] = []
    collapsed: set[str] = set()
    for c in sorted(nodes):
        cls, is_claim = nodes[c]
        if not is_claim:
            continue
        out: dict[str, list[str]] = defaultdict(list)
        for k, o in dict.fromkeys(links.get(c, ())):
            out[k].append(o)
        found = _claim_ends(schema, by_class, cls, out)
        if found is not None:
            new_edges.extend((a, b, c) for a, b in found[1])
            collapsed.add(c)
    degree = {n: 0 for n in nodes if n not in collapsed}
    edges: dict[tuple[str, str, str], None] = {}
    for u in degree:
        for k, v in links.get(u, ()):
            if v in degree:
                edges[(u, v, k)] = None
    kept = [(a, b, c) for a, b, c in new_edges if a in degree and b in degree]
    edges.update(dict.fromkeys(kept))
    for u, v, _ in edges:
        degree[u] += 1
        degree[v] += 1
    return degree, list(dict.fromkeys(kept))


def _without(graph: nx.MultiDiGraph, gone: set[str]) -> nx.MultiDiGraph:
    """``graph.copy()`` less the nodes ``gone`` (as if removed from the copy: the same
    order of nodes, edges and predecessors), without copying what goes: the claims a
    collapse removes are most of a collapsed selection."""
    out_graph = graph.__class__()
    out_graph.graph.update(graph.graph)
    out_graph.add_nodes_from((n, d.copy()) for n, d in graph.nodes.items() if n not in gone)
    out_graph.add_edges_from(
        (u, v, k, d.copy())
        for u, nbrs in graph.adj.items() if u not in gone
        for v, keydict in nbrs.items() if v not in gone
        for k, d in keydict.items()
    )
    return out_graph


#: A node with at least this many claims around it is a hub ...
HUB_MIN = 24
#: ... and its claims of one class, if at least this many, are drawn behind one node.
BUNDLE_MIN = 6


def hub_bundles(
    graph: nx.MultiDiGraph, *, hub_min: int = HUB_MIN, bundle_min: int = BUNDLE_MIN,
    keep: frozenset[str] = frozenset(),
) -> list[tuple[str, str, list[str]]]:
    """``(hub, class, claims)``: groups of claims a page draws behind one expandable node.

    A hub is an entity (not a claim) with at least ``hub_min`` claim neighbours (a
    market with its routes, restrictions and reports); its claim neighbours of one
    class, when there are at least ``bundle_min``, form a group. A claim is in one
    group at most (that of its busiest hub); the claims in ``keep`` are never grouped.
    """
    def claims_around(v: str) -> list[str]:
        near = set(graph.successors(v)) | set(graph.predecessors(v))
        return sorted(m for m in near if graph.nodes[m].get("claim") and m not in keep)

    hubs = [(v, claims_around(v)) for v in sorted(graph) if not graph.nodes[v].get("claim")]
    hubs = [(v, cs) for v, cs in hubs if len(cs) >= hub_min]
    hubs.sort(key=lambda t: (-len(t[1]), t[0]))
    taken: set[str] = set()
    out: list[tuple[str, str, list[str]]] = []
    for hub, cs in hubs:
        by_class: dict[str, list[str]] = defaultdict(list)
        for c in cs:
            if c not in taken:
                by_class[str(graph.nodes[c].get("class") or "")].append(c)
        for cls, members in sorted(by_class.items()):
            if len(members) >= bundle_min:
                out.append((hub, cls, members))
                taken.update(members)
    return out


__all__ = [
    "BUNDLE_MIN",
    "COLLAPSE_RULES",
    "HUB_MIN",
    "CollapseRule",
    "collapse_claims",
    "collapsed_shape",
    "hub_bundles",
    "load_rules",
]
