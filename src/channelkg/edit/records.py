"""Facts as the user gives them: records from options, YAML or CSV (readers).

A :class:`Record` is one fact with its raw field values and where each came from
(``file:line (fact N)``, ``file:line (row N)`` or the command line), so every
problem names its place. ``-`` as a path reads standard input.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from channelkg.errors import InputError

STDIN = "-"


class EditError(InputError):
    """One or more problems with the facts to add; nothing was written."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        head = "nothing was written; " + (
            "1 problem" if len(self.problems) == 1 else f"{len(self.problems)} problems"
        )
        super().__init__(head + ":\n  " + "\n  ".join(self.problems))


@dataclass
class Record:
    """One fact to add: its type, raw field values and source location."""

    kind: str
    values: dict[str, list[str]]
    location: str = "command line"
    field_locations: dict[str, str] = field(default_factory=dict)

    def where(self, name: str | None = None) -> str:
        """Where the record, or its field ``name``, was given."""
        if name and self.location == "command line":
            return f"option --{name}"
        if name and name in self.field_locations:
            return f"{self.field_locations[name]}, field {name!r}"
        return f"{self.location}, field {name!r}" if name else self.location


class Problems:
    """Every problem found so far, each as ``where: message``."""

    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, where: str, message: str) -> None:
        """Note one problem."""
        self.items.append(f"{where}: {message}")


def norm_key(key: str) -> str:
    """A field name as given (``depends_on``, ``Depends-On``) in the form of the options."""
    return key.strip().lower().replace("_", "-")


def _raw_values(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list | tuple):
        out: list[str] = []
        for v in value:
            out.extend(_raw_values(v))
        return out
    if isinstance(value, bool):
        return ["true" if value else "false"]
    if isinstance(value, dt.datetime):
        return [value.date().isoformat()]
    if isinstance(value, dt.date):
        return [value.isoformat()]
    return [str(value)]


def record_from_mapping(
    data: Mapping[str, Any],
    location: str = "command line",
    field_locations: Mapping[str, str] | None = None,
    kind: str | None = None,
) -> Record:
    """Build a :class:`Record` from a mapping (CLI options, a YAML item, a CSV row).

    Keys may use dashes or underscores. ``type`` names the fact kind.
    ``source`` may be a mapping (``title``, ``url``, ``date``, ``publisher``,
    ``reliability``); ``label`` may be a mapping ``{lang: text}``, ``set`` a
    mapping ``{property: value}``; ``label_<lang>`` keys are labels in that language.
    """
    values: dict[str, list[str]] = {}
    locs = dict(field_locations or {})
    kind = kind or str(data.get("type", "") or "").strip()
    for key, value in data.items():
        name = norm_key(str(key))
        if name == "type":
            continue
        if name == "source" and isinstance(value, Mapping):
            for k, v in value.items():
                sub = f"source-{norm_key(str(k))}"
                values.setdefault(sub, []).extend(_raw_values(v))
                locs.setdefault(sub, locs.get(name, location))
            continue
        if name == "label" and isinstance(value, Mapping):
            for lang, text in value.items():
                values.setdefault("label", []).extend(f"{lang}={t}" for t in _raw_values(text))
            continue
        if name == "set" and isinstance(value, Mapping):
            for k, v in value.items():
                values.setdefault("set", []).extend(f"{k}={t}" for t in _raw_values(v))
            continue
        if isinstance(value, Mapping):
            raise InputError(f"field {name!r}: expected a value or a list, not a mapping",
                             locs.get(name, location))
        m = re.fullmatch(r"label-([a-z]{2,3}(?:-[a-z0-9]+)*)", name)
        if m and m.group(1) not in ("en", "zh"):
            values.setdefault("label", []).extend(f"{m.group(1)}={t}" for t in _raw_values(value))
            locs.setdefault("label", locs.get(name, location))
            continue
        raw = _raw_values(value)
        if raw:
            values.setdefault(name, []).extend(raw)
    return Record(kind, values, location, locs)


# ---------------------------------------------------------------------------
# Reading YAML and CSV
# ---------------------------------------------------------------------------


def _yaml_loader(where: str) -> type[Any]:
    """A safe YAML loader that keeps dates as text (a bad date is reported, not a crash)
    and bounds what a document can make: nesting (:data:`~channelkg.rdf.limits.NESTING`)
    while it is read, then nodes with every alias expanded
    (:data:`~channelkg.rdf.limits.YAML_NODES`, see :func:`_expanded_nodes`)."""
    import yaml

    from channelkg.rdf.limits import NESTING

    class Loader(yaml.SafeLoader):
        depth = 0

        def compose_node(self, parent: Any, index: Any) -> Any:
            self.depth += 1
            try:
                if self.depth > NESTING.bound():
                    mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
                    raise InputError(NESTING.exceeded(f"YAML nested {self.depth:,} deep"),
                                     f"{where}:{mark.line + 1}")
                return super().compose_node(parent, index)
            finally:
                self.depth -= 1

    Loader.yaml_implicit_resolvers = {
        k: [r for r in v if r[0] != "tag:yaml.org,2002:timestamp"]
        for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    return Loader


def _expanded_nodes(root: Any, where: str) -> None:
    """Refuse a YAML document whose aliases expand to more nodes than
    :data:`~channelkg.rdf.limits.YAML_NODES` allows (a "billion laughs"), or that
    refers to itself. Counted on the composed nodes, each shared node once."""
    import yaml

    from channelkg.rdf.limits import YAML_NODES

    limit = YAML_NODES.bound()
    size: dict[int, int] = {}
    todo: list[tuple[Any, bool]] = [(root, False)]
    open_nodes: set[int] = set()
    while todo:
        node, done = todo.pop()
        key = id(node)
        if key in size and not done:
            continue
        children: list[Any] = []
        if isinstance(node, yaml.SequenceNode):
            children = list(node.value)
        elif isinstance(node, yaml.MappingNode):
            children = [n for pair in node.value for n in pair]
        if done:
            open_nodes.discard(key)
            size[key] = 1 + sum(size[id(c)] for c in children)
            if size[key] > limit:
                raise InputError(YAML_NODES.exceeded(
                    f"YAML aliases expand to more than {size[key]:,} nodes"),
                    f"{where}:{node.start_mark.line + 1}")
            continue
        if key in open_nodes:
            raise InputError("a YAML alias refers to the node that holds it",
                             f"{where}:{node.start_mark.line + 1}")
        open_nodes.add(key)
        todo.append((node, True))
        todo.extend((c, False) for c in children if id(c) not in size)


def _yaml_error(err: Exception, path: Path | str, kind: str = "YAML syntax error") -> InputError:
    mark = getattr(err, "problem_mark", None)
    loc = f"{path}:{mark.line + 1}" if mark is not None else str(path)
    problem = getattr(err, "problem", None) or err
    return InputError(f"{kind}: {' '.join(str(problem).split())}", loc)


def read_yaml(path: Path | str, text: str | None = None) -> list[Record]:
    """Read facts from YAML: a list of mappings, or ``{facts: [...]}``.

    Only plain YAML is read (no ``!!python`` or other language tags); size, nesting,
    alias expansion and the number of facts are bounded (:mod:`channelkg.rdf.limits`).

    Raises:
        InputError: bad YAML, bad structure or a limit passed, with the line number.
    """
    import yaml

    from channelkg.rdf.limits import FACTS, INPUT_FILE, check_size

    text = read_text(path) if text is None else text
    check_size(len(text), INPUT_FILE, str(path))
    loader = _yaml_loader(str(path))
    try:
        root = yaml.compose(text.removeprefix("\ufeff"), Loader=loader)
    except yaml.YAMLError as err:
        raise _yaml_error(err, path) from None
    if root is None:
        return []
    _expanded_nodes(root, str(path))
    if isinstance(root, yaml.MappingNode):
        items = {k.value: v for k, v in root.value if isinstance(k, yaml.ScalarNode)}
        if "facts" not in items:
            raise InputError("expected a list of facts or a mapping with 'facts:'", f"{path}:1")
        root = items["facts"]
    if not isinstance(root, yaml.SequenceNode):
        line = root.start_mark.line + 1
        raise InputError("expected a list of facts", f"{path}:{line}")
    if len(root.value) > FACTS.bound():
        raise InputError(FACTS.exceeded(f"{len(root.value):,} facts"), str(path))
    return [_yaml_record(item, i, path, loader) for i, item in enumerate(root.value, 1)]


def _yaml_record(item: Any, i: int, path: Path | str, loader: type[Any]) -> Record:
    """The record of the ``i``-th fact of a YAML file (its composed node ``item``)."""
    import yaml

    line = item.start_mark.line + 1
    loc = f"{path}:{line} (fact {i})"
    if not isinstance(item, yaml.MappingNode):
        raise InputError(f"fact {i} is not a mapping of field: value", f"{path}:{line}")
    try:
        data = loader(yaml.serialize(item)).get_single_data()
    except yaml.YAMLError as err:
        bad = _yaml_error(err, path, "YAML value not read")
        raise InputError(bad.message, f"{path}:{line} (fact {i})") from None
    if not isinstance(data, dict) or not all(isinstance(k, str) for k in data):
        raise InputError(f"fact {i}: every field name must be text", loc)
    locs = {}
    for k, v in item.value:
        name = norm_key(str(k.value))
        locs[name] = f"{path}:{v.start_mark.line + 1} (fact {i})"
        if name == "source" and isinstance(v, yaml.MappingNode):
            for sk, sv in v.value:
                locs[f"source-{norm_key(str(sk.value))}"] = (
                    f"{path}:{sv.start_mark.line + 1} (fact {i})"
                )
    return record_from_mapping(data, loc, locs)


MULTI_SEPARATOR = ";"
#: CSV columns never split on ``;`` (free text and the fact type).
SINGLE_TEXT_COLUMNS = frozenset(
    {"type", "id", "comment", "quote", "status-note", "source-title", "source-publisher",
     "level", "label-en", "label-zh"}
)


def read_csv(path: Path | str, text: str | None = None) -> list[Record]:
    """Read facts from CSV: a header row of field names (``type`` first), one fact per row.

    Multi-valued fields (``party``, ``depends_on``, ``label`` …) hold values
    separated by ``;``. ``label_en``, ``label_zh`` … columns give labels. A leading
    byte order mark is accepted; size, rows and cells are bounded
    (:mod:`channelkg.rdf.limits`).

    Raises:
        InputError: no ``type`` column, a row longer than the header, a limit passed.
    """
    from channelkg.rdf.limits import CSV_CELL, FACTS, INPUT_FILE, check_size

    text = read_text(path) if text is None else text
    check_size(len(text), INPUT_FILE, str(path))
    cell_limit = CSV_CELL.bound()
    csv.field_size_limit(cell_limit)
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff")))
    try:
        header = [h.strip() for h in next(reader, [])]
        if not header:
            return []
        if "type" not in [norm_key(h) for h in header]:
            raise InputError("the header row needs a 'type' column", f"{path}:1")
        return _csv_records(reader, header, path, FACTS.bound())
    except csv.Error as err:
        line = reader.line_num
        if "field larger" in str(err):
            raise InputError(CSV_CELL.exceeded("a cell is too long"), f"{path}:{line}") from None
        raise InputError(f"CSV error: {err}", f"{path}:{line}") from None


def _csv_records(reader: Any, header: list[str], path: Path | str, limit: int) -> list[Record]:
    """The records of the rows after the header (at most ``limit`` of them)."""
    from channelkg.rdf.limits import FACTS

    records = []
    row_no = 0
    for row in reader:
        line = reader.line_num
        if not any(c.strip() for c in row):
            continue
        row_no += 1
        if row_no > limit:
            raise InputError(FACTS.exceeded(f"more than {limit:,} rows"), f"{path}:{line}")
        loc = f"{path}:{line} (row {row_no})"
        if len(row) > len(header):
            raise InputError(f"row {row_no} has {len(row)} cells but the header has "
                             f"{len(header)}", f"{path}:{line}")
        data: dict[str, Any] = {}
        for name, cell in zip(header, row, strict=False):
            cell = cell.strip()
            if not cell:
                continue
            key = norm_key(name)
            if key in SINGLE_TEXT_COLUMNS:
                data[name] = cell
            else:
                data[name] = [p.strip() for p in cell.split(MULTI_SEPARATOR) if p.strip()]
        locs = {norm_key(h): loc for h in header}
        records.append(record_from_mapping(data, loc, locs))
    return records


def read_text(path: Path | str) -> str:
    """The UTF-8 text of a file, or of standard input for ``-``.

    Raises:
        InputError: no such file, or not readable as UTF-8.
    """
    if str(path) == STDIN:
        try:
            data = sys.stdin.buffer.read() if hasattr(sys.stdin, "buffer") else None
            text = data.decode("utf-8") if data is not None else sys.stdin.read()
            return text.removeprefix("\ufeff")
        except (OSError, UnicodeDecodeError) as err:
            raise InputError(f"cannot read: {err}", "<stdin>") from None
    path = Path(path)
    if not path.is_file():
        raise InputError("no such file", str(path))
    from channelkg.rdf.fileio import read_text as read_file

    return read_file(path)  # a CR stays a CR


__all__ = ["STDIN", "EditError", "Problems", "Record", "norm_key", "read_csv", "read_text",
           "read_yaml", "record_from_mapping"]
