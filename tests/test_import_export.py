"""Import and export: YAML, CSV and XLSX files, the dry-run diff, all-or-nothing imports (in
real subprocesses, on SQLite and PostgreSQL), round trips, and dataset files sent to the bot."""

from __future__ import annotations

import csv
import io
import shutil
from typing import Any

import openpyxl
import pytest
import yaml
from sqlalchemy import select

from bot.chat.api import FakeBotAPI
from bot.cli import export_file, import_file, prepare_database
from bot.config import load_settings
from bot.domain import clock
from db import diff, tabular
from db.admins import recent_audit
from db.dataset import (
    BUNDLED,
    DatasetError,
    apply_dataset,
    load_dataset,
    parse_dataset,
    read_dataset,
)
from db.models import Base, Caravan, Settlement
from db.session import create_engine, create_sessionmaker
from tests.conftest import Chat, Clock, button, serve_bot
from tests.test_cli import run

ADMIN, STRANGER = 4242, 5151


@pytest.fixture(scope="module")
def bundled() -> Any:
    return read_dataset(BUNDLED)


async def content(url: str) -> list:
    """Every row of every table, to compare a database before and after (but for the admins'
    names, kept up to date whenever an admin acts)."""
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            return [
                (table.name, sorted(map(repr, (await connection.execute(table.select())).all())))
                for table in Base.metadata.sorted_tables
                if table.name != "admin_names"
            ]
    finally:
        await engine.dispose()


async def stored(url: str) -> Any:
    """The database's dataset."""
    engine = create_engine(url)
    try:
        async with create_sessionmaker(engine)() as session:
            return await load_dataset(session)
    finally:
        await engine.dispose()


def csv_rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def csv_bytes(rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode()


def csv_row(rows: list[list[str]], table: str, **match: str) -> int:
    """Index in `rows` (the spreadsheet row is one more) of the first row matching."""
    header = rows[0]
    for index, row in enumerate(rows):
        if row[0] == table and all(row[header.index(k)] == v for k, v in match.items()):
            return index
    raise AssertionError(f"no {table} row with {match}")


def sheet_row(workbook: Any, table: str, **match: Any) -> int:
    """Spreadsheet row number of the first row of sheet `table` matching."""
    sheet = workbook[table]
    header = [c.value for c in sheet[1]]
    for number, values in enumerate(sheet.iter_rows(min_row=2, values_only=True), start=2):
        if all(values[header.index(k)] == v for k, v in match.items()):
            return number
    raise AssertionError(f"no {table} row with {match}")


def set_cell(workbook: Any, table: str, row: int, column: str, value: Any) -> None:
    sheet = workbook[table]
    header = [c.value for c in sheet[1]]
    sheet.cell(row, header.index(column) + 1).value = value


def xlsx_bytes(workbook: Any) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# ------------------------------------------------------------------ formats, without a database


@pytest.mark.parametrize("name", ["d.yaml", "d.yml", "d.csv", "d.xlsx"])
def test_every_format_carries_the_whole_bundled_dataset(bundled, name):
    data = tabular.to_bytes(bundled, name)
    again = tabular.parse_bytes(data, name)
    assert again == bundled
    assert not diff.diff(bundled, again)


def test_the_layouts_a_clerk_sees(bundled):
    workbook = openpyxl.load_workbook(io.BytesIO(tabular.write_xlsx(bundled)))
    assert workbook.sheetnames == list(tabular.TABLES)
    caravans = workbook["caravans"]
    assert [c.value for c in caravans[1]][:4] == ["settlement", "date", "families", "people"]
    assert caravans.max_row == 1 + 160
    shusha = sheet_row(workbook, "settlements", slug="shushakend")
    header = [c.value for c in workbook["settlements"][1]]
    row = [c.value for c in workbook["settlements"][shusha]]
    assert row[header.index("name_ru")] == "Шушакенд"
    assert row[header.index("lat")] == pytest.approx(39.7719)
    assert "Shushikend" in row[header.index("aliases")].split("; ")
    month = sheet_row(workbook, "housing", as_of="2025-04")  # known only to the month
    assert month > 1
    rows = csv_rows(tabular.write_csv(bundled))
    assert tabular.write_csv(bundled).startswith("\ufefftable,slug,".encode())  # Excel: UTF-8
    assert sorted(set(rows[0][1:])) == sorted(
        {c for columns in tabular.TABLES.values() for c, _kind in columns}
    )
    assert {row[0] for row in rows[1:]} == set(tabular.TABLES)
    assert sum(row[0] == "deadlines" for row in rows) == sum(
        len(h.due) for s in bundled.settlements for h in s.housing
    )


def test_odd_values_round_trip(bundled):
    """Newlines, quotes, separators, formula-like text, an undated caravan, decimals."""
    data = bundled.model_dump()
    sos = data["settlements"][0]
    sos["note"] = {"az": 'bir\nikі "x", y', "en": "=1+1", "ru": "; – «ё»"}
    sos["aliases"] = ["Sos, kənd", "=SUM(A1)"]
    sos["coordinates"] = {"lat": 39.123456789, "lon": -0.5, "source": "+map"}
    sos["caravans"].append({"source": "@report", "families": 0})
    data["totals"].append({"as_of": "2026-02-01", "people": 1, "source": "-"})
    dataset = parse_dataset(data)
    for name in ("x.yaml", "x.csv", "x.xlsx"):
        assert tabular.parse_bytes(tabular.to_bytes(dataset, name), name) == dataset, name


def test_xlsx_that_unpacks_too_big_is_refused_before_parsing(bundled, monkeypatch):
    monkeypatch.setattr(tabular, "MAX_UNPACKED", 10_000)
    with pytest.raises(DatasetError, match="unpacks to more than"):
        tabular.parse_bytes(tabular.write_xlsx(bundled), "dataset.xlsx")


def test_xlsx_errors_name_file_sheet_row_and_field(bundled):
    exported = tabular.write_xlsx(bundled)

    def problems(*edits: tuple[str, int, str, Any]) -> list[str]:
        workbook = openpyxl.load_workbook(io.BytesIO(exported))
        for edit in edits:
            set_cell(workbook, *edit)
        with pytest.raises(DatasetError) as error:
            tabular.parse_bytes(xlsx_bytes(workbook), "dataset.xlsx")
        return str(error.value).splitlines()

    # cells that are not what their column holds, and references to nothing
    assert problems(
        ("caravans", 14, "families", "ten"),
        ("caravans", 15, "date", "31/12/2025"),
        ("caravans", 16, "settlement", "atlantis"),
        ("districts", 3, "region", "atlantis"),
    ) == [
        "dataset.xlsx: sheet districts, row 3, field region: unknown region 'atlantis'",
        "dataset.xlsx: sheet caravans, row 14, field families: not a whole number: 'ten'",
        "dataset.xlsx: sheet caravans, row 15, field date: not a date (YYYY-MM-DD): '31/12/2025'",
        "dataset.xlsx: sheet caravans, row 16, field settlement: unknown settlement 'atlantis'",
    ]
    # well-formed cells the dataset's rules refuse
    assert problems(
        ("caravans", 14, "families", -3),
        ("caravans", 15, "source", None),
        ("districts", 2, "note_en", "only English"),
    ) == [
        "dataset.xlsx: sheet districts, row 2, field note_az: required",
        "dataset.xlsx: sheet districts, row 2, field note_ru: required",
        "dataset.xlsx: sheet caravans, row 14, field families: "
        "Input should be greater than or equal to 0: -3",
        "dataset.xlsx: sheet caravans, row 15, field source: required",
    ]
    workbook = openpyxl.load_workbook(io.BytesIO(exported))
    workbook.create_sheet("Caravan")
    with pytest.raises(DatasetError, match=r"^dataset.xlsx: unknown sheet\(s\) caravan;"):
        tabular.parse_bytes(xlsx_bytes(workbook), "dataset.xlsx")
    with pytest.raises(DatasetError, match=r"dataset.xlsx: not a readable \.xlsx"):
        tabular.parse_bytes(b"PK\x03\x04 not really", "dataset.xlsx")


def test_csv_errors_name_file_row_table_and_field(bundled):
    rows = csv_rows(tabular.write_csv(bundled))
    header = rows[0]
    index = csv_row(rows, "housing", settlement="sos")
    rows[index][header.index("ready")] = "lots"
    rows.append(list(rows[csv_row(rows, "regions")]))  # the same region twice
    with pytest.raises(DatasetError) as error:
        tabular.parse_bytes(csv_bytes(rows), "dataset.csv")
    assert str(error.value).splitlines() == [  # in table order, then row order
        f"dataset.csv: row {len(rows)}, table regions, field slug: 'karabakh' repeats row 2 "
        "(one row per item)",
        f"dataset.csv: row {index + 1}, table housing, field ready: not a whole number: 'lots'",
    ]
    with pytest.raises(DatasetError, match="not UTF-8"):
        tabular.parse_bytes("table,slug\nregions,qarabağ\n".encode("cp1254"), "dataset.csv")
    with pytest.raises(DatasetError, match="row 2, field table: 'region' is not one of"):
        tabular.parse_bytes(b"table,slug\nregion,x\n", "dataset.csv")
    # Excel in Azerbaijani or Russian saves CSV with semicolons
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=";").writerows(csv_rows(tabular.write_csv(bundled)))
    assert tabular.parse_bytes(buffer.getvalue().encode(), "dataset.csv") == bundled


# ------------------------------------------------------------------ with a database


async def test_diff_predicts_what_apply_does(database_url, bundled):
    data = bundled.model_dump()
    data["settlements"][0]["caravans"][0]["families"] = 999
    del data["settlements"][0]["caravans"][1]
    data["settlements"][1]["housing"][0]["due"][0]["homes"] += 1
    data["settlements"][2]["name"]["en"] = "Renamed"
    data["settlements"][3]["caravans"].append({"date": "2026-12-20", "source": "test"})
    data["totals"].append({"as_of": "2026-11-01", "families": 1, "source": "test"})
    changed = parse_dataset(data)
    engine = create_engine(database_url)
    try:
        async with create_sessionmaker(engine)() as session, session.begin():
            predicted = diff.diff(await load_dataset(session), changed)
            report = await apply_dataset(session, changed, timing=clock)
            assert predicted.counts() == report
            assert not diff.diff(await load_dataset(session), changed)
    finally:
        await engine.dispose()
    assert predicted.summary() == [
        "caravans added: 1",
        "caravans changed: 1",
        "caravans removed: 1",
        "housing reports changed: 1",
        "settlements changed: 1",
        "totals added: 1",
    ]
    old = bundled.settlements[0].caravans[0]
    line = f"  ~ sos {old.date.isoformat()}: families {old.families} → 999"
    assert line in predicted.lines()


async def test_export_then_import_round_trips_in_every_format(database_url, tmp_path, bundled):
    """Export the database (with odd values) as YAML, CSV and XLSX: importing the file back
    changes nothing, and into an empty database it gives the same data."""
    data = bundled.model_dump()
    data["settlements"][0]["note"] = {"az": "a\nb", "en": '"q", r;', "ru": "=ё"}
    data["settlements"][0]["caravans"].append({"source": "undated", "people": 3})
    engine = create_engine(database_url)
    try:
        async with create_sessionmaker(engine)() as session, session.begin():
            await apply_dataset(session, parse_dataset(data), timing=clock)
    finally:
        await engine.dispose()
    settings = load_settings(DATABASE_URL=database_url)
    original = await stored(database_url)
    before = await content(database_url)
    for name in ("out.yaml", "out.csv", "out.xlsx"):
        path = tmp_path / name
        assert (await export_file(settings, path)).startswith(f"wrote {path}: 2 regions")
        assert await import_file(settings, path, dry_run=True) == [
            "no changes",
            "dry run: nothing was changed",
        ]
        assert await import_file(settings, path) == ["no changes"]
        fresh = load_settings(DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path}/{name}.db")
        await prepare_database(fresh, load_bundled=False)
        await import_file(fresh, path)
        assert await stored(fresh.database_url) == original, name
    assert await content(database_url) == before


# ------------------------------------------------------------------ the command line


async def test_cli_bad_row_exits_1_and_leaves_the_database_as_it_was(
    database_url, tmp_path, bundled
):
    """Valid changes and one bad cell: exit 1 naming file, row and field; nothing written."""
    rows = csv_rows(tabular.write_csv(bundled))
    header = rows[0]
    rows[csv_row(rows, "caravans", settlement="sos")][header.index("families")] = "999"
    rows[csv_row(rows, "settlements", slug="hadrut")][header.index("name_en")] = "Zorbatown"
    bad = csv_row(rows, "caravans", settlement="aghali")
    rows[bad][header.index("families")] = "ten"
    (tmp_path / "bad.csv").write_bytes(csv_bytes(rows))
    workbook = openpyxl.load_workbook(io.BytesIO(tabular.write_xlsx(bundled)))
    set_cell(workbook, "totals", 2, "people", 1)
    set_cell(workbook, "caravans", 14, "people", "many")
    (tmp_path / "bad.xlsx").write_bytes(xlsx_bytes(workbook))
    before = await content(database_url)

    result = run(["import", "bad.csv"], tmp_path, DATABASE_URL=database_url)
    assert result.returncode == 1
    assert (
        f"returnbot import: bad.csv: row {bad + 1}, table caravans, field families: "
        "not a whole number: 'ten'"
    ) in result.stderr
    settings = load_settings(DATABASE_URL=database_url)
    with pytest.raises(DatasetError) as error:  # the same path as the command, in process
        await import_file(settings, tmp_path / "bad.xlsx")
    assert str(error.value) == (
        f"{tmp_path / 'bad.xlsx'}: sheet caravans, row 14, field people: not a whole number: 'many'"
    )
    assert await content(database_url) == before

    # the bad cell corrected: --dry-run lists the changes and writes nothing; then it applies
    rows[bad][header.index("families")] = ""
    (tmp_path / "good.csv").write_bytes(csv_bytes(rows))
    dry = await import_file(settings, tmp_path / "good.csv", dry_run=True)
    assert "  ~ hadrut: name_en 'Hadrut' → 'Zorbatown'" in dry
    assert dry[-3:] == [
        "caravans changed: 2",
        "settlements changed: 1",
        "dry run: nothing was changed",
    ]
    assert await content(database_url) == before
    assert await import_file(settings, tmp_path / "good.csv") == dry[:-1]
    assert await import_file(settings, tmp_path / "good.csv") == ["no changes"]
    hadrut = next(s for s in (await stored(database_url)).settlements if s.slug == "hadrut")
    assert hadrut.name.en == "Zorbatown"


async def test_cli_export_then_dry_run(sqlite_template, tmp_path):
    db = tmp_path / "returnbot.db"
    shutil.copy(sqlite_template, db)
    url = f"sqlite+aiosqlite:///{db}"
    result = run(["export", "data.xlsx"], tmp_path, DATABASE_URL=url)
    assert result.returncode == 0, result.stderr
    assert "160 caravans" in result.stdout
    workbook = openpyxl.load_workbook(tmp_path / "data.xlsx")
    row = sheet_row(workbook, "settlements", slug="hadrut")
    set_cell(workbook, "settlements", row, "name_en", "Zorbatown")
    workbook.save(tmp_path / "data.xlsx")
    before = await content(url)

    dry = run(["import", "--dry-run", "data.xlsx"], tmp_path, DATABASE_URL=url)
    assert dry.returncode == 0, dry.stderr
    assert dry.stdout.splitlines() == [
        "settlements: 1 changed",
        "  ~ hadrut: name_en 'Hadrut' → 'Zorbatown'",
        "settlements changed: 1",
        "dry run: nothing was changed",
    ]
    assert await content(url) == before

    real = await import_file(load_settings(DATABASE_URL=url), tmp_path / "data.xlsx")
    assert real == [
        "settlements: 1 changed",
        "  ~ hadrut: name_en 'Hadrut' → 'Zorbatown'",
        "settlements changed: 1",
    ]
    hadrut = next(s for s in (await stored(url)).settlements if s.slug == "hadrut")
    assert hadrut.name.en == "Zorbatown"


# ------------------------------------------------------------------ files sent to the bot


async def send_file(chat: Chat, name: str, data: bytes) -> dict[str, Any]:
    """The user sends a document; returns the bot's latest message after it answered."""
    api = chat.api
    mark = len(api.calls)
    api.send_document(name, data, user_id=chat.user_id, language_code=chat.language)
    await api.wait_for(
        lambda: any(c.method.startswith("send") for c in api.calls[mark:]), timeout=30
    )
    await api.wait_idle(quiet=0.2, timeout=15)
    return api.last_message(chat.user_id)


async def press_data(
    api: FakeBotAPI, message: dict[str, Any], data: str, user_id: int, language: str
) -> str:
    """Send a callback with any `data` (forged or replayed) on `message`; returns the alert."""
    mark = len(api.calls)
    api.press(message, data, user_id=user_id, language_code=language, strict=False)

    def answered() -> bool:
        return any(c.method == "answerCallbackQuery" for c in api.calls[mark:])

    await api.wait_for(answered, timeout=15)
    await api.wait_idle(quiet=0.2, timeout=15)
    return [c for c in api.calls[mark:] if c.method == "answerCallbackQuery"][-1].params["text"]


def yaml_with(bundled: Any, edit: Any) -> bytes:
    data = bundled.model_dump(mode="json")
    edit(data)
    return yaml.safe_dump(data, allow_unicode=True).encode()


async def test_admin_imports_a_file_sent_to_the_bot(database_url, bundled):
    rows = csv_rows(tabular.write_csv(bundled))
    header = rows[0]
    rows[csv_row(rows, "settlements", slug="hadrut")][header.index("name_en")] = "Zorbatown"
    first_sos = csv_row(rows, "caravans", settlement="sos")
    rows[first_sos][header.index("families")] = "999"
    old_families = bundled.settlements[0].caravans[0].families
    api = FakeBotAPI()
    async with serve_bot(api, database_url, Clock(), ADMIN_IDS=str(ADMIN)) as bot:
        admin, stranger = bot.chat(ADMIN, "ru"), bot.chat(STRANGER, "en")
        # from someone who is not an admin, a file is a question to a person, not an import
        asked = await send_file(stranger, "data.csv", csv_bytes(rows))
        assert "Which place is your question about?" in asked["text"]

        preview = await send_file(admin, "data.csv", csv_bytes(rows))
        before = await content(database_url)
        assert "Вот что изменит импорт файла" in preview["text"]
        assert "Населённые пункты: изменения: 1" in preview["text"]
        assert "~ Гадрут (hadrut): название на английском “Hadrut” → “Zorbatown”" in preview["text"]
        assert f"число семей {old_families} → 999" in preview["text"]
        apply = button(preview, "✅")["callback_data"]
        assert button(preview, "Отмена")

        # the same callback data from a non-admin, in their own chat: refused, nothing applied
        alert = await press_data(api, asked, apply, STRANGER, "en")
        assert alert == "Only admins can do this."
        assert await content(database_url) == before

        done = await admin.press(preview, "✅")
        assert done["text"].startswith("✅ Файл data.csv импортирован.")
        assert "Караваны: изменения: 1" in done["text"]
        assert not done.get("reply_markup")
        card = await admin.say("/schedule Zorbatown")  # the search index was refreshed
        assert "Гадрут" in card["text"]

        # pressing ✅ again (a replay) finds no pending file: nothing happens twice
        alert = await press_data(api, done, apply, ADMIN, "ru")
        assert alert.startswith("Срок этого импорта истёк")

    engine = create_engine(database_url)
    try:
        async with create_sessionmaker(engine)() as session:
            hadrut = await session.scalar(select(Settlement).where(Settlement.slug == "hadrut"))
            assert hadrut.name_en == "Zorbatown"
            assert await session.scalar(select(Caravan.families).where(Caravan.families == 999))
            entries = [e for e in await recent_audit(session) if e.action == "import"]
    finally:
        await engine.dispose()
    assert len(entries) == 1
    assert entries[0].actor_id == ADMIN and entries[0].target == "data.csv"
    assert entries[0].after["changes"] == {"caravans changed": 1, "settlements changed": 1}


async def test_bad_and_unwanted_files_sent_to_the_bot(sqlite_template, tmp_path, bundled):
    db = tmp_path / "returnbot.db"
    shutil.copy(sqlite_template, db)
    url = f"sqlite+aiosqlite:///{db}"
    api = FakeBotAPI()
    async with serve_bot(api, url, Clock(), ADMIN_IDS=str(ADMIN)) as bot:
        admin = bot.chat(ADMIN, "az")
        await admin.say("/start")
        before = await content(url)

        workbook = openpyxl.load_workbook(io.BytesIO(tabular.write_xlsx(bundled)))
        set_cell(workbook, "caravans", 14, "families", "ten")
        reply = await send_file(admin, "ministry.xlsx", xlsx_bytes(workbook))
        assert reply["text"] == (
            "⚠️ Bu faylı idxal etmək mümkün deyil; heç nə dəyişdirilmədi.\n"
            "📄 ministry.xlsx\n"
            "• vərəq caravans, sətir 14, sütun families (ailələrin sayı): “ten” tam ədəd deyil."
        )
        assert not reply.get("reply_markup")

        same = await send_file(admin, "same.yaml", tabular.write_yaml(bundled))
        assert "idxal ediləcək heç nə yoxdur" in same["text"]

        other = await send_file(admin, "photo.png", b"\x89PNG")
        assert ".yaml, .csv" in other["text"]

        huge = await send_file(admin, "huge.csv", b"table\n" + b" " * (5 * 2**20))
        assert "5 MB" in huge["text"]

        # many changes: the diff is split under Telegram's limit, buttons on the last part
        def shift_all(data: dict) -> None:
            for settlement in data["settlements"]:
                for caravan in settlement["caravans"]:
                    caravan["source"] = "re-checked " + caravan["source"]

        mark = len(api.bot_messages(ADMIN))
        last = await send_file(admin, "sources.yaml", yaml_with(bundled, shift_all))
        parts = api.bot_messages(ADMIN)[mark:]
        assert len(parts) > 1
        assert all(len(p["text"]) < 4096 for p in parts)
        assert [bool(p.get("reply_markup")) for p in parts] == [False] * (len(parts) - 1) + [True]
        assert "Karvanlar: dəyişiklik: 160" in parts[0]["text"]
        cancelled = await admin.press(last, "İmtina")
        assert cancelled["text"] == "↩️ İdxal ləğv edildi; heç nə dəyişdirilmədi."
        assert await content(url) == before
