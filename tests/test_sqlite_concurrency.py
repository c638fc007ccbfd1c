"""SQLite under concurrent writers: users subscribing, the delivery worker marking outbox rows
and a dataset import in another process, all at once, and never "database is locked"."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import sys
import traceback
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select

from bot.chat.api import FakeBotAPI
from db import outbox
from db.dataset import BUNDLED
from db.models import Caravan, Delivery, Settlement, Subscription, User
from db.session import SQLITE_BUSY_TIMEOUT_MS, create_engine, create_sessionmaker
from tests.conftest import Clock, serve_bot

SUBSCRIBERS = 120  # already following everything: the announcement goes to each
NEWCOMERS = 60  # write to the bot for the first time, all at once: /subscribe Sos
FUTURE_CARAVAN = {"date": dt.date(2026, 12, 10), "families": 12, "people": 50, "source": "test"}
RETURNBOT = str(Path(sys.executable).parent / "returnbot")


async def seed(database_url: str) -> None:
    """Subscribers of everything, and a caravan to Sos in two weeks (announced at start)."""
    engine = create_engine(database_url)
    async with create_sessionmaker(engine)() as session:
        ids = [100_000 + n for n in range(SUBSCRIBERS)]
        session.add_all(User(id=i, chat_id=i, language=("az", "en", "ru")[i % 3]) for i in ids)
        await session.flush()
        session.add_all(Subscription(user_id=i, scope=outbox.scope_key()) for i in ids)
        sos = await session.scalar(select(Settlement).where(Settlement.slug == "sos"))
        session.add(Caravan(settlement_id=sos.id, **FUTURE_CARAVAN))
        await session.commit()
    await engine.dispose()


def changed_dataset(folder: Path) -> Path:
    """The bundled dataset with every settlement's caravans' families changed: one long
    write transaction for the import."""
    data = yaml.safe_load(BUNDLED.read_text(encoding="utf-8"))
    for settlement in data["settlements"]:
        for caravan in settlement.get("caravans", []):
            if isinstance(caravan.get("families"), int):
                caravan["families"] += 1
        if settlement["slug"] == "sos":  # the file keeps the caravan `seed` added
            settlement["caravans"].append(FUTURE_CARAVAN)
    path = folder / "changed.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def locked(records: list[logging.LogRecord]) -> list[str]:
    """Log lines (with their tracebacks) that mention a locked database."""
    found = []
    for record in records:
        text = record.getMessage()
        if record.exc_info:
            text += "".join(traceback.format_exception(*record.exc_info))
        if "locked" in text or "busy" in text.lower():
            found.append(text[-500:])
    return found


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_concurrent_writers_never_find_the_database_locked(
    database_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
):
    caplog.set_level(logging.WARNING)
    await seed(database_url)
    api = FakeBotAPI()
    for n in range(SUBSCRIBERS):
        api.add_chat(100_000 + n)
    dataset = changed_dataset(tmp_path)
    environment = {k: v for k, v in os.environ.items() if k != "TELEGRAM_BOT_TOKEN"}
    environment["DATABASE_URL"] = database_url
    async with serve_bot(api, database_url, Clock(), BROADCAST_RATE="300") as running:
        errors: list[BaseException] = []

        async def record(update: object, context: object) -> None:
            errors.append(context.error)

        running.application.add_error_handler(record)
        importer = await asyncio.create_subprocess_exec(
            RETURNBOT,
            "import",
            str(dataset),
            cwd=tmp_path,
            env=environment,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        newcomers = [200_000 + n for n in range(NEWCOMERS)]
        for n, user_id in enumerate(newcomers):
            api.send_text(
                "/subscribe Sos", user_id=user_id, language_code=("az", "en", "ru")[n % 3]
            )

        def everyone_answered() -> bool:
            return all(api.last_message(user_id) for user_id in newcomers)

        await api.wait_for(everyone_answered, timeout=90)
        stdout, stderr = await asyncio.wait_for(importer.communicate(), 120)
        assert importer.returncode == 0, stderr.decode()
        assert "families" in stdout.decode() or "changed" in stdout.decode()

        def announced() -> bool:
            sent = {c.params.get("chat_id") for c in api.calls_to("sendMessage") if c.status == 200}
            return all(100_000 + n in sent for n in range(SUBSCRIBERS))

        await api.wait_for(announced, timeout=25)
        await api.wait_idle(quiet=0.3, timeout=30)

        assert not errors, errors
        assert not locked(caplog.records), locked(caplog.records)
        for user_id in newcomers:
            text = api.bot_messages(user_id)[0]["text"]  # (the announcement may follow)
            assert text.startswith("🔔") and ("Sos" in text or "Сос" in text), text
        async with running.application.bot_data.db() as session:
            followers = await session.scalar(
                select(func.count())
                .select_from(Subscription)
                .where(Subscription.user_id >= 200_000)
            )
            unsent = await session.scalar(
                select(func.count()).select_from(Delivery).where(Delivery.status != "sent")
            )
        async with running.application.bot_data.engine.connect() as connection:
            journal = await connection.exec_driver_sql("PRAGMA journal_mode")
            busy = await connection.exec_driver_sql("PRAGMA busy_timeout")
            assert (journal.scalar(), busy.scalar()) == ("wal", SQLITE_BUSY_TIMEOUT_MS)
        assert followers == NEWCOMERS
        assert unsent == 0
