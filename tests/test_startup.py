"""Start-up: Alembic runs only when the schema is not at the newest revision; `returnbot run`
answers the updates waiting for it and registers the command menu once it runs."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy import text

from bot.chat.api import FakeBotAPI
from bot.chat.transports import FakeBotServer
from db.migrate import alembic_config, current_revisions, head_revisions, upgrade
from db.session import create_engine
from tests.conftest import start_returnbot

ROOT = Path(__file__).resolve().parent.parent


def test_head_revisions_read_from_the_files_are_alembics_heads():
    heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    assert head_revisions() == frozenset(heads) and len(heads) == 1


async def test_a_new_database_is_migrated_and_one_at_head_is_left_alone(tmp_path):
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path}/new.db")
    try:
        assert await current_revisions(engine) == frozenset()
        await upgrade(engine)
        assert await current_revisions(engine) == head_revisions()
        async with engine.connect() as connection:
            tables = await connection.execute(text("SELECT name FROM sqlite_master"))
            assert {"settlements", "caravans", "users"} <= {row[0] for row in tables}
        await upgrade(engine)  # nothing to do
        assert await current_revisions(engine) == head_revisions()
    finally:
        await engine.dispose()


async def test_a_database_behind_head_is_upgraded(tmp_path):
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path}/old.db")
    try:
        await upgrade(engine, "0001")
        assert await current_revisions(engine) == {"0001"}
        await upgrade(engine)
        assert await current_revisions(engine) == head_revisions()
    finally:
        await engine.dispose()


def test_starting_on_a_database_at_head_does_not_import_alembic(database_url):
    code = (
        "import asyncio, sys\n"
        "from db.migrate import upgrade\n"
        "from db.session import create_engine\n"
        "async def main():\n"
        f"    engine = create_engine({database_url!r})\n"
        "    await upgrade(engine)\n"
        "    await engine.dispose()\n"
        "asyncio.run(main())\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'alembic'))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


async def test_run_answers_a_waiting_update_and_registers_the_menu(tmp_path):
    api = FakeBotAPI()
    async with FakeBotServer(api) as server_url:
        api.send_text("/start", user_id=79, language_code="ru")  # waiting before the start
        environment = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
        environment |= {"TELEGRAM_BOT_TOKEN": api.token, "TELEGRAM_API_URL": server_url}
        process = await start_returnbot("run", cwd=tmp_path, env=environment)
        try:
            await api.wait_for(lambda: api.calls_to("sendMessage"), timeout=60)
            await api.wait_for(lambda: len(api.calls_to("setMyCommands")) >= 4, timeout=30)
        finally:
            process.send_signal(signal.SIGTERM)
            output, _ = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 0, output.decode()
    assert api.calls_to("sendMessage")[0].params["chat_id"] == 79
    assert all(call.status == 200 for call in api.calls_to("setMyCommands"))
    assert {"", "az", "en", "ru"} <= {language for (_scope, language) in api.commands}


def imported_after(statement: str) -> set[str]:
    """The modules a fresh interpreter holds after running `statement`."""
    code = f"import sys\n{statement}\nprint('\\n'.join(sorted(sys.modules)))"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return set(result.stdout.split())


def test_starting_the_bot_loads_no_library_only_a_feature_needs():
    modules = imported_after("import bot.cli, bot.app")
    # (aiohttp is not among them: it carries every Bot API call, bot.transport.request)
    feature_only = {"alembic", "openpyxl", "defusedxml", "segno", "PIL", "icalendar"}
    feature_only |= {"matplotlib", "numpy"}  # the 📊 chart (bot.views.chart), when drawn
    feature_only |= {"yaml", "db.dataset", "db.tabular", "db.diff", "bot.web", "aiohttp.web"}
    assert not {m for m in modules if m.split(".")[0] in feature_only or m in feature_only}


def test_the_echo_baseline_loads_nothing_of_returnbot_but_the_update_processor():
    modules = imported_after("import bench.echo_bot")
    ours = {m for m in modules if m.split(".")[0] in ("bot", "db", "handlers")}
    assert ours == {"bot", "bot.updates"}
    assert "sqlalchemy" not in modules and "pydantic" not in modules
