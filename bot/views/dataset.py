"""An imported file's problems and the changes it would make, in the admin's language: each
problem of `db.problems` worded from its code (with the nearest known names when a place is
unknown), each change with places by name, columns in words and values as Babel writes them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from difflib import SequenceMatcher
from typing import TYPE_CHECKING, Any

from bot.domain.search import SearchIndex
from bot.i18n import Translator, _
from bot.views.common import escape, kind_label
from db.problems import Problem, Step
from db.snapshot import PlaceData

if TYPE_CHECKING:  # db.diff reads YAML: imported with the import feature, not at start-up
    from db.diff import Change

ENTITY_TITLES = {
    "regions": _("Regions"),
    "districts": _("Districts"),
    "settlements": _("Settlements"),
    "housing reports": _("Housing reports"),
    "caravans": _("Caravans"),
    "totals": _("Overall totals"),
}
# column (or field) of a dataset table → its name in words
COLUMNS = {
    "table": _("table"),
    "slug": _("slug (the short name in the file)"),
    "region": _("region"),
    "district": _("district"),
    "settlement": _("settlement"),
    "kind": _("kind"),
    "name_az": _("name in Azerbaijani"),
    "name_en": _("name in English"),
    "name_ru": _("name in Russian"),
    "aliases": _("other names"),
    "lat": _("latitude"),
    "lon": _("longitude"),
    "coordinates_source": _("source of the coordinates"),
    "as_of": _("as of"),
    "date": _("date"),
    "by": _("due by"),
    "homes": _("homes"),
    "homes_total": _("homes planned"),
    "ready": _("ready homes"),
    "uninhabitable": _("uninhabitable homes"),
    "partly_habitable": _("partly habitable homes"),
    "built": _("homes built"),
    "under_construction": _("homes under construction"),
    "families": _("number of families"),
    "people": _("number of people"),
    "first": _("first return"),
    "total_families": _("families so far"),
    "total_people": _("people so far"),
    "settlements": _("settlements"),
    "source": _("source"),
    "unsure": _("sources differ"),
    "note_az": _("note in Azerbaijani"),
    "note_en": _("note in English"),
    "note_ru": _("note in Russian"),
    "month_only": _("month only"),
    "due": _("deadlines"),
    "position": _("position in the list"),
    "regions": _("regions"),
    "districts": _("districts"),
    "caravans": _("caravans"),
    "housing": _("housing reports"),
    "totals": _("overall totals"),
    "name": _("name"),
    "note": _("note"),
    "coordinates": _("coordinates"),
    "total_after": _("running total"),
    "version": _("format version"),
}
# a list of a YAML dataset → one of its items, by slug or number (`{item}`)
ITEMS = {
    "regions": _("region {item}"),
    "districts": _("district {item}"),
    "settlements": _("settlement {item}"),
    "totals": _("overall total {item}"),
    "housing": _("housing report {item}"),
    "caravans": _("caravan {item}"),
    "due": _("deadline {item}"),
    "aliases": _("other name {item}"),
}
LANGUAGE_FIELDS = ("name", "note")  # `name: {az: …}`: "name in Azerbaijani"

# problem code (`db.problems`) → what it says; the values are the problem's
PROBLEMS = {
    "not_int": _("“{value}” is not a whole number."),
    "not_number": _("“{value}” is not a number."),
    "not_date": _("“{value}” is not a date: write it as YYYY-MM-DD."),
    "not_month": _("“{value}” is not a month: write it as YYYY-MM."),
    "not_date_or_month": _("“{value}” is not a date: write YYYY-MM-DD, or YYYY-MM for a month."),
    "not_bool": _("“{value}” is neither yes nor no."),
    "not_list": _("a list is expected here."),
    "not_table": _("a table of values is expected here."),
    "not_column": _("the table has no such column."),
    "not_a_field": _("there is no such field."),
    "repeats": _("“{value}” repeats row {first}: one row per item."),
    "unknown_region": _("there is no region “{value}”."),
    "unknown_district": _("there is no district “{value}”."),
    "unknown_settlement": _("there is no settlement “{value}”."),
    "no_housing_row": _("no housing row of “{settlement}” is dated {value}."),
    "required": _("a value is required."),
    "too_small": _("“{value}” is too small."),
    "too_large": _("“{value}” is too large."),
    "empty": _("the value is empty."),
    "too_long": _("the text is too long: at most {max_length} characters."),
    "not_slug": _("“{value}” cannot be a slug: lower-case Latin letters, digits and hyphens only."),
    "not_one_of": _("“{value}” is not one of {expected}."),
    "deadlines_share_date": _("two deadlines of the report have the same date."),
    "ready_exceeds_total": _("there are more ready homes than planned ones."),
    "reports_share_date": _("two housing reports of the settlement have the same date."),
    "totals_share_date": _("two overall totals have the same date."),
    "duplicate_slugs": _("these slugs appear twice: {slugs}."),
    "not_utf8": _("the file is not UTF-8 text: save the sheet as “CSV UTF-8 (comma delimited)”."),
    "empty_file": _("the file is empty."),
    "no_table_column": _("the header has no “table” column."),
    "unknown_columns": _("unknown columns: {columns}."),
    "too_many_rows": _("more than {limit} rows."),
    "too_many_cells": _("more cells than the header has columns."),
    "headerless_value": _("a value stands in a column without a header."),
    "unknown_table": _("“{value}” is not a table; the tables are {tables}."),
    "not_xlsx": _("this is not a readable .xlsx workbook."),
    "too_large_unpacked": _("the workbook unpacks to more than {limit} MB."),
    "unknown_sheets": _("unknown sheets: {sheets}; the sheets are {tables}."),
    "missing_sheets": _("missing sheets: {sheets}."),
    "unknown_type": _("unknown file type: use .yaml, .yml, .csv or .xlsx."),
    "unreadable": _("the file cannot be read ({detail})."),
    "not_utf8_text": _("the file is not UTF-8 text: save it in the UTF-8 encoding."),
    "yaml_syntax": _(
        "the YAML is not well-formed at line {line}, column {position}: check the"
        " indentation, the colons and the quotes there."
    ),
    "yaml_tab": _(
        "a tab at line {line}, column {position}: YAML is indented with spaces, not tabs."
    ),
    "not_text": _("“{value}” is not text."),
    "too_few": _("at least {min_length} expected here."),
    "too_many": _("at most {max_length} expected here."),
    "invalid": _("the value is not valid ({detail})."),
}
# a value out of bounds, with the bound the model gives (pydantic's ge, gt, le, lt)
BOUNDED = {
    ("too_small", "ge"): _("“{value}” is too small: the least allowed is {ge}."),
    ("too_small", "gt"): _("“{value}” is too small: it must be more than {gt}."),
    ("too_large", "le"): _("“{value}” is too large: the most allowed is {le}."),
    ("too_large", "lt"): _("“{value}” is too large: it must be less than {lt}."),
}
PLACE_CODES = {"unknown_settlement": "settlement", "unknown_district": "district"}

Suggestions = Mapping[str, Sequence[str]]  # an unknown slug → the nearest known, as shown


def column_name(column: str, tr: Translator) -> str:
    return tr.gettext(COLUMNS[column]) if column in COLUMNS else column


def _where(problem: Problem, tr: Translator) -> str:
    _ = tr.gettext
    parts = []
    if problem.table:
        sheet = _("table {name}") if problem.file.lower().endswith(".csv") else _("sheet {name}")
        parts.append(sheet.format(name=problem.table))
    if problem.row:
        parts.append(_("row {n}").format(n=problem.row))
    if problem.column:
        label = column_name(problem.column, tr)
        name = problem.column if label == problem.column else f"{problem.column} ({label})"
        parts.append(_("column {name}").format(name=name))
    if problem.steps:
        parts.append(steps_text(problem.steps, tr))
    elif problem.path:
        parts.append(_("at {path}").format(path=problem.path))
    return ", ".join(parts)


def steps_text(steps: Sequence[Step], tr: Translator) -> str:
    """Where a value of a YAML file is, in words: `settlement sos, caravan 1, number of
    families` for `settlements[1 'sos'].caravans[1].families`."""
    words: list[str] = []
    previous = None
    for step in steps:
        if previous in LANGUAGE_FIELDS and step.field in ("az", "en", "ru") and words:
            words[-1] = column_name(f"{previous}_{step.field}", tr)
        elif step.item is not None and step.field in ITEMS:
            item = step.label or tr.number(step.item)
            words.append(tr.gettext(ITEMS[step.field]).format(item=item))
        elif step.item is not None:
            words.append(f"{column_name(step.field, tr)} {tr.number(step.item)}")
        else:
            words.append(column_name(step.field, tr))
        previous = step.field
    return ", ".join(words)


def _value(value: Any, tr: Translator) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, dt.date):
        return tr.date(value)
    if isinstance(value, bool):
        return tr.gettext("yes") if value else tr.gettext("no")
    if isinstance(value, int | float):
        return tr.number(value)
    if isinstance(value, list | tuple):
        return ", ".join(_value(v, tr) for v in value)
    text = str(value)
    return text if len(text) <= 80 else text[:79] + "…"


def problem_text(problem: Problem, tr: Translator, suggestions: Suggestions) -> str:
    """`Sheet caravans, row 109, column settlement: there is no settlement “soss”. Did you
    mean: sos (Sos)?` — plain text, not escaped."""
    bounds = [BOUNDED[problem.code, k] for k in problem.values if (problem.code, k) in BOUNDED]
    template = bounds[0] if bounds else PROBLEMS.get(problem.code)
    if template is None:  # a code this view does not know yet: the English line
        return problem.text
    numbers = ("first", "line", "position")  # said as they are, not as quantities
    values = {k: str(v) if k in numbers else _value(v, tr) for k, v in problem.values.items()}
    values.setdefault("value", "—")
    try:
        text = tr.gettext(template).format(**values)
    except (KeyError, IndexError):
        return problem.text
    where = _where(problem, tr)
    text = f"{where}: {text}" if where else text[:1].upper() + text[1:]
    near = suggestions.get(str(problem.values.get("value"))) if problem.code in PLACE_CODES else ()
    if near:
        text += " " + tr.gettext("Did you mean: {names}?").format(names=", ".join(near))
    return text


def problems_message(
    file: str,
    problems: Sequence[Problem],
    hidden: int,
    tr: Translator,
    suggestions: Suggestions,
    limit: int = 3000,
) -> str:
    """The reply to a file that cannot be imported (HTML): what is wrong, one line each."""
    lines = [
        "⚠️ " + escape(tr.gettext("This file cannot be imported; nothing was changed.")),
        "📄 <b>" + escape(file) + "</b>",
    ]
    size = sum(len(line) + 1 for line in lines)
    for shown, problem in enumerate(problems):
        line = "• " + escape(problem_text(problem, tr, suggestions))
        if size + len(line) > limit - 80:  # room for the "… and n more" line
            hidden += len(problems) - shown
            break
        lines.append(line)
        size += len(line) + 1
    if hidden:
        more = tr.ngettext("… and {n} more problem.", "… and {n} more problems.", hidden)
        lines.append(escape(more.format(n=tr.number(hidden))))
    return "\n".join(lines)


def nearest_names(
    problems: Sequence[Problem], data: PlaceData, search: SearchIndex, tr: Translator
) -> dict[str, list[str]]:
    """For every unknown settlement or district of `problems`, the nearest known ones as
    `slug (Name)`, from the place search (`bot.domain.search.SearchIndex.suggest`)."""
    out: dict[str, list[str]] = {}
    for problem in problems:
        kind = PLACE_CODES.get(problem.code)
        value = problem.values.get("value")
        if kind is None or not isinstance(value, str) or value in out:
            continue
        found = []
        for match in search.suggest(value.replace("-", " "), limit=6):
            match_kind, _sep, slug = match.key.partition(":")
            place = data.settlement(slug) if match_kind == "settlement" else data.district(slug)
            if match_kind == kind and place is not None and slug != value:
                found.append((slug, place.name(tr.lang)))
        # the search ranks by names; a typo in a slug is nearest to the slug it misspells
        found.sort(key=lambda pair: -SequenceMatcher(None, value, pair[0]).ratio())
        out[value] = [f"{slug} ({name})" for slug, name in found[:3]]
    return out


# ------------------------------------------------------------------ the diff


def change_place(slug: str, data: PlaceData, tr: Translator) -> str:
    """A settlement of a change by name, with its slug (the file's word for it)."""
    place = data.settlement(slug) or data.district(slug)
    return f"{place.name(tr.lang)} ({slug})" if place is not None else slug


def change_label(change: Change, data: PlaceData, tr: Translator) -> str:
    """What a change is about: `Sos (sos), 2 December 2026`."""
    parts = change.parts
    if not parts:
        return change.key
    if change.entity == "totals":
        return _value(parts[0], tr)
    if change.entity in ("regions",):
        return str(parts[0])
    label = change_place(str(parts[0]), data, tr)
    if change.entity == "housing reports":
        return f"{label}, {_value(parts[1], tr)}"
    if change.entity == "caravans":
        when = _value(parts[1], tr) if parts[1] else tr.gettext("date not published")
        nth = f" #{parts[2] + 1}" if parts[2] else ""
        return f"{label}, {when}{nth}"
    return label


def _field_value(name: str, value: Any, data: PlaceData, tr: Translator) -> str:
    if name == "kind" and isinstance(value, str):
        return kind_label(value, tr)
    if name == "district" and isinstance(value, str):
        return change_place(value, data, tr)
    if name == "due" and isinstance(value, tuple):
        return ", ".join(f"{_value(by, tr)}: {_value(homes, tr)}" for by, homes in value) or "—"
    if isinstance(value, str) and value:
        return "“" + _value(value, tr) + "”"
    return _value(value, tr)


def change_line(change: Change, data: PlaceData, tr: Translator) -> str:
    """`~ Sos (sos), 2 December 2026: ready homes 20 → 25` — plain text, not escaped."""
    mark = {"added": "+", "changed": "~", "removed": "−"}[change.kind]
    details = "; ".join(
        f"{column_name(name, tr)} {_field_value(name, old, data, tr)} → "
        f"{_field_value(name, new, data, tr)}"
        for name, old, new in change.fields
    )
    line = f"{mark} {change_label(change, data, tr)}"
    return f"{line}: {details}" if details else line
