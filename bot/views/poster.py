"""Posters: a QR code of a place's deep link with its name in az/en/ru printed under it.

segno encodes the QR code (PNG and SVG, pure Python); Pillow lays out the PNG poster. The
caption needs a font with Azerbaijani letters (ə, ğ, ş) and Cyrillic: DejaVu Sans, which
Debian ships with fontconfig, is looked for first; without it Pillow's own font is used (a
warning is logged, since it has Latin letters only). The SVG poster names its fonts and
lets the viewer's renderer draw the caption, so it needs no font file at all.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Sequence
from functools import cache
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING

from bot.config import LANGUAGES
from db.models import District, Settlement

if TYPE_CHECKING:  # Pillow and segno are imported when a poster is drawn, not at start
    import segno
    from PIL import ImageFont

log = logging.getLogger(__name__)

SCALE = 16  # pixels per QR module: a 25-module code is 400+ px wide, sharp on A5 paper
BORDER = 4  # quiet zone in modules, as the QR standard asks
ERROR = "q"  # 25 % recovery: posters get folded, taped and scribbled on
TITLE_SIZE = 44
LINK_SIZE = 22
MARGIN = 40
LINE_GAP = 12

BOLD, REGULAR = "DejaVuSans-Bold.ttf", "DejaVuSans.ttf"
FONT_DIRS = (
    "/usr/share/fonts/truetype/dejavu",
    "/usr/share/fonts/dejavu",
    "/usr/share/fonts/TTF",
    "/usr/local/share/fonts",
    "/Library/Fonts",
    "C:/Windows/Fonts",
)
SVG_FONTS = "'DejaVu Sans', 'Noto Sans', Arial, sans-serif"


def deep_link(username: str, kind: str, slug: str) -> str:
    """`https://t.me/<bot>?start=s_<slug>` (kind "s", settlement) or `d_<slug>` (district)."""
    if kind not in ("s", "d"):
        raise ValueError(f"unknown deep-link kind {kind!r}")
    return f"https://t.me/{username.lstrip('@')}?start={kind}_{slug}"


def caption_lines(names: Sequence[str]) -> list[str]:
    """The place's names, each once (`Sos`, `Сос` rather than `Sos`, `Sos`, `Сос`)."""
    seen: list[str] = []
    for name in names:
        if name and name not in seen:
            seen.append(name)
    return seen


@cache
def font_path(name: str = BOLD) -> Path | None:
    """A TrueType font with Azerbaijani and Cyrillic letters, or None when none is found."""
    for folder in FONT_DIRS:
        for candidate in (name, BOLD, REGULAR):
            path = Path(folder) / candidate
            if path.is_file():
                return path
    return None


def _font(size: int, name: str = BOLD) -> ImageFont.FreeTypeFont:
    from PIL import ImageFont

    path = font_path(name)
    if path is not None:
        return ImageFont.truetype(str(path), size)
    log.warning("no DejaVu font found: the poster caption is drawn in Pillow's Latin-only font")
    return ImageFont.load_default(size)


def _qr(link: str) -> segno.QRCode:
    import segno

    return segno.make(link, error=ERROR, micro=False)


def poster_png(link: str, names: Sequence[str]) -> bytes:
    """The QR code of `link` with `names` centred under it, and the link itself, as PNG."""
    from PIL import Image, ImageDraw

    buffer = io.BytesIO()
    _qr(link).save(buffer, kind="png", scale=SCALE, border=BORDER)
    code = Image.open(io.BytesIO(buffer.getvalue())).convert("L")
    title_font, link_font = _font(TITLE_SIZE), _font(LINK_SIZE, REGULAR)
    lines = [(line, title_font) for line in caption_lines(names)] + [(link, link_font)]
    widths = [int(font.getlength(text)) for text, font in lines]
    heights = [sum(font.getmetrics()) + LINE_GAP for _text, font in lines]
    width = max(code.width, *(w + 2 * MARGIN for w in widths))
    poster = Image.new("L", (width, code.height + sum(heights) + MARGIN), 255)
    poster.paste(code, ((width - code.width) // 2, 0))
    draw = ImageDraw.Draw(poster)
    y = code.height
    for (text, font), line_width, height in zip(lines, widths, heights, strict=True):
        draw.text(((width - line_width) // 2, y), text, font=font, fill=0)
        y += height
    out = io.BytesIO()
    poster.save(out, format="PNG", optimize=True)
    return out.getvalue()


def poster_svg(link: str, names: Sequence[str]) -> str:
    """The same poster as SVG: the code as vector paths, the caption as text."""
    qr = _qr(link)
    modules = qr.symbol_size(scale=SCALE, border=BORDER)[0]
    code = qr.svg_inline(scale=SCALE, border=BORDER, omitsize=False)
    lines = caption_lines(names)
    width = max(modules, 2 * MARGIN + int(0.62 * TITLE_SIZE * max(map(len, [*lines, ""]))))
    height = modules + (len(lines) * (TITLE_SIZE + LINE_GAP)) + LINK_SIZE + LINE_GAP + MARGIN
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}">',
        f'<rect width="{width}" height="{height}" fill="#fff"/>',
        f'<g transform="translate({(width - modules) // 2},0)">{code}</g>',
        f'<g font-family="{SVG_FONTS}" text-anchor="middle" fill="#000">',
    ]
    y = modules
    for line in lines:
        y += TITLE_SIZE
        parts.append(
            f'<text x="{width // 2}" y="{y}" font-size="{TITLE_SIZE}" '
            f'font-weight="bold">{escape(line)}</text>'
        )
        y += LINE_GAP
    y += LINK_SIZE
    parts.append(f'<text x="{width // 2}" y="{y}" font-size="{LINK_SIZE}">{escape(link)}</text>')
    parts += ["</g>", "</svg>"]
    return "\n".join(parts) + "\n"


def place_names(place: Settlement | District) -> list[str]:
    """The caption: the place's name in az, en and ru."""
    return caption_lines([place.name(lang) for lang in LANGUAGES])


def place_link(username: str, place: Settlement | District) -> str:
    return deep_link(username, "s" if isinstance(place, Settlement) else "d", place.slug)
