"""What the benchmarks share: the fake server process, databases, processes, figures."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
TOKEN = "123456:BENCH"


def percentile(values: Sequence[float], fraction: float) -> float:
    """The `fraction` quantile (nearest rank) of `values`; 0 for none."""
    if not values:
        return 0.0
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * len(ordered) + 0.5) - 1))
    return ordered[index]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def ratio_line(name: str, value: float, baseline: float, goal: str) -> str:
    """`name: value / baseline = ratio (goal)`."""
    ratio = value / baseline if baseline else float("nan")
    return f"{name}: {value:.1f} vs baseline {baseline:.1f} -> ratio {ratio:.2f} (goal {goal})"


@contextmanager
def workdir() -> Iterator[Path]:
    """A temporary folder, removed afterwards."""
    path = Path(tempfile.mkdtemp(prefix="returnbot-bench-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


class FakeServer:
    """`bench.fake_server` in a child process; `url` is the Bot API base URL for PTB."""

    def __init__(
        self, *, rate: float | None = None, window: int = 256, paid_rate: float | None = None
    ) -> None:
        command = [PYTHON, "-m", "bench.fake_server", "--window", str(window)]
        if rate is not None:
            command += ["--rate", str(rate)]
        if paid_rate is not None:
            command += ["--paid-rate", str(paid_rate)]
        self.process = subprocess.Popen(
            command, cwd=ROOT, stdout=subprocess.PIPE, text=True, env=_child_env()
        )
        line = self.process.stdout.readline()
        if not line.startswith("PORT "):
            self.stop()
            raise RuntimeError(f"the fake server did not start: {line!r}")
        self.port = int(line.split()[1])
        self.url = f"http://127.0.0.1:{self.port}/bot"

    def _call(self, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}{path}",
            data=data,
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read())

    def add_updates(self, updates: list[dict[str, Any]], kinds: list[str]) -> None:
        self._call("/_bench/updates", {"updates": updates, "kinds": kinds})

    def stats(self, *, times: bool = False) -> dict[str, Any]:
        return self._call("/_bench/stats" + ("?times=1" if times else ""))

    def wait(self, predicate: Callable[[dict[str, Any]], bool], timeout: float) -> dict[str, Any]:
        """Poll the figures until `predicate` holds or `timeout` passes; returns the last."""
        deadline = time.monotonic() + timeout
        while True:
            figures = self.stats()
            if predicate(figures) or time.monotonic() > deadline:
                return figures
            time.sleep(0.05)

    def stop(self) -> None:
        stop_process(self.process)

    def __enter__(self) -> FakeServer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def _child_env(**variables: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "WEBHOOK_"))}
    env.pop("DATABASE_URL", None)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env.update(variables)
    return env


def process_env(**variables: str) -> dict[str, str]:
    """Environment of a child process in the repository: no Telegram or database settings
    of the caller's, the repository importable, and `variables`."""
    return _child_env(**variables)


def bot_env(server: FakeServer, database: Path, **variables: str) -> dict[str, str]:
    """Environment of a `returnbot run` against the fake server and a SQLite file."""
    return _child_env(
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_API_URL=server.url,
        DATABASE_URL=f"sqlite+aiosqlite:///{database}",
        DEFAULT_LANGUAGE="en",
        **variables,
    )


def start_process(command: Sequence[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    """A child process in the repository with its output in `log`."""
    with log.open("ab") as out:
        return subprocess.Popen(
            list(command), cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
        )


def stop_process(process: subprocess.Popen, timeout: float = 10) -> None:
    """SIGTERM, then SIGKILL after `timeout` seconds."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def cpu_seconds(pid: int) -> float:
    """User + system CPU time used so far by the live process `pid` (Linux); NaN elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_rss_mb(pid: int) -> float:
    """Peak resident set size (VmHWM) of a live process, in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def returnbot_command(*args: str) -> list[str]:
    return [PYTHON, "-m", "bot.cli", *args]


def prepare_database(path: Path) -> None:
    """Migrate `path` and load the bundled dataset, as `returnbot run` does on first start."""
    from bot.cli import prepare_database as prepare
    from bot.config import load_settings

    settings = load_settings(DATABASE_URL=f"sqlite+aiosqlite:///{path}")
    asyncio.run(prepare(settings))


def add_users(path: Path, first_id: int, count: int, languages: Sequence[str]) -> None:
    """`count` synthetic private-chat users with ids from `first_id`, languages in turn."""
    with sqlite3.connect(path) as db:
        db.executemany(
            "INSERT INTO users (id, chat_id, language, language_chosen, blocked) "
            "VALUES (?, ?, ?, 0, 0)",
            ((first_id + i, first_id + i, languages[i % len(languages)]) for i in range(count)),
        )


def summary(values: Sequence[float]) -> str:
    """`p50 … p99 …` of seconds, in milliseconds."""
    return f"p50 {ms(percentile(values, 0.5))}, p99 {ms(percentile(values, 0.99))}"


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else 0.0
