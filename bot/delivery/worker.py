"""The outbox loop, one per process: it claims due deliveries in batches, starts their sends
(`Sender`) while fewer than CONCURRENCY are started and unrecorded, writes their outcomes in
groups, renews its claims' leases, looks after broadcast progress, and on stop lets the sends
in flight end and puts what it never sent back to pending. What it guarantees, and why, is
told in docs/delivery.md."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import os
import time
from collections import deque

from telegram.ext import Application

from bot.context import AppState
from bot.delivery.progress import BroadcastProgress
from bot.delivery.send import Outcome, Sender
from bot.domain import clock
from db import broadcasts, outbox

CONCURRENCY = 20  # sends started and not yet recorded, at most: what a crash may repeat
BATCH = 200  # deliveries claimed at once, at most (they wait here, unsent, for a slot)
# With PAID_BROADCAST (up to 1,000/s): more in flight, so that writing outcomes (a commit
# each time) does not hold the sends back, and larger claims (fewer, at that rate)
PAID_CONCURRENCY = 50
PAID_BATCH = 1000
CLAIM_AHEAD = 2.0  # seconds of sending at BROADCAST_RATE claimed at once (≥ CONCURRENCY)
IDLE_POLL = 5.0  # seconds between looks at the outbox when nothing woke the loop
TICK = 0.2  # seconds: how often outcomes are written while sending
SCAN_INTERVAL = 5.0  # seconds between scans for new caravans and due reminders
MAX_ATTEMPTS = 5
BACKOFF = 5.0  # seconds; doubled after each transient failure
STOP_TIMEOUT = 5.0  # seconds to finish the sends in flight when stopping
PROGRESS_CHECK = 1.0  # seconds between looks at running broadcasts while there are some
# Claim lease in seconds; renewed every LEASE/3 while held. Overridable for tests.
LEASE = float(os.environ.get("DELIVERY_LEASE_SECONDS", "30"))

log = logging.getLogger(__name__)


class DeliveryWorker:
    """Claims due deliveries and sends them, CONCURRENCY at most in flight, under the rates."""

    def __init__(self, application: Application, *, lease: float = LEASE) -> None:
        self.application = application
        self.state: AppState = application.bot_data
        settings = self.state.settings
        rate = settings.broadcast_rate
        self.sender = Sender(application, rate, paid=settings.paid_broadcast)
        self.progress = BroadcastProgress(application)
        paid = settings.paid_broadcast
        self.concurrency = PAID_CONCURRENCY if paid else CONCURRENCY
        largest = PAID_BATCH if paid else BATCH
        self.batch = max(self.concurrency, min(largest, int(rate * CLAIM_AHEAD)))
        self.lease = lease
        self.sent = 0  # sends this worker completed (for `--drain` and logs)
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._claiming: asyncio.Task[int] | None = None  # a claim under way (see `_step`)
        self._claim_after = 0.0  # no claim before (monotonic): the last one found nothing
        self._held: set[int] = set()  # claimed by this worker, outcome not yet written
        self._queue: deque[outbox.Claimed] = deque()  # claimed, not started yet (in claim order)
        self._held_notices: dict[int, int] = {}  # held broadcast delivery → its notice
        self._sending: set[asyncio.Task[Outcome]] = set()
        self._outcomes: list[Outcome] = []
        self._recording = 0  # outcomes being written (`_flush`)
        self._renewed = time.monotonic()
        self._progress_checked = 0.0
        self._cancel_checked = 0.0

    # ---------------------------------------------------------------- life cycle

    def start(self) -> None:
        """Start the loop (in post_init). Rows a crash left "sending" come back by lease."""
        self._task = asyncio.create_task(self._run(), name="delivery")

    def wake(self) -> None:
        """Something was enqueued: look at the outbox now rather than at the next poll."""
        self._claim_after = 0.0
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
                claimed = await self._step(wait_for_claim=True)
                if not claimed and not self._held and not await self._waiting():
                    break
                if not claimed:
                    await self._idle(TICK)
            await self.progress.update(self._held_notices)
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
                    self.progress.start(self._held_notices)
                await self._idle(self._pause())
        finally:
            await self._shutdown()

    async def _step(self, *, wait_for_claim: bool = False) -> int:
        """Write finished outcomes, renew leases, start a claim if few are left waiting,
        start sends while there is room; how many were claimed (with `wait_for_claim`; else
        the claim runs on in the background, and the loop goes on writing outcomes and
        starting sends meanwhile). Database trouble is logged and retried on the next step
        (the sends already claimed go on meanwhile)."""
        try:
            await self._flush()
            await self._renew()
            await self._refresh_cancelled()
        except Exception:  # e.g. the database is briefly unreachable: keep going
            log.exception("delivery step failed; retrying shortly")
            self._start_sends()
            await asyncio.sleep(TICK)
            return 0
        if self._claiming is None and self._claim_due():
            self._claiming = asyncio.create_task(self._claim_guarded(), name="delivery claim")
        claimed = 0
        if wait_for_claim and self._claiming is not None:
            claimed = await asyncio.shield(self._claiming)
        self._start_sends()
        return claimed

    def _pause(self) -> float:
        """How long the loop may wait for a wake-up: briefly while it holds deliveries (to
        record outcomes and start more), a second while a broadcast runs, else IDLE_POLL."""
        if self._held:
            return TICK
        if self.progress.live:
            return PROGRESS_CHECK
        return IDLE_POLL

    def _progress_due(self) -> bool:
        """A look at running broadcasts: every PROGRESS_CHECK seconds while one is known to
        run or this worker holds broadcast deliveries, every IDLE_POLL seconds otherwise."""
        busy = self.progress.live or self._held_notices
        every = PROGRESS_CHECK if busy else IDLE_POLL
        if self.progress.running or time.monotonic() - self._progress_checked < every:
            return False
        self._progress_checked = time.monotonic()
        return True

    async def _idle(self, seconds: float) -> None:
        """Wait for new work, room for more sends (see `_finished`), or `seconds`."""
        if not self._wake.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), seconds)
        self._wake.clear()

    async def _shutdown(self) -> None:
        """Let sends in flight end (bounded), record them, and park what was never sent."""
        if self._claiming is not None:  # its rows become held, then are parked with the rest
            with contextlib.suppress(Exception):
                await asyncio.wait_for(asyncio.shield(self._claiming), STOP_TIMEOUT)
        self._queue.clear()  # never started: parked with the rest below
        for task in self._sending - self.sender.in_request:  # still waiting for a turn: not sent
            task.cancel()
        if self._sending:
            _done, pending = await asyncio.wait(self._sending, timeout=STOP_TIMEOUT)
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.wait(pending)
        await self.progress.wait(STOP_TIMEOUT)
        with contextlib.suppress(Exception):  # else their lease runs out and they come back
            await self._flush()
            async with self.state.db() as session:
                if parked := await outbox.release(session, sorted(self._held)):
                    log.info("%d claimed deliveries are pending again", parked)
            self._held.clear()

    # ---------------------------------------------------------------- claiming and recording

    def _claim_due(self) -> bool:
        """Claim when at most a quarter of a batch is left waiting (each claim reads every
        due row: fewer, larger claims), and not again within TICK of a claim that found
        nothing (unless woken: something was enqueued)."""
        if self._stopping.is_set() or time.monotonic() < self._claim_after:
            return False
        return len(self._queue) <= self.batch // 4

    async def _claim_guarded(self) -> int:
        """`_claim` as the loop's background task: its trouble is logged (and the claim
        made again on a later step), and the loop woken when it claimed some."""
        claimed = 0
        try:
            claimed = await self._claim()
        except Exception:
            log.exception("delivery claim failed; retrying shortly")
            await asyncio.sleep(TICK)
        finally:
            self._claiming = None
        if claimed:
            self._wake.set()
        else:
            self._claim_after = time.monotonic() + TICK
        return claimed

    async def _claim(self) -> int:
        """Claim up to a batch, less what is left waiting; how many were claimed."""
        limit = self.batch - len(self._queue)
        async with self.state.db() as session:
            ids = await outbox.claim_due(
                session, self.state.clock(), limit, lease=self.lease, share=True
            )
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
        self.sender.texts.clear()  # the notices were just read again: compose from these
        for delivery in deliveries:
            if delivery.notice.kind == broadcasts.BROADCAST:
                self._held_notices[delivery.id] = delivery.notice.id
        self._queue.extend(deliveries)
        # rows deleted between claim and load (/forget) are no longer held
        self._held.difference_update(set(ids) - {d.id for d in deliveries})
        return len(deliveries)

    def _start_sends(self) -> None:
        """Start waiting deliveries while fewer than CONCURRENCY are started and unrecorded
        (sending, finished, or being written)."""
        while (
            self._queue
            and len(self._sending) + len(self._outcomes) + self._recording < self.concurrency
            and not self._stopping.is_set()
        ):
            delivery = self._queue.popleft()
            task = asyncio.create_task(self._deliver(delivery), name=f"delivery {delivery.id}")
            self._sending.add(task)
            task.add_done_callback(self._finished)

    async def _deliver(self, delivery: outbox.Claimed) -> Outcome:
        """Send one delivery; a bug in composing or sending it is logged and the delivery
        retried later (bounded), so its claim is always given back."""
        try:
            return await self.sender.attempt(delivery)
        except Exception as error:
            log.exception("delivery %s: unexpected error", delivery.id)
            return Outcome(delivery, outbox.PENDING, f"unexpected error: {error!r}")

    def _unrecorded(self) -> set[int]:
        return {o.delivery.id for o in self._outcomes}

    def _finished(self, task: asyncio.Task[Outcome]) -> None:
        self._sending.discard(task)
        if not task.cancelled() and task.exception() is None:
            self._outcomes.append(task.result())
        elif not task.cancelled():
            log.error("delivery task failed", exc_info=task.exception())
        # room for another send (while outcomes are written, too)
        self._start_sends()
        # half the slots await their outcome's write (or all sends ended): record them,
        # start more, claim more
        if len(self._outcomes) >= self.concurrency // 2 or not self._sending:
            self._wake.set()

    async def _flush(self) -> None:
        """Write the outcomes of finished sends; their claims are then released."""
        if not self._outcomes:
            return
        outcomes, self._outcomes = self._outcomes, []
        self._recording = len(outcomes)
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
        finally:
            self._recording = 0
            self._start_sends()
        self.sent += len(sent)
        self._held.difference_update(o.delivery.id for o in outcomes)
        for outcome in outcomes:
            self._held_notices.pop(outcome.delivery.id, None)
        self.sender.turns.forget_free(beyond=4 * self.concurrency)

    async def _refresh_cancelled(self) -> None:
        """Which held broadcasts an admin stopped (in this process or another); looked up
        at most every TICK."""
        notices = set(self._held_notices.values())
        if not notices:
            self.sender.cancelled = set()
            return
        if time.monotonic() - self._cancel_checked < TICK:
            return
        self._cancel_checked = time.monotonic()
        async with self.state.db() as session:
            self.sender.cancelled = await broadcasts.cancelled_notices(session, notices)

    async def _renew(self) -> None:
        if time.monotonic() - self._renewed < self.lease / 3:
            return
        self._renewed = time.monotonic()
        held = sorted(self._held - self._unrecorded())
        async with self.state.db() as session:
            await outbox.renew_claims(session, held)
