"""Browsing places: districts grouped by economic region, a district's settlements, and the
buttons to choose from when a search matches several places."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.domain.returns import returned
from bot.i18n import Translator
from bot.views import callbacks as cb
from bot.views.common import (
    Keyboard,
    button,
    button_rows,
    district_name,
    escape,
    families_people,
    kind_label,
    localized,
)
from db.models import District, Region, Settlement

# What a choice's button does: (settlement prefix, district prefix, icon) of `choices_keyboard`.
OPEN = (cb.SETTLEMENT, cb.DISTRICT, "")
CARAVANS = (cb.CARAVANS_SETTLEMENT, cb.CARAVANS_DISTRICT, "🚌 ")
CALENDAR = (cb.CALENDAR_SETTLEMENT, cb.CALENDAR_DISTRICT, "📅 ")
PROGRESS = (cb.PROGRESS_SETTLEMENT, cb.PROGRESS_DISTRICT, "📊 ")


def regions_view(
    regions: Iterable[Region], counts: dict[int, int], tr: Translator
) -> tuple[str, InlineKeyboardMarkup]:
    """Districts grouped by economic region, each with its number of settlements; the 📊 chart
    of every settlement."""
    _ = tr.gettext
    lines = ["🗺 <b>" + _("Districts") + "</b>", _("Choose a district:")]
    rows: list[list[InlineKeyboardButton]] = []
    for region in regions:
        rows.append([button(f"— {region.name(tr.lang)} —", cb.REGIONS)])
        buttons = [
            button(f"{d.name(tr.lang)} ({counts.get(d.id, 0)})", cb.DISTRICT, d.slug)
            for d in region.districts
        ]
        rows += button_rows(buttons, 2)
    rows.append([button("📊 " + _("Progress in every settlement"), cb.PROGRESS_ALL)])
    return "\n".join(lines), Keyboard(rows)


def district_view(
    district: District, tr: Translator, today: dt.date
) -> tuple[str, InlineKeyboardMarkup]:
    """A district's settlements as buttons, plus caravans, subscribe, the 📊 chart and back."""
    _ = tr.gettext
    title = escape(district_name(district, tr))
    lines = [f"📍 <b>{title}</b> · {escape(district.region.name(tr.lang))}"]
    note = localized(district.note, tr)
    if note:
        lines.append(f"<i>{escape(note)}</i>")
    lines += district_returned_lines(district, tr, today)
    if district.settlements:
        lines.append(_("Choose a settlement:"))
    else:
        lines.append(
            _("No resettlement data has been published yet for any settlement in this district.")
        )
    buttons = [button(s.name(tr.lang), cb.SETTLEMENT, s.slug) for s in district.settlements]
    rows = button_rows(buttons, 2)
    rows.append(
        [
            button("🚌 " + _("Caravans"), cb.CARAVANS_DISTRICT, district.slug),
            button("🔔 " + _("Subscribe"), cb.SUBSCRIBE_DISTRICT, district.slug),
        ]
    )
    if district.settlements:
        rows.append([button("📊 " + _("Progress chart"), cb.PROGRESS_DISTRICT, district.slug)])
    rows.append([button("⬅️ " + _("All districts"), cb.REGIONS)])
    return "\n".join(lines), Keyboard(rows)


def choice_label(settlement: Settlement, tr: Translator) -> str:
    """A settlement among others: `Sos · Xocavənd`, or, when it bears its district's name,
    its kind: `Xocavənd (şəhər)` beside `Xocavənd rayonu` (plain text, not escaped)."""
    name, district = settlement.name(tr.lang), settlement.district.name(tr.lang)
    if name == district:
        return f"{name} ({kind_label(settlement.kind, tr)})"
    return f"{name} · {district}"


def district_returned_lines(district: District, tr: Translator, today: dt.date) -> list[str]:
    """`👪 Returned so far: 423 families, 1,758 people (the caravans listed, added up)`."""
    summed = returned(district.caravans, today)
    if summed is None or not summed.counted:
        return []
    figures = families_people(summed.families, summed.people, tr)
    text = tr.gettext("Returned so far: {figures} (the caravans listed here, added up)")
    return ["👪 " + text.format(figures=f"<b>{figures}</b>")]


def choices_keyboard(
    settlements: Sequence[Settlement],
    districts: Sequence[District],
    tr: Translator,
    action: tuple[str, str, str] = OPEN,
) -> InlineKeyboardMarkup:
    """Buttons for an ambiguous search: settlements (`choice_label`), then districts; each
    opens the place, or with `action` CARAVANS or CALENDAR its caravans or calendar file."""
    settlement_prefix, district_prefix, icon = action
    buttons = [button(icon + choice_label(s, tr), settlement_prefix, s.slug) for s in settlements]
    buttons += [button(icon + district_name(d, tr), district_prefix, d.slug) for d in districts]
    buttons.append(button("🏘 " + tr.gettext("All districts"), cb.REGIONS))
    return Keyboard(button_rows(buttons, 1))
