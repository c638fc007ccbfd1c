"""What every view uses: HTML escaping, the keyboard and button makers, names and labels in
the reader's language, and the formatting of figures and moments.

Pure functions, no I/O. Everything that came from the dataset or a user is escaped by the
views that put it into HTML; the names here are plain text, escaped where they are used.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from functools import partial
from html import escape as _html_escape
from typing import Any

from babel.dates import format_date, format_skeleton
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.domain.clock import BAKU
from bot.i18n import NARROW_NBSP, Translator, _
from bot.views import callbacks as cb
from db.models import District, Settlement

escape = partial(_html_escape, quote=False)  # text nodes only; no attribute values here


class Keyboard(InlineKeyboardMarkup):
    """An inline keyboard that makes its JSON form once: PTB converts a keyboard to a dict
    on every send, and a composed card (`bot.places.Places.view`) is sent again and again.
    Like every PTB object it cannot be changed after it is made; never change the dict."""

    __slots__ = ("_as_dict",)

    def to_dict(self, recursive: bool = True) -> dict[str, Any]:
        if not recursive:
            return super().to_dict(recursive)
        try:
            return self._as_dict
        except AttributeError:
            self._as_dict: dict[str, Any] = super().to_dict()
            return self._as_dict


def button(text: str, prefix: str, argument: str = "") -> InlineKeyboardButton:
    """A button whose callback data is `<prefix>:<argument>` (`bot.views.callbacks`)."""
    return InlineKeyboardButton(text, callback_data=cb.make(prefix, argument))


def button_rows(
    buttons: Sequence[InlineKeyboardButton], width: int
) -> list[list[InlineKeyboardButton]]:
    """The buttons in rows of `width`."""
    return [list(buttons[i : i + width]) for i in range(len(buttons))[::width]]


def localized(note: dict[str, str] | None, tr: Translator) -> str | None:
    """A note of the dataset in the reader's language; a note not translated into it yet is
    only mentioned, in that language (a note in another language is not shown)."""
    if not note:
        return None
    if text := note.get(tr.lang):
        return text
    if any(note.values()):
        return tr.gettext("The source adds a remark not yet translated into this language.")
    return None


# the source admin edits were stored with before a source was required (and its form once
# migration 0008 took the admin's id out of it): an administrator, the chat, the day
_ADMIN_ENTERED = re.compile(r"admin(?:istrator)?(?: \d+)?, via chat, (\d{4}-\d{2}-\d{2})")
# remarks the dataset's citations make in English, said in the reader's language
_SOURCE_REMARKS = {
    re.compile(r"\bdate approximate\b"): _("date approximate"),
    re.compile(r"\bciting ([^();,]+)"): _("citing {name}"),
    re.compile(r"\brepeated in\b"): _("repeated in"),
    re.compile(r"\bState Committee\b"): _("State Committee"),
    re.compile(r"\bPrime Minister Asadov\b"): _("Prime Minister Asadov"),
}


def plain_source(source: str, tr: Translator) -> str:
    """A figure's source for the public, as plain text: as the dataset or the admin gave
    it, with its English remarks (`date approximate`, `citing …`) in the reader's language;
    the old `admin <id>, via chat, <date>` of admin edits says, in that language, that an
    administrator entered it on that day (never who)."""
    if match := _ADMIN_ENTERED.fullmatch(source.strip()):
        day = dt.date.fromisoformat(match.group(1))
        return tr.gettext("an administrator, on {date}").format(date=tr.date(day))
    for pattern, remark in _SOURCE_REMARKS.items():
        source = pattern.sub(
            lambda m, remark=remark: tr.gettext(remark).format(name=m[1] if m.groups() else ""),
            source,
        )
    return source


def source_text(source: str, tr: Translator) -> str:
    """`plain_source`, HTML-escaped."""
    return escape(plain_source(source, tr))


def reported_by(source: str, tr: Translator) -> str:
    """`Reported by <source>` in the reader's language (HTML)."""
    return tr.gettext("Reported by {source}").format(source=source_text(source, tr))


def kind_label(kind: str, tr: Translator) -> str:
    """`village`, `township`, `city` or `district` in the reader's language."""
    _ = tr.gettext
    labels = {
        "village": _("village"),
        "township": _("township"),
        "city": _("city"),
        "district": _("district"),
    }
    return labels.get(kind, kind)


def district_name(district: District, tr: Translator) -> str:
    """`Khojavand district`, or the city's name (plain text, not escaped)."""
    name = district.name(tr.lang)
    return tr.gettext("{name} district").format(name=name) if district.kind == "district" else name


def place_name(settlement: Settlement, tr: Translator) -> str:
    """`Sos (Khojavand district)` (plain text, not escaped)."""
    return tr.gettext("{place} ({district})").format(
        place=settlement.name(tr.lang), district=district_name(settlement.district, tr)
    )


def settlement_or_district_name(place: Settlement | District, tr: Translator) -> str:
    """`place_name` of a settlement, `district_name` of a district (plain text)."""
    return place_name(place, tr) if isinstance(place, Settlement) else district_name(place, tr)


def families_people(families: int | None, people: int | None, tr: Translator) -> str:
    """`24 families, 99 people` with the language's plural forms."""
    ngettext = tr.ngettext
    parts = []
    if families is not None:
        parts.append(ngettext("{n} family", "{n} families", families).format(n=tr.number(families)))
    if people is not None:
        parts.append(ngettext("{n} person", "{n} people", people).format(n=tr.number(people)))
    return ", ".join(parts) or tr.gettext("figures not published")


def figure_label(figure: str, tr: Translator) -> str:
    """The name of a housing figure of `db.outbox.housing_figures`."""
    _ = tr.gettext
    if figure.startswith("due:"):
        return _("Due by {date}").format(date=tr.date(dt.date.fromisoformat(figure[4:])))
    labels = {
        "homes_total": _("Homes planned"),
        "ready": _("Ready homes"),
        "built": _("Homes built"),
        "under_construction": _("Under construction"),
    }
    return labels.get(figure, figure)


def figure_text(value: int | None, tr: Translator) -> str:
    """A housing figure in the reader's language, `—` when there is none."""
    return tr.number(value) if value is not None else "—"


def change_text(label: str, old: int | None, new: int | None, tr: Translator) -> str:
    """`Ready homes: 10 → <b>40</b>`; a figure added or removed is said in words, never as
    `— → 50` or `75 → —`."""
    _ = tr.gettext
    if old is None and new is not None:
        return _("{label}: <b>{new}</b> (new)").format(label=label, new=tr.number(new))
    if new is None and old is not None:
        return _("{label}: removed (was {old})").format(label=label, old=tr.number(old))
    return f"{label}: {figure_text(old, tr)} → <b>{figure_text(new, tr)}</b>"


def datetime_text(moment: dt.datetime, tr: Translator) -> str:
    """`Nov 26, 2026, 14:05` in Asia/Baku, from a naive UTC moment of the database."""
    aware = moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment
    local = aware.astimezone(BAKU)
    day = format_date(local, "medium", locale=tr.lang)
    return f"{day}, {format_skeleton('Hm', local, locale=tr.lang)}".replace(NARROW_NBSP, " ")


def sentence(template: str, **values: str) -> str:
    """`template` filled in, a value that ends with its own full stop (a Russian date,
    "2 декабря 2026 г.") taking the sentence's rather than doubling it."""
    for key, value in values.items():
        if value.endswith("."):
            template = template.replace(f"{{{key}}}.", f"{{{key}}}")
    return template.format(**values)


# remarks the dataset's sources make in English, said in the reader's language
