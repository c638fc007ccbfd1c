"""/calendar <place> and the 📅 button: an .ics file of the place's upcoming caravans."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot.context import BotContext
from bot.places import Found
from bot.views import callbacks as cb
from bot.views.caravans import calendar_button
from bot.views.common import district_name, place_name
from handlers.common import place_query, send_calendar, show_search_outcome, which_one


async def calendar(update: Update, context: BotContext) -> None:
    """/calendar <settlement|district>"""
    if not context.args:
        text = context._(
            "Which place? For example <code>/calendar Sos</code> or "
            "<code>/calendar Khojavand</code>: I send a calendar file of its upcoming caravans."
        )
        await update.effective_message.reply_text(text, parse_mode=ParseMode.HTML)
        return
    text = place_query(" ".join(context.args))
    found = (await context.places()).find(text)
    if found.settlement is not None:
        await send_calendar(update, context, cb.CALENDAR_SETTLEMENT, found.settlement.slug)
    elif found.district is not None:
        await send_calendar(update, context, cb.CALENDAR_DISTRICT, found.district.slug)
    elif found.settlements or found.districts:
        await offer_calendars(update, context, text, found)
    else:
        await show_search_outcome(update, context, text, found)


async def offer_calendars(update: Update, context: BotContext, text: str, found: Found) -> None:
    """Several places match: one 📅 button each, so one more tap gives the file."""
    tr = context.tr
    buttons = [
        calendar_button(cb.CALENDAR_SETTLEMENT, s.slug, tr, place_name(s, tr))
        for s in found.settlements
    ]
    buttons += [
        calendar_button(cb.CALENDAR_DISTRICT, d.slug, tr, district_name(d, tr))
        for d in found.districts
    ]
    message = which_one(context, text)
    await update.effective_message.reply_text(
        message, reply_markup=InlineKeyboardMarkup([[b] for b in buttons])
    )


async def press_calendar(update: Update, context: BotContext) -> None:
    """📅 on a settlement card or a caravan list."""
    prefix, slug = cb.parse(update.callback_query.data)
    await send_calendar(update, context, prefix, slug)


HANDLERS: list[BaseHandler] = [
    CommandHandler("calendar", calendar),
    CallbackQueryHandler(
        press_calendar, pattern=cb.pattern(cb.CALENDAR_SETTLEMENT, cb.CALENDAR_DISTRICT)
    ),
]
