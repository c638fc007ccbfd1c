"""Admin command arguments, parsed and checked (pure): dates, counts, `name=number`
figures, the `source=` that ends a command, and caravan ids; an `ArgError` says, as a
msgid, what does not fit."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from bot.domain.housing_edit import HousingPlan
from bot.i18n import _

MAX_FAMILIES = 5_000  # per caravan; the largest published ones are a few hundred
MAX_PEOPLE = 25_000
MAX_HOMES = 1_000_000
FIRST_YEAR = 2020  # no return caravan or housing figure predates this
YEARS_AHEAD = 3  # a caravan further ahead than this is a typo
DEADLINE_YEARS_AHEAD = 15

_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_DOTTED = re.compile(
    r"(\d{1,2})\.(\d{1,2})\.(\d{4})"
)  # DD.MM.YYYY, as dates are written in Azerbaijan
SOURCE_KEY = "source="
MIN_SOURCE, MAX_SOURCE = 3, 300  # characters of a source: an office's name or a link
_YEAR = re.compile(r"\d{4}")
_NUMBER = re.compile(r"[-+]?[0-9]+(?:[.,][0-9]+)?")
ID = re.compile(r"#?([1-9][0-9]{0,17})")  # a user or caravan id, `#` allowed


class Term(str):
    """An ArgError value that is itself a msgid (e.g. `families`), translated when shown."""


# the names of figures in argument errors, translated when shown
FIELDS = {
    "families": Term(_("families")),
    "people": Term(_("people")),
    "planned": Term(_("planned")),
    "ready": Term(_("ready")),
}


class ArgError(ValueError):
    """The arguments do not fit: `message` (a msgid, formatted with `values`) says why."""

    def __init__(self, message: str | None = None, **values: Any) -> None:
        super().__init__(message)
        self.message = message
        self.values = values


def _is_date(text: str) -> bool:
    return bool(_DATE.fullmatch(text) or _DOTTED.fullmatch(text))


def parse_date(text: str) -> dt.date:
    """A real date, YYYY-MM-DD or DD.MM.YYYY."""
    try:
        if match := _DATE.fullmatch(text):
            return dt.date(*(int(part) for part in match.groups()))
        if match := _DOTTED.fullmatch(text):
            day, month, year = (int(part) for part in match.groups())
            return dt.date(year, month, day)
        raise ValueError
    except ValueError:
        raise ArgError(
            _("“{value}” is not a real date of the form YYYY-MM-DD or DD.MM.YYYY."), value=text
        ) from None


def split_source(args: list[str]) -> tuple[list[str], str | None]:
    """The arguments before `source=`, and the source: the rest of the line after it (so it
    may hold spaces), or None when no `source=` is given."""
    for index, token in enumerate(args):
        if token.lower().startswith(SOURCE_KEY):
            source = " ".join([token[len(SOURCE_KEY) :], *args[index + 1 :]]).strip()
            if not MIN_SOURCE <= len(source) <= MAX_SOURCE or not any(c.isalnum() for c in source):
                raise ArgError(
                    _(
                        "The source should be a link or the name of an office, from {low} to "
                        "{high} characters."
                    ),
                    low=MIN_SOURCE,
                    high=MAX_SOURCE,
                )
            return args[:index], source
    return args, None


def parse_count(text: str, name: str, low: int, high: int) -> int:
    """A whole number from `low` to `high`; `name` is a Term or a literal (a deadline)."""
    if re.fullmatch(r"[0-9]{1,9}", text) and low <= int(text) <= high:
        return int(text)
    raise ArgError(
        _("{name}: give a whole number from {low} to {high}, not “{value}”."),
        name=name,
        low=low,
        high=high,
        value=text,
    )


def _check_caravan_date(date: dt.date, today: dt.date) -> None:
    latest = today.replace(year=today.year + YEARS_AHEAD, day=min(today.day, 28))
    if not dt.date(FIRST_YEAR, 1, 1) <= date <= latest:
        raise ArgError(
            _("The date {value} is out of range: from {first} to {last}."),
            value=date.isoformat(),
            first=f"{FIRST_YEAR}-01-01",
            last=latest.isoformat(),
        )


def check_counts(families: int | None, people: int | None) -> None:
    if families is not None and people is not None and people < families:
        raise ArgError(
            _("People ({people}) cannot be fewer than families ({families})."),
            people=people,
            families=families,
        )


def parse_addcaravan(args: list[str], today: dt.date) -> tuple[dt.date, str, int, int | None]:
    """`<YYYY-MM-DD> <settlement…> <families> [people]`: the date first, one or two trailing
    numbers last, and the words between them are the place (it may be several words)."""
    if len(args) < 3:
        raise ArgError()
    date = parse_date(args[0])
    _check_caravan_date(date, today)
    numbers: list[str] = []
    rest = list(args[1:])
    while rest and len(numbers) < 2 and _NUMBER.fullmatch(rest[-1]):
        numbers.insert(0, rest.pop())
    if not numbers or not rest:
        raise ArgError()
    families = parse_count(numbers[0], FIELDS["families"], 1, MAX_FAMILIES)
    people = parse_count(numbers[1], FIELDS["people"], 1, MAX_PEOPLE) if len(numbers) == 2 else None
    check_counts(families, people)
    return date, " ".join(rest), families, people


def _assignments(tokens: list[str]) -> dict[str, str]:
    values: dict[str, str] = {}
    for token in tokens:
        key, _sep, value = token.partition("=")
        key = key.strip().lower()
        if not key or not value:
            raise ArgError(_("“{value}” should look like name=number."), value=token)
        if key in values:
            raise ArgError(_("“{value}” is given twice."), value=key)
        values[key] = value.strip()
    return values


def parse_sethousing(args: list[str], today: dt.date) -> tuple[str, int, int, dict[dt.date, int]]:
    """`<settlement…> planned=<n> ready=<n> [<YYYY, YYYY-MM-DD or DD.MM.YYYY>=<n> …]`; a year
    alone means by 31 December of that year, and 0 homes removes that deadline. The
    deadlines not given are kept, and all are checked against the current figures once the
    settlement is known (`bot.domain.housing_edit`)."""
    place = [a for a in args if "=" not in a]
    values = _assignments([a for a in args if "=" in a])
    if not place or "planned" not in values or "ready" not in values:
        raise ArgError()
    planned = parse_count(values.pop("planned"), FIELDS["planned"], 0, MAX_HOMES)
    ready = parse_count(values.pop("ready"), FIELDS["ready"], 0, MAX_HOMES)
    deadlines: dict[dt.date, int] = {}
    for key, value in values.items():
        if _YEAR.fullmatch(key):
            due_by = dt.date(int(key), 12, 31)
        elif _is_date(key):
            due_by = parse_date(key)
        else:
            raise ArgError(_("Unknown figure “{value}”."), value=key)
        if not FIRST_YEAR <= due_by.year <= today.year + DEADLINE_YEARS_AHEAD:
            raise ArgError(_("The deadline {value} is out of range."), value=key)
        if due_by in deadlines:
            raise ArgError(_("“{value}” is given twice."), value=key)
        deadlines[due_by] = parse_count(value, key, 0, MAX_HOMES)  # 0: remove the deadline
    if ready > planned:
        raise ArgError(
            _("Ready homes ({ready}) cannot exceed planned ones ({planned})."),
            ready=ready,
            planned=planned,
        )
    return " ".join(place), planned, ready, deadlines


def check_plan(plan: HousingPlan, planned: int, today: dt.date) -> None:
    """What /sethousing refuses once the current figures are known: a new value for a
    deadline that has passed, and more homes ready and due from today on than planned."""
    if plan.past_given:
        day, _homes = plan.past_given[0]
        raise ArgError(
            _(
                "The deadline {value} has already passed (today is {today}): a deadline must "
                "be today or later. A passed deadline stays on the card as history; "
                "{value}=0 removes it."
            ),
            value=day.isoformat(),
            today=today.isoformat(),
        )
    if plan.over_planned:
        kept = ", ".join(f"{day.isoformat()}={n}" for day, n in plan.kept.items())
        if not kept:
            raise ArgError(
                _("Ready homes and the deadlines add up to more than planned ({planned})."),
                planned=planned,
            )
        raise ArgError(
            _(
                "Ready homes and the deadlines add up to more than planned ({planned}), with "
                "the deadlines kept from the current figures ({kept}). Give those anew, or "
                "=0 to remove one."
            ),
            planned=planned,
            kept=kept,
        )


def parse_caravan_edit(args: list[str], today: dt.date) -> tuple[int, dict[str, Any]]:
    """`<id> date=<YYYY-MM-DD> families=<n> people=<n>` (at least one of them)."""
    match = ID.fullmatch(args[0]) if args else None
    if match is None or len(args) < 2:
        raise ArgError()
    raw = _assignments(args[1:])
    values: dict[str, Any] = {}
    for key, value in raw.items():
        if key == "date":
            values["date"] = parse_date(value)
            _check_caravan_date(values["date"], today)
        elif key == "families":
            values["families"] = parse_count(value, FIELDS["families"], 1, MAX_FAMILIES)
        elif key == "people":
            values["people"] = parse_count(value, FIELDS["people"], 1, MAX_PEOPLE)
        else:
            raise ArgError(_("Unknown figure “{value}”."), value=key)
    check_counts(values.get("families"), values.get("people"))
    return int(match.group(1)), values


def caravan_id(args: list[str]) -> int | None:
    """`42` or `#42` alone: a caravan id; anything else is a place name."""
    match = ID.fullmatch(args[0]) if len(args) == 1 else None
    return int(match.group(1)) if match else None
