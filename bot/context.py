"""Application state and the typed context every handler receives."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from cachetools import LRUCache
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from telegram.ext import Application, CallbackContext, ExtBot

from bot.config import Settings
from bot.domain.clock import baku_now
from bot.i18n import Translator
from bot.updates import PerChatUpdateProcessor  # noqa: F401 (its old home)

if TYPE_CHECKING:
    from bot.delivery import DeliveryWorker
    from bot.metrics import Metrics
    from bot.places import PlaceCache, Places
    from bot.registrar import Registrar
    from bot.relay import DraftWatch


class AppState:
    """Services opened in `post_init` and shared by all handlers (PTB's `bot_data`)."""

    def __init__(self) -> None:
        self.settings: Settings
        self.engine: AsyncEngine
        self.db: async_sessionmaker[AsyncSession]
        self.translators: dict[str, Translator]
        self.places: PlaceCache  # place data and search index in memory (bot.places)
        self.registrar: Registrar  # newcomers written in batches (bot.registrar)
        self.delivery: DeliveryWorker  # the one outbox loop (bot.delivery)
        self.metrics: Metrics  # counters and gauges of GET /metrics (bot.metrics)
        self.drafts: DraftWatch  # who is writing a question to a person (bot.relay)
        self.clock: Callable[[], dt.datetime] = baku_now
        # user id → language, so that an update costs no query once its sender is known
        self.languages: LRUCache[int, str] = LRUCache(maxsize=100_000)
        # user id → picked their language with /language, as far as this process has asked
        # (handlers.conversation, to answer a message in its own language otherwise)
        self.picked: LRUCache[int, bool] = LRUCache(maxsize=100_000)


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

    async def places(self) -> Places:
        """The place data and search index, current (see `bot.places`)."""
        return await self.bot_data.places.get()

    def _(self, message: str) -> str:
        return self.tr.gettext(message)

    @property
    def today(self) -> dt.date:
        return self.bot_data.clock().date()
