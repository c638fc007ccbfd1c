"""Questions and data reports passed to the admins (`Ticket`), the copies of their messages
(`TicketMessage`, so that a reply to a copy finds its ticket), the districts admins take,
the answers written to the outbox for `bot.delivery`, the numbers of /stats, forgetting a
user's tickets and the retention purge. Times are the bot clock's, stored as naive UTC."""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from db import outbox
from db.models import (
    ANSWERED,
    CLOSED,
    DRAFT_TICKET,
    OPEN,
    Admin,
    AdminDistrict,
    Settlement,
    Ticket,
    TicketMessage,
    User,
)
from db.times import utc

ANSWER = "answer"  # the notice kind of an admin's answer, copied to the user
TICKET_CLOSED = "ticket_closed"  # the notice kind of "your question #12 is closed"
WAITING = (OPEN, ANSWERED)  # statuses of a question the admins still have
QUESTION, REPORT = "question", "report"
PASSED, GONE, BLOCKED = "passed", "gone", "blocked"  # what became of an answer
DRAFT_LIFETIME = dt.timedelta(days=1)  # a question begun and never written is dropped


def _loaded() -> Any:
    return (
        selectinload(Ticket.settlement).selectinload(Settlement.district),
        selectinload(Ticket.district),
    )


async def get(session: AsyncSession, ticket_id: int) -> Ticket | None:
    query = select(Ticket).where(Ticket.id == ticket_id).options(*_loaded())
    return await session.scalar(query.execution_options(populate_existing=True))


async def begin(
    session: AsyncSession,
    *,
    user_id: int,
    chat_id: int,
    first_name: str,
    language: str,
    now: dt.datetime,
    kind: str = QUESTION,
    settlement_id: int | None = None,
    district_id: int | None = None,
    place_chosen: bool = False,
    report: str | None = None,
    waiting_message_id: int | None = None,
) -> Ticket:
    """A new draft, replacing the user's earlier draft if any. Commits."""
    await session.execute(
        delete(Ticket).where(Ticket.user_id == user_id, Ticket.status == DRAFT_TICKET)
    )
    ticket = Ticket(
        user_id=user_id,
        chat_id=chat_id,
        first_name=first_name[:64] or "—",
        language=language,
        kind=kind,
        status=DRAFT_TICKET,
        settlement_id=settlement_id,
        district_id=district_id,
        place_chosen=place_chosen,
        report=report,
        waiting_message_id=waiting_message_id,
        created_at=utc(now),
    )
    session.add(ticket)
    await session.commit()
    return await get(session, ticket.id)


async def draft_of(session: AsyncSession, user_id: int) -> Ticket | None:
    """The user's question being written, if any."""
    query = select(Ticket).where(Ticket.user_id == user_id, Ticket.status == DRAFT_TICKET)
    return await session.scalar(query.options(*_loaded()).order_by(Ticket.id.desc()).limit(1))


async def drafting_users(session: AsyncSession) -> Sequence[int]:
    """The users with a question being written (drafts live a day at most: `purge`)."""
    query = select(Ticket.user_id).where(Ticket.status == DRAFT_TICKET).distinct()
    return list(await session.scalars(query))


async def choose_place(
    session: AsyncSession,
    ticket_id: int,
    user_id: int,
    *,
    settlement_id: int | None = None,
    district_id: int | None = None,
) -> Ticket | None:
    """Set a draft's place (none: not about one place). None unless it is the user's draft.
    Commits."""
    result = await session.execute(
        update(Ticket)
        .where(Ticket.id == ticket_id, Ticket.user_id == user_id, Ticket.status == DRAFT_TICKET)
        .values(settlement_id=settlement_id, district_id=district_id, place_chosen=True)
    )
    await session.commit()
    return await get(session, ticket_id) if result.rowcount else None


async def mark_open(session: AsyncSession, ticket_id: int, now: dt.datetime) -> bool:
    """Draft → open (the question is passed on). False when it was not a draft. Commits."""
    result = await session.execute(
        update(Ticket)
        .where(Ticket.id == ticket_id, Ticket.status == DRAFT_TICKET)
        .values(status=OPEN, opened_at=utc(now), waiting_message_id=None)
    )
    await session.commit()
    return bool(result.rowcount)


async def set_topic(session: AsyncSession, ticket_id: int, topic_id: int) -> None:
    """The forum topic the question lives in. Commits."""
    await session.execute(update(Ticket).where(Ticket.id == ticket_id).values(topic_id=topic_id))
    await session.commit()


async def active_of(session: AsyncSession, user_id: int) -> Ticket | None:
    """The user's newest question the admins still have (open or answered)."""
    query = select(Ticket).where(Ticket.user_id == user_id, Ticket.status.in_(WAITING))
    return await session.scalar(query.options(*_loaded()).order_by(Ticket.id.desc()).limit(1))


async def waiting_count(session: AsyncSession, user_id: int) -> int:
    query = select(func.count()).where(Ticket.user_id == user_id, Ticket.status.in_(WAITING))
    return await session.scalar(query.select_from(Ticket))


async def inbound_since(session: AsyncSession, user_id: int, since: dt.datetime) -> int:
    """How many messages the user passed on since `since` (the per-hour limit)."""
    query = (
        select(func.count())
        .select_from(TicketMessage)
        .join(Ticket, Ticket.id == TicketMessage.ticket_id)
        .where(
            Ticket.user_id == user_id,
            TicketMessage.inbound.is_(True),
            TicketMessage.chat_id == Ticket.chat_id,
            TicketMessage.at >= utc(since),
        )
    )
    return await session.scalar(query)


async def record(
    session: AsyncSession,
    ticket_id: int,
    copies: Collection[tuple[int, int]],
    now: dt.datetime,
    *,
    inbound: bool = True,
) -> None:
    """Remember where copies of a ticket's message went (chat id, message id). Commits."""
    for chat_id, message_id in copies:
        session.add(
            TicketMessage(
                ticket_id=ticket_id,
                inbound=inbound,
                chat_id=chat_id,
                message_id=message_id,
                at=utc(now),
            )
        )
    await session.commit()


async def by_copy(session: AsyncSession, chat_id: int, message_id: int) -> Ticket | None:
    """The ticket a message of the bot (a copy, a prompt, a confirmation) belongs to."""
    query = (
        select(Ticket)
        .join(TicketMessage, TicketMessage.ticket_id == Ticket.id)
        .where(TicketMessage.chat_id == chat_id, TicketMessage.message_id == message_id)
    )
    return await session.scalar(query.options(*_loaded()).limit(1))


async def by_topic(session: AsyncSession, topic_id: int) -> Ticket | None:
    query = select(Ticket).where(Ticket.topic_id == topic_id).options(*_loaded())
    return await session.scalar(query.order_by(Ticket.id.desc()).limit(1))


async def answer(
    session: AsyncSession,
    ticket: Ticket,
    *,
    admin_chat_id: int,
    admin_message_id: int,
    payload: dict[str, Any],
    now: dt.datetime,
) -> str:
    """An admin's answer: the ticket answered (its first answer's time kept), and the
    copy for the user written to the outbox in the same transaction. Returns PASSED, or
    (nothing written) GONE when the user is no longer known (they used /forget) or
    BLOCKED when they blocked the bot. Commits."""
    user = await session.get(User, ticket.user_id)
    if user is None:
        return GONE
    if user.blocked:
        return BLOCKED
    values: dict[str, Any] = {}
    if ticket.status == OPEN:
        values["status"] = ANSWERED
    if ticket.answered_at is None:
        values["answered_at"] = utc(now)
    if values:
        await session.execute(update(Ticket).where(Ticket.id == ticket.id).values(**values))
    session.add(
        TicketMessage(
            ticket_id=ticket.id,
            inbound=False,
            chat_id=admin_chat_id,
            message_id=admin_message_id,
            at=utc(now),
        )
    )
    recipients = select(User.id, User.chat_id).where(User.id == ticket.user_id)
    await outbox.add_notice(
        session,
        key=f"{ANSWER}:{admin_chat_id}:{admin_message_id}",
        kind=ANSWER,
        now=now,
        recipients=recipients,
        payload={"ticket": ticket.id, **payload},
    )
    await session.commit()
    return PASSED


async def close(session: AsyncSession, ticket_id: int, now: dt.datetime) -> Ticket | None:
    """Close a waiting ticket and tell its user through the outbox. None when it is not
    waiting (closed already, a draft, or unknown). Commits."""
    result = await session.execute(
        update(Ticket)
        .where(Ticket.id == ticket_id, Ticket.status.in_(WAITING))
        .values(status=CLOSED, closed_at=utc(now))
    )
    if not result.rowcount:
        await session.rollback()
        return None
    ticket = await get(session, ticket_id)
    await outbox.add_notice(
        session,
        key=f"{TICKET_CLOSED}:{ticket_id}",
        kind=TICKET_CLOSED,
        now=now,
        recipients=select(User.id, User.chat_id).where(User.id == ticket.user_id),
        payload={"ticket": ticket_id},
    )
    await session.commit()
    return ticket


async def waiting(session: AsyncSession, limit: int = 30) -> Sequence[Ticket]:
    """Tickets the admins still have, oldest first."""
    query = select(Ticket).where(Ticket.status.in_(WAITING)).options(*_loaded())
    return (await session.scalars(query.order_by(Ticket.opened_at, Ticket.id).limit(limit))).all()


@dataclass(frozen=True)
class TicketStats:
    """For /stats: questions waiting, answered in the last 7 days, and the median time
    from a question to its first answer (None before any answer)."""

    waiting: int
    answered_week: int
    median_first_answer: dt.timedelta | None


async def stats(session: AsyncSession, now: dt.datetime, sample: int = 1000) -> TicketStats:
    count = select(func.count()).select_from(Ticket)
    waiting_now = await session.scalar(count.where(Ticket.status.in_(WAITING)))
    week = utc(now) - dt.timedelta(days=7)
    answered = await session.scalar(count.where(Ticket.answered_at >= week))
    pairs = await session.execute(
        select(Ticket.opened_at, Ticket.answered_at)
        .where(Ticket.answered_at.is_not(None), Ticket.opened_at.is_not(None))
        .order_by(Ticket.answered_at.desc())
        .limit(sample)
    )
    waits = [(answered_at - opened).total_seconds() for opened, answered_at in pairs]
    median = dt.timedelta(seconds=statistics.median(waits)) if waits else None
    return TicketStats(waiting_now, answered, median)


async def forget_user(session: AsyncSession, user_id: int) -> None:
    """Delete the user's tickets and their messages. Does not commit."""
    ids = select(Ticket.id).where(Ticket.user_id == user_id)
    await session.execute(delete(TicketMessage).where(TicketMessage.ticket_id.in_(ids)))
    await session.execute(delete(Ticket).where(Ticket.user_id == user_id))


async def purge(session: AsyncSession, now: dt.datetime, retention_days: int) -> int:
    """Delete closed tickets closed more than `retention_days` ago, and drafts never
    written within a day. Commits; returns how many tickets went."""
    old = (Ticket.status == CLOSED) & (Ticket.closed_at < utc(now) - dt.timedelta(retention_days))
    stale = (Ticket.status == DRAFT_TICKET) & (Ticket.created_at < utc(now) - DRAFT_LIFETIME)
    ids = select(Ticket.id).where(old | stale)
    await session.execute(delete(TicketMessage).where(TicketMessage.ticket_id.in_(ids)))
    result = await session.execute(delete(Ticket).where(old | stale))
    await session.commit()
    return result.rowcount


# ------------------------------------------------------------------ who takes which district


async def set_districts(
    session: AsyncSession, admin_id: int, district_ids: Collection[int]
) -> None:
    """The districts `admin_id` takes questions of (none: all). Does not commit."""
    await session.execute(delete(AdminDistrict).where(AdminDistrict.user_id == admin_id))
    for district_id in sorted(set(district_ids)):
        session.add(AdminDistrict(user_id=admin_id, district_id=district_id))
    await session.flush()


async def districts_of(session: AsyncSession, admin_id: int) -> list[int]:
    query = select(AdminDistrict.district_id).where(AdminDistrict.user_id == admin_id)
    return list(await session.scalars(query))


async def admins_for(
    session: AsyncSession, configured: Collection[int], district_id: int | None
) -> list[int]:
    """The admins a question of `district_id` goes to: those who take that district, and
    those who took none; a question of no district goes to every admin."""
    everyone = set(configured) | set(await session.scalars(select(Admin.user_id)))
    taken = (await session.execute(select(AdminDistrict.user_id, AdminDistrict.district_id))).all()
    takes: dict[int, set[int]] = {}
    for admin_id, taken_id in taken:
        takes.setdefault(admin_id, set()).add(taken_id)
    if district_id is None:
        return sorted(everyone)
    return sorted(a for a in everyone if not takes.get(a) or district_id in takes[a])


def district_of(ticket: Ticket) -> int | None:
    """The district a ticket is about (its settlement's, or the district itself)."""
    if ticket.settlement is not None:
        return ticket.settlement.district_id
    return ticket.district_id


async def keep_message(session: AsyncSession, ticket_id: int, message_id: int) -> None:
    """The user's message that a draft passes on once its place is chosen. Commits."""
    await session.execute(
        update(Ticket)
        .where(Ticket.id == ticket_id, Ticket.status == DRAFT_TICKET)
        .values(waiting_message_id=message_id)
    )
    await session.commit()


async def forget_draft(session: AsyncSession, ticket_id: int) -> None:
    """Drop a question being written. Commits."""
    await session.execute(
        delete(Ticket).where(Ticket.id == ticket_id, Ticket.status == DRAFT_TICKET)
    )
    await session.commit()
