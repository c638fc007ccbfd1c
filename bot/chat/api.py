"""The fake Bot API's entry point and state: :class:`FakeBotAPI` answers one request at a
time (:meth:`FakeBotAPI.handle`), records it in :attr:`FakeBotAPI.calls`, injects faults on
demand, and lets tests watch the bot's messages; the methods themselves live in the mixins
of this package, one per area.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import itertools
import json
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from bot.chat.bot_settings import BotSettingsMixin
from bot.chat.callbacks import CallbacksMixin
from bot.chat.errors import ApiError, JSONDict, bad_request
from bot.chat.files import FilesMixin, UploadedFile
from bot.chat.forums import ForumsMixin
from bot.chat.limits import RATE_LIMITED_METHODS, FloodLimitsMixin, SlidingWindow
from bot.chat.messages import MessagesMixin
from bot.chat.updates import DEFAULT_UPDATE_TYPES, UpdatesMixin

#: Parameters whose string value is taken literally; other string values are JSON-decoded
#: (PTB sends ints, bools, lists and objects JSON-encoded inside form fields).
STRING_PARAMS = frozenset(
    {
        "text",
        "caption",
        "parse_mode",
        "callback_query_id",
        "inline_query_id",
        "inline_message_id",
        "business_connection_id",
        "message_effect_id",
        "title",
        "address",
        "foursquare_id",
        "foursquare_type",
        "google_place_id",
        "google_place_type",
        "url",
        "next_offset",
        "switch_pm_text",
        "switch_pm_parameter",
        "language_code",
        "action",
        "secret_token",
        "ip_address",
        "description",
        "short_description",
        "name",
        "document",
        "photo",
        "video",
        "audio",
        "animation",
        "voice",
        "sticker",
        "thumbnail",
        "file_id",
        "query",
        "data",
        "emoji",
    }
)

_FILE_PARAMS = frozenset(
    {"document", "photo", "video", "audio", "animation", "voice", "sticker", "thumbnail"}
)

_SERVER_ERRORS = {
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


@dataclass
class Call:
    """One recorded Bot API request."""

    method: str
    params: dict
    status: int
    result: Any
    at: float


class FakeBotAPI(
    UpdatesMixin,
    MessagesMixin,
    FilesMixin,
    ForumsMixin,
    CallbacksMixin,
    BotSettingsMixin,
    FloodLimitsMixin,
):
    """In-memory Telegram Bot API: call :meth:`handle`, inject updates, observe the state."""

    def __init__(
        self,
        *,
        token: str = "123456:TEST",
        username: str = "returnbot_test_bot",
        global_rate: float | None = None,
        per_chat_rate: float | None = None,
        paid_rate: float | None = 1000.0,
        stars: float | None = None,
        blocked_chats: Iterable[int] = (),
        fail_methods: Iterable[str] = (),
        latency: float = 0.0,
    ) -> None:
        self.token = token
        self.username = username
        self.bot_id = int(token.split(":", 1)[0])
        self.global_rate = global_rate
        self.per_chat_rate = per_chat_rate
        self.paid_rate = paid_rate  # allow_paid_broadcast's ceiling, messages per second
        self.stars: float | None = stars  # the bot's Stars balance (None: never runs out)
        self.stars_spent = 0.0
        self.blocked_chats: set[int] = set(blocked_chats)
        self.fail_methods = {m.lower() for m in fail_methods}
        self.latency = latency

        self.calls: list[Call] = []
        self.throttled = 0
        self.chat_throttled: list[int] = []  # chats whose per-chat limit refused a send
        self.known_chats: dict[int, JSONDict] = {}
        self.users: dict[int, JSONDict] = {}
        self.commands: dict[tuple[str, str], list[dict]] = {}
        self.menu_buttons: dict[int | None, JSONDict] = {}
        self.reply_keyboards: dict[int, JSONDict] = {}
        self.callback_answers: dict[str, JSONDict] = {}
        self.inline_answers: dict[str, JSONDict] = {}
        self.files: dict[str, UploadedFile] = {}
        self.webhook: JSONDict = {}
        self.settings: dict[str, JSONDict] = {}
        self.deleted_messages: list[tuple[int, int]] = []
        self.topics: dict[tuple[int, int], JSONDict] = {}  # (chat, thread) → name, closed
        self.bot_rights: dict[int, JSONDict] = {}  # supergroup → the bot's admin rights
        self.force_replies: dict[int, int] = {}  # chat → the bot's latest ForceReply message

        self._messages: dict[tuple[int, int], JSONDict] = {}
        self._bot_message_keys: list[tuple[int, int]] = []
        self._last_message_id: dict[int, int] = {}
        self._updates: list[JSONDict] = []
        self._update_ids = itertools.count(1)
        self._query_ids = itertools.count(1)
        self._file_ids = itertools.count(1)
        self._delivered_max = 0
        self._allowed_updates = DEFAULT_UPDATE_TYPES
        self._pending_callbacks: dict[str, JSONDict] = {}
        self._pending_inline: dict[str, JSONDict] = {}
        self._update_waiters: set[asyncio.Future[str]] = set()
        self._active_poll: asyncio.Future[str] | None = None
        self._global_window = SlidingWindow(global_rate) if global_rate else None
        self._chat_windows: dict[int, SlidingWindow] = {}
        self._paid_window = SlidingWindow(paid_rate) if paid_rate else None
        self._recent_sends: deque[float] = deque()  # every send of the last second
        self._in_flight = 0
        self._last_activity = time.monotonic()
        # fault injection (`fail_next`, `delay_next`): method → faults still to apply, in order
        self._faults: dict[str, deque[tuple[str, float]]] = {}
        self.injected: list[tuple[str, str]] = []  # (method, "HTTP 502" | "delay") applied

        self._handlers: dict[str, Callable[[JSONDict], Any]] = {
            "getMe": self._get_me,
            "logOut": lambda p: True,
            "close": lambda p: True,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "setMyCommands": self._set_my_commands,
            "getMyCommands": self._get_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "setChatMenuButton": self._set_chat_menu_button,
            "getChatMenuButton": self._get_chat_menu_button,
            "setMyDescription": self._setting("description"),
            "getMyDescription": self._getting("description"),
            "setMyShortDescription": self._setting("short_description"),
            "getMyShortDescription": self._getting("short_description"),
            "setMyName": self._setting("name"),
            "getMyName": self._getting("name"),
            "sendChatAction": self._send_chat_action,
            "sendMessage": self._send_message,
            "editMessageText": self._edit_message_text,
            "editMessageCaption": self._edit_message_caption,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "deleteMessage": self._delete_message,
            "answerCallbackQuery": self._answer_callback_query,
            "sendLocation": self._send_location,
            "sendVenue": self._send_venue,
            "sendDocument": self._send_document,
            "sendPhoto": self._send_photo,
            "copyMessage": self._copy_message,
            "forwardMessage": self._forward_message,
            "createForumTopic": self._create_forum_topic,
            "closeForumTopic": self._close_forum_topic,
            "answerInlineQuery": self._answer_inline_query,
            "getChat": self._get_chat,
            "getFile": self._get_file,
        }
        self._method_names = {name.lower(): name for name in [*self._handlers, "getUpdates"]}

    # ---------------------------------------------------------------- request entry points

    @property
    def bot_user(self) -> JSONDict:
        """The bot as a Telegram User dict."""
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": "ReturnBot Test",
            "username": self.username,
        }

    @staticmethod
    def decode_params(raw: Mapping[str, Any]) -> JSONDict:
        """Decode transport values (form strings) into JSON values, as Telegram does."""
        params: JSONDict = {}
        for name, value in raw.items():
            if isinstance(value, str) and name not in STRING_PARAMS:
                with contextlib.suppress(ValueError):
                    value = json.loads(value)
            params[name] = value
        for name, value in params.items():
            if name in _FILE_PARAMS and isinstance(value, str) and value.startswith("attach://"):
                attached = params.get(value.removeprefix("attach://"))
                if isinstance(attached, UploadedFile):
                    params[name] = attached
        return params

    async def handle(self, token: str, method: str, params: dict) -> tuple[int, dict]:
        """Answer one Bot API request: returns (HTTP status, Telegram JSON body)."""
        params = self.decode_params(params)
        canonical = self._method_names.get(method.lower())
        polling = canonical == "getUpdates"
        if not polling:
            self._in_flight += 1
            self._last_activity = time.monotonic()
        result: Any = None
        try:
            if self.latency:
                await asyncio.sleep(self.latency)
            at = time.monotonic()
            try:
                if token != self.token:
                    raise ApiError(401, "Unauthorized")
                if method.lower() in self.fail_methods:
                    raise bad_request("method is not available")
                await self._inject_fault(canonical or method)
                if canonical is None:
                    raise ApiError(404, "Not Found")
                if canonical in RATE_LIMITED_METHODS:
                    self._check_rate(params, at)
                if polling:
                    result = await self._get_updates(params)
                else:
                    result = self._handlers[canonical](params)
                if canonical in RATE_LIMITED_METHODS:
                    self._record_send(params, at)
                status, body = 200, {"ok": True, "result": result}
            except ApiError as exc:
                result = None
                status, body = exc.status, exc.body()
                if status == 429:
                    self.throttled += 1
            self.calls.append(Call(canonical or method, params, status, result, at))
            return status, body
        finally:
            if not polling:
                self._in_flight -= 1
                self._last_activity = time.monotonic()
            elif result:
                self._last_activity = time.monotonic()

    def fail_next(self, method: str, status: int = 500, count: int = 1) -> None:
        """The next `count` calls of `method` answer HTTP `status` (a 5xx: Telegram's side
        failed) without being carried out."""
        faults = self._faults.setdefault(method.lower(), deque())
        faults.extend([("status", float(status))] * count)

    def delay_next(self, method: str, seconds: float, count: int = 1) -> None:
        """The next `count` calls of `method` wait `seconds` before being handled; a client
        that gives up sooner disconnects, and the call is then never carried out."""
        faults = self._faults.setdefault(method.lower(), deque())
        faults.extend([("delay", seconds)] * count)

    async def _inject_fault(self, method: str) -> None:
        faults = self._faults.get(method.lower())
        if not faults:
            return
        kind, value = faults.popleft()
        if kind == "delay":
            self.injected.append((method, "delay"))
            await asyncio.sleep(value)
            return
        status = int(value)
        self.injected.append((method, f"HTTP {status}"))
        raise ApiError(status, _SERVER_ERRORS.get(status, "Internal Server Error"))

    # ---------------------------------------------------------------- observation

    def bot_messages(self, chat_id: int | None = None) -> list[dict]:
        """Current state (after edits, without deleted ones) of the bot's messages, in order."""
        return [
            copy.deepcopy(self._messages[key])
            for key in self._bot_message_keys
            if key in self._messages and (chat_id is None or key[0] == chat_id)
        ]

    def last_message(self, chat_id: int) -> dict | None:
        """The bot's latest surviving message in the chat."""
        for key in reversed(self._bot_message_keys):
            if key[0] == chat_id and key in self._messages:
                return copy.deepcopy(self._messages[key])
        return None

    def calls_to(self, method: str) -> list[Call]:
        """Recorded calls of one method (successful and failed)."""
        return [call for call in self.calls if call.method == method]

    async def wait_for(
        self,
        predicate: Callable[[], bool],
        timeout: float = 10.0,  # noqa: ASYNC109 - the documented interface
    ) -> None:
        """Poll ``predicate`` until true; TimeoutError (with recent calls) after ``timeout``."""
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() >= deadline:
                name = getattr(predicate, "__qualname__", repr(predicate))
                raise TimeoutError(f"{name} not true after {timeout}s; {self._summary()}")
            await asyncio.sleep(0.01)

    async def wait_idle(
        self,
        quiet: float = 0.3,
        timeout: float = 10.0,  # noqa: ASYNC109 - the documented interface
    ) -> None:
        """Wait until every queued update was fetched and no call arrived for ``quiet`` s."""
        deadline = time.monotonic() + timeout
        while True:
            now = time.monotonic()
            undelivered = any(u["update_id"] > self._delivered_max for u in self._updates)
            if not undelivered and not self._in_flight and now - self._last_activity >= quiet:
                return
            if now >= deadline:
                raise TimeoutError(
                    f"not idle after {timeout}s (undelivered updates: {undelivered}, "
                    f"requests in flight: {self._in_flight}); {self._summary()}"
                )
            await asyncio.sleep(min(0.02, quiet / 4))

    def _summary(self) -> str:
        recent = ", ".join(f"{c.method}->{c.status}" for c in self.calls[-8:])
        pending = [u["update_id"] for u in self._updates]
        return f"pending updates {pending}, last calls: [{recent}]"
