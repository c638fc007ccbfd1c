"""Splitting long HTML replies into messages Telegram accepts (at most 4,096 UTF-16 units).

Telegram counts a message's length in UTF-16 code units and rejects longer ones, so a long
reply must become several messages, each valid HTML on its own. `split_html` cuts at the
best boundary it can find — a blank line, else a line break, else a space, else between two
characters — never inside a tag, an `&amp;`-style entity or a character (a surrogate pair in
UTF-16), and closes the tags open at a cut and reopens them at the start of the next part,
so the formatting carries over. The source length of each part (tags included) is what is
kept under the limit: that bounds the parsed length, which is what Telegram checks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

TELEGRAM_LIMIT = 4096

# A tag, an entity (as Telegram's parser reads them), or one character.
_TOKEN = re.compile(
    r"<[^<>]*>|&(?:#[0-9]+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);?|.",
    re.DOTALL,
)
_TAG_NAME = re.compile(r"</?\s*([A-Za-z][A-Za-z0-9-]*)")

# Where a cut is best, best first.
_PARAGRAPH, _LINE, _SPACE, _ANYWHERE = range(4)


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit Telegram counts in."""
    return len(text.encode("utf-16-le")) // 2


@dataclass
class _Cut:
    index: int  # cut before token `index`
    used: int  # UTF-16 units of the part up to the cut, reopened tags included
    stack: tuple[tuple[str, str], ...]  # (name, start tag as written) open at the cut


def _closing(stack: tuple[tuple[str, str], ...] | list[tuple[str, str]]) -> str:
    return "".join(f"</{name}>" for name, _ in reversed(stack))


def _opening(stack: tuple[tuple[str, str], ...]) -> str:
    return "".join(tag for _, tag in stack)


def split_html(text: str, limit: int = TELEGRAM_LIMIT) -> list[str]:
    """`text` (Telegram HTML) as parts of at most `limit` UTF-16 units each, every part valid
    HTML on its own; their text, joined, is the original text. Short text comes back whole."""
    if utf16_len(text) <= limit:
        return [text]
    tokens = _TOKEN.findall(text)
    sizes = [utf16_len(token) for token in tokens]
    parts: list[str] = []
    stack: list[tuple[str, str]] = []
    start = 0
    while start < len(tokens):
        opening = _opening(tuple(stack))
        used = utf16_len(opening)
        best: list[_Cut | None] = [None] * 4
        index = start
        while index < len(tokens):
            token = tokens[index]
            name = _tag(token)
            after = stack
            if name is not None:
                after = list(stack)
                if token.startswith("</"):
                    if after and after[-1][0] == name:
                        after.pop()
                else:
                    after.append((name, token))
            if used + sizes[index] + utf16_len(_closing(after)) > limit and index > start:
                break
            used += sizes[index]
            stack = after
            index += 1
            if name is not None and not token.startswith("</"):
                continue  # never end a part right after a start tag
            kind = _kind(tokens, index)
            best[kind] = _Cut(index, used, tuple(stack))
        if index >= len(tokens):
            parts.append(opening + "".join(tokens[start:]))
            break
        cut = _choose([c for c in best if c is not None], limit)
        if cut is None:  # not even one token fits after the reopened tags: take it anyway
            cut = _Cut(index, used, tuple(stack))
        parts.append(opening + "".join(tokens[start : cut.index]) + _closing(cut.stack))
        stack = list(cut.stack)
        start = cut.index
    return parts


def _choose(cuts: list[_Cut], limit: int) -> _Cut | None:
    """The best kind of cut that still fills half a part; else simply the latest cut."""
    for cut in cuts:  # best kind first
        if cut.used >= limit // 2:
            return cut
    return max(cuts, key=lambda cut: cut.index, default=None)


def _tag(token: str) -> str | None:
    """The lower-case name of a tag token, or None for text and entities."""
    if not token.startswith("<") or len(token) < 3:
        return None
    match = _TAG_NAME.match(token)
    return match.group(1).lower() if match else None


def _kind(tokens: list[str], index: int) -> int:
    """How good a cut before `tokens[index]` is (the text before it ends there)."""
    previous = tokens[index - 1]
    if previous == "\n":
        if index >= 2 and tokens[index - 2] == "\n":
            return _PARAGRAPH
        return _LINE
    if previous.isspace():
        return _SPACE
    return _ANYWHERE
