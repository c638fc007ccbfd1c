"""/broadcast and /stats end to end: the real Application against the fake Bot API over HTTP,
and the delivery worker's rules (rates, per-chat spacing, 429, 403, 400, leases).

The sending journeys run on SQLite only (to keep the suite short); what differs by backend —
the SQL of drafts, counts, statistics and claim leases — runs on both, and
tests/test_workers.py drains one outbox with two processes on PostgreSQL."""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import re
import time
from contextlib import asynccontextmanager
from types import SimpleNamespace

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from telegram.error import BadRequest, Forbidden, NetworkError, TimedOut

from bot.chat.api import FakeBotAPI
from bot.chat.limits import RATE_LIMITED_METHODS
from bot.delivery import DeliveryWorker
from bot.delivery.send import Outcome
from bot.domain.clock import BAKU
from bot.i18n import load_translators
from bot.views import callbacks as cb
from db import broadcasts, outbox
from db.models import AuditEntry, Broadcast, Counts, Delivery, Settlement, Subscription, User
from db.session import create_engine, create_sessionmaker
from tests.conftest import Clock, RunningBot, button, buttons, serve_bot

ADMIN = 9001
RU_ADMIN = 9002
FAST = "1000"  # BROADCAST_RATE where the rate is not what is tested


@asynccontextmanager
async def database(url: str):
    engine = create_engine(url)
    try:
        async with create_sessionmaker(engine)() as session:
            yield session
    finally:
        await engine.dispose()


async def add_users(
    url: str,
    api: FakeBotAPI,
    ids: range | list[int],
    *,
    follow: str | None = None,
    languages: tuple[str, ...] = ("az", "en", "ru"),
    known: bool = True,
) -> None:
    """Users who started the bot (known to the fake API), optionally following `follow`
    ("all" or a settlement slug), inserted in bulk as a data import would."""
    async with database(url) as session:
        rows = [
            {"id": i, "chat_id": i, "language": languages[n % len(languages)], "blocked": False}
            for n, i in enumerate(ids)
        ]
        await session.execute(insert(User), rows)
        if follow is not None:
            scope, settlement_id = "all", None
            if follow != "all":
                settlement = await session.scalar(
                    select(Settlement).where(Settlement.slug == follow)
                )
                scope, settlement_id = f"settlement:{settlement.id}", settlement.id
            await session.execute(
                insert(Subscription),
                [{"user_id": i, "scope": scope, "settlement_id": settlement_id} for i in ids],
            )
        await session.commit()
    if known:
        for i in ids:
            api.add_chat(i, language_code=languages[0])


async def wait_until(predicate, timeout: float = 60.0) -> None:  # noqa: ASYNC109
    deadline = time.monotonic() + timeout
    while not await predicate():
        assert time.monotonic() < deadline, f"{predicate.__qualname__} not true in {timeout}s"
        await asyncio.sleep(0.1)


async def broadcast_status(url: str, broadcast_id: int = 1) -> str | None:
    async with database(url) as session:
        broadcast = await session.get(Broadcast, broadcast_id)
        return broadcast.status if broadcast else None


async def finished(url: str, broadcast_id: int = 1):
    async def done() -> bool:
        return await broadcast_status(url, broadcast_id) in ("done", "cancelled")

    await wait_until(done)


def sends(api: FakeBotAPI, chat_id: int | None = None) -> list:
    """Successful message sends (to `chat_id`), in the order the API took them."""
    return [
        c
        for c in api.calls
        if c.method in RATE_LIMITED_METHODS
        and c.status == 200
        and (chat_id is None or c.params.get("chat_id") == chat_id)
    ]


def texts_to(api: FakeBotAPI, chat_id: int, marker: str) -> list[str]:
    return [m.get("text", "") for m in api.bot_messages(chat_id) if marker in m.get("text", "")]


@asynccontextmanager
async def admin_bot(api: FakeBotAPI, url: str, clock: Clock, rate: str = FAST):
    async with serve_bot(
        api, url, clock, ADMIN_IDS=f"{ADMIN},{RU_ADMIN}", BROADCAST_RATE=rate
    ) as bot:
        yield bot


async def preview(bot: RunningBot, command: str, language: str = "en") -> dict:
    return await bot.chat(ADMIN, language).say(command)


# ------------------------------------------------------------------ the big one


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_broadcast_to_520_followers_exactly_once_within_both_rate_limits(database_url):
    api, clock = FakeBotAPI(global_rate=100, per_chat_rate=1), Clock()
    active, gone = range(20_001, 20_501), range(30_001, 30_021)
    async with admin_bot(api, database_url, clock, rate="80") as bot:
        await add_users(database_url, api, active, follow="sos")
        await add_users(database_url, api, gone, follow="sos")
        for chat in gone:
            api.block(chat)
        shown = await preview(bot, "/broadcast sos Water is back <today> & tomorrow")
        assert "Water is back <today> & tomorrow" in shown["text"]  # escaped, shown as typed
        assert "520 recipients — az 174 · en 174 · ru 172" in shown["text"]
        confirm = button(shown, "✅")
        assert confirm["text"] == "✅ Send to 520 recipients"
        api.press(shown, confirm["callback_data"], user_id=ADMIN)
        await api.wait_for(lambda: api.calls_to("editMessageText"))
        started = api.calls_to("editMessageText")[0].params
        assert started["message_id"] == shown["message_id"]
        assert "Sent: 0 of 520" in started["text"]
        await finished(database_url)
        await api.wait_idle(quiet=0.3, timeout=30)

    for chat in active:
        assert texts_to(api, chat, "Water is back") == ["Water is back <today> & tomorrow"]
    assert all(texts_to(api, chat, "Water") == [] for chat in gone)
    async with database(database_url) as session:
        blocked = set(await session.scalars(select(User.id).where(User.blocked.is_(True))))
        by_status = select(Delivery.status, func.count()).group_by(Delivery.status)
        statuses = {status: n for status, n in await session.execute(by_status)}
    assert blocked == set(gone)
    assert statuses == {"sent": 500, "blocked": 20}

    first_send = min(c.at for c in sends(api) if c.params["chat_id"] in active)
    late_429 = [c for c in api.calls if c.status == 429 and c.at > first_send + 1.0]
    assert late_429 == [] and api.chat_throttled == []

    report = api.last_message(ADMIN)
    assert report["message_id"] == shown["message_id"]  # one message, edited in place
    assert "finished" in report["text"]
    assert "Delivered: 500 · Blocked: 20 · Failed: 0" in report["text"]
    assert not buttons(report)
    edits = [c for c in api.calls_to("editMessageText") if c.status == 200]
    progress = [c for c in edits if "Rate:" in c.params["text"]]
    assert progress, "no progress edit while sending"  # 520 at 80/s take > 6 s
    assert all("messages/s" in c.params["text"] and "left" in c.params["text"] for c in progress)
    gaps = [b.at - a.at for a, b in itertools.pairwise(edits[:-1])]  # the last: the report
    assert all(gap >= 2.5 for gap in gaps), gaps  # not more than every ~3 s


# ------------------------------------------------------------------ smaller journeys


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_two_notices_for_one_chat_are_a_second_apart(database_url):
    """An announcement and a broadcast pending for the same chats at once: each chat gets
    both, never two within a second (the fake API refuses that with 429)."""
    api, clock = FakeBotAPI(per_chat_rate=1), Clock()
    users = [21_001, 21_002, 21_003]
    await add_users(database_url, api, users, follow="all", languages=("en",))
    async with database(database_url) as session:
        everyone = broadcasts.recipients("all")
        for key in ("first", "second"):
            await outbox.add_notice(
                session,
                key=f"broadcast:{key}",
                kind=broadcasts.BROADCAST,
                now=clock(),
                recipients=everyone,
                payload={"text": f"<b>{key}</b> news"},
            )
        await session.commit()
    async with serve_bot(api, database_url, clock, BROADCAST_RATE=FAST):

        async def all_sent() -> bool:
            return len(sends(api)) >= 2 * len(users)

        await wait_until(all_sent, 30)
        await api.wait_idle(quiet=0.3)
    assert [c.status for c in api.calls if c.status != 200] == []
    for chat in users:
        first, second = sends(api, chat)
        assert second.at - first.at >= 1.0
        assert texts_to(api, chat, "news") == ["first news", "second news"]


async def test_non_admin_and_forged_buttons_send_nothing(database_url):
    api, clock = FakeBotAPI(), Clock()
    async with admin_bot(api, database_url, clock) as bot:
        await add_users(database_url, api, range(22_001, 22_004), languages=("en",))
        intruder = bot.chat(22_001, "en")
        refusal = await intruder.say("/broadcast all You have won a prize")
        assert "only for admins" in refusal["text"]
        assert "only for admins" in (await intruder.say("/stats"))["text"]

        assert "Usage" in (await preview(bot, "/broadcast"))["text"]
        assert "Usage" in (await preview(bot, "/broadcast Nowhereville hello"))["text"]
        nobody = await preview(bot, "/broadcast Qirmizi Bazar\nThe caravan is late")
        assert "no active user follows Qirmizi Bazar (Khojavand district)" in nobody["text"]
        assert not buttons(nobody)
        shown = await preview(bot, "/broadcast all Real news")
        data = button(shown, "✅")["callback_data"]
        menu = await bot.chat(22_002, "en").say("/start")
        mark = len(api.calls)
        # a non-admin forges the admin's ✅, a stop and an unknown id on a message of their own
        for forged in (data, cb.make(cb.BROADCAST_CANCEL, "1"), cb.make(cb.BROADCAST_SEND, "77")):
            api.press(menu, forged, user_id=22_002, strict=False)
            await api.wait_idle(quiet=0.3)
        answers = [c for c in api.calls[mark:] if c.method == "answerCallbackQuery"]
        assert [a.params.get("show_alert") for a in answers] == [True, True, True]
        assert all("Only admins" in a.params["text"] for a in answers)
        assert await broadcast_status(database_url) == "draft"
        async with database(database_url) as session:
            assert await session.scalar(select(func.count()).select_from(Delivery)) == 0
        # the admin sends it; a second ✅ (a double tap, a replay) queues nothing more
        await bot.chat(ADMIN).press(shown, "✅")
        api.press(shown, data, user_id=ADMIN, strict=False)
        await finished(database_url)
        await api.wait_idle(quiet=0.5)
        assert "already sent" in api.calls_to("answerCallbackQuery")[-1].params["text"]
    for chat in (22_001, 22_002, 22_003, ADMIN):
        assert texts_to(api, chat, "Real news") == ["Real news"], chat
    assert texts_to(api, 22_001, "prize") == []
    async with database(database_url) as session:
        actions = (await session.scalars(select(AuditEntry.action))).all()
    assert actions == ["broadcast.send"]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_progress_report_counts_blocked_and_failed(database_url):
    """/broadcast all in Russian: blocked users (403) are marked, a chat Telegram does not
    know (400) is recorded failed, and the end report says so, in the admin's language."""
    api, clock = FakeBotAPI(), Clock()
    async with admin_bot(api, database_url, clock) as bot:
        await add_users(database_url, api, range(23_001, 23_011))
        await add_users(database_url, api, [23_100], known=False)  # 400 chat not found
        api.block(23_001)
        api.block(23_002)
        shown = await preview(bot, "/broadcast все Караван в 9:00", "ru")
        assert "12 получателей" in shown["text"]  # 11 users and the admin
        assert button(shown, "✅")["text"] == "✅ Отправить 12 получателям"
        await bot.chat(ADMIN, "ru").press(shown, "✅")
        await finished(database_url)
        await api.wait_idle(quiet=0.5)
    [report] = [m for m in api.bot_messages(ADMIN) if m["message_id"] == shown["message_id"]]
    assert "завершена" in report["text"]  # the preview, edited in place into the report
    assert "Доставлено: 9 · Заблокировали: 2 · Не удалось: 1" in report["text"]
    async with database(database_url) as session:
        failed = await session.scalar(select(Delivery).where(Delivery.status == "failed"))
        assert failed.user_id == 23_100 and "chat not found" in failed.error.lower()
        assert (await session.get(User, 23_001)).blocked


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_stop_cancels_what_was_not_sent(database_url):
    api, clock = FakeBotAPI(), Clock()
    users = range(24_001, 24_041)
    async with admin_bot(api, database_url, clock, rate="8") as bot:
        await add_users(database_url, api, users, follow="sos")
        shown = await preview(bot, "/broadcast Sos Slow news")
        api.press(shown, button(shown, "✅")["callback_data"], user_id=ADMIN)
        await api.wait_for(lambda: len(sends(api)) >= 1 + 5, timeout=30)  # preview + 5
        progress = api.last_message(ADMIN)
        api.press(progress, button(progress, "Stop")["callback_data"], user_id=ADMIN)
        await finished(database_url)
        await api.wait_idle(quiet=1.5, timeout=30)
        assert "stopped" in api.last_message(ADMIN)["text"]
        sent_after_stop = len([c for c in sends(api) if c.params["chat_id"] in users])
        await asyncio.sleep(1.0)
        assert len([c for c in sends(api) if c.params["chat_id"] in users]) == sent_after_stop
    async with database(database_url) as session:
        tally = (await broadcasts.counts(session, [1]))[1]
        actions = (await session.scalars(select(AuditEntry.action).order_by(AuditEntry.id))).all()
    assert await broadcast_status(database_url) == "cancelled"
    assert tally.sent == sent_after_stop and tally.cancelled == 40 - sent_after_stop
    assert 0 < sent_after_stop < 40
    assert actions == ["broadcast.send", "broadcast.cancel"]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_reply_to_a_message_copies_it(database_url):
    api, clock = FakeBotAPI(), Clock()
    async with admin_bot(api, database_url, clock) as bot:
        await add_users(database_url, api, [25_001, 25_002], follow="sos")
        original = api.send_text("<b>not markup</b> but bold", user_id=ADMIN)["message"]
        await api.wait_idle(quiet=0.3)
        api.send_text("/broadcast sos", user_id=ADMIN, reply_to=original["message_id"])
        await api.wait_idle(quiet=0.5)
        copies = api.calls_to("copyMessage")
        assert [c.params["chat_id"] for c in copies] == [ADMIN]  # the preview is the copy
        shown = api.last_message(ADMIN)
        assert "the message above" in shown["text"]
        await bot.chat(ADMIN).press(shown, "✅")
        await finished(database_url)
        await api.wait_idle(quiet=0.5)
    for chat in (25_001, 25_002):
        [copy] = api.bot_messages(chat)
        assert copy["text"] == "<b>not markup</b> but bold"


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_flood_limit_pauses_everyone_for_retry_after(database_url):
    api, clock = FakeBotAPI(global_rate=4), Clock()
    users = range(26_001, 26_013)
    await add_users(database_url, api, users, follow="all", languages=("en",))
    async with database(database_url) as session:
        await outbox.add_notice(
            session,
            key="broadcast:flood",
            kind=broadcasts.BROADCAST,
            now=clock(),
            recipients=broadcasts.recipients("all"),
            payload={"text": "flood test"},
        )
        await session.commit()
    async with serve_bot(api, database_url, clock, BROADCAST_RATE="50"):

        async def all_sent() -> bool:
            return len(sends(api)) >= len(users)

        await wait_until(all_sent, 30)
        await api.wait_idle(quiet=0.3)
    assert api.throttled >= 1
    # everyone waited after each refusal: without the pause, 50/s against 4/s would be
    # refused dozens of times a second
    assert api.throttled <= len(users)
    assert sorted(c.params["chat_id"] for c in sends(api)) == list(users)


async def test_stats(database_url):
    api, clock = FakeBotAPI(), Clock()
    async with admin_bot(api, database_url, clock) as bot:
        await add_users(database_url, api, [27_001, 27_002, 27_003], follow="sos")
        await add_users(database_url, api, [27_004], follow="all", languages=("ru",))
        api.block(27_003)
        shown = await preview(bot, "/broadcast all Hi")
        await bot.chat(ADMIN).press(shown, "✅")
        await finished(database_url)
        await api.wait_idle(quiet=0.5)
        text = (await bot.chat(ADMIN).say("/stats"))["text"]
        ru = (await bot.chat(RU_ADMIN, "ru").say("/stats"))["text"]
    assert "Users: 5 — active 4, blocked 1" in text
    assert "By language: Azerbaijani 1 · English 2 · Russian 2" in text
    assert "По языкам: азербайджанский 1 · английский 2 · русский 3" in ru
    assert "Пользователи: 6 — активных 5, заблокировали 1" in ru  # the second admin too
    assert "Subscriptions: 4. Most followed:" in text
    assert "• Sos (Khojavand district): 3\n• all settlements: 1" in text
    assert "Recent broadcasts:\n• #1 " in text
    # dated in Baku time, hours and minutes, as /audit dates it
    when = re.search(r"• #1 (\w{3} \d{1,2}, \d{4}), (\d{2}):\d{2}, everyone", text)
    assert when, text
    baku = dt.datetime.now(BAKU)  # the broadcast was made a moment ago, in real time
    recent = {baku - dt.timedelta(minutes=m) for m in (0, 2)}
    assert int(when[2]) in {moment.hour for moment in recent}, text  # not UTC (4 hours off)
    assert ", everyone who uses the bot: delivered 4 of 5, blocked 1, failed 0 (finished)" in text
    assert "все, кто пользуется ботом: доставлено 4 из 5, заблокировали 1" in ru


# ------------------------------------------------------------------ the worker's parts


def test_claims_lock_rows_only_on_postgresql():
    query = select(Delivery.id).limit(5)
    pg = str(outbox.lock_rows(query, "postgresql").compile(dialect=postgresql.dialect()))
    assert pg.endswith("FOR UPDATE SKIP LOCKED")
    lite = str(outbox.lock_rows(query, "sqlite").compile(dialect=sqlite.dialect()))
    assert "FOR UPDATE" not in lite


async def test_a_claim_is_a_lease_renewed_by_its_worker(database_url):
    api, clock = FakeBotAPI(), Clock()
    await add_users(database_url, api, range(28_001, 28_006), languages=("en",))
    t0 = outbox.wall_clock()
    async with database(database_url) as session:
        await outbox.add_notice(
            session,
            key="broadcast:lease",
            kind=broadcasts.BROADCAST,
            now=clock(),
            recipients=broadcasts.recipients("all"),
            payload={"text": "x"},
        )
        await session.commit()
        mine = await outbox.claim_due(session, clock(), 3, lease=30, wall=t0)
        assert len(mine) == 3
        later = t0 + dt.timedelta(seconds=20)
        other = await outbox.claim_due(session, clock(), 10, lease=30, wall=later)
        assert len(other) == 2 and not set(other) & set(mine)  # a live claim is not stolen
        much_later = t0 + dt.timedelta(seconds=31)
        reclaimed = await outbox.claim_due(session, clock(), 10, lease=30, wall=much_later)
        assert reclaimed == mine  # their worker died: claimable again; `other` is fresh
        await outbox.renew_claims(session, mine)  # a live worker keeps its rows
        soon = outbox.wall_clock() + dt.timedelta(seconds=29)
        assert await outbox.claim_due(session, clock(), 10, lease=30, wall=soon) == []


async def test_a_shared_claim_leaves_half_of_the_last_rows(database_url):
    """With `share`, the last rows of a broadcast are split between replicas: while 2 ×
    the limit or more are due a claim takes the limit, then half of what is left."""
    api, clock = FakeBotAPI(), Clock()
    await add_users(database_url, api, range(29_001, 29_011), languages=("en",))
    async with database(database_url) as session:
        await outbox.add_notice(
            session,
            key="broadcast:share",
            kind=broadcasts.BROADCAST,
            now=clock(),
            recipients=broadcasts.recipients("all"),
            payload={"text": "x"},
        )
        await session.commit()
        claims = [await outbox.claim_due(session, clock(), 4, share=True) for _ in range(5)]
    assert [len(ids) for ids in claims] == [4, 3, 2, 1, 0]
    assert len({i for ids in claims for i in ids}) == 10  # each row claimed once


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (Forbidden("Forbidden: user is deactivated"), outbox.BLOCKED),
        (BadRequest("Bad Request: chat not found"), outbox.FAILED),
        (TimedOut("timed out"), outbox.PENDING),
        (NetworkError("Bad Gateway"), outbox.PENDING),
    ],
)
async def test_errors_are_told_apart_in_order(error, kind):
    """BadRequest subclasses NetworkError: a 400 must be failed, not retried."""

    async def refuse(*_args, **_kwargs):
        raise error

    translators = load_translators()
    state = SimpleNamespace(
        settings=SimpleNamespace(
            broadcast_rate=1000.0, default_language="en", paid_broadcast=False
        ),
        translators=translators,
        clock=Clock(),
    )
    # the Bot API call outbox sends make (`Sender._call`), refused
    application = SimpleNamespace(bot_data=state, bot=SimpleNamespace(_post=refuse))
    worker = DeliveryWorker(application)  # type: ignore[arg-type]
    notice = SimpleNamespace(id=1, kind=broadcasts.BROADCAST, payload={"text": "hi"})
    delivery = SimpleNamespace(id=1, chat_id=5, user_id=5, attempts=0, notice=notice, language="en")
    outcome = await worker._deliver(delivery)  # type: ignore[arg-type]
    assert isinstance(outcome, Outcome) and outcome.kind == kind


def test_progress_and_report_texts():
    from bot.views import broadcast as texts

    tr = load_translators()
    broadcast = Broadcast(id=7, scope="all", status="sending")
    counts = Counts(total=1000, sent=250, blocked=3, failed=1)
    en = texts.progress_report(broadcast, None, counts, 10.0, tr["en"])
    assert "Sent: 250 of 1,000" in en and "Blocked: 3 · Failed: 1" in en
    assert "Rate: 25.4 messages/s · about 29 seconds left" in en
    ru = texts.progress_report(broadcast, None, counts, 10.0, tr["ru"])
    assert "Отправлено: 250 из 1\xa0000" in ru and "29 секунд" in ru
    az = texts.progress_report(broadcast, None, counts, 10.0, tr["az"])
    assert "29 saniyə" in az
    broadcast.status = "cancelled"
    stopped = Counts(total=1000, sent=250, blocked=3, failed=1, cancelled=746)
    report = texts.final_report(broadcast, None, stopped, tr["en"])
    assert "stopped" in report and "Not sent because it was stopped: 746" in report
    forms = [tr["ru"].ngettext("{n} recipient", "{n} recipients", n).format(n=n) for n in (1, 3, 5)]
    assert forms == ["1 получатель", "3 получателя", "5 получателей"]
