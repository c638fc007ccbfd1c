"""Pending actions: what an admin's ✅ button will do, kept in the database under a random
token, so that the press works on whichever replica it reaches and after a restart; `take`
consumes a token atomically, so of many presses one applies it (see docs/data-layer.md)."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.models import PendingAction
from db.times import utc

TOKEN_BYTES = 6  # 12 hex digits: the callback data patterns (bot/views/callbacks.py) expect these
MAX_DATA = 5 * 1024 * 1024  # bytes of an uploaded file kept with an action


@dataclass(frozen=True)
class Taken:
    """A consumed pending action."""

    kind: str
    payload: dict[str, Any]
    data: bytes | None


async def put(
    db: async_sessionmaker[AsyncSession],
    user_id: int,
    kind: str,
    payload: dict[str, Any],
    *,
    now: dt.datetime,
    ttl: dt.timedelta,
    data: bytes | None = None,
    keep: int | None = None,
    group: Collection[str] = (),
) -> str:
    """Store an action for `user_id` and return its new random token. Expired actions (of
    anyone) are pruned on the way; with `keep`, the user's oldest actions of the kinds in
    `group` (default: `kind`) are dropped so that at most `keep` remain, this one included.
    `payload` must be JSON-serialisable (dates as ISO strings)."""
    if data is not None and len(data) > MAX_DATA:
        raise ValueError(f"pending data of {len(data)} bytes exceeds {MAX_DATA}")
    now = utc(now)
    token = secrets.token_hex(TOKEN_BYTES)
    async with db() as session, session.begin():
        await session.execute(delete(PendingAction).where(PendingAction.expires_at <= now))
        if keep is not None:
            kinds = list(group or (kind,))
            older = (
                select(PendingAction.token)
                .where(PendingAction.user_id == user_id, PendingAction.kind.in_(kinds))
                .order_by(PendingAction.created_at.desc(), PendingAction.token)
                .offset(max(keep - 1, 0))
            )
            stale = list(await session.scalars(older))
            if stale:
                await session.execute(delete(PendingAction).where(PendingAction.token.in_(stale)))
        session.add(
            PendingAction(
                token=token,
                user_id=user_id,
                kind=kind,
                payload=payload,
                data=data,
                created_at=now,
                expires_at=now + ttl,
            )
        )
    return token


async def take(
    db: async_sessionmaker[AsyncSession],
    token: str,
    user_id: int,
    kinds: Collection[str],
    *,
    now: dt.datetime,
) -> Taken | None:
    """Consume the action `token` of `user_id` if it is one of `kinds` and has not expired;
    None otherwise (unknown, used, expired, someone else's, another kind). Atomic: however
    many replicas press at once, one of them gets it."""
    statement = (
        delete(PendingAction)
        .where(
            PendingAction.token == token,
            PendingAction.user_id == user_id,
            PendingAction.kind.in_(list(kinds)),
            PendingAction.expires_at > utc(now),
        )
        .returning(PendingAction.kind, PendingAction.payload, PendingAction.data)
        .execution_options(synchronize_session=False)
    )
    async with db() as session, session.begin():
        row = (await session.execute(statement)).first()
    if row is None:
        return None
    return Taken(row.kind, dict(row.payload), bytes(row.data) if row.data is not None else None)


async def prune(db: async_sessionmaker[AsyncSession], now: dt.datetime) -> int:
    """Delete every action that expired by `now`; returns how many."""
    async with db() as session, session.begin():
        result = await session.execute(
            delete(PendingAction).where(PendingAction.expires_at <= utc(now))
        )
    return result.rowcount
