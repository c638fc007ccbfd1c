"""`returnbot chat`: the very same Application and handlers, talking to the terminal.

Each input line becomes a Telegram update that the application processes; the bot's
requests go to an in-process fake Bot API (no sockets) and are printed as they would
appear: texts, edits, buttons (numbered for `/press N`), locations, files and alerts; a
photo the bot sends is saved to a temporary folder and its path printed, to open it there.
`/file PATH [caption]` sends a file from disk as a document, as an admin sends a dataset
to import; a line ending in a backslash goes on on the next line, in the same message (a
broadcast's `az:` / `en:` / `ru:` parts).
"""

from __future__ import annotations

import asyncio
import html
import mimetypes
import re
import shlex
import sys
import tempfile
from pathlib import Path
from typing import Any, TextIO

from telegram import Update

from bot.app import build_application, started
from bot.chat.api import FakeBotAPI
from bot.chat.files import UploadedFile
from bot.chat.transports import InProcessRequest
from bot.config import Settings

HELP = (
    "returnbot chat — type a place name or a /command; /press N presses button N; "
    "/file PATH [caption] sends a file; a line ending in \\ goes on in the same message; "
    "/quit ends."
)
_TAG = re.compile(r"<[^>]+>")


def plain(text: str) -> str:
    """HTML message text as a terminal shows it."""
    return html.unescape(_TAG.sub("", text))


class Terminal:
    """Turns input lines into updates and the bot's calls into printed output."""

    def __init__(self, api: FakeBotAPI, user_id: int, language: str | None, out: TextIO) -> None:
        self.api, self.user_id, self.language, self.out = api, user_id, language, out
        self.seen = 0
        self.buttons: list[tuple[dict[str, Any], dict[str, Any]]] = []  # (message, button)
        self.folder: Path | None = None  # where photos are saved, made at the first one

    def update_for(self, line: str) -> dict[str, Any] | None:
        if re.match(r"/file(\s|$)", line):
            return self.send_file(line.removeprefix("/file"))
        match = re.fullmatch(r"/press\s+(\d+)", line)
        if not match:
            return self.api.send_text(line, user_id=self.user_id, language_code=self.language)
        number = int(match.group(1))
        if not 1 <= number <= len(self.buttons):
            self.write(f"(no button {number}; the last reply has {len(self.buttons)})")
            return None
        message, button = self.buttons[number - 1]
        if "callback_data" not in button:
            self.write(f"(opens {button.get('url') or button.get('switch_inline_query', '')})")
            return None
        return self.api.press(
            message, button["callback_data"], user_id=self.user_id, language_code=self.language
        )

    def send_file(self, arguments: str) -> dict[str, Any] | None:
        """`PATH [caption]` (shell quoting for spaces): the file as the user's document."""
        try:
            path, *caption = shlex.split(arguments)
        except ValueError:
            path, caption = "", []
        if not path:
            self.write("(usage: /file PATH [caption])")
            return None
        file = Path(path).expanduser()
        try:
            data = file.read_bytes()
        except OSError as error:
            self.write(f"(cannot read {file}: {error.strerror or error})")
            return None
        return self.api.send_document(
            file.name,
            data,
            user_id=self.user_id,
            language_code=self.language,
            mime_type=mimetypes.guess_type(file.name)[0],
            caption=" ".join(caption) or None,
        )

    def show_new_calls(self) -> None:
        calls, self.seen = self.api.calls[self.seen :], len(self.api.calls)
        for call in calls:
            if call.status != 200:
                self.write(f"(Bot API refused {call.method}: {call.status})")
            elif call.method in ("sendMessage", "editMessageText"):
                prefix = "" if call.method == "sendMessage" else "(edited) "
                self.write(prefix + plain(call.params.get("text", "")))
                self.show_buttons(call.result, call.params.get("reply_markup"))
            elif call.method == "editMessageReplyMarkup":
                self.show_buttons(call.result, call.params.get("reply_markup"))
            elif call.method in ("sendVenue", "sendLocation"):
                p = call.params
                self.write(f"📍 {p.get('title', '')} ({p['latitude']}, {p['longitude']})".strip())
            elif call.method == "sendDocument":
                document = call.params.get("document")
                if isinstance(document, UploadedFile):
                    document = f"{document.filename} ({len(document.data):,} bytes)"
                self.write(f"📎 {document or 'file'}")
                if call.params.get("caption"):
                    self.write(plain(call.params["caption"]))
            elif call.method == "sendPhoto":
                self.write(f"🖼 {self.save_photo(call.result)}")
                if call.params.get("caption"):
                    self.write(plain(call.params["caption"]))
                self.show_buttons(call.result, call.params.get("reply_markup"))
            elif call.method == "answerCallbackQuery" and call.params.get("text"):
                self.write(f"[{plain(call.params['text'])}]")

    def save_photo(self, message: dict[str, Any]) -> str:
        """Save the photo of the bot's `message` to a file; its path, size and dimensions."""
        largest = message["photo"][-1]
        if self.folder is None:
            self.folder = Path(tempfile.mkdtemp(prefix="returnbot-chat-"))
        data = self.api.file_bytes(largest["file_id"])
        suffix = ".png" if data.startswith(b"\x89PNG") else ".jpg"
        path = self.folder / f"photo-{message['message_id']}{suffix}"
        path.write_bytes(data)
        kb = -(-largest.get("file_size", 0) // 1024)
        return f"{path} ({largest['width']}×{largest['height']}, {kb} KB)"

    def show_buttons(self, message: Any, markup: Any) -> None:
        rows = (markup or {}).get("inline_keyboard") if isinstance(markup, dict) else None
        if not rows or not isinstance(message, dict):
            return
        self.buttons = []
        for row in rows:
            labels = []
            for button in row:
                self.buttons.append((message, button))
                labels.append(f"[{len(self.buttons)}] {button['text']}")
            self.write("  ".join(labels))

    def write(self, text: str) -> None:
        print(text, file=self.out, flush=True)


async def _message(stdin: TextIO) -> str | None:
    """The next message typed: one line, or several joined where a line ends in `\\`; None
    at the end of the input."""
    lines: list[str] = []
    while True:
        line = await asyncio.to_thread(stdin.readline)
        if not line:
            return "\n".join(lines) if lines else None
        line = line.strip()
        if not line.endswith("\\"):
            return "\n".join([*lines, line]).strip()
        lines.append(line.removesuffix("\\").rstrip())


async def run_chat(
    settings: Settings,
    *,
    language: str | None,
    user_id: int,
    stdin: TextIO = sys.stdin,
    stdout: TextIO = sys.stdout,
) -> int:
    """Read lines until EOF or /quit; answer each through the real handlers."""
    api = FakeBotAPI()
    settings = settings.model_copy(update={"telegram_bot_token": api.token})
    application = build_application(settings, request=InProcessRequest(api))
    terminal = Terminal(api, user_id, language or settings.default_language, stdout)
    async with started(application, poll=False):
        terminal.seen = len(api.calls)
        if stdin.isatty():
            terminal.write(HELP)
        while True:
            line = await _message(stdin)
            if line is None:
                break
            if line in ("/quit", "/exit"):
                break
            if not line:
                continue
            update = terminal.update_for(line)
            if update is not None:
                await application.process_update(Update.de_json(update, application.bot))
            terminal.show_new_calls()
            if stdin.isatty():
                terminal.write("")
    return 0
