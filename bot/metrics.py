"""Prometheus metrics (served at `GET /metrics` in webhook mode) and the handler-timing hook.

Each Application gets its own `Metrics` (its own registry), so two bots in one process (the
tests) never mix counts. Three places feed it:

- `instrument()` wraps every registered handler callback: updates handled by type, a latency
  histogram per handler, and one structured log line per handled update (`bot.logs`);
- `MeteredRequest` wraps the Bot API transport: every send method's outcome (sent, failed,
  throttled by a 429) is counted where it happens, whoever sent it (handlers, delivery loop);
- `DatabaseGauges` reads outbox depth and active users from the database at scrape time,
  at most every `GAUGE_TTL` seconds and never waiting more than `GAUGE_TIMEOUT`.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import Update
from telegram.ext import Application, ApplicationHandlerStop
from telegram.request import BaseRequest, RequestData

from bot.logs import hash_user, user_key
from bot.transport.request import WrappedRequest, api_method
from db import runtime

GAUGE_TTL = 5.0  # seconds a database reading is reused
GAUGE_TIMEOUT = 2.0  # seconds a scrape waits for the database at most

# Bot API methods that put a message in a chat (what BROADCAST_RATE and 429s are about)
SEND_METHODS = frozenset(
    {
        "sendmessage",
        "senddocument",
        "sendphoto",
        "sendlocation",
        "sendvenue",
        "sendmediagroup",
        "copymessage",
        "forwardmessage",
    }
)

log = logging.getLogger("returnbot.updates")


class DatabaseGauges(Collector):
    """Outbox depth and active users, as last read by `refresh` (a Prometheus collector's
    `collect` is synchronous, so the async read happens just before the scrape renders)."""

    def __init__(self) -> None:
        self.outbox_depth: float = float("nan")
        self.active_users: float = float("nan")
        self._read_at = -GAUGE_TTL
        self._lock = asyncio.Lock()

    async def refresh(self, db: async_sessionmaker[AsyncSession]) -> None:
        """Read both figures unless a reading younger than GAUGE_TTL exists; on a timeout or
        an error the previous values stay (NaN before the first success)."""
        async with self._lock:
            if time.monotonic() - self._read_at < GAUGE_TTL:
                return
            try:
                await asyncio.wait_for(self._read(db), GAUGE_TIMEOUT)
            except Exception as error:  # the scrape must still answer
                log.warning("metrics: database gauges not read: %r", error)
                return
            self._read_at = time.monotonic()

    async def _read(self, db: async_sessionmaker[AsyncSession]) -> None:
        async with db() as session:
            self.outbox_depth = await runtime.outbox_depth(session)
            self.active_users = await runtime.active_users(session)

    def collect(self) -> Iterator[Metric]:
        yield GaugeMetricFamily(
            "returnbot_outbox_depth",
            "Deliveries waiting in the outbox (pending or being sent)",
            value=self.outbox_depth,
        )
        yield GaugeMetricFamily(
            "returnbot_active_users", "Users who have not blocked the bot", value=self.active_users
        )


class Metrics:
    """The bot's metrics, in a registry of its own."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        registry = self.registry
        self.updates = Counter(
            "returnbot_updates_handled",
            "Updates handled, by update type",
            ["type"],
            registry=registry,
        )
        self.handler_seconds = Histogram(
            "returnbot_handler_seconds",
            "Time a handler took to handle one update",
            ["handler"],
            registry=registry,
        )
        self.sent = Counter(
            "returnbot_messages_sent", "Messages Telegram accepted", ["method"], registry=registry
        )
        self.failed = Counter(
            "returnbot_messages_failed",
            "Messages Telegram refused or that did not arrive (4xx, 5xx, network errors)",
            ["method"],
            registry=registry,
        )
        self.throttled = Counter(
            "returnbot_messages_throttled",
            "Messages answered with 429 Too Many Requests (retried after retry_after)",
            ["method"],
            registry=registry,
        )
        self.webhook = Counter(
            "returnbot_webhook_requests",
            "Webhook requests by outcome: accepted, duplicate, forbidden, malformed, error",
            ["outcome"],
            registry=registry,
        )
        self.charts = Histogram(
            "returnbot_chart_seconds",
            "Time drawing one progress chart took (settlement, district, all)",
            ["kind"],
            registry=registry,
        )
        self.gauges = DatabaseGauges()
        registry.register(self.gauges)

    def count_send(self, method: str, status: int | None) -> None:
        """Count one send-method request by its HTTP status (None: no answer at all)."""
        if status is not None and 200 <= status <= 299:
            self.sent.labels(method).inc()
        elif status == 429:
            self.throttled.labels(method).inc()
        else:
            self.failed.labels(method).inc()

    async def render(self, db: async_sessionmaker[AsyncSession]) -> bytes:
        """The Prometheus text exposition, with fresh (or recently cached) database gauges."""
        await self.gauges.refresh(db)
        return generate_latest(self.registry)


class MeteredRequest(WrappedRequest):
    """A Bot API transport that counts what happened to each message it carried, then hands
    the request to `inner` (`bot.transport.request.AiohttpRequest`, or the in-process fake
    for `chat`)."""

    def __init__(self, inner: BaseRequest, metrics: Metrics) -> None:
        super().__init__(inner)
        self.metrics = metrics

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
        """Forward the request; count it when it is a send method."""
        method_name = api_method(url)
        counted = method_name.lower() in SEND_METHODS
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
        except Exception:
            if counted:
                self.metrics.count_send(method_name, None)
            raise
        if counted:
            self.metrics.count_send(method_name, status)
        return status, payload


def update_type(update: object) -> str:
    """The kind of an update: `message`, `callback_query`, `my_chat_member`, …"""
    if isinstance(update, Update):
        for kind in Update.ALL_TYPES:
            if getattr(update, kind, None) is not None:
                return str(kind)
    return "other"


Callback = Callable[[Any, Any], Awaitable[Any]]


def _timed(callback: Callback, name: str, metrics: Metrics, key: bytes) -> Callback:
    seconds = metrics.handler_seconds.labels(name)  # the labelled child, looked up once
    counted: dict[str, Any] = {}  # update type → its child of `metrics.updates`

    @functools.wraps(callback)
    async def timed(update: Any, context: Any) -> Any:
        started = time.perf_counter()
        outcome = "error"
        try:
            result = await callback(update, context)
            outcome = "ok"
            return result
        except ApplicationHandlerStop:
            outcome = "ok"
            raise
        finally:
            elapsed = time.perf_counter() - started
            kind = update_type(update)
            counter = counted.get(kind)
            if counter is None:
                counter = counted[kind] = metrics.updates.labels(kind)
            counter.inc()
            seconds.observe(elapsed)
            if log.isEnabledFor(logging.INFO):
                user = getattr(update, "effective_user", None)
                extra = {
                    "update_id": getattr(update, "update_id", None),
                    "update_type": kind,
                    "user": hash_user(user.id, key) if user is not None else None,
                    "handler": name,
                    "latency_ms": round(elapsed * 1000, 1),
                    "outcome": outcome,
                }
                # the record made directly: Logger.info would walk the stack for the
                # caller's file and line, which the JSON line does not show
                log.handle(
                    log.makeRecord(
                        log.name,
                        logging.INFO,
                        __file__,
                        0,
                        "update handled",
                        (),
                        None,
                        "timed",
                        extra,
                    )
                )

    return timed


def handler_name(callback: Callable[..., Any]) -> str:
    """`module.function` of a handler callback, e.g. `schedule.show_schedule`."""
    module = getattr(callback, "__module__", "") or ""
    return f"{module.rsplit('.', 1)[-1]}.{getattr(callback, '__qualname__', repr(callback))}"


def instrument(application: Application, metrics: Metrics) -> None:
    """Time every handler registered so far in groups ≥ 0 (the ones that answer users; the
    bookkeeping of negative groups is part of the update, not a handler of its own)."""
    key = user_key(application.bot.token)
    for group, handlers in application.handlers.items():
        if group < 0:
            continue
        for handler in handlers:
            name = handler_name(handler.callback)
            handler.callback = _timed(handler.callback, name, metrics, key)
