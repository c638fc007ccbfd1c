"""The benchmarks still run: each `bench` script with `--quick` (tiny sizes), all at once.

Only that they run to the end and print their figures is checked here — never a speed, which
is noise on a shared machine; `make bench` measures (see docs/benchmarks.md).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# script → what its output must contain
EXPECTED = {
    "search": ["p99 wall", "p99 CPU", "p99 ratio"],
    "understanding": ["first sight", "warm", "p99 CPU", "p99 ratio", "10 kB message"],
    "queries": [
        "returnbot:",
        "echo baseline",
        "on the same transport",
        "callback",
        "error replies: 0",
    ],
    "broadcast": ["unthrottled ratio", "on the same transport", "throttled ratio", "429s:"],
    "memory": ["peak RSS ratio", "recipients: peak RSS"],
    "chart": ["first chart of a process", "settlement: median", "all: median", "cache hit"],
    "startup": ["already-migrated database", "fresh database", "baseline, PTB echo bot"],
}


def test_every_benchmark_runs_with_quick_sizes(tmp_path: Path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE_"))}
    processes = {
        name: subprocess.Popen(
            [sys.executable, "-m", f"bench.{name}", "--quick"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for name in EXPECTED
    }
    outputs = {}
    try:
        for name, process in processes.items():
            outputs[name] = process.communicate(timeout=300)[0]
    finally:
        for process in processes.values():
            if process.poll() is None:
                process.kill()
                process.wait()
    for name, expected in EXPECTED.items():
        output = outputs[name]
        assert processes[name].returncode == 0, f"bench.{name} failed:\n{output[-3000:]}"
        for fragment in expected:
            assert fragment in output, f"bench.{name} did not print {fragment!r}:\n{output}"
