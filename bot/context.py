"""Application state and the typed context every handler receives."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from cachetools import LRUCache
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from telegram.ext import Application, BaseUpdateProcessor, CallbackContext, ExtBot

from bot.config import Settings
from bot.i18n import Translator
from bot.search import SearchIndex

if TYPE_CHECKING:
    from bot.delivery import DeliveryWorker
    from bot.metrics import Metrics

BAKU = ZoneInfo("Asia/Baku")


def baku_now() -> dt.datetime:
    return dt.datetime.now(BAKU)


class AppState:
    """Services opened in `post_init` and shared by all handlers (PTB's `bot_data`)."""

    def __init__(self) -> None:
        self.settings: Settings
        self.engine: AsyncEngine
        self.db: async_sessionmaker[AsyncSession]
        self.translators: dict[str, Translator]
        self.search: SearchIndex
        self.delivery: DeliveryWorker  # the one outbox loop (bot.delivery)
        self.metrics: Metrics  # counters and gauges of GET /metrics (bot.metrics)
        self.clock: Callable[[], dt.datetime] = baku_now
        # user id → language, so that an update costs no query once its sender is known
        self.languages: LRUCache[int, str] = LRUCache(maxsize=100_000)


class BotContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], AppState]):
    """`context` in every handler: `context.db()`, `context._("…")`, `context.tr`."""

    def __init__(
        self, application: Application, chat_id: int | None = None, user_id: int | None = None
    ) -> None:
        super().__init__(application, chat_id=chat_id, user_id=user_id)
        self.language: str | None = None

    @property
    def state(self) -> AppState:
        return self.bot_data

    @property
    def db(self) -> async_sessionmaker[AsyncSession]:
        return self.bot_data.db

    @property
    def tr(self) -> Translator:
        state = self.bot_data
        return state.translators[self.language or state.settings.default_language]

    def _(self, message: str) -> str:
        return self.tr.gettext(message)

    @property
    def today(self) -> dt.date:
        return self.bot_data.clock().date()


class PerChatUpdateProcessor(BaseUpdateProcessor):
    """Updates of different chats run concurrently; those of one chat run in arrival order."""

    def __init__(self, max_concurrent_updates: int) -> None:
        super().__init__(max_concurrent_updates)
        self._locks: dict[int, asyncio.Lock] = {}
        self._users: dict[int, int] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = _chat_key(update)
        if key is None:
            await coroutine
            return
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._users[key] = self._users.get(key, 0) + 1
        try:
            async with lock:
                await coroutine
        finally:
            self._users[key] -= 1
            if not self._users[key]:
                del self._users[key], self._locks[key]

    async def initialize(self) -> None:
        """Nothing to allocate."""

    async def shutdown(self) -> None:
        """Nothing to free."""


def _chat_key(update: object) -> int | None:
    chat = getattr(update, "effective_chat", None)
    if chat is not None:
        return chat.id
    user = getattr(update, "effective_user", None)
    return user.id if user is not None else None
