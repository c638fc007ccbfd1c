"""The one delivery loop: broadcasts, announcements, reminders and alerts leave through here.

Handlers and the data layer only write to the outbox (`db.outbox`). This loop claims due
deliveries in batches (up to about two seconds' worth at BROADCAST_RATE) that wait here in
order, composes each message in its recipient's language at send time (once per notice and
language in a batch), and sends them concurrently (at most CONCURRENCY sends started and not
yet recorded) under two limits:

- overall: at most BROADCAST_RATE sends per second, evenly spaced (`Pacer`, no bursts);
- per chat: one message at a time, and the next one at least PER_CHAT_INTERVAL after the
  previous one *came back*, so two notices pending for one chat (an announcement and a
  broadcast) reach it a second apart even when the network delays a request.

Telegram's answers decide what happens next (the `except` order matters: `BadRequest` is a
subclass of `NetworkError`):

- 429 `RetryAfter`: every sender of this worker waits `parameters.retry_after`, then the same
  message is sent again (not counted as a failed attempt);
- 403 `Forbidden` (blocked, deactivated): the user is marked blocked, all their unsent
  deliveries too, and nothing is tried again until they write to the bot;
- 400 `BadRequest` (and any other refusal): the delivery is failed with Telegram's reason;
- `TimedOut`: the request may or may not have reached Telegram, and the Bot API has no
  idempotency key. The engine retries it like a network error: a rare duplicate is better
  than a family never told about its caravan (at-least-once, as after a crash);
- `NetworkError` and 5xx: back to pending with a doubling delay, at most MAX_ATTEMPTS tries.

Durability: a delivery is claimed (status "sending", `claimed_at`) before it is sent and
marked after. Outcomes are written in groups (one UPDATE for all those sent), and a send's
slot is freed only once its outcome is written, so a crash (`kill -9` included) repeats at
most CONCURRENCY sends; claimed rows that were still waiting here were never sent, and come
back when their lease runs out. A claim is a lease: the worker renews its claims every LEASE/3
seconds; rows whose lease ran out (their worker died) are claimed again by any worker — a
starting worker never takes rows a live one is sending. On stop, the rows still waiting are
put back to pending at once. On PostgreSQL several processes claim disjoint rows with
`SELECT … FOR UPDATE SKIP LOCKED` (`db.outbox.lock_rows`), and the claim skips chats that
another delivery is being sent to or was sent to less than a second ago, so the per-chat
second holds across processes too (`db.outbox.claim_due`); on SQLite one worker is enough
(the claim still re-checks each row's status, so a second one would not double-send).

Broadcast progress is derived from the database (`db.broadcasts.counts`): whichever worker
takes the turn (at most every PROGRESS_INTERVAL seconds) edits the admin's progress message,
and the one that sees nothing left marks the broadcast done and writes the end report.
A periodic scan (`scan`) writes the notices of new caravans and due reminders.

Idle: whatever this process writes to the outbox wakes the loop (`wake`, `scan`); other
processes (another replica, the CLI) are seen at the next look, at most IDLE_POLL seconds
later. Broadcasts in progress are looked for every second while one is known to be running or
this worker holds some of its deliveries, and at that same idle pace otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import logging
import os
import sys
import time
import warnings
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError, TimedOut
from telegram.ext import Application
from telegram.warnings import PTBDeprecationWarning

from bot.context import AppState
from bot.domain import clock
from bot.domain.clock import local_date
from bot.i18n import Translator
from bot.transport.retry import paced_by_caller
from bot.views import admin as admin_cards
from bot.views import broadcast as texts
from bot.views import cards
from db import broadcasts, outbox, users
from db.models import Broadcast, Notice

CONCURRENCY = 20  # sends started and not yet recorded, at most: what a crash may repeat
BATCH = 200  # deliveries claimed at once, at most (they wait here, unsent, for a slot)
CLAIM_AHEAD = 2.0  # seconds of sending at BROADCAST_RATE claimed at once (≥ CONCURRENCY)
IDLE_POLL = 5.0  # seconds between looks at the outbox when nothing woke the loop
TICK = 0.2  # seconds: how often outcomes are written while sending
SCAN_INTERVAL = 5.0  # seconds between scans for new caravans and due reminders
MAX_ATTEMPTS = 5
BACKOFF = 5.0  # seconds; doubled after each transient failure
STOP_TIMEOUT = 5.0  # seconds to finish the sends in flight when stopping
PER_CHAT_INTERVAL = 1.0  # seconds between the end of one send to a chat and the next
PROGRESS_INTERVAL = 3.0  # seconds between edits of a broadcast's progress message
PROGRESS_CHECK = 1.0  # seconds between looks at running broadcasts while there are some
# Claim lease in seconds; renewed every LEASE/3 while held. Overridable for tests.
LEASE = float(os.environ.get("DELIVERY_LEASE_SECONDS", "30"))

log = logging.getLogger(__name__)


def compose(notice: Notice, tr: Translator, today: dt.date) -> str | None:
    """The message of `notice` in the reader's language; None when its subject is gone.
    A broadcast is the admin's text as stored (already HTML-safe), the same for everyone."""
    if notice.kind == broadcasts.BROADCAST:
        return (notice.payload or {}).get("text")
    if notice.kind == outbox.ANNOUNCE and notice.caravan is not None:
        return cards.caravan_announcement(notice.caravan, tr)
    if notice.kind in ("remind7", "remind1") and notice.caravan is not None:
        return cards.caravan_reminder(notice.caravan, tr, today)
    if notice.kind == outbox.HOUSING and notice.settlement is not None:
        changes = [tuple(change) for change in (notice.payload or {}).get("changes", [])]
        return cards.housing_change_alert(notice.settlement, changes, tr)
    return admin_cards.compose_notice(notice, tr)  # caravans moved or cancelled by an admin


def retry_seconds(error: RetryAfter) -> float:
    """`retry_after` in seconds, whichever type this PTB version returns."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = error.retry_after
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)


class Pacer:
    """Evenly spaced send slots at `rate` per second, with no burst after idle time or after
    a stall (the next slot is counted from when the previous one was actually taken), and a
    shared pause: after a 429 nobody gets a slot before `retry_after` has passed."""

    def __init__(self, rate: float) -> None:
        self.interval = 1.0 / rate
        self._next = 0.0
        self._paused_until = 0.0
        self._lock = asyncio.Lock()

    async def slot(self) -> None:
        async with self._lock:
            while True:  # a deadline that a 429 may push back while we sleep
                wait = max(self._next, self._paused_until) - time.monotonic()
                if wait <= 0:
                    break
                await asyncio.sleep(wait)
            self._next = time.monotonic() + self.interval

    def pause(self, seconds: float) -> None:
        self._paused_until = max(self._paused_until, time.monotonic() + seconds)


class _Skipped(Exception):
    """A send given up before it left (its broadcast was stopped)."""


@dataclass
class Outcome:
    """How one send ended: sent, blocked, failed (with the reason) or retry (transient)."""

    delivery: outbox.Claimed
    kind: str
    error: str = ""


class DeliveryWorker:
    """Claims due deliveries and sends them, CONCURRENCY at most in flight, under the rates."""

    def __init__(self, application: Application, *, lease: float = LEASE) -> None:
        self.application = application
        self.state: AppState = application.bot_data
        rate = self.state.settings.broadcast_rate
        self.pacer = Pacer(rate)
        self.batch = max(CONCURRENCY, min(BATCH, int(rate * CLAIM_AHEAD)))
        self.lease = lease
        self.sent = 0  # sends this worker completed (for `--drain` and logs)
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._held: set[int] = set()  # claimed by this worker, outcome not yet written
        self._queue: deque[outbox.Claimed] = deque()  # claimed, not started yet (in claim order)
        self._held_notices: dict[int, int] = {}  # held broadcast delivery → its notice
        self._cancelled: set[int] = set()  # notices of stopped broadcasts among them
        self._sending: set[asyncio.Task[Outcome]] = set()
        self._in_request: set[asyncio.Task[Outcome] | None] = set()  # past their waits
        self._outcomes: list[Outcome] = []
        self._texts: dict[tuple[int, str, dt.date], str | None] = {}  # composed, this batch
        self._chat_busy: set[int] = set()
        self._chat_free_at: dict[int, float] = {}
        self._renewed = time.monotonic()
        self._progress_task: asyncio.Task[None] | None = None
        self._progress_checked = 0.0
        self._live_broadcasts = True  # until a look finds none
        self._cancel_checked = 0.0
        self._shown: dict[int, str] = {}  # broadcast → the progress text this worker showed

    # ---------------------------------------------------------------- life cycle

    def start(self) -> None:
        """Start the loop (in post_init). Rows a crash left "sending" come back by lease."""
        self._task = asyncio.create_task(self._run(), name="delivery")

    def wake(self) -> None:
        """Something was enqueued: look at the outbox now rather than at the next poll."""
        self._wake.set()

    async def scan(self) -> int:
        """Write notices of new caravans and due reminders; wake the loop if there are any."""
        written = await outbox.scan_caravans(self.state.db, self.state.clock(), timing=clock)
        if written:
            self.wake()
        return written

    async def stop(self) -> None:
        """Finish the sends in flight (or give up after STOP_TIMEOUT) and park the rest."""
        if self._task is None:
            return
        self._stopping.set()
        self._wake.set()
        try:
            await asyncio.wait_for(asyncio.shield(self._task), STOP_TIMEOUT + 2)
        except TimeoutError:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._task = None

    async def drain(self) -> int:
        """Send until nothing is due and nothing is held, then return (for `--drain`)."""
        try:
            while True:
                claimed = await self._step()
                if not claimed and not self._held and not await self._waiting():
                    break
                if not claimed:
                    await self._idle(TICK)
            await self._update_progress()
        finally:
            await self._shutdown()
        return self.sent

    async def _waiting(self) -> bool:
        """Due deliveries left unclaimed for now (their chat waits its second, see
        `outbox.claim_due`); False also when the database cannot tell."""
        try:
            async with self.state.db() as session:
                return await outbox.waiting(session, self.state.clock(), lease=self.lease)
        except Exception:
            log.exception("could not look for waiting deliveries")
            return False

    async def _run(self) -> None:
        try:
            while not self._stopping.is_set():
                await self._step()
                if self._progress_due():
                    self._start_progress()
                await self._idle(self._pause())
        finally:
            await self._shutdown()

    async def _step(self) -> int:
        """Write finished outcomes, renew leases, claim more if few are left waiting, start
        sends while there is room; how many were claimed. Database trouble is logged and
        retried on the next step (the sends already claimed go on meanwhile)."""
        claimed = 0
        try:
            await self._flush()
            await self._renew()
            await self._refresh_cancelled()
            claimed = await self._claim()
        except Exception:  # e.g. the database is briefly unreachable: keep going
            log.exception("delivery step failed; retrying shortly")
            self._start_sends()
            await asyncio.sleep(TICK)
            return 0
        self._start_sends()
        return claimed

    def _pause(self) -> float:
        """How long the loop may wait for a wake-up: briefly while it holds deliveries (to
        record outcomes and start more), a second while a broadcast runs, else IDLE_POLL."""
        if self._held:
            return TICK
        if self._live_broadcasts:
            return PROGRESS_CHECK
        return IDLE_POLL

    async def _idle(self, seconds: float) -> None:
        """Wait for new work, room for more sends (see `_finished`), or `seconds`."""
        if not self._wake.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), seconds)
        self._wake.clear()

    async def _shutdown(self) -> None:
        """Let sends in flight end (bounded), record them, and park what was never sent."""
        self._queue.clear()  # never started: parked with the rest below
        for task in self._sending - self._in_request:  # still waiting for a turn: not sent
            task.cancel()
        if self._sending:
            _done, pending = await asyncio.wait(self._sending, timeout=STOP_TIMEOUT)
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.wait(pending)
        if self._progress_task is not None:  # a few queries and one edit: let it end
            with contextlib.suppress(TimeoutError, asyncio.CancelledError, Exception):
                await asyncio.wait_for(self._progress_task, STOP_TIMEOUT)
        with contextlib.suppress(Exception):  # else their lease runs out and they come back
            await self._flush()
            async with self.state.db() as session:
                if parked := await outbox.release(session, sorted(self._held)):
                    log.info("%d claimed deliveries are pending again", parked)
            self._held.clear()

    # ---------------------------------------------------------------- claiming and recording

    async def _claim(self) -> int:
        """Claim when at most a quarter of a batch is left waiting (each claim reads every
        due row: fewer, larger claims); how many were claimed."""
        if len(self._queue) > self.batch // 4 or self._stopping.is_set():
            return 0
        limit = self.batch - len(self._queue)
        async with self.state.db() as session:
            ids = await outbox.claim_due(session, self.state.clock(), limit, lease=self.lease)
            if not ids:
                return 0
            self._held.update(ids)
            try:
                deliveries = await outbox.load_claimed(session, ids)
            except Exception:
                self._held.difference_update(ids)
                with contextlib.suppress(Exception):  # else their lease runs out
                    await outbox.release(session, ids)
                raise
        self._texts.clear()  # the notices were just read again: compose from these
        for delivery in deliveries:
            if delivery.notice.kind == broadcasts.BROADCAST:
                self._held_notices[delivery.id] = delivery.notice.id
        self._queue.extend(deliveries)
        # rows deleted between claim and load (/forget) are no longer held
        self._held.difference_update(set(ids) - {d.id for d in deliveries})
        return len(deliveries)

    def _start_sends(self) -> None:
        """Start waiting deliveries while fewer than CONCURRENCY are started and unrecorded."""
        while (
            self._queue
            and len(self._sending) + len(self._outcomes) < CONCURRENCY
            and not self._stopping.is_set()
        ):
            delivery = self._queue.popleft()
            task = asyncio.create_task(self._deliver(delivery), name=f"delivery {delivery.id}")
            self._sending.add(task)
            task.add_done_callback(self._finished)

    def _unrecorded(self) -> set[int]:
        return {o.delivery.id for o in self._outcomes}

    def _finished(self, task: asyncio.Task[Outcome]) -> None:
        self._sending.discard(task)
        if not task.cancelled() and task.exception() is None:
            self._outcomes.append(task.result())
        elif not task.cancelled():
            log.error("delivery task failed", exc_info=task.exception())
        # half the slots await their outcome's write (or all sends ended): record them,
        # start more, claim more
        if len(self._outcomes) >= CONCURRENCY // 2 or not self._sending:
            self._wake.set()

    async def _flush(self) -> None:
        """Write the outcomes of finished sends; their claims are then released."""
        if not self._outcomes:
            return
        outcomes, self._outcomes = self._outcomes, []
        state = self.state
        try:
            async with state.db() as session:
                sent = [o.delivery.id for o in outcomes if o.kind == outbox.SENT]
                await outbox.mark_sent(session, sent, state.clock())
                for outcome in outcomes:
                    delivery = outcome.delivery
                    if outcome.kind == outbox.BLOCKED:
                        await outbox.mark_blocked(session, delivery.user_id)
                        state.languages.pop(delivery.user_id, None)
                    elif outcome.kind == broadcasts.DELIVERY_CANCELLED:
                        await broadcasts.mark_cancelled(session, [delivery.id])
                    elif outcome.kind == outbox.FAILED:
                        await outbox.mark_failed(session, delivery.id, outcome.error)
                    elif outcome.kind == outbox.PENDING:
                        delay = BACKOFF * 2**delivery.attempts
                        later = state.clock() + dt.timedelta(seconds=delay)
                        await outbox.retry_later(
                            session, delivery, later, outcome.error, MAX_ATTEMPTS
                        )
        except Exception:
            self._outcomes[:0] = outcomes  # written on the next step
            raise
        self.sent += len(sent)
        self._held.difference_update(o.delivery.id for o in outcomes)
        for outcome in outcomes:
            self._held_notices.pop(outcome.delivery.id, None)
        now = time.monotonic()
        if len(self._chat_free_at) > 4 * CONCURRENCY:  # forget chats that are free again
            self._chat_free_at = {c: t for c, t in self._chat_free_at.items() if t > now}

    async def _refresh_cancelled(self) -> None:
        """Which held broadcasts an admin stopped (in this process or another); looked up
        at most every TICK."""
        notices = set(self._held_notices.values())
        if not notices:
            self._cancelled = set()
            return
        if time.monotonic() - self._cancel_checked < TICK:
            return
        self._cancel_checked = time.monotonic()
        async with self.state.db() as session:
            self._cancelled = await broadcasts.cancelled_notices(session, notices)

    async def _renew(self) -> None:
        if time.monotonic() - self._renewed < self.lease / 3:
            return
        self._renewed = time.monotonic()
        held = sorted(self._held - self._unrecorded())
        async with self.state.db() as session:
            await outbox.renew_claims(session, held)

    # ---------------------------------------------------------------- sending

    async def _deliver(self, delivery: outbox.Claimed) -> Outcome:
        """Send one delivery; a bug in composing or sending it is logged and the delivery
        retried later (bounded), so its claim is always given back."""
        try:
            return await self._attempt(delivery)
        except Exception as error:
            log.exception("delivery %s: unexpected error", delivery.id)
            return Outcome(delivery, outbox.PENDING, f"unexpected error: {error!r}")

    async def _attempt(self, delivery: outbox.Claimed) -> Outcome:
        """Send one delivery (waiting for its chat and for a slot); how it ended."""
        notice = delivery.notice
        payload = notice.payload or {}
        copy_from = payload.get("copy") if notice.kind == broadcasts.BROADCAST else None
        text = None if copy_from else self._compose(notice, delivery.language)
        if text is None and not copy_from:
            return Outcome(delivery, outbox.FAILED, "nothing to tell any more")
        chat_id = delivery.chat_id

        def stopped() -> bool:  # the admin stopped this broadcast meanwhile
            return notice.id in self._cancelled

        if stopped():
            return Outcome(delivery, broadcasts.DELIVERY_CANCELLED)
        await self._chat_turn(chat_id)
        try:
            if copy_from:
                await self._send(
                    self.application.bot.copy_message,
                    chat_id,
                    copy_from[0],
                    copy_from[1],
                    skip=stopped,
                )
            else:
                await self._send(
                    self.application.bot.send_message,
                    chat_id,
                    text,
                    parse_mode=ParseMode.HTML,
                    disable_web_page_preview=True,
                    skip=stopped,
                )
        except _Skipped:
            return Outcome(delivery, broadcasts.DELIVERY_CANCELLED)
        except Forbidden:
            return Outcome(delivery, outbox.BLOCKED)
        except BadRequest as error:  # before NetworkError: it is a subclass
            log.warning("delivery %s refused: %s", delivery.id, error.message)
            return Outcome(delivery, outbox.FAILED, error.message)
        except TimedOut as error:  # may have arrived: sent again (see the module docstring)
            return Outcome(delivery, outbox.PENDING, f"timed out: {error}")
        except NetworkError as error:  # 5xx, connection trouble
            return Outcome(delivery, outbox.PENDING, str(error))
        except TelegramError as error:  # anything else Telegram refuses: not retried
            return Outcome(delivery, outbox.FAILED, str(error))
        finally:
            self._chat_busy.discard(chat_id)
            self._chat_free_at[chat_id] = time.monotonic() + PER_CHAT_INTERVAL
        return Outcome(delivery, outbox.SENT)

    def _compose(self, notice: Notice, language: str) -> str | None:
        """`compose`, once per notice, language and day in a claimed batch."""
        today = local_date(self.state.clock())
        key = (notice.id, language, today)
        if key not in self._texts:
            translators = self.state.translators
            tr = translators.get(language) or translators["en"]
            self._texts[key] = compose(notice, tr, today)
        return self._texts[key]

    async def _chat_turn(self, chat_id: int) -> None:
        """Wait until nothing is being sent to the chat and its last message is a second old."""
        while True:
            wait = self._chat_free_at.get(chat_id, 0.0) - time.monotonic()
            if chat_id in self._chat_busy:
                wait = 0.05
            elif wait <= 0:
                break
            await asyncio.sleep(wait)
        self._chat_busy.add(chat_id)

    async def _send(
        self,
        method: Callable[..., Awaitable[Any]],
        *args: Any,
        skip: Callable[[], bool] | None = None,
        **kwargs: Any,
    ) -> Any:
        """Call a Bot API method under the rate; on 429 every sender waits `retry_after`.
        `skip` is asked once the slot is there: True gives up (raises `_Skipped`)."""
        while True:
            await self.pacer.slot()
            if skip is not None and skip():
                raise _Skipped
            task = asyncio.current_task()
            self._in_request.add(task)
            try:
                with paced_by_caller():  # every 429 comes back here: all senders pause
                    return await method(*args, **kwargs)
            except RetryAfter as error:
                pause = retry_seconds(error)
                log.info("flood limit: pausing all deliveries for %.1f s", pause)
                self.pacer.pause(pause)
            finally:
                self._in_request.discard(task)

    # ---------------------------------------------------------------- broadcast progress

    def _progress_due(self) -> bool:
        """A look at running broadcasts: every PROGRESS_CHECK seconds while one is known to
        run or this worker holds broadcast deliveries, every IDLE_POLL seconds otherwise."""
        running = self._progress_task is not None and not self._progress_task.done()
        busy = self._live_broadcasts or self._held_notices
        every = PROGRESS_CHECK if busy else IDLE_POLL
        if running or time.monotonic() - self._progress_checked < every:
            return False
        self._progress_checked = time.monotonic()
        return True

    def _start_progress(self) -> None:
        self._progress_task = asyncio.create_task(self._update_progress(), name="progress")

    async def _update_progress(self) -> None:
        """Edit the progress message of each broadcast being sent (one worker per turn), and
        finish those with nothing left."""
        try:
            async with self.state.db() as session:
                live = list(await broadcasts.in_progress(session))
                self._live_broadcasts = bool(live)
                if not live:
                    return
                held = set(self._held_notices.values())
                for broadcast in live:
                    # counted (a GROUP BY over all its deliveries) only for this worker's
                    # turn to edit, or once nothing is left to send (while this worker
                    # holds some of its deliveries, something is)
                    turn = await broadcasts.take_progress_turn(
                        session, broadcast.id, PROGRESS_INTERVAL
                    )
                    if not turn and (
                        broadcast.notice_id in held
                        or await broadcasts.unsent_left(session, broadcast.notice_id)
                    ):
                        continue
                    tally = await broadcasts.counts(session, [broadcast.notice_id])
                    counts = tally.get(broadcast.notice_id, broadcasts.Counts())
                    if counts.remaining <= 0:
                        if await broadcasts.finish(session, broadcast.id):
                            await self._report(session, broadcast, counts, final=True)
                    elif turn:
                        await self._report(session, broadcast, counts, final=False)
        except Exception:
            log.exception("broadcast progress update failed")

    async def _report(
        self,
        session: AsyncSession,
        broadcast: Broadcast,
        counts: broadcasts.Counts,
        *,
        final: bool,
    ) -> None:
        if broadcast.progress_message_id is None:
            return
        admin = await users.get_user(session, broadcast.admin_id)
        language = admin.language if admin else self.state.settings.default_language
        tr = self.state.translators[language]
        place = await broadcasts.place_of(session, broadcast.scope)
        now = outbox.wall_clock()
        if final:
            text, markup = texts.final_report(broadcast, place, counts, tr), None
            self._shown.pop(broadcast.id, None)
        else:
            elapsed = (now - (broadcast.started_at or now)).total_seconds()
            text = texts.progress_report(broadcast, place, counts, elapsed, tr)
            markup = texts.cancel_keyboard(broadcast.id, tr)
            if self._shown.get(broadcast.id) == text:
                return
            self._shown[broadcast.id] = text
        # not queued behind the sends (at most one edit per PROGRESS_INTERVAL); an admin's
        # stop may have come meanwhile, and its report must not be overwritten
        if not final and await broadcasts.status_of(session, broadcast.id) != broadcasts.SENDING:
            return
        try:
            await self.application.bot.edit_message_text(
                text,
                broadcast.admin_chat_id,
                broadcast.progress_message_id,
                parse_mode=ParseMode.HTML,
                reply_markup=markup,
            )
        except TelegramError as error:  # "not modified", the admin blocked the bot, …
            log.info("broadcast %s progress not shown: %s", broadcast.id, error)


# ------------------------------------------------------------------ `python -m bot.delivery.worker`


async def drain(settings: object) -> int:
    """Run one worker over the outbox until nothing is due; returns how many it sent."""
    from bot.app import build_application
    from bot.i18n import load_translators
    from db.session import create_engine, create_sessionmaker

    application = build_application(settings)  # type: ignore[arg-type]
    async with application:
        state: AppState = application.bot_data
        state.translators = load_translators()
        state.engine = create_engine(state.settings.database_url)
        state.db = create_sessionmaker(state.engine)
        try:
            return await DeliveryWorker(application).drain()
        finally:
            await state.engine.dispose()


def main(argv: list[str] | None = None) -> int:
    """`python -m bot.delivery.worker --drain`: one more delivery worker process, e.g. to empty a
    large outbox faster next to running bots (PostgreSQL), configured like `returnbot run`."""
    from bot import logs
    from bot.config import load_settings

    parser = argparse.ArgumentParser(prog="python -m bot.delivery.worker")
    parser.add_argument("--drain", action="store_true", required=True, help="send until empty")
    parser.parse_args(argv)
    logs.configure_text()
    sent = asyncio.run(drain(load_settings()))
    print(f"drained {sent}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
