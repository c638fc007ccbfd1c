"""Texts and buttons of broadcasts and /stats: preview, progress, end report, statistics.

Pure functions of what the database holds, in the reader's language (the admin's); numbers,
dates and durations formatted by Babel for that language.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from html import escape

from babel import Locale, UnknownLocaleError
from babel.dates import format_timedelta
from telegram import InlineKeyboardMarkup

from bot.i18n import Translator
from bot.views import callbacks as cb
from bot.views.common import button, datetime_text, settlement_or_district_name
from db.models import CANCELLED, DONE, Broadcast, Counts, District, Settlement, UserStats

RULE = "──────────"
Place = Settlement | District | None


def audience_name(scope: str, place: Place, tr: Translator) -> str:
    """Who a broadcast goes to, escaped for HTML."""
    if isinstance(place, Settlement | District):
        return escape(settlement_or_district_name(place, tr))
    if scope == "all":
        return tr.gettext("everyone who uses the bot")
    return tr.gettext("a place that no longer exists")


def recipients_line(by_language: Mapping[str, int], tr: Translator) -> str:
    """`503 recipients — az 200 · en 150 · ru 153`"""
    total = sum(by_language.values())
    line = tr.ngettext("{n} recipient", "{n} recipients", total).format(n=tr.number(total))
    if total:
        parts = " · ".join(f"{lang} {tr.number(n)}" for lang, n in sorted(by_language.items()))
        line += f" — {parts}"
    return line


def preview(text: str | None, audience: str, by_language: Mapping[str, int], tr: Translator) -> str:
    """The draft as recipients will see it (`text`, HTML), framed, with who receives it;
    for a copied message (`text` None) it points at the message above."""
    recipients = recipients_line(by_language, tr)
    if text is None:
        header = tr.gettext("📢 Broadcast to {audience}: the message above, copied as it is.")
        return "\n".join([header.format(audience=audience), "", recipients])
    header = tr.gettext("📢 Broadcast to {audience}. Recipients will see:").format(
        audience=audience
    )
    return "\n".join([header, RULE, text, RULE, recipients])


def confirm_keyboard(broadcast_id: int, total: int, tr: Translator) -> InlineKeyboardMarkup:
    send = tr.ngettext("✅ Send to {n} recipient", "✅ Send to {n} recipients", total)
    return InlineKeyboardMarkup(
        [
            [
                button(send.format(n=tr.number(total)), cb.BROADCAST_SEND, str(broadcast_id)),
                button("✖️ " + tr.gettext("Cancel"), cb.BROADCAST_CANCEL, str(broadcast_id)),
            ]
        ]
    )


def cancel_keyboard(broadcast_id: int, tr: Translator) -> InlineKeyboardMarkup:
    stop = button("⏹ " + tr.gettext("Stop the broadcast"), cb.BROADCAST_CANCEL, str(broadcast_id))
    return InlineKeyboardMarkup([[stop]])


def _title(broadcast: Broadcast, place: Place, tr: Translator) -> str:
    return tr.gettext("Broadcast #{id} to {audience}").format(
        id=broadcast.id, audience=audience_name(broadcast.scope, place, tr)
    )


def progress_report(
    broadcast: Broadcast, place: Place, counts: Counts, elapsed: float, tr: Translator
) -> str:
    """Sent / total, blocked, failed, the average rate since the start and the time left."""
    done = counts.sent + counts.blocked + counts.failed
    rate = done / elapsed if elapsed > 0 else 0.0
    lines = [
        "📤 " + _title(broadcast, place, tr),
        tr.gettext("Sent: {sent} of {total}").format(
            sent=tr.number(counts.sent), total=tr.number(counts.total)
        ),
        tr.gettext("Blocked: {blocked} · Failed: {failed}").format(
            blocked=tr.number(counts.blocked), failed=tr.number(counts.failed)
        ),
    ]
    if rate > 0:
        eta = dt.timedelta(seconds=max(1, round(counts.remaining / rate)))
        lines.append(
            tr.gettext("Rate: {rate} messages/s · about {eta} left").format(
                rate=tr.number(round(rate, 1)), eta=format_timedelta(eta, locale=tr.lang)
            )
        )
    return "\n".join(lines)


def final_report(broadcast: Broadcast, place: Place, counts: Counts, tr: Translator) -> str:
    """The end report: delivered / blocked / failed (and how many a stop left unsent)."""
    if broadcast.status == CANCELLED:
        head = "⏹ " + tr.gettext("{title}: stopped.")
    else:
        head = "✅ " + tr.gettext("{title}: finished.")
    lines = [
        head.format(title=_title(broadcast, place, tr)),
        tr.gettext("Delivered: {sent} · Blocked: {blocked} · Failed: {failed}").format(
            sent=tr.number(counts.sent),
            blocked=tr.number(counts.blocked),
            failed=tr.number(counts.failed),
        ),
    ]
    if counts.cancelled:
        lines.append(
            tr.gettext("Not sent because it was stopped: {n}").format(n=tr.number(counts.cancelled))
        )
    return "\n".join(lines)


def status_label(status: str, tr: Translator) -> str:
    if status == DONE:
        return tr.gettext("finished")
    if status == CANCELLED:
        return tr.gettext("stopped")
    return tr.gettext("sending")


def language_name(code: str, tr: Translator) -> str:
    """`azərbaycan`, `русский`: a language by its name in the reader's language (Babel)."""
    try:
        return Locale.parse(code).get_display_name(tr.lang) or code
    except (ValueError, UnknownLocaleError):
        return code


def stats(
    users: UserStats,
    subscriptions: int,
    top: Sequence[tuple[Place, int]],
    recent: Sequence[tuple[Broadcast, Place, Counts]],
    tr: Translator,
) -> str:
    """/stats: users by language, active/blocked, most followed places, recent broadcasts."""
    n = tr.number
    total = users.active + users.blocked
    lines = [
        "📊 <b>" + tr.gettext("Statistics") + "</b>",
        "",
        tr.gettext("Users: {total} — active {active}, blocked {blocked}").format(
            total=n(total), active=n(users.active), blocked=n(users.blocked)
        ),
    ]
    if users.by_language:
        languages = " · ".join(
            f"{language_name(lang, tr)} {n(count)}" for lang, count in users.by_language.items()
        )
        lines.append(tr.gettext("By language: {languages}").format(languages=languages))
    lines.append("")
    if top:
        lines.append(tr.gettext("Subscriptions: {n}. Most followed:").format(n=n(subscriptions)))
        for place, count in top:
            name = audience_name("all" if place is None else "?", place, tr)
            if place is None:
                name = escape(tr.gettext("all settlements"))
            lines.append(f"• {name}: {n(count)}")
    else:
        lines.append(tr.gettext("No subscriptions yet."))
    lines.append("")
    if recent:
        lines.append(tr.gettext("Recent broadcasts:"))
        for broadcast, place, counts in recent:
            when = datetime_text(broadcast.created_at, tr)  # Baku time, as /audit
            figures = tr.gettext(
                "delivered {sent} of {total}, blocked {blocked}, failed {failed}"
            ).format(
                sent=n(counts.sent),
                total=n(counts.total),
                blocked=n(counts.blocked),
                failed=n(counts.failed),
            )
            audience = audience_name(broadcast.scope, place, tr)
            status = status_label(broadcast.status, tr)
            lines.append(f"• #{broadcast.id} {when}, {audience}: {figures} ({status})")
    else:
        lines.append(tr.gettext("No broadcasts yet."))
    return "\n".join(lines)
