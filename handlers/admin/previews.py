"""What an admin action will do, shown before ✅: finding its settlement (buttons to choose
when several match) and the preview with ✅ and ↩️, stored as a pending action."""

from __future__ import annotations

import datetime as dt

from telegram import Update

from bot.context import BotContext
from bot.domain.housing_edit import plan_housing
from bot.views import admin as admin_cards
from bot.views.common import escape
from db import editing, outbox
from db.models import Settlement
from handlers.admin.arguments import ArgError, check_plan
from handlers.admin.pending import Pending, remember
from handlers.admin.replies import reply_with, usage
from handlers.common import place_query, show
from handlers.common import reply_html as reply

MAX_CHOICES = 10
CARAVAN_LIST = 15
NEEDS_SOURCE = ("addcaravan", "sethousing")  # what the public sees needs a source


async def with_settlement(update: Update, context: BotContext, text: str, pending: Pending) -> None:
    """Resolve the place of a pending action: one settlement → its preview; several (or a
    district) → buttons to choose; none → say so, with suggestions."""
    text = place_query(text)
    found = (await context.places()).find(text)
    if found.settlement is not None:
        pending.data["slug"] = found.settlement.slug
        await preview(update, context, pending)
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
            usage_text = admin_cards.usage(command, context.tr)
            await reply(update, "⚠️ " + message + "\n\n" + usage_text)
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


async def preview(update: Update, context: BotContext, pending: Pending) -> None:
    """Show what the pending action will do, with ✅ and ↩️ (or the list it asked for); the
    action is stored only when its preview is shown."""
    tr, data = context.tr, pending.data
    if pending.kind in NEEDS_SOURCE and not data.get("source"):  # kept from an older version
        await show(update, context, admin_cards.source_needed("", tr))
        return
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
                settlement,
                date,
                (data["families"], data["people"]),
                data["source"],
                duplicates,
                context.today,
                tr,
            )
            confirm = context._("Record the caravan")
        else:
            given = {dt.date.fromisoformat(d): n for d, n in data["deadlines"].items()}
            current = outbox.housing_figures(settlement)
            plan = plan_housing(current, data["planned"], data["ready"], given, context.today)
            try:
                check_plan(plan, data["planned"], context.today)
            except ArgError as error:
                await usage(update, context, "sethousing", error)
                return
            # from here on the deadlines are those the preview shows: ✅ stores exactly these
            data["deadlines"] = {day.isoformat(): n for day, n in sorted(plan.deadlines.items())}
            report = settlement.current_report
            text = admin_cards.housing_preview(
                settlement,
                plan,
                report.as_of if report else None,
                data["source"],
                context.today,
                tr,
            )
            confirm = context._("Save the figures")
    token = await remember(update, context, pending)
    await show(update, context, text, admin_cards.confirm_keyboard(token, confirm, tr))


async def cancel_preview(update: Update, context: BotContext, target: int) -> None:
    async with context.db() as session:
        caravan = await editing.caravan(session, target)
    if caravan is None:
        await reply(update, context._("There is no caravan #{id}.").format(id=target))
        return
    token = await remember(update, context, Pending("cancelcaravan", {"id": target}))
    markup = admin_cards.confirm_keyboard(token, context._("Cancel the caravan"), context.tr)
    await reply_with(update, admin_cards.cancel_preview(caravan, context.tr), markup)
