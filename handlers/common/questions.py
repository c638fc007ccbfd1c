"""What features share about questions to a person: opening one (/ask, ✉️, "I want to talk
to a person", a captioned photo, ⚠️ on a card), its place, the FAQ entry offered before it
is passed on, passing it on (docs/support.md)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from telegram import ForceReply, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode

from bot.context import BotContext
from bot.domain import faq as faq_match
from bot.relay import limit_reply, open_question, remember_bot_message
from bot.views import faq as faq_texts
from bot.views import support as asking
from db import faq, tickets, users
from db.models import District, Settlement, Ticket
from handlers.common import _alert_or_say, place_arguments, show

# ------------------------------------------------------------------ FAQ before a person


async def faq_offer(
    context: BotContext,
    text: str,
    place: Settlement | District | None = None,
    ask_argument: str = "",
) -> tuple[str, InlineKeyboardMarkup] | None:
    """For a question about to go to a person: the FAQ entry that may answer it, as "This
    may answer it … — still ask a person?" with "✅ That answers it" and "✉️ Still ask a
    person" (callback `ask:<ask_argument>`, for the ask feature), in the reader's language;
    None when no entry fits `text` for `place`."""
    async with context.db() as session:
        entries = {e.id: e for e in await faq.entries(session)}
    places = await context.places()
    names = places.view(
        ("faq place words",),
        lambda: faq_match.place_words(n for p in places.data.places() for n in p.names),
    )
    candidates = [faq_match.Candidate(e.id, e.question, faq.place_key(e)) for e in entries.values()]
    best = faq_match.match(text, candidates, faq.keys_of(place), names)
    if best is None:
        return None
    return faq_texts.offer(entries[best.id], context.tr, ask_argument)


# ------------------------------------------------------------------ asking a person


async def faq_first(update: Update, context: BotContext, ticket: Ticket) -> bool:
    """A question (not a data report) whose words match a FAQ entry is offered the entry
    first; the draft keeps the message and waits for "✉️ Still ask a person" (`ask:t<id>`,
    the support feature) or "✅ That answers it" (the FAQ feature drops the draft)."""
    message = update.effective_message
    if ticket.kind != tickets.QUESTION or update.callback_query is not None or message is None:
        return False
    text = message.text or message.caption
    if not text:
        return False
    data = (await context.places()).data
    if ticket.settlement is not None:
        place: Settlement | District | None = data.settlement(ticket.settlement.slug)
    else:
        place = data.district(ticket.district.slug) if ticket.district is not None else None
    offered = await faq_offer(context, text, place, ask_argument=f"t{ticket.id}")
    if offered is None:
        return False
    async with context.db() as session:
        await tickets.keep_message(session, ticket.id, message.message_id)
    await show(update, context, *offered)
    return True


# Asked, in order, before a question is passed on: `hook(update, context, ticket)` returns
# True when it answered and holds the question (it then passes it on later with
# `pass_on`, or not).
BEFORE_PASSING_ON: list[Callable[[Update, BotContext, Ticket], Awaitable[bool]]] = [faq_first]


async def followed_place(context: BotContext, user_id: int) -> Settlement | District | None:
    """The settlement or district the user follows, when they follow exactly one."""
    async with context.db() as session:
        subscriptions = await users.subscriptions(session, user_id)
    followed = [s for s in subscriptions if s.settlement is not None or s.district is not None]
    if len(followed) != 1:
        return None
    data, subscription = (await context.places()).data, followed[0]
    if subscription.settlement is not None:
        return data.settlement(subscription.settlement.slug)
    return data.district(subscription.district.slug)


async def begin_question(
    update: Update,
    context: BotContext,
    place: Settlement | District | None = None,
    *,
    message_id: int | None = None,
    kind: str = tickets.QUESTION,
    report: str | None = None,
) -> None:
    """Open a question to a person (/ask, ✉️, "I want to talk to a person", a photo with a
    caption, ⚠️ on a card): about `place`, else the one the user follows, else asked with
    buttons; `message_id`, the user's message that asked, is its first message."""
    user, chat = update.effective_user, update.effective_chat
    if chat is None or chat.type != chat.PRIVATE:  # a card's ⚠️ in a group, say
        await _alert_or_say(update, context, asking.private_only(context.tr))
        return
    refusal = await limit_reply(context, user.id, new=True)
    if refusal is not None:
        await show(update, context, refusal)
        return
    if place is None:
        place = await followed_place(context, user.id)
    async with context.db() as session:
        ticket = await tickets.begin(
            session,
            user_id=user.id,
            chat_id=chat.id,
            first_name=user.first_name or "",
            language=context.tr.lang,
            now=context.state.clock(),
            kind=kind,
            place_chosen=place is not None,
            report=report,
            waiting_message_id=message_id,
            **place_arguments(place),
        )
    context.state.drafts.opened(user.id)
    await continue_question(update, context, ticket)


async def continue_question(update: Update, context: BotContext, ticket: Ticket) -> None:
    """The next step of a draft: its place asked, its first message passed on, or the
    question asked for (a ForceReply, so that the answer comes back to it)."""
    if not ticket.place_chosen:
        regions = (await context.places()).data.regions
        text, markup = asking.which_place(ticket, regions, context.tr)
        await show(update, context, text, markup)
    elif ticket.waiting_message_id is not None:
        await pass_on(update, context, ticket, [ticket.waiting_message_id])
    else:
        if update.callback_query is not None:
            await update.callback_query.answer()
        prompt = await update.effective_chat.send_message(
            asking.write_prompt(ticket, context.tr),
            parse_mode=ParseMode.HTML,
            reply_markup=ForceReply(input_field_placeholder=context._("Your question")),
        )
        await remember_bot_message(context, ticket, prompt)


async def pass_on(
    update: Update, context: BotContext, ticket: Ticket, message_ids: Sequence[int]
) -> None:
    """Pass a written draft on to the admins, and give the user its number."""
    for hook in BEFORE_PASSING_ON:
        if await hook(update, context, ticket):
            return
    if not await open_question(context, ticket, message_ids):
        return
    confirmation = await update.effective_chat.send_message(asking.passed_on(ticket, context.tr))
    await remember_bot_message(context, ticket, confirmation)
