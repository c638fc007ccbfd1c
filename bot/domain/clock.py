"""Baku time, and when subscribers hear about a caravan: reminder moments and quiet hours.

Pure functions of timezone-aware moments (`baku_now` reads the real clock). The module is the
`db.times.Timing` the data layer is given when it writes notices.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

BAKU = ZoneInfo("Asia/Baku")
QUIET_FROM = dt.time(22, 0)  # no automatic message from 22:00 …
QUIET_UNTIL = dt.time(9, 0)  # … until 09:00, Baku time
REMINDER_TIME = dt.time(9, 0)
# notice kind → days before the caravan; the nearer reminder wins when both are overdue
REMINDERS = {"remind7": 7, "remind1": 1}


def baku_now() -> dt.datetime:
    """The present in Baku (the bot's clock, unless a test gives it another)."""
    return dt.datetime.now(BAKU)


def civil_time(moment: dt.datetime) -> dt.datetime:
    """`moment`, or 09:00 Baku when it falls in the quiet hours 22:00–09:00."""
    local = moment.astimezone(BAKU)
    if local.time() >= QUIET_FROM:
        return dt.datetime.combine(local.date() + dt.timedelta(days=1), QUIET_UNTIL, BAKU)
    if local.time() < QUIET_UNTIL:
        return dt.datetime.combine(local.date(), QUIET_UNTIL, BAKU)
    return local


def reminder_at(caravan_date: dt.date, days: int) -> dt.datetime:
    """The moment of the reminder `days` before the caravan: 09:00 Baku that day."""
    return dt.datetime.combine(caravan_date - dt.timedelta(days=days), REMINDER_TIME, BAKU)


def reminders_due(caravan_date: dt.date, now: dt.datetime) -> tuple[str | None, list[str]]:
    """(the reminder to send now or None, every reminder whose moment has passed).

    A reminder is sent once its moment has come and while the caravan is still ahead; when
    several moments have passed (the bot was down, or the caravan was created late), only the
    nearest is sent and the others are recorded as skipped: "in 7 days" two days before would
    be wrong.
    """
    passed = [kind for kind, days in REMINDERS.items() if reminder_at(caravan_date, days) <= now]
    if not passed or now.astimezone(BAKU).date() >= caravan_date:
        return None, passed
    return min(passed, key=REMINDERS.__getitem__), passed


def local_date(moment: dt.datetime) -> dt.date:
    """The calendar day in Baku."""
    return moment.astimezone(BAKU).date()
