"""Subscriptions: announced in the menu and on cards; delivery arrives with the outbox."""

from __future__ import annotations

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot import callbacks as cb
from bot.context import BotContext


async def coming_soon(update: Update, context: BotContext) -> None:
    """Say honestly that subscriptions are not available yet."""
    text = "🔔 " + context._(
        "Subscriptions are coming soon: you will be able to get caravan announcements for "
        "your village in your language. Until then, check back here any time."
    )
    if update.callback_query is not None:
        await update.callback_query.answer(text[:200], show_alert=True)
    else:
        await update.effective_message.reply_text(text)


HANDLERS: list[BaseHandler] = [
    CommandHandler(["subscribe", "unsubscribe", "subscriptions"], coming_soon),
    CallbackQueryHandler(
        coming_soon, pattern=cb.pattern(cb.SUBSCRIBE_SETTLEMENT, cb.SUBSCRIBE_DISTRICT)
    ),
]
