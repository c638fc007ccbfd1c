"""FAQ texts: the list of `/faq [place]` in the reader's language (an entry not written in it
is shown in a language it has, with a note saying which), the offer of an entry before a
question goes to a person, and the previews and usage of /addfaq and /delfaq.

Everything an admin wrote is escaped here."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from babel import Locale
from telegram import InlineKeyboardMarkup

from bot.i18n import Translator
from bot.views import callbacks as cb
from bot.views.common import Keyboard, button, escape, settlement_or_district_name
from bot.views.contacts import ask_button
from db.models import District, FaqEntry, Settlement

LANGUAGES = ("az", "en", "ru")


def language_name(code: str, tr: Translator) -> str:
    """`ingilis`, `English`, `английский`: a language's name in the reader's language."""
    return Locale.parse(code).get_language_name(tr.lang) or code


def in_language(texts: Mapping[str, str], tr: Translator) -> tuple[str, str | None]:
    """The text in the reader's language, else in the first language it has, with that
    language's code (None when it is the reader's own)."""
    if texts.get(tr.lang):
        return texts[tr.lang], None
    code = next((c for c in LANGUAGES if texts.get(c)), next(iter(texts), tr.lang))
    return texts.get(code, ""), code


def entry_place(entry: FaqEntry) -> Settlement | District | None:
    return entry.settlement or entry.district


def _key(place: Settlement | District | None) -> tuple[str, str] | None:
    return (type(place).__name__, place.slug) if place is not None else None


def entry_block(
    entry: FaqEntry, tr: Translator, with_id: bool = False, with_place: bool = False
) -> str:
    """The question in bold, the answer, and a note when it is not in the reader's language;
    `with_place`: the place it is for above it (`with_id`: and its id, for admins)."""
    answer, answer_lang = in_language(entry.answer, tr)
    # the question in the answer's language, so that the two read together
    question = entry.question.get(answer_lang or tr.lang) or in_language(entry.question, tr)[0]
    head = f"❔ <b>{escape(question)}</b>"
    place = entry_place(entry)
    above = [f"<code>#{entry.id}</code>"] if with_id else []
    if with_place or with_id:
        where = settlement_or_district_name(place, tr) if place else tr.gettext("everywhere")
        above.append("📍 " + escape(where))
    if above:
        head = " · ".join(above) + "\n" + head
    lines = [head, escape(answer)]
    if answer_lang is not None:
        note = tr.gettext(
            "This answer is not written in your language yet; it is shown in: {language}."
        )
        lines.append(
            "<i>ℹ️ " + escape(note.format(language=language_name(answer_lang, tr))) + "</i>"
        )
    return "\n".join(lines)


def faq_list(
    entries: Sequence[FaqEntry],
    place: Settlement | District | None,
    tr: Translator,
    *,
    for_admin: bool = False,
) -> tuple[str, InlineKeyboardMarkup]:
    """The entries for `place` (and those for everywhere), or that there are none yet."""
    _ = tr.gettext
    name = settlement_or_district_name(place, tr) if place is not None else None
    title = (
        _("Questions and answers: {place}").format(place=name)
        if name
        else _("Questions and answers")
    )
    lines = ["💬 <b>" + escape(title) + "</b>", ""]
    if not entries:
        lines.append(escape(_("No questions have been answered here yet.")))
    for entry in entries:
        elsewhere = _key(entry_place(entry)) not in (None, _key(place))  # another place's
        lines += [entry_block(entry, tr, for_admin, elsewhere), ""]
    lines.append(escape(_("Not answered here? Press “✉️ Ask a person” or send /ask.")))
    if for_admin:
        lines += ["", "🛠 " + escape(_("Add one with /addfaq, remove one with /delfaq <id>."))]
    return "\n".join(lines), Keyboard([[ask_button(tr)]])


def offer(entry: FaqEntry, tr: Translator, ask_argument: str = "") -> tuple[str, Keyboard]:
    """ "This may answer it … — still ask a person?" with the two buttons."""
    _ = tr.gettext
    text = "\n\n".join(
        [
            "💡 " + escape(_("This may answer it:")),
            entry_block(entry, tr),
            escape(_("Does this answer your question, or do you still want to ask a person?")),
        ]
    )
    markup = Keyboard(
        [
            [button("✅ " + _("That answers it"), cb.FAQ_ANSWERED, str(entry.id))],
            [button("✉️ " + _("Still ask a person"), cb.ASK, ask_argument)],
        ]
    )
    return text, markup


def add_preview(
    question: Mapping[str, str],
    answer: Mapping[str, str],
    place: Settlement | District | None,
    tr: Translator,
) -> str:
    """What /addfaq will add, language by language, and which languages it lacks."""
    _ = tr.gettext
    where = settlement_or_district_name(place, tr) if place is not None else _("everywhere")
    lines = [
        "🛠 <b>" + escape(_("New FAQ entry")) + "</b>",
        escape(_("For: {place}").format(place=where)),
    ]
    for code in LANGUAGES:
        if code in question or code in answer:
            lines += [
                "",
                f"<b>{escape(language_name(code, tr).capitalize())}</b>",
                "❔ " + escape(question.get(code) or "—"),
                escape(answer.get(code) or "—"),
            ]
    missing = [language_name(c, tr) for c in LANGUAGES if c not in answer]
    if missing:
        note = _(
            "No answer in: {languages}. Readers of those languages get one it has, with a note."
        )
        lines += ["", "⚠️ " + escape(note.format(languages=", ".join(missing)))]
    return "\n".join(lines)


def delete_preview(entry: FaqEntry, tr: Translator) -> str:
    return (
        "🗑 " + escape(tr.gettext("Remove this FAQ entry?")) + "\n\n" + entry_block(entry, tr, True)
    )


def usage(command: str, tr: Translator) -> str:
    """How to call /addfaq or /delfaq, with an example."""
    _ = tr.gettext
    if command == "delfaq":
        text = _("Usage: /delfaq <id> (the ids are shown to admins in /faq).")
        return "ℹ️ " + escape(text) + "\n" + _("Example:") + " <code>/delfaq 3</code>"
    text = _(
        "Usage: /addfaq [place], then the question and the answer in each language you have: "
        "a part starting with az? is the question in Azerbaijani, az: its answer (en? en: for "
        "English, ru? ru: for Russian), each on a line of its own. Without a place the entry is "
        "for everywhere. Sent as a reply to a message, that message is the answer in your "
        "language."
    )
    example = (
        "/addfaq Sos\naz? Evin damı axır, nə etməli?\naz: …\n"
        "en? The roof leaks, what should I do?\nen: …"
    )
    return "ℹ️ " + escape(text) + "\n" + _("Example:") + f"\n<code>{escape(example)}</code>"


def error_text(code: str, lang: str | None, tr: Translator) -> str:
    """Why an /addfaq message does not fit, by the code of `bot.domain.faq.DraftError`."""
    _ = tr.gettext
    language = language_name(lang, tr) if lang else ""
    texts = {
        "usage": _("Give a question and its answer."),
        "question": _("Give the question too (a part starting with az?, en? or ru?)."),
        "answer": _("Give the answer too (a part starting with az:, en: or ru:)."),
        "twice": _("One language is given twice: {language}."),
        "long": _("Too long ({language}): a question has at most 300 characters, an answer 3000."),
    }
    return "⚠️ " + escape(texts.get(code, texts["usage"]).format(language=language))
