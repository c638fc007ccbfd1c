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

from bot.domain.versions import missing
from bot.i18n import Translator
from bot.views import callbacks as cb
from bot.views.common import button, datetime_text, settlement_or_district_name
from bot.views.menu import LANGUAGE_NAMES
from bot.views.timing import goes_out, held
from db.models import (
    CANCELLED,
    DONE,
    FALLBACK_SKIP,
    Broadcast,
    Counts,
    District,
    Settlement,
    UserStats,
)

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


def language_label(language: str) -> str:
    """`az · Azərbaycanca`: the code an admin types and the language's own name."""
    return f"{language} · {LANGUAGE_NAMES.get(language, language)}"


def preview(
    text: str | None,
    audience: str,
    by_language: Mapping[str, int],
    tr: Translator,
    notes: Sequence[str] = (),
) -> str:
    """The draft as recipients will see it (`text`, HTML), framed, with who receives it;
    for a copied message (`text` None) it points at the message above. `notes`: when it
    goes out, what it costs."""
    recipients = recipients_line(by_language, tr)
    if text is None:
        header = tr.gettext("📢 Broadcast to {audience}: the message above, copied as it is.")
        return "\n".join([header.format(audience=audience), "", recipients, *notes])
    header = tr.gettext("📢 Broadcast to {audience}. Recipients will see:").format(
        audience=audience
    )
    return "\n".join([header, RULE, text, RULE, recipients, *notes])


def recipients_of(
    by_language: Mapping[str, int], versions: Mapping[str, str] | None, fallback: str | None
) -> int:
    """How many a draft reaches: all, or only readers with a version when the fallback
    leaves the others out."""
    if versions and fallback == FALLBACK_SKIP:
        return sum(n for language, n in by_language.items() if language in versions)
    return sum(by_language.values())


def versions_preview(
    versions: Mapping[str, str],
    fallback: str | None,
    audience: str,
    by_language: Mapping[str, int],
    tr: Translator,
    notes: Sequence[str] = (),
) -> str:
    """Each version framed, with how many read it; a warning per language of the audience
    without a version (and what they get), then who receives it."""
    lines = [
        tr.gettext("📢 Broadcast to {audience}, a version per language:").format(audience=audience)
    ]
    for language, text in versions.items():
        readers = by_language.get(language, 0)
        count = tr.ngettext("{n} recipient", "{n} recipients", readers)
        label = f"<b>{language_label(language)}</b> — {count.format(n=tr.number(readers))}"
        lines += ["", label, RULE, text, RULE]
    without = missing(versions, by_language)
    if without:
        lines.append("")
    for language, readers in without.items():
        if fallback == FALLBACK_SKIP:
            warning = tr.ngettext(
                "⚠️ No version for {language}: its {n} recipient will get nothing.",
                "⚠️ No version for {language}: its {n} recipients will get nothing.",
                readers,
            )
        else:
            warning = tr.ngettext(
                "⚠️ No version for {language}: its {n} recipient will get the {fallback} version.",
                "⚠️ No version for {language}: its {n} recipients will get the {fallback} version.",
                readers,
            )
        lines.append(
            warning.format(
                language=language_label(language),
                n=tr.number(readers),
                fallback=language_label(fallback or ""),
            )
        )
    skip = fallback == FALLBACK_SKIP
    reached = {lang: n for lang, n in by_language.items() if not skip or lang in versions}
    lines += ["", recipients_line(reached, tr), *notes]
    return "\n".join(lines)


def draft_notes(
    send_at: dt.datetime,
    now: dt.datetime,
    urgent: bool,
    stars: int | None,
    rate: float,
    tr: Translator,
) -> list[str]:
    """Lines under a preview: when it goes out (the quiet hours hold it, or it is urgent),
    and what a paid broadcast costs (`stars` None: not paid)."""
    notes = []
    if urgent:
        notes.append("🚨 " + tr.gettext("Urgent: it goes out now, even in the quiet hours."))
    elif line := goes_out(send_at, now, tr):
        notes.append(line)
    if stars is not None:
        paid = tr.ngettext(
            "⭐ Paid broadcast, up to {rate} messages/s: about {stars} Star from the bot's "
            "balance (0.1 Star per message above the free 30 per second).",
            "⭐ Paid broadcast, up to {rate} messages/s: about {stars} Stars from the bot's "
            "balance (0.1 Star per message above the free 30 per second).",
            stars,
        )
        notes.append(paid.format(rate=tr.number(round(rate)), stars=tr.number(stars)))
    return notes


def confirm_keyboard(
    broadcast_id: int,
    total: int,
    tr: Translator,
    *,
    fallbacks: Sequence[str] = (),
    fallback: str | None = None,
    quiet: bool = False,
    urgent: bool = False,
) -> InlineKeyboardMarkup:
    """✅ and cancel; the choice of what readers without a version get (`fallbacks`: the
    versions given), and 🚨 / 🌙 when the quiet hours would hold it."""
    ident = str(broadcast_id)
    send = tr.ngettext("✅ Send to {n} recipient", "✅ Send to {n} recipients", total)
    rows = [
        [
            button(send.format(n=tr.number(total)), cb.BROADCAST_SEND, ident),
            button("✖️ " + tr.gettext("Cancel"), cb.BROADCAST_CANCEL, ident),
        ]
    ]
    if fallbacks:
        choices = []
        for language in [*fallbacks, FALLBACK_SKIP]:
            label = "🚫" if language == FALLBACK_SKIP else f"↪️ {language}"
            if language == fallback:
                label = "• " + label
            choices.append(button(label, cb.BROADCAST_FALLBACK, f"{ident}.{language}"))
        rows.append(choices)
    if urgent:
        wait = "🌙 " + tr.gettext("Wait until 09:00")
        rows.append([button(wait, cb.BROADCAST_URGENT, f"{ident}.0")])
    elif quiet:
        now = "🚨 " + tr.gettext("Urgent: send now")
        rows.append([button(now, cb.BROADCAST_URGENT, f"{ident}.1")])
    return InlineKeyboardMarkup(rows)


def fallback_hint(tr: Translator) -> str:
    """What the ↪️ / 🚫 buttons under a preview with a missing version mean."""
    return tr.gettext("↪️ chooses the version those without one get; 🚫 sends them nothing.")


def ask_version(
    audience: str, language: str, readers: int, given: Sequence[str], tr: Translator
) -> str:
    """The prompt for one version, which the admin answers by replying to it. Starts with ✍️
    (what the reply handler recognises)."""
    count = tr.ngettext("{n} recipient", "{n} recipients", readers).format(n=tr.number(readers))
    lines = [
        "✍️ "
        + tr.gettext(
            "Broadcast to {audience}: reply to this message with the version for {language} "
            "({count})."
        ).format(audience=audience, language=language_label(language), count=count)
    ]
    if given:
        lines.append(tr.gettext("Versions so far: {languages}.").format(languages=", ".join(given)))
    lines.append(tr.gettext("Or send all of them in one message: az: … en: … ru: …"))
    return "\n".join(lines)


def ask_keyboard(broadcast_id: int, given: bool, tr: Translator) -> InlineKeyboardMarkup:
    """⏭ skip this language (to the next, or to the preview); cancel."""
    ident = str(broadcast_id)
    skip = "⏭ " + (tr.gettext("Skip this language") if given else tr.gettext("Skip"))
    return InlineKeyboardMarkup(
        [
            [
                button(skip, cb.BROADCAST_NEXT, ident),
                button("✖️ " + tr.gettext("Cancel"), cb.BROADCAST_CANCEL, ident),
            ]
        ]
    )


def cancelled_unsent(tr: Translator) -> str:
    return "✖️ " + tr.gettext("Cancelled, nothing sent.")


def cancel_keyboard(broadcast_id: int, tr: Translator) -> InlineKeyboardMarkup:
    stop = button("⏹ " + tr.gettext("Stop the broadcast"), cb.BROADCAST_CANCEL, str(broadcast_id))
    return InlineKeyboardMarkup([[stop]])


def _title(broadcast: Broadcast, place: Place, tr: Translator) -> str:
    return tr.gettext("Broadcast #{id} to {audience}").format(
        id=broadcast.id, audience=audience_name(broadcast.scope, place, tr)
    )


def progress_report(
    broadcast: Broadcast,
    place: Place,
    counts: Counts,
    elapsed: float,
    tr: Translator,
    now: dt.datetime | None = None,
) -> str:
    """Sent / total, blocked, failed, the average rate since the start and the time left;
    while the quiet hours hold it (at `now`), when it will go out."""
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
    waiting = now is not None and held(broadcast.send_at, now) and not done
    if waiting and (line := goes_out(broadcast.send_at, now, tr)):
        lines.append(line)
    elif rate > 0:
        eta = dt.timedelta(seconds=max(1, round(counts.remaining / rate)))
        lines.append(
            tr.gettext("Rate: {rate} messages/s · about {eta} left").format(
                rate=tr.number(round(rate, 1)), eta=format_timedelta(eta, locale=tr.lang)
            )
        )
    return "\n".join(lines)


def final_report(broadcast: Broadcast, place: Place, counts: Counts, tr: Translator) -> str:
    """The end report: delivered / blocked / failed (and how many a stop left unsent)."""
    if broadcast.status == CANCELLED and not (counts.sent or counts.blocked or counts.failed):
        head = "✖️ " + tr.gettext("{title}: cancelled, nothing sent.")
    elif broadcast.status == CANCELLED:
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
