"""The ``channelkg`` entry point: the command line before (and often instead of) click.

Importing click costs more than importing pyoxigraph, so the two command lines people
run most never load it:

* ``channelkg``, ``channelkg --help`` and ``channelkg -h`` print the group's help,
  formatted from :data:`HELP` and :data:`COMMANDS` as click formats it (the same bytes:
  ``tests/test_startup.py`` compares them at several widths);
* ``channelkg query NAME`` of a shipped query, with only ``-p/--param NAME=VALUE`` and
  ``-f/--format FORMAT`` options, runs the ``query`` command's own code
  (:func:`channelkg.cli.runner.query_command`) with the options' defaults, through the
  result cache of :mod:`channelkg.cli.cache` (a hit prints what the command printed
  before, byte for byte, without loading the graph or pyoxigraph).

This module only reads the command line: every other one (any other option, a file or
SPARQL text as QUERY, shell completion, a misconfigured ASCII output stream) goes to the
click group of :mod:`channelkg.cli.main` unchanged.
"""

from __future__ import annotations

import os
import sys

#: The group's help text (``channelkg --help``), as click shows it (after the usage line).
HELP = """\
channelkg: how frontier AI models reach markets, as a sourced knowledge graph.

Every command reads the bundled graph (graphs/*.ttl plus the ontology) unless
you pass --data FILE (repeatable). Exit codes: 0 ok, 1 check failed, 2 bad input.
Options mean the same in every command: -p/--param NAME=VALUE binds a query
parameter, -f/--format picks the output format, -o FILE writes a file ('-':
standard output), and '-' as an input file reads standard input.

Tables fit the terminal (its width, or COLUMNS): long cells are folded, and a table
with many wide columns is shown as records; pipes and files get one row per line.
Colour only on a terminal, never with NO_COLOR set. Progress of long work shows on
standard error when it is a terminal. Tab completion of commands, named queries,
markets and organizations (docs/formats.md):
eval "$(_CHANNELKG_COMPLETE=bash_source channelkg)"

\b
Examples:
  channelkg queries
  channelkg routes --model gpt --market CN
  channelkg view --market CN
  channelkg COMMAND --help"""

#: The help of the group's ``--version`` option.
VERSION_HELP = "Show the version and exit."
#: The group's options in ``--help``: ``--version`` and click's help option.
OPTIONS = (("--version", VERSION_HELP), ("-h, --help", "Show this message and exit."))
#: The names of the help option (of the group and of every command).
HELP_NAMES = ("-h", "--help")
#: Help text is never wider than this (click's ``max_content_width``).
MAX_WIDTH = 100

#: Every command, in the order ``--help`` lists them: its module (which registers it on
#: ``cli`` when imported) and its summary (the first sentence of its help, which
#: ``channelkg --help`` shows without importing the module).
COMMANDS: dict[str, tuple[str, str]] = {
    "query": ("channelkg.cli.main", "Run QUERY: a shipped query name, a .rq file, SPARQL "
              "text, or '-' (standard input)."),
    "queries": ("channelkg.cli.main", "List the shipped named queries with their description "
                "and parameters."),
    "validate": ("channelkg.cli.main", "Check FILES (default: the bundled graph): syntax, "
                 "literals, ckg: terms, SHACL."),
    "view": ("channelkg.cli.view", "Write a self-contained HTML page that draws (part of) "
             "the graph."),
    "export-graphml": ("channelkg.cli.view", "Export (part of) the graph as GraphML, with the "
                       "same selection options as `view`."),
    "add": ("channelkg.cli.edit", "Add one fact (or entity) from the command line, after "
            "validating it."),
    "import": ("channelkg.cli.edit", "Add many facts from FILE (- for standard input): YAML, "
               "CSV, Turtle or JSON-LD."),
    "format": ("channelkg.cli.edit", "Rewrite Turtle FILES (default: graphs/*.ttl) in "
               "canonical, sorted order."),
    "diff": ("channelkg.cli.history", "List facts that started, ended or changed status "
             "between two dates."),
    "timeline": ("channelkg.cli.history", "List dated events in order: when claims were "
                 "stated, started and ended."),
    "explain": ("channelkg.cli.history", "Show the chain of sourced facts behind NODE, with "
                "status, dates and sources."),
    "routes": ("channelkg.cli.analysis", "List every route by which a model reaches a market."),
    "spof": ("channelkg.cli.analysis", "Single points of failure: what, if removed, cuts "
             "MARKET off a model family."),
    "whatif": ("channelkg.cli.analysis", "What if: which markets lose or gain which models "
               "under a scenario."),
    "report": ("channelkg.cli.analysis", "Write a research brief on a market or a provider "
               "(Markdown, HTML or JSON)."),
    "docs": ("channelkg.cli.analysis", "Write HTML documentation of the ontology: classes, "
             "properties, vocabularies, shapes."),
    "infer": ("channelkg.cli.analysis", "Print only the triples that reasoning derives "
              "(nothing is written to the graph)."),
    "rules": ("channelkg.cli.analysis", "List the shipped CONSTRUCT rules (used by --reason "
              "rules and `channelkg infer`)."),
    "load": ("channelkg.cli.serve", "Build or update a persistent Oxigraph store from FILES "
             "(default: the bundled graph)."),
    "push": ("channelkg.cli.serve", "Upload FILES (default: the bundled graph and ontology) "
             "to a SPARQL 1.1 server."),
    "serve": ("channelkg.cli.serve", "Serve the graph as a read-only SPARQL 1.1 endpoint with "
              "a query page."),
    "check": ("channelkg.cli.check", "Run the data-quality rules on the graph and list what "
              "they find."),
}


def help_width() -> int:
    """The width click lays help out in: the terminal's (or ``COLUMNS``), at most
    :data:`MAX_WIDTH`, less a margin of two, and never below 50."""
    from channelkg.render.terminal import terminal_columns

    return max(min(terminal_columns(), MAX_WIDTH) - 2, 50)


def _fill(text: str, width: int, indent: str) -> list[str]:
    from textwrap import TextWrapper

    wrapper = TextWrapper(width, initial_indent=indent, subsequent_indent=indent,
                          replace_whitespace=False)
    return wrapper.wrap(text)


def wrap_paragraphs(text: str, width: int, indent: str = "") -> str:
    """``text`` filled to ``width`` paragraph by paragraph (blank lines between them),
    each line starting with ``indent``; a paragraph whose first line is ``\\b`` keeps its
    lines as they are, indented. A paragraph's own indent (of its first line) is kept."""
    paragraphs: list[tuple[int, bool, str]] = []
    lines: list[str] = []
    own = 0
    for line in [*text.expandtabs().splitlines(), ""]:
        if line:
            if not lines:
                own = len(line) - len(line.lstrip())
                line = line.lstrip()
            lines.append(line)
        elif lines:
            raw = lines[0].strip() == "\b"
            paragraphs.append((own, raw, "\n".join(lines[1:]) if raw else " ".join(lines)))
            lines = []
    out = []
    for own, raw, body in paragraphs:
        prefix = indent + " " * own
        if raw:
            out.append("\n".join(prefix + line for line in body.splitlines()))
        else:
            out.append("\n".join(_fill(body, width, prefix)))
    return "\n\n".join(out)


def definitions(rows: list[tuple[str, str]], width: int, indent: int = 2) -> str:
    """Two columns, terms and their text, as click's help lists options and commands."""
    first = min(max(len(term) for term, _ in rows), 30) + 2
    out = []
    for term, text in rows:
        line = " " * indent + term
        if not text:
            out.append(line + "\n")
            continue
        line += " " * (first - len(term)) if len(term) <= first - 2 else (
            "\n" + " " * (first + indent))
        body = wrap_paragraphs(text, max(width - first - 2, 10)).splitlines() or [""]
        out.append(line + body[0] + "\n")
        out += [" " * (first + indent) + rest + "\n" for rest in body[1:]]
    return "".join(out)


def short_help(text: str, limit: int) -> str:
    """A command's summary cut to ``limit`` characters at a word, ending in ``...``."""
    if len(text) <= limit:
        return text
    if limit < 3:
        return "..."
    from textwrap import shorten

    return shorten(text, limit, placeholder="...", break_on_hyphens=False)


def group_help(prog: str = "channelkg", width: int | None = None) -> str:
    """What ``channelkg --help`` prints (without the final line end)."""
    width = help_width() if width is None else width
    from textwrap import TextWrapper

    prefix = f"Usage: {prog} "  # width >= 50: the arguments fit after it
    usage = TextWrapper(width, initial_indent=prefix, subsequent_indent=" " * len(prefix),
                        replace_whitespace=False).fill("[OPTIONS] COMMAND [ARGS]...")
    limit = width - 6 - max(map(len, COMMANDS))
    commands = [(name, short_help(summary, limit)) for name, (_, summary) in COMMANDS.items()]
    return (usage + "\n\n" + wrap_paragraphs(HELP, width, "  ") + "\n"
            + "\nOptions:\n" + definitions(list(OPTIONS), width)
            + "\nCommands:\n" + definitions(commands, width)).rstrip("\n")



#: The options ``channelkg query NAME`` takes on the entry point's own path (anything
#: else goes to click): ``--param`` (repeatable) and ``--format``, by their long and
#: short names, as ``--name VALUE``, ``-n VALUE`` or ``--name=VALUE``.
QUERY_OPTIONS = {"-p": "param", "--param": "param", "-f": "format", "--format": "format"}


def query_line(args: list[str]) -> tuple[str, list[str], str] | None:
    """The shipped query, ``--param`` values and format of ``query NAME [OPTIONS]``, or
    ``None`` when click has to read ``args`` (another option, a file, a repeated format,
    a value click would refuse, ``--``…)."""
    from channelkg.cli.output import RDF_FORMATS, TABLE_FORMATS

    if not args or args[0] != "query":
        return None
    name, params, fmt = None, [], None
    rest = iter(args[1:])
    for arg in rest:
        if arg.startswith("-"):
            flag, eq, value = arg.partition("=")
            if flag not in QUERY_OPTIONS or (eq and not flag.startswith("--")):
                return None
            if not eq:
                value = next(rest, "")
                if not value or value.startswith("-"):
                    return None
            if QUERY_OPTIONS[flag] == "param":
                params.append(value)
            elif fmt is None and value in TABLE_FORMATS + RDF_FORMATS:
                fmt = value
            else:
                return None
        elif name is None:
            name = arg
        else:
            return None
    if name is None or not shipped_query(name) or any("=" not in p for p in params):
        return None
    return name, params, fmt or "table"


def shipped_query(name: str) -> bool:
    """True if ``name`` is the name of a shipped query (a ``.rq`` file of the package)."""
    allowed = set("abcdefghijklmnopqrstuvwxyz0123456789-")
    return bool(name) and set(name) <= allowed and os.path.isfile(query_file(name))


# The entry point's own path finds files as channelkg.resources does, with os.path: a
# cache hit need not load pathlib (tests/test_result_cache.py checks they agree).

def package_dir() -> str:
    """The ``channelkg`` package's folder (``resources.queries_dir()``'s parent's parent)."""
    return os.path.dirname(os.path.dirname(os.path.realpath(__file__)))


def query_file(name: str) -> str:
    """The ``.rq`` file of the shipped query ``name`` (``resources.queries_dir()``)."""
    return os.path.join(package_dir(), "sparql", "queries", f"{name}.rq")


def bundled_inputs() -> list[str]:
    """The files a command reads without ``--data``: ``resources.ontology_file()``, then
    ``resources.default_data_files()`` (every ``graphs/*.ttl``, sorted)."""
    root = os.environ.get("CHANNELKG_HOME")
    if not root:
        package = package_dir()
        repo = os.path.dirname(os.path.dirname(package))
        root = repo if os.path.isfile(os.path.join(repo, "ontology", "channelkg.ttl")) else (
            os.path.join(package, "_data"))
    graphs = os.path.join(root, "graphs")
    try:
        names = os.listdir(graphs)
    except OSError:
        names = []
    return [os.path.join(root, "ontology", "channelkg.ttl"),
            *sorted(os.path.join(graphs, name) for name in names if name.endswith(".ttl"))]


def _plain_streams() -> bool:
    """True if standard output and error are text streams click would use as they are
    (click mends a stream misconfigured as ASCII: those command lines go to click)."""
    import codecs

    for stream in (sys.stdout, sys.stderr):
        encoding = getattr(stream, "encoding", None)
        try:
            if not encoding or codecs.lookup(encoding).name == "ascii":
                return False
        except LookupError:
            return False
    return True


def main() -> None:
    """Entry point of the ``channelkg`` script and ``python -m channelkg``."""
    args = sys.argv[1:]
    if not os.environ.get("_CHANNELKG_COMPLETE") and _plain_streams():
        if not args or (len(args) == 1 and args[0] in HELP_NAMES):
            from channelkg.cli.output import write

            write(group_help(), err=not args)  # no command: the help, as a usage error
            sys.exit(2 if not args else 0)
        line = query_line(args)
        if line is not None:
            code = _cached_query(args, *line)
            _skip_final_collection()
            sys.exit(code)
    from channelkg.cli.main import main as click_main

    click_main()


def _skip_final_collection() -> None:
    """Move every object the command made to the collector's permanent generation: the
    interpreter's shutdown then skips traversing them (the graph, its rows, every module)
    in its last collections, which took about a tenth of ``query seed-table``
    (benchmarks/results/startup.md). Nothing is left to collect that matters: the output
    is written and the process is ending."""
    import gc

    gc.freeze()


def _cached_query(args: list[str], name: str, params: list[str], fmt: str) -> int:
    """:func:`_run_query`, through the result cache (:mod:`channelkg.cli.cache`): keyed
    on ``args`` and the files the command reads (the ontology, ``graphs/*.ttl``, the
    query's ``.rq`` file) among the rest."""
    from channelkg import __version__
    from channelkg.cli import cache

    return cache.run_cached(args, bundled_inputs, query_file(name), package_dir(),
                            __version__, lambda: _run_query(name, params, fmt))


def _run_query(name: str, params: list[str], fmt: str) -> int:
    from channelkg.cli.runner import DEFAULT_TIMEOUT, query_command, run_command, split_params
    from channelkg.sparql.query import QUERY_TIMEOUT

    QUERY_TIMEOUT.set(DEFAULT_TIMEOUT)  # the default of --timeout
    return run_command(lambda: query_command(name, split_params(params), fmt))
