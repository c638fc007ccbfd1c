"""Bot API transports: `AiohttpRequest`, which carries the bot's calls over HTTP, and what
the transports that wrap another one (`bot.transport.retry`, `bot.metrics`) share."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

import aiohttp
import yarl
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

# PTB's marker for "not given, use the transport's default" (a private class, hence type())
DefaultValue = type(BaseRequest.DEFAULT_NONE)
_JSON = {"Content-Type": "application/json"}


def api_method(url: str) -> str:
    """The Bot API method a request URL calls: `…/bot<token>/sendMessage` → `sendMessage`."""
    return url.rsplit("/", 1)[-1].split("?", 1)[0]


class WrappedRequest(BaseRequest):
    """Delegates the transport's life cycle to `inner`; subclasses wrap `do_request`."""

    def __init__(self, inner: BaseRequest) -> None:
        self.inner = inner

    @property
    def read_timeout(self) -> float | None:
        """The inner transport's default read timeout."""
        return self.inner.read_timeout

    async def initialize(self) -> None:
        """Open the inner transport."""
        await self.inner.initialize()

    async def shutdown(self) -> None:
        """Close the inner transport."""
        await self.inner.shutdown()


class AiohttpRequest(BaseRequest):
    """The Bot API over aiohttp: PTB's `HTTPXRequest`, same defaults, less CPU per call.

    Under load most of the bot's CPU went to httpx and httpcore, whose pool inspects every
    open connection (a `getpeername` and a readability poll each) on every request; aiohttp
    learns of closed connections from the event loop and parses HTTP in C. Parameters go
    as one JSON body (cheaper than percent-encoding every letter of a Cyrillic or
    Azerbaijani text into a form), or as multipart form fields when there are files.

    Timeouts follow PTB's meaning: `connect_timeout` for the TCP connection, `pool_timeout`
    added for waiting on a free connection, `read_timeout` between chunks of the answer.
    aiohttp has no write timeout, so the whole request is bounded by the sum of all four
    (with `media_write_timeout` when uploading); a `None` read timeout lifts the bound.
    HTTP(S)_PROXY and NO_PROXY are honoured, read once per host, as httpx did.
    """

    def __init__(
        self,
        connection_pool_size: int = 256,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
        media_write_timeout: float | None = 20.0,
    ) -> None:
        self._pool_size = connection_pool_size
        self._read_timeout = read_timeout
        self._write_timeout = write_timeout
        self._connect_timeout = connect_timeout
        self._pool_timeout = pool_timeout
        self._media_write_timeout = media_write_timeout
        self._session: aiohttp.ClientSession | None = None
        self._proxies: dict[tuple[str, str], str | None] = {}

    @property
    def read_timeout(self) -> float | None:
        """The default read timeout (PTB adds getUpdates' long-poll time to it)."""
        return self._read_timeout

    async def initialize(self) -> None:
        """Open the connection pool (again, after a shutdown)."""
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self._pool_size)
            headers = {"User-Agent": self.USER_AGENT}
            self._session = aiohttp.ClientSession(connector=connector, headers=headers)
            self._proxies.clear()

    async def shutdown(self) -> None:
        """Close the pool and its connections."""
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _proxy(self, url: yarl.URL) -> str | None:
        key = (url.scheme, url.host or "")
        if key not in self._proxies:
            proxy = urllib.request.getproxies().get(url.scheme)
            if proxy and urllib.request.proxy_bypass(url.host or ""):
                proxy = None
            self._proxies[key] = proxy or None
        return self._proxies[key]

    def _timeout(
        self, read: Any, write: Any, connect: Any, pool: Any, uploads: bool
    ) -> aiohttp.ClientTimeout:
        read = self._read_timeout if isinstance(read, DefaultValue) else read
        connect = self._connect_timeout if isinstance(connect, DefaultValue) else connect
        pool = self._pool_timeout if isinstance(pool, DefaultValue) else pool
        if isinstance(write, DefaultValue):
            write = self._media_write_timeout if uploads else self._write_timeout
        phases = (read, write, connect, pool)
        total = None if None in phases else sum(phases)
        waiting = None if connect is None or pool is None else connect + pool
        return aiohttp.ClientTimeout(
            total=total, connect=waiting, sock_connect=connect, sock_read=read
        )

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
        """Send the request; answer its status and body. Time-outs raise `TimedOut`, other
        failures `NetworkError`, as PTB expects of a transport."""
        if self._session is None or self._session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        data: Any = None
        headers = None
        files = request_data.multipart_data if request_data is not None else None
        if request_data is not None and files:
            data = aiohttp.FormData(request_data.json_parameters)
            for name, (filename, content, mime_type) in files.items():
                data.add_field(name, content, filename=filename, content_type=mime_type)
        elif request_data is not None and (parameters := request_data.parameters):
            data = json.dumps(parameters, ensure_ascii=False).encode()
            headers = _JSON
        target = yarl.URL(url, encoded=False)
        timeout = self._timeout(read_timeout, write_timeout, connect_timeout, pool_timeout,
                                bool(files))  # fmt: skip
        try:
            async with self._session.request(
                method,
                target,
                data=data,
                headers=headers,
                timeout=timeout,
                proxy=self._proxy(target),
            ) as response:
                return response.status, await response.read()
        except TimeoutError as error:
            raise TimedOut(f"aiohttp: {type(error).__name__}") from error
        except aiohttp.ClientError as error:
            raise NetworkError(f"aiohttp.{type(error).__name__}: {error}") from error
