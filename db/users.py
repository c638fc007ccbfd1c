"""Users and their subscriptions: registration, language, blocking, following places, and
forgetting a user. Each function takes a session; none commits unless it says so."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Table, bindparam, case, delete, false, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from db import outbox, tickets
from db.models import AdminName, Settlement, Subscription, User


async def get_user(session: AsyncSession, user_id: int) -> User | None:
    return await session.get(User, user_id)


def _register_statement(insert: Callable[[Table], Any]) -> Any:
    """INSERT the newcomer or, when the id is known, un-block the user, take the new chat id
    and the Telegram language unless the user chose one; RETURNING the stored language."""
    users = User.__table__
    statement = insert(users).values(
        id=bindparam("id"),
        chat_id=bindparam("chat_id"),
        language=bindparam("language"),
        language_chosen=false(),
        blocked=false(),
    )
    return statement.on_conflict_do_update(
        index_elements=[users.c.id],
        set_={
            "chat_id": statement.excluded.chat_id,
            "blocked": false(),
            "language": case(
                (users.c.language_chosen, users.c.language), else_=statement.excluded.language
            ),
        },
    ).returning(users.c.id, users.c.language)


# One statement per dialect, built once: a single upsert is atomic on both backends, so the
# same newcomer's first updates on two replicas at once cannot fail on the primary key.
_REGISTER = {
    "sqlite": _register_statement(sqlite.insert),
    "postgresql": _register_statement(postgresql.insert),
}


async def register_user(session: AsyncSession, user_id: int, chat_id: int, language: str) -> str:
    """Create the user on first contact; a user who writes again is no longer blocked and
    their chat id is updated. `language` is the one derived from Telegram; a language the
    user chose is kept. Commits; returns the user's stored language. (The bot registers
    newcomers in batches, `register_users`, through `bot.registrar`.)"""
    return (await register_users(session, [(user_id, chat_id, language)]))[user_id]


async def register_users(
    session: AsyncSession, newcomers: Sequence[tuple[int, int, str]]
) -> dict[int, str]:
    """`register_user` for several (user id, chat id, Telegram language) at once, one
    statement and one commit (`bot.registrar`); returns each user's stored language.
    The user ids must differ (one statement cannot update a row twice). Rows go in id order,
    so two replicas' batches that share users lock them in the same order: no deadlock."""
    connection = await session.connection()
    rows = [{"id": u, "chat_id": c, "language": lang} for u, c, lang in sorted(newcomers)]
    result = await connection.execute(_REGISTER[connection.dialect.name], rows)
    stored = {row.id: row.language for row in result}
    await session.commit()
    return stored


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


async def subscribe(
    session: AsyncSession,
    user_id: int,
    language: str,
    *,
    settlement_id: int | None = None,
    district_id: int | None = None,
) -> bool:
    """Follow a settlement, a district or (neither given) everything. Commits; False when the
    user already follows it. A user not seen in a private chat yet is registered."""
    scope = outbox.scope_key(settlement_id=settlement_id, district_id=district_id)
    if await session.get(User, user_id) is None:
        session.add(User(id=user_id, chat_id=user_id, language=language))
    known = select(Subscription.id).where(
        Subscription.user_id == user_id, Subscription.scope == scope
    )
    if await session.scalar(known) is not None:
        return False
    session.add(
        Subscription(
            user_id=user_id, scope=scope, settlement_id=settlement_id, district_id=district_id
        )
    )
    try:
        await session.commit()
    except IntegrityError:  # the same press twice, from two devices
        await session.rollback()
        return False
    return True


async def unsubscribe(
    session: AsyncSession,
    user_id: int,
    *,
    settlement_id: int | None = None,
    district_id: int | None = None,
    subscription_id: int | None = None,
) -> bool:
    """Stop following a place, everything (no place given), or one subscription by id.
    Commits; False when there was nothing to cancel."""
    query = delete(Subscription).where(Subscription.user_id == user_id)
    if subscription_id is not None:
        query = query.where(Subscription.id == subscription_id)
    else:
        scope = outbox.scope_key(settlement_id=settlement_id, district_id=district_id)
        query = query.where(Subscription.scope == scope)
    result = await session.execute(query)
    await session.commit()
    return bool(result.rowcount)


async def unsubscribe_all(session: AsyncSession, user_id: int) -> int:
    """Cancel every subscription of the user. Commits; returns how many."""
    result = await session.execute(delete(Subscription).where(Subscription.user_id == user_id))
    await session.commit()
    return result.rowcount


async def subscriptions(session: AsyncSession, user_id: int) -> Sequence[Subscription]:
    """The user's subscriptions: everything first, then districts, then settlements."""
    query = (
        select(Subscription)
        .where(Subscription.user_id == user_id)
        .options(
            selectinload(Subscription.district),
            selectinload(Subscription.settlement).selectinload(Settlement.district),
        )
        .order_by(
            Subscription.settlement_id.is_not(None),
            Subscription.district_id.is_not(None),
            Subscription.id,
        )
    )
    return (await session.scalars(query)).all()


async def forget_user(session: AsyncSession, user_id: int) -> None:
    """Delete everything stored about the user: deliveries (sent or not), subscriptions,
    questions to the admins, the user, and an admin's kept name (the audit log then shows
    their id). Commits."""
    await outbox.delete_user_deliveries(session, user_id)
    await tickets.forget_user(session, user_id)
    await session.execute(delete(AdminName).where(AdminName.user_id == user_id))
    await session.execute(delete(Subscription).where(Subscription.user_id == user_id))
    await session.execute(delete(User).where(User.id == user_id))
    await session.commit()


async def set_blocked(session: AsyncSession, user_id: int, blocked: bool) -> None:
    """The user blocked (or unblocked) the bot; a blocked user is sent nothing. Commits."""
    if blocked:
        await outbox.mark_blocked(session, user_id)
        return
    await session.execute(update(User).where(User.id == user_id).values(blocked=False))
    await session.commit()
