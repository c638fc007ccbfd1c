"""Official contacts admins entered with their source (`/setcontact`): those of a district
and those for every district, added, looked up and removed. Functions that write do not
commit: the caller commits the change with its audit entry."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from db.models import Contact
from db.times import wall_clock


async def contacts_for(session: AsyncSession, district_id: int | None) -> Sequence[Contact]:
    """Those for every district, then (given a district) the district's own, oldest first."""
    wanted = Contact.district_id.is_(None)
    if district_id is not None:
        wanted = wanted | (Contact.district_id == district_id)
    query = (
        select(Contact)
        .where(wanted)
        .options(selectinload(Contact.district))
        .order_by(Contact.district_id.is_not(None), Contact.id)
    )
    return (await session.scalars(query)).all()


async def district_ids(session: AsyncSession) -> set[int]:
    """The districts that have contacts of their own."""
    query = select(Contact.district_id).where(Contact.district_id.is_not(None)).distinct()
    return {district_id for district_id in await session.scalars(query) if district_id}


async def contact(session: AsyncSession, contact_id: int) -> Contact | None:
    query = select(Contact).where(Contact.id == contact_id).options(selectinload(Contact.district))
    return await session.scalar(query)


async def add_contact(
    session: AsyncSession,
    *,
    district_id: int | None,
    kind: str,
    value: str,
    name: str | None,
    source: str,
    added_by: int,
) -> Contact:
    """Add a contact (flushed, so it has its id); not committed."""
    row = Contact(
        district_id=district_id,
        kind=kind,
        value=value,
        name=name,
        source=source,
        added_by=added_by,
        added_at=wall_clock(),
    )
    session.add(row)
    await session.flush()
    return row


async def delete_contact(session: AsyncSession, contact_id: int) -> Contact | None:
    """Remove a contact; the removed row, or None when there was none. Not committed."""
    row = await contact(session, contact_id)
    if row is not None:
        await session.delete(row)
        await session.flush()
    return row


def contact_fields(row: Contact) -> dict[str, Any]:
    """What the audit log keeps of a contact."""
    return {
        "district": row.district.slug if row.district else "all",
        "kind": row.kind,
        "value": row.value,
        "name": row.name,
        "source": row.source,
    }
