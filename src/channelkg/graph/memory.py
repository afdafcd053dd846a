"""Open a graph: parse RDF files (never fetching anything) into an engine.

Two engines hold the same triples:

* ``oxigraph`` (default): a pyoxigraph ``Store``; SPARQL runs natively in Rust.
* ``rdflib``: an in-memory ``rdflib.Graph``; SPARQL runs in rdflib's Python engine.

Every file is parsed by pyoxigraph whichever engine is chosen, so both engines
see exactly the same triples, syntax errors carry file, line and column, and no
parser can follow ``owl:imports`` or fetch a remote JSON-LD context.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, TypeVar

import pyoxigraph as ox
from rdflib import Graph

from channelkg import resources
from channelkg.errors import InputError
from channelkg.rdf.terms import to_oxigraph, to_rdflib

ENGINES = ("oxigraph", "rdflib")

T = TypeVar("T")

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
              suffix: str | None = None) -> T:
    """Open an RDF file and hand it to ``read``; errors become :class:`InputError`
    with file:line:col. ``suffix`` (e.g. ``.ttl``) overrides the file's own."""
    path = Path(path)
    if not path.exists():
        raise InputError("no such file", str(path))
    if path.is_dir():
        raise InputError("is a folder, not an RDF file", str(path))
    fmt = rdf_format(path.with_suffix(suffix) if suffix else path)
    try:
        with path.open("rb") as fh:
            return read(fh, fmt, path.resolve().as_uri())
    except SyntaxError as err:
        loc, msg = parse_error_location(path, err)
        raise InputError(f"syntax error: {msg}", loc) from None
    except (OSError, ValueError) as err:
        raise InputError(f"cannot read: {err}", str(path)) from None


def parse_file(path: Path, suffix: str | None = None) -> list[ox.Quad]:
    """Parse one RDF file into quads; raise :class:`InputError` with file:line:col.

    ``suffix`` (e.g. ``.ttl``) gives the syntax when the file's name does not. Quads in
    a named graph (TriG, N-Quads, JSON-LD) are refused, never silently put in the
    default graph: the graph name would be lost.
    """
    def read(fh: BinaryIO, fmt: ox.RdfFormat, base: str) -> list[ox.Quad]:
        quads = list(ox.parse(fh, format=fmt, base_iri=base))
        for i, q in enumerate(quads):
            if not isinstance(q.graph_name, ox.DefaultGraph):
                raise _named_graph_error(Path(path), fmt, i, q.graph_name)
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
        line = named_graph_block_line(data)
    label = name.value if isinstance(name, ox.NamedNode | ox.BlankNode) else str(name)
    shown = f"_:{label}" if isinstance(name, ox.BlankNode) else f"<{label}>"
    return InputError(
        f"holds quads in the named graph {shown}; only the default graph is read "
        "(give the triples without a graph name)",
        f"{path}:{line}" if line else str(path),
    )


def named_graph_block_line(text: str) -> int | None:
    """The line of the first labelled graph block (``label {`` or ``GRAPH label {``) in
    TriG ``text``, skipping strings, IRIs and comments; ``None`` if there is none."""
    i, n, line = 0, len(text), 1
    last: list[tuple[str, int]] = []  # the last three tokens: (kind or word, line)
    while i < n:
        c = text[i]
        start_line = line
        if c == "#":
            j = text.find("\n", i)
            i = n if j < 0 else j
            continue
        if c.isspace():
            line += c == "\n"
            i += 1
            continue
        if c in "\"'":
            quote = text[i : i + 3] if text.startswith(c * 3, i) else c
            j = i + len(quote)
            while j < n and not text.startswith(quote, j):
                j += 2 if text[j] == "\\" else 1
            line += text.count("\n", i, j)
            i = j + len(quote)
            kind = "literal"
        elif c == "<":
            j = text.find(">", i)
            i = n if j < 0 else j + 1
            kind = "label"
        elif c == "{":
            directive = any(k.lower() in ("prefix", "base", "@prefix", "@base")
                            for k, _ in last[-3:-1])
            if last and last[-1][0] == "label" and not directive:
                return last[-1][1]
            i, kind = i + 1, "{"
        else:
            j = i + 1
            while j < n and not text[j].isspace() and text[j] not in "{}<\"'#;,()[":
                j += 1
            word = text[i:j]
            i = j
            kind = "label" if word == "]" or (":" in word and not word.endswith(".")) else word
        last = [*last[-2:], (kind, start_line)]
    return None


@dataclass
class KnowledgeGraph:
    """A loaded graph: the files it came from and the engine that holds it."""

    engine: str
    files: tuple[Path, ...] = ()
    store: ox.Store | None = None
    graph: Graph | None = None
    meta: dict[str, object] = field(default_factory=dict)

    def __len__(self) -> int:
        if self.store is not None:
            return len(self.store)
        assert self.graph is not None
        return len(self.graph)

    def triples(self) -> Iterable[tuple[object, object, object]]:
        """Iterate over all triples as rdflib terms."""
        if self.graph is not None:
            yield from self.graph
            return
        assert self.store is not None
        for q in self.store.quads_for_pattern(None, None, None, ox.DefaultGraph()):
            yield to_rdflib(q.subject), to_rdflib(q.predicate), to_rdflib(q.object)

    def to_rdflib(self) -> Graph:
        """Return the graph as an rdflib ``Graph`` (a copy when the engine is oxigraph)."""
        if self.graph is not None:
            return self.graph
        g = new_rdflib_graph()
        for t in self.triples():
            g.add(t)  # type: ignore[arg-type]
        return g


def new_rdflib_graph() -> Graph:
    g = Graph()
    from channelkg.rdf.namespaces import PREFIXES

    for prefix, ns in PREFIXES.items():
        g.bind(prefix, ns, override=True)
    return g


def from_quads(quads: Iterable[ox.Quad], engine: str = "oxigraph") -> KnowledgeGraph:
    """Build a :class:`KnowledgeGraph` from quads (all put in the default graph)."""
    if engine not in ENGINES:
        raise InputError(f"unknown engine {engine!r} (choose from {', '.join(ENGINES)})")
    if engine == "oxigraph":
        store = ox.Store()
        store.bulk_extend(
            ox.Quad(q.subject, q.predicate, q.object, ox.DefaultGraph()) for q in quads
        )
        return KnowledgeGraph(engine=engine, store=store)
    g = new_rdflib_graph()
    for q in quads:
        g.add((to_rdflib(q.subject), to_rdflib(q.predicate), to_rdflib(q.object)))  # type: ignore[arg-type]
    return KnowledgeGraph(engine=engine, graph=g)


def from_rdflib(graph: Graph, engine: str = "oxigraph") -> KnowledgeGraph:
    """Wrap (oxigraph: copy) an rdflib graph as a :class:`KnowledgeGraph`."""
    if engine == "rdflib":
        return KnowledgeGraph(engine=engine, graph=graph)
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
        if onto.resolve() not in {f.resolve() for f in files}:
            files = [onto, *files]
    if engine == "oxigraph" and not any(Path(f).suffix.lower() in (".nq", ".trig") for f in files):
        # Fast path: pyoxigraph parses straight into the store (no Python object per
        # triple); same parser, same triples and the same file:line:col errors.
        store = ox.Store()
        for f in files:
            _bulk_load_file(store, Path(f))
        return KnowledgeGraph(engine=engine, files=tuple(files), store=store)
    quads: list[ox.Quad] = []
    for f in files:
        quads.extend(parse_file(f))
    kg = from_quads(quads, engine)
    kg.files = tuple(files)
    return kg


def _bulk_load_file(store: ox.Store, path: Path) -> None:
    """Parse one triples file into the store's default graph; errors as :func:`parse_file`."""
    _read_rdf(path, lambda fh, fmt, base: store.bulk_load(fh, format=fmt, base_iri=base))
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
