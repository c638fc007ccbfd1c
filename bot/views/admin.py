"""Message composition for the admin commands: /help's admin lines, usage, the admins list,
the previews and results of caravan and housing edits, and the audit log.

Everything typed by an admin or taken from the database is escaped here; every text comes
from the reader's (the admin's) Translator.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from telegram import InlineKeyboardMarkup

from bot.i18n import Translator, _
from bot.views import callbacks as cb
from bot.views.caravans import caravan_line, caravan_values_text
from bot.views.common import (
    button,
    datetime_text,
    escape,
    families_people,
    figure_label,
    figure_text,
    place_name,
)
from db.models import Admin, AuditEntry, Caravan, Settlement

MESSAGE_LIMIT = 4000  # Telegram's is 4096 characters; leave room for the closing tags

# /help lines shown to admins only: (command with arguments, what it does). Other admin
# features may append theirs.
ADMIN_HELP = [
    ("/admins [add|remove &lt;id&gt;]", _("list, add or remove admins")),
    (
        "/addcaravan &lt;YYYY-MM-DD&gt; &lt;settlement&gt; &lt;families&gt; [people]",
        _("record a caravan; subscribers are told"),
    ),
    (
        "/sethousing &lt;settlement&gt; planned=&lt;n&gt; ready=&lt;n&gt; [YYYY=&lt;n&gt;]",
        _("new housing figures as of today"),
    ),
    ("/editcaravan &lt;id|settlement&gt;", _("correct a caravan, or list a settlement's")),
    ("/cancelcaravan &lt;id|settlement&gt;", _("cancel a caravan")),
    ("/audit [n]", _("the latest admin actions")),
    (
        "/broadcast &lt;all|settlement|district&gt; &lt;text&gt;",
        _("a message to everyone or to a place's followers, after a preview"),
    ),
    ("/stats", _("users, subscriptions, recent broadcasts and questions")),
    ("/tickets", _("questions waiting for an answer, oldest first")),
    ("/close &lt;n&gt;", _("close question n; its author is told")),
    (
        "/admins districts &lt;id&gt; &lt;district…&gt;",
        _("the districts whose questions an admin gets"),
    ),
    ("/errors on|off", _("send me a note when the bot hits an error, or stop")),
    ("📎 YAML, CSV, XLSX", _("send a dataset file: see what it changes, then ✅ to import it")),
]


def admin_help(tr: Translator) -> list[str]:
    """The admin commands, one line each, for /help."""
    lines = ["🛠 <b>" + tr.gettext("Admin commands") + "</b>"]
    lines += [f"{command} — {tr.gettext(text)}" for command, text in ADMIN_HELP]
    return lines


# ------------------------------------------------------------------ usage


def usage(command: str, tr: Translator) -> str:
    """How to call an admin command, with an example, in the admin's language."""
    _ = tr.gettext
    texts = {
        "admins": (
            _("Usage: /admins, /admins add <id> or /admins remove <id> (a Telegram user id)."),
            "/admins add 123456789",
        ),
        "admins districts": (
            _(
                "Usage: /admins districts <id> <district> … — the admin then gets only the "
                "questions of these districts; with no district, every question."
            ),
            "/admins districts 123456789 Xocavənd Laçın",
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


# ------------------------------------------------------------------ admins


def admins_view(configured: Iterable[int], stored: Sequence[Admin], tr: Translator) -> str:
    """Admins from the configuration (ADMIN_IDS), then those added in the chat."""
    _ = tr.gettext
    lines = ["🛠 <b>" + _("Admins") + "</b>", ""]
    configured = sorted(configured)
    for user_id in configured:
        lines.append(f"• <code>{user_id}</code> — " + _("from ADMIN_IDS (configuration)"))
    for admin in stored:
        if admin.user_id in configured:
            continue
        lines.append(
            f"• <code>{admin.user_id}</code> — "
            + _("added by {admin} on {date}").format(
                admin=f"<code>{admin.added_by}</code>", date=datetime_text(admin.added_at, tr)
            )
        )
    if len(lines) == 2:
        lines.append(_("No admins yet."))
    lines += [
        "",
        "<i>" + escape(_("Add or remove: /admins add <id>, /admins remove <id>")) + "</i>",
    ]
    return "\n".join(lines)


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


# ------------------------------------------------------------------ audit log


def _value(value: Any) -> str:
    if isinstance(value, dict | list):
        return (
            ", ".join(f"{k}={v}" for k, v in value.items())
            if isinstance(value, dict)
            else str(value)
        )
    return "—" if value is None else str(value)


def audit_changes(before: Mapping[str, Any] | None, after: Mapping[str, Any] | None) -> str:
    """`date: 2026-12-20 → 2026-12-21; families: 12 → 14` — only what differs."""
    before, after = before or {}, after or {}
    parts = []
    for key in dict.fromkeys([*before, *after]):
        old, new = before.get(key), after.get(key)
        if key in before and key in after and old == new:
            continue
        if key not in before:
            parts.append(f"{key}: {_value(new)}")
        elif key not in after:
            parts.append(f"{key}: {_value(old)} → —")
        else:
            parts.append(f"{key}: {_value(old)} → {_value(new)}")
    return "; ".join(parts)


def action_label(action: str, tr: Translator) -> str:
    """A readable name of an audit action; an unknown action is shown as recorded."""
    _ = tr.gettext
    labels = {
        "admin.add": _("added an admin"),
        "admin.remove": _("removed an admin"),
        "caravan.add": _("recorded a caravan"),
        "caravan.edit": _("corrected a caravan"),
        "caravan.cancel": _("cancelled a caravan"),
        "housing.set": _("set housing figures"),
    }
    return labels.get(action, action)


def audit_messages(entries: Sequence[AuditEntry], tr: Translator) -> list[str]:
    """The entries, newest first, as one or more messages under Telegram's length limit."""
    _ = tr.gettext
    if not entries:
        return ["📜 " + _("The audit log is empty.")]
    blocks = []
    for entry in entries:
        head = " · ".join(
            [
                datetime_text(entry.at, tr),
                f"<code>{entry.actor_id}</code>",
                escape(action_label(entry.action, tr)),
                escape(entry.target),
            ]
        )
        block = f"• {head}"
        if changes := audit_changes(entry.before, entry.after):
            block += "\n   " + escape(changes[:1500])
        blocks.append(block)
    title = "📜 <b>" + _("Latest admin actions") + "</b>"
    messages, current = [], title
    for block in blocks:
        if len(current) + 1 + len(block) > MESSAGE_LIMIT:
            messages.append(current)
            current = block
        else:
            current += "\n" + block
    messages.append(current)
    return messages
