"""A person behind the bot, end to end: the real Application against the fake Bot API over
HTTP, on SQLite and PostgreSQL — a question in each language reaches its forum topic and
the admin's answer comes back; the private-chat path with ↩️ Reply; routing by district;
a restart between question and answer; a non-admin in the support chat; limits; data
reports; closing; /forget; retention."""

from __future__ import annotations

import asyncio
import datetime as dt
from contextlib import asynccontextmanager
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.chat.api import FakeBotAPI
from bot.chat.transports import FakeBotServer
from bot.config import load_settings
from bot.relay import DraftWatch
from db import tickets, users
from db.models import CLOSED, Ticket, TicketMessage
from db.session import create_engine, create_sessionmaker
from handlers.common.questions import BEFORE_PASSING_ON
from tests.conftest import TODAY, Clock, RunningBot, _is_answer, button, run_bot, serve_bot

ADMIN, OTHER_ADMIN, USER, STRANGER = 9001, 9002, 5001, 5002
SUPPORT = -1001234567890


@asynccontextmanager
async def database(bot: RunningBot):
    engine = create_engine(bot.settings.database_url)
    try:
        async with create_sessionmaker(engine)() as session:
            yield session
    finally:
        await engine.dispose()


async def count(bot: RunningBot, model: Any, *where: Any) -> int:
    async with database(bot) as session:
        return await session.scalar(select(func.count()).select_from(model).where(*where))


def forum_api(*, forum: bool = True) -> FakeBotAPI:
    api = FakeBotAPI()
    api.add_forum(SUPPORT, forum=forum)
    for admin in (ADMIN, OTHER_ADMIN):
        api.add_chat(admin, first_name="Aygün" if admin == ADMIN else "Rauf")
    return api


async def step(api: FakeBotAPI, action: Any) -> None:
    """Do `action` (a user's update), wait for the bot to show something, then until it is
    done with it."""
    mark = len(api.calls)
    action()
    await api.wait_for(lambda: any(_is_answer(c) for c in api.calls[mark:]), timeout=15)
    await api.wait_idle(quiet=0.2, timeout=15)


def numbered(n: int, text: str) -> bool:
    """Whether `text` names question `n` ("#12" in English, "№12" in az and ru)."""
    return f"#{n}" in text or f"№{n}" in text


def texts(api: FakeBotAPI, chat_id: int) -> list[str]:
    return [m.get("text") or m.get("caption") or "" for m in api.bot_messages(chat_id)]


async def answered(api: FakeBotAPI, chat_id: int, marker: str) -> str:
    """The bot's message to `chat_id` containing `marker` (the outbox sends it soon)."""
    await api.wait_for(lambda: any(marker in t for t in texts(api, chat_id)), timeout=15)
    return next(t for t in texts(api, chat_id) if marker in t)


async def write_question(
    api: FakeBotAPI, text: str, *, language: str, ask: str, district: str, user: int = USER
) -> None:
    """The user asks for a person, picks the district, and writes the question as a reply
    to the bot's prompt (a ForceReply)."""
    await step(
        api, lambda: api.send_text(ask, user_id=user, language_code=language, first_name="Leyla")
    )
    await step(
        api,
        lambda: api.press(
            api.last_message(user),
            button(api.last_message(user), district)["callback_data"],
            user_id=user,
            language_code=language,
        ),
    )
    prompt = api.force_replies[user]
    await step(
        api,
        lambda: api.send_text(
            text, user_id=user, language_code=language, first_name="Leyla", reply_to=prompt
        ),
    )


ASKS = {
    "az": (
        "insanla danışmaq istəyirəm",
        "Xocavənd",
        "Sosda evimizin damı axır",
        "Təşəkkür",
        "sualınız",
    ),
    "en": (
        "I want to talk to a person",
        "Khojavand",
        "Is my family on the list?",
        "Thank you",
        "your question",
    ),
    "ru": (
        "хочу поговорить с человеком",
        "Ходжавенд",
        "Есть ли моя семья в списке?",
        "Спасибо",
        "ваш вопрос",
    ),
}


@pytest.mark.parametrize("language", ["az", "en", "ru"])
async def test_a_question_reaches_its_topic_and_the_answer_comes_back(
    database_url: str, clock: Clock, language: str
) -> None:
    ask, district, question, _thanks, answer_word = ASKS[language]
    api = forum_api()
    variables = {"ADMIN_IDS": str(ADMIN), "SUPPORT_CHAT_ID": str(SUPPORT)}
    async with serve_bot(api, database_url, clock, **variables) as bot:
        await write_question(api, question, language=language, ask=ask, district=district)
        confirmation = api.last_message(USER)["text"]
        assert numbered(1, confirmation)
        assert (
            "передан" if language == "ru" else "passed on" if language == "en" else "ötürüldü"
        ) in confirmation
        (((chat, thread), topic),) = api.topics.items()
        assert chat == SUPPORT and topic["name"] == f"#1 · Khojavand · {language} · Leyla"
        in_topic = [m for m in api.topic_messages(SUPPORT, thread) if "text" in m]
        assert "Question #1" in in_topic[0]["text"] and "Leyla" in in_topic[0]["text"]
        assert in_topic[-1]["text"] == question  # the user's message, copied
        assert not any("phone" in str(m.get("contact", "")) for m in in_topic)

        mark = len(api.bot_messages(USER))
        await step(
            api,
            lambda: api.post_in_topic(
                SUPPORT, thread, "Yes, <b>12</b> families", user_id=ADMIN, first_name="Aygün"
            ),
        )
        answer = await answered(api, USER, "12")
        assert numbered(1, answer) and "Aygün" in answer and answer_word in answer.lower()
        assert "Yes, <b>12</b> families" in answer  # the admin's text, not read as markup
        assert len(api.bot_messages(USER)) == mark + 1
        async with database(bot) as session:
            ticket = await session.get(Ticket, 1)
            assert ticket.status == "answered" and ticket.answered_at is not None


async def test_private_path_with_reply_button_and_routing_by_district(
    database_url: str, clock: Clock
) -> None:
    api = forum_api()
    async with serve_bot(api, database_url, clock, ADMIN_IDS=f"{ADMIN},{OTHER_ADMIN}") as bot:
        admin = bot.chat(OTHER_ADMIN, "en")
        reply = await admin.say("/admins districts 9002 Laçın")
        assert "Lachin" in reply["text"]
        # Sos is in Xocavənd: not Rauf's (9002) district, so only Aygün (9001) gets it
        await step(
            api,
            lambda: api.send_text(
                "/ask Sos evimizin damı axır", user_id=USER, language_code="az", first_name="Leyla"
            ),
        )
        assert numbered(1, api.last_message(USER)["text"])
        assert not any(numbered(1, t) for t in texts(api, OTHER_ADMIN))
        card = next(m for m in api.bot_messages(ADMIN) if "Question #1" in m.get("text", ""))
        assert "Sos" in card["text"] and "Leyla" in card["text"] and "language: az" in card["text"]
        assert api.bot_messages(ADMIN)[-1]["text"] == "/ask Sos evimizin damı axır"
        # a photo with a caption adds to the open question
        await step(
            api,
            lambda: api.send_photo(
                b"\xff\xd8\xff\xe0fakejpeg", caption="bax", user_id=USER, language_code="az"
            ),
        )
        assert numbered(1, api.last_message(USER)["text"])
        assert "photo" in api.bot_messages(ADMIN)[-1]
        # ↩️ Reply, then the answer as a reply to the prompt
        await step(
            api, lambda: api.press(card, button(card, "Reply")["callback_data"], user_id=ADMIN)
        )
        prompt = api.force_replies[ADMIN]
        await step(
            api,
            lambda: api.send_text(
                "Usta sabah gələcək", user_id=ADMIN, first_name="Aygün", reply_to=prompt
            ),
        )
        answer = await answered(api, USER, "Usta sabah")
        assert numbered(1, answer) and "Aygün" in answer
        assert "Leyla" in api.last_message(ADMIN)["text"]  # "your answer goes to Leyla"
        # the user's location, as a reply to the answer, adds to the question too
        message = next(m for m in api.bot_messages(USER) if "Usta sabah" in m.get("text", ""))
        await step(
            api,
            lambda: api.share_location(
                39.8, 46.7, user_id=USER, language_code="az", reply_to=message["message_id"]
            ),
        )
        assert "location" in api.bot_messages(ADMIN)[-1]
        # a question about Laçın reaches Rauf too (and Aygün, who took no district)
        await step(api, lambda: api.send_text("/ask Laçın rayonu, su yoxdur", user_id=STRANGER))
        assert any("Question #2" in t for t in texts(api, OTHER_ADMIN))
        assert any("Question #2" in t for t in texts(api, ADMIN))
        await step(api, lambda: api.send_text("/close 2", user_id=ADMIN))
        # ✅ Close: the user is told, /tickets is empty
        await step(
            api, lambda: api.press(card, button(card, "Close")["callback_data"], user_id=ADMIN)
        )
        await answered(api, USER, "bağlandı")
        assert "No questions are waiting" in (await admin.say("/tickets"))["text"]
        stats = (await admin.say("/stats"))["text"]
        assert "Questions waiting: 0; answered in the last 7 days: 1" in stats
        assert "Median time to the first answer" in stats


async def test_a_restart_between_question_and_answer_loses_nothing(
    database_url: str, clock: Clock
) -> None:
    api = forum_api()
    async with FakeBotServer(api) as url:
        settings = load_settings(
            TELEGRAM_BOT_TOKEN=api.token,
            TELEGRAM_API_URL=url,
            DATABASE_URL=database_url,
            ADMIN_IDS=str(ADMIN),
            SUPPORT_CHAT_ID=str(SUPPORT),
        )
        async with run_bot(api, settings, clock):
            await write_question(
                api, "Когда дадут ключи?", language="ru", ask="/ask", district="Шуша"
            )
            assert numbered(1, api.last_message(USER)["text"])
        ((_chat, thread),) = api.topics
        async with run_bot(api, settings, clock):  # a new process: nothing in memory
            await step(api, lambda: api.post_in_topic(SUPPORT, thread, "В декабре", user_id=ADMIN))
            answer = await answered(api, USER, "В декабре")
            assert numbered(1, answer)
            # the user adds one more message, replying to the answer: into the same topic
            message = next(m for m in api.bot_messages(USER) if "В декабре" in m.get("text", ""))
            await step(
                api,
                lambda: api.send_text(
                    "Спасибо!", user_id=USER, language_code="ru", reply_to=message["message_id"]
                ),
            )
            assert api.topic_messages(SUPPORT, thread)[-1]["text"] == "Спасибо!"
            assert len(api.topics) == 1


async def test_a_non_admin_in_the_support_chat_cannot_answer(
    database_url: str, clock: Clock
) -> None:
    api = forum_api()
    variables = {"ADMIN_IDS": str(ADMIN), "SUPPORT_CHAT_ID": str(SUPPORT)}
    async with serve_bot(api, database_url, clock, **variables) as bot:
        await step(api, lambda: api.send_text("/ask Sos problem", user_id=USER))
        ((_chat, thread),) = api.topics
        before = len(api.bot_messages(USER))
        await step(
            api, lambda: api.post_in_topic(SUPPORT, thread, "I am not an admin", user_id=STRANGER)
        )
        assert "Only the bot's admins" in api.topic_messages(SUPPORT, thread)[-1]["text"]
        assert len(api.bot_messages(USER)) == before
        # an admin answering a user who blocked the bot is told so at once
        async with database(bot) as session:
            await users.set_blocked(session, USER, True)
        await step(api, lambda: api.post_in_topic(SUPPORT, thread, "Hello?", user_id=ADMIN))
        assert "has blocked the bot" in api.topic_messages(SUPPORT, thread)[-1]["text"]


async def test_a_support_chat_without_topics_falls_back_to_private_chats(
    database_url: str, clock: Clock
) -> None:
    api = forum_api(forum=False)
    variables = {"ADMIN_IDS": str(ADMIN), "SUPPORT_CHAT_ID": str(SUPPORT)}
    async with serve_bot(api, database_url, clock, **variables):
        await step(api, lambda: api.send_text("/ask Sos problem", user_id=USER))
        assert not api.topics
        assert any(c.method == "createForumTopic" and c.status == 400 for c in api.calls)
        assert any("Question #1" in t for t in texts(api, ADMIN))


async def test_limits_and_a_captioned_document(database_url: str, clock: Clock) -> None:
    api = forum_api()
    variables = {"ADMIN_IDS": str(ADMIN), "TICKET_OPEN_LIMIT": "1", "TICKET_MESSAGES_PER_HOUR": "2"}
    async with serve_bot(api, database_url, clock, **variables) as bot:
        # a photo sent as a document, captioned, from a non-admin: a question, not an import
        await step(
            api,
            lambda: api.send_document(
                "dam.jpg",
                b"\xff\xd8\xff",
                caption="evin damı axır Sos",
                user_id=USER,
                language_code="az",
            ),
        )
        assert numbered(1, api.last_message(USER)["text"])
        assert "document" in api.bot_messages(ADMIN)[-1]
        await step(api, lambda: api.send_text("/ask", user_id=USER, language_code="az"))
        assert "1 sual" in api.last_message(USER)["text"]  # already one waiting
        await step(api, lambda: api.send_voice(b"OggS voice", user_id=USER, language_code="az"))
        assert numbered(1, api.last_message(USER)["text"])  # the second message of this hour
        await step(api, lambda: api.send_voice(b"OggS more", user_id=USER, language_code="az"))
        assert "Son bir saatda" in api.last_message(USER)["text"]
        assert (
            await count(
                bot, TicketMessage, TicketMessage.chat_id == USER, TicketMessage.inbound.is_(True)
            )
            == 2
        )
        clock.now += dt.timedelta(hours=1, minutes=1)
        await step(api, lambda: api.send_voice(b"OggS later", user_id=USER, language_code="az"))
        assert numbered(1, api.last_message(USER)["text"])


async def test_a_data_report_from_a_card(database_url: str, clock: Clock) -> None:
    api = forum_api()
    async with serve_bot(api, database_url, clock, ADMIN_IDS=str(ADMIN)) as bot:
        card = await bot.chat(USER, "en").say("Sos")
        await step(
            api, lambda: api.press(card, button(card, "out of date")["callback_data"], user_id=USER)
        )
        prompt = api.force_replies[USER]
        await step(
            api, lambda: api.send_text("More homes are ready now", user_id=USER, reply_to=prompt)
        )
        report = next(t for t in texts(api, ADMIN) if "Data report #1" in t)
        assert "259" in report and "2026" in report  # Sos: 259 homes planned, with its source
        assert api.bot_messages(ADMIN)[-1]["text"] == "More homes are ready now"


async def test_forget_and_retention(database_url: str, clock: Clock) -> None:
    api = forum_api()
    async with serve_bot(api, database_url, clock, ADMIN_IDS=str(ADMIN)) as bot:
        await step(api, lambda: api.send_text("/ask Sos one", user_id=USER))
        await step(api, lambda: api.send_text("/ask Sos two", user_id=STRANGER))
        admin = bot.chat(ADMIN, "en")
        assert numbered(1, (await admin.say("/tickets"))["text"])
        await admin.say("/close 2")
        await answered(api, STRANGER, "#2 is closed")
        # /forget deletes the user's questions
        forget = await bot.chat(USER, "en").say("/forget")
        await step(
            api, lambda: api.press(forget, button(forget, "✅")["callback_data"], user_id=USER)
        )
        assert await count(bot, Ticket, Ticket.user_id == USER) == 0
        assert await count(bot, TicketMessage, TicketMessage.ticket_id == 1) == 0
        # a closed question goes after TICKET_RETENTION_DAYS (180), not before
        async with database(bot) as session:
            assert await tickets.purge(session, clock.now + dt.timedelta(days=179), 180) == 0
            assert await tickets.purge(session, clock.now + dt.timedelta(days=181), 180) == 1
        assert await count(bot, Ticket, Ticket.status == CLOSED) == 0


async def test_another_replica_takes_the_answer(database_url: str, clock: Clock) -> None:
    """Two instances on one database: the question through the first, the admin's answer
    handled by the second while the first still runs; the user gets it once."""
    api = forum_api()
    async with FakeBotServer(api) as url:
        settings = load_settings(
            TELEGRAM_BOT_TOKEN=api.token,
            TELEGRAM_API_URL=url,
            DATABASE_URL=database_url,
            ADMIN_IDS=str(ADMIN),
            SUPPORT_CHAT_ID=str(SUPPORT),
        )
        async with run_bot(api, settings, clock) as first:
            await step(api, lambda: api.send_text("/ask Sos dam axır", user_id=USER))
            ((_chat, thread),) = api.topics
            await first.application.updater.stop()  # the next update goes to the other one
            async with run_bot(api, settings, clock) as second:
                second.application.bot_data.delivery.wake()
                await step(
                    api, lambda: api.post_in_topic(SUPPORT, thread, "Usta gələcək", user_id=ADMIN)
                )
                await answered(api, USER, "Usta gələcək")
                await api.wait_idle(quiet=0.5)
                assert sum("Usta gələcək" in t for t in texts(api, USER)) == 1


@pytest.mark.parametrize(
    ("typed", "language", "asked"),
    [
        ("kime zeng edim?", "az", "Sualınız hansı yer haqqındadır?"),
        ("I want to talk to a person", "en", "Which place is your question about?"),
        ("хочу поговорить с человеком", "ru", "О каком месте ваш вопрос?"),
        ("the house has a problem", "en", "Which place is your question about?"),
    ],
)
async def test_asking_for_a_person_opens_a_question(
    running_bot: RunningBot, typed: str, language: str, asked: str
) -> None:
    reply = await running_bot.chat(USER, language).say(typed)
    assert reply["text"].startswith("✉️ " + asked)
    assert any(
        "Xocavənd" in b["text"] or "Khojavand" in b["text"] or "Ходжавенд" in b["text"]
        for row in reply["reply_markup"]["inline_keyboard"]
        for b in row
    )


async def test_nothing_found_offers_a_person(running_bot: RunningBot) -> None:
    chat = running_bot.chat(USER, "en")
    reply = await chat.say("Qwrtzyx")
    assert "could not find" in reply["text"]
    reply = await chat.press(reply, "Ask a person")
    assert reply["text"].startswith("✉️ Which place is your question about?")
    reply = await chat.press(reply, "Not about one place")
    assert running_bot.api.force_replies[USER] == reply["message_id"]
    # the next message is the question, even without replying to the prompt
    await step(
        running_bot.api, lambda: running_bot.api.send_text("Who decides the lists?", user_id=USER)
    )
    assert numbered(1, running_bot.api.last_message(USER)["text"])


async def test_retention_runs_at_start_up(database_url: str, clock: Clock) -> None:
    api = forum_api()
    async with FakeBotServer(api) as url:
        settings = load_settings(
            TELEGRAM_BOT_TOKEN=api.token,
            TELEGRAM_API_URL=url,
            DATABASE_URL=database_url,
            ADMIN_IDS=str(ADMIN),
            TICKET_RETENTION_DAYS="30",
        )
        async with run_bot(api, settings, clock) as bot:
            await step(api, lambda: api.send_text("/ask Sos one", user_id=USER))
            await step(api, lambda: api.send_text("/close 1", user_id=ADMIN))
        clock.now += dt.timedelta(days=29)
        async with run_bot(api, settings, clock) as bot:
            await api.wait_idle(quiet=0.3)
            assert await count(bot, Ticket) == 1  # closed 29 days ago: kept
        clock.now += dt.timedelta(days=2)
        async with run_bot(api, settings, clock) as bot:
            for _ in range(100):
                if await count(bot, Ticket) == 0:
                    break
                await asyncio.sleep(0.05)
            assert await count(bot, Ticket) == 0


async def test_a_hook_can_answer_before_a_question_is_passed_on(running_bot: RunningBot) -> None:
    """`common.BEFORE_PASSING_ON`, where a FAQ entry can be offered first."""
    held: list[int] = []

    async def offer(update: Any, context: Any, ticket: Ticket) -> bool:
        held.append(ticket.id)
        await update.effective_chat.send_message("Maybe this answers it")
        return True

    BEFORE_PASSING_ON.append(offer)
    try:
        await step(
            running_bot.api, lambda: running_bot.api.send_text("/ask Sos roof", user_id=USER)
        )
    finally:
        BEFORE_PASSING_ON.remove(offer)
    assert held == [1]
    assert running_bot.api.last_message(USER)["text"] == "Maybe this answers it"
    assert await count(running_bot, Ticket, Ticket.status == "draft") == 1


async def test_a_draft_opened_on_another_replica_is_seen_within_seconds(
    running_bot: RunningBot,
) -> None:
    """`bot.relay.DraftWatch`: a plain message costs no query unless its sender may be writing
    a question; a draft another replica opened is seen once the list is older than `fresh`."""
    state = running_bot.application.bot_data
    watch = DraftWatch(state.db, fresh=0.3)
    assert not await watch.may_be_writing(USER)
    async with database(running_bot) as session:  # "another replica" opens a draft
        await tickets.begin(
            session, user_id=USER, chat_id=USER, first_name="Leyla", language="az", now=TODAY
        )
    assert not await watch.may_be_writing(USER)  # the list read a moment ago is trusted
    await asyncio.sleep(0.35)
    assert await watch.may_be_writing(USER) and not await watch.may_be_writing(STRANGER)
    watch.opened(STRANGER)  # a draft this process opens is known at once
    assert await watch.may_be_writing(STRANGER)
    assert state.drafts.opened  # the running bot has one too
