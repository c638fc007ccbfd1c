"""End to end: the real Application polls the fake Bot API over HTTP; users in az/en/ru."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from bot.chat.api import FakeBotAPI
from bot.i18n import load_translators
from bot.views import menu
from db.models import Total, User
from db.session import create_engine, create_sessionmaker
from tests.conftest import Clock, RunningBot, buttons, serve_bot


def texts(message: dict) -> str:
    return message.get("text", "")


async def test_start_greets_in_the_users_language_and_shows_the_menu(running_bot: RunningBot):
    greetings = {"en": "Welcome", "az": "Xoş gəlmisiniz", "ru": "Добро пожаловать", "tr": "Xoş"}
    for n, (code, word) in enumerate(greetings.items()):
        reply = await running_bot.chat(2000 + n, code).say("/start")
        assert word in texts(reply)
        assert len(buttons(reply)) == 6  # and ✉️ Ask a person
    reply = await running_bot.chat(2100, "de").say("/start")  # unsupported → DEFAULT_LANGUAGE
    assert "Welcome" in texts(reply)


async def test_language_choice_is_remembered(running_bot: RunningBot):
    chat = running_bot.chat(3001, "en")
    menu = await chat.say("/language")
    assert [b["text"].lstrip("✓ ") for b in buttons(menu)] == ["Azərbaycanca", "English", "Русский"]
    reply = await chat.press(menu, "Русский")
    assert reply["message_id"] == menu["message_id"]  # edited in place
    assert "Русский" in texts(reply) or "русск" in texts(reply).lower()
    # Telegram still says "en", but the choice wins, also for new updates
    reply = await chat.say("/schedule Sos")
    assert "Сос" in texts(reply) and "Домов запланировано" in texts(reply)
    engine = create_engine(running_bot.settings.database_url)
    async with create_sessionmaker(engine)() as session:
        user = await session.scalar(select(User).where(User.id == 3001))
    await engine.dispose()
    assert (user.language, user.language_chosen, user.chat_id) == ("ru", True, 3001)


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", ["Sos", "259", "10", "+75", "+104", "December 31, 2025", "Khojavand"]),
        ("az", ["Sos", "259", "+75", "+104", "31 dekabr 2025", "Xocavənd"]),
        ("ru", ["Сос", "259", "+75", "+104", "31 декабря 2025 г.", "Ходжавенд"]),
    ],
)
async def test_schedule_card_shows_published_figures(running_bot, language, expected):
    reply = await running_bot.chat(4000, language).say("/schedule Sos")
    for fragment in expected:
        assert fragment in texts(reply), fragment
    assert "azernews.az/nation/247398.html" in texts(reply)
    assert "▓" in texts(reply)
    assert "Location" not in str(buttons(reply))  # no coordinates are known for Sos


@pytest.mark.parametrize(
    ("typed", "language", "name"),
    [
        ("Sos", "en", "Sos"),
        ("Şuşakənd", "en", "Shushakend"),
        ("shushakend", "az", "Şuşakənd"),
        ("Шушакенд", "en", "Shushakend"),
        ("Shushakand", "ru", "Шушакенд"),
        ("qirmizi bazar", "en", "Qirmizi Bazar"),
        ("Красный Базар", "az", "Qırmızı Bazar"),
    ],
)
async def test_plain_text_in_any_spelling_opens_the_card(running_bot, typed, language, name):
    reply = await running_bot.chat(4100, language).say(typed)
    assert texts(reply).startswith(f"🏘 {name}")


async def test_shushakend_card_figures_and_location(running_bot: RunningBot):
    chat = running_bot.chat(4200, "en")
    card = await chat.say("Shushakend")
    for fragment in ("263", "Ready: 15", "+85", "+72", "20 families, 83 people ⚠️", "differ"):
        assert fragment in texts(card), fragment
    await chat.press(card, "Location")
    venue = running_bot.api.calls_to("sendVenue")[-1].params
    assert (float(venue["latitude"]), float(venue["longitude"])) == (39.7719, 46.7856)


async def test_ambiguous_name_offers_buttons_and_unknown_name_helps(running_bot: RunningBot):
    chat = running_bot.chat(4300, "en")
    reply = await chat.say("Lachin")
    labels = [b["text"] for b in buttons(reply)]
    assert "Lachin (city)" in labels  # the town, named apart from its district
    assert "Lachin district" in labels
    district = await chat.press(reply, "Lachin district")
    assert district["message_id"] == reply["message_id"]
    assert "Zabukh" in [b["text"] for b in buttons(district)]

    reply = await chat.say("zzzzqqq")
    assert "could not find" in texts(reply)
    assert "All districts" in str(buttons(reply))
    reply = await chat.say("Shushakandd kend")
    assert texts(reply)  # never silent


async def test_browse_districts_to_a_card_edits_one_message(running_bot: RunningBot):
    chat = running_bot.chat(4400, "en")
    regions = await chat.say("/settlements")
    assert "Karabakh" in str(buttons(regions)) and "East Zangezur" in str(buttons(regions))
    district = await chat.press(regions, "Khojavand (")
    assert district["message_id"] == regions["message_id"]
    card = await chat.press(district, "Sos")
    assert card["message_id"] == regions["message_id"]
    assert "259" in texts(card)
    caravans = await chat.press(card, "Caravans")
    assert "December 24, 2025" in texts(caravans)
    back = await chat.press(caravans, "Sos")
    assert "259" in texts(back)
    jumped = await chat.say("/settlements Khojavand")
    assert {"Sos", "Hadrut", "Qirmizi Bazar"} <= {b["text"] for b in buttons(jumped)}


async def test_caravans_for_sos_newest_first_with_plurals(running_bot: RunningBot):
    reply = await running_bot.chat(4500, "ru").say("/caravans Sos")
    text = texts(reply)
    dates = re.findall(r"(\d+ \w+ 2025 г\.)", text)
    assert dates == [
        "24 декабря 2025 г.",
        "16 декабря 2025 г.",
        "19 ноября 2025 г.",
        "28 октября 2025 г.",
        "11 сентября 2025 г.",
    ]
    for phrase in (
        "24 семьи, 99 человек",
        "21 семья, 94 человека",
        "20 семей, 80 человек",
        "10 семей, 42 человека",
        "10 семей, 45 человек",
    ):
        assert phrase in text, phrase
    en = await running_bot.chat(4501, "en").say("/caravans")
    assert "most recent" in texts(en)


async def test_deep_links_open_settlement_and_district(running_bot: RunningBot):
    chat = running_bot.chat(4600, "az")
    card = await chat.say("/start s_sos")
    assert texts(card).startswith("🏘 Sos") and "259" in texts(card)
    district = await chat.say("/start d_khojavand")
    assert "Xocavənd" in texts(district) and "Hadrut" in str(buttons(district))
    unknown = await chat.say("/start s_atlantis")
    assert texts(unknown)


async def test_help_gives_the_latest_total_with_its_source(running_bot: RunningBot):
    reply = await running_bot.chat(4700, "en").say("/help")
    assert "26,513" in texts(reply) and "aznews.az/news/return/363798.html" in texts(reply)
    assert "Sources differ" not in texts(reply)


def test_a_total_marked_unsure_is_shown_with_the_caveat():
    translators = load_translators()
    total = Total(
        as_of=dt.date(2026, 3, 11),
        families=7541,
        source="kavkaz-uzel.eu/articles/421505 (2026-03-11)",
        unsure=True,
    )
    for lang in ("az", "en", "ru"):
        tr = translators[lang]
        line = menu.total_line(total, tr)
        assert tr.number(7541) in line and "kavkaz-uzel.eu/articles/421505" in line
        assert "⚠️ " + tr.gettext("Sources differ on these figures.") in line
    total.unsure = False
    assert "⚠️" not in menu.total_line(total, translators["en"])


async def test_never_silent(running_bot: RunningBot):
    chat = running_bot.chat(4800, "en")
    assert "don't know" in texts(await chat.say("/frobnicate"))
    assert texts(await chat.say("<b>not closed & odd"))  # escaped, so Telegram accepts it
    forged = dict(await chat.say("/start"))
    mark = len(running_bot.api.calls)
    running_bot.api.press(forged, "s:no-such-place", user_id=4800, strict=False)
    running_bot.api.press(forged, "admin:delete-everything", user_id=4800, strict=False)

    def answers() -> list:
        return [c for c in running_bot.api.calls[mark:] if c.method == "answerCallbackQuery"]

    await running_bot.api.wait_for(lambda: len(answers()) >= 2, timeout=15)
    await running_bot.api.wait_idle(quiet=0.15)
    assert len(answers()) == 2 and all(c.status == 200 for c in answers())
    assert all(c.status == 200 for c in running_bot.api.calls), "a request was refused"


async def test_command_menu_registered_per_language(running_bot: RunningBot):
    commands = running_bot.api.commands
    languages = {language for (_scope, language) in commands}
    assert {"", "az", "en", "ru"} <= languages
    ru = {c["command"]: c["description"] for c in commands[("default", "ru")]}
    assert "schedule" in ru and ru["schedule"] != "Housing and caravans of a settlement"


async def test_menu_buttons_work(running_bot: RunningBot):
    chat = running_bot.chat(4900, "en")
    expected = {
        "Settlements": "Districts",
        "Caravans": "most recent",
        "Help": "How to use this bot",
        "Language": "Choose your language",
    }
    for label, fragment in expected.items():
        menu = await chat.say("/start")
        reply = await chat.press(menu, label)
        assert fragment in texts(reply), label
        assert reply["message_id"] == menu["message_id"]
    reply = await chat.press(await chat.say("/start"), "Subscriptions")
    assert "no subscriptions yet" in texts(reply)


async def test_bot_keeps_running_when_the_api_refuses_set_my_commands(database_url):
    api = FakeBotAPI(fail_methods={"setMyCommands"})
    async with serve_bot(api, database_url, Clock()) as bot:
        reply = await bot.chat(5001, "en").say("/schedule Sos")
    assert api.calls_to("setMyCommands")[0].status == 400
    assert "259" in texts(reply)


@pytest.mark.parametrize(
    "text",
    [
        "x" * 4096,
        "🏠" * 2000,
        "'; DROP TABLE settlements; --",
        "<script>alert(1)</script> & <b>",
        "‮Sos‬ مرحبا",
        "Sos\u0000\u200b",
    ],
)
async def test_hostile_text_gets_a_valid_reply(running_bot: RunningBot, text):
    chat = running_bot.chat(5100, "en")
    reply = await chat.say(text)
    assert texts(reply)
    refused = [c for c in running_bot.api.calls if c.status != 200]
    assert not refused, refused
