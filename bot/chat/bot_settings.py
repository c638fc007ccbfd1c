"""What the bot says about itself: getMe, the command lists per scope and language (checked
like Telegram checks them), the chat menu button, and the bot's name and descriptions per
language, kept in :class:`~bot.chat.api.FakeBotAPI` for tests to read.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable

from bot.chat.errors import JSONDict, bad_request

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


class BotSettingsMixin:
    """The profile methods of :class:`~bot.chat.api.FakeBotAPI` (its state is set up there)."""

    def _get_me(self, params: JSONDict) -> JSONDict:
        return {
            **self.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": True,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    @staticmethod
    def _commands_key(params: JSONDict) -> tuple[str, str]:
        scope = params.get("scope") or {"type": "default"}
        if not isinstance(scope, dict) or scope.get("type") not in _COMMAND_SCOPES:
            raise bad_request("wrong bot command scope type specified")
        key = scope["type"]
        for extra in ("chat_id", "user_id"):
            if extra in scope:
                key += f":{scope[extra]}"
        language = params.get("language_code") or ""
        if language and not re.fullmatch(r"[a-z]{2}", language):
            raise bad_request("LANG_CODE_INVALID")
        return key, language

    def _set_my_commands(self, params: JSONDict) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list):
            raise bad_request("commands is empty")
        if len(commands) > 100:
            raise bad_request("BOT_COMMANDS_TOO_MUCH")
        for command in commands:
            if not isinstance(command, dict):
                raise bad_request("BOT_COMMAND_INVALID")
            if not re.fullmatch(r"[a-z0-9_]{1,32}", str(command.get("command", ""))):
                raise bad_request("BOT_COMMAND_INVALID")
            description = command.get("description")
            if not isinstance(description, str) or not 1 <= len(description.strip()) <= 256:
                raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
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
            raise bad_request("can't parse menu button")
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
