"""Dataset files: YAML (the format of `bot/data/dataset.yaml`), CSV (one file, a `table`
column naming each row's table) and XLSX (one sheet per table), read into the `Dataset` model
and written from it; a spreadsheet is validated exactly like the YAML file (`db.sheet_reader`).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from db.dataset import Dataset, DatasetError, load_yaml, parse_dataset, yaml_error
from db.sheet_reader import rows_to_dataset
from db.sheets import CSV_COLUMNS, TABLES, Month, Row, dataset_tables

MAX_ROWS = 100_000  # per sheet; a bigger file is not a dataset of this project
MAX_UNPACKED = 200 * 2**20  # bytes an .xlsx (a zip archive) may unpack to: no zip bombs
FORMATS = {".yaml": "yaml", ".yml": "yaml", ".csv": "csv", ".xlsx": "xlsx"}


# ------------------------------------------------------------------------------ dataset → cells


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
        raise DatasetError.of(
            name, "not_utf8", "not UTF-8 text; save the sheet as “CSV UTF-8 (comma delimited)”"
        ) from None
    first = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=first.count)
    records = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(records, None)
        if header is None:
            raise DatasetError.of(name, "empty_file", "the file is empty")
        columns = [h.strip().lower() for h in header]
        if "table" not in columns:
            raise DatasetError.of(
                name, "no_table_column", "row 1: no “table” column in the header", row=1
            )
        unknown = [c for c in columns if c and c not in CSV_COLUMNS]
        if unknown:
            raise DatasetError.of(
                name,
                "unknown_columns",
                f"row 1: unknown column(s): {', '.join(unknown)}",
                row=1,
                columns=", ".join(unknown),
            )
        for number, record in enumerate(records, start=2):
            if number > MAX_ROWS:
                raise DatasetError.of(
                    name, "too_many_rows", f"more than {MAX_ROWS} rows", limit=MAX_ROWS
                )
            if not any(cell.strip() for cell in record):
                continue
            if len(record) > len(columns) and any(c.strip() for c in record[len(columns) :]):
                raise DatasetError.of(
                    name,
                    "too_many_cells",
                    f"row {number}: more cells than header columns",
                    row=number,
                )
            cells = dict(zip(columns, record, strict=False))
            if any(
                cell.strip() for column, cell in zip(columns, record, strict=False) if not column
            ):
                raise DatasetError.of(
                    name,
                    "headerless_value",
                    f"row {number}: a value in a column without a header",
                    row=number,
                )
            table = cells.pop("table", "").strip().lower()
            if table not in TABLES:
                raise DatasetError.of(
                    name,
                    "unknown_table",
                    f"row {number}, field table: {table!r} is not one of " + ", ".join(TABLES),
                    row=number,
                    column="table",
                    value=table,
                    tables=", ".join(TABLES),
                )
            cells.pop("", None)
            yield Row(table, number, cells)
    except csv.Error as error:
        raise DatasetError.of(
            name,
            "unreadable",
            f"row {records.line_num}: {error}",
            row=records.line_num,
            detail=str(error),
        ) from None


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
        raise DatasetError.of(
            name, "not_xlsx", f"not a readable .xlsx workbook ({error})", detail=str(error)
        ) from None
    if unpacked > MAX_UNPACKED:
        raise DatasetError.of(
            name,
            "too_large_unpacked",
            f"the workbook unpacks to more than {MAX_UNPACKED >> 20} MB",
            limit=MAX_UNPACKED >> 20,
        )
    try:
        workbook = load_workbook(io.BytesIO(data), data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError) as error:
        raise DatasetError.of(
            name, "not_xlsx", f"not a readable .xlsx workbook ({error})", detail=str(error)
        ) from None
    try:
        sheets = {sheet.title.strip().lower(): sheet for sheet in workbook.worksheets}
        unknown = [title for title in sheets if title not in TABLES]
        if unknown:
            raise DatasetError.of(
                name,
                "unknown_sheets",
                f"unknown sheet(s) {', '.join(unknown)}; the sheets are " + ", ".join(TABLES),
                sheets=", ".join(unknown),
                tables=", ".join(TABLES),
            )
        missing = [table for table in TABLES if table not in sheets]
        if missing:
            raise DatasetError.of(
                name,
                "missing_sheets",
                f"missing sheet(s): {', '.join(missing)}",
                sheets=", ".join(missing),
            )
        for table, sheet in sheets.items():
            if sheet.max_row > MAX_ROWS:
                raise DatasetError.of(
                    name,
                    "too_many_rows",
                    f"sheet {table}: more than {MAX_ROWS} rows",
                    table=table,
                    limit=MAX_ROWS,
                )
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
            raise DatasetError.of(
                name,
                "unknown_columns",
                f"sheet {table}, row 1: unknown column {column!r}",
                table=table,
                row=1,
                columns=column,
            )
        columns.append(column or None)
    for number, values in enumerate(rows, start=2):
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
            continue
        cells: dict[str, Any] = {}
        for index, value in enumerate(values):
            column = columns[index] if index < len(columns) else None
            if column is None:
                if value is not None and str(value).strip():
                    raise DatasetError.of(
                        name,
                        "headerless_value",
                        f"sheet {table}, row {number}: a value in a column without a header",
                        table=table,
                        row=number,
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
        raise DatasetError.of(
            name,
            "unknown_type",
            f"unknown file type {suffix or '(none)'!r}; use .yaml, .yml, .csv or .xlsx",
            value=suffix,
        )
    return FORMATS[suffix]


def parse_bytes(data: bytes, name: str) -> Dataset:
    """Validate a whole dataset file of any format (chosen by `name`'s extension)."""
    kind = file_format(name)
    if kind == "yaml":
        try:
            source = data.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise yaml_error(name, error) from None
        try:
            loaded = load_yaml(source)
        except yaml.YAMLError as error:
            raise yaml_error(name, error, source) from None
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
