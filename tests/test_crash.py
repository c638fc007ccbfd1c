"""A real `returnbot run` process, polling the fake Bot API over HTTP, killed with SIGKILL in
the middle of a broadcast and started again: nobody is lost, and at most the sends the worker
had started and not yet recorded (CONCURRENCY) are repeated — the deliveries it had claimed
but not started come back when their lease runs out, and are sent once."""

from __future__ import annotations

import asyncio
import os
import shutil
from collections import Counter
from pathlib import Path

from bot.chat.api import FakeBotAPI
from bot.chat.transports import FakeBotServer
from bot.delivery.worker import CONCURRENCY
from tests.conftest import start_returnbot, urgent_if_quiet
from tests.test_broadcast import ADMIN, add_users, broadcast_status, button, wait_until

USERS = range(40_001, 40_201)
TEXT = "Crash news"


async def start(environment: dict[str, str], cwd: Path) -> asyncio.subprocess.Process:
    return await start_returnbot("run", cwd=cwd, env=environment, output=asyncio.subprocess.DEVNULL)


def received(api: FakeBotAPI) -> Counter[int]:
    """Messages of the broadcast per chat, as the Bot API accepted them."""
    return Counter(
        c.params["chat_id"]
        for c in api.calls_to("sendMessage")
        if c.status == 200 and c.params.get("text") == TEXT
    )


async def test_sigkill_mid_broadcast_loses_nobody(tmp_path, sqlite_template):
    database = tmp_path / "returnbot.db"
    shutil.copy(sqlite_template, database)
    url = f"sqlite+aiosqlite:///{database}"
    api = FakeBotAPI()
    await add_users(url, api, USERS)
    async with FakeBotServer(api) as server_url:
        environment = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
        environment |= {
            "TELEGRAM_BOT_TOKEN": api.token,
            "TELEGRAM_API_URL": server_url,
            "DATABASE_URL": url,
            "ADMIN_IDS": str(ADMIN),
            "BROADCAST_RATE": "60",
            "DELIVERY_LEASE_SECONDS": "2",
        }
        first = await start(environment, tmp_path)
        try:
            await api.wait_for(lambda: api.polling, timeout=60)
            api.send_text(f"/broadcast all {TEXT}", user_id=ADMIN)
            await api.wait_for(lambda: "✅" in str(api.last_message(ADMIN)), timeout=30)
            preview = await urgent_if_quiet(api, api.last_message(ADMIN), ADMIN)
            api.press(preview, button(preview, "✅")["callback_data"], user_id=ADMIN)
            await api.wait_for(lambda: sum(received(api).values()) >= 40, timeout=60)
        finally:
            first.kill()  # SIGKILL: no clean-up of any kind
            await first.wait()
        at_kill = sum(received(api).values())
        assert at_kill < len(USERS) + 1, "the broadcast was over before the kill"

        second = await start(environment, tmp_path)
        try:

            async def done() -> bool:
                return await broadcast_status(url) == "done"

            await wait_until(done, timeout=90)
            await api.wait_idle(quiet=0.5, timeout=30)
        finally:
            second.terminate()
            await asyncio.wait_for(second.wait(), 30)

    counts = received(api)
    assert set(counts) == {*USERS, ADMIN}  # 0 lost
    duplicates = sum(counts.values()) - len(counts)
    assert duplicates <= CONCURRENCY
    assert sum(counts.values()) > at_kill  # the second process finished the job
    report = [m for m in api.bot_messages(ADMIN) if m["message_id"] == preview["message_id"]]
    assert "Delivered: 201 · Blocked: 0 · Failed: 0" in report[0]["text"]
