"""Admin commands and buttons: who is an admin (/admins), recording, correcting and
cancelling caravans, housing figures, the audit log. Every one runs `require_admin` first;
what changes data shows a preview and acts only on ✅ (why and how: docs/handlers.md)."""

from __future__ import annotations

from html import escape

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot.context import BotContext
from bot.i18n import _
from bot.places import Found
from bot.views import admin as admin_cards
from bot.views import callbacks as cb
from db import admins, editing, tickets
from db.models import District
from handlers.admin.actions import ACTIONS
from handlers.admin.arguments import (
    ID,
    ArgError,
    caravan_id,
    check_counts,
    parse_addcaravan,
    parse_caravan_edit,
    parse_count,
    parse_sethousing,
)
from handlers.admin.pending import CONFIRMABLE, PICKING, STORED_KINDS, Pending, recall, remember
from handlers.admin.previews import cancel_preview, preview, with_settlement
from handlers.admin.replies import actor, expired, reply, usage
from handlers.common import is_admin, require_admin, show

AUDIT_DEFAULT, AUDIT_MAX = 10, 50


# ------------------------------------------------------------------ /admins


async def manage_admins(update: Update, context: BotContext) -> None:
    """/admins, /admins add <id>, /admins remove <id>"""
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
        await add_admin(update, context, target)
    else:
        await remove_admin(update, context, target)


def district_named(found: Found) -> District | None:
    """The district a name means: the district found, or the one district among several
    places of that name (Laçın the town and Laçın the district)."""
    if found.district is not None:
        return found.district
    return found.districts[0] if len(found.districts) == 1 else None


async def take_districts(update: Update, context: BotContext, args: list[str]) -> None:
    """/admins districts <id> [district…]: the districts whose questions the admin gets
    (none given: every question)."""
    match = ID.fullmatch(args[0]) if args else None
    if match is None:
        await usage(update, context, "admins districts", ArgError())
        return
    target, places = int(match.group(1)), await context.places()
    found = [(name, district_named(places.find(name))) for name in args[1:]]
    unknown = [name for name, district in found if district is None]
    if unknown:
        text = _("“{name}” is not a district. Write districts as /settlements lists them.")
        await usage(update, context, "admins districts", ArgError(text, name=unknown[0]))
        return
    if not await is_admin(context, target):
        await reply(update, context._("{id} is not an admin.").format(id=f"<code>{target}</code>"))
        return
    districts = sorted({d.slug: d for _name, d in found}.values(), key=lambda d: d.position)
    async with context.db() as session:
        await tickets.set_districts(session, target, [d.id for d in districts])
        admins.audit(
            session,
            actor(update),
            "admin_districts",
            str(target),
            after={"districts": [d.slug for d in districts]},
        )
        await session.commit()
    names = ", ".join(d.name(context.tr.lang) for d in districts)
    if names:
        text = context._("✅ {id} now gets the questions of: {districts}.")
    else:
        text = context._("✅ {id} now gets every question.")
    await reply(update, text.format(id=f"<code>{target}</code>", districts=escape(names)))


async def list_admins(update: Update, context: BotContext) -> None:
    async with context.db() as session:
        stored = await admins.added_admins(session)
    text = admin_cards.admins_view(context.state.settings.admin_ids, stored, context.tr)
    await reply(update, text)


async def add_admin(update: Update, context: BotContext, target: int) -> None:
    added = False
    if target not in context.state.settings.admin_ids:
        async with context.db() as session:
            added = await editing.add_admin(session, target, actor(update))
    text = _("✅ {id} is now an admin.") if added else _("{id} is already an admin.")
    await reply(update, context._(text).format(id=f"<code>{target}</code>"))


async def remove_admin(update: Update, context: BotContext, target: int) -> None:
    """Only chat-added admins can be removed here, and never the last admin."""
    configured = context.state.settings.admin_ids
    if target in configured:
        text = _(
            "{id} is an admin by the configuration (ADMIN_IDS) and cannot be removed from the "
            "chat. Remove the id from ADMIN_IDS and restart the bot."
        )
    else:
        async with context.db() as session:
            outcome = await editing.remove_admin(
                session, target, actor(update), keep_one=not configured
            )
        text = {
            "removed": _("✅ {id} is no longer an admin."),
            "unknown": _("{id} is not an admin."),
            "last": _("{id} is the last admin and cannot be removed: add another admin first."),
        }[outcome]
    await reply(update, context._(text).format(id=f"<code>{target}</code>"))


# ------------------------------------------------------------------ the commands


async def add_caravan(update: Update, context: BotContext) -> None:
    """/addcaravan <YYYY-MM-DD> <settlement> <families> [people] → preview with ✅."""
    if not await require_admin(update, context):
        return
    try:
        date, place, families, people = parse_addcaravan(context.args or [], context.today)
    except ArgError as error:
        await usage(update, context, "addcaravan", error)
        return
    data = {"date": date.isoformat(), "families": families, "people": people}
    await with_settlement(update, context, place, Pending("addcaravan", data))


async def set_housing(update: Update, context: BotContext) -> None:
    """/sethousing <settlement> planned=<n> ready=<n> [<YYYY|YYYY-MM-DD>=<n> …] → preview."""
    if not await require_admin(update, context):
        return
    try:
        place, planned, ready, deadlines = parse_sethousing(context.args or [], context.today)
    except ArgError as error:
        await usage(update, context, "sethousing", error)
        return
    data = {
        "planned": planned,
        "ready": ready,
        "deadlines": {day.isoformat(): homes for day, homes in deadlines.items()},
    }
    await with_settlement(update, context, place, Pending("sethousing", data))


async def edit_caravan(update: Update, context: BotContext) -> None:
    """/editcaravan <id> date=… families=… people=… → preview; /editcaravan <settlement> →
    its caravans with their ids."""
    if not await require_admin(update, context):
        return
    args = context.args or []
    if args and ID.fullmatch(args[0]) is None:
        await with_settlement(update, context, " ".join(args), Pending("list", {}))
        return
    try:
        target, values = parse_caravan_edit(args, context.today)
    except ArgError as error:
        await usage(update, context, "editcaravan", error)
        return
    async with context.db() as session:
        caravan = await editing.caravan(session, target)
    if caravan is None:
        await reply(update, context._("There is no caravan #{id}.").format(id=target))
        return
    if all(getattr(caravan, key) == value for key, value in values.items()):
        text = context._("Caravan #{id} already has these values: nothing to change.")
        await reply(update, text.format(id=target))
        return
    try:
        check_counts(values.get("families", caravan.families), values.get("people", caravan.people))
    except ArgError as error:
        await usage(update, context, "editcaravan", error)
        return
    data = {"id": target, **{k: v.isoformat() if k == "date" else v for k, v in values.items()}}
    token = await remember(update, context, Pending("editcaravan", data))
    text = admin_cards.edit_preview(caravan, values, context.tr)
    markup = admin_cards.confirm_keyboard(token, context._("Save the correction"), context.tr)
    await show(update, context, text, markup)


async def cancel_caravan(update: Update, context: BotContext) -> None:
    """/cancelcaravan <id> → preview with ✅; /cancelcaravan <settlement> → its caravans."""
    if not await require_admin(update, context):
        return
    args = context.args or []
    if not args:
        await usage(update, context, "cancelcaravan", ArgError())
        return
    target = caravan_id(args)
    if target is None:
        await with_settlement(update, context, " ".join(args), Pending("list", {}))
        return
    await cancel_preview(update, context, target)


async def show_audit(update: Update, context: BotContext) -> None:
    """/audit [n]: the latest n admin actions (default 10, at most 50)."""
    if not await require_admin(update, context):
        return
    args = context.args or []
    try:
        if len(args) > 1:
            raise ArgError()
        n = parse_count(args[0], "n", 1, AUDIT_MAX) if args else AUDIT_DEFAULT
    except ArgError as error:
        await usage(update, context, "audit", error)
        return
    async with context.db() as session:
        entries = await admins.recent_audit(session, n)
    for text in admin_cards.audit_messages(entries, context.tr):
        await reply(update, text)


# ------------------------------------------------------------------ buttons


async def pick_place(update: Update, context: BotContext) -> None:
    """A candidate of an ambiguous place was chosen: show the action's preview."""
    if not await require_admin(update, context):
        return
    _prefix, argument = cb.parse(update.callback_query.data)
    token, _dot, index = argument.partition(".")
    pending = await recall(update, context, token, (PICKING,))
    if pending is None or int(index) >= len(pending.choices):
        await expired(update, context)
        return
    pending.data["slug"] = pending.choices[int(index)]
    pending.choices = []
    await update.callback_query.answer()
    await preview(update, context, pending)  # stored again, under a new token


async def abort(update: Update, context: BotContext) -> None:
    """↩️ on a preview: forget the action."""
    if not await require_admin(update, context):
        return
    _prefix, token = cb.parse(update.callback_query.data)
    await recall(update, context, token, STORED_KINDS)
    await update.callback_query.answer()
    await show(update, context, "↩️ " + context._("Cancelled. Nothing was changed."))


async def open_cancel(update: Update, context: BotContext) -> None:
    """🗑 in a caravan list: the cancel preview of that caravan (looked up again)."""
    if not await require_admin(update, context):
        return
    _prefix, argument = cb.parse(update.callback_query.data)
    await update.callback_query.answer()
    await cancel_preview(update, context, int(argument))


async def confirm(update: Update, context: BotContext) -> None:
    """✅ on a preview: do the action kept under the button's token, once."""
    if not await require_admin(update, context):
        return
    _prefix, token = cb.parse(update.callback_query.data)
    pending = await recall(update, context, token, CONFIRMABLE)
    if pending is None or pending.kind not in ACTIONS or pending.choices:
        await expired(update, context)
        return
    await update.callback_query.answer()
    await ACTIONS[pending.kind](update, context, pending.data)


HANDLERS: list[BaseHandler] = [
    CommandHandler("admins", manage_admins),
    CommandHandler("addcaravan", add_caravan),
    CommandHandler("sethousing", set_housing),
    CommandHandler("editcaravan", edit_caravan),
    CommandHandler("cancelcaravan", cancel_caravan),
    CommandHandler("audit", show_audit),
    CallbackQueryHandler(confirm, pattern=cb.pattern(cb.ADMIN_CONFIRM)),
    CallbackQueryHandler(abort, pattern=cb.pattern(cb.ADMIN_ABORT)),
    CallbackQueryHandler(pick_place, pattern=cb.pattern(cb.ADMIN_PICK)),
    CallbackQueryHandler(open_cancel, pattern=cb.pattern(cb.ADMIN_CANCEL)),
]
