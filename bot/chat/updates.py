"""The update queue: what a user does (writes, shares a location, starts the bot, blocks it)
becomes a queued update; the bot fetches updates by long polling (getUpdates with
``offset``/``limit``/``timeout``, a second poll ends the first with 409), or sets a webhook,
which is stored and never called.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import time
from typing import Any

from bot.chat.errors import ApiError, JSONDict, bad_request
from bot.chat.html_checks import utf16_len

DEFAULT_UPDATE_TYPES = frozenset(
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


class UpdatesMixin:
    """The update methods of :class:`~bot.chat.api.FakeBotAPI` (its state is set up there)."""

    # ---------------------------------------------------------------- what the user does

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
        reply_to: dict | None = None,
    ) -> dict:
        """The user writes ``text`` (a ``/command`` gets its bot_command entity), in reply
        to the message ``reply_to`` when given."""
        message = self._user_message(user_id, language_code, first_name, chat_id, text=text)
        if reply_to is not None:
            message["reply_to_message"] = reply_to
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

    # ---------------------------------------------------------------- users and chats

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

    # ---------------------------------------------------------------- polling and webhook

    @property
    def polling(self) -> bool:
        """True while a getUpdates long poll is waiting for updates."""
        return self._active_poll is not None and not self._active_poll.done()

    def _wake_pollers(self, reason: str) -> None:
        for waiter in list(self._update_waiters):
            if not waiter.done():
                with contextlib.suppress(RuntimeError):  # the waiter's loop is closed
                    waiter.get_loop().call_soon_threadsafe(_resolve, waiter, reason)

    def release_pollers(self) -> None:
        """Make waiting long polls return now (used when the server stops)."""
        self._wake_pollers("release")

    def _confirm_and_filter(self, params: JSONDict) -> None:
        offset = params.get("offset")
        if isinstance(offset, int) and offset < 0:
            self._updates = self._updates[offset:]
        elif isinstance(offset, int):
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        allowed = params.get("allowed_updates")
        if isinstance(allowed, list):
            self._allowed_updates = frozenset(allowed) or DEFAULT_UPDATE_TYPES
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
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
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


def _resolve(waiter: asyncio.Future[str], reason: str) -> None:
    if not waiter.done():
        waiter.set_result(reason)
