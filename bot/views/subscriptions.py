"""/subscriptions and /forget: the user's subscriptions with a ❌ each, the 🔔 choices of an
ambiguous /subscribe, and the confirmation of deleting one's data."""

from __future__ import annotations

from collections.abc import Sequence

from telegram import InlineKeyboardMarkup

from bot.i18n import Translator
from bot.views import callbacks as cb
from bot.views.common import (
    Keyboard,
    button,
    button_rows,
    district_name,
    escape,
    place_name,
    settlement_or_district_name,
)
from db.models import District, Settlement, Subscription


def subscription_name(subscription: Subscription, tr: Translator) -> str:
    """What a subscription follows, in the reader's language (plain text, not escaped)."""
    place = subscription.settlement or subscription.district
    if place is not None:
        return settlement_or_district_name(place, tr)
    return tr.gettext("all settlements")


def subscriptions_view(
    subscriptions: Sequence[Subscription], tr: Translator
) -> tuple[str, InlineKeyboardMarkup | None]:
    """The user's subscriptions, each with a ❌ button that cancels it."""
    _ = tr.gettext
    if not subscriptions:
        text = "🔔 " + _(
            "You have no subscriptions yet. Send /subscribe with a settlement or district, "
            "for example <code>/subscribe Sos</code>, or <code>/subscribe all</code> for every "
            "caravan. The 🔔 button on a settlement's card does the same."
        )
        return text, None
    lines = ["🔔 <b>" + _("Your subscriptions") + "</b>", ""]
    lines += [f"• {escape(subscription_name(s, tr))}" for s in subscriptions]
    lines += [
        "",
        _(
            "You get new caravans, reminders 7 days and 1 day before, and changes in housing "
            "figures. Press ❌ to unsubscribe."
        ),
    ]
    buttons = [
        button("❌ " + subscription_name(s, tr), cb.UNSUBSCRIBE, str(s.id)) for s in subscriptions
    ]
    return "\n".join(lines), Keyboard(button_rows(buttons, 1))


def subscribe_choices_keyboard(
    settlements: Sequence[Settlement], districts: Sequence[District], tr: Translator
) -> InlineKeyboardMarkup:
    """For an ambiguous /subscribe: one 🔔 button per candidate place."""
    buttons = [
        button("🔔 " + place_name(s, tr), cb.SUBSCRIBE_SETTLEMENT, s.slug) for s in settlements
    ]
    buttons += [
        button("🔔 " + district_name(d, tr), cb.SUBSCRIBE_DISTRICT, d.slug) for d in districts
    ]
    return Keyboard(button_rows(buttons, 1))


def forget_keyboard(tr: Translator) -> InlineKeyboardMarkup:
    """/forget: confirm (✅, as everywhere) or cancel."""
    _ = tr.gettext
    return Keyboard(
        [
            [
                button("✅ " + _("Yes, delete my data"), cb.FORGET, "yes"),
                button("↩️ " + _("Cancel"), cb.FORGET, "no"),
            ]
        ]
    )
