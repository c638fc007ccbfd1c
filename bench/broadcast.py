"""Broadcast throughput: the real outbox and DeliveryWorker vs a raw PTB send_message loop.

Each side runs in a process of its own against the lean fake Bot API (`bench.fake_server`,
another process) and a SQLite file holding N synthetic users:

- returnbot: the real Application (`bot.app.build_application`, post_init, DeliveryWorker)
  in process; a notice with one delivery per user is written through `db.outbox.add_notice`
  (INSERT … SELECT, as a caravan announcement is) and the worker sends it;
- baseline: `telegram.Bot.send_message` in a loop over the same chats, the same text, with
  the worker's concurrency (`bot.delivery.worker.CONCURRENCY` sends in flight), on PTB's default
  transport (httpx); then the same loop on returnbot's transport (`bot.transport.request`, aiohttp),
  the like-for-like ratio: what the outbox and the worker cost.

Unthrottled: `BROADCAST_RATE` 1,000,000, no flood limit; goal ≥ 0.8× the baseline's rate.
Throttled: the fake API refuses more than 30 sendMessage per second (429 `retry_after`),
`BROADCAST_RATE` 30, for `--limited-seconds`; goal ≥ 0.95 × 30/s sustained after the first
second, and no 429 after the first second.

Run: `.venv/bin/python -m bench.broadcast [--recipients 20000] [--limited-seconds 20]
[--quick]`. `bench.memory` uses the same worker to measure peak RSS.
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
    bot_env,
    peak_rss_mb,
    prepare_database,
    workdir,
)

FIRST_USER = 1_000_000
LANGUAGES = ("az", "en", "ru")
UNTHROTTLED_GOAL = 0.8
THROTTLED_GOAL = 0.95


def _current_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def _wait_sent(stats_url: str, target: int, seconds: float) -> dict[str, Any]:
    import httpx

    deadline = time.monotonic() + seconds
    async with httpx.AsyncClient() as client:
        while True:
            figures = (await client.get(stats_url)).json()
            if figures["sends"] >= target or time.monotonic() > deadline:
                return figures
            # rarely: this runs in the measured process (the rate comes from the server's
            # time stamps, so the poll only decides when the process ends)
            await asyncio.sleep(0.5)


async def returnbot_worker(
    url: str, database: Path, rate: float, send: int, seconds: float
) -> dict[str, Any]:
    """Start the real Application, enqueue one notice to every user, wait for `send` sends."""
    from sqlalchemy import func, select

    from bot.app import build_application, started
    from bot.config import load_settings
    from bot.domain.clock import BAKU, baku_now
    from db import outbox
    from db.models import Caravan, User

    # Days in Baku's quiet hours would hold the messages until 09:00: live at noon instead.
    start = baku_now()
    noon = dt.datetime.combine(start.date(), dt.time(12), BAKU)
    shift = noon - start

    def clock() -> dt.datetime:
        return baku_now() + shift

    settings = load_settings(
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_API_URL=url,
        DATABASE_URL=f"sqlite+aiosqlite:///{database}",
        BROADCAST_RATE=str(rate),
    )
    application = build_application(settings, clock=clock)
    async with started(application, poll=False):
        state = application.bot_data
        rss_started = _current_rss_mb()
        began = time.perf_counter()
        async with state.db() as session, session.begin():
            caravan_id = await session.scalar(select(func.min(Caravan.id)))
            recipients = select(User.id, User.chat_id).where(User.id >= FIRST_USER)
            await outbox.add_notice(
                session,
                key=f"bench:{uuid.uuid4().hex[:12]}",
                kind=outbox.ANNOUNCE,
                now=clock(),
                recipients=recipients,
                not_before=clock(),
                caravan_id=caravan_id,
            )
        enqueued = time.perf_counter() - began
        state.delivery.wake()
        stats_url = url.removesuffix("/bot") + "/_bench/stats"
        figures = await _wait_sent(stats_url, send, seconds)
    return {
        "enqueue_seconds": enqueued,
        "rss_started_mb": rss_started,
        "peak_rss_mb": peak_rss_mb(os.getpid()),
        "sent_seen": figures["sends"],
    }


async def raw_worker(
    url: str, database: Path, send: int, concurrency: int, aiohttp: bool = False
) -> dict[str, Any]:
    """`send_message` to the first `send` users, `concurrency` at a time, the same text;
    over PTB's default transport, or with `aiohttp` over returnbot's."""
    import sqlite3

    from sqlalchemy import select
    from sqlalchemy.orm import selectinload
    from telegram import Bot
    from telegram.constants import ParseMode

    from bot.i18n import load_translators
    from bot.views import notices
    from db.models import Caravan, Settlement
    from db.session import create_engine, create_sessionmaker

    engine = create_engine(f"sqlite+aiosqlite:///{database}")
    async with create_sessionmaker(engine)() as session:
        caravan = await session.scalar(
            select(Caravan)
            .order_by(Caravan.id)
            .limit(1)
            .options(selectinload(Caravan.settlement).selectinload(Settlement.district))
        )
    await engine.dispose()
    text = notices.caravan_announcement(caravan, load_translators()["en"])
    with sqlite3.connect(database) as db:
        chats = [row[0] for row in db.execute(
            "SELECT chat_id FROM users WHERE id >= ? ORDER BY id LIMIT ?", (FIRST_USER, send)
        )]  # fmt: skip
    queue: asyncio.Queue[int] = asyncio.Queue()
    for chat in chats:
        queue.put_nowait(chat)

    request = None
    if aiohttp:
        from bot.transport.request import AiohttpRequest

        request = AiohttpRequest(connection_pool_size=concurrency)
    async with Bot(TOKEN, base_url=url, request=request) as bot:

        async def sender() -> None:
            while not queue.empty():
                chat = queue.get_nowait()
                await bot.send_message(
                    chat, text, parse_mode=ParseMode.HTML, disable_web_page_preview=True
                )

        await asyncio.gather(*(sender() for _ in range(concurrency)))
    return {"peak_rss_mb": peak_rss_mb(os.getpid())}


def run_worker(
    kind: str,
    server: FakeServer,
    database: Path,
    *,
    rate: float,
    send: int,
    seconds: float,
    concurrency: int = 1,
) -> dict[str, Any]:
    """One worker process; returns its JSON result plus the fake server's send figures."""
    command = [PYTHON, "-m", "bench.broadcast", "--worker", kind, "--url", server.url]
    command += ["--database", str(database), "--rate", str(rate), "--send", str(send)]
    command += ["--seconds", str(seconds), "--concurrency", str(concurrency)]
    done = subprocess.run(
        command,
        cwd=ROOT,
        env=bot_env(server, database),
        capture_output=True,
        text=True,
        timeout=seconds + 120,
        check=False,
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"{kind} worker failed ({done.returncode}): {done.stderr[-3000:]}")
    result = json.loads(lines[-1])
    result["server"] = server.stats(times=True)
    return result


def _worker_concurrency() -> int:
    """Sends the DeliveryWorker keeps in flight (1 for an engine without the setting)."""
    from bot.delivery import worker as delivery

    return int(getattr(delivery, "CONCURRENCY", 1))


def throughput(times: list[float], count: int) -> float:
    """Sends per second from the first to the `count`-th send."""
    times = times[:count]
    return (len(times) - 1) / (times[-1] - times[0]) if len(times) > 1 else 0.0


def prepare(folder: Path, name: str, users: int) -> Path:
    """A migrated database with the dataset and `users` synthetic users."""
    template = folder / "template.db"
    if not template.exists():
        prepare_database(template)
    path = folder / f"{name}.db"
    shutil.copy(template, path)
    add_users(path, FIRST_USER, users, LANGUAGES)
    return path


def unthrottled(folder: Path, recipients: int, timeout: float) -> tuple[float, float]:
    """(returnbot sends/s, baseline sends/s) without a flood limit."""
    with FakeServer() as server:
        ours = run_worker(
            "returnbot",
            server,
            prepare(folder, "unthrottled", recipients),
            rate=1_000_000,
            send=recipients,
            seconds=timeout,
        )
    raws = {}
    for kind in ("raw", "raw-aiohttp"):
        with FakeServer() as server:
            raws[kind] = run_worker(
                kind,
                server,
                prepare(folder, kind, recipients),
                rate=1_000_000,
                send=recipients,
                seconds=timeout,
                concurrency=_worker_concurrency(),
            )
    ours_rate = throughput(ours["server"]["send_times"], recipients)
    raw_rate, same_rate = (throughput(raws[k]["server"]["send_times"], recipients) for k in raws)
    print(
        f"unthrottled, {recipients} recipients: returnbot {ours['server']['sends']} sent at "
        f"{ours_rate:.1f}/s (enqueued in {ours['enqueue_seconds']:.2f} s); raw PTB loop "
        f"{raws['raw']['server']['sends']} sent at {raw_rate:.1f}/s, the same loop on "
        f"returnbot's transport at {same_rate:.1f}/s; {_worker_concurrency()} in flight"
    )
    ratio = ours_rate / raw_rate if raw_rate else 0.0
    complete = ours["server"]["sends"] >= recipients
    verdict = "met" if ratio >= UNTHROTTLED_GOAL and complete else "MISSED"
    print(f"unthrottled ratio {ratio:.2f} (goal >= {UNTHROTTLED_GOAL}) {verdict}")
    like = ours_rate / same_rate if same_rate else 0.0
    print(f"unthrottled ratio on the same transport {like:.2f}: what the outbox and worker cost")
    return ours_rate, raw_rate


def throttled(folder: Path, seconds: float, rate: float = 30.0) -> None:
    """BROADCAST_RATE 30 against an API that refuses more than 30/s, for `seconds`."""
    recipients = int(rate * (seconds + 10))
    with FakeServer(rate=rate) as server:
        ours = run_worker(
            "returnbot",
            server,
            prepare(folder, "throttled", recipients),
            rate=rate,
            send=recipients,
            seconds=seconds,
        )
    figures = ours["server"]
    times = figures["send_times"]
    if len(times) < 2:
        print(f"throttled: only {len(times)} sends in {seconds} s; goal MISSED")
        return
    after = [t for t in times if t > times[0] + 1.0]
    span = times[-1] - (times[0] + 1.0)
    sustained = (len(after) - 1) / span if len(after) > 1 and span > 0 else 0.0
    print(
        f"throttled at {rate:.0f}/s for {seconds:.0f} s: {figures['sends']} sent, sustained "
        f"{sustained:.2f}/s after the first second; 429s: {figures['throttled']} in all, "
        f"{figures['throttled_after_first_second']} after the first second"
    )
    ok = sustained >= THROTTLED_GOAL * rate and figures["throttled_after_first_second"] == 0
    print(
        f"throttled ratio {sustained / rate:.2f} of BROADCAST_RATE (goal >= {THROTTLED_GOAL},"
        f" no 429 after the first second) " + ("met" if ok else "MISSED")
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="broadcast throughput vs a raw PTB loop")
    parser.add_argument("--recipients", type=int, default=20_000)
    parser.add_argument("--limited-seconds", type=float, default=20.0)
    parser.add_argument("--timeout", type=float, default=900.0)
    parser.add_argument("--quick", action="store_true", help="tiny sizes, to check it runs")
    parser.add_argument(
        "--worker", choices=["returnbot", "raw", "raw-aiohttp"], help=argparse.SUPPRESS
    )
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--database", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--rate", type=float, default=1_000_000, help=argparse.SUPPRESS)
    parser.add_argument("--send", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--seconds", type=float, default=600, help=argparse.SUPPRESS)
    parser.add_argument("--concurrency", type=int, default=1, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker == "returnbot":
        result = asyncio.run(
            returnbot_worker(args.url, args.database, args.rate, args.send, args.seconds)
        )
        print(json.dumps(result), flush=True)
        return 0
    if args.worker in ("raw", "raw-aiohttp"):
        aiohttp = args.worker == "raw-aiohttp"
        result = asyncio.run(
            raw_worker(args.url, args.database, args.send, args.concurrency, aiohttp)
        )
        print(json.dumps(result), flush=True)
        return 0
    if args.quick:
        args.recipients, args.limited_seconds, args.timeout = 100, 2.5, 120.0
    with workdir() as folder:
        unthrottled(folder, args.recipients, args.timeout)
        throttled(folder, args.limited_seconds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
