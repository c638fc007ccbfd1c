"""How fast deliveries leave: `Pacer` spaces every send of a worker evenly at the overall
rate (catching up after a stall, within the rate in every second) and holds them all after
a 429, `ChatTurns` sends one message at a time to a chat and the next one PER_CHAT_INTERVAL
after the previous one came back, and `retry_seconds` reads a 429's `retry_after`
(docs/delivery.md, "Limits")."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
import warnings
from collections import deque

from telegram.error import RetryAfter
from telegram.warnings import PTBDeprecationWarning

PER_CHAT_INTERVAL = 1.0  # seconds between the end of one send to a chat and the next
CATCH_UP_FROM = 100.0  # sends per second from which the pacer's schedule may catch up …
CATCH_UP = 0.5  # … by this many seconds at most, at twice the rate at most (that pace's own
# schedule may lag FAST_SLACK), and never beyond the rate within any one WINDOW
FAST_SLACK = 0.02
WINDOW = 1.0


def retry_seconds(error: RetryAfter) -> float:
    """`retry_after` in seconds, whichever type this PTB version returns."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = error.retry_after
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)


class Pacer:
    """Evenly spaced send slots at `rate` per second, with no burst after idle time (the next
    slot is counted from when the previous one was actually taken), and a shared pause:
    after a 429 nobody gets a slot before `retry_after` has passed.

    From CATCH_UP_FROM per second on, a slot's sleep overshoots by about as much as the
    interval itself, and a stall of the event loop (the machine busy, a slow write) would
    lose its slots for good: there the schedule may lag up to CATCH_UP and catch up, at
    most twice as fast as the rate, and never beyond the rate in any WINDOW (the last
    `rate` slots' times are kept): within every second the rate holds, so replicas that
    share a ceiling at `ceiling / N` each stay under it together."""

    def __init__(self, rate: float) -> None:
        self.interval = 1.0 / rate
        self.catch_up = CATCH_UP if rate >= CATCH_UP_FROM else 0.0
        self._taken: deque[float] = deque(maxlen=max(1, int(rate * WINDOW)))
        self._next = 0.0
        self._fast_next = 0.0  # the schedule at twice the rate: how fast catching up goes
        self._paused_until = 0.0
        self._asking = 0  # callers of `slot` waiting or taking one
        self._asked_since = 0.0  # since when some caller has always been asking
        self._lock = asyncio.Lock()

    def _earliest(self) -> float:
        """When the next slot may be taken."""
        earliest = max(self._next, self._paused_until)
        if self.catch_up:
            earliest = max(earliest, self._fast_next)
            if len(self._taken) == self._taken.maxlen:  # a full window: one must leave it
                earliest = max(earliest, self._taken[0] + WINDOW)
        return earliest

    async def slot(self) -> None:
        if not self._asking:  # nothing to catch up on from time when nobody asked (idle)
            self._asked_since = max(time.monotonic(), self._paused_until)
        self._asking += 1
        try:
            async with self._lock:
                while True:  # a deadline that a 429 may push back while we sleep
                    wait = self._earliest() - time.monotonic()
                    if wait <= 0:
                        break
                    await asyncio.sleep(wait)
                now = time.monotonic()
                base = max(self._next, now - self.catch_up, self._asked_since)
                self._next = base + self.interval
                if self.catch_up:
                    self._fast_next = max(self._fast_next, now - FAST_SLACK) + self.interval / 2
                    self._taken.append(now)
        finally:
            self._asking -= 1

    def pause(self, seconds: float) -> None:
        """After a 429: no slot for `seconds`, and no catching up on them afterwards."""
        self._paused_until = max(self._paused_until, time.monotonic() + seconds)
        self._asked_since = max(self._asked_since, self._paused_until)


class ChatTurns:
    """Each chat's turn: one message at a time, and the next one at least PER_CHAT_INTERVAL
    after the previous one came back (however long the network took)."""

    def __init__(self) -> None:
        self._busy: set[int] = set()  # chats a message is being sent to
        self._free_at: dict[int, float] = {}  # chat → when its next message may leave

    async def take(self, chat_id: int) -> None:
        """Wait until nothing is being sent to the chat and its last message is a second old."""
        while True:
            wait = self._free_at.get(chat_id, 0.0) - time.monotonic()
            if chat_id in self._busy:
                wait = 0.05
            elif wait <= 0:
                break
            await asyncio.sleep(wait)
        self._busy.add(chat_id)

    def give_back(self, chat_id: int) -> None:
        """The send to the chat came back (whatever its answer): the chat's next turn is in
        PER_CHAT_INTERVAL."""
        self._busy.discard(chat_id)
        self._free_at[chat_id] = time.monotonic() + PER_CHAT_INTERVAL

    def forget_free(self, beyond: int) -> None:
        """Once more than `beyond` chats are remembered, forget those that are free again."""
        now = time.monotonic()
        if len(self._free_at) > beyond:
            self._free_at = {c: t for c, t in self._free_at.items() if t > now}
