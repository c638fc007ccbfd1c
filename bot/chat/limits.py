"""Flood limits of the fake Bot API: a sliding-window limiter for all chats (``global_rate``)
and one per chat (``per_chat_rate``); a send over either is refused with 429 and
``retry_after``, and the limiter then stays closed for that long, as Telegram's does.

A send with ``allow_paid_broadcast`` is not counted against ``global_rate`` (Telegram's free
~30/s) but against ``paid_rate`` (its 1,000/s ceiling for paid broadcasts), and costs 0.1
Star from ``stars`` when more than FREE_PER_SECOND sends left in the last second; without
the Stars it is refused (400), as is a flag that is not a boolean.
"""

from __future__ import annotations

import math
from collections import deque

from bot.chat.errors import ApiError, JSONDict, bad_request

FREE_PER_SECOND = 30  # sends in a second that cost nothing, paid broadcast or not
STARS_PER_MESSAGE = 0.1  # the fee of a paid broadcast's message above them

#: Methods that count against (and are refused by) the flood limits.
RATE_LIMITED_METHODS = frozenset(
    {
        "sendMessage",
        "sendDocument",
        "sendPhoto",
        "sendLocation",
        "sendVenue",
        "copyMessage",
        "forwardMessage",
    }
)


class SlidingWindow:
    """Sliding-window limiter with a penalty period after a refusal."""

    def __init__(self, rate: float) -> None:
        self.window = 1.0 if rate >= 1 else 1.0 / rate
        self.capacity = max(1, int(rate * self.window))
        self.stamps: deque[float] = deque()
        self.blocked_until = 0.0

    def refuse(self, now: float) -> int | None:
        """Seconds to retry after if a send now would exceed the limit, else None."""
        if now < self.blocked_until:
            return max(1, math.ceil(self.blocked_until - now))
        while self.stamps and self.stamps[0] <= now - self.window:
            self.stamps.popleft()
        if len(self.stamps) < self.capacity:
            return None
        retry_after = max(1, math.ceil(self.stamps[0] + self.window - now))
        self.blocked_until = now + retry_after
        return retry_after

    def record(self, now: float) -> None:
        """Count a send made at ``now``."""
        self.stamps.append(now)


class FloodLimitsMixin:
    """The flood checks of :class:`~bot.chat.api.FakeBotAPI` (its state is set up there)."""

    def _paid(self, params: JSONDict) -> bool:
        flag = params.get("allow_paid_broadcast", False)
        if not isinstance(flag, bool):
            raise bad_request("can't parse allow_paid_broadcast: a boolean is expected")
        return flag

    def _check_rate(self, params: JSONDict, now: float) -> None:
        chat_id = params.get("chat_id")
        if self._paid(params):
            retry_after = self._paid_window.refuse(now) if self._paid_window else None
            if retry_after is None and self.stars is not None and self._charge(now) > self.stars:
                raise bad_request("not enough Stars on the bot's balance for a paid broadcast")
        else:
            retry_after = self._global_window.refuse(now) if self._global_window else None
        if retry_after is None and self.per_chat_rate and isinstance(chat_id, int):
            window = self._chat_windows.setdefault(chat_id, SlidingWindow(self.per_chat_rate))
            retry_after = window.refuse(now)
            if retry_after:
                self.chat_throttled.append(chat_id)
        if retry_after:
            raise ApiError(
                429,
                f"Too Many Requests: retry after {retry_after}",
                {"retry_after": retry_after},
            )

    def _charge(self, now: float) -> float:
        """What a paid send at `now` costs: nothing while fewer than FREE_PER_SECOND sends
        left in the last second."""
        recent = self._recent_sends
        while recent and recent[0] <= now - 1.0:
            recent.popleft()
        return STARS_PER_MESSAGE if len(recent) >= FREE_PER_SECOND else 0.0

    def _record_send(self, params: JSONDict, now: float) -> None:
        if params.get("allow_paid_broadcast") is True:
            if self._paid_window:
                self._paid_window.record(now)
            charge = self._charge(now)
            self.stars_spent = round(self.stars_spent + charge, 1)
            if self.stars is not None:
                self.stars = round(self.stars - charge, 1)
        elif self._global_window:
            self._global_window.record(now)
        self._charge(now)  # forgets sends older than a second
        self._recent_sends.append(now)
        chat_id = params.get("chat_id")
        window = self._chat_windows.get(chat_id) if isinstance(chat_id, int) else None
        if window:
            window.record(now)
