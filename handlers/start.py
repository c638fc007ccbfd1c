"""First contact: the user's language, /start with deep links, /help, /language, the menu."""

from __future__ import annotations

import logging
from collections.abc import Callable

from telegram import BotCommand, Update
from telegram.ext import (
    ApplicationHandlerStop,
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    TypeHandler,
)

from bot.context import BotContext
from bot.i18n import _, pick_language
from bot.views import callbacks as cb
from bot.views.about import about_text
from bot.views.menu import language_keyboard, main_menu
from db import users
from db.session import is_unavailable
from handlers.common import (
    freshness,
    show,
    show_caravans_for,
    show_district_by_slug,
    show_help,
    show_regions,
    show_settlement_by_slug,
    show_subscription_list,
    tell_user,
)
from handlers.common.questions import begin_question

log = logging.getLogger(__name__)

# The command menu Telegram shows, registered per language with setMyCommands.
COMMANDS = [
    ("start", _("Main menu")),
    ("schedule", _("Housing and caravans of a settlement")),
    ("settlements", _("Browse districts and settlements")),
    ("caravans", _("Upcoming or recent caravans")),
    ("calendar", _("Upcoming caravans as a calendar file")),
    ("progress", _("A chart of homes ready and families returned")),
    ("near", _("Settlements near you")),
    ("subscribe", _("Get news of a settlement, a district or all")),
    ("subscriptions", _("Your subscriptions")),
    ("unsubscribe", _("Stop news of a place, or all")),
    ("contacts", _("Official addresses and hotlines, with their sources")),
    ("faq", _("Questions admins have answered")),
    ("ask", _("Ask a person: the bot's admins answer here")),
    ("forget", _("Delete everything stored about you")),
    ("language", _("Change the language")),
    ("help", _("What this bot can do")),
    ("about", _("Where the figures come from, and how current they are")),
]


def bot_commands(gettext: Callable[[str], str]) -> list[BotCommand]:
    """The command menu in the language of `gettext`."""
    return [BotCommand(name, gettext(description)) for name, description in COMMANDS]


async def remember_user(update: Update, context: BotContext) -> None:
    """Before every handler: know the sender's language; register private chats once."""
    user = update.effective_user
    if user is None:
        return
    state = context.state
    language = state.languages.get(user.id)
    if language is None:
        default = state.settings.default_language
        telegram_language = pick_language(None, user.language_code, default)
        chat = update.effective_chat
        try:
            if chat is not None and chat.type == chat.PRIVATE:
                language = await state.registrar.register(user.id, chat.id, telegram_language)
            else:
                async with context.db() as session:
                    stored = await users.get_user(session, user.id)
                language = stored.language if stored else telegram_language
        except Exception as error:
            if not is_unavailable(error):
                raise
            # one "try again" reply, not that plus whatever the next handler manages
            log.warning("database unavailable while registering a user: %r", error)
            context.language = telegram_language
            await tell_user(update, context, error)
            raise ApplicationHandlerStop from error
        state.languages[user.id] = language
    context.language = language


async def start(update: Update, context: BotContext) -> None:
    """Greet and show the main menu; `/start s_<slug>` and `/start d_<slug>` open a place."""
    payload = context.args[0] if context.args else ""
    kind, _sep, slug = payload.partition("_")
    if kind == "s" and slug:
        await show_settlement_by_slug(update, context, slug)
        return
    if kind == "d" and slug:
        await show_district_by_slug(update, context, slug)
        return
    _ = context._
    text = "\n\n".join(
        [
            _(
                "👋 Welcome! I tell families returning to Karabakh and East Zangezur how many "
                "homes are ready in their village, when the rest are due and when caravans go."
            ),
            _(
                "Type the name of a settlement — for example <b>Sos</b>, <b>Şuşakənd</b> or "
                "<b>Гырмызы Базар</b> — or choose below."
            ),
        ]
    )
    await update.effective_message.reply_text(
        text, parse_mode="HTML", reply_markup=main_menu(context.tr)
    )


async def show_about(update: Update, context: BotContext) -> None:
    """What the bot is, where its figures come from, how current they are, the totals."""
    places, tr, fresh = await context.places(), context.tr, freshness(context)
    data = places.data
    text = places.view(
        ("about", tr.lang, fresh),
        lambda: about_text(data.regions, data.totals, data.newest_date(fresh.today), tr, fresh),
    )
    await show(update, context, text, main_menu(tr))


async def ask_language(update: Update, context: BotContext) -> None:
    """Offer the three languages, each in its own name."""
    text = "🌐 " + context._("Choose your language:")
    await show(update, context, text, language_keyboard(context.tr.lang))


async def choose_language(update: Update, context: BotContext) -> None:
    """Remember the picked language and answer in it."""
    query = update.callback_query
    _prefix, language = cb.parse(query.data)
    chat = update.effective_chat
    async with context.db() as session:
        await users.choose_language(session, update.effective_user.id, chat.id, language)
    context.state.languages[update.effective_user.id] = language
    context.state.picked[update.effective_user.id] = True
    context.language = language
    await query.answer()
    text = "✅ " + context._("Language: English. Type a settlement's name or choose below.")
    await show(update, context, text, main_menu(context.tr))


async def open_menu(update: Update, context: BotContext) -> None:
    """The main menu's buttons."""
    query = update.callback_query
    _prefix, item = cb.parse(query.data)
    await query.answer()
    if item == "subscriptions":
        await show_subscription_list(update, context)
    elif item == "settlements":
        await show_regions(update, context)
    elif item == "caravans":
        await show_caravans_for(update, context, None, None)
    elif item == "language":
        await ask_language(update, context)
    elif item == "ask":
        await begin_question(update, context)
    else:
        await show_help(update, context)


HANDLERS: list[BaseHandler] = [
    CommandHandler("start", start),
    CommandHandler("help", show_help),
    CommandHandler("about", show_about),
    CommandHandler("language", ask_language),
    CallbackQueryHandler(choose_language, pattern=cb.pattern(cb.LANGUAGE)),
    CallbackQueryHandler(open_menu, pattern=cb.pattern(cb.MENU)),
]

PRE_HANDLER = TypeHandler(Update, remember_user)
