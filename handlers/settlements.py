"""Browsing: /settlements → districts by region → a district's settlements → a card."""

from __future__ import annotations

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot.context import BotContext
from bot.views import callbacks as cb
from handlers.common import search, show_district_by_slug, show_regions


async def settlements(update: Update, context: BotContext) -> None:
    """/settlements [district]"""
    if context.args:
        await search(update, context, " ".join(context.args))
    else:
        await show_regions(update, context)


async def open_regions(update: Update, context: BotContext) -> None:
    await update.callback_query.answer()
    await show_regions(update, context)


async def open_district(update: Update, context: BotContext) -> None:
    await update.callback_query.answer()
    _prefix, slug = cb.parse(update.callback_query.data)
    await show_district_by_slug(update, context, slug)


HANDLERS: list[BaseHandler] = [
    CommandHandler("settlements", settlements),
    CallbackQueryHandler(open_regions, pattern=cb.pattern(cb.REGIONS)),
    CallbackQueryHandler(open_district, pattern=cb.pattern(cb.DISTRICT)),
]
