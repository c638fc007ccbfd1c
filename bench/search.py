"""Search latency: `bot.domain.search.SearchIndex` over ≥ 1,000 synthetic settlements.

Synthetic names are built from Azerbaijani syllables, with an English and a Russian
transliteration and an alias each, like the real dataset's entries. Queries mix exact names
in the three scripts, lower-case ASCII forms, typos, prefixes and unknown words. The baseline
is the same kind of queries over the bundled dataset's index (42 settlements, 15 districts),
measured in the same run. In process; no network.

Run: `.venv/bin/python -m bench.search [--places 1000] [--queries 5000] [--quick]`.
"""

from __future__ import annotations

import argparse
import random
import sys
import time

from bench.common import ms, percentile
from bot.domain.search import Entry, SearchIndex

GOAL_P99 = 0.002  # seconds
SYLLABLES = [
    "qa", "ra", "bağ", "şə", "kənd", "lı", "çay", "su", "dağ", "ov", "xan", "gül", "ər", "mə",
    "zə", "tə", "li", "ca", "hə", "nə", "sar", "yurd", "köh", "nə", "ağ", "qaş", "ba", "ləm",
    "ük", "ov", "qu", "sö", "ya", "da", "pir", "cə", "fu", "zu", "ar", "at", "ış", "əl",
]  # fmt: skip
TO_EN = str.maketrans(
    {"ə": "a", "ş": "sh", "ç": "ch", "ğ": "gh", "ı": "i", "ö": "o", "ü": "u", "x": "kh",
     "c": "j", "q": "g"}
)  # fmt: skip
TO_RU = str.maketrans(
    {"a": "а", "b": "б", "c": "дж", "ç": "ч", "d": "д", "e": "е", "ə": "я", "f": "ф", "g": "г",
     "ğ": "г", "h": "г", "x": "х", "ı": "ы", "i": "и", "j": "ж", "k": "к", "q": "г", "l": "л",
     "m": "м", "n": "н", "o": "о", "ö": "ё", "p": "п", "r": "р", "s": "с", "ş": "ш", "t": "т",
     "u": "у", "ü": "ю", "v": "в", "y": "й", "z": "з"}
)  # fmt: skip


def synthetic_entries(count: int, rng: random.Random) -> list[Entry]:
    """`count` settlements with distinct Azerbaijani names, their en/ru forms and an alias."""
    entries, seen = [], set()
    while len(entries) < count:
        az = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))).capitalize()
        if az in seen:
            continue
        seen.add(az)
        en = az.lower().translate(TO_EN).capitalize()
        ru = az.lower().translate(TO_RU).capitalize()
        alias = f"{az} kəndi"
        entries.append(Entry(f"settlement:s{len(entries)}", (az, en, ru, alias)))
    return entries


def bundled_entries() -> list[Entry]:
    """The bot's search entries (`bot.places.search_entries`) of the bundled dataset."""
    from bot.places import search_entries
    from db import dataset
    from db.snapshot import Place

    data = dataset.read_dataset(dataset.BUNDLED)
    places = []
    for kind, items in (("settlement", data.settlements), ("district", data.districts)):
        for item in items:
            names = (item.name.az, item.name.en, item.name.ru, *item.aliases)
            place_kind = item.kind if kind == "settlement" else kind
            places.append(Place(f"{kind}:{item.slug}", names, place_kind))
    return search_entries(places)


def make_queries(entries: list[Entry], count: int, rng: random.Random) -> list[str]:
    """Exact names in any script, ASCII lower case, typos, prefixes, unknown words."""
    queries = []
    for _ in range(count):
        name = rng.choice(rng.choice(entries).names)
        roll = rng.random()
        if roll < 0.35:
            query = name
        elif roll < 0.5:
            query = name.lower().translate(TO_EN)
        elif roll < 0.7 and len(name) > 4:
            i = rng.randrange(1, len(name) - 1)
            query = name[:i] + name[i + 1 :]
        elif roll < 0.85:
            query = name[: max(2, len(name) // 2)]
        else:
            query = rng.choice(["Xyzzyville", "Париж", "hello there", "село Новое", "1234"])
        queries.append(query)
    return queries


def measure(index: SearchIndex, queries: list[str]) -> tuple[list[float], list[float]]:
    """(wall, CPU) seconds per lookup: `resolve` (what a typed name costs), plus `suggest`
    when nothing matched. On a shared machine the wall time includes waiting for a core;
    the thread's CPU time does not."""
    wall, cpu = [], []
    for query in queries:
        start, start_cpu = time.perf_counter(), time.thread_time()
        best, candidates = index.resolve(query)
        if best is None and not candidates:
            index.suggest(query)
        cpu.append(time.thread_time() - start_cpu)
        wall.append(time.perf_counter() - start)
    return wall, cpu


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="search latency over synthetic settlements")
    parser.add_argument("--places", type=int, default=1000)
    parser.add_argument("--queries", type=int, default=5000)
    parser.add_argument("--quick", action="store_true", help="tiny sizes, to check it runs")
    args = parser.parse_args(argv)
    if args.quick:
        args.queries = 300
    rng = random.Random(11)
    start = time.perf_counter()
    big = SearchIndex(synthetic_entries(args.places, rng))
    built = time.perf_counter() - start
    small_entries = bundled_entries()
    small = SearchIndex(small_entries)
    big_queries = make_queries(synthetic_entries(args.places, random.Random(11)), args.queries, rng)
    small_queries = make_queries(small_entries, args.queries, rng)
    measure(big, big_queries[:200])  # warm-up
    ours, ours_cpu = measure(big, big_queries)
    baseline, baseline_cpu = measure(small, small_queries)
    print(f"search: {args.queries} queries over {args.places} synthetic settlements")
    print(f"  index built in {ms(built)}")
    for label, values, base in (("wall", ours, baseline), ("CPU ", ours_cpu, baseline_cpu)):
        p99, base_p99 = percentile(values, 0.99), percentile(base, 0.99)
        print(
            f"  {label} {args.places} places: p50 {ms(percentile(values, 0.5))}, p99 {ms(p99)}"
            f" | baseline {len(small_entries)} bundled places: p50 {ms(percentile(base, 0.5))},"
            f" p99 {ms(base_p99)} | p99 ratio {p99 / base_p99:.2f}"
        )
    for label, values in (("wall", ours), ("CPU", ours_cpu)):
        p99 = percentile(values, 0.99)
        verdict = "met" if p99 < GOAL_P99 else "MISSED"
        print(f"p99 {label} {ms(p99)} (goal < {ms(GOAL_P99)}) {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
