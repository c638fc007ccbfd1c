"""Questions to a person: what the user is asked and told (which place, write your
question, "Question #12 passed on", limits, answers and closing), what admins see of a
question (first name, language and place, never a phone number), /tickets, the /stats
lines and the privacy line of /help."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from babel.dates import format_timedelta
from telegram import InlineKeyboardMarkup

from bot.i18n import NARROW_NBSP, Translator
from bot.views import callbacks as cb
from bot.views.common import Keyboard, button, button_rows, escape, settlement_or_district_name
from db.models import ANSWERED, District, Region, Settlement, Ticket

TOPIC_NAME_LIMIT = 128  # characters Telegram allows in a forum topic's name
REPORT = "report"  # Ticket.kind of a data report (db.tickets.REPORT)


def duration(delta: dt.timedelta, tr: Translator) -> str:
    """`3 hours`, `2 days` in the reader's language."""
    seconds = max(delta.total_seconds(), 60)
    text = format_timedelta(
        dt.timedelta(seconds=seconds), granularity="minute", threshold=1.5, locale=tr.lang
    )
    return text.replace(NARROW_NBSP, " ")


def ticket_place(ticket: Ticket) -> Settlement | District | None:
    return ticket.settlement or ticket.district


def place_label(ticket: Ticket, tr: Translator) -> str:
    """The place a ticket is about, or "no place" (plain text)."""
    place = ticket_place(ticket)
    if place is None:
        return tr.gettext("no place given")
    return settlement_or_district_name(place, tr)


# ------------------------------------------------------------------ to the user


def which_place(
    ticket: Ticket, regions: Sequence[Region], tr: Translator
) -> tuple[str, InlineKeyboardMarkup]:
    """Which place the question is about: a button per district, "not about one place"."""
    _ = tr.gettext
    text = "✉️ " + _("Which place is your question about?")
    buttons = [
        button(district.name(tr.lang), cb.TICKET_PLACE, f"{ticket.id}.{district.slug}")
        for region in regions
        for district in region.districts
    ]
    rows = button_rows(buttons, 3)
    rows.append([button("🌐 " + _("Not about one place"), cb.TICKET_PLACE, f"{ticket.id}.-")])
    rows.append([button("✖️ " + _("Cancel"), cb.TICKET_CANCEL, str(ticket.id))])
    return text, Keyboard(rows)


def write_prompt(ticket: Ticket, tr: Translator) -> str:
    """Ask for the question (or, for a data report, the note)."""
    _ = tr.gettext
    place = escape(place_label(ticket, tr))
    if ticket.kind == REPORT:
        return "⚠️ " + _(
            "What looks out of date on the card of {place}? Write a short note; a photo or a "
            "document helps too. The admins will get the card's figures with it."
        ).format(place=place)
    text = _(
        "Write your question for a person in one message: text, a photo, a document, a "
        "voice message or a location."
    )
    if ticket.settlement is not None or ticket.district is not None:
        text += " " + _("About: {place}.").format(place=place)
    return "✉️ " + text


def private_only(tr: Translator) -> str:
    return tr.gettext("Questions to a person are asked in a private chat with me.")


def passed_on(ticket: Ticket, tr: Translator) -> str:
    """The numbered confirmation."""
    return "✅ " + tr.gettext(
        "Question #{n} passed on; the answer will come here. To add to it, reply to this message."
    ).format(n=ticket.id)


def added(ticket: Ticket, tr: Translator) -> str:
    return "➕ " + tr.gettext("Added to question #{n}.").format(n=ticket.id)


def cancelled(tr: Translator) -> str:
    return tr.gettext("Cancelled: nothing was passed on.")


def too_many_open(limit: int, tr: Translator) -> str:
    return "⏳ " + tr.ngettext(
        "You already have {n} question waiting for an answer. Please wait for it, or add to "
        "it by replying to its confirmation.",
        "You already have {n} questions waiting for an answer. Please wait for them, or add "
        "to one by replying to its confirmation.",
        limit,
    ).format(n=tr.number(limit))


def too_many_messages(tr: Translator) -> str:
    return "⏳ " + tr.gettext(
        "You have sent many messages to the admins in the last hour. Please wait a little "
        "before sending more; nothing you sent is lost."
    )


def is_closed(ticket: Ticket, tr: Translator) -> str:
    return tr.gettext("Question #{n} is closed. To ask something new, use /ask.").format(
        n=ticket.id
    )


def answer_header(ticket_id: int, admin: str, tr: Translator) -> str:
    """Above an admin's answer, in the user's language (HTML)."""
    return "💬 " + tr.gettext("Answer to your question #{n} from {admin}:").format(
        n=ticket_id, admin=f"<b>{escape(admin)}</b>"
    )


def closed_notice(ticket_id: int, tr: Translator) -> str:
    return "✅ " + tr.gettext(
        "Your question #{n} is closed. If you need anything else, use /ask."
    ).format(n=ticket_id)


def privacy_line(days: int, tr: Translator) -> str:
    """What asking a person shares with whom, for /help."""
    return "🔒 " + tr.gettext(
        "When you ask a person (/ask), the bot's admins see your first name, your language, "
        "the place and what you send — never your phone number. Closed questions are "
        "deleted after {days} days; /forget deletes them at once."
    ).format(days=tr.number(days))


# ------------------------------------------------------------------ to the admins


def topic_name(ticket: Ticket, tr: Translator) -> str:
    """`#12 · Sos · az · Aygün`, within Telegram's 128 characters."""
    place = ticket_place(ticket)
    parts = [f"#{ticket.id}", place.name(tr.lang) if place is not None else "—"]
    parts += [ticket.language, ticket.first_name]
    if ticket.kind == REPORT:
        parts.insert(1, "⚠️")
    return " · ".join(part for part in parts if part)[:TOPIC_NAME_LIMIT]


def admin_card(ticket: Ticket, tr: Translator) -> str:
    """What admins see of a question before its messages (HTML)."""
    _ = tr.gettext
    title = _("Data report #{n}") if ticket.kind == REPORT else _("Question #{n}")
    lines = [
        ("⚠️ " if ticket.kind == REPORT else "❓ ") + "<b>" + title.format(n=ticket.id) + "</b>",
        _("From: {name} · language: {language} · place: {place}").format(
            name=escape(ticket.first_name),
            language=ticket.language,
            place=escape(place_label(ticket, tr)),
        ),
    ]
    if ticket.report:
        lines += [
            "",
            _("The card the user saw:"),
            f"<blockquote>{escape(ticket.report)}</blockquote>",
        ]
    lines += ["", _("Reply to answer; the user sees only your first name.")]
    return "\n".join(lines)


def admin_keyboard(ticket: Ticket, tr: Translator, *, private: bool) -> InlineKeyboardMarkup:
    """↩️ Reply (in a private chat) and ✅ Close."""
    row = [button("✅ " + tr.gettext("Close"), cb.TICKET_CLOSE, str(ticket.id))]
    if private:
        row.insert(0, button("↩️ " + tr.gettext("Reply"), cb.TICKET_REPLY, str(ticket.id)))
    return Keyboard([row])


def more_from(ticket: Ticket, tr: Translator) -> str:
    return "➕ " + tr.gettext("Question #{n} ({name}), one more message:").format(
        n=ticket.id, name=escape(ticket.first_name)
    )


def reply_prompt(ticket: Ticket, tr: Translator) -> str:
    return "↩️ " + tr.gettext("Your answer to question #{n} ({name}):").format(
        n=ticket.id, name=escape(ticket.first_name)
    )


def answer_passed(ticket: Ticket, tr: Translator) -> str:
    return "✅ " + tr.gettext("Your answer goes to {name} (question #{n}).").format(
        n=ticket.id, name=escape(ticket.first_name)
    )


def author_gone(ticket: Ticket, tr: Translator) -> str:
    return "⚠️ " + tr.gettext(
        "The author of question #{n} deleted their data (/forget): the answer cannot be passed on."
    ).format(n=ticket.id)


def author_blocked(ticket: Ticket, tr: Translator) -> str:
    return "⚠️ " + tr.gettext(
        "{name} has blocked the bot: the answer to question #{n} cannot be delivered."
    ).format(n=ticket.id, name=escape(ticket.first_name))


def closed_by(ticket: Ticket, admin: str, tr: Translator) -> str:
    return "✅ " + tr.gettext("Question #{n} closed by {admin}; the user is told.").format(
        n=ticket.id, admin=escape(admin)
    )


def already_closed(ticket_id: int, tr: Translator) -> str:
    return tr.gettext("Question #{n} is not open (closed already, or unknown).").format(n=ticket_id)


def admins_only_here(tr: Translator) -> str:
    return tr.gettext("Only the bot's admins can answer questions here.")


def tickets_view(tickets: Sequence[Ticket], now: dt.datetime, tr: Translator) -> str:
    """/tickets: the waiting questions, oldest first, with their age."""
    _ = tr.gettext
    if not tickets:
        return "📬 " + _("No questions are waiting.")
    lines = ["📬 <b>" + _("Questions waiting, oldest first") + "</b>", ""]
    for ticket in tickets:
        age = duration(now - (ticket.opened_at or ticket.created_at), tr)
        state = _("answered") if ticket.status == ANSWERED else _("not answered yet")
        kind = "⚠️ " if ticket.kind == REPORT else ""
        lines.append(
            f"{kind}#{ticket.id} · {escape(place_label(ticket, tr))} · {ticket.language} · "
            f"{escape(ticket.first_name)} · {age} · {state}"
        )
    lines += ["", escape(_("Close one with /close <number>."))]
    return "\n".join(lines)


def stats_lines(
    waiting: int, answered_week: int, median: dt.timedelta | None, tr: Translator
) -> list[str]:
    """The questions' part of /stats."""
    _ = tr.gettext
    lines = [
        _("Questions waiting: {waiting}; answered in the last 7 days: {answered}").format(
            waiting=tr.number(waiting), answered=tr.number(answered_week)
        )
    ]
    if median is not None:
        lines.append(_("Median time to the first answer: {time}").format(time=duration(median, tr)))
    return lines
