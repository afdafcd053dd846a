"""``--as-of`` as a query rewrite: a filter in each group, run on the store itself.

A triple is hidden on a day iff its subject or its object is a dated fact hidden that
day (:mod:`channelkg.graph.validity`). Every variable of a group's triple patterns is
bound, in each of the group's solutions, to what it matched, so a
``FILTER(?v NOT IN (hidden…))`` in that group for each variable in a subject or object
position keeps exactly the solutions whose triples are all visible, whatever else the
group holds (OPTIONAL, MINUS, BIND, sub-groups, a left join's own condition). The list
holds only the hidden facts that stand in that place in the data (the subject, or
object, of that predicate); past :data:`INLINE` of them the test is a
``MINUS { VALUES ?v { … } }`` at the group's end instead. A variable that the triples
before an ``OPTIONAL`` or ``MINUS`` already bind needs no test inside it. A hidden IRI
written in the query as a subject or object empties its group (``FILTER(false)``).

That is the *standard* form (:data:`STANDARD`). Virtuoso 7 answers it wrongly: a
``FILTER`` on a variable (``NOT IN``, ``!=``, ``!sameTerm``) in a group that also holds
a ``MINUS`` drops rows, ``MINUS { VALUES … }`` is an internal error or ignored, and long
``NOT IN`` lists exhaust its memory or cost model. The *exists* form (:data:`EXISTS`)
tests ``FILTER NOT EXISTS { VALUES ?h { hidden… } FILTER(?h = ?v) }`` instead, and
only once where groups are joined: a variable the triple patterns of a group bind (in
each of its solutions) needs no test in a sub-group, a ``UNION`` branch or an
``EXISTS`` of that group, since a solution of the inner group on a hidden node joins
only solutions of the outer one that its own test removes. An ``OPTIONAL`` or
``MINUS`` group still tests what it binds itself, unless the triples before it bind
it (whether it matches at all changes the answer), and a sub-select all it binds (its
variables are its own, and its aggregates see every row).
The *dates* form (:data:`DATES`) places its tests as the exists form does, but each
asks for the node's own dates instead of sending every hidden fact
(:mod:`channelkg.graph.asof_dates`): the form a server that answers the exists form
is sent, as it takes time linear in the rows where a long list does not.

The rewrite never re-serialises the query: the filters are inserted into the text as
the user wrote it, after the ``{`` (or before the ``}``) of each group. Which ``{``
opens which group is decided by rdflib's parser: a copy of the text with a marker
filter after every candidate ``{`` must parse, and each group of the parsed query must
hold exactly one marker; otherwise the query is not rewritten.

Not rewritten (:func:`rewrite` returns ``None``; the view then copies the visible
triples, see :mod:`channelkg.graph.asof`): ``GRAPH``, ``SERVICE``, ``FROM``,
``DESCRIBE``, blank nodes as subjects or objects of the query's triple patterns
(``[]``, ``_:b``, collections), codepoint escapes (``\\u…``), hidden facts that are
blank nodes, property paths whose inner nodes could be hidden facts (a hidden fact
has one of the path's predicates in that role) or that can match zero steps between
two variables, and queries whose groups the check above cannot place.
"""

from __future__ import annotations

import enum
import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from channelkg.graph.asof_dates import DateTest

MARK = "urn:channelkg:as-of-group:"
_IRIREF = re.compile(r'<[^<>"{}|^`\\\x00-\x20]*>')
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_\-]*")
_NAME = re.compile(r"(?:[\w\-.:%\u00b7-\uffff]|\\.)*")
_ESCAPE = re.compile(r"\\[uU][0-9A-Fa-f]")


def _skip_string(text: str, i: int) -> int:
    """The index after the string literal starting at ``i``."""
    quote = text[i] * 3 if text.startswith(text[i] * 3, i) else text[i]
    j = i + len(quote)
    while j < len(text):
        if text[j] == "\\":
            j += 2
        elif text.startswith(quote, j):
            return j + len(quote)
        else:
            j += 1
    return j


def group_candidates(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of each ``{`` … ``}`` that may be a group graph pattern (the
    offsets after the ``{`` and of the ``}``): not the data block of ``VALUES``, a
    ``CONSTRUCT`` template, or the braces around a sub-select."""
    out: dict[int, int] = {}  # start -> end (-1 until its "}" is seen)
    stack: list[int] = []
    prev, last_brace = "", -1  # the previous token; where the last "{" ended
    in_values = False  # between VALUES and its data block
    i = 0
    while i < len(text):
        c = text[i]
        if c.isspace():
            i += 1
            continue
        if c == "#":
            end = text.find("\n", i)
            i = len(text) if end < 0 else end
            continue
        token = c
        if c in "\"'":
            i, token = _skip_string(text, i), "literal"
        elif c == "<" and (m := _IRIREF.match(text, i)):
            i, token = m.end(), "iri"
        elif c in "?$":
            i, token = _NAME.match(text, i + 1).end(), "var"  # type: ignore[union-attr]
        elif (m := _WORD.match(text, i)) and not text.startswith(":", m.end()):
            i, token = m.end(), m.group().upper()
        elif c == ":" or m:  # a prefixed name
            i, token = _NAME.match(text, i).end(), "name"  # type: ignore[union-attr]
        else:
            i += 1
        if token == "{":
            stack.append(i)
            last_brace = i
            if not in_values and prev != "CONSTRUCT":
                out[i] = -1
        elif token == "}" and stack:
            start = stack.pop()
            if start in out:
                out[start] = i - 1
        elif token == "SELECT" and prev == "{":
            out.pop(last_brace, None)  # the braces around a sub-select: its WHERE is the group
        in_values = token == "VALUES" or in_values and token in ("var", "(", ")")
        prev = token
    return sorted(out.items())


@dataclass
class _Group:
    """What one group's filter must test: for each variable in a subject or object
    position, the ``(predicate, role)`` of each of its places (``None``: a place whose
    predicate is not one IRI), and the IRIs written there."""

    places: dict[str, list[tuple[Any, str] | None]] = field(default_factory=dict)
    bound: set[str] = field(default_factory=set)
    #: variables an enclosing group binds in each of its solutions and tests, where this
    #: group is joined to it (a sub-group, a branch of a UNION, the group of an EXISTS):
    #: a solution of this group on a hidden node of one of them joins nothing visible
    inherited: set[str] = field(default_factory=set)
    constants: set[Any] = field(default_factory=set)
    path_constants: set[Any] = field(default_factory=set)


@dataclass
class _Plan:
    groups: dict[int, _Group] = field(default_factory=dict)
    path_roles: set[tuple[Any, str]] = field(default_factory=set)


def _marker(part: Any) -> int | None:
    from rdflib.plugins.sparql.parserutils import CompValue

    expr = dict.get(part, "expr")
    while isinstance(expr, CompValue) and expr.name != "Function":
        expr = dict.get(expr, "expr")
    if isinstance(expr, CompValue) and str(dict.get(expr, "iri", "")).startswith(MARK):
        return int(str(expr["iri"])[len(MARK):])
    return None


def _step(elt: Any) -> tuple[Any, str] | None:
    """``(iri, role)`` of one plain step (``iri`` or ``^iri``): the role its end node
    plays in the step's triple; ``None`` for anything else."""
    from rdflib.plugins.sparql.parserutils import CompValue
    from rdflib.term import URIRef

    inverse = isinstance(elt, CompValue) and elt.name == "PathEltOrInverse"
    if inverse:
        elt = dict.get(elt, "part")
    if (isinstance(elt, CompValue) and elt.name == "PathElt"
            and dict.get(elt, "mod") is None and isinstance(dict.get(elt, "part"), URIRef)):
        return elt["part"], "s" if inverse else "o"
    return None


def _path_info(pred: Any) -> tuple[bool, set[tuple[Any, str]], bool] | None:
    """``(simple, roles, may_be_empty)`` of a predicate (``None``: a path not handled).

    Simple: one step (an IRI, a variable, ``^iri``, alternatives and negated sets of
    those). Otherwise ``roles``: the ``(iri, "s" | "o")`` an inner node of the path must
    have (as the subject or object of a triple with that predicate), and whether the
    path can match zero steps."""
    from pyparsing import ParseResults
    from rdflib.plugins.sparql.parserutils import CompValue
    from rdflib.term import URIRef, Variable

    if isinstance(pred, Variable | URIRef):
        return True, set(), False
    iris: set[Any] = set()
    simple, empty, negated = True, False, False
    todo = [pred]
    while todo:
        node = todo.pop()
        if isinstance(node, URIRef):
            iris.add(node)
        elif isinstance(node, CompValue):
            if node.name == "PathSequence" and len(dict.get(node, "part", [])) > 1:
                simple = False
            if dict.get(node, "mod") is not None:
                simple = False
                empty = empty or node["mod"] in ("?", "*")
            negated = negated or node.name == "PathNegatedPropertySet"
            todo.extend(dict.values(node))
        elif isinstance(node, list | tuple | ParseResults):
            todo.extend(node)
        elif not isinstance(node, str):
            return None
    if simple:
        return True, set(), False
    if negated:
        return None
    parts = dict.get(pred, "part", [])
    if len(parts) == 1:  # a sequence of plain steps: its inner nodes end all but the last
        steps = [_step(e) for e in dict.get(parts[0], "part", [])]
        if all(steps):
            return False, {st for st in steps[:-1] if st}, False
    return False, {(i, r) for i in iris for r in "so"}, empty


def _places(pred: Any) -> tuple[tuple[Any, str] | None, tuple[Any, str] | None]:
    """The ``(iri, role)`` of a triple pattern's subject and object in the data when its
    predicate is an IRI, ``^iri``, or a sequence of those; ``None`` where not known."""
    from rdflib.plugins.sparql.parserutils import CompValue
    from rdflib.term import URIRef

    if isinstance(pred, URIRef):
        return (pred, "s"), (pred, "o")
    parts = dict.get(pred, "part", []) if isinstance(pred, CompValue) else []
    steps = [_step(e) for e in dict.get(parts[0], "part", [])] if len(parts) == 1 else []
    if not steps or not all(steps):
        return None, None
    first, last = steps[0], steps[-1]
    assert first is not None and last is not None
    return (first[0], "o" if first[1] == "s" else "s"), last


def _add_triples(group: _Group, plan: _Plan, triples: Any) -> bool:
    from rdflib.term import BNode, Variable

    flat = [t for chunk in triples for t in chunk]
    if len(flat) % 3:
        return False
    for k in range(0, len(flat), 3):
        s, p, o = flat[k:k + 3]
        info = _path_info(p)
        if info is None or isinstance(s, BNode) or isinstance(o, BNode):
            return False
        simple, roles, empty = info
        ends = [t for t in (s, o) if not isinstance(t, Variable)]
        if not simple:
            if empty and not ends:
                return False  # zero steps match every node, also those only hidden ones touch
            plan.path_roles |= roles
            group.path_constants.update(ends)
        else:
            group.constants.update(ends)
        for term, place in zip((s, o), _places(p), strict=True):
            if isinstance(term, Variable):
                group.places.setdefault(str(term), []).append(place)
    return True


def _exists_groups(expr: Any) -> list[Any]:
    """The groups of the ``EXISTS`` and ``NOT EXISTS`` of a filter expression (not those
    nested in them)."""
    from pyparsing import ParseResults
    from rdflib.plugins.sparql.parserutils import CompValue

    out, todo = [], [expr]
    while todo:
        node = todo.pop()
        if isinstance(node, CompValue):
            if node.name in ("Builtin_EXISTS", "Builtin_NOTEXISTS"):
                out.append(dict.get(node, "graph"))
            else:
                todo.extend(dict.values(node))
        elif isinstance(node, list | tuple | ParseResults):
            todo.extend(node)
    return out


def _pass_down(parts: list[Any], group: _Group, inherit: dict[int, set[str]]) -> None:
    """What the groups joined to ``group`` inherit from it: the variables of its triple
    patterns (bound in each of its solutions) and those it needs not test itself. A
    sub-select starts afresh (its own variables, and its aggregates see every row)."""
    own = set(group.places)
    for part in parts:
        if part.name == "GroupOrUnionGraphPattern":
            for sub in dict.get(part, "graph") or []:
                if sub.name == "GroupGraphPatternSub":
                    inherit[id(sub)] = own | group.bound | group.inherited
        elif part.name == "Filter":
            for sub in _exists_groups(dict.get(part, "expr")):
                inherit[id(sub)] = own


def plan_of(tree: Any, count: int) -> _Plan | None:
    """The groups of a parsed query marked ``0..count-1``; ``None`` if one is missing,
    repeated, or the query holds what the rewrite does not handle."""
    from pyparsing import ParseResults
    from rdflib.plugins.sparql.parserutils import CompValue

    plan = _Plan()
    # The variables of an OPTIONAL's or a MINUS's group that the triples before it in
    # the enclosing group bind (and filter): a solution of the inner group with such a
    # variable on a hidden node joins no solution of the outer group, so it needs no test.
    outer: dict[int, set[str]] = {}
    inherit: dict[int, set[str]] = {}
    todo: list[Any] = [tree]
    while todo:
        node = todo.pop()
        if isinstance(node, CompValue):
            if node.name in ("GraphGraphPattern", "ServiceGraphPattern", "DescribeQuery",
                             "DatasetClause") or dict.get(node, "datasetClause"):
                return None
            if node.name == "GroupGraphPatternSub":
                parts = dict.get(node, "part") or []
                marks = [m for m in (_marker(p) for p in parts if p.name == "Filter")
                         if m is not None]
                if len(marks) != 1 or marks[0] in plan.groups:
                    return None
                group = plan.groups[marks[0]] = _Group(bound=outer.get(id(node), set()),
                                                       inherited=inherit.get(id(node), set()))
                for part in parts:
                    if part.name == "TriplesBlock" and not _add_triples(
                            group, plan, dict.get(part, "triples") or []):
                        return None
                    if part.name in ("OptionalGraphPattern", "MinusGraphPattern"):
                        outer[id(dict.get(part, "graph"))] = set(group.places)
                _pass_down(parts, group, inherit)
            todo.extend(dict.values(node))
        elif isinstance(node, list | tuple | ParseResults):
            todo.extend(node)
    return plan if sorted(plan.groups) == list(range(count)) else None


def _parse(text: str) -> Any:
    """The parse tree of a query, its prefixed names and literals resolved as rdflib's
    translation resolves them; ``None`` if it does not parse."""
    from rdflib.plugins.sparql.algebra import translatePName, translatePrologue, traverse
    from rdflib.plugins.sparql.parser import parseQuery

    try:
        tree = parseQuery(text)
        prologue = translatePrologue(tree[0], None)
        return traverse(tree[1], visitPost=functools.partial(translatePName,
                                                             prologue=prologue))
    except Exception:  # any parse failure (or a too deep nesting): not rewritten
        return None


@functools.lru_cache(maxsize=256)
def plan_query(text: str) -> tuple[list[tuple[int, int]], _Plan] | None:
    """Where each group of ``text`` starts and ends, and what its filter must test."""
    if MARK in text or _ESCAPE.search(text):
        return None
    spans = group_candidates(text)
    if any(end < 0 for _start, end in spans):
        return None
    marked = _insert(text, {start: f" FILTER(<{MARK}{k}>()) "
                            for k, (start, _end) in enumerate(spans)})
    tree = _parse(marked)
    plan = None if tree is None else plan_of(tree, len(spans))
    return None if plan is None else (spans, plan)


def _insert(text: str, at: dict[int, str]) -> str:
    out, last = [], 0
    for pos in sorted(at):
        out += [text[last:pos], at[pos]]
        last = pos
    return "".join([*out, text[last:]])


#: Most hidden nodes a filter lists in ``NOT IN``; past it the group ends
#: with ``MINUS { VALUES ?v { … } }`` (Oxigraph tests ``NOT IN`` item by item, and
#: ``MINUS`` by a hash of the values).
INLINE = 64


class Form(enum.Enum):
    """How a rewritten query tests a variable against the hidden nodes.

    ``standard``: ``FILTER(?v NOT IN (…))`` after the group's ``{``, past
    :data:`INLINE` nodes ``MINUS { VALUES ?v { … } }`` before its ``}``, in every group
    (each group prunes early). ``exists``: ``FILTER NOT EXISTS { VALUES ?h { … }
    FILTER(?h = ?v) }`` after the ``{``, and only in the outermost group that binds the
    variable where inner groups are joined to it (a sub-group, a branch of a ``UNION``, an
    ``EXISTS``): the form Virtuoso 7 evaluates correctly (docs/stores.md). ``dates``:
    placed as ``exists``, but each test asks for the node's own dates
    (:mod:`channelkg.graph.asof_dates`), with short lists only for what they do not
    decide: the form sent to Virtuoso 7, in time linear in the rows.
    """

    STANDARD = "standard"
    EXISTS = "exists"
    DATES = "dates"

    @property
    def once(self) -> bool:
        """Whether a variable is tested only in the outermost of the joined groups."""
        return self is not Form.STANDARD


STANDARD = Form.STANDARD
EXISTS = Form.EXISTS
DATES = Form.DATES

Touching = dict[tuple[Any, str], set[Any]]


def _needed(places: list[tuple[Any, str] | None], hidden: set[Any],
            touching: Touching) -> set[Any]:
    """The hidden nodes a variable can be bound to in its places: a hidden node that is
    the subject of ``p`` in the data is in ``touching[(p, "s")]``."""
    out = hidden
    for place in places:
        if place is not None:
            out = out & touching.get(place, set())
    return out


def _fresh(text: str, stem: str = "asofHidden") -> str:
    """A variable name that does not occur in ``text``."""
    k = 0
    while f"{stem}{k}" in text:
        k += 1
    return f"{stem}{k}"


def _tests(group: _Group, hidden: set[Any], touching: Touching, form: Form,
           fresh: str, dates: DateTest | None) -> tuple[str, str]:
    """What to insert after the group's ``{`` and before its ``}``."""
    skip = group.bound | group.inherited if form.once else group.bound
    tests: list[str] = []
    minus: list[str] = []
    for var, places in sorted(group.places.items()):
        needed = [] if var in skip else sorted(_needed(places, hidden, touching))
        listed = " ".join(n.n3() for n in needed)
        if not needed:
            continue
        if dates is not None:
            tests.append(dates.text(var, fresh, set(needed)))
        elif form.once:
            tests.append(f"FILTER NOT EXISTS {{ VALUES ?{fresh} {{ {listed} }} "
                         f"FILTER(?{fresh} = ?{var}) }}")
        elif len(needed) > INLINE:
            minus.append(f" MINUS {{ VALUES ?{var} {{ {listed} }} }}")
        else:
            tests.append(f"?{var} NOT IN ({', '.join(n.n3() for n in needed)})")
    start = " ".join(tests) if form.once else f"FILTER({' && '.join(tests)})" if tests else ""
    return (f" {start} " if start else ""), ("".join(minus) + " " if minus else "")


def rewrite(text: str, hidden: set[Any], touching_of: Callable[[], Touching],
            form: Form = STANDARD, dates: DateTest | None = None) -> str | None:
    """``text`` with a filter in each group that hides the triples of ``hidden`` nodes
    (rdflib IRIs), or ``None`` when it cannot be rewritten safely (module docstring).

    ``touching_of`` gives, for each ``(predicate, "s" | "o")``, the hidden nodes that are
    the subject (object) of a triple with that predicate (:func:`roles_touching`).
    ``form`` says how each test is written (:class:`Form`); the ``dates`` form needs
    ``dates``, the test of its day.
    """
    from rdflib.term import URIRef

    if not hidden:
        return text
    if (form is DATES) != (dates is not None):
        raise ValueError("the dates form needs its DateTest, and only it")
    if any(not isinstance(n, URIRef) for n in hidden | (dates.excepted if dates else set())):
        return None
    planned = plan_query(text)
    if planned is None:
        return None
    spans, plan = planned
    touching = touching_of()
    if plan.path_roles & set(touching):
        return None
    if any(g.path_constants & hidden for g in plan.groups.values()):
        return None
    fresh = _fresh(text)
    at: dict[int, str] = {}
    for k, (start, end) in enumerate(spans):
        group = plan.groups[k]
        if group.constants & hidden:
            at[start] = " FILTER(false) "
            continue
        first, last = _tests(group, hidden, touching, form, fresh, dates)
        if first:
            at[start] = first
        if last:
            at[end] = last
    return _insert(text, at)


def roles_touching(run: Callable[[str], Any], hidden: set[Any], chunk: int = 500) -> Touching:
    """For each ``(predicate, "s")``, the hidden nodes that are the subject of a triple
    with that predicate; for ``(predicate, "o")``, those that are its object. ``run``
    answers a SELECT (the backend's own ``run``): one query per ``chunk`` nodes."""
    out: Touching = {}
    nodes = sorted(hidden)
    for k in range(0, len(nodes), chunk):
        values = " ".join(n.n3() for n in nodes[k:k + chunk])
        res = run("SELECT DISTINCT ?h ?p ?r WHERE { VALUES ?h { " + values + " } "
                  "{ ?h ?p ?x BIND(\"s\" AS ?r) } UNION { ?x ?p ?h BIND(\"o\" AS ?r) } }")
        for h, pred, role in res.rows:
            out.setdefault((pred, str(role)), set()).add(h)
    return out


__all__ = ["DATES", "EXISTS", "INLINE", "MARK", "STANDARD", "Form", "group_candidates", "plan_of",
           "plan_query", "roles_touching", "rewrite"]
