"""`returnbot qr`: find the place in the database, learn the bot's username from Telegram,
and write the place's poster (`bot.views.poster`) as PNG and SVG files."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from bot.config import Settings
from bot.views import poster
from db.models import District, Settlement


def write_poster(link: str, names: Sequence[str], out: Path) -> tuple[Path, Path]:
    """Write `out` (PNG) and the SVG next to it (same name, `.svg`); returns both paths."""
    out.parent.mkdir(parents=True, exist_ok=True)
    png = out if out.suffix.lower() == ".png" else out.with_suffix(out.suffix + ".png")
    svg = png.with_suffix(".svg")
    png.write_bytes(poster.poster_png(link, names))
    svg.write_text(poster.poster_svg(link, names), encoding="utf-8")
    return png, svg


class PosterError(Exception):
    """A poster cannot be made: unknown or ambiguous place, or no bot username."""


async def bot_username(settings: Settings) -> str:
    """The bot's @username, asked from the Bot API with getMe (TELEGRAM_BOT_TOKEN)."""
    from telegram import Bot
    from telegram.error import TelegramError

    if not settings.telegram_bot_token:
        raise PosterError(
            "the bot's username is needed for the link: set TELEGRAM_BOT_TOKEN (it is asked "
            "from Telegram) or pass --username"
        )
    try:
        async with Bot(settings.telegram_bot_token, base_url=settings.telegram_api_url) as bot:
            return bot.username
    except TelegramError as error:
        raise PosterError(f"getMe failed ({error}); pass --username instead") from error


async def find_poster_place(settings: Settings, text: str) -> Settlement | District:
    """The one settlement or district `text` names (any spelling), from the database."""
    from bot.places import search_index
    from db import snapshot
    from db.session import create_engine, create_sessionmaker

    engine = create_engine(settings.database_url)
    try:
        async with create_sessionmaker(engine)() as session:
            data = await snapshot.load(session)
    finally:
        await engine.dispose()
    best, candidates = search_index(data).resolve(text)
    if best is None:
        names = ", ".join(m.name for m in candidates) or "none"
        raise PosterError(f"{text!r} names no single place (candidates: {names})")
    kind, _sep, slug = best.key.partition(":")
    place = data.settlement(slug) if kind == "settlement" else data.district(slug)
    if place is None:
        raise PosterError(f"{text!r} is not in the database")
    return place


async def make_poster_files(
    settings: Settings, text: str, out: Path | None, username: str | None
) -> tuple[Path, Path]:
    """`returnbot qr`: find the place, learn the bot's username, write the PNG and SVG."""
    username = username or await bot_username(settings)
    place = await find_poster_place(settings, text)
    out = out or Path(f"qr-{place.slug}.png")
    return write_poster(poster.place_link(username, place), poster.place_names(place), out)
