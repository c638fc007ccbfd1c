"""What several handlers share: showing a view in place, and finding a place by name."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from html import escape

from telegram import InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest

from bot.context import BotContext
from bot.i18n import Translator
from bot.places import Places
from bot.views.districts import choices_keyboard, district_view, regions_view
from bot.views.settlement import settlement_card, settlement_keyboard
from bot.views.split import split_html
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
    is split (`bot.views.split.split_html`): the first part edits or replies, the others follow as
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


@dataclass(frozen=True)
class Found:
    """The outcome of a place search: one place, several candidates, or suggestions (shared
    by every search of the same text: never change one)."""

    settlement: Settlement | None = None
    district: District | None = None
    settlements: list[Settlement] = field(default_factory=list)
    districts: list[District] = field(default_factory=list)
    suggestions: list[str] = field(default_factory=list)


async def find_place(context: BotContext, text: str) -> Found:
    """Search settlements and districts by any spelling (see `bot.domain.search`)."""
    places = await context.places()
    return places.view(("find", text), lambda: _find(places, text))


def _find(places: Places, text: str) -> Found:
    best, candidates = places.search.resolve(text)
    if best is not None:
        kind, _, slug = best.key.partition(":")
        if kind == "settlement":
            return Found(settlement=places.data.settlement(slug))
        return Found(district=places.data.district(slug))
    settlements, districts = places.data.places_by_keys(m.key for m in candidates)
    suggestions = [] if candidates else [m.key for m in places.search.suggest(text)]
    return Found(settlements=settlements, districts=districts, suggestions=suggestions)


async def show_search_outcome(update: Update, context: BotContext, text: str, found: Found) -> None:
    """Several matches → buttons to choose; none → suggestions and a way to browse."""
    places, tr = await context.places(), context.tr
    if found.settlements or found.districts:
        message = tr.gettext("Several places match “{query}”. Which one do you mean?").format(
            query=escape(text)
        )
        markup = places.view(
            ("choices", tuple(found.settlements), tuple(found.districts), tr.lang),
            lambda: choices_keyboard(found.settlements, found.districts, tr),
        )
        await show(update, context, message, markup)
        return
    message, markup = places.view(
        ("not found", text, tuple(found.suggestions), tr.lang),
        lambda: _not_found(places, text, found.suggestions, tr),
    )
    await show(update, context, message, markup)


def _not_found(
    places: Places, text: str, suggestions: list[str], tr: Translator
) -> tuple[str, InlineKeyboardMarkup]:
    _ = tr.gettext
    settlements, districts = places.data.places_by_keys(suggestions)
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
    return "\n".join(lines), choices_keyboard(settlements, districts, tr)


def settlement_view(
    places: Places, settlement: Settlement, tr: Translator, today: dt.date
) -> tuple[str, InlineKeyboardMarkup]:
    """A settlement's card and keyboard, composed once per copy, language and day."""

    def compose() -> tuple[str, InlineKeyboardMarkup]:
        return settlement_card(settlement, tr, today), settlement_keyboard(settlement, tr)

    if places.data.settlement(settlement.slug) is settlement:  # (not one of an older copy)
        return places.view(("settlement", settlement.slug, tr.lang, today), compose)
    return compose()


async def show_settlement(update: Update, context: BotContext, settlement: Settlement) -> None:
    places = await context.places()
    text, markup = settlement_view(places, settlement, context.tr, context.today)
    await show(update, context, text, markup)


async def show_settlement_by_slug(update: Update, context: BotContext, slug: str) -> None:
    settlement = (await context.places()).data.settlement(slug)
    if settlement is None:
        await show_search_outcome(update, context, slug, Found())
        return
    await show_settlement(update, context, settlement)


async def show_regions(update: Update, context: BotContext) -> None:
    places, tr = await context.places(), context.tr
    data = places.data
    text, markup = places.view(
        ("regions", tr.lang), lambda: regions_view(data.regions, data.settlement_counts(), tr)
    )
    await show(update, context, text, markup)


async def show_district(update: Update, context: BotContext, district: District) -> None:
    places, tr = await context.places(), context.tr
    if places.data.district(district.slug) is district:  # (not one of an older copy)
        text, markup = places.view(
            ("district", district.slug, tr.lang), lambda: district_view(district, tr)
        )
    else:
        text, markup = district_view(district, tr)
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
