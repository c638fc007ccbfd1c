"""Forum supergroups and their topics, as Telegram keeps them: `add_forum` makes one (the
bot an admin there, with or without can_manage_topics); createForumTopic works only in a
forum where the bot may manage topics, with a name of 1-128 characters, and leaves the
"topic created" service message whose id is the topic's `message_thread_id`;
closeForumTopic; a `message_thread_id` must name a topic of that chat; `post_in_topic` is
a member writing in a topic.
"""

from __future__ import annotations

from typing import Any

from bot.chat.errors import JSONDict, bad_request

TOPIC_NAME_LIMIT = 128
DEFAULT_ICON_COLOR = 7322096


class ForumsMixin:
    """The forum methods of :class:`~bot.chat.api.FakeBotAPI` (its state is set up there)."""

    # ---------------------------------------------------------------- what a test sets up

    def add_forum(
        self,
        chat_id: int,
        *,
        title: str = "Support",
        forum: bool = True,
        bot_admin: bool = True,
        can_manage_topics: bool = True,
    ) -> JSONDict:
        """A supergroup (with topics when `forum`) the bot is a member of."""
        chat = {"id": chat_id, "type": "supergroup", "title": title}
        if forum:
            chat["is_forum"] = True
        self.known_chats[chat_id] = chat
        self.bot_rights[chat_id] = {"admin": bot_admin, "can_manage_topics": can_manage_topics}
        return dict(chat)

    def post_in_topic(
        self,
        chat_id: int,
        thread_id: int,
        text: str,
        *,
        user_id: int,
        first_name: str = "Admin",
        language_code: str | None = "en",
    ) -> dict:
        """A member of the forum writes `text` in a topic."""
        self._topic(chat_id, thread_id)
        user = self._user(user_id, language_code, first_name)
        created = self._messages[(chat_id, thread_id)]
        message = {
            "message_id": self._next_message_id(chat_id),
            "from": user,
            "chat": dict(self.known_chats[chat_id]),
            "date": created["date"],
            "message_thread_id": thread_id,
            "is_topic_message": True,
            "reply_to_message": dict(created),
            "text": text,
        }
        if text.startswith("/"):
            command = text.split(maxsplit=1)[0]
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        return self.add_update({"message": message})

    def topic_messages(self, chat_id: int, thread_id: int) -> list[JSONDict]:
        """The bot's messages in one topic, in order."""
        return [m for m in self.bot_messages(chat_id) if m.get("message_thread_id") == thread_id]

    # ---------------------------------------------------------------- the Bot API methods

    def _topic(self, chat_id: Any, thread_id: Any) -> JSONDict:
        topic = self.topics.get((chat_id, thread_id))
        if topic is None:
            raise bad_request("message thread not found")
        return topic

    def _manages_topics(self, chat_id: int) -> None:
        chat = self.known_chats[chat_id]
        if chat.get("type") != "supergroup" or not chat.get("is_forum"):
            raise bad_request("the chat is not a forum")
        rights = self.bot_rights.get(chat_id, {})
        if not rights.get("admin") or not rights.get("can_manage_topics"):
            raise bad_request("not enough rights to manage topics")

    def _create_forum_topic(self, params: JSONDict) -> JSONDict:
        chat_id = self._target_chat(params)
        self._manages_topics(chat_id)
        name = params.get("name")
        if not isinstance(name, str) or not 1 <= len(name) <= TOPIC_NAME_LIMIT:
            raise bad_request("TOPIC_NAME_INVALID" if name else "TOPIC_TITLE_EMPTY")
        color = params.get("icon_color", DEFAULT_ICON_COLOR)
        created = {"name": name, "icon_color": color}
        service = self._add_bot_message(chat_id, {}, forum_topic_created=created)
        thread = service["message_id"]
        stored = self._messages[(chat_id, thread)]
        stored.update(message_thread_id=thread, is_topic_message=True)
        self.topics[(chat_id, thread)] = {"name": name, "icon_color": color, "closed": False}
        return {"message_thread_id": thread, "name": name, "icon_color": color}

    def _close_forum_topic(self, params: JSONDict) -> bool:
        chat_id = self._target_chat(params)
        self._manages_topics(chat_id)
        topic = self._topic(chat_id, params.get("message_thread_id"))
        if topic["closed"]:
            raise bad_request("TOPIC_NOT_MODIFIED")
        topic["closed"] = True
        return True

    def _thread_of(self, chat_id: int, params: JSONDict) -> int | None:
        """The topic a send goes to (checked), or None."""
        thread = params.get("message_thread_id")
        if thread is None:
            return None
        chat = self.known_chats[chat_id]
        if not chat.get("is_forum"):
            raise bad_request("message thread not found")
        self._topic(chat_id, thread)
        return thread
