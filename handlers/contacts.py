"""Official contacts: `/contacts [district]` (and `/contact`) shows those admins entered with
their source, or says honestly that none is known and offers "✉️ Ask a person"; admins add
one with `/setcontact` and remove one with `/delcontact`, each after a preview and ✅."""

from __future__ import annotations

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot.context import BotContext
from bot.domain.contacts import ContactError, parse_setcontact
from bot.views import callbacks as cb
from bot.views import contacts as texts
from bot.views.common import escape
from db import admins, contacts, pending
from db.models import District
from handlers.common import (
    ALL_WORDS,
    button_expired,
    command_text,
    confirm_preview,
    district_of,
    is_admin,
    place_query,
    reply_html,
    require_admin,
    show,
)

SET, DELETE = "contact:set", "contact:delete"


async def show_contacts(update: Update, context: BotContext) -> None:
    """/contacts [district]: the district's contacts and those for every district."""
    query = place_query(" ".join(context.args or []))
    if not query:
        await send_contacts(update, context, None)
        return
    found = (await context.places()).find(query)
    district = district_of(found)
    if district is not None:
        await send_contacts(update, context, district)
        return
    candidates = {d.slug: d for d in [*found.districts, *(s.district for s in found.settlements)]}
    await send_contacts(update, context, None, query, list(candidates.values()))


async def send_contacts(
    update: Update,
    context: BotContext,
    district: District | None,
    unknown: str | None = None,
    candidates: list[District] | None = None,
) -> None:
    """The contacts view; `unknown`: a name that named no district (then `candidates`)."""
    data = (await context.places()).data
    async with context.db() as session:
        found = await contacts.contacts_for(session, district.id if district else None)
        with_own = await contacts.district_ids(session)
    others = candidates or [d for d in data.districts.values() if d.id in with_own]
    admin = update.effective_user is not None and await is_admin(context, update.effective_user.id)
    text, markup = texts.contacts_view(found, district, others, context.tr, for_admin=admin)
    if unknown is not None:
        note = context._("I could not find a district called “{query}”.").format(
            query=escape(unknown[:100])
        )
        if candidates:
            note += " " + context._("Did you mean one of these?")
        text = f"{note}\n\n{text}"
    await show(update, context, text, markup)


async def open_contacts(update: Update, context: BotContext) -> None:
    """📞 <district> button."""
    _prefix, slug = cb.parse(update.callback_query.data)
    await update.callback_query.answer()
    await send_contacts(update, context, (await context.places()).data.district(slug))


async def set_contact(update: Update, context: BotContext) -> None:
    """/setcontact <district|all> <kind> <value> [name=…] source=… → preview with ✅."""
    if not await require_admin(update, context):
        return
    text = command_text(update.effective_message.text)
    try:
        line = parse_setcontact(text)
    except ContactError as error:
        await _refuse(update, context, "setcontact", error.code)
        return
    district = None
    if place_query(line.place).casefold() not in ALL_WORDS:
        district = district_of((await context.places()).find(place_query(line.place)))
        if district is None:
            await _refuse(update, context, "setcontact", "place", line.place)
            return
    payload = {
        "district": district.slug if district else None,
        "kind": line.kind,
        "value": line.value,
        "name": line.name,
        "source": line.source,
    }
    preview = texts.contact_preview(
        district, line.kind, line.value, line.name, line.source, context.tr
    )
    await _preview(update, context, SET, payload, preview, context._("Add the contact"))


async def delete_contact(update: Update, context: BotContext) -> None:
    """/delcontact <id> → preview with ✅."""
    if not await require_admin(update, context):
        return
    args = context.args or []
    if len(args) != 1 or not args[0].lstrip("#").isdigit() or args[0].lstrip("#") == "0":
        await reply_html(update, texts.usage("delcontact", context.tr))
        return
    target = int(args[0].lstrip("#"))
    async with context.db() as session:
        row = await contacts.contact(session, target)
        preview = texts.delete_preview(row, context.tr) if row else None
    if preview is None:
        await reply_html(update, context._("There is no contact #{id}.").format(id=target))
        return
    payload = {"id": target}
    await _preview(update, context, DELETE, payload, preview, context._("Remove the contact"))


async def confirm(update: Update, context: BotContext) -> None:
    """✅ on a preview: add or remove the contact kept under the button's token, once."""
    if not await require_admin(update, context):
        return
    _prefix, token = cb.parse(update.callback_query.data)
    taken = await pending.take(
        context.db, token, update.effective_user.id, (SET, DELETE), now=context.state.clock()
    )
    if taken is None:
        await button_expired(update, context)
        return
    await update.callback_query.answer()
    actor, data = update.effective_user.id, taken.payload
    async with context.db() as session:
        if taken.kind == SET:
            slug = data["district"]
            district = (await context.places()).data.district(slug) if slug else None
            if slug and district is None:
                await show(update, context, context._("This place is no longer in the list."))
                return
            row = await contacts.add_contact(
                session,
                district_id=district.id if district else None,
                kind=data["kind"],
                value=data["value"],
                name=data["name"],
                source=data["source"],
                added_by=actor,
            )
            row = await contacts.contact(session, row.id)
            admins.audit(
                session,
                actor,
                "contact.set",
                f"contact #{row.id}",
                None,
                contacts.contact_fields(row),
            )
            done = context._("✅ Contact #{id} added. /contacts shows it with its source.")
        else:
            row = await contacts.delete_contact(session, data["id"])
            if row is None:
                await show(update, context, context._("There is no contact #{id}.").format(**data))
                return
            admins.audit(
                session, actor, "contact.delete", f"contact #{row.id}", contacts.contact_fields(row)
            )
            done = context._("✅ Contact #{id} removed.")
        await session.commit()
    await show(update, context, done.format(id=row.id))


async def abort(update: Update, context: BotContext) -> None:
    """↩️ on a preview: forget it."""
    if not await require_admin(update, context):
        return
    _prefix, token = cb.parse(update.callback_query.data)
    await pending.take(
        context.db, token, update.effective_user.id, (SET, DELETE), now=context.state.clock()
    )
    await update.callback_query.answer()
    await show(update, context, "↩️ " + context._("Cancelled. Nothing was changed."))


async def _refuse(
    update: Update, context: BotContext, command: str, code: str, place: str | None = None
) -> None:
    """Why the command does not fit, then its usage."""
    reason = texts.error_text(code, context.tr)
    if place is not None:
        reason = "⚠️ " + context._("I could not find a district called “{query}”.").format(
            query=escape(place[:100])
        )
    await reply_html(update, reason + "\n\n" + texts.usage(command, context.tr))


HANDLERS: list[BaseHandler] = [
    CommandHandler(["contacts", "contact"], show_contacts),
    CommandHandler("setcontact", set_contact),
    CommandHandler("delcontact", delete_contact),
    CallbackQueryHandler(open_contacts, pattern=cb.pattern(cb.CONTACTS)),
    CallbackQueryHandler(confirm, pattern=cb.pattern(cb.CONTACT_CONFIRM)),
    CallbackQueryHandler(abort, pattern=cb.pattern(cb.CONTACT_ABORT)),
]


async def _preview(
    update: Update, context: BotContext, kind: str, payload: dict, text: str, label: str
) -> None:
    await confirm_preview(
        update,
        context,
        text,
        kind=kind,
        payload=payload,
        group=(SET, DELETE),
        label=label,
        confirm=cb.CONTACT_CONFIRM,
        abort=cb.CONTACT_ABORT,
    )
