"""Subscriptions, caravan announcements, reminders, change alerts, /forget and blocked users,
end to end: the real Application against the fake Bot API, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from contextlib import asynccontextmanager

import pytest
from sqlalchemy import func, select

from bot.chat.api import FakeBotAPI
from bot.chat.transports import FakeBotServer
from bot.domain import clock
from bot.i18n import load_translators
from db import outbox
from db import users as user_store
from db.dataset import BUNDLED, apply_dataset, read_dataset
from db.models import Caravan, Delivery, Settlement, Subscription, User
from db.session import create_engine, create_sessionmaker
from tests.conftest import BAKU, Clock, RunningBot, buttons, run_bot, serve_bot

SOS_DATE = dt.date(2026, 12, 20)


@asynccontextmanager
async def database(bot: RunningBot):
    engine = create_engine(bot.settings.database_url)
    try:
        async with create_sessionmaker(engine)() as session:
            yield session
    finally:
        await engine.dispose()


async def add_caravan(bot: RunningBot, slug: str, date: dt.date, families=12, people=50) -> int:
    """A caravan inserted by the data layer directly, as an import or an admin would."""
    async with database(bot) as session:
        settlement = await session.scalar(select(Settlement).where(Settlement.slug == slug))
        caravan = Caravan(
            settlement_id=settlement.id, date=date, families=families, people=people, source="test"
        )
        session.add(caravan)
        await session.commit()
        return caravan.id


async def deliver(bot: RunningBot) -> None:
    """Scan for caravans and reminders, then wait until nothing due is left in the outbox."""
    state = bot.application.bot_data
    await state.delivery.scan()
    await settle(bot)


async def settle(bot: RunningBot, seconds: float = 15) -> None:
    state = bot.application.bot_data
    state.delivery.wake()
    deadline = time.monotonic() + seconds
    now = state.clock().astimezone(dt.UTC).replace(tzinfo=None)
    busy = (Delivery.status == outbox.SENDING) | (
        (Delivery.status == outbox.PENDING) & (Delivery.not_before <= now)
    )
    while True:
        async with database(bot) as session:
            left = await session.scalar(select(func.count()).select_from(Delivery).where(busy))
        if not left:
            break
        assert time.monotonic() < deadline, f"{left} deliveries still due"
        await asyncio.sleep(0.05)
    await bot.api.wait_idle(quiet=0.05)


def received(bot: RunningBot, chat_id: int, marker: str = "📅") -> list[str]:
    """Texts of the announcements and reminders the chat got (they show the date with 📅)."""
    return [m["text"] for m in bot.api.bot_messages(chat_id) if marker in m.get("text", "")]


async def test_caravan_is_announced_once_to_each_subscriber_in_their_language(clocked_bot):
    bot = clocked_bot
    await bot.chat(7001, "az").say("/subscribe Sos")
    await bot.chat(7002, "en").say("/subscribe Khojavand")
    await bot.chat(7003, "ru").say("/subscribe all")
    everything = bot.chat(7004, "en")
    for place in ("Sos", "Xocavənd", "all"):
        await everything.say(f"/subscribe {place}")
    await bot.chat(7005, "en").say("/subscribe Shushakend")

    await add_caravan(bot, "sos", SOS_DATE, families=12, people=50)
    await deliver(bot)

    [az] = received(bot, 7001)
    assert "Sos" in az and "20 dekabr 2026" in az and "Xocavənd" in az
    [en] = received(bot, 7002)
    assert "New caravan to Sos (Khojavand district)" in en
    assert "December 20, 2026 — 12 families, 50 people" in en
    [ru] = received(bot, 7003)
    assert "Сос" in ru and "20 декабря 2026 г." in ru and "12 семей, 50 человек" in ru
    assert len(received(bot, 7004)) == 1  # Sos, Khojavand and all: still one message
    assert received(bot, 7005) == []  # Shushakend is in Khojaly
    await deliver(bot)  # a rescan tells nobody twice; past caravans were never announced
    assert [len(received(bot, chat)) for chat in (7001, 7002, 7003, 7004)] == [1, 1, 1, 1]


async def test_subscribe_in_any_spelling_list_and_unsubscribe(running_bot: RunningBot):
    chat = running_bot.chat(7101, "en")
    assert "Subscribed to Sos (Khojavand district)" in (await chat.say("/subscribe sos"))["text"]
    assert "already subscribed to Sos" in (await chat.say("/subscribe Сос"))["text"]
    assert "Khojavand district" in (await chat.say("/subscribe khojavand"))["text"]
    assert "all settlements" in (await chat.say("/subscribe all"))["text"]

    listing = await chat.say("/subscriptions")
    labels = [b["text"] for b in buttons(listing)]
    assert labels == ["❌ all settlements", "❌ Khojavand district", "❌ Sos (Khojavand district)"]
    edited = await chat.press(listing, "❌ Sos")
    assert edited["message_id"] == listing["message_id"]
    assert len(buttons(edited)) == 2 and "Sos (" not in edited["text"]

    assert "not subscribed to Sos" in (await chat.say("/unsubscribe Sos"))["text"]
    assert "Unsubscribed from Khojavand" in (await chat.say("/unsubscribe Khojavand"))["text"]
    assert "cancelled" in (await chat.say("/unsubscribe all"))["text"]
    assert "no subscriptions yet" in (await chat.say("/subscriptions"))["text"]


async def test_subscribe_buttons_on_cards_and_menu(running_bot: RunningBot):
    chat = running_bot.chat(7201, "ru")
    card = await chat.say("/schedule Sos")
    await chat.press(card, "🔔")
    answers = running_bot.api.calls_to("answerCallbackQuery")
    assert "Сос" in answers[-1].params["text"]
    await chat.press(card, "🔔")
    second = running_bot.api.calls_to("answerCallbackQuery")[-1].params["text"]
    assert second != answers[-1].params["text"]  # "already subscribed"
    district = await chat.press(card, "⬅️")
    await chat.press(district, "🔔")
    listing = await chat.press(await chat.say("/start"), "🔔")
    assert len(buttons(listing)) == 2 and all(b["text"].startswith("❌") for b in buttons(listing))


async def test_ambiguous_subscribe_offers_subscribe_buttons(running_bot: RunningBot):
    chat = running_bot.chat(7301, "en")
    reply = await chat.say("/subscribe Lachin")
    labels = [b["text"] for b in buttons(reply)]
    assert "🔔 Lachin district" in labels and len(labels) >= 2
    await chat.press(reply, "🔔 Lachin district")
    answer = running_bot.api.calls_to("answerCallbackQuery")[-1].params["text"]
    assert "Subscribed to Lachin district" in answer
    assert "could not find" in (await chat.say("/subscribe zzzzqqq"))["text"]


async def test_reminders_7_days_and_1_day_before_at_nine_baku_never_twice(clocked_bot):
    bot, clock = clocked_bot, clocked_bot.application.bot_data.clock
    await bot.chat(7401, "en").say("/subscribe Sos")
    await bot.chat(7402, "ru").say("/subscribe all")
    await add_caravan(bot, "sos", SOS_DATE)
    await deliver(bot)
    assert len(received(bot, 7401)) == 1

    clock.set(2026, 12, 13, 8, 59)
    await deliver(bot)
    assert len(received(bot, 7401)) == 1
    clock.set(2026, 12, 13, 9, 0)
    await deliver(bot)
    clock.set(2026, 12, 13, 15, 0)
    await deliver(bot)
    assert (
        "Reminder: the caravan to Sos (Khojavand district) is in 7 days"
        in (received(bot, 7401)[-1])
    )
    assert "7 дней" in received(bot, 7402)[-1]

    clock.set(2026, 12, 19, 9, 0)
    await deliver(bot)
    await deliver(bot)
    assert "is tomorrow" in received(bot, 7401)[-1]
    assert "завтра" in received(bot, 7402)[-1]
    assert [len(received(bot, chat)) for chat in (7401, 7402)] == [3, 3]


async def test_quiet_hours_defer_announcements_to_nine_baku(clocked_bot):
    bot, clock = clocked_bot, clocked_bot.application.bot_data.clock
    await bot.chat(7501, "az").say("/subscribe Sos")
    clock.set(2026, 11, 26, 23, 30)
    await add_caravan(bot, "sos", SOS_DATE)
    await deliver(bot)
    assert received(bot, 7501) == []
    async with database(bot) as session:
        [not_before] = (await session.scalars(select(Delivery.not_before))).all()
    assert not_before == dt.datetime(2026, 11, 27, 5, 0)  # 09:00 in Baku, stored as UTC
    clock.set(2026, 11, 27, 8, 59)
    await settle(bot)
    assert received(bot, 7501) == []
    clock.set(2026, 11, 27, 9, 0)
    await settle(bot)
    assert len(received(bot, 7501)) == 1


async def test_restart_mid_way_loses_no_reminder_and_repeats_none(database_url):
    api, clock = FakeBotAPI(), Clock()
    async with serve_bot(api, database_url, clock) as first:
        await first.chat(7601, "en").say("/subscribe Sos")
        await first.chat(7602, "az").say("/subscribe Khojavand")
        await add_caravan(first, "sos", SOS_DATE)
        await deliver(first)
        clock.set(2026, 12, 13, 23, 0)  # the 7-day reminder is due, but it is night
        await deliver(first)
        assert [len(received(first, c)) for c in (7601, 7602)] == [1, 1]
        settings = first.settings
        # the bot stops; the same Bot API and database are there when it starts again
    async with FakeBotServer(api) as server_url:
        settings = settings.model_copy(update={"telegram_api_url": server_url})
        clock.set(2026, 12, 14, 9, 0)
        async with run_bot(api, settings, clock) as second:
            await settle(second)  # the night's reminder, from the database
            assert [len(received(second, c)) for c in (7601, 7602)] == [2, 2]
            clock.set(2026, 12, 19, 9, 30)
            await deliver(second)
        clock.set(2026, 12, 19, 12, 0)
        async with run_bot(api, settings, clock) as third:
            await deliver(third)
    texts = received(third, 7601)
    assert len(texts) == 3 and "is in 6 days" in texts[1] and "is tomorrow" in texts[2]
    assert len(received(third, 7602)) == 3


async def test_housing_change_alerts_once_per_change_set(clocked_bot):
    bot = clocked_bot
    await bot.chat(7701, "az").say("/subscribe Sos")
    await bot.chat(7702, "en").say("/subscribe Khojavand")
    await bot.chat(7703, "ru").say("/subscribe all")
    await bot.chat(7704, "en").say("/subscribe Shushakend")
    dataset = read_dataset(BUNDLED)
    [sos] = [s for s in dataset.settlements if s.slug == "sos"]
    sos.housing[-1].ready = 40
    sos.housing[-1].due[0].homes = 70
    async with database(bot) as session:
        await apply_dataset(session, dataset, timing=clock, now=bot.application.bot_data.clock())
        await session.commit()
        await apply_dataset(session, dataset, timing=clock)  # the same figures again: no alert
        await session.commit()
    await settle(bot)

    [en] = received(bot, 7702, "🏠")
    assert "Sos (Khojavand district)" in en
    assert "Ready homes: 10 → 40" in en and "Due by December 31, 2025: 75 → 70" in en
    [az] = received(bot, 7701, "🏠")
    assert "10 → 40" in az and "31 dekabr 2025" in az
    [ru] = received(bot, 7703, "🏠")
    assert "10 → 40" in ru and "31 декабря 2025 г." in ru and "Сос" in ru
    assert received(bot, 7704, "🏠") == []


async def test_forget_leaves_no_row_behind(clocked_bot):
    bot, clock = clocked_bot, clocked_bot.application.bot_data.clock
    chat = bot.chat(7801, "en")
    await chat.say("/subscribe Sos")
    await chat.say("/subscribe all")
    clock.set(2026, 11, 26, 23, 0)  # the announcement waits for the morning
    await add_caravan(bot, "sos", SOS_DATE)
    await deliver(bot)

    question = await chat.say("/forget")
    assert "Nothing was deleted" in (await chat.press(question, "Cancel"))["text"]
    async with database(bot) as session:
        assert await session.get(User, 7801) is not None
    question = await chat.say("/forget")
    confirm = [b for b in buttons(question) if b["text"].startswith("✅")]
    assert confirm
    done = await chat.press(question, confirm[0]["text"])
    assert "deleted everything" in done["text"]
    async with database(bot) as session:
        for model, column in ((User, User.id), (Subscription, Subscription.user_id)):
            count = select(func.count()).select_from(model).where(column == 7801)
            assert await session.scalar(count) == 0
        count = select(func.count()).select_from(Delivery).where(Delivery.user_id == 7801)
        assert await session.scalar(count) == 0


async def test_blocked_user_is_marked_never_retried_and_unblocked_on_return(clocked_bot):
    bot = clocked_bot
    for user in (7901, 7902, 7903):
        await bot.chat(user, "en").say("/subscribe Sos")
    bot.api.block(7902)
    mark = len(bot.api.calls)
    await add_caravan(bot, "sos", SOS_DATE)
    await deliver(bot)
    assert len(received(bot, 7901)) == len(received(bot, 7903)) == 1

    def refused() -> list:
        calls = bot.api.calls[mark:]
        return [c for c in calls if c.method == "sendMessage" and c.params["chat_id"] == 7902]

    assert [c.status for c in refused()] == [403]
    async with database(bot) as session:
        assert (await session.get(User, 7902)).blocked
        statuses = (await session.scalars(select(Delivery.status))).all()
    assert sorted(statuses) == ["blocked", "sent", "sent"]

    await add_caravan(bot, "sos", dt.date(2027, 1, 10))
    await deliver(bot)
    assert len(refused()) == 1  # nothing more is even tried
    bot.api.unblock(7902)
    await bot.chat(7902, "en").say("/start")
    async with database(bot) as session:
        assert not (await session.get(User, 7902)).blocked
    await add_caravan(bot, "sos", dt.date(2027, 2, 10))
    await deliver(bot)
    assert len(received(bot, 7902)) == 1


async def test_my_chat_member_kicked_marks_the_user_blocked(clocked_bot):
    bot = clocked_bot
    await bot.chat(7951, "en").say("/subscribe Sos")

    def member_update(old: str, new: str) -> dict:
        user = {"id": 7951, "is_bot": False, "first_name": "Test", "language_code": "en"}
        return {
            "my_chat_member": {
                "chat": bot.api.known_chats[7951],
                "from": user,
                "date": int(time.time()),
                "old_chat_member": {"status": old, "user": bot.api.bot_user, "until_date": 0},
                "new_chat_member": {"status": new, "user": bot.api.bot_user, "until_date": 0},
            }
        }

    bot.api.add_update(member_update("member", "kicked"))
    await bot.api.wait_idle(quiet=0.15)
    async with database(bot) as session:
        assert (await session.get(User, 7951)).blocked
    await add_caravan(bot, "sos", SOS_DATE)
    await deliver(bot)
    assert received(bot, 7951) == []
    sent = [c for c in bot.api.calls_to("sendMessage") if c.params["chat_id"] == 7951]
    assert len(sent) == 1  # the reply to /subscribe; nothing was even tried after the block
    bot.api.add_update(member_update("kicked", "member"))
    await bot.api.wait_idle(quiet=0.15)
    async with database(bot) as session:
        assert not (await session.get(User, 7951)).blocked


async def test_flood_limit_is_obeyed_and_nothing_is_lost(database_url):
    api, clock = FakeBotAPI(global_rate=3), Clock()
    users = range(8001, 8008)
    async with serve_bot(api, database_url, clock, BROADCAST_RATE="100") as bot:
        async with database(bot) as session:
            for user in users:
                api.add_chat(user)
                await user_store.register_user(session, user, user, "en")
                await user_store.subscribe(session, user, "en", settlement_id=None)
        await add_caravan(bot, "sos", SOS_DATE)
        await deliver(bot)
        assert api.throttled >= 1
        assert [len(received(bot, user)) for user in users] == [1] * len(users)


# ------------------------------------------------------------------ pure functions


@pytest.mark.parametrize(
    ("local", "expected"),
    [
        ((2026, 12, 1, 12, 0), (2026, 12, 1, 12, 0)),
        ((2026, 12, 1, 21, 59), (2026, 12, 1, 21, 59)),
        ((2026, 12, 1, 22, 0), (2026, 12, 2, 9, 0)),
        ((2026, 12, 1, 23, 30), (2026, 12, 2, 9, 0)),
        ((2026, 12, 2, 3, 0), (2026, 12, 2, 9, 0)),
        ((2026, 12, 2, 9, 0), (2026, 12, 2, 9, 0)),
    ],
)
def test_quiet_hours(local, expected):
    from bot.domain.clock import civil_time

    moment = dt.datetime(*local, tzinfo=BAKU)
    assert civil_time(moment) == dt.datetime(*expected, tzinfo=BAKU)
    assert civil_time(moment.astimezone(dt.UTC)) == dt.datetime(*expected, tzinfo=BAKU)


@pytest.mark.parametrize(
    ("local", "send", "passed"),
    [
        ((2026, 12, 13, 8, 59), None, []),
        ((2026, 12, 13, 9, 0), "remind7", ["remind7"]),
        ((2026, 12, 18, 23, 0), "remind7", ["remind7"]),
        ((2026, 12, 19, 9, 0), "remind1", ["remind7", "remind1"]),
        ((2026, 12, 20, 8, 0), None, ["remind7", "remind1"]),  # the day itself: too late
    ],
)
def test_reminder_moments(local, send, passed):
    from bot.domain.clock import reminder_at, reminders_due

    assert reminder_at(SOS_DATE, 7) == dt.datetime(2026, 12, 13, 9, 0, tzinfo=BAKU)
    assert reminders_due(SOS_DATE, dt.datetime(*local, tzinfo=BAKU)) == (send, passed)


def test_figure_changes_one_entry_per_changed_figure():
    before = {"homes_total": 263, "ready": 15, "due:2025-12-31": 85}
    after = {"homes_total": 263, "ready": 40, "due:2025-12-31": 70, "due:2026-12-31": 72}
    assert outbox.figure_changes(before, after) == [
        ("ready", 15, 40),
        ("due:2025-12-31", 85, 70),
        ("due:2026-12-31", None, 72),
    ]
    assert outbox.figure_changes(after, after) == []


@pytest.fixture(scope="module")
def translators():
    return load_translators()


def _sos() -> Settlement:
    from db.models import District

    district = District(slug="khojavand", kind="district", name_az="Xocavənd")
    district.name_en, district.name_ru = "Khojavand", "Ходжавенд"
    return Settlement(slug="sos", name_az="Sos", name_en="Sos", name_ru="Сос", district=district)


@pytest.mark.parametrize(
    ("lang", "fragments"),
    [
        ("en", ["New caravan to Sos (Khojavand district)", "December 20, 2026", "1 family"]),
        ("az", ["Sos (Xocavənd rayonu)", "20 dekabr 2026", "1 ailə"]),
        ("ru", ["Сос", "20 декабря 2026 г.", "1 семья, 3 человека"]),
    ],
)
def test_announcement_and_reminder_texts(translators, lang, fragments):
    from bot.views import notices

    caravan = Caravan(date=SOS_DATE, families=1, people=3, settlement=_sos())
    text = notices.caravan_announcement(caravan, translators[lang])
    for fragment in fragments:
        assert fragment in text
    tr = translators[lang]
    in_five = notices.caravan_reminder(caravan, tr, SOS_DATE - dt.timedelta(days=5))
    tomorrow = notices.caravan_reminder(caravan, tr, SOS_DATE - dt.timedelta(days=1))
    assert "5" in in_five and in_five != tomorrow
    assert "/subscriptions" in text


def test_change_alert_text(translators):
    from bot.views import notices

    changes = [
        ("ready", 15, 40),
        ("due:2025-12-31", 85, 70),
        ("built", None, 3),
        ("due:2026-12-31", 72, None),
    ]
    text = notices.housing_change_alert(_sos(), changes, translators["en"])
    assert "Ready homes: 15 → <b>40</b>" in text
    assert "Due by December 31, 2025: 85 → <b>70</b>" in text
    assert "Homes built: <b>3</b> (new)" in text  # added or removed: in words, no "—"
    assert "Due by December 31, 2026: removed (was 72)" in text and "—" not in text
    ru = notices.housing_change_alert(_sos(), changes, translators["ru"])
    assert "31 декабря 2025 г.: 85 → <b>70</b>" in ru
