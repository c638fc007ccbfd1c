"""A delivery's text in its recipient's language: `compose` writes it from the notice (a
caravan's announcement or reminder, a housing alert, an admin's change to a caravan, a
broadcast's stored text, an admin's answer to a question or its closing), and
`ComposedTexts` keeps what was composed for the batch of deliveries claimed last, so each
notice is composed once per language and day."""

from __future__ import annotations

import datetime as dt

from bot.context import AppState
from bot.domain.clock import local_date
from bot.i18n import Translator
from bot.views.notices import (
    caravan_announcement,
    caravan_cancelled,
    caravan_changed,
    caravan_reminder,
    housing_change_alert,
)
from bot.views.support import answer_header, closed_notice
from db import broadcasts, editing, outbox, tickets
from db.models import Notice


def compose(notice: Notice, tr: Translator, today: dt.date) -> str | None:
    """The message of `notice` in the reader's language; None when its subject is gone.
    A broadcast is the admin's text as stored (already HTML-safe): the reader's version, or
    the fallback version, or the one text for everyone."""
    payload = notice.payload or {}
    if notice.kind == broadcasts.BROADCAST:
        versions = payload.get("texts")
        if versions:
            return versions.get(tr.lang) or versions.get(payload.get("fallback") or "")
        return payload.get("text")
    if notice.kind == tickets.ANSWER:  # the header, and the answer's text or caption
        header = answer_header(payload.get("ticket", 0), payload.get("admin", "—"), tr)
        body = payload.get("html", payload.get("caption"))
        return f"{header}\n\n{body}" if body else header
    if notice.kind == tickets.TICKET_CLOSED:
        return closed_notice(payload.get("ticket", 0), tr)
    if notice.kind == outbox.ANNOUNCE and notice.caravan is not None:
        return caravan_announcement(notice.caravan, tr)
    if notice.kind in ("remind7", "remind1") and notice.caravan is not None:
        return caravan_reminder(notice.caravan, tr, today)
    if notice.kind == outbox.HOUSING and notice.settlement is not None:
        changes = [tuple(change) for change in payload.get("changes", [])]
        return housing_change_alert(notice.settlement, changes, tr)
    # caravans moved or cancelled by an admin
    if notice.kind == editing.CHANGED and notice.caravan is not None:
        return caravan_changed(notice.caravan, payload.get("before", {}), tr)
    if notice.kind == editing.CANCELLED and notice.settlement is not None:
        return caravan_cancelled(notice.settlement, payload, tr)
    return None


class ComposedTexts:
    """`compose`, once per notice, language and day in a claimed batch; cleared when the
    next batch is claimed (its notices were just read again: composed from those)."""

    def __init__(self, state: AppState) -> None:
        self.state = state
        self._texts: dict[tuple[int, str, dt.date], str | None] = {}

    def get(self, notice: Notice, language: str) -> str | None:
        today = local_date(self.state.clock())
        key = (notice.id, language, today)
        if key not in self._texts:
            translators = self.state.translators
            tr = translators.get(language) or translators["en"]
            self._texts[key] = compose(notice, tr, today)
        return self._texts[key]

    def clear(self) -> None:
        self._texts.clear()
