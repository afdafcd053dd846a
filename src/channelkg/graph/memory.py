"""The ``memory`` backend: parse RDF files (never fetching anything) into an engine.

Two engines hold the same triples:

* ``oxigraph`` (default): a pyoxigraph ``Store``; SPARQL runs natively in Rust.
* ``rdflib``: an in-memory ``rdflib.Graph``; SPARQL runs in rdflib's Python engine.

Every file is parsed by pyoxigraph whichever engine is chosen, so both engines
see exactly the same triples, syntax errors carry file, line and column, and no
parser can follow ``owl:imports`` or fetch a remote JSON-LD context.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path

import pyoxigraph as ox

from channelkg import resources
from channelkg.errors import InputError, QueryError
from channelkg.graph.base import KnowledgeGraph, QueryResult, Triple, new_rdflib_graph, truncate
from channelkg.rdf.quiet import quiet_rdflib
from channelkg.rdf.terms import add_triples, to_oxigraph, to_rdflib

TYPE_CHECKING = False  # typing is not imported at run time
if TYPE_CHECKING:
    from typing import Any, BinaryIO

    from rdflib import Graph

    from channelkg.typevars import T

ENGINES = ("oxigraph", "rdflib")

FORMATS: dict[str, ox.RdfFormat] = {
    ".ttl": ox.RdfFormat.TURTLE,
    ".turtle": ox.RdfFormat.TURTLE,
    ".nt": ox.RdfFormat.N_TRIPLES,
    ".n3": ox.RdfFormat.N3,
    ".nq": ox.RdfFormat.N_QUADS,
    ".trig": ox.RdfFormat.TRIG,
    ".jsonld": ox.RdfFormat.JSON_LD,
    ".json": ox.RdfFormat.JSON_LD,
    ".rdf": ox.RdfFormat.RDF_XML,
    ".owl": ox.RdfFormat.RDF_XML,
    ".xml": ox.RdfFormat.RDF_XML,
}


def rdf_format(path: Path) -> ox.RdfFormat:
    """Return the RDF syntax of a file from its extension."""
    try:
        return FORMATS[path.suffix.lower()]
    except KeyError:
        raise InputError(
            f"unknown RDF file type {path.suffix!r} (known: {', '.join(sorted(FORMATS))})",
            str(path),
        ) from None


def parse_error_location(path: Path, err: SyntaxError) -> tuple[str, str]:
    """Split a pyoxigraph syntax error into ``file:line:col`` and a message."""
    msg = str(err.msg if hasattr(err, "msg") else err)
    line, col = getattr(err, "lineno", None), getattr(err, "offset", None)
    # pyoxigraph: "Parser error at line 4 between columns 6 and 11: The prefix ..."
    if ": " in msg and msg.startswith("Parser error at"):
        msg = msg.split(": ", 1)[1]
    loc = str(path)
    if line:
        loc += f":{line}"
        if col:
            loc += f":{col}"
    return loc, msg


def _read_rdf(path: Path, read: Callable[[BinaryIO, ox.RdfFormat, str], T],
              suffix: str | None = None, real: Path | None = None) -> T:
    """Open an RDF file and hand it to ``read``; errors become :class:`InputError`
    with file:line:col. ``suffix`` (e.g. ``.ttl``) overrides the file's own; ``real``:
    the file's resolved path, if known (its ``file:`` URI is the base IRI)."""
    path = Path(path)
    if not path.exists():
        raise InputError("no such file", str(path))
    if path.is_dir():
        raise InputError("is a folder, not an RDF file", str(path))
    fmt = rdf_format(path.with_suffix(suffix) if suffix else path)
    try:
        with path.open("rb") as fh:
            check_input(fh, fmt, str(path))
            return read(fh, fmt, (real or path.resolve()).as_uri())
    except SyntaxError as err:
        loc, msg = parse_error_location(path, err)
        raise InputError(f"syntax error: {msg}", loc) from None
    except MemoryError:
        raise InputError(TERM_TOO_LONG, str(path)) from None
    except (OSError, ValueError) as err:
        raise InputError(f"cannot read: {err}", str(path)) from None


def real_paths(paths: Iterable[Path]) -> list[Path]:
    """``path.resolve()`` of each path (absolute, every symbolic link followed), each
    folder resolved once: files of one folder share their folder's resolution."""
    folders: dict[str, Path] = {}
    out = []
    for path in map(Path, paths):
        if path.name in ("", ".", "..") or os.path.islink(path):
            out.append(path.resolve())
            continue
        folder = str(path.parent)
        if folder not in folders:
            folders[folder] = Path(folder).resolve()
        out.append(folders[folder] / path.name)
    return out


#: A literal or IRI beyond the parser's buffer (:data:`channelkg.rdf.limits.TERM_LIMIT`).
TERM_TOO_LONG = "holds a literal or IRI longer than 16 MiB (the RDF parser's limit)"

_BOM = b"\xef\xbb\xbf"


def check_input(fh: BinaryIO, fmt: ox.RdfFormat, name: str) -> None:
    """Check an open RDF file against :mod:`channelkg.rdf.limits` before it is parsed, and
    leave it positioned after a UTF-8 byte order mark (accepted and skipped).

    Raises:
        InputError: too large a file, or RDF/XML entities that would expand without bound.
    """
    from channelkg.rdf.limits import RDF_FILE, check_size, check_xml_entities, check_xml_nesting

    fh.seek(0, 2)
    check_size(fh.tell(), RDF_FILE, name)
    fh.seek(0)
    if fmt == ox.RdfFormat.RDF_XML:
        data = fh.read()
        check_xml_entities(data, name)
        check_xml_nesting(data, name)
        fh.seek(0)
    elif fh.read(3) != _BOM:
        fh.seek(0)


def parse_file(path: Path, suffix: str | None = None) -> list[ox.Quad]:
    """Parse one RDF file into quads; raise :class:`InputError` with file:line:col.

    ``suffix`` (e.g. ``.ttl``) gives the syntax when the file's name does not. Quads in
    a named graph (TriG, N-Quads, JSON-LD) are refused, never silently put in the
    default graph: the graph name would be lost.
    """
    def read(fh: BinaryIO, fmt: ox.RdfFormat, base: str) -> list[ox.Quad]:
        from channelkg.rdf.limits import check_blank_depth

        quads = list(ox.parse(fh, format=fmt, base_iri=base))
        for i, q in enumerate(quads):
            if not isinstance(q.graph_name, ox.DefaultGraph):
                raise _named_graph_error(Path(path), fmt, i, q.graph_name)
        # Whoever reads these triples into objects (validate, add, import) may nest as deep.
        rest = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#rest")
        check_blank_depth(((q.subject, q.predicate, q.object) for q in quads), str(path),
                          ox.BlankNode, rest)
        return quads

    return _read_rdf(path, read, suffix)


def count_triples(path: Path) -> int:
    """Parse a file without keeping it (a syntax check); return its number of triples.

    Raises:
        InputError: as :func:`parse_file` (syntax error, a quad in a named graph).
    """
    def read(fh: BinaryIO, fmt: ox.RdfFormat, base: str) -> int:
        n = 0
        for q in ox.parse(fh, format=fmt, base_iri=base):
            if not isinstance(q.graph_name, ox.DefaultGraph):
                raise _named_graph_error(Path(path), fmt, n, q.graph_name)
            n += 1
        return n

    return _read_rdf(path, read)


def typed_literals(path: Path) -> set[ox.Literal]:
    """The distinct literals of a file with a datatype other than ``xsd:string`` (numbers,
    booleans, dates …), as written (an Oxigraph store writes some in canonical form).

    Raises:
        InputError: as :func:`parse_file`.
    """
    plain = (ox.NamedNode("http://www.w3.org/2001/XMLSchema#string"),
             ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"))

    def read(fh: BinaryIO, fmt: ox.RdfFormat, base: str) -> set[ox.Literal]:
        return {o for q in ox.parse(fh, format=fmt, base_iri=base)
                if type(o := q.object) is ox.Literal and o.datatype not in plain}

    return _read_rdf(path, read)


def _named_graph_error(path: Path, fmt: ox.RdfFormat, index: int, name: object) -> InputError:
    """The error for the ``index``-th quad of a file, which is in the named graph ``name``."""
    line = None
    try:
        data = path.read_bytes().decode("utf-8", errors="replace")
    except OSError:
        data = ""
    if fmt == ox.RdfFormat.N_QUADS:
        statements = (n for n, text in enumerate(data.splitlines(), 1)
                      if text.strip() and not text.lstrip().startswith("#"))
        line = next((n for k, n in enumerate(statements) if k == index), None)
    elif fmt == ox.RdfFormat.TRIG:
        from channelkg.rdf.trig import named_graph_block_line

        line = named_graph_block_line(data)
    label = name.value if isinstance(name, ox.NamedNode | ox.BlankNode) else str(name)
    shown = f"_:{label}" if isinstance(name, ox.BlankNode) else f"<{label}>"
    return InputError(
        f"holds quads in the named graph {shown}; only the default graph is read "
        "(give the triples without a graph name)",
        f"{path}:{line}" if line else str(path),
    )


class OxigraphGraph(KnowledgeGraph):
    """The ``memory`` backend: an in-memory pyoxigraph ``Store``; SPARQL runs in Rust.

    Triples about dated facts sit in keyed named graphs (see
    :mod:`channelkg.graph.validity`); queries see the union of all graphs.
    """

    engine = "oxigraph"
    writable = True
    #: Dated triples sit in graphs keyed by their dates (``--as-of`` is a query, no copy).
    keyed_by_dates = True

    def __init__(self, store: ox.Store, files: tuple[Path, ...] = (), *,
                 keyed: bool = True) -> None:
        super().__init__(files)
        self.store = store
        #: False until the dated triples sit in their keyed graphs: loading leaves that to
        #: the first ``--as-of`` view (:meth:`ensure_keyed`), so a plain load stays a bulk load.
        self.keyed = keyed

    def ensure_keyed(self, max_intervals: int | None = None) -> bool:
        """Move dated triples into the graphs keyed by their dates, once.

        With ``max_intervals``, nothing moves when the dated facts have more distinct
        validity intervals than that (a view would then copy anyway). Returns whether the
        store is keyed.
        """
        if not self.keyed:
            from channelkg.graph.validity import partition, store_dates

            spans = {d.interval() for d in store_dates(self.store).values()}
            if max_intervals is not None and len(spans) > max_intervals:
                return False
            partition(self.store)
            self.keyed = True
        return True

    #: Whether a query's default graph is the union of the store's graphs (else the
    #: store's default graph only); :meth:`run` and :meth:`run_native` both follow it.
    union_default = True

    def run(self, text: str, *, max_rows: int | None = None,
            default_graph: list[Any] | None = None) -> QueryResult:
        """Run SPARQL on the store (see :attr:`union_default`, or ``default_graph``)."""
        return query_store(self.store, text, union=self.union_default and default_graph is None,
                           default_graph=default_graph, max_rows=max_rows)

    def run_native(self, text: str, *, max_rows: int | None = None) -> QueryResult:
        """:meth:`run` with pyoxigraph terms in the rows (CONSTRUCT: an rdflib graph),
        over the same dataset; a subclass that overrides :meth:`run` alone gets its
        :meth:`run` here."""
        if type(self).run is not OxigraphGraph.run:
            return self.run(text, max_rows=max_rows)
        return query_store(self.store, text, union=self.union_default, max_rows=max_rows,
                           native=True)

    def ox_triples(self, s: Any = None, p: Any = None, o: Any = None) -> Iterator[Any]:
        """The triples of every graph of the store (each triple sits in one)."""
        pattern = [None if t is None else to_oxigraph(t) for t in (s, p, o)]
        for q in self.store.quads_for_pattern(*pattern, None):  # type: ignore[arg-type,call-arg]
            yield q.subject, q.predicate, q.object

    def triples(self, s: Any = None, p: Any = None, o: Any = None) -> Iterator[Triple]:
        with quiet_rdflib():
            for ts, tp, to in self.ox_triples(s, p, o):
                yield to_rdflib(ts), to_rdflib(tp), to_rdflib(to)

    def __len__(self) -> int:
        return len(self.store)


class RdflibGraph(KnowledgeGraph):
    """The ``rdflib`` engine: an in-memory ``rdflib.Graph``; SPARQL runs in Python."""

    engine = "rdflib"
    writable = True

    def __init__(self, graph: Graph, files: tuple[Path, ...] = ()) -> None:
        super().__init__(files)
        self.graph = graph

    def run(self, text: str, *, max_rows: int | None = None) -> QueryResult:
        return truncate(query_rdflib(self.graph, text), max_rows)

    def triples(self, s: Any = None, p: Any = None, o: Any = None) -> Iterator[Triple]:
        yield from self.graph.triples((s, p, o))

    def __len__(self) -> int:
        return len(self.graph)

    def to_rdflib(self) -> Graph:
        return self.graph


def query_store(
    store: ox.Store,
    text: str,
    *,
    union: bool = False,
    default_graph: list[Any] | None = None,
    named_graphs: list[Any] | None = None,
    max_rows: int | None = None,
    native: bool = False,
) -> QueryResult:
    """Run SPARQL on a pyoxigraph store; rows beyond ``max_rows`` are never converted.

    Args:
        store: the store.
        text: the query (parameters already bound).
        union: query the union of all graphs as the default graph.
        default_graph: the graphs whose union is the default graph (overrides ``union``).
        named_graphs: the named graphs the query may see (default: all of them).
        max_rows: keep at most this many rows (or triples); ``meta["truncated"]``
            says whether more were available.
        native: leave the rows' terms pyoxigraph's (no rdflib term is made).

    Raises:
        QueryError: a syntax error or a failing query, or one nested too deep.
    """
    check_query(text)
    try:
        if default_graph is not None:
            res = store.query(text, default_graph=default_graph, named_graphs=named_graphs)
        else:
            res = store.query(text, use_default_graph_as_union=union)
    except SyntaxError as err:
        raise QueryError(f"SPARQL syntax error: {err}") from None
    except (OSError, ValueError, RuntimeError) as err:
        raise QueryError(f"query failed: {err}") from None
    unsupported: tuple[Any, ...] = ()
    try:
        with quiet_rdflib():
            return _convert(res, max_rows, native)
    except InputError as err:  # a triple term: drop the results here, in their thread
        unsupported = err.args
    except (OSError, ValueError, RuntimeError) as err:
        raise QueryError(f"query failed: {err}") from None
    del res
    raise InputError(*unsupported)


def check_query(text: str) -> None:
    """Refuse a query nested deeper than :data:`channelkg.rdf.limits.NESTING` before an
    engine sees it (their parsers recurse: a deep enough query exhausts the stack).

    Raises:
        QueryError: too deep (the message names the line).
    """
    from channelkg.rdf.limits import NESTING, nesting_depth

    limit = NESTING.bound()
    if text.count("(") + text.count("[") + text.count("{") > limit:
        depth, line = nesting_depth(text, limit)
        if depth > limit:
            raise QueryError(NESTING.exceeded(
                f"the query nests brackets {depth:,} deep (passing the limit on line {line})"))


def _convert(res: Any, max_rows: int | None, native: bool = False) -> QueryResult:
    truncated = False
    if isinstance(res, ox.QueryBoolean):
        return QueryResult("ASK", boolean=bool(res))
    if isinstance(res, ox.QuerySolutions):
        names = tuple(v.value for v in res.variables)
        seen: dict[object, Any] = {}  # terms repeat across rows: convert each once

        def conv(term: Any) -> Any:
            if native:
                return term
            out = seen.get(term)
            if out is None:
                out = seen[term] = to_rdflib(term)
            return out

        rows: list[tuple[Any, ...]] = []
        for sol in res:
            if max_rows is not None and len(rows) >= max_rows:
                truncated = True
                break
            rows.append(tuple(conv(sol[i]) for i in range(len(names))))
        return QueryResult("SELECT", vars=names, rows=tuple(rows),
                           meta={"truncated": truncated})
    g = new_rdflib_graph()
    for t in res:
        if max_rows is not None and len(g) >= max_rows:
            truncated = True
            break
        g.add((to_rdflib(t.subject), to_rdflib(t.predicate), to_rdflib(t.object)))  # type: ignore[arg-type]
    return QueryResult("GRAPH", graph=g, meta={"truncated": truncated})


def query_rdflib(graph: Graph, text: str) -> QueryResult:
    """Run SPARQL on an rdflib graph with rdflib's engine.

    Raises:
        QueryError: a syntax error or a failing query.
    """
    from pyparsing import ParseException

    from channelkg.graph.base import prepared_query

    check_query(text)
    try:
        with quiet_rdflib():
            res = graph.query(prepared_query(text, graph))
    except ParseException as err:
        raise QueryError(f"SPARQL syntax error: {err}") from None
    except Exception as err:  # rdflib raises many exception types from evaluation
        raise QueryError(f"query failed: {err}") from None
    if res.type == "ASK":
        return QueryResult("ASK", boolean=bool(res.askAnswer))
    if res.type == "SELECT":
        names = tuple(str(v) for v in (res.vars or []))
        rows = tuple(tuple(row[i] for i in range(len(names))) for row in res)  # type: ignore[index]
        return QueryResult("SELECT", vars=names, rows=rows)
    from rdflib import BNode, URIRef

    g = new_rdflib_graph()
    assert res.graph is not None
    for t in res.graph:
        # SPARQL 1.1 §16.2: a template triple that is not valid RDF (a literal as subject,
        # a non-IRI predicate) is left out of the answer, as Oxigraph's engine does.
        if isinstance(t[0], URIRef | BNode) and isinstance(t[1], URIRef):
            g.add(t)
    return QueryResult("GRAPH", graph=g)


def from_quads(quads: Iterable[ox.Quad], engine: str = "oxigraph") -> KnowledgeGraph:
    """Build a graph from quads (all put in the default graph)."""
    if engine not in ENGINES:
        raise InputError(f"unknown engine {engine!r} (choose from {', '.join(ENGINES)})")
    if engine == "oxigraph":
        store = ox.Store()
        store.bulk_extend(
            ox.Quad(q.subject, q.predicate, q.object, ox.DefaultGraph()) for q in quads
        )
        return OxigraphGraph(store, keyed=False)
    g = new_rdflib_graph()
    with quiet_rdflib():
        add_triples(g, quads)
    return RdflibGraph(g)


def from_rdflib(graph: Graph, engine: str = "oxigraph") -> KnowledgeGraph:
    """Wrap (oxigraph: copy) an rdflib graph as a :class:`KnowledgeGraph`."""
    if engine == "rdflib":
        return RdflibGraph(graph)
    quads = (
        ox.Quad(to_oxigraph(s), to_oxigraph(p), to_oxigraph(o), ox.DefaultGraph())  # type: ignore[arg-type]
        for s, p, o in graph
    )
    return from_quads(quads, engine)


def load(
    paths: Sequence[Path | str] | None = None,
    *,
    engine: str = "oxigraph",
    ontology: bool = True,
) -> KnowledgeGraph:
    """Load RDF files (default: the curated graph) plus the ontology into an engine.

    Args:
        paths: RDF files or folders (every ``*.ttl`` inside); ``None`` loads ``graphs/*.ttl``.
        engine: ``"oxigraph"`` (default) or ``"rdflib"``.
        ontology: also load ``ontology/channelkg.ttl`` (class labels, subclasses, styling).

    Raises:
        InputError: a file is missing, of unknown type, or has a syntax error.
    """
    files = expand_paths(paths)
    if ontology:
        onto = resources.ontology_file()
        reals = real_paths([onto, *files])
        if reals[0] not in reals[1:]:
            files = [onto, *files]
        else:
            reals = reals[1:]
    else:
        reals = real_paths(files)
    if engine not in ENGINES:
        raise InputError(f"unknown engine {engine!r} (choose from {', '.join(ENGINES)})")
    if engine == "oxigraph" and not any(Path(f).suffix.lower() in (".nq", ".trig") for f in files):
        # Fast path: pyoxigraph parses straight into the store (no Python object per
        # triple); same parser, same triples and the same file:line:col errors.
        store = ox.Store()
        for f, real in zip(files, reals, strict=True):
            _bulk_load_file(store, Path(f), real)
        return OxigraphGraph(store, tuple(files), keyed=False)
    quads: list[ox.Quad] = []
    for f in files:
        quads.extend(parse_file(f))
    kg = from_quads(quads, engine)
    kg.files = tuple(files)
    return kg


def open_memory(location: str = "", *, data: Sequence[Path | str] = (),
                engine: str = "oxigraph", ontology: bool = True, **_: Any) -> KnowledgeGraph:
    """The ``memory`` backend (registered as ``memory``): files parsed into memory.

    ``location`` (``memory:FILE``) is one more file or folder to read.
    """
    paths = [*data, *([location] if location else [])]
    return load(paths or None, engine=engine, ontology=ontology)


#: Files up to this size are read by one transactional ``Store.load`` (in memory); larger
#: ones by the bulk loader, which streams. For the bundled graph's small files the
#: transactional load costs less (no loader start-up per file): see
#: benchmarks/results/startup.md.
BULK_FROM = 4 * (1 << 20)


def _bulk_load_file(store: ox.Store, path: Path, real: Path | None = None) -> None:
    """Parse one triples file into the store's default graph; errors as :func:`parse_file`."""
    def read(fh: BinaryIO, fmt: ox.RdfFormat, base: str) -> None:
        start = fh.tell()  # after a byte order mark (check_input)
        size = fh.seek(0, 2) - start
        fh.seek(start)
        if size > BULK_FROM:
            store.bulk_load(fh, format=fmt, base_iri=base)
        else:
            store.load(fh.read(), format=fmt, base_iri=base)

    _read_rdf(path, read, real=real)
    if next(iter(store.named_graphs()), None) is not None:
        # A JSON-LD file with named graphs: refuse it as parse_file does (with its place).
        parse_file(path)
        raise InputError("holds quads in a named graph; only the default graph is read",
                         str(path))


def expand_paths(paths: Sequence[Path | str] | None) -> list[Path]:
    """Expand folders into their RDF files; ``None`` means the curated graph."""
    if paths is None or len(paths) == 0:
        return resources.default_data_files()
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            found = sorted(f for f in p.iterdir() if f.suffix.lower() in FORMATS)
            if not found:
                raise InputError("folder holds no RDF files", str(p))
            out.extend(found)
        else:
            out.append(p)
    return out


__all__ = [
    "ENGINES",
    "FORMATS",
    "TERM_TOO_LONG",
    "check_input",
    "check_query",
    "KnowledgeGraph",
    "OxigraphGraph",
    "RdflibGraph",
    "expand_paths",
    "from_quads",
    "from_rdflib",
    "load",
    "open_memory",
    "new_rdflib_graph",
    "parse_error_location",
    "parse_file",
    "query_rdflib",
    "query_store",
    "rdf_format",
]
