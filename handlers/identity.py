"""/id: anyone learns their Telegram id (and in a group the chat's too), the number an admin
needs for /admins add."""

from __future__ import annotations

from telegram import Update
from telegram.constants import ChatType, ParseMode
from telegram.ext import BaseHandler, CommandHandler

from bot.context import BotContext
from bot.views import people as people_view
from handlers.common import admin_seen


async def show_id(update: Update, context: BotContext) -> None:
    user, chat = update.effective_user, update.effective_chat
    if user is None or update.effective_message is None:
        return
    await admin_seen(context, user)  # an admin's name is kept up to date on the way
    group = chat is not None and chat.type != ChatType.PRIVATE
    text = people_view.identity(
        user.id, chat.id if group else None, chat.title if group else None, context.tr
    )
    await update.effective_message.reply_text(text, parse_mode=ParseMode.HTML)


HANDLERS: list[BaseHandler] = [CommandHandler("id", show_id)]
