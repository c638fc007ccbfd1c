"""/progress [place] and the 📊 buttons: the progress chart as a photo, drawn off the event
loop once per place copy, place, language and day, and sent again by Telegram's file_id."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from telegram import InputFile, Update
from telegram.constants import ChatAction, ParseMode
from telegram.error import BadRequest
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot.context import BotContext
from bot.places import Places
from bot.views import callbacks as cb
from bot.views import chart
from bot.views import progress as view
from bot.views.common import district_name
from bot.views.districts import PROGRESS, choices_keyboard
from db.models import District, Settlement
from handlers.common import freshness, place_query, show_search_outcome, which_one


async def show_progress(update: Update, context: BotContext) -> None:
    """/progress [settlement|district]: that place's chart; no place, every settlement's."""
    if not context.args:
        await send_chart(update, context, None)
        return
    text = place_query(" ".join(context.args))
    found = (await context.places()).find(text)
    place = found.settlement or found.district
    if place is not None:
        await send_chart(update, context, place)
    elif found.settlements or found.districts:
        markup = choices_keyboard(found.settlements, found.districts, context.tr, PROGRESS)
        await update.effective_message.reply_text(which_one(context, text), reply_markup=markup)
    else:
        await show_search_outcome(update, context, text, found)


async def press_progress(update: Update, context: BotContext) -> None:
    """📊 on a card, a district or the list of districts."""
    query = update.callback_query
    prefix, slug = cb.parse(query.data)
    data = (await context.places()).data
    place: Settlement | District | None = None
    if prefix == cb.PROGRESS_SETTLEMENT:
        place = data.settlement(slug)
    elif prefix == cb.PROGRESS_DISTRICT:
        place = data.district(slug)
    if place is None and prefix != cb.PROGRESS_ALL:
        await query.answer(context._("This place is no longer in the list."), show_alert=True)
        return
    await query.answer()
    await send_chart(update, context, place)


@dataclass(frozen=True)
class Picture:
    """What a chart of one place is made of: its name, settlements, caption and drawing."""

    kind: str  # settlement, district, all
    slug: str
    name: str
    settlements: Sequence[Settlement]
    caption: str
    draw: Callable[[], chart.Chart]


def picture(places: Places, place: Settlement | District | None, context: BotContext) -> Picture:
    """The chart of `place` (None: every settlement), taken from this copy of the data."""
    data, tr, today = places.data, context.tr, context.today
    credit = f"@{context.bot.username}"
    if isinstance(place, Settlement):
        place = data.settlement(place.slug) or place  # (not one of an older copy)
        caption = view.settlement_caption(place, tr, freshness(context))
        settlement = place
        return Picture(
            kind="settlement",
            slug=place.slug,
            name=place.name(tr.lang),
            settlements=[place],
            caption=caption,
            draw=lambda: chart.settlement_chart(settlement, tr, today, credit=credit),
        )
    if isinstance(place, District):
        district = data.district(place.slug) or place
        name, settlements = district_name(district, tr), district.settlements
        caption = view.district_caption(district, tr, today)
        kind, slug = "district", district.slug
    else:
        name = tr.gettext("Progress in every settlement")
        settlements = list(data.settlements.values())
        caption = view.overall_caption(settlements, tr, today)
        kind, slug = "all", "all"
    return Picture(
        kind=kind,
        slug=slug,
        name=name,
        settlements=settlements,
        caption=caption,
        draw=lambda: chart.places_chart(name, settlements, tr, today, credit=credit),
    )


async def send_chart(
    update: Update, context: BotContext, place: Settlement | District | None
) -> None:
    """The chart of `place` (None: every settlement) with its caption, or, when nothing about
    it is published, a sentence saying so."""
    places, tr, chat = await context.places(), context.tr, update.effective_chat
    shown = picture(places, place, context)
    if not view.has_figures(shown.settlements, context.today):
        await chat.send_message(view.nothing_to_draw(shown.name, tr), parse_mode=ParseMode.HTML)
        return
    key = ("chart", shown.kind, shown.slug, tr.lang, context.today, context.bot.username)
    photo: str | InputFile | None = places.uploads.get(key)
    if photo is None:
        if key not in places.images:
            await chat.send_chat_action(ChatAction.UPLOAD_PHOTO)
        png = await places.image(key, timed(shown.draw, context, shown.kind))
        photo = InputFile(png, filename=f"progress-{shown.slug}.png")
    try:
        message = await chat.send_photo(
            photo,
            caption=shown.caption,
            parse_mode=ParseMode.HTML,
            reply_markup=view.chart_keyboard(place, tr),
        )
    except BadRequest:
        if isinstance(photo, InputFile):
            raise
        places.uploads.pop(key, None)  # Telegram no longer knows the file_id: upload again
        await send_chart(update, context, place)
        return
    if message.photo:
        places.uploads[key] = message.photo[-1].file_id


def timed(draw: Callable[[], chart.Chart], context: BotContext, kind: str) -> Callable[[], bytes]:
    """`draw`'s PNG, its drawing time observed in `returnbot_chart_seconds`."""
    histogram: Any = context.state.metrics.charts.labels(kind)

    def drawn() -> bytes:
        started = time.perf_counter()
        png = draw().png
        histogram.observe(time.perf_counter() - started)
        return png

    return drawn


HANDLERS: list[BaseHandler] = [
    CommandHandler("progress", show_progress),
    CallbackQueryHandler(
        press_progress,
        pattern=cb.pattern(cb.PROGRESS_SETTLEMENT, cb.PROGRESS_DISTRICT, cb.PROGRESS_ALL),
    ),
]
