"""Webhook mode end to end: real HTTP posts to the running server (bot.web), the real
Application behind it, its Bot API requests going to the fake Bot API; SQLite and PostgreSQL.

Updates are made by the fake API (`send_text` registers the chat and returns the update as
Telegram would send it) and POSTed here the way Telegram would. "Nothing else was handled" is
checked with a later update of the same chat: one chat's updates are handled in arrival
order, so once the later one is answered, anything posted before it was handled too.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import gc
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from telegram.error import Forbidden, RetryAfter

from bot import web
from bot.app import build_application, started
from bot.chat.api import FakeBotAPI
from bot.chat.transports import FakeBotServer
from bot.config import load_settings
from db import outbox, runtime
from db.models import Caravan, Delivery, Notice, ProcessedUpdate, Settlement
from db.session import create_engine, create_sessionmaker
from tests.conftest import PG_HOST, PG_PORT, PG_USER, Clock

WEBHOOK_URL = "https://bot.example.org/telegram/updates"
SECRET = "Secret_token-42"
SOS_CARD = "Homes planned: <b>259</b>"


@dataclass
class Replica:
    """One `returnbot run` in webhook mode, in process: the Application and its server."""

    api: FakeBotAPI
    application: Any
    server: web.WebhookServer
    http: aiohttp.ClientSession

    @property
    def state(self) -> Any:
        return self.application.bot_data

    async def post(self, payload: Any, secret: str | None = SECRET) -> int:
        """POST an update (a dict, or raw bytes) as Telegram would; returns the status."""
        headers = {"Content-Type": "application/json"}
        if secret is not None:
            headers[web.SECRET_HEADER] = secret
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        async with self.http.post(
            self.server.url + self.server.path, data=body, headers=headers
        ) as r:
            return r.status

    async def get(self, path: str) -> tuple[int, str]:
        async with self.http.get(self.server.url + path) as response:
            return response.status, await response.text()

    async def metric(self, name: str, **labels: str) -> float:
        status, text = await self.get("/metrics")
        assert status == 200
        return sample(text, name, **labels)


def sample(text: str, name: str, **labels: str) -> float:
    """The value of one sample of a Prometheus text exposition (0 when absent)."""
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()):
                return s.value
    return 0.0


def replies(api: FakeBotAPI, chat_id: int) -> list[str]:
    """Texts of the messages the bot sent to the chat, in order."""
    return [
        c.params["text"]
        for c in api.calls_to("sendMessage")
        if c.status == 200 and c.params.get("chat_id") == chat_id
    ]


async def wait_replies(api: FakeBotAPI, chat_id: int, count: int) -> list[str]:
    await api.wait_for(lambda: len(replies(api, chat_id)) >= count, timeout=20)
    return replies(api, chat_id)


@asynccontextmanager
async def replica(
    api: FakeBotAPI, api_url: str, database_url: str, clock: Clock, http: aiohttp.ClientSession
) -> AsyncIterator[Replica]:
    """Start one replica as `returnbot run` would with WEBHOOK_URL set (bot.web.serve), on a
    free port of 127.0.0.1."""
    settings = load_settings(
        TELEGRAM_BOT_TOKEN=api.token,
        TELEGRAM_API_URL=api_url,
        DATABASE_URL=database_url,
        DEFAULT_LANGUAGE="en",
        BROADCAST_RATE=1000,
        WEBHOOK_URL=WEBHOOK_URL,
        WEBHOOK_SECRET=SECRET,
        LISTEN="127.0.0.1:0",
    )
    application = build_application(settings, clock=clock)
    async with (
        started(application, poll=False),
        web.WebhookServer.from_settings(application, settings) as server,
    ):
        await server.set_webhook(WEBHOOK_URL)
        yield Replica(api, application, server, http)


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
async def hook(
    database_url: str, clock: Clock, http: aiohttp.ClientSession
) -> AsyncIterator[Replica]:
    api = FakeBotAPI()
    async with FakeBotServer(api) as api_url, replica(api, api_url, database_url, clock, http) as r:
        yield r


async def test_set_webhook_is_called_with_url_secret_and_all_update_types(hook: Replica):
    assert hook.api.webhook == {"url": WEBHOOK_URL, "secret_token": SECRET}
    (call,) = hook.api.calls_to("setWebhook")
    assert {"message", "callback_query", "my_chat_member"} <= set(call.params["allowed_updates"])
    assert hook.server.path == "/telegram/updates"


async def test_wrong_or_missing_secret_gets_403_and_nothing_is_handled(hook: Replica):
    update = hook.api.send_text("/schedule Sos", user_id=5001)
    assert await hook.post(update, secret=None) == 403
    assert await hook.post(update, secret="wrong") == 403
    assert await hook.post(update, secret=SECRET + "x") == 403
    assert await hook.post(update, secret="") == 403
    assert await hook.post(hook.api.send_text("/help", user_id=5001)) == 200
    (help_text,) = await wait_replies(hook.api, 5001, 1)
    assert SOS_CARD not in help_text  # the refused /schedule was never handled
    assert await hook.metric("returnbot_webhook_requests_total", outcome="forbidden") == 4
    # refusing it did not use its update id up: sent properly, it is handled
    assert await hook.post(update) == 200
    assert SOS_CARD in (await wait_replies(hook.api, 5001, 2))[1]


async def test_the_right_secret_is_handled_and_answered(hook: Replica):
    update = hook.api.send_text("/schedule Sos", user_id=5002, language_code="ru")
    assert await hook.post(update) == 200
    (text,) = await wait_replies(hook.api, 5002, 1)
    assert "Домов запланировано: <b>259</b>" in text


async def test_the_same_update_delivered_again_is_handled_once(hook: Replica):
    update = hook.api.send_text("/schedule Sos", user_id=5003)
    statuses = await asyncio.gather(*(hook.post(update) for _ in range(5)))
    assert statuses == [200] * 5  # a duplicate is answered 200, or Telegram would retry it
    assert await hook.post(update) == 200  # redelivered later, e.g. after a timeout
    assert await hook.post(hook.api.send_text("/help", user_id=5003)) == 200
    texts = await wait_replies(hook.api, 5003, 2)
    assert [SOS_CARD in t for t in texts] == [True, False]
    assert await hook.metric("returnbot_webhook_requests_total", outcome="duplicate") == 5


async def test_a_body_that_is_not_an_update_gets_400(hook: Replica):
    bad = [b"{not json", b"[]", b'{"message": {}}', b'{"update_id": "7"}', b'{"update_id": true}']
    for body in bad:
        assert await hook.post(body) == 400, body
    assert await hook.metric("returnbot_webhook_requests_total", outcome="malformed") == len(bad)
    assert await hook.metric("returnbot_updates_handled_total", type="message") == 0


async def test_healthz_and_metrics_after_traffic(hook: Replica):
    assert await hook.get("/healthz") == (200, "ok")
    assert await hook.post(hook.api.send_text("/schedule Sos", user_id=5004)) == 200
    await wait_replies(hook.api, 5004, 1)
    # a 429 and a 403, through the same request layer the handlers and deliveries use
    hook.api.per_chat_rate = 0.01  # one message per 100 s and chat
    hook.api.add_chat(5005)
    await hook.application.bot.send_message(5005, "first")
    with pytest.raises(RetryAfter):
        await hook.application.bot.send_message(5005, "second")
    hook.api.add_chat(5006)
    hook.api.block(5006)
    with pytest.raises(Forbidden):
        await hook.application.bot.send_message(5006, "blocked")

    status, text = await hook.get("/metrics")
    assert status == 200
    assert sample(text, "returnbot_updates_handled_total", type="message") == 1
    assert sample(text, "returnbot_handler_seconds_count", handler="schedule.schedule") == 1
    assert sample(text, "returnbot_handler_seconds_sum", handler="schedule.schedule") > 0
    assert sample(text, "returnbot_messages_sent_total", method="sendMessage") == 2
    assert sample(text, "returnbot_messages_throttled_total", method="sendMessage") == 1
    assert sample(text, "returnbot_messages_failed_total", method="sendMessage") == 1
    assert sample(text, "returnbot_webhook_requests_total", outcome="accepted") == 1
    assert sample(text, "returnbot_active_users") == 1  # user 5004, remembered on writing
    assert sample(text, "returnbot_outbox_depth") == 0


async def test_metrics_outbox_depth_counts_waiting_deliveries(hook: Replica, clock: Clock):
    assert await hook.post(hook.api.send_text("/subscribe Sos", user_id=5007)) == 200
    await wait_replies(hook.api, 5007, 1)
    clock.set(2026, 11, 26, 23)  # quiet hours: the announcement waits for 09:00
    async with hook.state.db() as session:
        sos = await session.scalar(select(Settlement).where(Settlement.slug == "sos"))
        session.add(
            Caravan(settlement_id=sos.id, date=dt.date(2026, 12, 24), families=3, source="test")
        )
        await session.commit()
    await hook.state.delivery.scan()  # (or the periodic scan did it already)
    assert await hook.metric("returnbot_outbox_depth") == 1


# Disposing the SQLite engine while a worker still holds a connection leaves that aiosqlite
# connection to the garbage collector; it is collected here, inside this test's filter,
# rather than warning in whichever test runs next.
@pytest.mark.filterwarnings("ignore:.*was deleted before being closed:ResourceWarning")
async def test_healthz_is_503_while_the_database_is_unreachable(hook: Replica, database_url: str):
    assert (await hook.get("/healthz"))[0] == 200
    async with unreachable(hook, database_url):
        status, text = await hook.get("/healthz")
        assert (status, text) == (503, "database unreachable")
    assert (await hook.get("/healthz"))[0] == 200  # and it recovers


@asynccontextmanager
async def unreachable(hook: Replica, database_url: str) -> AsyncIterator[None]:
    """Make the bot's database unreachable for the block: the SQLite file's folder moves
    away; a PostgreSQL database stops taking connections and its sessions are ended."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        folder = Path(url.database).parent
        hidden = folder.with_name(folder.name + "-away")
        folder.rename(hidden)
        await hook.state.engine.dispose()  # pooled connections keep the old file open
        try:
            yield
        finally:
            hidden.rename(folder)
            gc.collect()
        return
    admin = await asyncpg.connect(host=PG_HOST, port=PG_PORT, user=PG_USER, database="postgres")
    name = url.database
    try:
        await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
        await admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1", name
        )
        yield
    finally:
        await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
        await admin.close()


async def test_old_update_ids_are_pruned(hook: Replica, clock: Clock):
    update = hook.api.send_text("/schedule Sos", user_id=5008)
    assert await hook.post(update) == 200
    await wait_replies(hook.api, 5008, 1)
    assert await web.prune(hook.state) == 0  # a fresh id stays
    clock.now += web.KEEP_UPDATE_IDS + dt.timedelta(minutes=1)
    assert await web.prune(hook.state) == 1
    async with hook.state.db() as session:
        assert await session.scalar(select(func.count()).select_from(ProcessedUpdate)) == 0


async def test_two_replicas_on_one_database_handle_an_update_and_tell_a_caravan_once(
    database_url: str, http: aiohttp.ClientSession
):
    """What makes replicas safe: the update id and the notice key are unique in the shared
    database, so whichever replica gets there first is the only one that acts."""
    api = FakeBotAPI()
    clock = Clock()
    async with (
        FakeBotServer(api) as api_url,
        replica(api, api_url, database_url, clock, http) as one,
        replica(api, api_url, database_url, clock, http) as two,
    ):
        assert one.server.port != two.server.port
        update = api.send_text("/subscribe Sos", user_id=5010)
        statuses = await asyncio.gather(*(r.post(update) for r in (one, two, one, two)))
        assert statuses == [200] * 4
        await wait_replies(api, 5010, 1)
        # then one later update through each replica: each handles one chat's updates in
        # order, so a second /subscribe would be answered before these
        assert await one.post(api.send_text("/help", user_id=5010)) == 200
        await wait_replies(api, 5010, 2)
        assert await two.post(api.send_text("/subscriptions", user_id=5010)) == 200
        texts = await wait_replies(api, 5010, 3)
        assert len(texts) == 3 and "Sos" in texts[0] and "Sos" in texts[2]

        async with one.state.db() as session:
            sos = await session.scalar(select(Settlement).where(Settlement.slug == "sos"))
            caravan = Caravan(
                settlement_id=sos.id, date=dt.date(2026, 12, 24), families=3, source="test"
            )
            session.add(caravan)
            await session.commit()
        # both replicas' scans at once, twice (their periodic scans may join in): the
        # caravan's notice is written once, with one delivery, sent once
        written = await asyncio.gather(*(r.state.delivery.scan() for r in (one, two, one, two)))
        assert sum(written) <= 1
        await api.wait_for(lambda: len(replies(api, 5010)) == 4, timeout=20)
        async with create_engine_session(database_url) as session:
            notices = await session.scalar(
                select(func.count()).select_from(Notice).where(Notice.caravan_id == caravan.id)
            )
        deliveries = await wait_sent(database_url)
        assert notices == 1 and deliveries == [outbox.SENT]
        assert "📅" in replies(api, 5010)[3]


async def wait_sent(database_url: str) -> list[str]:
    """Statuses of all deliveries once none is pending or being sent (the reply reaches the
    fake API a moment before the worker records it as sent)."""
    for _ in range(400):
        async with create_engine_session(database_url) as session:
            statuses = list(await session.scalars(select(Delivery.status)))
        if not {outbox.PENDING, outbox.SENDING} & set(statuses):
            return statuses
        await asyncio.sleep(0.05)
    raise AssertionError(f"deliveries still waiting: {statuses}")


@asynccontextmanager
async def create_engine_session(database_url: str) -> AsyncIterator[Any]:
    engine = create_engine(database_url)
    try:
        async with create_sessionmaker(engine)() as session:
            yield session
    finally:
        await engine.dispose()


async def test_claim_update_is_first_come_only(database_url: str):
    engine = create_engine(database_url)
    db = create_sessionmaker(engine)
    now = dt.datetime(2026, 11, 26, tzinfo=dt.UTC)
    try:
        results = await asyncio.gather(*(runtime.claim_update(db, 77, now) for _ in range(4)))
        assert sorted(results) == [False, False, False, True]
        assert await runtime.claim_update(db, 78, now)
    finally:
        await engine.dispose()
