"""Callback-data prefixes, in one place. Data is `<prefix>:<argument>`, at most 64 bytes.

Callback data comes from the client and is never trusted: `parse` accepts only known
prefixes with a well-formed argument; handlers still look the argument up and check rights.
"""

from __future__ import annotations

import re

MENU = "m"  # m:<item>           main menu entries
REGIONS = "r"  # r:               region → district list
DISTRICT = "d"  # d:<slug>         a district's settlements
SETTLEMENT = "s"  # s:<slug>         a settlement card
CARAVANS_SETTLEMENT = "cs"  # cs:<slug>
CARAVANS_DISTRICT = "cd"  # cd:<slug>
SUBSCRIBE_SETTLEMENT = "ss"  # ss:<slug>
SUBSCRIBE_DISTRICT = "sd"  # sd:<slug>
LOCATION = "l"  # l:<slug>         send the settlement's location
LANGUAGE = "lang"  # lang:<az|en|ru>
UNSUBSCRIBE = "us"  # us:<subscription id>  ❌ in the subscriptions list
FORGET = "fg"  # fg:<yes|no>         /forget's confirm and cancel buttons
IMPORT_APPLY = "ia"  # ia:<token>  ✅ apply a dataset file an admin sent (kept on the server)
IMPORT_CANCEL = "ix"  # ix:<token>  drop that file
CALENDAR_SETTLEMENT = "is"  # is:<slug>  📅 an .ics file of a settlement's upcoming caravans
CALENDAR_DISTRICT = "id"  # id:<slug>    📅 the same for a district
PROGRESS_SETTLEMENT = "ps"  # ps:<slug>  📊 the progress chart of a settlement
PROGRESS_DISTRICT = "pd"  # pd:<slug>    📊 of a district, one bar per settlement
PROGRESS_ALL = "pa"  # pa:               📊 of every settlement
# Admin buttons carry only ids; the handler re-checks rights and looks everything up.
ADMIN_CONFIRM = "ak"  # ak:<token>        ✅ on an admin action kept on the server
ADMIN_ABORT = "ax"  # ax:<token>          ↩️ drops that action
ADMIN_PICK = "ap"  # ap:<token>.<n>      the n-th candidate of an ambiguous place
ADMIN_CANCEL = "acx"  # acx:<caravan id>  🗑 in an admin's caravan list
BROADCAST_SEND = "bs"  # bs:<broadcast id>  ✅ send a broadcast draft
BROADCAST_CANCEL = "bx"  # bx:<broadcast id>  cancel a draft, or stop a broadcast being sent
CONTACTS = "ct"  # ct:<district slug>  the official contacts of a district
CONTACT_CONFIRM = "ctk"  # ctk:<token>  ✅ on /setcontact or /delcontact (kept on the server)
CONTACT_ABORT = "ctx"  # ctx:<token>    ↩️ drops it
FAQ_CONFIRM = "fqk"  # fqk:<token>  ✅ on /addfaq or /delfaq (kept on the server)
FAQ_ABORT = "fqx"  # fqx:<token>    ↩️ drops it
FAQ_ANSWERED = "fqy"  # fqy:<entry id>  "✅ That answers it" under an FAQ entry offered first
# "✉️ Ask a person": handled by the ask feature. The argument is empty (open a new question)
# or what that feature put there to find the question the user was writing (handlers.common
# `faq_offer` takes it), e.g. a draft's id.
ASK = "ask"  # ask:<empty or [a-z0-9_-]{1,40}>
# Questions to a person (handlers/support): ids are looked up and rights checked again
TICKET_PLACE = "tp"  # tp:<ticket id>.<district slug|->  the place of a question being written
TICKET_CANCEL = "tx"  # tx:<ticket id>      drop a question being written
TICKET_REPLY = "tr"  # tr:<ticket id>       ↩️ an admin answers (ForceReply)
TICKET_CLOSE = "tc"  # tc:<ticket id>       ✅ an admin closes a question
REPORT = "rp"  # rp:<settlement slug>        ⚠️ "this looks out of date" on a card
BROADCAST_FALLBACK = "bf"  # bf:<id>.<az|en|ru|skip>  what readers without a version get
BROADCAST_URGENT = "bu"  # bu:<id>.<1|0>  send during the quiet hours, or wait for 09:00
BROADCAST_PICK = "bp"  # bp:<token>.<n>  the n-th place of an ambiguous /broadcast
BROADCAST_NEXT = "bn"  # bn:<id>  skip the version asked for (the next one, or the preview)
# 🚨 send what the quiet hours hold now: nu:<caravan id> (its notices), nu:h<notice id> (a
# housing alert)
NOTICE_URGENT = "nu"
HELD_ALERT = "h"  # the mark of a housing alert's notice id in NOTICE_URGENT

MENU_ITEMS = ("settlements", "caravans", "subscriptions", "language", "help", "ask")

_SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,60}")
_ARGUMENT = {
    MENU: re.compile("|".join(MENU_ITEMS)),
    REGIONS: re.compile(""),
    DISTRICT: _SLUG,
    SETTLEMENT: _SLUG,
    CARAVANS_SETTLEMENT: _SLUG,
    CARAVANS_DISTRICT: _SLUG,
    SUBSCRIBE_SETTLEMENT: _SLUG,
    SUBSCRIBE_DISTRICT: _SLUG,
    LOCATION: _SLUG,
    LANGUAGE: re.compile("az|en|ru"),
    UNSUBSCRIBE: re.compile(r"[1-9][0-9]{0,17}"),
    FORGET: re.compile("yes|no"),
    IMPORT_APPLY: re.compile(r"[0-9a-f]{12}"),
    IMPORT_CANCEL: re.compile(r"[0-9a-f]{12}"),
    CALENDAR_SETTLEMENT: _SLUG,
    CALENDAR_DISTRICT: _SLUG,
    PROGRESS_SETTLEMENT: _SLUG,
    PROGRESS_DISTRICT: _SLUG,
    PROGRESS_ALL: re.compile(""),
    ADMIN_CONFIRM: re.compile(r"[0-9a-f]{12}"),
    ADMIN_ABORT: re.compile(r"[0-9a-f]{12}"),
    ADMIN_PICK: re.compile(r"[0-9a-f]{12}\.[0-9]{1,2}"),
    ADMIN_CANCEL: re.compile(r"[1-9][0-9]{0,17}"),
    BROADCAST_SEND: re.compile(r"[1-9][0-9]{0,17}"),
    BROADCAST_CANCEL: re.compile(r"[1-9][0-9]{0,17}"),
    CONTACTS: _SLUG,
    CONTACT_CONFIRM: re.compile(r"[0-9a-f]{12}"),
    CONTACT_ABORT: re.compile(r"[0-9a-f]{12}"),
    FAQ_CONFIRM: re.compile(r"[0-9a-f]{12}"),
    FAQ_ABORT: re.compile(r"[0-9a-f]{12}"),
    FAQ_ANSWERED: re.compile(r"[1-9][0-9]{0,17}"),
    ASK: re.compile(r"[a-z0-9_-]{0,40}"),
    TICKET_PLACE: re.compile(r"[1-9][0-9]{0,17}\.(?:-|[a-z0-9][a-z0-9-]{0,40})"),
    TICKET_CANCEL: re.compile(r"[1-9][0-9]{0,17}"),
    TICKET_REPLY: re.compile(r"[1-9][0-9]{0,17}"),
    TICKET_CLOSE: re.compile(r"[1-9][0-9]{0,17}"),
    REPORT: _SLUG,
    BROADCAST_FALLBACK: re.compile(r"[1-9][0-9]{0,17}\.(az|en|ru|skip)"),
    BROADCAST_URGENT: re.compile(r"[1-9][0-9]{0,17}\.[01]"),
    BROADCAST_PICK: re.compile(r"[0-9a-f]{12}\.[0-9]{1,2}"),
    BROADCAST_NEXT: re.compile(r"[1-9][0-9]{0,17}"),
    NOTICE_URGENT: re.compile(r"h?[1-9][0-9]{0,17}"),
}


def make(prefix: str, argument: str = "") -> str:
    data = f"{prefix}:{argument}"
    if len(data.encode()) > 64 or parse(data) is None:
        raise ValueError(f"bad callback data {data!r}")
    return data


def parse(data: str | None) -> tuple[str, str] | None:
    """(prefix, argument) for well-formed data, else None."""
    if not data or len(data.encode()) > 64:
        return None
    prefix, sep, argument = data.partition(":")
    pattern = _ARGUMENT.get(prefix)
    if not sep or pattern is None or not pattern.fullmatch(argument):
        return None
    return prefix, argument


def pattern(*prefixes: str) -> re.Pattern[str]:
    """A CallbackQueryHandler pattern for these prefixes that matches only well-formed data
    (as `parse` accepts it): a known prefix with a bad argument reaches no feature handler
    but the fallback's "no longer valid" answer."""
    alternatives = "|".join(
        rf"{re.escape(prefix)}:(?:{_ARGUMENT[prefix].pattern})" for prefix in prefixes
    )
    return re.compile(rf"(?:{alternatives})\Z")
