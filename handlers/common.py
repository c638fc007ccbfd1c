"""What several handlers share: showing a view in place, and finding a place by name."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from html import escape

from telegram import InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest

from bot import cards
from bot.context import BotContext
from bot.text import split_html
from db.models import District, Settlement

MAX_QUERY = 200  # longer text is not a place name; searching it only costs time

log = logging.getLogger(__name__)


def place_query(text: str) -> str:
    """What the user typed as a place name: spaces collapsed, at most MAX_QUERY characters."""
    return " ".join(text.split())[:MAX_QUERY]


async def show(
    update: Update, context: BotContext, text: str, markup: InlineKeyboardMarkup | None = None
) -> None:
    """Edit the pressed message in place, or reply to a message. Text longer than one message
    is split (`bot.text.split_html`): the first part edits or replies, the others follow as
    new messages, and the keyboard goes with the last part."""
    first, *rest = split_html(text)
    query = update.callback_query
    if query is not None and query.message is not None and query.message.is_accessible:
        try:
            await query.edit_message_text(
                first,
                parse_mode=ParseMode.HTML,
                reply_markup=None if rest else markup,
                disable_web_page_preview=True,
            )
        except BadRequest as error:
            if "not modified" not in error.message:
                raise
    else:
        await update.effective_message.reply_text(
            first,
            parse_mode=ParseMode.HTML,
            reply_markup=None if rest else markup,
            disable_web_page_preview=True,
        )
    for number, part in enumerate(rest, 1):
        await update.effective_chat.send_message(
            part,
            parse_mode=ParseMode.HTML,
            reply_markup=markup if number == len(rest) else None,
            disable_web_page_preview=True,
        )


@dataclass
class Found:
    """The outcome of a place search: one place, several candidates, or suggestions."""

    settlement: Settlement | None = None
    district: District | None = None
    settlements: list[Settlement] = field(default_factory=list)
    districts: list[District] = field(default_factory=list)
    suggestions: list[str] = field(default_factory=list)


async def find_place(context: BotContext, text: str) -> Found:
    """Search settlements and districts by any spelling (see `bot.search`)."""
    places = await context.places()
    best, candidates = places.search.resolve(text)
    found = Found()
    if best is not None:
        kind, _, slug = best.key.partition(":")
        if kind == "settlement":
            found.settlement = places.data.settlement(slug)
        else:
            found.district = places.data.district(slug)
        return found
    found.settlements, found.districts = places.data.places_by_keys(m.key for m in candidates)
    if not candidates:
        found.suggestions = [m.key for m in places.search.suggest(text)]
    return found


async def show_search_outcome(update: Update, context: BotContext, text: str, found: Found) -> None:
    """Several matches → buttons to choose; none → suggestions and a way to browse."""
    _ = context._
    if found.settlements or found.districts:
        message = _("Several places match “{query}”. Which one do you mean?").format(
            query=escape(text)
        )
        markup = cards.choices_keyboard(found.settlements, found.districts, context.tr)
        await show(update, context, message, markup)
        return
    places = await context.places()
    settlements, districts = places.data.places_by_keys(found.suggestions)
    lines = [
        _("I could not find a settlement or district called “{query}”.").format(
            query=escape(text[:100])
        )
    ]
    if settlements or districts:
        lines.append(_("Did you mean one of these?"))
    else:
        lines.append(
            _(
                "Try the name in Azerbaijani, English or Russian (for example Sos, Şuşakənd, "
                "Шушакенд), or browse all districts."
            )
        )
    markup = cards.choices_keyboard(settlements, districts, context.tr)
    await show(update, context, "\n".join(lines), markup)


async def show_settlement(update: Update, context: BotContext, settlement: Settlement) -> None:
    text = cards.settlement_card(settlement, context.tr, context.today)
    await show(update, context, text, cards.settlement_keyboard(settlement, context.tr))


async def show_settlement_by_slug(update: Update, context: BotContext, slug: str) -> None:
    settlement = (await context.places()).data.settlement(slug)
    if settlement is None:
        await show_search_outcome(update, context, slug, Found())
        return
    await show_settlement(update, context, settlement)


async def show_regions(update: Update, context: BotContext) -> None:
    data = (await context.places()).data
    text, markup = cards.regions_view(data.regions, data.settlement_counts(), context.tr)
    await show(update, context, text, markup)


async def show_district(update: Update, context: BotContext, district: District) -> None:
    text, markup = cards.district_view(district, context.tr)
    await show(update, context, text, markup)


async def show_district_by_slug(update: Update, context: BotContext, slug: str) -> None:
    district = (await context.places()).data.district(slug)
    if district is None:
        await show_regions(update, context)
        return
    await show_district(update, context, district)


async def search(update: Update, context: BotContext, text: str) -> None:
    """Show the place `text` names, or the candidates, or suggestions."""
    text = place_query(text)
    found = await find_place(context, text)
    if found.settlement is not None:
        await show_settlement(update, context, found.settlement)
    elif found.district is not None:
        await show_district(update, context, found.district)
    else:
        await show_search_outcome(update, context, text, found)
