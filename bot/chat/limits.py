"""Flood limits of the fake Bot API: a sliding-window limiter for all chats (``global_rate``)
and one per chat (``per_chat_rate``); a send over either is refused with 429 and
``retry_after``, and the limiter then stays closed for that long, as Telegram's does.
"""

from __future__ import annotations

import math
from collections import deque

from bot.chat.errors import ApiError, JSONDict

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

    def _check_rate(self, params: JSONDict, now: float) -> None:
        chat_id = params.get("chat_id")
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

    def _record_send(self, params: JSONDict, now: float) -> None:
        if self._global_window:
            self._global_window.record(now)
        chat_id = params.get("chat_id")
        window = self._chat_windows.get(chat_id) if isinstance(chat_id, int) else None
        if window:
            window.record(now)
