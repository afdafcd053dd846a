"""Project hygiene: help on every command, documented queries and terms, README in sync,
and the code limits of issue 10 (module and function sizes, layering, import-time effects)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from rdflib import Graph

from channelkg import resources
from channelkg.cli import cli
from channelkg.cli.main import load_commands
from channelkg.graph.memory import load
from channelkg.rdf.namespaces import CKG
from channelkg.sparql.query import list_queries, query

ROOT = Path(__file__).parent.parent
COMMANDS = sorted(load_commands())


def _ontology_terms() -> set[str]:
    g = Graph().parse(resources.ontology_file())
    return {str(s)[len(str(CKG)) :] for s in g.subjects() if str(s).startswith(str(CKG))}


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_has_help(name: str) -> None:
    res = CliRunner().invoke(cli, [name, "--help"])
    assert res.exit_code == 0, res.output
    cmd = load_commands()[name]
    assert cmd.help and len(cmd.help.strip()) > 20
    for param in cmd.params:
        if isinstance(param, click.Option) and not param.hidden:
            assert param.help, f"{name} {param.opts} has no help"


def test_readme_documents_every_command() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name in COMMANDS:
        assert f"`channelkg {name}" in readme, f"README does not mention channelkg {name}"


def test_readme_test_command_is_what_ci_runs() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "bash scripts/test.sh" in readme
    assert "exec bash scripts/test.sh" in ci


def test_every_ontology_term_has_label_and_definition() -> None:
    kg = load([resources.ontology_file()])
    assert query(kg, "ontology-hygiene").rows == ()


def test_ckg_terms_used_in_code_and_queries_exist() -> None:
    known = _ontology_terms()
    used: dict[str, str] = {}
    for f in [*ROOT.glob("src/channelkg/**/*.py"), *ROOT.glob("src/channelkg/**/*.rq")]:
        text = f.read_text(encoding="utf-8")
        for m in re.finditer(r"\bckg:([A-Za-z][A-Za-z0-9]*)|\bCKG\.([A-Za-z][A-Za-z0-9]*)", text):
            used.setdefault(m.group(1) or m.group(2), str(f.relative_to(ROOT)))
    unknown = {t: f for t, f in used.items() if t not in known}
    assert unknown == {}


def test_named_query_prefixes_are_declared_in_each_file() -> None:
    for nq in list_queries():
        body = "\n".join(line for line in nq.text.splitlines() if not line.startswith("#"))
        used = set(re.findall(r"\b([a-z]+):[A-Za-z]", re.sub(r"<[^>]*>|\"[^\"]*\"", "", body)))
        declared = set(re.findall(r"PREFIX\s+([a-z]+):", body))
        assert used <= declared, (nq.name, used - declared)


def test_shipped_paths_exist() -> None:
    assert resources.ontology_file().is_file()
    assert resources.shapes_file().is_file()
    assert len(resources.default_data_files()) >= 5


def test_curated_graph_is_in_canonical_form() -> None:
    """graphs/*.ttl is kept sorted and canonical, so diffs review well."""
    res = CliRunner().invoke(cli, ["format", "--check", *map(str, resources.default_data_files())])
    assert res.exit_code == 0, res.output


# -- code-size and structure limits (read from the source with ast) -------------------

PACKAGE = ROOT / "src" / "channelkg"
MAX_MODULE_LINES = 600
MAX_FUNCTION_LINES = 80

# Calls a module may make at import time: they build a constant and touch nothing else.
PURE_CALLS = frozenset({
    "re.compile", "TypeVar", "ContextVar", "field", "frozenset", "set", "tuple", "dict",
    "list", "str", "int", "chr", "range", "enumerate", "map", "sorted", "Namespace",
    "URIRef", "Path", "Path().resolve", "resources.assets_dir", "resources.static_dir",
    "resources.rules_dir",
    # click parameter types and option decorators: plain objects, nothing registered.
    "click.option", "click.Path", "click.Choice", "click.FloatRange", "click.IntRange",
    "PathType",  # channelkg.cli.options: click.Path whose values are pathlib paths
})
PURE_DECORATORS = frozenset({
    "dataclass", "cache", "lru_cache", "overload", "contextlib.contextmanager",
    "property", "staticmethod", "classmethod", "abstractmethod",
})
STDLIB_DECORATOR_MODULES = frozenset({"functools", "dataclasses", "abc", "typing"})
# Explicit exceptions as (file, how the statement's first line starts), each with its reason:
SIDE_EFFECT_EXCEPTIONS = {
    # The CLI group collects its commands by importing the modules that define them;
    # the library never imports channelkg.cli, so only the command line pays for this.
    ("cli/main.py", "for _module in "),
}
# In cli/ a command registers itself on the group with @cli.command / @cli.group: that
# is what importing a command module is for (see cli/main.py above). The CLI's own
# option helpers, defined in cli/, only add click parameters to the function.
CLI_DECORATORS = frozenset({"cli.command", "cli.group"})
# ``python -m channelkg`` runs the command line: that module is the CLI's entry point.
CLI_ENTRY_POINTS = frozenset({"__main__.py"})


def _sources() -> list[tuple[str, ast.Module, str]]:
    out = []
    for path in sorted(PACKAGE.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        out.append((path.relative_to(PACKAGE).as_posix(), ast.parse(text), text))
    return out


def _module_name(rel: str) -> str:
    parts = ["channelkg", *rel[: -len(".py")].split("/")]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imported_module(rel: str, node: ast.ImportFrom) -> str:
    """The absolute module a ``from … import`` reads from (relative imports resolved)."""
    if not node.level:
        return node.module or ""
    package = _module_name(rel).split(".")
    if not rel.endswith("__init__.py"):
        package = package[:-1]
    base = package[: len(package) - node.level + 1]
    return ".".join([*base, *([node.module] if node.module else [])])


def _dotted(node: ast.expr) -> str:
    """``a.b.c`` for a name chain; ``f().g`` through a call; ``str.x`` on a literal."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    if isinstance(node, ast.Call):
        return f"{_dotted(node.func)}()"
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return "str"
    return "?"


def oversized_modules(rel: str, text: str) -> list[str]:
    """The module, if it has more than :data:`MAX_MODULE_LINES` lines."""
    n = len(text.splitlines())
    return [f"{rel}: {n} lines (limit {MAX_MODULE_LINES})"] if n > MAX_MODULE_LINES else []


def long_functions(rel: str, tree: ast.Module) -> list[str]:
    """Functions and methods (nested ones too) over :data:`MAX_FUNCTION_LINES` lines."""
    return [
        f"{rel}:{node.lineno} {node.name}: {node.end_lineno - node.lineno + 1} lines "
        f"(limit {MAX_FUNCTION_LINES})"
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.end_lineno is not None
        and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES
    ]


def cli_imports(rel: str, tree: ast.Module) -> list[str]:
    """Imports of channelkg.cli (top level, in functions, or by importlib with a literal)."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            module = _imported_module(rel, node)
            names = [module] + [f"{module}.{a.name}" for a in node.names]
        elif (isinstance(node, ast.Call) and _dotted(node.func).endswith("import_module")
              and node.args and isinstance(node.args[0], ast.Constant)):
            names = [str(node.args[0].value)]
        if any(n == "channelkg.cli" or n.startswith("channelkg.cli.") for n in names):
            found.append((node.lineno, f"{rel}:{node.lineno} imports the CLI: {ast.unparse(node)}"))
    return [text for _, text in sorted(found)]


def _is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def private_imports(rel: str, tree: ast.Module, modules: set[str]) -> list[str]:
    """``from channelkg.x import _y``, and ``x._y`` where ``x`` names a channelkg module."""
    found = []
    aliases: set[str] = set()  # local names bound to a channelkg module
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            module = _imported_module(rel, node)
            if not module.startswith("channelkg"):
                continue
            for a in node.names:
                if _is_private(a.name):
                    found.append(f"{rel}:{node.lineno} imports {a.name} from {module}")
                elif f"{module}.{a.name}" in modules:
                    aliases.add(a.asname or a.name)
        elif isinstance(node, ast.Import):
            for a in node.names:
                if a.name.startswith("channelkg"):
                    aliases.add(a.asname or a.name.split(".")[0])
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and _is_private(node.attr):
            owner = _dotted(node.value)
            if owner in aliases or (owner.startswith("channelkg.") and owner in modules):
                found.append(f"{rel}:{node.lineno} uses {owner}.{node.attr}")
    return found


def _evaluated(node: ast.AST) -> list[ast.AST]:
    """The nodes that run when ``node`` is evaluated (not the bodies of lambdas)."""
    out, todo = [], [node]
    while todo:
        sub = todo.pop()
        out.append(sub)
        if not isinstance(sub, ast.Lambda):
            todo.extend(ast.iter_child_nodes(sub))
    return out


class _ImportTime:
    """Which top-level statements of one module do more than define things."""

    def __init__(self, rel: str, tree: ast.Module, cli_helpers: set[str]) -> None:
        self.rel = rel
        self.cli_helpers = cli_helpers
        # ``from dataclasses import field as dc_field``: dc_field is field.
        self.aliases = {a.asname: a.name for n in tree.body if isinstance(n, ast.ImportFrom)
                        for a in n.names if a.asname}

    def name(self, node: ast.expr) -> str:
        head, _, rest = _dotted(node).partition(".")
        return self.aliases.get(head, head) + (f".{rest}" if rest else "")

    def pure(self, node: ast.AST) -> bool:
        """An expression that builds a value, calling nothing but :data:`PURE_CALLS`."""
        for sub in _evaluated(node):
            if isinstance(sub, ast.Call):
                name = self.name(sub.func)
                if name not in PURE_CALLS and not name.startswith("str."):  # str methods
                    return False
            if isinstance(sub, ast.NamedExpr | ast.Await | ast.Yield | ast.YieldFrom):
                return False
        return True

    def decorator_ok(self, dec: ast.expr) -> bool:
        name = self.name(dec.func if isinstance(dec, ast.Call) else dec)
        head, _, tail = name.partition(".")
        stdlib = head in STDLIB_DECORATOR_MODULES and tail in PURE_DECORATORS
        if name in PURE_DECORATORS or stdlib:
            ok = True
        elif self.rel.startswith("cli/"):
            ok = name in CLI_DECORATORS or name in self.cli_helpers or name.startswith("click.")
        else:
            ok = False
        return ok and (not isinstance(dec, ast.Call) or all(
            self.pure(a) for a in [*dec.args, *(k.value for k in dec.keywords)]))

    def definition_ok(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> bool:
        if not all(self.decorator_ok(d) for d in node.decorator_list):
            return False
        if isinstance(node, ast.ClassDef):
            return (all(self.pure(b) for b in node.bases)
                    and all(self.statement_ok(s) for s in node.body))
        return all(self.pure(d) for d in [*node.args.defaults, *node.args.kw_defaults] if d)

    def statement_ok(self, node: ast.stmt) -> bool:
        if isinstance(node, ast.Import | ast.ImportFrom | ast.Pass):
            return True
        if isinstance(node, ast.Expr):
            return isinstance(node.value, ast.Constant)  # a docstring or ...
        if isinstance(node, ast.Assign | ast.AnnAssign):
            return node.value is None or self.pure(node.value)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            return self.definition_ok(node)
        if isinstance(node, ast.If):
            test = ast.unparse(node.test)
            if test in ("TYPE_CHECKING", "typing.TYPE_CHECKING"):
                return not node.orelse and all(
                    isinstance(s, ast.Import | ast.ImportFrom) for s in node.body)
            # Runs only when the file is executed as a script, never on import.
            return test in ("__name__ == '__main__'", '__name__ == "__main__"')
        return False


def import_side_effects(rel: str, tree: ast.Module, cli_helpers: set[str]) -> list[str]:
    """Top-level statements that do more than define (minus :data:`SIDE_EFFECT_EXCEPTIONS`)."""
    check = _ImportTime(rel, tree, cli_helpers)
    found = []
    for node in tree.body:
        first = ast.unparse(node).splitlines()[0]
        if check.statement_ok(node) or any(
                rel == where and first.startswith(head) for where, head in SIDE_EFFECT_EXCEPTIONS):
            continue
        found.append(f"{rel}:{node.lineno} runs at import time: {first}")
    return found


def _cli_helpers(sources: list[tuple[str, ast.Module, str]]) -> set[str]:
    """Names that cli/ modules define at top level (their own option decorators)."""
    names: set[str] = set()
    for rel, tree, _ in sources:
        if rel.startswith("cli/"):
            for node in tree.body:
                if isinstance(node, ast.FunctionDef):
                    names.add(node.name)
                elif isinstance(node, ast.Assign):
                    names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
    return names


def test_no_module_is_too_long() -> None:
    found = [o for rel, _, text in _sources() for o in oversized_modules(rel, text)]
    assert found == [], "modules over the limit:\n" + "\n".join(found)


def test_no_function_is_too_long() -> None:
    found = [o for rel, tree, _ in _sources() for o in long_functions(rel, tree)]
    assert found == [], "functions over the limit:\n" + "\n".join(found)


def test_library_never_imports_the_cli() -> None:
    found = [o for rel, tree, _ in _sources() if not rel.startswith("cli/")
             and rel not in CLI_ENTRY_POINTS for o in cli_imports(rel, tree)]
    assert found == [], "\n".join(found)


def test_no_private_names_imported_across_modules() -> None:
    sources = _sources()
    modules = {_module_name(rel) for rel, _, _ in sources}
    found = [o for rel, tree, _ in sources for o in private_imports(rel, tree, modules)]
    assert found == [], "\n".join(found)


def test_no_import_time_side_effects() -> None:
    sources = _sources()
    helpers = _cli_helpers(sources)
    found = [o for rel, tree, _ in sources for o in import_side_effects(rel, tree, helpers)]
    assert found == [], "\n".join(found)


def test_issue_10_limit_checks_name_their_offenders() -> None:
    """Each check above flags a known-bad snippet, so a clean run means something."""
    long_def = "def big():\n" + "    x = 1\n" * MAX_FUNCTION_LINES
    assert long_functions("a.py", ast.parse(long_def)) == [
        f"a.py:1 big: {MAX_FUNCTION_LINES + 1} lines (limit {MAX_FUNCTION_LINES})"]
    assert oversized_modules("a.py", "x = 1\n" * (MAX_MODULE_LINES + 1))
    assert not oversized_modules("a.py", "x = 1\n" * MAX_MODULE_LINES)
    cli_src = ("def f():\n    from channelkg.cli.main import cli\n"
               "from .. import cli\nimport importlib\nimportlib.import_module('channelkg.cli')\n")
    assert [o.split(" ")[0] for o in cli_imports("render/x.py", ast.parse(cli_src))] == [
        "render/x.py:2", "render/x.py:3", "render/x.py:5"]
    priv = ("from channelkg.rdf.turtle import _Writer\nfrom ..rdf import turtle as t\n"
            "import channelkg.rdf.comments\nt._escape_iri('x')\nt.__name__\n"
            "channelkg.rdf.comments._block([])\n")
    mods = {"channelkg.rdf", "channelkg.rdf.turtle", "channelkg.rdf.comments"}
    assert [o.split(" ", 1)[1] for o in private_imports("graph/x.py", ast.parse(priv), mods)] == [
        "imports _Writer from channelkg.rdf.turtle", "uses t._escape_iri",
        "uses channelkg.rdf.comments._block"]
    effects = ("import logging\nimport re\nA = re.compile('a')\n"
               "logging.getLogger('x').setLevel(40)\nregister('memory', object)\n"
               "for i in range(3):\n    pass\nB = register('b')\n"
               "@register('c')\ndef f(): ...\nclass C:\n    register('d')\n")
    assert [o.split(" ")[0] for o in import_side_effects("graph/x.py", ast.parse(effects), set())
            ] == [f"graph/x.py:{n}" for n in (4, 5, 6, 8, 10, 11)]
