"""`bot.transport.request.AiohttpRequest`, the bot's Bot API transport, against real servers on
127.0.0.1: what it sends, how it fails, and the proxy it takes from the environment; and
how `bot.transport.retry` treats a 429.

The whole suite runs the bot over this transport too; these are the cases it doesn't reach.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, InputFile
from telegram.error import NetworkError, TimedOut

import bot.transport.retry
from bot.transport.request import AiohttpRequest
from bot.transport.retry import RetryingRequest

TOKEN = "123:abc"


class Server:
    """A Bot API stand-in that records what each call carried and can be made to stall."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []
        self.stall = 0.0
        self.url = ""

    async def api(self, request: web.Request) -> web.Response:
        if self.stall:
            await asyncio.sleep(self.stall)
        call: dict[str, Any] = {"method": request.match_info["method"]}
        call["content_type"] = request.content_type
        call["user_agent"] = request.headers.get("User-Agent", "")
        if request.content_type == "application/json":
            form: Any = await request.json()
        else:
            form = await request.post()
        call["fields"] = {k: v for k, v in form.items() if not isinstance(v, web.FileField)}
        call["files"] = {
            k: (v.filename, v.content_type, v.file.read())
            for k, v in form.items()
            if isinstance(v, web.FileField)
        }
        self.calls.append(call)
        result: Any = True
        if call["method"] == "getMe":
            result = {"id": 123, "is_bot": True, "first_name": "B", "username": "b_bot"}
        elif call["method"] in ("sendMessage", "sendDocument"):
            chat = {"id": int(call["fields"]["chat_id"]), "type": "private"}  # str in a form
            result = {"message_id": len(self.calls), "date": 0, "chat": chat, "text": "ok"}
        return web.json_response({"ok": True, "result": result})

    async def file(self, request: web.Request) -> web.Response:
        return web.Response(body=b"col1,col2\n1,2\n")


@pytest.fixture
async def server() -> AsyncIterator[Server]:
    state = Server()
    app = web.Application()
    app.router.add_post("/bot{token}/{method}", state.api)
    app.router.add_get("/file/bot{token}/{path:.*}", state.file)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    state.url = f"http://127.0.0.1:{port}"
    yield state
    await runner.cleanup()


def make_bot(server: Server, request: AiohttpRequest | None = None) -> Bot:
    return Bot(
        TOKEN,
        base_url=f"{server.url}/bot",
        base_file_url=f"{server.url}/file/bot",
        request=request or AiohttpRequest(),
        get_updates_request=AiohttpRequest(connection_pool_size=1),
    )


async def test_calls_carry_their_parameters_as_json(server: Server) -> None:
    keyboard = InlineKeyboardMarkup(
        [[InlineKeyboardButton("Şuşa — «ok» & <b>", callback_data="s:x")]]
    )
    async with make_bot(server) as bot:
        message = await bot.send_message(42, "Salam <b>dünya</b> & «Шуша»", reply_markup=keyboard)
    assert message.message_id == 2  # getMe, then this
    call = server.calls[-1]
    assert call["method"] == "sendMessage"
    assert call["content_type"] == "application/json"
    assert call["user_agent"].startswith("python-telegram-bot")
    assert call["fields"]["chat_id"] == 42
    assert call["fields"]["text"] == "Salam <b>dünya</b> & «Шуша»"
    markup = call["fields"]["reply_markup"]
    assert markup["inline_keyboard"][0][0] == {"text": "Şuşa — «ok» & <b>", "callback_data": "s:x"}


async def test_uploads_are_multipart_with_name_type_and_content(server: Server) -> None:
    content = bytes(range(256)) * 100
    async with make_bot(server) as bot:
        await bot.send_document(
            7,
            InputFile(content, filename="housing.xlsx"),
            caption="Cədvəl",
            disable_notification=True,
        )
    call = server.calls[-1]
    assert call["content_type"] == "multipart/form-data"
    assert call["fields"]["chat_id"] == "7"
    assert call["fields"]["caption"] == "Cədvəl"
    assert call["fields"]["disable_notification"] == "true"
    [(filename, mime_type, body)] = call["files"].values()
    assert (filename, body) == ("housing.xlsx", content)
    assert mime_type.startswith("application/")


async def test_files_are_downloaded(server: Server) -> None:
    async with make_bot(server) as bot:
        data = await bot.request.retrieve(f"{server.url}/file/bot{TOKEN}/documents/a.csv")
    assert data == b"col1,col2\n1,2\n"


async def test_a_slow_answer_is_a_time_out(server: Server) -> None:
    server.stall = 1.0
    request = AiohttpRequest(read_timeout=0.2)
    await request.initialize()
    try:
        loop = asyncio.get_running_loop()
        started = loop.time()
        with pytest.raises(TimedOut):
            await request.post(f"{server.url}/bot{TOKEN}/getMe")
        assert loop.time() - started < 0.9
    finally:
        await request.shutdown()


async def test_a_full_pool_is_a_time_out_and_nothing_is_sent(server: Server) -> None:
    server.stall = 0.5
    request = AiohttpRequest(connection_pool_size=1, pool_timeout=0.1, connect_timeout=0.1)
    await request.initialize()
    try:
        url = f"{server.url}/bot{TOKEN}/getMe"
        first = asyncio.create_task(request.post(url))
        await asyncio.sleep(0.05)
        with pytest.raises(TimedOut):
            await request.post(url)
        assert (await first)["username"] == "b_bot"
        assert len(server.calls) == 1
    finally:
        await request.shutdown()


async def test_no_server_is_a_network_error() -> None:
    request = AiohttpRequest(connect_timeout=1.0)
    await request.initialize()
    try:
        with pytest.raises(NetworkError) as caught:
            await request.post(f"http://127.0.0.1:{unused_port()}/bot{TOKEN}/getMe")
        assert not isinstance(caught.value, TimedOut)
        assert "aiohttp" in str(caught.value)
    finally:
        await request.shutdown()


async def test_it_must_be_open_and_opens_again_after_a_shutdown(server: Server) -> None:
    request = AiohttpRequest()
    with pytest.raises(NetworkError, match="not initialized"):
        await request.post(f"{server.url}/bot{TOKEN}/getMe")
    for _ in range(2):
        await request.initialize()
        assert (await request.post(f"{server.url}/bot{TOKEN}/getMe"))["username"] == "b_bot"
        await request.shutdown()


async def test_the_proxy_in_the_environment_is_used_unless_no_proxy_says_otherwise(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    request_lines: list[str] = []

    async def proxy(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        request_lines.append(head.split(b"\r\n", 1)[0].decode())
        length = next(
            int(line.split(b":", 1)[1])
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length:")
        )
        await reader.readexactly(length)
        body = b'{"ok": true, "result": true}'
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            + f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
            + body
        )
        await writer.drain()
        writer.close()

    listener = await asyncio.start_server(proxy, "127.0.0.1", 0)
    port = listener.sockets[0].getsockname()[1]
    for name in ("HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("NO_PROXY", "bypassed.invalid")
    request = AiohttpRequest(connect_timeout=1.0)
    await request.initialize()
    try:
        assert await request.post(f"http://api.telegram.invalid/bot{TOKEN}/close") is True
        assert request_lines == [f"POST http://api.telegram.invalid/bot{TOKEN}/close HTTP/1.1"]
        with pytest.raises(NetworkError):  # not through the proxy: the name doesn't resolve
            await request.post(f"http://bypassed.invalid/bot{TOKEN}/close")
        assert len(request_lines) == 1
    finally:
        await request.shutdown()
        listener.close()
        await listener.wait_closed()


def unused_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Scripted(AiohttpRequest):
    """A transport answering from a script of (status, body) instead of the network."""

    def __init__(self, *answers: tuple[int, dict[str, Any]]) -> None:
        super().__init__()
        self.answers = list(answers)
        self.calls = 0

    async def do_request(self, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        self.calls += 1
        status, body = self.answers.pop(0)
        return status, json.dumps(body).encode()


FLOOD = (429, {"ok": False, "error_code": 429, "parameters": {"retry_after": 0.2}})
DONE = (200, {"ok": True, "result": True})


async def test_a_429_is_waited_out_unless_the_caller_paces_itself(monkeypatch) -> None:
    monkeypatch.setattr(bot.transport.retry, "FLOOD_JITTER", 0.0)
    url = f"http://127.0.0.1:9/bot{TOKEN}/sendMessage"
    inner = Scripted(FLOOD, FLOOD, DONE)
    loop = asyncio.get_running_loop()
    started = loop.time()
    status, _ = await RetryingRequest(inner).do_request(url, "POST")
    assert (status, inner.calls) == (200, 3) and loop.time() - started >= 0.4

    inner = Scripted(FLOOD, DONE)
    with bot.transport.retry.paced_by_caller():
        status, _ = await RetryingRequest(inner).do_request(url, "POST")
    assert (status, inner.calls) == (429, 1)

    monkeypatch.setattr(bot.transport.retry, "FLOOD_WAIT", 0.3)  # a second wait would pass it
    inner = Scripted(FLOOD, FLOOD, DONE)
    status, _ = await RetryingRequest(inner).do_request(url, "POST")
    assert (status, inner.calls) == (429, 2)
