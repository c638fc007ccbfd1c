"""Messages that belong to a question, taken before any feature sees them (a group of
its own, `INTAKE`): a user's question being written, a reply to the bot's question
messages, a photo, document or voice message from a non-admin; an admin's answer in a
support topic or as a reply to a copied question; anything else goes on to the features."""

from __future__ import annotations

import logging

from telegram import Message, Update
from telegram.ext import ApplicationHandlerStop, BaseHandler, MessageHandler, filters

from bot.context import BotContext
from bot.domain.understanding import understand
from bot.relay import add_message, limit_reply, pass_answer
from bot.views import support as texts
from db import tickets
from db.models import CLOSED, DRAFT_TICKET, District, Settlement, Ticket
from handlers.common import is_admin
from handlers.common.questions import begin_question, continue_question, pass_on

log = logging.getLogger(__name__)

DATASET_SUFFIXES = (".yaml", ".yml", ".csv", ".xlsx")  # what an admin's document may import
MEDIA = ("photo", "document", "voice", "video", "audio", "animation", "video_note")


def media(message: Message) -> bool:
    return any(getattr(message, kind) for kind in MEDIA)


def dataset_file(message: Message) -> bool:
    name = (message.document.file_name or "").lower() if message.document else ""
    return name.endswith(DATASET_SUFFIXES)


async def take(update: Update, context: BotContext) -> None:
    """Route a message to its question; handled ones stop here (ApplicationHandlerStop)."""
    message, chat = update.effective_message, update.effective_chat
    if message is None or update.effective_user is None or message.from_user is None:
        return
    support = context.state.settings.support_chat_id
    if support is not None and chat.id == support:
        if await in_support_chat(update, context, message):
            raise ApplicationHandlerStop
        return
    if chat.type != chat.PRIVATE:
        return
    if await in_private_chat(update, context, message):
        raise ApplicationHandlerStop


async def in_support_chat(update: Update, context: BotContext, message: Message) -> bool:
    """A message in a question's topic: an admin's answer; anyone else is told no."""
    if not message.is_topic_message or message.message_thread_id is None:
        return False
    if message.text and message.text.startswith("/"):  # /close, /tickets: the commands
        return False
    async with context.db() as session:
        ticket = await tickets.by_topic(session, message.message_thread_id)
    if ticket is None or message.forum_topic_created or message.forum_topic_closed:
        return False
    if not await is_admin(context, message.from_user.id):
        await message.reply_text(texts.admins_only_here(context.tr))
        return True
    await answer(update, context, ticket, message)
    return True


async def in_private_chat(update: Update, context: BotContext, message: Message) -> bool:
    user_id = message.from_user.id
    if message.contact is not None:  # a phone number is never passed on
        return False
    if message.text and message.text.startswith("/"):  # commands are commands
        return False
    reply_to = message.reply_to_message
    if reply_to is not None and reply_to.from_user and reply_to.from_user.id == context.bot.id:
        async with context.db() as session:
            ticket = await tickets.by_copy(session, message.chat_id, reply_to.message_id)
            if ticket is None:  # a reply to an answer (the outbox sent it), or to another
                ticket = await tickets.active_of(session, user_id)  # message: the question
        if ticket is not None:
            if ticket.user_id != user_id:
                if await is_admin(context, user_id):
                    await answer(update, context, ticket, message)
                    return True
                return False
            await from_user(update, context, ticket, message)
            return True
    if media(message) and dataset_file(message) and await is_admin(context, user_id):
        return False  # a dataset file to import
    plain = message.text is not None
    if media(message) or (
        (plain or message.location or message.venue)
        and await context.state.drafts.may_be_writing(user_id)
    ):
        async with context.db() as session:
            ticket = await tickets.draft_of(session, user_id)
            if ticket is None and media(message):
                ticket = await tickets.active_of(session, user_id)
        if ticket is not None:
            await from_user(update, context, ticket, message)
            return True
    if media(message) and not await is_admin(context, user_id):
        place = await named_place(context, message)
        await begin_question(update, context, place, message_id=message.message_id)
        return True
    return False


async def named_place(context: BotContext, message: Message) -> Settlement | District | None:
    """The one place a caption names, if any."""
    caption = message.caption or ""
    if not caption:
        return None
    places = await context.places()
    found = places.named(understand(caption, places.search).places)
    return found.settlement or found.district


async def from_user(update: Update, context: BotContext, ticket: Ticket, message: Message) -> None:
    """The user's message: a draft's question (or, before the place is chosen, kept for
    it), one more message of a question passed on, or too late for a closed one."""
    if ticket.status == CLOSED:
        await message.reply_text(texts.is_closed(ticket, context.tr))
        return
    refusal = await limit_reply(context, ticket.user_id, new=False)
    if refusal is not None:
        await message.reply_text(refusal)
        return
    if ticket.status == DRAFT_TICKET:
        if not ticket.place_chosen:
            async with context.db() as session:
                await tickets.keep_message(session, ticket.id, message.message_id)
            ticket.waiting_message_id = message.message_id
            await continue_question(update, context, ticket)
            return
        await pass_on(update, context, ticket, [message.message_id])
        return
    await add_message(context, ticket, message.message_id)
    await message.reply_text(texts.added(ticket, context.tr))


async def answer(update: Update, context: BotContext, ticket: Ticket, message: Message) -> None:
    """An admin's answer: passed to the user (through the outbox), or why it cannot be."""
    tr = context.tr
    if ticket.status == CLOSED:
        await message.reply_text(texts.already_closed(ticket.id, tr))
        return
    outcome = await pass_answer(context, ticket, message)
    if outcome == tickets.GONE:
        await message.reply_text(texts.author_gone(ticket, tr))
    elif outcome == tickets.BLOCKED:
        await message.reply_text(texts.author_blocked(ticket, tr))
    elif message.chat.type == message.chat.PRIVATE:
        await message.reply_text(texts.answer_passed(ticket, tr))


INTAKE: list[BaseHandler] = [
    MessageHandler(filters.UpdateType.MESSAGE & ~filters.StatusUpdate.ALL, take)
]
