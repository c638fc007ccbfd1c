"""/about: what the bot is, where its figures come from, the newest data date, the overall
totals over time with their sources, and the families returned per district (the caravans
listed, added up), in the reader's language."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from bot.domain.freshness import Freshness, Staleness
from bot.domain.returns import Returned, returned
from bot.i18n import Translator
from bot.views.common import (
    district_name,
    escape,
    families_people,
    localized,
    sentence,
    source_text,
)
from db.models import District, Region, Total


def about_text(
    regions: Iterable[Region],
    totals: Sequence[Total],
    newest: dt.date | None,
    tr: Translator,
    freshness: Freshness,
) -> str:
    """The whole /about text (HTML)."""
    _ = tr.gettext
    lines = [
        "ℹ️ <b>" + _("About this bot") + "</b>",
        "",
        _(
            "I gather what public reports say about families returning to the rebuilt towns "
            "and villages of Karabakh and East Zangezur: homes planned and ready, deadlines, "
            "caravans, and the overall numbers."
        ),
        "",
        "📰 "
        + _(
            "Where the figures come from: public news reports and official statements. Every "
            "figure is shown with its source and date; figures that sources dispute are "
            "marked ⚠️."
        ),
    ]
    if newest is not None:
        lines += ["", "🗓 " + newest_line(newest, tr, freshness)]
    if totals:
        lines += ["", "📊 <b>" + _("Returns overall, as reported") + "</b>"]
        lines += [total_entry(total, tr) for total in reversed(totals)]
    lines += returned_by_district(regions, tr, freshness.today)
    lines += ["", _("/help — how to use this bot")]
    return "\n".join(lines)


def newest_line(newest: dt.date, tr: Translator, freshness: Freshness) -> str:
    """`Newest data: March 14, 2026`, with how long ago when that is past the threshold."""
    _ = tr.gettext
    if freshness.staleness(newest) is Staleness.FRESH:
        return sentence(_("Newest data: {date}."), date=tr.date(newest))
    return _("Newest data: {date}, {age} ago: later news may be missing here.").format(
        date=tr.date(newest), age=tr.age(freshness.age(newest))
    )


def total_entry(total: Total, tr: Translator) -> str:
    """`• January 21, 2026: 6,633 families, 26,513 people, in 37 settlements`, its note and
    its source; ⚠️ when sources dispute it."""
    _ = tr.gettext
    figures = []
    if total.families is not None or total.people is not None:
        figures.append(families_people(total.families, total.people, tr))
    if total.settlements is not None:
        figures.append(
            tr.ngettext("in {n} settlement", "in {n} settlements", total.settlements).format(
                n=tr.number(total.settlements)
            )
        )
    line = f"• {tr.date(total.as_of)}: {', '.join(figures)}"
    if total.unsure:
        line += " ⚠️ " + _("Sources differ on these figures.")
    lines = [line]
    if note := localized(total.note, tr):
        lines.append(f"   <i>{escape(note)}</i>")
    lines.append(
        "   <i>" + _("Source: {source}").format(source=source_text(total.source, tr)) + "</i>"
    )
    return "\n".join(lines)


def returned_by_district(regions: Iterable[Region], tr: Translator, today: dt.date) -> list[str]:
    """Families returned per district and overall: the caravans listed here, added up."""
    _ = tr.gettext
    rows: list[tuple[District, Returned]] = []
    everything = []
    for region in regions:
        for district in region.districts:
            caravans = district.caravans
            everything += caravans
            summed = returned(caravans, today)
            if summed is not None and summed.counted:
                rows.append((district, summed))
    overall = returned(everything, today)
    if overall is None or not overall.counted:
        return []
    lines = ["", "👪 <b>" + _("Families returned, by district") + "</b>"]
    lines.append(
        "<i>"
        + _(
            "The caravans listed in this bot, added up; caravans without published figures are "
            "not counted, so the overall numbers above may differ."
        )
        + "</i>"
    )
    for district, summed in rows:
        figures = families_people(summed.families, summed.people, tr)
        lines.append(f"• {escape(district_name(district, tr))}: {figures}")
    lines.append(
        "<b>"
        + _("All districts: {figures}").format(
            figures=families_people(overall.families, overall.people, tr)
        )
        + "</b>"
    )
    return lines
