"""A person behind the bot: /ask and its buttons (the place of a question, cancel), ⚠️
"this looks out of date" on a card, and for admins ↩️ Reply, ✅ Close, /close and /tickets.
The messages of a question are taken by `intake.INTAKE`, before any feature; carrying
them to the admins and back is `bot.relay` (docs/support.md)."""

from __future__ import annotations

import html
import re

from telegram import ForceReply, Update
from telegram.constants import ParseMode
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot.context import BotContext
from bot.domain.understanding import understand
from bot.relay import close_question, remember_bot_message
from bot.views import callbacks as cb
from bot.views import support as texts
from bot.views.settlement import settlement_card
from db import tickets
from db.models import DRAFT_TICKET
from db.times import utc
from handlers.common import freshness, require_admin, show
from handlers.common.questions import begin_question, continue_question, pass_on
from handlers.support.intake import INTAKE

TAGS = re.compile(r"<[^>]+>")
REPORT_LIMIT = 3000  # characters of a card kept in a data report

__all__ = ["HANDLERS", "INTAKE"]


async def ask(update: Update, context: BotContext) -> None:
    """/ask [question]: the question, about the place it names (or the one followed)."""
    text = " ".join(context.args or [])
    if not text:
        await begin_question(update, context)
        return
    places = await context.places()
    found = places.named(understand(text, places.search).places)
    place = found.settlement or found.district
    await begin_question(update, context, place, message_id=update.effective_message.message_id)


async def ask_button(update: Update, context: BotContext) -> None:
    """ "✉️ Ask a person" (`ask:`): a new question; "✉️ Still ask a person" under a FAQ entry
    offered first (`ask:t<id>`): that question is passed on after all."""
    query = update.callback_query
    _prefix, argument = cb.parse(query.data)
    if not argument.startswith("t"):
        await begin_question(update, context)
        return
    async with context.db() as session:
        ticket = await tickets.get(session, int(argument[1:]))
    if (
        ticket is None
        or ticket.user_id != update.effective_user.id
        or ticket.status != DRAFT_TICKET
        or ticket.waiting_message_id is None
    ):
        await query.answer(context._("This button is no longer valid. Please use /start."))
        return
    await query.answer()
    await pass_on(update, context, ticket, [ticket.waiting_message_id])


async def choose_place(update: Update, context: BotContext) -> None:
    """A district button of "which place is your question about?" (or none)."""
    query = update.callback_query
    _prefix, argument = cb.parse(query.data)
    ticket_id, _sep, slug = argument.partition(".")
    district = (await context.places()).data.district(slug) if slug != "-" else None
    async with context.db() as session:
        ticket = await tickets.choose_place(
            session,
            int(ticket_id),
            update.effective_user.id,
            district_id=district.id if district is not None else None,
        )
    if ticket is None:
        await query.answer(context._("This button is no longer valid. Please use /start."))
        return
    await continue_question(update, context, ticket)


async def cancel(update: Update, context: BotContext) -> None:
    """✖️ on a question being written: drop it."""
    query = update.callback_query
    _prefix, argument = cb.parse(query.data)
    async with context.db() as session:
        ticket = await tickets.get(session, int(argument))
        if ticket is not None and ticket.user_id == update.effective_user.id:
            await tickets.forget_draft(session, ticket.id)  # (only while a draft)
    await query.answer()
    await show(update, context, texts.cancelled(context.tr))


async def report(update: Update, context: BotContext) -> None:
    """⚠️ "This looks out of date" on a card: a data report with the card as the user saw it
    (figures, source and date), and their note."""
    query = update.callback_query
    _prefix, slug = cb.parse(query.data)
    settlement = (await context.places()).data.settlement(slug)
    if settlement is None:
        await query.answer(context._("This place is no longer in the list."), show_alert=True)
        return
    support_tr = context.state.translators[context.state.settings.default_language]
    card = html.unescape(TAGS.sub("", settlement_card(settlement, support_tr, freshness(context))))
    card = card[:REPORT_LIMIT]  # the admins' card stays within one message
    await begin_question(update, context, settlement, kind=tickets.REPORT, report=card)


# ------------------------------------------------------------------ admins


async def reply_button(update: Update, context: BotContext) -> None:
    """↩️ Reply: a ForceReply prompt whose answer goes to the question's author."""
    if not await require_admin(update, context):
        return
    query = update.callback_query
    _prefix, argument = cb.parse(query.data)
    async with context.db() as session:
        ticket = await tickets.get(session, int(argument))
    if ticket is None or ticket.status not in tickets.WAITING:
        await query.answer(texts.already_closed(int(argument), context.tr), show_alert=True)
        return
    await query.answer()
    prompt = await update.effective_chat.send_message(
        texts.reply_prompt(ticket, context.tr),
        parse_mode=ParseMode.HTML,
        reply_markup=ForceReply(input_field_placeholder=context._("Your answer")),
    )
    await remember_bot_message(context, ticket, prompt)


async def close_button(update: Update, context: BotContext) -> None:
    """✅ Close on a question's card."""
    if not await require_admin(update, context):
        return
    query = update.callback_query
    _prefix, argument = cb.parse(query.data)
    await query.answer()
    await close(update, context, int(argument))


async def close_command(update: Update, context: BotContext) -> None:
    """/close <number>"""
    if not await require_admin(update, context):
        return
    args = context.args or []
    number = args[0].lstrip("#") if len(args) == 1 else ""
    if not number.isdigit() or len(number) > 18:
        await update.effective_message.reply_text(
            context._("Usage: /close <question number>, for example /close 12.")
        )
        return
    await close(update, context, int(number))


async def close(update: Update, context: BotContext, ticket_id: int) -> None:
    ticket = await close_question(context, ticket_id)
    if ticket is None:
        text = texts.already_closed(ticket_id, context.tr)
    else:
        text = texts.closed_by(ticket, update.effective_user.first_name or "—", context.tr)
    message = update.effective_message
    thread = message.message_thread_id if message and message.is_topic_message else None
    await update.effective_chat.send_message(text, message_thread_id=thread)


async def list_tickets(update: Update, context: BotContext) -> None:
    """/tickets: the questions waiting, oldest first, with their age."""
    if not await require_admin(update, context):
        return
    async with context.db() as session:
        waiting = await tickets.waiting(session)
    now = utc(context.state.clock())
    await show(update, context, texts.tickets_view(waiting, now, context.tr))


HANDLERS: list[BaseHandler] = [
    CommandHandler("ask", ask),
    CommandHandler("tickets", list_tickets),
    CommandHandler("close", close_command),
    CallbackQueryHandler(ask_button, pattern=cb.pattern(cb.ASK)),
    CallbackQueryHandler(choose_place, pattern=cb.pattern(cb.TICKET_PLACE)),
    CallbackQueryHandler(cancel, pattern=cb.pattern(cb.TICKET_CANCEL)),
    CallbackQueryHandler(report, pattern=cb.pattern(cb.REPORT)),
    CallbackQueryHandler(reply_button, pattern=cb.pattern(cb.TICKET_REPLY)),
    CallbackQueryHandler(close_button, pattern=cb.pattern(cb.TICKET_CLOSE)),
]
