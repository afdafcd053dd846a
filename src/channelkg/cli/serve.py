"""Commands of the scale-out area: ``load`` (persistent store), ``push`` (to a SPARQL
server) and ``serve`` (a read-only SPARQL endpoint)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from channelkg.cli.main import CONTEXT, cli, graph_options, graph_spec
from channelkg.cli.options import progress


@cli.command(context_settings=CONTEXT)
@click.argument("files", nargs=-1, type=click.Path(path_type=Path))
@click.option("--into", "into", required=True, metavar="oxigraph:PATH",
              help="The persistent store to build or update, e.g. oxigraph:kg.oxigraph.")
@click.option("--no-ontology", is_flag=True, help="Do not add ontology/channelkg.ttl.")
@click.option("--quiet", "-q", is_flag=True,
              help="No progress on stderr (progress is shown on a terminal only).")
def load(files: tuple[Path, ...], into: str, no_ontology: bool, quiet: bool) -> None:
    """Build or update a persistent Oxigraph store from FILES (default: the bundled graph).

    Each file goes into its own named graph; a manifest of sizes, times and SHA-256
    sums lets later loads (and every `--store oxigraph:PATH` read) reload only the
    files that changed. Files no longer listed are dropped from the store. On a
    terminal, each step and a running clock show on standard error (--quiet: nothing).

    \b
    Examples:
      channelkg load --into oxigraph:kg.oxigraph
      channelkg query seed-table --store oxigraph:kg.oxigraph
    """
    from channelkg.errors import InputError
    from channelkg.graph.disk import load_into

    kind, _, path = into.partition(":")
    if kind != "oxigraph" or not path:
        raise InputError(f"--into takes oxigraph:PATH, not {into!r}")
    from channelkg.cli.progress import progress_for

    bar = progress_for(quiet)
    why = None
    with bar.step(f"loading into {path}"):
        try:
            report = load_into(Path(path), list(files) or None, ontology=not no_ontology,
                               progress=bar)
        except OSError as err:  # a write the store needs failed: one line, files pending
            why = str(err)
            err.__traceback__ = None  # its frames hold the store open
    if why is not None:
        raise InputError(f"cannot load into {path}: {why} (the files not yet applied stay "
                         "pending; the next load or open applies them)")
    click.echo(report.summary())


@cli.command(context_settings=CONTEXT)
@click.argument("files", nargs=-1, type=click.Path(path_type=Path))
@click.option("--to", "url", required=True, metavar="URL",
              help="GSP endpoint (--method gsp) or SPARQL UPDATE endpoint (--method update).")
@click.option("--graph", "graph", required=True, metavar="IRI", help="Target named graph.")
@click.option("--method", type=click.Choice(["gsp", "update"]), default="gsp", show_default=True,
              help="SPARQL 1.1 Graph Store Protocol, or INSERT DATA requests.")
@click.option("--append", is_flag=True, help="Add to the graph instead of replacing it.")
@click.option("--user", envvar="CHANNELKG_SPARQL_USER",
              help="HTTP user [env CHANNELKG_SPARQL_USER].")
@click.option("--password", envvar="CHANNELKG_SPARQL_PASSWORD",
              help="HTTP password [env CHANNELKG_SPARQL_PASSWORD].")
@click.option("--auth", type=click.Choice(["auto", "basic", "digest"]), default="auto",
              show_default=True, help="HTTP authentication scheme.")
@click.option("--chunk", type=click.IntRange(1), default=2000, show_default=True,
              help="Triples per INSERT DATA request (--method update).")
@click.option("--no-ontology", is_flag=True, help="Do not add ontology/channelkg.ttl.")
@click.option("--keyed", is_flag=True,
              help="Place the triples of dated facts in graphs keyed by their validity "
                   "(GRAPH#valid=START/END, listed in GRAPH#index), so that --as-of on "
                   "sparql:URL?default-graph-uri=GRAPH is a view on the server, not a copy.")
@click.option("--quiet", "-q", is_flag=True,
              help="No progress on stderr (progress is shown on a terminal only).")
def push(files: tuple[Path, ...], url: str, graph: str, method: str, append: bool,
         user: str | None, password: str | None, auth: str, chunk: int, no_ontology: bool,
         keyed: bool, quiet: bool) -> None:
    """Upload FILES (default: the bundled graph and ontology) to a SPARQL 1.1 server.

    Every file is parsed (and checked) before anything is sent. By default the
    target graph is replaced (GSP PUT, or DROP SILENT GRAPH then INSERT DATA).

    \b
    Examples (Virtuoso, user dba):
      channelkg push --to http://127.0.0.1:8890/sparql-graph-crud-auth \\
          --graph https://w3id.org/channelkg/graph --user dba --password dba
      channelkg push --method update --to http://127.0.0.1:8890/sparql-auth \\
          --graph https://w3id.org/channelkg/graph --user dba
      channelkg push --keyed --to http://127.0.0.1:8890/sparql-graph-crud-auth \\
          --graph https://w3id.org/channelkg/graph --user dba --password dba
    """
    from channelkg.cli.progress import progress_for
    from channelkg.graph.remote import push as run_push

    bar = progress_for(quiet)
    with bar.step(f"pushing to {url}"):
        report = run_push(url, graph, list(files) or None, method=method, replace=not append,
                          ontology=not no_ontology, keyed=keyed, user=user, password=password,
                          auth=auth, chunk=chunk, progress=bar)
    click.echo(f"pushed {report.triples} triples to <{report.graph}> at {report.url} "
               f"({report.method}, {report.requests} request{'s' if report.requests != 1 else ''})")


@cli.command(context_settings=CONTEXT)
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Interface to listen on (0.0.0.0 exposes the endpoint to the network; "
              "then give the names clients use with --allow-host).")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True,
              help="TCP port to listen on.")
@click.option("--timeout", type=click.FloatRange(min=0.1), default=10.0, show_default=True,
              help="Seconds a query may run; its worker process is then killed (HTTP 503). "
              "A request waits at most three times as long for a worker.")
@click.option("--max-rows", type=click.IntRange(1), default=10000, show_default=True,
              help="Most rows (or triples) returned by one query.")
@click.option("--workers", type=click.IntRange(1, 64), default=2, show_default=True,
              help="Worker processes, each with a copy of the graph (queries run at once).")
@click.option("--queue", type=click.IntRange(0), default=64, show_default=True,
              help="Most requests waiting for a worker; more get HTTP 503 at once.")
@click.option("--cors", "cors", multiple=True, metavar="ORIGIN",
              help="Let web pages of ORIGIN (e.g. http://127.0.0.1:3000; '*': any) read "
              "answers: preflight and Access-Control-* headers. Repeatable. Default: off.")
@click.option("--allow-host", "allow_hosts", multiple=True, metavar="NAME",
              help="Also answer requests whose Host header is NAME ('*': any). Default: "
              "only localhost, 127.0.0.1, ::1 and the --host address (DNS rebinding guard). "
              "Repeatable.")
@click.option("--max-body", type=click.IntRange(1), default=1 << 20, show_default=True,
              metavar="BYTES", help="Most bytes in a request body, chunked or not (HTTP 413).")
@click.option("--max-connections", type=click.IntRange(1), default=256, show_default=True,
              help="Most open connections; more are answered 503 and closed.")
@click.option("--header-timeout", type=click.FloatRange(min=0.1), default=10.0,
              show_default=True, metavar="SECONDS",
              help="Seconds a client has to send a whole request (headers and body).")
@click.option("--idle-timeout", type=click.FloatRange(min=0.1), default=5.0,
              show_default=True, metavar="SECONDS",
              help="Seconds an idle (new or keep-alive) connection stays open.")
@click.option("--graph", "graphs", multiple=True, metavar="IRI=FILE",
              help="Also serve FILE as the named graph IRI (for FROM, GRAPH and the "
              "protocol's default-graph-uri/named-graph-uri). Repeatable; file data only.")
@graph_options
def serve(host: str, port: int, timeout: float, max_rows: int, workers: int, queue: int,
          cors: tuple[str, ...], allow_hosts: tuple[str, ...], max_body: int,
          max_connections: int, header_timeout: float, idle_timeout: float,
          graphs: tuple[str, ...], **graph: Any) -> None:
    """Serve the graph as a read-only SPARQL 1.1 endpoint with a query page.

    GET/POST /sparql (SPARQL 1.1 Protocol, default-graph-uri and named-graph-uri
    included; JSON, XML, CSV, TSV, Turtle, N-Triples, JSON-LD by Accept header or
    ?format=), the query page at /, the named queries at /queries.json and
    /named/NAME?param=value. UPDATE and SERVICE are refused (403), a bad query gets 400.
    Every answer carries Content-Security-Policy, nosniff, frame and referrer headers.

    \b
    Examples:
      channelkg serve
      channelkg serve --store oxigraph:kg.oxigraph --port 8080 --timeout 5
      channelkg serve --cors http://127.0.0.1:3000
      channelkg serve --host 0.0.0.0 --allow-host kg.example.org
      curl -H 'Accept: text/csv' --data-urlencode 'query=SELECT * WHERE {?s ?p ?o} LIMIT 5' \\
          http://127.0.0.1:8000/sparql
    """
    from channelkg.errors import InputError
    from channelkg.serve.app import Options
    from channelkg.serve.app import serve as run_serve
    from channelkg.serve.transport import Limits

    named = []
    for item in graphs:
        iri, sep, path = item.partition("=")
        if not sep or not iri or not path:
            raise InputError(f"--graph takes IRI=FILE, not {item!r}")
        named.append((iri, Path(path)))
    options = Options(host=host, port=port, timeout=timeout, max_rows=max_rows,
                      workers=workers, queue=queue, max_body=max_body, cors=cors,
                      allow_hosts=allow_hosts,
                      limits=Limits(max_connections, header_timeout, idle_timeout))
    run_serve(graph_spec(**graph), options=options, named=tuple(named), announce=progress)
