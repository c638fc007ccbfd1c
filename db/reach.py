"""Queries for posters, calendars, locations and inline mode. Each takes a session."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from db.models import District, HousingReport, Settlement


async def located_settlements(session: AsyncSession) -> Sequence[Settlement]:
    """Settlements whose coordinates the dataset gives (with their districts)."""
    query = (
        select(Settlement)
        .where(Settlement.latitude.is_not(None), Settlement.longitude.is_not(None))
        .options(selectinload(Settlement.district))
        .order_by(Settlement.id)
    )
    return (await session.scalars(query)).all()


async def settlement_cards(
    session: AsyncSession,
    slugs: Iterable[str] | None = None,
    district_slugs: Iterable[str] = (),
) -> Sequence[Settlement]:
    """Settlements with everything their card shows: those named by `slugs` or lying in
    `district_slugs`, or all of them when `slugs` is None. In one round of queries."""
    query = select(Settlement).options(
        selectinload(Settlement.district).selectinload(District.region),
        selectinload(Settlement.housing).selectinload(HousingReport.deadlines),
        selectinload(Settlement.caravans),
    )
    if slugs is not None:
        districts = list(district_slugs)
        wanted = Settlement.slug.in_(list(slugs))
        if districts:
            inside = select(District.id).where(District.slug.in_(districts))
            wanted = or_(wanted, Settlement.district_id.in_(inside))
        query = query.where(wanted)
    return (await session.scalars(query.order_by(Settlement.id))).all()
