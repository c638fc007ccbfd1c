"""Broadcasts once confirmed: ✅ queues them in the outbox (due after the quiet hours unless
urgent), the stop button cancels what was not sent, /stats; and 🚨 under a caravan's or a
housing change's confirmation sends what the quiet hours hold. Each press re-checked on the
server; sending itself is `bot.delivery`'s job (docs/handlers.md)."""

from __future__ import annotations

import contextlib

from telegram import Message, Update
from telegram.constants import ParseMode
from telegram.error import TelegramError

from bot.context import BotContext
from bot.domain import clock
from bot.views import broadcast as texts
from bot.views import callbacks as cb
from bot.views.support import stats_lines
from db import admins, broadcasts, outbox, tickets
from db.models import Counts
from handlers.common import require_admin, show


def _id_of(update: Update) -> int:
    """The id a broadcast's button carries."""
    _prefix, argument = cb.parse(update.callback_query.data)
    return int(argument)


async def send_broadcast(update: Update, context: BotContext) -> None:
    """✅: queue one delivery per recipient and turn the preview into the progress message."""
    if not await require_admin(update, context):
        return
    query = update.callback_query
    async with context.db() as session:
        broadcast = await broadcasts.confirm(
            session,
            _id_of(update),
            update.effective_user.id,
            context.state.clock(),
            timing=clock,
            paid=context.state.settings.paid_broadcast,
        )
    if broadcast is None:
        await query.answer(context._("This broadcast was already sent or cancelled."))
        return
    await query.answer(context._("Sending…"))
    async with context.db() as session:
        place = await broadcasts.place_of(session, broadcast.scope)
    counts = Counts(total=broadcast.total)
    now = context.state.clock()
    text = texts.progress_report(broadcast, place, counts, 0.0, context.tr, now)
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
        broadcast = await broadcasts.cancel(session, _id_of(update), update.effective_user.id)
        if broadcast is None:
            await query.answer(context._("This broadcast is already finished or cancelled."))
            return
        place = await broadcasts.place_of(session, broadcast.scope)
        tally = await broadcasts.counts(session, [broadcast.notice_id or 0])
        await broadcasts.take_progress_turn(session, broadcast.id, 0, final=True)
    counts = tally.get(broadcast.notice_id or 0, Counts())
    if counts.sent or counts.blocked or counts.failed:
        await query.answer(context._("Broadcast stopped."))
    else:
        await query.answer(context._("Cancelled, nothing sent."))
    if broadcast.notice_id is None:
        text = texts.cancelled_unsent(context.tr)
    else:
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


async def _release(update: Update, context: BotContext, held: str) -> int:
    """Make what the quiet hours hold of a caravan (`<id>`) or a housing alert (`h<id>`)
    due now, audited; how many deliveries."""
    now = context.state.clock()
    alert = held.startswith(cb.HELD_ALERT)
    number = int(held.removeprefix(cb.HELD_ALERT))
    async with context.db() as session:
        if alert:
            place = await outbox.housing_place(session, number)
            if place is None:
                return 0
            action, target = "housing.urgent", f"housing {place}"
            released = await outbox.send_now(session, [number], now)
        else:
            action, target = "caravan.urgent", f"caravan #{number}"
            released = await outbox.send_now(session, outbox.caravan_notices(number), now)
        if released:
            admins.audit(
                session, update.effective_user.id, action, target, None, {"sent_now": released}
            )
        await session.commit()
    return released


async def send_held_now(update: Update, context: BotContext) -> None:
    """🚨 under a caravan's or a housing change's confirmation: what the quiet hours hold of
    its notices is due now (audited); the button goes."""
    if not await require_admin(update, context):
        return
    query = update.callback_query
    _prefix, held = cb.parse(query.data)
    released = await _release(update, context, held)
    if released:
        context.state.delivery.wake()
        answer = context.tr.ngettext(
            "🚨 {n} message goes out now.", "🚨 {n} messages go out now.", released
        )
        await query.answer(answer.format(n=context.tr.number(released)), show_alert=True)
    else:
        await query.answer(context._("Nothing is waiting any more."))
    with contextlib.suppress(TelegramError):
        await query.edit_message_reply_markup(None)
