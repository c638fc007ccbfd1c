"""The dataset model (the YAML file format) and its validation, loading it into the database
in the caller's transaction (`apply_dataset`: every row lands or none does) and reading the
database's back (`load_dataset`)."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from db import outbox
from db.models import (
    Caravan,
    District,
    HousingDeadline,
    HousingReport,
    Region,
    Settlement,
    Total,
)
from db.problems import DatasetError, Problem, Step, pydantic_code
from db.times import Timing

BUNDLED = Path(__file__).resolve().parent.parent / "bot" / "data" / "dataset.yaml"
# safe_load's loader (plain data only), in libyaml when PyYAML has it: an eighth of the time
# to read the bundled dataset, which a first start does before it answers
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class YamlLoader(_SAFE_LOADER):  # type: ignore[misc,valid-type]
    """safe_load's loader, where a date that does not exist (`2025-09-31`) stays the text it
    is, for validation to say so, instead of the YAML library failing on it."""


def _timestamp(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Any:
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)
    except ValueError:
        return loader.construct_scalar(node)


YamlLoader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp)


def load_yaml(text: str) -> Any:
    """The plain data of a YAML text (raises yaml.YAMLError)."""
    return yaml.load(text, Loader=YamlLoader)  # a safe loader: plain data only


Slug = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{0,60}$")]
Count = Annotated[int, Field(ge=0, le=10_000_000)]
Text = Annotated[str, Field(min_length=1, max_length=2000)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Localized(_Model):
    az: Text
    en: Text
    ru: Text


class Coordinates(_Model):
    lat: Annotated[float, Field(ge=-90, le=90)]
    lon: Annotated[float, Field(ge=-180, le=180)]
    source: Text


class Deadline(_Model):
    by: dt.date
    homes: Count


class Housing(_Model):
    as_of: dt.date
    month_only: bool = False
    homes_total: Count | None = None
    ready: Count | None = None
    uninhabitable: Count | None = None
    partly_habitable: Count | None = None
    built: Count | None = None
    under_construction: Count | None = None
    due: list[Deadline] = []
    source: Text
    note: Localized | None = None
    unsure: bool = False

    @model_validator(mode="before")
    @classmethod
    def _month_precision(cls, data: Any) -> Any:
        """`as_of: "2025-04"` means some day in April 2025."""
        as_of = data.get("as_of") if isinstance(data, dict) else None
        if isinstance(as_of, str) and re.fullmatch(r"\d{4}-\d{2}", as_of):
            data = {**data, "as_of": f"{as_of}-01", "month_only": True}
        return data

    @model_validator(mode="after")
    def _consistent(self) -> Housing:
        if len({d.by for d in self.due}) != len(self.due):
            raise ValueError("two deadlines share a date")
        if None not in (self.homes_total, self.ready) and self.ready > self.homes_total:
            raise ValueError("ready exceeds homes_total")
        return self


class RunningTotal(_Model):
    families: Count | None = None
    people: Count | None = None


class CaravanIn(_Model):
    date: dt.date | None = None
    families: Count | None = None
    people: Count | None = None
    first: bool = False
    total_after: RunningTotal | None = None
    source: Text
    note: Localized | None = None
    unsure: bool = False


class SettlementIn(_Model):
    slug: Slug
    district: Slug
    kind: Literal["village", "township", "city"]
    name: Localized
    aliases: list[Text] = []
    coordinates: Coordinates | None = None
    note: Localized | None = None
    housing: list[Housing] = []
    caravans: list[CaravanIn] = []

    @field_validator("housing")
    @classmethod
    def _one_report_per_day(cls, value: list[Housing]) -> list[Housing]:
        if len({h.as_of for h in value}) != len(value):
            raise ValueError("two housing reports share a date")
        return value


class DistrictIn(_Model):
    slug: Slug
    region: Slug
    kind: Literal["district", "city"] = "district"
    name: Localized
    aliases: list[Text] = []
    note: Localized | None = None


class RegionIn(_Model):
    slug: Slug
    name: Localized


class TotalIn(_Model):
    as_of: dt.date
    families: Count | None = None
    people: Count | None = None
    settlements: Count | None = None
    source: Text
    note: Localized | None = None
    unsure: bool = False


class Dataset(_Model):
    version: Literal[1] = 1
    regions: list[RegionIn]
    totals: list[TotalIn] = []
    districts: list[DistrictIn]
    settlements: list[SettlementIn]

    @model_validator(mode="after")
    def _references(self) -> Dataset:
        for kind, slugs in (
            ("region", [r.slug for r in self.regions]),
            ("district", [d.slug for d in self.districts]),
            ("settlement", [s.slug for s in self.settlements]),
        ):
            duplicates = [slug for slug, n in Counter(slugs).items() if n > 1]
            if duplicates:
                raise ValueError(f"duplicate {kind} slug(s): {', '.join(duplicates)}")
        regions = {r.slug for r in self.regions}
        districts = {d.slug for d in self.districts}
        for d in self.districts:
            if d.region not in regions:
                raise ValueError(f"district {d.slug!r}: unknown region {d.region!r}")
        for s in self.settlements:
            if s.district not in districts:
                raise ValueError(f"settlement {s.slug!r}: unknown district {s.district!r}")
        if len({t.as_of for t in self.totals}) != len(self.totals):
            raise ValueError("two totals share a date")
        return self


def _describe(error: ValidationError, data: Any, name: str) -> tuple[str, list[Problem]]:
    lines, problems = [], []
    for problem in error.errors()[:10]:
        where: list[str] = []
        steps: list[Step] = []
        node = data
        for part in problem["loc"]:
            if isinstance(part, int) and isinstance(node, list) and part < len(node) and steps:
                node = node[part]
                label = node.get("slug") if isinstance(node, dict) else None
                label = str(label) if label else None
                where[-1] = f"{where[-1]}[{part + 1}{f' {label!r}' if label else ''}]"
                steps[-1] = Step(steps[-1].field, part + 1, label)
            else:
                node = node.get(part) if isinstance(node, dict) else None
                where.append(str(part))
                steps.append(Step(str(part)))
        line = f"{'.'.join(where) or 'file'}: {problem['msg']}"
        lines.append(line)
        code, values = pydantic_code(problem)
        path = ".".join(where) or None
        problems.append(
            Problem(code, f"{name}: {line}", name, values, path=path, steps=tuple(steps))
        )
    return "; ".join(lines), problems


def yaml_error(
    name: str, error: UnicodeDecodeError | yaml.YAMLError, source: str = ""
) -> DatasetError:
    """A YAML file (`source`) that cannot be read: not UTF-8, or not well-formed at a line
    and column (`yaml_tab` when a tab stands there); the YAML library's English stays for
    the CLI."""
    text = str(error)
    if isinstance(error, UnicodeDecodeError):
        return DatasetError.of(name, "not_utf8_text", text)
    mark = getattr(error, "problem_mark", None)
    if mark is None:
        return DatasetError.of(name, "unreadable", text, detail=text)
    lines = source.splitlines()
    line = lines[mark.line] if mark.line < len(lines) else ""
    code = "yaml_tab" if line[mark.column : mark.column + 1] == "\t" else "yaml_syntax"
    return DatasetError.of(name, code, text, line=mark.line + 1, position=mark.column + 1)


def parse_dataset(data: Any, name: str = "dataset") -> Dataset:
    """Validate a dataset's plain data (None: a YAML file with nothing in it)."""
    if data is None:
        raise DatasetError.of(name, "empty_file", "the file is empty")
    try:
        return Dataset.model_validate(data)
    except ValidationError as error:
        text, problems = _describe(error, data, name)
        hidden = max(error.error_count() - len(problems), 0)
        raise DatasetError(f"{name}: {text}", problems, hidden) from None


def read_dataset(path: Path) -> Dataset:
    """Read and validate a YAML dataset file."""
    try:
        source = path.read_text(encoding="utf-8")
        data = load_yaml(source)
    except OSError as error:
        raise DatasetError.of(str(path), "unreadable", str(error), detail=str(error)) from None
    except UnicodeDecodeError as error:
        raise yaml_error(str(path), error) from None
    except yaml.YAMLError as error:
        raise yaml_error(str(path), error, source) from None
    return parse_dataset(data, str(path))


class ImportReport(Counter[str]):
    """Counts like `settlements added`, `caravans changed`, keyed by '<entity> <change>'."""

    def note(self, entity: str, change: str, n: int = 1) -> None:
        if n:
            self[f"{entity} {change}"] += n

    def lines(self) -> list[str]:
        return [f"{key}: {n}" for key, n in sorted(self.items())] or ["no changes"]


def _assign(obj: Any, values: dict[str, Any]) -> bool:
    changed = False
    for key, value in values.items():
        if getattr(obj, key) != value:
            setattr(obj, key, value)
            changed = True
    return changed


def _names(name: Localized) -> dict[str, str]:
    return {"name_az": name.az, "name_en": name.en, "name_ru": name.ru}


def _dump(note: Localized | None) -> dict[str, str] | None:
    return note.model_dump() if note else None


async def apply_dataset(
    session: AsyncSession, dataset: Dataset, *, timing: Timing, now: dt.datetime | None = None
) -> ImportReport:
    """Insert or update everything in `dataset`; caravans and housing reports of the settlements
    it lists are made to match it exactly. Subscribers of a settlement whose current housing
    figures change get one alert (sent from `now`, default: the present, when `timing`
    allows). Does not commit."""
    now = now or dt.datetime.now(dt.UTC)
    report = ImportReport()
    regions = {r.slug: r for r in await session.scalars(select(Region))}
    for position, item in enumerate(dataset.regions):
        values = {**_names(item.name), "position": position}
        new = partial(Region, slug=item.slug)
        _put(session, report, "regions", regions, item.slug, new, values)
    await session.flush()

    districts = {d.slug: d for d in await session.scalars(select(District))}
    for position, item in enumerate(dataset.districts):
        values = {
            **_names(item.name),
            "region_id": regions[item.region].id,
            "kind": item.kind,
            "position": position,
            "aliases": list(item.aliases),
            "note": _dump(item.note),
        }
        new = partial(District, slug=item.slug)
        _put(session, report, "districts", districts, item.slug, new, values)
    await session.flush()

    existing = {
        s.slug: s
        for s in await session.scalars(
            select(Settlement).options(
                selectinload(Settlement.housing).selectinload(HousingReport.deadlines),
                selectinload(Settlement.caravans),
            )
        )
    }
    for position, item in enumerate(dataset.settlements):
        coordinates = item.coordinates
        values = {
            **_names(item.name),
            "district_id": districts[item.district].id,
            "kind": item.kind,
            "position": position,
            "aliases": list(item.aliases),
            "latitude": coordinates.lat if coordinates else None,
            "longitude": coordinates.lon if coordinates else None,
            "coordinates_source": coordinates.source if coordinates else None,
            "note": _dump(item.note),
        }
        new = partial(Settlement, slug=item.slug, housing=[], caravans=[])
        settlement = _put(session, report, "settlements", existing, item.slug, new, values)
        before = outbox.housing_figures(settlement) if settlement.id is not None else None
        _sync_housing(settlement, item.housing, report)
        if before is not None:
            after = outbox.housing_figures(settlement)
            await outbox.record_housing_change(
                session, settlement, before, after, now, timing=timing
            )
        _sync_caravans(settlement, item.caravans, report)

    totals = {t.as_of: t for t in await session.scalars(select(Total))}
    for item in dataset.totals:
        values = item.model_dump(exclude={"as_of", "note"}) | {"note": _dump(item.note)}
        new = partial(Total, as_of=item.as_of)
        _put(session, report, "totals", totals, item.as_of, new, values)
    await session.flush()
    return report


def _put(
    session: AsyncSession,
    report: ImportReport,
    entity: str,
    stored: dict[Any, Any],
    key: Any,
    new: Callable[..., Any],
    values: dict[str, Any],
) -> Any:
    """The row stored under `key` with `values` assigned, or `new(**values)` added (and stored
    under `key`); counted in `report` as added, or as changed when a value differed."""
    row = stored.get(key)
    if row is None:
        row = stored[key] = new(**values)
        session.add(row)
        report.note(entity, "added")
    elif _assign(row, values):
        report.note(entity, "changed")
    return row


def _sync_housing(settlement: Settlement, items: Sequence[Housing], report: ImportReport) -> None:
    current = {h.as_of: h for h in settlement.housing}
    wanted = {h.as_of for h in items}
    for as_of, stale in current.items():
        if as_of not in wanted:
            settlement.housing.remove(stale)
            report.note("housing reports", "removed")
    for item in items:
        values = item.model_dump(exclude={"as_of", "due", "note"}) | {"note": _dump(item.note)}
        deadlines = sorted((d.by, d.homes) for d in item.due)
        housing = current.get(item.as_of)
        if housing is None:
            settlement.housing.append(
                HousingReport(
                    as_of=item.as_of,
                    deadlines=[HousingDeadline(due_by=by, homes=n) for by, n in deadlines],
                    **values,
                )
            )
            report.note("housing reports", "added")
            continue
        changed = _assign(housing, values)
        if sorted((d.due_by, d.homes) for d in housing.deadlines) != deadlines:
            housing.set_deadlines(dict(deadlines))
            changed = True
        if changed:
            report.note("housing reports", "changed")


def _caravan_values(item: CaravanIn) -> dict[str, Any]:
    total = item.total_after or RunningTotal()
    return {
        "date": item.date,
        "families": item.families,
        "people": item.people,
        "first": item.first,
        "total_families": total.families,
        "total_people": total.people,
        "source": item.source,
        "note": _dump(item.note),
        "unsure": item.unsure,
    }


def _sync_caravans(
    settlement: Settlement, items: Sequence[CaravanIn], report: ImportReport
) -> None:
    """Caravans are matched by (date, n-th of that date); unmatched ones are removed."""
    current: dict[tuple[dt.date | None, int], Caravan] = {}
    seen: Counter[dt.date | None] = Counter()
    for caravan in sorted(settlement.caravans, key=lambda c: (c.date or dt.date.min, c.id or 0)):
        current[(caravan.date, seen[caravan.date])] = caravan
        seen[caravan.date] += 1
    seen.clear()
    keep = set()
    for item in items:
        key = (item.date, seen[item.date])
        seen[item.date] += 1
        values = _caravan_values(item)
        caravan = current.get(key)
        if caravan is None:
            settlement.caravans.append(Caravan(**values))
            report.note("caravans", "added")
        else:
            keep.add(key)
            if _assign(caravan, values):
                report.note("caravans", "changed")
    for key, caravan in current.items():
        if key not in keep:
            settlement.caravans.remove(caravan)
            report.note("caravans", "removed")


async def is_empty(session: AsyncSession) -> bool:
    return not await session.scalar(select(func.count()).select_from(Settlement))


# ------------------------------------------------------------------ the database's dataset


def drop_none(values: dict[str, Any]) -> dict[str, Any]:
    """`values` without the absent ones, as a dataset file leaves them out."""
    return {k: v for k, v in values.items() if v is not None}


async def load_dataset(session: AsyncSession) -> Dataset:
    """The database's places, housing reports, caravans and totals as a `Dataset` (the model
    a file is parsed into), validated like a file: what it gives can always be imported."""
    regions = await session.scalars(select(Region).order_by(Region.position, Region.id))
    districts = await session.scalars(
        select(District)
        .options(selectinload(District.region))
        .order_by(District.position, District.id)
    )
    settlements = await session.scalars(
        select(Settlement)
        .options(
            selectinload(Settlement.district),
            selectinload(Settlement.housing).selectinload(HousingReport.deadlines),
            selectinload(Settlement.caravans),
        )
        .order_by(Settlement.position, Settlement.id)
    )
    totals = await session.scalars(select(Total).order_by(Total.as_of))
    data = {
        "regions": [_place(r) for r in regions],
        "districts": [
            _place(d) | {"region": d.region.slug, "kind": d.kind, "aliases": d.aliases}
            for d in districts
        ],
        "settlements": [_settlement(s) for s in settlements],
        "totals": [
            drop_none(
                {
                    "as_of": t.as_of,
                    "families": t.families,
                    "people": t.people,
                    "settlements": t.settlements,
                    "source": t.source,
                    "note": t.note,
                    "unsure": t.unsure,
                }
            )
            for t in totals
        ],
    }
    return parse_dataset(data, "the database")


def _place(place: Region | District | Settlement) -> dict[str, Any]:
    names = {"az": place.name_az, "en": place.name_en, "ru": place.name_ru}
    return drop_none({"slug": place.slug, "name": names, "note": getattr(place, "note", None)})


def _settlement(settlement: Settlement) -> dict[str, Any]:
    values = _place(settlement) | {
        "district": settlement.district.slug,
        "kind": settlement.kind,
        "aliases": settlement.aliases,
    }
    if settlement.latitude is not None or settlement.longitude is not None:
        values["coordinates"] = {
            "lat": settlement.latitude,
            "lon": settlement.longitude,
            "source": settlement.coordinates_source,
        }
    values["housing"] = [
        drop_none(
            {
                "as_of": h.as_of,
                "month_only": h.month_only,
                "homes_total": h.homes_total,
                "ready": h.ready,
                "uninhabitable": h.uninhabitable,
                "partly_habitable": h.partly_habitable,
                "built": h.built,
                "under_construction": h.under_construction,
                "due": [{"by": d.due_by, "homes": d.homes} for d in h.deadlines],
                "source": h.source,
                "note": h.note,
                "unsure": h.unsure,
            }
        )
        for h in settlement.housing
    ]
    caravans = sorted(settlement.caravans, key=lambda c: (c.date or dt.date.min, c.id))
    values["caravans"] = [
        drop_none(
            {
                "date": c.date,
                "families": c.families,
                "people": c.people,
                "first": c.first,
                "total_after": (
                    {"families": c.total_families, "people": c.total_people}
                    if c.total_families is not None or c.total_people is not None
                    else None
                ),
                "source": c.source,
                "note": c.note,
                "unsure": c.unsure,
            }
        )
        for c in caravans
    ]
    return values
