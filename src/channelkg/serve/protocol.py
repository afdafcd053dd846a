"""The SPARQL 1.1 Protocol's query operation: from an HTTP request to a query job.

https://www.w3.org/TR/sparql11-protocol/#query-operation, as the W3C protocol tests
check it:

* ``GET ?query=…``, ``POST`` of a form (``application/x-www-form-urlencoded``, the
  parameters in the body) or ``POST`` of the query itself (``application/sparql-query``,
  the other parameters in the URL).
* ``default-graph-uri`` and ``named-graph-uri`` (each repeatable, in the URL or in the
  form body) give the dataset; they override ``FROM``/``FROM NAMED`` of the query.
* Exactly one query: two ``query`` parameters (or one in the URL and one in the body)
  are HTTP 400.
* The body is UTF-8: a ``charset`` other than UTF-8 (or US-ASCII, a subset) is HTTP 415,
  bytes that are not UTF-8 are HTTP 400. Nothing is decoded with replacement characters,
  so a query never runs with different text than the client sent.
* Any other body type is HTTP 415; an update (``update=``, ``application/sparql-update``
  or update text in ``query``) is HTTP 403: the endpoint is read-only.
* The query's base IRI is the endpoint's URL (the protocol says it may be).
"""

from __future__ import annotations

import re
import urllib.parse
from dataclasses import dataclass
from typing import Any

# Every repetition starts with a keyword, so the match stays linear in the prologue's
# length (a long prologue of masked IRIs must not cause catastrophic backtracking).
_UPDATE = re.compile(
    r"^\s*(?:(?:PREFIX\s+[\w.-]*:|BASE)\s*)*"
    r"(INSERT|DELETE|LOAD|CLEAR|CREATE|DROP|COPY|MOVE|ADD|WITH)\b",
    re.IGNORECASE,
)
READ_ONLY = "this endpoint is read-only: SPARQL UPDATE is refused"
_UTF8 = ("utf-8", "utf8", "us-ascii", "ascii")


def is_update(text: str) -> bool:
    """True if the text is a SPARQL UPDATE request (after its prologue)."""
    from channelkg.graph.remote import mask

    return _UPDATE.match(mask(text)) is not None


@dataclass
class Refusal:
    """A request the endpoint answers with an error status and one line."""

    status: int
    message: str


@dataclass
class QueryRequest:
    """A query operation read from a request: the query and its protocol parameters."""

    text: str | None
    fmt: str | None
    default_graphs: list[str] | None
    named_graphs: list[str] | None
    base: str


def media_type(content_type: str) -> tuple[str, str | None]:
    """The media type (lower case) and the ``charset`` parameter of a Content-Type."""
    media, *params = [p.strip() for p in content_type.split(";")]
    charset = None
    for p in params:
        key, _, value = p.partition("=")
        if key.strip().lower() == "charset":
            charset = value.strip().strip('"').lower()
    return media.lower(), charset


def _decode(body: bytes, charset: str | None, what: str) -> str | Refusal:
    if charset is not None and charset not in _UTF8:
        return Refusal(415, f"{what} in charset {charset!r}: this endpoint reads UTF-8 only "
                       "(send the query as UTF-8, with charset=utf-8 or no charset)")
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as err:
        return Refusal(400, f"{what} is not valid UTF-8 (byte {err.start})")


def _pairs(qs: str, what: str) -> list[tuple[str, str]] | Refusal:
    try:
        return urllib.parse.parse_qsl(qs, keep_blank_values=True, errors="strict")
    except UnicodeDecodeError:
        return Refusal(400, f"{what}: percent-encoded bytes that are not UTF-8")
    except ValueError as err:
        return Refusal(400, f"{what}: {err}")


def _dataset(pairs: list[tuple[str, str]]) -> tuple[list[str] | None, list[str] | None]:
    default = [v for k, v in pairs if k == "default-graph-uri"]
    named = [v for k, v in pairs if k == "named-graph-uri"]
    return default or None, named or None


def _url_pairs(raw_query: bytes) -> list[tuple[str, str]] | Refusal:
    try:
        return _pairs(raw_query.decode("utf-8"), "the URL's parameters")
    except UnicodeDecodeError:
        return Refusal(400, "the URL's parameters are not UTF-8")


def read_get(raw_query: bytes, base: str) -> QueryRequest | Refusal:
    """Read the query operation of a GET request from its query string, as
    :func:`read_query` does; ``base``: the request's URL without query string."""
    pairs = _url_pairs(raw_query)
    if isinstance(pairs, Refusal):
        return pairs
    return _operation(pairs, None, base)


async def read_query(request: Any, raw_query: bytes) -> QueryRequest | Refusal:
    """Read the query operation of a GET or POST request (see the module's rules).

    ``raw_query`` is the URL's query string; the body is read from ``request``.
    """
    url = _url_pairs(raw_query)
    if isinstance(url, Refusal):
        return url
    pairs = list(url)
    text: str | None = None
    if request.method == "POST":
        media, charset = media_type(request.headers.get("content-type", ""))
        if media == "application/sparql-update":
            return Refusal(403, READ_ONLY)
        if media == "application/x-www-form-urlencoded":
            body = _decode(await request.body(), charset, "the form")
            if isinstance(body, Refusal):
                return body
            form = _pairs(body, "the form")
            if isinstance(form, Refusal):
                return form
            pairs += form
        elif media == "application/sparql-query":
            if any(k == "query" for k, _ in pairs):
                return Refusal(400, "two queries: a 'query' URL parameter and an "
                               "application/sparql-query body")
            direct = _decode(await request.body(), charset, "the query")
            if isinstance(direct, Refusal):
                return direct
            text = direct
        else:
            return Refusal(415, "POST a form (application/x-www-form-urlencoded, query=…) or "
                           "a query (application/sparql-query), not "
                           f"{media or 'a body without Content-Type'}")
    return _operation(pairs, text, str(request.url.replace(query="", fragment="")))


def _operation(pairs: list[tuple[str, str]], text: str | None,
               base: str) -> QueryRequest | Refusal:
    """The query operation of a request's parameters (and a query sent as the body)."""
    if any(k in ("update", "using-graph-uri", "using-named-graph-uri") for k, _ in pairs):
        return Refusal(403, READ_ONLY)
    queries = [v for k, v in pairs if k == "query"]
    if len(queries) > 1:
        return Refusal(400, f"{len(queries)} 'query' parameters: send exactly one query")
    if queries:
        text = queries[0]
    fmts = [v for k, v in pairs if k == "format"]
    default, named = _dataset(pairs)
    return QueryRequest(text=text, fmt=fmts[-1] if fmts else None, default_graphs=default,
                        named_graphs=named, base=base)


__all__ = ["READ_ONLY", "QueryRequest", "Refusal", "is_update", "media_type", "read_get",
           "read_query"]
