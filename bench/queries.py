"""Query throughput: returnbot vs a bare PTB echo bot, both fed by the same fake Bot API.

A lean fake Bot API (`bench.fake_server`, its own process) hands out N updates through
`getUpdates` — `/schedule <place>`, plain-text searches in Azerbaijani, English and Russian
spelling (some with typos, some unknown), sentences as people write them (the messages of
tests/data/understanding.yaml), `/caravans [district]` and button presses — from U users in
three languages, at most `--window` unanswered at a time. `returnbot run` (a real
process, SQLite file already migrated) answers them; then the baseline, `bench.echo_bot`,
answers the same updates, and then the echo bot once more on returnbot's Bot API transport
(aiohttp instead of PTB's default httpx). The goal is against the bare echo bot; the second
ratio, like for like, is what returnbot's own work (database, search, cards) costs.
Throughput is updates answered per second between the first hand-out and the last reply;
latency is hand-out to reply, per kind of update. The fake API keeps `--window` (64)
updates in flight: enough to keep either bot busy, so latency is the time an update takes
under full load (about window / throughput), not a queue's length.

Run: `.venv/bin/python -m bench.queries [--updates 5000] [--users 500] [--quick]
[--profile FILE | --py-spy FILE]` (profilers: pyinstrument, py-spy; install them first).
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import time
from pathlib import Path
from typing import Any

from bench.common import (
    PYTHON,
    FakeServer,
    bot_env,
    cpu_seconds,
    percentile,
    prepare_database,
    ratio_line,
    returnbot_command,
    start_process,
    stop_process,
    summary,
    workdir,
)

LANGUAGES = ("az", "en", "ru")
KINDS = ("schedule", "search", "sentence", "caravans", "callback")
WEIGHTS = (25, 25, 15, 15, 20)
FIRST_USER = 500_000
GOAL = 0.9


def _places() -> tuple[list[Any], list[Any]]:
    from db import dataset

    data = dataset.read_dataset(dataset.BUNDLED)
    return data.settlements, data.districts


def _sentences() -> list[str]:
    from bench.understanding import messages

    return messages()


def _typo(name: str, rng: random.Random) -> str:
    if len(name) < 5:
        return name.lower()
    i = rng.randrange(1, len(name) - 1)
    return name[:i] + name[i + 1 :]


def make_updates(count: int, users: int, seed: int = 7) -> tuple[list[dict], list[str]]:
    """`count` updates, users taking turns (so one user's updates are spread out)."""
    rng = random.Random(seed)
    settlements, districts = _places()
    sentences = _sentences()
    now = int(time.time())
    updates, kinds = [], []
    for n in range(count):
        user_id = FIRST_USER + n % users
        language = LANGUAGES[n % users % 3]
        sender = {"id": user_id, "is_bot": False, "first_name": "U", "language_code": language}
        chat = {"id": user_id, "type": "private", "first_name": "U"}
        kind = rng.choices(KINDS, WEIGHTS)[0]
        settlement = rng.choice(settlements)
        if kind == "callback":
            district = rng.choice(districts)
            data = rng.choice(
                [
                    f"s:{settlement.slug}",
                    f"cs:{settlement.slug}",
                    f"d:{district.slug}",
                    "m:caravans",
                ]
            )
            message = {"message_id": 1, "from": {"id": 123456, "is_bot": True, "first_name": "B"}}
            message |= {"chat": chat, "date": now, "text": "menu"}
            query = {"id": str(n), "from": sender, "chat_instance": str(user_id), "data": data}
            updates.append({"callback_query": query | {"message": message}})
            kinds.append(kind)
            continue
        if kind == "schedule":
            text = f"/schedule {getattr(settlement.name, language)}"
        elif kind == "sentence":
            text = rng.choice(sentences)
        elif kind == "caravans":
            text = "/caravans"
            if rng.random() < 0.5:
                text += " " + getattr(rng.choice(districts).name, language)
        else:
            script = rng.choice(LANGUAGES)
            name = getattr(settlement.name, script)
            roll = rng.random()
            if roll < 0.15:
                name = _typo(name, rng)
            elif roll < 0.25:
                name = rng.choice(["Xyzzyville", "Париж", "Bakı şəhəri", "Qarabag"])
            elif roll < 0.35 and settlement.aliases:
                name = rng.choice(settlement.aliases)
            text = name
        message = {"message_id": n + 2, "from": sender, "chat": chat, "date": now, "text": text}
        if text.startswith("/"):
            command = text.split()[0]
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        updates.append({"message": message})
        kinds.append(kind)
    return updates, kinds


def run_bot(
    label: str,
    command: list[str],
    database: Path,
    folder: Path,
    updates: list[dict],
    kinds: list[str],
    window: int,
    timeout: float,
    py_spy: Path | None = None,
) -> dict[str, Any]:
    """Serve `updates` to the bot started by `command` until all are answered (or timeout);
    with `py_spy`, sample the bot's on-CPU stacks into that file (py-spy's raw format)."""
    with FakeServer(window=window) as server:
        server.add_updates(updates, kinds)
        bot = start_process(command, bot_env(server, database), folder / f"{label}.log")
        spy = None
        if py_spy is not None:
            spy_command = [
                str(Path(PYTHON).parent / "py-spy"),
                "record",
                "--pid",
                str(bot.pid),
                "--format",
                "raw",
            ]
            spy = start_process([*spy_command, "-o", str(py_spy)], {}, folder / "py-spy.log")
        try:
            server.wait(lambda s: s["first_handout"] is not None, timeout)
            cpu_before = cpu_seconds(bot.pid)  # start-up excluded
            figures = server.wait(lambda s: s["replied"] >= len(updates), timeout)
            figures["cpu"] = cpu_seconds(bot.pid) - cpu_before
        finally:
            stop_process(bot, timeout=180)
            if spy is not None:
                spy.wait(60)
    elapsed = (figures["last_reply"] or 0) - (figures["first_handout"] or 0)
    figures["elapsed"] = elapsed
    figures["rate"] = figures["replied"] / elapsed if elapsed > 0 else 0.0
    return figures


def report(label: str, figures: dict[str, Any], total: int) -> None:
    print(
        f"{label}: {figures['replied']}/{total} updates answered in {figures['elapsed']:.1f} s"
        f" -> {figures['rate']:.1f} updates/s; error replies: {figures['errors']}"
    )
    if "cpu" in figures:
        print(
            f"  CPU of the bot process: {figures['cpu'] / total * 1000:.2f} ms per update; "
            f"Bot API calls per update: {figures['calls'] / total:.2f}"
        )
    every = [v for values in figures["latencies"].values() for v in values]
    print(f"  all       {summary(every)}")
    for kind in KINDS:
        values = figures["latencies"].get(kind, [])
        print(f"  {kind:<9} {summary(values)}  ({len(values)} updates)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="query throughput vs a PTB echo bot")
    parser.add_argument("--updates", type=int, default=5000)
    parser.add_argument("--users", type=int, default=500)
    parser.add_argument("--window", type=int, default=64, help="updates in flight at most")
    parser.add_argument("--quick", action="store_true", help="tiny sizes, to check it runs")
    parser.add_argument("--profile", type=Path, help="profile returnbot with pyinstrument")
    parser.add_argument("--py-spy", type=Path, help="sample returnbot's CPU with py-spy")
    parser.add_argument("--timeout", type=float, default=600.0)
    args = parser.parse_args(argv)
    if args.quick:
        args.updates, args.users, args.timeout = 60, 20, 120.0
    updates, kinds = make_updates(args.updates, args.users)
    print(f"query throughput: {args.updates} updates from {args.users} users (az/en/ru)")
    with workdir() as folder:
        template = folder / "template.db"
        prepare_database(template)
        database = folder / "returnbot.db"
        shutil.copy(template, database)
        command = returnbot_command("run")
        if args.profile:
            command = [PYTHON, "-m", "bench.profile", str(args.profile), "bot.cli", "run"]
        ours = run_bot("returnbot", command, database, folder, updates, kinds, args.window,
                       args.timeout, args.py_spy)  # fmt: skip
        if args.profile or args.py_spy:
            report("returnbot (profiled, slower)", ours, args.updates)
            print(f"profile written to {args.profile or args.py_spy}")
            return 0
        echo = run_bot(
            "echo", [PYTHON, "-m", "bench.echo_bot"], database, folder, updates, kinds,
            args.window, args.timeout,
        )  # fmt: skip
        same = run_bot(
            "echo-aiohttp", [PYTHON, "-m", "bench.echo_bot", "--aiohttp"], database, folder,
            updates, kinds, args.window, args.timeout,
        )  # fmt: skip
        report("returnbot", ours, args.updates)
        report("echo baseline (PTB's default transport, httpx)", echo, args.updates)
        report("echo on returnbot's transport (aiohttp)", same, args.updates)
        line = ratio_line("updates/s", ours["rate"], echo["rate"], f">= {GOAL}")
        ratio = ours["rate"] / echo["rate"] if echo["rate"] else 0.0
        print(line + (" met" if ratio >= GOAL else " MISSED"))
        like = ratio_line("updates/s on the same transport", ours["rate"], same["rate"], "none")
        print(like + ": what returnbot's own work costs")
        for name, other in (("echo", echo), ("echo on aiohttp", same)):
            if ours.get("cpu") and other.get("cpu"):
                print(f"CPU per update: returnbot / {name} = {ours['cpu'] / other['cpu']:.2f}")
        p99 = percentile([v for vs in ours["latencies"].values() for v in vs], 0.99)
        print(f"returnbot p99 latency over all updates: {p99 * 1000:.1f} ms")
        runs = {"returnbot": ours, "echo": echo, "echo-aiohttp": same}
        if any(figures["replied"] < args.updates for figures in runs.values()):
            print(f"incomplete: logs in {folder}", file=sys.stderr)
            for name in runs:
                sys.stderr.write((folder / f"{name}.log").read_text()[-3000:])
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
