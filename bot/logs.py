"""Structured logs for `returnbot run`: one JSON object per line, one line per event.

Every record carries `time`, `level`, `logger` and `event` (the message); handled updates add
`update_id`, `update_type`, `user` (a keyed hash, never the Telegram id), `handler`,
`latency_ms` and `outcome`. A log collector can index the fields without parsing prose.
`returnbot chat` keeps the plain, quiet format: its output is for a person.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import sys
import time
from functools import lru_cache
from typing import TextIO

from pythonjsonlogger.json import JsonFormatter

# chatty libraries that log each HTTP request or each job run at INFO
QUIET_LOGGERS = ("httpx", "httpcore", "apscheduler", "aiohttp.access", "alembic.runtime.plugins")


class JsonLines(JsonFormatter):
    """`time`, `level`, `logger`, `event`, then the record's extra fields, as one JSON object.

    A plain record (no exception, no stack, a string message: one per handled update) takes
    a short path with the same output; any other goes through python-json-logger's own."""

    def __init__(self) -> None:
        super().__init__(
            "%(asctime)s %(levelname)s %(name)s %(message)s",
            rename_fields={
                "asctime": "time",
                "levelname": "level",
                "name": "logger",
                "message": "event",
            },
        )
        self._second: tuple[int, str] = (-1, "")

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        """`2026-11-26 21:00:59,724` (local time), the date and time part made once a second."""
        if datefmt:
            return super().formatTime(record, datefmt)
        second, stamp = self._second
        if int(record.created) != second:
            second = int(record.created)
            stamp = time.strftime(self.default_time_format, self.converter(record.created))
            self._second = (second, stamp)
        return self.default_msec_format % (stamp, record.msecs)

    def format(self, record: logging.LogRecord) -> str:
        if record.exc_info or record.exc_text or record.stack_info or isinstance(record.msg, dict):
            return super().format(record)
        record.message = record.getMessage()
        record.asctime = self.formatTime(record)
        data = {
            "time": record.asctime,
            "level": record.levelname,
            "logger": record.name,
            "event": record.message,
        }
        skip = self._skip_fields
        for key, value in record.__dict__.items():
            if key not in skip and not (isinstance(key, str) and key.startswith("_")):
                data[key] = value
        return self.serialize_log_record(data)


def configure(level: int = logging.INFO, stream: TextIO | None = None) -> None:
    """Send every log record to `stream` (stderr) as one JSON line."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonLines())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    _quiet()


def configure_text(level: int = logging.INFO) -> None:
    """Plain text lines on stderr, for the command line and `python -m bot.delivery`."""
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    _quiet()


def _quiet() -> None:
    """Loggers that write a line per request or per plugin: warnings only."""
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)


def user_key(token: str) -> bytes:
    """The key users are hashed with: derived from the bot token, so every replica of one
    bot writes the same hash for one user (logs can be correlated) while the hash cannot be
    turned back into the id by trying all ids without the token."""
    return hashlib.sha256(b"returnbot-log-user:" + token.encode()).digest()


@lru_cache(maxsize=10_000)  # a user's updates come in bursts; HMAC costs more than a look-up
def hash_user(user_id: int, key: bytes) -> str:
    """A short, stable, keyed pseudonym for a Telegram user id."""
    return hmac.new(key, str(user_id).encode(), hashlib.sha256).hexdigest()[:16]
