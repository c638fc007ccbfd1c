"""What the features share: replying in place, telling a user something went wrong, the
admin check, finding and showing places, and the screens several features open (a place's
caravans and calendar file, help, subscribing, the user's subscriptions)."""

from __future__ import annotations

import datetime as dt
import logging
import re
from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Update, User
from telegram.constants import ParseMode
from telegram.error import BadRequest

from bot.context import BotContext
from bot.domain.freshness import Freshness
from bot.i18n import Translator, pick_language
from bot.places import Found, Places
from bot.views import admin as admin_cards
from bot.views import calendar as calendar_file
from bot.views import callbacks as cb
from bot.views import poster as qr
from bot.views import support as asking
from bot.views.caravans import calendar_button, caravans_view
from bot.views.common import Keyboard, button, settlement_or_district_name
from bot.views.districts import choices_keyboard, district_view, regions_view
from bot.views.menu import main_menu, total_line
from bot.views.settlement import settlement_card, settlement_keyboard
from bot.views.split import split_html
from bot.views.subscriptions import subscriptions_view
from db import admins, pending, users
from db.models import District, Settlement
from db.session import is_unavailable
from db.snapshot import PlaceData

MAX_QUERY = 200  # longer text is not a place name; searching it only costs time
CARAVAN_LIMIT = 12  # caravans in one list
MAX_EVENTS = 200  # caravans in one calendar file: far more than any place has; bounds the file
ALERT_LIMIT = 200  # characters Telegram allows in a callback query's alert
# `/subscribe all` in any of the three languages
ALL_WORDS = frozenset({"all", "everything", "hamısı", "hamisi", "hamı", "hami", "все", "всё"})

_COMMAND = re.compile(r"^/\S*")

log = logging.getLogger(__name__)


# ------------------------------------------------------------------ replies


async def show(
    update: Update, context: BotContext, text: str, markup: InlineKeyboardMarkup | None = None
) -> None:
    """Edit the pressed message in place, or reply to a message. Text longer than one message
    is split (`bot.views.split.split_html`): the first part edits or replies, the others follow as
    new messages, and the keyboard goes with the last part."""
    first, *rest = split_html(text)
    query = update.callback_query
    pressed = query.message if query is not None else None
    if pressed is not None and pressed.is_accessible and pressed.text is not None:
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


async def tell_user(update: Update, context: BotContext, error: BaseException | None) -> None:
    """Tell the user, in their language, that the bot is briefly unavailable (`error` says the
    database is) or that something went wrong."""
    user = update.effective_user
    if context.language is None and user is not None:  # the error came before remember_user
        default = context.state.settings.default_language
        context.language = pick_language(None, user.language_code, default)
    if is_unavailable(error):
        text = "⏳ " + context._("I am briefly unavailable. Please try again in a minute.")
    else:
        text = "⚠️ " + context._("Something went wrong on my side. Please try again in a moment.")
    try:
        if update.callback_query is not None:
            try:
                await update.callback_query.answer(text, show_alert=True)
                return
            except BadRequest:  # the handler answered the button already
                pass
        await update.effective_chat.send_message(text)
    except Exception:  # the error may be the Bot API itself; the log has it
        log.warning("could not tell the user about the error", exc_info=True)


# ------------------------------------------------------------------ admin replies

PENDING_TTL = dt.timedelta(hours=1)  # how long a ✅ button stays valid
MAX_PENDING = 20  # per admin and group of kinds; the oldest are dropped


async def reply_html(update: Update, text: str) -> None:
    """Reply in HTML, without link previews (what admin commands answer with)."""
    await update.effective_message.reply_text(
        text, parse_mode=ParseMode.HTML, disable_web_page_preview=True
    )


async def button_expired(update: Update, context: BotContext) -> None:
    await update.callback_query.answer(
        context._("This button has expired or was already used. Send the command again."),
        show_alert=True,
    )


async def confirm_preview(
    update: Update,
    context: BotContext,
    text: str,
    *,
    kind: str,
    payload: dict,
    group: tuple[str, ...],
    label: str,
    confirm: str,
    abort: str,
) -> None:
    """Keep an admin's action (`db.pending`) and show `text` with ✅ `label` (callback
    `confirm:<token>`) and ↩️ Cancel (`abort:<token>`)."""
    token = await pending.put(
        context.db,
        update.effective_user.id,
        kind,
        payload,
        now=context.state.clock(),
        ttl=PENDING_TTL,
        keep=MAX_PENDING,
        group=group,
    )
    markup = Keyboard(
        [
            [
                button("✅ " + label, confirm, token),
                button("↩️ " + context._("Cancel"), abort, token),
            ]
        ]
    )
    await show(update, context, text, markup)


# ------------------------------------------------------------------ the admin check


async def is_admin(context: BotContext, user_id: int) -> bool:
    """Configured (ADMIN_IDS) or added in the chat, as the database says now."""
    async with context.db() as session:
        return await admins.is_admin(session, context.state.settings.admin_ids, user_id)


async def admin_seen(context: BotContext, user: User) -> bool:
    """Whether `user` is an admin; an admin's first name and username are kept up to date
    on the way (so that /admins and /audit name people)."""
    async with context.db() as session:
        if not await admins.is_admin(session, context.state.settings.admin_ids, user.id):
            return False
        await admins.remember_name(session, user.id, user.first_name, user.username)
    return True


async def require_admin(update: Update, context: BotContext) -> bool:
    """True for an admin. Anyone else gets a polite refusal in their language, and the attempt
    is logged (a button press from a non-admin means forged or replayed callback data)."""
    user = update.effective_user
    if user is not None and await admin_seen(context, user):
        return True
    query = update.callback_query
    if query is not None:
        log.warning(
            "admin button pressed by non-admin %s: %r", user and user.id, (query.data or "")[:64]
        )
        await query.answer(context._("Only admins can do this."), show_alert=True)
    else:
        log.info("admin command from non-admin %s", user and user.id)
        if update.effective_message is not None:
            await update.effective_message.reply_text(
                context._("Sorry, this command is only for admins.")
            )
    return False


# ------------------------------------------------------------------ places


def command_text(text: str | None) -> str:
    """What follows the command (`/addfaq@bot`) in a message, line breaks kept."""
    return _COMMAND.sub("", text or "", count=1).strip()


def place_query(text: str) -> str:
    """What the user typed as a place name: spaces collapsed, at most MAX_QUERY characters."""
    return " ".join(text.split())[:MAX_QUERY]


async def search(update: Update, context: BotContext, text: str) -> None:
    """Show the place `text` names, or the candidates, or suggestions."""
    text = place_query(text)
    await show_found(update, context, text, (await context.places()).find(text))


async def show_found(update: Update, context: BotContext, text: str, found: Found) -> None:
    """The one place found (its card, or the district's settlements), else the outcome of
    searching `text` (`show_search_outcome`)."""
    if found.settlement is not None:
        await show_settlement(update, context, found.settlement)
    elif found.district is not None:
        await show_district(update, context, found.district)
    else:
        await show_search_outcome(update, context, text, found)


async def show_search_outcome(update: Update, context: BotContext, text: str, found: Found) -> None:
    """Several matches → buttons to choose; none → suggestions and a way to browse."""
    places, tr = await context.places(), context.tr
    if found.settlements or found.districts:
        message = which_one(context, text)
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


def district_of(found: Found) -> District | None:
    """The one district a search found, or that all it found lies in (the town Xocavənd and
    Xocavənd district are both in Xocavənd district); None when there is not exactly one."""
    if found.settlement is not None:
        return found.settlement.district
    if found.district is not None:
        return found.district
    slugs = {d.slug: d for d in found.districts} | {
        s.district.slug: s.district for s in found.settlements
    }
    return next(iter(slugs.values())) if len(slugs) == 1 else None


def which_one(context: BotContext, text: str) -> str:
    """The question above the buttons to choose from when several places match `text`."""
    return context._("Several places match “{query}”. Which one do you mean?").format(
        query=escape(text)
    )


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
    choices = choices_keyboard(settlements, districts, tr).inline_keyboard
    ask = InlineKeyboardButton("✉️ " + _("Ask a person"), callback_data=cb.make(cb.MENU, "ask"))
    return "\n".join(lines), Keyboard([*choices, [ask]])


def freshness(context: BotContext) -> Freshness:
    """Today, and the age after which figures are called old (`STALE_AFTER_DAYS`)."""
    return Freshness(context.today, context.state.settings.stale_after_days)


def settlement_view(
    places: Places, settlement: Settlement, tr: Translator, fresh: Freshness
) -> tuple[str, InlineKeyboardMarkup]:
    """A settlement's card and keyboard, composed once per copy, language, day and threshold."""

    def compose() -> tuple[str, InlineKeyboardMarkup]:
        return settlement_card(settlement, tr, fresh), settlement_keyboard(settlement, tr)

    if places.data.settlement(settlement.slug) is settlement:  # (not one of an older copy)
        return places.view(("settlement", settlement.slug, tr.lang, fresh), compose)
    return compose()


async def show_settlement(
    update: Update, context: BotContext, settlement: Settlement, note: str | None = None
) -> None:
    """The settlement's card (under `note`, a line such as "did you mean something else?")."""
    places = await context.places()
    text, markup = settlement_view(places, settlement, context.tr, freshness(context))
    await show(update, context, noted(note, text), markup)


def noted(note: str | None, text: str) -> str:
    """`text` under `note`, when there is one."""
    return text if note is None else f"{note}\n\n{text}"


async def show_settlement_by_slug(update: Update, context: BotContext, slug: str) -> None:
    settlement = (await context.places()).data.settlement(slug)
    if settlement is None:
        await show_search_outcome(update, context, slug, Found())
        return
    await show_settlement(update, context, settlement)


async def show_regions(update: Update, context: BotContext, note: str | None = None) -> None:
    """The districts by region (under `note`, a question such as "which settlement?")."""
    places, tr = await context.places(), context.tr
    data = places.data
    text, markup = places.view(
        ("regions", tr.lang), lambda: regions_view(data.regions, data.settlement_counts(), tr)
    )
    await show(update, context, noted(note, text), markup)


async def show_district(
    update: Update, context: BotContext, district: District, note: str | None = None
) -> None:
    """The district's settlements, caravans and 🔔 (under `note`, as `show_settlement`)."""
    places, tr, today = await context.places(), context.tr, context.today
    if places.data.district(district.slug) is district:  # (not one of an older copy)
        text, markup = places.view(
            ("district", district.slug, tr.lang, today),
            lambda: district_view(district, tr, today),
        )
    else:
        text, markup = district_view(district, tr, today)
    await show(update, context, noted(note, text), markup)


async def show_district_by_slug(update: Update, context: BotContext, slug: str) -> None:
    district = (await context.places()).data.district(slug)
    if district is None:
        await show_regions(update, context)
        return
    await show_district(update, context, district)


# ------------------------------------------------------------------ screens of several features


async def show_help(update: Update, context: BotContext) -> None:
    """The commands, and the latest national total with its source."""
    _ = context._
    lines = [
        "❓ <b>" + _("How to use this bot") + "</b>",
        "",
        _("Type a settlement's name in any spelling to see its housing figures and caravans."),
        "",
        "/schedule &lt;" + _("settlement") + "&gt; — " + _("housing and caravans of a settlement"),
        "/settlements — " + _("browse districts and settlements"),
        "/caravans [" + _("place") + "] — " + _("upcoming or recent caravans"),
        "/calendar &lt;" + _("place") + "&gt; — " + _("upcoming caravans as a calendar file"),
        "/progress [" + _("place") + "] — " + _("a chart of homes ready and families returned"),
        "/near — " + _("settlements near you (share your location)"),
        "/subscribe &lt;" + _("place") + "|all&gt; — " + _("caravan news and reminders"),
        "/subscriptions — " + _("your subscriptions"),
        "/contacts [" + _("district") + "] — " + _("official addresses and hotlines, with sources"),
        "/faq [" + _("place") + "] — " + _("questions admins have answered"),
        "/ask — " + _("ask a person: the bot's admins answer here"),
        "/forget — " + _("delete everything stored about you"),
        "/language — " + _("change the language"),
        "/start — " + _("main menu"),
        "",
        _("In any chat, type {bot} and a place's name to share its card there.").format(
            bot=f"@{context.bot.username}"
        ),
        "",
        _(
            "Figures come from public news reports and official statements; each shows its "
            "source and date."
        ),
        "",
        asking.privacy_line(context.state.settings.ticket_retention_days, context.tr),
    ]
    total = (await context.places()).data.latest_total()
    if total is not None:
        lines += ["", "📊 " + total_line(total, context.tr)]
    if update.effective_user and await is_admin(context, update.effective_user.id):
        lines += ["", *admin_cards.admin_help(context.tr)]
    await show(update, context, "\n".join(lines), main_menu(context.tr))


async def show_caravans_for(
    update: Update,
    context: BotContext,
    settlement_slug: str | None,
    district_slug: str | None,
    note: str | None = None,
) -> None:
    """The caravans of one settlement, one district, or everywhere (under `note`)."""
    tr, today = context.tr, context.today
    places = await context.places()
    text, markup = places.view(
        ("caravans", settlement_slug, district_slug, tr.lang, today),
        lambda: _caravans_view(places.data, settlement_slug, district_slug, tr, today),
    )
    await show(update, context, noted(note, text), markup)


def _caravans_view(
    data: PlaceData,
    settlement_slug: str | None,
    district_slug: str | None,
    tr: Translator,
    today: dt.date,
) -> tuple[str, InlineKeyboardMarkup]:
    upcoming, caravans = data.upcoming_or_recent_caravans(
        today, limit=CARAVAN_LIMIT, settlement_slug=settlement_slug, district_slug=district_slug
    )
    place = back = None
    if settlement_slug and (settlement := data.settlement(settlement_slug)):
        place = settlement.name(tr.lang)
        back = InlineKeyboardButton(
            "⬅️ " + place, callback_data=cb.make(cb.SETTLEMENT, settlement_slug)
        )
    elif district_slug and (district := data.district(district_slug)):
        place = district.name(tr.lang)
        back = InlineKeyboardButton("⬅️ " + place, callback_data=cb.make(cb.DISTRICT, district_slug))
    if back is None:
        back = InlineKeyboardButton(
            "🏘 " + tr.gettext("All districts"), callback_data=cb.make(cb.REGIONS)
        )
    rows = [[back]]
    if upcoming and place is not None:  # 📅 only where there is something to add
        prefix = cb.CALENDAR_SETTLEMENT if settlement_slug else cb.CALENDAR_DISTRICT
        rows.insert(0, [calendar_button(prefix, settlement_slug or district_slug, tr)])
    text = caravans_view(caravans, upcoming, place, tr, data.newest_date(today))
    return text, Keyboard(rows)


async def show_subscription_list(update: Update, context: BotContext) -> None:
    """What the user follows, with one ❌ button each (/subscriptions, the main menu)."""
    async with context.db() as session:
        subscriptions = await users.subscriptions(session, update.effective_user.id)
    text, markup = subscriptions_view(subscriptions, context.tr)
    await show(update, context, text, markup)


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
        await _alert_or_say(update, context, context._("This place is no longer in the list."))
        return
    name = settlement_or_district_name(place, tr)
    if not upcoming:
        message = context._(
            "No upcoming caravan to {place} has been announced yet, so there is nothing to "
            "add to a calendar. Subscribe with 🔔 to hear when one is."
        ).format(place=name)
        await _alert_or_say(update, context, message)
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


async def _alert_or_say(update: Update, context: BotContext, text: str) -> None:
    """An alert for a button press (a message when too long for one), else a reply."""
    query = update.callback_query
    if query is not None and len(text) <= ALERT_LIMIT:
        await query.answer(text, show_alert=True)
        return
    if query is not None:
        await query.answer()
    await update.effective_chat.send_message(text)


def place_arguments(place: Settlement | District | None) -> dict[str, int]:
    """`db.users.subscribe`'s place arguments: a settlement, a district, or (None) all."""
    if isinstance(place, Settlement):
        return {"settlement_id": place.id}
    if isinstance(place, District):
        return {"district_id": place.id}
    return {}


def followed_name(place: Settlement | District | None, tr: Translator) -> str:
    """What a subscription to `place` follows, in the reader's language (plain text)."""
    if isinstance(place, Settlement | District):
        return settlement_or_district_name(place, tr)
    return tr.gettext("all settlements")


async def subscribe_to(
    context: BotContext, user_id: int, place: Settlement | District | None
) -> tuple[bool, str]:
    """Subscribe; (new?, the place's name in the reader's language)."""
    async with context.db() as session:
        new = await users.subscribe(session, user_id, context.tr.lang, **place_arguments(place))
    return new, followed_name(place, context.tr)


async def confirm_subscription(
    update: Update, context: BotContext, place: Settlement | District | None
) -> None:
    """Subscribe the user to `place` (None: everything) and say what they will get; asking
    again only says they already are."""
    _ = context._
    new, name = await subscribe_to(context, update.effective_user.id, place)
    if new:
        text = "🔔 " + _(
            "Subscribed to {place}. You will get new caravans, reminders 7 days and 1 day "
            "before, and changes in housing figures."
        ).format(place=escape(name))
    else:
        text = "🔔 " + _("You are already subscribed to {place}.").format(place=escape(name))
    await show(update, context, text)


async def cancel_subscription(
    update: Update, context: BotContext, place: Settlement | District
) -> None:
    """Unsubscribe the user from `place` and say so (or that they were not subscribed)."""
    async with context.db() as session:
        cancelled = await users.unsubscribe(
            session, update.effective_user.id, **place_arguments(place)
        )
    name = escape(followed_name(place, context.tr))
    text = context._("Unsubscribed from {place}.").format(place=name)
    if not cancelled:
        text = context._("You are not subscribed to {place}.").format(place=name)
    await show(update, context, "🔕 " + text)
