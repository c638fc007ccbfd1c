"""Subscriptions: /subscribe, /unsubscribe, /subscriptions, the 🔔 buttons, /forget, and
noticing when a user blocks the bot. Delivery itself is `bot.delivery`'s job."""

from __future__ import annotations

from telegram import ChatMember, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, ChatMemberHandler, CommandHandler

from bot.context import BotContext
from bot.places import Found
from bot.views import callbacks as cb
from bot.views.subscriptions import forget_keyboard, subscribe_choices_keyboard
from db import users
from handlers.common import (
    ALL_WORDS,
    cancel_subscription,
    confirm_subscription,
    place_query,
    show,
    show_search_outcome,
    show_subscription_list,
    subscribe_to,
    which_one,
)

LEFT = frozenset({ChatMember.BANNED, ChatMember.LEFT})


async def _resolve(update: Update, context: BotContext) -> tuple[bool, Found | None]:
    """(all?, the place found) for the command's argument; replies itself when it is
    ambiguous or unknown and then returns (False, None)."""
    text = place_query(" ".join(context.args or []))
    if text.casefold() in ALL_WORDS:
        return True, None
    found = (await context.places()).find(text)
    if found.settlement is not None or found.district is not None:
        return False, found
    if found.settlements or found.districts:
        message = which_one(context, text)
        markup = subscribe_choices_keyboard(found.settlements, found.districts, context.tr)
        await show(update, context, message, markup)
    else:
        await show_search_outcome(update, context, text, found)
    return False, None


async def subscribe(update: Update, context: BotContext) -> None:
    """/subscribe <settlement|district|all>"""
    _ = context._
    if not context.args:
        text = "🔔 " + _(
            "What should I tell you about? Send /subscribe with a settlement or district, for "
            "example <code>/subscribe Sos</code>, <code>/subscribe Khojavand</code> or "
            "<code>/subscribe all</code>."
        )
        await show(update, context, text)
        return
    everything, found = await _resolve(update, context)
    if not everything and found is None:
        return
    await confirm_subscription(
        update, context, None if everything else found.settlement or found.district
    )


async def subscribe_button(update: Update, context: BotContext) -> None:
    """🔔 on a settlement card, a district list or an ambiguous /subscribe: a short toast."""
    query = update.callback_query
    prefix, slug = cb.parse(query.data)
    data = (await context.places()).data
    place = data.settlement(slug) if prefix == cb.SUBSCRIBE_SETTLEMENT else data.district(slug)
    if place is None:
        await query.answer(context._("This button is no longer valid. Please use /start."))
        return
    new, name = await subscribe_to(context, update.effective_user.id, place)
    if new:
        text = "🔔 " + context._("Subscribed to {place}.").format(place=name)
    else:
        text = context._("You are already subscribed to {place}.").format(place=name)
    await query.answer(text[:200], show_alert=True)


async def unsubscribe(update: Update, context: BotContext) -> None:
    """/unsubscribe <settlement|district|all>; without an argument, the list with ❌ buttons."""
    if not context.args:
        await show_subscriptions(update, context)
        return
    everything, found = await _resolve(update, context)
    if not everything and found is None:
        return
    if not everything:
        await cancel_subscription(update, context, found.settlement or found.district)
        return
    async with context.db() as session:
        cancelled = await users.unsubscribe_all(session, update.effective_user.id)
    text = context._("All your subscriptions are cancelled.")
    if not cancelled:
        text = context._("You have no subscriptions.")
    await show(update, context, "🔕 " + text)


async def show_subscriptions(update: Update, context: BotContext) -> None:
    """/subscriptions: what the user follows, with one ❌ button each."""
    await show_subscription_list(update, context)


async def unsubscribe_button(update: Update, context: BotContext) -> None:
    """❌ in the list: cancel that subscription and show the list again, in place."""
    query = update.callback_query
    _prefix, subscription_id = cb.parse(query.data)
    async with context.db() as session:
        await users.unsubscribe(
            session, update.effective_user.id, subscription_id=int(subscription_id)
        )
    await query.answer(context._("Unsubscribed."))
    await show_subscriptions(update, context)


async def ask_forget(update: Update, context: BotContext) -> None:
    """/forget: ask for confirmation first."""
    text = "⚠️ " + context._(
        "Delete everything I store about you — your language, your subscriptions and your "
        "questions to the admins — and cancel any message waiting for you?"
    )
    await show(update, context, text, forget_keyboard(context.tr))


async def forget(update: Update, context: BotContext) -> None:
    """✅ deletes the user, their subscriptions, questions and deliveries; ↩️ changes
    nothing."""
    query = update.callback_query
    _prefix, answer = cb.parse(query.data)
    await query.answer()
    if answer != "yes":
        await show(update, context, context._("Nothing was deleted."))
        return
    user_id = update.effective_user.id
    async with context.db() as session:
        await users.forget_user(session, user_id)
    context.state.languages.pop(user_id, None)
    context.state.picked.pop(user_id, None)
    text = "🗑 " + context._(
        "Done: I deleted everything I stored about you. Write to me any time to start again."
    )
    await show(update, context, text)


async def membership_changed(update: Update, context: BotContext) -> None:
    """The user blocked the bot (nothing more is sent) or started it again."""
    change = update.my_chat_member
    if change.chat.type != change.chat.PRIVATE:
        return
    blocked = change.new_chat_member.status in LEFT
    async with context.db() as session:
        await users.set_blocked(session, change.from_user.id, blocked)
    # the next update of this user re-reads (and, if they write, unblocks) them
    context.state.languages.pop(change.from_user.id, None)


HANDLERS: list[BaseHandler] = [
    CommandHandler("subscribe", subscribe),
    CommandHandler("unsubscribe", unsubscribe),
    CommandHandler("subscriptions", show_subscriptions),
    CommandHandler("forget", ask_forget),
    CallbackQueryHandler(
        subscribe_button, pattern=cb.pattern(cb.SUBSCRIBE_SETTLEMENT, cb.SUBSCRIBE_DISTRICT)
    ),
    CallbackQueryHandler(unsubscribe_button, pattern=cb.pattern(cb.UNSUBSCRIBE)),
    CallbackQueryHandler(forget, pattern=cb.pattern(cb.FORGET)),
    ChatMemberHandler(membership_changed, ChatMemberHandler.MY_CHAT_MEMBER),
]
