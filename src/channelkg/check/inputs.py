"""Validate what a user points at: files, Turtle text (standard input) or a store,
optionally with what reasoning entails from it.

:func:`validate_input` is ``channelkg validate``; :func:`channelkg.check.validate.validate`
does the checking itself.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from channelkg.check.validate import Problem, Report, validate
from channelkg.errors import InputError, QueryError

if TYPE_CHECKING:
    from rdflib import Graph
    from rdflib.term import Node

    from channelkg.graph.base import KnowledgeGraph

#: How standard input is named in messages (``<stdin>:line:col``).
STDIN_NAME = "<stdin>"


def parse_turtle_text(text: str, name: str = STDIN_NAME) -> Graph:
    """Parse Turtle ``text`` into an rdflib graph.

    Raises:
        InputError: a syntax error, located as ``name:line:col``.
    """
    import pyoxigraph as ox

    from channelkg.graph.memory import new_rdflib_graph, parse_error_location
    from channelkg.rdf.terms import add_triples

    graph = new_rdflib_graph()
    try:
        add_triples(graph, ox.parse(text.encode("utf-8"), format=ox.RdfFormat.TURTLE))
    except SyntaxError as err:
        loc, msg = parse_error_location(Path(name), err)
        raise InputError(f"syntax error: {msg}", loc) from None
    return graph


def validate_input(
    files: Sequence[Path] = (),
    *,
    stdin_text: str | None = None,
    store: str | None = None,
    reason: str = "none",
    shapes: Path | None = None,
    ontology: Path | None = None,
    focus: Sequence[str] = (),
    engine: str = "auto",
    progress: Callable[[str], None] | None = None,
    sample: int | None = None,
    seed: int | None = None,
) -> Report:
    """Validate files (default: the bundled graph), Turtle text, or a store's graph.

    Args:
        files: RDF files or folders; empty means ``graphs/*.ttl``.
        stdin_text: Turtle read from standard input (instead of files); problems are
            located as ``<stdin>`` (syntax errors with line and column).
        store: ``oxigraph:PATH`` or ``sparql:URL`` to validate instead of files.
        reason: also validate what ``rdfs``/``owlrl``/``rules`` entail (never written).
        shapes: SHACL shapes file (default: ontology/shapes.ttl).
        ontology: ontology file (default: ontology/channelkg.ttl).
        focus: validate only these nodes (names as the resolver takes them, or IRIs).
        engine: the SHACL engine (see :data:`channelkg.check.validate.ENGINES`).
        progress: called with one line per step.
        sample: validate this many focus IRIs drawn at random (by ``seed``) instead
            (blank-node focus nodes are not drawn); not with ``focus``.

    Raises:
        InputError: more than one kind of input, a missing shapes/ontology file, or a
            ``focus`` name that names no node, or ``sample`` with ``focus``.
    """
    if sum((bool(files), stdin_text is not None, store is not None)) > 1:
        raise InputError("give FILES, '-' (standard input) or --store, not both")
    if sample is not None and focus:
        raise InputError("--sample and --focus cannot be combined")
    for p in (shapes, ontology):
        if p is not None and not p.exists():
            raise InputError("no such file", str(p))
    from channelkg.graph.memory import expand_paths, from_rdflib, load
    from channelkg.sparql.reason import entailments

    check = functools.partial(validate, shapes=shapes, ontology=ontology, engine=engine,
                              progress=progress, sample=sample, seed=seed)
    if stdin_text is not None or store is not None:
        if store is not None:
            from channelkg.graph.remote import open_store

            kg, source = open_store(store), store
        else:
            try:
                kg, source = from_rdflib(parse_turtle_text(stdin_text or "")), STDIN_NAME
            except InputError as err:
                problem = Problem("syntax", err.message.removeprefix("syntax error: "),
                                  err.location or STDIN_NAME)
                return Report(False, (problem,), (), 0, None, STDIN_NAME)
        extra = entailments(kg, reason) if reason != "none" else None
        return check(store=kg, source=source, extra=extra,
                     focus=_resolve(kg, focus) if focus else None)
    paths = list(files) or None
    if focus or sample is not None:
        try:
            kg = load(paths, ontology=False)
        except InputError:
            return check(paths)  # the syntax report
        extra = entailments(kg, reason) if reason != "none" else None
        return check(expand_paths(paths), store=kg, extra=extra,
                     focus=_resolve(kg, focus) if focus else None)
    extra = None
    if reason != "none":
        try:
            extra = entailments(load(paths), reason)
        except InputError:
            extra = None  # unreadable input: the syntax check reports it
    return check(paths, extra=extra)


def _resolve(kg: KnowledgeGraph, names: Sequence[str]) -> list[Node]:
    """The nodes ``names`` name: an IRI, prefixed name or slug of a node the graph
    describes is taken at once (one lookup); any other name goes to the one resolver
    (names, labels, close matches; its one-line error when none fits)."""
    from channelkg.model.resolve import resolve_in
    from channelkg.rdf.terms import expand
    from channelkg.sparql.binding import sparql_term

    out: list[Node] = []
    for name in names:
        try:
            iri = expand(name.strip())
            known = kg.run(f"ASK {{ {sparql_term(iri)} ?p ?o }}").boolean
        except (ValueError, QueryError):
            known = False
        out.append(iri if known else resolve_in(kg, name, "entity"))
    return out


__all__ = ["STDIN_NAME", "parse_turtle_text", "validate_input"]
