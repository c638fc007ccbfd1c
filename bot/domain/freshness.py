"""How old a figure is against the staleness threshold (`STALE_AFTER_DAYS`): fresh, stale, or
very stale (over a year, or over the threshold when that is longer)."""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass

STALE_AFTER_DAYS = 90  # the default of the setting
VERY_STALE_DAYS = 365


class Staleness(enum.Enum):
    FRESH = "fresh"
    STALE = "stale"
    VERY_STALE = "very stale"


@dataclass(frozen=True)
class Freshness:
    """The day a reader reads on and the age after which figures are called old."""

    today: dt.date
    stale_after_days: int = STALE_AFTER_DAYS

    def age(self, as_of: dt.date) -> dt.timedelta:
        """How long ago `as_of` was (never negative)."""
        return max(self.today - as_of, dt.timedelta(0))

    def staleness(self, as_of: dt.date) -> Staleness:
        days = self.age(as_of).days
        if days <= self.stale_after_days:
            return Staleness.FRESH
        if days <= max(self.stale_after_days, VERY_STALE_DAYS):
            return Staleness.STALE
        return Staleness.VERY_STALE
