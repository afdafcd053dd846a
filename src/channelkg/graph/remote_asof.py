"""``--as-of`` on a SPARQL server as a dataset view: the keyed layout, pushed and read.

``channelkg push --keyed`` places the triples that touch dated facts in named graphs
keyed by their validity interval (``G#valid=START/END``, the layout of
:mod:`channelkg.graph.validity`) beside the base graph ``G``, and lists those graphs in
a small index graph ``G#index``. A ``sparql:`` store that finds the index then

* answers plain queries on ``G`` and all of its keyed graphs (the default graph of
  each request is their union, sent as ``default-graph-uri`` parameters), and
* answers ``--as-of D`` on ``G`` and only the keyed graphs whose interval holds ``D``:
  the server evaluates the query on that dataset, and nothing is copied.

Without an index (data loaded by other means) ``--as-of`` is the rewriting view of
:mod:`channelkg.graph.asof`: each query gets tests that exclude the hidden facts
(:mod:`channelkg.graph.asof_filter`) and runs on the server, in the form that
:func:`probe_form` finds the server answers correctly (a server that answers the
exists form, Virtuoso 7, is sent the dates form of :mod:`channelkg.graph.asof_dates`);
nothing is copied unless the server answers neither form, or a query is one the rewrite
does not handle.
"""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from channelkg.graph.validity import KEY_MARK, key_visible

if TYPE_CHECKING:
    from channelkg.graph.asof_filter import Form
    from channelkg.graph.base import KnowledgeGraph
    from channelkg.graph.remote import RemoteKnowledgeGraph, SparqlClient

#: The predicate of the index: ``<G> <urn:channelkg:keyedGraph> <G#valid=…>``.
INDEX_PREDICATE = "urn:channelkg:keyedGraph"
INDEX_MARK = "#index"
_DATASET = ("default-graph-uri", "named-graph-uri")


def index_graph(base: str) -> str:
    """The IRI of the index graph of base graph ``base``."""
    return base + INDEX_MARK


def keyed_layout(quads: Iterable[Any], base: str) -> dict[str, list[Any]]:
    """Place ``quads`` (pyoxigraph quads of one file set) by validity: graph IRI -> quads.

    The base graph keeps the triples of undated things; the index graph lists the keyed
    graphs (also when there are none, so a reader knows the layout is there).
    """
    import pyoxigraph as ox

    from channelkg.graph.validity import partition

    store = ox.Store()
    g = ox.NamedNode(base)
    store.bulk_extend(ox.Quad(q.subject, q.predicate, q.object, g) for q in quads)
    partition(store)
    out: dict[str, list[Any]] = {base: []}
    for q in store.quads_for_pattern(None, None, None, None):
        name = q.graph_name.value if isinstance(q.graph_name, ox.NamedNode) else base
        out.setdefault(name, []).append(q)
    index = ox.NamedNode(index_graph(base))
    pred = ox.NamedNode(INDEX_PREDICATE)
    out[index.value] = [ox.Quad(g, pred, ox.NamedNode(name), index) for name in sorted(out)]
    return out


def _plain_client(client: SparqlClient) -> SparqlClient:
    """The client without dataset parameters (the server's own default graph)."""
    plain = copy.copy(client)
    plain.params = [(k, v) for k, v in client.params if k not in _DATASET]
    return plain


def _with_graphs(client: SparqlClient, graphs: Iterable[str]) -> SparqlClient:
    out = _plain_client(client)
    named = [(k, v) for k, v in client.params if k == "named-graph-uri"]
    out.params = [*out.params, *(("default-graph-uri", g) for g in graphs), *named]
    return out


def find_index(client: SparqlClient) -> dict[str, list[str]] | None:
    """Base graph -> its keyed graphs, for the graphs the client's URL names
    (``default-graph-uri``); ``None`` when it names none (the server's own default graph
    is then used as it is) or the server holds no index for them.

    The index of a base lists the base itself too, so a base pushed keyed whose facts
    are all undated is still known to be complete.
    """
    from channelkg.errors import QueryError

    bases = [v for k, v in client.params if k == "default-graph-uri"]
    if not bases:
        return None
    values = " ".join(f"<{index_graph(b)}>" for b in bases)
    text = (f"SELECT ?base ?k WHERE {{ VALUES ?i {{ {values} }} "
            f"GRAPH ?i {{ ?base <{INDEX_PREDICATE}> ?k }} }}")
    try:
        _vars, rows = _plain_client(client).select(text)
    except QueryError:  # a server that cannot answer it holds no index (a network or
        return None     # authentication error is raised: the graph would be incomplete)
    found: dict[str, list[str]] = {}
    for base, keyed in rows:
        if base is not None and keyed is not None:
            found.setdefault(str(base), [])
            if KEY_MARK in str(keyed):
                found[str(base)].append(str(keyed))
    return found or None


def dataset(index: dict[str, list[str]], extra: Iterable[str] = (),
            day: dt.date | None = None) -> list[str]:
    """The default graphs: ``extra`` graphs, then every base with its keyed graphs (only
    those visible on ``day`` when a day is given)."""
    out = list(extra)
    for base, keyed in sorted(index.items()):
        out.append(base)
        out.extend(k for k in sorted(keyed)
                   if day is None or key_visible(k.split(KEY_MARK, 1)[1], day))
    return list(dict.fromkeys(out))


def expanded_client(client: SparqlClient, index: dict[str, list[str]],
                    day: dt.date | None = None) -> SparqlClient:
    """A client whose default graph is the URL's other graphs plus every indexed base with
    its keyed graphs (those visible on ``day``, when given)."""
    named = [v for k, v in client.params if k == "default-graph-uri" and v not in index]
    return _with_graphs(client, dataset(index, named, day))


def view_on(kg: RemoteKnowledgeGraph, day: dt.date, *, known: bool = False
            ) -> KnowledgeGraph | None:
    """The dataset view of ``kg`` on ``day``, or ``None`` when the server holds no keyed
    layout for it, or ``known`` asks for the stricter rule (which the layout does not key)."""
    from channelkg.graph.remote import RemoteKnowledgeGraph

    index = kg.keyed_index()
    if index is None or known:
        return None
    out = RemoteKnowledgeGraph(expanded_client(kg.raw_client, index, day), url=kg.url,
                               index={}, max_rows=kg.max_rows)
    out.as_of = day
    out.origin = kg  # type: ignore[attr-defined]
    return out


# --------------------------------------------------------------------------- rewrite

_PROBE = "urn:channelkg:probe:"


def probes() -> list[tuple[Form, str, set[tuple[str, ...]]]]:
    """Each form of the rewrite, a query in that form on inline data, and its rows."""
    from channelkg.graph.asof_filter import EXISTS, STANDARD

    a, b, c = (f"<{_PROBE}{x}>" for x in "abc")

    def hide(var: str, node: str) -> str:
        return f"FILTER NOT EXISTS {{ VALUES ?h {{ {node} }} FILTER(?h = ?{var}) }}"

    standard = (f"SELECT ?x ?y WHERE {{ FILTER(?x NOT IN ({b})) VALUES ?x {{ {a} {b} {c} }} "
                f"OPTIONAL {{ FILTER(?y NOT IN ({a})) VALUES ?y {{ {a} {b} }} }} "
                f"MINUS {{ VALUES ?x {{ {c} }} }} }}")
    exists = (f"SELECT ?x ?y WHERE {{ {hide('x', b)} VALUES ?x {{ {a} {b} {c} }} "
              f"OPTIONAL {{ {hide('y', a)} VALUES ?y {{ {a} {b} }} }} }}")
    ab, cb = (f"{_PROBE}a", f"{_PROBE}b"), (f"{_PROBE}c", f"{_PROBE}b")
    return [(STANDARD, standard, {ab}), (EXISTS, exists, {ab, cb})]


def probe_form(client: SparqlClient, reasons: list[str] | None = None, *,
               timed_out: list[Form] | None = None,
               forms: Iterable[Form] | None = None) -> Form | None:
    """The first form of the rewrite (the standard one, then Virtuoso's) whose probe
    query the server answers with exactly the right rows; ``None`` when it answers
    neither (the view then copies). A form is not taken when the server refuses its
    probe (HTTP 400 or 500), answers it with what is not SPARQL results, with other
    variables or other rows, or gives no answer within the timeout; why is appended to
    ``reasons``, and a form whose probe got no answer in time to ``timed_out`` (it may
    be answered another time). ``forms``: probe only these. A network or
    authentication error is raised.
    """
    from channelkg.errors import QueryError
    from channelkg.graph.sparqlclient import AnswerError, NoAnswerError

    only = None if forms is None else set(forms)
    for form, text, want in probes():
        if only is not None and form not in only:
            continue
        try:
            names, rows = client.select(text)
        except NoAnswerError as err:
            why = " ".join(str(err).split())[:200]
            if timed_out is not None:
                timed_out.append(form)
        except (QueryError, AnswerError) as err:
            why = " ".join(str(err).split())[:200]
        else:
            got = [tuple("" if t is None else str(t) for t in row) for row in rows]
            if names == ("x", "y") and len(got) == len(want) and set(got) == want:
                return form
            why = (f"variables {', '.join(names) or 'none'} instead of x, y"
                   if names != ("x", "y") else f"{len(got)} rows, not the {len(want)} expected")
        if reasons is not None:
            reasons.append(f"{form.value} form: {why}")
    return None


# --------------------------------------------------------------------------- push


def _old_keyed_gsp(client: SparqlClient, url: str, base: str) -> list[str]:
    """The keyed graphs an earlier keyed push listed in the index (GSP GET)."""
    import re

    from channelkg.errors import ChannelKGError
    from channelkg.graph.remote import gsp_target

    try:
        _ctype, body = client.request(gsp_target(url, index_graph(base)), method="GET",
                                      headers={"Accept": "application/n-triples"})
    except ChannelKGError:  # no index graph: nothing to remove
        return []
    text = body.decode("utf-8", "replace")
    return sorted({m for m in re.findall(r"<([^<>\s]*" + re.escape(KEY_MARK) + r"[^<>\s]*)>",
                                          text)})


def push_keyed(client: SparqlClient, url: str, base: str, quads: list[Any], *, method: str,
               replace: bool, chunk: int, say: Any) -> int:
    """Push ``quads`` in the keyed layout (see the module docstring); return the number
    of requests. Replacing removes the keyed graphs of an earlier keyed push first."""
    from channelkg.errors import ChannelKGError
    from channelkg.graph.remote import gsp_target, insert_chunks, ntriples

    parts = keyed_layout(quads, base)
    requests = 0
    if method == "gsp":
        if replace:
            for old in _old_keyed_gsp(client, url, base):
                if old not in parts:
                    say(f"DELETE <{old}>")
                    with contextlib.suppress(ChannelKGError):  # already gone
                        client.request(gsp_target(url, old), method="DELETE")
                    requests += 1
        for name, part in sorted(parts.items()):
            say(f"{'PUT' if replace else 'POST'} {len(part)} triples to <{name}>")
            client.request(gsp_target(url, name), method="PUT" if replace else "POST",
                           data="".join(ntriples(part)).encode("utf-8"),
                           headers={"Content-Type": "text/turtle"})
            requests += 1
        return requests
    idx = f"<{index_graph(base)}>"
    if replace:
        say(f"DROP the keyed graphs listed in {idx}, then {idx} and <{base}>")
        client.update("DELETE { GRAPH ?k { ?s ?p ?o } } WHERE { GRAPH " + idx + " { <" + base
                      + "> <" + INDEX_PREDICATE + "> ?k } GRAPH ?k { ?s ?p ?o } }", url)
        client.update(f"DROP SILENT GRAPH {idx}", url)
        client.update(f"DROP SILENT GRAPH <{base}>", url)
        requests += 3
    for name, part in sorted(parts.items()):
        requests += insert_chunks(client, url, name, part, chunk, say)
    return requests


__all__ = ["INDEX_PREDICATE", "dataset", "expanded_client", "find_index", "index_graph",
           "keyed_layout", "probe_form", "probes", "push_keyed", "view_on"]
