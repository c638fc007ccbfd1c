"""Paid broadcasts: the fake Bot API's ceilings (30/s free, 1,000/s with
allow_paid_broadcast, Stars charged and refused when they run out, a flag that is not a
boolean refused), the preview's cost in az and ru, a broadcast sent far above 30/s with the
flag and nothing else paid, and the benchmark at a reduced size."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.chat.api import FakeBotAPI
from bot.domain.versions import paid_stars
from tests.conftest import Clock, serve_bot
from tests.test_broadcast import ADMIN, RU_ADMIN, add_users, finished, sends, texts_to

ROOT = Path(__file__).resolve().parent.parent


async def burst(api: FakeBotAPI, chats: range, **extra: object) -> list[int]:
    """One sendMessage to each chat as fast as possible; the HTTP statuses."""
    statuses = []
    for chat in chats:
        status, _body = await api.handle(
            api.token, "sendMessage", {"chat_id": chat, "text": "hi", **extra}
        )
        statuses.append(status)
    return statuses


def known(api: FakeBotAPI, chats: range) -> range:
    for chat in chats:
        api.add_chat(chat)
    return chats


# ------------------------------------------------------------------ the fake API


async def test_free_sends_stop_at_30_a_second_and_paid_ones_at_1000():
    api = FakeBotAPI(global_rate=30)
    free = await burst(api, known(api, range(1, 41)))
    assert free.count(200) == 30 and free[30:] == [429] * 10
    began = time.monotonic()
    paid = await burst(api, known(api, range(1001, 2101)), allow_paid_broadcast=True)
    if time.monotonic() - began < 1.0:  # all within the second: exactly the ceiling passed
        assert paid.count(200) == 1000 and paid[1000:] == [429] * 100
    assert 200 in paid and paid.count(200) <= 1000 + 1000 * (time.monotonic() - began)
    refused = [c for c in api.calls if c.status == 429]
    assert all(c.params.get("allow_paid_broadcast") in (None, True) for c in refused)


async def test_paid_sends_cost_stars_above_the_free_30_and_stop_when_they_run_out():
    api = FakeBotAPI(stars=1.0)
    statuses = await burst(api, known(api, range(1, 51)), allow_paid_broadcast=True)
    # the first 30 of the second are free; 10 more cost the 1.0 Star; then refused
    assert statuses[:40] == [200] * 40 and set(statuses[40:]) == {400}
    assert api.stars == 0.0 and api.stars_spent == 1.0
    params = {"chat_id": 1, "text": "hi", "allow_paid_broadcast": True}
    status, body = await api.handle(api.token, "sendMessage", params)
    assert status == 400 and "not enough Stars" in body["description"]
    status, _body = await api.handle(api.token, "sendMessage", {"chat_id": 1, "text": "free"})
    assert status == 200  # a send without the flag costs nothing


async def test_a_flag_that_is_not_a_boolean_is_refused():
    api = FakeBotAPI()
    api.add_chat(5)
    status, body = await api.handle(
        api.token, "sendMessage", {"chat_id": 5, "text": "hi", "allow_paid_broadcast": "yes"}
    )
    assert status == 400 and "allow_paid_broadcast" in body["description"]


def test_stars_estimate():
    assert paid_stars(20_000, 950) == 1937  # 0.1 × 20,000 × (1 − 30/950), rounded up
    assert paid_stars(20_000, 30) == 0 and paid_stars(0, 950) == 0
    assert paid_stars(100, 5000) == paid_stars(100, 1000) == 10  # 1,000/s at most


# ------------------------------------------------------------------ end to end


@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
async def test_a_paid_broadcast_goes_far_above_30_a_second_and_says_what_it_costs(
    database_url: str,
):
    api = FakeBotAPI(global_rate=30, per_chat_rate=1)
    users = range(41_001, 41_601)
    async with serve_bot(
        api,
        database_url,
        Clock(),
        ADMIN_IDS=f"{ADMIN},{RU_ADMIN}",
        BROADCAST_RATE="900",
        PAID_BROADCAST="1",
    ) as bot:
        await add_users(database_url, api, users, follow="sos")
        ru = bot.chat(RU_ADMIN, "ru")
        shown = await ru.say("/broadcast Sos Караван в 9:00")
        stars = paid_stars(600, 900)
        assert f"Платная рассылка, до 900 сообщений/с: около {stars} звёзд" in shown["text"]
        az = await bot.chat(ADMIN, "az").say("/broadcast Sos Karvan saat 9:00-da")
        assert (
            f"Ödənişli göndəriş, saniyədə 900 mesaja qədər: botun balansından təxminən {stars} Star"
            in az["text"]
        )
        await bot.chat(ADMIN, "az").press(az, "İmtina")
        await ru.press(shown, "✅")
        await finished(database_url)
        await api.wait_idle(quiet=0.5, timeout=30)
    delivered = [c for c in sends(api) if c.params["chat_id"] in users]
    assert len(delivered) == 600
    assert all(c.params.get("allow_paid_broadcast") is True for c in delivered)
    others = [c for c in sends(api) if c.params["chat_id"] not in users]
    assert others and all("allow_paid_broadcast" not in c.params for c in others)  # previews
    first = min(c.at for c in delivered)
    span = max(c.at for c in delivered) - first
    assert span < 600 / 60  # at least twice the free 30/s, whatever the machine's load
    assert [c for c in api.calls if c.status == 429 and c.at > first + 1.0] == []
    assert 0 < api.stars_spent <= stars
    assert all(texts_to(api, chat, "Караван") == ["Караван в 9:00"] for chat in users)


# ------------------------------------------------------------------ the benchmark


def test_the_paid_benchmark_runs_at_a_reduced_size():
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE_"))}
    done = subprocess.run(
        [sys.executable, "-m", "bench.paid_broadcast", "--recipients", "1500", "--timeout", "60"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "one process, SQLite paid ratio" in done.stdout
    assert "two replicas, PostgreSQL" in done.stdout
    assert "1500 of 1500 sent (1500 paid)" in done.stdout
    assert "0 after the first second" in done.stdout
