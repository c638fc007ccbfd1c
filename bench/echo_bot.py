"""The baseline: a bare python-telegram-bot echo bot with returnbot's concurrency settings.

Same PTB, same update processor (`PerChatUpdateProcessor(CONCURRENT_UPDATES)`), same
`run_polling` call as `returnbot run`; it answers every message with its text and every
button press with `answerCallbackQuery` plus an edit, the API calls returnbot makes, and
nothing else (no database, no search, no translations). It imports PTB and `bot.updates`
(asyncio and `telegram.ext` only), nothing else of returnbot, so its start-up is PTB's own.

With `--aiohttp` it talks to the Bot API over returnbot's transport (`bot.transport.request`)
instead of PTB's default httpx: the like-for-like baseline, whose ratio shows what
returnbot's own work costs once the transport is the same.

Run: `TELEGRAM_BOT_TOKEN=… TELEGRAM_API_URL=… python -m bench.echo_bot [--aiohttp]`.
"""

from __future__ import annotations

import html
import os
import sys

from telegram import Update
from telegram.ext import ApplicationBuilder, CallbackQueryHandler, ContextTypes, MessageHandler
from telegram.ext import filters as f

from bot.updates import CONCURRENT_UPDATES, PerChatUpdateProcessor


async def echo(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
    """Say the text back."""
    await update.effective_message.reply_text(html.escape(update.effective_message.text))


async def pressed(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
    """Acknowledge the press and show its data in place."""
    query = update.callback_query
    await query.answer()
    await query.edit_message_text(html.escape(query.data or "?"))


def main(argv: list[str] | None = None) -> int:
    builder = (
        ApplicationBuilder()
        .token(os.environ["TELEGRAM_BOT_TOKEN"])
        .base_url(os.environ["TELEGRAM_API_URL"])
        .concurrent_updates(PerChatUpdateProcessor(CONCURRENT_UPDATES))
    )
    if "--aiohttp" in (sys.argv[1:] if argv is None else argv):
        from bot.transport.request import AiohttpRequest

        builder = builder.request(AiohttpRequest(connection_pool_size=256))
        builder = builder.get_updates_request(AiohttpRequest(connection_pool_size=1))
    application = builder.build()
    application.add_handler(MessageHandler(f.TEXT, echo))
    application.add_handler(CallbackQueryHandler(pressed))
    application.run_polling(allowed_updates=Update.ALL_TYPES)
    return 0


if __name__ == "__main__":
    sys.exit(main())
