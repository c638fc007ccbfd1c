"""How updates are scheduled: concurrently across chats, in order within one chat.

Kept light (asyncio and `telegram.ext` only) so that the start-up baseline, `bench.echo_bot`,
can use the same update processor without importing the rest of returnbot.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

from telegram.ext import BaseUpdateProcessor

CONCURRENT_UPDATES = 256  # across chats; one chat's updates still run in order


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
