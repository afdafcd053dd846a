"""Render query results: aligned table, CSV, TSV, SPARQL JSON, Markdown, Turtle, JSON-LD.

CSV and TSV follow "SPARQL 1.1 Query Results CSV and TSV Formats"
(https://www.w3.org/TR/sparql11-results-csv-tsv/); JSON follows "SPARQL 1.1 Query
Results JSON Format" (https://www.w3.org/TR/sparql11-results-json/).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from channelkg.errors import InputError
from channelkg.rdf.namespaces import XSD_NS
from channelkg.rdf.terms import display, term_parts
from channelkg.sparql.query import QueryResult

TYPE_CHECKING = False  # typing is not imported at run time
if TYPE_CHECKING:
    from typing import Any

_XSD_STRING = XSD_NS + "string"

ROW_FORMATS = ("table", "csv", "tsv", "json", "md")
GRAPH_FORMATS = ("turtle", "json-ld", "nt")


def _width(s: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)


def _pad(s: str, width: int) -> str:
    return s + " " * (width - _width(s))


def table(headers: list[str], rows: list[list[str]]) -> str:
    """An aligned plain-text table (wide CJK characters count double)."""
    widths = [_width(h) for h in headers]
    for r in rows:
        widths = [max(w, _width(c)) for w, c in zip(widths, r, strict=True)]
    lines = ["  ".join(_pad(h, w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(_pad(c, w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    return "\n".join(lines) + "\n"


def markdown(headers: list[str], rows: list[list[str]]) -> str:
    def esc(s: str) -> str:
        return s.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(map(esc, headers)) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(map(esc, r)) + " |" for r in rows]
    return "\n".join(lines) + "\n"


def csv_text(headers: list[str], rows: list[list[str]]) -> str:
    """CSV with CRLF line ends (RFC 4180), header first; with ``--safe-csv``, formula
    cells neutralised (:mod:`channelkg.render.spreadsheet`)."""
    import csv
    import io

    from channelkg.render.spreadsheet import for_spreadsheet

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerows(for_spreadsheet([list(headers), *rows]))
    return buf.getvalue()


def render_rows(
    headers: list[str], rows: list[list[str]], fmt: str, doc: object | None = None
) -> str:
    """Render display rows as ``table``, ``csv`` or ``md``; ``json`` dumps ``doc``
    (default: one object per row, keyed by the headers)."""
    if fmt == "json":
        import json

        if doc is None:
            doc = [dict(zip(headers, r, strict=True)) for r in rows]
        return json.dumps(doc, ensure_ascii=False, indent=1) + "\n"
    if fmt == "csv":
        return csv_text(headers, rows)
    if fmt == "md":
        return markdown(headers, rows)
    if fmt == "table":
        return table(headers, rows)
    raise InputError(f"unknown format {fmt!r}; choose table, csv, json or md")


def _cell(term: Any) -> str:
    return display(term).replace("\n", " ")


def _json_term(term: Any) -> dict[str, str]:
    kind, value, language, datatype = term_parts(term)
    if kind != "literal":
        return {"type": "uri" if kind == "iri" else "bnode", "value": value}
    out = {"type": "literal", "value": value}
    if language:
        out["xml:lang"] = language
    elif datatype is not None and datatype != _XSD_STRING:
        out["datatype"] = datatype
    return out


# Canonical N-Triples (RDF 1.2): these characters are written with ECHAR, the other
# controls (U+0000-U+001F, U+007F) with UCHAR; everything else as it is. A line ends
# only at LF, so U+2028, U+0085, U+000B/C inside a literal never split a triple.
_NT_ECHAR = {"\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r",
             '"': '\\"', "\\": "\\\\"}
_NT_IRI_BAD = frozenset('<>"{}|^`\\') | {chr(c) for c in range(0x21)}
_BNODE_LABEL = re.compile(r"^[A-Za-z0-9_]([A-Za-z0-9_.-]*[A-Za-z0-9_-])?$")


def _nt_string(text: str) -> str:
    out = []
    for ch in text:
        if ch in _NT_ECHAR:
            out.append(_NT_ECHAR[ch])
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04X}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _nt_iri(iri: str) -> str:
    bad = sorted({c for c in iri if c in _NT_IRI_BAD})
    if bad:  # an escape would not help: the IRI itself is invalid
        raise InputError(f"cannot write IRI {iri!r}: it holds {', '.join(map(repr, bad))}")
    return f"<{iri}>"


def nt_term(term: Any) -> str:
    """One RDF term (pyoxigraph's or rdflib's) in canonical N-Triples syntax."""
    try:
        kind, value, language, datatype = term_parts(term)
    except TypeError:
        raise InputError(f"cannot write term {term!r} as N-Triples") from None
    if kind == "iri":
        return _nt_iri(value)
    if kind == "bnode":
        return "_:" + (value if _BNODE_LABEL.match(value) else "b" + value.encode().hex())
    body = _nt_string(value)
    if language:
        return f"{body}@{language}"
    if datatype is not None and datatype != _XSD_STRING:
        return f"{body}^^{_nt_iri(datatype)}"
    return body


def ntriples(graph: Iterable[tuple[Any, Any, Any]]) -> str:
    """The triples as canonical N-Triples, one per line, lines sorted."""
    return "".join(sorted(" ".join(map(nt_term, t)) + " .\n" for t in graph))


def turtle(graph: Iterable[tuple[Any, Any, Any]]) -> str:
    """The triples as Turtle written by pyoxigraph: every literal keeps its lexical form
    (``"1500"^^xsd:double`` stays so; rdflib's writer would make it ``1.5e+03``), the
    project's prefixes are declared when used, triples are sorted (one statement per
    subject), blank nodes get the labels of :func:`stable_blank_nodes`; a triple that is not
    RDF (a literal as subject) is left out."""
    import itertools

    import pyoxigraph as ox

    from channelkg.rdf.namespaces import PREFIXES, RDF_NS
    from channelkg.rdf.terms import to_oxigraph

    RDF_TYPE = RDF_NS + "type"  # noqa: N806 (a constant)
    terms = [(to_oxigraph(s), to_oxigraph(p), to_oxigraph(o)) for s, p, o in graph]
    triples = sorted((ox.Triple(s, p, o) for s, p, o in stable_blank_nodes(terms)
                      if not isinstance(s, ox.Literal) and isinstance(p, ox.NamedNode)),
                     key=lambda t: (str(t.subject), str(t.predicate), str(t.object)))
    iris = {t.value for tr in triples for t in (  # the IRIs a prefix may shorten ("a" stays)
        tr.subject, None if tr.predicate.value == RDF_TYPE else tr.predicate, tr.object,
        tr.object.datatype if isinstance(tr.object, ox.Literal) and not tr.object.language
        and tr.object.datatype.value != XSD_NS + "string" else None)
        if isinstance(t, ox.NamedNode)}
    used = {name: ns for name, ns in PREFIXES.items() if any(i.startswith(ns) for i in iris)}
    text = (ox.serialize(triples, format=ox.RdfFormat.TURTLE, prefixes=used) or b"").decode()
    lines = text.splitlines(keepends=True)
    head = sum(1 for _ in itertools.takewhile(lambda ln: ln.startswith("@prefix "), lines))
    if not head:
        return text
    return "".join(sorted(lines[:head])) + "\n" + "".join(lines[head:])


def stable_blank_nodes(triples: list[tuple[Any, Any, Any]]) -> list[tuple[Any, Any, Any]]:
    """The triples (pyoxigraph terms) with blank nodes relabelled ``b0``, ``b1`` … in the
    order of what surrounds them (three rounds of colour refinement), so that one graph is
    written alike in every process whatever labels its blank nodes had. Blank nodes whose
    surroundings agree to three steps may swap labels. Linear in the triples (a full
    canonical labelling can take exponential time on symmetric graphs)."""
    import hashlib

    import pyoxigraph as ox

    nodes = {t for tr in triples for t in (tr[0], tr[2]) if isinstance(t, ox.BlankNode)}
    if not nodes:
        return triples
    colour = dict.fromkeys(nodes, "")

    def key(term: Any) -> str:
        return "_:" + colour[term] if isinstance(term, ox.BlankNode) else str(term)

    for _ in range(3):
        around: dict[Any, list[str]] = {b: [] for b in nodes}
        for s, p, o in triples:
            if s in around:
                around[s].append(f"> {p} {key(o)}")
            if o in around:
                around[o].append(f"< {p} {key(s)}")
        colour = {b: hashlib.sha256("\n".join(sorted(v)).encode()).hexdigest()
                  for b, v in around.items()}
    label = {b: ox.BlankNode(f"b{i}") for i, b in enumerate(sorted(nodes, key=lambda b: colour[b]))}
    return [(label.get(s, s), p, label.get(o, o)) for s, p, o in triples]


def _csv_term(term: Any) -> str:
    """A CSV cell: the lexical form, a blank node as ``_:label`` (SPARQL 1.1 CSV)."""
    if term is None:
        return ""
    kind, value, _, _ = term_parts(term)
    return f"_:{value}" if kind == "bnode" else value


def _tsv_term(term: Any) -> str:
    if term is None:
        return ""
    return nt_term(term)  # N-Triples escapes TAB, LF and CR: one row per line


def render(result: QueryResult, fmt: str = "table") -> str:
    """Render a result in ``fmt``; raise :class:`InputError` if the format does not fit."""
    if result.kind == "GRAPH":
        assert result.graph is not None
        if fmt in ("table", "turtle"):
            return turtle(result.graph)
        if fmt == "json-ld":
            return result.graph.serialize(format="json-ld", auto_compact=True)
        if fmt == "nt":
            return ntriples(result.graph)
        raise InputError(
            f"format {fmt!r} does not fit a CONSTRUCT/DESCRIBE result; "
            f"choose {', '.join(GRAPH_FORMATS)}"
        )
    if fmt in GRAPH_FORMATS:
        raise InputError(f"format {fmt!r} fits CONSTRUCT/DESCRIBE; choose {', '.join(ROW_FORMATS)}")
    if result.kind == "ASK":
        if fmt == "json":
            import json

            return json.dumps({"head": {}, "boolean": result.boolean}) + "\n"
        return ("true" if result.boolean else "false") + "\n"
    headers = list(result.vars)
    if fmt == "json":
        import json

        doc = {
            "head": {"vars": headers},
            "results": {
                "bindings": [
                    {v: _json_term(t) for v, t in zip(headers, row, strict=True) if t is not None}
                    for row in result.rows
                ]
            },
        }
        return json.dumps(doc, ensure_ascii=False, indent=1) + "\n"
    if fmt == "csv":
        plain = [[_csv_term(t) for t in row] for row in result.rows]
        return csv_text(headers, plain)
    if fmt == "tsv":
        lines = ["\t".join("?" + h for h in headers)]
        lines += ["\t".join(_tsv_term(t) for t in row) for row in result.rows]
        return "\n".join(lines) + "\n"
    cells = [[_cell(t) for t in row] for row in result.rows]
    if fmt == "md":
        return markdown(headers, cells)
    if fmt == "table":
        return table(headers, cells)
    raise InputError(f"unknown format {fmt!r}; choose {', '.join(ROW_FORMATS + GRAPH_FORMATS)}")
