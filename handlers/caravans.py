"""/caravans [place]: upcoming caravans first; when none are upcoming, the most recent ones."""

from __future__ import annotations

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot.context import BotContext
from bot.views import callbacks as cb
from handlers.common import place_query, show_caravans_for, show_search_outcome


async def caravans(update: Update, context: BotContext) -> None:
    """/caravans [settlement|district]"""
    if not context.args:
        await show_caravans_for(update, context, None, None)
        return
    text = place_query(" ".join(context.args))
    found = (await context.places()).find(text)
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
