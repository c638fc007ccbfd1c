"""The settlement card: where the place is, its homes planned / ready / due by each deadline
with a progress bar and the source, its latest and next caravan; and the card's buttons."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.domain.freshness import Freshness, Staleness
from bot.domain.housing import build_schedule, progress_bar, split_caravans
from bot.domain.returns import latest_running_total, returned
from bot.i18n import Translator
from bot.views import callbacks as cb
from bot.views.caravans import calendar_button, caravan_caveat, caravan_line
from bot.views.common import (
    Keyboard,
    button,
    district_name,
    escape,
    families_people,
    kind_label,
    localized,
    reported_by,
    source_text,
)
from db.models import Caravan, HousingReport, Settlement


def _as_of(report: HousingReport, tr: Translator) -> str:
    return tr.month(report.as_of) if report.month_only else tr.date(report.as_of)


def housing_lines(report: HousingReport | None, tr: Translator, freshness: Freshness) -> list[str]:
    """Homes planned / ready / due by each deadline, a progress bar, the source, and how old
    the figures are when they are older than the threshold."""
    _, number = tr.gettext, tr.number
    if report is None:
        return ["🏠 " + _("No published schedule yet.")]
    deadlines = [(d.due_by, d.homes) for d in report.deadlines]
    schedule = build_schedule(
        report.homes_total, report.ready, deadlines, freshness.today, as_of=report.as_of
    )
    lines = []
    if schedule.planned is not None:
        lines.append("🏠 " + _("Homes planned: {n}").format(n=f"<b>{number(schedule.planned)}</b>"))
    if schedule.ready is not None:
        lines.append("✅ " + _("Ready: {n}").format(n=f"<b>{number(schedule.ready)}</b>"))
    for step in schedule.milestones:
        if step.history:  # passed before these figures: kept, not counted again
            lines.append(
                "⌛ "
                + _("Was due by {date}: {n} (earlier figures)").format(
                    date=tr.date(step.due_by), n=number(step.homes)
                )
            )
            continue
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
        + _("Figures as of {date}; reported by {source}").format(
            date=_as_of(report, tr), source=source_text(report.source, tr)
        )
        + "</i>"
    )
    if age := age_warning(report.as_of, tr, freshness):
        lines.append(age)
    return lines


def age_warning(as_of: dt.date, tr: Translator, freshness: Freshness) -> str | None:
    """`⚠️ These figures are 15 months old and may have changed.` for figures older than the
    threshold (more strongly past a year); None for fresh ones."""
    _ = tr.gettext
    staleness = freshness.staleness(as_of)
    if staleness is Staleness.FRESH:
        return None
    age = tr.age(freshness.age(as_of))
    if staleness is Staleness.STALE:
        return "⚠️ " + _("These figures are {age} old and may have changed.").format(age=age)
    return "⚠️ " + _(
        "These figures are {age} old: they have probably changed. Check the latest news "
        "before relying on them."
    ).format(age=age)


def returned_lines(caravans: Sequence[Caravan], tr: Translator, today: dt.date) -> list[str]:
    """`👪 Returned so far: 85 families, 360 people` (the caravans listed, summed), and the
    latest running total a source reported; where the two disagree, both, never averaged."""
    _ = tr.gettext
    summed = returned(caravans, today)
    if summed is None or (summed.counted == 0 and summed.unpublished == 0):
        return []
    lines = []
    if summed.counted:
        figures = families_people(summed.families, summed.people, tr)
        lines.append(
            "👪 "
            + tr.ngettext(
                "Returned so far: {figures} ({n} caravan listed here)",
                "Returned so far: {figures} (the {n} caravans listed here, added up)",
                summed.counted,
            ).format(figures=f"<b>{figures}</b>", n=tr.number(summed.counted))
        )
    if summed.unpublished:
        lines.append(
            ("   " if lines else "👪 ")
            + tr.ngettext(
                "{n} caravan without published figures is not counted.",
                "{n} caravans without published figures are not counted.",
                summed.unpublished,
            ).format(n=tr.number(summed.unpublished))
        )
    total = latest_running_total(caravans, today)
    if total is not None:
        lines.append(
            "   "
            + _(
                "Latest running total a source reported: {figures} ({date}; source: {source})"
            ).format(
                figures=families_people(total.families, total.people, tr),
                date=tr.date(total.date),
                source=f"<i>{source_text(total.source, tr)}</i>",
            )
        )
        if not total.agrees:
            lines.append(
                "   ⚠️ "
                + _(
                    "The caravans listed up to that date add up to {figures}: sources differ."
                ).format(figures=families_people(total.caravans_families, None, tr))
            )
    return lines


def place_line(settlement: Settlement, tr: Translator) -> str:
    """`village · Khojavand district · Karabakh`"""
    district = settlement.district
    return " · ".join(
        [
            kind_label(settlement.kind, tr),
            escape(district_name(district, tr)),
            escape(district.region.name(tr.lang)),
        ]
    )


def settlement_card(settlement: Settlement, tr: Translator, freshness: Freshness) -> str:
    """Everything a family wants to know about one settlement."""
    _, today = tr.gettext, freshness.today
    lines = [f"🏘 <b>{escape(settlement.name(tr.lang))}</b>", place_line(settlement, tr), ""]
    lines += housing_lines(settlement.current_report, tr, freshness)
    lines += returned_lines(settlement.caravans, tr, today)
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
        lines.append("   <i>" + reported_by(upcoming[0].source, tr) + "</i>")
    else:
        lines.append("📅 " + _("Next caravan: no published date yet."))
    note = localized(settlement.note, tr)
    if note:
        lines += ["", f"ℹ️ {escape(note)}"]
    return "\n".join(lines)


def settlement_keyboard(settlement: Settlement, tr: Translator) -> InlineKeyboardMarkup:
    """Caravans and 🔔 subscribe; the calendar file and the location; the 📊 chart and share;
    "this looks out of date" (a report to the admins); back."""
    _ = tr.gettext
    rows = [
        [
            button("🚌 " + _("Caravans"), cb.CARAVANS_SETTLEMENT, settlement.slug),
            button("🔔 " + _("Subscribe"), cb.SUBSCRIBE_SETTLEMENT, settlement.slug),
        ]
    ]
    reach = [calendar_button(cb.CALENDAR_SETTLEMENT, settlement.slug, tr)]
    if settlement.latitude is not None and settlement.longitude is not None:
        reach.append(button("📍 " + _("Location"), cb.LOCATION, settlement.slug))
    last = [share_button(settlement.name(tr.lang), tr)]
    if settlement.housing or settlement.caravans:  # something to draw
        last.insert(0, button("📊 " + _("Progress chart"), cb.PROGRESS_SETTLEMENT, settlement.slug))
    rows += [reach, last]
    rows.append([button("⚠️ " + _("This looks out of date"), cb.REPORT, settlement.slug)])
    rows.append(
        [button("⬅️ " + settlement.district.name(tr.lang), cb.DISTRICT, settlement.district.slug)]
    )
    return Keyboard(rows)


def share_button(name: str, tr: Translator) -> InlineKeyboardButton:
    """📤 Share: the user picks a chat, where inline mode offers this place's card."""
    return InlineKeyboardButton("📤 " + tr.gettext("Share"), switch_inline_query=name)
