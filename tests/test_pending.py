"""Pending admin actions in the database: a ✅ made on one replica works on another and after a
restart, applies once however many replicas receive the press, expires, and belongs to the
admin who made it. The real Application against the fake Bot API, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

import pytest
import yaml
from sqlalchemy import func, select

from bot.chat.api import FakeBotAPI
from bot.chat.transports import FakeBotServer
from db import pending
from db.dataset import load_dataset
from db.models import AuditEntry, Caravan, PendingAction, Settlement
from db.session import create_engine, create_sessionmaker
from tests.conftest import Clock, RunningBot, button, buttons, run_bot, serve_bot

ADMIN, OTHER_ADMIN, STRANGER = 9001, 9002, 6001
ADMINS = f"{ADMIN},{OTHER_ADMIN}"
EXPIRED = "This button has expired or was already used. Send the command again."
IMPORT_EXPIRED = "This import has expired. Please send the file again."
NEW_CARAVAN = "/addcaravan 2026-12-20 Sos 12 50 source=Khojavand district executive office"


@asynccontextmanager
async def replicas(database_url: str, clock: Clock, count: int = 2) -> AsyncIterator[list]:
    """`count` bots on one database, each behind a Bot API of its own: a press can reach any
    replica, as behind a load balancer."""
    async with AsyncExitStack() as stack:
        bots = [
            await stack.enter_async_context(
                serve_bot(FakeBotAPI(), database_url, clock, ADMIN_IDS=ADMINS)
            )
            for _ in range(count)
        ]
        yield bots


@asynccontextmanager
async def session_of(url: str) -> AsyncIterator[Any]:
    engine = create_engine(url)
    try:
        async with create_sessionmaker(engine)() as session:
            yield session
    finally:
        await engine.dispose()


async def count(url: str, model: Any, *where: Any) -> int:
    async with session_of(url) as session:
        return await session.scalar(select(func.count()).select_from(model).where(*where))


async def actions(url: str) -> list[str]:
    async with session_of(url) as session:
        return list(await session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


async def press(bot: RunningBot, message: dict, data: str, user_id: int) -> tuple[list, list]:
    """Press `data` on `message` (any data, as a replica behind a load balancer may receive
    it); waits for the bot's alert or message. Returns (alert texts, texts sent or edited)."""
    api = bot.api
    mark = len(api.calls)
    api.press(message, data, user_id=user_id, language_code="en", strict=False)

    def answered() -> bool:
        return any(
            (c.method == "answerCallbackQuery" and c.params.get("text"))
            or c.method.startswith(("edit", "send"))
            for c in api.calls[mark:]
        )

    await api.wait_for(answered, timeout=30)
    await api.wait_idle(quiet=0.2, timeout=15)
    calls = api.calls[mark:]
    alerts = [c.params.get("text") for c in calls if c.method == "answerCallbackQuery"]
    texts = [c.params.get("text", "") for c in calls if c.method.startswith(("edit", "send"))]
    return [a for a in alerts if a], texts


def data_of(message: dict, label: str) -> str:
    return button(message, label)["callback_data"]


async def send_file(bot: RunningBot, user_id: int, name: str, data: bytes) -> dict:
    """The admin sends a document; returns the bot's last message to them."""
    api = bot.api
    mark = len(api.calls)
    api.send_document(name, data, user_id=user_id, language_code="en")
    await api.wait_for(lambda: any(c.method == "sendMessage" for c in api.calls[mark:]), 30)
    await api.wait_idle(quiet=0.2, timeout=15)
    return api.last_message(user_id)


async def renamed_hadrut(url: str) -> bytes:
    """The database's dataset as YAML with one settlement renamed: one change to import."""
    async with session_of(url) as session:
        data = (await load_dataset(session)).model_dump(mode="json")
    for settlement in data["settlements"]:
        if settlement["slug"] == "hadrut":
            settlement["name"]["en"] = "Zorbatown"
    return yaml.safe_dump(data, allow_unicode=True).encode()


async def hadrut_name(url: str) -> str:
    async with session_of(url) as session:
        return await session.scalar(select(Settlement.name_en).where(Settlement.slug == "hadrut"))


# ------------------------------------------------------------------ across replicas


async def test_confirm_made_on_one_replica_applies_once_on_another(database_url: str):
    clock = Clock()
    caravans = await count(database_url, Caravan)
    async with replicas(database_url, clock) as (first, second):
        preview = await first.chat(ADMIN).say(NEW_CARAVAN)
        confirm = data_of(preview, "✅")
        elsewhere = await second.chat(ADMIN).say("/help")  # a message on the other replica

        alerts, texts = await press(second, elsewhere, confirm, ADMIN)
        assert alerts == [] and "Caravan #" in texts[-1] and "recorded" in texts[-1]
        assert await count(database_url, Caravan) == caravans + 1
        # the same ✅ on the first replica (the button it showed) is used up
        alerts, _texts = await press(first, preview, confirm, ADMIN)
        assert alerts == [EXPIRED]

        # a dataset file sent to the first replica is applied by ✅ on the second
        offer = await send_file(first, ADMIN, "data.yaml", await renamed_hadrut(database_url))
        assert "Nothing has been changed yet" in offer["text"]
        apply = data_of(offer, "✅")
        assert await hadrut_name(database_url) == "Hadrut"
        alerts, texts = await press(second, elsewhere, apply, ADMIN)
        assert alerts == [] and "Imported <b>data.yaml</b>" in texts[-1]
        assert await hadrut_name(database_url) == "Zorbatown"
        alerts, _texts = await press(first, offer, apply, ADMIN)
        assert alerts == [IMPORT_EXPIRED]
    assert await actions(database_url) == ["caravan.add", "import"]
    assert await count(database_url, Caravan) == caravans + 1
    assert await count(database_url, PendingAction) == 0


async def test_a_restart_between_preview_and_confirm_loses_nothing(database_url: str):
    api, clock = FakeBotAPI(), Clock()
    caravans = await count(database_url, Caravan)
    async with serve_bot(api, database_url, clock, ADMIN_IDS=ADMINS) as before:
        admin = before.chat(ADMIN)
        preview = await admin.say(NEW_CARAVAN)
        offer = await send_file(before, ADMIN, "data.yaml", await renamed_hadrut(database_url))
        choices = await admin.say(
            "/addcaravan 2026-12-22 Lachin 5 source=azertag.az"
        )  # an ambiguous place
        assert "Several settlements" in choices["text"]
        settings = before.settings
    # the bot stops; the same Bot API and database are there when it starts again
    async with FakeBotServer(api) as server_url:
        settings = settings.model_copy(update={"telegram_api_url": server_url})
        async with run_bot(api, settings, clock) as after:
            admin = after.chat(ADMIN)
            _alerts, texts = await press(after, offer, data_of(offer, "✅"), ADMIN)
            assert "Imported <b>data.yaml</b>" in texts[-1]
            _alerts, texts = await press(after, preview, data_of(preview, "✅"), ADMIN)
            assert "recorded" in texts[-1]
            picked = await admin.press(choices, buttons(choices)[0]["text"])
            assert "5 families" in picked["text"]
            assert "recorded" in (await admin.press(picked, "✅"))["text"]
    assert await count(database_url, Caravan) == caravans + 2
    assert await actions(database_url) == ["import", "caravan.add", "caravan.add"]
    assert await hadrut_name(database_url) == "Zorbatown"


async def test_a_double_press_on_two_replicas_at_once_applies_once(database_url: str):
    clock = Clock()
    caravans = await count(database_url, Caravan)
    async with replicas(database_url, clock) as (first, second):
        preview = await first.chat(ADMIN).say(NEW_CARAVAN)
        confirm = data_of(preview, "✅")
        elsewhere = await second.chat(ADMIN).say("/help")
        outcomes = await asyncio.gather(
            press(first, preview, confirm, ADMIN), press(second, elsewhere, confirm, ADMIN)
        )
    alerts = sorted(alert for found, _texts in outcomes for alert in found)
    recorded = [t for _alerts, texts in outcomes for t in texts if "recorded" in t]
    assert alerts == [EXPIRED] and len(recorded) == 1
    assert await count(database_url, Caravan) == caravans + 1
    assert await actions(database_url) == ["caravan.add"]


async def test_racing_takers_get_a_token_once(database_url: str):
    """Ten takers on two engines (as two replicas) race for one token: exactly one wins."""
    engines = [create_engine(database_url) for _ in range(2)]
    makers = [create_sessionmaker(engine) for engine in engines]
    now = dt.datetime(2026, 11, 26, 8, 0)
    try:
        token = await pending.put(
            makers[0], ADMIN, "admin:addcaravan", {"n": 1}, now=now, ttl=dt.timedelta(hours=1)
        )
        results = await asyncio.gather(
            *(
                pending.take(makers[i % 2], token, ADMIN, ["admin:addcaravan"], now=now)
                for i in range(10)
            )
        )
    finally:
        for engine in engines:
            await engine.dispose()
    assert [r.payload for r in results if r is not None] == [{"n": 1}]


# ------------------------------------------------------------------ expiry and ownership


async def test_expired_buttons_answer_expired_and_are_pruned(database_url: str):
    clock = Clock()
    caravans = await count(database_url, Caravan)
    async with serve_bot(FakeBotAPI(), database_url, clock, ADMIN_IDS=ADMINS) as bot:
        admin = bot.chat(ADMIN)
        preview = await admin.say(NEW_CARAVAN)
        offer = await send_file(bot, ADMIN, "data.yaml", await renamed_hadrut(database_url))
        clock.now += dt.timedelta(minutes=16)  # past an import's 15 minutes
        assert await press(bot, offer, data_of(offer, "✅"), ADMIN) == ([IMPORT_EXPIRED], [])
        clock.now += dt.timedelta(minutes=45)  # past an admin action's hour
        assert await press(bot, preview, data_of(preview, "✅"), ADMIN) == ([EXPIRED], [])
        assert await count(database_url, PendingAction) == 2  # expired, not yet pruned
        fresh = await admin.say(NEW_CARAVAN)  # storing an action prunes the expired ones
        assert await count(database_url, PendingAction) == 1
        assert "recorded" in (await admin.press(fresh, "✅"))["text"]
    assert await count(database_url, Caravan) == caravans + 1
    assert await hadrut_name(database_url) == "Hadrut"


async def test_only_the_admin_who_made_it_can_confirm(database_url: str):
    caravans = await count(database_url, Caravan)
    async with serve_bot(FakeBotAPI(), database_url, Clock(), ADMIN_IDS=ADMINS) as bot:
        preview = await bot.chat(ADMIN).say(NEW_CARAVAN)
        confirm, abort = data_of(preview, "✅"), data_of(preview, "↩️")
        offer = await send_file(bot, ADMIN, "data.yaml", await renamed_hadrut(database_url))
        apply = data_of(offer, "✅")
        theirs = await bot.chat(OTHER_ADMIN).say("/help")
        mine = await bot.chat(STRANGER).say("/help")

        assert await press(bot, theirs, confirm, OTHER_ADMIN) == ([EXPIRED], [])
        _alerts, texts = await press(bot, theirs, abort, OTHER_ADMIN)  # drops nothing of 9001's
        assert "Nothing was changed" in texts[-1]
        assert await press(bot, theirs, apply, OTHER_ADMIN) == ([IMPORT_EXPIRED], [])
        for data in (confirm, apply):
            assert await press(bot, mine, data, STRANGER) == (["Only admins can do this."], [])
        # an import token is no admin-action token, and the other way round
        assert await press(bot, offer, "ak:" + apply[3:], ADMIN) == ([EXPIRED], [])
        assert await press(bot, preview, "ia:" + confirm[3:], ADMIN) == ([IMPORT_EXPIRED], [])
        assert await count(database_url, Caravan) == caravans
        assert await count(database_url, PendingAction) == 2

        # the admin's own presses still work, once each
        assert "Imported <b>data.yaml</b>" in (await press(bot, offer, apply, ADMIN))[1][-1]
        assert "recorded" in (await press(bot, preview, confirm, ADMIN))[1][-1]
    assert await count(database_url, Caravan) == caravans + 1
    assert await actions(database_url) == ["import", "caravan.add"]


async def test_rights_are_checked_again_when_pressed(database_url: str):
    """An admin removed after the preview cannot confirm it."""
    caravans = await count(database_url, Caravan)
    async with serve_bot(FakeBotAPI(), database_url, Clock(), ADMIN_IDS=str(ADMIN)) as bot:
        admin = bot.chat(ADMIN)
        await admin.press(await admin.say("/admins add 9003"), "✅")
        helper = bot.chat(9003)
        preview = await helper.say(NEW_CARAVAN)
        await admin.press(await admin.say("/admins remove 9003"), "✅")
        confirm = data_of(preview, "✅")
        assert await press(bot, preview, confirm, 9003) == (["Only admins can do this."], [])
    assert await count(database_url, Caravan) == caravans


# ------------------------------------------------------------------ the store itself


async def test_store_keeps_bytes_and_json_limits_per_admin(database_url: str):
    engine = create_engine(database_url)
    db = create_sessionmaker(engine)
    now = dt.datetime(2026, 11, 26, 8, 0, tzinfo=dt.UTC)
    hour = dt.timedelta(hours=1)
    blob = os.urandom(pending.MAX_DATA)
    try:
        token = await pending.put(
            db, ADMIN, "import", {"name": "ä.csv"}, data=blob, now=now, ttl=hour
        )
        assert len(token) == 12 and int(token, 16) >= 0
        assert await pending.take(db, token, OTHER_ADMIN, ["import"], now=now) is None
        assert await pending.take(db, token, ADMIN, ["admin:list"], now=now) is None
        taken = await pending.take(db, token, ADMIN, ["import"], now=now)
        assert taken is not None and taken.data == blob and taken.payload == {"name": "ä.csv"}
        assert await pending.take(db, token, ADMIN, ["import"], now=now) is None
        with pytest.raises(ValueError, match="exceeds"):
            await pending.put(db, ADMIN, "import", {}, data=blob + b"x", now=now, ttl=hour)

        tokens = [
            await pending.put(
                db,
                ADMIN,
                "import",
                {"i": i},
                now=now + i * dt.timedelta(seconds=1),
                ttl=hour,
                keep=3,
            )
            for i in range(5)
        ]
        other = await pending.put(db, OTHER_ADMIN, "import", {}, now=now, ttl=hour, keep=3)
        kept = [await pending.take(db, t, ADMIN, ["import"], now=now) for t in tokens]
        assert [t.payload["i"] if t else None for t in kept] == [None, None, 2, 3, 4]
        assert await pending.take(db, other, OTHER_ADMIN, ["import"], now=now) is not None

        late = await pending.put(db, ADMIN, "import", {}, now=now, ttl=hour)
        assert await pending.prune(db, now + hour) == 1
        assert await pending.take(db, late, ADMIN, ["import"], now=now) is None
    finally:
        await engine.dispose()
