"""Who is an admin (the configured `ADMIN_IDS` plus the rows of `admins`, checked against the
database whenever an action runs, never taken from a button or a cache), and the audit log of
what admins did, written in the transaction of the change it records."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Admin, AdminName, AuditEntry
from db.times import wall_clock


async def is_admin(session: AsyncSession, configured: Collection[int], user_id: int) -> bool:
    if user_id in configured:
        return True
    return await session.get(Admin, user_id) is not None


async def added_admins(session: AsyncSession) -> Sequence[Admin]:
    return (await session.scalars(select(Admin).order_by(Admin.added_at))).all()


async def add_admin(session: AsyncSession, user_id: int, added_by: int) -> bool:
    """Add an admin; False when they already were one (stored). Does not commit."""
    if await session.get(Admin, user_id) is not None:
        return False
    session.add(Admin(user_id=user_id, added_by=added_by, added_at=wall_clock()))
    await session.flush()
    return True


async def remove_admin(session: AsyncSession, user_id: int) -> bool:
    """Remove a stored admin; False when there was none. Does not commit."""
    result = await session.execute(delete(Admin).where(Admin.user_id == user_id))
    return result.rowcount > 0


async def remember_name(
    session: AsyncSession, user_id: int, first_name: str | None, username: str | None
) -> bool:
    """Keep what Telegram says an admin is called; True when it was new or changed (then
    committed). Names longer than the columns are cut."""
    first_name = (first_name or "").strip()[:64] or None
    username = (username or "").strip().lstrip("@")[:32] or None
    known = await session.get(AdminName, user_id)
    if known is None:
        session.add(
            AdminName(
                user_id=user_id, first_name=first_name, username=username, seen_at=wall_clock()
            )
        )
    elif (known.first_name, known.username) != (first_name, username):
        known.first_name, known.username, known.seen_at = first_name, username, wall_clock()
    else:
        return False
    try:
        await session.commit()
    except IntegrityError:  # the same admin seen on two replicas at once: theirs stands
        await session.rollback()
        return False
    return True


async def names(session: AsyncSession, user_ids: Collection[int]) -> dict[int, AdminName]:
    """The known names of `user_ids` (those never seen are left out)."""
    if not user_ids:
        return {}
    query = select(AdminName).where(AdminName.user_id.in_(sorted(set(user_ids))))
    return {row.user_id: row for row in await session.scalars(query)}


def audit(
    session: AsyncSession,
    actor_id: int,
    action: str,
    target: str,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEntry:
    """Record an admin action in the caller's transaction (committed with the change)."""
    entry = AuditEntry(
        at=wall_clock(),
        actor_id=actor_id,
        action=action,
        target=target[:120],
        before=before,
        after=after,
    )
    session.add(entry)
    return entry


async def recent_audit(session: AsyncSession, limit: int = 10) -> Sequence[AuditEntry]:
    """The latest entries, newest first."""
    query = select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit)
    return (await session.scalars(query)).all()
