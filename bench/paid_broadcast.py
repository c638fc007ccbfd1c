"""Paid broadcasts: `PAID_BROADCAST=1` against an API allowing 1,000 paid messages a second.

The lean fake Bot API (`bench.fake_server`, its own process) refuses more than 30 free
`sendMessage` a second and more than `--ceiling` (1,000) with `allow_paid_broadcast`, with
429 `retry_after`. One broadcast notice (kind "broadcast", paid) with a delivery per
synthetic user is written through `db.outbox.add_notice`, due a few seconds ahead so that
every worker is up when it starts; then the real Application (`build_application`, the
`DeliveryWorker`) sends it:

- on one process and SQLite, `BROADCAST_RATE` = `--rate` (950);
- on two processes (replicas) sharing a PostgreSQL database, `BROADCAST_RATE` = rate / 2
  each (when PostgreSQL answers on 127.0.0.1:5432).

Goal: sustained ≥ 0.9 × the ceiling after the first second, no 429 after the first second,
and memory flat (each worker's peak RSS against its RSS once started, ≤ 1.2×).

Run: `.venv/bin/python -m bench.paid_broadcast [--recipients 20000] [--quick]`.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

from bench.common import (
    PYTHON,
    ROOT,
    TOKEN,
    FakeServer,
    add_users,
    peak_rss_mb,
    prepare_database,
    process_env,
    workdir,
)

FIRST_USER = 1_000_000
LANGUAGES = ("az", "en", "ru")
CEILING = 1000.0
RATE = 950.0  # under the ceiling: an evenly paced sender never meets the window's edge
GOAL = 0.9
MEMORY_GOAL = 1.2
START_AHEAD = 6.0  # seconds between writing the notice and its deliveries falling due
PG = "postgresql+asyncpg://postgres@127.0.0.1:5432/"


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _clock(shift: float):
    """The bot's clock, `shift` seconds ahead of Baku's (every process the same shift)."""
    from bot.domain.clock import baku_now

    return lambda: baku_now() + dt.timedelta(seconds=shift)


def noon_shift() -> float:
    """Seconds from now to today's noon in Baku: the quiet hours would hold the messages."""
    from bot.domain.clock import BAKU, baku_now

    now = baku_now()
    return (dt.datetime.combine(now.date(), dt.time(12), BAKU) - now).total_seconds()


async def enqueue(database_url: str, shift: float) -> None:
    """One paid broadcast notice to every synthetic user, due START_AHEAD seconds from now."""
    from sqlalchemy import select

    from db import broadcasts, outbox
    from db.models import User
    from db.session import create_engine, create_sessionmaker

    engine = create_engine(database_url)
    now = _clock(shift)()
    try:
        async with create_sessionmaker(engine)() as session, session.begin():
            await outbox.add_notice(
                session,
                key=f"bench:{uuid.uuid4().hex[:12]}",
                kind=broadcasts.BROADCAST,
                now=now,
                recipients=select(User.id, User.chat_id).where(User.id >= FIRST_USER),
                not_before=now + dt.timedelta(seconds=START_AHEAD),
                payload={"text": "Bench: the caravan leaves at 9:00.", "paid": True},
            )
    finally:
        await engine.dispose()


async def worker(url: str, database_url: str, rate: float, send: int, seconds: float, shift: float):
    """The real Application with PAID_BROADCAST=1 until the server saw `send` sends."""
    import httpx

    from bot.app import build_application, started
    from bot.config import load_settings

    settings = load_settings(
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_API_URL=url,
        DATABASE_URL=database_url,
        BROADCAST_RATE=str(rate),
        PAID_BROADCAST="1",
    )
    application = build_application(settings, clock=_clock(shift))
    stats_url = url.removesuffix("/bot") + "/_bench/stats"
    async with started(application, poll=False):
        application.bot_data.delivery.wake()
        rss_started = _rss_mb()
        cpu_started = time.process_time()
        deadline = time.monotonic() + seconds
        async with httpx.AsyncClient() as client:
            while time.monotonic() < deadline:
                if (await client.get(stats_url)).json()["sends"] >= send:
                    break
                await asyncio.sleep(0.5)
        sent = application.bot_data.delivery.sent
    return {
        "rss_started_mb": rss_started,
        "peak_rss_mb": peak_rss_mb(os.getpid()),
        "cpu_seconds": time.process_time() - cpu_started,
        "sent": sent,
    }


def start_worker(
    server: FakeServer, database_url: str, rate: float, send: int, seconds: float, shift: float
) -> subprocess.Popen:
    command = [PYTHON, "-m", "bench.paid_broadcast", "--worker", "--url", server.url]
    command += ["--database-url", database_url, "--rate", str(rate), "--send", str(send)]
    command += ["--seconds", str(seconds), "--shift", str(shift)]
    pipe = subprocess.PIPE
    return subprocess.Popen(
        command, cwd=ROOT, env=process_env(), stdout=pipe, stderr=pipe, text=True
    )


def results(processes: list[subprocess.Popen], timeout: float) -> list[dict[str, Any]]:
    out = []
    for process in processes:
        stdout, stderr = process.communicate(timeout=timeout)
        lines = [line for line in stdout.splitlines() if line.startswith("{")]
        if process.returncode != 0 or not lines:
            raise RuntimeError(f"worker failed ({process.returncode}): {stderr[-3000:]}")
        out.append(json.loads(lines[-1]))
    return out


def report(label: str, figures: dict[str, Any], workers: list[dict[str, Any]], n: int) -> bool:
    times = figures["send_times"]
    after = [t for t in times if t > times[0] + 1.0] if times else []
    span = after[-1] - after[0] if len(after) > 1 else 0.0
    sustained = (len(after) - 1) / span if span > 0 else 0.0
    memory = max(w["peak_rss_mb"] / w["rss_started_mb"] for w in workers)
    peaks = ", ".join(f"{w['rss_started_mb']:.0f} → {w['peak_rss_mb']:.0f} MB" for w in workers)
    cpu = ", ".join(f"{1000 * w['cpu_seconds'] / max(1, w['sent']):.2f}" for w in workers)
    wall = times[-1] - times[0] if len(times) > 1 else 0.0
    busy = sum(w["cpu_seconds"] for w in workers) / wall if wall else 0.0
    print(
        f"{label}: {figures['sends']} of {n} sent ({figures['paid_sends']} paid), sustained "
        f"{sustained:.1f}/s after the first second; 429s: {figures['throttled']} in all, "
        f"{figures['throttled_after_first_second']} after the first second; RSS {peaks}; CPU "
        f"per send {cpu} ms ({busy:.2f} cores busy while sending)"
    )
    ok = (
        figures["sends"] >= n
        and sustained >= GOAL * CEILING
        and figures["throttled_after_first_second"] == 0
        and memory <= MEMORY_GOAL
    )
    print(
        f"{label} paid ratio {sustained / CEILING:.2f} of {CEILING:.0f}/s (goal >= {GOAL}, no "
        f"429 after the first second, memory ratio {memory:.2f} <= {MEMORY_GOAL}) "
        + ("met" if ok else "MISSED")
    )
    return ok


def one_process(folder: Path, n: int, rate: float, timeout: float) -> None:
    template = folder / "template.db"
    prepare_database(template)
    path = folder / "paid.db"
    shutil.copy(template, path)
    add_users(path, FIRST_USER, n, LANGUAGES)
    url, shift = f"sqlite+aiosqlite:///{path}", noon_shift()
    asyncio.run(enqueue(url, shift))
    with FakeServer(rate=30, paid_rate=CEILING) as server:
        workers = results([start_worker(server, url, rate, n, timeout, shift)], timeout + 120)
        report("one process, SQLite", server.stats(times=True), workers, n)


async def _pg_database(n: int) -> str | None:
    """A fresh PostgreSQL database, migrated, with the dataset and `n` users; None when
    PostgreSQL does not answer."""
    import asyncpg

    name = f"bench_paid_{uuid.uuid4().hex[:8]}"
    try:
        admin = await asyncpg.connect("postgresql://postgres@127.0.0.1:5432/postgres", timeout=3)
    except (OSError, asyncpg.PostgresError):
        return None
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    from bot.cli import prepare_database as prepare
    from bot.config import load_settings

    await prepare(load_settings(DATABASE_URL=PG + name))
    connection = await asyncpg.connect(f"postgresql://postgres@127.0.0.1:5432/{name}")
    rows = [(FIRST_USER + i, FIRST_USER + i, LANGUAGES[i % 3], False, False) for i in range(n)]
    await connection.copy_records_to_table(
        "users", records=rows, columns=["id", "chat_id", "language", "language_chosen", "blocked"]
    )
    await connection.close()
    return name


async def _drop(name: str) -> None:
    import asyncpg

    admin = await asyncpg.connect("postgresql://postgres@127.0.0.1:5432/postgres")
    await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await admin.close()


def two_replicas(n: int, rate: float, timeout: float) -> None:
    name = asyncio.run(_pg_database(n))
    if name is None:
        print("two replicas, PostgreSQL: skipped (PostgreSQL does not answer on 127.0.0.1)")
        return
    try:
        url, shift = PG + name, noon_shift()
        asyncio.run(enqueue(url, shift))
        with FakeServer(rate=30, paid_rate=CEILING) as server:
            processes = [start_worker(server, url, rate / 2, n, timeout, shift) for _ in range(2)]
            workers = results(processes, timeout + 120)
            report("two replicas, PostgreSQL", server.stats(times=True), workers, n)
    finally:
        asyncio.run(_drop(name))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="paid broadcasts at Telegram's 1,000/s")
    parser.add_argument("--recipients", type=int, default=20_000)
    parser.add_argument("--rate", type=float, default=RATE)
    parser.add_argument("--timeout", type=float, default=300.0)
    parser.add_argument("--quick", action="store_true", help="small sizes, to check it runs")
    parser.add_argument(
        "--only", choices=("one", "two"), help="one process on SQLite, or two replicas only"
    )
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--database-url", help=argparse.SUPPRESS)
    parser.add_argument("--send", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--seconds", type=float, default=300, help=argparse.SUPPRESS)
    parser.add_argument("--shift", type=float, default=0.0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        result = asyncio.run(
            worker(args.url, args.database_url, args.rate, args.send, args.seconds, args.shift)
        )
        print(json.dumps(result), flush=True)
        return 0
    if args.quick:
        args.recipients, args.timeout = 2_000, 90.0
    if args.only != "two":
        with workdir() as folder:
            one_process(folder, args.recipients, args.rate, args.timeout)
    if args.only != "one":
        two_replicas(args.recipients, args.rate, args.timeout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
