"""Broadcasts and statistics: drafts, confirmation into the outbox (every recipient's delivery
in one transaction), cancel, and progress counted from the deliveries' statuses (see
docs/data-layer.md)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping, Sequence
from typing import Any

from sqlalchemy import Select, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from db import outbox
from db.admins import audit
from db.models import (
    CANCELLED,
    DONE,
    DRAFT,
    FALLBACK_SKIP,
    SENDING,
    Broadcast,
    Counts,
    Delivery,
    District,
    Settlement,
    Subscription,
    User,
    UserStats,
)
from db.times import Timing, utc, wall_clock

BROADCAST = "broadcast"  # the notice kind of a broadcast
# a delivery of a cancelled broadcast that was never sent
DELIVERY_CANCELLED = "cancelled"


# ------------------------------------------------------------------ who receives it


def recipients(
    scope: str, district_id: int | None = None, languages: Collection[str] | None = None
) -> Select:
    """(user id, chat id) of every active user the scope reaches, each once:
    "all" → everyone who has not blocked the bot; a settlement → its followers, its
    district's and those of all settlements; a district → followers of the district, of any
    of its settlements, and of all. With `languages`, only readers of those."""
    query = _recipients(scope, district_id)
    if languages is not None:
        query = query.where(User.language.in_(sorted(languages)))
    return query


def _recipients(scope: str, district_id: int | None) -> Select:
    kind, _sep, ident = scope.partition(":")
    if kind == "settlement":
        return outbox.audience(int(ident), district_id or 0)
    active = select(User.id, User.chat_id).where(User.blocked.is_(False))
    if kind != "district":
        return active
    in_district = select(Settlement.id).where(Settlement.district_id == int(ident))
    follows = select(Subscription.id).where(
        Subscription.user_id == User.id,
        (Subscription.scope == "all")
        | (Subscription.district_id == int(ident))
        | Subscription.settlement_id.in_(in_district),
    )
    return active.where(follows.exists())


async def count_by_language(session: AsyncSession, audience: Select) -> dict[str, int]:
    """{language: recipients} of an audience (counted in the database)."""
    rows = audience.subquery()
    query = (
        select(User.language, func.count())
        .join(rows, rows.c.id == User.id)
        .group_by(User.language)
        .order_by(User.language)
    )
    return {language: count for language, count in await session.execute(query)}


async def place_of(session: AsyncSession, scope: str) -> Settlement | District | None:
    """The settlement or district a scope names (None for "all" or a place since deleted)."""
    kind, _sep, ident = scope.partition(":")
    if kind == "settlement":
        query = select(Settlement).options(selectinload(Settlement.district))
        return await session.scalar(query.where(Settlement.id == int(ident)))
    if kind == "district":
        return await session.get(District, int(ident))
    return None


# ------------------------------------------------------------------ drafts and their fate


async def create_draft(
    session: AsyncSession,
    *,
    admin_id: int,
    admin_chat_id: int,
    scope: str,
    text: str | None = None,
    source: tuple[int, int] | None = None,
    texts: Mapping[str, str] | None = None,
    fallback: str | None = None,
    asking: str | None = None,
) -> Broadcast:
    """Store a draft (HTML `text`, HTML `texts` per language with the `fallback` language of
    the others, or a message to copy: `source` = (chat id, message id)); `asking`: the
    language whose version the admin is asked for next. Commits."""
    broadcast = Broadcast(
        admin_id=admin_id,
        admin_chat_id=admin_chat_id,
        scope=scope,
        text=text,
        texts=dict(texts) if texts is not None else None,
        fallback=fallback,
        asking=asking,
        urgent=False,
        source_chat_id=source[0] if source else None,
        source_message_id=source[1] if source else None,
        status=DRAFT,
        total=0,
        created_at=wall_clock(),
    )
    session.add(broadcast)
    await session.commit()
    return broadcast


async def get(session: AsyncSession, broadcast_id: int) -> Broadcast | None:
    return await session.get(Broadcast, broadcast_id)


async def status_of(session: AsyncSession, broadcast_id: int) -> str | None:
    """The broadcast's status as committed now (not a cached object's)."""
    return await session.scalar(select(Broadcast.status).where(Broadcast.id == broadcast_id))


async def confirm(
    session: AsyncSession,
    broadcast_id: int,
    actor_id: int,
    now: dt.datetime,
    *,
    timing: Timing,
    paid: bool = False,
) -> Broadcast | None:
    """Draft → sending, with one pending delivery per recipient and the audit entry, all in
    one transaction; due from `now` (the bot's clock, aware), or when `timing` allows unless
    urgent; `paid` sends it with allow_paid_broadcast. None (and nothing written) unless the
    broadcast is still a draft with something to send — a second press, a replayed button
    or a cancelled draft queue nothing."""
    wall = wall_clock()
    async with session.begin():
        claimed = await session.execute(
            update(Broadcast)
            .where(Broadcast.id == broadcast_id, Broadcast.status == DRAFT)
            .where(Broadcast.asking.is_(None))
            .values(status=SENDING, started_at=wall, progress_at=wall)  # first edit: handler
            .execution_options(synchronize_session=False)
        )
        if claimed.rowcount != 1:
            return None
        broadcast = await session.get(Broadcast, broadcast_id, populate_existing=True)
        place = await place_of(session, broadcast.scope)
        district_id = place.district_id if isinstance(place, Settlement) else None
        payload: dict[str, Any] = {"broadcast": broadcast.id}
        languages = None
        if broadcast.source_message_id is not None:
            payload["copy"] = [broadcast.source_chat_id, broadcast.source_message_id]
        elif broadcast.texts:
            payload["texts"] = broadcast.texts
            payload["fallback"] = broadcast.fallback
            if broadcast.fallback == FALLBACK_SKIP:
                languages = set(broadcast.texts)
        else:
            payload["text"] = broadcast.text
        if paid:
            payload["paid"] = True
        send_at = now if broadcast.urgent else timing.civil_time(now)
        broadcast.send_at = utc(send_at)
        notice = await outbox.add_notice(
            session,
            key=f"{BROADCAST}:{broadcast.id}",
            kind=BROADCAST,
            now=now,
            recipients=recipients(broadcast.scope, district_id, languages),
            not_before=send_at,
            payload=payload,
        )
        total = await session.scalar(
            select(func.count()).select_from(Delivery).where(Delivery.notice_id == notice.id)
        )
        broadcast.notice_id = notice.id
        broadcast.total = total or 0
        audit(
            session,
            actor_id,
            "broadcast.send",
            f"broadcast:{broadcast.id}",
            after=_summary(broadcast),
        )
    return broadcast


async def cancel(session: AsyncSession, broadcast_id: int, actor_id: int) -> Broadcast | None:
    """Draft or sending → cancelled; deliveries not yet claimed are cancelled with it (those
    in flight finish). Audited. None when it was already done or cancelled."""
    async with session.begin():
        changed = await session.execute(
            update(Broadcast)
            .where(Broadcast.id == broadcast_id, Broadcast.status.in_([DRAFT, SENDING]))
            .values(status=CANCELLED, finished_at=wall_clock())
            .execution_options(synchronize_session=False)
        )
        if changed.rowcount != 1:
            return None
        broadcast = await session.get(Broadcast, broadcast_id, populate_existing=True)
        if broadcast.notice_id is not None:
            await session.execute(
                update(Delivery)
                .where(Delivery.notice_id == broadcast.notice_id, Delivery.status == outbox.PENDING)
                .values(status=DELIVERY_CANCELLED, error="broadcast cancelled")
                .execution_options(synchronize_session=False)
            )
        audit(
            session,
            actor_id,
            "broadcast.cancel",
            f"broadcast:{broadcast.id}",
            after=_summary(broadcast),
        )
    return broadcast


async def cancelled_notices(session: AsyncSession, notice_ids: set[int]) -> set[int]:
    """Those of `notice_ids` whose broadcast was stopped."""
    query = select(Broadcast.notice_id).where(
        Broadcast.notice_id.in_(sorted(notice_ids)), Broadcast.status == CANCELLED
    )
    return set(await session.scalars(query))


async def mark_cancelled(session: AsyncSession, delivery_ids: Sequence[int]) -> None:
    """Claimed deliveries of a stopped broadcast that were never sent. Commits."""
    await session.execute(
        update(Delivery)
        .where(Delivery.id.in_(delivery_ids), Delivery.status == outbox.SENDING)
        .values(status=DELIVERY_CANCELLED, error="broadcast cancelled")
        .execution_options(synchronize_session=False)
    )
    await session.commit()


def _summary(broadcast: Broadcast) -> dict[str, Any]:
    summary = {
        "scope": broadcast.scope,
        "status": broadcast.status,
        "total": broadcast.total,
        "text": (broadcast.text or "")[:200] or None,
        "copy": broadcast.source_message_id,
    }
    if broadcast.texts:
        summary["texts"] = {lang: text[:200] for lang, text in broadcast.texts.items()}
        summary["fallback"] = broadcast.fallback
    if broadcast.urgent:
        summary["urgent"] = True
    return summary


# ------------------------------------------------------------------ changing a draft


async def change_draft(session: AsyncSession, broadcast_id: int, **values: Any) -> Broadcast | None:
    """Set `values` (fallback, urgent, texts, asking, prompt_message_id) on a draft; None
    when it is no longer one. Commits."""
    changed = await session.execute(
        update(Broadcast)
        .where(Broadcast.id == broadcast_id, Broadcast.status == DRAFT)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    await session.commit()
    if changed.rowcount != 1:
        return None
    return await session.get(Broadcast, broadcast_id, populate_existing=True)


async def asking_draft(
    session: AsyncSession, admin_chat_id: int, prompt_message_id: int
) -> Broadcast | None:
    """The draft whose prompt for a version is `prompt_message_id` in the admin's chat."""
    query = select(Broadcast).where(
        Broadcast.admin_chat_id == admin_chat_id,
        Broadcast.prompt_message_id == prompt_message_id,
        Broadcast.status == DRAFT,
        Broadcast.asking.is_not(None),
    )
    return await session.scalar(query)


# ------------------------------------------------------------------ progress, from the database


async def counts(session: AsyncSession, notice_ids: Sequence[int]) -> dict[int, Counts]:
    """Counts per notice, one GROUP BY for all of them."""
    if not notice_ids:
        return {}
    query = (
        select(Delivery.notice_id, Delivery.status, func.count())
        .where(Delivery.notice_id.in_(notice_ids))
        .group_by(Delivery.notice_id, Delivery.status)
    )
    tally: dict[int, dict[str, int]] = {}
    for notice_id, status, n in await session.execute(query):
        tally.setdefault(notice_id, {})[status] = n
    return {
        notice_id: Counts(
            total=sum(by_status.values()),
            sent=by_status.get(outbox.SENT, 0),
            blocked=by_status.get(outbox.BLOCKED, 0),
            failed=by_status.get(outbox.FAILED, 0),
            cancelled=by_status.get(DELIVERY_CANCELLED, 0),
        )
        for notice_id, by_status in tally.items()
    }


async def unsent_left(session: AsyncSession, notice_id: int | None) -> bool:
    """Whether a delivery of the notice is still to be sent (pending or being sent): one
    row looked up, where `counts` reads them all."""
    if notice_id is None:
        return False
    query = select(Delivery.id).where(
        Delivery.notice_id == notice_id, Delivery.status.in_([outbox.PENDING, outbox.SENDING])
    )
    return (await session.scalar(query.limit(1))) is not None


async def in_progress(session: AsyncSession) -> Sequence[Broadcast]:
    """Broadcasts being sent (a cancelled one gets its report from the cancel itself)."""
    query = select(Broadcast).where(Broadcast.status == SENDING)
    return (await session.scalars(query.order_by(Broadcast.id))).all()


async def take_progress_turn(
    session: AsyncSession, broadcast_id: int, interval: float, *, final: bool = False
) -> bool:
    """True for the one worker (of however many processes) that may edit the broadcast's
    progress message now: at most once per `interval` seconds. Commits."""
    now = wall_clock()
    query = update(Broadcast).where(Broadcast.id == broadcast_id)
    if not final:
        query = query.where(
            Broadcast.progress_at.is_(None)
            | (Broadcast.progress_at < now - dt.timedelta(seconds=interval))
        )
    result = await session.execute(
        query.values(progress_at=now).execution_options(synchronize_session=False)
    )
    await session.commit()
    return result.rowcount == 1


async def attach_progress(session: AsyncSession, broadcast_id: int, message_id: int) -> None:
    """The admin's progress message, once the handler has shown it. Commits."""
    await session.execute(
        update(Broadcast)
        .where(Broadcast.id == broadcast_id)
        .values(progress_message_id=message_id)
        .execution_options(synchronize_session=False)
    )
    await session.commit()


ORPHAN_AFTER = 60.0  # seconds: a broadcast whose handler never attached its progress message


async def finish(session: AsyncSession, broadcast_id: int) -> bool:
    """Sending → done once nothing is left; True for the one caller that made the change
    (and so writes the end report). Waits for the progress message to be attached first, so
    the handler's "0 sent" can never overwrite the end report. Commits."""
    orphaned = wall_clock() - dt.timedelta(seconds=ORPHAN_AFTER)
    result = await session.execute(
        update(Broadcast)
        .where(
            Broadcast.id == broadcast_id,
            Broadcast.status == SENDING,
            Broadcast.progress_message_id.is_not(None) | (Broadcast.started_at < orphaned),
        )
        .values(status=DONE, finished_at=wall_clock())
        .execution_options(synchronize_session=False)
    )
    await session.commit()
    return result.rowcount == 1


async def recent(session: AsyncSession, limit: int = 5) -> Sequence[Broadcast]:
    """The latest broadcasts that were sent or are being sent, newest first."""
    query = (
        select(Broadcast)
        .where(Broadcast.notice_id.is_not(None))
        .order_by(Broadcast.id.desc())
        .limit(limit)
    )
    return (await session.scalars(query)).all()


# ------------------------------------------------------------------ /stats


async def user_stats(session: AsyncSession) -> UserStats:
    by_language = {
        language: n
        for language, n in await session.execute(
            select(User.language, func.count()).group_by(User.language).order_by(User.language)
        )
    }
    blocked = await session.scalar(
        select(func.count()).select_from(User).where(User.blocked.is_(True))
    )
    total = sum(by_language.values())
    return UserStats(by_language, total - (blocked or 0), blocked or 0)


async def top_subscriptions(
    session: AsyncSession, limit: int = 10
) -> tuple[int, list[tuple[Settlement | District | None, int]]]:
    """(all subscriptions, [(place or None for "all", followers)] of the `limit` most
    followed scopes)."""
    total = await session.scalar(select(func.count()).select_from(Subscription)) or 0
    query = (
        select(Subscription.scope, func.count().label("n"))
        .group_by(Subscription.scope)
        .order_by(func.count().desc(), Subscription.scope)
        .limit(limit)
    )
    top = [(await place_of(session, scope), n) for scope, n in await session.execute(query)]
    return total, top
