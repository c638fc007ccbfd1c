"""Contacts and FAQ, end to end: the real Application against the fake Bot API over HTTP, on
SQLite and PostgreSQL; and the pure parsing and matching they rest on."""

from __future__ import annotations

import datetime as dt
from contextlib import asynccontextmanager
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.chat.api import FakeBotAPI
from bot.context import BotContext
from bot.domain.clock import BAKU
from bot.domain.contacts import ContactError, parse_setcontact
from bot.domain.faq import Candidate, DraftError, parse_addfaq, place_words
from bot.domain.faq import match as match_in
from bot.i18n import load_translators
from bot.views import callbacks as cb
from db.models import AuditEntry, Contact, FaqEntry, Ticket
from db.session import create_engine, create_sessionmaker
from handlers.common.questions import faq_offer
from tests.conftest import Chat, Clock, RunningBot, button, buttons, serve_bot

ADMIN = 9001
TR = load_translators()
# A made-up number in the shape of a Baku landline, for the tests only: the bot ships none.
TEST_PHONE = "+994 12 310 00 00"


@pytest.fixture
async def admin_bot(database_url: str, clock: Clock):
    async with serve_bot(FakeBotAPI(), database_url, clock, ADMIN_IDS=str(ADMIN)) as bot:
        yield bot


@asynccontextmanager
async def database(bot: RunningBot):
    engine = create_engine(bot.settings.database_url)
    try:
        async with create_sessionmaker(engine)() as session:
            yield session
    finally:
        await engine.dispose()


async def count(bot: RunningBot, model: Any) -> int:
    async with database(bot) as session:
        return await session.scalar(select(func.count()).select_from(model))


async def audit_actions(bot: RunningBot) -> list[str]:
    async with database(bot) as session:
        return list(await session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


def entered_today(lang: str) -> str:
    """The day admins' entries are dated with: the real day in Baku, not the test's clock."""
    return TR[lang].date(dt.datetime.now(BAKU).date())


async def reply_to(chat: Chat, text: str, original: dict[str, Any]) -> dict[str, Any]:
    """Send `text` as a reply to `original` and wait for the bot's answer."""
    mark = len(chat.api.calls)
    chat.api.send_text(
        text, user_id=chat.user_id, language_code=chat.language, reply_to=original["message_id"]
    )
    return await chat._answer(mark)


# ------------------------------------------------------------------ contacts


@pytest.mark.parametrize("lang", ["az", "en", "ru"])
async def test_no_known_contact_is_said_honestly_with_ask_a_person(admin_bot, lang):
    tr = TR[lang]
    reply = await admin_bot.chat(1001, lang).say("/contacts")
    assert tr.gettext("I know no official contact yet.") in reply["text"]
    assert "/ask" in reply["text"]
    assert button(reply, "✉️")["callback_data"] == cb.make(cb.ASK)
    assert "+994" not in reply["text"]  # nothing invented

    reply = await admin_bot.chat(1002, lang).say("/contact Sos")  # the alias, by a settlement
    district = tr.gettext("{name} district").format(
        name={"az": "Xocavənd", "en": "Khojavand"}.get(lang, "Ходжавенд")
    )
    expected = tr.gettext("I know no official contact for {place} yet.").format(place=district)
    assert expected in reply["text"]
    assert tr.gettext("Ask a person") in button(reply, "✉️")["text"]


async def test_admin_adds_a_contact_with_its_source_and_removes_it(admin_bot):
    bot, admin = admin_bot, admin_bot.chat(ADMIN, "en")
    preview = await admin.say(
        f"/setcontact Xocavənd phone {TEST_PHONE.replace(' ', '')} name=Test office "
        "source=Test source of the district office"
    )
    assert "Khojavand district" in preview["text"] and TEST_PHONE in preview["text"]
    assert "Test source of the district office" in preview["text"]
    assert await count(bot, Contact) == 0  # nothing until ✅
    done = await admin.press(preview, "✅")
    assert "added" in done["text"] and not buttons(done)

    shown = await bot.chat(1001, "az").say("/contacts Sos")
    assert "Xocavənd rayonu" in shown["text"] and TEST_PHONE in shown["text"]
    assert (
        "Mənbə: Test source of the district office; əlavə edilib: " + entered_today("az")
        in (shown["text"])
    )
    assert f"#{1}" not in shown["text"]  # ids are for admins

    general = await bot.chat(1002, "ru").say("/contacts")  # not for every district: offered
    assert TEST_PHONE not in general["text"]
    district = await bot.chat(1002, "ru").press(general, "Ходжавенд")
    assert TEST_PHONE in district["text"] and "Источник: Test source" in district["text"]

    listing = await admin.say("/contacts Xocavənd")
    [contact_id] = [c.id for c in await contacts_in(bot)]
    assert f"#{contact_id}" in listing["text"]
    removal = await admin.say(f"/delcontact {contact_id}")
    assert TEST_PHONE in removal["text"]
    assert "removed" in (await admin.press(removal, "✅"))["text"]
    assert await count(bot, Contact) == 0
    assert await audit_actions(bot) == ["contact.set", "contact.delete"]
    again = await bot.chat(1001, "az").say("/contacts Sos")
    assert TEST_PHONE not in again["text"] and "/ask" in again["text"]


async def contacts_in(bot: RunningBot) -> list[Contact]:
    async with database(bot) as session:
        return list(await session.scalars(select(Contact)))


async def test_a_contact_without_source_or_with_a_bad_value_is_refused(admin_bot):
    bot, admin = admin_bot, admin_bot.chat(ADMIN, "en")
    reply = await admin.say(f"/setcontact all phone {TEST_PHONE}")
    assert "needs its source" in reply["text"] and "Usage: /setcontact" in reply["text"]
    reply = await admin.say("/setcontact all phone +994 12 31 source=Test source")
    assert "not a valid phone number" in reply["text"]
    reply = await admin.say("/setcontact all phone call us source=Test source")
    assert "not a valid phone number" in reply["text"]
    reply = await admin.say("/setcontact all email office@ source=Test source")
    assert "not a valid e-mail" in reply["text"]
    reply = await admin.say("/setcontact Nowhereville web example.org source=Test source")
    assert "could not find a district" in reply["text"]
    await admin.press(await admin.say("/language"), "Azərbaycanca")
    az = await admin.say("/setcontact all web http://x source=Test source")
    assert "düzgün veb ünvan deyil" in az["text"]
    assert not any(buttons(m) for m in [reply, az])
    assert await count(bot, Contact) == 0


async def test_a_non_admin_cannot_set_a_contact(admin_bot):
    bot = admin_bot
    user = bot.chat(1001, "ru")
    reply = await user.say("/setcontact all web example.org source=Test source")
    assert "только для администраторов" in reply["text"]
    preview = await bot.chat(ADMIN, "en").say("/setcontact all web example.org source=Test")
    data = button(preview, "✅")["callback_data"]
    mark = len(bot.api.calls)
    bot.api.press(preview, data, user_id=1001, language_code="ru", strict=False)
    await bot.api.wait_idle(quiet=0.3)
    [answer] = [c for c in bot.api.calls[mark:] if c.method == "answerCallbackQuery"]
    assert "администратор" in answer.params["text"]
    assert await count(bot, Contact) == 0


# ------------------------------------------------------------------ FAQ

ROOF = (
    "/addfaq Sos\n"
    "az? Evin damı axır, nə etməli?\n"
    "az: Xocavənd rayon icra hakimiyyətinə yazın.\n"
    "en? The roof of my house leaks, what should I do?\n"
    "en: Write to the district office.\n"
)


async def test_faq_entries_are_added_listed_per_language_and_removed(admin_bot):
    bot, admin = admin_bot, admin_bot.chat(ADMIN, "en")
    preview = await admin.say(ROOF)
    assert "Sos (Khojavand district)" in preview["text"]
    assert (
        "Write to the district office." in preview["text"]
        and "No answer in: Russian" in (preview["text"])
    )
    assert await count(bot, FaqEntry) == 0
    assert "added" in (await admin.press(preview, "✅"))["text"]

    az = await bot.chat(1001, "az").say("/faq Sos")
    assert "Evin damı axır" in az["text"] and "icra hakimiyyətinə" in az["text"]
    assert "district office" not in az["text"] and "dilinizdə yazılmayıb" not in az["text"]
    en = await bot.chat(1002, "en").say("/faq Xocavənd")  # the district lists its settlements'
    assert "The roof of my house leaks" in en["text"]
    ru = await bot.chat(1003, "ru").say("/faq Sos")
    note = "Этот ответ пока не написан на вашем языке; он показан на языке: азербайджанский."
    assert "Evin damı axır" in ru["text"] and note in ru["text"]
    elsewhere = await bot.chat(1002, "en").say("/faq Şuşakənd")
    assert "roof" not in elsewhere["text"] and "No questions" in elsewhere["text"]

    [entry] = await faq_rows(bot)
    assert entry.question == {
        "az": "Evin damı axır, nə etməli?",
        "en": "The roof of my house leaks, what should I do?",
    }
    assert entry.answer["az"] == "Xocavənd rayon icra hakimiyyətinə yazın."
    removal = await admin.say(f"/delfaq {entry.id}")
    assert "The roof of my house leaks" in removal["text"]
    assert "removed" in (await admin.press(removal, "✅"))["text"]
    assert await count(bot, FaqEntry) == 0
    assert await audit_actions(bot) == ["faq.add", "faq.delete"]
    assert "roof" not in (await bot.chat(1002, "en").say("/faq Sos"))["text"]


async def faq_rows(bot: RunningBot) -> list[FaqEntry]:
    async with database(bot) as session:
        return list(await session.scalars(select(FaqEntry).order_by(FaqEntry.id)))


async def test_addfaq_as_a_reply_makes_that_message_the_answer(admin_bot):
    bot = admin_bot
    admin = bot.chat(ADMIN, "ru")
    original = bot.api.send_text(
        "Ключи выдаёт районное управление.", user_id=ADMIN, language_code="ru"
    )["message"]
    await bot.api.wait_idle(quiet=0.3)
    preview = await reply_to(admin, "/addfaq\nru? Где получить ключи от дома?", original)
    assert "Ключи выдаёт районное управление." in preview["text"]
    assert "все места" in preview["text"]
    await admin.press(preview, "✅")
    [entry] = await faq_rows(bot)
    assert entry.answer == {"ru": "Ключи выдаёт районное управление."}
    assert entry.settlement_id is None and entry.district_id is None

    reply = await admin.say("/addfaq Sos\nru: ответ без вопроса")
    assert "Укажите и вопрос" in reply["text"]
    assert "только для администраторов" in (await bot.chat(1001, "ru").say(ROOF))["text"]
    assert await count(bot, FaqEntry) == 1


async def test_faq_offer_before_a_person_and_that_answers_it(admin_bot):
    bot, admin = admin_bot, admin_bot.chat(ADMIN, "en")
    await admin.press(await admin.say(ROOF), "✅")
    await bot.chat(1001, "az").say("/start")
    context = BotContext(bot.application)
    context.language = "az"
    data = (await context.places()).data
    sos, shusha = data.settlement("sos"), data.settlement("shushakend")

    offered = await faq_offer(context, "evimin damı axır", sos, ask_argument="q12")
    assert offered is not None
    text, markup = offered
    assert "Evin damı axır" in text and "icra hakimiyyətinə" in text
    labels = [b.text for row in markup.inline_keyboard for b in row]
    assert labels[0].startswith("✅") and labels[1].startswith("✉️")
    assert markup.inline_keyboard[1][0].callback_data == "ask:q12"
    assert await faq_offer(context, "evimin damı axır", shusha) is None  # another place
    assert await faq_offer(context, "karvan nə vaxt gedir", sos) is None  # another question

    sent = await bot.application.bot.send_message(
        1001, text, parse_mode="HTML", reply_markup=markup
    )
    message = bot.api.last_message(1001)
    assert message["message_id"] == sent.message_id
    answered = await bot.chat(1001, "az").press(message, "✅")
    assert "Kömək etdiyinə şadam" in answered["text"] and not buttons(answered)


async def test_a_question_that_an_entry_answers_is_offered_it_first(admin_bot):
    """/ask with a question the FAQ answers: the entry first; "✉️ Still ask a person" passes
    the question on after all, "✅ That answers it" drops it (the next message is not taken
    into it)."""
    bot, admin = admin_bot, admin_bot.chat(ADMIN, "en")
    await admin.press(await admin.say(ROOF), "✅")
    family = bot.chat(1001, "az")
    offer = await family.say("/ask Sos evimin damı axır")
    assert "Evin damı axır" in offer["text"], offer["text"]
    assert button(offer, "✉️")["callback_data"].startswith(cb.ASK + ":t")
    passed = await family.press(offer, "✉️")
    assert "№1" in passed["text"] and "ötürüldü" in passed["text"], passed["text"]
    async with database(bot) as session:
        assert await session.scalar(select(Ticket.status).where(Ticket.id == 1)) == "open"

    other = bot.chat(1002, "az")
    offer = await other.say("/ask Sos evimin damı axır")
    answered = await other.press(offer, "✅")
    assert "Kömək etdiyinə şadam" in answered["text"]
    async with database(bot) as session:
        kept = await session.scalar(select(func.count()).select_from(Ticket))
    assert kept == 1  # the second question was not passed on, nor kept as a draft
    card = await other.say("Sos")
    assert "Sos" in card["text"] and "ötürüldü" not in card["text"]

    # "✉️ Still ask a person" of another's question, or of one no longer waiting: refused
    mark = len(bot.api.calls)
    bot.api.press(passed, f"{cb.ASK}:t2", user_id=1001, language_code="az", strict=False)
    await bot.api.wait_for(
        lambda: any(c.method == "answerCallbackQuery" for c in bot.api.calls[mark:]), timeout=15
    )
    alert = next(c for c in bot.api.calls[mark:] if c.method == "answerCallbackQuery")
    assert alert.params.get("text"), alert.params
    async with database(bot) as session:
        assert await session.scalar(select(func.count()).select_from(Ticket)) == 1


# ------------------------------------------------------------------ pure: parsing


def test_setcontact_lines_parse_with_places_of_several_words():
    line = parse_setcontact("Qırmızı Bazar address Xocavənd, Main street source=Test office")
    assert (line.place, line.kind, line.value, line.source) == (
        "Qırmızı Bazar",
        "address",
        "Xocavənd, Main street",
        "Test office",
    )
    line = parse_setcontact("all телефон 012 310 00 00 name=Горячая линия source=Test")
    assert (line.kind, line.value, line.name) == ("phone", TEST_PHONE, "Горячая линия")
    assert parse_setcontact("all email Office@Example.org source=Test").value == (
        "Office@example.org"
    )
    assert parse_setcontact("all sayt example.org/a source=Test").value == "https://example.org/a"
    for text, code in [
        ("", "usage"),
        ("all phone 112", "source"),
        ("phone 112 source=Test", "place"),
        ("all fax 112 source=Test", "kind"),
        ("all phone source=Test", "usage"),
        ("all phone 12-ab source=Test", "phone"),
        ("all address x source=Test", "address"),
    ]:
        with pytest.raises(ContactError) as error:
            parse_setcontact(text)
        assert error.value.code == code, text


def test_addfaq_parts_parse_per_language():
    draft = parse_addfaq(ROOF.partition(" ")[2], "en")
    assert draft.place == "Sos" and set(draft.question) == set(draft.answer) == {"az", "en"}
    one_line = parse_addfaq("az? Ev nə vaxt? az: Tezliklə.", "az")
    assert (one_line.place, one_line.question, one_line.answer) == (
        "",
        {"az": "Ev nə vaxt?"},
        {"az": "Tezliklə."},
    )
    multi = parse_addfaq("en? Q\nen: line one\nline two", "en")
    assert multi.answer == {"en": "line one\nline two"}
    assert parse_addfaq("en? Q", "az", "Cavab").answer == {"az": "Cavab"}
    for text, code in [("Sos", "usage"), ("en: A", "question"), ("en? Q", "answer")]:
        with pytest.raises(DraftError) as error:
            parse_addfaq(text, "en")
        assert error.value.code == code
    with pytest.raises(DraftError) as error:
        parse_addfaq("en? Q en? Q2 en: A", "en")
    assert (error.value.code, error.value.lang) == ("twice", "en")


# ------------------------------------------------------------------ pure: matching

ENTRIES = [
    Candidate(
        1,
        {
            "az": "Evin damı axır, nə etməli?",
            "en": "The roof of my house leaks. What should I do?",
            "ru": "Крыша дома протекает, что делать?",
        },
    ),
    Candidate(
        2,
        {
            "az": "Ailəm köçürülmə siyahısındadırmı?",
            "en": "Is my family on the resettlement list?",
            "ru": "Есть ли моя семья в списке на переселение?",
        },
    ),
    Candidate(
        3,
        {"az": "Sosda məktəb nə vaxt açılacaq?", "en": "When will the school in Sos open?"},
        "settlement:sos",
    ),
    Candidate(4, {"az": "Xocavənddə xəstəxana haradadır?"}, "district:khojavand"),
]
SOS = ("settlement:sos", "district:khojavand")
# place names are left out of matching (the place is told apart): as the bot does, with names
PLACE_WORDS = place_words(
    ["Sos", "Сос", "Xocavənd", "Khojavand", "Ходжавенд", "Şuşakənd", "Shushakend", "Шушакенд"]
)


def match(question: str, entries: list[Candidate], place: tuple[str, ...] = ()) -> Candidate | None:
    return match_in(question, entries, place, PLACE_WORDS)


SHUSHAKEND = ("settlement:shushakend", "district:khojaly")


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("evimin damı axır", 1),
        ("damdan su axır, evdə", 1),
        ("my roof is leaking", 1),
        ("the house roof leaks badly", 1),
        ("у меня протекает крыша", 1),
        ("ailəmiz siyahıda varmı?", 2),
        ("is our family on the list?", 2),
        ("наша семья есть в списке?", 2),
        ("məktəb nə vaxt açılacaq", 3),
        ("when does the school open", 3),
        ("xəstəxana harada", 4),
    ],
)
def test_a_related_question_matches_in_each_language(question, expected):
    found = match(question, ENTRIES, SOS)
    assert found is not None and found.id == expected


@pytest.mark.parametrize(
    "question",
    [
        "next caravan to Sos",
        "Sos evlər nə vaxt hazır olacaq",
        "how many homes are ready",
        "электричество не работает",
        "my family is big, when can we go home",
        "hello",
        "список караванов",
        "qaz nə vaxt veriləcək",
    ],
)
def test_an_unrelated_question_matches_nothing(question):
    assert match(question, ENTRIES, SOS) is None


def test_entries_for_a_place_match_only_there():
    assert match("when does the school open", ENTRIES, SHUSHAKEND) is None
    assert match("xəstəxana harada", ENTRIES, SHUSHAKEND) is None
    assert match("xəstəxana harada", ENTRIES, ("district:khojavand",)).id == 4
    assert match("my roof is leaking", ENTRIES, SHUSHAKEND).id == 1  # general: everywhere
    assert match("my roof is leaking", ENTRIES).id == 1
    assert match("when does the school open", ENTRIES) is None  # no place: general only
