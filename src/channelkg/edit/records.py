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


def read_yaml(path: Path | str, text: str | None = None) -> list[Record]:
    """Read facts from YAML: a list of mappings, or ``{facts: [...]}``.

    Raises:
        InputError: bad YAML or bad structure, with the line number.
    """
    import yaml

    class Loader(yaml.SafeLoader):
        """Safe loader that keeps dates as text, so a bad date is reported, not a crash."""

    Loader.yaml_implicit_resolvers = {
        k: [r for r in v if r[0] != "tag:yaml.org,2002:timestamp"]
        for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    text = read_text(path) if text is None else text
    try:
        root = yaml.compose(text, Loader=Loader)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        loc = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        raise InputError(f"YAML syntax error: {getattr(err, 'problem', err)}", loc) from None
    if root is None:
        return []
    if isinstance(root, yaml.MappingNode):
        items = {k.value: v for k, v in root.value if isinstance(k, yaml.ScalarNode)}
        if "facts" not in items:
            raise InputError("expected a list of facts or a mapping with 'facts:'", f"{path}:1")
        root = items["facts"]
    if not isinstance(root, yaml.SequenceNode):
        line = root.start_mark.line + 1
        raise InputError("expected a list of facts", f"{path}:{line}")
    records = []
    for i, item in enumerate(root.value, 1):
        line = item.start_mark.line + 1
        loc = f"{path}:{line} (fact {i})"
        if not isinstance(item, yaml.MappingNode):
            raise InputError(f"fact {i} is not a mapping of field: value", f"{path}:{line}")
        data = yaml.load(yaml.serialize(item), Loader=Loader)  # noqa: S506 (a safe loader)
        locs = {}
        for k, v in item.value:
            name = norm_key(str(k.value))
            locs[name] = f"{path}:{v.start_mark.line + 1} (fact {i})"
            if name == "source" and isinstance(v, yaml.MappingNode):
                for sk, sv in v.value:
                    locs[f"source-{norm_key(str(sk.value))}"] = (
                        f"{path}:{sv.start_mark.line + 1} (fact {i})"
                    )
        records.append(record_from_mapping(data, loc, locs))
    return records


MULTI_SEPARATOR = ";"
#: CSV columns never split on ``;`` (free text and the fact type).
SINGLE_TEXT_COLUMNS = frozenset(
    {"type", "id", "comment", "quote", "status-note", "source-title", "source-publisher",
     "level", "label-en", "label-zh"}
)


def read_csv(path: Path | str, text: str | None = None) -> list[Record]:
    """Read facts from CSV: a header row of field names (``type`` first), one fact per row.

    Multi-valued fields (``party``, ``depends_on``, ``label`` …) hold values
    separated by ``;``. ``label_en``, ``label_zh`` … columns give labels.
    """
    text = read_text(path) if text is None else text
    reader = csv.reader(io.StringIO(text))
    try:
        header = next(reader)
    except StopIteration:
        return []
    header = [h.strip() for h in header]
    if "type" not in [norm_key(h) for h in header]:
        raise InputError("the header row needs a 'type' column", f"{path}:1")
    records = []
    row_no = 0
    for row in reader:
        line = reader.line_num
        if not any(c.strip() for c in row):
            continue
        row_no += 1
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
            return data.decode("utf-8") if data is not None else sys.stdin.read()
        except (OSError, UnicodeDecodeError) as err:
            raise InputError(f"cannot read: {err}", "<stdin>") from None
    path = Path(path)
    if not path.is_file():
        raise InputError("no such file", str(path))
    from channelkg.rdf.fileio import read_text as read_file

    return read_file(path)  # a CR stays a CR


__all__ = ["STDIN", "EditError", "Problems", "Record", "norm_key", "read_csv", "read_text",
           "read_yaml", "record_from_mapping"]
