"""What /sethousing will do to a settlement's figures, worked out before anything is written:
each figure changed, added, removed, kept or kept as history, and why; the deadlines the new
report stores; and what does not fit (docs/handlers.md, "Housing figures")."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum

SET_BY_COMMAND = ("homes_total", "ready")  # /sethousing gives these, and deadlines
NOT_SET_BY_COMMAND = ("built", "under_construction")  # figures of a report it does not carry


class Status(Enum):
    CHANGED = "changed"  # given, with another value than now
    ADDED = "added"  # given, not there before
    REMOVED = "removed"  # a deadline given as <date>=0
    SAME = "same"  # given with the value it has
    KEPT = "kept"  # a deadline from today on, not given: kept as it is
    HISTORY = "history"  # a deadline that has passed, not given: kept as history
    RETIRED = "retired"  # a figure /sethousing does not set: the new report does not carry it
    ABSENT = "absent"  # a deadline given as <date>=0 that does not exist: nothing to remove


@dataclass(frozen=True)
class Line:
    figure: str  # homes_total | ready | built | under_construction | due:<YYYY-MM-DD>
    before: int | None
    after: int | None
    status: Status

    @property
    def due_by(self) -> dt.date | None:
        return dt.date.fromisoformat(self.figure[4:]) if self.figure.startswith("due:") else None


@dataclass(frozen=True)
class HousingPlan:
    lines: tuple[Line, ...]
    deadlines: dict[dt.date, int]  # exactly what the new report stores, passed ones included
    past_given: tuple[tuple[dt.date, int], ...]  # passed deadlines given a new value: refused
    over_planned: bool  # ready + the deadlines from today on exceed the homes planned
    ready_down: bool  # fewer homes ready than the current figures say: worth a warning

    @property
    def kept(self) -> dict[dt.date, int]:
        """Deadlines from today on kept without being given (named when they do not fit)."""
        return {line.due_by: line.after for line in self.lines if line.status is Status.KEPT}

    @property
    def changes(self) -> tuple[Line, ...]:
        """The lines subscribers hear about: what is changed, added or removed."""
        told = (Status.CHANGED, Status.ADDED, Status.REMOVED)
        return tuple(line for line in self.lines if line.status in told)


def _deadlines(figures: Mapping[str, int | None]) -> dict[dt.date, int]:
    return {
        dt.date.fromisoformat(name[4:]): value
        for name, value in figures.items()
        if name.startswith("due:") and value is not None
    }


def plan_housing(
    current: Mapping[str, int | None],
    planned: int,
    ready: int,
    given: Mapping[dt.date, int],
    today: dt.date,
) -> HousingPlan:
    """The plan of /sethousing over the `current` figures (`db.outbox.housing_figures` of the
    card's report): a deadline not given is kept (as history once it has passed), `<date>=0`
    removes one; a passed deadline cannot be given a new value; only the deadlines from
    `today` on count with the ready homes towards those planned."""
    lines: list[Line] = []
    for figure, value in zip(SET_BY_COMMAND, (planned, ready), strict=True):
        old = current.get(figure)
        status = Status.SAME if old == value else Status.ADDED if old is None else Status.CHANGED
        lines.append(Line(figure, old, value, status))
    stored, deadlines, past_given = _deadlines(current), {}, []
    for day in sorted({*stored, *given}):
        old, new, passed = stored.get(day), given.get(day), day < today
        figure = f"due:{day.isoformat()}"
        if new == 0:
            lines.append(Line(figure, old, None, Status.ABSENT if old is None else Status.REMOVED))
            continue
        if new is None:
            deadlines[day] = old
            lines.append(Line(figure, old, old, Status.HISTORY if passed else Status.KEPT))
            continue
        if passed and new != old:
            past_given.append((day, new))
            continue
        deadlines[day] = new
        if old == new:
            status = Status.HISTORY if passed else Status.SAME
        else:
            status = Status.ADDED if old is None else Status.CHANGED
        lines.append(Line(figure, old, new, status))
    for figure in NOT_SET_BY_COMMAND:
        if current.get(figure) is not None:
            lines.append(Line(figure, current[figure], None, Status.RETIRED))
    ahead = sum(homes for day, homes in deadlines.items() if day >= today)
    old_ready = current.get("ready")
    return HousingPlan(
        lines=tuple(lines),
        deadlines=deadlines,
        past_given=tuple(past_given),
        over_planned=ready + ahead > planned,
        ready_down=old_ready is not None and ready < old_ready,
    )
