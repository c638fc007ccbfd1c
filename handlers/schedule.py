"""A settlement's card: /schedule <name> and its buttons (plain text: `handlers.conversation`)."""

from __future__ import annotations

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot.context import BotContext
from bot.views import callbacks as cb
from bot.views.districts import choices_keyboard
from bot.views.settlement import place_line
from handlers.common import search, show, show_settlement_by_slug


async def schedule(update: Update, context: BotContext) -> None:
    """/schedule <settlement>"""
    text = " ".join(context.args or [])
    if not text:
        message = context._(
            "Which settlement? Type its name, for example <code>/schedule Sos</code>, "
            "or just send the name."
        )
        await show(update, context, message, choices_keyboard([], [], context.tr))
        return
    await search(update, context, text)


async def open_settlement(update: Update, context: BotContext) -> None:
    """A settlement button."""
    await update.callback_query.answer()
    _prefix, slug = cb.parse(update.callback_query.data)
    await show_settlement_by_slug(update, context, slug)


async def send_location(update: Update, context: BotContext) -> None:
    """📍 sends the settlement's location as a venue."""
    query = update.callback_query
    _prefix, slug = cb.parse(query.data)
    settlement = (await context.places()).data.settlement(slug)
    if settlement is None or settlement.latitude is None or settlement.longitude is None:
        await query.answer(context._("No coordinates are known for this place."), show_alert=True)
        return
    await query.answer()
    await update.effective_chat.send_venue(
        latitude=settlement.latitude,
        longitude=settlement.longitude,
        title=settlement.name(context.tr.lang),
        address=place_line(settlement, context.tr),
    )


HANDLERS: list[BaseHandler] = [
    CommandHandler("schedule", schedule),
    CallbackQueryHandler(open_settlement, pattern=cb.pattern(cb.SETTLEMENT)),
    CallbackQueryHandler(send_location, pattern=cb.pattern(cb.LOCATION)),
]
