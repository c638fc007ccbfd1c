"""Caravans in texts: one caravan's line, note and source, the caravan lists of /caravans,
and the 📅 button of a place's calendar file."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from telegram import InlineKeyboardButton

from bot.i18n import Translator
from bot.views.common import button, escape, families_people, localized, source_text
from db.models import Caravan


def caravan_line(caravan: Caravan, tr: Translator, *, with_place: bool = False) -> str:
    """`24 December 2025 — 24 families, 99 people` (with the settlement's name if asked)."""
    _ = tr.gettext
    when = tr.date(caravan.date) if caravan.date else _("date not published")
    what = families_people(caravan.families, caravan.people, tr)
    if with_place:
        what = f"{escape(caravan.settlement.name(tr.lang))}: {what}"
    line = f"{when} — {what}"
    if caravan.first:
        line += " · " + _("first return")
    if caravan.unsure:
        line += " ⚠️"
    return line


def caravan_note(caravan: Caravan, tr: Translator) -> str | None:
    """The caravan's note, or a warning that sources differ when it is marked unsure
    (plain text, not escaped)."""
    note = localized(caravan.note, tr)
    if caravan.unsure and not note:
        note = tr.gettext("Sources differ on these figures.")
    return note


def caravan_caveat(caravan: Caravan, tr: Translator) -> str | None:
    """The caravan's note (`caravan_note`) in italics."""
    note = caravan_note(caravan, tr)
    return f"<i>{escape(note)}</i>" if note else None


def caravan_details(caravan: Caravan, tr: Translator) -> str:
    """The caravan's line, then its caveat and its source, for lists."""
    lines = [caravan_line(caravan, tr)]
    if caveat := caravan_caveat(caravan, tr):
        lines.append(f"   {caveat}")
    source = escape(source_text(caravan.source, tr))
    lines.append("   " + tr.gettext("Source: {source}").format(source=source))
    return "\n".join(lines)


def caravan_values_text(values: Mapping[str, Any], tr: Translator) -> str:
    """`date: December 20, 2026; families: 12` for the fields an edit touches."""
    _ = tr.gettext
    labels = {"date": _("date"), "families": _("families"), "people": _("people")}
    parts = []
    for key, value in values.items():
        if isinstance(value, dt.date):
            shown = tr.date(value)
        elif isinstance(value, int):
            shown = tr.number(value)
        else:
            shown = "—"
        parts.append(f"{labels.get(key, key)}: {shown}")
    return "; ".join(parts)


def caravans_view(
    caravans: Sequence[Caravan],
    upcoming: bool,
    place: str | None,
    tr: Translator,
    newest: dt.date | None,
) -> str:
    """Upcoming caravans soonest first, or else the most recent ones newest first; with none
    upcoming, it says as of which date (`newest`, the newest date of the data) it knows that."""
    _ = tr.gettext
    if place is None:
        titles = (
            _("Upcoming caravans"),
            _("No upcoming caravan is scheduled. The most recent ones:"),
            _("No caravan has been reported yet."),
        )
        unknown = _("No upcoming caravan known as of {date}. The most recent ones:")
    else:
        titles = (
            _("Upcoming caravans: {place}"),
            _("No upcoming caravan is scheduled for {place}. The most recent ones:"),
            _("No caravan to {place} has been reported yet."),
        )
        unknown = _("No upcoming caravan to {place} known as of {date}. The most recent ones:")
    choice = 0 if upcoming else 1 if caravans else 2
    title = titles[choice] if choice != 1 or newest is None else unknown
    title = title.format(place=escape(place or ""), date=tr.date(newest) if newest else "")
    if not caravans:
        return f"🚌 {title}"
    single_place = len({c.settlement_id for c in caravans}) == 1 and place is not None
    lines = [f"🚌 <b>{title}</b>", ""]
    for caravan in caravans:
        if single_place:
            lines.append("• " + caravan_details(caravan, tr))
        else:
            lines.append("• " + caravan_line(caravan, tr, with_place=True))
    return "\n".join(lines)


def calendar_button(
    prefix: str, slug: str, tr: Translator, label: str | None = None
) -> InlineKeyboardButton:
    """📅 Add to calendar (or 📅 `label`): an .ics file of the place's upcoming caravans."""
    return button("📅 " + (label or tr.gettext("Add to calendar")), prefix, slug)
