"""Sourced admin edits and a /sethousing that never surprises, end to end: the real
Application against the fake Bot API over HTTP, on SQLite and PostgreSQL. Sos has 259 homes
planned, 10 ready, 75 due by the end of 2025 and 104 by the end of 2026; today is
26 November 2026 (tests/conftest.py)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.orm import selectinload

from bot.chat.api import FakeBotAPI
from bot.i18n import load_translators
from bot.views.common import plain_source
from db import outbox
from db.migrate import alembic_config, upgrade
from db.models import Caravan, HousingReport, Notice, Settlement
from db.session import create_engine
from tests.conftest import Clock, RunningBot, buttons, serve_bot
from tests.test_admin import (
    ADMIN,
    TODAY_DATE,
    audit_log,
    count,
    database,
    received,
    settle,
    sos_caravans,
    sos_deadlines,
)

OFFICE = "Khojavand district executive office"
REPORTED_BY = {"en": "reported by", "az": "məlumat verən:", "ru": "сообщает:"}
REPORTED = {"en": "Reported by", "az": "Məlumat verən:", "ru": "Сообщает:"}


@pytest.fixture
async def admin_bot(database_url: str, clock: Clock):
    """The bot with ADMIN_IDS=9001, on the test's clock (26 November 2026, noon in Baku)."""
    async with serve_bot(FakeBotAPI(), database_url, clock, ADMIN_IDS=str(ADMIN)) as bot:
        yield bot


async def as_language(chat, language: str) -> None:
    labels = {"az": "Azərbaycanca", "en": "English", "ru": "Русский"}
    await chat.press(await chat.say("/language"), labels[language])


# ------------------------------------------------------------------ a source is required


@pytest.mark.parametrize(
    "command",
    [
        "/addcaravan 2026-12-20 Sos 12 50",
        "/sethousing Sos planned=230 ready=31",
    ],
)
async def test_an_edit_without_a_source_asks_for_it_with_the_command_to_complete(
    admin_bot: RunningBot, command: str
):
    bot = admin_bot
    admin = bot.chat(ADMIN, "en")
    caravans = await count(bot, Caravan)
    reply = await admin.say(command)
    assert "Where do these figures come from?" in reply["text"]
    assert f"{command} source=" in reply["text"]  # the admin's own command, to complete
    assert not buttons(reply)
    assert bot.api.calls_to("sendMessage")[-1].params["reply_markup"]["force_reply"] is True
    await as_language(admin, "az")
    assert "Bu rəqəmlər haradandır?" in (await admin.say(command))["text"]
    await as_language(admin, "ru")
    assert "Откуда эти цифры?" in (await admin.say(command))["text"]
    reply = await admin.say(command + " source=x")  # too short to be a link or an office
    assert "Источник — это ссылка" in reply["text"] and not buttons(reply)
    assert await count(bot, Caravan) == caravans
    assert await audit_log(bot) == []


async def test_a_sourced_caravan_shows_its_source_never_the_admins_id(admin_bot: RunningBot):
    bot = admin_bot
    admin = bot.chat(ADMIN, "en")
    preview = await admin.say(f"/addcaravan 20.12.2026 Sos 12 50 source={OFFICE}")  # DD.MM.YYYY
    assert "December 20, 2026 — 12 families, 50 people" in preview["text"]
    assert f"Reported by {OFFICE}" in preview["text"]
    await admin.press(preview, "✅")
    new = (await sos_caravans(bot))[-1]
    assert (new.date, new.source) == (dt.date(2026, 12, 20), OFFICE)

    for language in ("en", "az", "ru"):
        reader = bot.chat(7400 + len(language) + ord(language[0]), language)
        card = await reader.say("/schedule Sos")
        assert f"{REPORTED[language]} {OFFICE}" in card["text"], language  # the next caravan
        listing = await reader.say("/caravans Sos")
        assert f"{REPORTED[language]} {OFFICE}" in listing["text"], language
        for text_ in (card["text"], listing["text"]):
            assert str(ADMIN) not in text_ and "via chat" not in text_

    [entry] = await audit_log(bot)  # who is kept in the audit log
    assert (entry.actor_id, entry.action) == (ADMIN, "caravan.add")
    assert entry.after["source"] == OFFICE


async def test_sourced_housing_figures_on_the_card_in_three_languages(admin_bot: RunningBot):
    bot = admin_bot
    admin = bot.chat(ADMIN, "en")
    preview = await admin.say(f"/sethousing Sos planned=259 ready=31 source={OFFICE}")
    assert f"Reported by {OFFICE}" in preview["text"]
    await admin.press(preview, "✅ Save")
    for language in ("en", "az", "ru"):
        card = await bot.chat(7500 + ord(language[0]), language).say("/schedule Sos")
        assert f"{REPORTED_BY[language]} {OFFICE}" in card["text"], language
        assert str(ADMIN) not in card["text"] and "admin" not in card["text"]
    [entry] = await audit_log(bot)
    assert (entry.actor_id, entry.action, entry.target) == (ADMIN, "housing.set", "housing sos")
    async with database(bot) as session:
        report = await session.scalar(
            select(HousingReport).where(HousingReport.as_of == TODAY_DATE)
        )
        assert report.source == OFFICE


# ------------------------------------------------------------------ the old admin sources


async def test_old_admin_sources_say_an_administrator_entered_them(admin_bot: RunningBot):
    """Before sources were required, edits stored `admin <id>, via chat, <date>`; that is
    shown as an administrator's entry of that day, in the reader's language, never the id."""
    bot = admin_bot
    legacy = f"admin {ADMIN}, via chat, 2026-11-20"
    async with database(bot) as session:
        sos = await session.scalar(select(Settlement).where(Settlement.slug == "sos"))
        session.add(
            Caravan(settlement_id=sos.id, date=dt.date(2026, 12, 10), families=5, source=legacy)
        )
        await session.execute(
            update(HousingReport).where(HousingReport.settlement_id == sos.id).values(source=legacy)
        )
        await session.commit()
    expected = {
        "en": "an administrator, on November 20, 2026",
        "az": "botun administratoru, 20 noyabr 2026",
        "ru": "администратор бота, 20 ноября 2026 г.",
    }
    for language, phrase in expected.items():
        reader = bot.chat(7600 + ord(language[0]), language)
        card = await reader.say("/schedule Sos")
        assert f"{REPORTED_BY[language]} {phrase}" in card["text"], language
        assert f"{REPORTED[language]} {phrase}" in card["text"], language  # the next caravan
        listing = await reader.say("/caravans Sos")
        assert phrase in listing["text"], language
        for text_ in (card["text"], listing["text"]):
            assert str(ADMIN) not in text_ and "via chat" not in text_


def test_the_old_admin_source_forms_and_others_as_given():
    tr = load_translators()["en"]
    for old in ("admin 9001, via chat, 2026-12-02", "administrator, via chat, 2026-12-02"):
        assert plain_source(old, tr) == "an administrator, on December 2, 2026"
    for kept in ("azernews.az/nation/247398.html (2025-09-14)", "admin office of Sos"):
        assert plain_source(kept, tr) == kept


async def test_migration_0008_takes_the_admins_id_out_of_stored_sources(database_url: str):
    from alembic import command

    engine = create_engine(database_url)

    def downgrade(connection) -> None:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.downgrade(config, "0007")

    try:
        async with engine.begin() as connection:
            await connection.run_sync(downgrade)
            await connection.execute(
                text("UPDATE caravans SET source = :s WHERE id = (SELECT MIN(id) FROM caravans)"),
                {"s": "admin 9001, via chat, 2026-12-02"},
            )
            await connection.execute(
                text(
                    "UPDATE housing_reports SET source = :s "
                    "WHERE id = (SELECT MIN(id) FROM housing_reports)"
                ),
                {"s": "admin 42, via chat, 2026-11-30"},
            )
        await upgrade(engine)
        async with engine.connect() as connection:
            sources = {
                row[0]
                for table in ("caravans", "housing_reports")
                for row in await connection.execute(text(f"SELECT source FROM {table}"))
            }
        assert "administrator, via chat, 2026-12-02" in sources
        assert "administrator, via chat, 2026-11-30" in sources
        assert not any(s.startswith("admin ") and "via chat" in s for s in sources)
    finally:
        await engine.dispose()


# ------------------------------------------------------------------ /sethousing


async def test_sethousing_preview_lists_what_changes_is_added_removed_and_kept(
    admin_bot: RunningBot,
):
    bot = admin_bot
    admin = bot.chat(ADMIN, "en")
    preview = await admin.say(
        f"/sethousing Sos planned=260 ready=40 2026=0 30.06.2027=50 source={OFFICE}"
    )
    lines = preview["text"].splitlines()

    def section(title: str) -> list[str]:
        start = lines.index(title) + 1
        return lines[start : next((i for i in range(start, len(lines)) if not lines[i]), None)]

    assert section("Will change:") == ["• Homes planned: 259 → 260", "• Ready homes: 10 → 40"]
    assert section("Will be added:") == ["• Due by June 30, 2027: 50"]  # DD.MM.YYYY accepted
    assert section("Will be removed:") == [
        "• Due by December 31, 2026: 104 — you gave 2026-12-31=0"
    ]
    [history] = section("Kept as history:")
    assert history.startswith("• Was due by December 31, 2025: 75 — the date has passed")
    assert "→ —" not in preview["text"] and "— →" not in preview["text"]

    await as_language(admin, "ru")
    preview = await admin.say(f"/sethousing Sos planned=260 ready=40 source={OFFICE}")
    assert "Изменится:" in preview["text"] and "Сохраняется как история:" in preview["text"]
    assert "Ожидалось к 31 декабря 2025 г.: 75" in preview["text"]
    await as_language(admin, "az")
    preview = await admin.say(f"/sethousing Sos planned=260 ready=40 source={OFFICE}")
    assert "Dəyişəcək:" in preview["text"] and "Saxlanılır (verilməyib):" in preview["text"]


async def test_a_passed_deadline_stays_as_history_and_goes_only_with_zero(admin_bot: RunningBot):
    bot = admin_bot
    admin = bot.chat(ADMIN, "en")
    await admin.press(
        await admin.say(f"/sethousing Sos planned=230 ready=31 source={OFFICE}"), "✅ Save"
    )
    assert await sos_deadlines(bot) == {dt.date(2025, 12, 31): 75, dt.date(2026, 12, 31): 104}
    for language, line in (
        ("en", "Was due by December 31, 2025: 75 (earlier figures)"),
        ("az", "31 dekabr 2025 tarixinədək gözlənilirdi: 75 (əvvəlki məlumat)"),
        ("ru", "Ожидалось к 31 декабря 2025 г.: 75 (прежние данные)"),
    ):
        card = await bot.chat(7700 + ord(language[0]), language).say("/schedule Sos")
        assert line in card["text"], language
    card = await bot.chat(7701, "en").say("/schedule Sos")
    assert "Due by December 31, 2026: +104 (total 135)" in card["text"]  # history not counted

    preview = await admin.say(f"/sethousing Sos planned=230 ready=31 31.12.2025=0 source={OFFICE}")
    assert "Was due by December 31, 2025: 75 — you gave 2025-12-31=0" in preview["text"]
    await admin.press(preview, "✅ Save")
    assert await sos_deadlines(bot) == {dt.date(2026, 12, 31): 104}
    card = await bot.chat(7701, "en").say("/schedule Sos")
    assert "December 31, 2025" not in card["text"]


@pytest.mark.parametrize(
    ("arguments", "reason"),
    [
        ("planned=230 ready=31 2025=80", "The deadline 2025-12-31 has already passed"),
        ("planned=230 ready=31 2024-06-30=5", "The deadline 2024-06-30 has already passed"),
        ("planned=230 ready=31 30.06.2024=5", "The deadline 2024-06-30 has already passed"),
        ("planned=30 ready=31", "Ready homes (31) cannot exceed planned ones (30)"),
        ("planned=100 ready=31", "with the deadlines kept from the current figures"),
        ("planned=230 ready=31 31.02.2027=5", "not a real date of the form YYYY-MM-DD or"),
    ],
)
async def test_sethousing_refuses_in_plain_words(admin_bot: RunningBot, arguments, reason):
    bot = admin_bot
    admin = bot.chat(ADMIN, "en")
    reply = await admin.say(f"/sethousing Sos {arguments} source={OFFICE}")
    assert reason in reply["text"] and "Usage: /sethousing" in reply["text"]
    assert not buttons(reply)
    assert await audit_log(bot) == []


async def test_passed_deadline_refusal_and_warning_in_three_languages(admin_bot: RunningBot):
    bot = admin_bot
    admin = bot.chat(ADMIN, "en")
    reply = await admin.say(f"/sethousing Sos planned=259 ready=5 source={OFFICE}")
    assert "Fewer homes ready than before (10 → 5): check that this is right." in reply["text"]
    assert buttons(reply)  # a warning, not a refusal
    await as_language(admin, "az")
    reply = await admin.say(f"/sethousing Sos planned=259 ready=10 2025=80 source={OFFICE}")
    assert "2025-12-31 müddəti artıq keçib" in reply["text"]
    await as_language(admin, "ru")
    reply = await admin.say(f"/sethousing Sos planned=259 ready=10 2025=80 source={OFFICE}")
    assert "Срок 2025-12-31 уже прошёл" in reply["text"]
    reply = await admin.say(f"/sethousing Sos planned=259 ready=5 source={OFFICE}")
    assert "Готовых домов меньше, чем было (10 → 5)" in reply["text"]


async def test_the_alert_never_shows_an_arrow_to_nothing(admin_bot: RunningBot):
    bot = admin_bot
    for user, language in ((7801, "en"), (7802, "ru"), (7803, "az")):
        await bot.chat(user, language).say("/subscribe Sos")
    admin = bot.chat(ADMIN, "en")
    # the 2025 deadline has passed: kept as history, no alert line for it
    await admin.press(
        await admin.say(f"/sethousing Sos planned=230 ready=31 source={OFFICE}"), "✅ Save"
    )
    await settle(bot)
    [alert] = received(bot, 7801, "Housing figures updated")
    assert "Homes planned: 259 → 230" in alert and "Ready homes: 10 → 31" in alert
    assert "2025" not in alert and "→ —" not in alert

    # a passed deadline removed with =0 was only retired: subscribers are not told of it;
    # a future one removed or added is said in words
    preview = await admin.say(
        f"/sethousing Sos planned=230 ready=31 2025=0 2026=0 2027=60 source={OFFICE}"
    )
    await admin.press(preview, "✅ Save")
    await settle(bot)
    alert = received(bot, 7801, "Housing figures updated")[-1]
    assert "Due by December 31, 2026: removed (was 104)" in alert
    assert "Due by December 31, 2027: 60 (new)" in alert
    assert "2025" not in alert and "→ —" not in alert and "— →" not in alert
    ru = received(bot, 7802, "Сос")[-1]
    assert "удалено (было 104)" in ru and "60 (новое)" in ru and "→ —" not in ru
    az = received(bot, 7803, "Sos")[-1]
    assert "silindi (əvvəl 104 idi)" in az and "60 (yeni)" in az and "→ —" not in az


async def test_a_retired_deadline_is_not_an_alert_line_on_import_either(admin_bot: RunningBot):
    """The same rule where figures come from a file: a passed deadline that the new figures
    leave out is not told as a change."""
    bot = admin_bot
    state = bot.application.bot_data
    from bot.domain import clock

    async with database(bot) as session:
        query = (
            select(Settlement)
            .where(Settlement.slug == "sos")
            .options(selectinload(Settlement.housing).selectinload(HousingReport.deadlines))
        )
        sos = await session.scalar(query)
        before = {"ready": 10, "due:2025-12-31": 75, "due:2026-12-31": 104}
        after = {"ready": 31, "due:2026-12-31": 104}
        notice = await outbox.record_housing_change(
            session, sos, before, after, state.clock(), timing=clock
        )
        assert notice.payload["changes"] == [["ready", 10, 31]]
        only_retired = await outbox.record_housing_change(
            session, sos, {"due:2025-12-31": 75}, {}, state.clock(), timing=clock
        )
        assert only_retired is None
        await session.rollback()
    assert await count(bot, Notice, Notice.kind == outbox.HOUSING) == 0


async def answer_prompt(chat, prompt: dict, text: str) -> dict:
    """`text` as a reply to the bot's message `prompt`; the bot's answer."""
    mark = len(chat.api.calls)
    chat.api.send_text(
        text, user_id=chat.user_id, language_code=chat.language, reply_to=prompt["message_id"]
    )
    return await chat._answer(mark)


@pytest.mark.parametrize("lang", ["en", "az", "ru"])
async def test_a_reply_to_the_question_for_a_source_completes_the_command(
    admin_bot: RunningBot, lang: str
):
    """The command of the contract without a source still works: the bot asks where the
    figures come from, and the admin's reply is the source (then the usual preview and ✅)."""
    bot = admin_bot
    admin = bot.chat(ADMIN, lang)
    prompt = await admin.say("/addcaravan 20.12.2026 Sos 12 50")
    preview = await answer_prompt(admin, prompt, "Xocavənd rayon icra hakimiyyəti")
    assert "Xocavənd rayon icra hakimiyyəti" in preview["text"], preview["text"]
    done = await admin.press(preview, "✅")
    assert "#" in done["text"] or "№" in done["text"]
    async with database(bot) as session:
        caravan = await session.scalar(select(Caravan).order_by(Caravan.id.desc()).limit(1))
    assert caravan.source == "Xocavənd rayon icra hakimiyyəti" and caravan.families == 12

    # a reply from someone who is not an admin: refused, nothing recorded
    stranger = bot.chat(5005, lang)
    before = await count(bot, Caravan)
    refused = await answer_prompt(stranger, await stranger.say("Sos"), "some office")
    assert await count(bot, Caravan) == before
    assert refused  # the bot answered (the stranger's reply is not to a source question)
