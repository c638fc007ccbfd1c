"""What the running service records and reads about itself: the webhook update ids taken in
(each handled by one replica), the health ping, and the gauges of `/metrics`."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from db.models import Delivery, ProcessedUpdate, User
from db.times import utc

# deliveries not yet sent: what the outbox still has to do
WAITING = ("pending", "sending")


async def ping(engine: AsyncEngine) -> None:
    """`SELECT 1` on a fresh or pooled connection; raises when the database does not answer."""
    async with engine.connect() as connection:
        await connection.execute(text("SELECT 1"))


async def claim_update(
    db: async_sessionmaker[AsyncSession], update_id: int, now: dt.datetime
) -> bool:
    """Record `update_id` as taken in; False when some replica already took it (the unique
    primary key decides, so two replicas racing on one update cannot both win)."""
    async with db() as session:
        session.add(ProcessedUpdate(update_id=update_id, received_at=utc(now)))
        try:
            await session.commit()
        except IntegrityError:
            return False
    return True


async def prune_updates(db: async_sessionmaker[AsyncSession], before: dt.datetime) -> int:
    """Forget update ids received before `before` (Telegram stops retrying long before).
    Returns how many were removed."""
    async with db() as session, session.begin():
        result = await session.execute(
            delete(ProcessedUpdate).where(ProcessedUpdate.received_at < utc(before))
        )
    return result.rowcount


async def outbox_depth(session: AsyncSession) -> int:
    """Deliveries waiting to be sent or being sent."""
    query = select(func.count()).select_from(Delivery).where(Delivery.status.in_(WAITING))
    return int(await session.scalar(query) or 0)


async def active_users(session: AsyncSession) -> int:
    """Users who have not blocked the bot."""
    query = select(func.count()).select_from(User).where(User.blocked.is_(False))
    return int(await session.scalar(query) or 0)
