"""Admins send a dataset file (.yaml, .csv or .xlsx) as a document: the bot answers with
what importing it would change, and ✅ Apply / Cancel; nothing is written before ✅, and the
file waits in `db.pending` for the admin who sent it (docs/handlers.md)."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import logging
from collections import Counter
from html import escape
from typing import TYPE_CHECKING

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.ext import BaseHandler, CallbackQueryHandler, MessageHandler, filters

from bot.context import BotContext
from bot.domain import clock
from bot.i18n import Translator, _
from bot.views import callbacks as cb
from bot.views import dataset as dataset_view
from bot.views.dataset import ENTITY_TITLES
from db import admins
from db import pending as pending_store
from handlers.common import require_admin, show

if TYPE_CHECKING:  # imported where used: only an admin's file needs the dataset formats
    from db import dataset as datasets
    from db import diff
    from db.snapshot import PlaceData

log = logging.getLogger(__name__)

MAX_BYTES = 5 * 1024 * 1024  # a dataset is some 30 KB; 5 MB leaves room for any real one
PENDING_KIND = "import"
PENDING_TTL = dt.timedelta(minutes=15)  # how long a ✅ Apply button stays valid
MAX_PENDING = 3  # files per admin kept at once; the oldest is dropped
MESSAGE_LIMIT = 3500  # characters per message, under Telegram's 4096 with room for tags
MAX_PARTS = 3  # messages of one diff; longer diffs are cut (the CLI's --dry-run lists all)
ERROR_LIMIT = 3000

CHANGE_LABELS = {
    "added": _("added: {n}"),
    "changed": _("changed: {n}"),
    "removed": _("removed: {n}"),
}


async def _remember(context: BotContext, user_id: int, name: str, data: bytes) -> str:
    """Keep the file for ✅ Apply; returns the token its buttons carry."""
    return await pending_store.put(
        context.db,
        user_id,
        PENDING_KIND,
        {"name": name},
        data=data,
        now=context.state.clock(),
        ttl=PENDING_TTL,
        keep=MAX_PENDING,
    )


# ------------------------------------------------------------------ composing the replies


def count_lines(counts: Counter[str], tr: Translator) -> list[str]:
    """`<b>Caravans</b>: added: 2, removed: 1` per entity, in the reader's language."""
    lines = []
    for entity, title in ENTITY_TITLES.items():
        parts = [
            tr.gettext(label).format(n=tr.number(counts[f"{entity} {kind}"]))
            for kind, label in CHANGE_LABELS.items()
            if counts[f"{entity} {kind}"]
        ]
        if parts:
            lines.append(f"<b>{escape(tr.gettext(title))}</b>: " + ", ".join(parts))
    return lines


def diff_messages(changes: diff.Diff, name: str, data: PlaceData, tr: Translator) -> list[str]:
    """The dry-run diff as at most MAX_PARTS HTML messages: a translated summary, then one
    line per change, places by name, columns in words (`bot.views.dataset.change_line`)."""
    _ = tr.gettext
    head = [
        f"📄 <b>{escape(name)}</b>",
        _("This is what importing the file would change. Nothing has been changed yet."),
        "",
        *count_lines(changes.counts(), tr),
    ]
    details: list[str] = []
    for entity, title in ENTITY_TITLES.items():
        entity_changes = changes.of(entity)
        if entity_changes:
            details.append(f"\n<b>{escape(_(title))}</b>")
            details.extend(
                escape(dataset_view.change_line(change, data, tr), quote=False)
                for change in entity_changes
            )
    parts, current = [], "\n".join(head)
    shown = 0
    for line in details:
        if len(current) + len(line) + 1 > MESSAGE_LIMIT:
            if len(parts) + 1 == MAX_PARTS:
                break
            parts.append(current)
            current = ""
        current = f"{current}\n{line}" if current else line.lstrip("\n")
        shown += 1
    hidden = sum(1 for line in details[shown:] if not line.startswith("\n"))
    if hidden:
        current += "\n" + tr.ngettext(
            "… and {n} more change (returnbot import --dry-run lists them all).",
            "… and {n} more changes (returnbot import --dry-run lists them all).",
            hidden,
        ).format(n=tr.number(hidden))
    parts.append(current + "\n\n" + _("Press ✅ Apply to import the file, or Cancel."))
    return parts


def import_keyboard(token: str, tr: Translator) -> InlineKeyboardMarkup:
    _ = tr.gettext
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    "✅ " + _("Apply"), callback_data=cb.make(cb.IMPORT_APPLY, token)
                ),
                InlineKeyboardButton(
                    "↩️ " + _("Cancel"), callback_data=cb.make(cb.IMPORT_CANCEL, token)
                ),
            ]
        ]
    )


async def error_message(error: datasets.DatasetError, name: str, context: BotContext) -> str:
    """What is wrong with the file, in the admin's language, with the nearest known names of
    an unknown place; an error without problems (none is expected) in its English words."""
    if not error.problems:
        text = str(error)
        if len(text) > ERROR_LIMIT:
            text = text[: ERROR_LIMIT - 1] + "…"
        framing = context._("This file cannot be imported; nothing was changed.")
        return f"⚠️ {framing}\n<pre>{escape(text, quote=False)}</pre>"
    places = await context.places()
    near = dataset_view.nearest_names(error.problems, places.data, places.search, context.tr)
    return dataset_view.problems_message(
        name, error.problems, error.hidden, context.tr, near, ERROR_LIMIT
    )


# ------------------------------------------------------------------ handlers


async def _check(context: BotContext, name: str, data: bytes) -> tuple[datasets.Dataset, diff.Diff]:
    """Parse and validate the whole file (in a thread: XLSX parsing takes a moment), then
    compare it with the database, writing nothing."""
    from db import dataset as datasets
    from db import diff, tabular

    dataset = await asyncio.to_thread(tabular.parse_bytes, data, name)
    async with context.db() as session:
        current = await datasets.load_dataset(session)
    return dataset, diff.diff(current, dataset)


async def _apply(context: BotContext, actor: int, name: str, data: bytes) -> datasets.ImportReport:
    """Parse and validate the file again, then apply it in one transaction together with
    its audit entry."""
    from db import dataset as datasets
    from db import tabular

    dataset = await asyncio.to_thread(tabular.parse_bytes, data, name)
    async with context.db() as session, session.begin():
        report = await datasets.apply_dataset(session, dataset, timing=clock)
        admins.audit(
            session,
            actor,
            "import",
            name,
            after={
                "file": name,
                "sha256": hashlib.sha256(data).hexdigest(),
                "changes": dict(sorted(report.items())),
            },
        )
    return report


async def receive_document(update: Update, context: BotContext) -> None:
    """A dataset file from an admin: validate it and show what importing it would change."""
    from db import dataset as datasets
    from db import tabular

    if not await require_admin(update, context):
        return
    message = update.effective_message
    document = message.document
    name = document.file_name or "file"
    _ = context._
    try:
        tabular.file_format(name)
    except datasets.DatasetError:
        await message.reply_text(_("I can import a dataset file: .yaml, .csv or .xlsx."))
        return
    too_large = _("The file is too large: at most {size} MB.").format(size=MAX_BYTES // 2**20)
    if (document.file_size or 0) > MAX_BYTES:
        await message.reply_text(too_large)
        return
    file = await document.get_file()
    data = bytes(await file.download_as_bytearray())
    if len(data) > MAX_BYTES:
        await message.reply_text(too_large)
        return
    try:
        _dataset, changes = await _check(context, name, data)
    except datasets.DatasetError as error:
        text = await error_message(error, name, context)
        await message.reply_text(text, parse_mode=ParseMode.HTML)
        return
    if not changes:
        text = _("{file}: the data already matches this file; there is nothing to import.")
        await message.reply_text(text.format(file=escape(name)), parse_mode=ParseMode.HTML)
        return
    token = await _remember(context, update.effective_user.id, name, data)
    parts = diff_messages(changes, name, (await context.places()).data, context.tr)
    for part in parts[:-1]:
        await message.reply_text(part, parse_mode=ParseMode.HTML)
    await message.reply_text(
        parts[-1], parse_mode=ParseMode.HTML, reply_markup=import_keyboard(token, context.tr)
    )


async def apply_import(update: Update, context: BotContext) -> None:
    """✅ Apply (or Cancel): rights checked again, the file re-validated and applied in one
    transaction with its audit entry; the message then shows what changed."""
    from db import dataset as datasets

    query = update.callback_query
    if not await require_admin(update, context):
        return
    _ = context._
    parsed = cb.parse(query.data)
    actor = update.effective_user.id
    pending = None
    if parsed:
        pending = await pending_store.take(
            context.db, parsed[1], actor, (PENDING_KIND,), now=context.state.clock()
        )
    if pending is None or pending.data is None:
        await query.answer(
            _("This import has expired. Please send the file again."), show_alert=True
        )
        return
    await query.answer()
    if parsed[0] == cb.IMPORT_CANCEL:
        await show(update, context, "↩️ " + _("Import cancelled; nothing was changed."))
        return
    name, data = pending.payload["name"], pending.data
    try:
        report = await _apply(context, actor, name, data)
    except datasets.DatasetError as error:
        await show(update, context, await error_message(error, name, context))
        return
    log.info("admin %s imported %s: %s", actor, name, ", ".join(report.lines()))
    await context.state.places.reload()  # the commit would do it at the next lookup anyway
    lines = [
        "✅ " + _("Imported {file}.").format(file=f"<b>{escape(name)}</b>"),
        *(count_lines(report, context.tr) or [_("The data already matched the file.")]),
    ]
    await show(update, context, "\n".join(lines))


HANDLERS: list[BaseHandler] = [
    MessageHandler(filters.Document.ALL & filters.ChatType.PRIVATE, receive_document),
    CallbackQueryHandler(apply_import, pattern=cb.pattern(cb.IMPORT_APPLY, cb.IMPORT_CANCEL)),
]
