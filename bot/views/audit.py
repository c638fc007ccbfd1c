"""The audit log as an admin reads it: when (Baku time, by Babel), who (by name, with the id),
what (in words), which place (by name), and before → after in the reader's language."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from typing import Any

from bot.i18n import Translator, _
from bot.views.broadcast import status_label
from bot.views.common import datetime_text, escape, settlement_or_district_name
from bot.views.dataset import ENTITY_TITLES, column_name
from bot.views.menu import LANGUAGE_NAMES
from bot.views.people import Names, person
from db.models import FALLBACK_SKIP, AuditEntry, District, Settlement
from db.snapshot import PlaceData

MESSAGE_LIMIT = 4000  # Telegram's is 4096 characters; leave room for the closing tags

ACTIONS = {
    "admin.add": _("added an admin"),
    "admin.remove": _("removed an admin"),
    "caravan.add": _("recorded a caravan"),
    "caravan.edit": _("corrected a caravan"),
    "caravan.cancel": _("cancelled a caravan"),
    "housing.set": _("set housing figures"),
    "caravan.urgent": _("sent a caravan's news in the quiet hours"),
    "housing.urgent": _("sent a housing alert in the quiet hours"),
    "contact.set": _("added a contact"),
    "contact.delete": _("removed a contact"),
    "faq.add": _("added an FAQ entry"),
    "faq.delete": _("removed an FAQ entry"),
    "broadcast.send": _("sent a broadcast"),
    "broadcast.cancel": _("stopped a broadcast"),
    "import": _("imported a dataset file"),
    "errors.on": _("asked for error reports"),
    "errors.off": _("stopped error reports"),
}
# fields of the entries' before/after (beyond the dataset's columns) → their names
FIELDS = {
    "user_id": _("admin"),
    "added_by": _("added by"),
    "added_at": _("added on"),
    "on": _("error reports"),
    "scope": _("audience"),
    "status": _("state"),
    "total": _("recipients"),
    "text": _("text"),
    "copy": _("copied message"),
    "texts": _("texts"),
    "fallback": _("readers of other languages get"),
    "urgent": _("sent in the quiet hours"),
    "sent_now": _("messages sent at once"),
    "file": _("file"),
    "sha256": _("SHA-256"),
    "changes": _("changes"),
    "note": _("note"),
}
CHANGES = {"added": _("added: {n}"), "changed": _("changed: {n}"), "removed": _("removed: {n}")}
PEOPLE_FIELDS = ("user_id", "added_by")
NUMBERED = {
    "caravan": _("caravan #{id}"),
    "contact": _("contact #{id}"),
    "faq": _("FAQ entry #{id}"),
}

_CARAVAN = re.compile(r"caravan #(\d+) \((.+)\)")
_NUMBERED = re.compile(r"(caravan|contact|faq) #(\d+)")
_HOUSING = re.compile(r"housing (.+)")
_BROADCAST = re.compile(r"broadcast:(\d+)")
_PERSON = re.compile(r"(?:admin|user) (\d+)")
_CHAT_SOURCE = re.compile(r"admin (\d+), via chat, (\d{4}-\d{2}-\d{2})")


def action_label(action: str, tr: Translator) -> str:
    """A readable name of an audit action; an unknown action is shown as recorded."""
    return tr.gettext(ACTIONS[action]) if action in ACTIONS else action


def actor_ids(entries: Sequence[AuditEntry]) -> set[int]:
    """Everyone an entry names: who acted, and the admins added or removed."""
    ids = {entry.actor_id for entry in entries}
    for entry in entries:
        if match := _PERSON.fullmatch(entry.target):
            ids.add(int(match[1]))
        for values in (entry.before or {}, entry.after or {}):
            ids.update(v for k, v in values.items() if k in PEOPLE_FIELDS and isinstance(v, int))
    return ids


def _place(slug: str, data: PlaceData, tr: Translator) -> str:
    place = data.settlement(slug) or data.district(slug)
    return escape(place.name(tr.lang)) if place is not None else escape(slug)


def _scope(scope: str, data: PlaceData, tr: Translator) -> str:
    if scope == "all":
        return escape(tr.gettext("everyone who uses the bot"))
    kind, _sep, number = scope.partition(":")
    places: list[Settlement | District] = (
        list(data.settlements.values()) if kind == "settlement" else list(data.districts.values())
    )
    for place in places:
        if str(place.id) == number:
            return escape(settlement_or_district_name(place, tr))
    return escape(tr.gettext("a place that no longer exists"))


def target_text(target: str, data: PlaceData, names: Names, tr: Translator) -> str:
    """`caravan #7, Sos`, `housing of Sos`, `broadcast #7`, a person, or a file (HTML)."""
    _ = tr.gettext
    if match := _CARAVAN.fullmatch(target):
        return _("caravan #{id}, {place}").format(id=match[1], place=_place(match[2], data, tr))
    if match := _NUMBERED.fullmatch(target):
        return _(NUMBERED[match[1]]).format(id=match[2])
    if match := _HOUSING.fullmatch(target):
        return _("housing of {place}").format(place=_place(match[1], data, tr))
    if match := _BROADCAST.fullmatch(target):
        return _("broadcast #{id}").format(id=match[1])
    if match := _PERSON.fullmatch(target):
        return person(int(match[1]), names, tr)
    return escape(target)


def source_text(source: str, names: Names, tr: Translator) -> str:
    """A caravan's source; one an admin gave in the chat said in words (HTML)."""
    if match := _CHAT_SOURCE.fullmatch(source):
        return tr.gettext("{person} in the chat, {date}").format(
            person=person(int(match[1]), names, tr),
            date=tr.date(dt.date.fromisoformat(match[2])),
        )
    return "“" + escape(source if len(source) <= 120 else source[:119] + "…") + "”"


def _field(key: str, tr: Translator) -> str:
    if key in FIELDS:
        return tr.gettext(FIELDS[key])
    if key.startswith("due:"):
        day = tr.date(dt.date.fromisoformat(key[4:]))
        return tr.gettext("homes due by {date}").format(date=day)
    return column_name(key, tr)


def _changes_text(counts: Mapping[str, int], tr: Translator) -> str:
    parts = []
    for entity, title in ENTITY_TITLES.items():
        said = [
            tr.gettext(label).format(n=tr.number(counts[f"{entity} {kind}"]))
            for kind, label in CHANGES.items()
            if counts.get(f"{entity} {kind}")
        ]
        if said:
            parts.append(tr.gettext(title) + " — " + ", ".join(said))
    return escape("; ".join(parts)) or "—"


def value_text(key: str, value: Any, data: PlaceData, names: Names, tr: Translator) -> str:
    """One value of an entry in the reader's words (HTML)."""
    if value is None or value == "":
        return "—"
    if key in PEOPLE_FIELDS and isinstance(value, int):
        return person(value, names, tr)
    if key == "settlement" and isinstance(value, str):
        return _place(value, data, tr)
    if key == "scope" and isinstance(value, str):
        return _scope(value, data, tr)
    if key == "status" and isinstance(value, str):
        return escape(status_label(value, tr))
    if key == "source" and isinstance(value, str):
        return source_text(value, names, tr)
    if key == "changes" and isinstance(value, dict):
        return _changes_text(value, tr)
    if key == "texts" and isinstance(value, dict):
        return "; ".join(
            f"{escape(LANGUAGE_NAMES.get(k, k))}: {value_text('text', v, data, names, tr)}"
            for k, v in value.items()
        )
    if key == "fallback" and isinstance(value, str):
        if value == FALLBACK_SKIP:
            return escape(tr.gettext("nothing"))
        return escape(
            tr.gettext("the version in {language}").format(
                language=LANGUAGE_NAMES.get(value, value)
            )
        )
    if key == "sha256" and isinstance(value, str):
        return f"<code>{escape(value[:12])}…</code>"
    if isinstance(value, bool):
        return escape(tr.gettext("yes") if value else tr.gettext("no"))
    if isinstance(value, int | float):
        return tr.number(value)
    if isinstance(value, str):
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            return tr.date(dt.date.fromisoformat(value))
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}T[\d:.]+", value):
            return datetime_text(dt.datetime.fromisoformat(value), tr)
        return "“" + escape(value if len(value) <= 200 else value[:199] + "…") + "”"
    if isinstance(value, dict):
        return ", ".join(
            f"{_field(k, tr)}: {value_text(k, v, data, names, tr)}" for k, v in value.items()
        )
    return escape(str(value))


def audit_changes(
    before: Mapping[str, Any] | None,
    after: Mapping[str, Any] | None,
    data: PlaceData,
    names: Names,
    tr: Translator,
) -> str:
    """`date: 20 December 2026 → 21 December 2026; families: 12 → 14` — only what differs,
    each field and value in the reader's words (HTML)."""
    before, after = before or {}, after or {}
    parts = []
    for key in dict.fromkeys([*before, *after]):
        if key == "file":
            continue  # the target names it
        old, new = before.get(key), after.get(key)
        if key in before and key in after and old == new:
            continue
        label = escape(_field(key, tr))
        if key not in before:
            if new is not None:
                parts.append(f"{label}: {value_text(key, new, data, names, tr)}")
        elif key not in after:
            parts.append(f"{label}: {value_text(key, old, data, names, tr)} → —")
        else:
            old_text = value_text(key, old, data, names, tr)
            parts.append(f"{label}: {old_text} → {value_text(key, new, data, names, tr)}")
    return "; ".join(parts)


def audit_messages(
    entries: Sequence[AuditEntry], names: Names, data: PlaceData, tr: Translator
) -> list[str]:
    """The entries, newest first, as one or more messages under Telegram's length limit."""
    _ = tr.gettext
    if not entries:
        return ["📜 " + _("The audit log is empty.")]
    blocks = []
    for entry in entries:
        head = " · ".join(
            [
                datetime_text(entry.at, tr),
                person(entry.actor_id, names, tr),
                escape(action_label(entry.action, tr)),
                target_text(entry.target, data, names, tr),
            ]
        )
        block = f"• {head}"
        if changes := audit_changes(entry.before, entry.after, data, names, tr):
            block += "\n   " + (changes if len(changes) <= 1500 else _cut(changes, 1500))
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


def _cut(html: str, limit: int) -> str:
    """`html` shortened to about `limit` characters without cutting a tag or an entity."""
    cut = html[:limit]
    for opening, closing in (("<", ">"), ("&", ";")):
        if cut.rfind(opening) > cut.rfind(closing):
            cut = cut[: cut.rfind(opening)]
    if cut.count("<code>") > cut.count("</code>"):
        cut += "</code>"
    return cut + "…"
