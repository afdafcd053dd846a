"""The hostile-input corpus: files that try to exhaust memory, time or the stack,
or to break a reader, and the commands that read each.

:func:`build` writes the corpus into a folder (the big files are generated, never
stored); :func:`run_all` runs every (input, command) pair in a subprocess and records
its exit code, the first line of its standard error, whether a traceback was
printed and whether any file of the copied graph changed. ``tests/test_hostile.py``
asserts on the records; ``benchmarks/hostile.py`` writes them as a table.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

PREFIXES = (
    "@prefix ckg: <https://w3id.org/channelkg/ontology#> .\n"
    "@prefix kgid: <https://w3id.org/channelkg/id/> .\n"
    "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
)
MB = 1 << 20


@dataclass(frozen=True)
class Case:
    """One hostile input: a file and what it exercises."""

    name: str
    file: str
    what: str
    kind: str  # "rdf", "yaml", "csv", "rq"
    #: "refuse": every command ends in one clear error; "accept": read as data.
    expect: str = "refuse"


def _rdfxml_bomb() -> str:
    ents = ['<!ENTITY a0 "laughlaughlaughlaugh">']
    ents += [f'<!ENTITY a{i} "{("&a" + str(i - 1) + ";") * 10}">' for i in range(1, 10)]
    return (
        '<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF [\n' + "\n".join(ents) + "\n]>\n"
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"\n'
        '         xmlns:rdfs="http://www.w3.org/2000/01/rdf-schema#">\n'
        '  <rdf:Description rdf:about="https://w3id.org/channelkg/id/x">\n'
        "    <rdfs:label>&a9;</rdfs:label>\n  </rdf:Description>\n</rdf:RDF>\n"
    )


def _yaml_bomb() -> str:
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 10):
        refs = ",".join([f"*a{i - 1}"] * 9)
        lines.append(f"a{i}: &a{i} [{refs}]")
    lines.append("facts:\n  - type: entity\n    id: bomb\n    label: *a9\n")
    return "\n".join(lines)


def _nested_bnodes(depth: int) -> str:
    return (PREFIXES + "kgid:deep rdfs:seeAlso " + "[ rdfs:seeAlso " * depth + "kgid:end"
            + " ]" * depth + " .\n")


def _nested_list(depth: int) -> str:
    return PREFIXES + "kgid:deep rdfs:seeAlso " + "( " * depth + "kgid:end" + " )" * depth + " .\n"


def _nested_xml(depth: int) -> str:
    return ('<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
            'xmlns:rdfs="http://www.w3.org/2000/01/rdf-schema#">'
            '<rdf:Description rdf:about="https://w3id.org/channelkg/id/x">'
            + "<rdfs:seeAlso><rdf:Description>" * depth + "<rdfs:label>v</rdfs:label>"
            + "</rdf:Description></rdfs:seeAlso>" * depth + "</rdf:Description></rdf:RDF>\n")


def _entity_row(i: int) -> str:
    return f"entity,Market,m{i},Market {i},M{i % 1000:03d}\n"


Maker = Callable[[], "str | bytes"]


def _specs(depth: int = 100_000) -> dict[str, tuple[str, str, Maker]]:
    """Every input: name -> (kind, what it exercises, a function making its content).
    ``depth``: how deep the nested blank nodes and collections go."""
    files: dict[str, tuple[str, str, Maker]] = {}

    def put(name: str, kind: str, what: str, data: Maker) -> None:
        files[name] = (kind, what, data)

    put("entity-bomb.rdf", "rdf", "RDF/XML nested entities (10^9 characters)", _rdfxml_bomb)
    put("external-entity.rdf", "rdf", "RDF/XML external entity (file:///etc/passwd)",
        lambda: '<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
        'xmlns:rdfs="http://www.w3.org/2000/01/rdf-schema#"><rdf:Description '
        'rdf:about="https://w3id.org/channelkg/id/x"><rdfs:label>&x;</rdfs:label>'
        "</rdf:Description></rdf:RDF>\n")
    put("bnodes-100k.ttl", "rdf", f"{depth:,} nested blank nodes", lambda: _nested_bnodes(depth))
    put("list-100k.ttl", "rdf", f"{depth:,} nested collections", lambda: _nested_list(depth))
    put("nested-100k.rdf", "rdf", f"RDF/XML elements nested {2 * depth:,} deep",
        lambda: _nested_xml(depth))
    put("bad-utf8.ttl", "rdf", "invalid UTF-8 in Turtle",
        lambda: PREFIXES.encode() + b'kgid:x rdfs:label "caf\xe9" .\n')
    put("literal-20mb.ttl", "rdf", "a 20 MB literal",
        lambda: PREFIXES + 'kgid:x rdfs:label "' + "x" * (20 * MB) + '" .\n')
    put("bom.ttl", "rdf", "UTF-8 BOM in Turtle (accepted)",
        lambda: "\ufeff" + PREFIXES + 'kgid:t-market rdfs:comment "with a BOM" .\n')
    put("escapes.ttl", "rdf", "terminal escape codes in a label",
        lambda: PREFIXES + 'kgid:t-market rdfs:label "\\u001B[2J\\u001B]0;pwned\\u0007evil"@en .\n')
    put("duplicate-id.ttl", "rdf", "an IRI <kgid:t-market> beside kgid:t-market",
        lambda: PREFIXES + "@prefix ckg: <https://w3id.org/channelkg/ontology#> .\n"
        '<kgid:t-market> a ckg:Market ; rdfs:label "Dup"@en .\n'
        "kgid:t-route-cloud ckg:market <kgid:t-market> .\n")
    put("ns-typo.ttl", "rdf", "a typo in the ckg: namespace IRI",
        lambda: '@prefix ckg: <https://w3id.org/channelkg/ontologie#> .\n'
        '@prefix kgid: <https://w3id.org/channelkg/id/> .\n'
        'kgid:t-market ckg:isoCode "TL" .\n')
    put("alias-bomb.yaml", "yaml", "YAML billion laughs (9^10 aliases)", _yaml_bomb)
    put("python-tag.yaml", "yaml", "YAML !!python tag",
        lambda: "- type: entity\n  id: x\n"
        "  label: !!python/object/apply:os.system ['echo pwned']\n")
    put("deep-flow.yaml", "yaml", "YAML 100,000 nested flow lists",
        lambda: "- type: entity\n  label: " + "[" * 100_000 + "]" * 100_000 + "\n")
    put("nonstring-keys.yaml", "yaml", "YAML non-string keys",
        lambda: "- type: entity\n  ? [1, 2]\n  : x\n  3: y\n  id: k\n")
    put("comment-20mb.yaml", "yaml", "YAML with a 20 MB comment",
        lambda: "# " + "c" * (20 * MB) + "\n- type: entity\n  id: c\n")
    put("cell-200kb.csv", "csv", "a 200 KB CSV cell",
        lambda: "type,class,id,label_en,iso_code\nentity,Market,big," + "y" * 200_000 + ",BG\n")
    put("rows-1m.csv", "csv", "1,000,000 CSV rows",
        lambda: "type,class,id,label_en,iso_code\n"
        + "".join(_entity_row(i) for i in range(1_000_000)))
    put("bom.csv", "csv", "UTF-8 BOM in CSV (accepted)",
        lambda: "\ufefftype,class,id,label_en,iso_code\nentity,Market,bom-land,Bomland,BQ\n")
    put("parens-10k.rq", "rq", "10,000 nested parentheses in a query",
        lambda: "SELECT ?x WHERE { BIND(" + "(" * 10_000 + "1" + ")" * 10_000 + " AS ?x) }\n")
    put("groups-10k.rq", "rq", "10,000 nested groups in a query",
        lambda: "SELECT * WHERE " + "{ " * 10_000 + "?s ?p ?o" + " }" * 10_000 + "\n")
    put("bad-utf8.rq", "rq", "invalid UTF-8 in a query file",
        lambda: b"SELECT * WHERE { ?s ?p \"\xff\" }")
    return files


#: The names of the inputs, in order.
NAMES = tuple(_specs())


def build(folder: Path, only: Sequence[str] = (), depth: int = 100_000) -> list[Case]:
    """Write the corpus (or the inputs named in ``only``) into ``folder``; return its cases.
    ``depth``: of the nested blank nodes and collections (the tests use less)."""
    folder.mkdir(parents=True, exist_ok=True)
    cases = []
    for name, (kind, what, make) in _specs(depth).items():
        if only and name not in only:
            continue
        data = make()
        (folder / name).write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
        cases.append(Case(name, name, what, kind, "accept" if name in ACCEPTED else "refuse"))
    return cases


#: Inputs that are data, not attacks: read (a BOM), or read and shown safely.
ACCEPTED = frozenset({"bom.ttl", "bom.csv", "escapes.ttl", "duplicate-id.ttl"})
#: The commands that must refuse an input whose harm depends on the command (the
#: others read it as data): deep blank nodes hurt whoever turns them into objects or
#: writes them as Turtle (queries and views read them from the store as they are), a
#: namespace typo only a check. Every other input that is not accepted is refused by all.
DEEP = frozenset({"format", "import", "validate", "add"})
REFUSED_BY = {
    "bnodes-100k.ttl": DEEP,
    "list-100k.ttl": DEEP,
    "ns-typo.ttl": frozenset({"validate", "import"}),
}


def must_refuse(case: Case, label: str) -> bool:
    """Whether ``label`` (a command) must refuse ``case``."""
    if case.expect == "accept":
        return False
    return label in REFUSED_BY.get(case.name, frozenset({label}))



def commands(case: Case, path: Path, tiny: Path) -> list[tuple[str, list[str]]]:
    """The commands that read ``case`` (each as a label and its arguments)."""
    p = str(path)
    if case.kind == "yaml" or case.kind == "csv":
        return [("import", ["import", p, "--data", str(tiny), "--file", "{target}"])]
    if case.kind == "rq":
        return [
            ("query", ["query", p, "--data", str(tiny)]),
            ("view --query", ["view", "--query", p, "--data", str(tiny), "-o", "{out}.html"]),
            ("explain --query", ["explain", "--query", p, "--data", str(tiny)]),
        ]
    data = ["--data", str(tiny), "--data", p]
    out = [
        ("validate", ["validate", p]),
        ("import", ["import", p, "--data", str(tiny), "--file", "{target}"]),
        ("add", ["add", "entity", "--class", "Market", "--id", "hx", "--label-en", "Hx",
                 "--iso-code", "HX", *data, "--file", "{target}"]),
        ("query", ["query", "SELECT ?s ?o WHERE { ?s <http://www.w3.org/2000/01/rdf-schema#label>"
                   " ?o } LIMIT 3", *data]),
        ("view", ["view", "--market", "TL", *data, "-o", "{out}.html"]),
        ("diff", ["diff", "--from", "2020-01-01", "--to", "2025-01-01", *data]),
        ("timeline", ["timeline", *data]),
        ("explain", ["explain", "kgid:t-route-cloud", *data]),
        ("check", ["check", *data]),
    ]
    if path.suffix == ".ttl":
        out.insert(0, ("format", ["format", "{copy}"]))
    return out


@dataclass
class Run:
    """What one command did with one hostile input."""

    case: Case
    label: str
    code: int
    first_line: str
    traceback: bool
    changed: bool
    seconds: float


def _digest(folder: Path) -> dict[str, str]:
    return {str(f.relative_to(folder)): hashlib.sha256(f.read_bytes()).hexdigest()
            for f in sorted(folder.rglob("*")) if f.is_file() and f.name != ".channelkg.lock"}


def _limits(memory_mb: int) -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (memory_mb * MB, memory_mb * MB))


def run_one(case: Case, label: str, args: Sequence[str], work: Path, env: dict[str, str],
            timeout: float = 120.0, memory_mb: int = 3072) -> Run:
    """Run one command in ``work`` on a fresh ``graphs/`` (the target file and, for
    ``format``, a copy of the input), with ``memory_mb`` of address space at most."""
    graphs = work / "graphs"
    if graphs.exists():
        shutil.rmtree(graphs)
    graphs.mkdir(parents=True)
    (graphs / "target.ttl").write_text(PREFIXES, encoding="utf-8")
    copy = graphs / case.file
    if "{copy}" in args:
        shutil.copyfile(Path(args[-1]), copy)
        args = [a for a in args[:-1]]
    before = _digest(graphs)
    argv = [a.replace("{target}", str(graphs / "target.ttl")).replace("{copy}", str(copy))
            .replace("{out}", str(work / "out")) for a in args]
    start = time.monotonic()
    try:
        proc = subprocess.run([sys.executable, "-m", "channelkg", *argv], cwd=work, env=env,
                              capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL,
                              preexec_fn=lambda: _limits(memory_mb))  # noqa: PLW1509
        code, err = proc.returncode, proc.stderr.decode("utf-8", "replace")
        out = proc.stdout.decode("utf-8", "replace")
    except subprocess.TimeoutExpired:
        code, err, out = -9, f"(killed after {timeout:g} s)", ""
    seconds = time.monotonic() - start
    return Run(case, label, code, message(code, err, out),
               "Traceback (most recent call last)" in err, _digest(graphs) != before, seconds)


def message(code: int, err: str, out: str) -> str:
    """The line that says what happened: the error, else (``validate``) the first
    problem on standard output, else the last progress line."""
    errors = [line for line in err.splitlines() if line.startswith("Error:")]
    lines = [line for line in err.splitlines() if line.strip()]
    if errors:
        return errors[0][:200]
    if code != 0 and out.strip():
        return out.strip().splitlines()[0][:200]
    return (lines[-1] if lines else "")[:200]


def run_all(folder: Path, tiny: Path, work: Path, only: Sequence[str] = (),
            timeout: float = 120.0) -> list[Run]:
    """Build the corpus in ``folder`` and run every command on every input."""
    cases = build(folder, only)
    env = dict(os.environ)
    runs = []
    for case in cases:
        for label, args in commands(case, folder / case.file, tiny):
            if args[0] == "format":
                args = ["format", "{copy}", str(folder / case.file)]
            runs.append(run_one(case, label, args, work, env, timeout))
    return runs


def outcome(run: Run) -> str:
    """``traceback``, ``crash`` (a signal or the time limit), ``refused`` (a clear error:
    exit 2, or ``validate`` reporting the input as a problem) or ``accepted``."""
    if run.traceback:
        return "traceback"
    if run.code not in (0, 1, 2):
        return "crash"
    if run.code == 2 or (run.code == 1 and run.label == "validate" and run.first_line):
        return "refused"
    return "accepted"


def table(runs: Sequence[Run], hide: str = "") -> str:
    """The runs as a Markdown table, after a line of counts; ``hide`` (a folder) is
    left out of the messages."""
    counts = {k: sum(1 for r in runs if outcome(r) == k)
              for k in ("refused", "accepted", "traceback", "crash")}
    changed = sum(1 for r in runs if r.changed and outcome(r) != "accepted")
    out = [
        f"{len(runs)} runs: {counts['refused']} clear errors, {counts['accepted']} read as "
        f"data, {counts['traceback']} tracebacks, {counts['crash']} crashes or time-outs; "
        f"{changed} files changed by a command that failed.",
        "",
        "| input | what | command | exit | seconds | outcome | message |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in runs:
        line = (r.first_line.replace(hide, "") if hide else r.first_line).replace("|", "\\|")
        out.append(f"| {r.case.file} | {r.case.what} | {r.label} | {r.code} | "
                   f"{r.seconds:.1f} | {outcome(r)} | {line} |")
    return "\n".join(out) + "\n"
