"""The 📊 chart's message: its caption (the chart's main figures in words, for whoever
cannot see the picture) and its button back; and what is said when there is nothing to draw."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from telegram import InlineKeyboardMarkup

from bot.domain import progress
from bot.domain.freshness import Freshness
from bot.i18n import Translator
from bot.views import callbacks as cb
from bot.views.common import Keyboard, button, district_name, escape
from bot.views.settlement import age_warning
from db.models import District, Settlement


def has_figures(settlements: Sequence[Settlement], today: dt.date) -> bool:
    """Whether a chart of these settlements would show anything."""
    return bool(progress.rows(settlements, today))


def figures_line(settlements: Sequence[Settlement], tr: Translator, today: dt.date) -> str:
    """`✅ 10 of 259 homes ready (4%) · 👪 85 families returned`"""
    rows = progress.rows(settlements, today)
    ready = sum(r.ready or 0 for r in rows if r.planned)
    planned = sum(r.planned or 0 for r in rows if r.ready is not None)
    families = sum(r.families for r in rows)
    parts = []
    if not planned and any(r.ready for r in rows):  # homes ready, none planned published
        alone = sum(r.ready or 0 for r in rows)
        parts.append(
            "✅ "
            + tr.ngettext("{n} home ready", "{n} homes ready", alone).format(n=tr.number(alone))
        )
    if planned:
        parts.append(
            "✅ "
            + tr.gettext("{ready} of {planned} homes ready ({percent})").format(
                ready=tr.number(ready),
                planned=tr.number(planned),
                percent=f"{round(min(ready / planned, 1) * 100)}%",
            )
        )
    parts.append(
        "👪 "
        + tr.ngettext("{n} family returned", "{n} families returned", families).format(
            n=tr.number(families)
        )
    )
    return " · ".join(parts)


def settlement_caption(settlement: Settlement, tr: Translator, freshness: Freshness) -> str:
    lines = [
        f"📊 <b>{escape(settlement.name(tr.lang))}</b> · "
        + escape(district_name(settlement.district, tr)),
        figures_line([settlement], tr, freshness.today),
    ]
    report = settlement.current_report
    if report is not None and (age := age_warning(report.as_of, tr, freshness)):
        lines.append(age)
    return "\n".join(lines)


def district_caption(district: District, tr: Translator, today: dt.date) -> str:
    return "\n".join(
        [
            f"📊 <b>{escape(district_name(district, tr))}</b>",
            figures_line(district.settlements, tr, today),
        ]
    )


def overall_caption(settlements: Sequence[Settlement], tr: Translator, today: dt.date) -> str:
    return "\n".join(
        [
            "📊 <b>" + escape(tr.gettext("Progress in every settlement")) + "</b>",
            figures_line(settlements, tr, today),
        ]
    )


def chart_keyboard(place: Settlement | District | None, tr: Translator) -> InlineKeyboardMarkup:
    """Back to the place the chart is of (every district for the overall chart)."""
    if isinstance(place, Settlement):
        return Keyboard([[button("⬅️ " + place.name(tr.lang), cb.SETTLEMENT, place.slug)]])
    if isinstance(place, District):
        return Keyboard([[button("⬅️ " + district_name(place, tr), cb.DISTRICT, place.slug)]])
    return Keyboard([[button("🏘 " + tr.gettext("All districts"), cb.REGIONS)]])


def nothing_to_draw(name: str, tr: Translator) -> str:
    return "📊 " + tr.gettext(
        "No figures about {place} have been published yet, so there is no chart to draw. "
        "Subscribe with 🔔 to hear when there are."
    ).format(place=escape(name))
