"""Query text that channelkg writes around a user's SPARQL: bound parameters and a base.

:func:`bind_values` binds ``--param`` values as a ``VALUES`` block of escaped terms
(:func:`sparql_term`), :func:`with_base` puts the query's base IRI first
(:func:`query_base`), and :func:`star_order` gives ``SELECT *`` columns in the query's
order. Every engine (Oxigraph, rdflib, a remote SPARQL 1.1 server) sees the same text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache
from pathlib import Path

from channelkg.errors import QueryError
from channelkg.graph.base import QueryResult
from channelkg.rdf.terms import term_parts

TYPE_CHECKING = False  # typing is not imported at run time
if TYPE_CHECKING:
    from typing import Any

#: A line that starts with ``#``: a comment, or inside a long string; never a keyword.
COMMENT_LINE = re.compile(r"^[ \t]*#[^\r\n]*", re.MULTILINE)

_TOKEN = re.compile(
    r'(?P<skip>"""(?:[^"\\]|\\.|"(?!""))*"""|\'\'\'(?:[^\'\\]|\\.|\'(?!\'\'))*\'\'\''
    r'|"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'|<[^<>"{}|^`\\\s]*>|#[^\n]*'
    r"|[?$][A-Za-z0-9_]+|[A-Za-z_][A-Za-z0-9_.-]*:[A-Za-z0-9_.:%-]*|:[A-Za-z0-9_.:%-]*)"
    r"|(?P<word>[A-Za-z]+)|(?P<open>\{)|(?P<close>\})",
    re.DOTALL,
)


def _keywords(text: str) -> list[tuple[str, int, int]]:
    """Keywords and braces outside strings, IRIs, comments, variables and prefixed names:
    (token, position, brace depth before it)."""
    out: list[tuple[str, int, int]] = []
    depth = 0
    for m in _TOKEN.finditer(text):
        if m.group("skip"):
            continue
        if m.group("open"):
            out.append(("{", m.start(), depth))
            depth += 1
        elif m.group("close"):
            depth -= 1
            out.append(("}", m.start(), depth))
        else:
            out.append((m.group("word").upper(), m.start(), depth))
    return out


_IRI_FORBIDDEN = re.compile(r'[\x00-\x20<>"{}|^`\\]')


def sparql_term(term: Any) -> str:
    """Serialise a term (pyoxigraph's or rdflib's) for a VALUES block; refuse IRIs that
    could break out of <...>."""
    try:
        kind, value, language, datatype = term_parts(term)
    except TypeError:
        return str(term.n3())  # another rdflib node (a variable …)
    if kind == "iri":
        if _IRI_FORBIDDEN.search(value):
            raise QueryError(f"invalid IRI {value!r}")
        return f"<{value}>"
    if kind == "bnode":
        return f"_:{value}"
    # Escape like N-Triples: the literal can never end early or inject syntax.
    lex = (
        value
        .replace("\\", "\\\\")
        .replace('"', '\\"')
        .replace("\n", "\\n")
        .replace("\r", "\\r")
    )
    if language:
        return f'"{lex}"@{language}'
    if datatype is not None:
        return f'"{lex}"^^<{datatype}>'
    return f'"{lex}"'


def _where_group(toks: list[tuple[str, int, int]]) -> tuple[int, int, int | None] | None:
    """The WHERE group's ``{`` and matching ``}`` positions, and for the short form
    ``CONSTRUCT WHERE { … }`` the position of ``WHERE``; ``None`` without a WHERE group."""
    start = None
    for i, (tok, _at, depth) in enumerate(toks):
        if tok == "WHERE" and depth == 0:
            start = next((k for k in range(i + 1, len(toks)) if toks[k][0] == "{"), None)
            break
    forms = [t for t, _, d in toks if d == 0 and t in ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE")]
    if start is None and forms and forms[0] in ("SELECT", "ASK"):
        # SELECT ... { } without the optional WHERE keyword
        start = next((k for k, (t, _, d) in enumerate(toks) if t == "{" and d == 0), None)
    if start is None:
        return None
    depth = toks[start][2]
    end = next((k for k in range(start + 1, len(toks))
                if toks[k][0] == "}" and toks[k][2] == depth), None)
    if end is None:  # unbalanced: bind at the start, the engine reports the syntax error
        return toks[start][1], toks[start][1] + 1, None
    short = (bool(forms) and forms[0] == "CONSTRUCT" and toks[start - 1][0] == "WHERE"
             and all(t != "{" for t, _, d in toks[: start - 1] if d == 0))
    return toks[start][1], toks[end][1], toks[start - 1][1] if short else None


def bind_values(text: str, bindings: Mapping[str, Any]) -> str:
    """Bind variables by a ``VALUES`` block placed first in the query's WHERE clause.

    Each value is an RDF term serialised with N-Triples escaping, so a value can
    never change the structure of the query. The block is joined with the whole
    WHERE pattern: the variable is bound everywhere in it, also in FILTERs,
    OPTIONALs and aggregates, on every engine (also remote SPARQL 1.1 servers).
    A WHERE group that is a sub-select is wrapped (``{ VALUES … { SELECT … } }``);
    the short form ``CONSTRUCT WHERE { P }`` is written ``CONSTRUCT { P } WHERE { … P }``.

    Raises:
        QueryError: a bad parameter name, or a query without a WHERE group (one line).
    """
    if not bindings:
        return text
    for k in bindings:
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", k):
            raise QueryError(f"bad parameter name {k!r}")
    toks = _keywords(text)
    group = _where_group(toks)
    if group is None:
        raise QueryError("cannot bind --param values: the query has no WHERE { … } group "
                         "(e.g. DESCRIBE <iri>); give the value in the query")
    pos, end, short = group
    names = sorted(bindings)
    block = (
        " VALUES ("
        + " ".join("?" + n for n in names)
        + ") { ("
        + " ".join(sparql_term(bindings[n]) for n in names)
        + ") } "
    )
    inner = text[pos + 1 : end]
    if short is not None:  # CONSTRUCT WHERE { P } -> CONSTRUCT { P } WHERE { VALUES … P }
        return f"{text[:short]}{{{inner}}} WHERE {{{block}{inner}}}{text[end + 1:]}"
    if next((t for t, at, _ in toks if pos < at < end), None) == "SELECT":
        return f"{text[: pos + 1]}{block}{{{inner}}}{text[end:]}"  # a sub-select group
    return text[: pos + 1] + block + text[pos + 1 :]


#: The base IRI of a query that is not read from a file (inline text, standard input, a
#: shipped query): a relative IRI ``<x>`` in it means ``<https://w3id.org/channelkg/id/x>``.
DEFAULT_BASE = "https://w3id.org/channelkg/id/"


def query_base(spec: str) -> str:
    """The base IRI of QUERY: a ``.rq`` file's ``file:`` URI, else :data:`DEFAULT_BASE`."""
    stripped = spec.strip()
    if stripped.endswith((".rq", ".sparql")) and "\n" not in stripped and "{" not in stripped:
        path = Path(stripped)
        if path.is_file():
            return path.resolve().as_uri()
    return DEFAULT_BASE


def with_base(text: str, base: str | None) -> str:
    """``text`` with ``BASE <base>`` put first (on its first line, so that line numbers of
    errors stay); a ``BASE`` of the query itself still wins, as it comes later."""
    if not base:
        return text
    if _IRI_FORBIDDEN.search(base):
        raise QueryError(f"invalid base IRI {base!r}")
    return f"BASE <{base}> {text}"


_SELECT_STAR = re.compile(r"\bSELECT\s+(?:(?:DISTINCT|REDUCED)\s+)?\*", re.IGNORECASE)


@cache
def _variable() -> re.Pattern[str]:
    """A variable (its name in group 1); compiled on first use (its character ranges make
    it the costliest pattern to compile, and only ``SELECT *`` needs it)."""
    return re.compile(r"[?$]([A-Za-z0-9_\u00B7\u00C0-\U000EFFFF]+)")


def star_order(text: str, result: QueryResult) -> QueryResult:
    """The columns of ``SELECT *`` in the order the query first names them (engines
    differ: Oxigraph sorts them by name); other results as they are."""
    if result.kind != "SELECT" or not _SELECT_STAR.search(COMMENT_LINE.sub("", text)):
        return result
    seen: dict[str, int] = {}
    for m in _variable().finditer(text):
        seen.setdefault(m[1], len(seen))
    order = sorted(range(len(result.vars)),
                   key=lambda i: (seen.get(result.vars[i], len(seen)), result.vars[i]))
    if order == list(range(len(result.vars))):
        return result
    return result.replace(vars=tuple(result.vars[i] for i in order),
                   rows=tuple(tuple(row[i] for i in order) for row in result.rows))


__all__ = ["COMMENT_LINE", "DEFAULT_BASE", "bind_values", "query_base", "sparql_term",
           "star_order", "with_base"]
