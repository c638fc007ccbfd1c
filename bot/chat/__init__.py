"""The terminal chat (``returnbot chat``, in :mod:`bot.chat.terminal`) and the in-process
fake Telegram Bot API that it, the tests and the benchmarks talk to: :mod:`bot.chat.api`
holds :class:`FakeBotAPI`, the other modules one area each (see ``docs/fake-bot-api.md``).
"""

from bot.chat.api import FakeBotAPI
from bot.chat.files import UploadedFile
from bot.chat.transports import FakeBotServer, InProcessRequest

__all__ = ["FakeBotAPI", "FakeBotServer", "InProcessRequest", "UploadedFile"]
