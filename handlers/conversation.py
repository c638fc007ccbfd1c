"""Plain text, as people write it: what a message asks (`bot.domain.understanding`) is
answered with the screens of `handlers.common` — a place's card or caravans, subscribing,
help, a greeting — in the message's language unless the user picked one with /language.
How each intent is answered: docs/understanding.md."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from telegram import Update
from telegram.ext import BaseHandler, MessageHandler, filters

from bot.context import BotContext
from bot.domain.understanding import Intent, Understanding, understand
from bot.i18n import pick_language
from bot.places import Found, Places
from bot.views import callbacks as cb
from bot.views import conversation as says
from bot.views.common import district_name
from bot.views.districts import CALENDAR, CARAVANS, OPEN, choices_keyboard
from bot.views.menu import main_menu
from bot.views.subscriptions import subscribe_choices_keyboard
from db import users
from db.models import District, Settlement
from handlers.common import (
    cancel_subscription,
    confirm_subscription,
    search,
    send_calendar,
    show,
    show_caravans_for,
    show_district,
    show_help,
    show_regions,
    show_settlement,
    show_subscription_list,
)
from handlers.common.questions import begin_question, followed_place

SHORT = 40  # characters: short messages (names, greetings) repeat; what they say is kept

Place = Settlement | District


async def answer_text(update: Update, context: BotContext) -> None:
    """Any plain text: understood once, answered by what it asks."""
    text = update.effective_message.text
    heard = understood(await context.places(), text)
    await follow_language(update, context, heard.language)
    await ANSWERS[heard.intent](update, context, heard)


def understood(places: Places, text: str) -> Understanding:
    """`understand(text)` against this copy's index (kept with the copy when short)."""
    if len(text) > SHORT:
        return understand(text, places.search)
    return places.view(("understood", text), lambda: understand(text, places.search))


async def follow_language(update: Update, context: BotContext, language: str | None) -> None:
    """Answer in the language the message is clearly written in, unless the user picked
    theirs with /language (then their choice stands)."""
    if language is None or language == context.language:
        return
    if not await picked_language(update, context):
        context.language = language


async def picked_language(update: Update, context: BotContext) -> bool:
    """Whether the user picked their language with /language: a language other than
    Telegram's says so; else the database, asked once per user (`AppState.picked`)."""
    user, state = update.effective_user, context.state
    if context.language != pick_language(None, user.language_code, state.settings.default_language):
        return True
    picked = state.picked.get(user.id)
    if picked is None:
        async with context.db() as session:
            stored = await users.get_user(session, user.id)
        picked = state.picked[user.id] = stored is not None and stored.language_chosen
    return picked


# --- the answers, one per intent ---------------------------------------------------------------


async def answer_place(update: Update, context: BotContext, heard: Understanding) -> None:
    """A place named and nothing more asked: its card, or the district's settlements."""
    found = (await context.places()).named(heard.places)
    place = only(found)
    if place is None:
        await ask_which(update, context, found, OPEN)
    else:
        await show_place(update, context, place, did_you_mean(heard, place, context))


async def answer_homes(update: Update, context: BotContext, heard: Understanding) -> None:
    """How many homes, when: the card (a district: its settlements); without a place, the
    user's only subscribed place, else the question which."""
    if heard.places:
        await answer_place(update, context, heard)
    elif (place := await subscribed_place(update, context)) is not None:
        await show_place(update, context, place)
    else:
        await show_regions(update, context, says.ask_place_text(context.tr))


async def answer_caravans(update: Update, context: BotContext, heard: Understanding) -> None:
    """The place's caravans; without a place, the user's only subscribed place's, else all."""
    asked, place = await place_meant(update, context, heard, CARAVANS)
    if not asked:
        note = did_you_mean(heard, place, context) if place is not None else None
        await show_caravans_for(update, context, *slugs(place), note)


async def answer_calendar(update: Update, context: BotContext, heard: Understanding) -> None:
    """The place's calendar file (or why there is none); without a place, the user's only
    subscribed place's, else the question which."""
    asked, place = await place_meant(update, context, heard, CALENDAR)
    if asked:
        return
    if place is None:
        await show_regions(update, context, says.ask_place_text(context.tr))
    elif isinstance(place, Settlement):
        await send_calendar(update, context, cb.CALENDAR_SETTLEMENT, place.slug)
    else:
        await send_calendar(update, context, cb.CALENDAR_DISTRICT, place.slug)


async def answer_subscribe(update: Update, context: BotContext, heard: Understanding) -> None:
    """Subscribe to the place named (again is harmless); several: 🔔 each; none: which?"""
    found = (await context.places()).named(heard.places)
    place = only(found)
    if place is not None:
        await confirm_subscription(update, context, place)
    elif heard.places:
        markup = subscribe_choices_keyboard(found.settlements, found.districts, context.tr)
        await show(update, context, says.which_place_text(context.tr), markup)
    else:
        text = says.ask_place_text(context.tr, subscribing=True)
        await show_regions(update, context, text)


async def answer_unsubscribe(update: Update, context: BotContext, heard: Understanding) -> None:
    """Unsubscribe from the place named; otherwise the list with its ❌ buttons."""
    place = only((await context.places()).named(heard.places))
    if place is not None:
        await cancel_subscription(update, context, place)
    else:
        await show_subscription_list(update, context)


async def answer_human(update: Update, context: BotContext, heard: Understanding) -> None:
    """A person is asked for, or a problem told: a question to the admins, about the place
    named (when one); a message that says more than "a person, please" (a problem with the
    house, a place, a long text) is its first message."""
    place = only((await context.places()).named(heard.places))
    says_more = (
        len(heard.intents) > 1 or bool(heard.places) or len(update.effective_message.text) > SHORT
    )
    message_id = update.effective_message.message_id if says_more else None
    await begin_question(update, context, place, message_id=message_id)


async def answer_help(update: Update, context: BotContext, heard: Understanding) -> None:
    await show_help(update, context)


async def answer_thanks(update: Update, context: BotContext, heard: Understanding) -> None:
    await show(update, context, says.thanks_text(context.tr))


async def answer_greeting(update: Update, context: BotContext, heard: Understanding) -> None:
    await show(update, context, says.greeting_text(context.tr), main_menu(context.tr))


async def answer_unknown(update: Update, context: BotContext, heard: Understanding) -> None:
    """A name the search may still place (or suggest), as before; anything else: what the
    bot can do, with the menu, never the message quoted back."""
    if heard.bare:
        await search(update, context, update.effective_message.text)
    else:
        await show(update, context, says.not_understood_text(context.tr), main_menu(context.tr))


ANSWERS: dict[Intent, Callable[[Update, BotContext, Understanding], Awaitable[None]]] = {
    Intent.PLACE: answer_place,
    Intent.HOMES: answer_homes,
    Intent.CARAVANS: answer_caravans,
    Intent.CALENDAR: answer_calendar,
    Intent.SUBSCRIBE: answer_subscribe,
    Intent.UNSUBSCRIBE: answer_unsubscribe,
    Intent.HUMAN: answer_human,
    Intent.HELP: answer_help,
    Intent.THANKS: answer_thanks,
    Intent.GREETING: answer_greeting,
    Intent.UNKNOWN: answer_unknown,
}


# --- places ------------------------------------------------------------------------------------


def only(found: Found) -> Place | None:
    """The one place found, if one."""
    return found.settlement or found.district


def slugs(place: Place | None) -> tuple[str | None, str | None]:
    """(settlement slug, district slug) for `show_caravans_for`."""
    if isinstance(place, Settlement):
        return place.slug, None
    if isinstance(place, District):
        return None, place.slug
    return None, None


async def place_meant(
    update: Update, context: BotContext, heard: Understanding, action: tuple[str, str, str]
) -> tuple[bool, Place | None]:
    """(asked?, the place) for a question about caravans: the one place named (a town and
    its district of one name: the district, whose caravans are the town's too), else the
    question which (asked); none named: the user's only subscribed place, if any."""
    if not heard.places:
        return False, await subscribed_place(update, context)
    found = (await context.places()).named(heard.places, whole_district=True)
    place = only(found)
    if place is None:
        await ask_which(update, context, found, action)
    return place is None, place


async def show_place(
    update: Update, context: BotContext, place: Place, note: str | None = None
) -> None:
    if isinstance(place, Settlement):
        await show_settlement(update, context, place, note)
    else:
        await show_district(update, context, place, note)


def did_you_mean(heard: Understanding, place: Place, context: BotContext) -> str | None:
    """The line "Showing Şuşakənd — did you mean something else?", for a loose match."""
    if not heard.fuzzy:
        return None
    tr = context.tr
    name = place.name(tr.lang) if isinstance(place, Settlement) else district_name(place, tr)
    return says.showing_line(name, tr)


async def ask_which(
    update: Update, context: BotContext, found: Found, action: tuple[str, str, str]
) -> None:
    """Several places in one message: a button each, named apart ("Xocavənd (şəhər)",
    "Xocavənd rayonu"), opening it or (`action`) its caravans or calendar file."""
    places, tr = await context.places(), context.tr
    markup = places.view(
        ("choices", tuple(found.settlements), tuple(found.districts), tr.lang, action),
        lambda: choices_keyboard(found.settlements, found.districts, tr, action),
    )
    await show(update, context, says.which_place_text(tr), markup)


async def subscribed_place(update: Update, context: BotContext) -> Place | None:
    """The settlement or district the user follows, when they follow exactly one."""
    return await followed_place(context, update.effective_user.id)


HANDLERS: list[BaseHandler] = [
    MessageHandler(filters.TEXT & ~filters.COMMAND & filters.ChatType.PRIVATE, answer_text),
]
