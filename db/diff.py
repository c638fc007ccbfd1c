"""What an import would change, computed without writing: the file's dataset against the
database's (`db.dataset.load_dataset`), both flattened into the spreadsheet tables' rows and
keyed as `apply_dataset` matches them, so that a clerk reads the diff in the words of the file
they edited (see docs/data-layer.md)."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any, Literal

from db.dataset import Dataset, ImportReport
from db.sheets import NOTES, Month, dataset_tables, day_of

ENTITIES = ("regions", "districts", "settlements", "housing reports", "caravans", "totals")
KINDS = ("added", "changed", "removed")
Key = tuple[Any, ...]
Records = dict[str, dict[Key, dict[str, Any]]]


@dataclass(frozen=True)
class Change:
    """One entity added, changed (with its fields as (name, old, new)) or removed."""

    entity: str
    kind: Literal["added", "changed", "removed"]
    key: str
    fields: tuple[tuple[str, Any, Any], ...] = ()
    parts: Key = field(default=(), compare=False)  # the key as values: (slug, date, nth)…

    def line(self) -> str:
        """`+ sos`, `~ aghali 2024-01-03: families 20 → 999`, `- sos 2025-04-01`."""
        mark = {"added": "+", "changed": "~", "removed": "-"}[self.kind]
        details = "; ".join(f"{name} {show(old)} → {show(new)}" for name, old, new in self.fields)
        return f"{mark} {self.key}" + (f": {details}" if details else "")


@dataclass(frozen=True)
class Diff:
    """Every change an import would make, in entity order."""

    changes: tuple[Change, ...]

    def __bool__(self) -> bool:
        return bool(self.changes)

    def counts(self) -> Counter[str]:
        """`{"caravans added": 2, …}`: the same keys as `ImportReport`."""
        return Counter(f"{c.entity} {c.kind}" for c in self.changes)

    def summary(self) -> list[str]:
        """The counts as an import reports them (`ImportReport.lines`)."""
        return ImportReport(self.counts()).lines()

    def of(self, entity: str) -> list[Change]:
        return [c for c in self.changes if c.entity == entity]

    def lines(self) -> list[str]:
        """A readable listing: a heading per entity, then one line per change."""
        lines = []
        for entity in ENTITIES:
            changes = self.of(entity)
            if changes:
                counts = Counter(c.kind for c in changes)
                lines.append(
                    f"{entity}: " + ", ".join(f"{counts[k]} {k}" for k in KINDS if counts[k])
                )
                lines.extend(f"  {c.line()}" for c in changes)
        return lines


def show(value: Any) -> str:
    """A value as a diff line shows it: empty as —, text quoted and shortened."""
    if value is None or value == "" or value == ():
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        return repr(value if len(value) <= 80 else value[:79] + "…")
    if isinstance(value, tuple):
        return ", ".join(
            show(v) if not isinstance(v, tuple) else "=".join(map(show, v)) for v in value
        )
    return str(value)


def records(dataset: Dataset) -> Records:
    """The dataset's table rows (`db.sheets.dataset_tables`) per entity, keyed as `apply_dataset`
    matches rows; places get their position in the list, housing reports their deadlines."""
    tables = dataset_tables(dataset)
    out: Records = {entity: {} for entity in ENTITIES}
    for entity in ("regions", "districts", "settlements"):
        for position, row in enumerate(tables[entity]):
            key, values = _split(row, "slug")
            out[entity][key] = values | {"position": position}
    due: defaultdict[Key, list[tuple[dt.date, int]]] = defaultdict(list)
    for row in tables["deadlines"]:
        due[(row["settlement"], day_of(row["as_of"]))].append((row["by"], row["homes"]))
    for row in tables["housing"]:
        (slug, as_of), values = _split(row, "settlement", "as_of")
        key = (slug, day_of(as_of))
        notes = {column: values.pop(column) for column in NOTES}
        out["housing reports"][key] = {
            "month_only": isinstance(as_of, Month),
            **values,
            "due": tuple(sorted(due[key])),
            **notes,
        }
    seen: Counter[Key] = Counter()
    for row in tables["caravans"]:
        same_day, values = _split(row, "settlement", "date")
        out["caravans"][(*same_day, seen[same_day])] = values
        seen[same_day] += 1
    for row in tables["totals"]:
        key, values = _split(row, "as_of")
        out["totals"][key] = values
    return out


def _split(row: dict[str, Any], *columns: str) -> tuple[Key, dict[str, Any]]:
    """A row's key columns, and its other columns with lists as tuples (hashable, shown joined)."""
    return tuple(row[c] for c in columns), {
        k: tuple(v) if isinstance(v, list) else v for k, v in row.items() if k not in columns
    }


def _label(entity: str, key: Key) -> str:
    if entity == "caravans":
        slug, date, nth = key
        return f"{slug} {date.isoformat() if date else 'undated'}" + (f" #{nth + 1}" if nth else "")
    return " ".join(part.isoformat() if isinstance(part, dt.date) else str(part) for part in key)


def diff(old: Dataset, new: Dataset) -> Diff:
    """What importing `new` into a database holding `old` changes."""
    before, after = records(old), records(new)
    listed = {s.slug for s in new.settlements}
    changes: list[Change] = []
    for entity in ENTITIES:
        was, will = before[entity], after[entity]
        for key, values in will.items():
            current = was.get(key)
            if current is None:
                changes.append(Change(entity, "added", _label(entity, key), parts=key))
                continue
            changed = tuple(
                (name, current[name], value)
                for name, value in values.items()
                if current[name] != value
            )
            if changed:
                changes.append(Change(entity, "changed", _label(entity, key), changed, key))
        if entity in ("housing reports", "caravans"):
            changes.extend(
                Change(entity, "removed", _label(entity, key), parts=key)
                for key in was
                if key[0] in listed and key not in will
            )
    return Diff(tuple(changes))
