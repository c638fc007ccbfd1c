"""Gettext catalogs (Babel) and per-language formatting of dates, numbers and plurals."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from functools import lru_cache
from io import BytesIO
from pathlib import Path

from babel import Locale
from babel.dates import format_date, format_skeleton, format_timedelta
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import Translations

from bot.config import LANGUAGES

LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
DOMAIN = "returnbot"
ALIASES = {"tr": "az"}  # Turkish-speaking phones read Azerbaijani best
# CLDR puts U+202F before Russian "г."; older phones draw it as a box, so dates use a space.
NARROW_NBSP = "\u202f"

log = logging.getLogger(__name__)


class CatalogError(RuntimeError):
    """A catalog is missing or empty: the bot would silently speak English."""


def _(message: str) -> str:
    """Mark a string for extraction where it is translated later (e.g. module constants)."""
    return message


@dataclass(frozen=True)
class Translator:
    """Everything language-specific a reply needs: gettext, plurals, dates, numbers."""

    lang: str
    translations: Translations = field(repr=False)

    @property
    def locale(self) -> Locale:
        return Locale.parse(self.lang)

    def gettext(self, message: str) -> str:
        return self.translations.gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self.translations.ngettext(singular, plural, n)

    def date(self, value: dt.date) -> str:
        """`20 dekabr 2026`, `December 20, 2026`, `20 декабря 2026 г.`"""
        return _date(self.lang, value)

    def month(self, value: dt.date) -> str:
        """`dekabr 2026`, `December 2026`, `декабрь 2026 г.`"""
        return _month(self.lang, value)

    def short_month(self, value: dt.date) -> str:
        """`sen`, `Sep`, `сент.`: a month as a chart's axis names it."""
        return _short_month(self.lang, value.month)

    def number(self, value: int | float) -> str:
        return _number(self.lang, value)

    def age(self, delta: dt.timedelta) -> str:
        """`15 ay`, `15 months`, `15 месяцев`: a duration in its largest sensible unit (months
        from about two months on, years from two years on)."""
        return _age(self.lang, delta.days)


# Babel parses the locale and its patterns on every call (about 50 µs a number); a card shows
# a dozen dates and numbers, mostly the same few hundred, so the results are kept.
@lru_cache(maxsize=4096)
def _date(lang: str, value: dt.date) -> str:
    return format_date(value, "long", locale=lang).replace(NARROW_NBSP, " ")


@lru_cache(maxsize=1024)
def _month(lang: str, value: dt.date) -> str:
    return format_skeleton("yMMMM", value, locale=lang).replace(NARROW_NBSP, " ")


@lru_cache(maxsize=64)
def _short_month(lang: str, month: int) -> str:
    return format_date(dt.date(2000, month, 1), "LLL", locale=lang)


@lru_cache(maxsize=8192)
def _number(lang: str, value: int | float) -> str:
    return format_decimal(value, locale=lang)


@lru_cache(maxsize=1024)
def _age(lang: str, days: int) -> str:
    delta = dt.timedelta(days=days)
    text = format_timedelta(delta, granularity="day", threshold=2, locale=lang)
    return text.replace(NARROW_NBSP, " ")


def _load(lang: str, locales_dir: Path) -> Translations:
    folder = locales_dir / lang / "LC_MESSAGES"
    mo, po = folder / f"{DOMAIN}.mo", folder / f"{DOMAIN}.po"
    if mo.exists() and (not po.exists() or mo.stat().st_mtime >= po.stat().st_mtime):
        with mo.open("rb") as fp:
            translations = Translations(fp, domain=DOMAIN)
    elif po.exists():
        log.warning("%s is missing or stale; compiling %s in memory (run `make locales`)", mo, po)
        with po.open("rb") as fp:
            catalog = read_po(fp, locale=lang, domain=DOMAIN)
        buffer = BytesIO()
        write_mo(buffer, catalog)
        buffer.seek(0)
        translations = Translations(buffer, domain=DOMAIN)
    else:
        raise CatalogError(f"no catalog for {lang!r} in {folder}")
    if len(translations._catalog) <= 1:  # only the header
        raise CatalogError(f"the catalog for {lang!r} in {folder} is empty")
    return translations


def load_translators(locales_dir: Path = LOCALES_DIR) -> dict[str, Translator]:
    """Load all three catalogs once, at start-up; fails loudly if one is missing."""
    return {lang: Translator(lang, _load(lang, locales_dir)) for lang in LANGUAGES}


def pick_language(chosen: str | None, telegram_code: str | None, default: str) -> str:
    """SPEC "Languages": the picked language, else Telegram's (tr counts as az), else default."""
    if chosen in LANGUAGES:
        return chosen
    if telegram_code:
        base = telegram_code.split("-")[0].lower()
        base = ALIASES.get(base, base)
        if base in LANGUAGES:
            return base
    return default
