"""The ``dates`` form of the ``--as-of`` rewrite: a fact's own dates decide, on the server.

Where the *exists* form of :mod:`channelkg.graph.asof_filter` sends the list of the
hidden facts and the server tests each row against all of it, this form asks, for each
row, whether the node it binds has a date that hides it on day ``D``::

    FILTER NOT EXISTS {
      { ?v ckg:validFrom ?f FILTER(STR(?f) > "D") }
      UNION { ?v ckg:validTo ?f FILTER(STR(?f) <= "D") }
      UNION { ?v ckg:statedOn ?f FILTER(STR(?f) > "D") FILTER NOT EXISTS { ?v ckg:validFrom ?g } }
    }

(in the *known* mode the ``statedOn`` branch has no inner test), which the server
answers with a lookup of ``?v``'s dates per row, in time linear in the rows. ISO dates
compare as strings in date order. The rule of :mod:`channelkg.graph.validity` says
more than that test: dates at month or year precision take effect after their period,
a fact may have two values of a date, or one that is not a date. So the view works out,
from the dating triples it has read, which nodes the test above would hide
(:func:`date_tested`, the same string comparisons), and sends the difference with the
rule's hidden set as two short lists: the nodes the test wrongly hides are excepted in
it, and the hidden nodes it misses are tested as in the exists form. A node with a date
whose text is not exactly ``YYYY-MM-DD`` (``"2024-05-01Z"``, a time, a year) is listed
either way, as what the server's ``STR()`` gives for it is not relied on. The rows are
then exactly those of the rule.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from channelkg.rdf.namespaces import CKG

_PROPS = {CKG.validFrom: "from", CKG.validTo: "to", CKG.statedOn: "stated"}
#: The text of a date the test compares as it was read: any other text (a timezone, a
#: time, a year alone …) may be given otherwise by the server's ``STR()``, so a node
#: with such a date is listed (tested by list when hidden, excepted when visible).
_PLAIN_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def date_tested(triples: Iterable[tuple[Any, Any, Any]], day: str, *,
                known: bool = False) -> set[Any]:
    """The subjects of ``triples`` (the dating triples of a graph) that the test of the
    module docstring hides on ``day`` (ISO text)."""
    return _tested(triples, day, known=known)[0]


def _tested(triples: Iterable[tuple[Any, Any, Any]], day: str, *,
            known: bool = False) -> tuple[set[Any], set[Any]]:
    """:func:`date_tested`, and the subjects with a date whose text is not exactly
    ``YYYY-MM-DD`` (for those, what the server's ``STR()`` gives is not relied on)."""
    values: dict[Any, dict[str, list[str]]] = {}
    unsure = set()
    for s, p, o in triples:
        kind = _PROPS.get(p)
        if kind is None:
            continue
        text = _str(o)
        entry = values.setdefault(s, {})
        entry.setdefault(kind, [])
        if text is not None:  # STR() of a blank node is an error: no branch holds
            entry[kind].append(text)
            if not _PLAIN_DATE.fullmatch(text):
                unsure.add(s)
    out = set()
    for s, v in values.items():
        if (any(t > day for t in v.get("from", ())) or any(t <= day for t in v.get("to", ()))
                or (known or "from" not in v) and any(t > day for t in v.get("stated", ()))):
            out.add(s)
    return out, unsure


def _str(term: Any) -> str | None:
    """SPARQL's ``STR()`` of an rdflib term (``None`` for a blank node)."""
    from rdflib.term import BNode

    return None if isinstance(term, BNode) else str(term)


@dataclass(frozen=True)
class DateTest:
    """The ``dates`` form's test on one day (see the module docstring).

    Attributes:
        day: the day, ISO text.
        known: the stricter rule (``statedOn`` always counts).
        missed: hidden nodes the date test does not hide (tested by list).
        excepted: nodes the date test hides that are visible (excepted by list).
    """

    day: str
    known: bool
    missed: frozenset[Any]
    excepted: frozenset[Any]

    @classmethod
    def of(cls, triples: Iterable[tuple[Any, Any, Any]], hidden: set[Any], day: str, *,
           known: bool = False) -> DateTest:
        """The test for the graph whose dating triples are ``triples`` and whose hidden
        nodes on ``day`` are ``hidden``."""
        tested, unsure = _tested(triples, day, known=known)
        return cls(day, known, frozenset(hidden - tested | hidden & unsure),
                   frozenset(tested - hidden | unsure - hidden))

    @property
    def listed(self) -> int:
        """How many nodes the test sends by list."""
        return len(self.missed) + len(self.excepted)

    def text(self, var: str, fresh: str, needed: set[Any]) -> str:
        """The filters that drop the rows whose ``?var`` is hidden (``needed``: the hidden
        nodes that can stand where ``var`` does; only those of :attr:`missed` are listed)."""
        v, f = f"?{var}", f"?{fresh}_f"
        day = f'"{self.day}"'
        stated = f"{{ {v} <{CKG.statedOn}> {f} FILTER(STR({f}) > {day})"
        if not self.known:
            stated += f" FILTER NOT EXISTS {{ {v} <{CKG.validFrom}> ?{fresh}_g }}"
        out = (f"FILTER NOT EXISTS {{ {{ {v} <{CKG.validFrom}> {f} FILTER(STR({f}) > {day}) }} "
               f"UNION {{ {v} <{CKG.validTo}> {f} FILTER(STR({f}) <= {day}) }} "
               f"UNION {stated} }}{_unlisted(self.excepted, var, fresh)} }}")
        missed = self.missed & needed
        if missed:
            out += " " + listed_test(missed, var, fresh)
        return out


def listed_test(nodes: Iterable[Any], var: str, fresh: str) -> str:
    """``FILTER NOT EXISTS { VALUES ?h { nodes } FILTER(?h = ?var) }`` (the exists form)."""
    listed = " ".join(n.n3() for n in sorted(nodes))
    return f"FILTER NOT EXISTS {{ VALUES ?{fresh} {{ {listed} }} FILTER(?{fresh} = ?{var}) }}"


def _unlisted(nodes: frozenset[Any], var: str, fresh: str) -> str:
    return f" {listed_test(nodes, var, fresh + '_x')}" if nodes else ""


__all__ = ["DateTest", "date_tested", "listed_test"]
