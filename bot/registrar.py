"""First contact: newcomers are registered in batches (group commit).

Every private chat's first update registers its user (`handlers.start.remember_user`)
before it is answered. One transaction per newcomer made a burst of newcomers queue on
the database: SQLite takes one writer at a time and its busy handler lets a waiting writer
sleep (up to 100 ms a time) instead of waking it when the lock frees. In the query
benchmark 500 newcomers took 4 s to register, one of them 3.7 s. Now the newcomers who
arrive while a batch is being written wait for the next one: one upsert and one commit
for all of them (`db.users.register_users`), and a batch never waits for another.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db import users


@dataclass
class _Newcomer:
    chat_id: int
    language: str  # derived from Telegram; a language the user chose is kept
    stored: asyncio.Future[str]  # the user's language once written


class Registrar:
    """Registers users for one process, a batch at a time."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions
        self._next: dict[int, _Newcomer] = {}  # by user id: the batch being gathered
        self._writer: asyncio.Task[None] | None = None

    async def register(self, user_id: int, chat_id: int, language: str) -> str:
        """Register the user (see `db.users.register_users`) with the next batch; the
        user's stored language. Raises what writing the batch raised."""
        newcomer = self._next.get(user_id)
        if newcomer is None:
            stored = asyncio.get_running_loop().create_future()
            newcomer = self._next[user_id] = _Newcomer(chat_id, language, stored)
        else:  # the same user twice in one batch: the latest chat wins
            newcomer.chat_id, newcomer.language = chat_id, language
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write(), name="registrations")
        # shielded: a waiter cancelled does not cancel the batch or the others' wait
        return await asyncio.shield(newcomer.stored)

    async def _write(self) -> None:
        while self._next:
            batch, self._next = self._next, {}
            rows = [(user_id, n.chat_id, n.language) for user_id, n in batch.items()]
            try:
                async with self._sessions() as session:
                    stored = await users.register_users(session, rows)
            except Exception as error:
                for newcomer in batch.values():
                    newcomer.stored.set_exception(error)
                    newcomer.stored.exception()  # counted as seen if no one waits any more
                continue
            except BaseException:  # cancelled (shutdown): nobody is left to answer
                for newcomer in batch.values():
                    newcomer.stored.cancel()
                raise
            for user_id, newcomer in batch.items():
                newcomer.stored.set_result(stored[user_id])

    async def close(self) -> None:
        """Let the batch being written finish (shutdown)."""
        if self._writer is not None:
            await asyncio.gather(self._writer, return_exceptions=True)
