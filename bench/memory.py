"""Memory: peak RSS of the bot process during a 100,000-recipient broadcast vs a 10,000 one.

Each size runs the real Application in a fresh process (`bench.broadcast`'s returnbot worker)
on a SQLite file with that many synthetic users: the notice and all its deliveries are
written (INSERT … SELECT), then the DeliveryWorker sends until `--deliver` messages have left
(or all of them with `--deliver 0`). Peak RSS is the process's VmHWM (Linux). The smaller
broadcast is the baseline. Goal: the large one ≤ 1.2× the small one, and under 150 MB.

Sending is one message at a time from small claimed batches, so memory after the first
batches does not grow with the number sent; the part that could grow with the audience is
writing and claiming the outbox, which both sizes do in full.

Run: `.venv/bin/python -m bench.memory [--small 10000] [--large 100000] [--deliver 2000]
[--quick]`.
"""

from __future__ import annotations

import argparse
import sys

from bench.broadcast import prepare, run_worker
from bench.common import FakeServer, workdir

GOAL_RATIO = 1.2
GOAL_MB = 150.0


def peak(folder, users: int, deliver: int, timeout: float) -> dict:
    database = prepare(folder, f"memory-{users}", users)
    send = users if deliver <= 0 else min(deliver, users)
    with FakeServer() as server:
        return run_worker("returnbot", server, database, rate=1_000_000, send=send, seconds=timeout)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="peak RSS of a large vs a small broadcast")
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--large", type=int, default=100_000)
    parser.add_argument("--deliver", type=int, default=2000, help="0: deliver all")
    parser.add_argument("--timeout", type=float, default=900.0)
    parser.add_argument("--quick", action="store_true", help="tiny sizes, to check it runs")
    args = parser.parse_args(argv)
    if args.quick:
        args.small, args.large, args.deliver, args.timeout = 100, 1000, 20, 120.0
    with workdir() as folder:
        small = peak(folder, args.small, args.deliver, args.timeout)
        large = peak(folder, args.large, args.deliver, args.timeout)
    for users, figures in ((args.small, small), (args.large, large)):
        print(
            f"{users} recipients: peak RSS {figures['peak_rss_mb']:.1f} MB (started at "
            f"{figures['rss_started_mb']:.1f} MB), enqueued in {figures['enqueue_seconds']:.2f} s,"
            f" {figures['server']['sends']} sent"
        )
    ratio = large["peak_rss_mb"] / small["peak_rss_mb"]
    ok = ratio <= GOAL_RATIO and large["peak_rss_mb"] < GOAL_MB
    print(
        f"peak RSS ratio {args.large} / {args.small}: {ratio:.2f} (goal <= {GOAL_RATIO} and "
        f"< {GOAL_MB:.0f} MB) " + ("met" if ok else "MISSED")
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
