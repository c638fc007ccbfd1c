"""When an admin's message goes out: the line a preview or a confirmation carries when the
quiet hours (22:00–09:00 Baku) hold it, and the button that sends it at once."""

from __future__ import annotations

import datetime as dt

from babel.dates import format_skeleton
from telegram import InlineKeyboardMarkup

from bot.domain.clock import BAKU
from bot.i18n import NARROW_NBSP, Translator
from bot.views import callbacks as cb
from bot.views.common import button, sentence


def _moment(moment: dt.datetime, tr: Translator) -> str:
    """`09:00, 3 December 2026`, in Baku."""
    local = (moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment).astimezone(BAKU)
    hour = format_skeleton("Hm", local, locale=tr.lang).replace(NARROW_NBSP, " ")
    return f"{hour}, {tr.date(local.date())}"


def held(send_at: dt.datetime | None, now: dt.datetime) -> bool:
    """Whether a message due at `send_at` (aware, or naive UTC) waits at `now`."""
    if send_at is None:
        return False
    aware = send_at.replace(tzinfo=dt.UTC) if send_at.tzinfo is None else send_at
    return aware > now


def goes_out(send_at: dt.datetime | None, now: dt.datetime, tr: Translator) -> str | None:
    """ "🌙 Quiet hours …: it goes out at 09:00, …" when `send_at` is later than `now`."""
    if not held(send_at, now):
        return None
    assert send_at is not None
    text = tr.gettext("🌙 Quiet hours (22:00–09:00 Baku time): it will go out at {moment}.")
    return sentence(text, moment=_moment(send_at, tr))


def subscribers_told(send_at: dt.datetime | None, now: dt.datetime, tr: Translator) -> str | None:
    """The line of an admin's confirmation when the quiet hours hold what subscribers are
    told of a caravan or a housing change: when they will hear of it."""
    if not held(send_at, now):
        return None
    assert send_at is not None
    text = tr.gettext(
        "🌙 Quiet hours (22:00–09:00 Baku time): subscribers will be told at {moment}."
    )
    return sentence(text, moment=_moment(send_at, tr))


def urgent_keyboard(
    tr: Translator, *, caravan_id: int | None = None, alert_id: int | None = None
) -> InlineKeyboardMarkup:
    """🚨 under a confirmation whose notices wait for the end of the quiet hours: those of
    the caravan, or the one housing alert (its notice id)."""
    held = str(caravan_id) if alert_id is None else f"{cb.HELD_ALERT}{alert_id}"
    label = "🚨 " + tr.gettext("Urgent: tell them now")
    return InlineKeyboardMarkup([[button(label, cb.NOTICE_URGENT, held)]])
