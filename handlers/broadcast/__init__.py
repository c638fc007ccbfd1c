"""/broadcast (admins): preview a message to all users or a place's followers — one text,
or a version per language — then send it through the outbox; the ✅, fallback, urgent and
stop buttons, re-checked on the server at every press; /stats. Sending itself is
`bot.delivery`'s job (docs/handlers.md)."""

from __future__ import annotations

from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.views import callbacks as cb
from handlers.broadcast.drafts import (
    PromptReply,
    ask_broadcast,
    choose,
    pick_place,
    skip_version,
    take_version,
)
from handlers.broadcast.sending import cancel_broadcast, send_broadcast, send_held_now, show_stats

HANDLERS: list[BaseHandler] = [
    CommandHandler("broadcast", ask_broadcast),
    CommandHandler("stats", show_stats),
    # before the conversation's plain-text handler (handlers/__init__.py orders features)
    MessageHandler(
        filters.TEXT & ~filters.COMMAND & filters.ChatType.PRIVATE & PromptReply(),
        take_version,
    ),
    CallbackQueryHandler(send_broadcast, pattern=cb.pattern(cb.BROADCAST_SEND)),
    CallbackQueryHandler(cancel_broadcast, pattern=cb.pattern(cb.BROADCAST_CANCEL)),
    CallbackQueryHandler(pick_place, pattern=cb.pattern(cb.BROADCAST_PICK)),
    CallbackQueryHandler(skip_version, pattern=cb.pattern(cb.BROADCAST_NEXT)),
    CallbackQueryHandler(choose, pattern=cb.pattern(cb.BROADCAST_FALLBACK)),
    CallbackQueryHandler(choose, pattern=cb.pattern(cb.BROADCAST_URGENT)),
    CallbackQueryHandler(send_held_now, pattern=cb.pattern(cb.NOTICE_URGENT)),
]
