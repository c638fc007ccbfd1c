"""Message composition: texts (HTML) and inline keyboards, from data and a Translator.

Pure functions, no I/O. Everything that came from the dataset or a user is escaped here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from functools import partial
from html import escape as _html_escape
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.domain.housing import build_schedule, progress_bar, split_caravans
from bot.i18n import Translator
from bot.views import callbacks as cb
from db.models import (
    Caravan,
    District,
    HousingReport,
    Region,
    Settlement,
    Subscription,
    Total,
)

escape = partial(_html_escape, quote=False)  # text nodes only; no attribute values here


class Keyboard(InlineKeyboardMarkup):
    """An inline keyboard that makes its JSON form once: PTB converts a keyboard to a dict
    on every send, and a composed card (`bot.places.Places.view`) is sent again and again.
    Like every PTB object it cannot be changed after it is made; never change the dict."""

    __slots__ = ("_as_dict",)

    def to_dict(self, recursive: bool = True) -> dict[str, Any]:
        if not recursive:
            return super().to_dict(recursive)
        try:
            return self._as_dict
        except AttributeError:
            self._as_dict: dict[str, Any] = super().to_dict()
            return self._as_dict


LANGUAGE_NAMES = {"az": "Azərbaycanca", "en": "English", "ru": "Русский"}


def _button(text: str, prefix: str, argument: str = "") -> InlineKeyboardButton:
    return InlineKeyboardButton(text, callback_data=cb.make(prefix, argument))


def _rows(buttons: Sequence[InlineKeyboardButton], width: int) -> list[list[InlineKeyboardButton]]:
    return [list(buttons[i : i + width]) for i in range(len(buttons))[::width]]


def localized(note: dict[str, str] | None, tr: Translator) -> str | None:
    return note.get(tr.lang) or note.get("en") if note else None


def kind_label(kind: str, tr: Translator) -> str:
    _ = tr.gettext
    labels = {
        "village": _("village"),
        "township": _("township"),
        "city": _("city"),
        "district": _("district"),
    }
    return labels.get(kind, kind)


def families_people(families: int | None, people: int | None, tr: Translator) -> str:
    """`24 families, 99 people` with the language's plural forms."""
    ngettext = tr.ngettext
    parts = []
    if families is not None:
        parts.append(ngettext("{n} family", "{n} families", families).format(n=tr.number(families)))
    if people is not None:
        parts.append(ngettext("{n} person", "{n} people", people).format(n=tr.number(people)))
    return ", ".join(parts) or tr.gettext("figures not published")


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


def caravan_caveat(caravan: Caravan, tr: Translator) -> str | None:
    """The caravan's note, or a warning that sources differ when it is marked unsure."""
    note = localized(caravan.note, tr)
    if caravan.unsure and not note:
        note = tr.gettext("Sources differ on these figures.")
    return f"<i>{escape(note)}</i>" if note else None


def caravan_details(caravan: Caravan, tr: Translator) -> str:
    """The caravan's line, then its caveat and its source, for lists."""
    lines = [caravan_line(caravan, tr)]
    if caveat := caravan_caveat(caravan, tr):
        lines.append(f"   {caveat}")
    lines.append("   " + tr.gettext("Source: {source}").format(source=escape(caravan.source)))
    return "\n".join(lines)


def _current_report(settlement: Settlement) -> HousingReport | None:
    with_figures = [h for h in settlement.housing if h.homes_total is not None or h.ready]
    return max(with_figures or settlement.housing, key=lambda h: h.as_of, default=None)


def _as_of(report: HousingReport, tr: Translator) -> str:
    return tr.month(report.as_of) if report.month_only else tr.date(report.as_of)


def housing_lines(report: HousingReport | None, tr: Translator, today: dt.date) -> list[str]:
    """Homes planned / ready / due by each deadline, a progress bar, and the source."""
    _, number = tr.gettext, tr.number
    if report is None:
        return ["🏠 " + _("No published schedule yet.")]
    schedule = build_schedule(
        report.homes_total, report.ready, [(d.due_by, d.homes) for d in report.deadlines], today
    )
    lines = []
    if schedule.planned is not None:
        lines.append("🏠 " + _("Homes planned: {n}").format(n=f"<b>{number(schedule.planned)}</b>"))
    if schedule.ready is not None:
        lines.append("✅ " + _("Ready: {n}").format(n=f"<b>{number(schedule.ready)}</b>"))
    for step in schedule.milestones:
        text = (
            _("Was due by {date}: +{n} (total {total})")
            if step.passed
            else _("Due by {date}: +{n} (total {total})")
        )
        lines.append(
            ("⌛ " if step.passed else "⏳ ")
            + text.format(
                date=tr.date(step.due_by),
                n=f"<b>{number(step.homes)}</b>",
                total=number(step.cumulative),
            )
        )
    if schedule.unscheduled and schedule.milestones:
        lines.append("❔ " + _("No published date: {n}").format(n=number(schedule.unscheduled)))
    if report.built is not None:
        lines.append("🏗 " + _("Homes built: {n}").format(n=f"<b>{number(report.built)}</b>"))
    if report.under_construction is not None:
        lines.append(
            "🚧 " + _("Under construction: {n}").format(n=number(report.under_construction))
        )
    if schedule.progress is not None:
        lines.append(
            _("{bar} {percent} ready").format(
                bar=progress_bar(schedule.progress),
                percent=f"{round(schedule.progress * 100)}%",
            )
        )
    if not lines:
        lines.append("🏠 " + _("No published schedule yet."))
    note = localized(report.note, tr)
    if note:
        lines.append(f"<i>{escape(note)}</i>")
    if report.unsure:
        lines.append("⚠️ " + _("Sources differ on these figures."))
    lines.append(
        "<i>"
        + _("Figures as of {date}; source: {source}").format(
            date=_as_of(report, tr), source=escape(report.source)
        )
        + "</i>"
    )
    return lines


def place_line(settlement: Settlement, tr: Translator) -> str:
    """`village · Khojavand district · Karabakh`"""
    district = settlement.district
    return " · ".join(
        [
            kind_label(settlement.kind, tr),
            tr.gettext("{name} district").format(name=escape(district.name(tr.lang)))
            if district.kind == "district"
            else escape(district.name(tr.lang)),
            escape(district.region.name(tr.lang)),
        ]
    )


def settlement_card(settlement: Settlement, tr: Translator, today: dt.date) -> str:
    """Everything a family wants to know about one settlement."""
    _ = tr.gettext
    lines = [f"🏘 <b>{escape(settlement.name(tr.lang))}</b>", place_line(settlement, tr), ""]
    lines += housing_lines(_current_report(settlement), tr, today)
    lines.append("")
    upcoming, past = split_caravans(settlement.caravans, today)
    if past:
        lines.append(
            "🚌 " + _("Latest caravan: {caravan}").format(caravan=caravan_line(past[0], tr))
        )
        if caveat := caravan_caveat(past[0], tr):
            lines.append(f"   {caveat}")
    else:
        lines.append("🚌 " + _("No caravan reported yet."))
    if upcoming:
        lines.append(
            "📅 " + _("Next caravan: {caravan}").format(caravan=caravan_line(upcoming[0], tr))
        )
    else:
        lines.append("📅 " + _("Next caravan: no published date yet."))
    note = localized(settlement.note, tr)
    if note:
        lines += ["", f"ℹ️ {escape(note)}"]
    return "\n".join(lines)


def settlement_keyboard(settlement: Settlement, tr: Translator) -> InlineKeyboardMarkup:
    _ = tr.gettext
    rows = [
        [
            _button("🚌 " + _("Caravans"), cb.CARAVANS_SETTLEMENT, settlement.slug),
            _button("🔔 " + _("Subscribe"), cb.SUBSCRIBE_SETTLEMENT, settlement.slug),
        ]
    ]
    reach = [calendar_button(cb.CALENDAR_SETTLEMENT, settlement.slug, tr)]
    if settlement.latitude is not None and settlement.longitude is not None:
        reach.append(_button("📍 " + _("Location"), cb.LOCATION, settlement.slug))
    rows += [reach, [share_button(settlement.name(tr.lang), tr)]]
    rows.append(
        [_button("⬅️ " + settlement.district.name(tr.lang), cb.DISTRICT, settlement.district.slug)]
    )
    return Keyboard(rows)


def calendar_button(
    prefix: str, slug: str, tr: Translator, label: str | None = None
) -> InlineKeyboardButton:
    """📅 Add to calendar (or 📅 `label`): an .ics file of the place's upcoming caravans."""
    return _button("📅 " + (label or tr.gettext("Add to calendar")), prefix, slug)


def share_button(name: str, tr: Translator) -> InlineKeyboardButton:
    """📤 Share: the user picks a chat, where inline mode offers this place's card."""
    return InlineKeyboardButton("📤 " + tr.gettext("Share"), switch_inline_query=name)


def regions_view(
    regions: Iterable[Region], counts: dict[int, int], tr: Translator
) -> tuple[str, InlineKeyboardMarkup]:
    """Districts grouped by economic region, each with its number of settlements."""
    _ = tr.gettext
    lines = ["🗺 <b>" + _("Districts") + "</b>", _("Choose a district:")]
    rows: list[list[InlineKeyboardButton]] = []
    for region in regions:
        rows.append([_button(f"— {region.name(tr.lang)} —", cb.REGIONS)])
        buttons = [
            _button(f"{d.name(tr.lang)} ({counts.get(d.id, 0)})", cb.DISTRICT, d.slug)
            for d in region.districts
        ]
        rows += _rows(buttons, 2)
    return "\n".join(lines), Keyboard(rows)


def district_view(district: District, tr: Translator) -> tuple[str, InlineKeyboardMarkup]:
    """A district's settlements as buttons, plus caravans, subscribe and back."""
    _ = tr.gettext
    title = (
        _("{name} district").format(name=escape(district.name(tr.lang)))
        if district.kind == "district"
        else escape(district.name(tr.lang))
    )
    lines = [f"📍 <b>{title}</b> · {escape(district.region.name(tr.lang))}"]
    note = localized(district.note, tr)
    if note:
        lines.append(f"<i>{escape(note)}</i>")
    if district.settlements:
        lines.append(_("Choose a settlement:"))
    else:
        lines.append(
            _("No resettlement data has been published yet for any settlement in this district.")
        )
    buttons = [_button(s.name(tr.lang), cb.SETTLEMENT, s.slug) for s in district.settlements]
    rows = _rows(buttons, 2)
    rows.append(
        [
            _button("🚌 " + _("Caravans"), cb.CARAVANS_DISTRICT, district.slug),
            _button("🔔 " + _("Subscribe"), cb.SUBSCRIBE_DISTRICT, district.slug),
        ]
    )
    rows.append([_button("⬅️ " + _("All districts"), cb.REGIONS)])
    return "\n".join(lines), Keyboard(rows)


def caravans_view(
    caravans: Sequence[Caravan], upcoming: bool, place: str | None, tr: Translator
) -> str:
    """Upcoming caravans soonest first, or else the most recent ones newest first."""
    _ = tr.gettext
    if place is None:
        titles = (
            _("Upcoming caravans"),
            _("No upcoming caravan is scheduled. The most recent ones:"),
            _("No caravan has been reported yet."),
        )
    else:
        titles = (
            _("Upcoming caravans: {place}"),
            _("No upcoming caravan is scheduled for {place}. The most recent ones:"),
            _("No caravan to {place} has been reported yet."),
        )
    title = titles[0 if upcoming else 1 if caravans else 2].format(place=escape(place or ""))
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


def main_menu(tr: Translator) -> InlineKeyboardMarkup:
    _ = tr.gettext
    return Keyboard(
        [
            [
                _button("🏘 " + _("Settlements"), cb.MENU, "settlements"),
                _button("🚌 " + _("Caravans"), cb.MENU, "caravans"),
            ],
            [
                _button("🔔 " + _("Subscriptions"), cb.MENU, "subscriptions"),
                _button("🌐 " + _("Language"), cb.MENU, "language"),
            ],
            [_button("❓ " + _("Help"), cb.MENU, "help")],
        ]
    )


def language_keyboard(current: str) -> InlineKeyboardMarkup:
    """One button per language, in its own name; the current one is ticked."""
    return Keyboard(
        [
            [
                _button(("✓ " if code == current else "") + name, cb.LANGUAGE, code)
                for code, name in LANGUAGE_NAMES.items()
            ]
        ]
    )


def choices_keyboard(
    settlements: Sequence[Settlement], districts: Sequence[District], tr: Translator
) -> InlineKeyboardMarkup:
    """Buttons for an ambiguous search: settlements with their district, then districts."""
    _ = tr.gettext
    buttons = [
        _button(f"{s.name(tr.lang)} · {s.district.name(tr.lang)}", cb.SETTLEMENT, s.slug)
        for s in settlements
    ]
    buttons += [
        _button(
            _("{name} district").format(name=d.name(tr.lang))
            if d.kind == "district"
            else d.name(tr.lang),
            cb.DISTRICT,
            d.slug,
        )
        for d in districts
    ]
    buttons.append(_button("🏘 " + _("All districts"), cb.REGIONS))
    return Keyboard(_rows(buttons, 1))


def total_line(total: Total | None, tr: Translator) -> str:
    """The latest national total with its source, for /help."""
    _ = tr.gettext
    if total is None:
        return ""
    parts = families_people(total.families, total.people, tr)
    text = _("By {date}, {figures} have returned to the liberated territories.").format(
        date=tr.date(total.as_of), figures=parts
    )
    if total.settlements:
        text += " " + tr.ngettext(
            "They live in {n} settlement.", "They live in {n} settlements.", total.settlements
        ).format(n=tr.number(total.settlements))
    if total.unsure:
        text += "\n⚠️ " + _("Sources differ on these figures.")
    return f"{text}\n<i>" + _("Source: {source}").format(source=escape(total.source)) + "</i>"


# ------------------------------------------------------------------ subscriptions and notices

MANAGE_HINT = "/subscriptions"


def district_name(district: District, tr: Translator) -> str:
    """`Khojavand district`, or the city's name (plain text, not escaped)."""
    name = district.name(tr.lang)
    return tr.gettext("{name} district").format(name=name) if district.kind == "district" else name


def place_name(settlement: Settlement, tr: Translator) -> str:
    """`Sos (Khojavand district)` (plain text, not escaped)."""
    return tr.gettext("{place} ({district})").format(
        place=settlement.name(tr.lang), district=district_name(settlement.district, tr)
    )


def subscription_name(subscription: Subscription, tr: Translator) -> str:
    """What a subscription follows, in the reader's language (plain text, not escaped)."""
    if subscription.settlement is not None:
        return place_name(subscription.settlement, tr)
    if subscription.district is not None:
        return district_name(subscription.district, tr)
    return tr.gettext("all settlements")


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


def figure_label(figure: str, tr: Translator) -> str:
    """The name of a housing figure of `db.outbox.housing_figures`."""
    _ = tr.gettext
    if figure.startswith("due:"):
        return _("Due by {date}").format(date=tr.date(dt.date.fromisoformat(figure[4:])))
    labels = {
        "homes_total": _("Homes planned"),
        "ready": _("Ready homes"),
        "built": _("Homes built"),
        "under_construction": _("Under construction"),
    }
    return labels.get(figure, figure)


def housing_change_alert(
    settlement: Settlement,
    changes: Sequence[tuple[str, int | None, int | None]],
    tr: Translator,
) -> str:
    """🏠 Housing figures updated: Sos — `Ready homes: 15 → 40`, one line per figure."""
    _ = tr.gettext

    def value(n: int | None) -> str:
        return tr.number(n) if n is not None else "—"

    title = _("Housing figures updated: {place}").format(place=escape(place_name(settlement, tr)))
    lines = [f"🏠 <b>{title}</b>"]
    for figure, before, after in changes:
        lines.append(f"{figure_label(figure, tr)}: {value(before)} → <b>{value(after)}</b>")
    lines += ["", _manage_line(tr)]
    return "\n".join(lines)


def subscriptions_view(
    subscriptions: Sequence[Subscription], tr: Translator
) -> tuple[str, InlineKeyboardMarkup | None]:
    """The user's subscriptions, each with a ❌ button that cancels it."""
    _ = tr.gettext
    if not subscriptions:
        text = "🔔 " + _(
            "You have no subscriptions yet. Send /subscribe with a settlement or district, "
            "for example <code>/subscribe Sos</code>, or <code>/subscribe all</code> for every "
            "caravan. The 🔔 button on a settlement's card does the same."
        )
        return text, None
    lines = ["🔔 <b>" + _("Your subscriptions") + "</b>", ""]
    lines += [f"• {escape(subscription_name(s, tr))}" for s in subscriptions]
    lines += [
        "",
        _(
            "You get new caravans, reminders 7 days and 1 day before, and changes in housing "
            "figures. Press ❌ to unsubscribe."
        ),
    ]
    buttons = [
        _button("❌ " + subscription_name(s, tr), cb.UNSUBSCRIBE, str(s.id)) for s in subscriptions
    ]
    return "\n".join(lines), Keyboard(_rows(buttons, 1))


def subscribe_choices_keyboard(
    settlements: Sequence[Settlement], districts: Sequence[District], tr: Translator
) -> InlineKeyboardMarkup:
    """For an ambiguous /subscribe: one 🔔 button per candidate place."""
    buttons = [
        _button("🔔 " + place_name(s, tr), cb.SUBSCRIBE_SETTLEMENT, s.slug) for s in settlements
    ]
    buttons += [
        _button("🔔 " + district_name(d, tr), cb.SUBSCRIBE_DISTRICT, d.slug) for d in districts
    ]
    return Keyboard(_rows(buttons, 1))


def forget_keyboard(tr: Translator) -> InlineKeyboardMarkup:
    """/forget: confirm (✅, as everywhere) or cancel."""
    _ = tr.gettext
    return Keyboard(
        [
            [
                _button("✅ " + _("Yes, delete my data"), cb.FORGET, "yes"),
                _button("↩️ " + _("Cancel"), cb.FORGET, "no"),
            ]
        ]
    )
