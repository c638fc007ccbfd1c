"""Start-up: from starting the `returnbot run` process to its first reply, on SQLite.

A `/start` is waiting in the lean fake Bot API (`bench.fake_server`) before the process is
started; the clock runs from `Popen` to the reply arriving at the fake API. Two cases: an
already-migrated database holding the dataset, and a fresh one (no file: migrate and load
the dataset first). The baseline is the bare PTB echo bot (`bench.echo_bot`) started the same
way. Goal: under 2 s. Each case runs `--repeat` times; the median is reported. Beside the wall
time, the CPU time the process had used when the reply arrived (user + system, from /proc):
on a shared machine it varies much less than the wall time, so it is the figure to compare
two versions by.

Run: `.venv/bin/python -m bench.startup [--repeat 3] [--quick]`.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

from bench.common import (
    PYTHON,
    FakeServer,
    bot_env,
    cpu_seconds,
    median,
    prepare_database,
    returnbot_command,
    start_process,
    stop_process,
    workdir,
)

GOAL = 2.0


def first_reply(
    command: list[str], database: Path, log: Path, timeout: float = 120
) -> tuple[float, float]:
    """Seconds from starting `command` to the first reply at the fake API, and the CPU
    seconds the process had used by then."""
    with FakeServer() as server:
        chat = {"id": 42, "type": "private", "first_name": "U"}
        sender = {"id": 42, "is_bot": False, "first_name": "U", "language_code": "en"}
        message = {"message_id": 1, "from": sender, "chat": chat, "date": int(time.time())}
        message |= {"text": "/start", "entities": [{"type": "bot_command", "offset": 0,
                                                    "length": 6}]}  # fmt: skip
        server.add_updates([{"message": message}], ["start"])
        began = time.time()
        process = start_process(command, bot_env(server, database), log)
        try:
            figures = server.wait(lambda s: s["replied"] >= 1, timeout)
            cpu = cpu_seconds(process.pid)
        finally:
            stop_process(process)
    if not figures["replied"]:
        raise RuntimeError(f"no reply within {timeout} s; see {log}: {log.read_text()[-2000:]}")
    return figures["last_reply"] - began, cpu


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="process start to first reply")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="one run each, to check it runs")
    args = parser.parse_args(argv)
    if args.quick:
        args.repeat = 1
    results: dict[str, list[float]] = {"migrated": [], "fresh": [], "echo": []}
    cpu: dict[str, list[float]] = {case: [] for case in results}
    with workdir() as folder:
        template = folder / "template.db"
        prepare_database(template)
        log = folder / "startup.log"
        for n in range(args.repeat):
            migrated = folder / f"migrated-{n}.db"
            shutil.copy(template, migrated)
            fresh = folder / f"fresh-{n}" / "returnbot.db"
            echo = [PYTHON, "-m", "bench.echo_bot"]
            for case, command, database in (
                ("migrated", returnbot_command("run"), migrated),
                ("fresh", returnbot_command("run"), fresh),
                ("echo", echo, folder / "unused.db"),
            ):
                wall, used = first_reply(command, database, log)
                results[case].append(wall)
                cpu[case].append(used)
    base, base_cpu = median(results["echo"]), median(cpu["echo"])
    print(f"start-up to first reply, median of {args.repeat} (SQLite):")
    for case, label in (("migrated", "already-migrated database"), ("fresh", "fresh database")):
        value, used = median(results[case]), median(cpu[case])
        runs = ", ".join(f"{v:.2f}" for v in results[case])
        verdict = "met" if value < GOAL else "MISSED"
        print(
            f"  returnbot, {label}: {value:.2f} s ({runs}); ratio to baseline "
            f"{value / base:.2f}; goal < {GOAL:.0f} s {verdict}; CPU {used:.2f} s "
            f"(ratio {used / base_cpu:.2f})"
        )
    runs = ", ".join(f"{v:.2f}" for v in results["echo"])
    print(f"  baseline, PTB echo bot: {base:.2f} s ({runs}); CPU {base_cpu:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
