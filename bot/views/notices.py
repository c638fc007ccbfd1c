"""What subscribers receive, each in their language: a new caravan's announcement, the
reminders before it, housing figure changes, and the notices of an admin's correction or
cancellation of an announced caravan. Each ends with where to manage subscriptions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from bot.i18n import Translator
from bot.views.caravans import caravan_caveat, caravan_line, caravan_values_text
from bot.views.common import change_text, escape, families_people, figure_label, place_name
from db.models import Caravan, Settlement

MANAGE_HINT = "/subscriptions"


def _manage_line(tr: Translator) -> str:
    return "<i>" + tr.gettext("Your subscriptions: {command}").format(command=MANAGE_HINT) + "</i>"


def caravan_announcement(caravan: Caravan, tr: Translator) -> str:
    """🚌 New caravan to Sos (Khojavand district): the date and families/people."""
    _ = tr.gettext
    title = _("New caravan to {place}").format(place=escape(place_name(caravan.settlement, tr)))
    lines = [f"🚌 <b>{title}</b>", "📅 " + caravan_line(caravan, tr)]
    if caveat := caravan_caveat(caravan, tr):
        lines.append(caveat)
    lines += ["", _manage_line(tr)]
    return "\n".join(lines)


def caravan_reminder(caravan: Caravan, tr: Translator, today: dt.date) -> str:
    """⏰ The caravan to Sos is in 7 days / tomorrow / today, with its date and figures."""
    _ = tr.gettext
    place = escape(place_name(caravan.settlement, tr))
    days = (caravan.date - today).days if caravan.date else 0
    if days <= 0:
        text = _("Reminder: the caravan to {place} is today.").format(place=place)
    elif days == 1:
        text = _("Reminder: the caravan to {place} is tomorrow.").format(place=place)
    else:
        text = tr.ngettext(
            "Reminder: the caravan to {place} is in {n} day.",
            "Reminder: the caravan to {place} is in {n} days.",
            days,
        ).format(place=place, n=tr.number(days))
    lines = [f"⏰ <b>{text}</b>", "📅 " + caravan_line(caravan, tr), "", _manage_line(tr)]
    return "\n".join(lines)


def housing_change_alert(
    settlement: Settlement,
    changes: Sequence[tuple[str, int | None, int | None]],
    tr: Translator,
) -> str:
    """🏠 Housing figures updated: Sos — `Ready homes: 15 → 40`, one line per figure; one
    added or removed is said in words (`common.change_text`), never as `→ —`."""
    _ = tr.gettext
    title = _("Housing figures updated: {place}").format(place=escape(place_name(settlement, tr)))
    lines = [f"🏠 <b>{title}</b>"]
    for figure, before, after in changes:
        lines.append(change_text(figure_label(figure, tr), before, after, tr))
    lines += ["", _manage_line(tr)]
    return "\n".join(lines)


def caravan_changed(caravan: Caravan, before: Mapping[str, Any], tr: Translator) -> str:
    """✏️ The caravan to Sos has changed: what it was, what it is now."""
    _ = tr.gettext
    place = escape(place_name(caravan.settlement, tr))
    old = {k: dt.date.fromisoformat(v) if k == "date" and v else v for k, v in before.items()}
    lines = [
        "✏️ <b>" + _("The caravan to {place} has changed").format(place=place) + "</b>",
        _("Before: {values}").format(values=caravan_values_text(old, tr)),
        "📅 " + caravan_line(caravan, tr),
        "",
        _manage_line(tr),
    ]
    return "\n".join(lines)


def caravan_cancelled(settlement: Settlement, fields: Mapping[str, Any], tr: Translator) -> str:
    """❌ The caravan to Sos on 20 December is cancelled."""
    _ = tr.gettext
    place = escape(place_name(settlement, tr))
    date = fields.get("date")
    when = tr.date(dt.date.fromisoformat(date)) if date else _("date not published")
    lines = [
        "❌ <b>"
        + _("The caravan to {place} on {date} is cancelled.").format(place=place, date=when)
        + "</b>",
        families_people(fields.get("families"), fields.get("people"), tr),
        "",
        _manage_line(tr),
    ]
    return "\n".join(lines)
