"""Answers of the endpoint: content negotiation and the result formats.

SELECT/ASK answers are SPARQL JSON, XML, CSV or TSV; CONSTRUCT/DESCRIBE answers are
Turtle, N-Triples, JSON-LD or RDF/XML. The format comes from ``format=`` (a key of
:data:`FORMATS` or a media type) or else from the ``Accept`` header, best quality first.

XML 1.0 cannot carry some characters at all, not even as character references
(U+0000-U+0008, U+000B, U+000C, U+000E-U+001F, U+FFFE, U+FFFF). An answer holding one is
never sent as XML with the character changed or dropped: the next format the client
accepts is used instead, and when it accepts no other one the answer is HTTP 406 with a
message that names the character. A carriage return inside a value is written as
``&#13;`` so that XML parsers do not turn it into a line feed.
"""

from __future__ import annotations

import re
from typing import Any

_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"

# format key -> (media type, result kinds it fits)
FORMATS: dict[str, tuple[str, tuple[str, ...]]] = {
    "json": ("application/sparql-results+json", ("SELECT", "ASK")),
    "xml": ("application/sparql-results+xml", ("SELECT", "ASK")),
    "csv": ("text/csv", ("SELECT", "ASK")),
    "tsv": ("text/tab-separated-values", ("SELECT", "ASK")),
    "turtle": ("text/turtle", ("GRAPH",)),
    "nt": ("application/n-triples", ("GRAPH",)),
    "jsonld": ("application/ld+json", ("GRAPH",)),
    "rdfxml": ("application/rdf+xml", ("GRAPH",)),
}
MEDIA = {
    "application/sparql-results+json": "json",
    "application/json": "json",
    "text/javascript": "json",
    "application/javascript": "json",
    "application/sparql-results+xml": "xml",
    "application/xml": "xml",
    "text/xml": "xml",
    "text/csv": "csv",
    "text/tab-separated-values": "tsv",
    "text/turtle": "turtle",
    "application/x-turtle": "turtle",
    "text/n3": "turtle",
    "text/rdf+n3": "turtle",
    "application/n-triples": "nt",
    "text/plain": "nt",
    "application/ld+json": "jsonld",
    "application/rdf+xml": "rdfxml",
}
XML_FORMATS = ("xml", "rdfxml")
#: Characters that XML 1.0 cannot represent (https://www.w3.org/TR/xml/#charsets).
NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


class NotAcceptableError(Exception):
    """No format the client accepts can carry the answer (HTTP 406)."""


def ranked(kind: str, accept: str | None, fmt: str | None = None) -> list[str]:
    """The format keys fitting a result kind, in the client's order of preference.

    ``format=`` (a key or a media type) comes first when it fits; then the ``Accept``
    entries by quality (ties: the order written); ``*/*`` and unknown types count as the
    first format that fits. Entries with ``q=0`` are left out, as HTTP says.
    """
    fits = [k for k, (_m, kinds) in FORMATS.items() if kind in kinds]
    if fmt:
        key = MEDIA.get(fmt.lower(), fmt.lower())
        if key in fits:
            return [key]
    scored: dict[str, float] = {}
    wildcard = -1.0
    for i, part in enumerate((accept or "").split(",")):
        media, *opts = [p.strip() for p in part.split(";")]
        q = 1.0
        for o in opts:
            if o.replace(" ", "").startswith("q="):
                try:
                    q = float(o.split("=", 1)[1])
                except ValueError:
                    q = 0.0
        if q <= 0:
            continue
        score = q - i * 1e-6
        media = media.lower()
        key = MEDIA.get(media, "")
        if key in fits:
            scored[key] = max(scored.get(key, -1.0), score)
        elif media in ("*/*", "application/*", "text/*", ""):
            wildcard = max(wildcard, score)
    order = sorted(scored, key=lambda k: -scored[k])
    rest = [k for k in fits if k not in scored]
    if wildcard >= 0 or not order:
        # after the named ones that score higher than the wildcard, the rest in our order
        higher = [k for k in order if scored[k] >= wildcard]
        lower = [k for k in order if scored[k] < wildcard]
        return higher + rest + lower
    return order


def negotiate(kind: str, accept: str | None, fmt: str | None = None) -> str:
    """Pick the output format key for a result kind from ``format=`` or ``Accept``."""
    return ranked(kind, accept, fmt)[0]


def _xml_text(text: str) -> str:
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;").replace("\r", "&#13;"))


def _xml_term(term: Any) -> str:
    from rdflib import BNode, Literal, URIRef

    if isinstance(term, URIRef):
        return f"<uri>{_xml_text(str(term))}</uri>"
    if isinstance(term, BNode):
        return f"<bnode>{_xml_text(str(term))}</bnode>"
    assert isinstance(term, Literal)
    attrs = ""
    if term.language:
        attrs = f' xml:lang="{_xml_text(term.language)}"'
    elif term.datatype is not None and str(term.datatype) != _XSD_STRING:
        attrs = f' datatype="{_xml_text(str(term.datatype))}"'
    return f"<literal{attrs}>{_xml_text(str(term))}</literal>"


def results_xml(result: Any) -> str:
    """SPARQL Query Results XML Format (https://www.w3.org/TR/rdf-sparql-XMLres/)."""
    out = ['<?xml version="1.0"?>', '<sparql xmlns="http://www.w3.org/2005/sparql-results#">']
    if result.kind == "ASK":
        out += ["<head/>", f"<boolean>{'true' if result.boolean else 'false'}</boolean>"]
    else:
        out.append("<head>" + "".join(f'<variable name="{v}"/>' for v in result.vars) + "</head>")
        out.append("<results>")
        for row in result.rows:
            cells = "".join(
                f'<binding name="{v}">{_xml_term(t)}</binding>'
                for v, t in zip(result.vars, row, strict=True)
                if t is not None
            )
            out.append(f"<result>{cells}</result>")
        out.append("</results>")
    out.append("</sparql>")
    return "\n".join(out) + "\n"


def render(result: Any, fmt: str) -> bytes:
    """Render a :class:`~channelkg.graph.base.QueryResult` in a format key of :data:`FORMATS`."""
    from channelkg.render import results as formats

    if fmt == "xml":
        return results_xml(result).encode("utf-8")
    if fmt == "rdfxml":
        data: bytes = result.graph.serialize(format="xml").encode("utf-8")
        return data
    if fmt == "jsonld":
        return formats.render(result, "json-ld").encode("utf-8")
    if fmt == "csv" and result.kind == "ASK":
        return b"_askResult\r\n" + (b"true" if result.boolean else b"false") + b"\r\n"
    if fmt == "tsv" and result.kind == "ASK":
        return b"?_askResult\n" + (b"true" if result.boolean else b"false") + b"\n"
    return formats.render(result, fmt).encode("utf-8")


def not_xml_char(body: bytes) -> str | None:
    """The first character of a rendered answer that XML 1.0 cannot carry, as ``U+XXXX``."""
    m = NOT_XML.search(body.decode("utf-8", "replace"))
    return f"U+{ord(m.group(0)):04X}" if m else None


def render_negotiated(result: Any, formats: list[str],
                      render_one: Any = render) -> tuple[str, bytes]:
    """Render in the first of ``formats`` that can carry the answer; return (key, body).

    Raises:
        NotAcceptableError: every format left is XML and the answer has a character XML 1.0
            cannot represent.
    """
    bad: str | None = None
    for fmt in formats:
        body: bytes = render_one(result, fmt)
        if fmt in XML_FORMATS:
            bad = not_xml_char(body)
            if bad is not None:
                continue
        return fmt, body
    raise NotAcceptableError(
        f"the answer holds the character {bad}, which XML 1.0 cannot represent (not even "
        "as a character reference); ask for JSON (format=json or Accept: "
        "application/sparql-results+json), CSV or TSV instead")


__all__ = [
    "FORMATS",
    "MEDIA",
    "NOT_XML",
    "NotAcceptableError",
    "negotiate",
    "not_xml_char",
    "ranked",
    "render",
    "render_negotiated",
    "results_xml",
]
