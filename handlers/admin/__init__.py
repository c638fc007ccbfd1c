"""Admin commands and buttons: who is an admin (/admins, in `people`), recording, correcting
and cancelling caravans, housing figures, the audit log. Every one runs `require_admin` first;
what changes data shows a preview and acts only on ✅ (why and how: docs/handlers.md)."""

from __future__ import annotations

from telegram import Message, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.context import BotContext
from bot.views import admin as admin_cards
from bot.views import audit as audit_view
from bot.views import callbacks as cb
from db import admins, editing
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
    split_source,
)
from handlers.admin.pending import CONFIRMABLE, PICKING, STORED_KINDS, Pending, recall, remember
from handlers.admin.people import ACTIONS as ADMIN_ACTIONS
from handlers.admin.people import manage_admins
from handlers.admin.previews import cancel_preview, preview, with_settlement
from handlers.admin.replies import missing_source, usage
from handlers.common import button_expired as expired
from handlers.common import reply_html as reply
from handlers.common import require_admin, show

AUDIT_DEFAULT, AUDIT_MAX = 10, 50


# ------------------------------------------------------------------ the commands


async def add_caravan(update: Update, context: BotContext) -> None:
    """/addcaravan <date> <settlement> <families> [people] source=<…> → preview with ✅."""
    if not await require_admin(update, context):
        return
    try:
        args, source = split_source(context.args or [])
        date, place, families, people = parse_addcaravan(args, context.today)
    except ArgError as error:
        await usage(update, context, "addcaravan", error)
        return
    if source is None:
        await missing_source(update, context)
        return
    data = {"date": date.isoformat(), "families": families, "people": people, "source": source}
    await with_settlement(update, context, place, Pending("addcaravan", data))


async def set_housing(update: Update, context: BotContext) -> None:
    """/sethousing <settlement> planned=<n> ready=<n> [<date>=<n> …] source=<…> → preview."""
    if not await require_admin(update, context):
        return
    try:
        args, source = split_source(context.args or [])
        place, planned, ready, deadlines = parse_sethousing(args, context.today)
    except ArgError as error:
        await usage(update, context, "sethousing", error)
        return
    if source is None:
        await missing_source(update, context)
        return
    data = {
        "planned": planned,
        "ready": ready,
        "deadlines": {day.isoformat(): homes for day, homes in deadlines.items()},
        "source": source,
    }
    await with_settlement(update, context, place, Pending("sethousing", data))


class SourceReply(filters.MessageFilter):
    """A text replying to the bot's question for a source (it starts with 📰)."""

    def filter(self, message: Message) -> bool:
        replied = message.reply_to_message
        author = replied.from_user if replied else None
        text = replied.text or "" if replied else ""
        return bool(author and author.is_bot and text.startswith(admin_cards.SOURCE_PROMPT))


async def source_reply(update: Update, context: BotContext) -> None:
    """A reply to the question for a source: the command it completes is the question's
    last line (the bot's own message, read back: nothing is stored), run with the reply as
    its source, from the start (checks and preview as if typed whole)."""
    if not await require_admin(update, context):
        return
    message = update.effective_message
    words = (message.reply_to_message.text or "").strip().splitlines()[-1].split()
    commands = {"/addcaravan": add_caravan, "/sethousing": set_housing}
    command = commands.get(words[0].split("@")[0]) if words else None
    source = " ".join((message.text or "").split())
    if command is None or words[-1] != "source=" or not source:
        await reply(update, context._("Send the command again with source=… at its end."))
        return
    context.args = [*words[1:-1], *f"source={source}".split()]
    await command(update, context)


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
        names = await admins.names(session, audit_view.actor_ids(entries))
    data = (await context.places()).data
    for text in audit_view.audit_messages(entries, names, data, context.tr):
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
    actions = {**ACTIONS, **ADMIN_ACTIONS}
    if pending is None or pending.kind not in actions or pending.choices:
        await expired(update, context)
        return
    await update.callback_query.answer()
    await actions[pending.kind](update, context, pending.data)


HANDLERS: list[BaseHandler] = [
    CommandHandler("admins", manage_admins),
    CommandHandler("addcaravan", add_caravan),
    CommandHandler("sethousing", set_housing),
    CommandHandler("editcaravan", edit_caravan),
    CommandHandler("cancelcaravan", cancel_caravan),
    CommandHandler("audit", show_audit),
    MessageHandler(
        filters.TEXT & ~filters.COMMAND & filters.ChatType.PRIVATE & SourceReply(), source_reply
    ),
    CallbackQueryHandler(confirm, pattern=cb.pattern(cb.ADMIN_CONFIRM)),
    CallbackQueryHandler(abort, pattern=cb.pattern(cb.ADMIN_ABORT)),
    CallbackQueryHandler(pick_place, pattern=cb.pattern(cb.ADMIN_PICK)),
    CallbackQueryHandler(open_cancel, pattern=cb.pattern(cb.ADMIN_CANCEL)),
]
