"""A read-only SPARQL 1.1 Protocol endpoint with a query page (``channelkg serve``).

* ``GET /sparql?query=…``, ``POST /sparql`` (form ``query=…`` or body of type
  ``application/sparql-query``), ``default-graph-uri``/``named-graph-uri``: the SPARQL
  1.1 Protocol (https://www.w3.org/TR/sparql11-protocol/), see
  :mod:`channelkg.serve.protocol`. ``/`` answers queries the same way and shows the
  query page when there is none.
* Content negotiation (``Accept``, or ``format=json|xml|csv|tsv|turtle|nt|jsonld|rdfxml``):
  see :mod:`channelkg.serve.results`.
* Read-only: an update gets HTTP 403, and so does ``SERVICE``. A query that does not
  parse gets HTTP 400 with the parser's message.
* Limits: queries run in worker processes with a time limit, a row limit and a bounded
  wait (:mod:`channelkg.serve.workers`); a query a worker answered fast is then answered
  in the server process (:mod:`channelkg.serve.cheap`), and a plain GET of one straight
  from the request's bytes (:mod:`channelkg.serve.direct`); connections are capped and slow
  or idle clients dropped (:mod:`channelkg.serve.transport`); the Host header is
  checked, bodies are bounded, CORS is off unless asked for, and every answer carries
  security headers (:mod:`channelkg.serve.guard`).
* ``GET /queries.json`` lists the shipped named queries; ``GET /named/NAME?param=value``
  runs one with its parameters bound as RDF terms.

Routes are listed in :func:`routes`; other pages add theirs there. Starlette and uvicorn
are imported inside the functions that build and run the app.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape as xml_escape

from channelkg import resources
from channelkg.errors import ChannelKGError, InputError
from channelkg.graph.open import GraphSpec, open_graph
from channelkg.serve.cheap import Known, plain_oxigraph
from channelkg.serve.direct import Direct
from channelkg.serve.guard import MAX_BODY, Guard, Policy
from channelkg.serve.protocol import Refusal, is_update, read_query
from channelkg.serve.results import FORMATS, negotiate, render, results_xml
from channelkg.serve.transport import Limits, RateLimit, protocol_class
from channelkg.serve.workers import Job, Reply, Served, WorkerPool, add_named_graphs, execute

STATIC = resources.static_dir()


@dataclass(frozen=True)
class Options:
    """How ``channelkg serve`` runs; every field is a ``serve`` option of the same name.

    Attributes:
        host: interface to bind (default loopback only).
        port: TCP port (0: any free one).
        timeout: seconds a query may run before its worker is killed (HTTP 503).
        max_rows: most rows (or triples) in an answer.
        workers: worker processes (queries that run at once).
        queue: most requests waiting for a worker (more: HTTP 503 at once).
        max_body: most bytes in a request body (more: HTTP 413).
        cors: origins allowed to read answers from a browser (``*``: any); none: CORS off.
        allow_hosts: more names the ``Host`` header may give (``*``: any).
        limits: connection cap, header and idle timeouts.
    """

    host: str = "127.0.0.1"
    port: int = 8000
    timeout: float = 10.0
    max_rows: int = 10000
    workers: int = 2
    queue: int = 64
    max_body: int = MAX_BODY
    cors: tuple[str, ...] = ()
    allow_hosts: tuple[str, ...] = ()
    limits: Limits = field(default_factory=Limits)

    def policy(self) -> Policy:
        return Policy.build(self.host, self.allow_hosts, self.cors, self.max_body)


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


def routes(pool: WorkerPool, *, max_rows: int = 10000, title: str = "channelkg",
           known: Known | None = None) -> list[Any]:
    """The application's routes: the SPARQL endpoint, the query page, the named queries.

    With ``known``, queries known to be cheap are answered in the server process
    (:mod:`channelkg.serve.cheap`).
    """
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
        reply = await (pool.acall(job) if known is None else known.answer(pool, job))
        return Response(reply.body, status_code=reply.status, media_type=reply.media,
                        headers=reply.headers)

    def description(request: Request, fmt: str | None) -> Response:
        from channelkg.serve.description import describe

        media, body = describe(str(request.url.replace(query="")),
                               request.headers.get("accept"), fmt)
        return Response(body, media_type=media, headers={"Vary": "Accept"})

    async def sparql(request: Request) -> Response:
        req = await read_query(request, request.scope.get("query_string", b""))
        if isinstance(req, Refusal):
            return refuse(req.status, req.message)
        if req.text is None:
            if request.method in ("GET", "HEAD"):
                if request.url.path == "/":
                    return HTMLResponse(index_html)
                return description(request, req.fmt)
            return refuse(400, "missing the 'query' parameter")
        if is_update(req.text):
            return refuse(403, "this endpoint is read-only: SPARQL UPDATE is refused")
        return await answer(Job(text=req.text, accept=request.headers.get("accept"),
                                fmt=req.fmt, max_rows=max_rows, base=req.base,
                                default_graphs=req.default_graphs,
                                named_graphs=req.named_graphs))

    async def named(request: Request) -> Response:
        params = dict(request.query_params)
        fmt = params.pop("format", None)
        return await answer(Job(name=request.path_params["name"], params=params,
                                accept=request.headers.get("accept"), fmt=fmt,
                                max_rows=max_rows))

    async def queries(_request: Request) -> Response:
        return JSONResponse(catalogue)

    from channelkg.serve.explorer import routes as explorer_routes

    return [
        *explorer_routes(pool, title=title),  # /entity/…, /static/vendor/…
        Route("/", sparql, methods=["GET", "POST"]),
        Route("/sparql", sparql, methods=["GET", "POST"]),
        Route("/queries.json", queries),
        Route("/named/{name}", named),
        Route("/favicon.ico", lambda _request: Response(status_code=204)),
        Mount("/static", app=StaticFiles(directory=str(STATIC)), name="static"),
    ]


def create_app(pool: WorkerPool, *, max_rows: int = 10000, title: str = "channelkg",
               policy: Policy | None = None, known: Known | None = None) -> Any:
    """Build the application around a started :class:`WorkerPool`, behind its
    :class:`~channelkg.serve.guard.Guard` (default policy: loopback hosts, no CORS);
    ``known``: see :func:`routes`."""
    from starlette.applications import Starlette

    app = Starlette(routes=routes(pool, max_rows=max_rows, title=title, known=known))
    return Guard(app, policy or Policy())


def prepare_graph(graph: GraphSpec, named: tuple[tuple[str, Path], ...] = ()) -> Any:
    """Check the graph opens (and refresh a persistent store) before workers start.

    Returns the graph the server process keeps for known cheap queries
    (:mod:`channelkg.serve.cheap`): file data on Oxigraph as loaded, an ``oxigraph:``
    store opened again read-only; None for any other graph.
    """
    import gc
    from dataclasses import replace

    kg: Any = open_graph(graph)
    add_named_graphs(kg, named)
    plain = plain_oxigraph(kg)
    if plain and not graph.store:
        return kg
    kg.close()
    del kg
    gc.collect()
    if not plain:
        return None
    kept = open_graph(replace(graph, read_only=True))
    if plain_oxigraph(kept):
        return kept
    kept.close()
    return None


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


def _check(opts: Options) -> None:
    lim = opts.limits
    if min(opts.timeout, opts.max_rows, opts.workers, opts.max_body, lim.max_connections,
           lim.header_timeout, lim.idle_timeout) <= 0 or opts.queue < 0:
        raise ChannelKGError("--timeout, --max-rows, --workers, --max-body, "
                             "--max-connections and the timeouts must be positive")
    for origin in opts.cors:
        if origin != "*" and not origin.startswith(("http://", "https://")):
            raise InputError(f"--cors {origin!r}: give an origin such as "
                             "http://127.0.0.1:3000, or '*'")


def _announce(opts: Options, shown: str, port: int) -> str:
    cors = ", ".join(opts.cors) if opts.cors else "off"
    return (f"serving SPARQL on http://{shown}:{port}/sparql (query page: "
            f"http://{shown}:{port}/); timeout {opts.timeout:g} s, at most "
            f"{opts.max_rows} rows; CORS {cors}")


def serve(graph: GraphSpec, *, options: Options | None = None,
          named: tuple[tuple[str, Path], ...] = (), announce: Any = None,
          **legacy: Any) -> None:
    """Load the graph into worker processes and serve it until interrupted.

    Args:
        graph: keyword arguments for :func:`channelkg.graph.open.open_graph` (files or store).
        options: see :class:`Options` (keyword arguments of the same names work too).
        named: (graph IRI, file) pairs served as named graphs.
        announce: called with a line of text once the server is about to listen.
    """
    import logging

    import uvicorn

    opts = options or Options(**legacy)
    _check(opts)
    # Bind first, so that a port in use is a clear error before anything is loaded.
    sock = listen_socket(opts.host, opts.port)
    port = sock.getsockname()[1]
    shown = f"[{opts.host}]" if ":" in opts.host else opts.host
    try:
        kept = prepare_graph(graph, named)
        known = None if kept is None else Known(kept, opts.timeout)
        pool = WorkerPool(Served(graph, named), size=opts.workers, timeout=opts.timeout,
                          queue=opts.queue)
        pool.start()
        try:
            app = create_app(pool, max_rows=opts.max_rows, policy=opts.policy(), known=known)
            if announce:
                announce(_announce(opts, shown, port))
            logging.getLogger("uvicorn.error").addFilter(RateLimit())
            direct = None if known is None else Direct(known, opts.policy(), opts.max_rows)
            config = uvicorn.Config(app, host=opts.host, port=port, log_level="warning",
                                    access_log=False, timeout_graceful_shutdown=5,
                                    http=protocol_class(opts.limits, direct),
                                    server_header=False,
                                    timeout_keep_alive=max(1, round(opts.limits.idle_timeout)))
            uvicorn.Server(config).run(sockets=[sock])
        finally:
            pool.close()
            if known is not None:
                known.close()
    finally:
        sock.close()


__all__ = [
    "FORMATS",
    "Job",
    "Options",
    "Reply",
    "WorkerPool",
    "create_app",
    "execute",
    "is_update",
    "listen_socket",
    "negotiate",
    "render",
    "results_xml",
    "routes",
    "serve",
]
