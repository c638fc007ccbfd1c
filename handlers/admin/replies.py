"""How admin commands answer: a reply in HTML, the usage when arguments do not fit, and
the alert of an expired button."""

from __future__ import annotations

from typing import Any

from telegram import ForceReply, Update
from telegram.constants import ParseMode

from bot.context import BotContext
from bot.views import admin as admin_cards
from bot.views.common import escape
from handlers.admin.arguments import ArgError, Term
from handlers.common import reply_html as reply


def actor(update: Update) -> int:
    return update.effective_user.id


async def usage(update: Update, context: BotContext, command: str, error: ArgError) -> None:
    """Why the arguments do not fit (if known), then the usage with an example."""
    text = admin_cards.usage(command, context.tr)
    if error.message:
        values = {k: context._(v) if isinstance(v, Term) else v for k, v in error.values.items()}
        reason = context._(error.message).format(**values)
        text = "⚠️ " + escape(reason) + "\n\n" + text
    await reply(update, text)


async def missing_source(update: Update, context: BotContext) -> None:
    """A public figure needs a source: ask for it, with the admin's own command to complete;
    a reply to the question is the source (`handlers.admin.source_reply`)."""
    typed = " ".join((update.effective_message.text or "").split())
    await update.effective_message.reply_text(
        admin_cards.source_prompt(typed, context.tr),
        parse_mode=ParseMode.HTML,
        reply_markup=ForceReply(input_field_placeholder=context._("a link or an office")),
    )


async def reply_with(update: Update, text: str, markup: Any) -> None:
    await update.effective_message.reply_text(
        text, parse_mode=ParseMode.HTML, reply_markup=markup, disable_web_page_preview=True
    )
