"""Broadcasts per language, place names of several words, cancel before anything was sent,
and the quiet hours said aloud (broadcasts and caravans), in az and ru, end to end through
the fake Bot API over HTTP on the bot's movable clock."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bot.chat.api import FakeBotAPI
from bot.domain.versions import VersionError, default_fallback, missing, split_versions
from bot.views import callbacks as cb
from db.models import AuditEntry, Caravan, Delivery
from tests.conftest import Clock, button, buttons
from tests.test_broadcast import (
    ADMIN,
    RU_ADMIN,
    add_users,
    admin_bot,
    broadcast_status,
    database,
    finished,
    sends,
    texts_to,
    wait_until,
)
from tests.test_import_export import press_data

AZ, EN, RU = range(31_001, 31_004), range(31_101, 31_103), range(31_201, 31_202)


async def followers(url: str, api: FakeBotAPI) -> None:
    """Three az, two en and one ru reader follow Sos."""
    for ids, language in ((AZ, "az"), (EN, "en"), (RU, "ru")):
        await add_users(url, api, ids, follow="sos", languages=(language,))


async def reply(api: FakeBotAPI, user_id: int, language: str, prompt: dict, text: str) -> dict:
    """The admin answers `prompt` by replying to it; the bot's next message."""
    mark = len(api.calls)
    api.send_text(text, user_id=user_id, language_code=language, reply_to=prompt["message_id"])
    await api.wait_for(
        lambda: any(c.method in ("sendMessage", "editMessageText") for c in api.calls[mark:])
    )
    await api.wait_idle(quiet=0.3)
    return api.last_message(user_id)


# ------------------------------------------------------------------ pure parts


def test_versions_are_split_by_language_parts():
    text = "az: Karvan sabah\nsaat 9-da\nEN : Caravan tomorrow\nru:Караван завтра"
    assert split_versions(text) == {
        "az": "Karvan sabah\nsaat 9-da",
        "en": "Caravan tomorrow",
        "ru": "Караван завтра",
    }
    assert split_versions("Caravan tomorrow. ru: see above") is None  # not at a line start
    assert split_versions("Note\naz: text") is None  # text before the first part
    with pytest.raises(VersionError) as twice:
        split_versions("az: bir\naz: iki")
    assert twice.value.language == "az" and not twice.value.empty
    with pytest.raises(VersionError) as empty:
        split_versions("az:\nru: текст")
    assert empty.value.empty
    assert default_fallback({"az", "ru"}, {"az": 1, "ru": 5}) == "ru"
    assert default_fallback({"az", "en"}, {"az": 9, "en": 1}) == "en"
    assert missing({"az"}, {"az": 3, "en": 0, "ru": 2}) == {"ru": 2}


def test_urgent_buttons_carry_a_caravan_or_a_housing_alert():
    assert cb.parse("nu:12") == ("nu", "12") and cb.parse("nu:h7") == ("nu", "h7")
    for bad in ("nu:h", "nu:hh7", "nu:h07", "nu:c7", "nu:-1", "nu:h7 "):
        assert cb.parse(bad) is None


# ------------------------------------------------------------------ versions


@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
async def test_one_message_with_parts_reaches_each_reader_in_their_language(database_url):
    """An az admin sends az:/en:/ru: parts in one message: the preview shows each version
    with its readers, and each follower gets their own."""
    api, clock = FakeBotAPI(), Clock()
    async with admin_bot(api, database_url, clock) as bot:
        await followers(database_url, api)
        shown = await bot.chat(ADMIN, "az").say(
            "/broadcast Sos az: Su sabah gələcək\nen: Water is back tomorrow\n"
            "ru: Вода будет завтра <b>"
        )
        text = shown["text"]
        assert "hər dil üçün ayrıca mətn" in text
        assert "az · Azərbaycanca — 3 alıcı" in text and "Su sabah gələcək" in text
        assert "en · English — 2 alıcı" in text and "ru · Русский — 1 alıcı" in text
        assert "Вода будет завтра <b>" in text  # escaped, shown as typed
        assert "⚠️" not in text  # every language has its version
        assert button(shown, "✅")["text"] == "✅ 6 alıcıya göndər"
        await bot.chat(ADMIN, "az").press(shown, "✅")
        await finished(database_url)
        await api.wait_idle(quiet=0.3)
    for chat in AZ:
        assert texts_to(api, chat, "") == ["Su sabah gələcək"]
    for chat in EN:
        assert texts_to(api, chat, "") == ["Water is back tomorrow"]
    assert texts_to(api, RU[0], "") == ["Вода будет завтра <b>"]
    async with database(database_url) as session:
        [entry] = (await session.scalars(select(AuditEntry))).all()
    assert entry.after["texts"]["az"] == "Su sabah gələcək"


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_one_reply_per_language_then_a_fallback_for_the_missing_one(database_url):
    """A ru admin sends `/broadcast Sos` alone: asked for each language (most readers first),
    replies az and ru, skips en; the preview warns that en has no version, and the admin's
    choice of fallback decides what en readers get."""
    api, clock = FakeBotAPI(), Clock()
    async with admin_bot(api, database_url, clock) as bot:
        await followers(database_url, api)
        admin = bot.chat(RU_ADMIN, "ru")
        prompt = await admin.say("/broadcast Sos")
        assert prompt["text"].startswith("✍️")
        assert "az · Azərbaycanca (3 получателя)" in prompt["text"]
        prompt = await reply(api, RU_ADMIN, "ru", prompt, "Su sabah gələcək")
        assert "en · English (2 получателя)" in prompt["text"]
        assert "Уже есть версии: az" in prompt["text"]
        prompt = await admin.press(prompt, "Пропустить")
        assert "ru · Русский (1 получатель)" in prompt["text"]
        shown = await reply(api, RU_ADMIN, "ru", prompt, "Вода будет завтра")
        text = shown["text"]
        assert "версия для каждого языка" in text
        assert "Нет версии для языка en · English: 2 получателя получат версию az" in text
        assert button(shown, "✅")["text"] == "✅ Отправить 6 получателям"
        shown = await admin.press(shown, "🚫")
        assert "2 получателя ничего не получат" in shown["text"]
        assert button(shown, "✅")["text"] == "✅ Отправить 4 получателям"
        shown = await admin.press(shown, "↪️ ru")
        assert "получат версию ru" in shown["text"]
        await admin.press(shown, "✅")
        await finished(database_url)
        await api.wait_idle(quiet=0.3)
    assert all(texts_to(api, chat, "") == ["Su sabah gələcək"] for chat in AZ)
    assert all(texts_to(api, chat, "") == ["Вода будет завтра"] for chat in EN)
    assert texts_to(api, RU[0], "") == ["Вода будет завтра"]


# ------------------------------------------------------------------ places and cancel


@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
async def test_place_names_of_several_words_and_ambiguous_ones(database_url):
    api, clock = FakeBotAPI(), Clock()
    async with admin_bot(api, database_url, clock) as bot:
        await add_users(database_url, api, range(32_001, 32_003), follow="qirmizi-bazar")
        await add_users(database_url, api, [32_101], follow="khojavand-village")
        az = bot.chat(ADMIN, "az")
        shown = await az.say("/broadcast Qirmizi Bazar Sabah gorus")
        assert "Qırmızı Bazar" in shown["text"] and "Sabah gorus" in shown["text"]
        assert "2 alıcı" in shown["text"]

        ru = bot.chat(RU_ADMIN, "ru")
        choices = await ru.say("/broadcast Xocavənd Karvan sabah")
        labels = [b["text"] for b in buttons(choices)]
        assert len(labels) == 3, labels  # the district and its town and village
        assert "Usage" not in choices["text"] and "Использование" not in choices["text"]
        village = next(
            b for b in buttons(choices) if "Ходжавенд" in b["text"] and "сел" in b["text"]
        )
        shown = await ru.press(choices, village["text"])
        assert "Karvan sabah" in shown["text"] and "1 получатель" in shown["text"]

        unknown = await az.say("/broadcast Xyzzyqwerty salam")
        assert "“Xyzzyqwerty” adlı yer tapılmadı" in unknown["text"]
        assert "İstifadə" in unknown["text"]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_cancel_before_the_first_send_says_nothing_was_sent(database_url):
    api, clock = FakeBotAPI(), Clock()
    clock.set(2026, 11, 27, 0, 8)  # quiet hours: confirmed, but nothing leaves before 09:00
    async with admin_bot(api, database_url, clock) as bot:
        await followers(database_url, api)
        ru = bot.chat(RU_ADMIN, "ru")
        draft = await ru.say("/broadcast Sos Вода будет завтра")
        cancelled = await ru.press(draft, "✖️")
        assert "Отменено, ничего не отправлено" in cancelled["text"]
        answer = api.calls_to("answerCallbackQuery")[-1].params["text"]
        assert answer == "Отменено, ничего не отправлено."

        az = bot.chat(ADMIN, "az")
        shown = await az.say("/broadcast Sos Su sabah gələcək")
        progress = await az.press(shown, "✅")
        assert "09:00" in progress["text"]
        stopped = await az.press(progress, "⏹")
        assert "ləğv edildi, heç nə göndərilmədi" in stopped["text"]
        assert await broadcast_status(database_url, 2) == "cancelled"
    assert [c for c in sends(api) if c.params["chat_id"] in (*AZ, *EN, *RU)] == []


# ------------------------------------------------------------------ quiet hours


@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
async def test_a_broadcast_at_night_waits_for_nine_unless_urgent(database_url):
    api, clock = FakeBotAPI(), Clock()
    clock.set(2026, 11, 27, 0, 8)
    async with admin_bot(api, database_url, clock) as bot:
        await followers(database_url, api)
        ru = bot.chat(RU_ADMIN, "ru")
        shown = await ru.say("/broadcast Sos Вода будет утром")
        assert (
            "Тихие часы (22:00–09:00 по Баку): уйдёт в 09:00, 27 ноября 2026 г." in (shown["text"])
        )
        progress = await ru.press(shown, "✅")
        assert "уйдёт в 09:00" in progress["text"]
        await api.wait_idle(quiet=1.0)
        assert texts_to(api, AZ[0], "Вода") == []  # held

        az = bot.chat(ADMIN, "az")
        urgent = await az.say("/broadcast Sos Təcili: su kəsilib")
        assert "Sakitlik saatları" in urgent["text"] and "09:00, 27 noyabr 2026" in urgent["text"]
        urgent = await az.press(urgent, "🚨")
        assert "Təcili: sakitlik saatlarında da indi göndərilir" in urgent["text"]
        assert "Sakitlik saatları" not in urgent["text"]
        assert button(urgent, "🌙")  # and back again, if pressed by mistake
        await az.press(urgent, "✅")
        await finished(database_url, 2)
        await api.wait_idle(quiet=0.3)
        assert all(texts_to(api, chat, "su kəsilib") for chat in (*AZ, *EN, *RU))
        assert texts_to(api, AZ[0], "Вода") == []  # the first one still waits

        clock.set(2026, 11, 27, 9, 0)
        bot.application.bot_data.delivery.wake()
        await finished(database_url, 1)
        await api.wait_idle(quiet=0.3)
    assert all(texts_to(api, chat, "Вода будет утром") for chat in (*AZ, *EN, *RU))


@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
async def test_a_caravan_added_at_night_says_when_subscribers_are_told(database_url):
    api, clock = FakeBotAPI(), Clock()
    clock.set(2026, 11, 27, 0, 7)
    async with admin_bot(api, database_url, clock) as bot:
        await followers(database_url, api)
        az = bot.chat(ADMIN, "az")
        preview = await az.say("/addcaravan 2026-12-20 sos 12 50 source=azertag.az")
        done = await az.press(preview, "✅")
        assert "abunəçilərə 09:00, 27 noyabr 2026 xəbər veriləcək" in done["text"]
        await api.wait_idle(quiet=0.5)
        assert texts_to(api, AZ[0], "📅") == []

        ru = bot.chat(RU_ADMIN, "ru")
        preview = await ru.say("/addcaravan 2026-12-21 sos 3 9 source=azertag.az")
        done = await ru.press(preview, "✅")
        assert "подписчики узнают в 09:00, 27 ноября 2026 г." in done["text"]
        urgent = button(done, "🚨")
        assert urgent["text"] == "🚨 Срочно: сообщить сейчас"
        after = await ru.press(done, "🚨")
        assert not buttons(after)
        alert = api.calls_to("answerCallbackQuery")[-1].params
        assert alert["text"] == "🚨 6 сообщений уходят сейчас."

        async def told() -> bool:
            return all(texts_to(api, chat, "21") for chat in (*AZ, *EN, *RU))

        await wait_until(told, 30)
        assert texts_to(api, AZ[0], "20 dekabr") == []  # the first caravan still waits
        async with database(database_url) as session:
            held = select(func.count()).select_from(Delivery).where(Delivery.status == "pending")
            assert await session.scalar(held) == 6
            actions = (await session.scalars(select(AuditEntry.action))).all()
        assert "caravan.urgent" in actions


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_a_caravan_corrected_at_night_says_when_its_change_is_told(database_url):
    """Recorded at noon (told at once, nothing held: no line), corrected at 23:30: the
    change waits for 09:00 and the ru admin's confirmation says so."""
    api, clock = FakeBotAPI(), Clock()
    async with admin_bot(api, database_url, clock) as bot:
        await followers(database_url, api)
        ru = bot.chat(RU_ADMIN, "ru")
        done = await ru.press(
            await ru.say("/addcaravan 2026-12-20 sos 12 50 source=azertag.az"), "✅"
        )
        assert "Тихие часы" not in done["text"] and not buttons(done)

        async def announced() -> bool:
            return all(texts_to(api, chat, "📅") for chat in (*AZ, *EN, *RU))

        await wait_until(announced, 30)
        clock.set(2026, 11, 26, 23, 30)
        async with database(database_url) as session:
            caravan_id = await session.scalar(select(func.max(Caravan.id)))
        preview = await ru.say(f"/editcaravan {caravan_id} families=14")
        done = await ru.press(preview, "✅")
        assert "подписчики узнают в 09:00, 27 ноября 2026 г." in done["text"]
        assert button(done, "🚨")


@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
async def test_housing_set_at_night_says_when_subscribers_are_told(database_url):
    """/sethousing confirmed at 00:07: the az and ru confirmations say when the change alert
    goes out, with 🚨; the ru admin's 🚨 sends theirs now (audited), the az one still waits."""
    api, clock = FakeBotAPI(), Clock()
    clock.set(2026, 11, 27, 0, 7)
    async with admin_bot(api, database_url, clock) as bot:
        await followers(database_url, api)
        az = bot.chat(ADMIN, "az")
        preview = await az.say("/sethousing Sos planned=259 ready=12 source=azertag.az")
        done = await az.press(preview, "✅")
        assert "Mənzil göstəriciləri saxlanıldı" in done["text"]
        assert "abunəçilərə 09:00, 27 noyabr 2026 xəbər veriləcək" in done["text"]
        assert button(done, "🚨")["text"] == "🚨 Təcili: indi xəbər ver"
        await api.wait_idle(quiet=0.5)
        assert texts_to(api, AZ[0], "Mənzil") == []

        ru = bot.chat(RU_ADMIN, "ru")
        preview = await ru.say("/sethousing Sos planned=259 ready=15 source=azertag.az")
        done = await ru.press(preview, "✅")
        assert "подписчики узнают в 09:00, 27 ноября 2026 г." in done["text"]
        urgent = button(done, "🚨")["callback_data"]
        forged = await press_data(api, done, urgent, AZ[0], "az")  # a follower, not an admin
        assert forged == "Bunu yalnız adminlər edə bilər."
        async with database(database_url) as session:
            held = select(func.count()).select_from(Delivery).where(Delivery.status == "pending")
            assert await session.scalar(held) == 12  # both alerts still wait
        after = await ru.press(done, "🚨")
        assert not buttons(after)
        alert = api.calls_to("answerCallbackQuery")[-1].params
        assert alert["text"] == "🚨 6 сообщений уходят сейчас."
        again = await press_data(api, done, urgent, RU_ADMIN, "ru")  # replayed: already sent
        assert again == "Больше ничего не ждёт отправки."
        other = await press_data(api, done, "nu:h999999", RU_ADMIN, "ru")  # no such alert
        assert other == "Больше ничего не ждёт отправки."

        async def told() -> bool:
            return all(texts_to(api, chat, "15") for chat in (*AZ, *EN, *RU))

        await wait_until(told, 30)
        assert texts_to(api, AZ[0], "10 → 12") == []  # the first change still waits
        async with database(database_url) as session:
            held = select(func.count()).select_from(Delivery).where(Delivery.status == "pending")
            assert await session.scalar(held) == 6
            entries = (await session.scalars(select(AuditEntry))).all()
        urgent = [e for e in entries if e.action == "housing.urgent"]
        assert [(e.target, e.after) for e in urgent] == [("housing sos", {"sent_now": 6})]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_housing_set_by_day_says_nothing_of_quiet_hours(database_url):
    api, clock = FakeBotAPI(), Clock()
    clock.set(2026, 11, 26, 12, 0)
    async with admin_bot(api, database_url, clock) as bot:
        await followers(database_url, api)
        for user, language, quiet in ((ADMIN, "az", "Sakitlik"), (RU_ADMIN, "ru", "Тихие")):
            ready = 12 if language == "az" else 14
            preview = await bot.chat(user, language).say(
                f"/sethousing Sos planned=259 ready={ready} source=azertag.az"
            )
            done = await bot.chat(user, language).press(preview, "✅")
            assert quiet not in done["text"] and not buttons(done)

        async def told() -> bool:
            return all(texts_to(api, chat, "14") for chat in (*AZ, *EN, *RU))

        await wait_until(told, 30)
