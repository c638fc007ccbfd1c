"""Telegram's error answers as the fake Bot API gives them: :class:`ApiError` (HTTP status,
description and optional ``parameters``, with its JSON body), :func:`bad_request` for the
common 400, and the body of a 404 for a path that names no method or file.
"""

from __future__ import annotations

from typing import Any

JSONDict = dict[str, Any]

#: The answer body for a path that names no Bot API method or stored file.
NOT_FOUND_BODY = b'{"ok":false,"error_code":404,"description":"Not Found"}'


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


def bad_request(description: str) -> ApiError:
    """A 400 answer, ``Bad Request: <description>``."""
    return ApiError(400, f"Bad Request: {description}")
