"""Bounded retries of Bot API calls that failed on Telegram's side (5xx) or timed out.

Telegram answers 500/502/503/504 now and then, and a request can time out on a bad network
day; one more try a moment later usually succeeds. `RetryingRequest` wraps the transport and
tries such a call at most ATTEMPTS times, waiting BACKOFF, then twice as long; other answers
(2xx, 4xx — 429 included, which the callers handle with `retry_after`) are returned at once.
A send that timed out may have reached Telegram; repeating it risks a duplicate message,
which is better than a question left unanswered. Long polls (`getUpdates`) are not retried
here: the updater has its own loop.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

from bot.transport import WrappedRequest, api_method

ATTEMPTS = 3
BACKOFF = 0.5  # seconds before the second try; doubled before each further one
READ_TIMEOUT = 5.0  # seconds per try when the caller sets none (PTB's own default)
RETRIED_STATUSES = frozenset({500, 502, 503, 504})

log = logging.getLogger(__name__)


class RetryingRequest(WrappedRequest):
    """A Bot API transport that retries `inner`'s 5xx answers and time-outs, boundedly."""

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
        """Forward the request; again after a 5xx or a time-out, at most ATTEMPTS times."""
        method_name = api_method(url)
        attempts = 1 if method_name.lower() == "getupdates" else ATTEMPTS
        if read_timeout is BaseRequest.DEFAULT_NONE:
            read_timeout = READ_TIMEOUT
        for attempt in range(1, attempts + 1):
            try:
                status, payload = await self.inner.do_request(
                    url,
                    method,
                    request_data,
                    read_timeout=read_timeout,
                    write_timeout=write_timeout,
                    connect_timeout=connect_timeout,
                    pool_timeout=pool_timeout,
                )
            except (TimedOut, NetworkError) as error:
                if attempt == attempts:
                    raise
                log.warning("%s: %s; try %d of %d", method_name, error, attempt + 1, attempts)
            else:
                if status not in RETRIED_STATUSES or attempt == attempts:
                    return status, payload
                log.warning("%s: HTTP %d; try %d of %d", method_name, status, attempt + 1, attempts)
            await asyncio.sleep(BACKOFF * 2 ** (attempt - 1))
        raise AssertionError("unreachable")  # the loop returns or raises
