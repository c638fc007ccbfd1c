"""/admins districts <id> <district…>: the districts whose questions an admin is sent
(none: every question), kept in the database for every replica (docs/support.md)."""

from __future__ import annotations

from telegram import Update

from bot.context import BotContext
from bot.i18n import _
from bot.places import Found
from bot.views.common import escape
from db import admins, tickets
from db.models import District
from handlers.admin.arguments import ID, ArgError
from handlers.admin.replies import actor, usage
from handlers.common import is_admin
from handlers.common import reply_html as reply


def district_named(found: Found) -> District | None:
    """The district a name means: the district found, or the one district among several
    places of that name (Laçın the town and Laçın the district)."""
    if found.district is not None:
        return found.district
    return found.districts[0] if len(found.districts) == 1 else None


async def take_districts(update: Update, context: BotContext, args: list[str]) -> None:
    """/admins districts <id> [district…]: the districts whose questions the admin gets
    (none given: every question)."""
    match = ID.fullmatch(args[0]) if args else None
    if match is None:
        await usage(update, context, "admins districts", ArgError())
        return
    target, places = int(match.group(1)), await context.places()
    found = [(name, district_named(places.find(name))) for name in args[1:]]
    unknown = [name for name, district in found if district is None]
    if unknown:
        text = _("“{name}” is not a district. Write districts as /settlements lists them.")
        await usage(update, context, "admins districts", ArgError(text, name=unknown[0]))
        return
    if not await is_admin(context, target):
        await reply(update, context._("{id} is not an admin.").format(id=f"<code>{target}</code>"))
        return
    districts = sorted({d.slug: d for _name, d in found}.values(), key=lambda d: d.position)
    async with context.db() as session:
        await tickets.set_districts(session, target, [d.id for d in districts])
        admins.audit(
            session,
            actor(update),
            "admin_districts",
            str(target),
            after={"districts": [d.slug for d in districts]},
        )
        await session.commit()
    names = ", ".join(d.name(context.tr.lang) for d in districts)
    if names:
        text = context._("✅ {id} now gets the questions of: {districts}.")
    else:
        text = context._("✅ {id} now gets every question.")
    await reply(update, text.format(id=f"<code>{target}</code>", districts=escape(names)))
