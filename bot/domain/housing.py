"""Housing schedule maths: what is ready, what is due by when, and a text progress bar."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Milestone:
    due_by: dt.date
    homes: int  # homes due by this date (as published: the increment, not the running sum)
    cumulative: int  # ready + everything due up to and including this date
    passed: bool  # the date is before today
    history: bool = False  # passed before the figures' date: kept as history, not counted


@dataclass(frozen=True)
class Schedule:
    planned: int | None
    ready: int | None
    milestones: tuple[Milestone, ...]
    unscheduled: int | None  # planned homes with no published date

    @property
    def progress(self) -> float | None:
        """Share of planned homes that are ready, 0..1."""
        if not self.planned or self.ready is None:
            return None
        return min(self.ready / self.planned, 1.0)


def build_schedule(
    planned: int | None,
    ready: int | None,
    deadlines: Iterable[tuple[dt.date, int]],
    today: dt.date,
    *,
    as_of: dt.date | None = None,
) -> Schedule:
    """Combine the published figures into milestones with running totals. A deadline before
    `as_of` (the figures' date: one carried over from earlier figures) is history: its homes
    are not added to the ready ones again."""
    running = ready or 0
    milestones = []
    for due_by, homes in sorted(deadlines):
        if as_of is not None and due_by < as_of:
            milestones.append(Milestone(due_by, homes, running, True, history=True))
            continue
        running += homes
        milestones.append(Milestone(due_by, homes, running, due_by < today))
    unscheduled = None
    if planned is not None and (ready is not None or milestones):
        unscheduled = max(planned - running, 0)
    return Schedule(planned, ready, tuple(milestones), unscheduled)


def progress_bar(fraction: float, width: int = 10) -> str:
    """`▓▓▓░░░░░░░` — rounds to the nearest cell, never shows 0 % as progress or 99 % as done."""
    fraction = min(max(fraction, 0.0), 1.0)
    filled = round(fraction * width)
    if 0 < fraction < 1:
        filled = min(max(filled, 1), width - 1)
    return "▓" * filled + "░" * (width - filled)


def _date(caravan: Any) -> dt.date | None:
    return caravan.date


def split_caravans(
    caravans: Sequence[T], today: dt.date, date_of: Callable[[T], dt.date | None] = _date
) -> tuple[list[T], list[T]]:
    """(upcoming soonest first, past newest first); undated ones count as past, listed last."""
    upcoming = sorted((c for c in caravans if date_of(c) and date_of(c) >= today), key=date_of)
    past = sorted(
        (c for c in caravans if not date_of(c) or date_of(c) < today),
        key=lambda c: date_of(c) or dt.date.min,
        reverse=True,
    )
    return upcoming, past
