"""What an admin's `/setcontact` says, checked (pure): the place, the kind of contact, its
value in a plain shape (a phone number the phonenumbers library accepts, written
internationally; an e-mail address email-validator accepts; an http(s) address; an address
of a few words), what it is, and the source, which is required. A `ContactError` names what
does not fit by a code that the handler words in the admin's language."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

__all__ = ["KINDS", "ContactError", "ContactLine", "kind_of", "parse_setcontact", "valid_value"]

KINDS = ("phone", "email", "web", "address")
# the kind as an admin may write it, in az, en or ru
KIND_WORDS = {
    "phone": "phone",
    "tel": "phone",
    "telephone": "phone",
    "hotline": "phone",
    "telefon": "phone",
    "телефон": "phone",
    "email": "email",
    "e-mail": "email",
    "mail": "email",
    "poçt": "email",
    "почта": "email",
    "web": "web",
    "site": "web",
    "website": "web",
    "url": "web",
    "sayt": "web",
    "сайт": "web",
    "address": "address",
    "office": "address",
    "ünvan": "address",
    "ofis": "address",
    "адрес": "address",
    "офис": "address",
}
MAX_VALUE = 300
MAX_NAME = 200
MAX_SOURCE = 500
MIN_SOURCE = 3
MIN_ADDRESS = 8
PHONE_REGION = "AZ"  # a number written without +994 is read as Azerbaijani

_KEYS = re.compile(r"(?:^|\s)(name|source)=", re.IGNORECASE)


class ContactError(ValueError):
    """`code`: usage, place, kind, source, phone, email, web, address, name or long."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class ContactLine:
    place: str  # as typed: a district, a settlement (its district is meant) or "all"
    kind: str
    value: str  # as it will be stored and shown
    name: str | None
    source: str


def kind_of(word: str) -> str | None:
    return KIND_WORDS.get(word.casefold())


def parse_setcontact(text: str) -> ContactLine:
    """`<district|all> <kind> <value> [name=<what it is>] source=<source>`: the kind is the
    first word that names one, so the place may have several words; `name=` and `source=`
    run to the next key or the end."""
    head, *keyed = _KEYS.split(text.strip())
    values: dict[str, str] = {}
    for key, value in zip(keyed[::2], keyed[1::2], strict=True):
        values[key.lower()] = " ".join(value.split())
    words = head.split()
    position = next((i for i, word in enumerate(words) if kind_of(word)), None)
    if position is None:
        raise ContactError("kind" if words else "usage")
    if position == 0:
        raise ContactError("place")
    place, kind = " ".join(words[:position]), kind_of(words[position])
    value = " ".join(words[position + 1 :])
    source = values.get("source", "")
    if not value:
        raise ContactError("usage")
    if len(source) < MIN_SOURCE:
        raise ContactError("source")
    name = values.get("name") or None
    if len(source) > MAX_SOURCE or (name is not None and len(name) > MAX_NAME):
        raise ContactError("long")
    return ContactLine(place, kind, valid_value(kind, value), name, source)


def valid_value(kind: str, value: str) -> str:
    """The value in the form it is stored and shown; ContactError(kind) when it is not one."""
    if len(value) > MAX_VALUE:
        raise ContactError("long")
    if kind == "phone":
        return _phone(value)
    if kind == "email":
        return _email(value)
    if kind == "web":
        return _web(value)
    if len(value) < MIN_ADDRESS or not re.search(r"\w", value):
        raise ContactError("address")
    return value


def _phone(value: str) -> str:
    import phonenumbers  # imported when a contact is entered, not at start-up
    from phonenumbers import shortnumberinfo

    try:
        number = phonenumbers.parse(value, PHONE_REGION)
    except phonenumbers.NumberParseException:
        raise ContactError("phone") from None
    if re.search(r"[^\d\s()+\-.]", value):
        raise ContactError("phone")
    if phonenumbers.is_valid_number(number):
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    digits = re.sub(r"\D", "", value)
    if shortnumberinfo.is_valid_short_number_for_region(number, PHONE_REGION) and len(digits) <= 6:
        return digits  # a short hotline number, dialled as it is
    raise ContactError("phone")


def _email(value: str) -> str:
    from email_validator import EmailNotValidError, validate_email

    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError:
        raise ContactError("email") from None


def _web(value: str) -> str:
    url = value if "://" in value else "https://" + value
    parts = urlsplit(url)
    host = parts.hostname or ""
    if (
        parts.scheme not in ("http", "https")
        or " " in url
        or "." not in host
        or not re.fullmatch(r"[\w.-]+", host)
        or host.startswith(".")
        or host.endswith(".")
    ):
        raise ContactError("web")
    return url
