"""A read-only SPARQL 1.1 Protocol endpoint with a query page (``channelkg serve``).

* ``GET /sparql?query=…``, ``POST /sparql`` (form ``query=…`` or body of type
  ``application/sparql-query``): https://www.w3.org/TR/sparql11-protocol/.
  ``/`` answers queries the same way and shows the query page when there is none.
* Content negotiation (``Accept``, or ``format=json|xml|csv|tsv|turtle|nt|jsonld|rdfxml``):
  SELECT/ASK as SPARQL JSON, XML, CSV or TSV; CONSTRUCT/DESCRIBE as Turtle,
  N-Triples, JSON-LD or RDF/XML.
* Read-only: an ``update`` request, a ``application/sparql-update`` body or update
  text in ``query`` gets HTTP 403; ``SERVICE`` gets HTTP 403 too. A query that does not
  parse gets HTTP 400 with the parser's message.
* Limits: every query runs in a worker process that holds its own copy of the graph
  (files or a persistent store opened read-only). A query that runs past ``timeout``
  seconds has its worker killed and replaced (HTTP 503) - pyoxigraph cannot interrupt
  a query from another thread, a process can always be stopped. At most ``max_rows``
  rows (or triples) are returned; the header ``X-Channelkg-Truncated: true`` says when
  more were available.
* ``GET /queries.json`` lists the shipped named queries; ``GET /named/NAME?param=value``
  runs one with its parameters bound as RDF terms.

Starlette and uvicorn are imported inside the functions that build and run the app.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import queue
import re
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from typing import Any
from xml.sax.saxutils import escape as xml_escape

from channelkg import resources
from channelkg.errors import ChannelKGError, InputError, QueryError
from channelkg.graph.open import GraphSpec, open_graph

STATIC = resources.static_dir()
READ_ONLY_ENV = "CHANNELKG_STORE_READ_ONLY"
MAX_BODY = 1 << 20
_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"

# format key -> (media type, result kinds it fits)
FORMATS: dict[str, tuple[str, tuple[str, ...]]] = {
    "json": ("application/sparql-results+json", ("SELECT", "ASK")),
    "xml": ("application/sparql-results+xml", ("SELECT", "ASK")),
    "csv": ("text/csv", ("SELECT", "ASK")),
    "tsv": ("text/tab-separated-values", ("SELECT", "ASK")),
    "turtle": ("text/turtle", ("GRAPH",)),
    "nt": ("application/n-triples", ("GRAPH",)),
    "jsonld": ("application/ld+json", ("GRAPH",)),
    "rdfxml": ("application/rdf+xml", ("GRAPH",)),
}
_MEDIA = {
    "application/sparql-results+json": "json",
    "application/json": "json",
    "text/javascript": "json",
    "application/javascript": "json",
    "application/sparql-results+xml": "xml",
    "application/xml": "xml",
    "text/xml": "xml",
    "text/csv": "csv",
    "text/tab-separated-values": "tsv",
    "text/turtle": "turtle",
    "application/x-turtle": "turtle",
    "text/n3": "turtle",
    "text/rdf+n3": "turtle",
    "application/n-triples": "nt",
    "text/plain": "nt",
    "application/ld+json": "jsonld",
    "application/rdf+xml": "rdfxml",
}
# Every repetition starts with a keyword, so the match stays linear in the prologue's
# length (a long prologue of masked IRIs must not cause catastrophic backtracking).
_UPDATE = re.compile(
    r"^\s*(?:(?:PREFIX\s+[\w.-]*:|BASE)\s*)*"
    r"(INSERT|DELETE|LOAD|CLEAR|CREATE|DROP|COPY|MOVE|ADD|WITH)\b",
    re.IGNORECASE,
)


def is_update(text: str) -> bool:
    """True if the text is a SPARQL UPDATE request (after its prologue)."""
    from channelkg.graph.remote import mask

    return _UPDATE.match(mask(text)) is not None


def negotiate(kind: str, accept: str | None, fmt: str | None = None) -> str:
    """Pick the output format key for a result kind from ``format=`` or ``Accept``."""
    fits = [k for k, (_m, kinds) in FORMATS.items() if kind in kinds]
    if fmt:
        fmt = fmt.lower()
        fmt = _MEDIA.get(fmt, fmt)
        if fmt in fits:
            return fmt
    best, best_q = fits[0], -1.0
    for i, part in enumerate((accept or "").split(",")):
        media, *opts = [p.strip() for p in part.split(";")]
        q = 1.0
        for o in opts:
            if o.startswith("q="):
                try:
                    q = float(o[2:])
                except ValueError:
                    q = 0.0
        key = _MEDIA.get(media.lower())
        score = q - i * 1e-6
        if key in fits and score > best_q:
            best, best_q = key, score
    return best


# --------------------------------------------------------------------------- rendering


def _xml_term(term: Any) -> str:
    from rdflib import BNode, Literal, URIRef

    if isinstance(term, URIRef):
        return f"<uri>{xml_escape(str(term))}</uri>"
    if isinstance(term, BNode):
        return f"<bnode>{xml_escape(str(term))}</bnode>"
    assert isinstance(term, Literal)
    attrs = ""
    if term.language:
        attrs = f' xml:lang="{xml_escape(term.language)}"'
    elif term.datatype is not None and str(term.datatype) != _XSD_STRING:
        attrs = f' datatype="{xml_escape(str(term.datatype))}"'
    return f"<literal{attrs}>{xml_escape(str(term))}</literal>"


def results_xml(result: Any) -> str:
    """SPARQL Query Results XML Format (https://www.w3.org/TR/rdf-sparql-XMLres/)."""
    out = ['<?xml version="1.0"?>', '<sparql xmlns="http://www.w3.org/2005/sparql-results#">']
    if result.kind == "ASK":
        out += ["<head/>", f"<boolean>{'true' if result.boolean else 'false'}</boolean>"]
    else:
        out.append("<head>" + "".join(f'<variable name="{v}"/>' for v in result.vars) + "</head>")
        out.append("<results>")
        for row in result.rows:
            cells = "".join(
                f'<binding name="{v}">{_xml_term(t)}</binding>'
                for v, t in zip(result.vars, row, strict=True)
                if t is not None
            )
            out.append(f"<result>{cells}</result>")
        out.append("</results>")
    out.append("</sparql>")
    return "\n".join(out) + "\n"


def render(result: Any, fmt: str) -> bytes:
    """Render a :class:`~channelkg.query.QueryResult` in a format key of :data:`FORMATS`."""
    from channelkg.render import results as formats

    if fmt == "xml":
        return results_xml(result).encode("utf-8")
    if fmt == "rdfxml":
        data: bytes = result.graph.serialize(format="xml").encode("utf-8")
        return data
    if fmt == "jsonld":
        return formats.render(result, "json-ld").encode("utf-8")
    if fmt == "csv" and result.kind == "ASK":
        return b"_askResult\r\n" + (b"true" if result.boolean else b"false") + b"\r\n"
    if fmt == "tsv" and result.kind == "ASK":
        return b"?_askResult\n" + (b"true" if result.boolean else b"false") + b"\n"
    return formats.render(result, fmt).encode("utf-8")


# --------------------------------------------------------------------------- worker


@dataclass
class Job:
    """One request for a worker: SPARQL text or a named query, and the output format."""

    text: str | None = None
    name: str | None = None
    params: dict[str, str] = field(default_factory=dict)
    accept: str | None = None
    fmt: str | None = None
    max_rows: int = 10000


@dataclass
class Reply:
    """A worker's answer: HTTP status, media type, body and extra headers."""

    status: int
    media: str
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


def _error(status: int, message: str) -> Reply:
    return Reply(status, "text/plain; charset=utf-8", (message.rstrip() + "\n").encode("utf-8"))


def execute(kg: Any, job: Job) -> Reply:
    """Run one job on a loaded graph (in a worker process) and render the answer."""
    from channelkg.sparql.query import bind, bind_values, resolve, uses_service

    try:
        if job.name is not None:
            text, nq = resolve(job.name) if re.fullmatch(r"[\w.-]+", job.name) else ("", None)
            if nq is None:
                return _error(404, f"unknown named query {job.name!r}")
            bindings = bind(nq, job.params, kg)
        else:
            text, bindings = job.text or "", {}
        if is_update(text):
            return _error(403, "this endpoint is read-only: SPARQL UPDATE is refused")
        if uses_service(text):
            return _error(403, "SERVICE is refused: this endpoint does not contact other hosts")
        result = kg.run(bind_values(text, bindings), max_rows=job.max_rows)
    except QueryError as err:
        # Parameters are URL parameters here, not command-line options.
        return _error(400, re.sub(r"--param (\w+)=…", r"the URL parameter \1=…", str(err)))
    except ChannelKGError as err:
        return _error(502, str(err))
    fmt = negotiate(result.kind, job.accept, job.fmt)
    media = FORMATS[fmt][0]
    charset = "" if fmt in ("json", "jsonld") else "; charset=utf-8"
    headers = {}
    if result.meta.get("truncated"):
        headers["X-Channelkg-Truncated"] = "true"
    return Reply(200, media + charset, render(result, fmt), headers)


def _worker_main(conn: Any, graph: GraphSpec) -> None:
    """Worker process: load the graph once, then answer jobs until the pipe closes."""
    os.environ[READ_ONLY_ENV] = "1"
    try:
        kg = open_graph(graph)
        conn.send(("ready", None))
    except Exception as err:  # report every loading failure to the parent
        conn.send(("failed", str(err)))
        return
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError, KeyboardInterrupt):
            return
        try:  # a job with its own run(kg) (an entity page) answers itself
            reply = job.run(kg) if hasattr(job, "run") else execute(kg, job)
        except Exception as err:  # never let a worker die on one query
            reply = _error(500, f"internal error: {type(err).__name__}: {err}")
        try:
            conn.send(reply)
        except (OSError, ValueError):
            return


class _Worker:
    def __init__(self, ctx: Any, graph: GraphSpec) -> None:
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=_worker_main, args=(child, graph), daemon=True)
        self.proc.start()
        child.close()

    def wait_ready(self, timeout: float) -> None:
        if not self.conn.poll(timeout):
            self.stop()
            raise ChannelKGError(f"a query worker did not load the graph within {timeout:.0f} s")
        try:
            status, msg = self.conn.recv()
        except EOFError:
            raise ChannelKGError("a query worker exited while loading the graph") from None
        if status != "ready":
            self.stop()
            raise ChannelKGError(f"cannot load the graph: {msg}")

    def stop(self) -> None:
        if self.proc.is_alive():
            self.proc.kill()
        self.proc.join(5)
        self.conn.close()


class WorkerPool:
    """Worker processes that each hold the graph; a query past its deadline kills its worker.

    Args:
        graph: keyword arguments for :func:`channelkg.graph.open.open_graph`.
        size: number of worker processes (queries run in parallel up to this number).
        timeout: seconds a query may run.
        startup: seconds a worker may take to load the graph.
    """

    def __init__(self, graph: GraphSpec, size: int = 2, timeout: float = 10.0,
                 startup: float = 300.0) -> None:
        self.graph = graph
        self.size = max(1, size)
        self.timeout = timeout
        self.startup = startup
        self._ctx = mp.get_context("spawn")
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._all: set[_Worker] = set()
        self._lock = threading.Lock()
        self._closed = False

    def start(self) -> None:
        workers = [self._spawn() for _ in range(self.size)]
        try:
            for w in workers:
                w.wait_ready(self.startup)
        except ChannelKGError:
            self.close()
            raise
        for w in workers:
            self._idle.put(w)

    def _spawn(self) -> _Worker:
        w = _Worker(self._ctx, self.graph)
        with self._lock:
            self._all.add(w)
        return w

    def _discard(self, w: _Worker) -> None:
        w.stop()
        with self._lock:
            self._all.discard(w)

    def _replace(self) -> None:
        if self._closed:
            return
        w = self._spawn()
        try:
            w.wait_ready(self.startup)
        except ChannelKGError:
            self._discard(w)
            return
        self._idle.put(w)

    def call(self, job: Job) -> Reply:
        """Run a job on an idle worker (blocking); kill the worker at the deadline."""
        start = time.monotonic()
        try:
            w = self._idle.get(timeout=self.timeout)
        except queue.Empty:
            return _error(503, f"all {self.size} query workers are busy; try again")
        try:
            w.conn.send(job)
            remaining = max(0.01, self.timeout - (time.monotonic() - start))
            if w.conn.poll(remaining):
                reply: Reply = w.conn.recv()
                self._idle.put(w)
                return reply
        except (EOFError, OSError):
            pass
        else:
            self._discard(w)
            threading.Thread(target=self._replace, daemon=True).start()
            return _error(503, f"the query ran longer than {self.timeout:g} s and was stopped")
        self._discard(w)
        threading.Thread(target=self._replace, daemon=True).start()
        return _error(500, "the query worker stopped unexpectedly; it has been restarted")

    def close(self) -> None:
        self._closed = True
        with self._lock:
            workers = list(self._all)
            self._all.clear()
        for w in workers:
            w.stop()


# --------------------------------------------------------------------------- app


def named_queries_json() -> list[dict[str, Any]]:
    from channelkg.sparql.query import list_queries

    return [
        {
            "name": nq.name,
            "title": nq.title,
            "description": nq.description,
            "text": nq.text,
            "params": [
                {"name": p.name, "type": p.type, "description": p.description,
                 "default": p.default, "required": p.required}
                for p in nq.params
            ],
        }
        for nq in list_queries()
    ]


def create_app(pool: WorkerPool, *, max_rows: int = 10000, title: str = "channelkg") -> Any:
    """Build the Starlette application around a started :class:`WorkerPool`."""
    from starlette.applications import Starlette
    from starlette.concurrency import run_in_threadpool
    from starlette.requests import Request
    from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
    from starlette.routing import Mount, Route
    from starlette.staticfiles import StaticFiles

    index_html = (STATIC / "index.html").read_text(encoding="utf-8").replace(
        "{{title}}", xml_escape(title)
    )
    catalogue = named_queries_json()

    def refuse(status: int, msg: str) -> Response:
        return PlainTextResponse(msg + "\n", status_code=status)

    async def answer(job: Job) -> Response:
        reply = await run_in_threadpool(pool.call, job)
        return Response(reply.body, status_code=reply.status, media_type=reply.media,
                        headers=reply.headers)

    async def sparql(request: Request) -> Response:
        params = request.query_params
        text: str | None = params.get("query")
        fmt = params.get("format")
        if "update" in params:
            return refuse(403, "this endpoint is read-only: SPARQL UPDATE is refused")
        if request.method == "POST":
            if int(request.headers.get("content-length") or 0) > MAX_BODY:
                return refuse(413, f"request body larger than {MAX_BODY} bytes")
            ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
            if ctype == "application/x-www-form-urlencoded":
                # parsed here: Starlette's form parser needs an extra package
                raw = (await request.body()).decode("utf-8", "replace")
                form = dict(urllib.parse.parse_qsl(raw, keep_blank_values=True))
                if "update" in form:
                    return refuse(403, "this endpoint is read-only: SPARQL UPDATE is refused")
                text = form.get("query", text)
                fmt = form.get("format") or fmt
            elif ctype == "application/sparql-query":
                text = (await request.body()).decode("utf-8", "replace")
            elif ctype == "application/sparql-update":
                return refuse(403, "this endpoint is read-only: SPARQL UPDATE is refused")
            else:
                return refuse(415, "POST a form (query=…) or an application/sparql-query body")
        if text is None:
            if request.url.path == "/" and request.method == "GET":
                return HTMLResponse(index_html)
            return refuse(400, "missing the 'query' parameter")
        if "default-graph-uri" in params or "named-graph-uri" in params:
            return refuse(400, "default-graph-uri and named-graph-uri are not supported here")
        if is_update(text):
            return refuse(403, "this endpoint is read-only: SPARQL UPDATE is refused")
        return await answer(Job(text=text, accept=request.headers.get("accept"), fmt=fmt,
                                max_rows=max_rows))

    async def named(request: Request) -> Response:
        params = dict(request.query_params)
        fmt = params.pop("format", None)
        return await answer(Job(name=request.path_params["name"], params=params,
                                accept=request.headers.get("accept"), fmt=fmt,
                                max_rows=max_rows))

    async def queries(_request: Request) -> Response:
        return JSONResponse(catalogue)

    from channelkg.serve.explorer import routes as explorer_routes

    return Starlette(routes=[
        *explorer_routes(pool, title=title),  # /entity/…, /static/vendor/…
        Route("/", sparql, methods=["GET", "POST"]),
        Route("/sparql", sparql, methods=["GET", "POST"]),
        Route("/queries.json", queries),
        Route("/named/{name}", named),
        Route("/favicon.ico", lambda _request: Response(status_code=204)),
        Mount("/static", app=StaticFiles(directory=str(STATIC)), name="static"),
    ])


def prepare_graph(graph: GraphSpec) -> None:
    """Check the graph opens (and refresh a persistent store) before workers start."""
    kg = open_graph(graph)
    kg.close()
    del kg
    import gc

    gc.collect()


def listen_socket(host: str, port: int) -> Any:
    """A bound TCP socket for ``host:port`` (port 0: any free one).

    It is created with the protocol ``getaddrinfo`` names (TCP), so the server's
    event loop sets ``TCP_NODELAY`` on every connection (with protocol 0 it does
    not, and each keep-alive answer waits for the peer's delayed ACK).

    Raises:
        InputError: the address cannot be used (e.g. the port is taken).
    """
    import socket

    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)[0]
        sock = socket.socket(family, kind, proto)
    except OSError as err:
        raise InputError(f"cannot listen on {host}:{port}: {err.strerror or err}") from None
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind(address)
    except OSError as err:
        sock.close()
        raise InputError(f"cannot listen on {host}:{port}: {err.strerror or err}") from None
    return sock


def serve(
    graph: GraphSpec,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    timeout: float = 10.0,
    max_rows: int = 10000,
    workers: int = 2,
    announce: Any = None,
) -> None:
    """Load the graph into worker processes and serve it until interrupted.

    Args:
        graph: keyword arguments for :func:`channelkg.graph.open.open_graph` (files or store).
        host: interface to bind (default loopback only).
        port: TCP port.
        timeout: seconds a query may run before its worker is killed.
        max_rows: most rows (or triples) in an answer.
        workers: worker processes (parallel queries).
        announce: called with a line of text once the server is about to listen.
    """
    import uvicorn

    if timeout <= 0 or max_rows <= 0 or workers <= 0:
        raise ChannelKGError("--timeout, --max-rows and --workers must be positive")
    # Bind first, so that a port in use is a clear error before anything is loaded.
    sock = listen_socket(host, port)
    port = sock.getsockname()[1]
    shown = f"[{host}]" if ":" in host else host
    try:
        prepare_graph(graph)
        pool = WorkerPool(graph, size=workers, timeout=timeout)
        pool.start()
        try:
            app = create_app(pool, max_rows=max_rows)
            if announce:
                announce(f"serving SPARQL on http://{shown}:{port}/sparql (query page: "
                         f"http://{shown}:{port}/); timeout {timeout:g} s, at most {max_rows} rows")
            config = uvicorn.Config(app, host=host, port=port, log_level="warning",
                                    access_log=False, timeout_graceful_shutdown=5)
            uvicorn.Server(config).run(sockets=[sock])
        finally:
            pool.close()
    finally:
        sock.close()


__all__ = [
    "FORMATS",
    "Job",
    "Reply",
    "WorkerPool",
    "create_app",
    "execute",
    "is_update",
    "listen_socket",
    "negotiate",
    "render",
    "results_xml",
    "serve",
]
