"""The dataset as the tables a ministry clerk edits in a spreadsheet: each table's columns and
their kinds (`TABLES`, listed in the README's "Import and export"), the one CSV header, and the
dataset flattened into the tables' rows (`dataset_tables`), which the file writers
(`db.tabular`) and `db.diff` share.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from db.dataset import Dataset

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
# table → (column, kind); `db.sheet_reader` converts each kind
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
        ("unsure", "bool"),
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


@dataclass(frozen=True)
class Month:
    """`as_of` of a housing report known only to the month: the 1st, flagged."""

    first: dt.date


def day_of(as_of: dt.date | Month) -> dt.date:
    """The day a housing report is dated (the 1st of its month when only that is known)."""
    return as_of.first if isinstance(as_of, Month) else as_of


@dataclass(frozen=True)
class Row:
    """One spreadsheet row: its table, its 1-based row number, and its cells by column."""

    table: str
    number: int
    cells: dict[str, Any]


def dataset_tables(dataset: Dataset) -> dict[str, list[dict[str, Any]]]:
    """Every table's rows in display order, each with all its table's columns in `TABLES`
    order (an absent value is None): the one flattening of the dataset, which the file
    writers (`db.tabular`) and `db.diff` share."""
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
        figures = fields(total, "as_of", "families", "people", "settlements", "source", "unsure")
        add("totals", figures, notes(total))
    return tables
