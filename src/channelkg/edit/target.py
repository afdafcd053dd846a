"""Where facts go: the target Turtle file (under a lock) or a SPARQL server.

A file target is read in the same parse as the rest of the graph
(:func:`channelkg.edit.build.load_context` keeps its text) and written atomically in
canonical Turtle (see :mod:`channelkg.rdf.turtle`); a hand-edited file keeps its text
and gets a block appended. A :class:`RemoteTarget` gets one SPARQL 1.1 ``INSERT DATA``.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from rdflib import BNode, Graph, URIRef
from rdflib.term import Node

from channelkg import resources
from channelkg.edit.records import EditError
from channelkg.errors import InputError, InternalError
from channelkg.rdf.namespaces import PREFIXES
from channelkg.rdf.terms import shorten

if TYPE_CHECKING:
    from channelkg.edit.build import Context

DEFAULT_FILE = "additions.ttl"
NEW_FILE_HEADER = (
    "# Facts added with `channelkg add` and `channelkg import`.\n"
    "# Written in canonical order by channelkg; edit freely, then run `channelkg format`.\n"
)
_IRI_BAD = re.compile(r'[\x00-\x20<>"{}|^`\\]')


@dataclass(frozen=True)
class AddResult:
    """What :func:`add_records` / :func:`import_file` did."""

    file: Path | str
    added: tuple[URIRef, ...]
    skipped: tuple[tuple[URIRef, str], ...]
    triples: int
    written: bool

    @property
    def text(self) -> str:
        lines = [f"{'added' if self.written else 'would add'} {shorten(str(n))}"
                 for n in self.added]
        lines += [f"skipped {shorten(str(n))}: duplicate: {why}" for n, why in self.skipped]
        verb = "wrote" if self.written else "would write"
        if self.triples:  # also triples about subjects already in the graph (RDF import)
            lines.append(f"{verb} {self.triples} new triple(s) to {self.file}")
        else:
            lines.append(f"nothing to add; {self.file} unchanged")
        return "\n".join(lines) + "\n"


def default_target() -> Path:
    """``graphs/additions.ttl`` of the project (``CHANNELKG_HOME`` respected)."""
    return resources.graphs_dir() / DEFAULT_FILE


def _context_files(target: Path, data: Sequence[Path | str] | None) -> list[Path]:
    from channelkg.graph.memory import expand_paths

    files = expand_paths(list(data) if data else None)
    if target.exists() and target.resolve() not in {f.resolve() for f in files}:
        files.append(target)
    return files


@contextlib.contextmanager
def _lock(target: Path, timeout: float) -> Iterator[None]:
    """Hold the lock file beside the graphs (``.channelkg.lock``) for a whole add/import."""
    from channelkg.rdf.fileio import write_lock

    if target.suffix.lower() not in (".ttl", ".turtle"):
        raise InputError("facts can only be added to a Turtle (.ttl) file", str(target))
    if target.exists() and not target.is_file():
        raise InputError("not a file", str(target))
    target.parent.mkdir(parents=True, exist_ok=True)
    with write_lock(target.parent, timeout):
        yield


@dataclass(frozen=True)
class RemoteTarget:
    """A SPARQL 1.1 server to add facts to instead of a Turtle file.

    Attributes:
        store: ``sparql:QUERY_URL`` (or a bare ``http(s)://`` URL) read as the graph the
            facts are checked against.
        update_url: the SPARQL UPDATE endpoint the new triples are sent to.
        graph: the named graph to read and write (``GRAPH <IRI>``); when the query URL
            has no ``default-graph-uri``, it is added so that only this graph is read.
            Without it, the server's default graph.
        user: HTTP user (default ``$CHANNELKG_SPARQL_USER``).
        password: HTTP password (default ``$CHANNELKG_SPARQL_PASSWORD``).
        auth: ``basic``, ``digest`` or ``auto``.
        timeout: seconds per request.
    """

    store: str
    update_url: str
    graph: str | None = None
    user: str | None = None
    password: str | None = None
    auth: str = "auto"
    timeout: float = 60.0

    @property
    def query_url(self) -> str:
        import urllib.parse

        kind, _, rest = self.store.partition(":")
        if kind in ("http", "https"):
            rest = self.store
        elif kind != "sparql" or not rest:
            raise InputError(f"facts can only be sent to a sparql:URL store, not {self.store!r}")
        split = urllib.parse.urlsplit(rest)
        params = urllib.parse.parse_qsl(split.query)
        if self.graph and not any(k in ("default-graph-uri", "named-graph-uri")
                                  for k, _ in params):
            params.append(("default-graph-uri", self.graph))
            rest = urllib.parse.urlunsplit(split._replace(query=urllib.parse.urlencode(params)))
        return rest

    def __str__(self) -> str:
        return (f"graph <{self.graph}> at {self.update_url}" if self.graph
                else self.update_url)


#: Writes the new triples (``dry_run``: checks only): ``write(ctx, new, dry_run)``.
Writer = Callable[["Context", Graph, bool], None]


def _remote_files(remote: RemoteTarget, folder: Path, say: Callable[[str], None]) -> Path:
    """Pull the server's graph into an N-Triples file in ``folder`` (blank nodes relabelled)."""
    from channelkg.graph.remote import open_store

    url = remote.query_url
    if not re.match(r"^https?://", remote.update_url):
        raise InputError(f"--update-url is not an http(s) URL: {remote.update_url!r}")
    if remote.graph is not None and (_IRI_BAD.search(remote.graph) or ":" not in remote.graph):
        raise InputError(f"--graph is not an IRI: {remote.graph!r}")
    kg = open_store(f"sparql:{url}", update_url=remote.update_url, user=remote.user,
                    password=remote.password, auth=remote.auth, timeout=remote.timeout)
    say(f"reading the graph at {url}")
    labels: dict[Node, str] = {}

    def nt(term: Node) -> str:
        if isinstance(term, BNode):
            return labels.setdefault(term, f"_:b{len(labels)}")
        return term.n3()

    path = folder / "remote-graph.nt"
    with path.open("w", encoding="utf-8") as out:
        for t in kg.triples():
            out.write(" ".join(nt(x) for x in t) + " .\n")
    return path


@contextlib.contextmanager
def session(
    file: Path | str | None,
    data: Sequence[Path | str] | None,
    lock_timeout: float,
    remote: RemoteTarget | None,
    say: Callable[[str], None],
) -> Iterator[tuple[list[Path], Path | str, Writer]]:
    """Where facts are read from and written to: ``(context files, target label, writer)``.

    Files: the lock is held throughout, the writer merges into the target Turtle file.
    A SPARQL server: its graph is pulled into a temporary file, the writer sends
    ``INSERT DATA`` (see :func:`channelkg.remote.insert_data`).
    """
    if remote is None:
        target = Path(file) if file else default_target()
        with _lock(target, lock_timeout):
            files = _context_files(target, data)
            say(f"reading {len(files)} graph file(s)")

            def write(ctx: Context, new: Graph, dry_run: bool) -> None:
                merge_and_write(target, ctx, new, dry_run)

            yield files, target, write
        return
    if file is not None or data:
        raise InputError("--file and --data do not apply when adding to a sparql: store")
    import tempfile

    def send(_ctx: Context, new: Graph, dry_run: bool) -> None:
        from channelkg.graph.remote import insert_data

        if not dry_run:
            insert_data(remote.update_url, sorted(new), remote.graph, user=remote.user,
                        password=remote.password, auth=remote.auth, timeout=remote.timeout,
                        progress=say)

    with tempfile.TemporaryDirectory(prefix="channelkg-") as tmp:
        path = _remote_files(remote, Path(tmp), say)
        try:
            yield [path], str(remote), send
        except EditError as err:
            url = remote.query_url
            raise EditError([p.replace(str(path), url) for p in err.problems]) from None



def merge_and_write(target: Path, ctx: Context, new: Graph, dry_run: bool) -> None:
    """Write ``target`` with the new triples, atomically, from the text read in ``ctx``.

    A canonical file is re-written canonically (comments kept); a hand-edited one keeps
    its text and gets a block appended. The new text is parsed back before it is
    written: if it would not hold the same triples, nothing is written.

    Raises:
        InternalError: the written text would not hold the same triples (a bug).
    """
    from channelkg.rdf.fileio import atomic_write_text
    from channelkg.rdf.turtle import Comments, comment_layout, parse_text, serialize

    project = dict(PREFIXES)
    old_text, prefixes = ctx.target_text, dict(ctx.target_prefixes)
    old_graph = ctx.target_graph if ctx.target_graph is not None else Graph()
    layout = comment_layout(old_text, old_graph) if old_text else Comments(header=NEW_FILE_HEADER)
    canonical = not old_text or serialize(
        old_graph, prefixes, layout.header, comments=layout.attached, footer=layout.footer
    ) == old_text
    merged = Graph()
    for t in old_graph:
        merged.add(t)
    for t in new:
        merged.add(t)
    if canonical:
        text = serialize(merged, prefixes, layout.header, optional=project,
                         comments=layout.attached, footer=layout.footer)
    else:
        # Keep a hand-edited file's text (and comments) as it is: append a block.
        optional = {k: v for k, v in project.items() if k not in prefixes}
        block = serialize(new, {}, "", optional=optional, known=prefixes)
        text = old_text.rstrip("\n") + "\n\n" + block
    check, _ = parse_text(text, str(target))
    if len(check) != len(merged):
        raise InternalError(f"internal error: the text for {target} would not hold the same "
                            "triples; nothing was written (please report this)")
    if not dry_run:
        atomic_write_text(target, text)


def reformat_text(text: str, name: str = "<text>") -> tuple[str, int]:
    """Turtle text in canonical form (comments kept), and how many comment lines it drops.

    Raises:
        InputError: a syntax error (``name:line:col``).
    """
    from channelkg.rdf.turtle import comment_layout, parse_text, serialize

    graph, prefixes = parse_text(text, name)
    layout = comment_layout(text, graph)
    out = serialize(graph, prefixes, layout.header, comments=layout.attached,
                    footer=layout.footer)
    return out, layout.dropped


__all__ = ["DEFAULT_FILE", "NEW_FILE_HEADER", "AddResult", "InternalError",
           "RemoteTarget", "Writer", "default_target", "merge_and_write", "reformat_text",
           "session"]
