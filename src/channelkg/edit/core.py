"""Add facts to the curated graph: from options, YAML, CSV, Turtle or JSON-LD.

Every addition goes through the same steps, under a file lock held from the
first read to the last write (so that concurrent ``add``/``import`` processes
lose nothing):

1. read the graph (``graphs/*.ttl`` or the given files, plus the target file),
   each file parsed once (:func:`channelkg.edit.build.load_context`);
2. turn each fact into triples (:mod:`channelkg.edit.build`): the fields, their
   types and which are required come from the SHACL shapes
   (:mod:`channelkg.edit.fields`); references, vocabulary values, dates and
   booleans are resolved, and a readable IRI is minted;
3. refuse duplicates (:mod:`channelkg.edit.duplicates`), or skip them when asked;
4. check the graph plus the new triples (known ``ckg:`` terms, literals, one SHACL
   run on the nodes the new triples touch) and refuse on any *new* problem;
5. write the target file atomically in canonical Turtle, or, for a SPARQL server
   (:class:`RemoteTarget`), send the new triples in one SPARQL 1.1 ``INSERT DATA``
   (:mod:`channelkg.edit.target`).

On any problem nothing is written and :class:`EditError` lists every one with its
location (``file:row N`` / ``file:line N`` and field).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path

from rdflib import BNode, Graph, URIRef
from rdflib.namespace import RDF
from rdflib.term import Node

from channelkg import resources
from channelkg.check.problems import LineIndex, Problem
from channelkg.edit.build import IRI_TEMPLATES, Builder, Context, load_context, slugify
from channelkg.edit.duplicates import KEY_FIELDS, find_duplicate, free_iri
from channelkg.edit.fields import KINDS, Field, fields_of
from channelkg.edit.records import (
    STDIN,
    EditError,
    Problems,
    Record,
    read_csv,
    read_text,
    read_yaml,
    record_from_mapping,
)
from channelkg.edit.target import AddResult, RemoteTarget, default_target, session
from channelkg.errors import InputError
from channelkg.rdf.namespaces import KGID
from channelkg.rdf.terms import display, shorten

Progress = Callable[[str], None]


def new_problems(ctx: Context, extra: Graph, source: Path | None = None) -> list[Problem]:
    """The problems the new triples bring to the graph read in ``ctx``.

    Literals and ``ckg:`` terms are checked in the triples ``extra`` adds (no file is
    parsed again); SHACL runs once, on the nodes the new triples touch.
    Problems the graph had before are not the new facts' fault and do not block them:
    a SHACL result on a node that existed before counts only when the new triples
    describe that node or are its offending value. ``source``: the file the new
    triples come from, to name the line of each problem in it.
    """
    from channelkg.check.validate import graph_problems

    index = LineIndex([], always=[source] if source is not None else [])
    added = new_rdflib_graph_of(t for t in extra if t not in ctx.graph)
    # Only the added triples can bring an ill-typed literal or a new unknown term.
    static = graph_problems(added, ctx.ontology, index, resources.ontology_file().name)
    out = [p for p in static if not (p.kind == "term" and _used_in(ctx.graph, p.node))]
    subjects = {s for s, _, _ in extra}
    touched = {s for g in (ctx.graph, extra) for n in subjects for s in g.subjects(None, n)}
    literal = {(p.focus, p.path) for p in static if p.kind == "literal"}
    for p in _shacl_on(ctx, extra, subjects | touched, index):
        if (p.focus, p.path) in literal:
            continue  # an ill-typed literal is already reported as such
        if _caused_by(ctx, extra, p, subjects):
            out.append(p)
    return out


def new_rdflib_graph_of(triples: Iterable[tuple[Node, Node, Node]]) -> Graph:
    """A new rdflib graph (the project's prefixes bound) holding ``triples``."""
    from channelkg.graph.memory import new_rdflib_graph

    out = new_rdflib_graph()
    for t in triples:
        out.add(t)
    return out


def _shacl_on(ctx: Context, extra: Graph, nodes: set[Node], index: LineIndex) -> list[Problem]:
    """SHACL on ``nodes`` of the graph plus ``extra``: the compiled queries on the nodes'
    neighbourhood (a small store), so the cost does not grow with the graph; with
    shapes whose paths reach further, pySHACL on a copy of the whole graph."""
    from channelkg.check.engine import neighbourhood, simple_paths, store_shacl
    from channelkg.check.shacl import run_shacl
    from channelkg.graph.memory import from_rdflib

    if not simple_paths(ctx.shapes):
        data = new_rdflib_graph_of(t for g in (ctx.graph, extra) for t in g)
        return run_shacl(data, ctx.shapes, ctx.ontology, index.node, nodes)
    kg = from_rdflib(neighbourhood([ctx.graph, extra], nodes))
    return store_shacl(lambda text: kg.run(text).rows, ctx.shapes, ctx.ontology, index.node,
                       nodes)


def _used_in(graph: Graph, node: Node | None) -> bool:
    """Whether ``node`` appears in ``graph`` in any position."""
    return node is not None and any(
        pattern in graph for pattern in ((node, None, None), (None, node, None), (None, None, node))
    )


def _caused_by(ctx: Context, extra: Graph, p: Problem, subjects: set[Node]) -> bool:
    """Whether the new triples ``extra`` cause the SHACL problem ``p``.

    A problem on a new node is new. On a node that was there before it is new when
    the new triples give the offending value or property, or make the node a target of
    the shape (``sh:targetClass``, ``sh:targetSubjectsOf``, ``sh:targetObjectsOf``).
    """
    from rdflib.namespace import SH

    node = p.node
    if node is None or (node, None, None) not in ctx.graph:
        return True
    if p.value in subjects or (p.predicate is not None and (node, p.predicate, None) in extra):
        return True
    shapes = ctx.shapes
    if p.shape is None:
        return False
    for shape in {p.shape, *shapes.subjects(SH.property, p.shape)}:
        if any((node, q, None) in extra for q in shapes.objects(shape, SH.targetSubjectsOf)):
            return True
        if any((None, q, node) in extra for q in shapes.objects(shape, SH.targetObjectsOf)):
            return True
        if any((node, RDF.type, c) in extra for c in shapes.objects(shape, SH.targetClass)):
            return True
    return False


def _with_record(line: str, focus: Mapping[str, str]) -> str:
    for name, loc in focus.items():
        if f" {name} " in line or f" {name}:" in line:
            return f"{loc}: {line}"
    return line


def _build_all(ctx: Context, records: Sequence[Record], skip_duplicates: bool,
               problems: Problems) -> tuple[Graph, list[URIRef], list[tuple[URIRef, str]],
                                            dict[str, str]]:
    """The new triples of every record, the IRIs added and skipped, where each was given."""
    builder = Builder(ctx, problems)
    new = Graph()
    added: list[URIRef] = []
    skipped: list[tuple[URIRef, str]] = []
    focus: dict[str, str] = {}
    for rec in records:
        iri, triples, _ = builder.build(rec)
        if iri is None:
            continue
        minted = rec.kind != "entity" and not rec.values.get("id")
        # A minted IRI that is taken (the same fact from another source, say) gets
        # a number; the same fact from the same source is still a duplicate, by
        # its key properties, and is reported under the IRI it was minted as.
        free, free_triples = free_iri(ctx, iri, triples) if minted else (iri, triples)
        one = Graph()
        for t in free_triples:
            one.add(t)
        dup = find_duplicate(ctx, rec.kind, free, one)
        if dup is None:
            iri, triples = free, free_triples
        if dup is None and iri in ctx.new_subjects:
            dup = f"{shorten(str(iri))} is given twice in this input"
        if dup is not None:
            if skip_duplicates:
                skipped.append((iri, dup))
                continue
            problems.add(rec.location, f"duplicate: {dup} (use --skip-duplicates to skip it, "
                         "or --id to name a different fact)")
            continue
        ctx.new_subjects.add(iri)
        focus[display(iri)] = rec.location
        added.append(iri)
        for t in triples:
            new.add(t)
    return new, added, skipped, focus


def add_records(
    records: Sequence[Record],
    *,
    file: Path | str | None = None,
    data: Sequence[Path | str] | None = None,
    skip_duplicates: bool = False,
    dry_run: bool = False,
    lock_timeout: float = 120.0,
    progress: Progress | None = None,
    remote: RemoteTarget | None = None,
) -> AddResult:
    """Validate and add facts to a Turtle file, atomically and under a file lock.

    Args:
        records: facts, e.g. from :func:`record_from_mapping`, :func:`read_yaml`,
            :func:`read_csv`.
        file: the theme file to add to (default ``graphs/additions.ttl``).
        data: the graph the facts are checked against (default ``graphs/*.ttl``);
            the target file is always included.
        skip_duplicates: skip duplicate facts instead of refusing the whole batch.
        dry_run: check everything but write nothing.
        lock_timeout: seconds to wait for another writer.
        progress: called with a line of text at each step (e.g. print to stderr).
        remote: a SPARQL server to check against and send the new triples to, instead
            of ``file`` and ``data``.

    Raises:
        EditError: any problem (every one listed); no file is changed, nothing is sent.
    """
    problems = Problems()
    say = progress or (lambda _msg: None)
    with session(file, data, lock_timeout, remote, say) as (files, target, write):
        ctx = load_context(files, target if isinstance(target, Path) else None)
        say(f"checking {len(records)} fact(s)")
        new, added, skipped, focus = _build_all(ctx, records, skip_duplicates, problems)
        if problems.items:
            raise EditError(problems.items)
        if not added:
            return AddResult(target, (), tuple(skipped), 0, False)
        say(f"validating {len(new)} new triple(s) with the graph")
        found = new_problems(ctx, new)
        if found:
            raise EditError([_with_record(p.line(), focus) for p in found])
        if not dry_run:
            say(f"writing {target}")
        write(ctx, new, dry_run)
        return AddResult(target, tuple(added), tuple(skipped), len(new), not dry_run)


def _input_name(path: Path | str) -> str:
    return "<stdin>" if str(path) == STDIN else str(path)


def import_file(
    path: Path | str,
    *,
    file: Path | str | None = None,
    data: Sequence[Path | str] | None = None,
    skip_duplicates: bool = False,
    dry_run: bool = False,
    fmt: str | None = None,
    lock_timeout: float = 120.0,
    progress: Progress | None = None,
    remote: RemoteTarget | None = None,
) -> AddResult:
    """Import facts from YAML (``.yaml``/``.yml``), CSV (``.csv``) or RDF (Turtle, JSON-LD …).

    YAML and CSV rows use the fields of ``channelkg add`` (see :func:`fields_of`).
    RDF files are taken as they are: their triples are validated with the graph
    and merged into the target file (or sent to ``remote``, see :func:`add_records`).
    ``path`` ``-`` reads standard input (``fmt`` then names its syntax).
    """
    from channelkg.graph.memory import FORMATS

    stdin = str(path) == STDIN
    name = _input_name(path)
    suffix = "" if stdin else Path(path).suffix
    kind = (fmt or suffix.lstrip(".")).lower()
    if kind in ("yaml", "yml"):
        records = read_yaml(name, read_text(path))
    elif kind == "csv":
        records = read_csv(name, read_text(path))
    elif f".{kind}" in FORMATS:
        return import_rdf(path, file=file, data=data, skip_duplicates=skip_duplicates,
                          dry_run=dry_run, lock_timeout=lock_timeout, progress=progress,
                          remote=remote, suffix=f".{kind}")
    else:
        what = ("standard input" if stdin else f"{suffix} file" if suffix
                else "file without an extension")
        raise InputError(f"cannot tell the format of {'' if stdin else 'a '}{what}: give "
                         "--format yaml, csv, ttl, jsonld or nt", name)
    if not records:
        raise InputError("no facts found", name)
    return add_records(records, file=file, data=data, skip_duplicates=skip_duplicates,
                       dry_run=dry_run, lock_timeout=lock_timeout, progress=progress,
                       remote=remote)


def _read_rdf(path: Path | str, suffix: str | None) -> tuple[Graph, Path | None]:
    """The triples of an RDF file (``-``: standard input, in the syntax ``suffix`` names)
    and the file to locate problems in."""
    import tempfile

    from channelkg.edit.fields import read_graph
    from channelkg.rdf.limits import check_nesting

    if str(path) != STDIN:
        if (suffix or Path(path).suffix).lower() in (".ttl", ".turtle", ".trig", ".n3"):
            check_nesting(read_text(path), str(path), "blank nodes or lists")
        return read_graph(Path(path), suffix), Path(path)
    text = read_text(path)
    check_nesting(text, "<stdin>", "blank nodes or lists")
    with tempfile.TemporaryDirectory(prefix="channelkg-") as tmp:
        tmp_path = Path(tmp) / f"stdin{suffix or '.ttl'}"
        tmp_path.write_text(text, encoding="utf-8")
        try:
            return read_graph(tmp_path), None
        except InputError as err:
            loc = (err.location or "").replace(str(tmp_path), "<stdin>")
            raise InputError(err.message, loc or "<stdin>") from None


def _check_incoming(ctx: Context, incoming: Graph, name: str, skip_duplicates: bool,
                    problems: Problems) -> tuple[Graph, set[Node], list[tuple[URIRef, str]]]:
    """The triples to add, the typed subjects, and the duplicates skipped."""
    typed = set(incoming.subjects(RDF.type, None))
    skipped: list[tuple[URIRef, str]] = []
    drop: set[Node] = set()
    for s in sorted(typed, key=str):
        if (s, RDF.type, None) in ctx.graph and isinstance(s, URIRef):
            if skip_duplicates:
                skipped.append((s, f"{shorten(str(s))} already exists"))
                drop.add(s)
            else:
                problems.add(name, f"duplicate: {shorten(str(s))} already exists "
                             "(use --skip-duplicates to skip it)")
    new = Graph()
    for t in incoming:
        if t[0] not in drop and t not in ctx.graph:  # a triple already there is not new
            new.add(t)
    described = set(ctx.graph.subjects()) | set(new.subjects()) | set(ctx.ontology.subjects())
    fact_classes = set(ctx.schema.kinds().values())
    for s, p, o in new:
        if isinstance(o, URIRef) and str(o).startswith(str(KGID)) and o not in described:
            problems.add(name, f"unknown entity reference {shorten(str(o))} "
                         f"(object of {shorten(str(s))} {shorten(str(p))})")
        if isinstance(s, BNode) and p == RDF.type and o in fact_classes:
            problems.add(name, "facts need an IRI, not a blank node")
    return new, typed - drop, skipped


def import_rdf(
    path: Path | str,
    *,
    suffix: str | None = None,
    file: Path | str | None = None,
    data: Sequence[Path | str] | None = None,
    skip_duplicates: bool = False,
    dry_run: bool = False,
    lock_timeout: float = 120.0,
    progress: Progress | None = None,
    remote: RemoteTarget | None = None,
) -> AddResult:
    """Merge an RDF file's triples into the target file after validation.

    A subject that has a type in both the file and the graph is a duplicate.
    Every ``kgid:`` IRI used as an object must be described in the graph or the file.
    ``suffix`` (e.g. ``.ttl``) gives the file's syntax when its name does not;
    ``path`` ``-`` reads standard input.
    """
    from channelkg.rdf.limits import check_blank_depth

    incoming, located = _read_rdf(path, suffix)
    name = _input_name(path)
    check_blank_depth(incoming, name)  # the target file is written with them nested
    problems = Problems()
    say = progress or (lambda _msg: None)
    with session(file, data, lock_timeout, remote, say) as (files, target, write):
        ctx = load_context(files, target if isinstance(target, Path) else None)
        new, typed, skipped = _check_incoming(ctx, incoming, name, skip_duplicates, problems)
        if problems.items:
            raise EditError(problems.items)
        added = tuple(sorted((s for s in typed if isinstance(s, URIRef)), key=str))
        if len(new) == 0:
            return AddResult(target, (), tuple(skipped), 0, False)
        say(f"validating {len(new)} new triple(s) with the graph")
        found = [p.line() for p in new_problems(ctx, new, source=located)]
        if found:
            raise EditError([p if p.startswith(f"{name}:") else f"{name}: {p}" for p in found])
        if not dry_run:
            say(f"writing {target}")
        write(ctx, new, dry_run)
        return AddResult(target, added, tuple(skipped), len(new), not dry_run)


__all__ = [
    "IRI_TEMPLATES",
    "KEY_FIELDS",
    "KINDS",
    "AddResult",
    "EditError",
    "Field",
    "Record",
    "RemoteTarget",
    "add_records",
    "default_target",
    "fields_of",
    "import_file",
    "import_rdf",
    "new_problems",
    "read_csv",
    "read_yaml",
    "record_from_mapping",
    "slugify",
]
