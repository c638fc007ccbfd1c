"""Never silent: unknown commands, other kinds of messages and stale buttons get an answer
(registered last, so they see only what no feature took)."""

from __future__ import annotations

import html
import logging

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, MessageHandler, filters

from bot.context import BotContext
from bot.views.menu import main_menu

log = logging.getLogger(__name__)


async def unknown_command(update: Update, context: BotContext) -> None:
    """A command the bot does not have."""
    command = update.effective_message.text.split()[0][:64]
    text = context._("I don't know the command {command}. Here is what I can do:").format(
        command=html.escape(command)
    )
    await update.effective_message.reply_text(
        text, parse_mode="HTML", reply_markup=main_menu(context.tr)
    )


async def other_message(update: Update, context: BotContext) -> None:
    """Stickers, photos, voice…: explain what the bot understands."""
    text = context._(
        "I understand text: send me the name of a settlement or district, for example Sos."
    )
    await update.effective_message.reply_text(text, reply_markup=main_menu(context.tr))


async def stale_button(update: Update, context: BotContext) -> None:
    """Callback data the bot does not recognise (old, forged or from another version)."""
    log.info("unrecognised callback data %r", (update.callback_query.data or "")[:64])
    await update.callback_query.answer(
        context._("This button is no longer valid. Please use /start."), show_alert=True
    )


HANDLERS: list[BaseHandler] = [
    MessageHandler(filters.COMMAND, unknown_command),
    MessageHandler(filters.ChatType.PRIVATE & ~filters.StatusUpdate.ALL, other_message),
    CallbackQueryHandler(stale_button),
]
