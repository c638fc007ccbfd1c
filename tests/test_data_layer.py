"""The data layer on SQLite and PostgreSQL: migrations, dataset import, users."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from bot.domain import clock
from db import editing, snapshot, users
from db.dataset import BUNDLED, DatasetError, apply_dataset, parse_dataset, read_dataset
from db.models import Base
from db.session import create_engine, create_sessionmaker


@pytest.fixture
async def session(database_url):
    engine = create_engine(database_url)
    async with create_sessionmaker(engine)() as session:
        yield session
    await engine.dispose()


async def test_migrations_match_the_models(session):
    def diff(connection):
        return compare_metadata(MigrationContext.configure(connection), Base.metadata)

    connection = await session.connection()
    assert await connection.run_sync(diff) == []


async def test_bundled_dataset_is_loaded_completely(session):
    data = await snapshot.load(session)
    assert [r.slug for r in data.regions] == ["karabakh", "east-zangezur"]
    assert sum(len(r.districts) for r in data.regions) == 15
    assert sum(data.settlement_counts().values()) == 42
    sos = data.settlement("sos")
    assert sos is not None and await editing.settlement(session, "sos") is not None
    report = sos.housing[-1]
    assert (report.homes_total, report.ready) == (259, 10)
    assert [(d.due_by, d.homes) for d in report.deadlines] == [
        (dt.date(2025, 12, 31), 75),
        (dt.date(2026, 12, 31), 104),
    ]
    assert len(sos.caravans) == 5
    total = data.latest_total()
    assert (total.people, total.as_of) == (26513, dt.date(2026, 1, 21))
    newest = data.totals[-1]  # families only, from a secondary source: kept as unsure
    assert (newest.as_of, newest.families, newest.people) == (dt.date(2026, 3, 11), 7541, None)
    assert newest.unsure is True and not total.unsure


async def test_upcoming_caravans_first_else_recent(session):
    data = await snapshot.load(session)
    upcoming, caravans = data.upcoming_or_recent_caravans(
        dt.date(2026, 11, 26), limit=10, settlement_slug="sos"
    )
    assert not upcoming
    assert [c.date.isoformat() for c in caravans] == [
        "2025-12-24",
        "2025-12-16",
        "2025-11-19",
        "2025-10-28",
        "2025-09-11",
    ]
    upcoming, caravans = data.upcoming_or_recent_caravans(
        dt.date(2025, 12, 1), limit=10, district_slug="khojavand"
    )
    assert upcoming and caravans[0].date == dt.date(2025, 12, 16)
    assert all(c.date >= dt.date(2025, 12, 1) for c in caravans)
    assert [c.date for c in caravans] == sorted(c.date for c in caravans)


async def test_reimport_reports_changes_precisely(session):
    data = read_dataset(BUNDLED).model_dump(mode="json", exclude_none=True)
    sos = next(s for s in data["settlements"] if s["slug"] == "sos")
    sos["caravans"][1]["families"] = 21
    sos["caravans"].append({"date": "2026-12-20", "families": 12, "people": 50, "source": "t"})
    sos["housing"][0]["ready"] = 40
    report = await apply_dataset(session, parse_dataset(data), timing=clock)
    await session.commit()
    assert dict(report) == {
        "caravans changed": 1,
        "caravans added": 1,
        "housing reports changed": 1,
    }
    fresh = await apply_dataset(session, parse_dataset(data), timing=clock)
    assert not fresh


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        (("settlements", 0, "district"), "atlantis", "unknown district 'atlantis'"),
        (("settlements", 1, "slug"), "sos", "duplicate settlement slug"),
        (("settlements", 0, "housing", 0, "ready"), 900, "ready exceeds homes_total"),
        (("settlements", 0, "caravans", 0, "date"), "2025-13-40", "date"),
        (("settlements", 0, "name", "ru"), "", "at least 1 character"),
        (("settlements", 0, "caravans", 0, "families"), -3, "greater than or equal to 0"),
    ],
)
def test_validation_names_the_place(path, value, expected):
    data = read_dataset(BUNDLED).model_dump(mode="json", exclude_none=True)
    node = data
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    with pytest.raises(DatasetError, match=expected):
        parse_dataset(data, "x.yaml")


async def test_newcomer_registered_on_two_replicas_at_once(database_url):
    """A newcomer's two first updates reach two replicas: the second INSERT waits for the
    first (uncommitted) one and then updates the winner's row instead of failing the update."""
    engine = create_engine(database_url)
    sessions = create_sessionmaker(engine)
    try:
        async with sessions() as loser, sessions() as winner:
            real_commit = winner.commit
            raced = {}

            async def commit_while_the_loser_waits():
                raced["loser"] = asyncio.create_task(users.register_user(loser, 777, 777, "az"))
                await asyncio.sleep(0.3)  # the loser's INSERT now waits for the winner's row
                raced["waited"] = not raced["loser"].done()
                await real_commit()

            winner.commit = commit_while_the_loser_waits
            assert await users.register_user(winner, 777, 777, "ru") == "ru"
            assert await raced["loser"] == "az"
            assert raced["waited"]
        async with sessions() as session:
            assert (await users.get_user(session, 777)).language == "az"
    finally:
        await engine.dispose()


async def test_returning_user_is_unblocked_and_keeps_a_chosen_language(session):
    assert await users.register_user(session, 778, 778, "az") == "az"
    user = await users.get_user(session, 778)
    assert (user.chat_id, user.language, user.language_chosen, user.blocked) == (
        778,
        "az",
        False,
        False,
    )
    await users.set_blocked(session, 778, True)
    session.expunge_all()
    assert (await users.get_user(session, 778)).blocked
    assert await users.register_user(session, 778, 9778, "ru") == "ru"  # Telegram's language
    await users.choose_language(session, 778, 9778, "en")
    assert await users.register_user(session, 778, 19778, "ru") == "en"  # the chosen one
    session.expunge_all()
    user = await users.get_user(session, 778)
    assert (user.chat_id, user.language, user.language_chosen, user.blocked) == (
        19778,
        "en",
        True,
        False,
    )
