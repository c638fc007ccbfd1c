"""Reach (issue 6) end to end: calendar files, locations, inline mode, share, QR posters.

The real Application polls the fake Bot API over HTTP; documents are read back from what
the bot uploaded (multipart), so what is checked is what a user's phone would receive.
The core journeys run on SQLite and PostgreSQL; the rest on SQLite only, to keep the suite
short.
"""

from __future__ import annotations

import asyncio
import io
import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import icalendar
import pytest
import zxingcpp
from PIL import Image

from bot.chat.api import FakeBotAPI
from bot.chat.transports import FakeBotServer
from tests.conftest import RETURNBOT, Clock, RunningBot, button, buttons, serve_bot

USERNAME = FakeBotAPI().username
# Before the last caravans of the bundled dataset: Sos has two upcoming (16 and 24 December
# 2025), Şuşakənd two (11 and 25 December), Khojavand district thirteen; the soonest of all
# are on 11 December (Şuşakənd first in the dataset's order).
EARLY = (2025, 12, 1, 12)


@pytest.fixture
def sqlite_url(sqlite_template: Path, tmp_path: Path) -> str:
    path = tmp_path / "returnbot.db"
    shutil.copy(sqlite_template, path)
    return f"sqlite+aiosqlite:///{path}"


@pytest.fixture
async def early_bot(database_url: str) -> AsyncIterator[RunningBot]:
    """The bot on both backends, living on 1 December 2025."""
    clock = Clock()
    clock.set(*EARLY)
    async with serve_bot(FakeBotAPI(), database_url, clock) as bot:
        yield bot


@pytest.fixture
async def sqlite_bot(sqlite_url: str) -> AsyncIterator[RunningBot]:
    """The bot on SQLite, living on 1 December 2025; user 1001 is an admin."""
    clock = Clock()
    clock.set(*EARLY)
    async with serve_bot(FakeBotAPI(), sqlite_url, clock, ADMIN_IDS="1001") as bot:
        yield bot


def events(api: FakeBotAPI, message: dict[str, Any]) -> list[icalendar.Event]:
    """The VEVENTs of the .ics document the bot sent in `message`."""
    assert message.get("document"), f"no document in {message}"
    assert message["document"]["file_name"].endswith(".ics")
    calendar = icalendar.Calendar.from_ical(api.file_bytes(message))
    return list(calendar.walk("VEVENT"))


def calls_since(api: FakeBotAPI, mark: int, method: str) -> list[Any]:
    return [c for c in api.calls[mark:] if c.method == method and c.status == 200]


# ------------------------------------------------------------------ calendar files


async def test_calendar_button_on_a_card_sends_the_upcoming_caravans(early_bot):
    chat = early_bot.chat(language="ru")
    card = await chat.say("/schedule Sos")
    document = await chat.press(card, "Добавить в календарь")
    found = events(early_bot.api, document)
    assert [str(e["SUMMARY"]) for e in found] == [
        "Караван: Сос — 21 семья",
        "Караван: Сос — 24 семьи",
    ]
    assert [e.decoded("DTSTART").isoformat() for e in found] == ["2025-12-16", "2025-12-24"]
    assert all(e["DTSTART"].params.get("VALUE") == "DATE" for e in found)  # all-day events
    assert all("Источник:" in str(e["DESCRIPTION"]) for e in found)
    assert all(f"t.me/{USERNAME}?start=s_sos" in str(e["DESCRIPTION"]) for e in found)
    assert "Сос" in document["caption"] and "2" in document["caption"]
    # pressing again gives the same UIDs: a re-import updates the events, never duplicates
    again = await chat.press(card, "Добавить в календарь")
    assert again["message_id"] != document["message_id"]
    uids = [str(e["UID"]) for e in found]
    assert [str(e["UID"]) for e in events(early_bot.api, again)] == uids
    assert len(set(uids)) == 2


async def test_calendar_command_for_a_district_and_without_upcoming_caravans(sqlite_url):
    async with serve_bot(FakeBotAPI(), sqlite_url, Clock()) as bot:  # after every caravan
        chat = bot.chat(language="az")
        mark = len(bot.api.calls)
        reply = await chat.say("/calendar Sos")
        assert "qarşıdakı karvan elan olunmayıb" in reply["text"]
        assert not calls_since(bot.api, mark, "sendDocument")  # no empty file
        usage = await chat.say("/calendar")
        assert "/calendar Sos" in usage["text"]
    clock = Clock()
    clock.set(*EARLY)
    async with serve_bot(FakeBotAPI(), sqlite_url, clock) as bot:
        chat = bot.chat(language="en")
        choices = await chat.say("/calendar Xocavend")  # the town, the village or the district?
        document = await chat.press(choices, "📅 Khojavand district")
        found = events(bot.api, document)
        assert len(found) == 13
        titles = {str(e["SUMMARY"]) for e in found}
        assert "Caravan to Sos: 24 families" in titles
        assert any(t.startswith("Caravan to Qirmizi Bazar: ") for t in titles)
        dates = [e.decoded("DTSTART") for e in found]
        assert dates == sorted(dates) and min(dates).isoformat() >= "2025-12-01"


async def test_caravan_lists_offer_the_calendar_only_when_something_is_upcoming(sqlite_bot):
    chat = sqlite_bot.chat()
    listing = await chat.say("/caravans Shushakend")
    document = await chat.press(listing, "Add to calendar")
    found = events(sqlite_bot.api, document)
    assert [str(e["SUMMARY"]) for e in found] == [
        "Caravan to Shushakend: 14 families",
        "Caravan to Shushakend: 20 families",
    ]
    assert all(e.decoded("GEO") is not None for e in found)  # Şuşakənd's published coordinates
    past = await chat.say("/caravans Zabukh")  # Zabux's caravans are all in the past
    assert "Zabukh" in past["text"] and buttons(past)
    assert not any("calendar" in b["text"] for b in buttons(past))


async def test_calendar_button_without_upcoming_caravans_answers_with_an_alert(sqlite_bot):
    chat = sqlite_bot.chat()
    card = await chat.say("/schedule Zabukh")
    mark = len(sqlite_bot.api.calls)
    await chat.press(card, "Add to calendar")
    assert not calls_since(sqlite_bot.api, mark, "sendDocument")
    [answer] = calls_since(sqlite_bot.api, mark, "answerCallbackQuery")
    assert answer.params["show_alert"] is True
    assert "No upcoming caravan to Zabukh" in answer.params["text"]


# ------------------------------------------------------------------ locations


async def test_location_button_sends_a_venue_and_only_where_coordinates_are_known(early_bot):
    chat = early_bot.chat(language="ru")
    card = await chat.say("/schedule Şuşakənd")
    venue_message = await chat.press(card, "📍")
    venue = venue_message["venue"]
    assert venue["title"] == "Шушакенд"
    assert "Ходжалы" in venue["address"]
    assert venue["location"] == {"latitude": 39.7719, "longitude": 46.7856}
    sos = await chat.say("/schedule Sos")  # no published coordinates: no button, no guess
    assert not any(b["text"].startswith("📍") for b in buttons(sos))


async def test_shared_location_lists_the_nearest_settlements_to_open_and_follow(early_bot):
    api, chat = early_bot.api, early_bot.chat(language="en")
    offer = await chat.say("/near")
    [[key]] = api.reply_keyboards[chat.user_id]["keyboard"]
    assert key["request_location"] is True and "Share my location" in key["text"]
    assert "nearest settlements" in offer["text"]

    mark = len(api.calls)
    api.share_location(39.7700, 46.7800, user_id=chat.user_id)  # beside Şuşakənd
    await api.wait_for(lambda: calls_since(api, mark, "sendMessage"), timeout=15)
    nearest = calls_since(api, mark, "sendMessage")[-1].result
    lines = [line for line in nearest["text"].splitlines() if line[:2] in ("1.", "2.", "5.")]
    assert lines[0].startswith("1. Shushakend — 0.5 km")
    assert lines[1].startswith("2. Shusha — ")
    assert len(buttons(nearest)) == 10  # five places, 🏘 open and 🔔 follow each

    card = await chat.press(nearest, "🏘 Shushakend")
    assert "Homes planned: 263" in card["text"]
    mark = len(api.calls)
    await chat.press(nearest, "🔔")
    [answer] = calls_since(api, mark, "answerCallbackQuery")
    assert "Subscribed to Shushakend" in answer.params["text"]
    listing = await chat.say("/subscriptions")
    assert "Shushakend" in listing["text"]


# ------------------------------------------------------------------ inline mode and sharing


async def inline(api: FakeBotAPI, query: str, **user: Any) -> dict[str, Any]:
    """Type `@bot <query>` and return the bot's answerInlineQuery parameters."""
    update = api.inline_query(query, **user)
    query_id = update["inline_query"]["id"]
    await api.wait_for(lambda: query_id in api.inline_answers, timeout=15)
    return api.inline_answers[query_id]


async def test_inline_query_offers_settlement_cards_in_the_users_language(early_bot):
    api = early_bot.api
    answer = await inline(api, "sos", language_code="ru")
    first = answer["results"][0]
    assert first["type"] == "article" and first["title"] == "Сос"
    text = first["input_message_content"]["message_text"]
    assert "Домов запланировано" in text and "259" in text
    assert first["reply_markup"]["inline_keyboard"][0][0]["url"] == (
        f"https://t.me/{USERNAME}?start=s_sos"
    )
    assert answer["cache_time"] > 0 and answer["is_personal"] is True

    everything = await inline(api, "", user_id=1002, language_code="en")
    assert 30 <= len(everything["results"]) <= 50
    assert everything["results"][0]["title"] == "Shushakend"  # the soonest caravan (11 Dec) first

    district = await inline(api, "Khojavand", user_id=1002, language_code="en")
    titles = [r["title"] for r in district["results"]]
    assert {"Sos", "Hadrut", "Qirmizi Bazar"} <= set(titles)

    nothing = await inline(api, "zzzzqqq", user_id=1002, language_code="en")
    assert nothing["results"] == [] and nothing["button"]["start_parameter"]


async def test_inline_answers_follow_the_language_chosen_in_the_bot(sqlite_bot):
    chat = sqlite_bot.chat(user_id=2002, language="en")
    menu = await chat.say("/language")
    await chat.press(menu, "Azərbaycanca")
    answer = await inline(sqlite_bot.api, "Shushakend", user_id=2002, language_code="en")
    assert answer["results"][0]["title"] == "Şuşakənd"
    assert "Planlaşdırılan evlər" in answer["results"][0]["input_message_content"]["message_text"]


async def test_every_card_has_a_share_button_that_opens_inline_mode(sqlite_bot):
    card = await sqlite_bot.chat(language="ru").say("/schedule Qirmizi Bazar")
    share = button(card, "Поделиться")
    assert share["switch_inline_query"] == "Гырмызы Базар"
    answer = await inline(sqlite_bot.api, share["switch_inline_query"], language_code="ru")
    assert answer["results"][0]["id"] == "s_qirmizi-bazar"


# ------------------------------------------------------------------ QR posters


def decoded(png: bytes) -> list[str]:
    return [r.text for r in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))]


async def test_admins_get_a_qr_poster_and_others_a_refusal(sqlite_bot):
    api = sqlite_bot.api
    refused = await sqlite_bot.chat(user_id=3003).say("/qr Sos")
    assert "only for admins" in refused["text"]
    poster = await sqlite_bot.chat(user_id=1001).say("/qr Ağdərə")
    assert poster["document"]["file_name"] == "qr-aghdara.png"
    assert decoded(api.file_bytes(poster)) == [f"https://t.me/{USERNAME}?start=d_aghdara"]
    assert "Aghdara" in poster["caption"]


async def run_cli(*args: str, **env: str) -> tuple[int, str, str]:
    """`returnbot …` in a subprocess, without blocking the loop that serves the fake API."""
    environment = {k: v for k, v in os.environ.items() if k != "TELEGRAM_BOT_TOKEN"}
    process = await asyncio.create_subprocess_exec(
        RETURNBOT,
        *args,
        env={**environment, **env},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 120)
    return process.returncode, out.decode(), err.decode()


async def test_qr_command_line_writes_png_and_svg_with_the_link_and_names(sqlite_url, tmp_path):
    api = FakeBotAPI(username="poster_test_bot")
    async with FakeBotServer(api) as base_url:  # the username comes from getMe
        code, out, err = await run_cli(
            "qr",
            "Шушакенд",
            "--out",
            str(tmp_path / "posters" / "sos.png"),
            DATABASE_URL=sqlite_url,
            TELEGRAM_BOT_TOKEN=api.token,
            TELEGRAM_API_URL=base_url,
        )
    assert code == 0, err
    assert api.calls_to("getMe")
    png, svg = tmp_path / "posters" / "sos.png", tmp_path / "posters" / "sos.svg"
    assert out.split() == [str(png), str(svg)]
    link = "https://t.me/poster_test_bot?start=s_shushakend"
    assert decoded(png.read_bytes()) == [link]
    image = Image.open(png).convert("L")
    assert image.height > image.width  # the caption lies under the square code
    caption = image.crop((0, image.width, image.width, image.height))
    assert caption.getextrema()[0] < 64  # dark text is printed there
    text = svg.read_text(encoding="utf-8")
    assert all(f">{name}</text>" in text for name in ("Şuşakənd", "Shushakend", "Шушакенд"))
    assert f">{link}</text>" in text


async def test_qr_command_line_needs_a_username_and_one_place(sqlite_url, tmp_path):
    code, _out, err = await run_cli("qr", "Sos", DATABASE_URL=sqlite_url)
    assert code == 1 and "TELEGRAM_BOT_TOKEN" in err and "--username" in err
    code, _out, err = await run_cli("qr", "Shush", "--username", "b", DATABASE_URL=sqlite_url)
    assert code == 1 and "names no single place" in err
    out = tmp_path / "q.png"
    code, _out, err = await run_cli(
        "qr", "Sos", "--username", "@x_bot", "--out", str(out), DATABASE_URL=sqlite_url
    )
    assert code == 0, err
    assert decoded(out.read_bytes()) == ["https://t.me/x_bot?start=s_sos"]
