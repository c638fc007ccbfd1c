"""Telegram's text rules: the HTML parse mode (following tdlib's parser, strict about tags
and entities), trimming of surrounding whitespace, and the length limits of texts and
captions, counted in UTF-16 code units after parsing as Telegram counts them.
"""

from __future__ import annotations

import json
import re
from typing import Any

from bot.chat.errors import ApiError, JSONDict, bad_request

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit Telegram counts in."""
    return len(text.encode("utf-16-le")) // 2


_HTML_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "span": "spoiler",
    "tg-spoiler": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_ENTITY_RE = re.compile(r"&(?:#(\d+)|#[xX]([0-9a-fA-F]+)|([A-Za-z][A-Za-z0-9]*))(;?)")
_ATTR_NAME_RE = re.compile(r"[A-Za-z0-9_-]+")


def _decode_entity(src: str, i: int) -> tuple[str, int, str | None]:
    """Decode the entity at ``src[i] == "&"``: (text, next index, unknown ``name;`` or None).

    Like tdlib, a "&" that starts no known entity stays literal; an unknown named entity
    with a semicolon is reported so the caller can reject it.
    """
    m = _ENTITY_RE.match(src, i)
    if not m:
        return "&", i + 1, None
    dec, hexa, name, semicolon = m.groups()
    if dec or hexa:
        code = int(dec) if dec else int(hexa, 16)
        if 0 < code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF:
            return chr(code), m.end(), None
        return "&", i + 1, None
    if name in _NAMED_ENTITIES:
        return _NAMED_ENTITIES[name], m.end(), None
    return "&", i + 1, name if semicolon else None


def _decode_attribute(raw: str) -> str:
    parts, i = [], 0
    while i < len(raw):
        if raw[i] == "&":
            decoded, i, _ = _decode_entity(raw, i)
            parts.append(decoded)
        else:
            parts.append(raw[i])
            i += 1
    return "".join(parts)


class _HtmlParser:
    """Telegram's HTML subset, following tdlib's ``parse_html`` (strict about tags)."""

    def __init__(self, source: str) -> None:
        self.src = source
        self.out: list[str] = []
        self.pos16 = 0
        self.stack: list[tuple[str, int, dict[str, str], int]] = []
        self.entities: list[JSONDict] = []

    def error(self, detail: str) -> ApiError:
        return bad_request(f"can't parse entities: {detail}")

    def byte_offset(self, index: int) -> int:
        return len(self.src[:index].encode())

    def emit(self, chunk: str) -> None:
        self.out.append(chunk)
        self.pos16 += utf16_len(chunk)

    def parse(self) -> tuple[str, list[JSONDict]]:
        src, i, n = self.src, 0, len(self.src)
        while i < n:
            ch = src[i]
            if ch == "&":
                decoded, i = self.entity(i)
                self.emit(decoded)
            elif ch != "<":
                j = i + 1
                while j < n and src[j] not in "<&":
                    j += 1
                self.emit(src[i:j])
                i = j
            elif src.startswith("</", i):
                i = self.end_tag(i)
            else:
                i = self.start_tag(i)
        if self.stack:
            raise self.error(
                f'Can\'t find end tag corresponding to start tag "{self.stack[-1][0]}"'
            )
        self.entities.sort(key=lambda e: (e["offset"], -e["length"]))
        return "".join(self.out), self.entities

    def entity(self, i: int) -> tuple[str, int]:
        decoded, end, unknown = _decode_entity(self.src, i)
        if unknown:
            raise self.error(
                f'Unsupported HTML entity "&{unknown};" at byte offset {self.byte_offset(i)}'
            )
        return decoded, end

    def start_tag(self, i: int) -> int:
        src, n = self.src, len(self.src)
        offset = self.byte_offset(i)
        unclosed = self.error(f"Unclosed start tag at byte offset {offset}")
        j = i + 1
        while j < n and not src[j].isspace() and src[j] != ">":
            j += 1
        if j >= n:
            raise unclosed
        name = src[i + 1 : j].lower()
        if name not in _HTML_TAGS:
            raise self.error(f'Unsupported start tag "{name}" at byte offset {offset}')
        attrs: dict[str, str] = {}
        while True:
            while j < n and src[j].isspace():
                j += 1
            if j >= n:
                raise unclosed
            if src[j] == ">":
                j += 1
                break
            m = _ATTR_NAME_RE.match(src, j)
            if not m:
                raise self.error(
                    f'Empty attribute name in the tag "{name}" at byte offset {offset}'
                )
            attr, j = m.group().lower(), m.end()
            while j < n and src[j].isspace():
                j += 1
            value = ""
            if j < n and src[j] == "=":
                j += 1
                while j < n and src[j].isspace():
                    j += 1
                if j >= n:
                    raise unclosed
                if src[j] in "'\"":
                    end = src.find(src[j], j + 1)
                    if end == -1:
                        raise unclosed
                    raw, j = src[j + 1 : end], end + 1
                else:
                    k = j
                    while k < n and not src[k].isspace() and src[k] != ">":
                        k += 1
                    raw, j = src[j:k], k
                value = _decode_attribute(raw)
            attrs[attr] = value
        if name == "span" and attrs.get("class") != "tg-spoiler":
            raise self.error(f'Tag "span" must have class "tg-spoiler" at byte offset {offset}')
        if name == "tg-emoji" and not attrs.get("emoji-id"):
            raise self.error(
                f'Tag "tg-emoji" must have attribute "emoji-id" at byte offset {offset}'
            )
        self.stack.append((name, self.pos16, attrs, offset))
        return j

    def end_tag(self, i: int) -> int:
        offset = self.byte_offset(i)
        end = self.src.find(">", i)
        if end == -1:
            raise self.error(f"Unclosed end tag at byte offset {offset}")
        name = self.src[i + 2 : end].strip().lower()
        if not self.stack:
            raise self.error(f"Unexpected end tag at byte offset {offset}")
        tag, start, attrs, _ = self.stack.pop()
        if name != tag:
            raise self.error(
                f'Unmatched end tag at byte offset {offset}, expected "</{tag}>", found "</{name}>"'
            )
        self.add_entity(tag, start, attrs)
        return end + 1

    def add_entity(self, tag: str, start: int, attrs: dict[str, str]) -> None:
        length = self.pos16 - start
        if tag == "code" and self.stack and self.stack[-1][0] == "pre":
            language = attrs.get("class", "")
            if language.startswith("language-"):
                self.stack[-1][2]["language"] = language.removeprefix("language-")
                return
        if length <= 0:
            return
        entity: JSONDict = {"type": _HTML_TAGS[tag], "offset": start, "length": length}
        if tag == "a":
            if not attrs.get("href"):
                return
            entity["url"] = attrs["href"]
        elif tag == "pre" and attrs.get("language"):
            entity["language"] = attrs["language"]
        elif tag == "blockquote" and "expandable" in attrs:
            entity["type"] = "expandable_blockquote"
        elif tag == "tg-emoji":
            entity["custom_emoji_id"] = attrs["emoji-id"]
        self.entities.append(entity)


def parse_html(source: str) -> tuple[str, list[JSONDict]]:
    """Parse Telegram HTML into (plain text, entities); raises :class:`ApiError` like Telegram."""
    return _HtmlParser(source).parse()


def _strip(text: str, entities: list[JSONDict]) -> tuple[str, list[JSONDict]]:
    """Trim surrounding whitespace as Telegram does, shifting entity offsets."""
    stripped = text.strip()
    if stripped == text:
        return text, entities
    lead = utf16_len(text[: len(text) - len(text.lstrip())])
    total = utf16_len(stripped)
    kept = []
    for entity in entities:
        start = max(entity["offset"] - lead, 0)
        end = min(entity["offset"] + entity["length"] - lead, total)
        if end > start:
            kept.append({**entity, "offset": start, "length": end - start})
    return stripped, kept


def render_text(
    text: Any, parse_mode: Any, entities: Any, *, caption: bool = False
) -> tuple[str, list[JSONDict]]:
    """Apply ``parse_mode``, trim and check the length; returns (text, entities)."""
    if text is None:
        text = ""
    if not isinstance(text, str):
        text = json.dumps(text)
    mode = (parse_mode or "").lower() if isinstance(parse_mode, str) else ""
    if parse_mode and mode not in ("html", "markdown", "markdownv2"):
        raise bad_request(f"unsupported parse_mode {parse_mode!r}")
    if mode == "html":
        plain, parsed = parse_html(text)
    else:
        plain = text
        parsed = [dict(e) for e in entities] if isinstance(entities, list) else []
    plain, parsed = _strip(plain, parsed)
    limit = CAPTION_LIMIT if caption else TEXT_LIMIT
    if utf16_len(plain) > limit:
        raise bad_request("message caption is too long" if caption else "message is too long")
    if not plain and not caption:
        raise bad_request("message text is empty")
    return plain, parsed
