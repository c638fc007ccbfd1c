"""The in-memory place data (db.snapshot, bot.places): complete, and current whoever writes.

A change made by this process shows at once; one made by another process (simulated with a
plain connection, which no ORM session event sees) shows once the copy's age runs out and a
check in the background has found that the database's triggers moved `data_version`.
Lookups never wait for that check.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import shutil
from typing import Any

import pytest
from sqlalchemy import select, text

from bot.places import MAX_AGE, PlaceCache
from db import snapshot
from db.models import Caravan, Settlement
from db.session import create_engine, create_sessionmaker

TABLE_CHANGES = {
    "regions": "UPDATE regions SET position = position WHERE id = (SELECT min(id) FROM regions)",
    "districts": "UPDATE districts SET kind = kind WHERE id = (SELECT min(id) FROM districts)",
    "settlements": "UPDATE settlements SET kind = kind WHERE slug = 'sos'",
    "housing_reports": "UPDATE housing_reports SET ready = ready "
    "WHERE id = (SELECT min(id) FROM housing_reports)",
    "housing_deadlines": "DELETE FROM housing_deadlines "
    "WHERE id = (SELECT min(id) FROM housing_deadlines)",
    "caravans": "DELETE FROM caravans WHERE id = (SELECT max(id) FROM caravans)",
    "totals": "UPDATE totals SET people = people WHERE id = (SELECT min(id) FROM totals)",
}

RENAME_SOS = "UPDATE settlements SET name_en = '{name}' WHERE slug = 'sos'"


@pytest.fixture
async def engine(database_url):
    engine = create_engine(database_url)
    yield engine
    await engine.dispose()


async def _version(engine) -> int:
    async with create_sessionmaker(engine)() as session:
        return await snapshot.data_version(session)


async def test_load_reads_every_relationship(engine):
    async with create_sessionmaker(engine)() as session:
        data = await snapshot.load(session)
    assert snapshot.unloaded(data) == []
    sos = data.settlement("sos")
    assert sos.district.region.slug == "karabakh"
    assert sos.housing[-1].deadlines[0].report is sos.housing[-1]
    assert all(c.settlement is sos for c in sos.caravans)
    assert data.district("khojavand").settlements[0].district.slug == "khojavand"
    assert len(data.settlements) == 42 and len(data.districts) == 15


@pytest.mark.parametrize("table", sorted(TABLE_CHANGES))
async def test_every_place_table_moves_the_version_on_commit_only(engine, table):
    before = await _version(engine)
    async with engine.connect() as connection:
        await connection.execute(text(TABLE_CHANGES[table]))
        await connection.rollback()
    assert await _version(engine) == before
    async with engine.begin() as connection:
        await connection.execute(text(TABLE_CHANGES[table]))
        await connection.execute(text(TABLE_CHANGES[table]))
    after = await _version(engine)
    assert after > before
    if engine.dialect.name == "postgresql":
        assert after == before + 1  # once per transaction, however many rows


async def test_other_tables_leave_the_version_alone(engine):
    before = await _version(engine)
    async with engine.begin() as connection:
        await connection.execute(
            text("INSERT INTO users (id, chat_id, language, language_chosen, blocked) "
                 "VALUES (5, 5, 'en', false, false)")
        )  # fmt: skip
    assert await _version(engine) == before


async def test_another_process_change_shows_after_max_age(engine):
    cache = PlaceCache(create_sessionmaker(engine), max_age=3600)
    first = await cache.reload()
    async with engine.begin() as connection:  # no ORM session: as another process would
        await connection.execute(
            text("UPDATE settlements SET name_en = 'Sos-2' WHERE slug = 'sos'")
        )
    assert await cache.get() is first  # within max_age nothing is read

    cache = PlaceCache(create_sessionmaker(engine), max_age=0.2)
    first = await cache.reload()
    assert await cache.get() is first
    async with engine.begin() as connection:
        await connection.execute(
            text("UPDATE settlements SET name_en = 'Sos-3' WHERE slug = 'sos'")
        )
    await asyncio.sleep(0.3)
    assert await cache.get() is first  # answered from the copy; a check starts meanwhile
    current = await _next_copy(cache, first)
    assert current.data.settlement("sos").name_en == "Sos-3"
    assert current.search.resolve("Sos-3")[0].key == "settlement:sos"
    await asyncio.sleep(0.3)
    assert await cache.check() is current  # version unchanged: the copy is kept


async def _next_copy(cache: PlaceCache, old: object) -> Any:
    """The first copy `cache.get()` gives that is not `old` (within five seconds)."""
    for _ in range(500):
        if (current := await cache.get()) is not old:
            return current
        await asyncio.sleep(0.01)
    raise AssertionError("no new copy within 5 s")


async def test_lookups_do_not_wait_for_the_check(engine, monkeypatch):
    cache = PlaceCache(create_sessionmaker(engine), max_age=0)
    first = await cache.reload()
    released = asyncio.Event()
    reads = 0
    read_version = snapshot.data_version

    async def slow_version(session):
        nonlocal reads
        reads += 1
        await released.wait()  # the check hangs until the lookups below are answered
        return await read_version(session)

    monkeypatch.setattr(snapshot, "data_version", slow_version)
    async with asyncio.timeout(5):
        results = await asyncio.gather(*(cache.get() for _ in range(50)))
    assert all(r is first for r in results)
    released.set()
    assert await cache.check() is first
    assert reads == 2  # one check in the background for all fifty, then check()'s own
    await cache.close()


async def test_own_commit_shows_at_once(engine):
    sessions = create_sessionmaker(engine)
    cache = PlaceCache(sessions, max_age=3600)
    await cache.reload()
    async with sessions() as session:
        sos = await session.scalar(select(Settlement).where(Settlement.slug == "sos"))
        session.add(Caravan(settlement_id=sos.id, date=dt.date(2027, 1, 5), source="test"))
        await session.commit()
    upcoming, caravans = (await cache.get()).data.upcoming_or_recent_caravans(
        dt.date(2026, 12, 1), limit=5, settlement_slug="sos"
    )
    assert upcoming and caravans[0].date == dt.date(2027, 1, 5)


async def test_last_copy_answers_while_the_database_is_gone(sqlite_template, tmp_path, caplog):
    path = tmp_path / "gone.db"
    shutil.copy(sqlite_template, path)
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    try:
        cache = PlaceCache(create_sessionmaker(engine), max_age=0)
        first = await cache.reload()
        await engine.dispose()  # no pooled connection keeps the file open
        path.unlink()  # the next connection finds an empty database
        assert await cache.get() is first
        assert await cache.check() is first
        assert "answering from the last copy" in caplog.text
        with pytest.raises(Exception, match="data_version"):
            await cache.reload()  # an explicit reload does fail
    finally:
        await engine.dispose()


async def test_a_replica_sees_another_processes_edit(running_bot, database_url):
    """The running bot shows a figure changed behind its back within MAX_AGE."""
    chat = running_bot.chat()
    card = await chat.say("Sos")
    assert "259" in card["text"]
    engine = create_engine(database_url)
    try:
        async with engine.begin() as connection:
            await connection.execute(
                text("UPDATE housing_reports SET homes_total = 263 WHERE settlement_id = "
                     "(SELECT id FROM settlements WHERE slug = 'sos')")
            )  # fmt: skip
    finally:
        await engine.dispose()
    await asyncio.sleep(MAX_AGE + 0.2)
    for _ in range(50):  # the first lookup after MAX_AGE starts the check
        card = await chat.say("Sos")
        if "263" in card["text"]:
            break
        await asyncio.sleep(0.1)
    assert "263" in card["text"] and "259" not in card["text"]
