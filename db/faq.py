"""FAQ entries: answers admins wrote once for all (`/addfaq`), each for a settlement, a
district or everywhere, with its question and answer in the languages the admin gave.
Functions that write do not commit: the caller commits with the audit entry."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from db.models import District, FaqEntry, Settlement
from db.times import wall_clock

MAX_ENTRIES = 500  # loaded for a list or a match; far more than admins will write


def _loaded():
    return select(FaqEntry).options(
        selectinload(FaqEntry.settlement).selectinload(Settlement.district),
        selectinload(FaqEntry.district),
    )


async def entries(session: AsyncSession) -> Sequence[FaqEntry]:
    """Every entry, oldest first, with its place."""
    query = _loaded().order_by(FaqEntry.id).limit(MAX_ENTRIES)
    return (await session.scalars(query)).all()


async def entry(session: AsyncSession, entry_id: int) -> FaqEntry | None:
    return await session.scalar(_loaded().where(FaqEntry.id == entry_id))


async def add_entry(
    session: AsyncSession,
    *,
    settlement_id: int | None,
    district_id: int | None,
    question: dict[str, str],
    answer: dict[str, str],
    added_by: int,
) -> FaqEntry:
    """Add an entry for a settlement, a district or (neither) everywhere; flushed, not
    committed."""
    if settlement_id is not None and district_id is not None:
        raise ValueError("an FAQ entry is for a settlement or a district, not both")
    row = FaqEntry(
        settlement_id=settlement_id,
        district_id=district_id,
        question=question,
        answer=answer,
        added_by=added_by,
        added_at=wall_clock(),
    )
    session.add(row)
    await session.flush()
    return row


async def delete_entry(session: AsyncSession, entry_id: int) -> FaqEntry | None:
    """Remove an entry; the removed row, or None when there was none. Not committed."""
    row = await entry(session, entry_id)
    if row is not None:
        await session.delete(row)
        await session.flush()
    return row


def place_key(row: FaqEntry) -> str | None:
    """The search key of the entry's place (`settlement:<slug>`, `district:<slug>`, as in
    `db.snapshot.Place`), None for an entry for everywhere."""
    if row.settlement is not None:
        return f"settlement:{row.settlement.slug}"
    return f"district:{row.district.slug}" if row.district is not None else None


def keys_of(place: Settlement | District | None) -> tuple[str, ...]:
    """The keys of the entries that are for `place` besides those for everywhere: a
    settlement's and its district's, a district's, or none."""
    if isinstance(place, Settlement):
        return (f"settlement:{place.slug}", f"district:{place.district.slug}")
    return (f"district:{place.slug}",) if isinstance(place, District) else ()


def entry_fields(row: FaqEntry) -> dict[str, Any]:
    """What the audit log keeps of an entry."""
    key = place_key(row)
    place = key.partition(":")[2] if key else "all"
    return {"place": place, "question": row.question, "answer": row.answer}
