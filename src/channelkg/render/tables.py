"""Tables of library results, ready for every tabular output format.

A :class:`Table` holds display rows (for table/csv/tsv/md) and a JSON document
(for json); the functions here build one from each kind of result the commands
print: named queries, rules, single points of failure, what-if scenarios,
validation reports and briefs.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from channelkg.record import Record

TYPE_CHECKING = False  # typing is not imported at run time
if TYPE_CHECKING:
    from typing import Any, ClassVar

    from channelkg.analysis.spof import SpofResult
    from channelkg.analysis.whatif import WhatIfResult
    from channelkg.check.validate import Report
    from channelkg.render.brief import Brief
    from channelkg.sparql.query import NamedQuery
    from channelkg.sparql.reason import Rule


def _tsv_cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")


class Table(Record):
    """Display rows under headers, and the JSON document that says the same (a frozen
    :class:`~channelkg.record.Record`)."""

    __slots__ = ("headers", "rows", "doc")
    FROZEN = True
    DEFAULTS: ClassVar[dict[str, Any]] = {"doc": None}

    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    doc: Any

    def __init__(self, headers: tuple[str, ...], rows: tuple[tuple[str, ...], ...],
                 doc: Any = None) -> None:
        self.set(headers=headers, rows=rows, doc=doc)

    @classmethod
    def of(cls, headers: Sequence[str], rows: Iterable[Sequence[str]], doc: Any = None) -> Table:
        """Build a table from any sequences."""
        return cls(tuple(headers), tuple(tuple(r) for r in rows), doc)

    def render(self, fmt: str, *, width: int | None = None, color: bool = False) -> str:
        """The table as ``table``, ``csv``, ``tsv``, ``md`` or ``json``.

        JSON is :attr:`doc` when set, else one object per row keyed by the headers.
        A ``table`` fits in ``width`` columns when given (long cells folded, see
        :func:`channelkg.render.fit.fit_table`), with bold headers when ``color``.
        """
        if fmt == "table":
            from channelkg.render.fit import fit_table

            return fit_table(self.headers, self.rows, width, color=color)
        if fmt == "tsv":
            lines = ["\t".join(map(_tsv_cell, self.headers))]
            lines += ["\t".join(map(_tsv_cell, row)) for row in self.rows]
            return "\n".join(lines) + "\n"
        from channelkg.render.results import render_rows

        return render_rows(list(self.headers), [list(r) for r in self.rows], fmt, self.doc)


def queries_table(queries: Iterable[NamedQuery]) -> Table:
    """The shipped named queries: name, description, parameters."""
    rows, doc = [], []
    for nq in queries:
        params = "; ".join(
            f"{p.name} ({p.type}"
            + (f', default "{p.default}"' if p.default is not None else "")
            + (", optional" if p.optional else "")
            + (", required" if p.required else "")
            + f"): {p.description}"
            for p in nq.params
        )
        rows.append([nq.name, f"{nq.title}. {nq.description}", params or "none"])
        doc.append({
            "name": nq.name,
            "title": nq.title,
            "description": nq.description,
            "params": [
                {"name": p.name, "type": p.type, "description": p.description,
                 "default": p.default, "optional": p.optional, "required": p.required}
                for p in nq.params
            ],
        })
    return Table.of(["name", "description", "parameters"], rows, doc)


def rules_table(rules: Iterable[Rule]) -> Table:
    """The CONSTRUCT rules: name and description."""
    rules = list(rules)
    rows = [[r.name, f"{r.title}. {r.description}"] for r in rules]
    doc = [{"name": r.name, "title": r.title, "description": r.description} for r in rules]
    return Table.of(["name", "description"], rows, doc)


SPOF_HEADERS = ("family", "market", "open routes", "single points of failure",
                "minimum cut", "corroborated by")


def spof_table(results: Iterable[SpofResult], market: str) -> Table:
    """Single points of failure, one row per model family."""
    from channelkg.rdf.terms import shorten

    results = list(results)
    rows = [
        [
            r.family_label,
            r.market_label,
            str(r.channels),
            "; ".join(f"{c.label} [{shorten(c.iri)}] ({c.role})" for c in r.critical)
            or ("cut off: no open route" if r.cut_off else "none"),
            "; ".join(f"{c.label} ({c.role})" for c in r.min_cut),
            "; ".join(f"{a['assessment']}: {a['level']}: {a['statement']}"
                      for a in r.assessments),
        ]
        for r in results
    ]
    from channelkg.render.records import spof_doc

    return Table.of(SPOF_HEADERS, rows, spof_doc(results, market))


def whatif_table(res: WhatIfResult, all_rows: bool = False) -> Table:
    """The markets that gain or lose models under a scenario."""
    from channelkg.render.records import whatif_doc

    return Table.of(res.HEADERS, res.rows(all_rows=all_rows), whatif_doc(res))


def whatif_text(res: WhatIfResult, all_rows: bool = False, *, width: int | None = None,
                color: bool = False) -> str:
    """A what-if answer as text: the scenario, the table, the routes that close or open
    (folded to ``width`` columns when given)."""
    from channelkg.rdf.terms import shorten
    from channelkg.render.fit import fit_table, fold_text

    rows = res.rows(all_rows=all_rows)
    text = fold_text("scenario: " + "; ".join(res.scenario), width) + "\n\n"
    text += (fit_table(res.HEADERS, rows, width, color=color) if rows
             else "no market gains or loses a model\n")
    tail = ""
    if res.closed:
        tail += "\nroutes that close:\n"
        tail += "".join(f"  {shorten(r)}: {why}\n" for r, why in res.closed)
    if res.opened:
        tail += "\nroutes that open:\n"
        tail += "".join(f"  {shorten(r)}: {why}\n" for r, why in res.opened)
    return text + fold_text(tail, width)


def validation_table(report: Report) -> Table:
    """Validation problems, one row each, with a JSON document of the whole report."""
    import dataclasses

    rows = [[p.location, p.kind, p.focus, p.path, p.message] for p in report.problems]
    doc: dict[str, object] = {
        "conforms": report.conforms,
        "source": report.source or [str(f) for f in report.files],
        "triples": report.triples,
        "problems": [dataclasses.asdict(p) for p in report.problems],
    }
    if report.sample is not None:  # validate --sample: which focus nodes were checked
        doc["sample"] = {"checked": len(report.sample.nodes), "total": report.sample.total,
                         "seed": report.sample.seed,
                         "nodes": [str(n) for n in report.sample.nodes]}
    return Table.of(["location", "kind", "focus", "path", "message"], rows, doc)


def brief_json(brief: Brief) -> str:
    """A brief as JSON: title, subject, blocks and numbered sources."""
    import dataclasses
    import json

    doc = {
        "title": brief.title,
        "subject": brief.subject,
        "subtitle": brief.subtitle,
        "blocks": [dataclasses.asdict(b) for b in brief.blocks],
        "sources": [dataclasses.asdict(s) for s in brief.sources],
    }
    return json.dumps(doc, ensure_ascii=False, indent=1) + "\n"


__all__ = [
    "SPOF_HEADERS",
    "Table",
    "brief_json",
    "queries_table",
    "rules_table",
    "spof_table",
    "validation_table",
    "whatif_table",
    "whatif_text",
]
