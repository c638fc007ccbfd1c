"""SIGTERM during a broadcast: `returnbot run` stops cleanly mid-way, and a restart sends the
rest — every recipient gets the message exactly once."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
from collections import Counter
from pathlib import Path

from sqlalchemy import func, insert, select

from bot.chat.api import FakeBotAPI
from bot.chat.transports import FakeBotServer
from db.models import Delivery, Subscription, User
from db.session import create_engine, create_sessionmaker
from tests.conftest import button, start_returnbot, urgent_if_quiet

ADMIN = 9101
RECIPIENTS = range(300_000, 300_120)


async def seed(url: str) -> None:
    engine = create_engine(url)
    async with create_sessionmaker(engine)() as session:
        await session.execute(
            insert(User), [{"id": i, "chat_id": i, "language": "en"} for i in RECIPIENTS]
        )
        await session.execute(
            insert(Subscription), [{"user_id": i, "scope": "all"} for i in RECIPIENTS]
        )
        await session.commit()
    await engine.dispose()


async def statuses(url: str) -> dict[str, int]:
    engine = create_engine(url)
    async with create_sessionmaker(engine)() as session:
        rows = await session.execute(
            select(Delivery.status, func.count()).group_by(Delivery.status)
        )
        result = {status: n for status, n in rows}
    await engine.dispose()
    return result


async def start(environment: dict[str, str], cwd: Path) -> asyncio.subprocess.Process:
    return await start_returnbot("run", cwd=cwd, env=environment, output=asyncio.subprocess.PIPE)


async def stop(process: asyncio.subprocess.Process) -> str:
    process.send_signal(signal.SIGTERM)
    output, _ = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, output.decode()[-3000:]
    return output.decode()


def delivered(api: FakeBotAPI) -> Counter[int]:
    return Counter(
        c.params["chat_id"]
        for c in api.calls_to("sendMessage")
        if c.status == 200
        and "Road to Sos is open" in str(c.params.get("text"))
        and c.params["chat_id"] in RECIPIENTS
    )


async def test_sigterm_during_a_broadcast_stops_cleanly_and_a_restart_finishes_it(
    sqlite_template: Path, tmp_path: Path
):
    database = tmp_path / "returnbot.db"
    shutil.copy(sqlite_template, database)
    url = f"sqlite+aiosqlite:///{database}"
    await seed(url)
    api = FakeBotAPI()
    for chat_id in RECIPIENTS:
        api.add_chat(chat_id)
    async with FakeBotServer(api) as server_url:
        environment = dict(os.environ)
        environment |= {
            "TELEGRAM_BOT_TOKEN": api.token,
            "TELEGRAM_API_URL": server_url,
            "DATABASE_URL": url,
            "ADMIN_IDS": str(ADMIN),
            "BROADCAST_RATE": "10",
        }
        environment.pop("WEBHOOK_URL", None)
        process = await start(environment, tmp_path)
        try:
            await api.wait_for(lambda: api.polling, timeout=60)
            api.send_text("/broadcast all Road to Sos is open", user_id=ADMIN)
            await api.wait_for(lambda: api.last_message(ADMIN), timeout=30)
            preview = await urgent_if_quiet(api, api.last_message(ADMIN), ADMIN)
            api.press(preview, button(preview, "✅")["callback_data"], user_id=ADMIN)
            await api.wait_for(lambda: len(delivered(api)) >= 15, timeout=60)
        finally:
            await stop(process)
        first = delivered(api)
        assert 15 <= len(first) < len(RECIPIENTS)  # stopped in the middle
        left = await statuses(url)
        assert left.get("sending", 0) == 0, left  # nothing left claimed: parked as pending
        assert left.get("pending", 0) > 0, left

        process = await start(environment, tmp_path)
        try:
            await api.wait_for(lambda: len(delivered(api)) == len(RECIPIENTS), timeout=90)
            await api.wait_idle(quiet=0.5, timeout=30)
        finally:
            await stop(process)
    assert delivered(api) == Counter(RECIPIENTS)  # each exactly once, across the restart
    assert set(await statuses(url)) == {"sent"}  # (the admin, a user too, got it as well)
