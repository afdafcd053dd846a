"""Read the manifests of the W3C RDF and SPARQL test suites vendored under tests/data/w3c.

``tests/data/w3c/rdf-tests/`` holds unchanged files of the W3C test suites
(https://github.com/w3c/rdf-tests, commit ad541a5f0479f0798608c4801369d97b8e08b36f; see its
LICENSE.md and README.md). A manifest lists test cases; each has a type (``rdft:`` or
``mf:`` class), an action (the input file, or for SPARQL a query and its data) and
maybe a result. Tests read each input against its W3C base IRI (the file's published
address), as the suites require.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

SUITES = Path(__file__).parent / "data" / "w3c" / "rdf-tests"
PUBLISHED = "https://w3c.github.io/rdf-tests/"
MF = "http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#"
QT = "http://www.w3.org/2001/sw/DataAccess/tests/test-query#"
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
RDF_FIRST = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#first")
RDF_REST = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#rest")


@dataclass(frozen=True)
class Case:
    """One test case of a manifest."""

    name: str
    kind: str  # the local name of its type, e.g. TestTurtleEval
    action: Path | None  # the input file (RDF suites) or the query (SPARQL)
    result: Path | None
    base: str  # the W3C base IRI of the action
    data: tuple[Path, ...] = field(default=())  # SPARQL: qt:data
    graph_data: tuple[Path, ...] = field(default=())  # SPARQL: qt:graphData

    @property
    def id(self) -> str:
        return self.name


def _path(folder: Path, node: object, root: str) -> Path | None:
    if not isinstance(node, ox.NamedNode) or not node.value.startswith(root):
        return None
    return folder / node.value[len(root):]


def _list(store: ox.Store, head: object) -> list[object]:
    items: list[object] = []
    node = head
    while isinstance(node, ox.BlankNode):
        items += [q.object for q in store.quads_for_pattern(node, RDF_FIRST, None)]
        node = next(iter(store.quads_for_pattern(node, RDF_REST, None))).object
    return items


def manifest(relative: str) -> list[Case]:
    """The cases of ``SUITES/relative/manifest.ttl``, in the manifest's order."""
    folder = SUITES / relative
    root = folder.as_uri() + "/"
    base = PUBLISHED + relative.strip("/") + "/"
    store = ox.Store()
    store.load(path=str(folder / "manifest.ttl"), format=ox.RdfFormat.TURTLE,
               base_iri=root + "manifest.ttl")

    def one(s: object, p: str) -> object | None:
        hit = next(iter(store.quads_for_pattern(s, ox.NamedNode(p), None)), None)
        return hit.object if hit else None

    def all_of(s: object, p: str) -> tuple[Path, ...]:
        found = (_path(folder, q.object, root)
                 for q in store.quads_for_pattern(s, ox.NamedNode(p), None))
        return tuple(sorted(f for f in found if f is not None))

    man = ox.NamedNode(root + "manifest.ttl")
    entries = _list(store, one(man, MF + "entries"))
    cases = []
    for entry in entries:
        kind_node = one(entry, RDF_TYPE.value)
        kind = kind_node.value.rsplit("#", 1)[-1] if isinstance(kind_node, ox.NamedNode) else ""
        name = one(entry, MF + "name")
        action = one(entry, MF + "action")
        result = one(entry, MF + "result")
        action_path = _path(folder, action, root)
        query, data, graph_data = action_path, (), ()
        if isinstance(action, ox.BlankNode):  # SPARQL: [ qt:query …; qt:data … ]
            query = _path(folder, one(action, QT + "query"), root)
            data, graph_data = all_of(action, QT + "data"), all_of(action, QT + "graphData")
        where = query.name if query else ""
        cases.append(Case(
            name=name.value if isinstance(name, ox.Literal) else str(entry),
            kind=kind, action=query, result=_path(folder, result, root),
            base=base + where, data=data, graph_data=graph_data))
    return cases


def of_kind(cases: list[Case], *kinds: str) -> list[Case]:
    """The cases whose type's local name is one of ``kinds``."""
    return [c for c in cases if c.kind in kinds]


__all__ = ["SUITES", "Case", "manifest", "of_kind"]
