"""/contacts and its admin commands: the official contacts known for a district or for all,
each with its source and the day it was entered, an honest answer where none is known (with
"✉️ Ask a person"), and the previews and usage of /setcontact and /delcontact.

Everything an admin typed is escaped here."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.domain.clock import BAKU
from bot.i18n import Translator
from bot.views import callbacks as cb
from bot.views.common import Keyboard, button, button_rows, district_name, escape
from db.models import Contact, District

ICONS = {"phone": "☎️", "email": "📧", "web": "🌐", "address": "📍"}


def ask_button(tr: Translator) -> InlineKeyboardButton:
    """ "✉️ Ask a person": opens a question to the admins (the ask feature handles it)."""
    return button("✉️ " + tr.gettext("Ask a person"), cb.ASK)


def kind_name(kind: str, tr: Translator) -> str:
    _ = tr.gettext
    names = {
        "phone": _("phone"),
        "email": _("e-mail"),
        "web": _("website"),
        "address": _("address"),
    }
    return names.get(kind, kind)


def entered_on(moment: dt.datetime, tr: Translator) -> str:
    """The Baku day of a naive UTC moment, in the reader's language."""
    return tr.date(moment.replace(tzinfo=dt.UTC).astimezone(BAKU).date())


def contact_lines(contact: Contact, tr: Translator, with_id: bool = False) -> list[str]:
    """`☎️ Hotline: +994 …` and, under it, its source and the day it was entered."""
    label = escape(contact.name) if contact.name else kind_name(contact.kind, tr).capitalize()
    head = f"{ICONS.get(contact.kind, '•')} {label}: <b>{escape(contact.value)}</b>"
    if with_id:
        head = f"<code>#{contact.id}</code> {head}"
    source = tr.gettext("Source: {source}; entered {date}").format(
        source=escape(contact.source), date=entered_on(contact.added_at, tr)
    )
    return [head, f"<i>{source}</i>"]


def contacts_view(
    contacts: Sequence[Contact],
    district: District | None,
    others: Sequence[District],
    tr: Translator,
    *,
    for_admin: bool = False,
) -> tuple[str, InlineKeyboardMarkup]:
    """The contacts for every district and `district`'s own; where none is known, said so.
    `others`: districts with contacts of their own, offered as buttons (without a district)."""
    _ = tr.gettext
    where = district_name(district, tr) if district is not None else None
    title = _("Official contacts: {place}").format(place=where) if where else _("Official contacts")
    lines = ["📞 <b>" + escape(title) + "</b>", ""]
    general = [c for c in contacts if c.district_id is None]
    own = [c for c in contacts if c.district_id is not None]
    if not contacts:
        if where:
            text = _("I know no official contact for {place} yet.").format(place=escape(where))
        else:
            text = _("I know no official contact yet.")
        lines.append(text)
        lines.append(
            _(
                "I show only contacts published by an official source or entered by an admin "
                "with their source, and I do not guess numbers."
            )
        )
    for group in (own, general):
        if group is general and own and general:
            lines += ["", "<b>" + escape(_("For every district")) + "</b>"]
        for contact in group:
            lines += contact_lines(contact, tr, for_admin)
    lines += [
        "",
        _("A person can help with what is not here: press “✉️ Ask a person” or send /ask."),
    ]
    if for_admin:
        lines += [
            "",
            "🛠 " + escape(_("Add one with /setcontact, remove one with /delcontact <id>.")),
        ]
    rows = button_rows(
        [
            button("📞 " + d.name(tr.lang), cb.CONTACTS, d.slug)
            for d in others
            if district is None or d.slug != district.slug
        ],
        2,
    )
    rows.append([ask_button(tr)])
    return "\n".join(lines), Keyboard(rows)


def where_text(district: District | None, tr: Translator) -> str:
    return district_name(district, tr) if district is not None else tr.gettext("every district")


def contact_preview(
    district: District | None, kind: str, value: str, name: str | None, source: str, tr: Translator
) -> str:
    """What /setcontact will add, before ✅."""
    _ = tr.gettext
    lines = [
        "🛠 <b>" + escape(_("New contact")) + "</b>",
        "",
        _("For: {place}").format(place=escape(where_text(district, tr))),
        _("Kind: {kind}").format(kind=escape(kind_name(kind, tr))),
        _("Value: {value}").format(value=f"<b>{escape(value)}</b>"),
    ]
    if name:
        lines.append(_("What it is: {name}").format(name=escape(name)))
    lines += [
        _("Source: {source}").format(source=escape(source)),
        "",
        _("Users will see it with its source and today's date. Check the value once more."),
    ]
    return "\n".join(lines)


def delete_preview(contact: Contact, tr: Translator) -> str:
    """What /delcontact will remove, before ✅."""
    where = escape(where_text(contact.district, tr))
    lines = ["🗑 " + escape(tr.gettext("Remove this contact?")), ""]
    lines += contact_lines(contact, tr, with_id=True)
    return "\n".join([*lines, tr.gettext("For: {place}").format(place=where)])


def usage(command: str, tr: Translator) -> str:
    """How to call /setcontact or /delcontact, with an example."""
    _ = tr.gettext
    if command == "delcontact":
        text = _("Usage: /delcontact <id> (the ids are shown to admins in /contacts).")
        return "ℹ️ " + escape(text) + "\n" + _("Example:") + " <code>/delcontact 3</code>"
    text = _(
        "Usage: /setcontact <district or all> <kind> <value> [name=<what it is>] "
        "source=<where it was published>. Kinds: phone, email, web, address. "
        "The source is required: a link or the name of the office that published it."
    )
    example = "/setcontact Xocavənd web https://example.org/contacts name=… source=…"
    return "ℹ️ " + escape(text) + "\n" + _("Example:") + f" <code>{escape(example)}</code>"


def error_text(code: str, tr: Translator) -> str:
    """Why a /setcontact line does not fit, by the code of `bot.domain.contacts`."""
    _ = tr.gettext
    texts = {
        "usage": _("Give the place, the kind of contact, its value and its source."),
        "place": _("Say first for which district the contact is, or all."),
        "kind": _("Say what kind of contact it is: phone, email, web or address."),
        "source": _(
            "A contact needs its source (source=<link or office>): I show no contact without one."
        ),
        "phone": _(
            "This is not a valid phone number. Write it with the country code, e.g. "
            "+994 followed by the area code and number, or a short hotline number."
        ),
        "email": _("This is not a valid e-mail address."),
        "web": _("This is not a valid web address (http:// or https://, with a domain)."),
        "address": _("An address needs a few words: the street, building or office."),
        "long": _("Too long: a value has at most 300 characters, a source 500, a name 200."),
    }
    return "⚠️ " + escape(texts.get(code, texts["usage"]))
