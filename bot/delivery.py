"""The one delivery loop: announcements, reminders and alerts leave through here.

Handlers and the data layer only write to the outbox (`db.outbox`). This loop claims due
deliveries in small batches, composes each message in its recipient's language at send time,
and sends it at no more than BROADCAST_RATE messages per second. Telegram's answers decide
what happens next:

- 429 `RetryAfter`: all sending pauses for `retry_after`, then the same message is retried
  (not counted as a failed attempt);
- 403 `Forbidden`: the user blocked the bot → the user is marked blocked and nothing more is
  sent to them until they write again;
- 400 `BadRequest`: the message is marked failed with Telegram's reason;
- `TimedOut`/`NetworkError`: back to pending with a growing delay, at most MAX_ATTEMPTS.

A restart puts the deliveries left "sending" back to pending, so nothing is lost and at most
the sends in flight at a crash are repeated. A periodic scan (`scan`) writes the notices of
new caravans and due reminders, whatever created the caravan (admin, import, the database).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import warnings

from aiolimiter import AsyncLimiter
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter
from telegram.ext import Application
from telegram.warnings import PTBDeprecationWarning

from bot import cards
from bot.context import AppState
from bot.i18n import Translator
from bot.timing import local_date
from db import outbox
from db.models import Delivery, Notice

BATCH = 20  # deliveries claimed at once: what a crash may repeat at most
IDLE_POLL = 1.0  # seconds between looks at the outbox when nothing woke the loop
SCAN_INTERVAL = 5.0  # seconds between scans for new caravans and due reminders
MAX_ATTEMPTS = 5
BACKOFF = 5.0  # seconds; doubled after each transient failure
STOP_TIMEOUT = 5.0  # seconds to finish the send in flight when stopping

log = logging.getLogger(__name__)


def compose(notice: Notice, tr: Translator, today: dt.date) -> str | None:
    """The message of `notice` in the reader's language; None when its subject is gone."""
    if notice.kind == outbox.ANNOUNCE and notice.caravan is not None:
        return cards.caravan_announcement(notice.caravan, tr)
    if notice.kind in ("remind7", "remind1") and notice.caravan is not None:
        return cards.caravan_reminder(notice.caravan, tr, today)
    if notice.kind == outbox.HOUSING and notice.settlement is not None:
        changes = [tuple(change) for change in (notice.payload or {}).get("changes", [])]
        return cards.housing_change_alert(notice.settlement, changes, tr)
    return None


def retry_seconds(error: RetryAfter) -> float:
    """`retry_after` in seconds, whichever type this PTB version returns."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = error.retry_after
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)


class DeliveryWorker:
    """Claims due deliveries and sends them, one at a time, under the global rate."""

    def __init__(self, application: Application) -> None:
        self.application = application
        self.state: AppState = application.bot_data
        self.limiter = AsyncLimiter(self.state.settings.broadcast_rate, 1)
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._claimed: list[int] = []

    def start(self) -> None:
        """Start the loop (in post_init), after parking what a crash left in flight."""
        self._task = asyncio.create_task(self._run(), name="delivery")

    def wake(self) -> None:
        """Something was enqueued: look at the outbox now rather than at the next poll."""
        self._wake.set()

    async def scan(self) -> int:
        """Write notices of new caravans and due reminders; wake the loop if there are any."""
        written = await outbox.scan_caravans(self.state.db, self.state.clock())
        if written:
            self.wake()
        return written

    async def stop(self) -> None:
        """Finish the send in flight (or give up after STOP_TIMEOUT) and park the rest."""
        if self._task is None:
            return
        self._stopping.set()
        self._wake.set()
        try:
            await asyncio.wait_for(asyncio.shield(self._task), STOP_TIMEOUT)
        except TimeoutError:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._task = None

    async def _run(self) -> None:
        async with self.state.db() as session:
            if parked := await outbox.release(session):
                log.info("%d deliveries left in flight are pending again", parked)
        try:
            while not self._stopping.is_set():
                try:
                    busy = await self._send_batch()
                except Exception:  # e.g. the database is briefly unreachable: keep going
                    log.exception("delivery batch failed; retrying shortly")
                    with contextlib.suppress(Exception):  # else parked at the next start
                        await self._park()
                    busy = False
                if not busy:
                    await self._idle()
        finally:
            await self._park()

    async def _idle(self) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), IDLE_POLL)
        self._wake.clear()

    async def _park(self) -> None:
        """Claimed but not yet sent: back to pending for the next start (or another worker)."""
        if self._claimed:
            async with self.state.db() as session:
                await outbox.release(session, self._claimed)
            self._claimed = []

    async def _send_batch(self) -> bool:
        """Claim and send one batch; False when nothing was due."""
        async with self.state.db() as session:
            self._claimed = await outbox.claim_due(session, self.state.clock(), BATCH)
            deliveries = await outbox.load_deliveries(session, self._claimed)
        for delivery in deliveries:
            if self._stopping.is_set():
                break
            await self._deliver(delivery)
            self._claimed.remove(delivery.id)
        return bool(deliveries)

    async def _deliver(self, delivery: Delivery) -> None:
        """Send one delivery and record the outcome."""
        state = self.state
        now = state.clock()
        tr = state.translators.get(delivery.user.language) or state.translators["en"]
        text = compose(delivery.notice, tr, local_date(now))
        async with state.db() as session:
            if text is None:
                await outbox.mark_failed(session, delivery.id, "nothing to tell any more")
                return
            try:
                await self._send(delivery.chat_id, text)
            except Forbidden:
                await outbox.mark_blocked(session, delivery.user_id)
                state.languages.pop(delivery.user_id, None)
            except BadRequest as error:  # before NetworkError: it is a subclass
                log.warning("delivery %s refused: %s", delivery.id, error.message)
                await outbox.mark_failed(session, delivery.id, error.message)
            except NetworkError as error:  # TimedOut included
                delay = BACKOFF * 2**delivery.attempts
                later = now + dt.timedelta(seconds=delay)
                await outbox.retry_later(session, delivery, later, str(error), MAX_ATTEMPTS)
            else:
                await outbox.mark_sent(session, delivery.id, state.clock())

    async def _send(self, chat_id: int, text: str) -> None:
        """Send under the global rate; on 429 everything waits `retry_after`, then retries."""
        while True:
            async with self.limiter:
                try:
                    await self.application.bot.send_message(
                        chat_id, text, parse_mode=ParseMode.HTML, disable_web_page_preview=True
                    )
                    return
                except RetryAfter as error:
                    pause = retry_seconds(error)
            log.info("flood limit: pausing all deliveries for %.1f s", pause)
            await asyncio.sleep(pause)
