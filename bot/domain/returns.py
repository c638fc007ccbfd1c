"""Families returned to a place: the caravans summed, and the latest running total a source
reported, kept apart (where they disagree both are shown, never averaged)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Returned:
    """The sum of caravans that have arrived (dated before today, or undated)."""

    families: int  # of the caravans with a published number of families
    people: int | None  # None unless every counted caravan published its people
    counted: int  # caravans summed
    unpublished: int  # caravans that arrived without published figures


@dataclass(frozen=True)
class RunningTotal:
    """The latest running total a source reported with one caravan, and what the caravans
    listed up to that caravan's date add up to."""

    families: int
    people: int | None
    date: dt.date
    source: str
    caravans_families: int  # the caravans listed up to that date, summed

    @property
    def agrees(self) -> bool:
        return self.families == self.caravans_families


def returned(caravans: Iterable[Any], today: dt.date) -> Returned | None:
    """The caravans (objects with `date`, `families`, `people`) that arrived before `today`,
    summed; None when none arrived."""
    arrived = [c for c in caravans if c.date is None or c.date < today]
    if not arrived:
        return None
    with_figures = [c for c in arrived if c.families is not None]
    people = None
    if with_figures and all(c.people is not None for c in with_figures):
        people = sum(c.people for c in with_figures)
    return Returned(
        families=sum(c.families for c in with_figures),
        people=people,
        counted=len(with_figures),
        unpublished=len(arrived) - len(with_figures),
    )


def latest_running_total(caravans: Iterable[Any], today: dt.date) -> RunningTotal | None:
    """The running total (`total_families`, `total_people`) of the latest arrived caravan that
    carries one, with the sum of the caravans listed up to its date."""
    arrived = [c for c in caravans if c.date is None or c.date < today]
    reported = [c for c in arrived if c.total_families is not None and c.date is not None]
    if not reported:
        return None
    latest = max(reported, key=lambda c: c.date)
    up_to = [c for c in arrived if c.date is not None and c.date <= latest.date]
    return RunningTotal(
        families=latest.total_families,
        people=latest.total_people,
        date=latest.date,
        source=latest.source,
        caravans_families=sum(c.families or 0 for c in up_to),
    )
