"""The place data in memory: every region, district, settlement (with its housing reports,
deadlines and caravans) and national total, read at once as detached, fully loaded ORM
objects that handlers read and never change; `data_version` and `generation` tell
`bot.places` when to load again (see docs/data-layer.md)."""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import event, inspect, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import ORMExecuteState, Session, selectinload

from db.models import (
    Caravan,
    DataVersion,
    District,
    HousingDeadline,
    HousingReport,
    Region,
    Settlement,
    Total,
)

PLACE_MODELS = (Region, District, Settlement, HousingReport, HousingDeadline, Caravan, Total)
PLACE_TABLES = frozenset(model.__tablename__ for model in PLACE_MODELS)


@dataclass(frozen=True)
class Place:
    """A searchable place: its key for the search index and all its names."""

    key: str  # "settlement:<slug>" or "district:<slug>"
    names: tuple[str, ...]
    kind: str  # a settlement's kind (village, township, city), or "district"


@dataclass
class PlaceData:
    """All place data as of `version`, with the lookups the handlers make."""

    version: int
    regions: list[Region]  # in display order, each with its districts in order
    totals: list[Total]  # oldest first
    settlements: dict[str, Settlement] = field(init=False)
    districts: dict[str, District] = field(init=False)
    caravans: list[Caravan] = field(init=False)
    dates: list[dt.date] = field(init=False)  # every date a figure is given for, sorted

    def __post_init__(self) -> None:
        self.districts = {d.slug: d for r in self.regions for d in r.districts}
        self.settlements = {s.slug: s for d in self.districts.values() for s in d.settlements}
        self.caravans = [c for s in self.settlements.values() for c in s.caravans]
        reports = [r.as_of for s in self.settlements.values() for r in s.housing]
        caravans = [c.date for c in self.caravans if c.date is not None]
        self.dates = sorted({*reports, *caravans, *(t.as_of for t in self.totals)})

    def newest_date(self, today: dt.date) -> dt.date | None:
        """The newest date of the data up to `today` (a caravan announced for later is not
        data of a later day)."""
        index = bisect.bisect_right(self.dates, today)
        return self.dates[index - 1] if index else None

    def settlement(self, slug: str) -> Settlement | None:
        return self.settlements.get(slug)

    def district(self, slug: str) -> District | None:
        return self.districts.get(slug)

    def places(self) -> list[Place]:
        """Every settlement and district with its names and aliases, for the search index."""
        found = []
        for kind, rows in (("settlement", self.settlements), ("district", self.districts)):
            for row in rows.values():
                names = (row.name_az, row.name_en, row.name_ru, *row.aliases)
                place_kind = row.kind if kind == "settlement" else kind
                found.append(Place(f"{kind}:{row.slug}", names, place_kind))
        return found

    def places_by_keys(self, keys: Iterable[str]) -> tuple[list[Settlement], list[District]]:
        """The settlements and districts of search keys ("settlement:<slug>"…), in order;
        keys of places that no longer exist are skipped."""
        settlements, districts = [], []
        for key in keys:
            kind, _, slug = key.partition(":")
            if kind == "settlement" and (found := self.settlements.get(slug)):
                settlements.append(found)
            elif kind == "district" and (place := self.districts.get(slug)):
                districts.append(place)
        return settlements, districts

    def settlement_counts(self) -> dict[int, int]:
        """district id → number of settlements."""
        return {d.id: len(d.settlements) for d in self.districts.values()}

    def located_settlements(self) -> list[Settlement]:
        """Settlements whose coordinates are known, in id order."""
        return sorted(
            (
                s
                for s in self.settlements.values()
                if s.latitude is not None and s.longitude is not None
            ),
            key=lambda s: s.id,
        )

    def upcoming_or_recent_caravans(
        self,
        today: dt.date,
        *,
        limit: int,
        settlement_slug: str | None = None,
        district_slug: str | None = None,
    ) -> tuple[bool, list[Caravan]]:
        """(upcoming?, caravans) of one settlement, one district or everywhere: those dated
        today or later, soonest first; when there are none, the most recent ones, newest
        first (undated last)."""
        caravans: Sequence[Caravan] = self.caravans
        if settlement_slug is not None:
            settlement = self.settlements.get(settlement_slug)
            caravans = settlement.caravans if settlement else []
        if district_slug is not None:
            caravans = [c for c in caravans if c.settlement.district.slug == district_slug]
        upcoming = sorted(
            (c for c in caravans if c.date is not None and c.date >= today),
            key=lambda c: (c.date, c.id),
        )
        if upcoming:
            return True, upcoming[:limit]
        recent = sorted(
            (c for c in caravans if c.date is None or c.date < today),
            key=lambda c: (c.date is None, -(c.date or today).toordinal(), -c.id),
        )
        return False, recent[:limit]

    def latest_total(self) -> Total | None:
        """The most recent national total that counts people."""
        counted = [t for t in self.totals if t.people is not None]
        return counted[-1] if counted else None


async def data_version(session: AsyncSession) -> int:
    """The current `data_version` counter (0 when the row is missing)."""
    version = await session.scalar(select(DataVersion.version).where(DataVersion.id == 1))
    return version or 0


async def load(session: AsyncSession) -> PlaceData:
    """Read all place data, every relationship loaded, and detach it from `session`."""
    version = await data_version(session)
    settlement_load = (
        selectinload(Settlement.housing)
        .selectinload(HousingReport.deadlines)
        .selectinload(HousingDeadline.report),
        selectinload(Settlement.housing).selectinload(HousingReport.settlement),
        selectinload(Settlement.caravans).selectinload(Caravan.settlement),
        selectinload(Settlement.district),
    )
    query = (
        select(Region)
        .order_by(Region.position, Region.id)
        .options(
            selectinload(Region.districts).selectinload(District.region),
            selectinload(Region.districts)
            .selectinload(District.settlements)
            .options(*settlement_load),
        )
    )
    regions = list((await session.scalars(query)).all())
    totals = list((await session.scalars(select(Total).order_by(Total.as_of))).all())
    data = PlaceData(version, regions, totals)
    session.expunge_all()
    return data


def unloaded(data: PlaceData) -> list[str]:
    """Attributes of the snapshot's objects that were not loaded ("Class.attribute"): reading
    one would fail, as the objects are detached. Empty when `load()` is complete."""
    objects: list[object] = [*data.regions, *data.districts.values(), *data.totals]
    for settlement in data.settlements.values():
        objects += [settlement, *settlement.caravans]
        for report in settlement.housing:
            objects += [report, *report.deadlines]
    return sorted({f"{type(o).__name__}.{name}" for o in objects for name in inspect(o).unloaded})


# A process sees its own changes at once: a commit that wrote place data bumps `generation`,
# which `bot.places` compares too (changes of other processes are found by `data_version`).
generation = 0
_CHANGED = "returnbot.places_changed"


@event.listens_for(Session, "after_flush")
def _flushed(session: Session, _context: object) -> None:
    changed = (*session.new, *session.dirty, *session.deleted)
    if any(isinstance(obj, PLACE_MODELS) for obj in changed):
        session.info[_CHANGED] = True


@event.listens_for(Session, "do_orm_execute")
def _executed(state: ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        table = getattr(state.statement, "table", None)
        if getattr(table, "name", None) in PLACE_TABLES:
            state.session.info[_CHANGED] = True


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    global generation
    if session.info.pop(_CHANGED, False):
        generation += 1


@event.listens_for(Session, "after_rollback")
def _rolled_back(session: Session) -> None:
    session.info.pop(_CHANGED, None)
