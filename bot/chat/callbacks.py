"""Callback and inline queries: the user presses an inline button or types ``@bot query``,
and the bot answers once (answerCallbackQuery, answerInlineQuery), with Telegram's checks
of unknown or already answered queries, answer lengths, URLs and inline results.
"""

from __future__ import annotations

import copy

from bot.chat.errors import JSONDict, bad_request
from bot.chat.html_checks import render_text
from bot.chat.markup import check_reply_markup, valid_url

CALLBACK_ANSWER_LIMIT = 200
INLINE_RESULTS_LIMIT = 50

_QUERY_INVALID = "query is too old and response timeout expired or query ID is invalid"


class CallbacksMixin:
    """The query methods of :class:`~bot.chat.api.FakeBotAPI` (its state is set up there)."""

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

    def _answer_callback_query(self, params: JSONDict) -> bool:
        query_id = params.get("callback_query_id")
        if query_id not in self._pending_callbacks:
            raise bad_request(_QUERY_INVALID)
        text = params.get("text")
        if isinstance(text, str) and len(text) > CALLBACK_ANSWER_LIMIT:
            raise bad_request("MESSAGE_TOO_LONG")
        if params.get("url") and not valid_url(params["url"]):
            raise bad_request("URL_INVALID")
        del self._pending_callbacks[query_id]
        self.callback_answers[query_id] = params
        return True

    def _answer_inline_query(self, params: JSONDict) -> bool:
        query_id = params.get("inline_query_id")
        if query_id not in self._pending_inline:
            raise bad_request(_QUERY_INVALID)
        results = params.get("results")
        if not isinstance(results, list):
            raise bad_request("results is empty")
        if len(results) > INLINE_RESULTS_LIMIT:
            raise bad_request("RESULTS_TOO_MUCH")
        seen: set[str] = set()
        for result in results:
            if not isinstance(result, dict) or not result.get("type"):
                raise bad_request("can't parse InlineQueryResult: type is empty")
            result_id = result.get("id")
            if not isinstance(result_id, str) or not 1 <= len(result_id.encode()) <= 64:
                raise bad_request("RESULT_ID_INVALID")
            if result_id in seen:
                raise bad_request("RESULT_ID_DUPLICATE")
            seen.add(result_id)
            if result["type"] == "article" and not result.get("title"):
                raise bad_request("RESULT_TITLE_EMPTY")
            content = result.get("input_message_content")
            if isinstance(content, dict) and "message_text" in content:
                render_text(
                    content["message_text"], content.get("parse_mode"), content.get("entities")
                )
            check_reply_markup(result.get("reply_markup"))
        del self._pending_inline[query_id]
        self.inline_answers[query_id] = params
        return True
