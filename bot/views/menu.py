"""The main menu, the language buttons, and the latest overall total that /help shows."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup

from bot.i18n import Translator
from bot.views import callbacks as cb
from bot.views.common import Keyboard, button, families_people, source_text
from db.models import Total

LANGUAGE_NAMES = {"az": "Azərbaycanca", "en": "English", "ru": "Русский"}


def main_menu(tr: Translator) -> InlineKeyboardMarkup:
    """Settlements, caravans, subscriptions, language, asking a person and help."""
    _ = tr.gettext
    return Keyboard(
        [
            [
                button("🏘 " + _("Settlements"), cb.MENU, "settlements"),
                button("🚌 " + _("Caravans"), cb.MENU, "caravans"),
            ],
            [
                button("🔔 " + _("Subscriptions"), cb.MENU, "subscriptions"),
                button("🌐 " + _("Language"), cb.MENU, "language"),
            ],
            [
                button("✉️ " + _("Ask a person"), cb.MENU, "ask"),
                button("❓ " + _("Help"), cb.MENU, "help"),
            ],
        ]
    )


def language_keyboard(current: str) -> InlineKeyboardMarkup:
    """One button per language, in its own name; the current one is ticked."""
    return Keyboard(
        [
            [
                button(("✓ " if code == current else "") + name, cb.LANGUAGE, code)
                for code, name in LANGUAGE_NAMES.items()
            ]
        ]
    )


def total_line(total: Total | None, tr: Translator) -> str:
    """The latest national total with its source, for /help."""
    _ = tr.gettext
    if total is None:
        return ""
    parts = families_people(total.families, total.people, tr)
    text = _("By {date}, {figures} have returned to the liberated territories.").format(
        date=tr.date(total.as_of), figures=parts
    )
    if total.settlements:
        text += " " + tr.ngettext(
            "They live in {n} settlement.", "They live in {n} settlements.", total.settlements
        ).format(n=tr.number(total.settlements))
    if total.unsure:
        text += "\n⚠️ " + _("Sources differ on these figures.")
    return (
        f"{text}\n<i>" + _("Source: {source}").format(source=source_text(total.source, tr)) + "</i>"
    )
