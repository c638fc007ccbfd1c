"""/caravans [place]: upcoming caravans first; when none are upcoming, the most recent ones."""

from __future__ import annotations

import datetime as dt

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot.context import BotContext
from bot.i18n import Translator
from bot.views import callbacks as cb
from bot.views.caravans import calendar_button, caravans_view
from bot.views.common import Keyboard
from db.snapshot import PlaceData
from handlers.common import find_place, place_query, show, show_search_outcome

LIMIT = 12


async def show_caravans_for(
    update: Update, context: BotContext, settlement_slug: str | None, district_slug: str | None
) -> None:
    """The caravans of one settlement, one district, or everywhere."""
    tr, today = context.tr, context.today
    places = await context.places()
    text, markup = places.view(
        ("caravans", settlement_slug, district_slug, tr.lang, today),
        lambda: _caravans_view(places.data, settlement_slug, district_slug, tr, today),
    )
    await show(update, context, text, markup)


def _caravans_view(
    data: PlaceData,
    settlement_slug: str | None,
    district_slug: str | None,
    tr: Translator,
    today: dt.date,
) -> tuple[str, InlineKeyboardMarkup]:
    upcoming, caravans = data.upcoming_or_recent_caravans(
        today, limit=LIMIT, settlement_slug=settlement_slug, district_slug=district_slug
    )
    place = back = None
    if settlement_slug and (settlement := data.settlement(settlement_slug)):
        place = settlement.name(tr.lang)
        back = InlineKeyboardButton(
            "⬅️ " + place, callback_data=cb.make(cb.SETTLEMENT, settlement_slug)
        )
    elif district_slug and (district := data.district(district_slug)):
        place = district.name(tr.lang)
        back = InlineKeyboardButton("⬅️ " + place, callback_data=cb.make(cb.DISTRICT, district_slug))
    if back is None:
        back = InlineKeyboardButton(
            "🏘 " + tr.gettext("All districts"), callback_data=cb.make(cb.REGIONS)
        )
    rows = [[back]]
    if upcoming and place is not None:  # 📅 only where there is something to add
        prefix = cb.CALENDAR_SETTLEMENT if settlement_slug else cb.CALENDAR_DISTRICT
        rows.insert(0, [calendar_button(prefix, settlement_slug or district_slug, tr)])
    return caravans_view(caravans, upcoming, place, tr), Keyboard(rows)


async def caravans(update: Update, context: BotContext) -> None:
    """/caravans [settlement|district]"""
    if not context.args:
        await show_caravans_for(update, context, None, None)
        return
    text = place_query(" ".join(context.args))
    found = await find_place(context, text)
    if found.settlement is not None:
        await show_caravans_for(update, context, found.settlement.slug, None)
    elif found.district is not None:
        await show_caravans_for(update, context, None, found.district.slug)
    else:
        await show_search_outcome(update, context, text, found)


async def open_caravans(update: Update, context: BotContext) -> None:
    """🚌 on a settlement card or a district list."""
    await update.callback_query.answer()
    prefix, slug = cb.parse(update.callback_query.data)
    if prefix == cb.CARAVANS_SETTLEMENT:
        await show_caravans_for(update, context, slug, None)
    else:
        await show_caravans_for(update, context, None, slug)


HANDLERS: list[BaseHandler] = [
    CommandHandler("caravans", caravans),
    CallbackQueryHandler(
        open_caravans, pattern=cb.pattern(cb.CARAVANS_SETTLEMENT, cb.CARAVANS_DISTRICT)
    ),
]
