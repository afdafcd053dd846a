"""The click-free core of the command line: option values to a graph, the ``query``
command's body, and how a library error ends a command.

The click commands (:mod:`channelkg.cli.main`) and the entry point's own path for
``channelkg query NAME`` (:mod:`channelkg.cli.entry`) both run these functions, so a
command line gives the same output, messages and exit code whichever path takes it.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping

from channelkg.errors import ChannelKGError, CheckFailedError

TYPE_CHECKING = False  # typing is not imported at run time
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any

#: Seconds a query may run by default (``--timeout``).
DEFAULT_TIMEOUT = 60.0
#: The message of a command stopped by Ctrl-C, and its exit code.
INTERRUPTED = ("interrupted (Ctrl-C); nothing was written", 130)


def split_params(values: tuple[str, ...] | list[str]) -> dict[str, str]:
    """Turn ``NAME=VALUE`` strings into a dict; raise :class:`ValueError` (the message
    names the value) for one without ``=``."""
    out: dict[str, str] = {}
    for v in values:
        if "=" not in v:
            raise ValueError(f"{v!r} is not NAME=VALUE")
        k, val = v.split("=", 1)
        out[k.strip()] = val
    return out


def graph_spec(
    data: tuple[Path, ...] = (),
    engine: str = "oxigraph",
    store: str | None = None,
    as_of: str | None = None,
    reason: str = "none",
    no_ontology: bool = False,
    **_: Any,
) -> Any:
    """The :class:`~channelkg.graph.open.GraphSpec` of the graph options' values."""
    from channelkg.graph.open import GraphSpec

    day = None
    if as_of is not None:  # datetime is imported only for a date
        from channelkg.model.dates import parse_date

        day = parse_date(as_of, "--as-of")
    return GraphSpec(data=tuple(data), store=store, engine=engine, as_of=day, reason=reason,
                     ontology=not no_ontology)


def open_graph(**options: Any) -> Any:
    """Open the graph the graph options select, with the library's ``open_graph``."""
    from channelkg.graph.open import open_graph as open_spec

    return open_spec(graph_spec(**options))


def query_command(query_spec: str, raw: Mapping[str, str], fmt: str, *,
                  allow_service: bool = False, output: Path | None = None,
                  graph: Mapping[str, Any] | None = None) -> None:
    """``channelkg query``: run QUERY with ``--param`` values ``raw`` and print the answer.

    Raises:
        ChannelKGError: as the library does; an empty answer to a parameter value that
            matches nothing names the value; an ASK answered false raises a
            :class:`CheckFailedError` without a message (the answer is printed).
    """
    from channelkg.cli.output import emit, is_stdio, read_stdin_text
    from channelkg.sparql.query import query as run_query

    graph = dict(graph or {})
    if is_stdio(query_spec):
        query_spec = read_stdin_text()
    kg = open_graph(**graph)
    result = run_query(kg, query_spec, raw, allow_service=allow_service, native=True)
    empty = (not result.rows if result.kind == "SELECT"
             else result.kind == "GRAPH" and result.graph is not None and len(result.graph) == 0)
    if raw and empty:
        from channelkg.errors import QueryError
        from channelkg.sparql.query import unmatched_param

        # Check against the whole graph: under --as-of a value may exist but not yet.
        full = open_graph(**{**graph, "as_of": None}) if graph.get("as_of") else kg
        why = unmatched_param(full, query_spec, raw)
        if why:
            raise QueryError(f"empty result: {why}")
    if fmt == "table" and result.kind == "SELECT":
        from channelkg.cli.terminal import render_table
        from channelkg.rdf.terms import display
        from channelkg.render.tables import Table

        cells = [[display(t).replace("\n", " ") for t in row] for row in result.rows]
        emit(render_table(Table.of(result.vars, cells), fmt, output), output)
    else:
        from channelkg.render.results import render

        emit(render(result, fmt), output)
    if result.kind == "ASK" and not result.boolean:
        raise CheckFailedError()  # "false" is the answer already printed


def failure(err: ChannelKGError) -> tuple[str | None, int]:
    """The one line a library error ends a command with (``None``: nothing to add, the
    output said it), and the exit code."""
    if isinstance(err, CheckFailedError) and not str(err):
        return None, err.exit_code
    from channelkg.render.terminal import for_terminal

    # The message can quote the data: no control character reaches the terminal.
    return for_terminal(str(err)), err.exit_code


def run_command(call: Callable[[], object]) -> int:
    """Run a command as the click group does (rdflib's term logger quiet, a library error
    as ``Error: MESSAGE`` on standard error, Ctrl-C as exit 130) and return its exit code.

    A closed standard output (``| head``) ends it with exit 1 and no message, as click does.
    """
    from channelkg.cli.output import write
    from channelkg.rdf.quiet import quiet_rdflib

    message: str | None
    try:
        with quiet_rdflib():
            call()
        return 0
    except ChannelKGError as err:
        message, code = failure(err)
    except KeyboardInterrupt:
        message, code = INTERRUPTED
    except BrokenPipeError:
        import os

        # Nothing more can be written; the interpreter's last flush must not complain.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    if message is not None:
        write(f"Error: {message}", err=True)
    return code


__all__ = ["DEFAULT_TIMEOUT", "INTERRUPTED", "failure", "graph_spec", "open_graph",
           "query_command", "run_command", "split_params"]
