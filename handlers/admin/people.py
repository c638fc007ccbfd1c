"""/admins: the admins by name; adding or removing one shows who it is and waits for ✅ like
every other change, and a new admin is told what they can do (docs/handlers.md)."""

from __future__ import annotations

import logging
from typing import Any

from telegram import Update
from telegram.constants import ChatType, ParseMode
from telegram.error import BadRequest, Forbidden, TelegramError

from bot.context import BotContext
from bot.i18n import _
from bot.views import admin as admin_cards
from bot.views import people as people_view
from bot.views.people import Person
from db import admins, editing, users
from handlers.admin.arguments import ID, ArgError
from handlers.admin.districts import take_districts
from handlers.admin.pending import Pending, remember
from handlers.admin.replies import actor, usage
from handlers.common import reply_html as reply
from handlers.common import require_admin, show

CONFIGURED = _(
    "{id} is an admin by the configuration (ADMIN_IDS) and cannot be removed from the "
    "chat. Remove the id from ADMIN_IDS and restart the bot."
)
LAST = _("{id} is the last admin and cannot be removed: add another admin first.")
NOT_STARTED = _(
    "I could not write to them: they have not started the bot yet (or blocked it). "
    "Ask them to send /start to the bot; /help will then show them the admin commands."
)
NO_ANSWER = _(
    "I could not tell them just now: Telegram did not take the message. Tell them yourself; "
    "/help shows them the admin commands."
)

log = logging.getLogger(__name__)


async def manage_admins(update: Update, context: BotContext) -> None:
    """/admins, /admins add|remove <id>, /admins districts <id> <district…>"""
    if not await require_admin(update, context):
        return
    args = context.args or []
    if not args:
        await list_admins(update, context)
        return
    verb = args[0].lower()
    if verb == "districts":
        await take_districts(update, context, args[1:])
        return
    match = ID.fullmatch(args[1]) if len(args) == 2 else None
    if verb not in ("add", "remove") or match is None:
        await usage(update, context, "admins", ArgError())
        return
    target = int(match.group(1))
    if verb == "add":
        await add_preview(update, context, target)
    else:
        await remove_preview(update, context, target)


async def list_admins(update: Update, context: BotContext) -> None:
    configured = context.state.settings.admin_ids
    async with context.db() as session:
        stored = await admins.added_admins(session)
        ids = {*configured, *(a.user_id for a in stored), *(a.added_by for a in stored)}
        names = await admins.names(session, ids)
    await reply(update, people_view.admins_view(configured, stored, names, context.tr))


async def _is_admin(context: BotContext, user_id: int) -> bool:
    async with context.db() as session:
        return await admins.is_admin(session, context.state.settings.admin_ids, user_id)


async def _telegram_person(context: BotContext, user_id: int) -> Person | None:
    """What Telegram says of `user_id`'s private chat with the bot; None when it knows no such
    chat (a wrong id, or someone who never started the bot)."""
    try:
        chat = await context.bot.get_chat(user_id)
    except TelegramError:
        return None
    if chat.type != ChatType.PRIVATE:
        return None
    return Person(user_id, chat.first_name, chat.username)


def _about(
    text: str, context: BotContext, target: int, names: people_view.Names | None = None
) -> str:
    """`text` (a msgid with `{id}`) in the admin's language, naming `target` as known."""
    return context._(text).format(id=people_view.person(target, names or {}, context.tr))


async def add_preview(update: Update, context: BotContext, target: int) -> None:
    """Who will become an admin, what they will be able to do, and ✅."""
    if await _is_admin(context, target):
        async with context.db() as session:
            names = await admins.names(session, [target])
        await reply(update, _about(_("{id} is already an admin."), context, target, names))
        return
    found = await _telegram_person(context, target)
    person = found or Person(target)
    data = {"id": target, "first_name": person.first_name, "username": person.username}
    token = await remember(update, context, Pending("addadmin", data))
    text = people_view.add_preview(person, found is not None, context.tr)
    markup = admin_cards.confirm_keyboard(token, context._("Make them an admin"), context.tr)
    await show(update, context, text, markup)


async def _refusal(context: BotContext, target: int) -> str | None:
    """Why `target` cannot be removed (configured, not an admin, the last one), or None."""
    configured = context.state.settings.admin_ids
    async with context.db() as session:
        stored = {a.user_id for a in await admins.added_admins(session)}
        names = await admins.names(session, [target])
    if target in configured:
        return _about(CONFIGURED, context, target, names)
    if target not in stored:
        return _about(_("{id} is not an admin."), context, target, names)
    if not configured and stored == {target}:
        return _about(LAST, context, target, names)
    return None


async def remove_preview(update: Update, context: BotContext, target: int) -> None:
    if refusal := await _refusal(context, target):
        await reply(update, refusal)
        return
    async with context.db() as session:
        names = await admins.names(session, [target])
    token = await remember(update, context, Pending("removeadmin", {"id": target}))
    markup = admin_cards.confirm_keyboard(token, context._("Remove the admin"), context.tr)
    await show(update, context, people_view.remove_preview(target, names, context.tr), markup)


async def _welcome(context: BotContext, target: int, added_by: int) -> str | None:
    """Tell the new admin, in their language, what they can do; None when they were told,
    else why not (a msgid)."""
    async with context.db() as session:
        user = await users.get_user(session, target)
        names = await admins.names(session, [added_by])
    state = context.state
    tr = state.translators[user.language if user else state.settings.default_language]
    try:
        await context.bot.send_message(
            user.chat_id if user else target,
            people_view.welcome(added_by, names, tr),
            parse_mode=ParseMode.HTML,
        )
    except (Forbidden, BadRequest):  # never started the bot, or blocked it
        return NOT_STARTED
    except TelegramError as error:
        log.warning("could not tell new admin %s: %r", target, error)
        return NO_ANSWER
    return None


async def do_add_admin(update: Update, context: BotContext, data: dict[str, Any]) -> None:
    target = data["id"]
    added = False
    if target not in context.state.settings.admin_ids:
        async with context.db() as session:
            added = await editing.add_admin(session, target, actor(update))
            if data.get("first_name") or data.get("username"):
                await admins.remember_name(
                    session, target, data.get("first_name"), data.get("username")
                )
    async with context.db() as session:
        names = await admins.names(session, [target])
    if not added:
        await show(update, context, _about(_("{id} is already an admin."), context, target, names))
        return
    lines = [_about(_("✅ {id} is now an admin."), context, target, names)]
    if (untold := await _welcome(context, target, actor(update))) is None:
        lines.append(context._("They have been told what they can do."))
    else:
        lines.append("⚠️ " + context._(untold))
    await show(update, context, "\n".join(lines))


async def do_remove_admin(update: Update, context: BotContext, data: dict[str, Any]) -> None:
    target = data["id"]
    if target in context.state.settings.admin_ids:  # configured since the preview
        await show(update, context, _about(CONFIGURED, context, target))
        return
    async with context.db() as session:
        outcome = await editing.remove_admin(
            session, target, actor(update), keep_one=not context.state.settings.admin_ids
        )
        names = await admins.names(session, [target])
    text = {
        "removed": _("✅ {id} is no longer an admin."),
        "unknown": _("{id} is not an admin."),
        "last": LAST,
    }[outcome]
    await show(update, context, _about(text, context, target, names))


ACTIONS = {"addadmin": do_add_admin, "removeadmin": do_remove_admin}
