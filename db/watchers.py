"""Admins who opted in to error reports (`/errors on`), stored in `error_watchers`."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import ErrorWatcher, User


async def watch(session: AsyncSession, user_id: int, chat_id: int) -> bool:
    """Opt in; False when the admin already was a watcher. Does not commit."""
    watcher = await session.get(ErrorWatcher, user_id)
    if watcher is not None:
        watcher.chat_id = chat_id
        return False
    session.add(ErrorWatcher(user_id=user_id, chat_id=chat_id))
    await session.flush()
    return True


async def unwatch(session: AsyncSession, user_id: int) -> bool:
    """Opt out; False when the admin was no watcher. Does not commit."""
    result = await session.execute(delete(ErrorWatcher).where(ErrorWatcher.user_id == user_id))
    return result.rowcount > 0


async def is_watching(session: AsyncSession, user_id: int) -> bool:
    return await session.get(ErrorWatcher, user_id) is not None


async def watchers(session: AsyncSession) -> list[tuple[int, int, str | None]]:
    """(user id, chat id, stored language or None) of every watcher."""
    query = (
        select(ErrorWatcher.user_id, ErrorWatcher.chat_id, User.language)
        .outerjoin(User, User.id == ErrorWatcher.user_id)
        .order_by(ErrorWatcher.user_id)
    )
    return [(row[0], row[1], row[2]) for row in await session.execute(query)]
