"""A fake Telegram Bot API that validates requests the way Telegram does.

Used by the end-to-end tests (real HTTP via :class:`FakeBotServer`), by the terminal mode
``returnbot chat`` (in process via :class:`InProcessRequest`), and by benchmarks and
rate-limit/broadcast tests. It keeps the state Telegram would keep (chats, messages, callback
queries, commands, pending updates), records every request in :attr:`FakeBotAPI.calls`, and
answers with Telegram-shaped JSON so python-telegram-bot can de-json the results.

Rules emulated, each with Telegram's error text: HTML parse_mode parsing, text/caption length
in UTF-16 code units after parsing, inline keyboard validation (callback_data 1-64 bytes),
"message is not modified", unknown/answered callback queries, unknown and blocked chats,
flood limits (429 with ``retry_after``), long polling with ``offset``/``limit``/``timeout``.
Deliberate simplifications: MarkdownV2 is accepted unparsed; webhooks are stored, never called;
an unknown named HTML entity such as ``&nbsp;`` is rejected (Telegram keeps it as text).
Faults on demand: ``fail_next`` (5xx answers) and ``delay_next`` (answers slower than the
client waits).
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import itertools
import json
import math
import re
import struct
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

from aiohttp import web
from telegram.request import BaseRequest, RequestData

JSONDict = dict[str, Any]

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
CALLBACK_ANSWER_LIMIT = 200
INLINE_RESULTS_LIMIT = 50
UPLOAD_LIMIT = 50 * 1024 * 1024

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

_DEFAULT_UPDATE_TYPES = frozenset(
    {
        "message",
        "edited_message",
        "channel_post",
        "edited_channel_post",
        "business_connection",
        "business_message",
        "edited_business_message",
        "deleted_business_messages",
        "inline_query",
        "chosen_inline_result",
        "callback_query",
        "shipping_query",
        "pre_checkout_query",
        "purchased_paid_media",
        "poll",
        "poll_answer",
        "my_chat_member",
        "chat_join_request",
        "chat_boost",
        "removed_chat_boost",
    }
)

_CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)

_COMMAND_SCOPES = frozenset(
    {
        "default",
        "all_private_chats",
        "all_group_chats",
        "all_chat_administrators",
        "chat",
        "chat_administrators",
        "chat_member",
    }
)

_BUTTON_ACTIONS = (
    "callback_data",
    "url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "web_app",
    "login_url",
    "callback_game",
    "pay",
    "copy_text",
)

_SERVER_ERRORS = {
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}
_QUERY_INVALID = "query is too old and response timeout expired or query ID is invalid"
_NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
_CONTENT_KEYS = ("text", "entities", "caption", "caption_entities", "document", "photo")
_CONTENT_KEYS += ("location", "venue")


class ApiError(Exception):
    """A Telegram error answer: HTTP status plus ``description`` (and ``parameters``)."""

    def __init__(self, status: int, description: str, parameters: JSONDict | None = None):
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters

    def body(self) -> JSONDict:
        """The Telegram-shaped JSON error body."""
        body: JSONDict = {"ok": False, "error_code": self.status, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def _bad(description: str) -> ApiError:
    return ApiError(400, f"Bad Request: {description}")


@dataclass
class Call:
    """One recorded Bot API request."""

    method: str
    params: dict
    status: int
    result: Any
    at: float


@dataclass
class UploadedFile:
    """A file the bot uploaded (multipart part), with its bytes."""

    filename: str
    data: bytes
    mime_type: str | None = None

    @property
    def size(self) -> int:
        """Size in bytes."""
        return len(self.data)


# --------------------------------------------------------------------------------------------
# Text: HTML parse mode, trimming, lengths


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit Telegram counts in."""
    return len(text.encode("utf-16-le")) // 2


_HTML_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "span": "spoiler",
    "tg-spoiler": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_ENTITY_RE = re.compile(r"&(?:#(\d+)|#[xX]([0-9a-fA-F]+)|([A-Za-z][A-Za-z0-9]*))(;?)")
_ATTR_NAME_RE = re.compile(r"[A-Za-z0-9_-]+")


def _decode_entity(src: str, i: int) -> tuple[str, int, str | None]:
    """Decode the entity at ``src[i] == "&"``: (text, next index, unknown ``name;`` or None).

    Like tdlib, a "&" that starts no known entity stays literal; an unknown named entity
    with a semicolon is reported so the caller can reject it.
    """
    m = _ENTITY_RE.match(src, i)
    if not m:
        return "&", i + 1, None
    dec, hexa, name, semicolon = m.groups()
    if dec or hexa:
        code = int(dec) if dec else int(hexa, 16)
        if 0 < code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF:
            return chr(code), m.end(), None
        return "&", i + 1, None
    if name in _NAMED_ENTITIES:
        return _NAMED_ENTITIES[name], m.end(), None
    return "&", i + 1, name if semicolon else None


def _decode_attribute(raw: str) -> str:
    parts, i = [], 0
    while i < len(raw):
        if raw[i] == "&":
            decoded, i, _ = _decode_entity(raw, i)
            parts.append(decoded)
        else:
            parts.append(raw[i])
            i += 1
    return "".join(parts)


class _HtmlParser:
    """Telegram's HTML subset, following tdlib's ``parse_html`` (strict about tags)."""

    def __init__(self, source: str) -> None:
        self.src = source
        self.out: list[str] = []
        self.pos16 = 0
        self.stack: list[tuple[str, int, dict[str, str], int]] = []
        self.entities: list[JSONDict] = []

    def error(self, detail: str) -> ApiError:
        return _bad(f"can't parse entities: {detail}")

    def byte_offset(self, index: int) -> int:
        return len(self.src[:index].encode())

    def emit(self, chunk: str) -> None:
        self.out.append(chunk)
        self.pos16 += utf16_len(chunk)

    def parse(self) -> tuple[str, list[JSONDict]]:
        src, i, n = self.src, 0, len(self.src)
        while i < n:
            ch = src[i]
            if ch == "&":
                decoded, i = self.entity(i)
                self.emit(decoded)
            elif ch != "<":
                j = i + 1
                while j < n and src[j] not in "<&":
                    j += 1
                self.emit(src[i:j])
                i = j
            elif src.startswith("</", i):
                i = self.end_tag(i)
            else:
                i = self.start_tag(i)
        if self.stack:
            raise self.error(
                f'Can\'t find end tag corresponding to start tag "{self.stack[-1][0]}"'
            )
        self.entities.sort(key=lambda e: (e["offset"], -e["length"]))
        return "".join(self.out), self.entities

    def entity(self, i: int) -> tuple[str, int]:
        decoded, end, unknown = _decode_entity(self.src, i)
        if unknown:
            raise self.error(
                f'Unsupported HTML entity "&{unknown};" at byte offset {self.byte_offset(i)}'
            )
        return decoded, end

    def start_tag(self, i: int) -> int:
        src, n = self.src, len(self.src)
        offset = self.byte_offset(i)
        unclosed = self.error(f"Unclosed start tag at byte offset {offset}")
        j = i + 1
        while j < n and not src[j].isspace() and src[j] != ">":
            j += 1
        if j >= n:
            raise unclosed
        name = src[i + 1 : j].lower()
        if name not in _HTML_TAGS:
            raise self.error(f'Unsupported start tag "{name}" at byte offset {offset}')
        attrs: dict[str, str] = {}
        while True:
            while j < n and src[j].isspace():
                j += 1
            if j >= n:
                raise unclosed
            if src[j] == ">":
                j += 1
                break
            m = _ATTR_NAME_RE.match(src, j)
            if not m:
                raise self.error(
                    f'Empty attribute name in the tag "{name}" at byte offset {offset}'
                )
            attr, j = m.group().lower(), m.end()
            while j < n and src[j].isspace():
                j += 1
            value = ""
            if j < n and src[j] == "=":
                j += 1
                while j < n and src[j].isspace():
                    j += 1
                if j >= n:
                    raise unclosed
                if src[j] in "'\"":
                    end = src.find(src[j], j + 1)
                    if end == -1:
                        raise unclosed
                    raw, j = src[j + 1 : end], end + 1
                else:
                    k = j
                    while k < n and not src[k].isspace() and src[k] != ">":
                        k += 1
                    raw, j = src[j:k], k
                value = _decode_attribute(raw)
            attrs[attr] = value
        if name == "span" and attrs.get("class") != "tg-spoiler":
            raise self.error(f'Tag "span" must have class "tg-spoiler" at byte offset {offset}')
        if name == "tg-emoji" and not attrs.get("emoji-id"):
            raise self.error(
                f'Tag "tg-emoji" must have attribute "emoji-id" at byte offset {offset}'
            )
        self.stack.append((name, self.pos16, attrs, offset))
        return j

    def end_tag(self, i: int) -> int:
        offset = self.byte_offset(i)
        end = self.src.find(">", i)
        if end == -1:
            raise self.error(f"Unclosed end tag at byte offset {offset}")
        name = self.src[i + 2 : end].strip().lower()
        if not self.stack:
            raise self.error(f"Unexpected end tag at byte offset {offset}")
        tag, start, attrs, _ = self.stack.pop()
        if name != tag:
            raise self.error(
                f'Unmatched end tag at byte offset {offset}, expected "</{tag}>", found "</{name}>"'
            )
        self.add_entity(tag, start, attrs)
        return end + 1

    def add_entity(self, tag: str, start: int, attrs: dict[str, str]) -> None:
        length = self.pos16 - start
        if tag == "code" and self.stack and self.stack[-1][0] == "pre":
            language = attrs.get("class", "")
            if language.startswith("language-"):
                self.stack[-1][2]["language"] = language.removeprefix("language-")
                return
        if length <= 0:
            return
        entity: JSONDict = {"type": _HTML_TAGS[tag], "offset": start, "length": length}
        if tag == "a":
            if not attrs.get("href"):
                return
            entity["url"] = attrs["href"]
        elif tag == "pre" and attrs.get("language"):
            entity["language"] = attrs["language"]
        elif tag == "blockquote" and "expandable" in attrs:
            entity["type"] = "expandable_blockquote"
        elif tag == "tg-emoji":
            entity["custom_emoji_id"] = attrs["emoji-id"]
        self.entities.append(entity)


def parse_html(source: str) -> tuple[str, list[JSONDict]]:
    """Parse Telegram HTML into (plain text, entities); raises :class:`ApiError` like Telegram."""
    return _HtmlParser(source).parse()


def _strip(text: str, entities: list[JSONDict]) -> tuple[str, list[JSONDict]]:
    """Trim surrounding whitespace as Telegram does, shifting entity offsets."""
    stripped = text.strip()
    if stripped == text:
        return text, entities
    lead = utf16_len(text[: len(text) - len(text.lstrip())])
    total = utf16_len(stripped)
    kept = []
    for entity in entities:
        start = max(entity["offset"] - lead, 0)
        end = min(entity["offset"] + entity["length"] - lead, total)
        if end > start:
            kept.append({**entity, "offset": start, "length": end - start})
    return stripped, kept


def render_text(
    text: Any, parse_mode: Any, entities: Any, *, caption: bool = False
) -> tuple[str, list[JSONDict]]:
    """Apply ``parse_mode``, trim and check the length; returns (text, entities)."""
    if text is None:
        text = ""
    if not isinstance(text, str):
        text = json.dumps(text)
    mode = (parse_mode or "").lower() if isinstance(parse_mode, str) else ""
    if parse_mode and mode not in ("html", "markdown", "markdownv2"):
        raise _bad(f"unsupported parse_mode {parse_mode!r}")
    if mode == "html":
        plain, parsed = parse_html(text)
    else:
        plain = text
        parsed = [dict(e) for e in entities] if isinstance(entities, list) else []
    plain, parsed = _strip(plain, parsed)
    limit = CAPTION_LIMIT if caption else TEXT_LIMIT
    if utf16_len(plain) > limit:
        raise _bad("message caption is too long" if caption else "message is too long")
    if not plain and not caption:
        raise _bad("message text is empty")
    return plain, parsed


# --------------------------------------------------------------------------------------------
# Reply markup


def _valid_url(url: str) -> bool:
    if not url or any(c.isspace() for c in url):
        return False
    parts = urlsplit(url if "://" in url else f"http://{url}")
    if parts.scheme in ("tg", "ton"):
        return bool(parts.netloc or parts.path)
    return parts.scheme in ("http", "https") and "." in (parts.hostname or "")


def _check_inline_button(button: Any) -> None:
    prefix = "can't parse inline keyboard button: "
    if not isinstance(button, dict):
        raise _bad(prefix + "InlineKeyboardButton must be an Object")
    if not isinstance(button.get("text"), str):
        raise _bad(prefix + 'Field "text" must be of type String')
    if not button["text"]:
        raise _bad(prefix + "Text must be non-empty")
    actions = [key for key in _BUTTON_ACTIONS if key in button]
    if not actions:
        raise _bad(prefix + "Text buttons are unallowed in the inline keyboard")
    if len(actions) > 1:
        raise _bad(prefix + f"only one of the fields {', '.join(actions)} must be used")
    if "callback_data" in button:
        data = button["callback_data"]
        if not isinstance(data, str) or not 1 <= len(data.encode()) <= 64:
            raise _bad("BUTTON_DATA_INVALID")
    if "url" in button and not (isinstance(button["url"], str) and _valid_url(button["url"])):
        raise _bad(f"inline keyboard button URL '{button['url']}' is invalid: Wrong HTTP URL")
    for key in ("switch_inline_query", "switch_inline_query_current_chat"):
        if key in button and not isinstance(button[key], str):
            raise _bad(prefix + f'Field "{key}" must be of type String')


def _rows(markup: JSONDict, key: str, kind: str) -> list[list[Any]]:
    rows = markup[key]
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise _bad(f'Field "{key}" of the {kind} must be an Array of Arrays')
    return rows


def check_reply_markup(markup: Any) -> JSONDict | None:
    """Validate ``reply_markup`` like Telegram; returns it as a dict (or None)."""
    if markup is None:
        return None
    if isinstance(markup, str):
        try:
            markup = json.loads(markup)
        except ValueError:
            raise _bad("can't parse reply keyboard markup JSON object") from None
    if not isinstance(markup, dict):
        raise _bad("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        for row in _rows(markup, "inline_keyboard", "InlineKeyboardMarkup"):
            for button in row:
                _check_inline_button(button)
    elif "keyboard" in markup:
        for row in _rows(markup, "keyboard", "ReplyKeyboardMarkup"):
            for button in row:
                text = button.get("text") if isinstance(button, dict) else button
                if not isinstance(text, str) or not text:
                    raise _bad("can't parse keyboard button: Text must be non-empty")
    elif markup.get("remove_keyboard") is not True and markup.get("force_reply") is not True:
        raise _bad("can't parse reply keyboard markup JSON object")
    return markup


# --------------------------------------------------------------------------------------------
# Flood limits


class _Window:
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
        self.stamps.append(now)


def _image_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) of a PNG, or None when unknown; raises for non-images."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return width, height
    if data.startswith((b"\xff\xd8\xff", b"GIF8")) or data[8:12] == b"WEBP":
        return None
    raise _bad("IMAGE_PROCESS_FAILED")


# --------------------------------------------------------------------------------------------
# The fake API


class FakeBotAPI:
    """In-memory Telegram Bot API: call :meth:`handle`, inject updates, observe the state."""

    def __init__(
        self,
        *,
        token: str = "123456:TEST",
        username: str = "returnbot_test_bot",
        global_rate: float | None = None,
        per_chat_rate: float | None = None,
        blocked_chats: Iterable[int] = (),
        fail_methods: Iterable[str] = (),
        latency: float = 0.0,
    ) -> None:
        self.token = token
        self.username = username
        self.bot_id = int(token.split(":", 1)[0])
        self.global_rate = global_rate
        self.per_chat_rate = per_chat_rate
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

        self._messages: dict[tuple[int, int], JSONDict] = {}
        self._bot_message_keys: list[tuple[int, int]] = []
        self._last_message_id: dict[int, int] = {}
        self._updates: list[JSONDict] = []
        self._update_ids = itertools.count(1)
        self._query_ids = itertools.count(1)
        self._file_ids = itertools.count(1)
        self._delivered_max = 0
        self._allowed_updates = _DEFAULT_UPDATE_TYPES
        self._pending_callbacks: dict[str, JSONDict] = {}
        self._pending_inline: dict[str, JSONDict] = {}
        self._update_waiters: set[asyncio.Future[str]] = set()
        self._active_poll: asyncio.Future[str] | None = None
        self._global_window = _Window(global_rate) if global_rate else None
        self._chat_windows: dict[int, _Window] = {}
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
                    raise _bad("method is not available")
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

    def download(self, token: str, file_path: str) -> tuple[int, bytes]:
        """Serve a file by the ``file_path`` that getFile returned."""
        file_id = file_path.rsplit("/", 1)[-1]
        if token != self.token or file_id not in self.files:
            return 404, b'{"ok":false,"error_code":404,"description":"Not Found"}'
        return 200, self.files[file_id].data

    # ---------------------------------------------------------------- update injection

    def add_update(self, update: dict) -> dict:
        """Queue a raw update (``update_id`` is filled in); returns it."""
        update = {**update, "update_id": next(self._update_ids)}
        for value in update.values():
            if not isinstance(value, dict):
                continue
            message = value.get("message") if "chat_instance" in value else value
            if isinstance(message, dict) and isinstance(message.get("chat"), dict):
                self._register_message(message)
        self._updates.append(update)
        self._last_activity = time.monotonic()
        self._wake_pollers("update")
        return update

    def send_text(
        self,
        text: str,
        *,
        user_id: int = 1001,
        language_code: str | None = "en",
        first_name: str = "Test",
        chat_id: int | None = None,
    ) -> dict:
        """The user writes ``text`` (a ``/command`` gets its bot_command entity)."""
        message = self._user_message(user_id, language_code, first_name, chat_id, text=text)
        if text.startswith("/"):
            command = text.split(maxsplit=1)[0]
            message["entities"] = [
                {"type": "bot_command", "offset": 0, "length": utf16_len(command)}
            ]
        return self.add_update({"message": message})

    def share_location(
        self, lat: float, lon: float, *, user_id: int = 1001, language_code: str | None = "en"
    ) -> dict:
        """The user shares a location."""
        location = {"latitude": lat, "longitude": lon}
        message = self._user_message(user_id, language_code, "Test", None, location=location)
        return self.add_update({"message": message})

    def send_document(
        self,
        filename: str,
        data: bytes,
        *,
        user_id: int = 1001,
        language_code: str | None = "en",
        mime_type: str | None = None,
        caption: str | None = None,
    ) -> dict:
        """The user sends a file; the bot can fetch it with getFile and the file URL."""
        file_id = f"document-user-{next(self._file_ids)}"
        self.files[file_id] = UploadedFile(filename, data, mime_type)
        document = {
            "file_id": file_id,
            "file_unique_id": f"u{file_id}",
            "file_name": filename,
            "file_size": len(data),
        }
        if mime_type:
            document["mime_type"] = mime_type
        content: JSONDict = {"document": document}
        if caption is not None:
            content["caption"] = caption
        message = self._user_message(user_id, language_code, "Test", None, **content)
        return self.add_update({"message": message})

    def press(
        self,
        message: dict,
        data: str,
        *,
        user_id: int = 1001,
        language_code: str | None = "en",
        strict: bool = True,
    ) -> dict:
        """The user presses the inline button with ``callback_data == data`` on a bot message.

        With ``strict`` the button must exist in the message's current keyboard (raises
        ValueError otherwise); pass ``strict=False`` to forge arbitrary callback data.
        """
        key = (message["chat"]["id"], message["message_id"])
        current = self._messages.get(key)
        if current is None:
            raise ValueError(f"message {key} does not exist (deleted or never sent)")
        buttons = [
            button.get("callback_data")
            for row in current.get("reply_markup", {}).get("inline_keyboard", [])
            for button in row
        ]
        if strict and data not in buttons:
            raise ValueError(f"no button with callback_data {data!r} in message {key}: {buttons}")
        query_id = str(next(self._query_ids))
        query = {
            "id": query_id,
            "from": self._user(user_id, language_code, None),
            "message": copy.deepcopy(current),
            "chat_instance": str(abs(key[0]) * 31 + 7),
            "data": data,
        }
        self._pending_callbacks[query_id] = query
        return self.add_update({"callback_query": query})

    def inline_query(
        self, query: str, *, user_id: int = 1001, language_code: str | None = "en"
    ) -> dict:
        """The user types ``@bot query`` in some chat."""
        query_id = str(next(self._query_ids))
        inline = {
            "id": query_id,
            "from": self._user(user_id, language_code, None),
            "query": query,
            "offset": "",
            "chat_type": "sender",
        }
        self._pending_inline[query_id] = inline
        return self.add_update({"inline_query": inline})

    def add_chat(
        self, chat_id: int, *, language_code: str | None = "en", first_name: str = "User"
    ) -> dict:
        """Register a private chat as if the user had started the bot; returns the chat."""
        self._user(chat_id, language_code, first_name)
        return self._chat(chat_id, chat_id)

    def block(self, chat_id: int) -> None:
        """The user blocks the bot: sends to the chat answer 403."""
        self.blocked_chats.add(chat_id)

    def unblock(self, chat_id: int) -> None:
        """The user unblocks the bot."""
        self.blocked_chats.discard(chat_id)

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

    @property
    def polling(self) -> bool:
        """True while a getUpdates long poll is waiting for updates."""
        return self._active_poll is not None and not self._active_poll.done()

    def calls_to(self, method: str) -> list[Call]:
        """Recorded calls of one method (successful and failed)."""
        return [call for call in self.calls if call.method == method]

    def file_bytes(self, ref: str | dict) -> bytes:
        """Bytes of an uploaded file, by file_id or by a document/photo message."""
        if isinstance(ref, dict):
            if "document" in ref:
                ref = ref["document"]["file_id"]
            elif "photo" in ref:
                ref = ref["photo"][-1]["file_id"]
            else:
                raise ValueError("message has no document or photo")
        return self.files[ref].data

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

    # ---------------------------------------------------------------- internal state helpers

    def _user(self, user_id: int, language_code: str | None, first_name: str | None) -> JSONDict:
        user = self.users.setdefault(
            user_id, {"id": user_id, "is_bot": False, "first_name": first_name or "Test"}
        )
        if first_name:
            user["first_name"] = first_name
        if language_code:
            user["language_code"] = language_code
        else:
            user.pop("language_code", None)
        return dict(user)

    def _chat(self, chat_id: int, user_id: int) -> JSONDict:
        if chat_id in self.known_chats:
            return dict(self.known_chats[chat_id])
        if chat_id == user_id:
            chat = {
                "id": chat_id,
                "type": "private",
                "first_name": self.users[user_id]["first_name"],
            }
        else:
            chat = {"id": chat_id, "type": "group", "title": f"Group {chat_id}"}
        self.known_chats[chat_id] = chat
        return dict(chat)

    def _next_message_id(self, chat_id: int) -> int:
        self._last_message_id[chat_id] = self._last_message_id.get(chat_id, 0) + 1
        return self._last_message_id[chat_id]

    def _user_message(
        self,
        user_id: int,
        language_code: str | None,
        first_name: str,
        chat_id: int | None,
        **content: Any,
    ) -> JSONDict:
        user = self._user(user_id, language_code, first_name)
        chat = self._chat(user_id if chat_id is None else chat_id, user_id)
        return {
            "message_id": self._next_message_id(chat["id"]),
            "from": user,
            "chat": chat,
            "date": int(time.time()),
            **content,
        }

    def _register_message(self, message: JSONDict) -> None:
        chat = message["chat"]
        if chat.get("id") is None:
            return
        self.known_chats.setdefault(chat["id"], dict(chat))
        message_id = message.get("message_id")
        if isinstance(message_id, int):
            last = self._last_message_id.get(chat["id"], 0)
            self._last_message_id[chat["id"]] = max(last, message_id)
            self._messages.setdefault((chat["id"], message_id), copy.deepcopy(message))

    def _target_chat(self, params: JSONDict, name: str = "chat_id") -> int:
        value = params.get(name)
        if value is None or value == "":
            raise _bad(f"{name} is empty")
        if isinstance(value, str):
            matches = [
                cid for cid, chat in self.known_chats.items() if f"@{chat.get('username')}" == value
            ]
            value = matches[0] if matches else None
        if value in self.blocked_chats:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        if not isinstance(value, int) or value not in self.known_chats:
            raise _bad("chat not found")
        return value

    def _stored_message(
        self, params: JSONDict, missing: str, chat_key: str = "chat_id"
    ) -> JSONDict:
        chat_id = params.get(chat_key)
        message_id = params.get("message_id")
        message = self._messages.get((chat_id, message_id))  # type: ignore[arg-type]
        if message is None:
            if chat_id not in self.known_chats:
                raise _bad("chat not found")
            raise _bad(missing)
        return message

    def _add_bot_message(self, chat_id: int, params: JSONDict, **content: Any) -> JSONDict:
        markup = check_reply_markup(params.get("reply_markup"))
        reply_to = self._reply_target(chat_id, params)
        message: JSONDict = {
            "message_id": self._next_message_id(chat_id),
            "from": self.bot_user,
            "chat": dict(self.known_chats[chat_id]),
            "date": int(time.time()),
        }
        if reply_to is not None:
            message["reply_to_message"] = copy.deepcopy(reply_to)
            message["reply_to_message"].pop("reply_to_message", None)
        message.update({k: v for k, v in content.items() if v not in (None, [], "")})
        if markup is not None:
            if "inline_keyboard" in markup:
                message["reply_markup"] = markup
            elif "keyboard" in markup:
                self.reply_keyboards[chat_id] = markup
            elif markup.get("remove_keyboard"):
                self.reply_keyboards.pop(chat_id, None)
        key = (chat_id, message["message_id"])
        self._messages[key] = message
        self._bot_message_keys.append(key)
        return copy.deepcopy(message)

    def _reply_target(self, chat_id: int, params: JSONDict) -> JSONDict | None:
        reply = params.get("reply_parameters")
        if isinstance(reply, dict):
            message_id = reply.get("message_id")
            allow = reply.get("allow_sending_without_reply", False)
        else:
            message_id = params.get("reply_to_message_id")
            allow = params.get("allow_sending_without_reply", False)
        if message_id is None:
            return None
        target = self._messages.get((chat_id, message_id))
        if target is None and not allow:
            raise _bad("message to be replied not found")
        return target

    def _check_rate(self, params: JSONDict, now: float) -> None:
        chat_id = params.get("chat_id")
        retry_after = self._global_window.refuse(now) if self._global_window else None
        if retry_after is None and self.per_chat_rate and isinstance(chat_id, int):
            window = self._chat_windows.setdefault(chat_id, _Window(self.per_chat_rate))
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

    def _wake_pollers(self, reason: str) -> None:
        for waiter in list(self._update_waiters):
            if not waiter.done():
                with contextlib.suppress(RuntimeError):  # the waiter's loop is closed
                    waiter.get_loop().call_soon_threadsafe(_resolve, waiter, reason)

    def release_pollers(self) -> None:
        """Make waiting long polls return now (used when the server stops)."""
        self._wake_pollers("release")

    def _store_file(self, upload: Any, kind: str) -> tuple[str, UploadedFile]:
        if isinstance(upload, UploadedFile):
            if upload.size > UPLOAD_LIMIT:
                raise ApiError(413, "Request Entity Too Large")
            file_id = f"{kind}-fake-{next(self._file_ids)}"
            self.files[file_id] = upload
            return file_id, upload
        if isinstance(upload, str) and upload in self.files:
            return upload, self.files[upload]
        if isinstance(upload, str) and upload.startswith(("http://", "https://")):
            name = urlsplit(upload).path.rsplit("/", 1)[-1] or "file"
            file_id = f"{kind}-fake-{next(self._file_ids)}"
            self.files[file_id] = UploadedFile(name, b"")
            return file_id, self.files[file_id]
        if upload is None:
            raise _bad(f"there is no {kind} in the request")
        raise _bad("wrong file identifier/HTTP URL specified")

    def _caption(self, params: JSONDict) -> JSONDict:
        if params.get("caption") is None:
            return {}
        text, entities = render_text(
            params["caption"],
            params.get("parse_mode"),
            params.get("caption_entities"),
            caption=True,
        )
        return {"caption": text, "caption_entities": entities}

    # ---------------------------------------------------------------- methods: bot & updates

    def _get_me(self, params: JSONDict) -> JSONDict:
        return {
            **self.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": True,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    def _confirm_and_filter(self, params: JSONDict) -> None:
        offset = params.get("offset")
        if isinstance(offset, int) and offset < 0:
            self._updates = self._updates[offset:]
        elif isinstance(offset, int):
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        allowed = params.get("allowed_updates")
        if isinstance(allowed, list):
            self._allowed_updates = frozenset(allowed) or _DEFAULT_UPDATE_TYPES
        self._updates = [
            u
            for u in self._updates
            if any(k in self._allowed_updates for k in u if k != "update_id")
        ]

    async def _get_updates(self, params: JSONDict) -> list[JSONDict]:
        if self.webhook.get("url"):
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        limit = params.get("limit", 100)
        limit = limit if isinstance(limit, int) and 1 <= limit <= 100 else 100
        timeout = params.get("timeout", 0)
        timeout = float(timeout) if isinstance(timeout, int | float) else 0.0
        self._confirm_and_filter(params)
        if self._active_poll is not None and not self._active_poll.done():
            self._active_poll.set_result("conflict")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        waiter: asyncio.Future[str] | None = None
        try:
            while not self._updates and (remaining := deadline - loop.time()) > 0:
                waiter = loop.create_future()
                self._update_waiters.add(waiter)
                self._active_poll = waiter
                try:
                    reason = await asyncio.wait_for(waiter, remaining)
                except TimeoutError:
                    break
                finally:
                    self._update_waiters.discard(waiter)
                if reason == "conflict":
                    raise ApiError(
                        409,
                        "Conflict: terminated by other getUpdates request; make sure that "
                        "only one bot instance is running",
                    )
                if reason == "release":
                    break
                self._confirm_and_filter({})
        finally:
            if waiter is not None and self._active_poll is waiter:
                self._active_poll = None
        batch = copy.deepcopy(self._updates[:limit])
        if batch:
            self._delivered_max = max(self._delivered_max, batch[-1]["update_id"])
        return batch

    def _set_webhook(self, params: JSONDict) -> bool:
        url = params.get("url") or ""
        if url and not url.startswith("https://"):
            raise _bad("bad webhook: An HTTPS URL must be provided for webhook")
        self.webhook = {"url": url, "secret_token": params.get("secret_token")} if url else {}
        if params.get("drop_pending_updates"):
            self._updates.clear()
        return True

    def _delete_webhook(self, params: JSONDict) -> bool:
        self.webhook = {}
        if params.get("drop_pending_updates"):
            self._updates.clear()
        return True

    def _get_webhook_info(self, params: JSONDict) -> JSONDict:
        return {
            "url": self.webhook.get("url", ""),
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }

    @staticmethod
    def _commands_key(params: JSONDict) -> tuple[str, str]:
        scope = params.get("scope") or {"type": "default"}
        if not isinstance(scope, dict) or scope.get("type") not in _COMMAND_SCOPES:
            raise _bad("wrong bot command scope type specified")
        key = scope["type"]
        for extra in ("chat_id", "user_id"):
            if extra in scope:
                key += f":{scope[extra]}"
        language = params.get("language_code") or ""
        if language and not re.fullmatch(r"[a-z]{2}", language):
            raise _bad("LANG_CODE_INVALID")
        return key, language

    def _set_my_commands(self, params: JSONDict) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list):
            raise _bad("commands is empty")
        if len(commands) > 100:
            raise _bad("BOT_COMMANDS_TOO_MUCH")
        for command in commands:
            if not isinstance(command, dict):
                raise _bad("BOT_COMMAND_INVALID")
            if not re.fullmatch(r"[a-z0-9_]{1,32}", str(command.get("command", ""))):
                raise _bad("BOT_COMMAND_INVALID")
            description = command.get("description")
            if not isinstance(description, str) or not 1 <= len(description.strip()) <= 256:
                raise _bad("BOT_COMMAND_DESCRIPTION_INVALID")
        key = self._commands_key(params)
        if commands:
            self.commands[key] = [
                {"command": c["command"], "description": c["description"]} for c in commands
            ]
        else:
            self.commands.pop(key, None)
        return True

    def _get_my_commands(self, params: JSONDict) -> list[JSONDict]:
        return copy.deepcopy(self.commands.get(self._commands_key(params), []))

    def _delete_my_commands(self, params: JSONDict) -> bool:
        self.commands.pop(self._commands_key(params), None)
        return True

    def _set_chat_menu_button(self, params: JSONDict) -> bool:
        chat_id = params.get("chat_id")
        if chat_id is not None:
            chat_id = self._target_chat(params)
        button = params.get("menu_button") or {"type": "default"}
        if not isinstance(button, dict) or button.get("type") not in (
            "default",
            "commands",
            "web_app",
        ):
            raise _bad("can't parse menu button")
        self.menu_buttons[chat_id] = button
        return True

    def _get_chat_menu_button(self, params: JSONDict) -> JSONDict:
        chat_id = params.get("chat_id")
        return copy.deepcopy(
            self.menu_buttons.get(chat_id, self.menu_buttons.get(None, {"type": "default"}))
        )

    def _setting(self, name: str) -> Callable[[JSONDict], bool]:
        def setter(params: JSONDict) -> bool:
            self.settings.setdefault(name, {})[params.get("language_code") or ""] = (
                params.get(name) or ""
            )
            return True

        return setter

    def _getting(self, name: str) -> Callable[[JSONDict], JSONDict]:
        def getter(params: JSONDict) -> JSONDict:
            values = self.settings.get(name, {})
            return {name: values.get(params.get("language_code") or "", values.get("", ""))}

        return getter

    def _send_chat_action(self, params: JSONDict) -> bool:
        self._target_chat(params)
        if params.get("action") not in _CHAT_ACTIONS:
            raise _bad("wrong parameter action in request")
        return True

    def _get_chat(self, params: JSONDict) -> JSONDict:
        value = params.get("chat_id")
        if not isinstance(value, int) or value not in self.known_chats:
            raise _bad("chat not found")
        return {
            **self.known_chats[value],
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        }

    def _get_file(self, params: JSONDict) -> JSONDict:
        file_id = params.get("file_id")
        if file_id not in self.files:
            raise _bad("invalid file_id")
        return {
            "file_id": file_id,
            "file_unique_id": f"u{file_id}",
            "file_size": self.files[file_id].size,
            "file_path": f"files/{file_id}",
        }

    # ---------------------------------------------------------------- methods: messages

    def _send_message(self, params: JSONDict) -> JSONDict:
        chat_id = self._target_chat(params)
        text, entities = render_text(
            params.get("text"), params.get("parse_mode"), params.get("entities")
        )
        return self._add_bot_message(chat_id, params, text=text, entities=entities)

    def _send_location(self, params: JSONDict) -> JSONDict:
        chat_id = self._target_chat(params)
        return self._add_bot_message(chat_id, params, location=self._location(params))

    def _send_venue(self, params: JSONDict) -> JSONDict:
        chat_id = self._target_chat(params)
        location = self._location(params)
        for name in ("title", "address"):
            if not isinstance(params.get(name), str) or not params[name].strip():
                raise _bad(f"{name} is empty")
        venue = {"location": location, "title": params["title"], "address": params["address"]}
        for name in ("foursquare_id", "foursquare_type", "google_place_id", "google_place_type"):
            if params.get(name):
                venue[name] = params[name]
        return self._add_bot_message(chat_id, params, venue=venue, location=location)

    @staticmethod
    def _location(params: JSONDict) -> JSONDict:
        lat, lon = params.get("latitude"), params.get("longitude")
        if not isinstance(lat, int | float) or not -90 <= lat <= 90:
            raise _bad("wrong latitude specified")
        if not isinstance(lon, int | float) or not -180 <= lon <= 180:
            raise _bad("wrong longitude specified")
        return {"latitude": float(lat), "longitude": float(lon)}

    def _send_document(self, params: JSONDict) -> JSONDict:
        chat_id = self._target_chat(params)
        file_id, upload = self._store_file(params.get("document"), "document")
        document = {
            "file_id": file_id,
            "file_unique_id": f"u{file_id}",
            "file_name": upload.filename,
            "file_size": upload.size,
        }
        if upload.mime_type:
            document["mime_type"] = upload.mime_type
        return self._add_bot_message(chat_id, params, document=document, **self._caption(params))

    def _send_photo(self, params: JSONDict) -> JSONDict:
        chat_id = self._target_chat(params)
        file_id, upload = self._store_file(params.get("photo"), "photo")
        size = _image_size(upload.data) if upload.data else None
        width, height = size or (320, 320)
        photo = [
            {
                "file_id": file_id,
                "file_unique_id": f"u{file_id}",
                "width": width,
                "height": height,
                "file_size": upload.size,
            }
        ]
        return self._add_bot_message(chat_id, params, photo=photo, **self._caption(params))

    def _copy_message(self, params: JSONDict) -> JSONDict:
        source = self._stored_message(params, "message to copy not found", "from_chat_id")
        chat_id = self._target_chat(params)
        content = {k: copy.deepcopy(source[k]) for k in _CONTENT_KEYS if k in source}
        if "caption" in params:
            content.pop("caption", None)
            content.pop("caption_entities", None)
            content.update(self._caption(params))
        message = self._add_bot_message(chat_id, params, **content)
        return {"message_id": message["message_id"]}

    def _forward_message(self, params: JSONDict) -> JSONDict:
        source = self._stored_message(params, "message to forward not found", "from_chat_id")
        chat_id = self._target_chat(params)
        content = {k: copy.deepcopy(source[k]) for k in _CONTENT_KEYS if k in source}
        origin = {"type": "user", "sender_user": source.get("from"), "date": source["date"]}
        return self._add_bot_message(
            chat_id, {"reply_markup": None}, forward_origin=origin, **content
        )

    def _editable(self, params: JSONDict) -> JSONDict | None:
        """The stored bot message an edit targets; None for inline messages."""
        if params.get("inline_message_id"):
            return None
        if params.get("chat_id") in self.blocked_chats:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        message = self._stored_message(params, "message to edit not found")
        if message.get("from", {}).get("id") != self.bot_id:
            raise _bad("message can't be edited")
        return message

    @staticmethod
    def _inline_markup(params: JSONDict) -> JSONDict | None:
        markup = check_reply_markup(params.get("reply_markup"))
        if markup is not None and "inline_keyboard" not in markup:
            raise _bad("inline keyboard expected")
        return markup

    def _apply_edit(self, message: JSONDict, content: JSONDict, markup: JSONDict | None) -> None:
        current = {k: message.get(k) or None for k in (*content, "reply_markup")}
        new = {**{k: v or None for k, v in content.items()}, "reply_markup": markup}
        if current == new:
            raise _bad(_NOT_MODIFIED)
        for key, value in new.items():
            if value:
                message[key] = value
            else:
                message.pop(key, None)
        message["edit_date"] = int(time.time())

    def _edit_message_text(self, params: JSONDict) -> JSONDict | bool:
        message = self._editable(params)
        text, entities = render_text(
            params.get("text"), params.get("parse_mode"), params.get("entities")
        )
        markup = self._inline_markup(params)
        if message is None:
            return True
        if "text" not in message:
            raise _bad("there is no text in the message to edit")
        self._apply_edit(message, {"text": text, "entities": entities}, markup)
        return copy.deepcopy(message)

    def _edit_message_caption(self, params: JSONDict) -> JSONDict | bool:
        message = self._editable(params)
        content = self._caption(params) or {"caption": None, "caption_entities": None}
        markup = self._inline_markup(params)
        if message is None:
            return True
        if not any(k in message for k in ("document", "photo")):
            raise _bad("there is no caption in the message to edit")
        self._apply_edit(message, content, markup)
        return copy.deepcopy(message)

    def _edit_message_reply_markup(self, params: JSONDict) -> JSONDict | bool:
        message = self._editable(params)
        markup = self._inline_markup(params)
        if message is None:
            return True
        self._apply_edit(message, {}, markup)
        return copy.deepcopy(message)

    def _delete_message(self, params: JSONDict) -> bool:
        message = self._stored_message(params, "message to delete not found")
        key = (message["chat"]["id"], message["message_id"])
        del self._messages[key]
        self.deleted_messages.append(key)
        return True

    def _answer_callback_query(self, params: JSONDict) -> bool:
        query_id = params.get("callback_query_id")
        if query_id not in self._pending_callbacks:
            raise _bad(_QUERY_INVALID)
        text = params.get("text")
        if isinstance(text, str) and len(text) > CALLBACK_ANSWER_LIMIT:
            raise _bad("MESSAGE_TOO_LONG")
        if params.get("url") and not _valid_url(params["url"]):
            raise _bad("URL_INVALID")
        del self._pending_callbacks[query_id]
        self.callback_answers[query_id] = params
        return True

    def _answer_inline_query(self, params: JSONDict) -> bool:
        query_id = params.get("inline_query_id")
        if query_id not in self._pending_inline:
            raise _bad(_QUERY_INVALID)
        results = params.get("results")
        if not isinstance(results, list):
            raise _bad("results is empty")
        if len(results) > INLINE_RESULTS_LIMIT:
            raise _bad("RESULTS_TOO_MUCH")
        seen: set[str] = set()
        for result in results:
            if not isinstance(result, dict) or not result.get("type"):
                raise _bad("can't parse InlineQueryResult: type is empty")
            result_id = result.get("id")
            if not isinstance(result_id, str) or not 1 <= len(result_id.encode()) <= 64:
                raise _bad("RESULT_ID_INVALID")
            if result_id in seen:
                raise _bad("RESULT_ID_DUPLICATE")
            seen.add(result_id)
            if result["type"] == "article" and not result.get("title"):
                raise _bad("RESULT_TITLE_EMPTY")
            content = result.get("input_message_content")
            if isinstance(content, dict) and "message_text" in content:
                render_text(
                    content["message_text"], content.get("parse_mode"), content.get("entities")
                )
            check_reply_markup(result.get("reply_markup"))
        del self._pending_inline[query_id]
        self.inline_answers[query_id] = params
        return True


def _resolve(waiter: asyncio.Future[str], reason: str) -> None:
    if not waiter.done():
        waiter.set_result(reason)


# --------------------------------------------------------------------------------------------
# Transports


class FakeBotServer:
    """Serve a :class:`FakeBotAPI` over real HTTP on 127.0.0.1 (aiohttp)."""

    def __init__(self, api: FakeBotAPI, host: str = "127.0.0.1", port: int = 0) -> None:
        self.api = api
        self.host = host
        self.port = port
        self.url = ""
        self._runner: web.AppRunner | None = None

    async def start(self) -> str:
        """Start listening; returns the base_url for PTB (``http://127.0.0.1:PORT/bot``)."""
        app = web.Application(client_max_size=UPLOAD_LIMIT + 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        self._runner = web.AppRunner(
            app, shutdown_timeout=0.5, handler_cancellation=True, access_log=None
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = self._runner.addresses[0][1]
        self.url = f"http://{self.host}:{self.port}/bot"
        return self.url

    @property
    def file_url(self) -> str:
        """base_file_url for PTB, so that File.download_* works."""
        return f"http://{self.host}:{self.port}/file/bot"

    async def stop(self) -> None:
        """Stop the server (waiting long polls are released first)."""
        self.api.release_pollers()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> str:
        """Start; ``async with FakeBotServer(api) as base_url`` gives the base_url."""
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    async def _handle_api(self, request: web.Request) -> web.Response:
        raw: dict[str, Any] = dict(request.query)
        if request.method == "POST" and request.can_read_body:
            if request.content_type == "application/json":
                try:
                    body = await request.json()
                except ValueError:
                    body = None
                if not isinstance(body, dict):
                    return web.json_response(
                        _bad("can't parse JSON encoded request body").body(), status=400
                    )
                raw.update(body)
            else:
                form = await request.post()
                for name, value in form.items():
                    if isinstance(value, web.FileField):
                        raw[name] = UploadedFile(
                            value.filename, value.file.read(), value.content_type
                        )
                    else:
                        raw[name] = value
        status, body = await self.api.handle(
            request.match_info["token"], request.match_info["method"], raw
        )
        return web.json_response(body, status=status)

    async def _handle_file(self, request: web.Request) -> web.Response:
        status, data = self.api.download(request.match_info["token"], request.match_info["path"])
        return web.Response(body=data, status=status)


class InProcessRequest(BaseRequest):
    """A PTB request object that calls :meth:`FakeBotAPI.handle` directly, without sockets."""

    _URL = re.compile(r"/bot([^/]+)/([^/?]+)$")
    _FILE_URL = re.compile(r"/file/bot([^/]+)/(.+)$")

    def __init__(self, api: FakeBotAPI) -> None:
        self.api = api

    @property
    def read_timeout(self) -> float | None:
        """Default read timeout (unused: nothing is read from a socket)."""
        return 5.0

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to tear down."""

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
        """Decode the request like the HTTP server would and answer it in process."""
        path = urlsplit(url).path
        if match := self._FILE_URL.search(path):  # PTB quotes the token's ":" here
            return self.api.download(unquote(match[1]), unquote(match[2]))
        match = self._URL.search(path)
        if match is None:
            return 404, b'{"ok":false,"error_code":404,"description":"Not Found"}'
        raw: dict[str, Any] = {}
        if request_data is not None:
            raw.update(request_data.json_parameters)
            for name, (filename, content, mime_type) in request_data.multipart_data.items():
                data = content if isinstance(content, bytes) else content.read()
                raw[name] = UploadedFile(filename, data, mime_type)
        status, body = await self.api.handle(match[1], match[2], raw)
        return status, json.dumps(body).encode()
