"""Run SPARQL on a loaded graph: inline text, ``.rq`` files or shipped named queries.

Named queries are ``src/channelkg/queries/*.rq`` files whose header comment
declares a title, a description and parameters::

    # title: Access routes into a market
    # description: Every route by which a model reaches the market, with its sources.
    # param: market (string, default "CN"): ISO 3166 code of the market
    # param: model (iri, optional): a model or model family, e.g. kgid:gpt
    # view: table

``# view:`` (optional: ``table``, ``graph``, ``timeline`` or ``chart``) is the view the
query page of ``channelkg serve`` shows the answer in by default.

Parameters are converted to RDF terms of the declared type and bound by a
``VALUES`` block of escaped terms (see :func:`bind_values`): a value can never
change the structure of the query, and every engine (Oxigraph, rdflib, a remote
SPARQL 1.1 server) sees the same query.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from functools import cache, lru_cache
from pathlib import Path

from channelkg import resources
from channelkg.errors import InputError, QueryError
from channelkg.graph.base import CACHED_QUERY_TEXT, KnowledgeGraph, QueryResult
from channelkg.rdf.namespaces import XSD_NS
from channelkg.rdf.terms import expand_iri, iri_term, literal_term, to_rdflib
from channelkg.record import Record
from channelkg.sparql.binding import (
    COMMENT_LINE,
    DEFAULT_BASE,
    bind_values,
    query_base,
    sparql_term,
    star_order,
    with_base,
)

TYPE_CHECKING = False  # typing is not imported at run time
if TYPE_CHECKING:
    from typing import Any, ClassVar

    from channelkg.model.resolve import NameIndex
    from channelkg.typevars import T

#: Parameter types whose values name a node of the graph: resolved by the one
#: resolver (:mod:`channelkg.model.resolve`), so ``market=cn``, ``Mainland China``,
#: ``中国大陆`` and ``kgid:mainland-china`` all bind the same IRI.
NODE_TYPES = ("market", "entity", "organization", "model", "service", "partnership",
              "restriction", "class")
PARAM_TYPES = ("string", "iri", "date", "integer", "boolean", *NODE_TYPES)

_HEADER = re.compile(r"^#\s*(title|description|param):\s*(.*)$")
_PARAM = re.compile(
    r"^(?P<name>[A-Za-z_][A-Za-z0-9_]*)\s*\((?P<type>\w+)"
    r"(?:\s*,\s*(?:(?P<optional>optional)|required|default\s+\"(?P<default>[^\"]*)\"))?\)"
    r"\s*:\s*(?P<desc>.*)$"
)


class Param(Record):
    """A declared query parameter (a frozen :class:`~channelkg.record.Record`)."""

    __slots__ = ("name", "type", "description", "default", "optional")
    FROZEN = True
    DEFAULTS: ClassVar[dict[str, Any]] = {"default": None, "optional": False}

    name: str
    type: str
    description: str
    default: str | None
    optional: bool

    def __init__(self, name: str, type: str, description: str,  # noqa: A002 (a field)
                 default: str | None = None, optional: bool = False) -> None:
        self.set(name=name, type=type, description=description, default=default,
                 optional=optional)

    @property
    def required(self) -> bool:
        return self.default is None and not self.optional


class NamedQuery(Record):
    """A shipped query with its header metadata (a frozen :class:`~channelkg.record.Record`)."""

    __slots__ = ("name", "title", "description", "params", "text", "path")
    FROZEN = True

    name: str
    title: str
    description: str
    params: tuple[Param, ...]
    text: str
    path: Path

    def __init__(self, name: str, title: str, description: str, params: tuple[Param, ...],
                 text: str, path: Path) -> None:
        self.set(name=name, title=title, description=description, params=params, text=text,
                 path=path)


def parse_header(path: Path, *, titled: bool = True) -> NamedQuery:
    """Read a named query and its header; raise :class:`QueryError` on a bad header.

    ``titled=False`` (a ``.rq`` file run by path) lets title and description be absent.
    """
    text = path.read_text(encoding="utf-8")
    title = description = ""
    params: list[Param] = []
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.startswith("#"):
            break
        m = _HEADER.match(line)
        if not m:
            continue
        key, value = m.group(1), m.group(2).strip()
        if key == "title":
            title = value
        elif key == "description":
            description = (description + " " + value).strip()
        else:
            pm = _PARAM.match(value)
            if not pm or pm.group("type") not in PARAM_TYPES:
                raise QueryError(f"{path}:{lineno}: bad param declaration {value!r}")
            params.append(
                Param(
                    name=pm.group("name"),
                    type=pm.group("type"),
                    description=pm.group("desc").strip(),
                    default=pm.group("default"),
                    optional=bool(pm.group("optional")),
                )
            )
    if titled and (not title or not description):
        raise QueryError(f"{path}: named query needs '# title:' and '# description:' lines")
    return NamedQuery(path.stem, title, description, tuple(params), text, path)


@cache
def _named_queries(folder: str) -> dict[str, NamedQuery]:
    return {p.stem: parse_header(p) for p in sorted(Path(folder).glob("*.rq"))}


def list_queries() -> list[NamedQuery]:
    """All shipped named queries, sorted by name."""
    return list(_named_queries(str(resources.queries_dir())).values())


_FOUND: dict[tuple[str, str], NamedQuery] = {}  # shipped queries read one by one


def _named_query(folder: str, name: str) -> NamedQuery | None:
    """The shipped query ``name`` (only its file read), kept once found: an unknown name
    is not kept, so a server asked for many names holds no more than the shipped ones."""
    found = _FOUND.get((folder, name))
    if found is None:
        path = Path(folder) / f"{name}.rq"
        if not (path.is_file() and path.stem == name):
            return None
        found = _FOUND[folder, name] = parse_header(path)
    return found


def get_query(name: str) -> NamedQuery:
    """Return a named query; raise :class:`QueryError` (with suggestions) if unknown."""
    folder = str(resources.queries_dir())
    found = _named_query(folder, name)
    if found is not None:
        return found
    queries = _named_queries(folder)
    if name in queries:
        return queries[name]
    import difflib

    close = difflib.get_close_matches(name, list(queries), n=3)
    hint = f" (did you mean {', '.join(close)}?)" if close else ""
    raise QueryError(f"unknown named query {name!r}{hint}; `channelkg queries` lists them")


def resolve(spec: str) -> tuple[str, NamedQuery | None]:
    """Turn the QUERY argument into SPARQL text: inline text, a file, or a query name."""
    stripped = spec.strip()
    if re.match(r"^[A-Za-z0-9_.-]+$", stripped) and not stripped.endswith((".rq", ".sparql")):
        return (nq := get_query(stripped)).text, nq
    if stripped.endswith((".rq", ".sparql")) and "\n" not in stripped and "{" not in stripped:
        path = Path(stripped)
        if not path.is_file():
            raise InputError("no such query file", str(path))
        from channelkg.rdf.fileio import read_text

        text = read_text(path)  # not UTF-8: one line naming the byte and its line
        if re.search(r"^#\s*param:", text, re.MULTILINE):  # typed like a named query
            return text, parse_header(path, titled=False)
        return text, None
    return spec, None


def convert_param(param: Param, raw: str) -> Any:
    """Convert a ``--param`` value to an RDF term of the declared type: a pyoxigraph term
    (an rdflib one for what pyoxigraph does not take, see :func:`iri_term`)."""
    try:
        if param.type == "iri":
            return iri_term(expand_iri(raw))
        if param.type == "date":
            from channelkg.model.dates import parse_date

            try:
                day = parse_date(raw, f"--param {param.name}")
            except InputError as err:
                raise QueryError(err.message) from None
            return literal_term(day.isoformat(), XSD_NS + "date")
        if param.type == "integer":
            return literal_term(str(int(raw)), XSD_NS + "integer")
        if param.type == "boolean":
            if raw.lower() not in ("true", "false"):
                raise ValueError("not true or false")
            return literal_term(raw.lower(), XSD_NS + "boolean")
        return literal_term(raw)
    except ValueError as err:
        raise QueryError(
            f"bad value {raw!r} for parameter {param.name!r} ({param.type}): {err}"
        ) from None


def bind(
    nq: NamedQuery | None, raw: Mapping[str, str], kg: KnowledgeGraph | None = None, *,
    native: bool = False,
) -> dict[str, Any]:
    """Check ``--param`` values against a named query's declaration and convert them.

    Without a named query (inline text or a file without ``# param:`` lines) every
    value is bound as a plain string literal unless written ``<iri>`` or ``prefix:local``.
    A value of a node type (``market``, ``model`` ...) is resolved against ``kg``; one
    that names no node of the kind binds as a literal, which matches nothing (see
    :func:`unmatched_param` for why).

    The values are rdflib terms; with ``native``, pyoxigraph terms where pyoxigraph takes
    them (for :func:`bind_values`, which writes either the same).
    """
    out = _bind(nq, raw, kg)
    return out if native else {k: to_rdflib(v) for k, v in out.items()}


def _bind(nq: NamedQuery | None, raw: Mapping[str, str], kg: KnowledgeGraph | None
          ) -> dict[str, Any]:
    if nq is None:
        out: dict[str, Any] = {}
        for k, v in raw.items():
            if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", k):
                raise QueryError(f"bad parameter name {k!r}")
            try:
                out[k] = iri_term(expand_iri(v)) if (v.startswith("<") or ":" in v) else (
                    literal_term(v))
            except ValueError as err:
                raise QueryError(f"parameter {k!r}: {err}") from None
        return out
    declared = {p.name: p for p in nq.params}
    unknown = sorted(set(raw) - set(declared))
    if unknown:
        names = ", ".join(declared) or "none"
        raise QueryError(
            f"unknown parameter {unknown[0]!r} for query {nq.name!r} (its parameters: {names})"
        )
    out = {}
    resolver = _Names(kg)
    for p in nq.params:
        value = raw.get(p.name, p.default)
        if value is not None and p.type in NODE_TYPES:
            out[p.name] = resolver.bind(p, value)
        elif value is not None:
            out[p.name] = convert_param(p, value)
        elif p.required:
            raise QueryError(f"query {nq.name!r} needs --param {p.name}=… ({p.description})")
    return out


class _Names:
    """The graph's name index, built on first use (one query), for node-typed values."""

    def __init__(self, kg: KnowledgeGraph | None) -> None:
        self.kg = kg
        self.index: NameIndex | None = None

    def resolve(self, param: Param, value: str) -> str:
        """The IRI of the node ``value`` names; raise :class:`InputError` (one line) if none."""
        from channelkg.model.resolve import NameIndex, resolve_iri

        if self.index is None:
            if self.kg is None:  # no graph to look names up in: IRIs and CURIEs only
                if not re.match(r"<|\w+:", value.strip()):
                    raise ValueError(f"{value!r} needs the graph to be resolved")
                return expand_iri(value)
            try:  # one small query for the candidates; the whole index only on a miss
                return resolve_iri(NameIndex.near(self.kg, value), value, param.type)
            except InputError:
                self.index = NameIndex.of(self.kg)
        return resolve_iri(self.index, value, param.type)

    def bind(self, param: Param, value: str) -> Any:
        """The node's IRI; a value naming no node binds as a literal (matches nothing).

        Raises:
            QueryError: the value is written as a CURIE with an unknown prefix.
        """
        try:
            return iri_term(self.resolve(param, value))
        except (InputError, ValueError):
            pass
        try:
            expand_iri(value)
        except ValueError as err:
            raise QueryError(f"bad value {value!r} for parameter {param.name!r} "
                             f"({param.type}): {err}") from None
        return literal_term(value)



_CODEPOINT = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")
# "service" that is not the tail of a prefixed name (":") or a variable ("?", "$"): only
# such text can be the SERVICE keyword, so only then is the query parsed to decide.
_MAYBE_SERVICE = re.compile(r"(?<![:?$])service", re.IGNORECASE)


def _codepoint(m: re.Match[str]) -> str:
    code = int(m.group(1) or m.group(2), 16)
    return chr(code) if code <= 0x10FFFF else "\ufffd"


def uses_service(text: str) -> bool:
    """True if the query has a ``SERVICE`` clause, or may have one that cannot be ruled out.

    Decided on the parsed query (rdflib's SPARQL parser), never on the text alone:
    ``\\u0053ERVICE``, a ``SERVICE`` after an escaped ``\\#`` or glued to the token
    before it are all found. A query that mentions ``service`` outside a prefixed name or
    a variable and does not parse is treated as using it (the check fails closed).

    The answer is kept for the last 256 texts of at most ``CACHED_QUERY_TEXT``
    characters: rdflib's parser takes 0.05-0.25 s a query, which a process running the
    same query again paid on every run (``run_checks`` parsed the two rules whose
    messages say "service" each time it ran); longer texts are decided afresh.
    """
    return (_uses_service(text) if len(text) <= CACHED_QUERY_TEXT
            else _uses_service.__wrapped__(text))


@lru_cache(maxsize=256)
def _uses_service(text: str) -> bool:
    """:func:`uses_service`, its answer kept for the text (``__wrapped__``: afresh)."""
    # A line that starts with "#" is a comment or inside a long string: never a keyword.
    # Engines that undo codepoint escapes first (as SPARQL says) and engines that do not
    # see different lines, so both readings are searched.
    plain = _CODEPOINT.sub(_codepoint, text)
    if not any(_MAYBE_SERVICE.search(COMMENT_LINE.sub("", t)) for t in (text, plain)):
        return False
    from pyparsing import ParseResults
    from rdflib.plugins.sparql.parser import parseQuery
    from rdflib.plugins.sparql.parserutils import CompValue

    def parse() -> object | None:
        # In the worker: the parser's exceptions hold (in a cycle) the stack they were
        # raised on, which must not be ours: it would keep the caller's graph (and an
        # open store) alive.
        try:
            return parseQuery(text)
        except Exception:  # any parse failure (or a too deep nesting)
            return None

    tree = time_limited(parse)
    if tree is None:  # does not parse: a SERVICE cannot be ruled out
        return True
    todo: list[object] = [tree]
    while todo:
        node = todo.pop()
        if isinstance(node, CompValue):
            if node.name == "ServiceGraphPattern":
                return True
            todo.extend(dict.values(node))
        elif isinstance(node, list | tuple | ParseResults):
            todo.extend(node)
    return False


def run(
    kg: KnowledgeGraph,
    text: str,
    bindings: Mapping[str, Any] | None = None,
    *,
    allow_service: bool = False,
    base: str | None = DEFAULT_BASE,
    native: bool = False,
) -> QueryResult:
    """Bind and run a SPARQL query on the graph's backend.

    ``base`` resolves the query's relative IRIs (see :func:`query_base`; ``None``: none,
    a relative IRI is then an error). ``native``: rows in the backend's own terms
    (:meth:`KnowledgeGraph.run_native`).

    Raises:
        QueryError: syntax error, or a ``SERVICE`` clause without ``allow_service``.
    """
    from channelkg.graph.memory import check_query

    check_query(text)  # before any parser: a deep enough nesting exhausts the stack
    if not allow_service and uses_service(text):
        raise QueryError(
            "the query uses SERVICE, which would contact another host; "
            "pass --allow-service to permit it"
        )
    bound = bind_values(text, dict(bindings or {}))
    full = with_base(bound, base)
    try:
        runner = kg.run_native if native else kg.run
        return star_order(text, time_limited(lambda: runner(full)))
    except QueryError as err:
        shift = len(full) - len(bound)  # report columns of line 1 as the user wrote them
        message = str(err)
        if shift:
            def back(m: re.Match[str]) -> str:
                return m[1] + str(max(0 if "char" in m[1] else 1, int(m[2]) - shift))

            message = re.sub(r"(at 1:|at char |line:1, col:)(\d+)", back, message)
        raise QueryError(" ".join(message.split())) from None


QUERY_TIMEOUT: ContextVar[float | None] = ContextVar("channelkg_query_timeout", default=None)
"""Seconds a query may run (``None`` or 0: no limit); the CLI sets it from ``--timeout``."""


def time_limited(call: Callable[[], T], timeout: float | None = None) -> T:
    """Run ``call`` (a query) in a worker thread; give up after ``timeout`` seconds.

    Engines evaluate in native code that never sees Python signals, so the query runs in
    a daemon thread while this thread waits: Ctrl-C (``KeyboardInterrupt``) and the time
    limit end the wait at once, and the abandoned query ends with the process.
    ``timeout`` defaults to :data:`QUERY_TIMEOUT`.

    Raises:
        QueryError: the query ran longer than the limit.
    """
    import _thread  # not threading: the command line's start-up does without it

    limit = QUERY_TIMEOUT.get() if timeout is None else timeout
    box: dict[str, Any] = {}
    done = _thread.allocate_lock()
    done.acquire()
    todo = [call]
    del call

    def work() -> None:
        task = todo.pop()
        try:
            box["value"] = task()
        except BaseException as err:  # handed to the waiting thread
            box["error"] = err
        finally:
            # Nothing of the call (its graph, an open store) outlives the wait in this thread.
            del task
            done.release()

    _thread.start_new_thread(work, ())  # ends with the process if abandoned (a daemon)
    # The wait ends at once on Ctrl-C (KeyboardInterrupt), as a thread's join does.
    # 0 or None: no limit; a negative limit has run out already (it gives up at once).
    if not done.acquire(True, max(limit, 0.0) if limit else -1):
        raise QueryError(f"the query ran longer than the time limit ({limit:g} s) and was "
                         "abandoned; narrow it, or give a larger --timeout (0: no limit)")
    if "error" in box:
        error = box.pop("error")
        try:
            raise error
        finally:
            del error  # no cycle (error -> traceback -> this frame -> error) to keep a store open
    return box.pop("value")  # type: ignore[no-any-return]


def unmatched_param(kg: KnowledgeGraph, spec: str, raw: Mapping[str, str]) -> str | None:
    """Why a query's ``--param`` value can match nothing, or ``None``.

    For an ``iri`` parameter: the IRI is nowhere in the graph. For a node-typed
    parameter (``market``, ``model`` ...): the resolver's one-line error, with close
    matches of the kind. Meant for an empty answer, to tell a typo from a true "none".
    """
    _, nq = resolve(spec)
    if nq is None:
        return None
    declared = {p.name: p for p in nq.params}
    names = _Names(kg)
    for name, value in raw.items():
        p = declared.get(name)
        if p is None:
            continue
        if p.type == "iri":
            node = convert_param(p, value)
            found = run(kg, "ASK { { ?x ?p ?o } UNION { ?s ?p ?x } }", {"x": node})
            if not found.boolean:
                return f"--param {name}={value}: {value} is not in the graph"
        elif p.type in NODE_TYPES:
            try:
                names.resolve(p, value)
            except InputError as err:
                return f"--param {name}={value}: {err.message}"
    return None


def query(
    kg: KnowledgeGraph,
    spec: str,
    params: Mapping[str, str] | None = None,
    *,
    allow_service: bool = False,
    native: bool = False,
) -> QueryResult:
    """Resolve QUERY (inline SPARQL, a ``.rq`` file or a named query), bind, and run it.

    ``native``: the rows in the backend's own terms (see :func:`run`)."""
    text, nq = resolve(spec)
    return run(kg, text, bind(nq, params or {}, kg, native=native),
               allow_service=allow_service, base=query_base(spec), native=native)


__all__ = [
    "NamedQuery",
    "Param",
    "QueryResult",
    "bind",
    "bind_values",
    "get_query",
    "list_queries",
    "query",
    "query_base",
    "with_base",
    "sparql_term",
    "resolve",
    "unmatched_param",
    "run",
    "time_limited",
    "uses_service",
]
