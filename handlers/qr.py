"""/qr <place> (admins): the poster PNG of `returnbot qr`, as a document to print."""

from __future__ import annotations

import asyncio
from html import escape

from telegram import InputFile, Update
from telegram.constants import ParseMode
from telegram.ext import BaseHandler, CommandHandler

from bot.context import BotContext
from bot.views import poster as qr
from handlers.common import place_query, require_admin, show_search_outcome


async def send_qr(update: Update, context: BotContext) -> None:
    """/qr <settlement|district>: a QR poster of the place's deep link, for admins."""
    if not await require_admin(update, context):
        return
    if not context.args:
        text = context._(
            "Which place? For example <code>/qr Sos</code>: I send a poster with a QR code "
            "that opens the place in this bot."
        )
        await update.effective_message.reply_text(text, parse_mode=ParseMode.HTML)
        return
    text = place_query(" ".join(context.args))
    found = (await context.places()).find(text)
    place = found.settlement or found.district
    if place is None:
        await show_search_outcome(update, context, text, found)
        return
    link = qr.place_link(context.bot.username, place)
    png = await asyncio.to_thread(qr.poster_png, link, qr.place_names(place))  # CPU-bound
    caption = context._("Poster for {place}: print it for a registration centre.").format(
        place=escape(place.name(context.tr.lang))
    )
    await update.effective_chat.send_document(
        InputFile(png, filename=f"qr-{place.slug}.png"),
        caption=f"🖨 {caption}\n{escape(link)}",
        parse_mode=ParseMode.HTML,
    )


HANDLERS: list[BaseHandler] = [CommandHandler("qr", send_qr)]
