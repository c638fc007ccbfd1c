"""/calendar <place> and the 📅 button: an .ics file of the place's upcoming caravans."""

from __future__ import annotations

from html import escape

from telegram import InlineKeyboardMarkup, InputFile, Update
from telegram.constants import ParseMode
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot.context import BotContext
from bot.places import Found
from bot.views import calendar as calendar_file
from bot.views import callbacks as cb
from bot.views import poster as qr
from bot.views.caravans import calendar_button
from bot.views.common import district_name, place_name
from handlers.common import place_query, show_search_outcome, which_one

MAX_EVENTS = 200  # far more than any place has; bounds the file
ALERT_LIMIT = 200  # characters Telegram allows in a callback query's alert


async def calendar(update: Update, context: BotContext) -> None:
    """/calendar <settlement|district>"""
    if not context.args:
        text = context._(
            "Which place? For example <code>/calendar Sos</code> or "
            "<code>/calendar Khojavand</code>: I send a calendar file of its upcoming caravans."
        )
        await update.effective_message.reply_text(text, parse_mode=ParseMode.HTML)
        return
    text = place_query(" ".join(context.args))
    found = (await context.places()).find(text)
    if found.settlement is not None:
        await send_calendar(update, context, cb.CALENDAR_SETTLEMENT, found.settlement.slug)
    elif found.district is not None:
        await send_calendar(update, context, cb.CALENDAR_DISTRICT, found.district.slug)
    elif found.settlements or found.districts:
        await offer_calendars(update, context, text, found)
    else:
        await show_search_outcome(update, context, text, found)


async def offer_calendars(update: Update, context: BotContext, text: str, found: Found) -> None:
    """Several places match: one 📅 button each, so one more tap gives the file."""
    tr = context.tr
    buttons = [
        calendar_button(cb.CALENDAR_SETTLEMENT, s.slug, tr, place_name(s, tr))
        for s in found.settlements
    ]
    buttons += [
        calendar_button(cb.CALENDAR_DISTRICT, d.slug, tr, district_name(d, tr))
        for d in found.districts
    ]
    message = which_one(context, text)
    await update.effective_message.reply_text(
        message, reply_markup=InlineKeyboardMarkup([[b] for b in buttons])
    )


async def press_calendar(update: Update, context: BotContext) -> None:
    """📅 on a settlement card or a caravan list."""
    prefix, slug = cb.parse(update.callback_query.data)
    await send_calendar(update, context, prefix, slug)


async def send_calendar(update: Update, context: BotContext, prefix: str, slug: str) -> None:
    """The .ics document, or, when nothing is upcoming, an honest answer instead of a file."""
    tr, query = context.tr, update.callback_query
    is_settlement = prefix == cb.CALENDAR_SETTLEMENT
    data = (await context.places()).data
    place = data.settlement(slug) if is_settlement else data.district(slug)
    upcoming, caravans = data.upcoming_or_recent_caravans(
        context.today,
        limit=MAX_EVENTS,
        settlement_slug=slug if is_settlement else None,
        district_slug=None if is_settlement else slug,
    )
    if place is None:
        await _say(update, context, context._("This place is no longer in the list."))
        return
    name = place_name(place, tr) if is_settlement else district_name(place, tr)
    if not upcoming:
        message = context._(
            "No upcoming caravan to {place} has been announced yet, so there is nothing to "
            "add to a calendar. Subscribe with 🔔 to hear when one is."
        ).format(place=name)
        await _say(update, context, message)
        return
    if query is not None:
        await query.answer()
    link = qr.deep_link(context.bot.username, "s" if is_settlement else "d", slug)
    data = calendar_file.caravans_calendar(
        caravans,
        tr,
        name=context._("Caravans: {place}").format(place=name),
        now=context.state.clock(),
        link=link,
    )
    caption = "📅 " + tr.ngettext(
        "{n} upcoming caravan to {place}. Open the file to add it to your calendar.",
        "{n} upcoming caravans to {place}. Open the file to add them to your calendar.",
        len(caravans),
    ).format(n=tr.number(len(caravans)), place=escape(name))
    await update.effective_chat.send_document(
        InputFile(data, filename=calendar_file.file_name(slug)),  # .ics → text/calendar
        caption=caption,
        parse_mode=ParseMode.HTML,
    )


async def _say(update: Update, context: BotContext, text: str) -> None:
    """An alert for a button press (a message when too long for one), else a reply."""
    query = update.callback_query
    if query is not None and len(text) <= ALERT_LIMIT:
        await query.answer(text, show_alert=True)
        return
    if query is not None:
        await query.answer()
    await update.effective_chat.send_message(text)


HANDLERS: list[BaseHandler] = [
    CommandHandler("calendar", calendar),
    CallbackQueryHandler(
        press_calendar, pattern=cb.pattern(cb.CALENDAR_SETTLEMENT, cb.CALENDAR_DISTRICT)
    ),
]
