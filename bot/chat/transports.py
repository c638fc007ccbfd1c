"""Two ways to reach a :class:`~bot.chat.api.FakeBotAPI`: :class:`FakeBotServer` serves it
over real HTTP on 127.0.0.1 (aiohttp; JSON, form and multipart bodies, file downloads), and
:class:`InProcessRequest` is a python-telegram-bot request object that calls it directly,
without sockets, as ``returnbot chat`` does.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import unquote, urlsplit

from aiohttp import web
from telegram.request import BaseRequest, RequestData

from bot.chat.api import FakeBotAPI
from bot.chat.errors import NOT_FOUND_BODY, bad_request
from bot.chat.files import UPLOAD_LIMIT, UploadedFile


class FakeBotServer:
    """Serve a :class:`FakeBotAPI` over real HTTP on 127.0.0.1 (aiohttp)."""

    def __init__(self, api: FakeBotAPI, host: str = "127.0.0.1", port: int = 0) -> None:
        self.api = api
        self.host = host
        self.port = port
        self.url = ""
        self._runner: web.AppRunner | None = None

    async def start(self) -> str:
        """Start listening; returns the base_url for PTB (``http://127.0.0.1:PORT/bot``)."""
        app = web.Application(client_max_size=UPLOAD_LIMIT + 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        self._runner = web.AppRunner(
            app, shutdown_timeout=0.5, handler_cancellation=True, access_log=None
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = self._runner.addresses[0][1]
        self.url = f"http://{self.host}:{self.port}/bot"
        return self.url

    @property
    def file_url(self) -> str:
        """base_file_url for PTB, so that File.download_* works."""
        return f"http://{self.host}:{self.port}/file/bot"

    async def stop(self) -> None:
        """Stop the server (waiting long polls are released first)."""
        self.api.release_pollers()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> str:
        """Start; ``async with FakeBotServer(api) as base_url`` gives the base_url."""
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    async def _handle_api(self, request: web.Request) -> web.Response:
        raw: dict[str, Any] = dict(request.query)
        if request.method == "POST" and request.can_read_body:
            if request.content_type == "application/json":
                try:
                    body = await request.json()
                except ValueError:
                    body = None
                if not isinstance(body, dict):
                    return web.json_response(
                        bad_request("can't parse JSON encoded request body").body(), status=400
                    )
                raw.update(body)
            else:
                form = await request.post()
                for name, value in form.items():
                    if isinstance(value, web.FileField):
                        raw[name] = UploadedFile(
                            value.filename, value.file.read(), value.content_type
                        )
                    else:
                        raw[name] = value
        status, body = await self.api.handle(
            request.match_info["token"], request.match_info["method"], raw
        )
        return web.json_response(body, status=status)

    async def _handle_file(self, request: web.Request) -> web.Response:
        status, data = self.api.download(request.match_info["token"], request.match_info["path"])
        return web.Response(body=data, status=status)


class InProcessRequest(BaseRequest):
    """A PTB request object that calls :meth:`FakeBotAPI.handle` directly, without sockets."""

    _URL = re.compile(r"/bot([^/]+)/([^/?]+)$")
    _FILE_URL = re.compile(r"/file/bot([^/]+)/(.+)$")

    def __init__(self, api: FakeBotAPI) -> None:
        self.api = api

    @property
    def read_timeout(self) -> float | None:
        """Default read timeout (unused: nothing is read from a socket)."""
        return 5.0

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to tear down."""

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """Decode the request like the HTTP server would and answer it in process."""
        path = urlsplit(url).path
        if match := self._FILE_URL.search(path):  # PTB quotes the token's ":" here
            return self.api.download(unquote(match[1]), unquote(match[2]))
        match = self._URL.search(path)
        if match is None:
            return 404, NOT_FOUND_BODY
        raw: dict[str, Any] = {}
        if request_data is not None:
            raw.update(request_data.json_parameters)
            for name, (filename, content, mime_type) in request_data.multipart_data.items():
                data = content if isinstance(content, bytes) else content.read()
                raw[name] = UploadedFile(filename, data, mime_type)
        status, body = await self.api.handle(match[1], match[2], raw)
        return status, json.dumps(body).encode()
