"""End to end: what people actually write — sentences in az/en/ru, greetings, thanks, a
request for a person, noise — answered through the fake Bot API, in the message's language
unless the user picked one (handlers/conversation.py)."""

from __future__ import annotations

import re

import pytest

from tests.conftest import Clock, RunningBot, buttons


def texts(message: dict) -> str:
    return message.get("text", "")


def labels(message: dict) -> list[str]:
    return [b["text"] for b in buttons(message)]


MENU = 6  # buttons of the main menu
NOT_FOUND = ("could not find", "не удалось найти", "tapa bilmədim")


@pytest.mark.parametrize(
    ("typed", "telegram", "title", "figure"),
    [
        ("Sos evler ne vaxt hazir olacaq", "en", "🏘 Sos\n", "Planlaşdırılan evlər: 259"),
        ("şuşakənddə neçə ev hazırdır", "en", "🏘 Şuşakənd\n", "Planlaşdırılan evlər: 263"),
        (
            "salam. menim adim Eli, sos kendindenem, evimiz ne vaxt hazir olacaq bilmek isteyirdim",
            "ru",
            "🏘 Sos\n",
            "Planlaşdırılan evlər: 259",
        ),
        ("when will homes in Sos be ready", "az", "🏘 Sos\n", "Homes planned: 259"),
        ("tell me about Hadrut", "ru", "🏘 Hadrut\n", "Homes planned: 541"),
        ("когда будут готовы дома в Сосе", "en", "🏘 Сос\n", "Домов запланировано: 259"),
        ("расскажи про Гадрут", "az", "🏘 Гадрут\n", "Домов запланировано: 541"),
        # a place name with a word or two: the user's own language
        ("qirmizi bazarda evler", "az", "🏘 Qırmızı Bazar\n", "Planlaşdırılan evlər: 300"),
        ("qirmizi bazarda evler", "en", "🏘 Qirmizi Bazar\n", "Homes planned: 300"),
        ("shusha kend", "en", "🏘 Shushakend\n", "Homes planned: 263"),
        ("Şuşa kənd", "az", "🏘 Şuşakənd\n", "Planlaşdırılan evlər: 263"),
        ("Shushakand", "ru", "🏘 Шушакенд\n", "Домов запланировано: 263"),
    ],
)
async def test_a_sentence_about_homes_gets_the_card_in_its_language(
    running_bot: RunningBot, typed, telegram, title, figure
):
    reply = await running_bot.chat(5000, telegram).say(typed)
    assert texts(reply).startswith(title)  # directly: no "did you mean", no list
    assert figure in texts(reply)


@pytest.mark.parametrize(
    ("typed", "telegram", "words", "back"),
    [
        ("Sos karvan", "az", ["Sos", "24 dekabr 2025 — 24 ailə, 99 nəfər"], "s:sos"),
        ("xanabad kocu ne vaxt", "en", ["Xanabad", "11 mart 2026 — 21 ailə"], "s:khanabad"),
        # a town and its district of one name: the district's caravans hold the town's
        ("Kəlbəcərə karvanlar", "az", ["Kəlbəcər", "27 fevral 2026"], "d:kalbajar"),
        ("next caravan to Sos", "ru", ["Sos", "December 24, 2025 — 24 families"], "s:sos"),
        (
            "когда следующий караван в Шушакенд?",
            "en",
            ["Шушакенд", "25 декабря 2025 г. — 20 семей"],
            "s:shushakend",
        ),
    ],
)
async def test_a_caravan_question_gets_the_places_caravans(
    running_bot: RunningBot, typed, telegram, words, back
):
    reply = await running_bot.chat(5100, telegram).say(typed)
    assert texts(reply).startswith("🚌 ")
    for word in words:
        assert word in texts(reply), word
    assert [b["callback_data"] for b in buttons(reply)][-1] == back  # ⬅️ to the place


async def test_subscribe_by_sentence_then_the_list_shows_it(running_bot: RunningBot):
    chat = running_bot.chat(5200, "en")
    reply = await chat.say("хочу получать новости о Шушакенде")
    assert texts(reply).startswith("🔔 Вы подписаны: Шушакенд")  # the sentence's language
    reply = await chat.say("хочу получать новости о Шушакенде")  # again: harmless
    assert texts(reply).startswith("🔔 Вы уже подписаны")
    reply = await chat.say("/subscriptions")
    assert "Your subscriptions" in texts(reply) and "Shushakend" in texts(reply)
    assert labels(reply) == ["❌ Shushakend (Khojaly district)"]
    # a question without a place: the one place the user follows
    reply = await chat.say("when is the next caravan?")
    assert texts(reply).startswith("🚌 ") and "Shushakend" in texts(reply)
    reply = await chat.say("evim ne vaxt hazir olacaq")
    assert texts(reply).startswith("🏘 Şuşakənd\n")
    reply = await chat.say("stop the news about Shushakend")
    assert texts(reply).startswith("🔕 Unsubscribed from Shushakend")
    reply = await chat.say("/subscriptions")
    assert "no subscriptions" in texts(reply)


async def test_a_question_without_a_place_asks_which(running_bot: RunningBot):
    chat = running_bot.chat(5300, "az")
    reply = await chat.say("evim ne vaxt hazir olacaq")  # no subscription to go by
    assert texts(reply).startswith("🤔 Hansı yaşayış məntəqəsini")
    assert "Qarabağ" in str(labels(reply))  # the districts by region
    reply = await chat.say("when is the next caravan?")  # every caravan, in English
    assert texts(reply).startswith("🚌 ") and "All districts" in str(labels(reply))
    reply = await chat.say("I want to subscribe")
    assert texts(reply).startswith("🔔 Which place should I send you news of?")


@pytest.mark.parametrize(
    ("typed", "telegram", "start", "menu"),
    [
        ("salam", "az", "👋 Salam!", True),
        ("hello", "en", "👋 Hello!", True),
        ("привет", "ru", "👋 Здравствуйте!", True),
        ("sag ol", "az", "🙂 Dəyməz!", False),
        ("спасибо", "ru", "🙂 Пожалуйста!", False),
        ("thanks a lot", "az", "🙂 You're welcome!", False),
    ],
)
async def test_greetings_and_thanks_get_a_short_answer(
    running_bot: RunningBot, typed, telegram, start, menu
):
    reply = await running_bot.chat(5400, telegram).say(typed)
    assert texts(reply).startswith(start)
    assert len(buttons(reply)) == (MENU if menu else 0)
    assert not any(word in texts(reply) for word in NOT_FOUND)


@pytest.mark.parametrize(
    ("typed", "telegram", "first_line", "title"),
    [
        (
            "when will homes in Shushaknd be ready",
            "az",
            "🔎 Showing Shushakend — did you mean something else?",
            "🏘 Shushakend\n",
        ),
        (
            "когда караван в Шушакенть",
            "en",
            "🔎 Показываю Шушакенд — или вы имели в виду другое место?",
            "🚌 ",
        ),
    ],
)
async def test_a_loosely_matched_place_is_shown_with_did_you_mean(
    running_bot: RunningBot, typed, telegram, first_line, title
):
    reply = await running_bot.chat(5500, telegram).say(typed)
    first, _, rest = texts(reply).partition("\n\n")
    assert first == first_line
    assert rest.startswith(title)


async def test_two_places_in_one_message_ask_which_with_both_named(running_bot: RunningBot):
    chat = running_bot.chat(5600, "en")
    reply = await chat.say("when will homes in Sos and Shushakend be ready")
    assert texts(reply) == "🤔 Which place do you mean?"
    assert labels(reply)[:2] == ["Sos · Khojavand", "Shushakend · Khojaly"]
    card = await chat.press(reply, "Sos")
    assert texts(card).startswith("🏘 Sos\n")

    reply = await chat.say("caravans to Sos and Hadrut")  # buttons that open the caravans
    assert labels(reply)[:2] == ["🚌 Sos · Khojavand", "🚌 Hadrut · Khojavand"]
    caravans = await chat.press(reply, "Hadrut")
    assert texts(caravans).startswith("🚌 ") and "Hadrut" in texts(caravans)


async def test_a_settlement_beside_its_district_is_one_place(running_bot: RunningBot):
    reply = await running_bot.chat(5650, "az").say("Sos, Xocavənd rayonu")
    assert texts(reply).startswith("🏘 Sos\n")


@pytest.mark.parametrize(
    ("telegram", "town", "district"),
    [
        ("az", "Xocavənd (şəhər)", "Xocavənd rayonu"),
        ("en", "Khojavand (town) · Khojavand", "Khojavand district"),
        ("ru", "Ходжавенд (город)", "Ходжавенд (район)"),
    ],
)
async def test_a_town_and_its_district_are_named_apart(
    running_bot: RunningBot, telegram, town, district
):
    chat = running_bot.chat(5700, telegram)
    reply = await chat.say("Xocavend")
    names = labels(reply)
    assert town in names and district in names
    assert len(set(names)) == len(names) == 4  # town, village, district, all districts
    card = await chat.press(reply, town)
    assert texts(card).startswith("🏘 ")
    assert "/" not in texts(card).splitlines()[0]


async def test_what_the_bot_cannot_answer_gets_what_it_can_do(running_bot: RunningBot):
    chat = running_bot.chat(5800, "en")
    reply = await chat.say("what is the weather like tomorrow")
    assert texts(reply).startswith("🤔 I did not understand that. I can tell you")
    assert "weather" not in texts(reply)  # never quoted back as a failed place search
    assert not any(word in texts(reply) for word in NOT_FOUND)
    assert len(buttons(reply)) == MENU

    # a person asked for: a question to the admins (tests/test_support.py), its place first
    reply = await chat.say("I want to talk to a person about a problem with my roof")
    assert texts(reply).startswith("✉️ Which place is your question about?")
    assert not re.search(r"\d{4}|@|\+\d", texts(reply))  # no invented phone or address
    assert any("Khojavand" in b["text"] for b in buttons(reply))

    reply = await running_bot.chat(5801, "ru").say("помогите, как пользоваться ботом?")
    assert texts(reply).startswith("❓ <b>") or texts(reply).startswith("❓ Как")


async def test_a_name_alone_is_searched_as_before(running_bot: RunningBot):
    chat = running_bot.chat(5900, "en")
    reply = await chat.say("zzzzqqq")  # an attempt at a name: the search's own answer
    assert "could not find" in texts(reply)
    reply = await chat.say("Lachin")
    assert "Lachin (city)" in labels(reply) and "Lachin district" in labels(reply)
    reply = await chat.say("/schedule Sos")
    assert texts(reply).startswith("🏘 Sos\n")


async def test_the_answer_follows_the_messages_language_unless_one_was_picked(
    running_bot: RunningBot,
):
    chat = running_bot.chat(6000, "en")
    reply = await chat.say("когда будут готовы дома в Сосе")
    assert "Домов запланировано" in texts(reply)
    reply = await chat.say("Sos")  # a name alone says nothing of the language
    assert "Homes planned" in texts(reply)
    reply = await chat.say("Сос")
    assert "Homes planned" in texts(reply)

    picked = running_bot.chat(6001, "en")
    menu = await picked.say("/language")
    await picked.press(menu, "English")  # chosen, though Telegram says so too
    reply = await picked.say("когда будут готовы дома в Сосе")
    assert "Homes planned" in texts(reply)

    other = running_bot.chat(6002, "ru")
    menu = await other.say("/language")
    await other.press(menu, "Azərbaycanca")
    reply = await other.say("when will homes in Sos be ready")
    assert "Planlaşdırılan evlər" in texts(reply)


async def test_a_calendar_request_sends_the_file(clocked_bot: RunningBot, clock: Clock):
    clock.set(2025, 12, 1, 12)  # Sos's caravans of December 16 and 24 are still to come
    chat = clocked_bot.chat(6100, "en")
    await chat.say("add the Sos caravans to my calendar")
    document = clocked_bot.api.calls_to("sendDocument")[-1].params
    assert "2 upcoming caravans to Sos" in document["caption"]


@pytest.mark.parametrize(
    "typed",
    [
        "🙂" * 300,
        "<b>Sos</b> & <i>",
        "Sos " * 400,
        "' OR 1=1 --",
        "\u202e\u200bSos",
        "a" * 4000,
        "?!.,;:",
        "karvan karvan karvan ev ev subscribe stop",
        "Xocavend Sos Hadrut Şuşakənd Lachin Kəlbəcər when homes caravan",
    ],
)
async def test_hostile_input_is_never_silent(running_bot: RunningBot, typed):
    reply = await running_bot.chat(6200, "en").say(typed)  # fails if the bot stays silent
    assert texts(reply) and not texts(reply).startswith("⚠")
