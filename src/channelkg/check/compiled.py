"""SHACL compiled to SPARQL: one query per constraint, run on an Oxigraph store.

pySHACL (:mod:`channelkg.check.shacl`) walks an rdflib copy of the whole graph in
Python; at a million triples that copy alone takes gigabytes. Here every constraint of
a shape becomes one SPARQL query that selects its violations (focus node, value), run
by Oxigraph in Rust on the store as it is. Set differences are written with ``MINUS``
(a hash join: linear), never ``FILTER NOT EXISTS`` (a nested loop on Oxigraph).

Compiled: targets ``sh:targetClass`` (with subclasses, from the data and the
ontology), ``sh:targetSubjectsOf``, ``sh:targetObjectsOf``, ``sh:targetNode``; paths
that are IRIs, ``sh:inversePath``, sequences, ``sh:alternativePath`` and the
``sh:zeroOrMorePath`` family; ``sh:minCount``, ``sh:maxCount``, ``sh:class``,
``sh:datatype``, ``sh:in``, ``sh:hasValue``, ``sh:nodeKind``, ``sh:pattern``,
``sh:lessThan``; and ``sh:or``, ``sh:and``, ``sh:not`` over such shapes. A shape
with anything else (or a constraint whose generic message needs the data) is not
compiled: it is handed to pySHACL as a whole, on its focus nodes' neighbourhood (see
:func:`channelkg.check.engine.fallback`). The results are the same as pySHACL's:
focus node, path, value, message, severity and source shape. With a few focus nodes
(``validate --focus``, ``add``) the queries run on a small store of the nodes'
neighbourhood (:func:`channelkg.check.engine.store_neighbourhood`).

The IRIs and literals of the shapes are written into the queries by
:func:`channelkg.sparql.binding.sparql_term`, which escapes them as N-Triples does.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDF, RDFS, SH, XSD
from rdflib.term import Node

from channelkg.sparql.binding import sparql_term

#: Runs one SELECT and gives its rows (terms as rdflib nodes).
Select = Callable[[str], Sequence[tuple[Node | None, ...]]]

#: The parameters a shape may have and still be compiled.
TARGETS = (SH.targetClass, SH.targetSubjectsOf, SH.targetObjectsOf, SH.targetNode)
_COMPONENTS = (SH.minCount, SH.maxCount, SH["class"], SH.datatype, SH["in"], SH.hasValue,
               SH.nodeKind, SH.pattern, SH.flags, SH.lessThan, SH["or"], SH["and"], SH["not"])
_INERT = (RDF.type, RDFS.label, RDFS.comment, SH.message, SH.severity, SH.name,
          SH.description, SH.order, SH.group, SH.property, SH.path)
#: Components whose generic message (no ``sh:message``) does not depend on the data.
_GENERIC: dict[Node, str] = {SH["class"]: "Value does not have class {}",
            SH.datatype: "Value is not Literal with datatype {}"}
#: Datatypes a SPARQL cast checks (a literal of one that does not cast is ill-typed).
_CASTS = (XSD.date, XSD.dateTime, XSD.boolean, XSD.integer, XSD.decimal, XSD.double,
          XSD.float)
_KINDS: dict[Node, str] = {
    SH.IRI: "isIRI({v})", SH.BlankNode: "isBlank({v})", SH.Literal: "isLiteral({v})",
    SH.BlankNodeOrIRI: "!isLiteral({v})", SH.BlankNodeOrLiteral: "!isIRI({v})",
    SH.IRIOrLiteral: "!isBlank({v})"}


#: Stands for the focus node in a generic message (pySHACL names it there).
FOCUS = "\x00focus\x00"


def iri_text(graph: Graph, iri: URIRef) -> str:
    """An IRI as pySHACL writes it in a generic message: prefixed by ``graph``'s prefixes
    (with ``sh:``), else in angle brackets (``stringify_node`` without importing pySHACL)."""
    names = graph.namespace_manager
    names.bind("sh", SH, override=False, replace=False)
    try:
        return iri.n3(namespace_manager=names)
    except Exception:  # noqa: BLE001 - as pySHACL: any failure writes the bare IRI
        return str(iri)


class NotCompiledError(Exception):
    """A shape uses something this compiler does not translate (pySHACL checks it)."""


@dataclass(frozen=True)
class Check:
    """One constraint as a query: its rows are ``(focus, value)`` of each violation."""

    query: str
    shape: Node  # the sh:sourceShape of its results
    path: Node | None
    message: str
    severity: Node
    with_value: bool  # whether the second column is the result's sh:value


@dataclass(frozen=True)
class CompiledShape:
    """A node shape with a focus query (``?f``) and its constraints as checks."""

    shape: Node
    focus: str
    checks: tuple[Check, ...]


class Compiler:
    """Compile the shapes of a shapes graph; ``classes``: the subclass axioms to use."""

    def __init__(self, shapes: Graph, subclass: Callable[[Node], set[Node]],
                 instances: Callable[[Node], set[Node]]) -> None:
        """``subclass(C)``: C and its subclasses; ``instances(C)``: nodes the ontology
        (not in the data) makes instances of C."""
        self.shapes = shapes
        self.subclass = subclass
        self.instances = instances
        self._ids = itertools.count()

    def var(self) -> str:
        """A fresh variable (patterns nest: no two share a helper variable)."""
        return f"?v{next(self._ids)}"

    # Targets, focus restriction -------------------------------------------------

    def focus(self, shape: Node, only: Iterable[Node] | None) -> str:
        """The pattern of the shape's focus nodes, as a subquery projecting ``?f``."""
        sg, parts = self.shapes, []
        for cls in sg.objects(shape, SH.targetClass):
            t = self.var()
            parts.append(f"?f <{RDF.type}> {t} VALUES {t} {{ {self.terms(self.subclass(cls))} }}")
            extra = self.instances(cls)
            if extra:
                parts.append(f"VALUES ?f {{ {self.terms(extra)} }}")
        for p in sg.objects(shape, SH.targetSubjectsOf):
            parts.append(f"?f {self.term(p)} {self.var()}")
        for p in sg.objects(shape, SH.targetObjectsOf):
            parts.append(f"{self.var()} {self.term(p)} ?f")
        nodes = list(sg.objects(shape, SH.targetNode))
        if nodes:
            parts.append(f"VALUES ?f {{ {self.terms(nodes)} }}")
        if not parts:
            raise NotCompiledError("no target")
        body = " UNION ".join(f"{{ {p} }}" for p in parts)
        if only is not None:
            body = f"VALUES ?f {{ {self.terms(only)} }} {body}"
        return f"{{ SELECT DISTINCT ?f WHERE {{ {body} }} }}"

    def term(self, node: Node) -> str:
        if isinstance(node, BNode):
            raise NotCompiledError("a blank node as a parameter")
        return sparql_term(node)

    def terms(self, nodes: Iterable[Node]) -> str:
        return " ".join(self.term(n) for n in sorted(nodes, key=str))

    def path(self, node: Node) -> str:
        """A SHACL path as a SPARQL property path."""
        sg = self.shapes
        if isinstance(node, URIRef):
            return self.term(node)
        if (node, RDF.first, None) in sg:
            return "(" + "/".join(self.path(p) for p in Collection(sg, node)) + ")"
        ops = {SH.inversePath: "^({})", SH.zeroOrMorePath: "({})*",
               SH.oneOrMorePath: "({})+", SH.zeroOrOnePath: "({})?"}
        for pred, form in ops.items():
            inner = sg.value(node, pred)
            if inner is not None:
                return form.format(self.path(inner))
        alt = sg.value(node, SH.alternativePath)
        if alt is not None:
            return "(" + "|".join(self.path(p) for p in Collection(sg, alt)) + ")"
        raise NotCompiledError("an unknown path form")

    # Shapes -------------------------------------------------------------------------

    def compile(self, shape: Node, only: Iterable[Node] | None = None) -> CompiledShape:
        """Compile a node shape with targets (raises :class:`NotCompiledError`)."""
        self.check_params(shape, node_level=True)
        focus = self.focus(shape, only)
        severity = self.shapes.value(shape, SH.severity) or SH.Violation
        checks = [self.node_check(shape, comp, focus, severity) for comp in _COMPONENTS
                  if comp != SH.flags and (shape, comp, None) in self.shapes]
        for prop in self.shapes.objects(shape, SH.property):
            checks.extend(self.property_checks(prop, focus))
        return CompiledShape(shape, focus, tuple(checks))

    def check_params(self, shape: Node, node_level: bool = False) -> None:
        sg = self.shapes
        if (shape, SH.deactivated, None) in sg:
            raise NotCompiledError("sh:deactivated")
        allowed = set(_COMPONENTS) | set(_INERT) | (set(TARGETS) if node_level else set())
        for p in sg.predicates(shape):
            if p not in allowed:
                raise NotCompiledError(f"parameter {p}")
        for p in (SH.message, *_COMPONENTS):
            if len(set(sg.objects(shape, p))) > 1:
                raise NotCompiledError(f"several {p}")
        if (shape, SH.flags, None) in sg and (shape, SH.pattern, None) not in sg:
            raise NotCompiledError("sh:flags without sh:pattern")

    def message(self, shape: Node, comp: Node) -> str:
        """The ``sh:message``, else pySHACL's generic message (with :data:`FOCUS` where
        the focus node goes)."""
        text = self.shapes.value(shape, SH.message)
        if text is not None:
            return str(text)
        arg = self.shapes.value(shape, comp)
        path = self.shapes.value(shape, SH.path)
        if comp in (SH.minCount, SH.maxCount) and isinstance(path, URIRef):
            word = "Less" if comp == SH.minCount else "More"
            return f"{word} than {arg} values on {FOCUS}->{iri_text(self.shapes, path)}"
        if comp not in _GENERIC or not isinstance(arg, URIRef):
            raise NotCompiledError(f"the generic message of {comp}")
        return _GENERIC[comp].format(iri_text(self.shapes, arg))

    def node_check(self, shape: Node, comp: Node, focus: str, severity: Node) -> Check:
        """A node-level constraint of a target shape: its results have the focus as value."""
        viol = self.violations(shape, comp, None, focus, "?f")
        with_value = comp != SH.hasValue
        value = "(?f AS ?value)" if with_value else ""
        return Check(f"SELECT DISTINCT ?f {value} WHERE {{ {viol} }}", shape, None,
                     self.message(shape, comp), severity, with_value)

    def property_checks(self, prop: Node, focus: str) -> list[Check]:
        self.check_params(prop)
        path_node = self.shapes.value(prop, SH.path)
        if path_node is None:
            raise NotCompiledError("a property shape without sh:path")
        path = self.path(path_node)
        severity = self.shapes.value(prop, SH.severity) or SH.Violation
        out = []
        for comp in _COMPONENTS:
            if comp == SH.flags or (prop, comp, None) not in self.shapes:
                continue
            value = self.var()
            viol = self.violations(prop, comp, path, focus, value)
            with_value = comp not in (SH.minCount, SH.maxCount, SH.hasValue)
            pair = " ?o" if comp == SH.lessThan else ""  # one result per pair compared
            select = (f"SELECT DISTINCT ?f {value + pair if with_value else ''} "
                      f"WHERE {{ {viol} }}")
            out.append(Check(select, prop, path_node, self.message(prop, comp), severity,
                             with_value))
        return out

    # Constraints ----------------------------------------------------------------

    def violations(self, shape: Node, comp: Node, path: str | None, focus: str,
                   value: str) -> str:
        """The pattern of the violations of one constraint: ``?f`` (and ``value``)."""
        sg, arg = self.shapes, self.shapes.value(shape, comp)
        assert arg is not None
        if comp in (SH.minCount, SH.maxCount):
            if path is None:
                raise NotCompiledError("a cardinality on a node shape")
            if not isinstance(arg, Literal) or not isinstance(arg.value, int):
                raise NotCompiledError("a count that is no integer")
            return self.count(comp, arg.value, path, focus)
        if comp == SH.hasValue:
            if path is None:
                return f"{focus} FILTER(!sameTerm(?f, {self.term(arg)}))"
            return f"{focus} MINUS {{ ?f {path} {self.term(arg)} }}"
        if comp in (SH["or"], SH["and"], SH["not"]):
            if path is not None:
                raise NotCompiledError("a logical constraint on a property shape")
            return self.logical(comp, arg, focus)
        values = focus if path is None else f"{focus} ?f {path} {value} ."
        if comp == SH["class"]:
            t = self.var()
            out = (f"{values} MINUS {{ {value} <{RDF.type}> {t} "
                   f"VALUES {t} {{ {self.terms(self.subclass(arg))} }} }}")
            extra = self.instances(arg)
            return out + (f" MINUS {{ VALUES {value} {{ {self.terms(extra)} }} }}" if extra else "")
        if comp == SH.datatype:
            ok = f"isLiteral({value}) && sameTerm(datatype({value}), {self.term(arg)})"
            if arg in _CASTS:
                ok += f" && COALESCE(isLiteral({self.term(arg)}(STR({value}))), false)"
            return f"{values} FILTER(!({ok}))"
        if comp == SH["in"]:
            members = list(Collection(sg, arg))
            return f"{values} MINUS {{ VALUES {value} {{ {self.terms(members)} }} }}"
        if comp == SH.nodeKind:
            if arg not in _KINDS:
                raise NotCompiledError(f"node kind {arg}")
            return f"{values} FILTER(!({_KINDS[arg].format(v=value)}))"
        if comp == SH.pattern:
            flags = sg.value(shape, SH.flags)
            regex = f"REGEX(STR({value}), {self.term(Literal(str(arg)))}"
            regex += f", {self.term(Literal(str(flags)))})" if flags is not None else ")"
            return f"{values} FILTER(isBlank({value}) || !{regex})"
        if comp == SH.lessThan:
            return (f"{values} ?f {self.term(arg)} ?o "
                    f"FILTER(!COALESCE({value} < ?o, false))")
        raise NotCompiledError(f"component {comp}")

    def count(self, comp: Node, n: int, path: str, focus: str) -> str:
        x = self.var()
        if comp == SH.maxCount:
            return (f"{{ SELECT ?f WHERE {{ {focus} ?f {path} {x} }} GROUP BY ?f "
                    f"HAVING (COUNT(DISTINCT {x}) > {n}) }}")
        if n <= 0:
            return f"{focus} FILTER(false)"
        if n == 1:
            return f"{focus} MINUS {{ ?f {path} {x} }}"
        return (f"{{ SELECT ?f WHERE {{ {focus} OPTIONAL {{ ?f {path} {x} }} }} GROUP BY ?f "
                f"HAVING (COUNT(DISTINCT {x}) < {n}) }}")

    def logical(self, comp: Node, arg: Node, focus: str) -> str:
        """``sh:or``/``sh:and``/``sh:not`` of node-level shapes, as set operations."""
        if comp == SH["not"]:
            return self.conforming(arg, focus)
        members = list(Collection(self.shapes, arg))
        if comp == SH["or"]:
            return focus + "".join(f" MINUS {self.conforming(m, focus)}" for m in members)
        if not members:
            return "VALUES ?f { }"
        return " UNION ".join(self.violating(m, focus) for m in members)

    def violating(self, shape: Node, focus: str) -> str:
        """A subquery of the nodes of ``focus`` that do not conform to ``shape``."""
        self.check_params(shape)
        sg, parts = self.shapes, []
        path_node = sg.value(shape, SH.path)
        path = None if path_node is None else self.path(path_node)
        for comp in _COMPONENTS:
            if comp != SH.flags and (shape, comp, None) in sg:
                value = "?f" if path is None else self.var()
                parts.append(self.violations(shape, comp, path, focus, value))
        for prop in sg.objects(shape, SH.property):
            parts.append(self.violating(prop, focus))
        body = " UNION ".join(f"{{ {p} }}" for p in parts) or "VALUES ?f { }"
        return f"{{ SELECT DISTINCT ?f WHERE {{ {body} }} }}"

    def conforming(self, shape: Node, focus: str) -> str:
        """A pattern of nodes that conform to ``shape`` (those of ``focus`` at least).

        Conformance is a property of the node, so when the shape is made of positive
        tests (a value exists, has a class, equals a value) and their negations, the
        pattern needs no domain: its nodes are joined, never ``focus`` again and again.
        """
        atoms = self.atoms(shape)
        if atoms is None:
            viol = self.violating(shape, focus)
            return f"{{ SELECT DISTINCT ?f WHERE {{ {focus} MINUS {viol} }} }}"
        pos = [p for positive, p in atoms if positive]
        body = " ".join(f"{{ {p} }}" for p in pos) or focus
        body += "".join(f" MINUS {{ {p} }}" for positive, p in atoms if not positive)
        return f"{{ SELECT DISTINCT ?f WHERE {{ {body} }} }}"

    def atoms(self, shape: Node) -> list[tuple[bool, str]] | None:
        """``shape`` as a conjunction of positive patterns (``True``) and negated ones,
        each binding ``?f``; ``None`` when a constraint is no such test."""
        sg = self.shapes
        self.check_params(shape)
        path_node = sg.value(shape, SH.path)
        path = None if path_node is None else self.path(path_node)
        out: list[tuple[bool, str]] = []
        for comp in _COMPONENTS:
            arg = sg.value(shape, comp)
            if arg is None:
                continue
            atom = self.atom(comp, arg, path)
            if atom is None:
                return None
            out.extend(atom)
        for prop in sg.objects(shape, SH.property):
            more = self.atoms(prop)
            if more is None:
                return None
            out.extend(more)
        return out

    def atom(self, comp: Node, arg: Node, path: str | None) -> list[tuple[bool, str]] | None:
        """One constraint as :meth:`atoms` (``None``: not a positive test)."""
        if path is not None:
            if comp == SH.minCount and isinstance(arg, Literal) and arg.value == 1:
                return [(True, f"?f {path} {self.var()}")]
            if comp == SH.hasValue:
                return [(True, f"?f {path} {self.term(arg)}")]
            return None
        if comp == SH["class"]:
            t, extra = self.var(), self.instances(arg)
            typed = f"?f <{RDF.type}> {t} VALUES {t} {{ {self.terms(self.subclass(arg))} }}"
            return [(True, f"{{ {typed} }} UNION {{ VALUES ?f {{ {self.terms(extra)} }} }}"
                     if extra else typed)]
        if comp in (SH.hasValue, SH["in"]):
            members = [arg] if comp == SH.hasValue else list(Collection(self.shapes, arg))
            return [(True, f"VALUES ?f {{ {self.terms(members)} }}")]
        members = list(Collection(self.shapes, arg)) if comp != SH["not"] else [arg]
        parts = [self.atoms(m) for m in members]
        if any(p is None for p in parts):
            return None
        if comp == SH["and"]:
            return [a for p in parts if p is not None for a in p]
        if comp == SH["not"] and parts[0] and all(pos for pos, _ in parts[0]):
            return [(False, " ".join(f"{{ {p} }}" for _, p in parts[0]))]
        if comp == SH["or"] and all(p and all(pos for pos, _ in p) for p in parts):
            joined = [" ".join(f"{{ {q} }}" for _, q in p) for p in parts if p]
            return [(True, " UNION ".join(f"{{ {j} }}" for j in joined))]
        return None

__all__ = ["FOCUS", "TARGETS", "Check", "CompiledShape", "Compiler", "NotCompiledError",
           "Select", "iri_text"]
