"""`.ics` files (RFC 5545, via the icalendar library) of a place's upcoming caravans.

Each caravan is an all-day event on its date. Sources publish a day, never an hour, so a
timed event (say 09:00 Asia/Baku) would invent a time and, on a phone set to another time
zone, could even land on the previous or next day; an all-day event shows on the Baku date
everywhere. X-WR-TIMEZONE still tells calendar apps the events belong to Asia/Baku.

Each event's UID is derived from the caravan's database id, which imports keep for an
existing caravan: importing an updated file again updates the events instead of
duplicating them.

Named `calendar_file` so that it does not shadow the standard library's `calendar`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from bot.i18n import Translator
from bot.views.caravans import caravan_note
from bot.views.common import district_name, families_people, source_text
from db.models import Caravan

PRODID = "-//returnbot//Caravans//EN"
TIMEZONE = "Asia/Baku"
UID_DOMAIN = "returnbot"


def caravan_uid(caravan: Caravan) -> str:
    """The same for a caravan in every file, so a re-import updates the event."""
    return f"caravan-{caravan.id}@{UID_DOMAIN}"


def caravan_title(caravan: Caravan, tr: Translator) -> str:
    """`Caravan to Sos: 12 families` in the reader's language (plain text)."""
    place = caravan.settlement.name(tr.lang)
    if caravan.families is None:
        return tr.gettext("Caravan to {place}").format(place=place)
    return tr.ngettext(
        "Caravan to {place}: {n} family", "Caravan to {place}: {n} families", caravan.families
    ).format(place=place, n=tr.number(caravan.families))


def caravan_description(caravan: Caravan, tr: Translator, link: str | None) -> str:
    """Families and people, the note, the source (and where to follow it in the bot)."""
    lines = [families_people(caravan.families, caravan.people, tr)]
    if note := caravan_note(caravan, tr):
        lines.append(note)
    lines.append(tr.gettext("Source: {source}").format(source=source_text(caravan.source, tr)))
    if link:
        lines.append(link)
    return "\n".join(lines)


def caravans_calendar(
    caravans: Sequence[Caravan],
    tr: Translator,
    *,
    name: str,
    now: dt.datetime,
    link: str | None = None,
) -> bytes:
    """An .ics file with one all-day event per dated caravan (settlements and districts
    loaded); `name` titles the calendar, `link` (the bot's deep link) goes in each event."""
    from icalendar import Calendar, Event  # imported on first use: it takes a while

    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", TIMEZONE)
    stamp = now.astimezone(dt.UTC).replace(microsecond=0)
    for caravan in caravans:
        if caravan.date is None:
            continue
        settlement = caravan.settlement
        event = Event()
        event.add("uid", caravan_uid(caravan))
        event.add("dtstamp", stamp)
        event.add("dtstart", caravan.date)
        event.add("dtend", caravan.date + dt.timedelta(days=1))
        event.add("transp", "TRANSPARENT")  # a day to remember, not a busy day
        event.add("summary", caravan_title(caravan, tr))
        event.add("description", caravan_description(caravan, tr, link))
        event.add(
            "location",
            f"{settlement.name(tr.lang)}, {district_name(settlement.district, tr)}",
        )
        if settlement.latitude is not None and settlement.longitude is not None:
            event.add("geo", (settlement.latitude, settlement.longitude))
        if link:
            event.add("url", link)
        calendar.add_component(event)
    return calendar.to_ical()


def file_name(slug: str) -> str:
    """`caravans-sos.ics`"""
    return f"caravans-{slug}.ics"
