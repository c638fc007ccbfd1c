"""Shared fixtures: databases (SQLite always, PostgreSQL when reachable) and a running bot.

A migrated database with the bundled dataset is prepared once per backend and copied for
each test (a file copy on SQLite, `CREATE DATABASE … TEMPLATE` on PostgreSQL).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import os
import shutil
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from bot.app import build_application, started
from bot.chat.api import FakeBotAPI
from bot.chat.transports import FakeBotServer
from bot.cli import prepare_database
from bot.config import Settings, load_settings
from bot.domain.clock import BAKU

PG_HOST = os.environ.get("PGHOST", "127.0.0.1")
PG_PORT = int(os.environ.get("PGPORT", "5432"))
PG_USER = os.environ.get("PGUSER", "postgres")
REQUIRE_POSTGRES = os.environ.get("REQUIRE_POSTGRES") == "1"
# The day the tests live in: after every caravan of the bundled dataset.
TODAY = dt.datetime(2026, 11, 26, 12, 0, tzinfo=BAKU)


def _pg_url(database: str) -> str:
    return f"postgresql+asyncpg://{PG_USER}@{PG_HOST}:{PG_PORT}/{database}"


RETURNBOT = str(Path(sys.executable).parent / "returnbot")  # the installed console script


async def start_returnbot(
    *args: str, cwd: Path, env: dict[str, str], output: int = asyncio.subprocess.PIPE
) -> asyncio.subprocess.Process:
    """`returnbot ARGS` as a real process, its stdout and stderr together into `output`."""
    return await asyncio.create_subprocess_exec(
        RETURNBOT, *args, cwd=cwd, env=env, stdout=output, stderr=asyncio.subprocess.STDOUT
    )


async def _pg_admin() -> asyncpg.Connection:
    return await asyncpg.connect(host=PG_HOST, port=PG_PORT, user=PG_USER, database="postgres")


def _run(coroutine_function: Any, *args: Any) -> Any:
    """Run a coroutine to completion in a thread of its own (callers may be inside a loop)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine_function(*args)).result()


def _postgres_reachable() -> bool:
    async def probe() -> bool:
        try:
            connection = await asyncio.wait_for(_pg_admin(), 5)
        except (OSError, asyncpg.PostgresError, TimeoutError):
            return False
        await connection.close()
        return True

    return _run(probe)


@pytest.fixture(scope="session")
def postgres_available() -> bool:
    reachable = _postgres_reachable()
    if not reachable and REQUIRE_POSTGRES:
        pytest.fail(f"REQUIRE_POSTGRES=1 but PostgreSQL at {PG_HOST}:{PG_PORT} is unreachable")
    return reachable


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "returnbot.db"
    settings = load_settings(DATABASE_URL=f"sqlite+aiosqlite:///{path}")
    _run(prepare_database, settings)
    return path


@pytest.fixture(scope="session")
def postgres_template(postgres_available: bool) -> Iterator[str]:
    if not postgres_available:
        pytest.skip("PostgreSQL is not reachable (set REQUIRE_POSTGRES=1 to fail instead)")
    name = f"returnbot_template_{uuid.uuid4().hex[:10]}"

    async def create() -> None:
        admin = await _pg_admin()
        await admin.execute(f'CREATE DATABASE "{name}"')
        await admin.close()
        await prepare_database(load_settings(DATABASE_URL=_pg_url(name)))

    _run(create)
    yield name
    _run(_drop_pg, name)


async def _drop_pg(name: str) -> None:
    admin = await _pg_admin()
    await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await admin.close()


@pytest.fixture(params=["sqlite", "postgresql"])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A migrated database holding the bundled dataset, fresh for each test."""
    if request.param == "sqlite":
        path = tmp_path / "returnbot.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite+aiosqlite:///{path}"
        return
    template = request.getfixturevalue("postgres_template")
    name = f"returnbot_test_{uuid.uuid4().hex[:12]}"
    admin = await _pg_admin()
    await admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    await admin.close()
    yield _pg_url(name)
    await _drop_pg(name)


@dataclass
class Chat:
    """One user talking to the running bot through the fake Bot API."""

    api: FakeBotAPI
    user_id: int
    language: str | None
    seen: int = 0
    replies: list[dict[str, Any]] = field(default_factory=list)

    async def say(self, text: str) -> dict[str, Any]:
        """Send `text` and wait for the bot's answer; returns the last message it touched."""
        mark = len(self.api.calls)
        self.api.send_text(text, user_id=self.user_id, language_code=self.language)
        return await self._answer(mark)

    async def press(self, message: dict[str, Any], label: str) -> dict[str, Any]:
        """Press the button whose text contains `label` on `message`."""
        data = button(message, label)["callback_data"]
        mark = len(self.api.calls)
        self.api.press(message, data, user_id=self.user_id, language_code=self.language)
        return await self._answer(mark)

    async def _answer(self, mark: int) -> dict[str, Any]:
        def answered() -> bool:
            return any(_is_answer(call) for call in self.api.calls[mark:])

        with contextlib.suppress(TimeoutError):  # reported below with what the bot did
            await self.api.wait_for(answered, timeout=15)
        await self.api.wait_idle(quiet=0.2, timeout=15)
        calls = [c for c in self.api.calls[mark:] if c.status == 200]
        touched = [c for c in calls if isinstance(c.result, dict) and "message_id" in c.result]
        assert touched or any(c.method == "answerCallbackQuery" for c in calls), (
            f"the bot stayed silent: {[(c.method, c.status) for c in self.api.calls[mark:]]}"
        )
        if not touched:
            return {}
        # the message's state after all edits
        return self.api.last_message(self.user_id) or touched[-1].result


def _is_answer(call: Any) -> bool:
    """A call that shows the user something: a message, an edit, a file, or an alert."""
    if call.method == "answerCallbackQuery":
        return bool(call.params.get("text"))
    return call.method.startswith(("send", "edit", "copy", "forward"))


def buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    markup = message.get("reply_markup") or {}
    return [b for row in markup.get("inline_keyboard", []) for b in row]


def button(message: dict[str, Any], label: str) -> dict[str, Any]:
    matching = [b for b in buttons(message) if label in b["text"]]
    assert matching, f"no button {label!r} in {[b['text'] for b in buttons(message)]}"
    return matching[0]


async def urgent_if_quiet(api: Any, preview: dict[str, Any], user_id: int) -> dict[str, Any]:
    """A broadcast preview made on the real clock: in Baku's quiet hours it would wait for
    09:00, so the admin presses 🚨 (send now) first; the preview as it is then."""
    if not any("🚨" in b["text"] for b in buttons(preview)):
        return preview
    mark = len(api.calls)
    api.press(preview, button(preview, "🚨")["callback_data"], user_id=user_id)
    await api.wait_for(lambda: any(c.method == "editMessageText" for c in api.calls[mark:]))
    return api.last_message(user_id)


@dataclass
class RunningBot:
    api: FakeBotAPI
    settings: Settings
    application: Any

    def chat(self, user_id: int = 1001, language: str | None = "en") -> Chat:
        return Chat(self.api, user_id, language)


@pytest.fixture
async def running_bot(database_url: str) -> AsyncIterator[RunningBot]:
    """The real Application, built by the project's factory, polling the fake Bot API over HTTP."""
    async with serve_bot(FakeBotAPI(), database_url, Clock()) as bot:
        yield bot


class Clock:
    """A clock the test moves: `AppState.clock` for bots built with it; starts at TODAY."""

    def __init__(self, now: dt.datetime = TODAY) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now

    def set(self, *args: int) -> None:
        """Move to `year, month, day, hour[, minute]` in Asia/Baku."""
        self.now = dt.datetime(*args, tzinfo=BAKU)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@asynccontextmanager
async def serve_bot(
    api: FakeBotAPI, database_url: str, clock: Clock, **variables: str
) -> AsyncIterator[RunningBot]:
    """Serve `api` over HTTP and run the real Application with `clock` until the block ends;
    nest `run_bot` inside to restart the bot on the same server and database."""
    async with FakeBotServer(api) as server_url:
        settings = load_settings(
            TELEGRAM_BOT_TOKEN=api.token,
            TELEGRAM_API_URL=server_url,
            DATABASE_URL=database_url,
            DEFAULT_LANGUAGE="en",
            **variables,
        )
        async with run_bot(api, settings, clock) as bot:
            yield bot


@asynccontextmanager
async def run_bot(api: FakeBotAPI, settings: Settings, clock: Clock) -> AsyncIterator[RunningBot]:
    """Start (and at the end stop) one Application on an already served fake API."""
    application = build_application(settings, clock=clock)
    async with started(application):
        yield RunningBot(api, settings, application)


@pytest.fixture
async def clocked_bot(database_url: str, clock: Clock) -> AsyncIterator[RunningBot]:
    """Like `running_bot`, but on the test's movable `clock`."""
    async with serve_bot(FakeBotAPI(), database_url, clock) as bot:
        yield bot


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """The understanding corpus scored, per intent and language, when its tests ran."""
    reports = (report for group in terminalreporter.stats.values() for report in group)
    if any(getattr(r, "nodeid", "").startswith("tests/test_understanding.py") for r in reports):
        from tests.test_understanding import summary_lines

        terminalreporter.section("understanding corpus (tests/data/understanding.yaml)")
        for line in summary_lines():
            terminalreporter.write_line(line)
