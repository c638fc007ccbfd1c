"""Understanding's cost per message: `bot.domain.understanding.understand` over the corpus.

The messages are those of tests/data/understanding.yaml (az, en and ru sentences, ASCII-only
Azerbaijani, case endings, typos, greetings, noise), against the bundled dataset's index.
First sight: the lexicon is read anew and no word has been analysed yet, one pass. Warm: the
words seen before, as in a running bot, `--passes` passes in shuffled order. The baseline is
what a text costs today, `SearchIndex.resolve` of the whole message, measured in the same run.
In process; no network.

Run: `.venv/bin/python -m bench.understanding [--passes 20] [--quick]`.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Callable

import yaml

from bench.common import ROOT, percentile
from bench.search import bundled_entries
from bot.domain import lexicon
from bot.domain.search import SearchIndex
from bot.domain.understanding import understand

GOAL_P99 = 0.001  # seconds, warm
CORPUS = ROOT / "tests" / "data" / "understanding.yaml"


def messages() -> list[str]:
    data = yaml.safe_load(CORPUS.read_text(encoding="utf-8"))
    return [str(item["text"]) for items in data.values() for item in items]


def measure(work: Callable[[str], object], texts: list[str]) -> tuple[list[float], list[float]]:
    """(wall, CPU) seconds per message. On a shared machine the wall time includes waiting for
    a core; the thread's CPU time does not."""
    wall, cpu = [], []
    for text in texts:
        start, start_cpu = time.perf_counter(), time.thread_time()
        work(text)
        cpu.append(time.thread_time() - start_cpu)
        wall.append(time.perf_counter() - start)
    return wall, cpu


def us(seconds: float) -> str:
    return f"{seconds * 1e6:.0f} µs"


def figures(values: list[float]) -> str:
    return f"p50 {us(percentile(values, 0.5))}, p99 {us(percentile(values, 0.99))}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="understanding's cost per message")
    parser.add_argument("--passes", type=int, default=20, help="warm passes over the corpus")
    parser.add_argument("--quick", action="store_true", help="two passes, to check it runs")
    args = parser.parse_args(argv)
    if args.quick:
        args.passes = 2
    texts, rng = messages(), random.Random(14)
    index = SearchIndex(bundled_entries())

    lexicon.default_lexicon.cache_clear()
    lexicon.fold.cache_clear()
    start = time.thread_time()
    lexicon.default_lexicon()
    loaded = time.thread_time() - start
    first_wall, first_cpu = measure(lambda text: understand(text, index), texts)

    warm_texts = [text for _ in range(args.passes) for text in rng.sample(texts, len(texts))]
    wall, cpu = measure(lambda text: understand(text, index), warm_texts)
    base_wall, base_cpu = measure(index.resolve, warm_texts)
    long_text = " ".join(texts)[:10_000]
    _, long_cpu = measure(lambda text: understand(text, index), [long_text] * 20)

    print(f"understanding: {len(texts)} corpus messages, {args.passes} warm passes")
    print(f"  lexicon read and compiled in {us(loaded)} CPU (once, on the first message)")
    print(f"  first sight: wall {figures(first_wall)} | CPU {figures(first_cpu)}")
    print(f"  warm: wall {figures(wall)} | CPU {figures(cpu)}")
    print(f"  baseline, resolve(text): wall {figures(base_wall)} | CPU {figures(base_cpu)}")
    p99, base_p99 = percentile(cpu, 0.99), percentile(base_cpu, 0.99)
    print(f"  p99 ratio to the baseline (CPU): {p99 / base_p99:.2f}")
    print(f"  a 10 kB message (cut at 1,000 characters): CPU {figures(long_cpu)}")
    for label, values in (("wall", wall), ("CPU", cpu)):
        p99 = percentile(values, 0.99)
        verdict = "met" if p99 < GOAL_P99 else "MISSED"
        print(f"p99 {label} {us(p99)} warm (goal < {us(GOAL_P99)}) {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
