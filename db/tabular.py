"""The dataset as tables a ministry clerk edits in a spreadsheet: XLSX (one sheet per table)
and CSV (one file, a `table` column naming each row's table), and the same YAML as
`bot/data/dataset.yaml`. Rows are converted to and from the `db.dataset.Dataset` model, so a
spreadsheet is validated exactly like the YAML file; errors name the file, the sheet (or
table), the spreadsheet row and the column.

Tables and their columns (`TABLES`); every row of a child table names its settlement:
  regions      slug, name_az, name_en, name_ru
  districts    slug, region, kind (district|city), names, aliases, note_az, note_en, note_ru
  settlements  slug, district, kind (village|township|city), names, aliases, lat, lon,
               coordinates_source, notes
  housing      settlement, as_of (YYYY-MM-DD, or YYYY-MM when only the month is known),
               homes_total, ready, uninhabitable, partly_habitable, built,
               under_construction, source, unsure, notes
  deadlines    settlement, as_of (of its housing row), by, homes
  caravans     settlement, date, families, people, first, total_families, total_people,
               source, unsure, notes
  totals       as_of, families, people, settlements, source, notes
Lists (aliases) are separated by ";". Yes/no columns take yes/no, true/false or 1/0; empty
means no. Empty cells are absent values. Row order is display order (and, for caravans of
the same day, their identity).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from db.dataset import Dataset, DatasetError, drop_none, parse_dataset

MAX_ROWS = 100_000  # per sheet; a bigger file is not a dataset of this project
MAX_UNPACKED = 200 * 2**20  # bytes an .xlsx (a zip archive) may unpack to: no zip bombs
MAX_ERRORS = 10
FORMATS = {".yaml": "yaml", ".yml": "yaml", ".csv": "csv", ".xlsx": "xlsx"}

NAMES = ("name_az", "name_en", "name_ru")
NOTES = ("note_az", "note_en", "note_ru")
HOUSING_FIGURES = (
    "homes_total",
    "ready",
    "uninhabitable",
    "partly_habitable",
    "built",
    "under_construction",
)
# table → (column, kind); kinds are converted by `_CONVERT`
TABLES: dict[str, tuple[tuple[str, str], ...]] = {
    "regions": (("slug", "text"), *((n, "text") for n in NAMES)),
    "districts": (
        ("slug", "text"),
        ("region", "text"),
        ("kind", "text"),
        *((n, "text") for n in NAMES),
        ("aliases", "list"),
        *((n, "text") for n in NOTES),
    ),
    "settlements": (
        ("slug", "text"),
        ("district", "text"),
        ("kind", "text"),
        *((n, "text") for n in NAMES),
        ("aliases", "list"),
        ("lat", "number"),
        ("lon", "number"),
        ("coordinates_source", "text"),
        *((n, "text") for n in NOTES),
    ),
    "housing": (
        ("settlement", "text"),
        ("as_of", "month"),
        *((n, "int") for n in HOUSING_FIGURES),
        ("source", "text"),
        ("unsure", "bool"),
        *((n, "text") for n in NOTES),
    ),
    "deadlines": (
        ("settlement", "text"),
        ("as_of", "month"),
        ("by", "date"),
        ("homes", "int"),
    ),
    "caravans": (
        ("settlement", "text"),
        ("date", "date"),
        ("families", "int"),
        ("people", "int"),
        ("first", "bool"),
        ("total_families", "int"),
        ("total_people", "int"),
        ("source", "text"),
        ("unsure", "bool"),
        *((n, "text") for n in NOTES),
    ),
    "totals": (
        ("as_of", "date"),
        ("families", "int"),
        ("people", "int"),
        ("settlements", "int"),
        ("source", "text"),
        *((n, "text") for n in NOTES),
    ),
}
# The CSV header: `table`, then every column of every table once, keys first, notes last.
CSV_COLUMNS = (
    "table",
    *("slug", "region", "district", "settlement", "kind", *NAMES, "aliases"),
    *("lat", "lon", "coordinates_source", "as_of", "date", "by", "homes", *HOUSING_FIGURES),
    *("families", "people", "first", "total_families", "total_people", "settlements"),
    *("source", "unsure", *NOTES),
)


class CellError(ValueError):
    """A cell's value is not of its column's kind."""


@dataclass(frozen=True)
class Month:
    """`as_of` of a housing report known only to the month: the 1st, flagged."""

    first: dt.date


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
    raise CellError(f"not a whole number: {value!r}")


def _number(value: Any) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        text = value.strip()
        if "," in text and "." not in text:
            text = text.replace(",", ".")  # a decimal comma (az, ru spreadsheets)
        if re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)", text):
            return float(text)
    raise CellError(f"not a number: {value!r}")


def _date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        if value.time() != dt.time():
            raise CellError(f"not a date: {value!r}")
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
    raise CellError(f"not a date (YYYY-MM-DD): {value!r}")


def _month(value: Any) -> dt.date | Month:
    if isinstance(value, str) and (match := re.fullmatch(r"\s*(\d{4})-(\d{2})\s*", value)):
        try:
            return Month(dt.date(int(match[1]), int(match[2]), 1))
        except ValueError:
            pass
        raise CellError(f"not a month (YYYY-MM): {value!r}")
    try:
        return _date(value)
    except CellError:
        raise CellError(f"not a date (YYYY-MM-DD, or YYYY-MM): {value!r}") from None


_BOOLS = {"yes": True, "true": True, "1": True, "y": True, "no": False, "false": False, "0": False}


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in _BOOLS:
        return _BOOLS[value.strip().lower()]
    raise CellError(f"not yes or no: {value!r}")


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


@dataclass(frozen=True)
class Row:
    """One spreadsheet row: its table, its 1-based row number, and its cells by column."""

    table: str
    number: int
    cells: dict[str, Any]


@dataclass
class _Reader:
    """Turns rows into the dataset's nested data, remembering where each item came from."""

    name: str
    sheets: bool  # XLSX: "sheet caravans, row 14"; CSV: "row 14, table caravans"
    errors: list[tuple[int, int, str]] = field(default_factory=list)  # (table, row, text)
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

    def error(self, row: Row | None, column: str | None, message: str) -> None:
        order = (list(TABLES).index(row.table), row.number) if row else (-1, 0)
        self.errors.append((*order, f"{self.where(row, column)}: {message}"))

    def values(self, row: Row) -> dict[str, Any]:
        """The row's cells converted to their columns' kinds; empty cells left out."""
        kinds = dict(TABLES[row.table])
        values: dict[str, Any] = {}
        for column, raw in row.cells.items():
            if raw is None or (isinstance(raw, str) and not raw.strip()):
                continue
            if column not in kinds:
                self.error(row, column, f"not a column of {row.table}")
                continue
            try:
                values[column] = _CONVERT[kinds[column]](raw)
            except CellError as error:
                self.error(row, column, str(error))
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
    raise DatasetError(_joined(reader.errors))


def _joined(problems: list[tuple[int, int, str]]) -> str:
    """The first MAX_ERRORS problems in sheet and row order."""
    errors = [text for _table, _row, text in sorted(problems, key=lambda p: p[:2])]
    shown = errors[:MAX_ERRORS]
    if len(errors) > MAX_ERRORS:
        shown.append(f"… and {len(errors) - MAX_ERRORS} more problems")
    return "\n".join(shown)


def _unique(reader: _Reader, seen: dict[Any, Row], key: Any, row: Row, column: str) -> bool:
    if key in seen:
        shown = _text(row.cells.get(column))
        reader.error(row, column, f"{shown!r} repeats row {seen[key].number} (one row per item)")
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
                reader.error(row, parent, f"unknown {parent} {values[parent]!r}")
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
            reader.error(row, "settlement", "required (a settlement slug)")
        elif slug not in settlements:
            reader.error(row, "settlement", f"unknown settlement {slug!r}")
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
            and not _unique(reader, seen_reports, (values["settlement"], _day(as_of)), row, "as_of")
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
            reports[(settlement["slug"], _day(as_of))] = (loc, item)

    seen_deadlines: dict[Any, Row] = {}
    for row, values in tables["deadlines"]:
        if settlement_of(row, values) is None:
            continue
        as_of = values.get("as_of")
        report = reports.get((values["settlement"], _day(as_of))) if as_of is not None else None
        if report is None:
            if values["settlement"] in undated:
                continue  # its report's own error says what is wrong
            reader.error(
                row, "as_of", f"no housing row of {values['settlement']!r} is dated {as_of!s}"
            )
            continue
        loc, item = report
        key = (values["settlement"], _day(as_of), values.get("by"))
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
            **{k: values.get(k) for k in ("as_of", "families", "people", "settlements", "source")},
            "note": _localized(values, "note"),
        }
        reader.origins[("totals", len(data["totals"]))] = row
        data["totals"].append(drop_none(item))
    return data


def _day(as_of: dt.date | Month | None) -> dt.date | None:
    return as_of.first if isinstance(as_of, Month) else as_of


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
    reader.error(row, column, message)


# ------------------------------------------------------------------------------ dataset → rows


def dataset_tables(dataset: Dataset) -> dict[str, list[dict[str, Any]]]:
    """Every table's rows in display order, each with all its table's columns in `TABLES`
    order (an absent value is None): the one flattening of the dataset, which the writers
    below and `db.diff` share."""
    tables: dict[str, list[dict[str, Any]]] = {table: [] for table in TABLES}

    def add(table: str, *parts: dict[str, Any]) -> None:
        values = {k: v for part in parts for k, v in part.items()}
        unknown = set(values) - {column for column, _kind in TABLES[table]}
        if unknown:
            raise KeyError(f"not columns of {table}: {', '.join(sorted(unknown))}")
        tables[table].append({column: values.get(column) for column, _kind in TABLES[table]})

    def fields(item: Any, *names: str) -> dict[str, Any]:
        return {name: getattr(item, name) for name in names}

    def names(item: Any) -> dict[str, Any]:
        return {f"name_{lang}": getattr(item.name, lang) for lang in ("az", "en", "ru")}

    def notes(item: Any) -> dict[str, Any]:
        note = item.note
        return {f"note_{lang}": getattr(note, lang) for lang in ("az", "en", "ru")} if note else {}

    for region in dataset.regions:
        add("regions", fields(region, "slug"), names(region))
    for district in dataset.districts:
        place = fields(district, "slug", "region", "kind", "aliases")
        add("districts", place, names(district), notes(district))
    for settlement in dataset.settlements:
        place = fields(settlement, "slug", "district", "kind", "aliases")
        if coordinates := settlement.coordinates:
            place |= {"lat": coordinates.lat, "lon": coordinates.lon}
            place["coordinates_source"] = coordinates.source
        add("settlements", place, names(settlement), notes(settlement))
        of_settlement = {"settlement": settlement.slug}
        for housing in settlement.housing:
            as_of = {"as_of": Month(housing.as_of) if housing.month_only else housing.as_of}
            figures = fields(housing, *HOUSING_FIGURES, "source", "unsure")
            add("housing", of_settlement, as_of, figures, notes(housing))
            for deadline in housing.due:
                add("deadlines", of_settlement, as_of, fields(deadline, "by", "homes"))
        for caravan in settlement.caravans:
            figures = fields(caravan, "date", "families", "people", "first", "source", "unsure")
            if total := caravan.total_after:
                figures |= {"total_families": total.families, "total_people": total.people}
            add("caravans", of_settlement, figures, notes(caravan))
    for total in dataset.totals:
        figures = fields(total, "as_of", "families", "people", "settlements", "source")
        add("totals", figures, notes(total))
    return tables


def _written_tables(dataset: Dataset) -> dict[str, list[dict[str, Any]]]:
    """`dataset_tables`, refused when a value cannot be written to a cell and read back."""
    _check_lists(dataset)
    return dataset_tables(dataset)


def _check_lists(dataset: Dataset) -> None:
    for place in (*dataset.districts, *dataset.settlements):
        for alias in place.aliases:
            if ";" in alias:
                raise DatasetError(f"{place.slug}: the alias {alias!r} contains ';', the separator")


def _cell(value: Any) -> Any:
    """A value as a cell holds it (XLSX keeps numbers and dates typed)."""
    if isinstance(value, bool):
        return "yes" if value else None
    if isinstance(value, Month):
        return value.first.strftime("%Y-%m")
    if isinstance(value, list):
        return "; ".join(value) or None
    return value


def _csv_cell(value: Any) -> str:
    value = _cell(value)
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


# ------------------------------------------------------------------------------ CSV


def _csv_rows(data: bytes, name: str) -> Iterator[Row]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DatasetError(
            f"{name}: not UTF-8 text; save the sheet as “CSV UTF-8 (comma delimited)”"
        ) from None
    first = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=first.count)
    records = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(records, None)
        if header is None:
            raise DatasetError(f"{name}: the file is empty")
        columns = [h.strip().lower() for h in header]
        if "table" not in columns:
            raise DatasetError(f"{name}: row 1: no “table” column in the header")
        unknown = [c for c in columns if c and c not in CSV_COLUMNS]
        if unknown:
            raise DatasetError(f"{name}: row 1: unknown column(s): {', '.join(unknown)}")
        for number, record in enumerate(records, start=2):
            if number > MAX_ROWS:
                raise DatasetError(f"{name}: more than {MAX_ROWS} rows")
            if not any(cell.strip() for cell in record):
                continue
            if len(record) > len(columns) and any(c.strip() for c in record[len(columns) :]):
                raise DatasetError(f"{name}: row {number}: more cells than header columns")
            cells = dict(zip(columns, record, strict=False))
            if any(
                cell.strip() for column, cell in zip(columns, record, strict=False) if not column
            ):
                raise DatasetError(f"{name}: row {number}: a value in a column without a header")
            table = cells.pop("table", "").strip().lower()
            if table not in TABLES:
                raise DatasetError(
                    f"{name}: row {number}, field table: {table!r} is not one of "
                    + ", ".join(TABLES)
                )
            cells.pop("", None)
            yield Row(table, number, cells)
    except csv.Error as error:
        raise DatasetError(f"{name}: row {records.line_num}: {error}") from None


def write_csv(dataset: Dataset) -> bytes:
    """One CSV file (UTF-8 with a BOM, so that Excel reads the letters right)."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for table, rows in _written_tables(dataset).items():
        for row in rows:
            writer.writerow([table, *(_csv_cell(row.get(c)) for c in CSV_COLUMNS[1:])])
    return buffer.getvalue().encode("utf-8-sig")


# ------------------------------------------------------------------------------ XLSX


def _xlsx_rows(data: bytes, name: str) -> Iterator[Row]:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(member.file_size for member in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError) as error:
        raise DatasetError(f"{name}: not a readable .xlsx workbook ({error})") from None
    if unpacked > MAX_UNPACKED:
        raise DatasetError(f"{name}: the workbook unpacks to more than {MAX_UNPACKED >> 20} MB")
    try:
        workbook = load_workbook(io.BytesIO(data), data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError) as error:
        raise DatasetError(f"{name}: not a readable .xlsx workbook ({error})") from None
    try:
        sheets = {sheet.title.strip().lower(): sheet for sheet in workbook.worksheets}
        unknown = [title for title in sheets if title not in TABLES]
        if unknown:
            raise DatasetError(
                f"{name}: unknown sheet(s) {', '.join(unknown)}; the sheets are "
                + ", ".join(TABLES)
            )
        missing = [table for table in TABLES if table not in sheets]
        if missing:
            raise DatasetError(f"{name}: missing sheet(s): {', '.join(missing)}")
        for table, sheet in sheets.items():
            if sheet.max_row > MAX_ROWS:
                raise DatasetError(f"{name}: sheet {table}: more than {MAX_ROWS} rows")
            yield from _sheet_rows(sheet, table, name)
    finally:
        workbook.close()


def _sheet_rows(sheet: Any, table: str, name: str) -> Iterator[Row]:
    known = dict(TABLES[table])
    rows = sheet.iter_rows(values_only=True)
    header = next(rows, None) or ()
    columns: list[str | None] = []
    for value in header:
        column = str(value).strip().lower() if value is not None else ""
        if column and column not in known:
            raise DatasetError(f"{name}: sheet {table}, row 1: unknown column {column!r}")
        columns.append(column or None)
    for number, values in enumerate(rows, start=2):
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
            continue
        cells: dict[str, Any] = {}
        for index, value in enumerate(values):
            column = columns[index] if index < len(columns) else None
            if column is None:
                if value is not None and str(value).strip():
                    raise DatasetError(
                        f"{name}: sheet {table}, row {number}: a value in a column without a header"
                    )
                continue
            cells[column] = value
        yield Row(table, number, cells)


def write_xlsx(dataset: Dataset) -> bytes:
    """A workbook with one sheet per table, a bold frozen header row, typed numbers and dates."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    workbook.remove(workbook.active)
    bold = Font(bold=True)
    for table, rows in _written_tables(dataset).items():
        sheet = workbook.create_sheet(table)
        columns = [c for c, _k in TABLES[table]]
        sheet.append(columns)
        for cell in sheet[1]:
            cell.font = bold
        sheet.freeze_panes = "A2"
        for row in rows:
            sheet.append([_cell(row.get(c)) for c in columns])
        for row_cells in sheet.iter_rows(min_row=2):
            for cell in row_cells:
                if isinstance(cell.value, str):
                    cell.data_type = "s"  # text, even when it starts with "=" (never a formula)
                elif isinstance(cell.value, dt.date | dt.datetime):
                    cell.number_format = "yyyy-mm-dd"
        for index, column in enumerate(columns, start=1):
            width = max([len(column), *(len(str(_cell(r.get(column)) or "")) for r in rows)])
            sheet.column_dimensions[sheet.cell(1, index).column_letter].width = min(width + 2, 60)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# ------------------------------------------------------------------------------ YAML


def write_yaml(dataset: Dataset) -> bytes:
    """The format of `bot/data/dataset.yaml` (without its comments)."""
    data = dataset.model_dump(exclude_none=True, exclude_defaults=True)
    for settlement, item in zip(dataset.settlements, data.get("settlements", []), strict=True):
        for housing, report in zip(settlement.housing, item.get("housing", []), strict=True):
            if housing.month_only:
                report["as_of"] = housing.as_of.strftime("%Y-%m")
                report.pop("month_only", None)
    body = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)
    return (
        "# returnbot dataset (see bot/data/dataset.yaml for the schema)\nversion: 1\n" + body
    ).encode()


# ------------------------------------------------------------------------------ files


def file_format(name: str) -> str:
    """`yaml`, `csv` or `xlsx`, from the file name's extension."""
    suffix = Path(name).suffix.lower()
    if suffix not in FORMATS:
        raise DatasetError(
            f"{name}: unknown file type {suffix or '(none)'!r}; use .yaml, .yml, .csv or .xlsx"
        )
    return FORMATS[suffix]


def parse_bytes(data: bytes, name: str) -> Dataset:
    """Validate a whole dataset file of any format (chosen by `name`'s extension)."""
    kind = file_format(name)
    if kind == "yaml":
        try:
            loaded = yaml.safe_load(data.decode("utf-8-sig"))
        except (UnicodeDecodeError, yaml.YAMLError) as error:
            raise DatasetError(f"{name}: {error}") from None
        return parse_dataset(loaded, name)
    rows = _csv_rows(data, name) if kind == "csv" else _xlsx_rows(data, name)
    return rows_to_dataset(list(rows), name, sheets=kind == "xlsx")


def read_file(path: Path) -> Dataset:
    """Read and validate a dataset file (.yaml, .yml, .csv or .xlsx)."""
    file_format(str(path))
    try:
        data = path.read_bytes()
    except OSError as error:
        raise DatasetError(f"{path}: {error.strerror or error}") from None
    return parse_bytes(data, str(path))


def to_bytes(dataset: Dataset, name: str) -> bytes:
    """The dataset in the format of `name`'s extension."""
    writer = {"yaml": write_yaml, "csv": write_csv, "xlsx": write_xlsx}[file_format(name)]
    return writer(dataset)
