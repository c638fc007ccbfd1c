"""What a confirmed ✅ does: record, correct or cancel a caravan, or save housing figures,
each written to the audit log in the same transaction."""

from __future__ import annotations

import datetime as dt
from typing import Any

from telegram import InlineKeyboardMarkup, Update

from bot.context import BotContext
from bot.domain import clock
from bot.i18n import _
from bot.views import admin as admin_cards
from bot.views import timing
from db import admins, editing, outbox
from handlers.admin.arguments import ArgError, check_counts
from handlers.admin.replies import actor, usage
from handlers.common import show


async def _sourced(update: Update, context: BotContext, data: dict[str, Any]) -> bool:
    """An action kept from before sources were required has none: ask for the command again."""
    if data.get("source"):
        return True
    await show(update, context, admin_cards.source_needed("", context.tr))
    return False


async def _when_told(
    context: BotContext, text: str, *, caravan_id: int | None = None, alert_id: int | None = None
) -> tuple[str, InlineKeyboardMarkup | None]:
    """The confirmation, and when the quiet hours hold what subscribers are told of the
    caravan (or by the housing alert): when it goes out, with 🚨 to send it now."""
    now = context.state.clock()
    notices = [alert_id] if caravan_id is None else outbox.caravan_notices(caravan_id)
    async with context.db() as session:
        send_at = await outbox.held_until(session, notices, now)
    line = timing.subscribers_told(send_at, now, context.tr)
    if line is None:
        return text, None
    keyboard = timing.urgent_keyboard(context.tr, caravan_id=caravan_id, alert_id=alert_id)
    return f"{text}\n{line}", keyboard


async def _do_add_caravan(update: Update, context: BotContext, data: dict[str, Any]) -> None:
    if not await _sourced(update, context, data):
        return
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
            data["source"],
        )
        admins.audit(
            session,
            actor(update),
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
    await show(update, context, *await _when_told(context, text, caravan_id=caravan.id))


async def _do_set_housing(update: Update, context: BotContext, data: dict[str, Any]) -> None:
    if not await _sourced(update, context, data):
        return
    async with context.db() as session:
        settlement = await editing.settlement(session, data["slug"])
        if settlement is None:
            await show(update, context, context._("That settlement no longer exists."))
            return
        before, after, alert = await editing.set_housing(
            session,
            settlement,
            as_of=context.today,
            planned=data["planned"],
            ready=data["ready"],
            deadlines={dt.date.fromisoformat(d): n for d, n in data["deadlines"].items()},
            source=data["source"],
            now=context.state.clock(),
            timing=clock,
        )
        admins.audit(
            session, actor(update), "housing.set", f"housing {settlement.slug}", before, after
        )
        await session.commit()
    context.state.delivery.wake()
    text = admin_cards.housing_done(settlement, before, after, context.today, context.tr)
    if alert is None:
        await show(update, context, text)
        return
    await show(update, context, *await _when_told(context, text, alert_id=alert.id))


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
            await usage(update, context, "editcaravan", error)
            return
        before = editing.caravan_fields(caravan)
        await editing.edit_caravan(session, caravan, values, context.state.clock(), timing=clock)
        admins.audit(
            session,
            actor(update),
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
    await show(update, context, *await _when_told(context, text, caravan_id=caravan.id))


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
            actor(update),
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


ACTIONS = {
    "addcaravan": _do_add_caravan,
    "sethousing": _do_set_housing,
    "editcaravan": _do_edit_caravan,
    "cancelcaravan": _do_cancel_caravan,
}
