"""Stores other than the Turtle files: a persistent Oxigraph folder or a SPARQL 1.1 server.

``--store`` on every reading command goes through :func:`open_store`:

* ``oxigraph:PATH``: a persistent Oxigraph store built by ``channelkg load --into``
  (see :mod:`channelkg.persist`); changed files are reloaded on open.
* ``sparql:URL``: any SPARQL 1.1 Protocol endpoint, read only here (``channelkg add``
  and ``import`` write to it with ``--update-url``, see :func:`insert_data`). Queries are POSTed
  (form encoded, https://www.w3.org/TR/sparql11-protocol/#query-via-post-urlencoded);
  query parameters of the URL such as ``default-graph-uri`` are kept and sent along,
  so ``sparql:http://host/sparql?default-graph-uri=https://example.org/g`` queries one
  graph of a server that holds several.

Remote servers do not implement SEP-0007 substitutions; named-query parameters
are bound the same way on every engine, by the escaped ``VALUES`` block that
:func:`channelkg.query.bind_values` places first inside the outer ``WHERE`` group.

Requests and answers are bounded in time, size and redirects (see
:mod:`channelkg.graph.sparqlclient`); reading a whole graph page by page is bounded in
rows (``$CHANNELKG_SPARQL_MAX_ROWS``, default 10,000,000) and refuses servers that
ignore ``LIMIT`` or ``OFFSET``.

Authentication (both for reading and for :func:`push`): HTTP basic or digest, with
the user and password given to the functions or taken from ``CHANNELKG_SPARQL_USER``
and ``CHANNELKG_SPARQL_PASSWORD``.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import time
import urllib.parse
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from channelkg.errors import InputError, QueryError
from channelkg.graph.base import KnowledgeGraph, QueryResult, Triple
from channelkg.graph.sparqlclient import RemoteError, SparqlClient, env_number

if TYPE_CHECKING:
    from channelkg.graph.asof_filter import Form

ENGINE = "sparql"
READ_ONLY_ENV = "CHANNELKG_STORE_READ_ONLY"
MAX_ROWS_ENV = "CHANNELKG_SPARQL_MAX_ROWS"
#: Most triples read from a server page by page (``triples()``, ``to_rdflib()``).
DEFAULT_MAX_ROWS = 10_000_000
#: Seconds after which a form of the ``--as-of`` rewrite whose probe got no answer within
#: the timeout is probed again (before the next query that asks for the form); doubled
#: after each further timeout, up to :data:`PROBE_RETRY_MAX`. A new store (the next
#: command) probes afresh.
PROBE_RETRY = 60.0
PROBE_RETRY_MAX = 3600.0

_IRI_BAD = re.compile(r'[\x00-\x20<>"{}|^`\\]')

Progress = Callable[[str], None]


# --------------------------------------------------------------------------- opening


def open_store(
    spec: str,
    *,
    update_url: str | None = None,
    user: str | None = None,
    password: str | None = None,
    auth: str = "auto",
    timeout: float | None = None,
    refresh: bool = True,
    read_only: bool = False,
    progress: Progress | None = None,
) -> KnowledgeGraph:
    """Open ``oxigraph:PATH``, ``sparql:URL`` or a third party's ``NAME:…`` backend.

    Args:
        spec: ``oxigraph:PATH`` or ``sparql:URL`` (a bare ``http(s)://`` URL counts as
            ``sparql:``), or any name registered in :mod:`channelkg.graph.registry`.
        update_url: for ``sparql:``, the SPARQL UPDATE endpoint.
        user: HTTP user (default: ``$CHANNELKG_SPARQL_USER``).
        password: HTTP password (default: ``$CHANNELKG_SPARQL_PASSWORD``).
        auth: ``basic``, ``digest`` or ``auto`` (whatever the server asks for).
        timeout: seconds for a whole request to a server (default: ``--timeout`` of the
            command, 60 s, or ``$CHANNELKG_SPARQL_TIMEOUT``).
        refresh: for ``oxigraph:``, reload the files that changed since the last load.
        read_only: for ``oxigraph:``, open read-only without refreshing; several
            processes can do so at once. ``CHANNELKG_STORE_READ_ONLY=1`` sets it.
        progress: called with a line of text per step (e.g. a file being reloaded).

    Raises:
        InputError: an unknown kind of store, or no store at ``PATH``.
    """
    from channelkg.graph.registry import open_backend

    return open_backend(spec, update_url=update_url, user=user, password=password, auth=auth,
                        timeout=timeout, refresh=refresh, read_only=read_only,
                        progress=progress)


def open_oxigraph(location: str, *, refresh: bool = True, read_only: bool = False,
                  progress: Progress | None = None, **_: Any) -> KnowledgeGraph:
    """The ``oxigraph:PATH`` backend (registered as ``oxigraph``).

    Raises:
        InputError: as :func:`~channelkg.graph.disk.open_disk`, and when bringing the
            store up to date fails on a write (a file the store keeps cannot be
            written): the files being applied stay marked pending in the manifest, so
            the next open applies them again, whole.
    """
    from channelkg.graph.disk import open_disk

    read_only = read_only or os.environ.get(READ_ONLY_ENV) == "1"
    folder = Path(location).expanduser()
    try:
        return open_disk(folder, refresh=refresh and not read_only, read_only=read_only,
                         progress=progress)
    except OSError as err:
        why = str(err)
        # The error's frames hold the store open (and the failed write's future holds the
        # error, a cycle): let go of them, so that the store closes now, not at a later
        # garbage collection, and the next open in this process finds it free.
        err.__traceback__ = None
    raise InputError(f"cannot bring the store up to date from its files: {why} (the next "
                     "open applies the changed files again)", str(folder))


def open_sparql(location: str, *, update_url: str | None = None, user: str | None = None,
                password: str | None = None, auth: str = "auto", timeout: float | None = None,
                max_bytes: int | None = None, max_rows: int | None = None,
                **_: Any) -> KnowledgeGraph:
    """The ``sparql:URL`` backend (registered as ``sparql``)."""
    client = SparqlClient(location, update_url=update_url, user=user, password=password,
                          auth=auth, timeout=timeout, max_bytes=max_bytes)
    return RemoteKnowledgeGraph(client, url=location, update_url=update_url, max_rows=max_rows)


class RemoteKnowledgeGraph(KnowledgeGraph):
    """A graph held by a SPARQL server: queries go to the server.

    ``triples()`` and ``to_rdflib()`` pull the graph page by page (ordered
    ``SELECT`` with ``LIMIT``/``OFFSET``), so a server's result-size cap (Virtuoso:
    ``ResultSetMaxRows``) cannot silently cut it short.
    """

    engine = ENGINE
    page_size = 10000

    def __init__(self, client: SparqlClient, *, url: str, update_url: str | None = None,
                 index: dict[str, list[str]] | None = None, max_rows: int | None = None) -> None:
        super().__init__()
        self.raw_client = client
        self.max_rows = max_rows or int(env_number(MAX_ROWS_ENV, DEFAULT_MAX_ROWS))
        self.url = url
        self.update_url = update_url
        self.writable = update_url is not None
        #: base graph -> keyed graphs (``push --keyed``); ``None`` until looked up
        self._index = index
        self._client: SparqlClient | None = client if index is not None else None
        self._form: tuple[Form | None] | None = None
        #: why the server was not sent each form it did not take (:meth:`asof_form`)
        self.asof_reasons: list[str] = []
        #: the forms ahead of the one taken whose probe got no answer in time, probed
        #: again from :attr:`_retry_at` on (:meth:`asof_form`)
        self._timed_out: list[Form] = []
        self._retry_at = 0.0
        self._retry_wait = PROBE_RETRY

    def clock(self) -> float:
        """The clock of the probe's retries (seconds)."""
        return time.monotonic()

    def keyed_index(self) -> dict[str, list[str]] | None:
        """The keyed layout the server holds for the URL's graphs, looked up once
        (:mod:`channelkg.graph.remote_asof`); ``None`` when there is none."""
        if self._index is None:
            from channelkg.graph.remote_asof import find_index

            self._index = find_index(self.raw_client) or {}
        return self._index or None

    def asof_form(self) -> Form | None:
        """The form of the ``--as-of`` rewrite this server answers correctly, probed once
        (:func:`channelkg.graph.remote_asof.probe_form`); ``None``: neither (why:
        :attr:`asof_reasons`).

        A form whose probe got no answer within the timeout is not given up for the
        store's life: it is probed again once :data:`PROBE_RETRY` seconds have passed
        (then twice as long after each further timeout, up to :data:`PROBE_RETRY_MAX`),
        so a slow moment of the server does not keep a better form from being sent, and
        a slow server is not probed on every query.
        """
        from channelkg.graph.remote_asof import probe_form

        if self._form is None:
            timed_out: list[Form] = []
            self._form = (probe_form(self.client, self.asof_reasons, timed_out=timed_out),)
            self._retry(timed_out)
        elif self._timed_out and self.clock() >= self._retry_at:
            retried = self._timed_out
            reasons: list[str] = []
            again: list[Form] = []
            try:
                found = probe_form(self.client, reasons, timed_out=again, forms=retried)
            except RemoteError:  # unreachable now: the query says so itself
                found, again = None, retried
            else:
                marks = tuple(f"{f.value} form: " for f in retried)
                self.asof_reasons[:] = [r for r in self.asof_reasons
                                        if not r.startswith(marks)] + reasons
            if found is not None:  # only forms ahead of the one taken were probed
                self._form = (found,)
            self._retry_wait = min(self._retry_wait * 2, PROBE_RETRY_MAX)
            self._retry(again)
        return self._form[0]

    def _retry(self, timed_out: list[Form]) -> None:
        """Probe ``timed_out`` again after the present wait (:meth:`asof_form`)."""
        self._timed_out = timed_out
        if timed_out:
            self._retry_at = self.clock() + self._retry_wait

    @property
    def client(self) -> SparqlClient:
        """The client of every request: with the URL's graphs expanded by their keyed
        graphs when the server holds a keyed layout for them."""
        if self._client is None:
            from channelkg.graph.remote_asof import expanded_client

            index = self.keyed_index()
            self._client = expanded_client(self.raw_client, index) if index else self.raw_client
        return self._client

    def visible_on(self, day: dt.date, *, known: bool = False) -> KnowledgeGraph:
        """A dataset view on the server when it holds a keyed layout, else the view of
        :mod:`channelkg.graph.asof` that sends each query rewritten (:meth:`asof_form`);
        neither copies the graph."""
        from channelkg.graph.remote_asof import view_on

        origin: RemoteKnowledgeGraph = getattr(self, "origin", self)
        return view_on(origin, day, known=known) or KnowledgeGraph.visible_on(
            origin, day, known=known)

    def run(self, text: str, *, max_rows: int | None = None) -> QueryResult:
        from channelkg.graph.base import truncate

        form = query_form(text)
        if form == "SELECT":
            names, rows = self.client.select(text)
            return truncate(QueryResult("SELECT", vars=names, rows=tuple(rows)), max_rows)
        if form == "ASK":
            return QueryResult("ASK", boolean=self.client.ask(text))
        if form in ("CONSTRUCT", "DESCRIBE"):
            return truncate(QueryResult("GRAPH", graph=self.client.graph(text)), max_rows)
        raise QueryError("not a query (SELECT, ASK, CONSTRUCT or DESCRIBE)")

    def __len__(self) -> int:
        res = self.client.select("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
        return int(str(res[1][0][0])) if res[1] else 0

    def triples(self, s: Any = None, p: Any = None, o: Any = None) -> Iterator[Triple]:
        """The matching triples, page by page; a server that ignores ``LIMIT`` or
        ``OFFSET`` (a page too long, or the same page again) or holds more than
        ``max_rows`` of them is an error, never an endless loop."""
        from channelkg.sparql.query import sparql_term

        fixed = {"s": s, "p": p, "o": o}
        where = " ".join(sparql_term(v) if v is not None else f"?{k}" for k, v in fixed.items())
        free = [f"?{k}" for k, v in fixed.items() if v is None] or ["?x"]
        offset = 0
        previous: list[tuple[Any, ...]] | None = None
        while True:
            _vars, rows = self.client.select(
                f"SELECT {' '.join(free)} WHERE {{ {where} }} "
                + (f"ORDER BY {' '.join(free)} " if free != ["?x"] else "")
                + f"LIMIT {self.page_size} OFFSET {offset}"
            )
            self._check_page(rows, previous, offset)
            for row in rows:
                vals = iter(row)
                yield tuple(v if v is not None else next(vals) for v in fixed.values())
            if len(rows) < self.page_size:
                return
            previous = rows
            offset += self.page_size

    def _check_page(self, rows: list[tuple[Any, ...]], previous: list[tuple[Any, ...]] | None,
                    offset: int) -> None:
        if len(rows) > self.page_size:
            raise RemoteError(f"{self.url}: the server ignores LIMIT ({len(rows)} rows for "
                              f"LIMIT {self.page_size}); cannot page through its triples")
        if previous is not None and rows and rows == previous:
            raise RemoteError(f"{self.url}: the server ignores OFFSET (the rows at OFFSET "
                              f"{offset} are those of the page before); cannot page through "
                              "its triples")
        if offset + len(rows) > self.max_rows:
            raise RemoteError(f"{self.url}: more than {self.max_rows} triples to read (the "
                              f"limit; set ${MAX_ROWS_ENV} to allow more)")


# --------------------------------------------------------------------------- text


_MASK = re.compile(
    r'"""(?:[^"\\]|\\.|"(?!""))*"""|\'\'\'(?:[^\'\\]|\\.|\'(?!\'\'))*\'\'\''
    r'|"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'|<[^<>"{}|^`\\\s]*>|#[^\n]*',
)


def mask(text: str) -> str:
    """Blank out strings, IRIs and comments (same length), leaving the query's structure."""
    return _MASK.sub(lambda m: " " * len(m.group(0)), text)


# A keyword, not a variable (?ask) or a prefix name (select:).
_FORM = re.compile(r"(?<![?$\w:-])(SELECT|ASK|CONSTRUCT|DESCRIBE)(?![\w:-])", re.IGNORECASE)


def query_form(text: str) -> str:
    """Return ``SELECT``, ``ASK``, ``CONSTRUCT`` or ``DESCRIBE`` (``UPDATE`` if none)."""
    m = _FORM.search(mask(text))
    return m.group(1).upper() if m else "UPDATE"


def run_remote(kg: KnowledgeGraph, text: str, bindings: Mapping[str, Any]) -> QueryResult:
    """Bind parameters and run a query on a ``sparql:`` graph.

    See :meth:`RemoteKnowledgeGraph.run`.
    """
    from channelkg.sparql.query import bind_values

    return kg.run(bind_values(text, bindings))


# --------------------------------------------------------------------------- push


@dataclass
class PushReport:
    """What :func:`push` sent."""

    url: str
    graph: str
    method: str
    triples: int
    requests: int


def ntriples(quads: Iterable[Any]) -> Iterator[str]:
    for q in quads:
        yield f"{q.subject} {q.predicate} {q.object} .\n"


def chunks(quads: Sequence[Any], size: int) -> Iterator[list[Any]]:
    """Chunks of triples; every triple with a blank node goes in the last chunk, so
    that one ``INSERT DATA`` sees all the triples that share a blank node."""
    import pyoxigraph as ox

    plain = [q for q in quads if not isinstance(q.subject, ox.BlankNode)
             and not isinstance(q.object, ox.BlankNode)]
    blank = [q for q in quads if isinstance(q.subject, ox.BlankNode)
             or isinstance(q.object, ox.BlankNode)]
    for i in range(0, len(plain), size):
        yield plain[i : i + size]
    if blank:
        yield blank


def _read_all(paths: Sequence[Path | str] | None, ontology: bool) -> list[Any]:
    """Parse every file (and the ontology, once) before anything is sent."""
    from channelkg import resources
    from channelkg.graph.memory import expand_paths, parse_file

    files = expand_paths(paths)
    if ontology:
        onto = resources.ontology_file()
        if onto.resolve() not in {f.resolve() for f in files}:
            files = [onto, *files]
    return [q for f in files for q in parse_file(f)]


def push(
    url: str,
    graph: str,
    paths: Sequence[Path | str] | None = None,
    *,
    method: str = "gsp",
    replace: bool = True,
    ontology: bool = True,
    keyed: bool = False,
    user: str | None = None,
    password: str | None = None,
    auth: str = "auto",
    chunk: int = 2000,
    timeout: float = 120.0,
    progress: Progress | None = None,
) -> PushReport:
    """Upload RDF files (default: the bundled graph and ontology) into a server's graph.

    Args:
        url: for ``gsp``, the Graph Store Protocol endpoint (``?graph=IRI`` is added);
            for ``update``, the SPARQL UPDATE endpoint.
        graph: the IRI of the target named graph.
        paths: RDF files or folders (default: the bundled graph).
        method: ``gsp`` (SPARQL 1.1 Graph Store HTTP Protocol: ``PUT`` replaces, ``POST``
            appends; the body is N-Triples, sent as Turtle) or ``update`` (``INSERT DATA``
            in chunks, preceded by ``DROP SILENT GRAPH`` when replacing).
        replace: replace the graph's content (default) instead of adding to it.
        ontology: also push ``ontology/channelkg.ttl``.
        keyed: the keyed layout that makes ``--as-of`` a view on the server.
        user: HTTP user (default ``$CHANNELKG_SPARQL_USER``).
        password: HTTP password (default ``$CHANNELKG_SPARQL_PASSWORD``).
        auth: ``basic``, ``digest`` or ``auto``.
        chunk: triples per ``INSERT DATA`` request.
        timeout: seconds per request.
        progress: called with a line of text per request.

    Raises:
        InputError: a file has a syntax error (nothing is sent).
        RemoteError: the server refused a request.
    """
    if method not in ("gsp", "update"):
        raise InputError(f"unknown push method {method!r} (choose gsp or update)")
    if _IRI_BAD.search(graph) or ":" not in graph:
        raise InputError(f"not an IRI: {graph!r}")
    quads = _read_all(paths, ontology)
    say = progress or (lambda _m: None)
    client = SparqlClient(url, user=user, password=password, auth=auth, timeout=timeout)
    if keyed:  # the layout of channelkg.graph.remote_asof
        from channelkg.graph.remote_asof import push_keyed

        return PushReport(url, graph, method, len(quads), push_keyed(
            client, url, graph, quads, method=method, replace=replace, chunk=chunk, say=say))
    requests = 0
    if method == "gsp":
        target = gsp_target(url, graph)
        body = "".join(ntriples(quads)).encode("utf-8")
        say(f"{'PUT' if replace else 'POST'} {len(quads)} triples to {target}")
        client.request(target, method="PUT" if replace else "POST", data=body,
                       headers={"Content-Type": "text/turtle"})
        requests = 1
    else:
        g = f"<{graph}>"
        if replace:
            say(f"DROP SILENT GRAPH {g}")
            client.update(f"DROP SILENT GRAPH {g}", url)
            requests += 1
        requests += insert_chunks(client, url, graph, quads, chunk, say)
    return PushReport(url=url, graph=graph, method=method, triples=len(quads), requests=requests)


def gsp_target(url: str, graph: str) -> str:
    """The Graph Store Protocol address of ``graph`` at endpoint ``url`` (``?graph=IRI``)."""
    sep = "&" if urllib.parse.urlsplit(url).query else "?"
    return f"{url}{sep}{urllib.parse.urlencode({'graph': graph})}"


def insert_chunks(client: SparqlClient, url: str, graph: str | None, quads: Sequence[Any],
                  chunk: int, say: Callable[[str], None]) -> int:
    """``INSERT DATA`` of ``quads`` into ``graph`` (``None``: the server's default graph),
    ``chunk`` triples a request (see :func:`chunks`); return the number of requests."""
    requests = 0
    for part in chunks(quads, chunk):
        body = "".join(ntriples(part))
        say(f"INSERT DATA: {len(part)} triples into "
            + (f"<{graph}>" if graph else "the default graph") + f" at {url}")
        client.update(f"INSERT DATA {{ GRAPH <{graph}> {{\n{body}}} }}" if graph
                      else f"INSERT DATA {{\n{body}}}", url)
        requests += 1
    return requests


def insert_data(
    update_url: str,
    triples: Iterable[tuple[Any, Any, Any]],
    graph: str | None = None,
    *,
    user: str | None = None,
    password: str | None = None,
    auth: str = "auto",
    chunk: int = 2000,
    timeout: float = 120.0,
    progress: Progress | None = None,
) -> int:
    """Send rdflib triples to a SPARQL UPDATE endpoint as ``INSERT DATA``.

    Terms are written as N-Triples (escaped by pyoxigraph). Up to ``chunk`` triples
    go in one request (triples with blank nodes all in the last one, see
    :func:`chunks`), into ``GRAPH <graph>`` when ``graph`` is given, else into the
    server's default graph.

    Returns:
        The number of requests sent.

    Raises:
        InputError: ``graph`` is not an IRI (nothing is sent).
        RemoteError: the server refused a request.
    """
    import pyoxigraph as ox

    from channelkg.rdf.terms import to_oxigraph

    if graph is not None and (_IRI_BAD.search(graph) or ":" not in graph):
        raise InputError(f"not an IRI: {graph!r}")
    quads = [ox.Triple(to_oxigraph(s), to_oxigraph(p), to_oxigraph(o))  # type: ignore[arg-type]
             for s, p, o in triples]
    client = SparqlClient(update_url, update_url=update_url, user=user, password=password,
                          auth=auth, timeout=timeout)
    say = progress or (lambda _m: None)
    return insert_chunks(client, update_url, graph, quads, chunk, say)


__all__ = [
    "ENGINE",
    "PushReport",
    "RemoteError",
    "RemoteKnowledgeGraph",
    "SparqlClient",
    "gsp_target",
    "insert_chunks",
    "insert_data",
    "open_oxigraph",
    "open_sparql",
    "open_store",
    "push",
    "query_form",
    "run_remote",
]
