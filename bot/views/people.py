"""People, not numbers: how an admin is named (first name, @username, id), the admins list,
the previews and results of adding and removing an admin, what a new admin is told, and
/id. Everything from Telegram or the database is escaped here."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from bot.i18n import Translator
from bot.views.common import datetime_text, escape
from db.models import Admin, AdminName


@dataclass(frozen=True)
class Person:
    """What Telegram says of someone (`getChat` or the update's sender)."""

    user_id: int
    first_name: str | None = None
    username: str | None = None


Names = Mapping[int, AdminName | Person]


def person(user_id: int, names: Names, tr: Translator) -> str:
    """`Aysel @aysel (<code>12345</code>)`; the id alone when no name is known (HTML)."""
    known = names.get(user_id)
    parts = []
    if known is not None and known.first_name:
        parts.append(escape(known.first_name))
    if known is not None and known.username:
        parts.append("@" + escape(known.username))
    code = f"<code>{user_id}</code>"
    return f"{' '.join(parts)} ({code})" if parts else code


def admins_view(
    configured: Iterable[int], stored: Sequence[Admin], names: Names, tr: Translator
) -> str:
    """Admins from the configuration (ADMIN_IDS), then those added in the chat, by name."""
    _ = tr.gettext
    lines = ["🛠 <b>" + _("Admins") + "</b>", ""]
    configured = sorted(configured)
    for user_id in configured:
        lines.append(f"• {person(user_id, names, tr)} — " + _("from ADMIN_IDS (configuration)"))
    for admin in stored:
        if admin.user_id in configured:
            continue
        lines.append(
            f"• {person(admin.user_id, names, tr)} — "
            + _("added by {admin} on {date}").format(
                admin=person(admin.added_by, names, tr), date=datetime_text(admin.added_at, tr)
            )
        )
    if len(lines) == 2:
        lines.append(_("No admins yet."))
    lines += [
        "",
        "<i>"
        + escape(
            _(
                "Add or remove: /admins add <id>, /admins remove <id>. Anyone learns their "
                "id with /id."
            )
        )
        + "</i>",
    ]
    return "\n".join(lines)


def _powers(tr: Translator) -> list[str]:
    _ = tr.gettext
    return [
        "• " + _("record, correct and cancel caravans (subscribers are told)"),
        "• " + _("set the housing figures of a settlement"),
        "• " + _("send broadcasts to everyone or to a place's followers"),
        "• " + _("import a dataset file (YAML, CSV or XLSX)"),
        "• " + _("add and remove admins, read the audit log and /stats"),
    ]


def add_preview(target: Person, seen: bool, tr: Translator) -> str:
    """/admins add: who will become an admin and what they will be able to do."""
    _ = tr.gettext
    who = person(target.user_id, {target.user_id: target}, tr)
    lines = [
        "👤 <b>" + _("New admin — please check") + "</b>",
        "",
        _("{person} will become an admin and will be able to:").format(person=who),
        *_powers(tr),
        "",
    ]
    if seen:
        lines.append(_("They will get a message saying so."))
    else:
        lines.append(
            "⚠️ "
            + _(
                "Telegram does not know this id, or they have not started the bot yet: check the "
                "number (they can learn it by sending /id to the bot). The bot cannot write to "
                "them until they send it /start."
            )
        )
    return "\n".join(lines)


def remove_preview(target: int, names: Names, tr: Translator) -> str:
    _ = tr.gettext
    return "\n".join(
        [
            "👤 <b>" + _("Remove an admin — please check") + "</b>",
            "",
            _(
                "{person} will no longer be an admin: the admin commands will refuse them from "
                "then on. What they did stays in the audit log."
            ).format(person=person(target, names, tr)),
        ]
    )


def welcome(added_by: int, names: Names, tr: Translator) -> str:
    """The message a new admin gets, in their own language."""
    _ = tr.gettext
    return "\n".join(
        [
            "🛠 <b>" + _("You are now an admin of this bot") + "</b>",
            _("{person} made you one. You can:").format(person=person(added_by, names, tr)),
            *_powers(tr),
            "",
            _(
                "/help lists the admin commands. Every change is shown first and made only "
                "when you press ✅; what admins do is kept in the audit log (/audit)."
            ),
        ]
    )


def identity(user_id: int, chat_id: int | None, chat_title: str | None, tr: Translator) -> str:
    """/id: the sender's Telegram id, and in a group the chat's id too."""
    _ = tr.gettext
    lines = [_("Your Telegram id: {id}").format(id=f"<code>{user_id}</code>")]
    if chat_id is not None:
        code = f"<code>{chat_id}</code>"
        if chat_title:
            text = _("The id of the chat “{chat}”: {id}").format(chat=escape(chat_title), id=code)
        else:
            text = _("The id of this chat: {id}").format(id=code)
        lines.append(text)
    lines.append(
        "<i>" + _("An admin can make you an admin with /admins add and this number.") + "</i>"
    )
    return "\n".join(lines)
