"""Admins in their own language, and people rather than numbers: /admins add and remove with
a preview and ✅ (a forged ✅ refused), what a new admin is told, /id, the audit log by name
and in words, import problems and the import diff in az, en and ru, through the real
Application and the fake Bot API over HTTP (SQLite and PostgreSQL) and the terminal chat."""

from __future__ import annotations

import io
import re
from typing import Any

import openpyxl
import pytest
from sqlalchemy import select

from bot.chat.api import FakeBotAPI
from bot.views import callbacks as cb
from db import tabular
from db.dataset import read_dataset
from db.models import Admin, AdminName
from db.problems import DatasetError
from db.session import create_engine, create_sessionmaker
from tests.conftest import Clock, RunningBot, button, serve_bot
from tests.test_cli import run
from tests.test_import_export import press_data, send_file, set_cell, sheet_row, xlsx_bytes

ADMIN = 9001
NEWCOMER = 9050  # has started the bot
STRANGER = 9060  # never has
OUTSIDER = 7777  # a user, not an admin
# what an admin must never read in az or ru: internal action names, field keys, raw slugs
INTERNAL = re.compile(
    r"admin\.add|admin\.remove|caravan\.add|housing\.set|broadcast\.|user_id|added_by|"
    r"homes_total|settlement:|\bhousing sos\b|~ sos|field settlement|unknown settlement"
)


@pytest.fixture
async def bot(database_url: str):
    api = FakeBotAPI()
    api.users[ADMIN] = {"id": ADMIN, "is_bot": False, "first_name": "Leyla", "username": "leyla"}
    async with serve_bot(api, database_url, Clock(), ADMIN_IDS=str(ADMIN)) as running:
        yield running


async def stored_admins(bot: RunningBot) -> set[int]:
    engine = create_engine(bot.settings.database_url)
    try:
        async with create_sessionmaker(engine)() as session:
            return set(await session.scalars(select(Admin.user_id)))
    finally:
        await engine.dispose()


async def stored_names(bot: RunningBot) -> dict[int, tuple[str | None, str | None]]:
    engine = create_engine(bot.settings.database_url)
    try:
        async with create_sessionmaker(engine)() as session:
            rows = await session.scalars(select(AdminName))
            return {r.user_id: (r.first_name, r.username) for r in rows}
    finally:
        await engine.dispose()


async def started(bot: RunningBot, user_id: int, language: str, name: str, username: str) -> None:
    """`user_id` starts the bot (so that Telegram knows the chat, with their name)."""
    bot.api.users[user_id] = {"id": user_id, "is_bot": False, "first_name": name}
    bot.api.users[user_id]["username"] = username
    await bot.chat(user_id, language).say("/start")


# ------------------------------------------------------------------ /admins add and remove


@pytest.mark.parametrize(
    ("language", "words"),
    [
        (
            "az",
            {
                "preview": "Yeni admin — zəhmət olmasa yoxlayın",
                "button": "Admin et",
                "done": "indi admindir",
                "told": "Ona nələr edə biləcəyi bildirildi.",
                "welcome": "Вас назначил Leyla @leyla",
                "list": "Leyla @leyla (9001)",
                "audit": "admin əlavə etdi",
            },
        ),
        (
            "ru",
            {
                "preview": "Новый администратор — проверьте, пожалуйста",
                "button": "Назначить администратором",
                "done": "теперь администратор",
                "told": "Новому администратору отправлено сообщение",
                "welcome": "Вас назначил Leyla @leyla",
                "list": "Leyla @leyla (9001)",
                "audit": "добавил администратора",
            },
        ),
    ],
)
async def test_adding_an_admin_previews_names_them_and_tells_them(bot, language, words):
    await started(bot, NEWCOMER, "ru", "Aysel", "aysel_n")
    admin = bot.chat(ADMIN, language)
    preview = await admin.say(f"/admins add {NEWCOMER}")
    assert words["preview"] in preview["text"]
    assert "Aysel @aysel_n (9050)" in preview["text"]
    assert NEWCOMER not in await stored_admins(bot)  # nothing before ✅

    done = await admin.press(preview, words["button"])
    assert words["done"] in done["text"] and words["told"] in done["text"]
    assert "Aysel @aysel_n (9050)" in done["text"]
    assert NEWCOMER in await stored_admins(bot)
    welcome = bot.api.last_message(NEWCOMER)
    assert "Теперь вы администратор этого бота" in welcome["text"]  # in their own language
    assert words["welcome"] in welcome["text"]

    listing = await admin.say("/admins")
    assert words["list"] in listing["text"] and "Aysel @aysel_n (9050)" in listing["text"]
    audit = await admin.say("/audit")
    assert words["audit"] in audit["text"]
    assert "Leyla @leyla (9001)" in audit["text"] and "Aysel @aysel_n (9050)" in audit["text"]
    assert not INTERNAL.search(audit["text"]), audit["text"]
    assert (await stored_names(bot))[NEWCOMER] == ("Aysel", "aysel_n")


async def test_adding_someone_who_never_started_the_bot_says_they_could_not_be_told(bot):
    admin = bot.chat(ADMIN, "az")
    preview = await admin.say(f"/admins add {STRANGER}")
    assert "Telegram bu id-ni tanımır" in preview["text"]
    done = await admin.press(preview, "Admin et")
    assert "indi admindir" in done["text"] and "Ona yaza bilmədim" in done["text"]
    assert STRANGER in await stored_admins(bot)
    # once they write, they are an admin, and their name is kept from then on
    bot.api.users[STRANGER] = {"id": STRANGER, "is_bot": False, "first_name": "Rauf"}
    await bot.chat(STRANGER, "az").say("/admins")
    assert (await stored_names(bot))[STRANGER] == ("Rauf", None)
    assert "Rauf (9060)" in (await admin.say("/admins"))["text"]


async def test_removing_an_admin_previews_and_needs_the_button(bot):
    await started(bot, NEWCOMER, "az", "Aysel", "aysel_n")
    admin = bot.chat(ADMIN, "ru")
    await admin.press(await admin.say(f"/admins add {NEWCOMER}"), "Назначить")
    preview = await admin.say(f"/admins remove {NEWCOMER}")
    assert "Удаление администратора — проверьте, пожалуйста" in preview["text"]
    assert "Aysel @aysel_n (9050) больше не будет администратором" in preview["text"]
    assert NEWCOMER in await stored_admins(bot)
    cancelled = await admin.press(preview, "Отмена")
    assert "ничего не изменено" in cancelled["text"].lower()
    assert NEWCOMER in await stored_admins(bot)
    preview = await admin.say(f"/admins remove {NEWCOMER}")
    done = await admin.press(preview, "Убрать администратора")
    assert "больше не администратор" in done["text"] and "Aysel" in done["text"]
    assert NEWCOMER not in await stored_admins(bot)
    audit = (await admin.say("/audit 1"))["text"]
    assert "удалил администратора" in audit and "Aysel @aysel_n (9050)" in audit
    assert not INTERNAL.search(audit), audit
    refusal = await admin.say(f"/admins remove {ADMIN}")  # configured: not from the chat
    assert "ADMIN_IDS" in refusal["text"] and "Leyla @leyla (9001)" in refusal["text"]


async def test_a_forged_confirmation_of_admins_add_changes_nothing(bot):
    await started(bot, OUTSIDER, "az", "Outsider", "outsider")
    admin = bot.chat(ADMIN, "az")
    preview = await admin.say(f"/admins add {OUTSIDER}")
    data = button(preview, "Admin et")["callback_data"]
    # the outsider presses the admin's own ✅, and one with a token crafted by hand
    for forged in (data, cb.make(cb.ADMIN_CONFIRM, "0123456789ab")):
        alert = await press_data(bot.api, preview, forged, OUTSIDER, "az")
        assert "yalnız adminlər" in alert.lower()
    assert OUTSIDER not in await stored_admins(bot)
    assert "yalnız adminlər üçün" in (await bot.chat(OUTSIDER, "az").say("/admins"))["text"]
    # another admin's press of it finds nothing of theirs: the button is the previewer's
    await started(bot, NEWCOMER, "az", "Aysel", "aysel_n")
    await admin.press(await admin.say(f"/admins add {NEWCOMER}"), "Admin et")
    alert = await press_data(bot.api, preview, data, NEWCOMER, "az")
    assert alert.startswith("Bu düymənin vaxtı keçib"), alert
    assert OUTSIDER not in await stored_admins(bot)
    # the admin's own button still works: the forgeries took nothing
    done = await admin.press(preview, "Admin et")
    assert "indi admindir" in done["text"]


async def test_forget_removes_an_admins_kept_name(bot):
    admin = bot.chat(ADMIN, "en")
    await admin.say("/admins")
    assert (await stored_names(bot))[ADMIN] == ("Leyla", "leyla")
    await admin.press(await admin.say("/forget"), "✅")
    assert ADMIN not in await stored_names(bot)


# ------------------------------------------------------------------ /id


async def test_id_tells_anyone_their_id_and_a_groups_id(bot):
    reply = await bot.chat(OUTSIDER, "ru").say("/id")
    assert "Ваш id в Telegram: 7777" in reply["text"]
    assert "id чата" not in reply["text"]
    mark = len(bot.api.calls)
    bot.api.send_text("/id", user_id=OUTSIDER, language_code="ru", chat_id=-100500)
    await bot.api.wait_for(
        lambda: any(c.method == "sendMessage" for c in bot.api.calls[mark:]), timeout=15
    )
    await bot.api.wait_idle(quiet=0.2, timeout=15)
    group = bot.api.last_message(-100500)["text"]
    assert "Ваш id в Telegram: 7777" in group and "id чата «Group -100500»: -100500" in group
    az = await bot.chat(ADMIN, "az").say("/id")
    assert "Telegram id-niz: 9001" in az["text"]


# ------------------------------------------------------------------ the audit log and /help


async def test_audit_names_the_place_and_says_the_values_in_words(bot):
    admin = bot.chat(ADMIN, "ru")
    preview = await admin.say(
        "/addcaravan 2026-12-20 Sos 24 99 source=Xocavənd rayon icra hakimiyyəti"
    )
    await admin.press(preview, "Записать караван")
    audit = (await admin.say("/audit 1"))["text"]
    assert "Leyla @leyla (9001)" in audit and "записал караван" in audit
    assert re.search(r"караван #\d+, Сос", audit), audit
    assert "дата: 20 дек. 2026 г." in audit or "20 декабря 2026" in audit, audit
    assert "число семей: 24" in audit and "населённый пункт: Сос" in audit
    assert "Xocavənd rayon icra hakimiyyəti" in audit  # the source, as the admin gave it
    assert not INTERNAL.search(audit), audit

    preview = await admin.say("/sethousing Sos planned=259 ready=12 source=azertag.az")
    await admin.press(preview, "✅")
    audit = (await admin.say("/audit 1"))["text"]
    assert "задал данные о жилье · жильё: Сос" in audit, audit
    assert "готовых домов: 10 → 12" in audit, audit
    assert not INTERNAL.search(audit), audit


@pytest.mark.parametrize(
    ("language", "placeholder"),
    [("az", "<yaşayış məntəqəsi> <ailələr> [nəfər]"), ("ru", "<населённый пункт> <семьи>")],
)
async def test_admin_help_placeholders_are_in_the_admins_language(bot, language, placeholder):
    help_text = (await bot.chat(ADMIN, language).say("/help"))["text"]
    assert placeholder in help_text
    assert "<settlement>" not in help_text and "<families>" not in help_text


# ------------------------------------------------------------------ import problems and diffs


def workbook_with(edits: list[tuple[str, dict[str, Any], str, Any]]) -> bytes:
    """The bundled dataset as a workbook, each (sheet, row match, column, value) set."""
    workbook = openpyxl.load_workbook(io.BytesIO(tabular.write_xlsx(bundled_dataset())))
    for sheet, match, column, value in edits:
        set_cell(workbook, sheet, sheet_row(workbook, sheet, **match), column, value)
    return xlsx_bytes(workbook)


def bundled_dataset() -> Any:
    from db.dataset import BUNDLED

    return read_dataset(BUNDLED)


BAD = [
    ("caravans", {"settlement": "sos"}, "settlement", "soss"),
    ("caravans", {"settlement": "shusha"}, "families", "ten"),
]
EXPECTED = {
    "az": [
        "Bu faylı idxal etmək mümkün deyil; heç nə dəyişdirilmədi.",
        "sütun settlement (yaşayış məntəqəsi): “soss” adlı yaşayış məntəqəsi yoxdur. "
        "Bəlkə bunu nəzərdə tutursunuz: sos (Sos)",
        "sütun families (ailələrin sayı): “ten” tam ədəd deyil.",
        "vərəq caravans, sətir",
    ],
    "en": [
        "This file cannot be imported; nothing was changed.",
        "column settlement: there is no settlement “soss”. Did you mean: sos (Sos)",
        "column families (number of families): “ten” is not a whole number.",
        "sheet caravans, row",
    ],
    "ru": [
        "Этот файл нельзя импортировать",
        "столбец settlement (населённый пункт): населённого пункта «soss» нет. "
        "Возможно, вы имели в виду: sos (Сос)",
        "столбец families (число семей): «ten» — не целое число.",
        "лист caravans, строка",
    ],
}


@pytest.mark.parametrize("language", ["az", "en", "ru"])
async def test_import_problems_in_the_admins_language_with_the_nearest_names(bot, language):
    admin = bot.chat(ADMIN, language)
    reply = await send_file(admin, "ministry.xlsx", workbook_with(BAD))
    for expected in EXPECTED[language]:
        assert expected in reply["text"], reply["text"]
    assert not reply.get("reply_markup")
    if language != "en":
        assert not INTERNAL.search(reply["text"]), reply["text"]


@pytest.mark.parametrize(
    ("language", "place", "column"),
    [("az", "Sos (sos)", "hazır evlər"), ("ru", "Сос (sos)", "готовых домов")],
)
async def test_the_import_diff_names_places_and_columns_in_words(bot, language, place, column):
    dataset = bundled_dataset()
    sos = next(s for s in dataset.settlements if s.slug == "sos")
    ready = sos.housing[-1].ready
    data = workbook_with([("housing", {"settlement": "sos"}, "ready", ready + 5)])
    diff = await send_file(bot.chat(ADMIN, language), "figures.xlsx", data)
    assert f"~ {place}, " in diff["text"], diff["text"]
    assert f"{column} {ready} → {ready + 5}" in diff["text"], diff["text"]
    assert not INTERNAL.search(diff["text"]), diff["text"]


def test_every_problem_code_is_worded_in_every_language():
    """The codes the data layer raises all have a text (a new one must get one)."""
    from pathlib import Path

    from bot.i18n import load_translators
    from bot.views.dataset import PROBLEMS
    from db.problems import PYDANTIC_CODES, VALUE_CODES

    root = Path(__file__).resolve().parent.parent / "db"
    raised = set()
    for source in ("problems.py", "sheet_reader.py", "tabular.py", "dataset.py"):
        text = (root / source).read_text(encoding="utf-8")
        raised |= set(re.findall(r'CellError\(\s*"(\w+)"', text))
        raised |= set(re.findall(r'DatasetError\.of\(\s*\w+,\s*"(\w+)"', text))
        calls = re.findall(r'(?:reader|self)\.error\(\s*\w+,\s*(?:"\w+"|\w+),\s*"(\w+)"', text)
        raised |= set(calls)
    raised |= {*PYDANTIC_CODES.values(), *VALUE_CODES.values(), "duplicate_slugs", "invalid"}
    raised |= {"unknown_region", "unknown_district", "unknown_settlement"}
    assert raised - set(PROBLEMS) == set()
    translators = load_translators()
    for lang in ("az", "ru"):  # worded in the language, not left in English
        untranslated = [c for c, m in PROBLEMS.items() if translators[lang].gettext(m) == m]
        assert untranslated == [], lang


def test_problems_are_data_and_the_english_line_stays_for_the_cli():
    workbook = openpyxl.load_workbook(io.BytesIO(workbook_with(BAD)))
    with pytest.raises(DatasetError) as raised:
        tabular.parse_bytes(xlsx_bytes(workbook), "ministry.xlsx")
    codes = [(p.code, p.table, p.column, p.values.get("value")) for p in raised.value.problems]
    assert ("unknown_settlement", "caravans", "settlement", "soss") in codes
    assert ("not_int", "caravans", "families", "ten") in codes
    assert "field settlement: unknown settlement 'soss'" in str(raised.value)


def test_csv_problems_name_the_table_and_row_in_each_language():
    from bot.i18n import load_translators
    from bot.views.dataset import problem_text

    rows = tabular.write_csv(bundled_dataset()).decode("utf-8-sig").splitlines()
    header = rows[0].split(",")
    column = header.index("settlement")
    for index, line in enumerate(rows):
        cells = line.split(",")
        if cells[0] == "caravans" and cells[column] == "sos":
            cells[column] = "soss"
            rows[index] = ",".join(cells)
            break
    with pytest.raises(DatasetError) as raised:
        tabular.parse_bytes("\n".join(rows).encode(), "data.csv")
    [problem] = raised.value.problems
    texts = {lang: problem_text(problem, tr, {}) for lang, tr in load_translators().items()}
    assert texts["az"].startswith(f"cədvəl caravans, sətir {index + 1}, sütun settlement")
    assert texts["ru"].startswith(f"таблица caravans, строка {index + 1}, столбец settlement")
    assert texts["en"].endswith("there is no settlement “soss”.")


# ------------------------------------------------------------------ the terminal chat


def test_terminal_chat_admin_flow_in_azerbaijani(tmp_path):
    script = "/admins add 424242\n/press 1\n/admins\n/audit\n/id\n"
    result = run(["chat", "--admin", "--lang", "az"], tmp_path, script)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Yeni admin — zəhmət olmasa yoxlayın" in out and "[1] ✅ Admin et" in out
    assert "424242 indi admindir" in out.replace("(424242)", "424242")
    assert "admin əlavə etdi" in out and "Telegram id-niz:" in out
    assert not INTERNAL.search(out), out


# ------------------------------------------------------------------ sources said in words


@pytest.mark.parametrize(
    ("language", "remarks"),
    [
        ("az", ["(tarix təqribidir)", "(istinad: Report)"]),
        ("ru", ["(дата приблизительная)", "(со ссылкой на Report)"]),
    ],
)
async def test_a_caravan_lists_source_remarks_are_in_the_readers_language(bot, language, remarks):
    chat = bot.chat(OUTSIDER, language)
    card = await chat.say("/schedule Shushakend")
    caravans = await chat.press(card, "🚌")
    for remark in remarks:
        assert remark in caravans["text"], caravans["text"]
    assert "(date approximate)" not in caravans["text"]
    assert "citing" not in caravans["text"]
