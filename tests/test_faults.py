"""Faults: a locked or unreachable database, a Bot API answering 5xx or too slowly, and an
unexpected error in a handler. The user always hears something in their language, the bot
keeps working once the fault is gone, and admins who opted in get one short report per kind
of error."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import aiosqlite
import asyncpg
import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url
from telegram import Update
from telegram.ext import CommandHandler

import bot.places
import bot.transport.retry
import db.session
import handlers.errors
from bot.chat.api import FakeBotAPI
from db.models import AuditEntry, ErrorWatcher, Subscription
from tests.conftest import Clock, RunningBot, serve_bot

UNAVAILABLE = {
    "en": "briefly unavailable",
    "ru": "временно недоступен",
    "az": "müvəqqəti əlçatan deyiləm",
}
GENERIC = ("Something went wrong", "Что-то пошло не так", "xəta baş verdi")


@pytest.fixture
def fast_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bot.transport.retry, "BACKOFF", 0.05)


# ---------------------------------------------------------------- the database


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_locked_sqlite_asks_to_try_again_and_recovers(
    database_url: str, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(db.session, "SQLITE_BUSY_TIMEOUT_MS", 300)
    async with serve_bot(FakeBotAPI(), database_url, Clock()) as running:
        chat = running.chat(6001, "ru")
        await chat.say("/start")
        path = make_url(database_url).database
        async with aiosqlite.connect(path) as holder:  # another process's long write
            await holder.execute("BEGIN EXCLUSIVE")
            reply = await chat.say("/subscribe Sos")
            await holder.rollback()
        assert UNAVAILABLE["ru"] in reply["text"]
        assert not any(word in reply["text"] for word in GENERIC)
        reply = await chat.say("/subscribe Sos")
        assert "Сос" in reply["text"] and UNAVAILABLE["ru"] not in reply["text"]
        async with running.application.bot_data.db() as session:
            assert await session.scalar(select(Subscription).where(Subscription.user_id == 6001))


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_newcomer_during_a_lock_gets_one_reply_not_two(
    database_url: str, monkeypatch: pytest.MonkeyPatch
):
    """Registering the sender fails first: that one "try again" is the whole answer."""
    monkeypatch.setattr(db.session, "SQLITE_BUSY_TIMEOUT_MS", 300)
    api = FakeBotAPI()
    async with serve_bot(api, database_url, Clock()) as running:
        chat = running.chat(6002, "ru")
        path = make_url(database_url).database
        async with aiosqlite.connect(path) as holder:
            await holder.execute("BEGIN EXCLUSIVE")
            mark = len(api.calls)
            reply = await chat.say("Sos")
            await holder.rollback()
        sent = [c for c in api.calls[mark:] if c.method == "sendMessage"]
        assert len(sent) == 1 and UNAVAILABLE["ru"] in reply["text"]
        reply = await chat.say("Sos")
        assert "Сос" in reply["text"]


class Proxy:
    """A TCP proxy in front of PostgreSQL that can go down (refusing and cutting connections)
    and come back on the same port."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.port = 0
        self.server: asyncio.Server | None = None
        self.writers: set[asyncio.StreamWriter] = set()

    async def up(self) -> None:
        self.server = await asyncio.start_server(self._connect, "127.0.0.1", self.port)
        self.port = self.server.sockets[0].getsockname()[1]

    async def down(self) -> None:
        self.server.close()
        for writer in list(self.writers):
            writer.transport.abort()
        await self.server.wait_closed()

    async def _connect(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.transport.abort()
            return
        self.writers |= {writer, upstream_writer}
        await asyncio.gather(
            self._pipe(reader, upstream_writer), self._pipe(upstream_reader, writer)
        )

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            self.writers.discard(writer)
            writer.transport.abort()


@pytest.fixture
async def proxy(database_url: str) -> AsyncIterator[Proxy]:
    url = make_url(database_url)
    proxy = Proxy(url.host, url.port)
    await proxy.up()
    yield proxy
    with contextlib.suppress(Exception):
        await proxy.down()


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_unreachable_postgres_asks_to_try_again_and_recovers(database_url: str, proxy: Proxy):
    """Lookups keep being answered from the in-memory place data (bot.places); what needs
    the database gets "try again"; all works again once the database is back."""
    url = make_url(database_url).set(port=proxy.port).render_as_string(hide_password=False)
    async with serve_bot(FakeBotAPI(), url, Clock()) as running:
        chat = running.chat(6101, "az")
        assert "Sos" in (await chat.say("Sos"))["text"]
        await proxy.down()
        await asyncio.sleep(bot.places.MAX_AGE)  # the copy is due for a check, which fails
        reply = await chat.say("Sos")
        assert reply["text"].startswith("🏘 Sos")
        reply = await chat.say("/subscribe Sos")
        assert UNAVAILABLE["az"] in reply["text"]
        await proxy.up()
        reply = await chat.say("/subscribe Sos")
        assert "Sos" in reply["text"] and UNAVAILABLE["az"] not in reply["text"]
        reply = await chat.say("Sos")
        assert reply["text"].startswith("🏘 Sos")


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_terminated_postgres_connections_are_replaced_unnoticed(running_bot: RunningBot):
    chat = running_bot.chat(6201, "en")
    assert (await chat.say("Sos"))["text"].startswith("🏘 Sos")
    url = make_url(running_bot.settings.database_url)
    admin = await asyncpg.connect(host=url.host, port=url.port, user=url.username)
    terminated = await admin.fetchval(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
        "WHERE datname = $1 AND pid <> pg_backend_pid()",
        url.database,
    )
    await admin.close()
    assert terminated >= 1
    reply = await chat.say("Sos")
    assert reply["text"].startswith("🏘 Sos")


# ---------------------------------------------------------------- the Bot API


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_bot_api_5xx_is_retried_and_the_answer_arrives(
    running_bot: RunningBot, fast_retries: None
):
    api = running_bot.api
    api.fail_next("sendMessage", 502, count=2)
    reply = await running_bot.chat(6301, "en").say("Sos")
    assert reply["text"].startswith("🏘 Sos")
    assert api.injected == [("sendMessage", "HTTP 502")] * 2
    assert [c.status for c in api.calls_to("sendMessage")][-3:] == [502, 502, 200]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_bot_api_failing_on_is_tried_a_bounded_number_of_times(
    running_bot: RunningBot, fast_retries: None
):
    api = running_bot.api
    api.fail_next("sendMessage", 500, count=100)
    api.send_text("Sos", user_id=6401)
    # the card: ATTEMPTS tries; telling the user about the error: ATTEMPTS more; then quiet
    await api.wait_for(lambda: len(api.calls_to("sendMessage")) >= 2 * bot.transport.retry.ATTEMPTS)
    await api.wait_idle(quiet=0.5, timeout=15)
    assert [c.status for c in api.calls_to("sendMessage")] == [
        500
    ] * 2 * bot.transport.retry.ATTEMPTS
    api._faults.clear()  # Telegram is back
    reply = await running_bot.chat(6401, "en").say("Sos")
    assert reply["text"].startswith("🏘 Sos")


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_a_bot_api_timeout_is_retried_once_without_a_duplicate(
    running_bot: RunningBot, fast_retries: None, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(bot.transport.retry, "READ_TIMEOUT", 0.5)
    api = running_bot.api
    api.delay_next("sendMessage", 3.0)
    reply = await running_bot.chat(6501, "en").say("Sos")
    assert reply["text"].startswith("🏘 Sos")
    assert api.injected == [("sendMessage", "delay")]
    # the slow call was abandoned by the client and never carried out: one card, not two
    assert len(api.bot_messages(6501)) == 1


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_polling_survives_get_updates_5xx(running_bot: RunningBot):
    api = running_bot.api
    chat = running_bot.chat(6601, "en")
    api.fail_next("getUpdates", 502, count=2)
    await chat.say("Sos")  # the long poll waiting now returns this; the next two fail
    await api.wait_for(lambda: len(api.injected) == 2, timeout=15)
    reply = await chat.say("Şuşakənd")
    assert reply["text"].startswith("🏘 Shushakend")


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_replies_over_the_flood_limit_wait_their_turn_and_arrive(database_url: str):
    """Telegram answers 429 `retry_after` past about 30 messages a second: a burst of
    questions is answered a little late, not never, and never with the error message."""
    api = FakeBotAPI(global_rate=5)
    users = range(6801, 6816)
    async with serve_bot(api, database_url, Clock()):
        for user in users:
            api.send_text("Sos", user_id=user)
        await api.wait_for(lambda: all(api.bot_messages(u) for u in users), timeout=20)
        await api.wait_idle(quiet=0.3, timeout=10)
    assert any(c.status == 429 for c in api.calls_to("sendMessage"))
    for user in users:
        [card] = api.bot_messages(user)
        assert card["text"].startswith("🏘 Sos")


# ---------------------------------------------------------------- error reports


async def fail(update: Update, context: object) -> None:
    """A test-only handler: /boom divides by zero, /bang raises with the user's words."""
    if update.effective_message.text.startswith("/bang"):
        raise ValueError(f"<b>{update.effective_message.text}</b>")
    _ = 1 / 0


async def reported(api: FakeBotAPI, n: int) -> None:
    """Until the admin (777) has `n` error reports, beyond the two /errors replies."""
    with contextlib.suppress(TimeoutError):  # the count is asserted by the caller
        await api.wait_for(lambda: len(api.bot_messages(777)) >= 2 + n, timeout=5)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_error_reports_reach_opted_in_admins_once_a_minute_per_kind(
    database_url: str, monkeypatch: pytest.MonkeyPatch
):
    async with serve_bot(FakeBotAPI(), database_url, Clock(), ADMIN_IDS="777") as running:
        running.application.handlers[0].insert(0, CommandHandler(["boom", "bang"], fail))
        api = running.api
        admin = running.chat(777, "en")
        user = running.chat(6701, "ru")
        user.api.users.setdefault(6701, {"id": 6701, "is_bot": False, "first_name": "Aysel"})
        reply = await running.chat(6702, "en").say("/errors on")  # not an admin
        assert "only for admins" in reply["text"]
        assert "off for you" in (await admin.say("/errors"))["text"]
        assert "Error reports are on" in (await admin.say("/errors on"))["text"]
        async with running.application.bot_data.db() as session:
            assert (await session.scalars(select(ErrorWatcher.user_id))).all() == [777]

        reply = await user.say("/boom")
        assert "Что-то пошло не так" in reply["text"]
        await reported(api, 1)  # the report may follow the user's reply
        reports = api.bot_messages(777)[2:]
        assert len(reports) == 1
        report = reports[0]["text"]
        for fragment in ("ZeroDivisionError", "test_faults.py", "in fail", "message /boom"):
            assert fragment in report, report
        assert "6701" not in report and "Aysel" not in report

        for _ in range(4):  # a storm of the same error: no more reports this minute
            await user.say("/boom now")
        assert len(api.bot_messages(777)) == 3
        await user.say("/bang my secret words")  # another kind: reported, escaped, no words
        await reported(api, 2)
        reports = api.bot_messages(777)[2:]
        assert len(reports) == 2 and "ValueError" in reports[1]["text"]
        assert "secret" not in reports[1]["text"]
        assert "<code>" in str(api.calls_to("sendMessage")[-1].params["text"])

        monkeypatch.setattr(handlers.errors, "REPORT_INTERVAL", 0.0)  # a minute later
        await user.say("/boom")
        await reported(api, 3)
        reports = api.bot_messages(777)[2:]
        assert len(reports) == 3 and "4 more errors of this kind" in reports[2]["text"]

        assert "Error reports are off" in (await admin.say("/errors off"))["text"]
        seen = len(api.bot_messages(777))
        await user.say("/bang")
        assert len(api.bot_messages(777)) == seen
        async with running.application.bot_data.db() as session:
            actions = (await session.scalars(select(AuditEntry.action))).all()
            assert actions == ["errors.on", "errors.off"]
            assert not (await session.scalars(select(ErrorWatcher))).all()
