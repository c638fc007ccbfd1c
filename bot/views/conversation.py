"""What the bot says when it is written to in words, beyond the places' own screens: a
greeting, "you're welcome", what it can do (for a message it cannot answer, or one asking
for a person), "did you mean something else?" and the questions it asks back."""

from __future__ import annotations

from bot.i18n import Translator
from bot.views.common import escape


def greeting_text(tr: Translator) -> str:
    """A warm one-liner, above the main menu."""
    return "👋 " + tr.gettext(
        "Hello! Ask me about your village, for example “when will the homes in Sos be "
        "ready?” or “next caravan to Shushakend”, or choose below."
    )


def thanks_text(tr: Translator) -> str:
    return "🙂 " + tr.gettext("You're welcome! Write any time.")


def abilities(tr: Translator) -> str:
    """What the bot can do, in one sentence."""
    return tr.gettext(
        "I can tell you how many homes are ready in a settlement and when the rest are due, "
        "show its caravans, send you its news and put its caravans in your calendar."
    )


def not_understood_text(tr: Translator) -> str:
    """For a message that asks for nothing the bot knows (never quoted back)."""
    _ = tr.gettext
    return "\n\n".join(
        [
            "🤔 " + _("I did not understand that.") + " " + abilities(tr),
            _(
                "Type a settlement's name, for example Sos, or ask “when is the next caravan "
                "to Sos?”, or choose below."
            ),
        ]
    )


def showing_line(name: str, tr: Translator) -> str:
    """Above a place found from a loosely matched name."""
    return "🔎 " + tr.gettext("Showing {place} — did you mean something else?").format(
        place=escape(name)
    )


def which_place_text(tr: Translator) -> str:
    """Above the buttons when a message names several places."""
    return "🤔 " + tr.gettext("Which place do you mean?")


def ask_place_text(tr: Translator, *, subscribing: bool = False) -> str:
    """Above the districts when a message needs a place and names none."""
    _ = tr.gettext
    if subscribing:
        return "🔔 " + _(
            "Which place should I send you news of? Type its name, for example “subscribe to "
            "Sos”, or choose its district below and press 🔔."
        )
    return "🤔 " + _("Which settlement do you mean? Type its name, or choose its district below.")
