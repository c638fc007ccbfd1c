"""Unexpected errors: the error handler logs them and tells the user; admins who opted in
with `/errors on|off` get a short report without anything the user wrote, at most one per
kind of error a minute (docs/handlers.md)."""

from __future__ import annotations

import logging
import time
import traceback
import weakref
from dataclasses import dataclass, field
from html import escape
from pathlib import PurePath

from telegram import Update
from telegram.constants import ParseMode
from telegram.ext import BaseHandler, CommandHandler

from bot.context import AppState, BotContext
from bot.views import callbacks as cb
from db import admins, watchers
from handlers.common import require_admin, show, tell_user

REPORT_INTERVAL = 60.0  # seconds: at most one report per kind of error in this time
ON, OFF = frozenset({"on", "1", "yes"}), frozenset({"off", "0", "no"})

log = logging.getLogger(__name__)


@dataclass
class _Held:
    """When each kind of error was last reported, and how many were held back since."""

    last: dict[str, float] = field(default_factory=dict)
    held: dict[str, int] = field(default_factory=dict)

    def admit(self, kind: str, now: float) -> int | None:
        """None when `kind` was reported less than REPORT_INTERVAL ago (counted as held
        back); else how many were held back before this one."""
        if kind in self.last and now - self.last[kind] < REPORT_INTERVAL:
            self.held[kind] = self.held.get(kind, 0) + 1
            return None
        self.last[kind] = now
        return self.held.pop(kind, 0)


_reports: weakref.WeakKeyDictionary[AppState, _Held] = weakref.WeakKeyDictionary()


async def errors_command(update: Update, context: BotContext) -> None:
    """/errors on|off: an admin opts in to (or out of) error reports."""
    if not await require_admin(update, context):
        return
    _ = context._
    argument = (context.args or [""])[0].casefold()
    user_id, chat_id = update.effective_user.id, update.effective_chat.id
    async with context.db() as session:
        if argument in ON:
            if await watchers.watch(session, user_id, chat_id):
                admins.audit(session, user_id, "errors.on", f"user {user_id}", None, {"on": True})
            await session.commit()
            text = "🔔 " + _(
                "Error reports are on: I will send you a short message when I hit an "
                "unexpected error, at most one a minute for each kind of error."
            )
        elif argument in OFF:
            if await watchers.unwatch(session, user_id):
                admins.audit(session, user_id, "errors.off", f"user {user_id}", {"on": True}, None)
            await session.commit()
            text = "🔕 " + _("Error reports are off.")
        elif await watchers.is_watching(session, user_id):
            text = _("Error reports are on for you. Send <code>/errors off</code> to stop them.")
        else:
            text = _(
                "Error reports are off for you. Send <code>/errors on</code> to get a short "
                "message when I hit an unexpected error."
            )
    await show(update, context, text)


async def on_error(update: object, context: BotContext) -> None:
    """Log the traceback and tell the user, in their language, that something went wrong —
    or that the bot is briefly unavailable when the database is unreachable or busy; then
    report the error to the admins who opted in."""
    log.error("error while handling an update", exc_info=context.error)
    if isinstance(update, Update) and update.effective_chat is not None:
        await tell_user(update, context, context.error)
    await report(update, context)


async def report(update: object, context: BotContext) -> None:
    """Tell the admins who opted in about `context.error`, unless this kind was reported
    within REPORT_INTERVAL. Never raises: the error handler calls it."""
    error = context.error
    if error is None:
        return
    kind = _error_type(error)
    held = _reports.setdefault(context.state, _Held()).admit(kind, time.monotonic())
    if held is None:
        return
    try:
        async with context.db() as session:
            recipients = await watchers.watchers(session)
    except Exception:  # the error may be the database itself
        log.warning("could not read the error watchers", exc_info=True)
        return
    state = context.state
    for _user_id, chat_id, language in recipients:
        tr = state.translators[language or state.settings.default_language]
        text = tr.gettext("⚠️ Unexpected error {error} in {where}, while handling {update}.")
        text = text.format(
            error=f"<code>{escape(kind)}</code>",
            where=f"<code>{escape(_where(error))}</code>",
            update=f"<code>{escape(_update_kind(update))}</code>",
        )
        if held:
            text += "\n" + tr.ngettext(
                "{n} more error of this kind was not reported in the last minute.",
                "{n} more errors of this kind were not reported in the last minute.",
                held,
            ).format(n=held)
        try:
            await context.bot.send_message(chat_id, text, parse_mode=ParseMode.HTML)
        except Exception:  # a watcher who blocked the bot, or the Bot API is down
            log.warning("could not send an error report", exc_info=True)


def _error_type(error: BaseException) -> str:
    kind = type(error)
    if kind.__module__ == "builtins":
        return kind.__qualname__
    return f"{kind.__module__}.{kind.__qualname__}"


def _where(error: BaseException) -> str:
    """`folder/file.py:line in function` of the innermost frame of the project's own code,
    else of the innermost frame at all."""
    frames = traceback.extract_tb(error.__traceback__)
    if not frames:
        return "?"
    own = [
        f for f in frames if "site-packages" not in f.filename and "/lib/python" not in f.filename
    ]
    frame = (own or frames)[-1]
    path = PurePath(frame.filename)
    return f"{'/'.join(path.parts[-2:])}:{frame.lineno} in {frame.name}"


def _update_kind(update: object) -> str:
    """What was being handled, without anything the user wrote: the update's type, plus the
    command's name or the button's prefix."""
    if not isinstance(update, Update):
        return "job" if update is None else type(update).__name__
    message = update.effective_message
    if update.callback_query is not None:
        parsed = cb.parse(update.callback_query.data)
        return f"callback_query {parsed[0]}:" if parsed else "callback_query"
    fields = [name for name in update.to_dict() if name != "update_id"]
    kind = fields[0] if fields else "update"
    text = getattr(message, "text", None) or ""
    command = text.split(maxsplit=1)[0].split("@")[0] if text.startswith("/") else ""
    if command[1:].isascii() and command[1:].replace("_", "").isalnum():
        return f"{kind} {command}"
    return kind


HANDLERS: list[BaseHandler] = [CommandHandler("errors", errors_command)]
