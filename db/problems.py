"""Why a dataset file cannot be imported, as data: each `Problem` has a code and values (the
bot words them in the reader's language, `bot.views.dataset`), where it is, and the English
line the CLI prints; `DatasetError` carries them. The codes are listed in docs/data-layer.md.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Step:
    """One step of the way to a value in a YAML file: a field, and for a list the item's
    number (from 1) and its slug when it has one: `settlements[1 'sos']` is
    `Step("settlements", 1, "sos")`."""

    field: str
    item: int | None = None
    label: str | None = None


@dataclass(frozen=True)
class Problem:
    """One reason a file cannot be imported, as data: `code` names the problem (the bot
    words it in the reader's language, docs/data-layer.md lists the codes), `values` fill it
    in; where it is: the file, the table (an XLSX sheet), the row and the column, or the path
    in a YAML file (`path` in English, `steps` as data). `text` is the English line the CLI
    prints."""

    code: str
    text: str
    file: str
    values: dict[str, Any] = field(default_factory=dict)
    table: str | None = None
    row: int | None = None
    column: str | None = None
    path: str | None = None
    steps: tuple[Step, ...] = ()


class DatasetError(ValueError):
    """The file cannot be imported; the message names the file and the place, and
    `problems` says the same as data (`hidden`: how many more problems were left out)."""

    def __init__(self, message: str, problems: Sequence[Problem] = (), hidden: int = 0) -> None:
        super().__init__(message)
        self.problems = tuple(problems)
        self.hidden = hidden

    @classmethod
    def of(cls, file: str, code: str, text: str, **where_and_values: Any) -> DatasetError:
        """One problem: `text` is the English message after the file's name; the keywords
        `table`, `row` and `column` say where, the others are the problem's values."""
        where = {
            k: where_and_values.pop(k)
            for k in ("table", "row", "column", "path")
            if k in where_and_values
        }
        problem = Problem(code, f"{file}: {text}", file, where_and_values, **where)
        return cls(problem.text, [problem])


# pydantic's error types → our problem codes (the values are pydantic's `ctx`)
PYDANTIC_CODES = {
    "missing": "required",
    "greater_than_equal": "too_small",
    "greater_than": "too_small",
    "less_than_equal": "too_large",
    "less_than": "too_large",
    "string_too_short": "empty",
    "string_too_long": "too_long",
    "string_pattern_mismatch": "not_slug",
    "literal_error": "not_one_of",
    "extra_forbidden": "not_a_field",
    "too_short": "too_few",
    "too_long": "too_many",
    "string_type": "not_text",
    "int_parsing": "not_int",
    "int_type": "not_int",
    "int_from_float": "not_int",
    "float_parsing": "not_number",
    "float_type": "not_number",
    "finite_number": "not_number",
    "date_parsing": "not_date",
    "date_type": "not_date",
    "date_from_datetime_parsing": "not_date",
    "date_from_datetime_inexact": "not_date",
    "bool_parsing": "not_bool",
    "bool_type": "not_bool",
    "list_type": "not_list",
    "dict_type": "not_table",
    "model_type": "not_table",
    "model_attributes_type": "not_table",
}
# codes of a value of the wrong type: an empty value (None) is a missing one
WRONG_TYPE = {"not_text", "not_int", "not_number", "not_date", "not_bool"}
# our validators' messages → codes
VALUE_CODES = {
    "two deadlines share a date": "deadlines_share_date",
    "ready exceeds homes_total": "ready_exceeds_total",
    "two housing reports share a date": "reports_share_date",
    "two totals share a date": "totals_share_date",
}


def pydantic_code(problem: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    """A pydantic problem as (code, values); what has no code of its own is `invalid`, with
    pydantic's English message as its `detail`."""
    message = str(problem.get("msg", "")).removeprefix("Value error, ")
    context = problem.get("ctx") or {}
    value = problem.get("input")
    shown = {} if isinstance(value, dict | list) else {"value": value}
    if problem.get("type") == "value_error":
        if message in VALUE_CODES:
            return VALUE_CODES[message], {}
        if match := re.fullmatch(r"duplicate (\w+) slug\(s\): (.+)", message):
            return "duplicate_slugs", {"kind": match[1], "slugs": match[2]}
        if match := re.fullmatch(r"(\w+) '([^']*)': unknown (\w+) '([^']*)'", message):
            return f"unknown_{match[3]}", {"value": match[4], "of": match[2]}
    code = PYDANTIC_CODES.get(str(problem.get("type")))
    if code is None:
        return "invalid", {"detail": message, **shown}
    if code in WRONG_TYPE and value is None:
        return "required", {}
    limits = {
        k: context[k] for k in ("ge", "gt", "le", "lt", "min_length", "max_length") if k in context
    }
    if "expected" in context:  # "'village', 'township' or 'city'": the values, no English
        limits["expected"] = str(context["expected"]).replace(" or ", ", ")
    return code, {**shown, **{k: v for k, v in limits.items()}}
