"""A broadcast's versions per language and what a paid broadcast costs: pure functions.

`split_versions` reads one message with `az:` / `en:` / `ru:` parts; `default_fallback`
picks the version readers of a language without one get; `paid_stars` estimates Telegram's
fee for `allow_paid_broadcast` (docs/delivery.md, "Broadcasts").
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection, Mapping

LANGUAGES = ("az", "en", "ru")
# a part starts a line: "az:", "RU :" …
_PART = re.compile(r"^[ \t]*(az|en|ru)[ \t]*:[ \t]*", re.IGNORECASE | re.MULTILINE)

FREE_RATE = 30.0  # messages per second Telegram sends for free
PAID_CEILING = 1000.0  # messages per second with allow_paid_broadcast
STARS_PER_MESSAGE = 0.1  # the fee of a message above the free rate


class VersionError(ValueError):
    """Parts that cannot be sent: a language twice (`language`) or a part left empty."""

    def __init__(self, language: str, *, empty: bool) -> None:
        super().__init__(language)
        self.language = language
        self.empty = empty


def split_versions(text: str) -> dict[str, str] | None:
    """{language: text} when `text` starts with a language part, else None (one text for
    everyone). Raises VersionError for a language given twice or a part without text."""
    parts = list(_PART.finditer(text))
    if not parts or text[: parts[0].start()].strip():
        return None
    versions: dict[str, str] = {}
    for part, following in zip(parts, [*parts[1:], None], strict=True):
        language = part[1].lower()
        body = text[part.end() : following.start() if following else len(text)].strip()
        if language in versions:
            raise VersionError(language, empty=False)
        if not body:
            raise VersionError(language, empty=True)
        versions[language] = body
    return versions


def default_fallback(versions: Collection[str], by_language: Mapping[str, int]) -> str:
    """The version readers without their own get unless the admin chooses: English when
    given, else the version with the most readers."""
    if "en" in versions:
        return "en"
    return max(sorted(versions), key=lambda language: by_language.get(language, 0))


def missing(versions: Collection[str], by_language: Mapping[str, int]) -> dict[str, int]:
    """{language: readers} of the audience's languages that have no version."""
    return {lang: n for lang, n in sorted(by_language.items()) if n and lang not in versions}


def paid_stars(messages: int, rate: float) -> int:
    """Stars a paid broadcast of `messages` at `rate` per second costs, about: 0.1 Star per
    message above the free 30 per second, rounded up."""
    rate = min(rate, PAID_CEILING)
    if messages <= 0 or rate <= FREE_RATE:
        return 0
    paid = messages * (1 - FREE_RATE / rate)
    return math.ceil(round(paid * STARS_PER_MESSAGE, 6))
