"""Every query the handlers need. Each takes a session; none commits unless it says so."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from db.models import Caravan, District, HousingReport, Region, Settlement, Total, User


@dataclass(frozen=True)
class Place:
    """A searchable place: its key for the search index and all its names."""

    key: str  # "settlement:<slug>" or "district:<slug>"
    names: tuple[str, ...]


async def places(session: AsyncSession) -> list[Place]:
    """All settlements and districts with their names and aliases, for the search index."""
    found = []
    for model, kind in ((Settlement, "settlement"), (District, "district")):
        for row in await session.scalars(select(model)):
            names = (row.name_az, row.name_en, row.name_ru, *row.aliases)
            found.append(Place(f"{kind}:{row.slug}", names))
    return found


async def regions(session: AsyncSession) -> Sequence[Region]:
    """Regions in display order, each with its districts."""
    query = select(Region).options(selectinload(Region.districts)).order_by(Region.position)
    return (await session.scalars(query)).all()


async def settlement_counts(session: AsyncSession) -> dict[int, int]:
    """district id → number of settlements in the dataset."""
    query = select(Settlement.district_id, func.count()).group_by(Settlement.district_id)
    return {district_id: n for district_id, n in await session.execute(query)}


async def district(session: AsyncSession, slug: str) -> District | None:
    """A district with its region and settlements."""
    query = (
        select(District)
        .where(District.slug == slug)
        .options(selectinload(District.settlements), selectinload(District.region))
    )
    return await session.scalar(query)


async def settlement(session: AsyncSession, slug: str) -> Settlement | None:
    """A settlement with everything its card shows, in one round of queries."""
    query = (
        select(Settlement)
        .where(Settlement.slug == slug)
        .options(
            selectinload(Settlement.district).selectinload(District.region),
            selectinload(Settlement.housing).selectinload(HousingReport.deadlines),
            selectinload(Settlement.caravans),
        )
    )
    return await session.scalar(query)


def _caravans_query(settlement_slug: str | None, district_slug: str | None) -> Select:
    query = select(Caravan).options(
        selectinload(Caravan.settlement).selectinload(Settlement.district)
    )
    if settlement_slug or district_slug:
        query = query.join(Caravan.settlement)
    if settlement_slug:
        query = query.where(Settlement.slug == settlement_slug)
    if district_slug:
        query = query.join(Settlement.district).where(District.slug == district_slug)
    return query


async def upcoming_or_recent_caravans(
    session: AsyncSession,
    today: dt.date,
    *,
    limit: int,
    settlement_slug: str | None = None,
    district_slug: str | None = None,
) -> tuple[bool, Sequence[Caravan]]:
    """(upcoming?, caravans): those dated today or later, soonest first; when there are none,
    the most recent ones, newest first (undated last)."""
    base = _caravans_query(settlement_slug, district_slug)
    upcoming = (
        await session.scalars(
            base.where(Caravan.date >= today).order_by(Caravan.date, Caravan.id).limit(limit)
        )
    ).all()
    if upcoming:
        return True, upcoming
    recent = (
        await session.scalars(
            base.where((Caravan.date < today) | Caravan.date.is_(None))
            .order_by(Caravan.date.is_(None), Caravan.date.desc(), Caravan.id.desc())
            .limit(limit)
        )
    ).all()
    return False, recent


async def latest_total(session: AsyncSession) -> Total | None:
    """The most recent national total that counts people."""
    query = select(Total).where(Total.people.is_not(None)).order_by(Total.as_of.desc()).limit(1)
    return await session.scalar(query)


async def get_user(session: AsyncSession, user_id: int) -> User | None:
    return await session.get(User, user_id)


async def register_user(session: AsyncSession, user_id: int, chat_id: int, language: str) -> User:
    """Create the user on first contact; a user who writes again is no longer blocked.
    `language` is the one derived from Telegram; a language the user chose is kept. Commits."""
    user = await session.get(User, user_id)
    if user is None:
        user = User(id=user_id, chat_id=chat_id, language=language)
        session.add(user)
    else:
        user.chat_id = chat_id
        user.blocked = False
        if not user.language_chosen:
            user.language = language
    await session.commit()
    return user


async def choose_language(session: AsyncSession, user_id: int, chat_id: int, language: str) -> None:
    """Remember the language the user picked with /language. Commits."""
    user = await session.get(User, user_id)
    if user is None:
        user = User(id=user_id, chat_id=chat_id, language=language)
        session.add(user)
    user.language = language
    user.language_chosen = True
    user.blocked = False
    await session.commit()
