"""/near and shared locations: the nearest settlements with distances, to open or follow;
only settlements whose coordinates the dataset gives take part (the reply says so). The
📍 Location button on a card is in `handlers.schedule`."""

from __future__ import annotations

from html import escape

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    Update,
)
from telegram.constants import ParseMode
from telegram.ext import BaseHandler, CommandHandler, MessageHandler, filters

from bot.context import BotContext
from bot.domain import geo
from bot.i18n import Translator
from bot.views import callbacks as cb
from bot.views.common import district_name
from db.models import Settlement

NEAREST = 5


async def ask_location(update: Update, context: BotContext) -> None:
    """/near: a reply-keyboard button that shares the user's location in one tap."""
    _ = context._
    button = KeyboardButton("📍 " + _("Share my location"), request_location=True)
    keyboard = ReplyKeyboardMarkup(
        [[button]], resize_keyboard=True, one_time_keyboard=True, is_persistent=False
    )
    text = _(
        "Press “📍 Share my location” below and I will list the nearest settlements, with "
        "distances. You can also send any point from the 📎 menu → Location."
    )
    await update.effective_message.reply_text(text, reply_markup=keyboard)


async def nearest_settlements(update: Update, context: BotContext) -> None:
    """A shared location: the nearest settlements, each with 🏘 open and 🔔 subscribe."""
    tr, location = context.tr, update.effective_message.location
    located = (await context.places()).data.located_settlements()
    ranked = geo.nearest(
        ((s, s.latitude, s.longitude) for s in located),
        location.latitude,
        location.longitude,
        NEAREST,
    )
    if not ranked:
        await update.effective_message.reply_text(
            tr.gettext("No settlement has published coordinates yet.")
        )
        return
    text, markup = _nearest_view(ranked, len(located), tr)
    await update.effective_message.reply_text(text, parse_mode=ParseMode.HTML, reply_markup=markup)


def _nearest_view(
    ranked: list[geo.Near[Settlement]], located: int, tr: Translator
) -> tuple[str, InlineKeyboardMarkup]:
    """The nearest settlements, one line and one row of 🏘 and 🔔 buttons each; `located`
    settlements have coordinates at all."""
    lines = ["📍 <b>" + tr.gettext("Settlements nearest to you") + "</b>", ""]
    rows = []
    for number, near in enumerate(ranked, start=1):
        settlement, distance = near.place, geo.format_km(near.km, tr.lang)
        name = settlement.name(tr.lang)
        district = district_name(settlement.district, tr)
        lines.append(f"{number}. <b>{escape(name)}</b> — {distance} · {escape(district)}")
        rows.append(
            [
                InlineKeyboardButton(
                    f"🏘 {name} · {distance}", callback_data=cb.make(cb.SETTLEMENT, settlement.slug)
                ),
                InlineKeyboardButton(
                    "🔔", callback_data=cb.make(cb.SUBSCRIBE_SETTLEMENT, settlement.slug)
                ),
            ]
        )
    lines += [
        "",
        "<i>"
        + tr.ngettext(
            "Straight-line distances; only {n} settlement has published coordinates so far.",
            "Straight-line distances; only {n} settlements have published coordinates so far.",
            located,
        ).format(n=tr.number(located))
        + "</i>",
    ]
    return "\n".join(lines), InlineKeyboardMarkup(rows)


HANDLERS: list[BaseHandler] = [
    CommandHandler("near", ask_location),
    MessageHandler(
        filters.LOCATION & filters.ChatType.PRIVATE & ~filters.UpdateType.EDITED,
        nearest_settlements,
    ),
]
