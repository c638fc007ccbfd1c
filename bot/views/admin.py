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

from bot.domain.housing_edit import HousingPlan, Line, Status
from bot.i18n import Translator, _
from bot.views import callbacks as cb
from bot.views.caravans import caravan_line, caravan_values_text
from bot.views.common import (
    button,
    change_text,
    escape,
    families_people,
    figure_label,
    figure_text,
    place_name,
    reported_by,
)
from db.models import Caravan, Settlement

MESSAGE_LIMIT = 4000  # Telegram's is 4096 characters; leave room for the closing tags

# /help lines shown to admins only: (the command with its arguments, what it does), both
# in the admin's language (the placeholders are words, the command names are not).
ADMIN_HELP = [
    (_("/admins [add|remove <id>]"), _("list, add or remove admins")),
    (
        _("/addcaravan <YYYY-MM-DD> <settlement> <families> [people] source=<link or office>"),
        _("record a caravan; subscribers are told"),
    ),
    (
        _("/sethousing <settlement> planned=<n> ready=<n> [YYYY=<n>] source=<link or office>"),
        _("new housing figures as of today"),
    ),
    (_("/editcaravan <id|settlement>"), _("correct a caravan, or list a settlement's")),
    (_("/cancelcaravan <id|settlement>"), _("cancel a caravan")),
    (_("/audit [n]"), _("the latest admin actions: who did what")),
    (
        _("/broadcast <all|settlement|district> <text>"),
        _("a message to everyone or to a place's followers, after a preview"),
    ),
    (
        _("/setcontact <district|all> <kind> <value> source=<source>"),
        _("add an official contact, with its source"),
    ),
    (_("/delcontact <id>"), _("remove a contact")),
    ("/addfaq [place] az? … az: …", _("add a question and its answer to the FAQ")),
    (_("/delfaq <id>"), _("remove an FAQ entry")),
    ("/stats", _("users, subscriptions, recent broadcasts and questions")),
    ("/tickets", _("questions waiting for an answer, oldest first")),
    (_("/close <n>"), _("close question n; its author is told")),
    (
        _("/admins districts <id> <district…>"),
        _("the districts whose questions an admin gets"),
    ),
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
        "admins districts": (
            _(
                "Usage: /admins districts <id> <district> … — the admin then gets only the "
                "questions of these districts; with no district, every question."
            ),
            "/admins districts 123456789 Xocavənd Laçın",
        ),
        "addcaravan": (
            _(
                "Usage: /addcaravan <date YYYY-MM-DD or DD.MM.YYYY> <settlement> <families> "
                "[people] source=<link or office name>. People, if given, must be at least "
                "the number of families. The source is the rest of the line, shown on the "
                "public card."
            ),
            "/addcaravan 20.12.2026 Qırmızı Bazar 24 99 source=Khojavand district executive office",
        ),
        "sethousing": (
            _(
                "Usage: /sethousing <settlement> planned=<n> ready=<n>, any deadlines as "
                "<YYYY>=<n> (by 31 December), <YYYY-MM-DD>=<n> or <DD.MM.YYYY>=<n>, then "
                "source=<link or office name>. Deadlines you do not give are kept (those "
                "passed, as history); <date>=0 removes one; a new deadline must be today or "
                "later."
            ),
            "/sethousing Sos planned=120 ready=40 2026=30 30.06.2027=50 source=azertag.az",
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


SOURCE_PROMPT = "📰"  # the first character of the bot's question for a source


def source_prompt(typed: str, tr: Translator) -> str:
    """The question for the source of a command given without one: answered by replying to
    it (the reply is the source), or by sending the command again with `source=` at its
    end. The command is its last line, as typed, so that a reply completes it."""
    _ = tr.gettext
    return (
        SOURCE_PROMPT
        + " "
        + escape(
            _(
                "Where do these figures come from? Reply to this message with the source (a "
                "link or the office that published them), or send the command again with "
                "source=<link or office name> at its end. The public card shows it as "
                "“reported by …”; the audit log keeps who entered it."
            )
        )
        + "\n<code>"
        + escape(f"{typed} source=")
        + "</code>"
    )


def source_needed(typed: str, tr: Translator) -> str:
    """Why a command that changes public figures needs `source=`, with the admin's own
    command (`typed`, when known) to complete."""
    _ = tr.gettext
    text = "⚠️ " + escape(
        _(
            "Where do these figures come from? Add the source at the end of the command: "
            "source=<link or office name>. The public card shows it as “reported by …”; "
            "the audit log keeps who entered it."
        )
    )
    if typed:
        text += "\n<code>" + escape(f"{typed} source=") + "</code>"
    return text


def caravan_preview(
    settlement: Settlement,
    date: dt.date,
    figures: tuple[int, int | None],
    source: str,
    duplicates: Sequence[Caravan],
    today: dt.date,
    tr: Translator,
) -> str:
    """What /addcaravan will create, its source, and who will hear of it."""
    _ = tr.gettext
    families, people = figures
    lines = [
        "🚌 <b>" + _("New caravan — please check") + "</b>",
        "",
        "📍 " + escape(place_name(settlement, tr)),
        "📅 " + tr.date(date) + " — " + families_people(families, people, tr),
        "📰 " + reported_by(source, tr),
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
    before: Mapping[str, int | None],
    after: Mapping[str, int | None],
    today: dt.date,
    tr: Translator,
) -> list[str]:
    """`Homes planned: 120 → 150` for every figure, unchanged ones without an arrow, added
    and removed ones said in words, deadlines passed by `today` as "was due by"."""
    names = ["homes_total", "ready"]
    names += sorted(k for k in {*before, *after} if k.startswith("due:"))
    lines = []
    for name in names:
        old, new = before.get(name), after.get(name)
        label = figure_label(name, tr)
        if name.startswith("due:") and (day := dt.date.fromisoformat(name[4:])) < today:
            label = tr.gettext("Was due by {date}").format(date=tr.date(day))
        if old == new:
            lines.append(f"• {label}: {figure_text(new, tr)}")
        else:
            lines.append("• " + change_text(label, old, new, tr))
    return lines


def housing_preview(
    settlement: Settlement,
    plan: HousingPlan,
    current_as_of: dt.date | None,
    source: str,
    today: dt.date,
    tr: Translator,
) -> str:
    """What /sethousing will record: every figure that changes, is added, removed, kept or
    kept as history, and why; the warnings; and what subscribers will be told."""
    _ = tr.gettext
    lines = [
        "🏠 <b>" + _("New housing figures — please check") + "</b>",
        "📍 " + escape(place_name(settlement, tr)),
        _("As of {date}").format(date=tr.date(today)) + " · " + reported_by(source, tr),
    ]
    for status in SECTION_ORDER:
        chosen = [line for line in plan.lines if line.status is status]
        if chosen:
            lines += ["", "<b>" + escape(_(SECTIONS[status])) + "</b>"]
            lines += ["• " + plan_line(line, current_as_of, today, tr) for line in chosen]
    warnings = []
    if plan.ready_down:
        before = next(line.before for line in plan.lines if line.figure == "ready")
        after = next(line.after for line in plan.lines if line.figure == "ready")
        warnings.append(
            _("Fewer homes ready than before ({old} → {new}): check that this is right.").format(
                old=tr.number(before), new=tr.number(after)
            )
        )
    if warnings:
        lines += ["", *("⚠️ " + escape(warning) for warning in warnings)]
    lines.append("")
    if plan.changes:
        lines.append(_("Subscribers are told about the figures that change, are added or removed."))
    else:
        lines.append(
            _(
                "No figure changes: the figures are dated today with this source. Subscribers "
                "are not told."
            )
        )
    return "\n".join(lines)


# the preview's sections, in this order
SECTION_ORDER = (
    Status.CHANGED,
    Status.ADDED,
    Status.REMOVED,
    Status.SAME,
    Status.KEPT,
    Status.HISTORY,
    Status.RETIRED,
    Status.ABSENT,
)
SECTIONS = {
    Status.CHANGED: _("Will change:"),
    Status.ADDED: _("Will be added:"),
    Status.REMOVED: _("Will be removed:"),
    Status.SAME: _("Stays the same (given again):"),
    Status.KEPT: _("Kept (not given):"),
    Status.HISTORY: _("Kept as history:"),
    Status.RETIRED: _("No longer on the card:"),
    Status.ABSENT: _("Nothing to remove:"),
}


def plan_line(line: Line, current_as_of: dt.date | None, today: dt.date, tr: Translator) -> str:
    """One figure of the /sethousing preview, with why it is there."""
    _ = tr.gettext
    day = line.due_by
    label = figure_label(line.figure, tr)
    if day is not None and day < today:
        label = _("Was due by {date}").format(date=tr.date(day))
    given = f"{day.isoformat()}=0" if day else ""
    match line.status:
        case Status.CHANGED:
            return change_text(label, line.before, line.after, tr)
        case Status.ADDED:
            return f"{label}: <b>{figure_text(line.after, tr)}</b>"
        case Status.REMOVED:
            why = _("you gave {value}").format(value=given)
            return f"{label}: <s>{figure_text(line.before, tr)}</s> — {escape(why)}"
        case Status.SAME:
            return f"{label}: {figure_text(line.after, tr)}"
        case Status.KEPT:
            why = _("not given: kept; {value} would remove it").format(value=given)
            return f"{label}: {figure_text(line.after, tr)} — {escape(why)}"
        case Status.HISTORY:
            why = _("the date has passed: shown on the card as history; {value} removes it")
            return f"{label}: {figure_text(line.after, tr)} — {escape(why.format(value=given))}"
        case Status.RETIRED:
            if current_as_of is None:
                why = _("/sethousing does not set this figure")
            else:
                why = _(
                    "/sethousing does not set this figure; the figures of {date} keep it as history"
                ).format(date=tr.date(current_as_of))
            return f"{label}: {figure_text(line.before, tr)} — {escape(why)}"
        case _:
            why = _("there is no such deadline: {value} changes nothing").format(value=given)
            return f"{label} — {escape(why)}"


def housing_done(
    settlement: Settlement,
    before: Mapping[str, int | None],
    after: Mapping[str, int | None],
    today: dt.date,
    tr: Translator,
) -> str:
    _ = tr.gettext
    title = _("Housing figures saved: {place}").format(place=escape(place_name(settlement, tr)))
    return "\n".join([f"✅ {title}", "", *figures_diff(before, after, today, tr)])


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
