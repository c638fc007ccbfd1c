"""Admin edits from the chat: admins, caravans and housing figures, each with the notices it
causes. Adding and removing an admin commit; caravan and housing edits work in the caller's
transaction, so the change, its audit entry and its notices land together or not at all
(which edit causes which notice: docs/data-layer.md)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload, selectinload

from db import admins, outbox
from db.models import (
    Admin,
    Caravan,
    Delivery,
    District,
    HousingReport,
    Notice,
    Settlement,
    User,
)
from db.times import Timing

CHANGED = "changed"  # notice kind: an announced caravan was moved or corrected
CANCELLED = "cancelled"  # notice kind: an announced caravan was cancelled


# ------------------------------------------------------------------ admins


async def add_admin(session: AsyncSession, user_id: int, actor_id: int) -> bool:
    """Store a chat-added admin and audit it. Commits; False when they already were one."""
    try:
        if not await admins.add_admin(session, user_id, actor_id):
            return False
        admins.audit(session, actor_id, "admin.add", f"admin {user_id}", None, {"user_id": user_id})
        await session.commit()
    except IntegrityError:  # added by another admin at the same moment
        await session.rollback()
        return False
    return True


async def remove_admin(
    session: AsyncSession, user_id: int, actor_id: int, *, keep_one: bool
) -> str:
    """Remove a chat-added admin and audit it. Commits. Returns "removed", "unknown" (not a
    stored admin) or "last" (`keep_one` and they are the only admin left). The admins' rows
    are locked meanwhile (PostgreSQL; SQLite serialises writers), so two admins removing each
    other at once cannot leave the bot with none."""
    query = select(Admin).order_by(Admin.user_id).with_for_update()
    stored = {admin.user_id: admin for admin in await session.scalars(query)}
    if user_id not in stored:
        await session.rollback()
        return "unknown"
    if keep_one and len(stored) <= 1:
        await session.rollback()
        return "last"
    admin = stored[user_id]
    before = {
        "user_id": user_id,
        "added_by": admin.added_by,
        "added_at": admin.added_at.isoformat(),
    }
    await admins.remove_admin(session, user_id)
    admins.audit(session, actor_id, "admin.remove", f"admin {user_id}", before, None)
    await session.commit()
    return "removed"


# ------------------------------------------------------------------ settlements and caravans

# Many-to-one relations are joined into the main query, and so are a card's housing
# reports and deadlines (few): a settlement costs two statements (place + housing, then
# caravans).
_SETTLEMENT_LOAD = (
    joinedload(Settlement.district).joinedload(District.region),
    joinedload(Settlement.housing).joinedload(HousingReport.deadlines),
    selectinload(Settlement.caravans),
)


async def settlement(session: AsyncSession, slug: str) -> Settlement | None:
    """A settlement with everything its card shows (district and region, housing reports with
    their deadlines, caravans), read fresh for an admin's action."""
    query = select(Settlement).where(Settlement.slug == slug).options(*_SETTLEMENT_LOAD)
    return (await session.scalars(query)).unique().first()


def _caravan_query() -> Select:
    return select(Caravan).options(
        selectinload(Caravan.settlement).selectinload(Settlement.district)
    )


async def caravan(session: AsyncSession, caravan_id: int) -> Caravan | None:
    """One caravan with its settlement and district."""
    return await session.scalar(_caravan_query().where(Caravan.id == caravan_id))


async def caravans_of(session: AsyncSession, settlement_id: int, limit: int) -> Sequence[Caravan]:
    """A settlement's caravans, newest first (undated last)."""
    query = (
        _caravan_query()
        .where(Caravan.settlement_id == settlement_id)
        .order_by(Caravan.date.is_(None), Caravan.date.desc(), Caravan.id.desc())
        .limit(limit)
    )
    return (await session.scalars(query)).all()


async def caravans_on(
    session: AsyncSession, settlement_id: int, date: dt.date
) -> Sequence[Caravan]:
    """Caravans already recorded for the settlement on that day (to warn of duplicates)."""
    query = _caravan_query().where(Caravan.settlement_id == settlement_id, Caravan.date == date)
    return (await session.scalars(query.order_by(Caravan.id))).all()


def caravan_fields(caravan: Caravan) -> dict[str, Any]:
    """A caravan as the audit log keeps it (JSON)."""
    return {
        "settlement": caravan.settlement.slug if caravan.settlement else caravan.settlement_id,
        "date": caravan.date.isoformat() if caravan.date else None,
        "families": caravan.families,
        "people": caravan.people,
        "source": caravan.source,
    }


async def add_caravan(
    session: AsyncSession,
    settlement: Settlement,
    date: dt.date,
    families: int,
    people: int | None,
    source: str,
) -> Caravan:
    """Insert a caravan; the periodic scan announces it when it is dated today or later."""
    new = Caravan(
        settlement_id=settlement.id, date=date, families=families, people=people, source=source
    )
    session.add(new)
    await session.flush()
    new.settlement = settlement
    return new


def told_about(caravan: Caravan) -> Select:
    """(user id, chat id) of everyone a message about the caravan (its announcement, a
    reminder, an earlier change) reached or was reaching, who still follows the place and has
    not blocked the bot."""
    got = (
        select(Delivery.id)
        .join(Notice, Delivery.notice_id == Notice.id)
        .where(
            Delivery.user_id == User.id,
            Notice.caravan_id == caravan.id,
            Delivery.status.in_([outbox.SENT, outbox.SENDING]),
        )
    )
    district_id = caravan.settlement.district_id
    return outbox.audience(caravan.settlement_id, district_id).where(got.exists())


def _matters(caravan_date: dt.date | None, today: dt.date) -> bool:
    """Only a caravan still ahead (or today) is worth a message about a change."""
    return caravan_date is not None and caravan_date >= today


async def edit_caravan(
    session: AsyncSession,
    caravan: Caravan,
    values: dict[str, Any],
    now: dt.datetime,
    *,
    timing: Timing,
) -> Notice | None:
    """Change date / families / people. Those told about the caravan are told of the change
    (when `timing` allows) if it is or was still ahead; a new date makes the scan derive its
    reminders anew."""
    before = {key: getattr(caravan, key) for key in values}
    changed = {key: value for key, value in values.items() if before[key] != value}
    if not changed:
        return None
    notice = None
    today = timing.local_date(now)
    if _matters(before.get("date", caravan.date), today) or _matters(changed.get("date"), today):
        payload = {
            "before": {
                k: v.isoformat() if isinstance(v, dt.date) else v
                for k, v in before.items()
                if k in changed
            }
        }
        # recipients are read now, before the reminders (and their deliveries) are dropped
        notice = await outbox.add_notice(
            session,
            key=f"{CHANGED}:{caravan.id}:{uuid.uuid4().hex}",
            kind=CHANGED,
            now=now,
            recipients=told_about(caravan),
            not_before=timing.civil_time(now),
            caravan_id=caravan.id,
            payload=payload,
        )
    for key, value in changed.items():
        setattr(caravan, key, value)
    if "date" in changed:
        await session.execute(
            delete(Notice).where(Notice.caravan_id == caravan.id, Notice.kind.in_(timing.REMINDERS))
        )
    await session.flush()
    return notice


async def cancel_caravan(
    session: AsyncSession, caravan: Caravan, now: dt.datetime, *, timing: Timing
) -> None:
    """Delete the caravan (its notices and their deliveries go with it); first tell those
    told about it (when `timing` allows), if it was still ahead."""
    if _matters(caravan.date, timing.local_date(now)):
        await outbox.add_notice(
            session,
            key=f"{CANCELLED}:{caravan.id}:{uuid.uuid4().hex}",  # SQLite may reuse the id
            kind=CANCELLED,
            now=now,
            recipients=told_about(caravan),
            not_before=timing.civil_time(now),
            settlement_id=caravan.settlement_id,
            payload=caravan_fields(caravan),
        )
    await session.execute(delete(Caravan).where(Caravan.id == caravan.id))
    await session.flush()


# ------------------------------------------------------------------ housing


def admin_figures(settlement: Settlement) -> dict[str, int | None]:
    """The current figures an admin sets with /sethousing: planned, ready, deadlines."""
    figures = outbox.housing_figures(settlement)
    return {k: v for k, v in figures.items() if k in ("homes_total", "ready") or ":" in k}


async def set_housing(
    session: AsyncSession,
    settlement: Settlement,
    *,
    as_of: dt.date,
    planned: int,
    ready: int,
    deadlines: dict[dt.date, int],
    source: str,
    now: dt.datetime,
    timing: Timing,
) -> tuple[dict[str, int | None], dict[str, int | None], Notice | None]:
    """Record the figures as a report dated `as_of` with exactly `deadlines` (those the
    admin's preview showed, passed ones kept as history; today's report is replaced, older
    ones stay as history) and `source` (as the admin gave it), and alert subscribers of what
    changed. Returns (before, after, the alert or None when subscribers hear of nothing)."""
    before = admin_figures(settlement)
    report = next((h for h in settlement.housing if h.as_of == as_of), None)
    if report is None:
        report = HousingReport(as_of=as_of, deadlines=[])
        settlement.housing.append(report)
    values = {
        "month_only": False,
        "homes_total": planned,
        "ready": ready,
        "uninhabitable": None,
        "partly_habitable": None,
        "built": None,
        "under_construction": None,
        "source": source,
        "note": None,
        "unsure": False,
    }
    for key, value in values.items():
        setattr(report, key, value)
    report.set_deadlines(deadlines)
    await session.flush()
    after = admin_figures(settlement)
    notice = await outbox.record_housing_change(
        session, settlement, before, after, now, timing=timing
    )
    return before, after, notice
