"""`bot.registrar`: newcomers are written in batches, each gets its own stored language, and
a failed batch fails its waiters only. On SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import OperationalError

from bot.registrar import Registrar
from db import users as user_store
from db.models import User
from db.session import create_engine, create_sessionmaker, is_unavailable


@pytest.fixture
async def sessions(database_url):
    engine = create_engine(database_url)
    yield create_sessionmaker(engine)
    await engine.dispose()


@pytest.fixture
def batches(monkeypatch) -> list[int]:
    """The size of every batch written."""
    sizes: list[int] = []
    write = user_store.register_users

    async def counted(session, newcomers):
        sizes.append(len(newcomers))
        return await write(session, newcomers)

    monkeypatch.setattr(user_store, "register_users", counted)
    return sizes


async def test_a_burst_of_newcomers_is_written_in_few_batches(sessions, batches):
    registrar = Registrar(sessions)
    languages = ("az", "en", "ru")
    results = await asyncio.gather(
        *(registrar.register(900 + n, 1900 + n, languages[n % 3]) for n in range(300))
    )
    assert results == [languages[n % 3] for n in range(300)]
    assert sum(batches) == 300 and len(batches) <= 2
    async with sessions() as session:
        users = {u.id: u for u in await session.scalars(select(User).where(User.id >= 900))}
    assert len(users) == 300
    assert (users[901].chat_id, users[901].language, users[901].blocked) == (1901, "en", False)
    await registrar.close()


async def test_returning_users_keep_a_chosen_language_and_are_unblocked(sessions, batches):
    registrar = Registrar(sessions)
    assert await registrar.register(7, 70, "ru") == "ru"
    async with sessions() as session:
        await user_store.choose_language(session, 7, 70, "az")
        await session.execute(update(User).where(User.id == 7).values(blocked=True))
        await session.commit()
    assert await registrar.register(7, 71, "en") == "az"  # chosen, not Telegram's
    async with sessions() as session:
        user = await session.get(User, 7)
    assert (user.chat_id, user.blocked, user.language_chosen) == (71, False, True)
    await registrar.close()


async def test_one_user_twice_in_a_batch_is_one_row_with_the_latest_chat(sessions, batches):
    registrar = Registrar(sessions)
    first, second = await asyncio.gather(
        registrar.register(8, 80, "en"), registrar.register(8, 81, "ru")
    )
    assert (first, second) == ("ru", "ru") and batches == [1]
    async with sessions() as session:
        assert (await session.get(User, 8)).chat_id == 81
    await registrar.close()


async def test_a_failed_batch_fails_its_waiters_and_the_next_one_is_written(sessions, monkeypatch):
    registrar = Registrar(sessions)
    write = user_store.register_users
    failures = [OperationalError("INSERT", {}, Exception("database is locked"))]

    async def flaky(session, newcomers):
        if failures:
            raise failures.pop()
        return await write(session, newcomers)

    monkeypatch.setattr(user_store, "register_users", flaky)
    outcomes = await asyncio.gather(
        *(registrar.register(20 + n, 20 + n, "en") for n in range(5)), return_exceptions=True
    )
    assert all(is_unavailable(outcome) for outcome in outcomes)
    assert await registrar.register(20, 20, "az") == "az"  # the user was not written before
    await registrar.close()


async def test_a_cancelled_waiter_leaves_the_others_waiting(sessions, batches):
    registrar = Registrar(sessions)
    impatient = asyncio.create_task(registrar.register(30, 30, "en"))
    patient = asyncio.create_task(registrar.register(31, 31, "ru"))
    await asyncio.sleep(0)  # both joined the batch
    impatient.cancel()
    assert await patient == "ru"
    with pytest.raises(asyncio.CancelledError):
        await impatient
    await registrar.close()
    async with sessions() as session:
        assert await session.get(User, 30) is not None  # the batch was written all the same


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_two_replicas_batches_sharing_users_do_not_deadlock(database_url):
    """Each batch locks its rows in id order, whatever order its newcomers came in."""
    engine = create_engine(database_url)
    sessions = create_sessionmaker(engine)
    try:
        for round_ in range(10):
            users = [(5000 + 100 * round_ + n, n, "en") for n in range(40)]

            async def batch(newcomers):
                async with sessions() as session:
                    return await user_store.register_users(session, newcomers)

            first, second = await asyncio.gather(batch(users), batch(users[::-1]))
            assert first == second == {user: "en" for user, _, _ in users}
    finally:
        await engine.dispose()
