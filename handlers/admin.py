"""Admin commands: who is an admin, editing caravans and housing figures, the audit log.

Every command and every button first runs `require_admin` (rights are read from the
database at that moment). Data-changing commands never act on the first message: they show
what will change and wait for ✅. Why confirm first rather than act and offer "undo": a new
caravan or new housing figures reach every subscriber within seconds, and a message cannot be
taken back; a typo in a date or a count (`/addcaravan 2026-12-02` for `2026-12-20`) is
exactly what a preview catches. Admin additions and removals act at once (nobody outside is
told), and like everything else are written to the audit log.

What a ✅ button does is kept on the server, in the database (`db.pending`), under a random
token with a lifetime; the button carries only that token. A press is honoured only when the
presser is (still) an admin and the token is one of *their* pending actions, and only once
(the token is consumed atomically, so two replicas receiving the same press cannot both act);
the ids in it are looked up again and the values re-validated. A forged or replayed press
does nothing (and `require_admin` logs a non-admin's). Being in the database, a pending
action survives a restart and works on whichever webhook replica the press reaches.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass, field
from typing import Any

from telegram import Update
from telegram.constants import ParseMode
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot.context import BotContext
from bot.domain import clock
from bot.i18n import _
from bot.views import admin as admin_cards
from bot.views import callbacks as cb
from bot.views.cards import escape
from db import admins, editing
from db import pending as pending_store
from db.models import Settlement
from handlers.common import find_place, place_query, show
from handlers.guard import require_admin

log = logging.getLogger(__name__)

MAX_FAMILIES = 5_000  # per caravan; the largest published ones are a few hundred
MAX_PEOPLE = 25_000
MAX_HOMES = 1_000_000
FIRST_YEAR = 2020  # no return caravan or housing figure predates this
YEARS_AHEAD = 3  # a caravan further ahead than this is a typo
DEADLINE_YEARS_AHEAD = 15
MAX_CHOICES = 10
CARAVAN_LIST = 15
AUDIT_DEFAULT, AUDIT_MAX = 10, 50
PENDING_TTL = dt.timedelta(hours=1)  # how long a ✅ button stays valid
MAX_PENDING = 20  # per admin; the oldest are dropped
# what a ✅ can do; stored as `admin:<kind>`, and `admin:pick` while the place is ambiguous
ACTION_KINDS = ("addcaravan", "sethousing", "editcaravan", "cancelcaravan")
CONFIRMABLE = tuple(f"admin:{kind}" for kind in ACTION_KINDS)
PICKING = "admin:pick"
STORED_KINDS = (*CONFIRMABLE, PICKING)

_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_YEAR = re.compile(r"\d{4}")
_NUMBER = re.compile(r"[-+]?[0-9]+(?:[.,][0-9]+)?")
_ID = re.compile(r"#?([1-9][0-9]{0,17})")


# ------------------------------------------------------------------ parsing (pure)


class Term(str):
    """An ArgError value that is itself a msgid (e.g. `families`), translated when shown."""


# the names of figures in argument errors, translated when shown
FIELDS = {
    "families": Term(_("families")),
    "people": Term(_("people")),
    "planned": Term(_("planned")),
    "ready": Term(_("ready")),
}


class ArgError(ValueError):
    """The arguments do not fit: `message` (a msgid, formatted with `values`) says why."""

    def __init__(self, message: str | None = None, **values: Any) -> None:
        super().__init__(message)
        self.message = message
        self.values = values


def parse_date(text: str) -> dt.date:
    """A real YYYY-MM-DD date."""
    match = _DATE.fullmatch(text)
    try:
        if match is None:
            raise ValueError
        return dt.date(*(int(part) for part in match.groups()))
    except ValueError:
        raise ArgError(
            _("“{value}” is not a real date of the form YYYY-MM-DD."), value=text
        ) from None


def parse_count(text: str, name: str, low: int, high: int) -> int:
    """A whole number from `low` to `high`; `name` is a Term or a literal (a deadline)."""
    if re.fullmatch(r"[0-9]{1,9}", text) and low <= int(text) <= high:
        return int(text)
    raise ArgError(
        _("{name}: give a whole number from {low} to {high}, not “{value}”."),
        name=name,
        low=low,
        high=high,
        value=text,
    )


def _check_caravan_date(date: dt.date, today: dt.date) -> None:
    latest = today.replace(year=today.year + YEARS_AHEAD, day=min(today.day, 28))
    if not dt.date(FIRST_YEAR, 1, 1) <= date <= latest:
        raise ArgError(
            _("The date {value} is out of range: from {first} to {last}."),
            value=date.isoformat(),
            first=f"{FIRST_YEAR}-01-01",
            last=latest.isoformat(),
        )


def check_counts(families: int | None, people: int | None) -> None:
    if families is not None and people is not None and people < families:
        raise ArgError(
            _("People ({people}) cannot be fewer than families ({families})."),
            people=people,
            families=families,
        )


def parse_addcaravan(args: list[str], today: dt.date) -> tuple[dt.date, str, int, int | None]:
    """`<YYYY-MM-DD> <settlement…> <families> [people]`: the date first, one or two trailing
    numbers last, and the words between them are the place (it may be several words)."""
    if len(args) < 3:
        raise ArgError()
    date = parse_date(args[0])
    _check_caravan_date(date, today)
    numbers: list[str] = []
    rest = list(args[1:])
    while rest and len(numbers) < 2 and _NUMBER.fullmatch(rest[-1]):
        numbers.insert(0, rest.pop())
    if not numbers or not rest:
        raise ArgError()
    families = parse_count(numbers[0], FIELDS["families"], 1, MAX_FAMILIES)
    people = parse_count(numbers[1], FIELDS["people"], 1, MAX_PEOPLE) if len(numbers) == 2 else None
    check_counts(families, people)
    return date, " ".join(rest), families, people


def _assignments(tokens: list[str]) -> dict[str, str]:
    values: dict[str, str] = {}
    for token in tokens:
        key, _sep, value = token.partition("=")
        key = key.strip().lower()
        if not key or not value:
            raise ArgError(_("“{value}” should look like name=number."), value=token)
        if key in values:
            raise ArgError(_("“{value}” is given twice."), value=key)
        values[key] = value.strip()
    return values


def parse_sethousing(args: list[str], today: dt.date) -> tuple[str, int, int, dict[dt.date, int]]:
    """`<settlement…> planned=<n> ready=<n> [<YYYY or YYYY-MM-DD>=<n> …]`; a year alone means
    by 31 December of that year, and 0 homes removes that deadline. The deadlines not given
    are kept (`editing.housing_deadlines`), and checked once the settlement is known."""
    place = [a for a in args if "=" not in a]
    values = _assignments([a for a in args if "=" in a])
    if not place or "planned" not in values or "ready" not in values:
        raise ArgError()
    planned = parse_count(values.pop("planned"), FIELDS["planned"], 0, MAX_HOMES)
    ready = parse_count(values.pop("ready"), FIELDS["ready"], 0, MAX_HOMES)
    deadlines: dict[dt.date, int] = {}
    for key, value in values.items():
        if _YEAR.fullmatch(key):
            due_by = dt.date(int(key), 12, 31)
        elif _DATE.fullmatch(key):
            due_by = parse_date(key)
        else:
            raise ArgError(_("Unknown figure “{value}”."), value=key)
        if not FIRST_YEAR <= due_by.year <= today.year + DEADLINE_YEARS_AHEAD:
            raise ArgError(_("The deadline {value} is out of range."), value=key)
        if due_by in deadlines:
            raise ArgError(_("“{value}” is given twice."), value=key)
        deadlines[due_by] = parse_count(value, key, 0, MAX_HOMES)  # 0: remove the deadline
    if ready > planned:
        raise ArgError(
            _("Ready homes ({ready}) cannot exceed planned ones ({planned})."),
            ready=ready,
            planned=planned,
        )
    if ready + sum(deadlines.values()) > planned:
        raise ArgError(
            _("Ready homes and the deadlines add up to more than planned ({planned})."),
            planned=planned,
        )
    return " ".join(place), planned, ready, deadlines


def check_kept_deadlines(
    planned: int, ready: int, stored: dict[dt.date, int], given: dict[dt.date, int]
) -> None:
    """The deadlines /sethousing keeps from the current figures count towards planned too."""
    if ready + sum(stored.values()) > planned:
        kept = ", ".join(f"{day.isoformat()}={n}" for day, n in stored.items() if day not in given)
        raise ArgError(
            _(
                "Ready homes and the deadlines add up to more than planned ({planned}), with "
                "the deadlines kept from the current figures ({kept}). Give those anew, or "
                "=0 to remove one."
            ),
            planned=planned,
            kept=kept,
        )


def parse_caravan_edit(args: list[str], today: dt.date) -> tuple[int, dict[str, Any]]:
    """`<id> date=<YYYY-MM-DD> families=<n> people=<n>` (at least one of them)."""
    match = _ID.fullmatch(args[0]) if args else None
    if match is None or len(args) < 2:
        raise ArgError()
    raw = _assignments(args[1:])
    values: dict[str, Any] = {}
    for key, value in raw.items():
        if key == "date":
            values["date"] = parse_date(value)
            _check_caravan_date(values["date"], today)
        elif key == "families":
            values["families"] = parse_count(value, FIELDS["families"], 1, MAX_FAMILIES)
        elif key == "people":
            values["people"] = parse_count(value, FIELDS["people"], 1, MAX_PEOPLE)
        else:
            raise ArgError(_("Unknown figure “{value}”."), value=key)
    check_counts(values.get("families"), values.get("people"))
    return int(match.group(1)), values


def caravan_id(args: list[str]) -> int | None:
    """`42` or `#42` alone: a caravan id; anything else is a place name."""
    match = _ID.fullmatch(args[0]) if len(args) == 1 else None
    return int(match.group(1)) if match else None


# ------------------------------------------------------------------ pending actions


@dataclass
class Pending:
    """An action waiting for ✅ (or for the choice of a place), kept in `pending_actions`.
    `data` holds only JSON values: dates as ISO strings, ids and counts as numbers."""

    kind: str  # addcaravan | sethousing | editcaravan | cancelcaravan | list
    data: dict[str, Any]
    choices: list[str] = field(default_factory=list)  # slugs, while the place is ambiguous


async def remember(update: Update, context: BotContext, pending: Pending) -> str:
    """Store `pending` for the admin who sent the update; returns the token for its buttons."""
    return await pending_store.put(
        context.db,
        _actor(update),
        PICKING if pending.choices else f"admin:{pending.kind}",
        {"kind": pending.kind, "data": pending.data, "choices": pending.choices},
        now=context.state.clock(),
        ttl=PENDING_TTL,
        keep=MAX_PENDING,
        group=STORED_KINDS,
    )


async def recall(
    update: Update, context: BotContext, token: str, kinds: tuple[str, ...]
) -> Pending | None:
    """Consume the presser's own pending action `token` of one of `kinds`, once."""
    taken = await pending_store.take(
        context.db, token, _actor(update), kinds, now=context.state.clock()
    )
    if taken is None:
        return None
    payload = taken.payload
    return Pending(payload["kind"], dict(payload["data"]), list(payload["choices"]))


# ------------------------------------------------------------------ replies


def _actor(update: Update) -> int:
    return update.effective_user.id


async def _reply(update: Update, text: str) -> None:
    await update.effective_message.reply_text(
        text, parse_mode=ParseMode.HTML, disable_web_page_preview=True
    )


async def _usage(update: Update, context: BotContext, command: str, error: ArgError) -> None:
    """Why the arguments do not fit (if known), then the usage with an example."""
    text = admin_cards.usage(command, context.tr)
    if error.message:
        values = {k: context._(v) if isinstance(v, Term) else v for k, v in error.values.items()}
        reason = context._(error.message).format(**values)
        text = "⚠️ " + escape(reason) + "\n\n" + text
    await _reply(update, text)


async def _expired(update: Update, context: BotContext) -> None:
    await update.callback_query.answer(
        context._("This button has expired or was already used. Send the command again."),
        show_alert=True,
    )


# ------------------------------------------------------------------ /admins


async def manage_admins(update: Update, context: BotContext) -> None:
    """/admins, /admins add <id>, /admins remove <id>"""
    if not await require_admin(update, context):
        return
    args = context.args or []
    if not args:
        await list_admins(update, context)
        return
    verb = args[0].lower()
    match = _ID.fullmatch(args[1]) if len(args) == 2 else None
    if verb not in ("add", "remove") or match is None:
        await _usage(update, context, "admins", ArgError())
        return
    target = int(match.group(1))
    if verb == "add":
        await add_admin(update, context, target)
    else:
        await remove_admin(update, context, target)


async def list_admins(update: Update, context: BotContext) -> None:
    async with context.db() as session:
        stored = await admins.added_admins(session)
    text = admin_cards.admins_view(context.state.settings.admin_ids, stored, context.tr)
    await _reply(update, text)


async def add_admin(update: Update, context: BotContext, target: int) -> None:
    added = False
    if target not in context.state.settings.admin_ids:
        async with context.db() as session:
            added = await editing.add_admin(session, target, _actor(update))
    text = _("✅ {id} is now an admin.") if added else _("{id} is already an admin.")
    await _reply(update, context._(text).format(id=f"<code>{target}</code>"))


async def remove_admin(update: Update, context: BotContext, target: int) -> None:
    """Only chat-added admins can be removed here, and never the last admin."""
    configured = context.state.settings.admin_ids
    if target in configured:
        text = _(
            "{id} is an admin by the configuration (ADMIN_IDS) and cannot be removed from the "
            "chat. Remove the id from ADMIN_IDS and restart the bot."
        )
    else:
        async with context.db() as session:
            outcome = await editing.remove_admin(
                session, target, _actor(update), keep_one=not configured
            )
        text = {
            "removed": _("✅ {id} is no longer an admin."),
            "unknown": _("{id} is not an admin."),
            "last": _("{id} is the last admin and cannot be removed: add another admin first."),
        }[outcome]
    await _reply(update, context._(text).format(id=f"<code>{target}</code>"))


# ------------------------------------------------------------------ finding the settlement


async def _with_settlement(
    update: Update, context: BotContext, text: str, pending: Pending
) -> None:
    """Resolve the place of a pending action: one settlement → its preview; several (or a
    district) → buttons to choose; none → say so, with suggestions."""
    text = place_query(text)
    found = await find_place(context, text)
    if found.settlement is not None:
        pending.data["slug"] = found.settlement.slug
        await _preview(update, context, pending)
        return
    candidates: list[Settlement] = list(found.settlements)
    for district in [found.district, *found.districts]:
        if district is not None:
            async with context.db() as session:
                for member in district.settlements:
                    if loaded := await editing.settlement(session, member.slug):
                        candidates.append(loaded)
    if not candidates:
        async with context.db() as session:
            for key in found.suggestions:
                kind, _sep, slug = key.partition(":")
                if kind == "settlement" and (s := await editing.settlement(session, slug)):
                    candidates.append(s)
        message = context._("I could not find a settlement called “{query}”.").format(
            query=escape(text[:100])
        )
        if not candidates:
            command = "editcaravan" if pending.kind == "list" else pending.kind
            usage = admin_cards.usage(command, context.tr)
            await _reply(update, "⚠️ " + message + "\n\n" + usage)
            return
        message += "\n" + context._("Did you mean one of these?")
    else:
        message = context._("Several settlements match “{query}”. Which one do you mean?").format(
            query=escape(text[:100])
        )
    unique = list({s.slug: s for s in candidates}.values())[:MAX_CHOICES]
    pending.choices = [s.slug for s in unique]
    token = await remember(update, context, pending)
    await show(update, context, message, admin_cards.pick_keyboard(token, unique, context.tr))


async def _preview(update: Update, context: BotContext, pending: Pending) -> None:
    """Show what the pending action will do, with ✅ and ↩️ (or the list it asked for); the
    action is stored only when its preview is shown."""
    tr, data = context.tr, pending.data
    async with context.db() as session:
        settlement = await editing.settlement(session, data["slug"])
        if settlement is None:
            await show(update, context, context._("That settlement no longer exists."))
            return
        if pending.kind == "list":
            caravans = await editing.caravans_of(session, settlement.id, CARAVAN_LIST)
            text, markup = admin_cards.caravan_list(settlement, caravans, tr)
            await show(update, context, text, markup)
            return
        if pending.kind == "addcaravan":
            date = dt.date.fromisoformat(data["date"])
            duplicates = await editing.caravans_on(session, settlement.id, date)
            text = admin_cards.caravan_preview(
                settlement, date, data["families"], data["people"], duplicates, context.today, tr
            )
            confirm = context._("Record the caravan")
        else:
            given = {dt.date.fromisoformat(d): n for d, n in data["deadlines"].items()}
            stored = editing.housing_deadlines(settlement, context.today, given)
            try:
                check_kept_deadlines(data["planned"], data["ready"], stored, given)
            except ArgError as error:
                await _usage(update, context, "sethousing", error)
                return
            # from here on the deadlines are those the preview shows: ✅ stores exactly these
            data["deadlines"] = {day.isoformat(): homes for day, homes in stored.items()}
            before = editing.admin_figures(settlement)
            text = admin_cards.housing_preview(
                settlement, before, _figures(data), context.today, tr
            )
            confirm = context._("Save the figures")
    token = await remember(update, context, pending)
    await show(update, context, text, admin_cards.confirm_keyboard(token, confirm, tr))


def _figures(data: dict[str, Any]) -> dict[str, int | None]:
    figures: dict[str, int | None] = {"homes_total": data["planned"], "ready": data["ready"]}
    figures |= {f"due:{day}": homes for day, homes in sorted(data["deadlines"].items())}
    return figures


# ------------------------------------------------------------------ the commands


async def add_caravan(update: Update, context: BotContext) -> None:
    """/addcaravan <YYYY-MM-DD> <settlement> <families> [people] → preview with ✅."""
    if not await require_admin(update, context):
        return
    try:
        date, place, families, people = parse_addcaravan(context.args or [], context.today)
    except ArgError as error:
        await _usage(update, context, "addcaravan", error)
        return
    data = {"date": date.isoformat(), "families": families, "people": people}
    await _with_settlement(update, context, place, Pending("addcaravan", data))


async def set_housing(update: Update, context: BotContext) -> None:
    """/sethousing <settlement> planned=<n> ready=<n> [<YYYY|YYYY-MM-DD>=<n> …] → preview."""
    if not await require_admin(update, context):
        return
    try:
        place, planned, ready, deadlines = parse_sethousing(context.args or [], context.today)
    except ArgError as error:
        await _usage(update, context, "sethousing", error)
        return
    data = {
        "planned": planned,
        "ready": ready,
        "deadlines": {day.isoformat(): homes for day, homes in deadlines.items()},
    }
    await _with_settlement(update, context, place, Pending("sethousing", data))


async def edit_caravan(update: Update, context: BotContext) -> None:
    """/editcaravan <id> date=… families=… people=… → preview; /editcaravan <settlement> →
    its caravans with their ids."""
    if not await require_admin(update, context):
        return
    args = context.args or []
    if args and _ID.fullmatch(args[0]) is None:
        await _with_settlement(update, context, " ".join(args), Pending("list", {}))
        return
    try:
        target, values = parse_caravan_edit(args, context.today)
    except ArgError as error:
        await _usage(update, context, "editcaravan", error)
        return
    async with context.db() as session:
        caravan = await editing.caravan(session, target)
    if caravan is None:
        await _reply(update, context._("There is no caravan #{id}.").format(id=target))
        return
    if all(getattr(caravan, key) == value for key, value in values.items()):
        text = context._("Caravan #{id} already has these values: nothing to change.")
        await _reply(update, text.format(id=target))
        return
    try:
        check_counts(values.get("families", caravan.families), values.get("people", caravan.people))
    except ArgError as error:
        await _usage(update, context, "editcaravan", error)
        return
    data = {"id": target, **{k: v.isoformat() if k == "date" else v for k, v in values.items()}}
    token = await remember(update, context, Pending("editcaravan", data))
    text = admin_cards.edit_preview(caravan, values, context.tr)
    markup = admin_cards.confirm_keyboard(token, context._("Save the correction"), context.tr)
    await show(update, context, text, markup)


async def cancel_caravan(update: Update, context: BotContext) -> None:
    """/cancelcaravan <id> → preview with ✅; /cancelcaravan <settlement> → its caravans."""
    if not await require_admin(update, context):
        return
    args = context.args or []
    if not args:
        await _usage(update, context, "cancelcaravan", ArgError())
        return
    target = caravan_id(args)
    if target is None:
        await _with_settlement(update, context, " ".join(args), Pending("list", {}))
        return
    await _cancel_preview(update, context, target)


async def _cancel_preview(update: Update, context: BotContext, target: int) -> None:
    async with context.db() as session:
        caravan = await editing.caravan(session, target)
    if caravan is None:
        await _reply(update, context._("There is no caravan #{id}.").format(id=target))
        return
    token = await remember(update, context, Pending("cancelcaravan", {"id": target}))
    markup = admin_cards.confirm_keyboard(token, context._("Cancel the caravan"), context.tr)
    await _reply_markup(update, admin_cards.cancel_preview(caravan, context.tr), markup)


async def _reply_markup(update: Update, text: str, markup: Any) -> None:
    await update.effective_message.reply_text(
        text, parse_mode=ParseMode.HTML, reply_markup=markup, disable_web_page_preview=True
    )


async def show_audit(update: Update, context: BotContext) -> None:
    """/audit [n]: the latest n admin actions (default 10, at most 50)."""
    if not await require_admin(update, context):
        return
    args = context.args or []
    try:
        if len(args) > 1:
            raise ArgError()
        n = parse_count(args[0], "n", 1, AUDIT_MAX) if args else AUDIT_DEFAULT
    except ArgError as error:
        await _usage(update, context, "audit", error)
        return
    async with context.db() as session:
        entries = await admins.recent_audit(session, n)
    for text in admin_cards.audit_messages(entries, context.tr):
        await _reply(update, text)


# ------------------------------------------------------------------ buttons


async def pick_place(update: Update, context: BotContext) -> None:
    """A candidate of an ambiguous place was chosen: show the action's preview."""
    if not await require_admin(update, context):
        return
    _prefix, argument = cb.parse(update.callback_query.data)
    token, _dot, index = argument.partition(".")
    pending = await recall(update, context, token, (PICKING,))
    if pending is None or int(index) >= len(pending.choices):
        await _expired(update, context)
        return
    pending.data["slug"] = pending.choices[int(index)]
    pending.choices = []
    await update.callback_query.answer()
    await _preview(update, context, pending)  # stored again, under a new token


async def abort(update: Update, context: BotContext) -> None:
    """↩️ on a preview: forget the action."""
    if not await require_admin(update, context):
        return
    _prefix, token = cb.parse(update.callback_query.data)
    await recall(update, context, token, STORED_KINDS)
    await update.callback_query.answer()
    await show(update, context, "↩️ " + context._("Cancelled. Nothing was changed."))


async def open_cancel(update: Update, context: BotContext) -> None:
    """🗑 in a caravan list: the cancel preview of that caravan (looked up again)."""
    if not await require_admin(update, context):
        return
    _prefix, argument = cb.parse(update.callback_query.data)
    await update.callback_query.answer()
    await _cancel_preview(update, context, int(argument))


async def confirm(update: Update, context: BotContext) -> None:
    """✅ on a preview: do the action kept under the button's token, once."""
    if not await require_admin(update, context):
        return
    _prefix, token = cb.parse(update.callback_query.data)
    pending = await recall(update, context, token, CONFIRMABLE)
    if pending is None or pending.kind not in _ACTIONS or pending.choices:
        await _expired(update, context)
        return
    await update.callback_query.answer()
    await _ACTIONS[pending.kind](update, context, pending.data)


def _source(update: Update, context: BotContext) -> str:
    """Where an admin's figure comes from — never a public source it does not have."""
    return f"admin {_actor(update)}, via chat, {context.today.isoformat()}"


async def _do_add_caravan(update: Update, context: BotContext, data: dict[str, Any]) -> None:
    async with context.db() as session:
        settlement = await editing.settlement(session, data["slug"])
        if settlement is None:
            await show(update, context, context._("That settlement no longer exists."))
            return
        caravan = await editing.add_caravan(
            session,
            settlement,
            dt.date.fromisoformat(data["date"]),
            data["families"],
            data["people"],
            _source(update, context),
        )
        admins.audit(
            session,
            _actor(update),
            "caravan.add",
            f"caravan #{caravan.id} ({settlement.slug})",
            None,
            editing.caravan_fields(caravan),
        )
        await session.commit()
    await context.state.delivery.scan()  # announce now rather than at the next scan
    text = admin_cards.caravan_done(
        caravan, context.tr, _("Caravan #{id} recorded: {place}, {caravan}.")
    )
    await show(update, context, text)


async def _do_set_housing(update: Update, context: BotContext, data: dict[str, Any]) -> None:
    async with context.db() as session:
        settlement = await editing.settlement(session, data["slug"])
        if settlement is None:
            await show(update, context, context._("That settlement no longer exists."))
            return
        before, after = await editing.set_housing(
            session,
            settlement,
            as_of=context.today,
            planned=data["planned"],
            ready=data["ready"],
            deadlines={dt.date.fromisoformat(d): n for d, n in data["deadlines"].items()},
            source=_source(update, context),
            now=context.state.clock(),
            timing=clock,
        )
        admins.audit(
            session, _actor(update), "housing.set", f"housing {settlement.slug}", before, after
        )
        await session.commit()
    context.state.delivery.wake()
    await show(update, context, admin_cards.housing_done(settlement, before, after, context.tr))


async def _do_edit_caravan(update: Update, context: BotContext, data: dict[str, Any]) -> None:
    values = {k: dt.date.fromisoformat(v) if k == "date" else v for k, v in data.items()}
    target = values.pop("id")
    async with context.db() as session:
        caravan = await editing.caravan(session, target)
        if caravan is None:
            await show(update, context, context._("There is no caravan #{id}.").format(id=target))
            return
        try:  # the caravan may have been edited since the preview
            check_counts(
                values.get("families", caravan.families), values.get("people", caravan.people)
            )
        except ArgError as error:
            await _usage(update, context, "editcaravan", error)
            return
        before = editing.caravan_fields(caravan)
        await editing.edit_caravan(session, caravan, values, context.state.clock(), timing=clock)
        admins.audit(
            session,
            _actor(update),
            "caravan.edit",
            f"caravan #{target} ({caravan.settlement.slug})",
            before,
            editing.caravan_fields(caravan),
        )
        await session.commit()
    await context.state.delivery.scan()  # a new date may need an announcement or reminder
    text = admin_cards.caravan_done(
        caravan, context.tr, _("Caravan #{id} corrected: {place}, {caravan}.")
    )
    await show(update, context, text)


async def _do_cancel_caravan(update: Update, context: BotContext, data: dict[str, Any]) -> None:
    target = data["id"]
    async with context.db() as session:
        caravan = await editing.caravan(session, target)
        if caravan is None:
            await show(update, context, context._("There is no caravan #{id}.").format(id=target))
            return
        before = editing.caravan_fields(caravan)
        await editing.cancel_caravan(session, caravan, context.state.clock(), timing=clock)
        admins.audit(
            session,
            _actor(update),
            "caravan.cancel",
            f"caravan #{target} ({caravan.settlement.slug})",
            before,
            None,
        )
        await session.commit()
    context.state.delivery.wake()
    text = admin_cards.caravan_done(
        caravan, context.tr, _("Caravan #{id} cancelled: {place}, {caravan}.")
    )
    await show(update, context, text)


_ACTIONS = {
    "addcaravan": _do_add_caravan,
    "sethousing": _do_set_housing,
    "editcaravan": _do_edit_caravan,
    "cancelcaravan": _do_cancel_caravan,
}

HANDLERS: list[BaseHandler] = [
    CommandHandler("admins", manage_admins),
    CommandHandler("addcaravan", add_caravan),
    CommandHandler("sethousing", set_housing),
    CommandHandler("editcaravan", edit_caravan),
    CommandHandler("cancelcaravan", cancel_caravan),
    CommandHandler("audit", show_audit),
    CallbackQueryHandler(confirm, pattern=cb.pattern(cb.ADMIN_CONFIRM)),
    CallbackQueryHandler(abort, pattern=cb.pattern(cb.ADMIN_ABORT)),
    CallbackQueryHandler(pick_place, pattern=cb.pattern(cb.ADMIN_PICK)),
    CallbackQueryHandler(open_cancel, pattern=cb.pattern(cb.ADMIN_CANCEL)),
]
