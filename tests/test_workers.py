"""Two real delivery worker processes (`python -m bot.delivery --drain`) drain one outbox of
1,000 rows on PostgreSQL against the fake Bot API: rows are claimed with FOR UPDATE SKIP
LOCKED, so each chat receives exactly one message and both processes did part of the work;
and with several notices per chat, the two processes together still keep each chat's
messages at least a second apart (the claim skips chats busy or served in the last second)."""

from __future__ import annotations

import asyncio
import os
import sys
from collections import Counter
from itertools import pairwise

import pytest
from sqlalchemy import select, text

from bot.chat.api import FakeBotAPI
from bot.chat.transports import FakeBotServer
from db import broadcasts, models, outbox
from tests.conftest import Clock
from tests.test_broadcast import add_users, database

USERS = range(50_001, 51_001)
CHATS = range(60_001, 60_201)
NOTICES = 3


async def run_workers(api: FakeBotAPI, database_url: str, tmp_path, rate: str) -> list[int]:
    """Two `python -m bot.delivery --drain` processes against the fake API until both end;
    how many each sent."""
    async with FakeBotServer(api) as server_url:
        environment = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
        environment |= {
            "TELEGRAM_BOT_TOKEN": api.token,
            "TELEGRAM_API_URL": server_url,
            "DATABASE_URL": database_url,
            "BROADCAST_RATE": rate,
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
    return [int(out.decode().split()[-1]) for out, _err in outputs]


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_two_processes_keep_each_chat_a_second_apart(database_url, tmp_path):
    api = FakeBotAPI(per_chat_rate=1)
    await add_users(database_url, api, CHATS, languages=("en",))
    async with database(database_url) as session:
        for n in range(NOTICES):
            await outbox.add_notice(
                session,
                key=f"broadcast:spacing:{n}",
                kind=broadcasts.BROADCAST,
                now=Clock()(),
                recipients=broadcasts.recipients("all"),
                payload={"text": f"notice {n}"},
            )
        # claimed chat by chat (a chat's three rows in a row), so that batches of the two
        # processes meet in the middle of a chat
        await session.execute(
            text("UPDATE deliveries SET not_before = not_before - make_interval(secs => chat_id)")
        )
        await session.commit()
    drained = await run_workers(api, database_url, tmp_path, "200")
    sends = [c for c in api.calls_to("sendMessage") if c.status == 200]
    pairs = Counter((c.params["chat_id"], c.params["text"]) for c in sends)
    assert len(pairs) == len(CHATS) * NOTICES and set(pairs.values()) == {1}
    assert sum(drained) == len(CHATS) * NOTICES
    assert all(n > 0 for n in drained), drained  # both processes sent to the same chats
    assert api.chat_throttled == []
    times: dict[int, list[float]] = {}
    for call in sends:
        times.setdefault(call.params["chat_id"], []).append(call.at)
    gaps = [b - a for at in times.values() for a, b in pairwise(sorted(at))]
    assert min(gaps) >= 0.95, sorted(gaps)[:5]
    async with database(database_url) as session:
        statuses = Counter(await session.scalars(select(models.Delivery.status)))
    assert statuses == {outbox.SENT: len(CHATS) * NOTICES}


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
    drained = await run_workers(api, database_url, tmp_path, "150")
    sent = Counter(c.params["chat_id"] for c in api.calls_to("sendMessage") if c.status == 200)
    assert set(sent) == set(USERS) and set(sent.values()) == {1}
    assert sum(drained) == len(USERS)
    assert all(n > 0 for n in drained), drained  # both processes claimed rows
