"""Admin identity and data editing from the chat, end to end: the real Application against
the fake Bot API over HTTP, on SQLite and PostgreSQL; and the pure argument parsers."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from contextlib import asynccontextmanager
from typing import Any

import pytest
from babel.dates import format_date
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from bot.chat.api import FakeBotAPI
from bot.domain.clock import BAKU
from bot.domain.housing_edit import Status, plan_housing
from bot.i18n import load_translators
from bot.views import audit as audit_view
from bot.views import callbacks as cb
from db import outbox
from db.models import (
    Admin,
    AuditEntry,
    Caravan,
    Delivery,
    HousingReport,
    Settlement,
)
from db.session import create_engine, create_sessionmaker
from db.snapshot import PlaceData
from handlers.admin import ArgError, parse_addcaravan, parse_caravan_edit, parse_sethousing
from tests.conftest import TODAY, Clock, RunningBot, buttons, serve_bot


def real_today(locale: str) -> str:
    """Today in Asia/Baku as the admin list and the audit show it ("Nov 26, 2026"): they
    record the real time of an action, not the test's clock."""
    return format_date(dt.datetime.now(BAKU).date(), "medium", locale=locale).split("\u202f")[0]


ADMIN = 9001
TODAY_DATE = TODAY.date()


@asynccontextmanager
async def database(bot: RunningBot):
    engine = create_engine(bot.settings.database_url)
    try:
        async with create_sessionmaker(engine)() as session:
            yield session
    finally:
        await engine.dispose()


@pytest.fixture
async def admin_bot(database_url: str, clock: Clock):
    """The bot with ADMIN_IDS=9001, on the test's clock (26 November 2026, noon in Baku)."""
    async with serve_bot(FakeBotAPI(), database_url, clock, ADMIN_IDS=str(ADMIN)) as bot:
        yield bot


async def count(bot: RunningBot, model: Any, *where: Any) -> int:
    async with database(bot) as session:
        return await session.scalar(select(func.count()).select_from(model).where(*where))


async def audit_log(bot: RunningBot) -> list[AuditEntry]:
    async with database(bot) as session:
        return list(await session.scalars(select(AuditEntry).order_by(AuditEntry.id)))


async def sos_caravans(bot: RunningBot) -> list[Caravan]:
    async with database(bot) as session:
        query = select(Caravan).join(Caravan.settlement).where(Settlement.slug == "sos")
        return list(await session.scalars(query.order_by(Caravan.id)))


async def settle(bot: RunningBot, seconds: float = 15) -> None:
    """Wait until no delivery due now is left in the outbox."""
    state = bot.application.bot_data
    state.delivery.wake()
    deadline = time.monotonic() + seconds
    now = state.clock().astimezone(dt.UTC).replace(tzinfo=None)
    busy = (Delivery.status == outbox.SENDING) | (
        (Delivery.status == outbox.PENDING) & (Delivery.not_before <= now)
    )
    while left := await count(bot, Delivery, busy):
        assert time.monotonic() < deadline, f"{left} deliveries still due"
        await asyncio.sleep(0.05)
    await bot.api.wait_idle(quiet=0.05)


async def sos_deadlines(bot: RunningBot) -> dict[dt.date, int]:
    """The deadlines of Sos's report dated today."""
    async with database(bot) as session:
        query = (
            select(HousingReport)
            .join(HousingReport.settlement)
            .where(Settlement.slug == "sos", HousingReport.as_of == TODAY_DATE)
            .options(selectinload(HousingReport.deadlines))
        )
        report = await session.scalar(query)
        return {d.due_by: d.homes for d in report.deadlines}


def received(bot: RunningBot, chat_id: int, marker: str) -> list[str]:
    return [m["text"] for m in bot.api.bot_messages(chat_id) if marker in m.get("text", "")]


async def forge(bot: RunningBot, message: dict, data: str, user_id: int) -> list[Any]:
    """Press callback data that is not (or no longer) on the message, as a forger would;
    returns the bot's answerCallbackQuery calls."""
    mark = len(bot.api.calls)
    bot.api.press(message, data, user_id=user_id, language_code="en", strict=False)
    await bot.api.wait_for(
        lambda: any(c.method == "answerCallbackQuery" for c in bot.api.calls[mark:]), timeout=15
    )
    await bot.api.wait_idle(quiet=0.2)
    return [c for c in bot.api.calls[mark:] if c.method == "answerCallbackQuery"]


def data_of(message: dict, label: str) -> str:
    return next(b["callback_data"] for b in buttons(message) if label in b["text"])


# ------------------------------------------------------------------ /admins


async def confirmed(chat: Any, command: str) -> dict[str, Any]:
    """`command`, then ✅ on its preview (when it shows one); the bot's last answer."""
    preview = await chat.say(command)
    if not any("✅" in b["text"] for b in buttons(preview)):
        return preview
    return await chat.press(preview, "✅")


async def test_admins_list_add_remove_with_audit(admin_bot: RunningBot):
    bot = admin_bot
    admin = bot.chat(ADMIN, "en")
    listing = await admin.say("/admins")
    assert f"Test ({ADMIN}) — from ADMIN_IDS" in listing["text"]

    preview = await admin.say("/admins add 9002")
    assert "New admin — please check" in preview["text"] and await count(bot, Admin) == 0
    assert "9002 is now an admin" in (await admin.press(preview, "✅"))["text"]
    assert "already an admin" in (await admin.say("/admins add 9002"))["text"]
    assert "already an admin" in (await admin.say(f"/admins add {ADMIN}"))["text"]
    listing = await bot.chat(9002, "az").say("/admins")  # 9002 is an admin now, in Azerbaijani
    assert "Test (9002) — Test (9001) tərəfindən" in listing["text"]
    assert real_today("az") in listing["text"]

    refusal = await admin.say(f"/admins remove {ADMIN}")
    assert "ADMIN_IDS" in refusal["text"] and "cannot be removed" in refusal["text"]
    assert "not an admin" in (await admin.say("/admins remove 4242"))["text"]
    assert "no longer an admin" in (await confirmed(admin, "/admins remove 9002"))["text"]
    assert "yalnız adminlər üçün" in (await bot.chat(9002, "az").say("/admins"))["text"]
    assert await count(bot, Admin) == 0

    entries = await audit_log(bot)
    assert [(e.action, e.actor_id, e.target) for e in entries] == [
        ("admin.add", ADMIN, "admin 9002"),
        ("admin.remove", ADMIN, "admin 9002"),
    ]
    assert entries[0].before is None and entries[0].after == {"user_id": 9002}
    assert entries[1].before["added_by"] == ADMIN and entries[1].after is None


async def test_the_last_admin_cannot_be_removed(database_url: str, clock: Clock):
    async with serve_bot(FakeBotAPI(), database_url, clock) as bot:  # no ADMIN_IDS
        async with database(bot) as session:
            session.add(Admin(user_id=9100, added_by=1, added_at=dt.datetime(2026, 1, 1)))
            await session.commit()
        chat = bot.chat(9100, "ru")
        reply = await chat.say("/admins remove 9100")
        assert "последний" in reply["text"] and not buttons(reply)
        assert "9101" in (await confirmed(chat, "/admins add 9101"))["text"]
        assert "больше не" in (await confirmed(chat, "/admins remove 9100"))["text"]
        last = await bot.chat(9101, "ru").say("/admins remove 9101")
        assert "последний" in last["text"] and not buttons(last)
        assert await count(bot, Admin) == 1


# ------------------------------------------------------------------ /addcaravan


async def test_addcaravan_confirm_announces_to_subscribers_in_their_language(admin_bot):
    bot = admin_bot
    await bot.chat(7001, "ru").say("/subscribe Sos")
    await bot.chat(7002, "az").say("/subscribe all")
    admin = bot.chat(ADMIN, "en")
    before = len(await sos_caravans(bot))

    preview = await admin.say(
        "/addcaravan 2026-12-20 sos 12 50 source=Khojavand district executive office"
    )
    assert "December 20, 2026 — 12 families, 50 people" in preview["text"]
    assert "Subscribers" in preview["text"]
    assert buttons(preview)[0]["text"].startswith("✅")
    assert len(await sos_caravans(bot)) == before  # nothing until ✅
    done = await admin.press(preview, "✅")
    assert "recorded" in done["text"] and not buttons(done)
    await settle(bot)

    [ru] = received(bot, 7001, "📅")
    assert "Сос" in ru and "20 декабря 2026 г." in ru and "12 семей, 50 человек" in ru
    [az] = received(bot, 7002, "📅")
    assert "20 dekabr 2026" in az and "12 ailə" in az
    caravans = await sos_caravans(bot)
    assert len(caravans) == before + 1
    new = caravans[-1]
    assert (new.date, new.families, new.people) == (dt.date(2026, 12, 20), 12, 50)
    assert new.source == "Khojavand district executive office"
    [entry] = await audit_log(bot)
    assert (entry.action, entry.actor_id, entry.before) == ("caravan.add", ADMIN, None)
    assert entry.after["date"] == "2026-12-20" and entry.after["families"] == 12

    # a replayed ✅ (the button is gone, the data is pressed again) creates nothing
    [answer] = await forge(bot, preview, data_of(preview, "✅"), ADMIN)
    assert "expired" in answer.params["text"]
    assert len(await sos_caravans(bot)) == before + 1


async def test_addcaravan_multiword_ambiguous_unknown_and_cancel(admin_bot):
    bot = admin_bot
    admin = bot.chat(ADMIN, "en")
    preview = await admin.say(
        "/addcaravan 2026-12-21 Qırmızı Bazar 24 99 source=Khojavand district executive office"
    )
    assert "Qirmizi Bazar" in preview["text"] and "24 families, 99 people" in preview["text"]
    dropped = await admin.press(preview, "↩️")
    assert "Nothing was changed" in dropped["text"]

    choices = await admin.say(
        "/addcaravan 2026-12-22 Lachin 5 source=Khojavand district executive office"
    )
    assert "Several settlements" in choices["text"] and len(buttons(choices)) > 2
    label = buttons(choices)[0]["text"]
    preview = await admin.press(choices, label)
    assert "5 families" in preview["text"]
    await admin.press(preview, "✅")

    unknown = await admin.say(
        "/addcaravan 2026-12-22 Xyzzyqwerty 5 source=Khojavand district executive office"
    )
    assert "could not find a settlement" in unknown["text"] and "Example" in unknown["text"]
    entries = await audit_log(bot)
    assert [e.action for e in entries] == ["caravan.add"]
    assert await count(bot, Caravan, Caravan.date == dt.date(2026, 12, 21)) == 0


async def test_bad_arguments_get_usage_in_the_admins_language(admin_bot):
    bot = admin_bot
    en = bot.chat(ADMIN, "en")
    reply = await en.say("/addcaravan 2026-02-30 Sos 3 source=Khojavand district executive office")
    assert "not a real date" in reply["text"] and "Example" in reply["text"]
    reply = await en.say(
        "/addcaravan 2026-12-20 Sos 12 5 source=Khojavand district executive office"
    )
    assert "cannot be fewer than families" in reply["text"]
    reply = await en.say("/addcaravan 2026-12-20 Sos 0 source=Khojavand district executive office")
    assert "families: give a whole number from 1" in reply["text"]
    assert "Usage: /sethousing" in (await en.say("/sethousing Sos planned=10"))["text"]
    reply = await en.say(
        "/sethousing Sos planned=10 ready=20 source=Khojavand district executive office"
    )
    assert "cannot exceed" in reply["text"]
    assert "Usage: /audit" in (await en.say("/audit 99"))["text"]
    assert "Usage: /admins" in (await en.say("/admins promote 5"))["text"]
    assert "Usage: /editcaravan" in (await en.say("/editcaravan"))["text"]
    assert "Usage: /cancelcaravan" in (await en.say("/cancelcaravan"))["text"]

    az = ru = en  # the same admin picks another language
    await az.press(await az.say("/language"), "Azərbaycanca")
    reply = await az.say(
        "/addcaravan 2026-12-20 Sos 12 5 source=Khojavand district executive office"
    )
    assert "Nümunə" in reply["text"] and "ailə" in reply["text"]
    await ru.press(await ru.say("/language"), "Русский")
    reply = await ru.say("/sethousing Sos planned=x ready=1")
    assert "Пример" in reply["text"] and "запланировано" in reply["text"]
    assert await audit_log(bot) == []


# ------------------------------------------------------------------ /sethousing


async def test_sethousing_shows_before_after_and_alerts_subscribers(admin_bot):
    bot = admin_bot
    await bot.chat(7101, "en").say("/subscribe Sos")
    admin = bot.chat(ADMIN, "en")
    preview = await admin.say(
        "/sethousing Sos planned=260 ready=40 2026=100 2027-06-30=50"
        " source=Khojavand district executive office"
    )
    text = preview["text"]
    assert "Homes planned: 259 → 260" in text and "Ready homes: 10 → 40" in text
    assert "Due by December 31, 2026: 104 → 100" in text
    assert "Will be added:\n• Due by June 30, 2027: 50" in text
    assert "Kept as history:\n• Was due by December 31, 2025: 75" in text
    done = await admin.press(preview, "✅ Save")
    assert "Housing figures saved" in done["text"]
    await settle(bot)

    [alert] = received(bot, 7101, "Housing figures updated")
    assert "Ready homes: 10 → 40" in alert and "Homes planned: 259 → 260" in alert
    async with database(bot) as session:
        sos = await session.scalar(select(Settlement).where(Settlement.slug == "sos"))
        reports = list(
            await session.scalars(
                select(HousingReport).where(HousingReport.settlement_id == sos.id)
            )
        )
    assert sorted(r.as_of for r in reports) == [dt.date(2025, 9, 14), TODAY_DATE]  # history kept
    card = await bot.chat(7101, "en").say("/schedule Sos")
    assert "Ready: 40" in card["text"] and "reported by Khojavand district" in card["text"]
    assert str(ADMIN) not in card["text"]
    [entry] = await audit_log(bot)
    assert entry.action == "housing.set" and entry.target == "housing sos"
    assert entry.before["ready"] == 10 and entry.after["ready"] == 40
    assert entry.after["due:2027-06-30"] == 50 and "due:2027-06-30" not in entry.before


async def test_sethousing_keeps_the_deadlines_not_given_and_shows_them(admin_bot):
    """Sos has 259 planned, 10 ready, 75 due by the end of 2025 and 104 by the end of 2026;
    today is 26 November 2026."""
    bot = admin_bot
    admin = bot.chat(ADMIN, "en")
    preview = await admin.say(
        "/sethousing Sos planned=259 ready=40 source=Khojavand district executive office"
    )
    text = preview["text"]
    assert "Ready homes: 10 → 40" in text
    assert "Due by December 31, 2026: 104 — not given: kept" in text
    assert "Was due by December 31, 2025: 75 — the date has passed" in text  # kept as history
    await admin.press(preview, "✅ Save")
    assert await sos_deadlines(bot) == {dt.date(2025, 12, 31): 75, dt.date(2026, 12, 31): 104}
    card = await bot.chat(7301, "en").say("/schedule Sos")
    assert "Was due by December 31, 2025: 75 (earlier figures)" in card["text"]
    assert "Due by December 31, 2026: +104 (total 144)" in card["text"]

    reply = await admin.say(
        "/sethousing Sos planned=150 ready=100 source=Khojavand district executive office"
    )  # 100 + 104 > 150
    assert "2026-12-31=104" in reply["text"] and "Usage: /sethousing" in reply["text"]
    assert not buttons(reply)

    preview = await admin.say(
        "/sethousing Sos planned=150 ready=100 2026=0 2027=20"
        " source=Khojavand district executive office"
    )
    text = preview["text"]
    assert "Due by December 31, 2026: 104 — you gave 2026-12-31=0" in text
    assert "Will be added:\n• Due by December 31, 2027: 20" in text
    await admin.press(preview, "✅ Save")
    assert await sos_deadlines(bot) == {dt.date(2025, 12, 31): 75, dt.date(2027, 12, 31): 20}
    entries = await audit_log(bot)
    assert [e.after.get("due:2026-12-31") for e in entries] == [104, None]


# ------------------------------------------------------------------ correct and cancel


async def test_edit_and_cancel_a_caravan_tell_those_who_were_told(admin_bot, clock):
    bot = admin_bot
    await bot.chat(7201, "ru").say("/subscribe Sos")
    admin = bot.chat(ADMIN, "en")
    await admin.press(
        await admin.say(
            "/addcaravan 2026-12-20 Sos 12 50 source=Khojavand district executive office"
        ),
        "✅",
    )
    await settle(bot)
    new = (await sos_caravans(bot))[-1]
    await bot.chat(7202, "en").say("/subscribe Sos")  # too late for the announcement

    listing = await admin.say("/editcaravan Sos")
    assert f"#{new.id}" in listing["text"]
    assert f"#{new.id}" not in (await bot.chat(7202, "en").say("/caravans Sos"))["text"]

    preview = await admin.say(f"/editcaravan {new.id} date=2026-12-22 families=14")
    assert "December 22, 2026" in preview["text"]
    await admin.press(preview, "✅")
    await settle(bot)
    [changed] = received(bot, 7201, "изменился")
    assert "22 декабря 2026 г." in changed and "20 декабря 2026 г." in changed
    assert received(bot, 7202, "changed") == []  # never told of it, not told of the change
    public = await bot.chat(7202, "en").say("/caravans Sos")
    assert "December 22, 2026 — 14 families, 50 people" in public["text"]
    reply = await admin.say(f"/editcaravan #{new.id} families=14")
    assert "nothing to change" in reply["text"] and not buttons(reply)

    clock.set(2026, 12, 15, 10)  # the 7-day reminder of the new date reaches 7202 too
    await bot.application.bot_data.delivery.scan()
    await settle(bot)
    assert len(received(bot, 7202, "⏰")) == 1
    await bot.chat(7203, "en").say("/subscribe all")  # told nothing of this caravan

    listing = await admin.say("/cancelcaravan Sos")
    preview = await admin.press(listing, f"🗑 #{new.id}")
    assert "Cancel caravan" in preview["text"]
    await admin.press(preview, "✅")
    await settle(bot)
    [cancelled] = received(bot, 7201, "отменён")
    assert "22 декабря 2026 г." in cancelled
    [cancelled] = received(bot, 7202, "cancelled")
    assert "The caravan to Sos (Khojavand district) on December 22, 2026 is cancelled" in cancelled
    assert received(bot, 7203, "cancelled") == []
    public = await bot.chat(7202, "en").say("/caravans Sos")
    assert "December 22, 2026" not in public["text"]
    assert await count(bot, Caravan, Caravan.id == new.id) == 0

    actions = [(e.action, e.before, e.after) for e in await audit_log(bot)]
    assert [a for a, _b, _a in actions] == ["caravan.add", "caravan.edit", "caravan.cancel"]
    _action, before, after = actions[1]
    assert (before["date"], after["date"]) == ("2026-12-20", "2026-12-22")
    assert (before["families"], after["families"]) == (12, 14)
    assert actions[2][1]["date"] == "2026-12-22" and actions[2][2] is None

    reply = await admin.say(f"/cancelcaravan {new.id}")
    assert f"no caravan #{new.id}" in reply["text"]


# ------------------------------------------------------------------ /audit


async def test_audit_lists_latest_entries_compactly_in_the_admins_language(admin_bot):
    bot = admin_bot
    admin = bot.chat(ADMIN, "en")
    await confirmed(admin, "/admins add 9002")
    await confirmed(admin, "/admins add 9003")
    await confirmed(admin, "/admins remove 9003")
    reply = await admin.say("/audit 2")
    lines = reply["text"].splitlines()
    assert len([line for line in lines if line.startswith("•")]) == 2
    assert "removed an admin · 9003" in lines[1] and real_today("en") in lines[1]
    assert "Test (9001)" in lines[1]
    assert "admin: 9003 → —" in reply["text"] and "added by: Test (9001) → —" in reply["text"]
    listing = await bot.chat(9002, "ru").say("/audit")
    assert "добавил администратора" in listing["text"] and real_today("ru") in listing["text"]


def test_audit_messages_are_split_under_telegrams_limit():
    tr = load_translators()["en"]
    entries = [
        AuditEntry(
            id=i,
            at=dt.datetime(2026, 11, 26, 10, 0),
            actor_id=ADMIN,
            action="housing.set",
            target="housing <sos>",
            before={"note": "x" * 400},
            after={"note": "<b>" + "y" * 400},
        )
        for i in range(50)
    ]
    data = PlaceData(version=0, regions=[], totals=[])
    messages = audit_view.audit_messages(entries, {}, data, tr)
    assert len(messages) > 1 and all(len(m) < 4096 for m in messages)
    assert sum(m.count("•") for m in messages) == 50
    assert "&lt;b&gt;" in messages[0] and "<b>y" not in "".join(messages)


# ------------------------------------------------------------------ refusals and forgeries


async def test_non_admins_are_refused_and_forged_buttons_do_nothing(admin_bot):
    bot = admin_bot
    stranger = bot.chat(6001, "en")
    for command in (
        "/admins",
        "/admins add 6001",
        "/addcaravan 2026-12-20 Sos 12 50 source=Khojavand district executive office",
        "/sethousing Sos planned=300 ready=300",
        "/editcaravan 1 families=3",
        "/cancelcaravan 1",
        "/audit",
    ):
        reply = await stranger.say(command)
        assert reply["text"] == "Sorry, this command is only for admins.", command
    assert "/addcaravan" not in (await stranger.say("/help"))["text"]
    caravans, admins = await count(bot, Caravan), await count(bot, Admin)

    admin = bot.chat(ADMIN, "en")
    assert "/addcaravan" in (await admin.say("/help"))["text"]
    preview = await admin.say(
        "/addcaravan 2026-12-20 Sos 12 50 source=Khojavand district executive office"
    )
    listing = await admin.say("/cancelcaravan Sos")
    for message, data in (
        (preview, data_of(preview, "✅")),  # the admin's own pending action
        (listing, data_of(listing, "🗑")),
        (preview, "ap:" + data_of(preview, "✅")[3:] + ".0"),
        (preview, "ax:" + data_of(preview, "✅")[3:]),
    ):
        [answer] = await forge(bot, message, data, 6001)
        assert answer.params["text"] == "Only admins can do this.", data
    # a made-up token from an admin is refused as expired, never acted on
    [answer] = await forge(bot, preview, "ak:0123456789ab", ADMIN)
    assert "expired" in answer.params["text"]
    assert await count(bot, Caravan) == caravans and await count(bot, Admin) == admins
    assert await audit_log(bot) == []
    # the real admin's button still works once
    await admin.press(preview, "✅")
    assert await count(bot, Caravan) == caravans + 1


# ------------------------------------------------------------------ parsers


def test_admin_callback_data_is_parsed_strictly():
    assert cb.parse("ak:0123456789ab") == (cb.ADMIN_CONFIRM, "0123456789ab")
    assert cb.parse("ap:0123456789ab.3") == (cb.ADMIN_PICK, "0123456789ab.3")
    assert cb.parse("acx:42") == (cb.ADMIN_CANCEL, "42")
    for bad in (
        "ak:0123",
        "ak:0123456789AB",
        "ap:0123456789ab",
        "ap:0123456789ab.100",
        "acx:0",
        "acx:-1",
        "ax:0123456789ab;",
        "ak:",
    ):
        assert cb.parse(bad) is None, bad


def test_parse_addcaravan_takes_the_date_first_and_numbers_last():
    assert parse_addcaravan(["2026-12-20", "Qırmızı", "Bazar", "24", "99"], TODAY_DATE) == (
        dt.date(2026, 12, 20),
        "Qırmızı Bazar",
        24,
        99,
    )
    assert parse_addcaravan(["2026-12-20", "Sos", "12"], TODAY_DATE)[2:] == (12, None)
    assert parse_addcaravan(["20.12.2026", "Sos", "12"], TODAY_DATE)[0] == dt.date(2026, 12, 20)
    for bad in (
        ["2026-12-20", "12", "50"],  # no place
        ["31.02.2026", "Sos", "12"],
        ["2026/12/20", "Sos", "12"],
        ["2026-12-20", "Sos"],
        ["2026-12-20", "Sos", "-3"],
        ["2026-12-20", "Sos", "2.5"],
        ["2035-01-01", "Sos", "3"],
        ["2026-12-20", "Sos", "3", "2"],
    ):
        with pytest.raises(ArgError):
            parse_addcaravan(bad, TODAY_DATE)


def test_parse_sethousing_years_mean_the_end_of_the_year():
    place, planned, ready, deadlines = parse_sethousing(
        ["Qırmızı", "Bazar", "planned=300", "READY=10", "2026=100", "2027-06-30=20"], TODAY_DATE
    )
    assert (place, planned, ready) == ("Qırmızı Bazar", 300, 10)
    assert deadlines == {dt.date(2026, 12, 31): 100, dt.date(2027, 6, 30): 20}
    *_, deadlines = parse_sethousing(["Sos", "planned=10", "ready=1", "2026=0"], TODAY_DATE)
    assert deadlines == {dt.date(2026, 12, 31): 0}  # 0: remove that deadline
    for bad in (
        ["Sos", "planned=10", "ready=1", "2026=5", "2026-12-31=5"],  # the same deadline twice
        ["Sos", "planned=10", "ready=1", "soon=5"],
        ["Sos", "planned=10", "ready=11"],  # more ready than planned
        ["planned=10", "ready=1"],
    ):
        with pytest.raises(ArgError):
            parse_sethousing(bad, TODAY_DATE)


def test_housing_plan_keeps_what_is_not_given_and_removes_only_with_zero():
    current = {
        "homes_total": 90,
        "ready": 1,
        "built": 4,
        "under_construction": None,
        "due:2025-12-31": 5,
        "due:2026-11-26": 6,
        "due:2027-12-31": 7,
    }
    plan = plan_housing(current, 90, 1, {}, TODAY_DATE)
    assert plan.deadlines == {
        dt.date(2025, 12, 31): 5,  # passed: kept as history
        dt.date(2026, 11, 26): 6,  # due today still counts as ahead
        dt.date(2027, 12, 31): 7,
    }
    statuses = {line.figure: line.status for line in plan.lines}
    assert statuses == {
        "homes_total": Status.SAME,
        "ready": Status.SAME,
        "due:2025-12-31": Status.HISTORY,
        "due:2026-11-26": Status.KEPT,
        "due:2027-12-31": Status.KEPT,
        "built": Status.RETIRED,
    }
    assert plan.kept == {dt.date(2026, 11, 26): 6, dt.date(2027, 12, 31): 7}
    assert not plan.changes and not plan.over_planned and not plan.past_given

    given = {dt.date(2027, 12, 31): 0, dt.date(2028, 6, 30): 3, dt.date(2026, 11, 26): 2}
    plan = plan_housing(current, 90, 1, given, TODAY_DATE)
    assert plan.deadlines == {
        dt.date(2025, 12, 31): 5,
        dt.date(2026, 11, 26): 2,
        dt.date(2028, 6, 30): 3,
    }
    assert [(line.figure, line.status) for line in plan.changes] == [
        ("due:2026-11-26", Status.CHANGED),
        ("due:2027-12-31", Status.REMOVED),
        ("due:2028-06-30", Status.ADDED),
    ]
    assert plan_housing({}, 10, 1, given, TODAY_DATE).deadlines == {
        dt.date(2026, 11, 26): 2,
        dt.date(2028, 6, 30): 3,
    }
    # a passed deadline cannot be given a new value; the same value is harmless
    assert plan_housing(current, 90, 1, {dt.date(2025, 12, 31): 9}, TODAY_DATE).past_given
    assert not plan_housing(current, 90, 1, {dt.date(2025, 12, 31): 5}, TODAY_DATE).past_given
    # only the deadlines from today on count with the ready homes towards those planned
    assert not plan_housing(current, 14, 1, {}, TODAY_DATE).over_planned  # 1 + 6 + 7
    assert plan_housing(current, 13, 1, {}, TODAY_DATE).over_planned
    assert plan_housing(current, 90, 0, {}, TODAY_DATE).ready_down


def test_parse_caravan_edit():
    assert parse_caravan_edit(["#7", "date=2026-12-21", "people=40"], TODAY_DATE) == (
        7,
        {"date": dt.date(2026, 12, 21), "people": 40},
    )
    for bad in (["7"], ["x", "people=3"], ["7", "colour=red"], ["7", "families=5", "people=4"]):
        with pytest.raises(ArgError):
            parse_caravan_edit(bad, TODAY_DATE)
