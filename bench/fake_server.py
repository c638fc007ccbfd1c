"""A lean fake Bot API for benchmarks, run in its own process on 127.0.0.1.

Unlike `bot.chat.api` (which validates everything like Telegram, for tests) it does only what
a benchmark needs, as cheaply as possible, so that the bot under test and not the fake is the
bottleneck:

- `getUpdates` hands out queued updates (long polling), at most `--window` unanswered at a
  time, so latency measures the bot's work under a steady load rather than a queue's length;
- every reply (`sendMessage`, `editMessageText`, `sendVenue`, an `answerCallbackQuery` with
  text) is matched to the oldest unanswered update of its chat; the time from handing that
  update out to the reply arriving is recorded per kind of update;
- `sendMessage` may be limited to `--rate` per second (sliding one-second window, 429 with
  `retry_after` like `bot.chat.limits`), every send and every 429 is time-stamped; one with
  `allow_paid_broadcast` counts against `--paid-rate` instead (Telegram's 1,000/s ceiling).

Control endpoints (JSON): `POST /_bench/updates` {"updates": [...], "kinds": [...]} queues
updates; `GET /_bench/stats` returns the figures (`?times=1` adds the send times).

Run: `python -m bench.fake_server [--rate R] [--paid-rate P] [--window W]`; prints
`PORT <n>` when listening.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import sys
import time
from collections import deque
from typing import Any

from aiohttp import web

REPLY_METHODS = frozenset({"sendmessage", "editmessagetext", "sendvenue"})
BOT_USER = {"id": 123456, "is_bot": True, "first_name": "Bench", "username": "bench_bot"}


class State:
    """Queued updates, outstanding ones per chat, and the figures collected."""

    def __init__(self, rate: float | None, window: int, paid_rate: float | None = None) -> None:
        self.rate = rate
        self.paid = Window(paid_rate)
        self.paid_sends = 0
        self.window = window
        self.queue: deque[tuple[dict[str, Any], str]] = deque()
        self.next_id = 1
        self.changed = asyncio.Event()
        self.outstanding: dict[int, deque[tuple[float, str]]] = {}
        self.unanswered = 0
        self.callback_chats: dict[str, int] = {}
        self.callback_data: dict[int, str] = {}  # chat → data of its latest press
        self.handed = 0
        self.replied = 0
        self.extra_replies = 0
        self.errors = 0  # replies that say "something went wrong" (start with ⚠️)
        self.first_handout: float | None = None
        self.last_reply: float | None = None
        self.latencies: dict[str, list[float]] = {}
        self.sends: list[float] = []
        self.throttled: list[float] = []
        self.stamps: deque[float] = deque()
        self.blocked_until = 0.0
        self.message_ids = 0
        self.calls = 0

    # ------------------------------------------------------------------ updates

    def add(self, updates: list[dict[str, Any]], kinds: list[str]) -> None:
        for update, kind in zip(updates, kinds, strict=True):
            update = {**update, "update_id": self.next_id}
            self.next_id += 1
            self.queue.append((update, kind))
        self.changed.set()

    def take(self, offset: int | None, limit: int) -> list[dict[str, Any]]:
        room = self.window - self.unanswered
        batch = []
        now = time.time()
        while self.queue and len(batch) < min(limit, room):
            update, kind = self.queue.popleft()
            chat = _chat_of(update)
            if chat is not None:
                self.outstanding.setdefault(chat, deque()).append((now, kind))
                self.unanswered += 1
            if "callback_query" in update:
                self.callback_chats[update["callback_query"]["id"]] = chat
                self.callback_data[chat] = update["callback_query"]["data"]
            batch.append(update)
        if batch:
            self.handed += len(batch)
            if self.first_handout is None:
                self.first_handout = now
        return batch

    def reply(self, chat: int | None) -> None:
        now = time.time()
        pending = self.outstanding.get(chat) if chat is not None else None
        if not pending:
            self.extra_replies += 1
            return
        handed_at, kind = pending.popleft()
        if not pending:
            del self.outstanding[chat]
        self.unanswered -= 1
        self.replied += 1
        self.last_reply = now
        self.latencies.setdefault(kind, []).append(now - handed_at)
        self.changed.set()

    # ------------------------------------------------------------------ flood limit

    def refuse(self, now: float, paid: bool = False) -> int | None:
        """Seconds to retry after when a send now exceeds `rate` (a paid one: the paid
        rate), else None (and counted)."""
        if paid:
            self.paid_sends += 1
            return self.paid.refuse(now)
        if self.rate is None:
            return None
        if now < self.blocked_until:
            return max(1, math.ceil(self.blocked_until - now))
        window = 1.0 if self.rate >= 1 else 1.0 / self.rate
        capacity = max(1, int(self.rate * window))
        while self.stamps and self.stamps[0] <= now - window:
            self.stamps.popleft()
        if len(self.stamps) < capacity:
            self.stamps.append(now)
            return None
        retry_after = max(1, math.ceil(self.stamps[0] + window - now))
        self.blocked_until = now + retry_after
        return retry_after

    def stats(self, with_times: bool) -> dict[str, Any]:
        first = self.sends[0] if self.sends else None
        late_429 = [t for t in self.throttled if first is not None and t > first + 1.0]
        figures: dict[str, Any] = {
            "calls": self.calls,
            "queued": len(self.queue),
            "handed": self.handed,
            "replied": self.replied,
            "extra_replies": self.extra_replies,
            "errors": self.errors,
            "unanswered": [
                [chat, kind, self.callback_data.get(chat)]
                for chat, pending in self.outstanding.items()
                for _, kind in pending
            ][:20],
            "first_handout": self.first_handout,
            "last_reply": self.last_reply,
            "latencies": self.latencies,
            "sends": len(self.sends),
            "first_send": first,
            "last_send": self.sends[-1] if self.sends else None,
            "throttled": len(self.throttled),
            "throttled_after_first_second": len(late_429),
            "paid_sends": self.paid_sends,
        }
        if with_times:
            figures["send_times"] = self.sends
        return figures


class Window:
    """A sliding one-second window of `rate` sends (None: unlimited), closed for
    `retry_after` after a refusal."""

    def __init__(self, rate: float | None) -> None:
        self.rate = rate
        self.stamps: deque[float] = deque()
        self.blocked_until = 0.0

    def refuse(self, now: float) -> int | None:
        if self.rate is None:
            return None
        if now < self.blocked_until:
            return max(1, math.ceil(self.blocked_until - now))
        while self.stamps and self.stamps[0] <= now - 1.0:
            self.stamps.popleft()
        if len(self.stamps) < int(self.rate):
            self.stamps.append(now)
            return None
        retry_after = max(1, math.ceil(self.stamps[0] + 1.0 - now))
        self.blocked_until = now + retry_after
        return retry_after


def _chat_of(update: dict[str, Any]) -> int | None:
    if "message" in update:
        return update["message"]["chat"]["id"]
    if "callback_query" in update:
        query = update["callback_query"]
        message = query.get("message")
        return message["chat"]["id"] if message else query["from"]["id"]
    return None


def _int(value: Any) -> Any:
    try:
        return int(value)
    except (TypeError, ValueError):
        return value


def _ok(result: Any) -> web.Response:
    return web.Response(
        body=json.dumps({"ok": True, "result": result}), content_type="application/json"
    )


def make_app(state: State) -> web.Application:
    """The aiohttp application: Bot API methods plus the control endpoints."""

    async def params(request: web.Request) -> dict[str, Any]:
        values: dict[str, Any] = dict(request.query)
        if request.method == "POST" and request.can_read_body:
            if request.content_type == "application/json":
                values.update(await request.json())
            else:
                values.update(await request.post())
        return values

    async def get_updates(values: dict[str, Any]) -> list[dict[str, Any]]:
        offset = _int(values.get("offset"))
        limit = _int(values.get("limit", 100))
        limit = limit if isinstance(limit, int) and 1 <= limit <= 100 else 100
        timeout = float(values.get("timeout") or 0)
        deadline = time.monotonic() + timeout
        while True:
            batch = state.take(offset if isinstance(offset, int) else None, limit)
            remaining = deadline - time.monotonic()
            if batch or remaining <= 0:
                return batch
            state.changed.clear()
            try:
                await asyncio.wait_for(state.changed.wait(), remaining)
            except TimeoutError:
                return []

    def message(chat_id: Any, values: dict[str, Any]) -> dict[str, Any]:
        state.message_ids += 1
        return {
            "message_id": _int(values.get("message_id")) or state.message_ids,
            "from": BOT_USER,
            "chat": {"id": chat_id, "type": "private", "first_name": "U"},
            "date": int(time.time()),
            "text": values.get("text") or "·",
        }

    async def api(request: web.Request) -> web.Response:
        state.calls += 1
        method = request.match_info["method"].lower()
        values = await params(request)
        if method == "getupdates":
            return _ok(await get_updates(values))
        if method == "getme":
            return _ok(BOT_USER)
        chat_id = _int(values.get("chat_id"))
        if method == "sendmessage":
            now = time.time()
            paid = values.get("allow_paid_broadcast") in (True, "true", "True")
            retry_after = state.refuse(now, paid)
            if retry_after is not None:
                state.throttled.append(now)
                body = {
                    "ok": False,
                    "error_code": 429,
                    "description": f"Too Many Requests: retry after {retry_after}",
                    "parameters": {"retry_after": retry_after},
                }
                return web.Response(
                    body=json.dumps(body), status=429, content_type="application/json"
                )
            state.sends.append(now)
        if method in REPLY_METHODS:
            state.errors += str(values.get("text", "")).startswith("⚠")
            state.reply(chat_id)
            return _ok(message(chat_id, values))
        if method == "answercallbackquery":
            if values.get("text"):
                state.errors += str(values["text"]).startswith("⚠")
                state.reply(state.callback_chats.get(values.get("callback_query_id")))
            state.callback_chats.pop(values.get("callback_query_id"), None)
            return _ok(True)
        return _ok(True)

    async def add_updates(request: web.Request) -> web.Response:
        body = await request.json()
        state.add(body["updates"], body["kinds"])
        return web.json_response({"queued": len(state.queue)})

    async def stats(request: web.Request) -> web.Response:
        return web.json_response(state.stats(request.query.get("times") == "1"))

    app = web.Application(client_max_size=64 * 1024 * 1024)
    app.router.add_post("/_bench/updates", add_updates)
    app.router.add_get("/_bench/stats", stats)
    app.router.add_route("*", "/bot{token}/{method}", api)
    return app


async def serve(rate: float | None, window: int, port: int, paid_rate: float | None) -> None:
    """Listen on 127.0.0.1 until killed; print the port for the parent process."""
    state = State(rate, window, paid_rate)
    runner = web.AppRunner(make_app(state), access_log=None, handle_signals=True)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port, backlog=1024)
    await site.start()
    print(f"PORT {runner.addresses[0][1]}", flush=True)
    await asyncio.Event().wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=None, help="sendMessage per second")
    parser.add_argument("--window", type=int, default=256, help="updates handed out unanswered")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--paid-rate", type=float, default=None, help="paid sends per second")
    args = parser.parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args.rate, args.window, args.port, args.paid_rate))
    return 0


if __name__ == "__main__":
    sys.exit(main())
