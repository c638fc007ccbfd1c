"""Admin actions waiting for ✅ (or for the choice of a place), kept in the database
(`db.pending`) under a random token that their buttons carry."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from telegram import Update

from bot.context import BotContext
from db import pending as pending_store
from handlers.admin.replies import actor
from handlers.common import MAX_PENDING, PENDING_TTL

# what a ✅ can do; stored as `admin:<kind>`, and `admin:pick` while the place is ambiguous
ACTION_KINDS = (
    "addcaravan",
    "sethousing",
    "editcaravan",
    "cancelcaravan",
    "addadmin",
    "removeadmin",
)
CONFIRMABLE = tuple(f"admin:{kind}" for kind in ACTION_KINDS)
PICKING = "admin:pick"
STORED_KINDS = (*CONFIRMABLE, PICKING)


@dataclass
class Pending:
    """An action waiting for ✅ (or for the choice of a place), kept in `pending_actions`.
    `data` holds only JSON values: dates as ISO strings, ids and counts as numbers."""

    kind: str  # one of ACTION_KINDS, or list
    data: dict[str, Any]
    choices: list[str] = field(default_factory=list)  # slugs, while the place is ambiguous


async def remember(update: Update, context: BotContext, pending: Pending) -> str:
    """Store `pending` for the admin who sent the update; returns the token for its buttons."""
    return await pending_store.put(
        context.db,
        actor(update),
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
        context.db, token, actor(update), kinds, now=context.state.clock()
    )
    if taken is None:
        return None
    payload = taken.payload
    return Pending(payload["kind"], dict(payload["data"]), list(payload["choices"]))
