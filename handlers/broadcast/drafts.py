"""/broadcast drafts: the place (longest known name first; buttons when several match), the
text (one for everyone, `az:` / `en:` / `ru:` parts, or one reply per language when asked),
and the preview with ✅, the fallback for languages without a version, 🚨 urgent in the
quiet hours and what a paid broadcast costs (docs/handlers.md, "Broadcasts")."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from html import escape
from typing import Any

from telegram import InlineKeyboardMarkup, Message, Update
from telegram.constants import ParseMode
from telegram.ext import filters

from bot.context import BotContext
from bot.domain import clock
from bot.domain.versions import (
    LANGUAGES,
    PAID_CEILING,
    VersionError,
    default_fallback,
    missing,
    paid_stars,
    split_versions,
)
from bot.views import broadcast as texts
from bot.views import callbacks as cb
from bot.views.common import button, settlement_or_district_name
from db import broadcasts
from db import pending as pending_store
from db.models import DRAFT, Broadcast, District, Settlement
from db.outbox import scope_key
from handlers.common import ALL_WORDS, MAX_QUERY, require_admin, show

# Room for the preview's frame around the text, under Telegram's 4,096 characters.
MAX_TEXT = 3500
MAX_CHOICES = 10
PICK_TTL = dt.timedelta(hours=1)
PICKING = "broadcast:pick"
_ARGUMENTS = re.compile(r"/\S+[ \t]*(.*)", re.DOTALL)
_WORD = re.compile(r"\S+")
Place = Settlement | District | None


def utf16_len(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units)."""
    return len(text.encode("utf-16-le")) // 2


@dataclass
class Parsed:
    """What /broadcast's words name: the scope (with its place), or the candidates, or
    nothing; and the text that follows the place."""

    scope: str | None = None
    place: Place = None
    body: str = ""
    candidates: list[Settlement | District] | None = None
    query: str = ""


def _scope_of(place: Settlement | District) -> str:
    if isinstance(place, Settlement):
        return scope_key(settlement_id=place.id)
    return scope_key(district_id=place.id)


async def parse(context: BotContext, arguments: str) -> Parsed:
    """The place is the longest run of the first line's first words that names one place
    exactly (or "all"); else the candidates of the shortest run that has some (so that no
    word of the text is taken for the place), else suggestions for the first word."""
    places = await context.places()
    first_line, newline, rest = arguments.strip().partition("\n")
    words = list(_WORD.finditer(first_line))[:8]  # no place name is longer

    def body_after(word: re.Match[str]) -> str:
        return (first_line[word.end() :].strip() + newline + rest).strip()

    if not words:
        return Parsed()
    if words[0][0].casefold() in ALL_WORDS:
        return Parsed(scope="all", body=body_after(words[0]))
    for n in range(len(words), 0, -1):
        name = first_line[: words[n - 1].end()][:MAX_QUERY]
        found = places.find(name)
        place = found.settlement or found.district
        if place is not None:
            return Parsed(scope=_scope_of(place), place=place, body=body_after(words[n - 1]))
    for n in range(1, len(words) + 1):
        name = first_line[: words[n - 1].end()][:MAX_QUERY]
        found = places.find(name)
        if found.settlements or found.districts:
            candidates = [*found.districts, *found.settlements]
            return Parsed(candidates=candidates, body=body_after(words[n - 1]), query=name)
    found = places.find(words[0][0][:MAX_QUERY])
    suggested: list[Settlement | District] = []
    for key in found.suggestions:
        kind, _sep, slug = key.partition(":")
        place = places.data.settlement(slug) if kind == "settlement" else None
        place = place or (places.data.district(slug) if kind == "district" else None)
        if place is not None:
            suggested.append(place)
    return Parsed(candidates=suggested, body=body_after(words[0]), query=words[0][0])


def usage(context: BotContext) -> str:
    return "📢 " + context._(
        "Usage: <code>/broadcast all|settlement|district text</code>, for example "
        "<code>/broadcast Sos The caravan leaves at 9:00</code>. A text per language: "
        "<code>az: …</code>, <code>en: …</code> and <code>ru: …</code> lines in one "
        "message, or <code>/broadcast Sos</code> alone and one reply per language. To send "
        "a copy of a message (with its formatting or photo), reply to it with "
        "<code>/broadcast all</code>."
    )


async def ask_broadcast(update: Update, context: BotContext) -> None:
    """/broadcast <all|settlement|district> [text], or as a reply to copy that message."""
    if not await require_admin(update, context):
        return
    message = update.effective_message
    match = _ARGUMENTS.match(message.text or "")
    parsed = await parse(context, match[1] if match else "")
    source = message.reply_to_message
    copied = (source.chat.id, source.message_id) if source and not parsed.body else None
    if parsed.candidates is not None:
        await _offer_places(update, context, parsed, copied)
        return
    if parsed.scope is None:
        await message.reply_text(usage(context), parse_mode=ParseMode.HTML)
        return
    await start_draft(update, context, parsed.scope, parsed.place, parsed.body, copied)


async def _offer_places(
    update: Update, context: BotContext, parsed: Parsed, copied: tuple[int, int] | None
) -> None:
    """Several places match (or none, with suggestions): buttons to choose, the text kept on
    the server with the choices."""
    _ = context._
    query = escape(parsed.query[:100])
    if not parsed.candidates:
        text = "⚠️ " + _("I could not find a place called “{query}”.").format(query=query)
        await update.effective_message.reply_text(
            text + "\n\n" + usage(context), parse_mode=ParseMode.HTML
        )
        return
    choices = parsed.candidates[:MAX_CHOICES]
    if len(parsed.candidates) == 1 and parsed.query:
        question = _("I could not find “{query}” exactly. Did you mean this place?")
    else:
        question = _("Several places match “{query}”. Which one do you mean?")
    token = await pending_store.put(
        context.db,
        update.effective_user.id,
        PICKING,
        {"scopes": [_scope_of(p) for p in choices], "body": parsed.body, "copy": copied},
        now=context.state.clock(),
        ttl=PICK_TTL,
        keep=5,
    )
    rows = [
        [button(settlement_or_district_name(p, context.tr), cb.BROADCAST_PICK, f"{token}.{n}")]
        for n, p in enumerate(choices)
    ]
    text = "📢 " + question.format(query=query)
    await show(update, context, text, InlineKeyboardMarkup(rows))


async def pick_place(update: Update, context: BotContext) -> None:
    """A place chosen for an ambiguous /broadcast: on to its draft, with the text given."""
    if not await require_admin(update, context):
        return
    query = update.callback_query
    token, _dot, index = cb.parse(query.data)[1].partition(".")
    taken = await pending_store.take(
        context.db, token, update.effective_user.id, (PICKING,), now=context.state.clock()
    )
    scopes = taken.payload["scopes"] if taken else []
    if taken is None or int(index) >= len(scopes):
        await query.answer(context._("This choice is no longer valid: send /broadcast again."))
        return
    await query.answer()
    scope = scopes[int(index)]
    async with context.db() as session:
        place = await broadcasts.place_of(session, scope)
    copied = taken.payload.get("copy")
    await start_draft(
        update, context, scope, place, taken.payload["body"], tuple(copied) if copied else None
    )


async def start_draft(
    update: Update,
    context: BotContext,
    scope: str,
    place: Place,
    body: str,
    copied: tuple[int, int] | None,
) -> None:
    """Check the text, store the draft and show its preview — or, with no text at all, ask
    for a version per language."""
    _ = context._
    try:
        versions = split_versions(body) if body else None
    except VersionError as error:
        if error.empty:
            problem = _("The {language} part is empty.")
        else:
            problem = _("The {language} part is given twice.")
        await show(update, context, "⚠️ " + problem.format(language=error.language))
        return
    too_long = [t for t in (versions or {"": body}).values() if utf16_len(t) > MAX_TEXT]
    if too_long:
        await show(
            update, context, _("The text is too long: at most {n} characters.").format(n=MAX_TEXT)
        )
        return
    audience = texts.audience_name(scope, place, context.tr)
    async with context.db() as session:
        by_language = await broadcasts.count_by_language(
            session, broadcasts.recipients(scope, _district_of(place))
        )
    if not sum(by_language.values()):
        text = _("Nobody would receive this: no active user follows {audience}.")
        await show(update, context, text.format(audience=audience))
        return
    fields: dict[str, Any] = {}
    if versions:
        fields["texts"] = {lang: escape(text, quote=False) for lang, text in versions.items()}
        fields["fallback"] = default_fallback(versions, by_language)
    elif body:
        fields["text"] = escape(body, quote=False)
    elif copied is None:
        fields["texts"] = {}
        fields["asking"] = asking_order(by_language)[0]
    else:
        fields["source"] = copied
    message = update.effective_message
    async with context.db() as session:
        draft = await broadcasts.create_draft(
            session,
            admin_id=update.effective_user.id,
            admin_chat_id=message.chat.id,
            scope=scope,
            **fields,
        )
    if draft.asking is not None:
        await ask_next(update, context, draft, by_language)
        return
    if copied is not None:  # what recipients will get, exactly: a copy
        await context.bot.copy_message(message.chat.id, copied[0], copied[1])
    await show_preview(update, context, draft, by_language)


def _district_of(place: Place) -> int | None:
    return place.district_id if isinstance(place, Settlement) else None


def asking_order(by_language: dict[str, int]) -> list[str]:
    """The languages to ask a version for: those of the audience, most readers first."""
    present = [lang for lang in LANGUAGES if by_language.get(lang)]
    return sorted(present, key=lambda lang: -by_language[lang]) or ["en"]


async def audience_of(context: BotContext, draft: Broadcast) -> tuple[str, dict[str, int]]:
    async with context.db() as session:
        place = await broadcasts.place_of(session, draft.scope)
        by_language = await broadcasts.count_by_language(
            session, broadcasts.recipients(draft.scope, _district_of(place))
        )
    return texts.audience_name(draft.scope, place, context.tr), by_language


async def show_preview(
    update: Update,
    context: BotContext,
    draft: Broadcast,
    by_language: dict[str, int] | None = None,
) -> None:
    """The draft's preview with its buttons, as a reply or in place of the pressed message."""
    audience, counted = await audience_of(context, draft)
    by_language = by_language or counted
    tr, settings = context.tr, context.state.settings
    now = context.state.clock()
    send_at = clock.civil_time(now)
    total = texts.recipients_of(by_language, draft.texts, draft.fallback)
    rate = min(settings.broadcast_rate, PAID_CEILING)
    stars = paid_stars(total, rate) if settings.paid_broadcast else None
    notes = texts.draft_notes(send_at, now, draft.urgent, stars, rate, tr)
    if draft.texts:
        text = texts.versions_preview(draft.texts, draft.fallback, audience, by_language, tr, notes)
    else:
        text = texts.preview(draft.text, audience, by_language, tr, notes)
    without = missing(draft.texts or {}, by_language) if draft.texts else {}
    if without:
        text += "\n" + texts.fallback_hint(tr)
    markup = texts.confirm_keyboard(
        draft.id,
        total,
        tr,
        fallbacks=list(draft.texts or {}) if without else (),
        fallback=draft.fallback,
        quiet=send_at > now,
        urgent=draft.urgent,
    )
    await show(update, context, text, markup)


async def ask_next(
    update: Update, context: BotContext, draft: Broadcast, by_language: dict[str, int]
) -> None:
    """The prompt for the version `draft.asking`, which the admin replies to."""
    tr = context.tr
    audience = texts.audience_name(draft.scope, await _place(context, draft.scope), tr)
    given = list(draft.texts or {})
    language = draft.asking or "en"
    text = texts.ask_version(audience, language, by_language.get(language, 0), given, tr)
    markup = texts.ask_keyboard(draft.id, bool(given), tr)
    sent = await context.bot.send_message(
        draft.admin_chat_id, text, parse_mode=ParseMode.HTML, reply_markup=markup
    )
    async with context.db() as session:
        await broadcasts.change_draft(session, draft.id, prompt_message_id=sent.message_id)


async def _place(context: BotContext, scope: str) -> Place:
    async with context.db() as session:
        return await broadcasts.place_of(session, scope)


class PromptReply(filters.MessageFilter):
    """A text replying to the bot's prompt for a broadcast's version (it starts with ✍️)."""

    def filter(self, message: Message) -> bool:
        replied = message.reply_to_message
        author = replied.from_user if replied else None
        return bool(author and author.is_bot and (replied.text or "").startswith("✍️"))


async def take_version(update: Update, context: BotContext) -> None:
    """A reply to a prompt: the version in the language asked for (or all of them with
    `az:` / `en:` / `ru:` parts); then the next prompt, or the preview."""
    message = update.effective_message
    if not await require_admin(update, context):
        return
    prompt = message.reply_to_message
    async with context.db() as session:
        draft = await broadcasts.asking_draft(session, message.chat.id, prompt.message_id)
    if draft is None:
        await message.reply_text(context._("This broadcast was already sent or cancelled."))
        return
    body = (message.text or "").strip()
    try:
        given = split_versions(body)
    except VersionError as error:
        problem = (
            context._("The {language} part is empty.")
            if error.empty
            else context._("The {language} part is given twice.")
        )
        await message.reply_text("⚠️ " + problem.format(language=error.language))
        return
    given = given or {draft.asking or "en": body}
    if any(utf16_len(text) > MAX_TEXT for text in given.values()):
        await message.reply_text(
            context._("The text is too long: at most {n} characters.").format(n=MAX_TEXT)
        )
        return
    versions = dict(draft.texts or {})
    versions |= {lang: escape(text, quote=False) for lang, text in given.items()}
    await advance(update, context, draft, versions)


async def advance(
    update: Update, context: BotContext, draft: Broadcast, versions: dict[str, str]
) -> None:
    """Ask for the next language without a version, or show the preview when none is left
    (a draft with no version at all is cancelled: nothing to send)."""
    _audience, by_language = await audience_of(context, draft)
    order = asking_order(by_language)
    asked = order.index(draft.asking) if draft.asking in order else len(order) - 1
    left = [lang for lang in order[asked + 1 :] if lang not in versions]
    values: dict[str, Any] = {"texts": versions, "asking": left[0] if left else None}
    if not left and versions:
        values["fallback"] = default_fallback(versions, by_language)
    async with context.db() as session:
        changed = await broadcasts.change_draft(session, draft.id, **values)
    if changed is not None and not left and not versions:
        async with context.db() as session:
            await broadcasts.cancel(session, draft.id, update.effective_user.id)
    if changed is None:
        await show(update, context, context._("This broadcast was already sent or cancelled."))
    elif left:
        await ask_next(update, context, changed, by_language)
    elif not versions:
        await show(update, context, texts.cancelled_unsent(context.tr))
    else:
        await show_preview(update, context, changed, by_language)


async def skip_version(update: Update, context: BotContext) -> None:
    """⏭ on a prompt: no version in that language; the next prompt, or the preview."""
    if not await require_admin(update, context):
        return
    query = update.callback_query
    async with context.db() as session:
        draft = await broadcasts.get(session, int(cb.parse(query.data)[1]))
    if draft is None or draft.asking is None or draft.status != DRAFT:
        await query.answer(context._("This broadcast was already sent or cancelled."))
        return
    await query.answer()
    await advance(update, context, draft, dict(draft.texts or {}))


async def choose(update: Update, context: BotContext) -> None:
    """↪️ / 🚫 (what readers without a version get) and 🚨 / 🌙 (urgent or not) on a
    preview: the draft changed, the preview shown again."""
    if not await require_admin(update, context):
        return
    query = update.callback_query
    prefix, argument = cb.parse(query.data)
    ident, _dot, value = argument.partition(".")
    if prefix == cb.BROADCAST_FALLBACK:
        values: dict[str, Any] = {"fallback": value}
    else:
        values = {"urgent": value == "1"}
    async with context.db() as session:
        draft = await broadcasts.get(session, int(ident))
        usable = draft is not None and (
            prefix != cb.BROADCAST_FALLBACK or value in (*(draft.texts or {}), "skip")
        )
        changed = await broadcasts.change_draft(session, int(ident), **values) if usable else None
    if changed is None:
        await query.answer(context._("This broadcast was already sent or cancelled."))
        return
    await query.answer()
    await show_preview(update, context, changed)
