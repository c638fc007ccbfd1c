"""The bot's features, for `bot.app` to register: `FEATURES` (modules, each exposing
`HANDLERS`) in registration order, `PRE_HANDLERS` (run before every other handler, in group
-2), the intake of questions to a person (`INTAKE_HANDLERS`, group -1), the error
handler `on_error`, and the command menu `bot_commands`. Order matters only
for overlapping filters, so the catch-alls of `fallback` come last."""

from __future__ import annotations

from telegram.ext import BaseHandler

from handlers import (
    admin,
    broadcast,
    calendar_files,
    caravans,
    contacts,
    conversation,
    dataset_import,
    errors,
    fallback,
    faq,
    identity,
    inline,
    location,
    progress,
    qr,
    schedule,
    settlements,
    start,
    subscriptions,
    support,
)
from handlers.errors import on_error
from handlers.start import bot_commands

FEATURES = (
    start,
    settlements,
    schedule,
    broadcast,  # its replies to a version prompt come before the conversation's texts
    admin,  # and so do the replies to its question for a source
    conversation,
    caravans,
    subscriptions,
    support,
    calendar_files,
    progress,
    location,
    inline,
    qr,
    contacts,
    faq,
    identity,
    dataset_import,
    errors,
    fallback,
)

# the sender's language, and a newcomer registered, before any feature answers
PRE_HANDLERS: list[BaseHandler] = [start.PRE_HANDLER]
# then, before any feature, the messages that belong to a question to a person
INTAKE_HANDLERS: list[BaseHandler] = support.INTAKE

__all__ = ["FEATURES", "INTAKE_HANDLERS", "PRE_HANDLERS", "bot_commands", "on_error"]
