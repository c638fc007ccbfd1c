"""Chats and the bot's messages: finding the target chat (unknown, blocked), sending texts,
locations and venues, copying and forwarding, editing ("message is not modified" when
nothing changes), deleting, chat actions and getChat, with Telegram's error texts.
"""

from __future__ import annotations

import copy
import time
from typing import Any

from bot.chat.errors import ApiError, JSONDict, bad_request
from bot.chat.html_checks import render_text
from bot.chat.markup import check_reply_markup

_BLOCKED = "Forbidden: bot was blocked by the user"
_NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
_CONTENT_KEYS = ("text", "entities", "caption", "caption_entities", "document", "photo")
_CONTENT_KEYS += ("location", "venue", "voice", "video", "audio", "animation", "sticker")

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


class MessagesMixin:
    """The message methods of :class:`~bot.chat.api.FakeBotAPI` (its state is set up there)."""

    # ---------------------------------------------------------------- chats and stored messages

    def _target_chat(self, params: JSONDict, name: str = "chat_id") -> int:
        value = params.get(name)
        if value is None or value == "":
            raise bad_request(f"{name} is empty")
        if isinstance(value, str):
            matches = [
                cid for cid, chat in self.known_chats.items() if f"@{chat.get('username')}" == value
            ]
            value = matches[0] if matches else None
        if value in self.blocked_chats:
            raise ApiError(403, _BLOCKED)
        if not isinstance(value, int) or value not in self.known_chats:
            raise bad_request("chat not found")
        return value

    def _stored_message(
        self, params: JSONDict, missing: str, chat_key: str = "chat_id"
    ) -> JSONDict:
        chat_id = params.get(chat_key)
        message_id = params.get("message_id")
        message = self._messages.get((chat_id, message_id))  # type: ignore[arg-type]
        if message is None:
            if chat_id not in self.known_chats:
                raise bad_request("chat not found")
            raise bad_request(missing)
        return message

    def _add_bot_message(self, chat_id: int, params: JSONDict, **content: Any) -> JSONDict:
        markup = check_reply_markup(params.get("reply_markup"))
        thread = self._thread_of(chat_id, params)
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
        if thread is not None:
            message.update(message_thread_id=thread, is_topic_message=True)
        message.update({k: v for k, v in content.items() if v not in (None, [], "")})
        if markup is not None:
            if "inline_keyboard" in markup:
                message["reply_markup"] = markup
            elif "keyboard" in markup:
                self.reply_keyboards[chat_id] = markup
            elif markup.get("remove_keyboard"):
                self.reply_keyboards.pop(chat_id, None)
            elif markup.get("force_reply"):
                self.force_replies[chat_id] = message["message_id"]
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
            raise bad_request("message to be replied not found")
        return target

    @staticmethod
    def _text(params: JSONDict) -> tuple[str, list[JSONDict]]:
        return render_text(params.get("text"), params.get("parse_mode"), params.get("entities"))

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

    # ---------------------------------------------------------------- chats

    def _send_chat_action(self, params: JSONDict) -> bool:
        self._target_chat(params)
        if params.get("action") not in _CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        return True

    def _get_chat(self, params: JSONDict) -> JSONDict:
        value = params.get("chat_id")
        if not isinstance(value, int) or value not in self.known_chats:
            raise bad_request("chat not found")
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

    # ---------------------------------------------------------------- sending

    def _send_message(self, params: JSONDict) -> JSONDict:
        chat_id = self._target_chat(params)
        text, entities = self._text(params)
        return self._add_bot_message(chat_id, params, text=text, entities=entities)

    def _send_location(self, params: JSONDict) -> JSONDict:
        chat_id = self._target_chat(params)
        return self._add_bot_message(chat_id, params, location=self._location(params))

    def _send_venue(self, params: JSONDict) -> JSONDict:
        chat_id = self._target_chat(params)
        location = self._location(params)
        for name in ("title", "address"):
            if not isinstance(params.get(name), str) or not params[name].strip():
                raise bad_request(f"{name} is empty")
        venue = {"location": location, "title": params["title"], "address": params["address"]}
        for name in ("foursquare_id", "foursquare_type", "google_place_id", "google_place_type"):
            if params.get(name):
                venue[name] = params[name]
        return self._add_bot_message(chat_id, params, venue=venue, location=location)

    @staticmethod
    def _location(params: JSONDict) -> JSONDict:
        lat, lon = params.get("latitude"), params.get("longitude")
        if not isinstance(lat, int | float) or not -90 <= lat <= 90:
            raise bad_request("wrong latitude specified")
        if not isinstance(lon, int | float) or not -180 <= lon <= 180:
            raise bad_request("wrong longitude specified")
        return {"latitude": float(lat), "longitude": float(lon)}

    def _source_content(self, params: JSONDict, missing: str) -> tuple[JSONDict, int, JSONDict]:
        """(source message, target chat, copied content) of a copy or a forward."""
        source = self._stored_message(params, missing, "from_chat_id")
        chat_id = self._target_chat(params)
        content = {k: copy.deepcopy(source[k]) for k in _CONTENT_KEYS if k in source}
        if not content:  # a service message (a topic created, a member joined…)
            raise bad_request("message can't be copied")
        return source, chat_id, content

    def _copy_message(self, params: JSONDict) -> JSONDict:
        _, chat_id, content = self._source_content(params, "message to copy not found")
        if "caption" in params:
            content.pop("caption", None)
            content.pop("caption_entities", None)
            content.update(self._caption(params))
        message = self._add_bot_message(chat_id, params, **content)
        return {"message_id": message["message_id"]}

    def _forward_message(self, params: JSONDict) -> JSONDict:
        source, chat_id, content = self._source_content(params, "message to forward not found")
        origin = {"type": "user", "sender_user": source.get("from"), "date": source["date"]}
        return self._add_bot_message(
            chat_id, {"reply_markup": None}, forward_origin=origin, **content
        )

    # ---------------------------------------------------------------- editing and deleting

    def _editable(self, params: JSONDict) -> JSONDict | None:
        """The stored bot message an edit targets; None for inline messages."""
        if params.get("inline_message_id"):
            return None
        if params.get("chat_id") in self.blocked_chats:
            raise ApiError(403, _BLOCKED)
        message = self._stored_message(params, "message to edit not found")
        if message.get("from", {}).get("id") != self.bot_id:
            raise bad_request("message can't be edited")
        return message

    @staticmethod
    def _inline_markup(params: JSONDict) -> JSONDict | None:
        markup = check_reply_markup(params.get("reply_markup"))
        if markup is not None and "inline_keyboard" not in markup:
            raise bad_request("inline keyboard expected")
        return markup

    def _apply_edit(self, message: JSONDict, content: JSONDict, markup: JSONDict | None) -> None:
        current = {k: message.get(k) or None for k in (*content, "reply_markup")}
        new = {**{k: v or None for k, v in content.items()}, "reply_markup": markup}
        if current == new:
            raise bad_request(_NOT_MODIFIED)
        for key, value in new.items():
            if value:
                message[key] = value
            else:
                message.pop(key, None)
        message["edit_date"] = int(time.time())

    def _edit_message_text(self, params: JSONDict) -> JSONDict | bool:
        message = self._editable(params)
        text, entities = self._text(params)
        markup = self._inline_markup(params)
        if message is None:
            return True
        if "text" not in message:
            raise bad_request("there is no text in the message to edit")
        self._apply_edit(message, {"text": text, "entities": entities}, markup)
        return copy.deepcopy(message)

    def _edit_message_caption(self, params: JSONDict) -> JSONDict | bool:
        message = self._editable(params)
        content = self._caption(params) or {"caption": None, "caption_entities": None}
        markup = self._inline_markup(params)
        if message is None:
            return True
        if not any(k in message for k in ("document", "photo")):
            raise bad_request("there is no caption in the message to edit")
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
