"""Questions answered once for all: `/faq [place]` lists them in the reader's language;
admins add one with `/addfaq` (also as a reply to an answer already written) and remove one
with `/delfaq`, after a preview and ✅; "✅ That answers it" under an entry offered before a
question goes to a person (`handlers.common.questions.faq_offer`)."""

from __future__ import annotations

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot.context import BotContext
from bot.domain.faq import DraftError, parse_addfaq
from bot.places import Found
from bot.views import callbacks as cb
from bot.views import faq as texts
from bot.views.common import escape, settlement_or_district_name
from db import admins, faq, pending, tickets
from db.models import District, FaqEntry, Settlement
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

ADD, DELETE = "faq:add", "faq:delete"
Place = Settlement | District | None


def belongs(entry: FaqEntry, place: Place) -> bool:
    """Whether /faq for `place` lists `entry`: entries for everywhere, for the place, for a
    settlement's district, and for a district's settlements."""
    if place is None or (entry.settlement_id is None and entry.district_id is None):
        return True
    if isinstance(place, Settlement):
        return entry.settlement_id == place.id or entry.district_id == place.district_id
    return entry.district_id == place.id or (
        entry.settlement is not None and entry.settlement.district_id == place.id
    )


async def show_faq(update: Update, context: BotContext) -> None:
    """/faq [place]: the answered questions of a place and those for everywhere."""
    query = place_query(" ".join(context.args or []))
    place: Place = None
    note = None
    if query:
        found = (await context.places()).find(query)
        place = found.settlement or found.district or district_of(found)
        if place is None:
            note = context._("I could not find a settlement or district called “{query}”.")
            note = note.format(query=escape(query[:100]))
    async with context.db() as session:
        entries = [e for e in await faq.entries(session) if belongs(e, place)]
    user = update.effective_user
    admin = user is not None and await is_admin(context, user.id)
    text, markup = texts.faq_list(entries, place, context.tr, for_admin=admin)
    await show(update, context, text if note is None else f"{note}\n\n{text}", markup)


async def add_faq(update: Update, context: BotContext) -> None:
    """/addfaq [place] az? … az: … (or as a reply: that message is the answer) → preview."""
    if not await require_admin(update, context):
        return
    message = update.effective_message
    replied = message.reply_to_message
    answer = (replied.text or replied.caption) if replied is not None else None
    try:
        draft = parse_addfaq(command_text(message.text), context.tr.lang, answer)
    except DraftError as error:
        await _refuse(update, context, texts.error_text(error.code, error.lang, context.tr))
        return
    place: Place = None
    if draft.place and draft.place.casefold() not in ALL_WORDS:
        found = (await context.places()).find(place_query(draft.place))
        place = found.settlement or found.district
        if place is None:
            await _refuse(update, context, "⚠️ " + _not_one(context, draft.place, found))
            return
    payload = {
        "settlement": place.slug if isinstance(place, Settlement) else None,
        "district": place.slug if isinstance(place, District) else None,
        "question": draft.question,
        "answer": draft.answer,
    }
    preview = texts.add_preview(draft.question, draft.answer, place, context.tr)
    await _preview(update, context, ADD, payload, preview, context._("Add to the FAQ"))


async def delete_faq(update: Update, context: BotContext) -> None:
    """/delfaq <id> → preview with ✅."""
    if not await require_admin(update, context):
        return
    args = context.args or []
    target = args[0].lstrip("#") if len(args) == 1 else ""
    if not target.isdigit() or int(target) == 0:
        await reply_html(update, texts.usage("delfaq", context.tr))
        return
    async with context.db() as session:
        entry = await faq.entry(session, int(target))
        preview = texts.delete_preview(entry, context.tr) if entry else None
    if preview is None:
        await reply_html(update, context._("There is no FAQ entry #{id}.").format(id=int(target)))
        return
    payload = {"id": int(target)}
    await _preview(update, context, DELETE, payload, preview, context._("Remove the entry"))


async def confirm(update: Update, context: BotContext) -> None:
    """✅ on a preview: add or remove the entry kept under the button's token, once."""
    if not await require_admin(update, context):
        return
    _prefix, token = cb.parse(update.callback_query.data)
    actor = update.effective_user.id
    taken = await pending.take(context.db, token, actor, (ADD, DELETE), now=context.state.clock())
    if taken is None:
        await button_expired(update, context)
        return
    await update.callback_query.answer()
    data = taken.payload
    async with context.db() as session:
        if taken.kind == ADD:
            places = (await context.places()).data
            settlement = places.settlement(data["settlement"]) if data["settlement"] else None
            district = places.district(data["district"]) if data["district"] else None
            if (data["settlement"] and not settlement) or (data["district"] and not district):
                await show(update, context, context._("This place is no longer in the list."))
                return
            row = await faq.add_entry(
                session,
                settlement_id=settlement.id if settlement else None,
                district_id=district.id if district else None,
                question=data["question"],
                answer=data["answer"],
                added_by=actor,
            )
            row = await faq.entry(session, row.id)
            admins.audit(session, actor, "faq.add", f"faq #{row.id}", None, faq.entry_fields(row))
            done = context._("✅ FAQ entry #{id} added. /faq shows it.")
        else:
            row = await faq.delete_entry(session, data["id"])
            if row is None:
                text = context._("There is no FAQ entry #{id}.").format(id=data["id"])
                await show(update, context, text)
                return
            admins.audit(session, actor, "faq.delete", f"faq #{row.id}", faq.entry_fields(row))
            done = context._("✅ FAQ entry #{id} removed.")
        await session.commit()
    await show(update, context, done.format(id=row.id))


async def abort(update: Update, context: BotContext) -> None:
    """↩️ on a preview: forget it."""
    if not await require_admin(update, context):
        return
    _prefix, token = cb.parse(update.callback_query.data)
    actor = update.effective_user.id
    await pending.take(context.db, token, actor, (ADD, DELETE), now=context.state.clock())
    await update.callback_query.answer()
    await show(update, context, "↩️ " + context._("Cancelled. Nothing was changed."))


async def answered(update: Update, context: BotContext) -> None:
    """ "✅ That answers it" under an offered entry: keep the answer, drop the buttons."""
    _prefix, argument = cb.parse(update.callback_query.data)
    async with context.db() as session:
        entry = await faq.entry(session, int(argument))
        draft = await tickets.draft_of(session, update.effective_user.id)
        if draft is not None:  # the question it was offered for is not passed on
            await tickets.forget_draft(session, draft.id)
    await update.callback_query.answer()
    thanks = "👍 " + escape(context._("Glad it helped. If anything else comes up, send /ask."))
    text = thanks if entry is None else texts.entry_block(entry, context.tr) + "\n\n" + thanks
    await show(update, context, text)


def _not_one(context: BotContext, text: str, found: Found) -> str:
    """Why `text` is not one place: nothing, or several, by name."""
    names = [
        settlement_or_district_name(p, context.tr) for p in (*found.settlements, *found.districts)
    ]
    if not names:
        reason = context._("I could not find a settlement or district called “{query}”.")
        return reason.format(query=escape(text[:100]))
    reason = context._("Several places match “{query}”: {places}. Write the name in full.")
    return reason.format(query=escape(text[:100]), places=escape("; ".join(names)))


async def _refuse(update: Update, context: BotContext, reason: str) -> None:
    await reply_html(update, reason + "\n\n" + texts.usage("addfaq", context.tr))


HANDLERS: list[BaseHandler] = [
    CommandHandler("faq", show_faq),
    CommandHandler("addfaq", add_faq),
    CommandHandler("delfaq", delete_faq),
    CallbackQueryHandler(confirm, pattern=cb.pattern(cb.FAQ_CONFIRM)),
    CallbackQueryHandler(abort, pattern=cb.pattern(cb.FAQ_ABORT)),
    CallbackQueryHandler(answered, pattern=cb.pattern(cb.FAQ_ANSWERED)),
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
        group=(ADD, DELETE),
        label=label,
        confirm=cb.FAQ_CONFIRM,
        abort=cb.FAQ_ABORT,
    )
