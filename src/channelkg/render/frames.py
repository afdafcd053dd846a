"""Query results for notebooks: a typed pandas DataFrame and escaped HTML tables.

:func:`to_dataframe` turns a SELECT :class:`~channelkg.graph.base.QueryResult` into a
``pandas.DataFrame`` with one column per variable, typed by the literals it holds:

* ``xsd:date`` / ``xsd:dateTime`` -> ``datetime64`` (``NaT`` where missing; a time with a
  time zone as the same instant in UTC);
* ``xsd:integer`` and the other integer types -> ``Int64`` (nullable);
* ``xsd:decimal``, ``xsd:double``, ``xsd:float`` -> ``float64``;
* ``xsd:boolean`` -> ``boolean`` (nullable);
* IRIs -> compact names (``kgid:gpt``, by the prefixes of :mod:`channelkg.rdf.namespaces`);
* everything else (strings, language-tagged text, mixed columns) -> ``string``;
* an unbound variable -> ``<NA>``.

pandas is an optional dependency (``pip install 'channelkg[notebook]'``); it is
imported only when a DataFrame is asked for.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from rdflib import Literal, URIRef
from rdflib.namespace import XSD

from channelkg.rdf.terms import display, shorten

if TYPE_CHECKING:
    from rdflib.term import Node

    from channelkg.check.validate import Report
    from channelkg.graph.base import QueryResult

_INTEGER = ("integer", "int", "long", "short", "byte", "nonNegativeInteger", "positiveInteger",
            "negativeInteger", "nonPositiveInteger", "unsignedInt", "unsignedLong",
            "unsignedShort", "unsignedByte")
#: The column type of each literal datatype that is not text.
_KINDS: dict[str, str] = {
    **{str(XSD[t]): "int" for t in _INTEGER},
    str(XSD.decimal): "float", str(XSD.double): "float", str(XSD.float): "float",
    str(XSD.date): "date", str(XSD.dateTime): "date",
    str(XSD.boolean): "bool",
}

#: What ``pip install`` line makes :func:`to_dataframe` work.
PANDAS_HINT = "pip install 'channelkg[notebook]'  (or: pip install pandas)"


def _pandas() -> Any:
    import importlib

    try:
        pd = importlib.import_module("pandas")
    except ImportError as err:
        raise ImportError(f"to_dataframe() needs pandas, which is not installed: {PANDAS_HINT}"
                          ) from err
    return pd


def _kind(term: Node | None) -> str:
    """``iri``, ``date``, ``int``, ``float``, ``bool``, ``text`` or ``none`` (unbound)."""
    if term is None:
        return "none"
    if isinstance(term, Literal):
        dtype = term.datatype
        kind = _KINDS.get(str(dtype)) if dtype is not None else None  # str keys: C compares
        return "text" if kind is None or term.ill_typed else kind
    return "iri"


def column_kind(terms: Iterable[Node | None]) -> str:
    """The one type a column's bound values share (``text`` when they differ;
    ``int`` and ``float`` together make ``float``)."""
    kinds = {_kind(t) for t in terms} - {"none"}
    if kinds == {"int", "float"}:
        return "float"
    return kinds.pop() if len(kinds) == 1 else "text"


def _date_value(term: Literal) -> Any:
    value = term.toPython()
    if isinstance(value, dt.datetime):  # with a time zone: the same instant in UTC
        return value.astimezone(dt.UTC).replace(tzinfo=None) if value.tzinfo else value
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day)
    return None


def _column(pd: Any, terms: Sequence[Node | None], kind: str) -> Any:
    if kind == "iri":
        names: dict[Node, str] = {}  # results repeat IRIs: compact each once
        for t in terms:
            if t is not None and t not in names:
                names[t] = shorten(str(t)) if isinstance(t, URIRef) else f"_:{t}"
        return pd.array([None if t is None else names[t] for t in terms], dtype="string")
    if kind == "date":
        values = [None if t is None else _date_value(t) for t in terms]  # type: ignore[arg-type]
        return pd.to_datetime(pd.Series(values, dtype="object"))
    if kind == "int":
        return pd.array([None if t is None else int(t) for t in terms],  # type: ignore[call-overload]
                        dtype="Int64")
    if kind == "float":
        return pd.array([float("nan") if t is None else float(t)  # type: ignore[arg-type]
                         for t in terms], dtype="float64")
    if kind == "bool":
        return pd.array([None if t is None else bool(Literal(t).toPython())
                         for t in terms], dtype="boolean")
    return pd.array([None if t is None else display(t) for t in terms], dtype="string")


def to_dataframe(result: QueryResult) -> Any:
    """A SELECT result as a ``pandas.DataFrame`` with typed columns (module docstring).

    An ASK result gives one column ``boolean``; a CONSTRUCT/DESCRIBE result one row per
    triple with columns ``subject``, ``predicate``, ``object``.

    Raises:
        ImportError: pandas is not installed (the message says how to install it).
    """
    pd = _pandas()
    if result.kind == "ASK":
        return pd.DataFrame({"boolean": pd.array([result.boolean], dtype="boolean")})
    if result.kind == "GRAPH":
        triples = sorted(result.graph or (), key=lambda t: tuple(map(str, t)))
        names: tuple[str, ...] = ("subject", "predicate", "object")
        rows: Sequence[Sequence[Node | None]] = triples
    else:
        names, rows = result.vars, result.rows
    data = {}
    for i, name in enumerate(names):
        terms = [r[i] for r in rows]
        data[name] = _column(pd, terms, column_kind(terms))
    return pd.DataFrame(data, columns=list(names))


def html_table(headers: Sequence[str], rows: Iterable[Sequence[str]], caption: str = "") -> str:
    """An HTML table with every header and cell escaped."""
    esc = html.escape
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{esc(c)}</td>" for c in r) + "</tr>" for r in rows)
    cap = f"<caption>{esc(caption)}</caption>" if caption else ""
    return (f'<table class="channelkg">{cap}<thead><tr>{head}</tr></thead>'
            f"<tbody>{body}</tbody></table>")


#: At most this many rows are drawn by :func:`result_html` (the rest are counted).
HTML_MAX_ROWS = 200


def result_html(result: QueryResult, max_rows: int = HTML_MAX_ROWS) -> str:
    """A query result as an escaped HTML table (IRIs as compact names)."""
    if result.kind == "ASK":
        return html_table(["boolean"], [["true" if result.boolean else "false"]])
    if result.kind == "GRAPH":
        triples = sorted(result.graph or (), key=lambda t: tuple(map(str, t)))
        headers: Sequence[str] = ("subject", "predicate", "object")
        rows = [[display(x) for x in t] for t in triples]
    else:
        headers = result.vars
        rows = [[display(x).replace("\n", " ") for x in r] for r in result.rows]
    more = len(rows) - max_rows
    caption = f"{len(rows)} row(s)" + (f", first {max_rows} shown" if more > 0 else "")
    return html_table(headers, rows[:max_rows], caption)


def report_html(report: Report) -> str:
    """A validation report as an escaped HTML table of its problems, with its verdict."""
    what = report.source or f"{len(report.files)} file(s)"
    verdict = (f"ok: {what}, {report.triples} triples, no problems" if report.conforms
               else f"{len(report.problems)} problem(s) in {what}")
    rows = [[p.location, p.kind, p.focus, p.path, p.message] for p in report.problems]
    return (html_table(["location", "kind", "focus", "path", "message"], rows)
            + f"<p>{html.escape(verdict)}</p>")


__all__ = ["HTML_MAX_ROWS", "PANDAS_HINT", "column_kind", "html_table", "report_html",
           "result_html", "to_dataframe"]
