"""Never silent: unknown commands, other kinds of messages, stale buttons, and errors."""

from __future__ import annotations

import html
import logging

from telegram import Update
from telegram.error import BadRequest
from telegram.ext import BaseHandler, CallbackQueryHandler, MessageHandler, filters

from bot.context import BotContext
from bot.i18n import pick_language
from bot.views.menu import main_menu
from db.session import is_unavailable
from handlers import errors

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


async def on_error(update: object, context: BotContext) -> None:
    """Log the traceback and tell the user, in their language, that something went wrong —
    or that the bot is briefly unavailable when the database is unreachable or busy; then
    report the error to the admins who opted in (`handlers.errors`)."""
    log.error("error while handling an update", exc_info=context.error)
    if isinstance(update, Update) and update.effective_chat is not None:
        await tell_user(update, context, context.error)
    await errors.report(update, context)


async def tell_user(update: Update, context: BotContext, error: BaseException | None) -> None:
    """Tell the user, in their language, that the bot is briefly unavailable (`error` says the
    database is) or that something went wrong."""
    user = update.effective_user
    if context.language is None and user is not None:  # the error came before remember_user
        default = context.state.settings.default_language
        context.language = pick_language(None, user.language_code, default)
    if is_unavailable(error):
        text = "⏳ " + context._("I am briefly unavailable. Please try again in a minute.")
    else:
        text = "⚠️ " + context._("Something went wrong on my side. Please try again in a moment.")
    try:
        if update.callback_query is not None:
            try:
                await update.callback_query.answer(text, show_alert=True)
                return
            except BadRequest:  # the handler answered the button already
                pass
        await update.effective_chat.send_message(text)
    except Exception:  # the error may be the Bot API itself; the log has it
        log.warning("could not tell the user about the error", exc_info=True)


HANDLERS: list[BaseHandler] = [
    MessageHandler(filters.COMMAND, unknown_command),
    MessageHandler(filters.ChatType.PRIVATE & ~filters.StatusUpdate.ALL, other_message),
    CallbackQueryHandler(stale_button),
]
