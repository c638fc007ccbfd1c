"""Moments as the database stores them, and the notice timing the data layer is given.

Every time column holds naive UTC (`utc`, and `wall_clock` for the real present); functions
take aware moments. When a notice may go out and which reminders a caravan has are the bot's
policy, not the data layer's: functions that write notices take a `Timing` (the bot passes
`bot.domain.clock`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Protocol


def utc(moment: dt.datetime) -> dt.datetime:
    """Naive UTC, the form stored in the database; a naive `moment` is taken as UTC already."""
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(dt.UTC).replace(tzinfo=None)


def wall_clock() -> dt.datetime:
    """Real UTC time (naive): for claim leases and the moments admins act, which are never
    moved by tests (unlike the bot's clock) and read alike by every process on every machine."""
    return utc(dt.datetime.now(dt.UTC))


class Timing(Protocol):
    """When subscribers hear about a caravan (`bot.domain.clock` is one)."""

    REMINDERS: Mapping[str, int]  # notice kind of a reminder → days before the caravan

    def civil_time(self, moment: dt.datetime) -> dt.datetime:
        """The first moment from `moment` on at which an automatic message may go out."""
        ...

    def local_date(self, moment: dt.datetime) -> dt.date:
        """The calendar day of `moment` where the caravans go."""
        ...

    def reminders_due(
        self, caravan_date: dt.date, now: dt.datetime
    ) -> tuple[str | None, list[str]]:
        """(the reminder to send now or None, every reminder whose moment has passed)."""
        ...
