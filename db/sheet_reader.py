"""Spreadsheet rows read into the dataset: each cell converted to its column's kind, the rows
assembled into the nested data the `Dataset` model validates, and every problem named by its
file, sheet (or table), row and column, at most MAX_ERRORS of them in sheet and row order.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from db.dataset import Dataset, drop_none
from db.problems import DatasetError, Problem, pydantic_code
from db.sheets import HOUSING_FIGURES, TABLES, Month, Row, day_of

MAX_ERRORS = 10


class CellError(ValueError):
    """A cell's value is not of its column's kind: `code` names which (`db.problems`)."""

    def __init__(self, code: str, message: str, value: Any) -> None:
        super().__init__(message)
        self.code = code
        self.value = value


# ------------------------------------------------------------------------------ cells → values


def _text(value: Any) -> str | None:
    if isinstance(value, dt.datetime):
        value = value.date() if value.time() == dt.time() else value
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text or None


def _int(value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"[+-]?\d+", value.strip()):
        return int(value.strip())
    raise CellError("not_int", f"not a whole number: {value!r}", value)


def _number(value: Any) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        text = value.strip()
        if "," in text and "." not in text:
            text = text.replace(",", ".")  # a decimal comma (az, ru spreadsheets)
        if re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)", text):
            return float(text)
    raise CellError("not_number", f"not a number: {value!r}", value)


def _date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        if value.time() != dt.time():
            raise CellError("not_date", f"not a date: {value!r}", value)
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        text = value.strip()
        for pattern in ("%Y-%m-%d", "%d.%m.%Y"):
            try:
                return dt.datetime.strptime(text, pattern).date()
            except ValueError:
                continue
    raise CellError("not_date", f"not a date (YYYY-MM-DD): {value!r}", value)


def _month(value: Any) -> dt.date | Month:
    if isinstance(value, str) and (match := re.fullmatch(r"\s*(\d{4})-(\d{2})\s*", value)):
        try:
            return Month(dt.date(int(match[1]), int(match[2]), 1))
        except ValueError:
            pass
        raise CellError("not_month", f"not a month (YYYY-MM): {value!r}", value)
    try:
        return _date(value)
    except CellError:
        raise CellError(
            "not_date_or_month", f"not a date (YYYY-MM-DD, or YYYY-MM): {value!r}", value
        ) from None


_BOOLS = {"yes": True, "true": True, "1": True, "y": True, "no": False, "false": False, "0": False}


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in _BOOLS:
        return _BOOLS[value.strip().lower()]
    raise CellError("not_bool", f"not yes or no: {value!r}", value)


def _list(value: Any) -> list[str]:
    return [part.strip() for part in str(value).split(";") if part.strip()]


_CONVERT: dict[str, Callable[[Any], Any]] = {
    "text": _text,
    "int": _int,
    "number": _number,
    "date": _date,
    "month": _month,
    "bool": _bool,
    "list": _list,
}


# ------------------------------------------------------------------------------ rows → dataset


@dataclass
class _Reader:
    """Turns rows into the dataset's nested data, remembering where each item came from."""

    name: str
    sheets: bool  # XLSX: "sheet caravans, row 14"; CSV: "row 14, table caravans"
    errors: list[tuple[int, int, Problem]] = field(default_factory=list)  # (table, row, …)
    origins: dict[tuple[Any, ...], Row] = field(default_factory=dict)

    def where(self, row: Row | None, column: str | None = None) -> str:
        if row is None:
            place = ""
        elif self.sheets:
            place = f"sheet {row.table}, row {row.number}"
        else:
            place = f"row {row.number}, table {row.table}"
        if column:
            place = f"{place}, field {column}" if place else f"field {column}"
        return f"{self.name}: {place}" if place else self.name

    def error(
        self, row: Row | None, column: str | None, code: str, message: str, **values: Any
    ) -> None:
        """A problem `code` (with `values`) at `row` and `column`; `message` in English."""
        order = (list(TABLES).index(row.table), row.number) if row else (-1, 0)
        problem = Problem(
            code,
            f"{self.where(row, column)}: {message}",
            self.name,
            values,
            table=row.table if row else None,
            row=row.number if row else None,
            column=column,
        )
        self.errors.append((*order, problem))

    def values(self, row: Row) -> dict[str, Any]:
        """The row's cells converted to their columns' kinds; empty cells left out."""
        kinds = dict(TABLES[row.table])
        values: dict[str, Any] = {}
        for column, raw in row.cells.items():
            if raw is None or (isinstance(raw, str) and not raw.strip()):
                continue
            if column not in kinds:
                self.error(row, column, "not_column", f"not a column of {row.table}")
                continue
            try:
                values[column] = _CONVERT[kinds[column]](raw)
            except CellError as error:
                self.error(row, column, error.code, str(error), value=_text(error.value))
        return values


def _localized(values: dict[str, Any], prefix: str) -> dict[str, Any] | None:
    parts = {
        lang: values[f"{prefix}_{lang}"]
        for lang in ("az", "en", "ru")
        if f"{prefix}_{lang}" in values
    }
    return parts or None


def rows_to_dataset(rows: Iterable[Row], name: str, *, sheets: bool) -> Dataset:
    """Validate rows as a whole and build the dataset; DatasetError lists the bad cells."""
    reader = _Reader(name, sheets)
    by_table: dict[str, list[tuple[Row, dict[str, Any]]]] = {table: [] for table in TABLES}
    for row in rows:
        by_table[row.table].append((row, reader.values(row)))
    data = _assemble(reader, by_table)
    if not reader.errors:
        try:
            return Dataset.model_validate(data)
        except ValidationError as error:
            for problem in error.errors():
                _report(reader, problem)
    problems = [p for _table, _row, p in sorted(reader.errors, key=lambda p: p[:2])]
    shown, hidden = problems[:MAX_ERRORS], max(len(problems) - MAX_ERRORS, 0)
    lines = [problem.text for problem in shown]
    if hidden:
        lines.append(f"… and {hidden} more problems")
    raise DatasetError("\n".join(lines), shown, hidden)


def _unique(reader: _Reader, seen: dict[Any, Row], key: Any, row: Row, column: str) -> bool:
    if key in seen:
        shown = _text(row.cells.get(column))
        reader.error(
            row,
            column,
            "repeats",
            f"{shown!r} repeats row {seen[key].number} (one row per item)",
            value=shown,
            first=seen[key].number,
        )
        return False
    seen[key] = row
    return True


def _assemble(reader: _Reader, tables: dict[str, list[tuple[Row, dict[str, Any]]]]) -> dict:
    """The nested data `Dataset` validates, with row-level reference and duplicate checks."""
    data: dict[str, list[dict[str, Any]]] = {
        "regions": [],
        "districts": [],
        "settlements": [],
        "totals": [],
    }
    slugs: dict[str, dict[Any, Row]] = {t: {} for t in ("regions", "districts", "settlements")}
    for table, parent, parent_table in (
        ("regions", None, None),
        ("districts", "region", "regions"),
        ("settlements", "district", "districts"),
    ):
        for row, values in tables[table]:
            slug = values.get("slug")
            if slug is not None and not _unique(reader, slugs[table], slug, row, "slug"):
                continue
            if (
                parent
                and values.get(parent) is not None
                and values[parent] not in slugs[parent_table]
            ):
                reader.error(
                    row,
                    parent,
                    f"unknown_{parent}",
                    f"unknown {parent} {values[parent]!r}",
                    value=values[parent],
                )
            item = {
                "slug": slug,
                "name": _localized(values, "name"),
                **{k: values[k] for k in (parent, "kind", "aliases") if k and k in values},
                "note": _localized(values, "note"),
            }
            if table == "settlements":
                coordinates = {
                    k: values[c]
                    for k, c in (("lat", "lat"), ("lon", "lon"), ("source", "coordinates_source"))
                    if c in values
                }
                item |= {"coordinates": coordinates or None, "housing": [], "caravans": []}
            reader.origins[(table, len(data[table]))] = row
            data[table].append(drop_none(item))

    settlements = {s["slug"]: (i, s) for i, s in enumerate(data["settlements"]) if "slug" in s}

    def settlement_of(row: Row, values: dict[str, Any]) -> tuple[int, dict[str, Any]] | None:
        slug = values.get("settlement")
        if slug is None:
            reader.error(row, "settlement", "required", "required (a settlement slug)")
        elif slug not in settlements:
            message = f"unknown settlement {slug!r}"
            reader.error(row, "settlement", "unknown_settlement", message, value=slug)
        else:
            return settlements[slug]
        return None

    reports: dict[tuple[str, dt.date], tuple[tuple[Any, ...], dict[str, Any]]] = {}
    undated: set[str] = set()  # settlements with a housing row whose date is bad or missing
    seen_reports: dict[Any, Row] = {}
    for row, values in tables["housing"]:
        found = settlement_of(row, values)
        as_of = values.pop("as_of", None)
        if found is None or (
            as_of is not None
            and not _unique(
                reader, seen_reports, (values["settlement"], day_of(as_of)), row, "as_of"
            )
        ):
            continue
        index, settlement = found
        if as_of is None:
            undated.add(settlement["slug"])
        item = {
            **{k: values.get(k) for k in (*HOUSING_FIGURES, "source", "unsure")},
            "note": _localized(values, "note"),
            "due": [],
        }
        if isinstance(as_of, Month):
            item |= {"as_of": as_of.first, "month_only": True}
        else:
            item["as_of"] = as_of
        item = drop_none(item)
        loc = ("settlements", index, "housing", len(settlement["housing"]))
        reader.origins[loc] = row
        settlement["housing"].append(item)
        if as_of is not None:
            reports[(settlement["slug"], day_of(as_of))] = (loc, item)

    seen_deadlines: dict[Any, Row] = {}
    for row, values in tables["deadlines"]:
        if settlement_of(row, values) is None:
            continue
        as_of = values.get("as_of")
        report = reports.get((values["settlement"], day_of(as_of))) if as_of is not None else None
        if report is None:
            if values["settlement"] in undated:
                continue  # its report's own error says what is wrong
            reader.error(
                row,
                "as_of",
                "no_housing_row",
                f"no housing row of {values['settlement']!r} is dated {as_of!s}",
                settlement=values["settlement"],
                value=day_of(as_of) if as_of is not None else None,
            )
            continue
        loc, item = report
        key = (values["settlement"], day_of(as_of), values.get("by"))
        if values.get("by") is not None and not _unique(reader, seen_deadlines, key, row, "by"):
            continue
        reader.origins[(*loc, "due", len(item["due"]))] = row
        item["due"].append(drop_none({"by": values.get("by"), "homes": values.get("homes")}))

    for row, values in tables["caravans"]:
        found = settlement_of(row, values)
        if found is None:
            continue
        index, settlement = found
        total = drop_none(
            {"families": values.get("total_families"), "people": values.get("total_people")}
        )
        item = {
            **{
                k: values.get(k)
                for k in ("date", "families", "people", "first", "source", "unsure")
            },
            "total_after": total or None,
            "note": _localized(values, "note"),
        }
        reader.origins[("settlements", index, "caravans", len(settlement["caravans"]))] = row
        settlement["caravans"].append(drop_none(item))

    seen_totals: dict[Any, Row] = {}
    for row, values in tables["totals"]:
        if values.get("as_of") is not None and not _unique(
            reader, seen_totals, values["as_of"], row, "as_of"
        ):
            continue
        item = {
            **{
                k: values.get(k)
                for k in ("as_of", "families", "people", "settlements", "source", "unsure")
            },
            "note": _localized(values, "note"),
        }
        reader.origins[("totals", len(data["totals"]))] = row
        data["totals"].append(drop_none(item))
    return data


# A model field's path (below its row's item) → the column it comes from.
_COLUMN = {
    ("coordinates", "lat"): "lat",
    ("coordinates", "lon"): "lon",
    ("coordinates", "source"): "coordinates_source",
    ("total_after", "families"): "total_families",
    ("total_after", "people"): "total_people",
    ("month_only",): "as_of",
}


def _report(reader: _Reader, problem: dict[str, Any]) -> None:
    """Name the row and column of one pydantic problem."""
    loc = tuple(problem["loc"])
    row, rest = None, loc
    for size in (6, 4, 2):  # a deadline, a housing report or caravan, a top-level item
        if len(loc) >= size and loc[:size] in reader.origins:
            row, rest = reader.origins[loc[:size]], loc[size:]
            break
    column = None
    if rest:
        if rest[0] in ("name", "note") and len(rest) > 1:
            column = f"{rest[0]}_{rest[1]}"
        elif rest[:2] in _COLUMN or rest[:1] in _COLUMN:
            column = _COLUMN.get(rest[:2]) or _COLUMN[rest[:1]]
        elif rest[0] == "coordinates":
            column = "lat"
        elif rest[0] in ("name", "note"):
            column = f"{rest[0]}_en"
        else:
            column = str(rest[0])
    elif "ready exceeds" in problem["msg"]:
        column = "ready"
    message = problem["msg"].removeprefix("Value error, ")
    if problem["type"] == "missing":
        message = "required"
    elif not isinstance(problem.get("input"), dict | list):
        message = f"{message}: {problem.get('input')!r}"
    code, values = pydantic_code(problem)
    reader.error(row, column, code, message, **values)
