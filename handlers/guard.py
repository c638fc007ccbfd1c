"""The admin check every admin command and button runs first, on the server, every time."""

from __future__ import annotations

import logging

from telegram import Update

from bot.context import BotContext
from db import admins

log = logging.getLogger(__name__)


async def is_admin(context: BotContext, user_id: int) -> bool:
    async with context.db() as session:
        return await admins.is_admin(session, context.state.settings.admin_ids, user_id)


async def require_admin(update: Update, context: BotContext) -> bool:
    """True for an admin. Anyone else gets a polite refusal in their language, and the attempt
    is logged (a button press from a non-admin means forged or replayed callback data)."""
    user = update.effective_user
    if user is not None and await is_admin(context, user.id):
        return True
    query = update.callback_query
    if query is not None:
        log.warning(
            "admin button pressed by non-admin %s: %r", user and user.id, (query.data or "")[:64]
        )
        await query.answer(context._("Only admins can do this."), show_alert=True)
    else:
        log.info("admin command from non-admin %s", user and user.id)
        if update.effective_message is not None:
            await update.effective_message.reply_text(
                context._("Sorry, this command is only for admins.")
            )
    return False
