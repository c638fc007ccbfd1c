"""Questions to a person, carried where admins work: a forum topic per question in
`SUPPORT_CHAT_ID`, else the private chats of the admins its place is routed to; the
user's messages copied there (copyMessage), an admin's answer written to the outbox for
`bot.delivery` to copy back, closing. Every step's state is in the database (`db.tickets`),
so any replica, also after a restart, carries on. Why: docs/support.md."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import Message
from telegram.constants import ParseMode
from telegram.error import TelegramError

from bot.context import BotContext
from bot.i18n import Translator
from bot.views import support as texts
from db import tickets, users
from db.models import Ticket

log = logging.getLogger(__name__)

DRAFTS_FRESH = 2.0  # seconds a replica trusts its list of the users writing a question

CAPTION_ROOM = 900  # of Telegram's 1,024 caption characters: the rest is the answer's header
TEXT_ROOM = 3900  # of a message's 4,096 characters: a longer answer is copied as it is
MEDIA = ("photo", "document", "video", "voice", "audio", "animation")


class DraftWatch:
    """Which users are writing a question (a draft), so that a plain message of anyone else
    costs no query. The list is read anew, in one query, when it is older than
    DRAFTS_FRESH seconds; a draft this process opens is on it at once. A draft opened on
    another replica is seen within DRAFTS_FRESH seconds, before a person has read the
    bot's prompt and written the question; a reply to the prompt is always found."""

    def __init__(self, db: async_sessionmaker[AsyncSession], fresh: float = DRAFTS_FRESH):
        self._db, self._fresh = db, fresh
        self._users: set[int] = set()
        self._read_at = -float("inf")
        self._lock = asyncio.Lock()

    def opened(self, user_id: int) -> None:
        self._users.add(user_id)

    async def may_be_writing(self, user_id: int) -> bool:
        """False only when the user has no draft as of at most `fresh` seconds ago."""
        if time.monotonic() - self._read_at > self._fresh:
            async with self._lock:
                if time.monotonic() - self._read_at > self._fresh:
                    async with self._db() as session:
                        self._users = set(await tickets.drafting_users(session))
                    self._read_at = time.monotonic()
        return user_id in self._users


async def admin_translator(context: BotContext, admin_id: int) -> Translator:
    """The admin's language as stored, else the default."""
    async with context.db() as session:
        stored = await users.get_user(session, admin_id)
    state = context.state
    return state.translators[stored.language if stored else state.settings.default_language]


def support_translator(context: BotContext) -> Translator:
    state = context.state
    return state.translators[state.settings.default_language]


async def limit_reply(context: BotContext, user_id: int, *, new: bool) -> str | None:
    """Why the user cannot pass on one more message (or, `new`, open one more question)
    now, in their language; None when they can."""
    settings, now = context.state.settings, context.state.clock()
    async with context.db() as session:
        if new and await tickets.waiting_count(session, user_id) >= settings.ticket_open_limit:
            return texts.too_many_open(settings.ticket_open_limit, context.tr)
        since = now - dt.timedelta(hours=1)
        if (
            await tickets.inbound_since(session, user_id, since)
            >= settings.ticket_messages_per_hour
        ):
            return texts.too_many_messages(context.tr)
    return None


async def open_question(context: BotContext, ticket: Ticket, message_ids: Sequence[int]) -> bool:
    """Pass a draft on: open it, then show it to the admins with the user's messages.
    False when it was passed on already (another replica took the same message)."""
    now = context.state.clock()
    async with context.db() as session:
        if not await tickets.mark_open(session, ticket.id, now):
            return False
        await tickets.record(session, ticket.id, [(ticket.chat_id, m) for m in message_ids], now)
    support = context.state.settings.support_chat_id
    if support is not None and await _open_topic(context, ticket, support, message_ids):
        return True
    await _to_admins(context, ticket, message_ids, first=True)
    return True


async def add_message(context: BotContext, ticket: Ticket, message_id: int) -> None:
    """One more message of the user to a question passed on."""
    async with context.db() as session:
        await tickets.record(
            session, ticket.id, [(ticket.chat_id, message_id)], context.state.clock()
        )
    support = context.state.settings.support_chat_id
    if support is not None and ticket.topic_id is not None:
        copies = await _copy_all(context, ticket, support, [message_id], ticket.topic_id)
        if copies:
            await _remember(context, ticket, copies)
            return
    await _to_admins(context, ticket, [message_id], first=False)


async def _open_topic(
    context: BotContext, ticket: Ticket, support: int, message_ids: Sequence[int]
) -> bool:
    """A forum topic for the question, its card and the user's messages; False when the
    support chat refuses (not a forum, the bot not an admin there): the caller falls back
    to the admins' private chats."""
    tr = support_translator(context)
    try:
        topic = await context.bot.create_forum_topic(support, texts.topic_name(ticket, tr))
        thread = topic.message_thread_id
        card = await context.bot.send_message(
            support,
            texts.admin_card(ticket, tr),
            parse_mode=ParseMode.HTML,
            message_thread_id=thread,
            reply_markup=texts.admin_keyboard(ticket, tr, private=False),
        )
    except TelegramError as error:
        log.warning("support chat %s refused question #%s: %s", support, ticket.id, error)
        return False
    async with context.db() as session:
        await tickets.set_topic(session, ticket.id, thread)
    ticket.topic_id = thread
    copies = [(support, card.message_id)]
    copies += await _copy_all(context, ticket, support, message_ids, thread)
    await _remember(context, ticket, copies)
    return True


async def _to_admins(
    context: BotContext, ticket: Ticket, message_ids: Sequence[int], *, first: bool
) -> None:
    """The question's card (or "one more message") and the messages, in the private chat
    of every admin its place is routed to."""
    async with context.db() as session:
        admin_ids = await tickets.admins_for(
            session, context.state.settings.admin_ids, tickets.district_of(ticket)
        )
    copies: list[tuple[int, int]] = []
    for admin_id in admin_ids:
        tr = await admin_translator(context, admin_id)
        text = texts.admin_card(ticket, tr) if first else texts.more_from(ticket, tr)
        try:
            card = await context.bot.send_message(
                admin_id,
                text,
                parse_mode=ParseMode.HTML,
                reply_markup=texts.admin_keyboard(ticket, tr, private=True),
            )
        except TelegramError as error:  # an admin who never started the bot, or blocked it
            log.warning("admin %s cannot get question #%s: %s", admin_id, ticket.id, error)
            continue
        copies.append((admin_id, card.message_id))
        copies += await _copy_all(context, ticket, admin_id, message_ids, None)
    if not admin_ids:
        log.warning("question #%s: no admin to pass it to", ticket.id)
    await _remember(context, ticket, copies)


async def _copy_all(
    context: BotContext,
    ticket: Ticket,
    chat_id: int,
    message_ids: Sequence[int],
    thread: int | None,
) -> list[tuple[int, int]]:
    """Copy the user's messages to `chat_id` (into `thread`); the copies made."""
    copies = []
    for message_id in message_ids:
        try:
            copy = await context.bot.copy_message(
                chat_id, ticket.chat_id, message_id, message_thread_id=thread
            )
        except TelegramError as error:
            log.warning("question #%s: message %s not copied: %s", ticket.id, message_id, error)
            continue
        copies.append((chat_id, copy.message_id))
    return copies


async def _remember(context: BotContext, ticket: Ticket, copies: list[tuple[int, int]]) -> None:
    async with context.db() as session:
        await tickets.record(session, ticket.id, copies, context.state.clock(), inbound=True)


async def remember_bot_message(context: BotContext, ticket: Ticket, message: Message) -> None:
    """A message of the bot (a confirmation, a prompt) a reply to which belongs to `ticket`."""
    async with context.db() as session:
        await tickets.record(
            session,
            ticket.id,
            [(message.chat_id, message.message_id)],
            context.state.clock(),
            inbound=False,
        )


def answer_payload(message: Message) -> dict[str, object]:
    """What the outbox needs to pass an admin's message on: its text as HTML, or the
    message to copy (with its caption as HTML when the answer's header fits beside it; a
    text too long for the header beside it is copied without one)."""
    if message.text and len(message.text_html) <= TEXT_ROOM:
        return {"html": message.text_html}
    payload: dict[str, object] = {"copy": [message.chat_id, message.message_id]}
    caption = message.caption_html or ""
    if any(getattr(message, kind) for kind in MEDIA) and len(caption) <= CAPTION_ROOM:
        payload["caption"] = caption
    return payload


async def pass_answer(context: BotContext, ticket: Ticket, message: Message) -> str:
    """An admin's answer, written to the outbox (first name only) and sent by
    `bot.delivery`, which retries it: `tickets.PASSED`, or why not (`GONE`: /forget,
    `BLOCKED`: the user blocked the bot)."""
    admin = message.from_user.first_name if message.from_user else "—"
    payload = {"admin": admin[:64], **answer_payload(message)}
    async with context.db() as session:
        passed = await tickets.answer(
            session,
            ticket,
            admin_chat_id=message.chat_id,
            admin_message_id=message.message_id,
            payload=payload,
            now=context.state.clock(),
        )
    if passed == tickets.PASSED:
        context.state.delivery.wake()
    return passed


async def close_question(context: BotContext, ticket_id: int) -> Ticket | None:
    """Close a waiting question (its user is told through the outbox) and its topic."""
    async with context.db() as session:
        ticket = await tickets.close(session, ticket_id, context.state.clock())
    if ticket is None:
        return None
    context.state.delivery.wake()
    support = context.state.settings.support_chat_id
    if support is not None and ticket.topic_id is not None:
        try:
            await context.bot.close_forum_topic(support, ticket.topic_id)
        except TelegramError as error:
            log.warning("topic of question #%s not closed: %s", ticket.id, error)
    return ticket
