"""The data-quality gate behind ``channelkg check``: rules kept as ``.rq`` files.

A rule is a SPARQL SELECT file whose header comment names it and gives its
severity, as ROBOT's report does::

    # title: Claim without a source
    # description: A claim that is not prov:wasDerivedFrom any ckg:Source.
    # severity: ERROR

It selects one row per finding: ``?focus`` (the offending node) and ``?message``
(what is wrong), optionally ``?value`` (the other node or value involved). The
rules run as SPARQL on the graph's own engine (nothing is copied into rdflib), so a
new rule needs no Python: drop a ``.rq`` file into the rules folder.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from channelkg import resources
from channelkg.errors import InputError, QueryError
from channelkg.graph.memory import KnowledgeGraph
from channelkg.rdf.terms import display

if TYPE_CHECKING:
    from rdflib.term import Node

#: Severities, most severe first.
SEVERITIES = ("ERROR", "WARN", "INFO")
#: ``--fail-on`` levels: fail when a finding at or above the level exists.
FAIL_LEVELS = ("error", "warn", "info", "never")

_RANK = {"ERROR": 3, "WARN": 2, "INFO": 1}
_SEVERITY_LINE = re.compile(r"^#\s*severity:\s*(.*?)\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class Rule:
    """A data-quality rule read from a ``.rq`` file."""

    name: str
    title: str
    description: str
    severity: str
    text: str
    path: Path


@dataclass(frozen=True)
class Finding:
    """One offending node found by a rule."""

    severity: str
    rule: str
    focus: Node | None
    message: str
    value: Node | None = None

    @property
    def focus_name(self) -> str:
        """The focus node as a compact name (``kgid:…``)."""
        return display(self.focus)

    @property
    def text(self) -> str:
        """The message, followed by the value when the rule gives one."""
        if self.value is None:
            return self.message
        return f"{self.message} {display(self.value)}".strip()

    def record(self) -> dict[str, str | None]:
        """The finding as a JSON-ready record (full IRIs beside compact names)."""
        return {
            "severity": self.severity,
            "rule": self.rule,
            "focus": str(self.focus) if self.focus is not None else None,
            "focus_name": self.focus_name,
            "message": self.message,
            "value": str(self.value) if self.value is not None else None,
            "value_name": display(self.value) if self.value is not None else None,
        }


@dataclass(frozen=True)
class CheckReport:
    """Outcome of :func:`run_checks`: every finding of every rule."""

    findings: tuple[Finding, ...]
    rules: tuple[Rule, ...] = field(default=(), repr=False)

    @property
    def counts(self) -> dict[str, int]:
        """Number of findings per severity (every severity present, also at 0)."""
        out = dict.fromkeys(SEVERITIES, 0)
        for f in self.findings:
            out[f.severity] += 1
        return out

    @property
    def rule_counts(self) -> dict[str, int]:
        """Number of findings per rule, for every rule that ran (also at 0)."""
        out = {r.name: 0 for r in self.rules}
        for f in self.findings:
            out[f.rule] = out.get(f.rule, 0) + 1
        return out

    def at_or_above(self, level: str) -> tuple[Finding, ...]:
        """The findings at or above ``level`` (error, warn, info; never: none).

        Raises:
            InputError: ``level`` is not one of :data:`FAIL_LEVELS`.
        """
        threshold = fail_rank(level)
        return tuple(f for f in self.findings if _RANK[f.severity] >= threshold)

    def failed(self, level: str = "error") -> bool:
        """True if a finding at or above ``level`` (error, warn, info; never) exists.

        Raises:
            InputError: ``level`` is not one of :data:`FAIL_LEVELS`.
        """
        return bool(self.at_or_above(level))

    @property
    def summary(self) -> str:
        """One line: how many findings of each severity, from how many rules."""
        counts = self.counts
        parts = ", ".join(f"{counts[s]} {s}" for s in SEVERITIES)
        return f"{len(self.findings)} finding(s) ({parts}) from {len(self.rules)} rule(s)"

    def _repr_html_(self) -> str:
        """An HTML table of the findings and the summary line, for notebooks."""
        head = "".join(f"<th>{h}</th>" for h in ("severity", "rule", "focus", "message"))
        body = "".join(
            "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>"
            for row in report_rows(self)
        )
        return (f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
                f"<p>{html.escape(self.summary)}</p>")


def fail_rank(level: str) -> int:
    """The lowest severity rank that fails at ``level`` (``never``: none does)."""
    key = level.lower()
    if key not in FAIL_LEVELS:
        raise InputError(f"unknown --fail-on level {level!r}; choose {', '.join(FAIL_LEVELS)}")
    return _RANK.get(key.upper(), max(_RANK.values()) + 1)


def parse_rule(path: Path) -> Rule:
    """Read one rule file and its header.

    Raises:
        InputError: the file cannot be read, or its header lacks a title, a
            description or a valid severity (reported as ``file:line``).
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise InputError(f"cannot read rule: {err}", str(path)) from None
    title = description = severity = ""
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.startswith("#"):
            break
        if m := _SEVERITY_LINE.match(line):
            severity = m.group(1).upper()
            if severity not in SEVERITIES:
                raise InputError(
                    f"bad severity {m.group(1)!r}; choose {', '.join(SEVERITIES)}",
                    f"{path}:{lineno}",
                )
        elif m := re.match(r"^#\s*(title|description):\s*(.*)$", line):
            if m.group(1) == "title":
                title = m.group(2).strip()
            else:
                description = (description + " " + m.group(2).strip()).strip()
    missing = [k for k, v in (("title", title), ("description", description),
                              ("severity", severity)) if not v]
    if missing:
        raise InputError(
            "a rule needs '# title:', '# description:' and '# severity:' header lines "
            f"(missing: {', '.join(missing)})", f"{path}:1",
        )
    return Rule(path.stem, title, description, severity, text, path)


def load_rules(rules_dir: Path | str | None = None) -> list[Rule]:
    """Every rule (``*.rq``) in ``rules_dir`` (default: the shipped rules), by name.

    Raises:
        InputError: the folder does not exist or holds no rule, or a rule is malformed.
    """
    folder = Path(rules_dir) if rules_dir is not None else resources.check_rules_dir()
    if not folder.is_dir():
        raise InputError("no such rules folder", str(folder))
    rules = [parse_rule(p) for p in sorted(folder.glob("*.rq"))]
    if not rules:
        raise InputError("the rules folder holds no .rq rule", str(folder))
    return rules


def run_rule(kg: KnowledgeGraph, rule: Rule) -> list[Finding]:
    """Run one rule on the graph's engine and turn its rows into findings.

    Raises:
        QueryError: the rule is not a SELECT of ``?focus`` and ``?message``, or the
            engine cannot parse or run it (the message names the rule's file).
    """
    from channelkg.sparql.query import run

    try:
        result = run(kg, rule.text)
    except QueryError as err:
        raise QueryError(f"{rule.path}: {err}") from None
    if result.kind != "SELECT" or not {"focus", "message"} <= set(result.vars):
        raise QueryError(f"{rule.path}: a rule must be a SELECT of ?focus and ?message")
    cols = {name: i for i, name in enumerate(result.vars)}
    value_col = cols.get("value")
    out = []
    for row in result.rows:
        message = row[cols["message"]]
        out.append(Finding(
            severity=rule.severity,
            rule=rule.name,
            focus=row[cols["focus"]],
            message=str(message) if message is not None else rule.title,
            value=row[value_col] if value_col is not None else None,
        ))
    return out


def _sort_key(f: Finding) -> tuple[int, str, str, str]:
    return (-_RANK[f.severity], f.rule, f.focus_name, f.text)


def run_checks(kg: KnowledgeGraph, rules_dir: Path | str | None = None) -> CheckReport:
    """Run every rule of ``rules_dir`` (default: the shipped rules) on the graph.

    Findings are ordered by severity (ERROR first), then rule, focus and message.

    Raises:
        InputError: a missing or empty rules folder, or a rule with a bad header.
        QueryError: a rule the engine cannot run.
    """
    rules = load_rules(rules_dir)
    findings = [f for rule in rules for f in run_rule(kg, rule)]
    return CheckReport(tuple(sorted(findings, key=_sort_key)), tuple(rules))


def report_rows(report: CheckReport) -> list[list[str]]:
    """Display rows of a report: severity, rule, focus (compact name), message."""
    return [[f.severity, f.rule, f.focus_name, f.text.replace("\n", " ")]
            for f in report.findings]


def render_report(report: CheckReport, fmt: str = "table") -> str:
    """Render a report as ``table`` or ``md`` (rows then the summary line) or
    ``json`` (one record per finding).

    Raises:
        InputError: an unknown format.
    """
    from channelkg.render.results import markdown, table

    if fmt == "json":
        return json.dumps([f.record() for f in report.findings],
                          ensure_ascii=False, indent=1) + "\n"
    renderers = {"table": table, "md": markdown}
    if fmt not in renderers:
        raise InputError(f"unknown format {fmt!r}; choose table, json or md")
    headers = ["severity", "rule", "focus", "message"]
    rows = report_rows(report)
    body = renderers[fmt](headers, rows) if rows else ""
    return body + ("\n" if body and fmt == "md" else "") + report.summary + "\n"


__all__ = [
    "FAIL_LEVELS",
    "SEVERITIES",
    "CheckReport",
    "Finding",
    "Rule",
    "fail_rank",
    "load_rules",
    "parse_rule",
    "render_report",
    "run_checks",
    "run_rule",
]
