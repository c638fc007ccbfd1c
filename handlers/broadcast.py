"""/broadcast (admins): preview a message to all users or a place's followers, then send it
through the outbox; the ✅ and stop buttons, re-checked on the server at every press; /stats.
Sending itself is `bot.delivery`'s job (docs/handlers.md)."""

from __future__ import annotations

import contextlib
import re
from html import escape

from telegram import Message, Update
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot.context import BotContext
from bot.views import broadcast as texts
from bot.views import callbacks as cb
from bot.views.support import stats_lines
from db import broadcasts, tickets
from db.models import Counts, District, Settlement
from db.outbox import scope_key
from handlers.common import ALL_WORDS, require_admin, show

# Room for the preview's frame around the text, under Telegram's 4,096 characters.
MAX_TEXT = 3500
_ARGUMENTS = re.compile(r"/\S+[ \t]*(.*)", re.DOTALL)


def utf16_len(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units)."""
    return len(text.encode("utf-16-le")) // 2


async def _scope(
    context: BotContext, words: str
) -> tuple[str, Settlement | District | None] | None:
    """("all" | "settlement:<id>" | "district:<id>", place) that `words` names exactly."""
    if words.casefold() in ALL_WORDS:
        return "all", None
    if not words:
        return None
    found = (await context.places()).find(words)
    if found.settlement is not None:
        return scope_key(settlement_id=found.settlement.id), found.settlement
    if found.district is not None:
        return scope_key(district_id=found.district.id), found.district
    return None


async def _parse(
    context: BotContext, arguments: str
) -> tuple[str, Settlement | District | None, str] | None:
    """(scope, place, text): the place is the first word, or the whole first line when the
    text starts on the next line (for names of several words)."""
    first_line, newline, rest = arguments.partition("\n")
    if newline and " " in first_line.strip():
        scope = await _scope(context, first_line.strip())
        if scope is not None:
            return (*scope, rest.strip())
    word, _sep, text = arguments.strip().partition(" ")
    word, _nl, more = word.partition("\n")
    scope = await _scope(context, word)
    if scope is None:
        return None
    return (*scope, "\n".join(part for part in (more, text) if part).strip())


async def ask_broadcast(update: Update, context: BotContext) -> None:
    """/broadcast <all|settlement|district> <text>, or as a reply to copy that message."""
    if not await require_admin(update, context):
        return
    message = update.effective_message
    _ = context._
    match = _ARGUMENTS.match(message.text or "")
    parsed = await _parse(context, match[1] if match else "")
    source = message.reply_to_message
    if parsed is None or not (parsed[2] or source):
        await message.reply_text(_usage(context), parse_mode=ParseMode.HTML)
        return
    scope, place, body = parsed
    if utf16_len(body) > MAX_TEXT:
        await message.reply_text(
            _("The text is too long: at most {n} characters.").format(n=MAX_TEXT)
        )
        return
    audience = texts.audience_name(scope, place, context.tr)
    district_id = place.district_id if isinstance(place, Settlement) else None
    async with context.db() as session:
        by_language = await broadcasts.count_by_language(
            session, broadcasts.recipients(scope, district_id)
        )
        total = sum(by_language.values())
        if not total:
            text = _("Nobody would receive this: no active user follows {audience}.")
            await message.reply_text(text.format(audience=audience), parse_mode=ParseMode.HTML)
            return
        html = escape(body, quote=False) if body else None
        copied = (source.chat.id, source.message_id) if html is None and source else None
        draft = await broadcasts.create_draft(
            session,
            admin_id=update.effective_user.id,
            admin_chat_id=message.chat.id,
            scope=scope,
            text=html,
            source=copied,
        )
    if copied is not None:  # what recipients will get, exactly: a copy
        await context.bot.copy_message(message.chat.id, copied[0], copied[1])
    await message.reply_text(
        texts.preview(html, audience, by_language, context.tr),
        parse_mode=ParseMode.HTML,
        reply_markup=texts.confirm_keyboard(draft.id, total, context.tr),
        disable_web_page_preview=True,
    )


def _usage(context: BotContext) -> str:
    return "📢 " + context._(
        "Usage: <code>/broadcast all|settlement|district text</code>, for example "
        "<code>/broadcast Sos The caravan leaves at 9:00</code>. For a place name of several "
        "words, put the text on the next line. To send a copy of a message (with its "
        "formatting or photo), reply to it with <code>/broadcast all</code>."
    )


def _broadcast_id(update: Update) -> int:
    _prefix, argument = cb.parse(update.callback_query.data)
    return int(argument)


async def send_broadcast(update: Update, context: BotContext) -> None:
    """✅: queue one delivery per recipient and turn the preview into the progress message."""
    if not await require_admin(update, context):
        return
    query = update.callback_query
    async with context.db() as session:
        broadcast = await broadcasts.confirm(
            session, _broadcast_id(update), update.effective_user.id, context.state.clock()
        )
    if broadcast is None:
        await query.answer(context._("This broadcast was already sent or cancelled."))
        return
    await query.answer(context._("Sending…"))
    async with context.db() as session:
        place = await broadcasts.place_of(session, broadcast.scope)
    counts = Counts(total=broadcast.total)
    text = texts.progress_report(broadcast, place, counts, 0.0, context.tr)
    await show(update, context, text, texts.cancel_keyboard(broadcast.id, context.tr))
    if isinstance(query.message, Message):
        async with context.db() as session:
            await broadcasts.attach_progress(session, broadcast.id, query.message.message_id)
    context.state.delivery.wake()


async def cancel_broadcast(update: Update, context: BotContext) -> None:
    """Cancel a draft, or stop a broadcast being sent: what was not sent yet never will be."""
    if not await require_admin(update, context):
        return
    query = update.callback_query
    async with context.db() as session:
        broadcast = await broadcasts.cancel(
            session, _broadcast_id(update), update.effective_user.id
        )
        if broadcast is None:
            await query.answer(context._("This broadcast is already finished or cancelled."))
            return
        place = await broadcasts.place_of(session, broadcast.scope)
        tally = await broadcasts.counts(session, [broadcast.notice_id or 0])
        await broadcasts.take_progress_turn(session, broadcast.id, 0, final=True)
    await query.answer(context._("Broadcast stopped."))
    if broadcast.notice_id is None:
        text = "✖️ " + context._("Cancelled. Nothing was sent.")
    else:
        counts = tally.get(broadcast.notice_id, Counts())
        text = texts.final_report(broadcast, place, counts, context.tr)
    chat_id, message_id = broadcast.admin_chat_id, broadcast.progress_message_id
    pressed = query.message
    same = pressed is not None and (pressed.chat.id, pressed.message_id) == (chat_id, message_id)
    if message_id is None or same:
        await show(update, context, text)
        return
    # stopped from another admin's chat: the sender's progress message shows it too
    with contextlib.suppress(TelegramError):
        await context.bot.edit_message_text(text, chat_id, message_id, parse_mode=ParseMode.HTML)
    await show(update, context, text)


async def show_stats(update: Update, context: BotContext) -> None:
    """/stats (admins): users by language, active/blocked, most followed places, broadcasts,
    questions waiting and answered."""
    if not await require_admin(update, context):
        return
    async with context.db() as session:
        users = await broadcasts.user_stats(session)
        subscriptions, top = await broadcasts.top_subscriptions(session)
        recent = list(await broadcasts.recent(session))
        tally = await broadcasts.counts(session, [b.notice_id for b in recent if b.notice_id])
        rows = [
            (b, await broadcasts.place_of(session, b.scope), tally.get(b.notice_id or 0))
            for b in recent
        ]
        asked = await tickets.stats(session, context.state.clock())
    rows = [(b, place, counts or Counts()) for b, place, counts in rows]
    text = texts.stats(users, subscriptions, top, rows, context.tr)
    lines = stats_lines(asked.waiting, asked.answered_week, asked.median_first_answer, context.tr)
    await show(update, context, text + "\n\n" + "\n".join(lines))


HANDLERS: list[BaseHandler] = [
    CommandHandler("broadcast", ask_broadcast),
    CommandHandler("stats", show_stats),
    CallbackQueryHandler(send_broadcast, pattern=cb.pattern(cb.BROADCAST_SEND)),
    CallbackQueryHandler(cancel_broadcast, pattern=cb.pattern(cb.BROADCAST_CANCEL)),
]
