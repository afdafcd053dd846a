"""Bounds on what channelkg reads, so hostile input ends in one clear error.

Every reader checks its input against these limits before the work that could run
without bound (see docs/limits.md). Each limit has a default and an environment
variable that changes it (a positive whole number; an unset or empty variable means
the default):

=============================  ======================================  ============
limit                          environment variable                    default
=============================  ======================================  ============
size of an RDF file            ``CHANNELKG_MAX_RDF_MB``                1024 (MiB)
size of a YAML/CSV/query file  ``CHANNELKG_MAX_INPUT_MB``              16 (MiB)
nesting of brackets            ``CHANNELKG_MAX_NESTING``               100
facts in one YAML/CSV file     ``CHANNELKG_MAX_FACTS``                 100000
YAML nodes after aliases       ``CHANNELKG_MAX_YAML_NODES``            1000000
one CSV cell                   ``CHANNELKG_MAX_CELL_KB``               128 (KiB)
entity expansion in RDF/XML    ``CHANNELKG_MAX_XML_ENTITY_KB``         1024 (KiB)
=============================  ======================================  ============

One literal (or IRI) may hold at most 16 MiB: the limit of the RDF parser itself.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from enum import Enum

from channelkg.errors import InputError

TYPE_CHECKING = False  # typing is not imported at run time
if TYPE_CHECKING:
    from typing import Any

MIB = 1 << 20

#: The RDF parser's own bound on one token (a literal, an IRI): 16 MiB.
TERM_LIMIT = 16 * MIB


class Limit(Enum):
    """One bound: its environment variable, default, unit (bytes per unit) and meaning."""

    RDF_FILE = ("CHANNELKG_MAX_RDF_MB", 1024, MIB, "size of one RDF file")
    INPUT_FILE = ("CHANNELKG_MAX_INPUT_MB", 16, MIB, "size of a YAML, CSV or query file")
    NESTING = ("CHANNELKG_MAX_NESTING", 100, 1, "nesting of ( [ { in Turtle or SPARQL")
    FACTS = ("CHANNELKG_MAX_FACTS", 100_000, 1, "facts (rows) in one YAML or CSV file")
    YAML_NODES = ("CHANNELKG_MAX_YAML_NODES", 1_000_000, 1, "YAML nodes, aliases expanded")
    CSV_CELL = ("CHANNELKG_MAX_CELL_KB", 128, 1024, "characters in one CSV cell")
    XML_ENTITY = ("CHANNELKG_MAX_XML_ENTITY_KB", 1024, 1024,
                  "characters RDF/XML entities expand to")

    @property
    def env(self) -> str:
        """The environment variable that changes the bound."""
        return str(self.value[0])

    @property
    def default(self) -> int:
        """The bound, in its unit, when the variable is not set."""
        return int(self.value[1])

    @property
    def unit(self) -> int:
        """Bytes (or items) per unit of the variable."""
        return int(self.value[2])

    @property
    def what(self) -> str:
        """What is bounded."""
        return str(self.value[3])

    def bound(self) -> int:
        """The bound in its unit of counting (bytes for sizes).

        Raises:
            InputError: the variable is set to something but a positive whole number.
        """
        raw = os.environ.get(self.env, "").strip()
        if not raw:
            return self.default * self.unit
        try:
            number = int(raw)
        except ValueError:
            number = 0
        if number <= 0:
            raise InputError(f"{self.env}={raw!r}: give a positive whole number "
                             f"(default {self.default})")
        return number * self.unit

    def exceeded(self, found: str) -> str:
        """The message for input beyond this bound."""
        shown = self.bound() // self.unit
        return f"{found}; the limit is {shown:,}{self.suffix()} (set {self.env} to change it)"

    def suffix(self) -> str:
        """The unit as written after a number."""
        return {MIB: " MiB", 1024: " KiB"}.get(self.unit, "")


RDF_FILE = Limit.RDF_FILE
INPUT_FILE = Limit.INPUT_FILE
NESTING = Limit.NESTING
FACTS = Limit.FACTS
YAML_NODES = Limit.YAML_NODES
CSV_CELL = Limit.CSV_CELL
XML_ENTITY = Limit.XML_ENTITY

ALL = (RDF_FILE, INPUT_FILE, NESTING, FACTS, YAML_NODES, CSV_CELL, XML_ENTITY)


def check_size(size: int, limit: Limit, where: str) -> None:
    """Refuse ``size`` bytes of input beyond ``limit``.

    Raises:
        InputError: the input is larger than the limit.
    """
    if size > limit.bound():
        raise InputError(limit.exceeded(f"too large ({size / MIB:,.1f} MiB)"), where)


# Tokens that can hold brackets that do not nest: strings, IRIs and comments (Turtle
# and SPARQL share these forms); then the brackets themselves. The patterns of this module
# are compiled on first use (re's cache): a command that never needs one skips the cost.
_SKIP = (r'"""(?:[^"\\]|\\.|"(?!""))*"""' r"|'''(?:[^'\\]|\\.|'(?!''))*'''"
         r'|"(?:[^"\\\n\r]|\\.)*"' r"|'(?:[^'\\\n\r]|\\.)*'"
         r'|<[^<>"{}|^`\\\x00-\x20]*>' r"|#[^\n\r]*")
_BRACKETS = rf"(?s)(?:{_SKIP})|(?P<open>[(\[{{])|(?P<close>[)\]}}])"


def nesting_depth(text: str, mark: int = 0) -> tuple[int, int]:
    """The deepest nesting of ``(``, ``[`` and ``{`` in Turtle or SPARQL text (outside
    strings, IRIs and comments), and the line where it first passes ``mark`` (where
    it is deepest if ``mark`` is 0)."""
    depth = deepest = 0
    at = passed = -1
    for m in re.finditer(_BRACKETS, text):
        if m.group("open"):
            depth += 1
            if depth > deepest:
                deepest, at = depth, m.start()
            if mark and depth == mark + 1 and passed < 0:
                passed = m.start()
        elif m.group("close"):
            depth = max(depth - 1, 0)
    where = passed if passed >= 0 else max(at, 0)
    return deepest, text.count("\n", 0, where) + 1


def check_nesting(text: str, name: str, what: str = "brackets") -> None:
    """Refuse text nested deeper than :data:`NESTING` allows (before any parser, whose
    recursion could exhaust the stack).

    Raises:
        InputError: too deep, located at the line where the limit is passed.
    """
    limit = NESTING.bound()
    if text.count("(") + text.count("[") + text.count("{") <= limit:
        return  # cannot be deeper than its number of brackets
    depth, line = nesting_depth(text, limit)
    if depth > limit:
        raise InputError(NESTING.exceeded(f"{what} nested {depth:,} deep"), f"{name}:{line}")


def check_blank_depth(triples: Iterable[tuple[Any, Any, Any]], name: str,
                      blank: type = object, rest: Any = None) -> None:
    """Refuse triples whose blank nodes nest (a blank node, or a list, as the object of
    another, and so on) deeper than :data:`NESTING` allows: written as Turtle they would
    nest that deep. The cells of one list do not nest (``rdf:rest``). Counted without
    recursion, whatever the depth. ``blank`` and ``rest``: the blank node class and the
    ``rdf:rest`` term of the triples (default: rdflib's).

    Raises:
        InputError: too deep.
    """
    if blank is object:
        from rdflib import BNode
        from rdflib.namespace import RDF

        blank, rest = BNode, RDF.rest
    inner: dict[Any, list[tuple[Any, int]]] = {}
    for s, p, o in triples:
        if isinstance(o, blank) and isinstance(s, blank):
            inner.setdefault(s, []).append((o, 0 if p == rest else 1))
    if not inner:
        return
    limit = NESTING.bound()
    depth: dict[Any, int] = {}
    for start in inner:
        todo: list[tuple[Any, bool]] = [(start, False)]
        on_path: set[Any] = set()
        while todo:
            node, done = todo.pop()
            if done:
                on_path.discard(node)
                depth[node] = max((w + depth.get(c, 0) for c, w in inner.get(node, ())),
                                  default=0)
                if depth[node] > limit:
                    raise InputError(NESTING.exceeded(
                        f"blank nodes or lists nested more than {limit:,} deep"), name)
                continue
            if node in depth or node in on_path:
                continue  # done already, or a cycle (the writer refuses those itself)
            on_path.add(node)
            todo.append((node, True))
            todo.extend((c, False) for c, _ in inner.get(node, ()) if c not in depth)


_ENTITY = (
    rb"<!ENTITY\s+(?P<param>%\s+)?(?P<name>[^\s\"'>]+)\s+"
    rb"(?:\"(?P<dq>[^\"]*)\"|'(?P<sq>[^']*)'|(?P<ext>SYSTEM|PUBLIC)\b)")
_REFERENCE = rb"&([A-Za-z_:][\w.:-]*);"


def check_xml_entities(data: bytes, name: str) -> None:
    """Refuse RDF/XML whose DTD declares external or parameter entities, or entities
    that expand (nested, or used many times) beyond :data:`XML_ENTITY`.

    The check runs before the XML parser, which would expand them all in memory.

    Raises:
        InputError: an external or parameter entity, a cycle, or too large an expansion.
    """
    if b"<!ENTITY" not in data:
        return
    limit = XML_ENTITY.bound()
    values: dict[bytes, bytes] = {}
    end = 0
    for m in re.finditer(_ENTITY, data):
        line = data.count(b"\n", 0, m.start()) + 1
        if m.group("ext") or m.group("param"):
            kind = "an external" if m.group("ext") else "a parameter"
            label = m.group("name").decode("utf-8", "replace")
            raise InputError(f"declares {kind} entity {label!r}; only internal entities "
                             "are read", f"{name}:{line}")
        values[m.group("name")] = m.group("dq") if m.group("dq") is not None else m.group("sq")
        end = m.end()
    sizes = _entity_sizes(values, limit, name)
    body = data[end:]
    total = len(body) + sum(sizes.get(r, 0) for r in re.findall(_REFERENCE, body))
    if total - len(body) > limit:
        raise InputError(XML_ENTITY.exceeded(
            f"its entities expand to {total - len(body):,} characters"), name)


_XML_TOKEN = (
    rb"(?s)<!--.*?-->|<!\[CDATA\[.*?\]\]>|<\?.*?\?>|<!DOCTYPE(?:[^\[>]|\[.*?\])*>"
    rb"|(?P<close></[^>]*>)"
    rb"|(?P<open><[A-Za-z_:][^>\"']*(?:(?:\"[^\"]*\"|'[^']*')[^>\"']*)*?(?P<empty>/?)>)")


def check_xml_nesting(data: bytes, name: str) -> None:
    """Refuse RDF/XML whose elements nest deeper than twice :data:`NESTING` (a blank node
    as a property's value takes two levels); the RDF/XML parser slows down without bound
    on deep nesting.

    Raises:
        InputError: too deep, at the line where the limit is passed.
    """
    limit = 2 * NESTING.bound() + 2
    if data.count(b"<") <= limit:
        return
    depth = 0
    for m in re.finditer(_XML_TOKEN, data):
        if m.group("close"):
            depth -= 1
        elif m.group("open") and not m.group("empty"):
            depth += 1
            if depth > limit:
                line = data.count(b"\n", 0, m.start()) + 1
                raise InputError(NESTING.exceeded(
                    f"XML elements nested more than {limit:,} deep"), f"{name}:{line}")


def _entity_sizes(values: dict[bytes, bytes], limit: int, name: str) -> dict[bytes, int]:
    """The expanded length of each entity (XML's five predefined ones count as one)."""
    sizes: dict[bytes, int] = {b"lt": 1, b"gt": 1, b"amp": 1, b"apos": 1, b"quot": 1}
    refs = {k: re.findall(_REFERENCE, v) for k, v in values.items()}
    pending = dict(values)
    while pending:
        ready = [k for k in pending if all(r in sizes for r in refs[k])]
        if not ready:
            left = b", ".join(sorted(pending)).decode("utf-8", "replace")
            raise InputError(f"entities refer to themselves or to undeclared ones ({left})",
                             name)
        for k in ready:
            size = len(pending.pop(k)) + sum(sizes[r] for r in refs[k])
            if size > limit:
                raise InputError(XML_ENTITY.exceeded(
                    f"entity {k.decode('utf-8', 'replace')!r} expands to {size:,} characters"),
                    name)
            sizes[k] = size
    return sizes


__all__ = ["ALL", "CSV_CELL", "FACTS", "INPUT_FILE", "MIB", "NESTING", "RDF_FILE",
           "TERM_LIMIT", "XML_ENTITY", "YAML_NODES", "Limit", "check_blank_depth", "check_nesting",
           "check_size", "check_xml_entities", "check_xml_nesting", "nesting_depth"]
