"""Two real delivery worker processes (`python -m bot.delivery --drain`) drain one outbox of
1,000 rows on PostgreSQL against the fake Bot API: rows are claimed with FOR UPDATE SKIP
LOCKED, so each chat receives exactly one message and both processes did part of the work."""

from __future__ import annotations

import asyncio
import os
import sys
from collections import Counter

import pytest

from bot.fake_api import FakeBotAPI, FakeBotServer
from db import broadcasts, outbox
from tests.conftest import Clock
from tests.test_broadcast import add_users, database

USERS = range(50_001, 51_001)


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_two_processes_drain_one_outbox_exactly_once(database_url, tmp_path):
    api = FakeBotAPI()
    await add_users(database_url, api, USERS, languages=("en",))
    async with database(database_url) as session:
        await outbox.add_notice(
            session,
            key="broadcast:workers",
            kind=broadcasts.BROADCAST,
            now=Clock()(),
            recipients=broadcasts.recipients("all"),
            payload={"text": "one each"},
        )
        await session.commit()
    async with FakeBotServer(api) as server_url:
        environment = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
        environment |= {
            "TELEGRAM_BOT_TOKEN": api.token,
            "TELEGRAM_API_URL": server_url,
            "DATABASE_URL": database_url,
            "BROADCAST_RATE": "150",
        }
        workers = [
            await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot.delivery",
                "--drain",
                cwd=tmp_path,
                env=environment,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.DEVNULL,
            )
            for _ in range(2)
        ]
        outputs = await asyncio.wait_for(asyncio.gather(*(w.communicate() for w in workers)), 120)
    assert [w.returncode for w in workers] == [0, 0]
    drained = [int(out.decode().split()[-1]) for out, _err in outputs]
    sent = Counter(c.params["chat_id"] for c in api.calls_to("sendMessage") if c.status == 200)
    assert set(sent) == set(USERS) and set(sent.values()) == {1}
    assert sum(drained) == len(USERS)
    assert all(n > 0 for n in drained), drained  # both processes claimed rows
