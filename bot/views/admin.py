"""Message composition for the admin commands: /help's admin lines, usage, the admins list,
the previews and results of caravan and housing edits, and the audit log.

Everything typed by an admin or taken from the database is escaped here; every text comes
from the reader's (the admin's) Translator.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from telegram import InlineKeyboardMarkup

from bot.i18n import Translator, _
from bot.views import callbacks as cb
from bot.views.caravans import caravan_line, caravan_values_text
from bot.views.common import (
    button,
    escape,
    families_people,
    figure_label,
    figure_text,
    place_name,
)
from db.models import Caravan, Settlement

MESSAGE_LIMIT = 4000  # Telegram's is 4096 characters; leave room for the closing tags

# /help lines shown to admins only: (the command with its arguments, what it does), both
# in the admin's language (the placeholders are words, the command names are not).
ADMIN_HELP = [
    (_("/admins [add|remove <id>]"), _("list, add or remove admins")),
    (
        _("/addcaravan <YYYY-MM-DD> <settlement> <families> [people]"),
        _("record a caravan; subscribers are told"),
    ),
    (
        _("/sethousing <settlement> planned=<n> ready=<n> [YYYY=<n>]"),
        _("new housing figures as of today"),
    ),
    (_("/editcaravan <id|settlement>"), _("correct a caravan, or list a settlement's")),
    (_("/cancelcaravan <id|settlement>"), _("cancel a caravan")),
    (_("/audit [n]"), _("the latest admin actions: who did what")),
    (
        _("/broadcast <all|settlement|district> <text>"),
        _("a message to everyone or to a place's followers, after a preview"),
    ),
    ("/stats", _("users, subscriptions and recent broadcasts")),
    (_("/errors on|off"), _("send me a note when the bot hits an error, or stop")),
    ("/id", _("your Telegram id (and the chat's, in a group)")),
    ("📎 YAML, CSV, XLSX", _("send a dataset file: see what it changes, then ✅ to import it")),
]


def admin_help(tr: Translator) -> list[str]:
    """The admin commands, one line each, for /help."""
    lines = ["🛠 <b>" + tr.gettext("Admin commands") + "</b>"]
    _ = tr.gettext
    lines += [f"{escape(_(command))} — {escape(_(text))}" for command, text in ADMIN_HELP]
    return lines


# ------------------------------------------------------------------ usage


def usage(command: str, tr: Translator) -> str:
    """How to call an admin command, with an example, in the admin's language."""
    _ = tr.gettext
    texts = {
        "admins": (
            _(
                "Usage: /admins, /admins add <id> or /admins remove <id>, with the Telegram "
                "user id, which anyone learns by sending /id to the bot. Adding and removing "
                "show who it is and wait for ✅."
            ),
            "/admins add 123456789",
        ),
        "addcaravan": (
            _(
                "Usage: /addcaravan <date YYYY-MM-DD> <settlement> <families> [people]. "
                "People, if given, must be at least the number of families."
            ),
            "/addcaravan 2026-12-20 Qırmızı Bazar 24 99",
        ),
        "sethousing": (
            _(
                "Usage: /sethousing <settlement> planned=<n> ready=<n> and any deadlines as "
                "<YYYY>=<n> (by 31 December) or <YYYY-MM-DD>=<n>. Deadlines from today on that "
                "you do not give are kept; <YYYY>=0 removes one."
            ),
            "/sethousing Sos planned=120 ready=40 2026=30 2027-06-30=50",
        ),
        "editcaravan": (
            _(
                "Usage: /editcaravan <id> date=<YYYY-MM-DD> families=<n> people=<n> (any of "
                "them), or /editcaravan <settlement> to see its caravans and their ids."
            ),
            "/editcaravan 42 date=2026-12-21 families=26",
        ),
        "cancelcaravan": (
            _(
                "Usage: /cancelcaravan <id>, or /cancelcaravan <settlement> to choose one of "
                "its caravans."
            ),
            "/cancelcaravan 42",
        ),
        "audit": (_("Usage: /audit [n], n from 1 to 50 (default 10)."), "/audit 20"),
    }
    text, example = texts[command]
    return "ℹ️ " + escape(text) + "\n" + _("Example:") + f" <code>{escape(example)}</code>"


# ------------------------------------------------------------------ confirmations


def confirm_keyboard(token: str, confirm: str, tr: Translator) -> InlineKeyboardMarkup:
    """✅ to do it, ↩️ to drop it; both carry only the id of the action kept on the server."""
    return InlineKeyboardMarkup(
        [
            [
                button("✅ " + confirm, cb.ADMIN_CONFIRM, token),
                button("↩️ " + tr.gettext("Cancel"), cb.ADMIN_ABORT, token),
            ]
        ]
    )


def pick_keyboard(
    token: str, settlements: Sequence[Settlement], tr: Translator
) -> InlineKeyboardMarkup:
    """One button per candidate settlement of an ambiguous name, then cancel."""
    rows = [
        [button(place_name(s, tr), cb.ADMIN_PICK, f"{token}.{i}")]
        for i, s in enumerate(settlements)
    ]
    rows.append([button("↩️ " + tr.gettext("Cancel"), cb.ADMIN_ABORT, token)])
    return InlineKeyboardMarkup(rows)


def caravan_preview(
    settlement: Settlement,
    date: dt.date,
    families: int,
    people: int | None,
    duplicates: Sequence[Caravan],
    today: dt.date,
    tr: Translator,
) -> str:
    """What /addcaravan will create, and who will hear of it."""
    _ = tr.gettext
    lines = [
        "🚌 <b>" + _("New caravan — please check") + "</b>",
        "",
        "📍 " + escape(place_name(settlement, tr)),
        "📅 " + tr.date(date) + " — " + families_people(families, people, tr),
    ]
    for other in duplicates:
        lines.append(
            "⚠️ "
            + _("Already recorded for that day: #{id} — {caravan}").format(
                id=other.id, caravan=caravan_line(other, tr)
            )
        )
    lines.append("")
    if date >= today:
        lines.append(_("Subscribers of the settlement, its district and all will be told."))
    else:
        lines.append(_("This date has passed: the caravan is recorded, nobody is told."))
    return "\n".join(lines)


def caravan_done(caravan: Caravan, tr: Translator, message: str) -> str:
    """`message` (a msgid: recorded / corrected / cancelled) about the caravan, with ✅."""
    return "✅ " + tr.gettext(message).format(
        id=caravan.id,
        place=escape(place_name(caravan.settlement, tr)),
        caravan=caravan_line(caravan, tr),
    )


def figures_diff(
    before: Mapping[str, int | None], after: Mapping[str, int | None], tr: Translator
) -> list[str]:
    """`Homes planned: 120 → 150` for every figure, unchanged ones without an arrow."""
    names = ["homes_total", "ready"]
    names += sorted(k for k in {*before, *after} if k.startswith("due:"))
    lines = []
    for name in names:
        old, new = before.get(name), after.get(name)
        label = figure_label(name, tr)
        if old == new:
            lines.append(f"• {label}: {figure_text(new, tr)}")
        else:
            lines.append(f"• {label}: {figure_text(old, tr)} → <b>{figure_text(new, tr)}</b>")
    return lines


def housing_preview(
    settlement: Settlement,
    before: Mapping[str, int | None],
    after: Mapping[str, int | None],
    as_of: dt.date,
    tr: Translator,
) -> str:
    """What /sethousing will record: each figure before → after."""
    _ = tr.gettext
    lines = [
        "🏠 <b>" + _("New housing figures — please check") + "</b>",
        "📍 " + escape(place_name(settlement, tr)),
        _("As of {date}").format(date=tr.date(as_of)),
        "",
        *figures_diff(before, after, tr),
        "",
        _("Subscribers are told about the figures that change."),
    ]
    return "\n".join(lines)


def housing_done(
    settlement: Settlement,
    before: Mapping[str, int | None],
    after: Mapping[str, int | None],
    tr: Translator,
) -> str:
    _ = tr.gettext
    title = _("Housing figures saved: {place}").format(place=escape(place_name(settlement, tr)))
    return "\n".join([f"✅ {title}", "", *figures_diff(before, after, tr)])


def edit_preview(caravan: Caravan, values: Mapping[str, Any], tr: Translator) -> str:
    """/editcaravan: the caravan now and the fields that will change."""
    _ = tr.gettext
    before = {key: getattr(caravan, key) for key in values}
    lines = [
        "✏️ <b>" + _("Correct caravan #{id} — please check").format(id=caravan.id) + "</b>",
        "📍 " + escape(place_name(caravan.settlement, tr)),
        "",
        _("Now: {values}").format(values=caravan_values_text(before, tr)),
        _("New: {values}").format(values=f"<b>{caravan_values_text(values, tr)}</b>"),
        "",
        _("Those who were told about this caravan will be told of the change."),
    ]
    return "\n".join(lines)


def cancel_preview(caravan: Caravan, tr: Translator) -> str:
    _ = tr.gettext
    lines = [
        "🗑 <b>" + _("Cancel caravan #{id} — please check").format(id=caravan.id) + "</b>",
        "📍 " + escape(place_name(caravan.settlement, tr)),
        "📅 " + caravan_line(caravan, tr),
        "",
        _(
            "It is removed from every list; those who were told about it will be told that "
            "it is cancelled."
        ),
    ]
    return "\n".join(lines)


def caravan_list(
    settlement: Settlement, caravans: Sequence[Caravan], tr: Translator
) -> tuple[str, InlineKeyboardMarkup | None]:
    """A settlement's caravans with their ids (admins only), and a 🗑 button each."""
    _ = tr.gettext
    title = _("Caravans of {place}").format(place=escape(place_name(settlement, tr)))
    lines = [f"🚌 <b>{title}</b>", ""]
    if not caravans:
        lines.append(_("No caravan has been recorded yet."))
        return "\n".join(lines), None
    lines += [f"<code>#{c.id}</code> {caravan_line(c, tr)}" for c in caravans]
    lines += [
        "",
        "<i>" + escape(_("Correct: /editcaravan <id> date=… families=… people=…")) + "</i>",
    ]
    buttons = [
        [button(f"🗑 #{c.id} · " + (tr.date(c.date) if c.date else "—"), cb.ADMIN_CANCEL, str(c.id))]
        for c in caravans
    ]
    return "\n".join(lines), InlineKeyboardMarkup(buttons)
