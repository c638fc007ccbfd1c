"""A YAML dataset file with mistakes, sent to the bot by an admin in az, en and ru: where
each mistake is, in words of the admin's language, and what is wrong, translated (pydantic's
and the YAML library's English stays for the CLI), through the real Application and the fake
Bot API over HTTP."""

from __future__ import annotations

import re

import pytest

from bot.chat.api import FakeBotAPI
from db.dataset import BUNDLED
from db.problems import DatasetError
from tests.conftest import Clock, serve_bot
from tests.test_admin_language import ADMIN, INTERNAL
from tests.test_import_export import send_file


@pytest.fixture
async def bot(database_url: str):
    async with serve_bot(FakeBotAPI(), database_url, Clock(), ADMIN_IDS=str(ADMIN)) as running:
        yield running


SOURCE = BUNDLED.read_text(encoding="utf-8")
# Sos, the first settlement of the file: its first report and caravans
SOS_NAME = "name: {az: Sos, en: Sos, ru: Сос}"
SOS_REPORT_SOURCE = '        source: "azernews.az/nation/247398.html (2025-09-14)"\n'
FIRST_CARAVAN = "      - date: 2025-09-11\n        families: 10\n"
SECOND_CARAVAN = "      - date: 2025-10-28\n        families: 10\n"
# what an az or ru admin must never read: the model's path, the libraries' English
ENGLISH = re.compile(
    r"settlements\[|caravans\[|\.families|Input should|Field required|mapping values|"
    r"while scanning|cannot start any token|line \d|column \d|unicode string"
)


def edited(*replacements: tuple[str, str]) -> bytes:
    text = SOURCE
    for old, new in replacements:
        assert old in text
        text = text.replace(old, new, 1)
    return text.encode()


def line_of(data: bytes, marker: str) -> int:
    """The line number (from 1) of the first line holding `marker`."""
    return next(n for n, line in enumerate(data.decode().splitlines(), 1) if marker in line)


MISTAKES = edited(
    (FIRST_CARAVAN, "      - date: 2025-09-11\n        families: ten\n"),
    (SECOND_CARAVAN, "      - date: 2025-09-31\n        families: 10\n"),
    (SOS_NAME, "name: {az: Sos, en: Sos}"),
    (SOS_REPORT_SOURCE, ""),
    (
        "        ready: 10\n        uninhabitable: 70\n",
        "        ready: -5\n        uninhabitable: 70\n",
    ),
)
VALIDATION = {
    "az": [
        "yaşayış məntəqəsi sos, karvan 1, ailələrin sayı: “ten” tam ədəd deyil.",
        "yaşayış məntəqəsi sos, karvan 2, tarix: “2025-09-31” tarix deyil",
        "yaşayış məntəqəsi sos, rusca ad: dəyər mütləqdir.",
        "yaşayış məntəqəsi sos, mənzil hesabatı 1, mənbə: dəyər mütləqdir.",
        "yaşayış məntəqəsi sos, mənzil hesabatı 1, hazır evlər: “-5” çox kiçikdir: ən azı 0 ola"
        " bilər.",
    ],
    "en": [
        "settlement sos, caravan 1, number of families: “ten” is not a whole number.",
        "settlement sos, caravan 2, date: “2025-09-31” is not a date",
        "settlement sos, name in Russian: a value is required.",
        "settlement sos, housing report 1, source: a value is required.",
        "settlement sos, housing report 1, ready homes: “-5” is too small: the least allowed is 0.",
    ],
    "ru": [
        "населённый пункт sos, караван 1, число семей: «ten» — не целое число.",
        "населённый пункт sos, караван 2, дата: «2025-09-31» — не дата",
        "населённый пункт sos, название на русском: значение обязательно.",
        "населённый пункт sos, отчёт о жилье 1, источник: значение обязательно.",
        "населённый пункт sos, отчёт о жилье 1, готовых домов: «-5» — слишком маленькое значение:"
        " допустимо не меньше 0.",
    ],
}


def assert_in_language(text: str, language: str) -> None:
    if language != "en":
        assert not ENGLISH.search(text), text
        assert not INTERNAL.search(text), text
    assert "(" not in text.split("\n", 2)[-1], text  # no library detail in brackets


@pytest.mark.parametrize("language", ["az", "en", "ru"])
async def test_a_yaml_files_mistakes_are_placed_and_said_in_the_admins_language(bot, language):
    reply = await send_file(bot.chat(ADMIN, language), "dataset.yaml", MISTAKES)
    for expected in VALIDATION[language]:
        assert expected in reply["text"], reply["text"]
    assert not reply.get("reply_markup")
    assert_in_language(reply["text"], language)


TAB = edited((FIRST_CARAVAN, "      - date: 2025-09-11\n\t  families: 10\n"))
COLON = edited((FIRST_CARAVAN, "      - date: 2025-09-11 families: 10\n"))
SYNTAX = {
    "az": (
        "Sətir {tab}, sütun 1: burada tab var, YAML-da girinti isə tabla deyil, boşluqlarla",
        "Sətir {colon}, sütun 34: YAML burada düzgün yazılmayıb — girintiləri, iki nöqtələri",
    ),
    "en": (
        "A tab at line {tab}, column 1: YAML is indented with spaces, not tabs.",
        "The YAML is not well-formed at line {colon}, column 34: check the indentation",
    ),
    "ru": (
        "Строка {tab}, столбец 1: здесь табуляция, а отступы в YAML делаются пробелами.",
        "Строка {colon}, столбец 34: здесь YAML записан неправильно — проверьте отступы",
    ),
}


@pytest.mark.parametrize("language", ["az", "en", "ru"])
async def test_a_yaml_syntax_error_says_its_line_and_column_in_the_admins_language(bot, language):
    chat = bot.chat(ADMIN, language)
    lines = {"tab": line_of(TAB, "\t"), "colon": line_of(COLON, "2025-09-11 families")}
    tab, colon = (text.format(**lines) for text in SYNTAX[language])
    reply = await send_file(chat, "dataset.yaml", TAB)
    assert tab in reply["text"], reply["text"]
    assert_in_language(reply["text"], language)
    reply = await send_file(chat, "dataset.yml", COLON)
    assert colon in reply["text"], reply["text"]
    assert_in_language(reply["text"], language)


async def test_a_yaml_file_not_in_utf8_is_said_so(bot):
    latin = "version: 1\n# Ağdam\n".encode("cp1254")
    reply = await send_file(bot.chat(ADMIN, "ru"), "dataset.yaml", latin)
    assert "Файл — не текст в UTF-8: сохраните его в кодировке UTF-8." in reply["text"]


def test_the_cli_keeps_the_english_path_and_the_yaml_librarys_words(tmp_path):
    from db.dataset import read_dataset

    for data, code, english in (
        (MISTAKES, "not_int", "settlements[1 'sos'].caravans[1].families"),
        (TAB, "yaml_tab", "tab"),
        (COLON, "yaml_syntax", "mapping values are not allowed"),
    ):
        path = tmp_path / "dataset.yaml"
        path.write_bytes(data)
        with pytest.raises(DatasetError) as raised:
            read_dataset(path)
        assert english in str(raised.value)
        assert code in [problem.code for problem in raised.value.problems]


async def test_an_empty_yaml_file_is_said_to_be_empty(bot):
    reply = await send_file(bot.chat(ADMIN, "az"), "dataset.yaml", b"# nothing yet\n")
    assert "Fayl boşdur." in reply["text"], reply["text"]
