"""The command line as an operator uses it, in real subprocesses."""

from __future__ import annotations

import csv
import os
import sqlite3
import subprocess
from pathlib import Path

import yaml

from db.dataset import BUNDLED
from tests.conftest import RETURNBOT, start_returnbot


def run(args: list[str], cwd: Path, stdin: str = "", **env: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k not in ("TELEGRAM_BOT_TOKEN",)}
    environment.update(env)
    return subprocess.run(
        [RETURNBOT, *args],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
    )


def content(db: Path) -> list:
    """Every row of every data table, to compare a database before and after."""
    with sqlite3.connect(db) as connection:
        tables = [
            r[0]
            for r in connection.execute(
                "SELECT name FROM sqlite_master WHERE type='table' ORDER BY name"
            )
        ]
        return [(t, sorted(map(repr, connection.execute(f'SELECT * FROM "{t}"')))) for t in tables]


def test_chat_answers_a_scripted_conversation(tmp_path):
    script = "/schedule Sos\n/press 1\nШушакенд\n/press 99\n"
    result = run(["chat"], tmp_path, script)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Sos" in out and "Homes planned: 259" in out and "Ready: 10" in out
    assert "[1] 🚌 Caravans" in out  # buttons are numbered for /press
    assert "(edited)" in out and "December 24, 2025" in out  # /press 1 opened the caravans
    assert "Shushakend" in out and "263" in out
    assert "(no button 99" in out
    assert (tmp_path / "data" / "returnbot.db").exists()  # the default database


def test_chat_speaks_the_chosen_language(tmp_path):
    result = run(["chat", "--lang", "ru"], tmp_path, "/schedule Sos\n")
    assert result.returncode == 0, result.stderr
    assert "Сос" in result.stdout and "Домов запланировано: 259" in result.stdout


def test_chat_sends_a_file_as_an_admin_sends_a_dataset(tmp_path):
    assert run(["chat"], tmp_path, "/start\n").returncode == 0  # the bundled dataset
    assert run(["export", "dataset.csv"], tmp_path).returncode == 0
    with (tmp_path / "dataset.csv").open(encoding="utf-8-sig", newline="") as source:
        rows = list(csv.reader(source))
    header = rows[0]
    for row in rows:
        if row[0] == "housing" and row[header.index("settlement")] == "sos":
            assert row[header.index("ready")] == "10"
            row[header.index("ready")] = "12"
    with (tmp_path / "new figures.csv").open("w", encoding="utf-8", newline="") as target:
        csv.writer(target).writerows(rows)
    script = '/file "new figures.csv"\n/press 1\n/schedule Sos\n/file nowhere.csv\n'
    result = run(["chat", "--admin"], tmp_path, script)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "~ Sos (sos), " in out and "ready homes 10 → 12" in out  # the import's preview
    assert "[1] ✅ Apply" in out
    assert "Imported new figures.csv" in out and "Ready: 12" in out
    assert "(cannot read nowhere.csv" in out


def test_run_without_token_exits_2_with_a_clear_message(tmp_path):
    result = run(["run"], tmp_path)
    assert result.returncode == 2
    assert "TELEGRAM_BOT_TOKEN" in result.stderr


def test_db_upgrade_then_import_bundled_is_idempotent(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path}/x.db"
    assert run(["db", "upgrade"], tmp_path, DATABASE_URL=url).returncode == 0
    first = run(["import", str(BUNDLED)], tmp_path, DATABASE_URL=url)
    assert first.returncode == 0, first.stderr
    assert "settlements added: 42" in first.stdout and "caravans added: 160" in first.stdout
    again = run(["import", str(BUNDLED)], tmp_path, DATABASE_URL=url)
    assert again.stdout.strip() == "no changes"


def test_export_of_a_database_never_loaded_says_so(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path}/x.db"
    empty = run(["export", "empty.yaml"], tmp_path, DATABASE_URL=url)
    assert empty.returncode == 0, empty.stderr
    assert "0 settlements" in empty.stdout and "holds no dataset yet" in empty.stdout
    assert run(["import", str(BUNDLED)], tmp_path, DATABASE_URL=url).returncode == 0
    full = run(["export", "full.yaml"], tmp_path, DATABASE_URL=url)
    assert "42 settlements" in full.stdout and "no dataset" not in full.stdout


def test_bad_import_exits_1_names_the_place_and_changes_nothing(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path}/x.db"
    assert run(["import", str(BUNDLED)], tmp_path, DATABASE_URL=url).returncode == 0
    before = content(tmp_path / "x.db")
    data = yaml.safe_load(BUNDLED.read_text(encoding="utf-8"))
    data["settlements"][0]["caravans"][0]["families"] = 999  # a valid change …
    aghali = next(s for s in data["settlements"] if s["slug"] == "aghali")
    aghali["caravans"][1]["people"] = "many"  # … and a bad row
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    result = run(["import", str(bad)], tmp_path, DATABASE_URL=url)
    assert result.returncode == 1
    assert "bad.yaml" in result.stderr and "'aghali'" in result.stderr
    assert "caravans[2]" in result.stderr and "people" in result.stderr
    assert content(tmp_path / "x.db") == before
    broken = tmp_path / "broken.yaml"
    broken.write_text("settlements: [unclosed", encoding="utf-8")
    assert run(["import", str(broken)], tmp_path, DATABASE_URL=url).returncode == 1
    assert content(tmp_path / "x.db") == before


async def test_run_serves_telegram_by_polling_and_stops_on_sigterm(tmp_path):
    import asyncio
    import signal

    from bot.chat.api import FakeBotAPI
    from bot.chat.transports import FakeBotServer

    api = FakeBotAPI()
    async with FakeBotServer(api) as server_url:
        environment = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
        environment |= {"TELEGRAM_BOT_TOKEN": api.token, "TELEGRAM_API_URL": server_url}
        process = await start_returnbot("run", cwd=tmp_path, env=environment)
        try:
            await api.wait_for(lambda: api.polling, timeout=60)
            api.send_text("/schedule Sos", user_id=77, language_code="az")
            await api.wait_for(lambda: api.calls_to("sendMessage"), timeout=30)
        finally:
            process.send_signal(signal.SIGTERM)
            output, _ = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 0, output.decode()
    assert "31 dekabr 2025" in api.calls_to("sendMessage")[0].params["text"]
    assert (tmp_path / "data" / "returnbot.db").exists()
