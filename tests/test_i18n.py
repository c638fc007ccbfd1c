"""Catalogs: complete in az/en/ru, loadable, plural forms right; Babel formatting per locale."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from bot.config import LANGUAGES
from bot.i18n import LOCALES_DIR, CatalogError, load_translators, pick_language

ROOT = Path(__file__).resolve().parent.parent


def catalog(lang: str):
    with (LOCALES_DIR / lang / "LC_MESSAGES" / "returnbot.po").open("rb") as fp:
        return read_po(fp, locale=lang)


def extracted_ids() -> set:
    """Every msgid the code marks, extracted as `make extract` does (see babel.cfg)."""
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2)}
    found = set()
    for folder in ("bot", "handlers"):
        for _file, _line, message, _comments, _context in extract_from_dir(
            ROOT / folder, method_map=[("**.py", "python")], keywords=keywords
        ):
            found.add(message[0] if isinstance(message, tuple) else message)
    return found


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_message_is_translated(lang):
    missing = []
    for message in catalog(lang):
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy or not all(strings):
            missing.append(message.id)
    assert not missing, f"{lang}: untranslated or fuzzy: {missing[:5]}"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_catalog_holds_every_string_of_the_code(lang):
    in_code = extracted_ids()
    in_catalog = {m.id[0] if isinstance(m.id, tuple) else m.id for m in catalog(lang) if m.id}
    assert in_code <= in_catalog, (
        f"run `make extract`: {sorted(map(str, in_code - in_catalog))[:5]}"
    )


@pytest.mark.parametrize("lang", LANGUAGES)
def test_placeholders_survive_translation(lang):
    for message in catalog(lang):
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        wanted = set(re.findall(r"\{\w+\}", " ".join(ids)))
        for string in strings:
            assert set(re.findall(r"\{\w+\}", string)) == wanted, (lang, message.id, string)


def test_plural_forms_counts():
    assert catalog("ru").num_plurals == 3
    assert catalog("az").num_plurals == 2
    assert catalog("en").num_plurals == 2


def test_translators_load_and_format():
    translators = load_translators()
    date = dt.date(2026, 12, 20)
    assert translators["az"].date(date) == "20 dekabr 2026"
    assert translators["en"].date(date) == "December 20, 2026"
    assert translators["ru"].date(date) == "20 декабря 2026 г."
    ru = translators["ru"]
    forms = [ru.ngettext("{n} family", "{n} families", n).format(n=n) for n in (1, 3, 5, 11, 21)]
    assert forms == ["1 семья", "3 семьи", "5 семей", "11 семей", "21 семья"]
    people = [ru.ngettext("{n} person", "{n} people", n).format(n=n) for n in (1, 2, 5)]
    assert people == ["1 человек", "2 человека", "5 человек"]
    assert translators["en"].ngettext("{n} family", "{n} families", 1) == "{n} family"
    assert translators["az"].gettext("Caravans") != "Caravans"
    assert translators["ru"].gettext("Caravans") != "Caravans"


def test_missing_catalog_fails_loudly(tmp_path):
    with pytest.raises(CatalogError):
        load_translators(tmp_path)


@pytest.mark.parametrize(
    ("chosen", "telegram", "expected"),
    [
        ("ru", "en", "ru"),
        (None, "az", "az"),
        (None, "tr", "az"),
        (None, "ru-RU", "ru"),
        (None, "en-GB", "en"),
        (None, "de", "en"),
        (None, None, "en"),
        ("xx", "ru", "ru"),
    ],
)
def test_language_choice_order(chosen, telegram, expected):
    assert pick_language(chosen, telegram, "en") == expected
