"""Views: a selection of the graph, projected and drawn as an HTML page (or GraphML).

:func:`build_views` is what ``channelkg view`` does: it turns a selection (or the
fixed set of shipped views) into rendered pages with their default file names.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from channelkg.errors import InputError
from channelkg.render.selection import Selection

if TYPE_CHECKING:
    import networkx as nx  # type: ignore[import-untyped, unused-ignore]

    from channelkg.graph.memory import KnowledgeGraph

#: The views ``--all-shipped`` writes: (file stem, selection keyword arguments).
SHIPPED_VIEWS: tuple[tuple[str, dict[str, Any]], ...] = (
    ("market-cn", {"market": "CN"}),
    ("provider-microsoft", {"provider": "microsoft"}),
    ("all", {}),
)

Progress = Callable[[str], None]

#: The most nodes a view draws by default: a selection with more (a hub market of a
#: large graph) draws its most connected nodes, and the page says how many it has.
MAX_NODES = 3000


@dataclass(frozen=True)
class PageOptions:
    """How pages are drawn: everything but the selection."""

    collapse: bool = False
    with_sources: bool = False
    title: str | None = None
    as_of: str | None = None
    physics_threshold: int = 300
    seed: int = 1
    ontology: Path | None = None
    max_nodes: int | None = MAX_NODES


@dataclass(frozen=True)
class RenderedView:
    """One drawn view: its projection, its page and the file it belongs in."""

    selection: Selection
    path: Path
    graph: nx.MultiDiGraph
    html: str
    title: str

    def _repr_html_(self) -> str:
        """The page inline in a notebook: an ``iframe`` whose ``srcdoc`` is the whole
        page (escaped), so it stays offline and its scripts run in a sandbox."""
        return notebook_html(self.html, self.title)


def notebook_html(page: str, title: str = "channelkg view", height: int = 640) -> str:
    """An ``<iframe srcdoc>`` that shows ``page`` (a whole HTML document) inline.

    The page is escaped into the attribute (``&``, ``<``, ``>`` and quotes), so nothing
    in it can close the attribute or the element; the frame is sandboxed (scripts and
    downloads only: no access to the notebook, no navigation of it).
    """
    import html

    return (
        f'<iframe title="{html.escape(title, quote=True)}" '
        f'sandbox="allow-scripts allow-downloads" '
        f'style="width: 100%; height: {int(height)}px; border: 1px solid #ddd" '
        f'srcdoc="{html.escape(page, quote=True)}"></iframe>'
    )


def _quiet(_: str) -> None:
    """Progress sink that reports nothing."""


def project(
    kg: KnowledgeGraph,
    sel: Selection,
    *,
    collapse: bool = False,
    with_sources: bool = False,
    max_nodes: int | None = None,
    progress: Progress = _quiet,
) -> nx.MultiDiGraph:
    """The networkx projection of ``sel`` (claims collapsed into edges if asked).

    With ``max_nodes``, a selection of more nodes keeps the nodes it is about (market,
    provider, --around node) and then its most connected nodes, up to ``max_nodes``
    (:func:`~channelkg.render.selection.cap`); ``graph.graph["drawn_of"]`` then holds
    how many nodes the selection has. With ``collapse`` the cap counts the nodes left
    once claims are edges; without it, only the kept nodes' attributes are computed.

    A market or provider selection is worked out on the store and only its drawn nodes
    are projected, unless the page has a time slider (then the whole graph is).
    """
    t0 = time.perf_counter()
    graph = _project_on_store(kg, sel, collapse=collapse, with_sources=with_sources,
                              max_nodes=max_nodes)
    if graph is None:
        graph = _project_whole(kg, sel, collapse=collapse, with_sources=with_sources,
                               max_nodes=max_nodes)
    _projected(graph, t0, progress)
    return graph


def _project_whole(
    kg: KnowledgeGraph,
    sel: Selection,
    *,
    collapse: bool,
    with_sources: bool,
    max_nodes: int | None,
) -> nx.MultiDiGraph:
    """:func:`project` from the projection of the whole graph."""
    from channelkg.render.collapse import collapse_claims
    from channelkg.render.network import project_lazily
    from channelkg.render.page_time import selection_spans
    from channelkg.render.selection import anchors, cap, select

    full, attrs = project_lazily(kg, sources=with_sources)
    graph = select(full, sel, kg)
    spans = selection_spans(full, sel, graph)
    if collapse:  # the cap counts what is drawn: the nodes left once claims are edges
        attrs.fill(graph)
        if spans is not None:
            graph.graph["spans"] = {k: v for k, v in spans.items() if k in graph}
        graph = cap(collapse_claims(graph), max_nodes, anchors(full, sel))
    else:
        graph = cap(graph, max_nodes, anchors(full, sel))
        attrs.fill(graph)
        if spans is not None:
            graph.graph["spans"] = {k: v for k, v in spans.items() if k in graph}
    return graph


def _projected(graph: nx.MultiDiGraph, t0: float, progress: Progress) -> None:
    drawn = drawn_note(graph)
    progress(
        f"projected {graph.number_of_nodes()} nodes, {graph.number_of_edges()} edges"
        + (f", {drawn}" if drawn else "") + f" ({time.perf_counter() - t0:.2f} s)"
    )


def _project_on_store(
    kg: KnowledgeGraph,
    sel: Selection,
    *,
    collapse: bool,
    with_sources: bool,
    max_nodes: int | None,
) -> nx.MultiDiGraph | None:
    """:func:`project` of a market or provider selection, worked out on the store
    (:class:`~channelkg.render.reading.StoreSelection`): the nodes it reaches are read,
    and only the drawn ones projected. ``None`` (project the whole graph) for any other
    selection, on a backend without a store of its own (each pattern would be a request),
    when the store holds an RDF 1.2 triple term (refused by the whole projection), or
    when the page would have a time slider (the slider runs the selection on the whole
    projection once per stretch between dated events)."""
    if not (sel.market or sel.provider) or sel.around or sel.classes or sel.query:
        return None
    from channelkg.graph.base import KnowledgeGraph as Backend

    if type(kg).ox_triples is Backend.ox_triples:
        return None  # no store of its own to read patterns from (rdflib, a SPARQL server)

    from channelkg.graph.background import Background
    from channelkg.render.network import project_lazily
    from channelkg.render.reading import TriplesOf, holds_triple_terms

    # The store's scan (about 0.7 s at a million triples, in the store's code, which lets
    # Python run) overlaps with the selection.
    triple_terms = Background(holds_triple_terms, kg)
    try:
        found = _select_on_store(kg, sel, with_sources)
    except Exception:
        if triple_terms.result():
            return None  # the whole projection refuses a triple term first, in one line
        raise
    if triple_terms.result() or found is None:
        return None  # the whole projection refuses a triple term in one line
    store, anchors, keep = found
    first = [store.key(a) for a in anchors]
    if collapse:
        return _collapsed_on_store(store, keep, first, with_sources, max_nodes)
    total = len(keep)
    chosen = keep
    if max_nodes is not None and total > max_nodes:
        degree = store.degrees(keep)
        by_key = {store.key(n): n for n in keep}
        head = list(dict.fromkeys(first))[:max_nodes]
        rest = sorted((k for k in by_key if k not in head),
                      key=lambda k: (-degree[by_key[k]], k))
        chosen = {by_key[k] for k in head + rest[:max(0, max_nodes - len(head))]}
    graph, attrs = project_lazily(TriplesOf.of(store.triples(chosen)), sources=with_sources,
                                  only={store.key(n) for n in chosen})
    if chosen is not keep:
        graph.graph["drawn_of"] = total
        graph.graph["drawn"] = graph.number_of_nodes()
    attrs.fill(graph)
    return graph


def _select_on_store(kg: KnowledgeGraph, sel: Selection, with_sources: bool
                     ) -> tuple[Any, list[Any], set[Any]] | None:
    """The store selection of ``sel`` (a market or provider), its anchors (the market,
    the provider) and the nodes it keeps; ``None`` when the page would have a time
    slider."""
    import pyoxigraph as ox

    from channelkg.model.resolve import resolve_in
    from channelkg.render.reading import StoreSelection

    store = StoreSelection(kg, with_sources)
    picks = []
    for ref, kind, pick in ((sel.market, "market", store.market),
                            (sel.provider, "organization", store.provider)):
        if ref:
            node = ox.NamedNode(str(resolve_in(kg, ref, kind)))
            if not store.is_node(node):
                raise InputError(f"{store.key(node)} is not drawn in this view "
                                 "(a vocabulary term or a source)")
            picks.append((node, pick))
    if not store.many_dates():
        return None
    keep: set[ox.NamedNode] = set()
    for node, pick in picks:
        keep |= pick(node)
    return store, [node for node, _ in picks], keep


def _collapsed_on_store(store: Any, keep: set[Any], first: list[str], with_sources: bool,
                        max_nodes: int | None) -> nx.MultiDiGraph:
    """The collapsed page of a selection worked out on the store: the cap is taken on
    the shape of the collapsed selection (:func:`~channelkg.render.collapse.\
collapsed_shape`), and then only the drawn nodes, the claims drawn as
    edges between them and those claims' neighbours are projected and collapsed."""
    from channelkg.render.collapse import collapse_claims, collapsed_shape
    from channelkg.render.network import project_lazily
    from channelkg.render.reading import TriplesOf
    from channelkg.render.selection import most_connected_of, subgraph

    nodes, links = store.shape(keep)
    degree, edges = collapsed_shape(nodes, links, store.proj.schema)
    total = len(degree)
    capped = max_nodes is not None and total > max_nodes
    drawn = set(most_connected_of(degree, max_nodes, first) if capped and max_nodes
                else degree)
    claims = {c for a, b, c in edges if a in drawn and b in drawn}
    need = drawn | claims
    for c in claims:
        need.update(o for _, o in links[c])
    for k, out in links.items():  # the claims' predecessors
        if not claims.isdisjoint(o for _, o in out):
            need.add(k)
    part, attrs = project_lazily(TriplesOf.of(store.triples(store.terms[k] for k in need)),
                                 sources=with_sources, only=need)
    attrs.fill(part)
    graph = subgraph(collapse_claims(part), drawn)
    if capped:
        graph.graph["drawn_of"] = total
        graph.graph["drawn"] = graph.number_of_nodes()
    return graph


def drawn_note(graph: nx.MultiDiGraph) -> str:
    """``"2,000 of 90,114 nodes drawn (the most connected)"`` for a capped view (a capped
    channel map: ``"943 of 6,621 routes drawn (...)"``, which it keeps in
    ``graph.graph["drawn_routes"]``), else ``""``."""
    if graph.graph.get("drawn_routes"):
        return str(graph.graph["drawn_routes"])
    total = graph.graph.get("drawn_of")
    if not total:
        return ""
    return (f"{int(graph.graph['drawn']):,} of {int(total):,} nodes drawn "
            "(the most connected; --max-nodes draws more)")


def check_selection(sel: Selection) -> None:
    """Fail before loading anything if the selection names an unknown query."""
    if sel.query:
        from channelkg.sparql.query import resolve

        resolve(sel.query)


def view_jobs(
    sel: Selection, *, output: Path | None, all_shipped: bool, options: PageOptions
) -> list[tuple[Selection, Path]]:
    """The selections to draw and the files they go to.

    Args:
        sel: the selection (must be empty with ``all_shipped``).
        output: the page (with ``all_shipped``: the folder); default under graphs/views/.
        all_shipped: draw the fixed :data:`SHIPPED_VIEWS` instead of ``sel``.
        options: drawing options (``collapse`` and ``as_of`` name the files).
    """
    from channelkg import resources

    if all_shipped and not sel.empty:
        raise InputError("--all-shipped draws fixed selections; drop the other options")
    suffix = ("-collapsed" if options.collapse else "") + (
        f"-as-of-{options.as_of}" if options.as_of else ""
    )
    if all_shipped:
        folder = output or resources.output_dir("views")
        return [(Selection(**kw), folder / f"{stem}{suffix}.html") for stem, kw in SHIPPED_VIEWS]
    return [(sel, output or resources.output_dir("views") / f"{sel.slug()}{suffix}.html")]


def render_view(
    kg: KnowledgeGraph,
    sel: Selection,
    path: Path,
    options: PageOptions,
    progress: Progress = _quiet,
) -> RenderedView:
    """Project ``sel`` and render its page (written by the caller)."""
    from channelkg.collect import paused_gc
    from channelkg.render.page import render_html
    from channelkg.render.selection import find_node

    with paused_gc():  # a view builds a few hundred thousand objects with hardly a cycle
        g = project(kg, sel, collapse=options.collapse, with_sources=options.with_sources,
                    max_nodes=options.max_nodes, progress=progress)
        start = find_node(g, sel.around) if sel.around else None
        label = str(g.nodes[start].get("label") or start) if start in g else None
        title = options.title or (
            sel.title(label) + (" (claims collapsed)" if options.collapse else "")
        )
        if options.as_of:
            title += f", as of {options.as_of}"
        if drawn_note(g):
            title += f" ({drawn_note(g)})"
        html = render_html(
            g,
            title=title,
            physics_threshold=options.physics_threshold,
            seed=options.seed,
            ontology=options.ontology,
            start=start,
        )
    return RenderedView(sel, path, g, html, title)


def build_views(
    kg: KnowledgeGraph,
    sel: Selection,
    *,
    output: Path | None = None,
    all_shipped: bool = False,
    options: PageOptions | None = None,
    progress: Progress = _quiet,
) -> list[RenderedView]:
    """Render the pages of ``channelkg view``: ``sel``, or the shipped views (with the
    channel maps of :data:`channelkg.render.channel_page.SHIPPED_CHANNEL_MAPS`).

    Raises:
        InputError: ``all_shipped`` with a selection, or a missing ``options.ontology``.
    """
    options = options or PageOptions()
    if options.ontology is not None and not Path(options.ontology).is_file():
        raise InputError("no such file", str(options.ontology))
    jobs = view_jobs(sel, output=output, all_shipped=all_shipped, options=options)
    pages = [render_view(kg, s, path, options, progress) for s, path in jobs]
    if all_shipped and not options.collapse:  # the channel maps have no collapsed variant
        from channelkg import resources
        from channelkg.render.channel_page import shipped_channel_views

        folder = output or resources.output_dir("views")
        pages += shipped_channel_views(kg, folder, options.as_of, progress,
                                       max_nodes=options.max_nodes)
    return pages


def graphml_bytes(graph: nx.MultiDiGraph) -> bytes:
    """``graph`` as GraphML (list attributes joined with `` | ``)."""
    import io

    import networkx as nx  # type: ignore[import-untyped, unused-ignore]

    from channelkg.render.network import to_graphml_graph

    buf = io.BytesIO()
    nx.write_graphml(to_graphml_graph(graph), buf)
    return buf.getvalue()


__all__ = [
    "MAX_NODES",
    "SHIPPED_VIEWS",
    "PageOptions",
    "RenderedView",
    "build_views",
    "check_selection",
    "drawn_note",
    "graphml_bytes",
    "notebook_html",
    "project",
    "render_view",
    "view_jobs",
]
