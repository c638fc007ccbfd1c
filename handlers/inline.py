"""Inline mode: `@bot sos` in any chat offers settlement cards to post there, matched and
composed from the in-memory place data (no database work); a district's name offers its
settlements; results are in the querying user's language, so they are personal."""

from __future__ import annotations

import datetime as dt

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InlineQueryResultsButton,
    InputTextMessageContent,
    LinkPreviewOptions,
    Update,
)
from telegram.constants import ParseMode
from telegram.ext import BaseHandler, InlineQueryHandler

from bot.context import BotContext
from bot.domain.housing import split_caravans
from bot.places import Places
from bot.views import poster as qr
from bot.views.common import district_name, kind_label
from db.models import Settlement
from handlers.common import freshness, place_query, settlement_view

MAX_RESULTS = 50  # Telegram's limit per answer
CACHE_SECONDS = 300  # the data changes a few times a week; five minutes keeps answers fresh


def default_order(settlements: list[Settlement], today: dt.date) -> list[Settlement]:
    """For an empty query: the next caravans first (soonest first), then the places with the
    most recent caravans, then the rest in dataset order."""

    def key(settlement: Settlement) -> tuple[int, int]:
        upcoming, past = split_caravans(settlement.caravans, today)
        if upcoming:
            return 0, upcoming[0].date.toordinal()
        if past and past[0].date is not None:
            return 1, -past[0].date.toordinal()
        return 2, 0

    return sorted(settlements, key=key)


async def matching_settlements(context: BotContext, text: str) -> list[Settlement]:
    """Settlements for the typed text, best match first (a district gives its settlements)."""
    places = await context.places()
    if not text:
        every = sorted(places.data.settlements.values(), key=lambda s: s.id)
        return default_order(every, context.today)[:MAX_RESULTS]
    matches = places.search.search(text, limit=MAX_RESULTS)
    keys = [m.key.partition(":") for m in matches]
    slugs = {slug for kind, _sep, slug in keys if kind == "settlement"}
    districts = {slug for kind, _sep, slug in keys if kind == "district"}
    found = sorted(
        (
            s
            for s in places.data.settlements.values()
            if s.slug in slugs or s.district.slug in districts
        ),
        key=lambda s: s.id,
    )
    rank = {("settlement", s): i for i, (_k, _sep, s) in enumerate(keys)}
    rank |= {("district", d): i for i, (_k, _sep, d) in enumerate(keys)}

    def position(settlement: Settlement) -> tuple[int, int]:
        own = rank.get(("settlement", settlement.slug))
        if own is not None:
            return own, 0
        return rank.get(("district", settlement.district.slug), MAX_RESULTS), settlement.position

    return sorted(found, key=position)[:MAX_RESULTS]


def result(settlement: Settlement, context: BotContext, places: Places) -> InlineQueryResultArticle:
    """One settlement as an article: the card, and a button that opens it in the bot."""
    tr = context.tr
    card, _keyboard = settlement_view(places, settlement, tr, freshness(context))
    link = qr.deep_link(context.bot.username, "s", settlement.slug)
    open_button = InlineKeyboardButton("🤖 " + tr.gettext("Open in the bot"), url=link)
    description = f"{kind_label(settlement.kind, tr)} · " + district_name(settlement.district, tr)
    return InlineQueryResultArticle(
        id=f"s_{settlement.slug}"[:64],  # Telegram's limit for result ids
        title=settlement.name(tr.lang),
        description=description,
        input_message_content=InputTextMessageContent(
            card,
            parse_mode=ParseMode.HTML,
            link_preview_options=LinkPreviewOptions(is_disabled=True),
        ),
        reply_markup=InlineKeyboardMarkup([[open_button]]),
    )


async def answer_inline(update: Update, context: BotContext) -> None:
    """`@bot <name>`: up to 50 settlement cards; nothing found → a button to the bot."""
    query = update.inline_query
    settlements = await matching_settlements(context, place_query(query.query))
    button = None
    if not settlements:
        button = InlineQueryResultsButton(
            text=context._("Nothing found. Open the bot"), start_parameter="inline"
        )
    places = await context.places()
    await query.answer(
        [result(s, context, places) for s in settlements],
        cache_time=CACHE_SECONDS,
        is_personal=True,  # the cards are in the querying user's language
        button=button,
    )


HANDLERS: list[BaseHandler] = [InlineQueryHandler(answer_inline)]
