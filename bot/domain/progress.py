"""What the 📊 progress chart shows, from the place data: homes ready over time against the
plan (the current report's deadlines, running totals), families returned over time (the
caravans added up, step by step, and the running totals sources reported), and one row of
figures per settlement for a district or everywhere."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from bot.domain.housing import build_schedule
from bot.domain.returns import returned


@dataclass(frozen=True)
class Point:
    date: dt.date
    value: int


@dataclass(frozen=True)
class Homes:
    """Homes planned, ready as each report gave them, and the plan from the latest report."""

    planned: int | None
    ready: tuple[Point, ...]  # oldest first, reports that gave a number of homes ready
    plan: tuple[Point, ...]  # (report date, ready), then ready + homes due by each deadline

    @property
    def empty(self) -> bool:
        return self.planned is None and not self.ready


@dataclass(frozen=True)
class Families:
    """Families returned over time: the caravans that arrived added up, those announced, the
    running totals sources reported, and what the card says (`bot.domain.returns`)."""

    arrived: tuple[Point, ...]  # the running sum after each dated caravan with figures
    announced: tuple[Point, ...]  # the same, continued by the caravans still to come
    reported: tuple[Point, ...]  # running totals a source gave with a caravan
    total: int  # families of every arrived caravan with figures (undated ones too)
    unpublished: int  # arrived caravans without published figures

    @property
    def empty(self) -> bool:
        return not self.arrived and not self.announced and not self.total


def homes(reports: Sequence[Any], today: dt.date) -> Homes:
    """From housing reports (`as_of`, `homes_total`, `ready`, `deadlines`), oldest first."""
    ready = tuple(Point(r.as_of, r.ready) for r in reports if r.ready is not None)
    if not reports:
        return Homes(None, ready, ())
    current = reports[-1]
    deadlines = [(d.due_by, d.homes) for d in current.deadlines]
    schedule = build_schedule(current.homes_total, current.ready, deadlines, today)
    plan: list[Point] = []
    if schedule.milestones:
        plan.append(Point(current.as_of, current.ready or 0))
        plan += [Point(m.due_by, m.cumulative) for m in schedule.milestones]
    return Homes(current.homes_total, ready, tuple(plan))


def families(caravans: Sequence[Any], today: dt.date) -> Families:
    """From caravans (`date`, `families`, `total_families`): the running sums over time."""
    dated = sorted((c for c in caravans if c.date is not None), key=lambda c: c.date)
    arrived, announced, reported = [], [], []
    running = 0
    for caravan in dated:
        if caravan.date < today and caravan.total_families is not None:
            reported.append(Point(caravan.date, caravan.total_families))
        if caravan.families is None:
            continue
        running += caravan.families
        (arrived if caravan.date < today else announced).append(Point(caravan.date, running))
    summed = returned(caravans, today)
    return Families(
        arrived=tuple(arrived),
        announced=tuple(announced),
        reported=tuple(reported),
        total=summed.families if summed else 0,
        unpublished=summed.unpublished if summed else 0,
    )


@dataclass(frozen=True)
class Row:
    """One settlement's bar in a district's or the overall chart."""

    slug: str
    planned: int | None
    ready: int | None
    due_next: Point | None  # the nearest deadline from today on, with its running total
    families: int  # returned so far (the caravans listed, added up)

    @property
    def empty(self) -> bool:
        return self.planned is None and self.ready is None and not self.families


def row(settlement: Any, today: dt.date) -> Row:
    """A settlement's row (`slug`, `current_report`, `caravans`)."""
    report = settlement.current_report
    summed = returned(settlement.caravans, today)
    planned = ready = due_next = None
    if report is not None:
        deadlines = [(d.due_by, d.homes) for d in report.deadlines]
        schedule = build_schedule(report.homes_total, report.ready, deadlines, today)
        planned, ready = report.homes_total, report.ready
        coming = [m for m in schedule.milestones if not m.passed]
        if coming:
            due_next = Point(coming[0].due_by, coming[0].cumulative)
    return Row(settlement.slug, planned, ready, due_next, summed.families if summed else 0)


def rows(settlements: Iterable[Any], today: dt.date) -> list[Row]:
    """The settlements with any figure, most families returned first (then most homes ready,
    then most planned)."""
    found = [r for r in (row(s, today) for s in settlements) if not r.empty]
    return sorted(found, key=lambda r: (-r.families, -(r.ready or 0), -(r.planned or 0)))


def newest(dates: Iterable[dt.date | None], today: dt.date) -> dt.date | None:
    """The newest of `dates` up to `today` (the date the figures shown are as of)."""
    return max((d for d in dates if d is not None and d <= today), default=None)
