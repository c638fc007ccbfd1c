"""Bounded retries of Bot API calls that failed on Telegram's side (5xx), timed out, or met
the flood limit (429): `RetryingRequest` wraps the transport; deliveries mark their sends
`paced_by_caller()` and get every 429 back. Why, and why not PTB's `AIORateLimiter`:
docs/transport.md."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any

from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

from bot.transport.request import WrappedRequest, api_method

ATTEMPTS = 3
BACKOFF = 0.5  # seconds before the second try; doubled before each further one
READ_TIMEOUT = 5.0  # seconds per try when the caller sets none (PTB's own default)
RETRIED_STATUSES = frozenset({500, 502, 503, 504})
FLOOD_WAIT = 30.0  # seconds a call may spend waiting out 429s in all
FLOOD_JITTER = 0.5  # at most this much longer than `retry_after`, at random

_paced_by_caller: ContextVar[bool] = ContextVar("paced_by_caller", default=False)

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
        """Forward the request; again after a 5xx or a time-out, at most ATTEMPTS times,
        and after a 429 once its `retry_after` has passed (see the module's docstring)."""
        method_name = api_method(url)
        polling = method_name.lower() == "getupdates"
        attempts = 1 if polling else ATTEMPTS
        waits_out_floods = not polling and not _paced_by_caller.get()
        if read_timeout is BaseRequest.DEFAULT_NONE:
            read_timeout = READ_TIMEOUT
        attempt, flood_waited = 1, 0.0
        while True:
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
                pause = retry_after(payload) if status == 429 and waits_out_floods else None
                if pause is not None and flood_waited + pause <= FLOOD_WAIT:
                    pause += random.uniform(0, FLOOD_JITTER)
                    flood_waited += pause
                    log.info("%s: flood limit; trying again in %.1f s", method_name, pause)
                    await asyncio.sleep(pause)
                    continue
                if status not in RETRIED_STATUSES or attempt == attempts:
                    return status, payload
                log.warning("%s: HTTP %d; try %d of %d", method_name, status, attempt + 1, attempts)
            await asyncio.sleep(BACKOFF * 2 ** (attempt - 1))
            attempt += 1


def retry_after(payload: bytes) -> float | None:
    """The seconds a 429 answer asks to wait (`parameters.retry_after`), if it says."""
    try:
        return float(json.loads(payload)["parameters"]["retry_after"])
    except (ValueError, KeyError, TypeError):
        return None


@contextlib.contextmanager
def paced_by_caller() -> Iterator[None]:
    """Calls made within the block get every 429 back at once: their caller paces itself
    (`bot.delivery`)."""
    token = _paced_by_caller.set(True)
    try:
        yield
    finally:
        _paced_by_caller.reset(token)
