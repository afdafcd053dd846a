"""A small SPARQL 1.1 Protocol / Graph Store Protocol client, bounded against hostile servers.

Used by ``sparql:URL`` stores, ``push`` and ``add``/``import --update-url``. Every
answer is bounded:

* **Time**: each request must be answered whole within ``timeout`` seconds (connecting,
  headers and body together; a server that sends a byte now and then is cut off). The
  default is the command's ``--timeout`` (60 s), or ``$CHANNELKG_SPARQL_TIMEOUT``.
* **Size**: an answer larger than ``max_bytes`` (default 256 MiB,
  ``$CHANNELKG_SPARQL_MAX_BYTES``) is refused, announced or not; at most that many
  bytes (and one more) are read.
* **Redirects** are never followed: a query or an update must not be sent on to another
  host (urllib would also turn a POST into a GET). The error names the target.
* **Malformed answers** (JSON, XML or RDF that does not parse, or JSON of the wrong
  shape) are one clear error, never a traceback.

Result terms are read back as rdflib terms. Two normalisations make answers comparable
with the embedded engines: the legacy ``typed-literal`` result type is read as
``literal``, and ``xsd:boolean`` values ``1``/``0`` (Virtuoso) become ``true``/``false``.
A server that answers in SPARQL XML results instead of JSON is read too.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from typing import Any

from channelkg.errors import ChannelKGError, InputError, QueryError

USER_ENV = "CHANNELKG_SPARQL_USER"
PASSWORD_ENV = "CHANNELKG_SPARQL_PASSWORD"
TIMEOUT_ENV = "CHANNELKG_SPARQL_TIMEOUT"
MAX_BYTES_ENV = "CHANNELKG_SPARQL_MAX_BYTES"
DEFAULT_TIMEOUT = 60.0
DEFAULT_MAX_BYTES = 256 << 20
XSD = "http://www.w3.org/2001/XMLSchema#"
RESULTS_JSON = "application/sparql-results+json"
RESULTS_ACCEPT = "application/sparql-results+json, application/sparql-results+xml;q=0.5"
GRAPH_ACCEPT = "application/n-triples, text/turtle;q=0.9, text/plain;q=0.5"
_CHUNK = 1 << 16


class RemoteError(ChannelKGError):
    """The server could not be reached, refused a request or answered badly."""


class AnswerError(RemoteError):
    """The server answered with what is not the results asked for (unreadable, or of the
    wrong kind)."""


class NoAnswerError(RemoteError):
    """The server gave no complete answer within the timeout."""


def env_number(name: str, default: float) -> float:
    """A positive number from the environment variable ``name``, else ``default``.

    Raises:
        InputError: the variable is set but is not a positive number.
    """
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if value <= 0:
        raise InputError(f"${name} must be a positive number, not {raw!r}")
    return value


def default_timeout() -> float:
    """Seconds per request: ``$CHANNELKG_SPARQL_TIMEOUT``, else ``--timeout``, else 60."""
    if os.environ.get(TIMEOUT_ENV):
        return env_number(TIMEOUT_ENV, DEFAULT_TIMEOUT)
    from channelkg.sparql.query import QUERY_TIMEOUT

    return QUERY_TIMEOUT.get() or DEFAULT_TIMEOUT


def json_term(b: Mapping[str, str]) -> Any:
    """An rdflib term from a binding of SPARQL JSON results."""
    from rdflib import BNode, Literal, URIRef

    kind, value = b.get("type"), b.get("value", "")
    if not isinstance(value, str):
        raise AnswerError("malformed SPARQL JSON results: a value that is not a string")
    if kind == "uri":
        return URIRef(value)
    if kind == "bnode":
        return BNode(value)
    if kind in ("literal", "typed-literal"):
        lang = b.get("xml:lang")
        if lang:
            return Literal(value, lang=lang)
        dtype = b.get("datatype")
        if dtype == XSD + "boolean" and value in ("1", "0"):
            value = "true" if value == "1" else "false"
        if dtype and dtype != XSD + "string":
            # the server's lexical form, as its STR() gives it ("2024-05-01Z", "01"):
            # rdflib would re-lex it, and the date rule reads that text
            return Literal(value, datatype=URIRef(dtype), normalize=False)
        return Literal(value)
    if kind == "triple":
        raise QueryError("RDF-star triple terms in results are not supported")
    raise AnswerError(f"unknown term type {kind!r} in the server's results")


def is_loopback(url: str) -> bool:
    host = urllib.parse.urlsplit(url).hostname or ""
    return host in ("127.0.0.1", "localhost", "::1")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req: Any, fp: Any, code: int, msg: str, headers: Any,
                         newurl: str) -> None:
        target = urllib.parse.urljoin(req.full_url, newurl)
        a, b = urllib.parse.urlsplit(req.full_url), urllib.parse.urlsplit(target)
        where = ("to another host" if (a.scheme, a.netloc) != (b.scheme, b.netloc)
                 else "on the same host")
        raise RemoteError(f"{req.full_url}: HTTP {code} redirect {where}, to {target}; "
                          "redirects are not followed (use that URL if it is the endpoint)")


def _http_error(url: str, err: urllib.error.HTTPError, body: str) -> ChannelKGError:
    msg = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body)).strip()[:500]
    if err.code in (400, 500) and msg:
        return QueryError(f"the server refused the request (HTTP {err.code}): {msg}")
    hint = (" (check --user and --password)" if err.code == 401
            else " (the server refuses this request: a read-only endpoint, or a user "
            "without the right, or check --user and --password)" if err.code == 403
            else "")
    return RemoteError(f"{url}: HTTP {err.code} {err.reason}{': ' + msg if msg else ''}{hint}")


class _BrokenSendError(Exception):
    """The connection broke while a request body was being sent (see ``request``)."""

    def __init__(self, reason: BaseException) -> None:
        super().__init__(str(reason))
        self.reason = reason


class _Digest(urllib.request.HTTPDigestAuthHandler):
    """Digest authentication that keeps the server's last challenge and answers it up
    front on a request with a body: a server that refuses a body it has not read (it
    answers 401 and closes while the body is still being sent) then reads it."""

    def __init__(self, mgr: Any) -> None:
        super().__init__(mgr)
        self.challenge: dict[str, str] | None = None

    def get_authorization(self, req: Any, chal: Any) -> Any:
        self.challenge = dict(chal)
        return super().get_authorization(req, chal)

    def http_request(self, req: Any) -> Any:
        if (self.challenge is not None and req.data is not None
                and not req.has_header("Authorization")):
            auth = super().get_authorization(req, self.challenge)
            if auth:
                req.add_unredirected_header("Authorization", f"Digest {auth}")
        return req

    https_request = http_request


class SparqlClient:
    """A small SPARQL 1.1 Protocol / Graph Store Protocol client (standard library only).

    Args:
        url: the query endpoint; its query parameters (e.g. ``default-graph-uri``) are
            sent with every query.
        update_url: the update endpoint.
        user: HTTP user (default ``$CHANNELKG_SPARQL_USER``).
        password: HTTP password (default ``$CHANNELKG_SPARQL_PASSWORD``).
        auth: ``basic``, ``digest`` or ``auto`` (whatever the server asks for).
        timeout: seconds for a whole request (default: :func:`default_timeout`, read
            when each request is sent).
        max_bytes: most bytes in an answer (default ``$CHANNELKG_SPARQL_MAX_BYTES`` or
            256 MiB).
    """

    def __init__(self, url: str, *, update_url: str | None = None, user: str | None = None,
                 password: str | None = None, auth: str = "auto",
                 timeout: float | None = None, max_bytes: int | None = None) -> None:
        if not re.match(r"^https?://", url):
            raise InputError(f"not an http(s) URL: {url!r}")
        split = urllib.parse.urlsplit(url)
        self.params = urllib.parse.parse_qsl(split.query)
        self.url = urllib.parse.urlunsplit(split._replace(query=""))
        self.update_url = update_url
        self.timeout = timeout
        self.max_bytes = max_bytes or int(env_number(MAX_BYTES_ENV, DEFAULT_MAX_BYTES))
        user = user if user is not None else os.environ.get(USER_ENV)
        password = password if password is not None else os.environ.get(PASSWORD_ENV)
        handlers: list[Any] = [_NoRedirect()]
        self._digest: _Digest | None = None
        if is_loopback(url):
            handlers.append(urllib.request.ProxyHandler({}))
        if user is not None:
            if auth not in ("auto", "basic", "digest"):
                raise InputError(f"unknown auth {auth!r} (choose basic, digest or auto)")
            mgr = urllib.request.HTTPPasswordMgrWithDefaultRealm()
            for u in filter(None, (url, update_url)):
                mgr.add_password(None, u, user, password or "")
            if auth in ("auto", "basic"):
                handlers.append(urllib.request.HTTPBasicAuthHandler(mgr))
            if auth in ("auto", "digest"):
                self._digest = _Digest(mgr)
                handlers.append(self._digest)
        self._opener = urllib.request.build_opener(*handlers)

    def _read(self, resp: Any, url: str, deadline: float, timeout: float) -> bytes:
        """The body, read in pieces against the deadline and the size bound."""
        limit = self.max_bytes
        too_big = (f"{url}: the answer is larger than {limit} bytes (the limit; set "
                   f"${MAX_BYTES_ENV} to allow more)")
        length = resp.headers.get("Content-Length", "")
        if length.strip().isdigit() and int(length) > limit:
            raise RemoteError(too_big)
        chunks: list[bytes] = []
        size = 0
        while True:
            if time.monotonic() > deadline:
                raise NoAnswerError(f"{url}: no complete answer within {timeout:g} s")
            chunk = resp.read1(_CHUNK)
            if not chunk:
                return b"".join(chunks)
            size += len(chunk)
            if size > limit:
                raise RemoteError(too_big)
            chunks.append(chunk)

    def request(self, url: str, *, method: str = "POST", data: bytes | None = None,
                headers: Mapping[str, str] | None = None) -> tuple[str, bytes]:
        """Send one HTTP request; return (content type, body) or raise an error.

        A request with a body whose connection the server closed while the body was
        being sent (an authenticating server answers 401 before reading it) is sent
        again, at most twice; with digest authentication a request without a body (HEAD)
        first fetches the server's challenge, so the body is then sent with its answer.
        """
        for attempt in range(3):
            try:
                return self._request_once(url, method=method, data=data, headers=headers)
            except _BrokenSendError as err:
                if attempt == 2:
                    raise RemoteError(f"cannot reach {url}: {err.reason}") from None
                time.sleep(0.2 * (attempt + 1))
                if self._digest is not None:
                    self._challenge(url)
        raise AssertionError("unreachable")

    def _timeout(self) -> float:
        return self.timeout if self.timeout is not None else default_timeout()

    def _challenge(self, url: str) -> None:
        """Ask ``url`` with HEAD (it changes nothing), so the digest handler answers the
        server's challenge and keeps it; whatever the answer, nothing is raised."""
        req = urllib.request.Request(url, method="HEAD")
        try:
            with self._opener.open(req, timeout=self._timeout()):
                pass
        except (OSError, ValueError, http.client.HTTPException):
            pass

    def _request_once(self, url: str, *, method: str, data: bytes | None,
                      headers: Mapping[str, str] | None) -> tuple[str, bytes]:
        timeout = self._timeout()
        deadline = time.monotonic() + timeout
        req = urllib.request.Request(url, data=data, method=method, headers=dict(headers or {}))
        try:
            with self._opener.open(req, timeout=timeout) as resp:
                return resp.headers.get("Content-Type", ""), self._read(resp, url, deadline,
                                                                        timeout)
        except urllib.error.HTTPError as err:
            try:
                body = err.read(4096).decode("utf-8", "replace")
            except (OSError, ValueError):
                body = ""
            raise _http_error(url, err, body) from None
        except urllib.error.URLError as err:
            if data is not None and isinstance(err.reason, BrokenPipeError | ConnectionResetError):
                raise _BrokenSendError(err.reason) from None
            raise RemoteError(f"cannot reach {url}: {err.reason}") from None
        except (BrokenPipeError, ConnectionResetError) as err:
            if data is not None:
                raise _BrokenSendError(err) from None
            raise RemoteError(f"{url}: {type(err).__name__}: {err}") from None
        except TimeoutError:
            raise NoAnswerError(f"{url}: no answer within {timeout:g} s (the timeout; give "
                              f"a larger --timeout or ${TIMEOUT_ENV})") from None
        except (OSError, ValueError) as err:  # resets, bad status lines, bad chunking
            raise RemoteError(f"{url}: {type(err).__name__}: {err}") from None
        except http.client.HTTPException as err:  # not an HTTP answer
            said = " ".join(str(err).split())[:80]  # the server's own line breaks dropped
            raise AnswerError(f"{url}: not an HTTP answer ({type(err).__name__}: "
                              f"{said})") from None

    def post_query(self, text: str, accept: str) -> tuple[str, bytes]:
        body = urllib.parse.urlencode([("query", text), *self.params]).encode()
        return self.request(self.url, data=body, headers={
            "Content-Type": "application/x-www-form-urlencoded", "Accept": accept})

    def select(self, text: str) -> tuple[tuple[str, ...], list[tuple[Any, ...]]]:
        """Run a SELECT query; return (variables, rows of rdflib terms or None)."""
        ctype, body = self.post_query(text, RESULTS_ACCEPT)
        if _is_xml(ctype, body):
            return _xml_select(body)
        doc = self._json(ctype, body)
        try:
            names = tuple(doc.get("head", {}).get("vars", []))
            if not all(isinstance(n, str) for n in names):
                raise TypeError("variable names")
            rows = [
                tuple(json_term(b[v]) if v in b else None for v in names)
                for b in doc.get("results", {}).get("bindings", [])
            ]
        except (AttributeError, TypeError, KeyError) as err:
            raise AnswerError(f"malformed SPARQL JSON results from the server ({err})") from None
        return names, rows

    def ask(self, text: str) -> bool:
        ctype, body = self.post_query(text, RESULTS_ACCEPT)
        if _is_xml(ctype, body):
            return bool(_xml_results(body))
        value = self._json(ctype, body).get("boolean")
        if not isinstance(value, bool):
            raise AnswerError("malformed SPARQL JSON results: an ASK answer without a "
                              "true/false 'boolean'")
        return value

    def graph(self, text: str) -> Any:
        """Run a CONSTRUCT or DESCRIBE query; return an rdflib Graph."""
        import pyoxigraph as ox

        from channelkg.graph.memory import new_rdflib_graph
        from channelkg.rdf.terms import add_triples

        ctype, body = self.post_query(text, GRAPH_ACCEPT)
        mime = ctype.split(";")[0].strip().lower()
        fmt = {
            "application/n-triples": ox.RdfFormat.N_TRIPLES,
            "text/plain": ox.RdfFormat.N_TRIPLES,
            "text/turtle": ox.RdfFormat.TURTLE,
            "application/x-turtle": ox.RdfFormat.TURTLE,
            "application/rdf+xml": ox.RdfFormat.RDF_XML,
            "application/ld+json": ox.RdfFormat.JSON_LD,
        }.get(mime)
        if fmt is None:
            raise AnswerError(f"the server answered a graph query with {ctype or 'no type'!r}")
        g = new_rdflib_graph()
        try:
            add_triples(g, ox.parse(body, format=fmt))
        except (SyntaxError, ValueError, OSError) as err:
            first = str(err).splitlines()[0] if str(err) else type(err).__name__
            raise AnswerError(f"unreadable graph ({mime}) from the server: {first}") from None
        return g

    @staticmethod
    def _json(ctype: str, body: bytes) -> dict[str, Any]:
        try:
            doc = json.loads(body.decode("utf-8"))
        except (ValueError, RecursionError):
            shown = body[:120].decode("utf-8", "replace")
            raise AnswerError(f"expected SPARQL JSON results, got {ctype or 'no type'!r} "
                              f"that does not parse: {shown!r}") from None
        if not isinstance(doc, dict):
            raise AnswerError("malformed SPARQL JSON results: not a JSON object")
        return doc

    def update(self, text: str, url: str | None = None) -> None:
        """POST a SPARQL UPDATE (form encoded) to the update endpoint."""
        target = url or self.update_url or self.url
        body = urllib.parse.urlencode({"update": text}).encode()
        self.request(target, data=body,
                     headers={"Content-Type": "application/x-www-form-urlencoded"})


def _is_xml(ctype: str, body: bytes) -> bool:
    media = ctype.split(";")[0].strip().lower()
    return media in ("application/sparql-results+xml", "application/xml", "text/xml") or (
        not media and body.lstrip()[:5] == b"<?xml")


def _xml_results(body: bytes) -> Any:
    import pyoxigraph as ox

    try:
        return ox.parse_query_results(body, format=ox.QueryResultsFormat.XML)
    except (SyntaxError, ValueError, OSError) as err:
        first = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise AnswerError(f"malformed SPARQL XML results from the server: {first}") from None


def _xml_select(body: bytes) -> tuple[tuple[str, ...], list[tuple[Any, ...]]]:
    import pyoxigraph as ox

    from channelkg.rdf.terms import to_rdflib

    res = _xml_results(body)
    if not isinstance(res, ox.QuerySolutions):
        raise AnswerError("the server answered a SELECT query with a boolean")
    names = tuple(v.value for v in res.variables)
    try:
        rows = [tuple(None if sol[i] is None else to_rdflib(sol[i])
                      for i in range(len(names))) for sol in res]
    except (SyntaxError, ValueError, OSError) as err:
        raise AnswerError(f"malformed SPARQL XML results from the server: {err}") from None
    return names, rows


__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_TIMEOUT",
    "GRAPH_ACCEPT",
    "MAX_BYTES_ENV",
    "PASSWORD_ENV",
    "RESULTS_JSON",
    "TIMEOUT_ENV",
    "USER_ENV",
    "AnswerError",
    "NoAnswerError",
    "RemoteError",
    "SparqlClient",
    "default_timeout",
    "env_number",
    "is_loopback",
    "json_term",
]
