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
from typing import TextIO

from pythonjsonlogger.json import JsonFormatter

# chatty libraries that log each HTTP request or each job run at INFO
QUIET_LOGGERS = ("httpx", "httpcore", "apscheduler", "aiohttp.access")


def configure(level: int = logging.INFO, stream: TextIO | None = None) -> None:
    """Send every log record to `stream` (stderr) as one JSON line."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(
        JsonFormatter(
            "%(asctime)s %(levelname)s %(name)s %(message)s",
            rename_fields={
                "asctime": "time",
                "levelname": "level",
                "name": "logger",
                "message": "event",
            },
        )
    )
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)


def user_key(token: str) -> bytes:
    """The key users are hashed with: derived from the bot token, so every replica of one
    bot writes the same hash for one user (logs can be correlated) while the hash cannot be
    turned back into the id by trying all ids without the token."""
    return hashlib.sha256(b"returnbot-log-user:" + token.encode()).digest()


def hash_user(user_id: int, key: bytes) -> str:
    """A short, stable, keyed pseudonym for a Telegram user id."""
    return hmac.new(key, str(user_id).encode(), hashlib.sha256).hexdigest()[:16]
