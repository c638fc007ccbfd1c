"""The fake Bot API behaves like Telegram, seen through a real PTB Bot (HTTP and in process)."""

from __future__ import annotations

import asyncio
import struct
import zlib
from collections.abc import AsyncIterator

import aiohttp
import pytest
from telegram import Bot, ForceReply, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest, Forbidden, InvalidToken, RetryAfter
from telegram.ext import ApplicationBuilder, CallbackQueryHandler, CommandHandler, ContextTypes

from bot.chat.api import FakeBotAPI
from bot.chat.html_checks import parse_html
from bot.chat.transports import FakeBotServer, InProcessRequest

USER = 1001


@pytest.fixture
def api() -> FakeBotAPI:
    api = FakeBotAPI()
    api.add_chat(USER)
    return api


@pytest.fixture
async def server(api: FakeBotAPI) -> AsyncIterator[FakeBotServer]:
    server = FakeBotServer(api)
    async with server:
        yield server


@pytest.fixture
async def bot(api: FakeBotAPI, server: FakeBotServer) -> AsyncIterator[Bot]:
    async with Bot(api.token, base_url=server.url, base_file_url=server.file_url) as bot:
        yield bot


def keyboard(*data: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(d, callback_data=d)] for d in data])


def png(width: int, height: int) -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body)
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    rows = b"".join(b"\x00" + b"\x00" * width for _ in range(height))
    idat = zlib.compress(rows)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


# ------------------------------------------------------------------------- over real HTTP


async def test_get_me(bot: Bot, api: FakeBotAPI) -> None:
    me = await bot.get_me()
    assert me.id == 123456
    assert me.is_bot
    assert me.username == api.username
    assert me.supports_inline_queries
    assert api.calls_to("getMe")[-1].status == 200


async def test_send_message_html(bot: Bot, api: FakeBotAPI) -> None:
    sent = await bot.send_message(
        USER,
        "  <b>Hello</b> &amp; <a href='https://example.org'>link</a> ",
        parse_mode="HTML",
        reply_markup=keyboard("m:help"),
    )
    assert sent.text == "Hello & link"
    assert [(e.type, e.offset, e.length) for e in sent.entities] == [
        ("bold", 0, 5),
        ("text_link", 8, 4),
    ]
    stored = api.last_message(USER)
    assert stored is not None
    assert stored["message_id"] == sent.message_id
    assert stored["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "m:help"
    call = api.calls_to("sendMessage")[-1]
    assert call.params["chat_id"] == USER
    assert isinstance(call.params["reply_markup"], dict)


@pytest.mark.parametrize(
    "text",
    ["a <br> b", "<b>bold", "<b>x</i>", "x</b>", "1 < 2", "&nbsp;x", "<span>x</span>", "<b"],
)
async def test_bad_html_is_rejected(bot: Bot, text: str) -> None:
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
        await bot.send_message(USER, text, parse_mode="HTML")


async def test_length_is_counted_after_parsing_in_utf16(bot: Bot) -> None:
    await bot.send_message(USER, "<b>" + "x" * 4096 + "</b>", parse_mode="HTML")
    with pytest.raises(BadRequest, match=r"(?i)message is too long"):
        await bot.send_message(USER, "😀" * 2049)  # 4098 UTF-16 code units
    with pytest.raises(BadRequest, match=r"(?i)message text is empty"):
        await bot.send_message(USER, "<b> </b>", parse_mode="HTML")


async def test_blocked_and_unknown_chats(bot: Bot, api: FakeBotAPI) -> None:
    api.block(USER)
    with pytest.raises(Forbidden, match=r"(?i)bot was blocked by the user"):
        await bot.send_message(USER, "hi")
    api.unblock(USER)
    await bot.send_message(USER, "hi")
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.send_message(424242, "hi")
    assert [c.status for c in api.calls_to("sendMessage")] == [403, 200, 400]


async def test_rate_limit_answers_retry_after(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")  # RetryAfter warns about int seconds otherwise
    api = FakeBotAPI(per_chat_rate=1)
    api.add_chat(USER)
    async with FakeBotServer(api) as url, Bot(api.token, base_url=url) as bot:
        await bot.send_message(USER, "first")
        for _ in range(2):  # the second refusal comes from the retry_after penalty
            with pytest.raises(RetryAfter) as caught:
                await bot.send_message(USER, "too soon")
            assert caught.value.retry_after.total_seconds() >= 1
    assert api.throttled == 2
    assert [c.status for c in api.calls_to("sendMessage")] == [200, 429, 429]


async def test_edit_rules(bot: Bot, api: FakeBotAPI) -> None:
    sent = await bot.send_message(USER, "Menu", reply_markup=keyboard("a", "b"))
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_text("Menu", USER, sent.message_id, reply_markup=keyboard("a", "b"))
    edited = await bot.edit_message_text("<i>Menu</i>", USER, sent.message_id, parse_mode="HTML")
    assert isinstance(edited, type(sent))
    assert edited.reply_markup is None  # editing text without reply_markup drops the keyboard
    assert api.bot_messages(USER)[0]["entities"][0]["type"] == "italic"
    with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
        await bot.edit_message_text("x", USER, 999)


async def test_callback_data_over_64_bytes(bot: Bot) -> None:
    with pytest.raises(BadRequest, match=r"(?i)button_data_invalid"):
        await bot.send_message(USER, "x", reply_markup=keyboard("é" * 33))
    await bot.send_message(USER, "x", reply_markup=keyboard("é" * 32))


async def test_long_polling_returns_injected_update(bot: Bot, api: FakeBotAPI) -> None:
    poll = asyncio.create_task(bot.get_updates(timeout=30))
    await asyncio.sleep(0.05)
    injected = api.send_text("/start", user_id=2002, language_code="ru")
    updates = await asyncio.wait_for(poll, timeout=5)
    assert [u.update_id for u in updates] == [injected["update_id"]]
    message = updates[0].message
    assert message is not None
    assert message.text == "/start"
    assert message.from_user is not None and message.from_user.language_code == "ru"
    assert message.entities[0].type == "bot_command"
    assert await bot.get_updates(offset=updates[0].update_id + 1, timeout=0) == ()
    assert 2002 in api.known_chats


async def test_document_and_photo_uploads(bot: Bot, api: FakeBotAPI) -> None:
    ics = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n"
    sent = await bot.send_document(
        USER, ics, filename="caravan.ics", caption="<b>Calendar</b>", parse_mode="HTML"
    )
    assert sent.document is not None
    assert sent.document.file_name == "caravan.ics"
    assert sent.document.file_size == len(ics)
    assert sent.caption == "Calendar"
    upload = api.calls_to("sendDocument")[0].params["document"]
    assert (upload.filename, upload.data) == ("caravan.ics", ics)
    assert api.file_bytes(api.last_message(USER) or {}) == ics
    file = await bot.get_file(sent.document.file_id)
    assert bytes(await file.download_as_bytearray()) == ics

    photo = await bot.send_photo(USER, png(3, 2))
    assert (photo.photo[-1].width, photo.photo[-1].height) == (3, 2)
    with pytest.raises(BadRequest, match=r"(?i)image_process_failed"):
        await bot.send_photo(USER, b"not an image")
    with pytest.raises(BadRequest, match=r"(?i)caption is too long"):
        await bot.send_document(USER, ics, filename="a.ics", caption="x" * 1025)


async def test_photos_are_held_to_telegrams_limits(bot: Bot, api: FakeBotAPI) -> None:
    """At most 10 MB, width + height at most 10000, sides at most 20 : 1; a document's file_id
    is not a photo; a photo's file_id is sent again without an upload."""
    first = await bot.send_photo(USER, png(1080, 2600))
    assert (first.photo[-1].width, first.photo[-1].height) == (1080, 2600)
    again = await bot.send_photo(USER, first.photo[-1].file_id)
    assert again.photo[-1].file_id == first.photo[-1].file_id
    for width, height in ((6000, 4001), (2100, 100), (50, 1001)):
        with pytest.raises(BadRequest, match=r"(?i)photo_invalid_dimensions"):
            await bot.send_photo(USER, png(width, height))
    await bot.send_photo(USER, png(2000, 100))  # exactly 20 : 1
    huge = png(100, 100) + b"\0" * (10 * 1024 * 1024)
    with pytest.raises(BadRequest, match=r"(?i)photo_save_file_invalid"):
        await bot.send_photo(USER, huge)
    document = await bot.send_document(USER, png(3, 2), filename="a.png")
    with pytest.raises(BadRequest, match=r"(?i)can.t use file of type document as photo"):
        await bot.send_photo(USER, document.document.file_id)


async def test_wrong_token_and_unknown_method(server: FakeBotServer, api: FakeBotAPI) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{server.url}{api.token}/noSuchMethod") as response:
            assert response.status == 404
            assert (await response.json())["description"] == "Not Found"
        async with session.post(f"{server.url}{api.token}/sendMessage", json={}) as response:
            assert response.status == 400
    with pytest.raises(InvalidToken):
        async with Bot("999:WRONG", base_url=server.url):
            pass


async def test_http_accepts_json_form_and_query(server: FakeBotServer, api: FakeBotAPI) -> None:
    url = f"{server.url}{api.token}/sendMessage"
    markup = {"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]}
    async with aiohttp.ClientSession() as session:
        async with session.post(url, json={"chat_id": USER, "text": "1", "reply_markup": markup}):
            pass
        form = {"chat_id": str(USER), "text": "2", "reply_markup": '{"remove_keyboard": true}'}
        async with session.post(url, data=form):
            pass
        async with session.get(url, params={"chat_id": str(USER), "text": "3"}) as response:
            body = await response.json()
    assert body["ok"] and body["result"]["text"] == "3"
    assert [m["text"] for m in api.bot_messages(USER)] == ["1", "2", "3"]  # "2" stays a string


# ------------------------------------------------------------------------- in process


async def test_in_process_request(api: FakeBotAPI) -> None:
    bot = Bot(api.token, request=InProcessRequest(api), get_updates_request=InProcessRequest(api))
    async with bot:
        assert (await bot.get_me()).username == api.username
        sent = await bot.send_message(USER, "hi", reply_markup=keyboard("x"))
        assert sent.text == "hi"
        api.press(api.last_message(USER) or {}, "x")
        (update,) = await bot.get_updates(timeout=1)
        assert update.callback_query is not None and update.callback_query.data == "x"
        assert await update.callback_query.answer("ok")
        with pytest.raises(BadRequest, match=r"(?i)query is too old"):
            await update.callback_query.answer("again")


async def test_application_round_trip(api: FakeBotAPI, server: FakeBotServer) -> None:
    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_text("Pick", reply_markup=keyboard("one"))

    async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        await query.answer()
        await query.edit_message_text(f"Picked {query.data}")

    app = ApplicationBuilder().token(api.token).base_url(server.url).build()
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CallbackQueryHandler(pressed))
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0, timeout=1)
        api.send_text("/start")
        await api.wait_for(lambda: api.last_message(USER) is not None)
        api.press(api.last_message(USER) or {}, "one")
        await api.wait_idle(quiet=0.1)
        await app.updater.stop()
        await app.stop()
    assert [m["text"] for m in api.bot_messages(USER)] == ["Picked one"]
    assert [c.status for c in api.calls if c.method != "getUpdates"].count(400) == 0


# ------------------------------------------------------------------------- core rules


async def call(api: FakeBotAPI, method: str, **params: object) -> tuple[int, dict]:
    return await api.handle(api.token, method, params)


async def test_token_methods_and_failures() -> None:
    api = FakeBotAPI(fail_methods=["setMyCommands"])
    assert (await api.handle("1:x", "getMe", {}))[0] == 401
    assert (await call(api, "getme"))[0] == 200  # method names are case-insensitive
    status, body = await call(api, "setMyCommands", commands=[])
    assert (status, body["description"]) == (400, "Bad Request: method is not available")
    assert [c.status for c in api.calls] == [401, 200, 400]


async def test_commands_per_scope_and_language(api: FakeBotAPI) -> None:
    commands = [{"command": "start", "description": "Start"}]
    assert (await call(api, "setMyCommands", commands=commands, language_code="ru"))[0] == 200
    scope = {"type": "all_private_chats"}
    assert (await call(api, "setMyCommands", commands=commands, scope=scope))[0] == 200
    assert set(api.commands) == {("default", "ru"), ("all_private_chats", "")}
    assert (await call(api, "getMyCommands", language_code="ru"))[1]["result"] == commands
    assert (await call(api, "getMyCommands"))[1]["result"] == []
    bad = [{"command": "Start!", "description": "x"}]
    assert (await call(api, "setMyCommands", commands=bad))[0] == 400
    assert (await call(api, "deleteMyCommands", scope=scope))[0] == 200
    assert set(api.commands) == {("default", "ru")}


async def test_get_updates_offset_limit_allowed_and_conflicts(api: FakeBotAPI) -> None:
    first = api.send_text("a")
    api.send_text("b")
    api.inline_query("query")
    _, body = await call(api, "getUpdates", limit=1)
    assert [u["update_id"] for u in body["result"]] == [first["update_id"]]
    _, body = await call(
        api, "getUpdates", offset=first["update_id"] + 1, allowed_updates=["message"]
    )
    assert [u["message"]["text"] for u in body["result"]] == ["b"]  # inline query filtered

    poll = asyncio.create_task(call(api, "getUpdates", offset=first["update_id"] + 2, timeout=30))
    await api.wait_for(lambda: api.polling)
    status, _ = await call(api, "getUpdates", offset=first["update_id"] + 2)
    assert status == 200
    assert (await poll)[0] == 409  # terminated by the newer getUpdates request

    assert (await call(api, "setWebhook", url="https://example.org/hook"))[0] == 200
    assert (await call(api, "getUpdates"))[0] == 409
    assert (await call(api, "deleteWebhook"))[0] == 200
    _, body = await call(api, "getUpdates", timeout=0.05)
    assert body["result"] == []


async def test_callback_and_inline_answers(api: FakeBotAPI) -> None:
    _, body = await call(
        api, "sendMessage", chat_id=USER, text="x", reply_markup=keyboard("a").to_dict()
    )
    update = api.press(body["result"], "a")
    with pytest.raises(ValueError, match="no button"):
        api.press(body["result"], "b")
    query_id = update["callback_query"]["id"]
    status, _ = await call(api, "answerCallbackQuery", callback_query_id=query_id, text="x" * 201)
    assert status == 400
    assert (await call(api, "answerCallbackQuery", callback_query_id=query_id))[0] == 200
    assert (await call(api, "answerCallbackQuery", callback_query_id=query_id))[0] == 400

    inline_id = api.inline_query("agdam")["inline_query"]["id"]
    article = {"type": "article", "title": "t", "input_message_content": {"message_text": "m"}}
    results = [{**article, "id": str(i)} for i in range(51)]
    status, body = await call(api, "answerInlineQuery", inline_query_id=inline_id, results=results)
    assert (status, body["description"]) == (400, "Bad Request: RESULTS_TOO_MUCH")
    assert (await call(api, "answerInlineQuery", inline_query_id=inline_id, results=results[:50]))[
        0
    ] == 200
    assert len(api.inline_answers[inline_id]["results"]) == 50


async def test_locations_copies_and_deletes(api: FakeBotAPI) -> None:
    shared = api.share_location(39.8, 46.75)["message"]
    _, venue = await call(
        api, "sendVenue", chat_id=USER, latitude=39.8, longitude=46.75, title="T", address="A"
    )
    assert venue["result"]["venue"]["title"] == "T"
    assert (await call(api, "sendLocation", chat_id=USER, latitude=91, longitude=0))[0] == 400
    _, copied = await call(
        api, "copyMessage", chat_id=USER, from_chat_id=USER, message_id=shared["message_id"]
    )
    last = api.last_message(USER)
    assert last is not None and last["location"] == shared["location"]
    message_id = copied["result"]["message_id"]
    assert (await call(api, "deleteMessage", chat_id=USER, message_id=message_id))[0] == 200
    assert (await call(api, "deleteMessage", chat_id=USER, message_id=message_id))[0] == 400
    assert [m["message_id"] for m in api.bot_messages(USER)] == [venue["result"]["message_id"]]


def test_html_parser_details() -> None:
    text, entities = parse_html(
        '😀<tg-spoiler>s</tg-spoiler> <pre><code class="language-py">x</code></pre> Q&A &#65;'
    )
    assert text == "😀s x Q&A A"
    assert entities == [
        {"type": "spoiler", "offset": 2, "length": 1},
        {"type": "pre", "offset": 4, "length": 1, "language": "py"},
    ]


# ------------------------------------------------------------------------- forum topics

FORUM, GROUP, NO_RIGHTS = -1001, -1002, -1003


async def test_forum_topics_as_telegram_keeps_them(bot: Bot, api: FakeBotAPI) -> None:
    api.add_forum(FORUM)
    api.add_forum(GROUP, forum=False)
    api.add_forum(NO_RIGHTS, can_manage_topics=False)
    with pytest.raises(BadRequest, match=r"(?i)the chat is not a forum"):
        await bot.create_forum_topic(GROUP, "#1")
    with pytest.raises(BadRequest, match=r"(?i)not enough rights"):
        await bot.create_forum_topic(NO_RIGHTS, "#1")
    with pytest.raises(BadRequest, match=r"(?i)TOPIC_NAME_INVALID"):
        await bot.create_forum_topic(FORUM, "x" * 129)
    with pytest.raises(BadRequest, match=r"(?i)the chat is not a forum"):
        await bot.create_forum_topic(USER, "#1")
    topic = await bot.create_forum_topic(FORUM, "#1 · Sos · az · Leyla")
    thread = topic.message_thread_id
    sent = await bot.send_message(FORUM, "card", message_thread_id=thread)
    assert sent.message_thread_id == thread and sent.is_topic_message
    with pytest.raises(BadRequest, match=r"(?i)message thread not found"):
        await bot.send_message(FORUM, "card", message_thread_id=thread + 100)
    with pytest.raises(BadRequest, match=r"(?i)message thread not found"):
        await bot.send_message(USER, "hi", message_thread_id=thread)
    # the user's message copied into the topic; the "topic created" service message cannot be
    api.send_text("my roof leaks", user_id=USER)
    user_message = api._updates[-1]["message"]["message_id"]
    copy = await bot.copy_message(FORUM, USER, user_message, message_thread_id=thread)
    assert api.topic_messages(FORUM, thread)[-1]["text"] == "my roof leaks"
    assert api.topic_messages(FORUM, thread)[-1]["message_id"] == copy.message_id
    with pytest.raises(BadRequest, match=r"(?i)message can't be copied"):
        await bot.copy_message(USER, FORUM, thread)
    assert await bot.close_forum_topic(FORUM, thread)
    with pytest.raises(BadRequest, match=r"(?i)TOPIC_NOT_MODIFIED"):
        await bot.close_forum_topic(FORUM, thread)


async def test_force_reply_and_replies(bot: Bot, api: FakeBotAPI) -> None:
    prompt = await bot.send_message(USER, "your question?", reply_markup=ForceReply())
    assert api.force_replies[USER] == prompt.message_id
    with pytest.raises(BadRequest):
        await bot.send_message(USER, "?", reply_markup=ForceReply(input_field_placeholder="x" * 65))
    reply = api.send_text("the answer", user_id=USER, reply_to=prompt.message_id)
    assert reply["message"]["reply_to_message"]["text"] == "your question?"
    voice = api.send_voice(b"OggS", user_id=USER)["message"]
    assert voice["voice"]["mime_type"] == "audio/ogg"
    copy = await bot.copy_message(USER, USER, voice["message_id"])
    assert "voice" in api.bot_messages(USER)[-1] and copy.message_id
