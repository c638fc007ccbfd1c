"""Fuzzing through the real handlers over the fake Bot API: any text, any command argument,
any callback data gets an answer Telegram accepts, with the user's text escaped, and never
an unhandled error; forged buttons change nothing for others and do no admin's work.

One bot (SQLite) serves the whole module so that hundreds of examples stay fast; examples
are derandomized, so CI sees the same ones every run.
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from bot.chat.api import FakeBotAPI
from bot.chat.html_checks import utf16_len
from bot.views import callbacks as cb
from db import users
from db.models import (
    Admin,
    AuditEntry,
    Broadcast,
    Caravan,
    ErrorWatcher,
    HousingReport,
    Subscription,
)
from handlers.common import place_query
from tests.conftest import Clock, RunningBot, serve_bot

pytestmark = pytest.mark.asyncio(loop_scope="module")

FUZZ = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
# the search's answer to a name it could not place, which quotes it (az, en, ru)
NOT_FOUND = ("tapa bilmədim", "could not find", "Не удалось найти")
VICTIM = 9_000  # a user with subscriptions that forged buttons must not touch
ATTACKER = 9_001

SPECIALS = [
    "<b>",
    "</b>",
    "<a href='javascript:alert(1)'>x</a>",
    "<script>alert(1)</script>",
    "&amp;",
    "&lt;",
    "&nbsp;",
    "&",
    "<",
    ">",
    '"',
    "'",
    "*bold*",
    "_italic_",
    "[link](http://example.org)",
    "`code`",
    "```pre```",
    "~~strike~~",
    "||spoiler||",
    "\\",
    "'; DROP TABLE users; --",
    "' OR '1'='1",
    '" OR 1=1 --',
    "%_%",
    "مرحبا بالعالم",
    "שלום",
    "\u202e",
    "\u200f",
    "\u200d",
    "👨‍👩‍👧‍👦",
    "🇦🇿",
    "e\u0301",
    "Z\u0351\u036b\u0343\u036a\u0302\u036b\u033d\u034f\u0334\u0319\u0324",
    "Şuşakənd",
    "Шушакенд",
    "Sos",
    "Xocavənd",
    "\n",
    "\t",
    " ",
    "/",
]
CHARACTERS = st.characters(exclude_categories=("Cs",))
PIECES = st.one_of(st.text(CHARACTERS, max_size=40), st.sampled_from(SPECIALS))
SHORT = st.lists(PIECES, max_size=25).map("".join)
LONG = st.builds(lambda piece, times: (piece * times)[:4096], SHORT, st.integers(1, 4096))
MESSAGE_TEXT = st.one_of(SHORT, SHORT, SHORT, LONG)
ENTITY_TYPES = ["bold", "italic", "code", "url", "mention", "hashtag", "spoiler", "text_link"]
USER_COMMANDS = [
    "/schedule",
    "/caravans",
    "/subscribe",
    "/unsubscribe",
    "/settlements",
    "/subscriptions",
    "/language",
    "/help",
    "/about",
    "/schedule@returnbot_test_bot",
    "/nosuchcommand",
]
# admin commands of SPEC (and of this issue) that a non-admin must not be able to use
ADMIN_COMMANDS = ["/addcaravan", "/sethousing", "/broadcast", "/stats", "/admins", "/errors"]


@dataclass
class Fuzzed:
    bot: RunningBot
    errors: list[BaseException] = field(default_factory=list)
    users: int = 0

    @property
    def api(self) -> FakeBotAPI:
        return self.bot.api

    def user(self) -> tuple[int, str]:
        """A user id and language, cycling over a few users in az, en and ru."""
        self.users += 1
        return 20_000 + self.users % 24, ("az", "en", "ru")[self.users % 3]

    async def exchange(self, inject: Callable[[], dict[str, Any]], answered: Callable) -> list:
        """Inject an update, wait until the bot answered and finished with it; the calls."""
        self.errors.clear()  # each example on its own, so that hypothesis can shrink
        mark = len(self.api.calls)
        update = inject()
        await self.api.wait_for(lambda: answered(update, self.api.calls[mark:]), timeout=20)
        await settle(self.bot)
        return self.api.calls[mark:]


async def settle(bot: RunningBot) -> None:
    """Until no update is queued or being handled (error handlers included)."""
    application = bot.application

    def idle() -> bool:
        return not (
            application.update_queue.qsize()
            or application.update_processor.current_concurrent_updates
        )

    await bot.api.wait_for(idle, timeout=20)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def fuzzed(
    sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Fuzzed]:
    path = tmp_path_factory.mktemp("fuzz") / "returnbot.db"
    shutil.copy(sqlite_template, path)
    async with serve_bot(FakeBotAPI(), f"sqlite+aiosqlite:///{path}", Clock()) as bot:
        fuzzed = Fuzzed(bot)

        async def record(update: object, context: Any) -> None:
            fuzzed.errors.append(context.error)

        bot.application.add_error_handler(record)
        yield fuzzed


def sent_to(chat_id: int) -> Callable:
    def answered(update: dict, calls: list) -> bool:
        return any(
            c.method in ("sendMessage", "editMessageText") and c.params.get("chat_id") == chat_id
            for c in calls
        )

    return answered


def replies(calls: list, chat_id: int) -> list[dict]:
    """The messages the bot sent or edited in the chat, each accepted (200) by the fake API."""
    mine = [c for c in calls if c.params.get("chat_id") == chat_id]
    refused = [(c.method, c.status) for c in mine if c.status != 200]
    assert not refused, f"the fake Bot API refused {refused}"
    return [c.result for c in mine if isinstance(c.result, dict) and "text" in c.result]


def telegram_text(text: str) -> str:
    """What a client can send: Telegram strips the text and never sends it empty."""
    text = text.strip()
    return text or "?"


async def test_the_fake_api_rejects_malformed_html(fuzzed: Fuzzed):
    """The checks below mean something: broken HTML is refused with 400 as Telegram does."""
    api = fuzzed.api
    api.add_chat(777)
    for text in ("<b>unclosed", "a < b", "<x>", "&nbsp;"):
        status, _body = await api.handle(
            api.token, "sendMessage", {"chat_id": 777, "text": text, "parse_mode": "HTML"}
        )
        assert status == 400, text
    status, _body = await api.handle(
        api.token, "sendMessage", {"chat_id": 777, "text": "a &lt; b", "parse_mode": "HTML"}
    )
    assert status == 200


@settings(FUZZ, max_examples=80)
@given(text=MESSAGE_TEXT, data=st.data())
async def test_any_text_is_answered_with_valid_escaped_html(fuzzed: Fuzzed, text: str, data):
    text = telegram_text(text)
    if text.startswith("/"):
        text = "x" + text
    user_id, language = fuzzed.user()
    length = utf16_len(text)
    entities = data.draw(
        st.lists(
            st.builds(
                lambda kind, start, size: {
                    "type": kind,
                    "offset": start % length,
                    "length": 1 + size % length,
                },
                st.sampled_from(ENTITY_TYPES),
                st.integers(0, 4096),
                st.integers(0, 4096),
            ),
            max_size=3,
        )
    )
    for entity in entities:
        entity["length"] = min(entity["length"], length - entity["offset"])
        if entity["type"] == "text_link":
            entity["url"] = "https://example.org/<script>"

    def inject() -> dict:
        update = fuzzed.api.send_text(text, user_id=user_id, language_code=language)
        update["message"]["entities"] = entities  # not yet fetched: same loop, no await
        return update

    calls = await fuzzed.exchange(inject, sent_to(user_id))
    assert not fuzzed.errors, f"unhandled error for {text!r}: {fuzzed.errors!r}"
    messages = replies(calls, user_id)
    assert messages, f"no answer to {text!r}"
    reply = messages[-1]["text"]
    query = place_query(text)[:100]
    # where the user's words come back (a name the search could not place), they come back
    # literally, so they were escaped; other answers never quote them
    if any(words in reply for words in NOT_FOUND):
        assert query in reply, (text, reply)


@FUZZ
@given(
    command=st.sampled_from(USER_COMMANDS + ADMIN_COMMANDS),
    argument=st.one_of(
        SHORT, st.sampled_from(["all", "hamısı", "все", "on", "off", "Sos", "add 1"])
    ),
)
async def test_commands_with_any_arguments_are_answered(
    fuzzed: Fuzzed, command: str, argument: str
):
    user_id, language = fuzzed.user()
    text = f"{command} {argument}".strip()
    before = await database_state(fuzzed)
    calls = await fuzzed.exchange(
        lambda: fuzzed.api.send_text(text, user_id=user_id, language_code=language),
        sent_to(user_id),
    )
    assert not fuzzed.errors, f"unhandled error for {text!r}: {fuzzed.errors!r}"
    assert replies(calls, user_id), f"no answer to {text!r}"
    assert await database_state(fuzzed) == before, f"{text!r} from a non-admin changed data"


@settings(FUZZ, max_examples=30)
@given(
    payload=st.one_of(
        st.from_regex(r"[sd]_[A-Za-z0-9_-]{0,60}", fullmatch=True),
        st.sampled_from(["s_sos", "d_khojavand", "s_", "d_", "s_../../etc", "x_sos"]),
        SHORT,
    )
)
async def test_start_with_any_payload_is_answered(fuzzed: Fuzzed, payload: str):
    user_id, language = fuzzed.user()
    text = f"/start {payload}".strip()
    calls = await fuzzed.exchange(
        lambda: fuzzed.api.send_text(text, user_id=user_id, language_code=language),
        sent_to(user_id),
    )
    assert not fuzzed.errors, f"unhandled error for {text!r}: {fuzzed.errors!r}"
    assert replies(calls, user_id), f"no answer to {text!r}"


async def database_state(fuzzed: Fuzzed) -> dict[str, Any]:
    """What forged buttons must not change: others' subscriptions, admins, data, audit log."""
    async with fuzzed.bot.application.bot_data.db() as session:
        victim = await session.scalars(
            select(Subscription.id).where(Subscription.user_id == VICTIM).order_by(Subscription.id)
        )
        return {
            "victim": list(victim),
            "admins": await session.scalar(select(func.count()).select_from(Admin)),
            "watchers": await session.scalar(select(func.count()).select_from(ErrorWatcher)),
            "audit": await session.scalar(select(func.count()).select_from(AuditEntry)),
            "caravans": await session.scalar(select(func.count()).select_from(Caravan)),
            "housing": await session.scalar(select(func.count()).select_from(HousingReport)),
            "broadcasts": await session.scalar(select(func.count()).select_from(Broadcast)),
        }


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def victim_subscriptions(fuzzed: Fuzzed) -> list[int]:
    """The victim follows everything, a district and a settlement."""
    state = fuzzed.bot.application.bot_data
    data = (await state.places.get()).data
    sos, khojavand = data.settlement("sos"), data.district("khojavand")
    async with state.db() as session:
        await users.subscribe(session, VICTIM, "en")
        await users.subscribe(session, VICTIM, "en", settlement_id=sos.id)
        await users.subscribe(session, VICTIM, "en", district_id=khojavand.id)
    return (await database_state(fuzzed))["victim"]


def callback_data(victim_ids: list[int]) -> st.SearchStrategy[str]:
    prefixes = sorted(cb._ARGUMENT)
    argument = st.one_of(
        st.text(CHARACTERS, max_size=20),
        st.from_regex(r"[0-9a-f]{12}(\.[0-9]{1,2})?", fullmatch=True),
        st.integers(-5, 10**18).map(str),
        st.sampled_from(["sos", "khojavand", "all", "yes", "no", "az", "help", ""]),
    )
    return st.one_of(
        st.text(CHARACTERS, min_size=1, max_size=64),
        st.builds(lambda p, a: f"{p}:{a}", st.sampled_from(prefixes), argument),
        st.sampled_from(victim_ids).map(lambda i: f"{cb.UNSUBSCRIBE}:{i}"),
    ).filter(lambda data: 1 <= len(data.encode()) <= 64)


@pytest.fixture(scope="module")
def forged(victim_subscriptions: list[int]) -> st.SearchStrategy[str]:
    return callback_data(victim_subscriptions)


@FUZZ
@given(data=st.data())
async def test_forged_callback_data_is_answered_and_harms_no_one(
    fuzzed: Fuzzed, victim_subscriptions: list[int], forged: st.SearchStrategy[str], data
):
    forged_data = data.draw(forged)
    before = await database_state(fuzzed)
    api = fuzzed.api
    menu = api.last_message(ATTACKER)
    if menu is None:
        await fuzzed.exchange(lambda: api.send_text("/start", user_id=ATTACKER), sent_to(ATTACKER))
        menu = api.last_message(ATTACKER)

    def answered(update: dict, calls: list) -> bool:
        query_id = update["callback_query"]["id"]
        return any(
            c.method == "answerCallbackQuery" and c.params.get("callback_query_id") == query_id
            for c in calls
        )

    victim_messages = len(api.bot_messages(VICTIM))
    calls = await fuzzed.exchange(
        lambda: api.press(menu, forged_data, user_id=ATTACKER, strict=False), answered
    )
    assert not fuzzed.errors, f"unhandled error for {forged_data!r}: {fuzzed.errors!r}"
    answers = [c for c in calls if c.method == "answerCallbackQuery"]
    assert [c.status for c in answers] == [200], (forged_data, answers)
    after = await database_state(fuzzed)
    assert after == before, forged_data
    assert after["victim"] == victim_subscriptions
    assert len(api.bot_messages(VICTIM)) == victim_messages
