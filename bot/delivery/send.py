"""Sending one claimed delivery: its text composed (or the admin's message copied), the
chat's turn and a send slot waited for, the Bot API called, and Telegram's answer turned into
an `Outcome` — sent, blocked, failed with the reason, cancelled, or pending again. Why each
answer leads where it does is told in docs/delivery.md ("Telegram's answers")."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError, TimedOut
from telegram.ext import Application

from bot.delivery.compose import ComposedTexts
from bot.delivery.pacing import ChatTurns, Pacer, retry_seconds
from bot.transport.retry import paced_by_caller
from db import broadcasts, outbox, tickets

log = logging.getLogger(__name__)

# notices whose message is a copy of an admin's: a broadcast by reply, an answer to a question
COPIED = (broadcasts.BROADCAST, tickets.ANSWER)
FREE_PACE = 25.0  # messages/s of everything but paid broadcasts while PAID_BROADCAST is on
PAID_CEILING = 1000.0  # messages/s Telegram allows with allow_paid_broadcast
PAID = {"allow_paid_broadcast": True}
# a composed text: HTML, links without a preview
PLAIN = {"parse_mode": ParseMode.HTML.value, "link_preview_options": {"is_disabled": True}}


class _Skipped(Exception):
    """A send given up before it left (its broadcast was stopped)."""


@dataclass
class Outcome:
    """How one send ended: sent, blocked, failed (with the reason) or retry (transient)."""

    delivery: outbox.Claimed
    kind: str
    error: str = ""


class Sender:
    """Sends deliveries at `rate` per second overall and one at a time per chat; a 429 holds
    every send of this sender for `retry_after`. With `paid`, broadcasts marked paid go with
    allow_paid_broadcast at `rate` (at most Telegram's 1,000/s), and everything else at
    FREE_PACE at most, under Telegram's free 30/s (docs/delivery.md, "Paid broadcasts")."""

    def __init__(self, application: Application, rate: float, *, paid: bool = False) -> None:
        self.application = application
        self.paid = paid
        self.pacer = Pacer(min(rate, FREE_PACE) if paid else rate)
        self.paid_pacer = Pacer(min(rate, PAID_CEILING)) if paid else self.pacer
        self.turns = ChatTurns()
        self.texts = ComposedTexts(application.bot_data)
        self.cancelled: set[int] = set()  # notices of stopped broadcasts (kept by the worker)
        self.in_request: set[asyncio.Task[Any] | None] = set()  # sends past their waits

    async def attempt(self, delivery: outbox.Claimed) -> Outcome:
        """Send one delivery (waiting for its chat and for a slot); how it ended."""
        notice = delivery.notice
        payload = notice.payload or {}
        copy_from = payload.get("copy") if notice.kind in COPIED else None
        captioned = notice.kind == tickets.ANSWER and "caption" in payload
        paid = self.paid and notice.kind == broadcasts.BROADCAST and bool(payload.get("paid"))
        pacer, extra = (self.paid_pacer, PAID) if paid else (self.pacer, {})
        text = None if copy_from and not captioned else self.texts.get(notice, delivery.language)
        if text is None and not copy_from:
            return Outcome(delivery, outbox.FAILED, "nothing to tell any more")
        chat_id = delivery.chat_id

        def stopped() -> bool:  # the admin stopped this broadcast meanwhile
            return notice.id in self.cancelled

        if stopped():
            return Outcome(delivery, broadcasts.DELIVERY_CANCELLED)
        await self.turns.take(chat_id)
        try:
            if copy_from:
                method = "copyMessage"
                parameters = {"from_chat_id": copy_from[0], "message_id": copy_from[1]}
                if captioned:
                    parameters |= {"caption": text, "parse_mode": ParseMode.HTML.value}
            else:
                method, parameters = "sendMessage", {"text": text, **PLAIN}
            parameters = {"chat_id": chat_id, **parameters, **extra}
            await self._send(self._call, method, parameters, pacer=pacer, skip=stopped)
        except _Skipped:
            return Outcome(delivery, broadcasts.DELIVERY_CANCELLED)
        except Forbidden:
            return Outcome(delivery, outbox.BLOCKED)
        except BadRequest as error:  # before NetworkError: it is a subclass
            log.warning("delivery %s refused: %s", delivery.id, error.message)
            return Outcome(delivery, outbox.FAILED, error.message)
        except TimedOut as error:  # may have arrived: sent again (see docs/delivery.md)
            return Outcome(delivery, outbox.PENDING, f"timed out: {error}")
        except NetworkError as error:  # 5xx, connection trouble
            return Outcome(delivery, outbox.PENDING, str(error))
        except TelegramError as error:  # anything else Telegram refuses: not retried
            return Outcome(delivery, outbox.FAILED, str(error))
        finally:
            self.turns.give_back(chat_id)
        return Outcome(delivery, outbox.SENT)

    async def _call(self, method: str, parameters: dict[str, Any]) -> Any:
        """Call the Bot API `method` and return Telegram's result as it came (JSON): no
        `Message` is built from every answer (docs/delivery.md, "Paid broadcasts"). It goes
        the way of the bot's own methods below that step (PTB's `Bot._post`, pinned
        version): the bot's transport with its retries and metrics, and Telegram's errors
        raised as PTB raises them."""
        return await self.application.bot._post(method, parameters)

    async def _send(
        self,
        method: Callable[..., Awaitable[Any]],
        *args: Any,
        pacer: Pacer | None = None,
        skip: Callable[[], bool] | None = None,
        **kwargs: Any,
    ) -> Any:
        """Call a Bot API method under the rate of `pacer` (the free one by default); on 429
        every sender of that pacer waits `retry_after`. `skip` is asked once the slot is
        there: True gives up (raises `_Skipped`)."""
        pacer = pacer or self.pacer
        while True:
            await pacer.slot()
            if skip is not None and skip():
                raise _Skipped
            task = asyncio.current_task()
            self.in_request.add(task)
            try:
                with paced_by_caller():  # every 429 comes back here: all senders pause
                    return await method(*args, **kwargs)
            except RetryAfter as error:
                pause = retry_seconds(error)
                log.info("flood limit: pausing all deliveries for %.1f s", pause)
                pacer.pause(pause)
            finally:
                self.in_request.discard(task)
